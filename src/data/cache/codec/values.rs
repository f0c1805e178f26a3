//! A list of values in the payload by kind: one tag per row (or one for all), then the
//! numbers raw, the texts (a dictionary with indices, or the strings in row order) and
//! the errors with their origin.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged, f64_le, u32_le, u64_at, uint_le};
use crate::table::intern::FastBuildHasher;
use crate::value::{ErrorKind, ErrorOrigin, ExcelError, Value};

use super::NotCacheable;

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
pub(super) const MAX_DICTIONARY: usize = 1 << 16;

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

/// A list of values by kind: tags, then the numbers, texts and errors in row order.
pub(super) fn encode_values(w: &mut ByteWriter, values: &[Value]) -> Result<(), NotCacheable> {
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
        w.u32(u32::try_from(s.len()).map_err(|_| NotCacheable::TextTooLong)?);
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
    let mut by_address: HashMap<(usize, usize), u16, FastBuildHasher> = HashMap::default();
    let mut by_text: HashMap<&str, u16, FastBuildHasher> = HashMap::default();
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

/// Where one list of values' streams are in the payload.
pub(super) struct ValuesView<'a> {
    pub(super) rows: usize,
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
    pub(super) fn parse(r: &mut ByteReader<'a>) -> Result<Self, Damaged> {
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
            end = end
                .checked_add(u32_le(length) as usize)
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

    pub(super) fn decode(self) -> Result<Vec<Value>, Damaged> {
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
        let values = match self.tags {
            Ok(TAG_NUMBER) if only(self.rows, 0) => self
                .numbers
                .chunks_exact(8)
                .map(|b| Value::Number(f64_le(b)))
                .collect(),
            Ok(TAG_DATE) if only(self.rows, 0) => self
                .numbers
                .chunks_exact(8)
                .map(|b| Value::Date(f64_le(b)))
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
        .map(|bytes| match strings.get(uint_le(bytes, W) as usize) {
            Some(value) => value.clone(),
            None => {
                past_the_end = true;
                Value::Blank
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
            uint_le(bytes, self.width) as usize
        };
        match self.strings.get_mut(string) {
            // In row order each string is used once: move it out instead of sharing it.
            Some(value) if self.width == 0 => Ok(std::mem::take(value)),
            Some(value) => Ok(value.clone()),
            None => Err(Damaged("a text index past the dictionary")),
        }
    }
}
