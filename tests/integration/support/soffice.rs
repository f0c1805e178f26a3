//! Headless LibreOffice (`soffice`) for the tests that use it as a spreadsheet oracle:
//! whether it is there (a test skips with a reason the user sees, or fails under CI),
//! and recalculating every formula of a workbook in a fresh private profile.
//!
//! Facts this relies on:
//! - LibreOffice keeps the cached results stored in an .xlsx unless the profile says
//!   "recalculate on load: always" (`Formula/Load/OOXMLRecalcMode` = 0), so each run gets
//!   a new profile with that setting. Two runs sharing a profile collide, so a profile
//!   per run also lets tests run in parallel.
//! - `soffice --convert-to` exits 0 even when it could not load the file: success is
//!   judged by the output file.
//! - Functions newer than Excel 2007 need the `_xlfn.` prefix in the file, or they come
//!   back `#NAME?` (the tests write formulas with rust_xlsxwriter, which adds it).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

/// How to get LibreOffice, said with every skip.
const HOW_TO_INSTALL: &str = "install LibreOffice Calc 24.8 or newer (Debian/Ubuntu: \
     `apt-get install libreoffice-calc-nogui`; on Debian 12 from bookworm-backports) or point \
     SOFFICE at its soffice";

/// One conversion takes about a second; a hung LibreOffice must not hang the tests.
const TIMEOUT: Duration = Duration::from_secs(300);

/// The program: `$SOFFICE` when set, else `soffice` on the PATH.
pub fn program() -> OsString {
    std::env::var_os("SOFFICE").unwrap_or_else(|| "soffice".into())
}

/// Whether the tests must have LibreOffice: the `CI` variable is set, not empty and
/// not `false`.
pub fn required_by(ci: Option<&str>) -> bool {
    ci.is_some_and(|value| !value.is_empty() && !value.eq_ignore_ascii_case("false"))
}

/// Why LibreOffice cannot run here, or `None` when `soffice --version` works (asked
/// once per test binary).
fn unavailable() -> Option<&'static str> {
    static REASON: OnceLock<Option<String>> = OnceLock::new();
    REASON
        .get_or_init(|| {
            let program = program();
            let shown = program.to_string_lossy();
            match Command::new(&program).arg("--version").output() {
                Ok(output) if output.status.success() => {
                    too_old(&String::from_utf8_lossy(&output.stdout))
                }
                Ok(output) => Some(format!(
                    "`{shown} --version` failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                )),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    Some(match std::env::var_os("SOFFICE") {
                        Some(_) => format!("SOFFICE={shown} does not exist"),
                        None => "soffice is not on the PATH".to_string(),
                    })
                }
                Err(error) => Some(format!("cannot run `{shown}`: {error}")),
            }
        })
        .as_deref()
}

/// The oldest LibreOffice that knows every function the tests use: 24.8 brought
/// XLOOKUP and XMATCH (the oracle cases and the shipped rules use them).
const OLDEST: (u32, u32) = (24, 8);

/// Why the LibreOffice that printed `version` (`LibreOffice 25.2.3.2 520(Build:2)`) is
/// too old, if it is; a version line it cannot read is given the benefit of the doubt.
fn too_old(version: &str) -> Option<String> {
    let number = version.split_whitespace().nth(1)?;
    let mut parts = number.split('.').map(str::parse::<u32>);
    let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
        return None;
    };
    ((major, minor) < OLDEST).then(|| {
        format!(
            "LibreOffice {number} is older than {}.{}, the first with XLOOKUP and XMATCH",
            OLDEST.0, OLDEST.1
        )
    })
}

/// Call first in a test that needs LibreOffice. `None`: go on. Otherwise the test
/// should return (skip) with the reason given, which has been written to the terminal
/// and is repeated in a summary when the test binary ends. Under CI this panics
/// instead: there the oracle is required.
pub fn skip_reason() -> Option<String> {
    let reason = unavailable()?;
    let ci = std::env::var("CI").ok();
    if required_by(ci.as_deref()) {
        panic!(
            "LibreOffice is required when CI is set (CI={}), but {reason}; {HOW_TO_INSTALL}",
            ci.unwrap_or_default()
        );
    }
    announce_skip(reason);
    Some(reason.to_string())
}

/// Tests that skipped, for the summary.
static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Says that the current test skipped, where `cargo test` shows it: libtest captures
/// what a passing test prints with `print!`/`eprint!`, but not what is written to the
/// process's stderr directly. The same goes into one summary line printed at exit,
/// below libtest's `test result:` line.
fn announce_skip(reason: &str) {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test")
        .to_string();
    let line = format!("SKIPPED LibreOffice check in {test}: {reason}\n");
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
    let reason = unavailable().unwrap_or("LibreOffice unavailable");
    let (checks, them) = match skipped.len() {
        1 => ("check", "it"),
        _ => ("checks", "them"),
    };
    let line = format!(
        "\nSKIPPED: {} LibreOffice {checks} ({reason}): {}.\n  To run {them}, {HOW_TO_INSTALL}; \
         with CI=true they fail instead of skipping.\n",
        skipped.len(),
        skipped.join(", ")
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Recalculates every formula of `input` in LibreOffice and saves the result as
/// `out_dir/<input's stem>.xlsx` (cached values now LibreOffice's); returns that path.
/// An error means LibreOffice could not load the file.
pub fn recalculate(input: &Path, out_dir: &Path) -> Result<PathBuf, String> {
    convert(input, out_dir, "xlsx:Calc MS Excel 2007 XML")?;
    let output = out_dir.join(format!("{}.xlsx", stem(input)?));
    match std::fs::metadata(&output) {
        Ok(meta) if meta.len() > 0 => Ok(output),
        _ => Err(format!("LibreOffice could not load {}", input.display())),
    }
}

/// Writes every sheet of `workbook` as `out_dir/<stem>-<sheet>.csv` (UTF-8, comma, full
/// precision, formulas as their results) and returns the files written.
pub fn sheets_to_csv(workbook: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    // Filter tokens: comma, double quote, UTF-8, from row 1, standard cell formats,
    // en-US, quoted fields as text, detect special numbers, not "as shown", formulas
    // as results, spaces kept, -1 = every sheet (one file each, LibreOffice >= 7.2).
    convert(
        workbook,
        out_dir,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1",
    )?;
    let prefix = format!("{}-", stem(workbook)?);
    let files: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .map_err(|e| format!("{}: {e}", out_dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".csv")
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "LibreOffice wrote no CSV for {}",
            workbook.display()
        ));
    }
    Ok(files)
}

fn stem(path: &Path) -> Result<String, String> {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} has no file name", path.display()))
}

/// `soffice --convert-to FILTER --outdir OUT_DIR INPUT` in a fresh profile that
/// recalculates on load. `soffice`'s exit status says nothing; callers check the output.
fn convert(input: &Path, out_dir: &Path, filter: &str) -> Result<(), String> {
    let input = std::path::absolute(input).map_err(|e| format!("{}: {e}", input.display()))?;
    if !input.is_file() {
        return Err(format!("no such file: {}", input.display()));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let out_dir = std::path::absolute(out_dir).map_err(|e| e.to_string())?;
    if input.parent() == Some(out_dir.as_path()) {
        return Err("the output folder must not hold the input (it would be replaced)".into());
    }
    let profile = tempfile::Builder::new()
        .prefix("chanmix-soffice-profile-")
        .tempdir()
        .map_err(|e| format!("profile folder: {e}"))?;
    write_profile(profile.path())?;
    let log = profile.path().join("soffice.log");
    let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(program())
        .arg(format!(
            "-env:UserInstallation={}",
            file_url(profile.path())
        ))
        .args([
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            "--convert-to",
            filter,
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(&input)
        // Nothing is written to the caller's home folder.
        .env("HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program().to_string_lossy()))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if started.elapsed() < TIMEOUT => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "LibreOffice did not finish converting {} within {TIMEOUT:?}: {said}",
                    input.display()
                ));
            }
            Err(e) => return Err(format!("waiting for LibreOffice: {e}")),
        }
    }
}

/// A profile whose only setting is "recalculate on load: always" for .xlsx (OOXML) and
/// .ods (ODF) files.
fn write_profile(profile: &Path) -> Result<(), String> {
    let user = profile.join("user");
    std::fs::create_dir_all(&user).map_err(|e| format!("{}: {e}", user.display()))?;
    let item = |mode: &str| {
        format!(
            "<item oor:path=\"/org.openoffice.Office.Calc/Formula/Load\">\
             <prop oor:name=\"{mode}\" oor:op=\"fuse\"><value>0</value></prop></item>\n"
        )
    };
    let xcu = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n{}{}</oor:items>\n",
        item("OOXMLRecalcMode"),
        item("ODFRecalcMode")
    );
    let path = user.join("registrymodifications.xcu");
    std::fs::write(&path, xcu).map_err(|e| format!("{}: {e}", path.display()))
}

/// `file://` URL of an absolute path, bytes outside the unreserved set percent-encoded.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut url = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[test]
fn ci_requires_libreoffice_unless_unset_empty_or_false() {
    assert!(required_by(Some("true")));
    assert!(required_by(Some("1")));
    assert!(required_by(Some("yes")));
    assert!(!required_by(None));
    assert!(!required_by(Some("")));
    assert!(!required_by(Some("false")));
    assert!(!required_by(Some("FALSE")));
}

#[test]
fn libreoffice_before_24_8_is_too_old() {
    assert!(too_old("LibreOffice 7.4.7.2 40(Build:2)").is_some());
    assert!(too_old("LibreOffice 24.2.7.2 420(Build:2)").is_some());
    assert_eq!(too_old("LibreOffice 24.8.0.3 480(Build:3)"), None);
    assert_eq!(too_old("LibreOffice 25.2.3.2 520(Build:2)"), None);
    assert_eq!(too_old("something else"), None);
}

#[test]
fn profile_urls_escape_what_a_url_cannot_hold() {
    assert_eq!(
        file_url(Path::new("/tmp/a b/ü%.x")),
        "file:///tmp/a%20b/%C3%BC%25.x"
    );
}
