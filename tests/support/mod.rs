//! Helpers shared by integration tests (each test binary includes this with `mod support;`).
//! Not every binary uses every helper.
#![allow(dead_code)]

pub mod fixture;
pub mod libreoffice;
pub mod xlsx;
