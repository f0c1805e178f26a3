//! Fuzz target `workbook`: arbitrary bytes as an input file (.xlsx, .xlsm, .xlsb, .xls,
//! .ods or .csv, chosen by the first byte) read through `read_inputs` as a run reads it.
//!
//! calamine panics on some malformed files; chanmix catches those where it calls
//! calamine and reports a damaged file, without the panic reaching the panic hook
//! (`data::reader_panic`). Every other panic reaches libFuzzer's hook: a crash.
#![no_main]

// Each target uses one of the harness's modules; the others are not dead code elsewhere.
#[allow(dead_code)]
#[path = "../../tests/integration/support/fuzz_harness.rs"]
mod fuzz_harness;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static FOLDER: OnceLock<tempfile::TempDir> = OnceLock::new();

/// A private folder for the input file, made once per process.
fn folder() -> &'static tempfile::TempDir {
    FOLDER.get_or_init(|| {
        let folder = tempfile::Builder::new()
            .prefix("chanmix-fuzz-workbook-")
            .tempdir()
            .expect("temp dir");
        // SAFETY: registers a plain function; libFuzzer ends with exit(), which runs it.
        unsafe { atexit(remove_folder) };
        folder
    })
}

unsafe extern "C" {
    /// C's `atexit`: statics are never dropped, so the folder is removed from here.
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn remove_folder() {
    if let Some(folder) = FOLDER.get() {
        let _ = std::fs::remove_dir_all(folder.path());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(result) = fuzz_harness::workbook::run(folder().path(), data) {
        fuzz_harness::workbook::check(&result);
    }
});
