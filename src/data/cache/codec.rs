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
//! column   = name str, type u8, shape u8, then by shape (see `data::column`):
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

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged, u64_at};
use crate::data::quality::{QualityEntry, QualityLog, TableCounts};
use crate::data::read::{InputData, InputFile};
use crate::table::column::{ColumnValues, FloatKind};
use crate::table::intern::FxBuildHasher;
use crate::table::{Column, Table};
use crate::value::ValueType;
use crate::value::{ErrorKind, ErrorOrigin, ExcelError, Value};

const TAG_BLANK: u8 = 0;
const TAG_NUMBER: u8 = 1;
const TAG_DATE: u8 = 2;
const TAG_TEXT: u8 = 3;
const TAG_FALSE: u8 = 4;
const TAG_TRUE: u8 = 5;
const TAG_ERROR: u8 = 6;

const TAGS_UNIFORM: u8 = 0;
const TAGS_PER_ROW: u8 = 1;

/// Columns with more distinct texts than this store each text row as it is.
const MAX_DICTIONARY: usize = 1 << 16;

/// Why some read inputs cannot be cached (they are used as read, just not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCacheable(pub &'static str);

/// Why a payload was not written.
#[derive(Debug)]
pub enum EncodeError {
    NotCacheable(NotCacheable),
    Write(std::io::Error),
}

impl From<NotCacheable> for EncodeError {
    fn from(e: NotCacheable) -> Self {
        EncodeError::NotCacheable(e)
    }
}

impl From<std::io::Error> for EncodeError {
    fn from(e: std::io::Error) -> Self {
        EncodeError::Write(e)
    }
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
pub fn encode_to_vec(data: &InputData) -> Result<Vec<u8>, NotCacheable> {
    let mut bytes = Vec::new();
    match encode(data, &mut |part| {
        bytes.extend_from_slice(part);
        Ok(())
    }) {
        Ok(()) => Ok(bytes),
        Err(EncodeError::NotCacheable(e)) => Err(e),
        Err(EncodeError::Write(_)) => Err(NotCacheable("cannot write to memory")),
    }
}

fn path_text(path: &std::path::Path) -> Result<&str, NotCacheable> {
    path.to_str()
        .ok_or(NotCacheable("a file path is not valid UTF-8"))
}

fn type_code(ty: ValueType) -> u8 {
    match ty {
        ValueType::Number => 0,
        ValueType::Text => 1,
        ValueType::Bool => 2,
        ValueType::Date => 3,
        ValueType::Any => 4,
    }
}

fn type_of_code(code: u8) -> Result<ValueType, Damaged> {
    Ok(match code {
        0 => ValueType::Number,
        1 => ValueType::Text,
        2 => ValueType::Bool,
        3 => ValueType::Date,
        4 => ValueType::Any,
        _ => return Err(Damaged("unknown column type")),
    })
}

fn tag_of(value: &Value) -> u8 {
    match value {
        Value::Blank => TAG_BLANK,
        Value::Number(_) => TAG_NUMBER,
        Value::Date(_) => TAG_DATE,
        Value::Text(_) => TAG_TEXT,
        Value::Bool(false) => TAG_FALSE,
        Value::Bool(true) => TAG_TRUE,
        Value::Error(_) => TAG_ERROR,
    }
}

const SHAPE_FLOATS: u8 = 0;
const SHAPE_CODED: u8 = 1;
const SHAPE_VALUES: u8 = 2;
const SHAPE_TEXTS: u8 = 3;

/// Bytes gathered before they are handed to the sink: big columns pass through a
/// small buffer instead of being encoded whole.
const SPILL: usize = 1 << 20;

type Sink<'a> = dyn FnMut(&[u8]) -> std::io::Result<()> + 'a;

/// Hands the gathered bytes to the sink once there are enough of them (or `now`).
fn spill(w: &mut ByteWriter, sink: &mut Sink<'_>, now: bool) -> std::io::Result<()> {
    if now || w.bytes.len() >= SPILL {
        sink(&w.bytes)?;
        w.bytes.clear();
    }
    Ok(())
}

fn encode_column(
    w: &mut ByteWriter,
    column: &Column,
    sink: &mut Sink<'_>,
) -> Result<(), EncodeError> {
    let Column { name, ty, data } = column;
    w.str(name);
    w.u8(type_code(*ty));
    match &**data {
        ColumnValues::Floats { kind, data, extras } => {
            w.u8(SHAPE_FLOATS);
            w.u8(match kind {
                FloatKind::Number => 0,
                FloatKind::Date => 1,
            });
            w.usize(data.len());
            for x in data {
                w.f64(*x);
                spill(w, sink, false)?;
            }
            encode_values(w, extras)?;
        }
        ColumnValues::Coded { codes, dictionary } => {
            w.u8(SHAPE_CODED);
            w.usize(codes.len());
            encode_values(w, dictionary)?;
            let width: usize = if dictionary.len() <= 1 << 8 {
                1
            } else if dictionary.len() <= 1 << 16 {
                2
            } else {
                4
            };
            w.u8(width as u8);
            for c in codes {
                w.bytes
                    .extend_from_slice(c.to_le_bytes().get(..width).unwrap_or_default());
                spill(w, sink, false)?;
            }
        }
        ColumnValues::Texts { text, ends, others } => {
            w.u8(SHAPE_TEXTS);
            w.usize(ends.len());
            w.usize(text.len());
            spill(w, sink, true)?;
            sink(text.as_bytes())?;
            for end in ends {
                w.u32(*end);
                spill(w, sink, false)?;
            }
            w.usize(others.len());
            for (row, _) in others {
                w.u32(*row);
            }
            let values: Vec<Value> = others.iter().map(|(_, v)| v.clone()).collect();
            encode_values(w, &values)?;
        }
        ColumnValues::Values(values) => {
            w.u8(SHAPE_VALUES);
            encode_values(w, values)?;
        }
    }
    Ok(())
}

/// A list of values by kind: tags, then the numbers, texts and errors in row order.
fn encode_values(w: &mut ByteWriter, values: &[Value]) -> Result<(), NotCacheable> {
    w.usize(values.len());

    // Tags: one byte for the whole column unless its values are of several kinds.
    let first = values.first().map_or(TAG_BLANK, tag_of);
    if values.iter().all(|v| tag_of(v) == first) {
        w.u8(TAGS_UNIFORM);
        w.u8(first);
    } else {
        w.u8(TAGS_PER_ROW);
        w.bytes.extend(values.iter().map(tag_of));
    }

    // Numbers and dates, raw.
    let numbers = values.iter().filter(|v| v.is_number()).count();
    w.usize(numbers);
    w.bytes.reserve(numbers * 8);
    for value in values {
        if let Value::Number(n) | Value::Date(n) = value {
            w.f64(*n);
        }
    }

    // Text: a dictionary with indices, or the strings in row order when most differ.
    let texts: Vec<&str> = values
        .iter()
        .filter_map(|v| match v {
            Value::Text(s) => Some(&**s),
            _ => None,
        })
        .collect();
    let (dictionary, indices) = dictionary_of(&texts);
    let direct = dictionary.is_empty() && !texts.is_empty();
    let strings: &[&str] = if direct { &texts } else { &dictionary };
    w.usize(texts.len());
    w.usize(strings.len());
    for s in strings {
        w.u32(u32::try_from(s.len()).map_err(|_| NotCacheable("a text is longer than 4 GB"))?);
    }
    w.usize(strings.iter().map(|s| s.len()).sum());
    for s in strings {
        w.bytes.extend_from_slice(s.as_bytes());
    }
    if direct || texts.is_empty() {
        w.u8(0);
    } else if dictionary.len() <= 1 << 8 {
        w.u8(1);
        w.bytes.extend(indices.iter().map(|i| *i as u8));
    } else {
        w.u8(2);
        for i in &indices {
            w.bytes.extend_from_slice(&i.to_le_bytes());
        }
    }

    // Errors, with their origin.
    let errors: Vec<&ExcelError> = values
        .iter()
        .filter_map(|v| match v {
            Value::Error(e) => Some(&**e),
            _ => None,
        })
        .collect();
    w.usize(errors.len());
    for error in errors {
        let ExcelError { kind, origin } = error;
        w.u8(error_code(*kind));
        match origin {
            Some(ErrorOrigin { rule, row, reason }) => {
                w.u8(1);
                w.str(rule);
                match row {
                    Some(row) => {
                        w.u8(1);
                        w.usize(*row);
                    }
                    None => w.u8(0),
                }
                w.str(reason);
            }
            None => w.u8(0),
        }
    }
    Ok(())
}

/// The distinct texts in first-seen order and each text's index, or nothing when a
/// dictionary does not pay: when most texts differ, or there are more than
/// [`MAX_DICTIONARY`] (sharing a large dictionary costs a cache miss per row on loading).
fn dictionary_of<'a>(texts: &[&'a str]) -> (Vec<&'a str>, Vec<u16>) {
    // Texts shared through the interner have one address: most lookups hash an address
    // instead of the characters. (All texts stay borrowed, so no address is reused.)
    let mut by_address: HashMap<(usize, usize), u16, FxBuildHasher> = HashMap::default();
    let mut by_text: HashMap<&str, u16, FxBuildHasher> = HashMap::default();
    let mut dictionary: Vec<&str> = Vec::new();
    let mut indices: Vec<u16> = Vec::with_capacity(texts.len());
    for text in texts {
        let address = (text.as_ptr() as usize, text.len());
        if let Some(id) = by_address.get(&address) {
            indices.push(*id);
            continue;
        }
        let id = match by_text.get(text) {
            Some(id) => *id,
            None => {
                let Ok(id) = u16::try_from(dictionary.len()) else {
                    return (Vec::new(), Vec::new());
                };
                dictionary.push(text);
                by_text.insert(text, id);
                id
            }
        };
        if by_address.len() < MAX_DICTIONARY {
            by_address.insert(address, id);
        }
        indices.push(id);
    }
    if dictionary.len() * 2 > texts.len() {
        return (Vec::new(), Vec::new());
    }
    (dictionary, indices)
}

fn error_code(kind: ErrorKind) -> u8 {
    ErrorKind::ALL
        .iter()
        .position(|k| *k == kind)
        .map_or(u8::MAX, |i| i as u8)
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

/// Little-endian u32s packed in `bytes`.
fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).map(|b| {
        let mut word = [0u8; 4];
        word.copy_from_slice(b);
        u32::from_le_bytes(word)
    })
}

/// Where one column's parts are in the payload.
struct ColumnView<'a> {
    name: &'a str,
    ty: ValueType,
    shape: ShapeView<'a>,
}

enum ShapeView<'a> {
    Floats {
        kind: FloatKind,
        data: &'a [u8],
        extras: ValuesView<'a>,
    },
    Coded {
        dictionary: ValuesView<'a>,
        width: usize,
        codes: &'a [u8],
    },
    Texts {
        text: &'a str,
        ends: &'a [u8],
        other_rows: &'a [u8],
        others: ValuesView<'a>,
    },
    Values(ValuesView<'a>),
}

impl<'a> ColumnView<'a> {
    fn parse(r: &mut ByteReader<'a>) -> Result<Self, Damaged> {
        let name = r.str()?;
        let ty = type_of_code(r.u8()?)?;
        let shape = match r.u8()? {
            SHAPE_FLOATS => {
                let kind = match r.u8()? {
                    0 => FloatKind::Number,
                    1 => FloatKind::Date,
                    _ => return Err(Damaged("unknown float kind")),
                };
                let rows = r.count()?;
                let data = r.take_array(rows, 8)?;
                let extras = ValuesView::parse(r)?;
                ShapeView::Floats { kind, data, extras }
            }
            SHAPE_CODED => {
                let rows = r.count()?;
                let dictionary = ValuesView::parse(r)?;
                let width = usize::from(r.u8()?);
                if !matches!(width, 1 | 2 | 4) {
                    return Err(Damaged("unknown code width"));
                }
                let codes = r.take_array(rows, width)?;
                ShapeView::Coded {
                    dictionary,
                    width,
                    codes,
                }
            }
            SHAPE_TEXTS => {
                let rows = r.count()?;
                let text = r.str()?;
                let ends = r.take_array(rows, 4)?;
                let other_count = r.count()?;
                let other_rows = r.take_array(other_count, 4)?;
                let others = ValuesView::parse(r)?;
                if others.rows != other_count {
                    return Err(Damaged("a text column's other rows and values differ"));
                }
                ShapeView::Texts {
                    text,
                    ends,
                    other_rows,
                    others,
                }
            }
            SHAPE_VALUES => ShapeView::Values(ValuesView::parse(r)?),
            _ => return Err(Damaged("unknown column shape")),
        };
        Ok(ColumnView { name, ty, shape })
    }

    fn decode(self) -> Result<Column, Damaged> {
        let data = match self.shape {
            ShapeView::Floats { kind, data, extras } => {
                let floats: Vec<f64> = data
                    .chunks_exact(8)
                    .map(|b| {
                        let mut word = [0u8; 8];
                        word.copy_from_slice(b);
                        f64::from_le_bytes(word)
                    })
                    .collect();
                ColumnValues::from_floats(kind, floats, extras.decode()?).map_err(Damaged)?
            }
            ShapeView::Texts {
                text,
                ends,
                other_rows,
                others,
            } => {
                let others: Vec<(u32, Value)> = u32s(other_rows).zip(others.decode()?).collect();
                ColumnValues::from_texts(text.to_string(), u32s(ends).collect(), others)
                    .map_err(Damaged)?
            }
            ShapeView::Coded {
                dictionary,
                width,
                codes,
            } => {
                let codes: Vec<u32> = codes
                    .chunks_exact(width)
                    .map(|b| {
                        let mut word = [0u8; 4];
                        if let Some(prefix) = word.get_mut(..width) {
                            prefix.copy_from_slice(b);
                        }
                        u32::from_le_bytes(word)
                    })
                    .collect();
                ColumnValues::from_codes(codes, dictionary.decode()?).map_err(Damaged)?
            }
            ShapeView::Values(values) => ColumnValues::Values(values.decode()?),
        };
        Ok(Column::stored(self.name, self.ty, data))
    }
}

/// Where one list of values' streams are in the payload.
struct ValuesView<'a> {
    rows: usize,
    /// `Ok(tag)` for a column of one kind, else one tag per row.
    tags: Result<u8, &'a [u8]>,
    numbers: &'a [u8],
    text_rows: usize,
    string_lengths: &'a [u8],
    string_bytes: &'a [u8],
    index_width: u8,
    indices: &'a [u8],
    errors: Vec<Value>,
}

impl<'a> ValuesView<'a> {
    fn parse(r: &mut ByteReader<'a>) -> Result<Self, Damaged> {
        let rows = r.usize()?;
        let tags = match r.u8()? {
            TAGS_UNIFORM => Ok(r.u8()?),
            TAGS_PER_ROW => Err(r.take(rows)?),
            _ => return Err(Damaged("unknown tag layout")),
        };
        let number_count = r.usize()?;
        let numbers = r.take_array(number_count, 8)?;
        let text_rows = r.usize()?;
        let string_count = r.usize()?;
        let string_lengths = r.take_array(string_count, 4)?;
        let byte_count = r.usize()?;
        let string_bytes = r.take(byte_count)?;
        let index_width = r.u8()?;
        let indices = match index_width {
            0 if string_count == text_rows => &[][..],
            1 | 2 => r.take_array(text_rows, usize::from(index_width))?,
            _ => return Err(Damaged("unknown text index width")),
        };
        let error_count = r.count()?;
        let mut errors = Vec::with_capacity(error_count);
        for _ in 0..error_count {
            let kind = *ErrorKind::ALL
                .get(usize::from(r.u8()?))
                .ok_or(Damaged("unknown error kind"))?;
            let origin = if r.bool()? {
                let rule: Arc<str> = Arc::from(r.str()?);
                let row = if r.bool()? { Some(r.usize()?) } else { None };
                let reason: Arc<str> = Arc::from(r.str()?);
                Some(ErrorOrigin { rule, row, reason })
            } else {
                None
            };
            errors.push(Value::Error(std::sync::Arc::new(ExcelError {
                kind,
                origin,
            })));
        }
        Ok(ValuesView {
            rows,
            tags,
            numbers,
            text_rows,
            string_lengths,
            string_bytes,
            index_width,
            indices,
            errors,
        })
    }

    /// The strings of the text stream, each as one text value (large columns of IDs are
    /// split between the cores).
    fn strings(&self) -> Result<Vec<Value>, Damaged> {
        // One UTF-8 check for the whole block; each string is then a slice of it, whose
        // ends `str::get` checks fall on character boundaries.
        let block =
            std::str::from_utf8(self.string_bytes).map_err(|_| Damaged("a text is not UTF-8"))?;
        let mut offsets = Vec::with_capacity(self.string_lengths.len() / 4 + 1);
        let mut end = 0usize;
        offsets.push(end);
        for length in self.string_lengths.chunks_exact(4) {
            let mut word = [0u8; 4];
            word.copy_from_slice(length);
            end = end
                .checked_add(u32::from_le_bytes(word) as usize)
                .ok_or(Damaged("text lengths overflow"))?;
            offsets.push(end);
        }
        if end != block.len() {
            return Err(Damaged("text lengths do not add up to the text bytes"));
        }
        let broken = AtomicBool::new(false);
        let strings: Vec<Value> = offsets
            .par_windows(2)
            .with_min_len(1 << 15)
            .map(|pair| match pair {
                [start, end] => match block.get(*start..*end) {
                    Some(text) => Value::text(text),
                    None => {
                        broken.store(true, Ordering::Relaxed);
                        Value::Blank
                    }
                },
                _ => Value::Blank,
            })
            .collect();
        if broken.load(Ordering::Relaxed) {
            return Err(Damaged("a text ends inside a character"));
        }
        Ok(strings)
    }

    fn decode(self) -> Result<Vec<Value>, Damaged> {
        let strings = self.strings()?;
        if self.tags == Ok(TAG_TEXT) && self.index_width == 0 && self.holds_only(0, self.rows) {
            // Mostly distinct text (IDs): the strings are the rows.
            return Ok(strings);
        }
        if let Some(values) = self.decode_one_kind(&strings)? {
            return Ok(values);
        }
        let mut text = TextStream {
            strings,
            width: usize::from(self.index_width),
            indices: self.indices,
            next: 0,
        };
        let mut numbers = 0usize;
        let mut errors = self.errors.into_iter();
        let mut values = Vec::with_capacity(self.rows);
        let mut push = |tag: u8| -> Result<(), Damaged> {
            let value = match tag {
                TAG_BLANK => Value::Blank,
                TAG_NUMBER | TAG_DATE => {
                    let bits = u64_at(self.numbers, numbers)
                        .ok_or(Damaged("fewer numbers than number rows"))?;
                    numbers += 1;
                    let n = f64::from_bits(bits);
                    if tag == TAG_NUMBER {
                        Value::Number(n)
                    } else {
                        Value::Date(n)
                    }
                }
                TAG_TEXT => text.next_value()?,
                TAG_FALSE => Value::Bool(false),
                TAG_TRUE => Value::Bool(true),
                TAG_ERROR => errors
                    .next()
                    .ok_or(Damaged("fewer errors than error rows"))?,
                _ => return Err(Damaged("unknown value tag")),
            };
            values.push(value);
            Ok(())
        };
        match self.tags {
            Ok(tag) => (0..self.rows).try_for_each(|_| push(tag))?,
            Err(tags) => tags.iter().try_for_each(|tag| push(*tag))?,
        }
        let all_used = numbers * 8 == self.numbers.len()
            && text.next == self.text_rows
            && errors.next().is_none();
        if !all_used {
            return Err(Damaged("a column's values do not match its tags"));
        }
        Ok(values)
    }
}

impl ValuesView<'_> {
    /// Fast paths for a column whose rows are all numbers, all dates or all text (most
    /// columns); `None` for other columns.
    /// True when the column has exactly `numbers` numbers, `text` text rows and no errors.
    fn holds_only(&self, numbers: usize, text: usize) -> bool {
        Some(self.numbers.len()) == numbers.checked_mul(8)
            && self.text_rows == text
            && self.errors.is_empty()
    }

    fn decode_one_kind(&self, strings: &[Value]) -> Result<Option<Vec<Value>>, Damaged> {
        let only = |numbers: usize, text: usize| self.holds_only(numbers, text);
        let number = |bytes: &[u8]| {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            f64::from_le_bytes(word)
        };
        let values = match self.tags {
            Ok(TAG_NUMBER) if only(self.rows, 0) => self
                .numbers
                .chunks_exact(8)
                .map(|b| Value::Number(number(b)))
                .collect(),
            Ok(TAG_DATE) if only(self.rows, 0) => self
                .numbers
                .chunks_exact(8)
                .map(|b| Value::Date(number(b)))
                .collect(),
            Ok(TAG_TEXT) if only(0, self.rows) => match self.index_width {
                1 => lookup::<1>(self.indices, strings)?,
                _ => lookup::<2>(self.indices, strings)?,
            },
            _ => return Ok(None),
        };
        Ok(Some(values))
    }
}

/// The dictionary strings at each index of a packed array of `W`-byte indices (one
/// pass, no reallocation; an index past the dictionary is [`Damaged`]).
fn lookup<const W: usize>(indices: &[u8], strings: &[Value]) -> Result<Vec<Value>, Damaged> {
    let mut past_the_end = false;
    let values = indices
        .chunks_exact(W)
        .map(|bytes| {
            let mut word = [0u8; 4];
            if let Some(prefix) = word.get_mut(..W) {
                prefix.copy_from_slice(bytes);
            }
            match strings.get(u32::from_le_bytes(word) as usize) {
                Some(value) => value.clone(),
                None => {
                    past_the_end = true;
                    Value::Blank
                }
            }
        })
        .collect();
    if past_the_end {
        return Err(Damaged("a text index past the dictionary"));
    }
    Ok(values)
}

/// The text rows of one column, in order.
struct TextStream<'a> {
    strings: Vec<Value>,
    /// 0: `strings` are the rows themselves; else the byte width of each index.
    width: usize,
    indices: &'a [u8],
    next: usize,
}

impl TextStream<'_> {
    fn next_value(&mut self) -> Result<Value, Damaged> {
        let row = self.next;
        self.next += 1;
        let string = if self.width == 0 {
            row
        } else {
            let start = row * self.width;
            let bytes = self
                .indices
                .get(start..start + self.width)
                .ok_or(Damaged("fewer text indices than text rows"))?;
            let mut word = [0u8; 4];
            if let Some(prefix) = word.get_mut(..self.width) {
                prefix.copy_from_slice(bytes);
            }
            u32::from_le_bytes(word) as usize
        };
        match self.strings.get_mut(string) {
            // In row order each string is used once: move it out instead of sharing it.
            Some(value) if self.width == 0 => Ok(std::mem::take(value)),
            Some(value) => Ok(value.clone()),
            None => Err(Damaged("a text index past the dictionary")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InputData {
        let mut table = Table::new("Deals", 4);
        table.columns.push(Column::new(
            "channel",
            ValueType::Text,
            ["Direct", "Partner", "Direct", "Online"]
                .map(Value::text)
                .to_vec(),
        ));
        table.columns.push(Column::new(
            "id",
            ValueType::Text,
            ["D-1", "D-2", "D-3", "D-4"].map(Value::text).to_vec(),
        ));
        table.columns.push(Column::new(
            "amount",
            ValueType::Number,
            vec![
                Value::Number(1.5),
                Value::Number(-0.0),
                Value::Number(f64::MAX),
                Value::Number(3.0),
            ],
        ));
        table.columns.push(Column::new(
            "created",
            ValueType::Date,
            [45000.0, 45001.5, 1.0, 2958465.0].map(Value::Date).to_vec(),
        ));
        let origin = ErrorOrigin {
            rule: Arc::from("Deals.x"),
            row: Some(3),
            reason: Arc::from("why"),
        };
        table.columns.push(Column::new(
            "mixed",
            ValueType::Any,
            vec![
                Value::Blank,
                Value::Date(45000.0),
                Value::Bool(true),
                Value::Error(std::sync::Arc::new(ExcelError {
                    kind: ErrorKind::NA,
                    origin: Some(origin),
                })),
            ],
        ));
        InputData {
            tables: vec![table, Table::new("Empty", 0)],
            quality: QualityLog {
                entries: vec![QualityEntry {
                    table: "Deals".into(),
                    file: PathBuf::from("/x/crm.xlsx"),
                    cell: "Deals!C3".into(),
                    column: "amount".into(),
                    raw: "n/a".into(),
                    expected: "a number".into(),
                    action: "kept as #VALUE!".into(),
                }],
                counts: vec![TableCounts {
                    table: "Deals".into(),
                    rows_read: 5,
                    rows_kept: 4,
                    rows_rejected: 1,
                    blank_rows_skipped: 2,
                    cells_reported: 3,
                    cells_repaired: 1,
                    cells_not_listed: 0,
                }],
            },
            files: vec![InputFile {
                path: PathBuf::from("/x/crm.xlsx"),
                sha256: "ab".repeat(32),
                bytes: 1234,
            }],
        }
    }

    #[test]
    fn everything_read_comes_back_equal() {
        let data = sample();
        let decoded = decode(&encode_to_vec(&data).unwrap()).unwrap();
        assert_eq!(decoded.tables, data.tables);
        assert_eq!(decoded.quality, data.quality);
        assert_eq!(decoded.files, data.files);
        // Error origins survive too (Value's equality compares only the kind).
        let mixed = &decoded.tables[0].columns[4].values()[3];
        let Value::Error(e) = mixed else {
            panic!("{mixed:?}")
        };
        assert_eq!(e.origin.as_ref().map(|o| o.row), Some(Some(3)));
        // Negative zero is kept bit for bit.
        let Value::Number(z) = decoded.tables[0].columns[2].values()[1] else {
            panic!()
        };
        assert!(z.is_sign_negative());
    }

    #[test]
    fn columns_bigger_than_the_spill_buffer_round_trip_in_every_shape() {
        let rows = 300_000;
        let mut table = Table::new("Big", rows);
        let column = |name: &str, f: &dyn Fn(usize) -> Value| {
            Column::new(name, ValueType::Any, (0..rows).map(f).collect())
        };
        table.columns.push(column("amount", &|i| {
            if i % 9 == 0 {
                Value::text("")
            } else {
                Value::Number(i as f64 / 3.0)
            }
        }));
        table
            .columns
            .push(column("channel", &|i| Value::text(["a", "b", "c"][i % 3])));
        table.columns.push(column("partner", &|i| {
            Value::text(&format!("P{}", i % 1000))
        }));
        table
            .columns
            .push(column("id", &|i| Value::text(&format!("ID-{i}"))));
        let shapes: Vec<&str> = table.columns.iter().map(|c| c.data.shape_name()).collect();
        assert_eq!(shapes, ["floats", "coded", "coded", "texts"]);
        let data = InputData {
            tables: vec![table],
            ..InputData::default()
        };
        let mut parts = 0;
        let mut bytes = Vec::new();
        encode(&data, &mut |part| {
            parts += 1;
            assert!(
                part.len() <= SPILL + (1 << 16) || part.len() > 1 << 21,
                "{}",
                part.len()
            );
            bytes.extend_from_slice(part);
            Ok(())
        })
        .unwrap();
        assert!(parts > 4, "{parts} parts");
        assert_eq!(decode(&bytes).unwrap().tables, data.tables);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = encode_to_vec(&sample()).unwrap();
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "truncated at {len}");
        }
    }

    #[test]
    fn dictionaries_of_every_width_and_past_the_limit_round_trip() {
        let column = |distinct: usize, rows: usize| {
            Column::new(
                "c",
                ValueType::Text,
                (0..rows)
                    .map(|i| Value::text(&format!("v{}", i % distinct)))
                    .collect(),
            )
        };
        // 1-byte indices, 2-byte indices, and more distinct texts than a dictionary holds.
        for (distinct, rows) in [(200, 1000), (3000, 9000), (MAX_DICTIONARY + 10, 140_000)] {
            let mut table = Table::new("T", rows);
            table.columns.push(column(distinct, rows));
            let data = InputData {
                tables: vec![table],
                ..InputData::default()
            };
            let decoded = decode(&encode_to_vec(&data).unwrap()).unwrap();
            assert_eq!(decoded.tables, data.tables, "{distinct} distinct");
        }
    }

    #[test]
    fn repeated_text_uses_a_dictionary_and_ids_do_not() {
        let rows = 1000;
        let mut table = Table::new("T", rows);
        table.columns.push(Column::new(
            "channel",
            ValueType::Text,
            (0..rows)
                .map(|i| Value::text(["Partner channel, EMEA north", "Direct"][i % 2]))
                .collect(),
        ));
        table.columns.push(Column::new(
            "id",
            ValueType::Text,
            (0..rows).map(|i| Value::text(&format!("ID-{i}"))).collect(),
        ));
        let data = InputData {
            tables: vec![table],
            ..InputData::default()
        };
        let bytes = encode_to_vec(&data).unwrap();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.tables, data.tables);
        // Dictionary column: one shared allocation per distinct string.
        let channel = decoded.tables[0].columns[0].values();
        let (Value::Text(a), Value::Text(b)) = (&channel[0], &channel[2]) else {
            panic!()
        };
        assert!(std::ptr::eq((**a).as_ptr(), (**b).as_ptr()));
        // Each id is stored once (text and u32 length) with no index beside it (a
        // 1000-string dictionary would need 2 bytes per row); the channels take 1 byte.
        let id_bytes: usize = (0..rows).map(|i| format!("ID-{i}").len() + 4).sum();
        assert!(bytes.len() < id_bytes + rows + 500, "{}", bytes.len());
    }
}
