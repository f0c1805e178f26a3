//! The binary payload of a cache entry: everything `read_inputs` returns (columnar tables,
//! the data-quality log and counts, the input files' identities) encoded for fast loading.
//!
//! Layout (little-endian; `str` is a u64 byte length and UTF-8 bytes):
//!
//! ```text
//! payload  = files, quality entries, table counts, tables
//! files    = u64 n, n × (path str, sha256 str, bytes u64)
//! entries  = u64 n, n × (table, file, cell, column, raw, expected, action: str)
//! counts   = u64 n, n × (table str, 7 × u64)
//! tables   = u64 n, n × (name str, rows u64, u64 columns, columns × column)
//! column   = name str, type u8, shape u8, then by shape (see `table::column`):
//!            0 floats: kind u8 (0 number, 1 date), rows u64, rows × f64 (blank rows
//!              and rows of other values are reserved NaNs), values (the extras)
//!            1 coded: rows u64, values (the dictionary), width u8 (1, 2 or 4),
//!              rows × code of that width
//!            2 values: values (one per row)
//!            3 texts: rows u64, str (every row's characters), rows × u32 row end,
//!              u64 n, n × u32 other row, values (n)
//! values   = rows u64, tags, numbers, text, errors
//! tags     = 0 tag            every row has this tag (values of one kind)
//!          | 1 rows × tag     mixed values: one byte per row
//! tag      = 0 blank | 1 number | 2 date | 3 text | 4 false | 5 true | 6 error
//! numbers  = u64 n, n × f64   the number and date rows, in row order
//! text     = u64 text rows, u64 strings, strings × u32 length, u64 bytes, the bytes,
//!            width u8: 0 = the strings are the text rows in order (mostly distinct
//!            values such as IDs), 1/2 = a dictionary of at most 65,536 strings: text
//!            rows × index of that width
//! errors   = u64 n, n × (kind u8, origin flag u8 [rule str, row flag u8 [row u64], reason str])
//! ```
//!
//! Columns are stored in the shape they have in memory, so loading is mostly copying.
//! Encoding streams into the entry file one column at a time (the payload never exists
//! whole in memory). Decoding shares one text value per dictionary string across the
//! column's rows, and decodes columns in parallel. It never reads out of bounds, and counts of items that
//! take bytes are checked against the bytes left; but a column of one constant kind
//! (all blank) takes no bytes per row, so its row count is trusted: decode only a
//! payload whose checksum was verified.
//!
//! [`columns`] encodes and decodes a column in its shape, [`values`] the lists of mixed
//! values (tags, numbers, text, errors); this module the payload around them.

mod columns;
#[cfg(test)]
mod tests;
mod values;

use std::path::PathBuf;

use rayon::prelude::*;
use thiserror::Error;

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged};
use crate::data::quality::{QualityEntry, QualityLog, TableCounts};
use crate::data::read::{InputData, InputFile};
use crate::table::{Column, Table};

use columns::{ColumnView, encode_column, spill};

/// Why some read inputs cannot be cached (they are used as read, just not stored).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotCacheable {
    #[error("a file path is not valid UTF-8")]
    PathNotUtf8,
    #[error("a text is longer than 4 GB")]
    TextTooLong,
}

/// Why a payload was not written.
#[derive(Debug, Error)]
pub enum EncodeError {
    #[error("the inputs cannot be cached: {0}")]
    NotCacheable(#[from] NotCacheable),
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// Encodes everything `read_inputs` returned into `sink`, one column at a time.
pub fn encode(
    data: &InputData,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(), EncodeError> {
    let InputData {
        tables,
        quality,
        files,
    } = data;
    let QualityLog { entries, counts } = quality;
    let mut w = ByteWriter::default();
    w.usize(files.len());
    for file in files {
        let InputFile {
            path,
            sha256,
            bytes,
        } = file;
        w.str(path_text(path)?);
        w.str(sha256);
        w.u64(*bytes);
    }
    w.usize(entries.len());
    for entry in entries {
        let QualityEntry {
            table,
            file,
            cell,
            column,
            raw,
            expected,
            action,
        } = entry;
        w.str(table);
        w.str(path_text(file)?);
        for text in [cell, column, raw, expected, action] {
            w.str(text);
        }
    }
    w.usize(counts.len());
    for count in counts {
        let TableCounts {
            table,
            rows_read,
            rows_kept,
            rows_rejected,
            blank_rows_skipped,
            cells_reported,
            cells_repaired,
            cells_not_listed,
        } = count;
        w.str(table);
        for n in [
            rows_read,
            rows_kept,
            rows_rejected,
            blank_rows_skipped,
            cells_reported,
            cells_repaired,
            cells_not_listed,
        ] {
            w.usize(*n);
        }
    }
    w.usize(tables.len());
    for table in tables {
        let Table {
            name,
            columns,
            row_count,
        } = table;
        w.str(name);
        w.usize(*row_count);
        w.usize(columns.len());
        for column in columns {
            encode_column(&mut w, column, sink)?;
            spill(&mut w, sink, true)?;
        }
    }
    sink(&w.bytes)?;
    Ok(())
}

/// [`encode`] into one buffer (tests).
#[cfg(test)]
pub fn encode_to_vec(data: &InputData) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = Vec::new();
    encode(data, &mut |part| {
        bytes.extend_from_slice(part);
        Ok(())
    })?;
    Ok(bytes)
}

fn path_text(path: &std::path::Path) -> Result<&str, NotCacheable> {
    path.to_str().ok_or(NotCacheable::PathNotUtf8)
}

/// Decodes a payload written by [`encode`]; anything inconsistent is [`Damaged`].
pub fn decode(payload: &[u8]) -> Result<InputData, Damaged> {
    let mut r = ByteReader::new(payload);
    let file_count = r.count()?;
    let mut files = Vec::with_capacity(file_count);
    for _ in 0..file_count {
        files.push(InputFile {
            path: PathBuf::from(r.str()?),
            sha256: r.str()?.to_string(),
            bytes: r.u64()?,
        });
    }
    let entry_count = r.count()?;
    let mut entries = Vec::with_capacity(entry_count);
    for _ in 0..entry_count {
        entries.push(QualityEntry {
            table: r.str()?.to_string(),
            file: PathBuf::from(r.str()?),
            cell: r.str()?.to_string(),
            column: r.str()?.to_string(),
            raw: r.str()?.to_string(),
            expected: r.str()?.to_string(),
            action: r.str()?.to_string(),
        });
    }
    let count_count = r.count()?;
    let mut counts = Vec::with_capacity(count_count);
    for _ in 0..count_count {
        counts.push(TableCounts {
            table: r.str()?.to_string(),
            rows_read: r.usize()?,
            rows_kept: r.usize()?,
            rows_rejected: r.usize()?,
            blank_rows_skipped: r.usize()?,
            cells_reported: r.usize()?,
            cells_repaired: r.usize()?,
            cells_not_listed: r.usize()?,
        });
    }
    // First find every column's bytes (cheap), then decode the columns in parallel.
    let table_count = r.count()?;
    let mut tables = Vec::with_capacity(table_count);
    let mut views: Vec<(usize, ColumnView<'_>)> = Vec::new();
    for index in 0..table_count {
        let name = r.str()?;
        let rows = r.usize()?;
        tables.push(Table::new(name, rows));
        let column_count = r.count()?;
        for _ in 0..column_count {
            views.push((index, ColumnView::parse(&mut r)?));
        }
    }
    if !r.is_empty() {
        return Err(Damaged("bytes left after the last table"));
    }
    let columns: Vec<(usize, Column)> = views
        .into_par_iter()
        .map(|(index, view)| view.decode().map(|column| (index, column)))
        .collect::<Result<_, _>>()?;
    for (index, column) in columns {
        let table = tables
            .get_mut(index)
            .ok_or(Damaged("a column of no table"))?;
        table.columns.push(column);
    }
    Ok(InputData {
        tables,
        quality: QualityLog { entries, counts },
        files,
    })
}
