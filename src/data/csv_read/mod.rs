//! CSV inputs read in parallel: the file is cut at record boundaries (`scan`), each
//! chunk is parsed on a rayon thread into its own [`SheetPart`] (only the wanted
//! columns' fields are decoded), and the parts are merged in file order (`merge`) into
//! the part one pass over the whole file builds.

mod merge;
mod scan;
#[cfg(test)]
mod tests;

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::data::budget::{Meter, ReadBudget};
use crate::data::builder::{ReadPlan, SheetBuilder, SheetPart};
use crate::data::coerce::{CoerceContext, RawCell};
use crate::data::error::DataError;
use scan::Chunk;

/// How much of the file one task parses: large enough that merging costs little,
/// small enough that both cores stay busy and a chunk's bytes are a small buffer.
const CHUNK_BYTES: u64 = 8 << 20;
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
    read_in_chunks(source, progress, CHUNK_BYTES)
}

/// [`read_csv`] with chunks of about `chunk_bytes` (tests force small ones).
pub(crate) fn read_in_chunks(
    source: &CsvSource<'_>,
    progress: &(dyn Fn(usize) + Sync),
    chunk_bytes: u64,
) -> Result<SheetPart, DataError> {
    let path = source.path;
    let unreadable = |source: std::io::Error| DataError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::files::open_regular(path).map_err(unreadable)?;
    let chunks = scan::chunks(
        file,
        source.delimiter,
        source.plan.header_row,
        chunk_bytes.max(1),
        source.budget,
    )
    .map_err(unreadable)?;
    let header = match chunks.len() {
        0 | 1 => Vec::new(),
        _ => header_cells(source)?,
    };
    let kept = AtomicUsize::new(0);
    let parts: Vec<Result<SheetPart, DataError>> = chunks
        .par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(index, chunk)| read_chunk(source, index, chunk, &header, &kept, progress))
        .collect();
    let mut read = Vec::with_capacity(parts.len());
    for (part, chunk) in parts.into_iter().zip(&chunks) {
        read.push((chunk.first_row, part?));
    }
    merge::merge_chunks(source.plan, path, read)
}

/// The non-empty cells of the header row, for the chunks after the first.
fn header_cells(source: &CsvSource<'_>) -> Result<Vec<(u32, String)>, DataError> {
    let file = crate::files::open_regular(source.path).map_err(|e| DataError::FileUnreadable {
        path: source.path.to_path_buf(),
        source: e,
    })?;
    let mut reader = csv_reader(source.delimiter, BufReader::new(file));
    let mut record = csv::ByteRecord::new();
    let mut row = 0u32;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| corrupt(source.path, row, &e))?
    {
        if row == source.plan.header_row {
            return Ok(record
                .iter()
                .enumerate()
                .filter(|(_, field)| !field.is_empty())
                .map(|(col, field)| {
                    let col = u32::try_from(col).unwrap_or(u32::MAX);
                    (col, String::from_utf8_lossy(field).into_owned())
                })
                .collect());
        }
        row += 1;
    }
    Ok(Vec::new())
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
/// `chunk.first_row…`, and a chunk after the first is given the header row first.
fn read_chunk(
    source: &CsvSource<'_>,
    index: usize,
    chunk: &Chunk,
    header: &[(u32, String)],
    kept: &AtomicUsize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SheetPart, DataError> {
    let path = source.path;
    let unreadable = |source: std::io::Error| DataError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let len = chunk.end.saturating_sub(chunk.start);
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    if index > 0 {
        // A blank line (skipped by the parser) so that a chunk starting with the
        // characters of a byte-order mark does not lose them: csv-core drops a mark
        // only at the start of its input.
        bytes.push(b'\n');
    }
    let mut file = crate::files::open_regular(path).map_err(unreadable)?;
    file.seek(SeekFrom::Start(chunk.start))
        .map_err(unreadable)?;
    file.take(len).read_to_end(&mut bytes).map_err(unreadable)?;
    let plan = source.plan;
    let mut builder = SheetBuilder::new(
        plan,
        path.to_path_buf(),
        source.sheet.to_string(),
        source.ctx,
    )
    .with_meter(Meter::new(Arc::clone(source.budget)))
    .without_row_limit()
    .in_chunk((index > 0).then_some(chunk.first_row));
    if index > 0 {
        for (col, text) in header {
            builder.cell(plan.header_row, *col, RawCell::Text(text))?;
        }
    }
    let mut reader = csv_reader(source.delimiter, bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut row = chunk.first_row;
    let mut reported = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(corrupt(path, row, &e)),
        }
        for (col, field) in record.iter().enumerate() {
            if field.is_empty() {
                continue;
            }
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            if !builder.wants(row, col)? {
                builder.unread_cell(row)?;
                continue;
            }
            let text = String::from_utf8_lossy(field);
            builder.cell(row, col, RawCell::Text(&text))?;
        }
        row = row.saturating_add(1);
        if row.is_multiple_of(PROGRESS_ROWS) {
            let now = builder.rows_kept();
            let total = kept.fetch_add(now - reported, Ordering::Relaxed) + now - reported;
            reported = now;
            progress(total);
        }
    }
    builder.finish()
}
