//! Merges the parts of a CSV file's chunks, in file order and as they come, into the
//! part one pass over the file builds: columns appended, error cells' table rows
//! shifted, the cap on listed cells per column applied across chunks, blank rows between
//! chunks counted, and date layouts settled on all of a column's dates.

use std::path::Path;
use std::sync::Arc;

use crate::data::builder::{ReadPlan, SheetPart, settle_date_layouts};
use crate::data::dates::LayoutEvidence;
use crate::data::error::DataError;
use crate::data::quality::MAX_ENTRIES_PER_COLUMN;
use crate::table::concat::Appender;
use crate::value::{ErrorOrigin, ExcelError, Value};

/// The parts of a file's chunks merged as they come, in file order: each chunk's
/// columns are appended to the file's and freed at once, so a chunk's memory serves
/// the chunks parsed after it and the file's columns are whole when the last chunk is.
pub(crate) struct ChunkMerger {
    /// The first chunk's part, then the counts, entries and rows of all so far.
    merged: Option<SheetPart>,
    columns: Vec<Appender>,
    evidence: Vec<LayoutEvidence>,
    /// Blank rows after the last data row so far: counted once a later row holds data.
    carry: u64,
    last_data_row: u32,
    /// The last data row of the chunk merged last (its blank rows run up to the next).
    chunk_last_row: u32,
    /// The file's size, to foresee from the first chunk how large the columns grow.
    file_bytes: u64,
}

/// How much more than its estimate a column is given room for at once (files whose
/// first rows are shorter than the rest take one more copy, no more).
const ROOM_TO_SPARE: f64 = 1.05;

impl ChunkMerger {
    pub(crate) fn new(file_bytes: u64) -> Self {
        ChunkMerger {
            file_bytes,
            merged: None,
            columns: Vec::new(),
            evidence: Vec::new(),
            carry: 0,
            last_data_row: 0,
            chunk_last_row: 0,
        }
    }

    /// Merges the next chunk's part, read from `chunk_bytes` of the file; `first_row`
    /// is the chunk's first sheet row.
    pub(crate) fn push(&mut self, first_row: u32, chunk_bytes: usize, mut part: SheetPart) {
        let Some(merged) = &mut self.merged else {
            // The file's columns, the first chunk's as many times as the file is longer.
            let times = self.file_bytes as f64 / chunk_bytes.max(1) as f64 * ROOM_TO_SPARE;
            self.evidence = std::mem::take(&mut part.date_evidence);
            self.columns = std::mem::take(&mut part.columns)
                .into_iter()
                .map(|column| {
                    let mut joined = Appender::default();
                    joined.push(column, &|value| value);
                    joined.expect_growth(times);
                    joined
                })
                .collect();
            self.last_data_row = part.last_data_row;
            self.chunk_last_row = part.last_data_row;
            self.merged = Some(part);
            return;
        };
        // The blank rows at the end of the chunk before this one.
        self.carry += u64::from(
            first_row
                .saturating_sub(self.chunk_last_row)
                .saturating_sub(1),
        );
        self.chunk_last_row = part.last_data_row;
        let kept_before = merged.counts.rows_kept;
        let counts = &part.counts;
        let total = &mut merged.counts;
        if counts.rows_read > 0 {
            total.blank_rows_skipped += counts.blank_rows_skipped + self.carry as usize;
            self.carry = 0;
            self.last_data_row = part.last_data_row;
        }
        total.rows_read += counts.rows_read;
        total.rows_kept += counts.rows_kept;
        total.rows_rejected += counts.rows_rejected;
        total.cells_reported += counts.cells_reported;
        total.cells_repaired += counts.cells_repaired;
        // An error cell read in a chunk names its row of the chunk: make it the table's.
        let fix = |value: Value| shift_error_row(value, kept_before);
        for (joined, column) in self
            .columns
            .iter_mut()
            .zip(std::mem::take(&mut part.columns))
        {
            joined.push(column, &fix);
        }
        merged.rows.extend_from(&part.rows);
        // Each chunk listed up to the cap of each column: list on only while the
        // merged count is under it.
        for entry in std::mem::take(&mut part.entries) {
            let slot = part.column_names.iter().position(|n| *n == entry.column);
            let Some(slot) = slot else {
                merged.entries.push(entry);
                continue;
            };
            match merged.listed.get_mut(slot) {
                Some(listed) if *listed < MAX_ENTRIES_PER_COLUMN => {
                    *listed += 1;
                    merged.entries.push(entry);
                }
                _ => {
                    if let Some(n) = merged.not_listed.get_mut(slot) {
                        *n += 1;
                    }
                }
            }
        }
        for (total, more) in merged.not_listed.iter_mut().zip(&part.not_listed) {
            *total += more;
        }
        for (seen, more) in self.evidence.iter_mut().zip(part.date_evidence) {
            merge_evidence(seen, more, kept_before);
        }
    }

    /// The file's part, once every chunk's part is merged: date layouts are settled
    /// on all of a column's dates.
    pub(crate) fn finish(self, plan: &ReadPlan, path: &Path) -> Result<SheetPart, DataError> {
        let Some(mut merged) = self.merged else {
            return Ok(SheetPart::default());
        };
        merged.last_data_row = self.last_data_row;
        merged.columns = self.columns.into_iter().map(Appender::finish).collect();
        settle_date_layouts(plan, path, &mut merged, &self.evidence)?;
        Ok(merged)
    }
}

/// A later chunk's date evidence after an earlier one's: first examples stay first,
/// its two-way rows move down by the rows kept before it.
fn merge_evidence(seen: &mut LayoutEvidence, more: LayoutEvidence, shift: usize) {
    let first = |a: &mut Option<(String, String)>, b: Option<(String, String)>| {
        if a.is_none() {
            *a = b;
        }
    };
    first(&mut seen.day_first, more.day_first);
    first(&mut seen.month_first, more.month_first);
    first(&mut seen.ambiguous, more.ambiguous);
    let shift = u32::try_from(shift).unwrap_or(u32::MAX);
    seen.both_rows
        .extend(more.both_rows.iter().map(|r| r.saturating_add(shift)));
}

/// An error cell read in a chunk names its row of the chunk: shifted by the rows kept
/// before the chunk, it names the table's.
fn shift_error_row(value: Value, kept_before: usize) -> Value {
    match &value {
        Value::Error(e) if kept_before > 0 => match &e.origin {
            Some(origin) if origin.row.is_some() => Value::Error(Arc::new(ExcelError {
                kind: e.kind,
                origin: Some(ErrorOrigin {
                    rule: Arc::clone(&origin.rule),
                    row: origin.row.map(|r| r + kept_before),
                    reason: Arc::clone(&origin.reason),
                }),
            })),
            _ => value,
        },
        _ => value,
    }
}
