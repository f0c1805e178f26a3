//! Evaluation: the value model, the Excel function library, and the vectorized
//! evaluator that runs a checked plan over columnar tables.

pub mod engine;
pub mod grouping;
pub mod kernels;
pub mod operators;
pub mod schedule;
pub mod standalone;
pub mod vector;

pub use standalone::evaluate_formula;
