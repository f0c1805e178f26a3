//! Merges the parts of a CSV file's chunks, in file order, into the part one pass over
//! the file builds: columns appended, error cells' table rows shifted, the cap on listed
//! cells per column applied across chunks, blank rows between chunks counted, and date
//! layouts settled on all of a column's dates.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::data::builder::{ReadPlan, SheetPart, settle_date_layouts};
use crate::data::dates::LayoutEvidence;
use crate::data::error::DataError;
use crate::data::quality::MAX_ENTRIES_PER_COLUMN;
use crate::table::column::ColumnValues;
use crate::table::concat::concat;
use crate::value::{ErrorOrigin, ExcelError, Value};

/// Merges `(first row, part)` of each chunk, in file order.
pub(crate) fn merge_chunks(
    plan: &ReadPlan,
    path: &Path,
    parts: Vec<(u32, SheetPart)>,
) -> Result<SheetPart, DataError> {
    // The first row of the chunk after each chunk: a chunk's blank rows after its last
    // data row run up to it.
    let next_rows: Vec<u32> = parts.iter().skip(1).map(|(first, _)| *first).collect();
    let tail = |chunk: usize, last: u32| {
        next_rows.get(chunk).map_or(0, |next| {
            u64::from(next.saturating_sub(last).saturating_sub(1))
        })
    };
    let all_rows: usize = parts.iter().map(|(_, part)| part.rows.len()).sum();
    let mut parts = parts.into_iter();
    let Some((_, mut merged)) = parts.next() else {
        return Ok(SheetPart::default());
    };
    // Sized once: ten million rows appended chunk by chunk would be copied as it grows.
    merged
        .rows
        .reserve_exact(all_rows.saturating_sub(merged.rows.len()));
    let mut evidence = std::mem::take(&mut merged.date_evidence);
    let mut columns: Vec<Vec<ColumnValues>> = std::mem::take(&mut merged.columns)
        .into_iter()
        .map(|c| vec![c])
        .collect();
    // Rows kept before each part, to shift its error cells' rows.
    let mut kept_before: Vec<usize> = vec![0];
    // Blank rows after the last data row so far: counted once a later row holds data.
    let mut carry: u64 = tail(0, merged.last_data_row);
    let mut last_data_row = merged.last_data_row;
    for (chunk, (_, mut part)) in parts.enumerate() {
        kept_before.push(merged.counts.rows_kept);
        let counts = &part.counts;
        let total = &mut merged.counts;
        if counts.rows_read > 0 {
            total.blank_rows_skipped += counts.blank_rows_skipped + carry as usize;
            carry = 0;
            last_data_row = part.last_data_row;
        }
        carry += tail(chunk + 1, part.last_data_row);
        total.rows_read += counts.rows_read;
        total.rows_kept += counts.rows_kept;
        total.rows_rejected += counts.rows_rejected;
        total.cells_reported += counts.cells_reported;
        total.cells_repaired += counts.cells_repaired;
        for (stored, column) in columns.iter_mut().zip(std::mem::take(&mut part.columns)) {
            stored.push(column);
        }
        merged.rows.append(&mut part.rows);
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
        let shift = merged.counts.rows_kept - part.counts.rows_kept;
        for (seen, more) in evidence.iter_mut().zip(part.date_evidence) {
            merge_evidence(seen, more, shift);
        }
    }
    merged.last_data_row = last_data_row;
    let fix = |part: usize, value: Value| shift_error_row(value, kept_before.get(part).copied());
    // Columns are appended on all cores: at millions of rows this copy is the
    // read's only serial step after the parse.
    merged.columns = columns
        .into_par_iter()
        .map(|parts| concat(parts, &fix))
        .collect();
    settle_date_layouts(plan, path, &mut merged, &evidence)?;
    Ok(merged)
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

/// An error cell read in a chunk names its row of the chunk: make it the table's row.
fn shift_error_row(value: Value, kept_before: Option<usize>) -> Value {
    let shift = kept_before.unwrap_or(0);
    match &value {
        Value::Error(e) if shift > 0 => match &e.origin {
            Some(origin) if origin.row.is_some() => Value::Error(Arc::new(ExcelError {
                kind: e.kind,
                origin: Some(ErrorOrigin {
                    rule: Arc::clone(&origin.rule),
                    row: origin.row.map(|r| r + shift),
                    reason: Arc::clone(&origin.reason),
                }),
            })),
            _ => value,
        },
        _ => value,
    }
}
