//! CSV inputs read in parallel: the file is read once and cut at record boundaries
//! (`scan`) on one thread while each chunk is parsed on a rayon thread into its own
//! [`SheetPart`] (only the wanted columns' fields are decoded, their ends found by
//! `field_ends`), and the parts are merged in file order (`merge`) into the part one
//! pass over the whole file builds.

mod fast;
mod field_ends;
mod merge;
mod scan;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::data::budget::{Meter, ReadBudget};
use crate::data::builder::{ReadPlan, SheetBuilder, SheetPart};
use crate::data::coerce::{CoerceContext, RawCell};
use crate::data::error::DataError;
use scan::Cut;

/// The header row's cells, shared by the chunks after the first.
type Header = Arc<Vec<(u32, String)>>;

/// How much of the file one task parses: large enough that merging costs little,
/// small enough that both cores stay busy and a chunk's bytes are a small buffer.
const CHUNK_BYTES: u64 = 8 << 20;
/// Chunks cut and waiting for a thread to parse them, at most.
const IN_FLIGHT: usize = 2;
/// Rows between progress reports of a chunk.
const PROGRESS_ROWS: u32 = 16_384;

/// One CSV file to read as a sheet of a table.
pub(crate) struct CsvSource<'a> {
    pub path: &'a Path,
    /// The sheet name in cell addresses (the file stem).
    pub sheet: &'a str,
    pub plan: &'a ReadPlan,
    pub ctx: CoerceContext,
    pub delimiter: u8,
    pub budget: &'a Arc<ReadBudget>,
}

/// Reads the file into one part; `progress` hears the rows kept so far.
pub(crate) fn read_csv(
    source: &CsvSource<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SheetPart, DataError> {
    read_in_chunks(source, progress, CHUNK_BYTES, true)
}

/// [`read_csv`] with chunks of at most `chunk_bytes` (tests force small ones), trying
/// the fast path on each chunk when `fast_path` (tests compare both). One thread
/// reads the file once and cuts it into chunks, which rayon's threads parse as they
/// come (a few chunks in flight at most, so memory stays flat on any file size).
pub(crate) fn read_in_chunks(
    source: &CsvSource<'_>,
    progress: &(dyn Fn(usize) + Sync),
    chunk_bytes: u64,
    fast_path: bool,
) -> Result<SheetPart, DataError> {
    let path = source.path;
    let unreadable = |source: std::io::Error| DataError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::files::open_regular(path).map_err(unreadable)?;
    // Only a forecast of the columns' size: a file growing meanwhile is read as ever.
    let file_bytes = file.metadata().map_or(0, |meta| meta.len());
    let kept = AtomicUsize::new(0);
    let spare = scan::Spare::default();
    let spare = &spare;
    let dictionaries = fast::Dictionaries::default();
    let dictionaries = &dictionaries;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(Cut, Header)>(IN_FLIGHT);
    let (parsed, to_merge) = std::sync::mpsc::channel::<Parsed>();
    let (scanned, merged) = std::thread::scope(|scope| {
        let scanner = scope.spawn(move || {
            let mut header: Header = Arc::new(Vec::new());
            scan::cut(
                file,
                source.delimiter,
                source.plan.header_row,
                scan::ChunkSizes {
                    most: chunk_bytes.max(1),
                    file_bytes,
                    threads: rayon::current_num_threads() as u64,
                },
                source.budget,
                spare,
                |cut| {
                    if cut.index == 0 {
                        header = Arc::new(header_cells(source, &cut.bytes));
                    }
                    sender.send((cut, Arc::clone(&header))).is_ok()
                },
            )
        });
        let merger = scope.spawn(move || merge_in_file_order(to_merge, file_bytes));
        receiver
            .into_iter()
            .par_bridge()
            .for_each_with(parsed, |parsed, (cut, header)| {
                let mut reported = 0usize;
                // Rows kept so far by this chunk's read (a fast read given back and the
                // full read after it count once).
                let mut tick = |now: usize| {
                    let more = now.saturating_sub(reported);
                    reported = reported.max(now);
                    progress(kept.fetch_add(more, Ordering::Relaxed) + more);
                };
                let fast = fast_path
                    .then(|| fast::read_chunk(source, &cut, &header, dictionaries, &mut tick))
                    .flatten();
                let part = match fast {
                    Some(part) => Ok(part),
                    None => read_chunk(source, &cut, &header, &mut tick),
                };
                let (index, first_row, bytes) = (cut.index, cut.first_row, cut.bytes.len());
                spare.give(cut.bytes);
                // The merger outlives every sender: it stops only once they are gone.
                let _ = parsed.send((index, first_row, bytes, part));
            });
        (scanner.join(), merger.join())
    });
    let stopped = |what: &str| unreadable(std::io::Error::other(format!("the {what} stopped")));
    let digest = match scanned {
        Ok(Ok(digest)) => digest,
        Ok(Err(e)) => return Err(unreadable(e)),
        Err(_) => return Err(stopped("reader of the file")),
    };
    let merger = merged.map_err(|_| stopped("merge of the file's chunks"))??;
    let mut part = merger.finish(source.plan, path)?;
    part.file_digest = digest;
    Ok(part)
}

/// A chunk's index, first sheet row, size in bytes and part, parsed.
type Parsed = (usize, u32, usize, Result<SheetPart, DataError>);

/// Merges the chunks' parts as they are parsed, in file order (a chunk parsed before
/// the one ahead of it waits for it); the first chunk in file order that failed gives
/// the error.
fn merge_in_file_order(
    parsed: std::sync::mpsc::Receiver<Parsed>,
    file_bytes: u64,
) -> Result<merge::ChunkMerger, DataError> {
    let mut merger = merge::ChunkMerger::new(file_bytes);
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0usize;
    let mut failed = None;
    for (index, first_row, bytes, part) in parsed {
        waiting.insert(index, (first_row, bytes, part));
        while let Some((first_row, bytes, part)) = waiting.remove(&next) {
            next += 1;
            match part {
                Ok(part) if failed.is_none() => merger.push(first_row, bytes, part),
                Ok(_) => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(merger),
    }
}

/// The non-empty cells of the header row, read from the first chunk's bytes, for the
/// chunks after it (a file that cannot be parsed that far has none: the first chunk's
/// read reports why).
fn header_cells(source: &CsvSource<'_>, first_chunk: &[u8]) -> Vec<(u32, String)> {
    let mut reader = csv_reader(source.delimiter, first_chunk);
    let mut record = csv::ByteRecord::new();
    let mut row = 0u32;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        if row == source.plan.header_row {
            return record
                .iter()
                .enumerate()
                .filter(|(_, field)| !field.is_empty())
                .map(|(col, field)| {
                    let col = u32::try_from(col).unwrap_or(u32::MAX);
                    (col, String::from_utf8_lossy(field).into_owned())
                })
                .collect();
        }
        row += 1;
    }
    Vec::new()
}

fn csv_reader<R: Read>(delimiter: u8, input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input)
}

fn corrupt(path: &Path, row: u32, e: &csv::Error) -> DataError {
    DataError::CorruptWorkbook {
        path: path.to_path_buf(),
        detail: format!("CSV row {}: {e}", u64::from(row) + 1),
    }
}

/// Parses one chunk into its own part: its records are the file's records
/// `cut.first_row…`, and a chunk after the first is given the header row first.
fn read_chunk(
    source: &CsvSource<'_>,
    cut: &Cut,
    header: &[(u32, String)],
    progress: &mut dyn FnMut(usize),
) -> Result<SheetPart, DataError> {
    let path = source.path;
    let index = cut.index;
    let bytes = &cut.bytes;
    let plan = source.plan;
    let mut builder = SheetBuilder::new(
        plan,
        path.to_path_buf(),
        source.sheet.to_string(),
        source.ctx,
    )
    .with_meter(Meter::new(Arc::clone(source.budget)))
    .without_row_limit()
    .in_chunk((index > 0).then_some(cut.first_row));
    if index > 0 {
        for (col, text) in header {
            builder.cell(plan.header_row, *col, RawCell::Text(text))?;
        }
    }
    let mut reader = csv_reader(source.delimiter, bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut row = cut.first_row;
    // Per sheet column, whether the table reads it (known from the first data row on).
    let mut wanted: Option<Vec<bool>> = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(corrupt(path, row, &e)),
        }
        let mut unread = false;
        for (col, field) in record.iter().enumerate() {
            if field.is_empty() {
                continue;
            }
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            let used = match &wanted {
                Some(wanted) => wanted.get(col as usize).copied().unwrap_or(false),
                None => {
                    let used = builder.wants(row, col)?;
                    if row > plan.header_row {
                        // The header is resolved: which columns are read no longer changes.
                        wanted = Some(builder.wanted_columns());
                    }
                    used
                }
            };
            if !used {
                unread = true;
                continue;
            }
            // Valid UTF-8 (nearly every field) is borrowed without a second look.
            let text = match std::str::from_utf8(field) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(field),
            };
            builder.cell(row, col, RawCell::Text(&text))?;
        }
        if unread {
            builder.unread_cell(row)?;
        }
        row = row.saturating_add(1);
        if row.is_multiple_of(PROGRESS_ROWS) {
            progress(builder.rows_kept());
        }
    }
    builder.finish()
}
