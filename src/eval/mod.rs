//! Evaluation: the value model, the Excel function library, and the vectorized
//! evaluator that runs a checked plan over columnar tables.

pub mod datetime;
pub mod number_format;
pub mod functions;
pub mod value;
