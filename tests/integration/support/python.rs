//! Python with the packages a test's independent recomputation needs (pandas,
//! statsmodels, openpyxl): whether it is there (a test skips with a reason the user
//! sees, or fails under CI, like the LibreOffice checks), and running a script.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use crate::support::soffice::required_by;

/// How to get the packages, said with every skip.
const HOW_TO_INSTALL: &str = "install them with `pip install -r tests/requirements.txt` (or point PYTHON at a Python that has them)";

/// The program: `$PYTHON` when set, else `python3` on the PATH.
pub fn program() -> OsString {
    std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into())
}

/// Call first in a test that needs Python with `modules`. `None`: go on. Otherwise the
/// test should return (skip): the reason has been written to the terminal. Under CI
/// this panics instead: there the recomputation is required.
pub fn skip_reason(modules: &[&str]) -> Option<String> {
    let imports = format!("import {}", modules.join(", "));
    let reason = match Command::new(program()).args(["-c", &imports]).output() {
        Ok(output) if output.status.success() => return None,
        Ok(output) => format!(
            "`{imports}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(error) => format!("{} cannot run: {error}", program().to_string_lossy()),
    };
    let ci = std::env::var("CI").ok();
    if required_by(ci.as_deref()) {
        panic!(
            "Python with {modules:?} is required when CI is set, but {reason}; {HOW_TO_INSTALL}"
        );
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let line = format!("SKIPPED Python check in {test}: {reason}; {HOW_TO_INSTALL}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    Some(reason)
}

/// Runs `script` with `args`; its stdout, or a panic with its stderr.
pub fn run(script: &Path, args: &[&Path]) -> String {
    let output = Command::new(program())
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
