//! Fuzz target `workbook`: arbitrary bytes as an input file (.xlsx, .xlsm, .xlsb, .xls,
//! .ods or .csv, chosen by the first byte) read through `read_inputs` as a run reads it.
#![no_main]

#[path = "../../tests/support/fuzz_harness.rs"]
mod fuzz_harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, OnceLock};

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

/// The last panic's message and place, kept while `read_inputs` runs.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());
/// Whether `read_inputs` is running (on any thread: it reads sheets on rayon's).
static READING: AtomicBool = AtomicBool::new(false);

/// `read_inputs` turns a panic inside a reader library (calamine panics on some malformed
/// files) into an error naming the file, which is what a user sees; so only a panic that
/// escapes `read_inputs` is a crash. libfuzzer-sys's hook aborts on every panic, caught
/// or not: while `read_inputs` runs, panics only leave their message in `LAST_PANIC`.
/// `CHANMIX_FUZZ_STRICT_PANICS=1` keeps libFuzzer's hook, to list the panics chanmix catches.
fn quiet_panics_while_reading() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("CHANMIX_FUZZ_STRICT_PANICS").is_some() {
            return;
        }
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !READING.load(Ordering::SeqCst) {
                return fuzzer_hook(info);
            }
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = info.to_string();
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    quiet_panics_while_reading();
    READING.store(true, Ordering::SeqCst);
    let read = std::panic::catch_unwind(|| fuzz_harness::workbook::run(folder().path(), data));
    READING.store(false, Ordering::SeqCst);
    let Ok(read) = read else {
        let last = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
        eprintln!("read_inputs panicked: {last}");
        std::process::abort();
    };
    if let Some(result) = read {
        fuzz_harness::workbook::check(&result);
    }
});
