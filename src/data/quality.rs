//! The data-quality log: every cell that was repaired, kept as an error, or caused its
//! row to be rejected, plus per-table row counts, so nothing is dropped silently.

use std::path::PathBuf;

use serde::Serialize;

/// The data-quality action of a formula cell the file stores no result for.
pub(crate) const UNCALCULATED_ACTION: &str = "formula without a saved result, read as blank (the file was saved without calculating; open and save it in Excel or LibreOffice)";
/// The data-quality action of a hidden sheet a `sheet_pattern` matched.
pub(crate) const FILLED_ACTION: &str =
    "not in the export: every row has the scenario's `fill` text";
/// The data-quality action of a column numbered row by row (`row_numbers`).
pub(crate) const ROW_NUMBERS_ACTION: &str =
    "not in the export: each row numbered in the order read (the scenario's `row_numbers`)";
pub(crate) const HIDDEN_SHEET_ACTION: &str = "hidden sheet skipped: sheet_pattern reads visible sheets only (name it in `sheets` to read it)";

/// One cell worth a reader's attention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityEntry {
    pub table: String,
    pub file: PathBuf,
    /// `Opportunities!F7`, with the sheet's real row and column.
    pub cell: String,
    /// Rule column name.
    pub column: String,
    /// The cell as found (text as written, numbers in General format, `""` for blank).
    pub raw: String,
    /// What the column expects, e.g. "a number".
    pub expected: String,
    /// What was done: `kept as #VALUE!`, `kept as blank`, `row rejected`,
    /// `repaired: parsed '$1,234' as 1234`.
    pub action: String,
}

/// Row and cell counts for one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub table: String,
    /// Data rows found below the header (rows with at least one non-empty cell).
    pub rows_read: usize,
    /// Rows in the table.
    pub rows_kept: usize,
    /// Rows dropped by `on_bad_cell = "reject-row"`.
    pub rows_rejected: usize,
    /// Entirely empty rows between the header and the last data row (not data).
    pub blank_rows_skipped: usize,
    /// Cells listed in the log for this table (repaired, kept as error/blank, or rejecting).
    pub cells_reported: usize,
    /// Of those, cells repaired into a valid value.
    pub cells_repaired: usize,
    /// Cells counted but not listed one by one, past [`MAX_ENTRIES_PER_COLUMN`].
    pub cells_not_listed: usize,
}

/// How an entry's action starts when it records how a date column's layout was
/// decided (day/month or month/day), rather than a cell that needed care.
pub const DATE_LAYOUT_NOTE: &str = "date layout:";

/// How an entry's action starts when a `rename` names a header the sheet lacks.
pub const RENAME_UNUSED_NOTE: &str = "rename not applied:";

/// What an entry records, read from its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A cell read after a repair (a dressed number, trimmed spaces, a serial as text).
    Repaired,
    /// A cell kept as an error value (unreadable, or an error in the export).
    KeptAsError,
    /// A required cell that was blank, kept blank.
    KeptBlank,
    /// A row dropped by `on_bad_cell = "reject-row"`.
    RowRejected,
    /// Cells past the per-column listing cap (counted, not listed).
    NotListed,
    /// How a date column's layout was decided.
    DateLayout,
    /// A `rename` whose header is not in the sheet.
    RenameUnused,
    /// A column the export does not have, filled by the scenario (`fill`).
    Filled,
    /// An identifier the export does not have, numbered row by row (`row_numbers`).
    RowNumbered,
}

impl QualityEntry {
    /// What the entry records (its action's wording, as the readers write it).
    pub fn kind(&self) -> EntryKind {
        let action = self.action.as_str();
        if action.starts_with("repaired") {
            EntryKind::Repaired
        } else if action.starts_with("kept as blank") {
            EntryKind::KeptBlank
        } else if action.starts_with("kept as") {
            EntryKind::KeptAsError
        } else if action.starts_with("row rejected") {
            EntryKind::RowRejected
        } else if action.starts_with(DATE_LAYOUT_NOTE) {
            EntryKind::DateLayout
        } else if action.starts_with(RENAME_UNUSED_NOTE) {
            EntryKind::RenameUnused
        } else if action == FILLED_ACTION {
            EntryKind::Filled
        } else if action == ROW_NUMBERS_ACTION {
            EntryKind::RowNumbered
        } else {
            EntryKind::NotListed
        }
    }
}

/// Per table and column, at most this many entries are listed; the rest are counted
/// (a summary entry says how many), so a systematically dirty 1M-row column does not
/// produce a million-row log.
pub const MAX_ENTRIES_PER_COLUMN: usize = 10_000;

/// Everything the readers noticed, in table, sheet and row order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualityLog {
    pub entries: Vec<QualityEntry>,
    pub counts: Vec<TableCounts>,
}

impl QualityLog {
    /// Counts for `table`, if it was read.
    pub fn counts_for(&self, table: &str) -> Option<&TableCounts> {
        self.counts.iter().find(|c| c.table == table)
    }

    /// Entries for `table`.
    pub fn entries_for<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a QualityEntry> {
        self.entries.iter().filter(move |e| e.table == table)
    }

    /// What the console must say besides the Data Quality sheet, per table: hidden
    /// sheets a `sheet_pattern` left out, and formula cells read as blank because the
    /// file stores no result for them.
    pub fn console_notes(&self) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        let mut tables: Vec<&str> = self.entries.iter().map(|e| e.table.as_str()).collect();
        tables.dedup();
        for table in tables {
            let hidden: Vec<String> = self
                .entries_for(table)
                .filter(|e| e.action == HIDDEN_SHEET_ACTION)
                .map(|e| format!("'{}'", e.cell))
                .collect();
            if !hidden.is_empty() {
                notes.push((
                    table.to_string(),
                    format!(
                        "left out hidden sheet{} {} that sheet_pattern matches (name a sheet in `sheets` to read it)",
                        if hidden.len() == 1 { "" } else { "s" },
                        hidden.join(", ")
                    ),
                ));
            }
            let uncalculated: Vec<&QualityEntry> = self
                .entries_for(table)
                .filter(|e| e.action == UNCALCULATED_ACTION)
                .collect();
            if let Some(first) = uncalculated.first() {
                notes.push((
                    table.to_string(),
                    format!(
                        "{} formula cell{} with no saved result read as blank (first: {}); the file was saved without calculating, open and save it in Excel or LibreOffice (see the Data Quality sheet)",
                        uncalculated.len(),
                        if uncalculated.len() == 1 { "" } else { "s" },
                        first.cell
                    ),
                ));
            }
        }
        notes
    }
}
