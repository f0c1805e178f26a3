//! Texts longer than an Excel cell holds (32,767 characters, counted as Excel counts
//! them, in UTF-16 units): shortened in the workbook, with a visible marker at the cut,
//! and each one recorded with its sheet and cell for the Data Quality sheet and the
//! console. The JSON output keeps every text whole.
//!
//! Every text a sheet writes goes through [`CellText`] (or [`fit`]), so no writer can
//! forget the limit. What was shortened is recorded where the cut is made, in a list
//! kept per thread while [`collecting`] runs (a workbook is built on one thread), so
//! the sheet writers need not pass a list around; the Data Quality sheet, built last,
//! reads it with [`shortened_so_far`].

use std::borrow::Cow;
use std::cell::RefCell;

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::report::formula::column_letters;

/// The most characters (UTF-16 units) an Excel cell holds.
pub const MAX_CELL_CHARS: usize = 32_767;

/// One text shortened to fit its cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortened {
    pub sheet: String,
    /// `D7`.
    pub cell: String,
    /// How long the whole text is, in characters.
    pub characters: usize,
}

impl Shortened {
    /// `'Recommendations'!D7 (40,000 characters)`.
    pub fn describe(&self) -> String {
        format!(
            "'{}'!{} ({} characters)",
            self.sheet,
            self.cell,
            thousands(self.characters)
        )
    }
}

thread_local! {
    static SHORTENED: RefCell<Option<Vec<Shortened>>> = const { RefCell::new(None) };
}

/// Runs `build` and returns, beside its result, every text it shortened.
pub fn collecting<T>(build: impl FnOnce() -> T) -> (T, Vec<Shortened>) {
    let outer = SHORTENED.with(|list| list.replace(Some(Vec::new())));
    let built = build();
    let shortened = SHORTENED
        .with(|list| list.replace(outer))
        .unwrap_or_default();
    (built, shortened)
}

/// What has been shortened so far in the current [`collecting`], in order, for the
/// Data Quality sheet written last.
pub fn shortened_so_far() -> Vec<Shortened> {
    SHORTENED.with(|list| list.borrow().clone().unwrap_or_default())
}

fn record(shortened: Shortened) {
    SHORTENED.with(|list| {
        if let Some(list) = list.borrow_mut().as_mut() {
            list.push(shortened);
        }
    });
}

/// `text` as the cell at `row`, `column` of `sheet` can hold it: whole when it fits,
/// else cut, with a marker saying how long it was, and recorded.
pub fn fit<'a>(sheet: &str, row: u32, column: u16, text: &'a str) -> Cow<'a, str> {
    if fits(text) {
        return Cow::Borrowed(text);
    }
    let characters = text.chars().count();
    let marker = format!(
        " … [cut: {} characters in all — the run's JSON output has the whole text]",
        thousands(characters)
    );
    let room = MAX_CELL_CHARS - marker.encode_utf16().count();
    let mut used = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        used += c.len_utf16();
        if used > room {
            break;
        }
        end = at + c.len_utf8();
    }
    record(Shortened {
        sheet: sheet.to_string(),
        cell: format!("{}{}", column_letters(column), row + 1),
        characters,
    });
    Cow::Owned(format!("{}{marker}", text.get(..end).unwrap_or_default()))
}

/// Whether a cell holds `text` whole. UTF-8 never takes fewer bytes than UTF-16 units,
/// so short texts are not counted.
fn fits(text: &str) -> bool {
    text.len() <= MAX_CELL_CHARS || text.encode_utf16().count() <= MAX_CELL_CHARS
}

/// `text` fitted into a cell of `sheet` (whose name is asked only for a long text:
/// rust_xlsxwriter hands it out as a new String).
pub fn fit_in<'a>(sheet: &Worksheet, row: u32, column: u16, text: &'a str) -> Cow<'a, str> {
    if fits(text) {
        Cow::Borrowed(text)
    } else {
        fit(&sheet.name(), row, column, text)
    }
}

/// Writing text into a worksheet within a cell's limit (see [`fit`]); the same calls as
/// rust_xlsxwriter's `write_string`, `write_string_with_format` and `merge_range`.
pub trait CellText {
    fn write_text(&mut self, row: u32, column: u16, text: &str) -> Result<(), XlsxError>;
    fn write_text_with_format(
        &mut self,
        row: u32,
        column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError>;
    #[allow(clippy::too_many_arguments)]
    fn merge_text(
        &mut self,
        first_row: u32,
        first_column: u16,
        last_row: u32,
        last_column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError>;
}

impl CellText for Worksheet {
    fn write_text(&mut self, row: u32, column: u16, text: &str) -> Result<(), XlsxError> {
        let text = fit_in(self, row, column, text);
        self.write_string(row, column, &*text)?;
        Ok(())
    }

    fn write_text_with_format(
        &mut self,
        row: u32,
        column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let text = fit_in(self, row, column, text);
        self.write_string_with_format(row, column, &*text, format)?;
        Ok(())
    }

    fn merge_text(
        &mut self,
        first_row: u32,
        first_column: u16,
        last_row: u32,
        last_column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let text = fit_in(self, first_row, first_column, text);
        self.merge_range(
            first_row,
            first_column,
            last_row,
            last_column,
            &text,
            format,
        )?;
        Ok(())
    }
}

/// `40000` → `40,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_marked_and_recorded() {
        let (fitted, shortened) = collecting(|| {
            let short = fit("S", 0, 0, "short");
            assert!(matches!(short, Cow::Borrowed("short")));
            let exact = "x".repeat(MAX_CELL_CHARS);
            assert!(matches!(fit("S", 0, 0, &exact), Cow::Borrowed(_)));
            fit("Flags", 6, 3, &"y".repeat(40_000)).into_owned()
        });
        assert_eq!(fitted.encode_utf16().count(), MAX_CELL_CHARS);
        assert!(fitted.starts_with("yyyy"), "{}", &fitted[..10]);
        assert!(fitted.ends_with(
            " … [cut: 40,000 characters in all — the run's JSON output has the whole text]"
        ));
        assert_eq!(
            shortened,
            vec![Shortened {
                sheet: "Flags".into(),
                cell: "D7".into(),
                characters: 40_000
            }]
        );
        assert_eq!(shortened[0].describe(), "'Flags'!D7 (40,000 characters)");
    }

    #[test]
    fn excel_counts_utf16_units() {
        // 20,000 emoji are 40,000 UTF-16 units: over the limit in Excel's count though
        // only 20,000 characters; no emoji is split in half.
        let emoji = "😀".repeat(20_000);
        let (fitted, shortened) = collecting(|| fit("S", 0, 0, &emoji).into_owned());
        assert!(fitted.encode_utf16().count() <= MAX_CELL_CHARS);
        assert!(fitted.starts_with("😀😀"));
        assert_eq!(shortened.len(), 1);
        assert_eq!(shortened[0].characters, 20_000);
        // 16,000 emoji are 32,000 units: they fit.
        let fits = "😀".repeat(16_000);
        assert!(matches!(fit("S", 0, 0, &fits), Cow::Borrowed(_)));
    }

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(32_768), "32,768");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
