//! Helpers shared by the integration tests' modules: the hand-worked fixture, the
//! LibreOffice oracle, reading workbooks back, and what each fuzz target does.

pub mod fixture;
pub mod fuzz_harness;
pub mod libreoffice;
pub mod xlsx;
