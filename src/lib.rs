//! chanmix: a rules and scenario engine for a company's sales channel portfolio.
//!
//! See ARCHITECTURE.md (included below) for the map of the code.
#![doc = include_str!("../ARCHITECTURE.md")]
// No unwrap/expect/panic in the product: bad input gets an error, never a crash.
// (Tests may use them; integration tests are separate crates and unaffected.)
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The ground floor: shared types that import nothing above them.
pub mod atomic;
pub mod diagnostic;
pub mod files;
pub mod functions;
pub mod suggest;
pub mod table;
pub mod terminal;
pub mod value;

// The floors above, each importing only downward (see `tests/integration/layers.rs`).
pub mod analysis;
pub mod cli;
pub mod data;
pub mod eval;
pub mod lang;
pub mod pipeline;
pub mod report;
pub mod scenario;
pub mod script;
#[cfg(test)]
mod test_random;
