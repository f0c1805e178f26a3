//! LibreOffice as an independent oracle for our workbooks: recalculate every formula
//! (`support::soffice`) and check the results against the cached values we wrote.

use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx, open_workbook};

use super::soffice;

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

/// Recalculates `xlsx` with LibreOffice and checks that (a) it loads, (b) it has the same
/// sheets and row counts, (c) every formula cell recomputes to our cached value (numbers
/// within 1e-9 relative), (d) no error cell or `Err:` text appears that we did not write.
/// Without LibreOffice this skips with the reason shown (`soffice::skip_reason`), unless
/// `CI` is set (then it panics).
pub fn recalc_and_compare(xlsx: &Path) -> Result<Report, String> {
    if let Some(reason) = soffice::skip_reason() {
        return Ok(Report {
            skipped: Some(reason),
            ..Report::default()
        });
    }
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let recalculated = soffice::recalculate(xlsx, out.path()).map_err(|e| format!("(a) {e}"))?;
    // The CSV dump shows what a reader sees; `Err:NNN` is LibreOffice's own error text.
    let csv_files = soffice::sheets_to_csv(&recalculated, &out.path().join("csv"))?;
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
    for file in &csv_files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.contains("Err:") {
            problems.push(format!(
                "(d) {} contains an Err: cell",
                file.file_name().unwrap_or_default().to_string_lossy()
            ));
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
    letters.iter().rev().collect::<String>() + (row + 1).to_string().as_str()
}
