//! LibreOffice as an independent oracle for our workbooks: recalculate every formula
//! with `../shared/tools/recalc.sh` and check the results against the cached values we wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Range, Reader, Xlsx, open_workbook};

/// What one check looked at.
#[derive(Debug, Default)]
pub struct Report {
    pub sheets: Vec<String>,
    /// Formula cells whose LibreOffice result was compared with our cached value.
    pub formulas_checked: usize,
    /// Error cells found after recalculation that we wrote on purpose.
    pub intended_errors: usize,
    /// Why nothing was checked (LibreOffice missing outside CI).
    pub skipped: Option<String>,
}

/// Relative tolerance for recomputed numbers (LibreOffice keeps 15 significant digits).
const RELATIVE: f64 = 1e-9;

/// The recalc script: `<repo>/../shared/tools/recalc.sh`, or `CHANMIX_TOOLS/recalc.sh`;
/// helper worktrees live one level deeper, so their grandparent is tried too.
fn recalc_script() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CHANMIX_TOOLS") {
        candidates.push(PathBuf::from(dir).join("recalc.sh"));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for up in manifest.ancestors().skip(1).take(2) {
        candidates.push(up.join("shared/tools/recalc.sh"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

fn soffice_available() -> bool {
    let program = std::env::var("SOFFICE").unwrap_or_else(|_| "soffice".to_string());
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Recalculates `xlsx` with LibreOffice and checks that (a) it loads, (b) it has the same
/// sheets and row counts, (c) every formula cell recomputes to our cached value (numbers
/// within 1e-9 relative), (d) no error cell or `Err:` text appears that we did not write.
/// Without LibreOffice this prints why and skips, unless `CI` is set (then it fails).
pub fn recalc_and_compare(xlsx: &Path) -> Result<Report, String> {
    let script = recalc_script();
    let reason = match (&script, soffice_available()) {
        (None, _) => Some("recalc.sh not found (set CHANMIX_TOOLS)".to_string()),
        (_, false) => {
            Some("soffice not installed (run shared/tools/install_libreoffice.sh)".to_string())
        }
        _ => None,
    };
    if let Some(reason) = reason {
        if std::env::var_os("CI").is_some() {
            return Err(format!("LibreOffice check required in CI: {reason}"));
        }
        eprintln!("skipping LibreOffice check of {}: {reason}", xlsx.display());
        return Ok(Report {
            skipped: Some(reason),
            ..Report::default()
        });
    }
    let script = script.ok_or("no script")?;
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let output = Command::new("bash")
        .arg(&script)
        .arg(xlsx)
        .arg(out.path())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "(a) LibreOffice could not load {} (exit {:?}): {}",
            xlsx.display(),
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stem = xlsx
        .file_stem()
        .ok_or("no file name")?
        .to_string_lossy()
        .to_string();
    let recalculated = out.path().join(format!("{stem}.xlsx"));
    let mut ours: Xlsx<_> = open_workbook(xlsx).map_err(|e| format!("calamine on ours: {e}"))?;
    let mut theirs: Xlsx<_> =
        open_workbook(&recalculated).map_err(|e| format!("calamine on LibreOffice's: {e}"))?;

    let mut problems = Vec::new();
    let sheets = ours.sheet_names();
    if sheets != theirs.sheet_names() {
        return Err(format!(
            "(b) sheets differ: ours {:?}, LibreOffice {:?}",
            sheets,
            theirs.sheet_names()
        ));
    }
    let mut report = Report {
        sheets: sheets.clone(),
        ..Report::default()
    };
    for sheet in &sheets {
        let values = ours.worksheet_range(sheet).map_err(|e| e.to_string())?;
        let formulas = ours.worksheet_formula(sheet).map_err(|e| e.to_string())?;
        let recalc = theirs.worksheet_range(sheet).map_err(|e| e.to_string())?;
        let rows = |r: &Range<Data>| r.end().map_or(0, |(row, _)| row + 1);
        if rows(&values) != rows(&recalc) {
            problems.push(format!(
                "(b) {sheet}: {} rows in ours, {} after LibreOffice",
                rows(&values),
                rows(&recalc)
            ));
        }
        // (c) every formula recomputes to the cached value.
        for (row, column, formula) in formulas.used_cells() {
            if formula.is_empty() {
                continue;
            }
            let (row, column) = (
                row as u32 + formulas.start().map_or(0, |s| s.0),
                column as u32 + formulas.start().map_or(0, |s| s.1),
            );
            let cached = values
                .get_value((row, column))
                .cloned()
                .unwrap_or(Data::Empty);
            let got = recalc
                .get_value((row, column))
                .cloned()
                .unwrap_or(Data::Empty);
            report.formulas_checked += 1;
            if !same(&cached, &got) {
                problems.push(format!(
                    "(c) {sheet}!{} ={formula}: cached {cached:?}, LibreOffice {got:?}",
                    cell_name(row, column)
                ));
            }
        }
        // (d) no error we did not write.
        for (row, column, value) in recalc.used_cells() {
            let (row, column) = (
                row as u32 + recalc.start().map_or(0, |s| s.0),
                column as u32 + recalc.start().map_or(0, |s| s.1),
            );
            let suspicious = match value {
                Data::Error(_) => true,
                Data::String(s) => s.starts_with("Err:") || s == "#NAME?" || s == "#REF!",
                _ => false,
            };
            if !suspicious {
                continue;
            }
            let original = values
                .get_value((row, column))
                .cloned()
                .unwrap_or(Data::Empty);
            if same(&original, value) {
                report.intended_errors += 1;
            } else {
                problems.push(format!(
                    "(d) {sheet}!{}: LibreOffice shows {value:?} where we wrote {original:?}",
                    cell_name(row, column)
                ));
            }
        }
    }
    // The CSV dump shows what a reader sees; `Err:NNN` is LibreOffice's own error text.
    if let Ok(entries) = std::fs::read_dir(out.path().join("csv")) {
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains("Err:") {
                problems.push(format!(
                    "(d) {} contains an Err: cell",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(problems.join("\n"))
    }
}

/// Whether two cell values agree: numbers within the tolerance, the rest exactly.
fn same(a: &Data, b: &Data) -> bool {
    let number = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::DateTime(d) => Some(d.as_f64()),
        _ => None,
    };
    match (a, b) {
        (Data::Empty, Data::String(s)) | (Data::String(s), Data::Empty) => s.is_empty(),
        (Data::Bool(x), Data::Bool(y)) => x == y,
        (Data::String(x), Data::String(y)) => x == y,
        (Data::Error(x), Data::Error(y)) => x == y,
        (Data::Empty, Data::Empty) => true,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => {
                let diff = (x - y).abs();
                diff <= RELATIVE * x.abs().max(y.abs()) || diff < 1e-12
            }
            _ => false,
        },
    }
}

/// `A1` style name of a zero-based cell.
pub fn cell_name(row: u32, column: u32) -> String {
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(char::from(b'A' + ((n - 1) % 26) as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}
