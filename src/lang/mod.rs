//! The rule language: grammar-driven parser into a typed AST with spans, the
//! diagnostics it reports, the checker, and the canonical formatter.

pub mod analysis;
pub mod ast;
pub mod checker;
pub mod format;
pub mod parser;
pub mod plan;
pub mod program;
pub mod vocabulary;
