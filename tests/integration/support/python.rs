//! Python with scientific packages as an independent oracle (scipy's solvers): whether
//! it is there — a test skips with the reason on the terminal, or fails under `CI=true`
//! — and running a script from tests/ with JSON in and out.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once, OnceLock};

/// How to get the packages, said with every skip.
const HOW_TO_INSTALL: &str = "install them with `pip install -r tests/requirements.txt` (.ci/run does), or point CHANMIX_PYTHON at a Python that has them";

/// The interpreter: `$CHANMIX_PYTHON`, else `python3`.
fn program() -> String {
    std::env::var("CHANMIX_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Why `modules` cannot be imported here (asked once per module list), or `None`.
fn unavailable(modules: &str) -> Option<String> {
    static CHECKED: Mutex<Vec<(String, Option<String>)>> = Mutex::new(Vec::new());
    let mut checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, reason)) = checked.iter().find(|(m, _)| m == modules) {
        return reason.clone();
    }
    let program = program();
    let reason = match Command::new(&program)
        .args(["-c", &format!("import {modules}")])
        .output()
    {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`{program}` cannot import {modules}: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        )),
        Err(error) => Some(format!("cannot run `{program}`: {error}")),
    };
    checked.push((modules.to_string(), reason.clone()));
    reason
}

/// Call first in a test that needs `modules` (comma separated, as `import` takes them).
/// `None`: go on. Otherwise the test should return (skip); the reason has been written
/// to the terminal and is repeated when the test binary ends. Under CI this panics.
pub fn skip_reason(modules: &str) -> Option<String> {
    let reason = unavailable(modules)?;
    let ci = std::env::var("CI").ok();
    if super::soffice::required_by(ci.as_deref()) {
        panic!(
            "Python packages are required when CI is set (CI={}), but {reason}; {HOW_TO_INSTALL}",
            ci.unwrap_or_default()
        );
    }
    announce_skip(&reason);
    Some(reason)
}

static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static REASON: OnceLock<String> = OnceLock::new();

fn announce_skip(reason: &str) {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test")
        .to_string();
    let _ = std::io::stderr()
        .write_all(format!("SKIPPED Python check in {test}: {reason}\n").as_bytes());
    let _ = REASON.set(reason.to_string());
    if let Ok(mut skipped) = SKIPPED.lock() {
        skipped.push(test);
    }
    static SUMMARY: Once = Once::new();
    SUMMARY.call_once(|| {
        // SAFETY: registers a plain `extern "C"` function that takes no arguments.
        unsafe { libc::atexit(print_summary) };
    });
}

extern "C" fn print_summary() {
    let Ok(skipped) = SKIPPED.lock() else {
        return;
    };
    let reason = REASON
        .get()
        .map_or("Python packages unavailable", String::as_str);
    let line = format!(
        "\nSKIPPED: {} Python check(s) ({reason}): {}.\n  To run them, {HOW_TO_INSTALL}; with CI=true they fail instead of skipping.\n",
        skipped.len(),
        skipped.join(", ")
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs `script` (a path under the repository) with `input` on stdin; its stdout.
pub fn run(script: &Path, input: &str) -> Result<String, String> {
    let mut child = Command::new(program())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| format!("writing to {}: {e}", script.display()))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}
