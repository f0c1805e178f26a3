//! chanmix: a rules and scenario engine for a company's sales channel portfolio.
//!
//! See ARCHITECTURE.md (included below) for the map of the code.
#![doc = include_str!("../ARCHITECTURE.md")]

pub mod cli;
pub mod data;
pub mod eval;
pub mod lang;
pub mod report;
pub mod run;
pub mod scenario;
