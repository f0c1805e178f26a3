//! Evaluation: the value model, the Excel function library, and the vectorized
//! evaluator that runs a checked plan over columnar tables.

pub mod datetime;
pub mod engine;
pub mod functions;
pub mod grouping;
pub mod kernels;
pub mod number_format;
pub mod operators;
pub mod plan;
pub mod schedule;
pub mod standalone;
pub mod value;
pub mod vector;

pub use standalone::evaluate_formula;
