//! Turns one sheet's cells, streamed in row order, into typed columns: finds the
//! header, maps export headers to rule columns, coerces cells and applies the bad-cell policy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::address::cell_address;
use crate::data::budget::Meter;
use crate::data::coerce::{CoerceContext, Coerced, RawCell, coerce, expected_text};
use crate::data::dates::{
    Layout, LayoutEvidence, LayoutProblem, Reading, both_readings_text, parse_with_format,
    swap_day_and_month, two_readings,
};
use crate::data::error::DataError;
use crate::data::quality::{
    DATE_LAYOUT_NOTE, MAX_ENTRIES_PER_COLUMN, QualityEntry, RENAME_UNUSED_NOTE, TableCounts,
    UNCALCULATED_ACTION,
};
use crate::data::sheet_rows::SheetRows;
use crate::data::spec::{BadCellPolicy, DeclaredType};
use crate::suggest::Suggestion;
use crate::table::column::{ColumnBuilder, ColumnValues};
use crate::table::intern::Interner;
use crate::value::ValueType;
use crate::value::{ErrorKind, Value};

/// Columns in an Excel sheet (A to XFD).
const EXCEL_COLUMNS: usize = 16_384;
/// Rows in an Excel sheet: spreadsheet formats cannot hold more, so a row past it is
/// damaged markup (rows without numbers counted on and on), not data.
pub(crate) const EXCEL_ROWS: u32 = 1_048_576;
/// What one stored cell costs besides its text (a `Value`, the widest column shape).
pub(crate) const CELL_BYTES: u64 = 16;

/// One column the table will hold.
#[derive(Debug, Clone)]
pub(crate) struct PlannedColumn {
    pub name: String,
    pub decl: DeclaredType,
    /// A key column: spaces around its text are trimmed (and each trim logged).
    pub trim: bool,
    /// How its text dates are written (chrono format); `None`: decided by the dates.
    pub date_format: Option<String>,
}

/// Everything about a table that does not depend on which sheet is being read.
#[derive(Debug, Clone)]
pub(crate) struct ReadPlan {
    pub name: String,
    /// Columns to read; empty with `all_headers` set means "every header, as `any`".
    pub columns: Vec<PlannedColumn>,
    pub all_headers: bool,
    pub key: Option<String>,
    /// Export header -> rule column name.
    pub rename: BTreeMap<String, String>,
    pub policy: BadCellPolicy,
    /// 0-based sheet row of the header.
    pub header_row: u32,
}

/// The columns read from one sheet, its log entries and counts.
#[derive(Debug, Default)]
pub(crate) struct SheetPart {
    pub path: PathBuf,
    pub sheet: String,
    /// Sheet column of each table column.
    pub sheet_columns: Vec<u32>,
    pub column_names: Vec<String>,
    pub column_decls: Vec<DeclaredType>,
    pub columns: Vec<ColumnValues>,
    /// 0-based sheet row of each kept row (recorded only for tables with a key).
    pub rows: SheetRows,
    pub entries: Vec<QualityEntry>,
    pub counts: TableCounts,
    /// Per column: entries listed, and entries not listed past the cap.
    pub listed: Vec<usize>,
    pub not_listed: Vec<usize>,
    /// One interner per column (see [`Interner::adaptive`]).
    pub interners: Vec<Interner>,
    /// A chunk's date evidence, when the layout is settled once all chunks are merged
    /// (see [`SheetBuilder::in_chunk`]).
    pub date_evidence: Vec<LayoutEvidence>,
    /// The last sheet row that held data (the header row when none did).
    pub last_data_row: u32,
    /// The whole file's SHA-256 (lower-case hex) and size, when the reader read every
    /// byte of it anyway (CSV), so it need not be read again to hash it.
    pub file_digest: Option<(String, u64)>,
}

impl SheetPart {
    /// Every column's values (tests compare them with expected cells).
    #[cfg(test)]
    pub fn column_values(&self) -> Vec<Vec<Value>> {
        self.columns
            .iter()
            .map(|c| c.values().into_owned())
            .collect()
    }
}

/// What a reader that types a chunk's columns itself needs of the resolved header.
#[derive(Debug, Clone)]
pub(crate) struct ChunkLayout {
    /// Sheet column -> slot (table column).
    pub slot_of_col: Vec<Option<usize>>,
    pub decls: Vec<DeclaredType>,
    pub trims: Vec<bool>,
    pub date_formats: Vec<Option<String>>,
    /// The row before the chunk's first (blank rows are counted from it).
    pub last_data_row: u32,
    /// Whether kept rows' sheet rows are recorded (tables with a key).
    pub track_rows: bool,
    pub ctx: CoerceContext,
}

/// A chunk's data rows typed by its reader, each kept as it is: every cell read as
/// its column's type with nothing to log (no repair, bad cell or blank required cell).
#[derive(Debug, Default)]
pub(crate) struct TypedRows {
    pub columns: Vec<ColumnValues>,
    /// Sheet row of each kept row (tables with a key).
    pub rows: SheetRows,
    pub rows_kept: usize,
    pub blank_rows_skipped: usize,
    pub last_data_row: u32,
    /// What the cells store, as [`SheetBuilder::cell`] charges them.
    pub charge: u64,
}

/// Why a cell is in the log.
#[derive(Debug)]
enum Finding {
    Repaired(String),
    Bad,
    ErrorKept(ErrorKind),
    BlankRequired,
    /// A formula cell without a stored result.
    Uncalculated,
}

#[derive(Debug)]
struct Pending {
    col: u32,
    slot: usize,
    raw: String,
    finding: Finding,
}

/// Streaming builder for one sheet; feed it cells with [`SheetBuilder::cell`] in
/// row-major order, then call [`SheetBuilder::finish`].
pub(crate) struct SheetBuilder<'p> {
    plan: &'p ReadPlan,
    path: PathBuf,
    sheet: String,
    ctx: CoerceContext,
    header: Vec<(u32, String)>,
    header_done: bool,
    /// Sheet column -> slot.
    slot_of_col: Vec<Option<usize>>,
    col_of_slot: Vec<u32>,
    /// Column name used in log entries and `#VALUE!` origins, e.g. `Opportunities.amount`.
    origin_names: Vec<Arc<str>>,
    /// Per slot: trim key text, the date format, and what the dates showed.
    trims: Vec<bool>,
    date_formats: Vec<Option<String>>,
    date_evidence: Vec<LayoutEvidence>,
    /// Slots of the current row holding a date that reads both ways.
    two_way_slots: Vec<usize>,
    part: SheetPart,
    /// The part's columns, stored compactly as rows arrive.
    columns: Vec<ColumnBuilder>,
    row: Option<u32>,
    row_values: Vec<Value>,
    row_nonempty: bool,
    pending: Vec<Pending>,
    last_data_row: u32,
    track_rows: bool,
    expected_rows: usize,
    /// What the read may still store (see `data::budget`).
    meter: Meter,
    /// Whether rows past Excel's last row are an error (every format but CSV).
    excel_rows: bool,
    /// One chunk of a sheet read in parallel: date layouts are settled after merging.
    defer_dates: bool,
    /// Whether unused renames are noted (only by the chunk holding the header).
    rename_notes: bool,
}

impl<'p> SheetBuilder<'p> {
    pub fn new(plan: &'p ReadPlan, path: PathBuf, sheet: String, ctx: CoerceContext) -> Self {
        SheetBuilder {
            plan,
            path,
            sheet,
            ctx,
            header: Vec::new(),
            header_done: false,
            slot_of_col: Vec::new(),
            col_of_slot: Vec::new(),
            origin_names: Vec::new(),
            trims: Vec::new(),
            date_formats: Vec::new(),
            date_evidence: Vec::new(),
            two_way_slots: Vec::new(),
            part: SheetPart::default(),
            columns: Vec::new(),
            row: None,
            row_values: Vec::new(),
            row_nonempty: false,
            pending: Vec::new(),
            last_data_row: plan.header_row,
            track_rows: plan.key.is_some(),
            expected_rows: 0,
            meter: Meter::default(),
            excel_rows: true,
            defer_dates: false,
            rename_notes: true,
        }
    }

    /// Builds one chunk of a sheet read in parallel, whose first row is `first_row`
    /// (`None` for the chunk holding the header). A later chunk is fed the header row
    /// first; it counts blank rows from its first row and notes no unused renames.
    /// Date evidence is handed over in the part, to settle once chunks are merged.
    pub fn in_chunk(mut self, first_row: Option<u32>) -> Self {
        self.defer_dates = true;
        if let Some(first) = first_row {
            self.last_data_row = first.saturating_sub(1).max(self.plan.header_row);
            self.rename_notes = false;
        }
        self
    }

    /// Charges what this sheet stores to `meter` (a read's shared budget).
    pub fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// Lets rows run past Excel's last row (CSV files have no such limit).
    pub fn without_row_limit(mut self) -> Self {
        self.excel_rows = false;
        self
    }

    /// The budget account of this sheet, for readers that store something of their own
    /// for it (the shared-string table).
    pub fn meter(&mut self) -> &mut Meter {
        &mut self.meter
    }

    /// Charges `bytes` about to be stored for this sheet; the error names the sheet.
    #[inline]
    pub fn charge(&mut self, bytes: u64, what: &str) -> Result<(), DataError> {
        // The sheet's name is formatted only for the error (this runs once a cell).
        self.meter
            .charge(bytes)
            .map_err(|e| e.error(&self.path, &format!("sheet '{}'", self.sheet), what))
    }

    /// Fails on a row past Excel's last row.
    #[inline]
    fn check_row(&self, row: u32) -> Result<(), DataError> {
        if self.excel_rows && row >= EXCEL_ROWS {
            return Err(DataError::CorruptSheet {
                path: self.path.clone(),
                sheet: self.sheet.clone(),
                detail: format!(
                    "it has a row past row {EXCEL_ROWS}, Excel's last row (rows without numbers counted past the end?)"
                ),
            });
        }
        Ok(())
    }

    /// Reserves room for about `rows` data rows (from the sheet's declared dimensions),
    /// so columns do not regrow and copy themselves while reading.
    pub fn expect_rows(&mut self, rows: u32) {
        // Excel's limit bounds what a (possibly wrong) dimension can make us allocate.
        self.expected_rows = rows.min(1_048_576) as usize;
    }

    /// Rows kept so far (for progress display).
    pub fn rows_kept(&self) -> usize {
        self.part.counts.rows_kept
    }

    /// Whether the cell at 0-based `row`, `col` is used: readers that can skip decoding
    /// a cell ask first, and report the skipped non-empty ones with [`Self::unread_cell`].
    pub fn wants(&mut self, row: u32, col: u32) -> Result<bool, DataError> {
        self.check_row(row)?;
        if row <= self.plan.header_row {
            return Ok(row == self.plan.header_row);
        }
        if !self.header_done {
            self.resolve_header()?;
        }
        Ok(self
            .slot_of_col
            .get(col as usize)
            .copied()
            .flatten()
            .is_some())
    }

    /// Per sheet column, whether the table reads it; call once [`Self::wants`] has been
    /// asked about a row below the header row (the header is resolved then).
    pub fn wanted_columns(&self) -> Vec<bool> {
        self.slot_of_col.iter().map(Option::is_some).collect()
    }

    /// How many leading columns of `row` matter: every column of the header row, none
    /// above it, and up to the last column the table reads below it (a reader of
    /// repeated runs visits no further; a non-empty cell past it only makes its row a
    /// data row, see [`Self::unread_cell`]).
    pub fn wanted_width(&mut self, row: u32) -> Result<u32, DataError> {
        self.check_row(row)?;
        if row < self.plan.header_row {
            return Ok(0);
        }
        if row == self.plan.header_row {
            return Ok(EXCEL_COLUMNS as u32);
        }
        if !self.header_done {
            self.resolve_header()?;
        }
        Ok(self.slot_of_col.len() as u32)
    }

    /// A non-empty cell the table does not use: it still makes its row a data row.
    pub fn unread_cell(&mut self, row: u32) -> Result<(), DataError> {
        self.check_row(row)?;
        if row <= self.plan.header_row {
            return Ok(());
        }
        self.move_to_row(row)?;
        self.row_nonempty = true;
        Ok(())
    }

    /// Moves to data row `row`: the header is resolved at the first data cell, and the
    /// previous row is finished when this cell starts a new one.
    #[inline]
    fn move_to_row(&mut self, row: u32) -> Result<(), DataError> {
        if !self.header_done {
            self.resolve_header()?;
        }
        if self.row != Some(row) {
            self.flush_row()?;
            self.row = Some(row);
        }
        Ok(())
    }

    /// One cell at 0-based `row`, `col`.
    pub fn cell(&mut self, row: u32, col: u32, raw: RawCell<'_>) -> Result<(), DataError> {
        self.check_row(row)?;
        if row < self.plan.header_row {
            return Ok(());
        }
        if row == self.plan.header_row {
            if !raw.is_empty() {
                let text_bytes = match raw {
                    RawCell::Text(t) | RawCell::SharedText(t) | RawCell::DateText(t) => t.len(),
                    _ => 24,
                };
                self.charge(CELL_BYTES * 2 + text_bytes as u64, "its header row")?;
                self.header.push((col, raw.display().trim().to_string()));
            }
            return Ok(());
        }
        self.move_to_row(row)?;
        if raw.is_empty() {
            return Ok(());
        }
        self.row_nonempty = true;
        let Some(slot) = self.slot_of_col.get(col as usize).copied().flatten() else {
            return Ok(());
        };
        if raw == RawCell::Uncalculated {
            if self.plan.policy == BadCellPolicy::Fail {
                let raw = "a formula without a saved result".to_string();
                return Err(self.bad_cell_error(row, col, slot, raw));
            }
            // Read as blank (a required column then reports the blank too), and said.
            self.pending.push(Pending {
                col,
                slot,
                raw: String::new(),
                finding: Finding::Uncalculated,
            });
            return Ok(());
        }
        let Some(decl) = self.part.column_decls.get(slot).copied() else {
            return Ok(());
        };
        let distinct_before = self.part.interners.get(slot).map(|i| i.len());
        let outcome = match self.read_key_or_date(slot, row, col, raw, decl.ty) {
            Some(outcome) => outcome,
            None => match self.part.interners.get_mut(slot) {
                Some(interner) => coerce(raw, decl.ty, self.ctx, interner),
                None => return Ok(()),
            },
        };
        // A cell costs its slot, and its characters when they were not shared with an
        // earlier cell of the column (a new string, or a column that stopped sharing).
        let new_text = match (&outcome, self.part.interners.get(slot)) {
            (
                Coerced::Value(Value::Text(t)) | Coerced::Repaired(Value::Text(t), _),
                Some(interner),
            ) if interner.gave_up() || Some(interner.len()) > distinct_before => t.len() as u64,
            _ => 0,
        };
        self.charge(CELL_BYTES + new_text, "its cells")?;
        let (value, finding) = match outcome {
            Coerced::Value(v) => (v, None),
            Coerced::Repaired(v, note) => (v, Some(Finding::Repaired(note))),
            Coerced::ErrorCell(v) => {
                let kind = v.error_kind().unwrap_or(ErrorKind::Value);
                (v, Some(Finding::ErrorKept(kind)))
            }
            Coerced::Bad => {
                let origin = self
                    .origin_names
                    .get(slot)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(""));
                let reason = format!(
                    "cannot read '{}' as {} ({})",
                    raw.display(),
                    expected_text(decl.ty),
                    cell_address(&self.sheet, row, col)
                );
                let index = self.part.counts.rows_kept;
                (
                    Value::error_at(ErrorKind::Value, &origin, Some(index), &reason),
                    Some(Finding::Bad),
                )
            }
        };
        if let Some(finding) = finding {
            if self.plan.policy == BadCellPolicy::Fail && !matches!(finding, Finding::Repaired(_)) {
                return Err(self.bad_cell_error(row, col, slot, raw.display()));
            }
            self.pending.push(Pending {
                col,
                slot,
                raw: raw.display(),
                finding,
            });
        }
        if let Some(target) = self.row_values.get_mut(slot) {
            *target = value;
        }
        Ok(())
    }

    /// A key column's text with spaces around it (trimmed, and logged), or a text date
    /// in a date column read with the column's format or by its layout evidence;
    /// `None` when the cell needs no such care.
    fn read_key_or_date(
        &mut self,
        slot: usize,
        row: u32,
        col: u32,
        raw: RawCell<'_>,
        ty: ValueType,
    ) -> Option<Coerced> {
        let (RawCell::Text(text) | RawCell::SharedText(text)) = raw else {
            return None;
        };
        match ty {
            ValueType::Text | ValueType::Any if self.trims.get(slot).copied().unwrap_or(false) => {
                let trimmed = text.trim();
                if trimmed.len() == text.len() {
                    return None;
                }
                let interner = self.part.interners.get_mut(slot)?;
                Some(
                    match coerce(RawCell::Text(trimmed), ty, self.ctx, interner) {
                        Coerced::Value(value) => Coerced::Repaired(
                            value,
                            format!("repaired: trimmed the spaces around '{text}'"),
                        ),
                        other => other,
                    },
                )
            }
            ValueType::Date => {
                let trimmed = text.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    return None;
                }
                if let Some(format) = self.date_formats.get(slot).cloned().flatten() {
                    return Some(match parse_with_format(trimmed, &format) {
                        Some(serial) if (1.0..2_958_466.0).contains(&serial) => {
                            Coerced::Value(Value::Date(serial))
                        }
                        _ => Coerced::Bad,
                    });
                }
                let reading = two_readings(trimmed)?;
                let sheet = &self.sheet;
                if let Some(evidence) = self.date_evidence.get_mut(slot) {
                    evidence.note(reading, || cell_address(sheet, row, col), trimmed);
                }
                Some(match reading {
                    Reading::One(serial)
                    | Reading::DayFirst(serial)
                    | Reading::MonthFirst(serial) => Coerced::Value(Value::Date(serial)),
                    Reading::Both(month_first) => {
                        self.two_way_slots.push(slot);
                        Coerced::Value(Value::Date(month_first))
                    }
                    Reading::Neither => Coerced::Bad,
                })
            }
            _ => None,
        }
    }

    fn bad_cell_error(&self, row: u32, col: u32, slot: usize, raw: String) -> DataError {
        let column = self
            .part
            .column_names
            .get(slot)
            .cloned()
            .unwrap_or_default();
        let ty = self
            .part
            .column_decls
            .get(slot)
            .map_or(ValueType::Any, |d| d.ty);
        DataError::BadCell {
            table: self.plan.name.clone(),
            path: self.path.clone(),
            cell: cell_address(&self.sheet, row, col),
            column,
            raw: if raw.is_empty() {
                "(blank)".to_string()
            } else {
                raw
            },
            expected: expected_text(ty).to_string(),
        }
    }

    /// Maps header cells to planned columns once the header row is complete.
    fn resolve_header(&mut self) -> Result<(), DataError> {
        self.header_done = true;
        if self.header.iter().all(|(_, h)| h.is_empty()) {
            return Err(DataError::NoHeaderRow {
                table: self.plan.name.clone(),
                path: self.path.clone(),
                sheet: self.sheet.clone(),
                header_row: self.plan.header_row + 1,
            });
        }
        // Rule name of each header cell, after `rename`.
        let renamed: Vec<(u32, &str, &str)> = self
            .header
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(col, h)| {
                let rule = self
                    .plan
                    .rename
                    .get(h.as_str())
                    .map_or(h.as_str(), String::as_str);
                (*col, h.as_str(), rule)
            })
            .collect();
        let columns: Vec<PlannedColumn> = if self.plan.all_headers {
            renamed
                .iter()
                .map(|(_, _, rule)| PlannedColumn {
                    name: (*rule).to_string(),
                    decl: DeclaredType {
                        ty: ValueType::Any,
                        optional: true,
                    },
                    trim: false,
                    date_format: None,
                })
                .collect()
        } else {
            self.plan.columns.clone()
        };
        let mut chosen: Vec<u32> = Vec::with_capacity(columns.len());
        for column in &columns {
            let exact: Vec<u32> = renamed
                .iter()
                .filter(|(_, _, rule)| *rule == column.name)
                .map(|(c, _, _)| *c)
                .collect();
            let matches = if exact.is_empty() {
                renamed
                    .iter()
                    .filter(|(_, _, rule)| rule.eq_ignore_ascii_case(&column.name))
                    .map(|(c, _, _)| *c)
                    .collect()
            } else {
                exact
            };
            match matches.as_slice() {
                [col] => chosen.push(*col),
                [first, second, ..] => {
                    return Err(DataError::DuplicateHeader {
                        table: self.plan.name.clone(),
                        path: self.path.clone(),
                        column: column.name.clone(),
                        first: cell_address(&self.sheet, self.plan.header_row, *first),
                        second: cell_address(&self.sheet, self.plan.header_row, *second),
                    });
                }
                [] => {
                    let headers: Vec<String> =
                        renamed.iter().map(|(_, h, _)| (*h).to_string()).collect();
                    let suggested =
                        Suggestion::closest(&column.name, headers.iter().map(String::as_str));
                    return Err(DataError::MissingColumn {
                        table: self.plan.name.clone(),
                        path: self.path.clone(),
                        sheet: self.sheet.clone(),
                        column: column.name.clone(),
                        header_row: self.plan.header_row + 1,
                        suggested,
                        headers,
                    });
                }
            }
        }
        let max_col = chosen.iter().copied().max().map_or(0, |c| c as usize + 1);
        // A damaged file can place a header cell anywhere in u32; Excel's grid ends at XFD.
        if max_col > EXCEL_COLUMNS {
            return Err(DataError::CorruptSheet {
                path: self.path.clone(),
                sheet: self.sheet.clone(),
                detail: format!(
                    "a header cell in column {max_col}, past Excel's last column (XFD, {EXCEL_COLUMNS})"
                ),
            });
        }
        self.slot_of_col = vec![None; max_col];
        for (slot, col) in chosen.iter().enumerate() {
            if let Some(entry) = self.slot_of_col.get_mut(*col as usize) {
                *entry = Some(slot);
            }
        }
        self.col_of_slot = chosen;
        self.trims = columns.iter().map(|c| c.trim).collect();
        self.date_formats = columns.iter().map(|c| c.date_format.clone()).collect();
        self.date_evidence = columns.iter().map(|_| LayoutEvidence::default()).collect();
        if self.rename_notes {
            let headers: Vec<String> = renamed.iter().map(|(_, h, _)| h.to_string()).collect();
            self.note_unused_renames(&headers);
        }
        self.origin_names = columns
            .iter()
            .map(|c| Arc::from(format!("{}.{}", self.plan.name, c.name).as_str()))
            .collect();
        self.part.column_names = columns.iter().map(|c| c.name.clone()).collect();
        self.part.column_decls = columns.iter().map(|c| c.decl).collect();
        let capacity = self
            .expected_rows
            .saturating_sub(self.plan.header_row as usize);
        self.columns = columns
            .iter()
            .map(|_| ColumnBuilder::with_capacity(capacity))
            .collect();
        self.part.interners = columns.iter().map(|_| Interner::adaptive()).collect();
        self.part.listed = vec![0; columns.len()];
        self.part.not_listed = vec![0; columns.len()];
        self.row_values = vec![Value::Blank; columns.len()];
        Ok(())
    }

    /// A `rename` whose export header is not in the header row does nothing: say so.
    fn note_unused_renames(&mut self, headers: &[String]) {
        for (header, target) in &self.plan.rename {
            if headers.iter().any(|h| h == header) {
                continue;
            }
            let hint = match Suggestion::closest(header, headers.iter().map(String::as_str)) {
                Some(s) => format!(" ({s})"),
                None => String::new(),
            };
            self.part.entries.push(QualityEntry {
                table: self.plan.name.clone(),
                file: self.path.clone(),
                cell: format!(
                    "{}:{}",
                    cell_address(&self.sheet, self.plan.header_row, 0)
                        .trim_end_matches(|c: char| c.is_ascii_digit()),
                    self.plan.header_row + 1
                ),
                column: target.clone(),
                raw: header.clone(),
                expected: "a header of the export".to_string(),
                action: format!("{RENAME_UNUSED_NOTE} no header '{header}' in this sheet{hint}"),
            });
        }
    }

    /// Ends the current row: checks required blanks, then keeps or rejects it.
    fn flush_row(&mut self) -> Result<(), DataError> {
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        if !self.row_nonempty {
            return Ok(());
        }
        self.row_nonempty = false;
        for slot in 0..self.row_values.len() {
            let required = self
                .part
                .column_decls
                .get(slot)
                .is_some_and(|d| !d.optional);
            if required && self.row_values.get(slot).is_some_and(Value::is_blank) {
                let col = self.col_of_slot.get(slot).copied().unwrap_or(0);
                if self.plan.policy == BadCellPolicy::Fail {
                    return Err(self.bad_cell_error(row, col, slot, String::new()));
                }
                self.pending.push(Pending {
                    col,
                    slot,
                    raw: String::new(),
                    finding: Finding::BlankRequired,
                });
            }
        }
        let counts = &mut self.part.counts;
        counts.rows_read += 1;
        counts.blank_rows_skipped +=
            row.saturating_sub(self.last_data_row).saturating_sub(1) as usize;
        self.last_data_row = row;
        let rejected = self.plan.policy == BadCellPolicy::RejectRow
            && self
                .pending
                .iter()
                .any(|p| !matches!(p.finding, Finding::Repaired(_)));
        let two_way = std::mem::take(&mut self.two_way_slots);
        if rejected {
            counts.rows_rejected += 1;
            for value in &mut self.row_values {
                *value = Value::Blank;
            }
        } else {
            // Its dates that read both ways, to swap if the column is day first.
            if let Ok(kept) = u32::try_from(counts.rows_kept) {
                for slot in two_way {
                    if let Some(evidence) = self.date_evidence.get_mut(slot) {
                        evidence.both_rows.push(kept);
                    }
                }
            }
            counts.rows_kept += 1;
            for (column, value) in self.columns.iter_mut().zip(self.row_values.iter_mut()) {
                column.push(std::mem::take(value));
            }
            if self.track_rows {
                self.part.rows.push(row);
            }
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|p| p.col);
        for p in pending {
            if rejected && matches!(p.finding, Finding::Repaired(_)) {
                continue;
            }
            self.log(row, p, rejected);
        }
        Ok(())
    }

    fn log(&mut self, row: u32, p: Pending, rejected: bool) {
        let ty = self
            .part
            .column_decls
            .get(p.slot)
            .map_or(ValueType::Any, |d| d.ty);
        let counts = &mut self.part.counts;
        counts.cells_reported += 1;
        let action = match (&p.finding, rejected) {
            (Finding::Repaired(note), _) => {
                counts.cells_repaired += 1;
                note.clone()
            }
            (_, true) => "row rejected".to_string(),
            (Finding::Bad, false) => "kept as #VALUE!".to_string(),
            (Finding::ErrorKept(kind), false) => format!("kept as {kind}"),
            (Finding::BlankRequired, false) => "kept as blank".to_string(),
            (Finding::Uncalculated, false) => UNCALCULATED_ACTION.to_string(),
        };
        let listed = self.part.listed.get(p.slot).copied().unwrap_or(0);
        if listed >= MAX_ENTRIES_PER_COLUMN {
            if let Some(n) = self.part.not_listed.get_mut(p.slot) {
                *n += 1;
            }
            return;
        }
        if let Some(n) = self.part.listed.get_mut(p.slot) {
            *n += 1;
        }
        self.part.entries.push(QualityEntry {
            table: self.plan.name.clone(),
            file: self.path.clone(),
            cell: cell_address(&self.sheet, row, p.col),
            column: self
                .part
                .column_names
                .get(p.slot)
                .cloned()
                .unwrap_or_default(),
            raw: p.raw,
            expected: expected_text(ty).to_string(),
            action,
        });
    }

    /// The resolved header (resolving it now), for a reader that types a chunk's
    /// columns itself and hands them over with [`Self::finish_typed`].
    pub fn layout(&mut self) -> Result<ChunkLayout, DataError> {
        if !self.header_done {
            self.resolve_header()?;
        }
        Ok(ChunkLayout {
            slot_of_col: self.slot_of_col.clone(),
            decls: self.part.column_decls.clone(),
            trims: self.trims.clone(),
            date_formats: self.date_formats.clone(),
            last_data_row: self.last_data_row,
            track_rows: self.track_rows,
            ctx: self.ctx,
        })
    }

    /// Hands over rows a reader typed itself after the header (no data row was fed to
    /// [`Self::cell`]), charging what they store to `meter`.
    pub fn finish_typed(mut self, typed: TypedRows, meter: Meter) -> Result<SheetPart, DataError> {
        self.meter = meter;
        self.charge(typed.charge, "its cells")?;
        let counts = &mut self.part.counts;
        counts.rows_read = typed.rows_kept;
        counts.rows_kept = typed.rows_kept;
        counts.blank_rows_skipped = typed.blank_rows_skipped;
        self.part.rows = typed.rows;
        self.last_data_row = typed.last_data_row;
        self.complete(typed.columns)
    }

    /// Flushes the last row and hands over the columns.
    pub fn finish(mut self) -> Result<SheetPart, DataError> {
        if !self.header_done {
            self.resolve_header()?;
        }
        self.flush_row()?;
        let columns = std::mem::take(&mut self.columns)
            .into_iter()
            .map(ColumnBuilder::finish)
            .collect();
        self.complete(columns)
    }

    fn complete(mut self, columns: Vec<ColumnValues>) -> Result<SheetPart, DataError> {
        for interner in &mut self.part.interners {
            interner.forget_addresses();
        }
        self.part.counts.table = self.plan.name.clone();
        self.part.columns = columns;
        if self.defer_dates {
            self.part.date_evidence = std::mem::take(&mut self.date_evidence);
        } else {
            let evidence = std::mem::take(&mut self.date_evidence);
            settle_date_layouts(self.plan, &self.path, &mut self.part, &evidence)?;
        }
        self.part.last_data_row = self.last_data_row;
        self.part.path = self.path;
        self.part.sheet = self.sheet;
        self.part.sheet_columns = self.col_of_slot;
        Ok(self.part)
    }
}

/// Decides each date column's layout from its dates: day-first columns get their
/// two-way dates swapped; a column whose dates all read both ways, or that mixes
/// layouts, stops the read. The decision is logged.
pub(crate) fn settle_date_layouts(
    plan: &ReadPlan,
    path: &Path,
    part: &mut SheetPart,
    all_evidence: &[LayoutEvidence],
) -> Result<(), DataError> {
    for slot in 0..all_evidence.len() {
        let Some(evidence) = all_evidence.get(slot) else {
            continue;
        };
        let column = part.column_names.get(slot).cloned().unwrap_or_default();
        let layout = match evidence.decide() {
            Ok(layout) => layout,
            Err(LayoutProblem::Ambiguous { example }) => {
                return Err(DataError::AmbiguousDates {
                    table: plan.name.clone(),
                    path: path.to_path_buf(),
                    column,
                    readings: both_readings_text(&example.1),
                    cell: example.0,
                    raw: example.1,
                });
            }
            Err(LayoutProblem::Mixed {
                day_first,
                month_first,
            }) => {
                return Err(DataError::MixedDateLayouts {
                    table: plan.name.clone(),
                    path: path.to_path_buf(),
                    column,
                    day_first: day_first.1,
                    day_first_cell: day_first.0,
                    month_first: month_first.1,
                    month_first_cell: month_first.0,
                });
            }
        };
        let (example, layout_name) = match layout {
            Layout::Undecided => continue,
            Layout::DayFirst => (&evidence.day_first, "day/month/year"),
            Layout::MonthFirst => (&evidence.month_first, "month/day/year"),
        };
        let Some((cell, text)) = example.clone() else {
            continue;
        };
        if layout == Layout::DayFirst && !evidence.both_rows.is_empty() {
            let rows = evidence.both_rows.clone();
            if let Some(stored) = part.columns.get_mut(slot) {
                let mut values = stored.values().into_owned();
                for row in rows {
                    if let Some(Value::Date(serial)) = values.get_mut(row as usize)
                        && let Some(swapped) = swap_day_and_month(*serial)
                    {
                        *serial = swapped;
                    }
                }
                *stored = ColumnValues::compact(values);
            }
        }
        part.entries.push(QualityEntry {
            table: plan.name.clone(),
            file: path.to_path_buf(),
            cell,
            column,
            raw: text,
            expected: "a date".to_string(),
            action: format!(
                "{DATE_LAYOUT_NOTE} {layout_name} (this date reads only that way); set date_format to say so"
            ),
        });
    }
    Ok(())
}
