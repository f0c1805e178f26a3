//! Python scripts the tests use as an independent implementation (statsforecast's
//! AutoETS for the forecasts): run one, or skip with a reason the user sees when
//! `python3` or a package is missing — and fail instead under `CI` (see `soffice`).

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, Once};

/// How to get the packages, said with every skip.
const HOW_TO_INSTALL: &str = "install them with `pip install -r tests/requirements.txt`";

/// Exit code the scripts use for "a package is missing".
const MISSING_PACKAGE: i32 = 3;

static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Runs `python3 SCRIPT ARGS…` and returns what it printed, or `None` when Python or a
/// package it needs is missing (announced as a skip; a panic under `CI`). Any other
/// failure of the script panics with its output.
pub fn run(script: &Path, args: &[&str]) -> Option<String> {
    let program = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let output = match Command::new(&program).arg(script).args(args).output() {
        Ok(output) => output,
        Err(error) => {
            skip(&format!("cannot run {program}: {error}"));
            return None;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Some(String::from_utf8_lossy(&output.stdout).into_owned()),
        Some(MISSING_PACKAGE) => {
            skip(stderr.trim());
            None
        }
        _ => panic!(
            "{program} {} {} failed ({}):\n{stderr}",
            script.display(),
            args.join(" "),
            output.status
        ),
    }
}

fn skip(reason: &str) {
    let ci = std::env::var("CI").ok();
    if super::soffice::required_by(ci.as_deref()) {
        panic!("Python check required when CI is set, but {reason}; {HOW_TO_INSTALL}");
    }
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test")
        .to_string();
    let line = format!("SKIPPED Python check in {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Ok(mut skipped) = SKIPPED.lock() {
        skipped.push(test);
    }
    static SUMMARY: Once = Once::new();
    SUMMARY.call_once(|| {
        // SAFETY: registers a plain `extern "C"` function that takes no arguments.
        unsafe { libc::atexit(print_summary) };
    });
}

/// The summary line (run by the C runtime at exit, after libtest's report).
extern "C" fn print_summary() {
    let Ok(skipped) = SKIPPED.lock() else {
        return;
    };
    let line = format!(
        "\nSKIPPED: {} Python check(s) (python3 or a package missing): {}.\n  To run them, \
         {HOW_TO_INSTALL}; with CI=true they fail instead of skipping.\n",
        skipped.len(),
        skipped.join(", ")
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}
