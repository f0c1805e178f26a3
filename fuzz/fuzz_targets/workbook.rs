//! Fuzz target `workbook`: arbitrary bytes as an input file (.xlsx, .xlsm, .xlsb, .xls,
//! .ods or .csv, chosen by the first byte) read through `read_inputs` as a run reads it.
//!
//! calamine panics on some malformed files; chanmix catches those where it calls
//! calamine and reports a damaged file, without the panic reaching the panic hook
//! (`data::reader_panic`). Every other panic reaches libFuzzer's hook: a crash.
#![no_main]

#[path = "../../tests/support/fuzz_harness.rs"]
mod fuzz_harness;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// A private folder for the input file, made once per process.
fn folder() -> &'static tempfile::TempDir {
    static FOLDER: OnceLock<tempfile::TempDir> = OnceLock::new();
    FOLDER.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("chanmix-fuzz-workbook-")
            .tempdir()
            .expect("temp dir")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Some(result) = fuzz_harness::workbook::run(folder().path(), data) {
        fuzz_harness::workbook::check(&result);
    }
});
