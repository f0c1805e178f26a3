//! Fuzz target `workbook`: arbitrary bytes as an input file (.xlsx, .xlsm, .xlsb, .xls,
//! .ods or .csv, chosen by the first byte) read through `read_inputs` as a run reads it.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, OnceLock};

use chanmix::data::{BadCellPolicy, InputsSpec, TableSpec, read_inputs};
use libfuzzer_sys::fuzz_target;

const EXTENSIONS: [&str; 6] = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv"];
const POLICIES: [BadCellPolicy; 3] = [
    BadCellPolicy::Report,
    BadCellPolicy::RejectRow,
    BadCellPolicy::Fail,
];

/// The table read: every column type, required and optional columns, a key, and a
/// `rename` (the seeds in `fuzz/seeds/workbook` have these headers).
const COLUMNS: [(&str, &str); 7] = [
    ("deal_id", "text"),
    ("channel", "text"),
    ("amount", "number"),
    ("created", "date?"),
    ("won", "bool?"),
    ("note", "text?"),
    ("status", "any"),
];

/// A private folder for the input file, made once per process.
fn folder() -> &'static PathBuf {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("chanmix-fuzz-workbook-")
            .tempdir()
            .expect("temp dir")
            .keep()
    })
}

/// The last panic's message and place, kept while `read_inputs` runs.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());
/// Whether `read_inputs` is running (on any thread: it reads sheets on rayon's).
static READING: AtomicBool = AtomicBool::new(false);

/// `read_inputs` turns a panic inside a reader library (calamine panics on some malformed
/// files) into an error naming the sheet, which is what a user sees; so only a panic that
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
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let extension = EXTENSIONS[usize::from(selector) % EXTENSIONS.len()];
    let policy = POLICIES[usize::from(selector) / EXTENSIONS.len() % POLICIES.len()];
    let folder = folder();
    // A fresh name per extension; the previous input of that extension is overwritten.
    let file = PathBuf::from(format!("deals.{extension}"));
    std::fs::write(folder.join(&file), bytes).expect("write the input");

    let table = TableSpec {
        key: Some("deal_id".to_string()),
        columns: COLUMNS
            .iter()
            .map(|(name, ty)| (name.to_string(), ty.to_string()))
            .collect(),
        rename: BTreeMap::from([("Deal Amount".to_string(), "amount".to_string())]),
        on_bad_cell: policy,
        ..TableSpec::default()
    };
    let spec = InputsSpec {
        workbook: Some(file),
        tables: BTreeMap::from([("Deals".to_string(), table)]),
    };
    // As a run asks: only the columns the rules use (here: all of them).
    let wanted = BTreeMap::from([(
        "Deals".to_string(),
        COLUMNS
            .iter()
            .map(|(name, _)| name.to_string())
            .collect::<BTreeSet<_>>(),
    )]);
    READING.store(true, Ordering::SeqCst);
    let read = std::panic::catch_unwind(|| read_inputs(&spec, folder, Some(&wanted)));
    READING.store(false, Ordering::SeqCst);
    let Ok(read) = read else {
        let last = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
        eprintln!("read_inputs panicked: {last}");
        std::process::abort();
    };
    match read {
        Ok(data) => {
            // What the evaluator and the report rely on: equally long columns, counts
            // that add up, a log entry per cell it lists.
            for (table, counts) in data.tables.iter().zip(&data.quality.counts) {
                assert_eq!(table.row_count, counts.rows_kept, "rows kept");
                for column in &table.columns {
                    assert_eq!(column.values.len(), table.row_count, "column length");
                }
            }
            for entry in &data.quality.entries {
                let _ = format!("{entry:?}");
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.is_empty(), "an error without a message");
        }
    }
});
