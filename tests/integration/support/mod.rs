//! Helpers shared by the integration tests' modules: the hand-worked fixture, headless
//! LibreOffice and the oracle built on it, reading workbooks back, and what each fuzz
//! target does.

pub mod fixture;
pub mod fuzz_harness;
pub mod libreoffice;
pub mod soffice;
pub mod xlsx;
