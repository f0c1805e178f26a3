//! Compact column storage: numbers and dates as 8-byte floats, columns of few distinct
//! values as 4-byte codes into a dictionary, anything else as one `Value` per row.
//!
//! At Excel's row limit the input tables and the computed per-row columns are most of a
//! run's memory; a `Value` per cell costs three times a float and six times a code.
//! The choice is made while values are pushed, so a column never exists twice.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::Arc;

use crate::table::intern::FastBuildHasher;
use crate::value::{Text, Value};

/// Blank rows of a float column: a quiet NaN with a payload no arithmetic produces.
pub(crate) const BLANK_BITS: u64 = 0x7ff8_beef_0000_0000;
/// Rows of a float column holding another value (text, an error, a NaN number …): a
/// quiet NaN whose low 32 bits index the column's `extras`.
pub(crate) const EXTRA_TAG: u64 = 0x7ff8_dead_0000_0000;
const TAG_MASK: u64 = 0xffff_ffff_0000_0000;

/// The extras index a float row marks, if it marks one.
#[inline]
pub(crate) fn extra_index(bits: u64) -> Option<usize> {
    (bits & TAG_MASK == EXTRA_TAG).then_some((bits & 0xffff_ffff) as usize)
}

/// A dictionary this size is given up when it is most of the rows (IDs, free text):
/// early, so an ID column never holds a large dictionary while it is read. A key column
/// of many repeated values that looks distinct this early becomes a text buffer, which
/// the evaluator reads as codes of its distinct texts all the same.
pub(crate) const DICTIONARY_TRIAL: usize = 4096;
/// Below this many distinct values a dictionary is kept even when most rows differ.
pub(crate) const DICTIONARY_SMALL: usize = 64;
/// Float columns with more non-float rows than this share of the rows store values.
const OTHERS_TRIAL: usize = 1024;

/// Whether a float column holds numbers or dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatKind {
    Number,
    Date,
}

impl FloatKind {
    fn of(value: &Value) -> Option<(FloatKind, f64)> {
        match value {
            Value::Number(n) if !n.is_nan() => Some((FloatKind::Number, *n)),
            Value::Date(n) if !n.is_nan() => Some((FloatKind::Date, *n)),
            _ => None,
        }
    }

    fn value(self, x: f64) -> Value {
        match self {
            FloatKind::Number => Value::Number(x),
            FloatKind::Date => Value::Date(x),
        }
    }
}

/// A row's value as stored: a value, text in a column's buffer, or a float.
#[derive(Debug, Clone, Copy)]
pub enum CellRef<'a> {
    Value(&'a Value),
    Text(&'a str),
    Float(FloatKind, f64),
}

/// A column's values, stored by shape.
#[derive(Debug, Clone)]
pub enum ColumnValues {
    /// Numbers or dates of one kind: one float per row; blank rows and rows of other
    /// values are marked by reserved NaNs, the latter indexing `extras` (the distinct
    /// other values, such as the `""` of `IF(closed, days, "")`).
    Floats {
        kind: FloatKind,
        data: Vec<f64>,
        extras: Vec<Value>,
    },
    /// Few distinct values: one code per row into `dictionary`.
    Coded {
        codes: Vec<u32>,
        dictionary: Vec<Value>,
    },
    /// Mostly distinct text (IDs): every row's characters in one buffer. Row `r` is
    /// `text[ends[r - 1]..ends[r]]`; rows that are not text have an empty range and
    /// their value in `others` (an empty range not listed there is empty text).
    Texts {
        text: String,
        ends: Vec<u32>,
        others: Vec<(u32, Value)>,
    },
    /// Anything else: one value per row.
    Values(Vec<Value>),
}

impl Default for ColumnValues {
    fn default() -> Self {
        ColumnValues::Values(Vec::new())
    }
}

impl PartialEq for ColumnValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.values() == other.values()
    }
}

impl From<Vec<Value>> for ColumnValues {
    fn from(values: Vec<Value>) -> Self {
        ColumnValues::compact(values)
    }
}

impl ColumnValues {
    /// Stores `values` in the most compact shape that holds them exactly.
    pub fn compact(values: Vec<Value>) -> Self {
        let mut builder = ColumnBuilder::with_capacity(values.len());
        for value in values {
            builder.push(value);
        }
        builder.finish()
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Floats { data, .. } => data.len(),
            ColumnValues::Coded { codes, .. } => codes.len(),
            ColumnValues::Texts { ends, .. } => ends.len(),
            ColumnValues::Values(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `row`, or `None` past the end.
    pub fn get(&self, row: usize) -> Option<Value> {
        match self {
            ColumnValues::Floats { kind, data, extras } => {
                Some(float_value(*kind, *data.get(row)?, extras))
            }
            ColumnValues::Coded { codes, dictionary } => {
                let code = *codes.get(row)?;
                Some(dictionary.get(code as usize).cloned().unwrap_or_default())
            }
            ColumnValues::Texts { text, ends, others } => {
                let end = *ends.get(row)? as usize;
                let start = row
                    .checked_sub(1)
                    .and_then(|r| ends.get(r))
                    .map_or(0, |s| *s as usize);
                if start == end {
                    let other = others.binary_search_by_key(&row, |(r, _)| *r as usize);
                    return Some(match other.ok().and_then(|i| others.get(i)) {
                        Some((_, value)) => value.clone(),
                        None => Value::text(""),
                    });
                }
                Some(Value::text(text.get(start..end).unwrap_or_default()))
            }
            ColumnValues::Values(values) => values.get(row).cloned(),
        }
    }

    /// The value at `row` borrowed from where it is stored (text without allocating),
    /// or `None` past the end.
    pub fn cell(&self, row: usize) -> Option<CellRef<'_>> {
        static BLANK: Value = Value::Blank;
        match self {
            ColumnValues::Floats { kind, data, extras } => {
                let bits = data.get(row)?.to_bits();
                Some(if bits == BLANK_BITS {
                    CellRef::Value(&BLANK)
                } else {
                    match extra_index(bits) {
                        Some(i) => CellRef::Value(extras.get(i).unwrap_or(&BLANK)),
                        None => CellRef::Float(*kind, f64::from_bits(bits)),
                    }
                })
            }
            ColumnValues::Coded { codes, dictionary } => Some(CellRef::Value(
                dictionary.get(*codes.get(row)? as usize).unwrap_or(&BLANK),
            )),
            ColumnValues::Texts { text, ends, others } => {
                let end = *ends.get(row)? as usize;
                let start = row
                    .checked_sub(1)
                    .and_then(|r| ends.get(r))
                    .map_or(0, |s| *s as usize);
                if start == end
                    && let Ok(i) = others.binary_search_by_key(&row, |(r, _)| *r as usize)
                {
                    return others.get(i).map(|(_, v)| CellRef::Value(v));
                }
                Some(CellRef::Text(text.get(start..end).unwrap_or_default()))
            }
            ColumnValues::Values(values) => values.get(row).map(CellRef::Value),
        }
    }

    /// A text-buffer column as codes into a dictionary of its distinct values (exact
    /// text; one allocation per distinct string rather than per row), for kernels that
    /// read codes. `None` for other shapes.
    pub fn coded_view(&self) -> Option<(Vec<u32>, Vec<Value>)> {
        let ColumnValues::Texts { ends, .. } = self else {
            return None;
        };
        let mut dictionary: Vec<Value> = Vec::new();
        // Codes found by their text's hash, compared with the dictionary's own copy (a
        // few compact allocations that stay in cache, unlike the column's buffer).
        let mut by_text: hashbrown::HashTable<u32> = hashbrown::HashTable::new();
        let mut by_identity: HashMap<Identity, u32, FastBuildHasher> = HashMap::default();
        let text_hash = |text: &str| {
            let mut hasher = crate::table::intern::FastHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        let text_of = |dictionary: &[Value], code: u32| match dictionary.get(code as usize) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let mut codes = Vec::with_capacity(ends.len());
        for row in 0..ends.len() {
            let next = dictionary.len() as u32;
            let code = match self.cell(row) {
                Some(CellRef::Text(text)) => {
                    let hash = text_hash(text);
                    let found = by_text.find(hash, |code| {
                        matches!(dictionary.get(*code as usize), Some(Value::Text(t)) if t.as_str() == text)
                    });
                    match found {
                        Some(code) => *code,
                        None => {
                            dictionary.push(Value::text(text));
                            by_text.insert_unique(hash, next, |code| {
                                text_of(&dictionary, *code).map_or(0, |t| text_hash(&t))
                            });
                            next
                        }
                    }
                }
                // The column holds these values, so their identities stay theirs.
                Some(CellRef::Value(value)) => {
                    *by_identity.entry(identity(value)).or_insert_with(|| {
                        dictionary.push(value.clone());
                        next
                    })
                }
                Some(CellRef::Float(kind, x)) => {
                    dictionary.push(kind.value(x));
                    next
                }
                None => next,
            };
            codes.push(code);
        }
        Some((codes, dictionary))
    }

    /// Every value, borrowed when stored as values, else decoded.
    pub fn values(&self) -> Cow<'_, [Value]> {
        match self {
            ColumnValues::Values(values) => Cow::Borrowed(values),
            ColumnValues::Floats { kind, data, extras } => Cow::Owned(
                data.iter()
                    .map(|x| float_value(*kind, *x, extras))
                    .collect(),
            ),
            ColumnValues::Coded { codes, dictionary } => Cow::Owned(
                codes
                    .iter()
                    .map(|c| dictionary.get(*c as usize).cloned().unwrap_or_default())
                    .collect(),
            ),
            ColumnValues::Texts { text, ends, others } => {
                let mut out = Vec::with_capacity(ends.len());
                let mut next_other = others.iter().peekable();
                let mut start = 0usize;
                for (row, end) in ends.iter().enumerate() {
                    let end = *end as usize;
                    let other = next_other.next_if(|(r, _)| *r as usize == row);
                    out.push(match other {
                        Some((_, value)) => value.clone(),
                        None => Value::text(text.get(start..end).unwrap_or_default()),
                    });
                    start = end;
                }
                Cow::Owned(out)
            }
        }
    }

    /// The values, without copying when stored as values.
    pub fn into_values(self) -> Vec<Value> {
        match self {
            ColumnValues::Values(values) => values,
            other => other.values().into_owned(),
        }
    }

    /// A float column from its parts (as the input cache stores them), checked: every
    /// marked row's index is in `extras`.
    pub fn from_floats(
        kind: FloatKind,
        data: Vec<f64>,
        extras: Vec<Value>,
    ) -> Result<Self, &'static str> {
        if data
            .iter()
            .any(|x| extra_index(x.to_bits()).is_some_and(|i| i >= extras.len()))
        {
            return Err("a float column's row marks a value past its extras");
        }
        Ok(ColumnValues::Floats { kind, data, extras })
    }

    /// A coded column from its parts, checked: every code is in the dictionary.
    pub fn from_codes(codes: Vec<u32>, dictionary: Vec<Value>) -> Result<Self, &'static str> {
        if codes.iter().any(|c| *c as usize >= dictionary.len()) {
            return Err("a code past the column's dictionary");
        }
        Ok(ColumnValues::Coded { codes, dictionary })
    }

    /// A text column from its parts, checked: ends never decrease, fall on character
    /// boundaries, and other rows are in row order on empty ranges.
    pub fn from_texts(
        text: String,
        ends: Vec<u32>,
        others: Vec<(u32, Value)>,
    ) -> Result<Self, &'static str> {
        let mut start = 0usize;
        for end in &ends {
            let end = *end as usize;
            if end < start || !text.is_char_boundary(end) {
                return Err("a text column's row ends are out of order or inside a character");
            }
            start = end;
        }
        if start != text.len() {
            return Err("a text column's row ends do not cover its text");
        }
        let mut previous: Option<u32> = None;
        for (row, _) in &others {
            let r = *row as usize;
            let end = ends
                .get(r)
                .ok_or("a text column's other row is past its end")?;
            let begin = r.checked_sub(1).and_then(|p| ends.get(p)).map_or(0, |s| *s);
            if *end != begin || previous.is_some_and(|p| p >= *row) {
                return Err("a text column's other rows are not on empty rows in order");
            }
            previous = Some(*row);
        }
        Ok(ColumnValues::Texts { text, ends, others })
    }

    /// The shape's name, for profiling output.
    pub fn shape_name(&self) -> &'static str {
        match self {
            ColumnValues::Floats { .. } => "floats",
            ColumnValues::Coded { .. } => "coded",
            ColumnValues::Texts { .. } => "texts",
            ColumnValues::Values(_) => "values",
        }
    }

    /// Approximate heap bytes, for measurements and the cache's accounting.
    pub fn heap_bytes(&self) -> usize {
        let value = std::mem::size_of::<Value>();
        match self {
            ColumnValues::Floats { data, extras, .. } => data.len() * 8 + extras.len() * value,
            ColumnValues::Coded { codes, dictionary } => codes.len() * 4 + dictionary.len() * value,
            ColumnValues::Texts { text, ends, others } => {
                text.len() + ends.len() * 4 + others.len() * (value + 4)
            }
            // Each distinct text of a values column is its own allocation too.
            ColumnValues::Values(values) => {
                values.len() * value
                    + values
                        .iter()
                        .map(|v| match v {
                            Value::Text(t) => t.len() + 16,
                            _ => 0,
                        })
                        .sum::<usize>()
            }
        }
    }
}

#[inline]
fn float_value(kind: FloatKind, x: f64, extras: &[Value]) -> Value {
    let bits = x.to_bits();
    if bits == BLANK_BITS {
        return Value::Blank;
    }
    match extra_index(bits) {
        Some(i) => extras.get(i).cloned().unwrap_or_default(),
        None => kind.value(x),
    }
}

/// A float column's row: `Ok` with its number (or date serial), or `Err` with the value
/// it marks (blank, or one of `extras`), for kernels that read floats directly.
#[inline]
pub fn float_member(x: f64, extras: &[Value]) -> Result<f64, &Value> {
    static BLANK: Value = Value::Blank;
    let bits = x.to_bits();
    if bits == BLANK_BITS {
        return Err(&BLANK);
    }
    match extra_index(bits) {
        Some(i) => Err(extras.get(i).unwrap_or(&BLANK)),
        None => Ok(x),
    }
}

/// A dictionary entry's identity: text by its allocation (interned text shares one
/// per distinct string; equal text in two allocations only costs a second entry),
/// errors by theirs, other values by their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Identity {
    Blank,
    Bool(bool),
    Number(u64),
    Date(u64),
    Text(usize),
    Error(usize),
}

fn identity(value: &Value) -> Identity {
    match value {
        Value::Blank => Identity::Blank,
        Value::Bool(b) => Identity::Bool(*b),
        Value::Number(n) => Identity::Number(n.to_bits()),
        Value::Date(n) => Identity::Date(n.to_bits()),
        Value::Text(t) => Identity::Text(t.as_ptr() as usize),
        Value::Error(e) => Identity::Error(Arc::as_ptr(e) as usize),
    }
}

enum Shape {
    /// Only blanks so far (counted).
    Blanks(usize),
    Floats {
        kind: FloatKind,
        data: Vec<f64>,
        extras: Dictionary,
    },
    Coded {
        codes: Vec<u32>,
        dictionary: Dictionary,
    },
    Texts {
        text: String,
        ends: Vec<u32>,
        others: Vec<(u32, Value)>,
    },
    Values(Vec<Value>),
}

/// Distinct values in first-seen order with a code each, found by identity (and text
/// by its characters too, for text that is not interned).
#[derive(Default)]
struct Dictionary {
    values: Vec<Value>,
    index: HashMap<Identity, u32, FastBuildHasher>,
    by_text: HashMap<Text, u32, FastBuildHasher>,
    /// The last value coded: runs of one value (sorted or repetitive exports, the
    /// blanks of an IF) skip the hash lookup.
    last: Option<(Identity, u32)>,
}

impl Dictionary {
    fn code(&mut self, value: Value) -> u32 {
        let id = identity(&value);
        if let Some((last, code)) = self.last
            && last == id
        {
            return code;
        }
        if let Some(code) = self.index.get(&id) {
            self.last = Some((id, *code));
            return *code;
        }
        let next = self.values.len() as u32;
        let code = match &value {
            Value::Text(t) => *self.by_text.entry(t.clone()).or_insert(next),
            _ => next,
        };
        // Only the identities of values the dictionary holds are remembered: another
        // allocation of known text is found by its characters each time, since once
        // it is freed its address may hold other text.
        if code == next {
            self.values.push(value);
            self.index.insert(id, code);
            self.last = Some((id, code));
        }
        code
    }
}

/// Builds a [`ColumnValues`] one value at a time, choosing the shape from what it sees:
/// floats when the first value is a number or date, codes for anything else, and plain
/// values once either stops paying (many other rows, or mostly distinct values).
pub struct ColumnBuilder {
    shape: Shape,
    capacity: usize,
}

impl Default for ColumnBuilder {
    fn default() -> Self {
        ColumnBuilder::with_capacity(0)
    }
}

impl ColumnBuilder {
    pub fn with_capacity(capacity: usize) -> Self {
        ColumnBuilder {
            shape: Shape::Blanks(0),
            capacity,
        }
    }

    pub fn len(&self) -> usize {
        match &self.shape {
            Shape::Blanks(n) => *n,
            Shape::Floats { data, .. } => data.len(),
            Shape::Coded { codes, .. } => codes.len(),
            Shape::Texts { ends, .. } => ends.len(),
            Shape::Values(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, value: Value) {
        match &mut self.shape {
            Shape::Blanks(n) => {
                if value.is_blank() {
                    *n += 1;
                    return;
                }
                let blanks = *n;
                self.shape = self.first_shape(&value, blanks);
                self.push(value);
            }
            Shape::Floats { kind, data, extras } => match FloatKind::of(&value) {
                Some((k, x)) if k == *kind => data.push(x),
                _ if value.is_blank() => data.push(f64::from_bits(BLANK_BITS)),
                _ => {
                    let index = extras.code(value);
                    data.push(f64::from_bits(EXTRA_TAG | u64::from(index)));
                    let rows = data.len();
                    if extras.values.len() > OTHERS_TRIAL && extras.values.len() * 8 > rows {
                        self.switch_to_values();
                    }
                }
            },
            Shape::Coded { codes, dictionary } => {
                let code = dictionary.code(value);
                codes.push(code);
                let distinct = dictionary.values.len();
                if distinct > DICTIONARY_TRIAL && distinct * 2 > codes.len() {
                    self.switch_to_distinct();
                }
            }
            Shape::Texts { text, ends, others } => {
                let row = ends.len();
                let end = match &value {
                    Value::Text(t) => u32::try_from(text.len() + t.len()).ok(),
                    _ => u32::try_from(text.len()).ok(),
                };
                let (Some(end), Ok(row)) = (end, u32::try_from(row)) else {
                    self.switch_to_values();
                    self.push(value);
                    return;
                };
                match value {
                    Value::Text(t) => text.push_str(&t),
                    other => {
                        if others.len() > OTHERS_TRIAL && others.len() * 8 > ends.len() {
                            self.switch_to_values();
                            self.push(other);
                            return;
                        }
                        others.push((row, other));
                    }
                }
                ends.push(end);
            }
            Shape::Values(values) => values.push(value),
        }
    }

    fn first_shape(&self, value: &Value, blanks: usize) -> Shape {
        let capacity = self.capacity.max(blanks);
        match FloatKind::of(value) {
            Some((kind, _)) => {
                let mut data = Vec::with_capacity(capacity);
                data.resize(blanks, f64::from_bits(BLANK_BITS));
                Shape::Floats {
                    kind,
                    data,
                    extras: Dictionary::default(),
                }
            }
            None => {
                let mut codes = Vec::with_capacity(capacity);
                let mut dictionary = Dictionary::default();
                if blanks > 0 {
                    dictionary.code(Value::Blank);
                    codes.resize(blanks, 0);
                }
                Shape::Coded { codes, dictionary }
            }
        }
    }

    /// The values pushed so far, leaving the builder empty.
    fn take_values(&mut self) -> Vec<Value> {
        let shape = std::mem::replace(&mut self.shape, Shape::Blanks(0));
        let stored = match shape {
            Shape::Blanks(n) => return vec![Value::Blank; n],
            Shape::Values(values) => return values,
            Shape::Floats { kind, data, extras } => ColumnValues::Floats {
                kind,
                data,
                extras: extras.values,
            },
            Shape::Coded { codes, dictionary } => ColumnValues::Coded {
                codes,
                dictionary: dictionary.values,
            },
            Shape::Texts { text, ends, others } => ColumnValues::Texts { text, ends, others },
        };
        stored.into_values()
    }

    /// Switches to one value per row, keeping what was pushed.
    fn switch_to_values(&mut self) {
        let mut values = self.take_values();
        values.reserve(self.capacity.saturating_sub(values.len()));
        self.shape = Shape::Values(values);
    }

    /// Mostly distinct values: floats when they are mostly numbers or dates, their
    /// characters in one buffer when they are text (IDs), else one value per row.
    fn switch_to_distinct(&mut self) {
        let values = self.take_values();
        let count = |f: fn(&Value) -> bool| values.iter().filter(|v| f(v)).count();
        let texts = count(|v| matches!(v, Value::Text(_)));
        let numbers = count(|v| matches!(v, Value::Number(_)));
        let dates = count(|v| matches!(v, Value::Date(_)));
        // Mostly numbers or dates after a few other values (`IF(closed, days, "")` on
        // a first row not closed): floats, the others as extras.
        if numbers.max(dates) > texts {
            let kind = if dates > numbers {
                FloatKind::Date
            } else {
                FloatKind::Number
            };
            self.shape = Shape::Floats {
                kind,
                data: Vec::with_capacity(self.capacity.max(values.len())),
                extras: Dictionary::default(),
            };
            for value in values {
                self.push(value);
            }
            return;
        }
        if texts * 8 < values.len() * 7 {
            self.shape = Shape::Values(values);
            self.switch_to_values();
            return;
        }
        let bytes: usize = values
            .iter()
            .map(|v| match v {
                Value::Text(t) => t.len(),
                _ => 0,
            })
            .sum();
        let rows = self.capacity.max(values.len());
        let expected_bytes = bytes / values.len().max(1) * rows + bytes % values.len().max(1);
        self.shape = Shape::Texts {
            text: String::with_capacity(expected_bytes.min(u32::MAX as usize)),
            ends: Vec::with_capacity(rows),
            others: Vec::new(),
        };
        for value in values {
            self.push(value);
        }
    }

    pub fn finish(self) -> ColumnValues {
        match self.shape {
            Shape::Blanks(n) => ColumnValues::Coded {
                codes: vec![0; n],
                dictionary: if n > 0 {
                    vec![Value::Blank]
                } else {
                    Vec::new()
                },
            },
            Shape::Floats {
                kind,
                mut data,
                extras,
            } => {
                data.shrink_to_fit();
                ColumnValues::Floats {
                    kind,
                    data,
                    extras: extras.values,
                }
            }
            Shape::Coded {
                mut codes,
                dictionary,
            } => {
                // Mostly distinct values (IDs) gain nothing from a dictionary.
                let distinct = dictionary.values.len();
                if distinct > DICTIONARY_SMALL && distinct * 2 > codes.len() {
                    let mut builder = ColumnBuilder {
                        shape: Shape::Coded { codes, dictionary },
                        capacity: 0,
                    };
                    builder.switch_to_distinct();
                    return builder.finish();
                }
                codes.shrink_to_fit();
                ColumnValues::Coded {
                    codes,
                    dictionary: dictionary.values,
                }
            }
            Shape::Texts {
                mut text,
                mut ends,
                mut others,
            } => {
                text.shrink_to_fit();
                ends.shrink_to_fit();
                others.shrink_to_fit();
                ColumnValues::Texts { text, ends, others }
            }
            Shape::Values(mut values) => {
                values.shrink_to_fit();
                ColumnValues::Values(values)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ErrorKind;

    fn roundtrip(values: Vec<Value>) -> ColumnValues {
        let column = ColumnValues::compact(values.clone());
        assert_eq!(column.len(), values.len());
        assert_eq!(column.values().as_ref(), values.as_slice());
        for (row, value) in values.iter().enumerate() {
            assert_eq!(column.get(row).as_ref(), Some(value), "row {row}");
        }
        assert_eq!(column.get(values.len()), None);
        column
    }

    #[test]
    fn numbers_with_blanks_and_stray_cells_are_floats() {
        let column = roundtrip(vec![
            Value::Blank,
            Value::Number(1.5),
            Value::Number(-0.0),
            Value::Blank,
            Value::text("n/a"),
            Value::error(ErrorKind::Value),
            Value::Date(45000.0),
            Value::Number(f64::INFINITY),
        ]);
        let ColumnValues::Floats { kind, extras, .. } = &column else {
            panic!("expected floats, got {column:?}");
        };
        assert_eq!(*kind, FloatKind::Number);
        // The text, the error and the date in a number column are kept aside.
        assert_eq!(extras.len(), 3);
    }

    #[test]
    fn a_nan_number_is_kept_bit_for_bit() {
        // NaN never equals itself, so compare bits; it must not read back as blank.
        let nan = f64::from_bits(0x7ff8_0000_0000_0001);
        let column = ColumnValues::compact(vec![Value::Number(1.0), Value::Number(nan)]);
        let Some(Value::Number(back)) = column.get(1) else {
            panic!("{column:?}");
        };
        assert_eq!(back.to_bits(), nan.to_bits());
    }

    #[test]
    fn repeated_text_is_coded_once_per_allocation() {
        let direct = Text::from("Direct");
        let partner = Text::from("Partner");
        let values: Vec<Value> = (0..10_000)
            .map(|i| match i % 3 {
                0 => Value::Text(direct.clone()),
                1 => Value::Text(partner.clone()),
                _ => Value::Bool(i % 2 == 0),
            })
            .collect();
        let column = roundtrip(values);
        let ColumnValues::Coded { dictionary, .. } = &column else {
            panic!("expected codes, got {column:?}");
        };
        assert_eq!(dictionary.len(), 4);
    }

    #[test]
    fn equal_text_in_separate_allocations_shares_a_code() {
        let values: Vec<Value> = (0..1000).map(|i| Value::text(["a", "b"][i % 2])).collect();
        let column = roundtrip(values);
        let ColumnValues::Coded { dictionary, .. } = &column else {
            panic!("expected codes, got {column:?}");
        };
        assert_eq!(dictionary.len(), 2);
    }

    #[test]
    fn a_freed_text_address_reused_by_other_text_gets_its_own_code() {
        // Equal text in separate allocations, each dropped before the next is made (as
        // a computed text column's rows are): addresses repeat, contents differ.
        let mut builder = ColumnBuilder::default();
        let mut expected = Vec::new();
        for i in 0..2_000 {
            let text = ["Direct", "Partner", "Online"][(i * 7) % 3].to_string();
            expected.push(Value::text(&text));
            builder.push(Value::from(text));
        }
        assert_eq!(builder.finish().values().as_ref(), expected.as_slice());
    }

    #[test]
    fn mostly_distinct_text_is_stored_as_one_buffer() {
        let mut values: Vec<Value> = (0..20_000)
            .map(|i| Value::text(&format!("OPP-{i}")))
            .collect();
        // Blanks, empty text, an error and a number among the IDs; non-ASCII text.
        values[0] = Value::Blank;
        values[7] = Value::text("");
        values[8] = Value::error(ErrorKind::NA);
        values[9_999] = Value::Number(4.0);
        values[19_999] = Value::text("Zürich–Ωmega");
        let column = roundtrip(values);
        let ColumnValues::Texts { others, .. } = &column else {
            panic!("expected texts, got {}", column.shape_name());
        };
        assert_eq!(
            others.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            [0, 8, 9_999]
        );
        // Small columns of distinct IDs too (decided when the column ends).
        let ids = roundtrip((0..500).map(|i| Value::text(&format!("L-{i}"))).collect());
        assert_eq!(ids.shape_name(), "texts");
    }

    #[test]
    fn a_text_buffer_reads_as_codes_of_its_distinct_values() {
        let mut values: Vec<Value> = (0..9_000)
            .map(|i| Value::text(&format!("K-{}", (i * 7919) % 5_000)))
            .collect();
        values[3] = Value::Blank;
        values[4] = Value::error(ErrorKind::NA);
        values[5] = Value::Blank;
        let column = ColumnValues::compact(values.clone());
        assert_eq!(column.shape_name(), "texts");
        let (codes, dictionary) = column.coded_view().unwrap();
        let decoded: Vec<Value> = codes
            .iter()
            .map(|c| dictionary[*c as usize].clone())
            .collect();
        assert_eq!(decoded, values);
        // 5,000 distinct texts (minus the two overwritten rows' if unique) plus blank and #N/A.
        let distinct: std::collections::HashSet<String> = values
            .iter()
            .filter_map(|v| match v {
                Value::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(dictionary.len(), distinct.len() + 2);
        assert!(
            ColumnValues::compact(vec![Value::Number(1.0)])
                .coded_view()
                .is_none()
        );
    }

    #[test]
    fn text_parts_are_checked() {
        let ok = ColumnValues::from_texts("abc".into(), vec![1, 1, 3], vec![(1, Value::Blank)]);
        assert_eq!(
            ok.unwrap().values().as_ref(),
            [Value::text("a"), Value::Blank, Value::text("bc")]
        );
        let bad = [
            ("abc", vec![2, 1, 3], vec![]),
            ("abc", vec![1, 2], vec![]),
            ("é", vec![1, 2], vec![]),
            ("abc", vec![1, 3], vec![(1, Value::Blank)]),
            ("abc", vec![3], vec![(5, Value::Blank)]),
        ];
        for (text, ends, others) in bad {
            assert!(ColumnValues::from_texts(text.into(), ends, others).is_err());
        }
    }

    #[test]
    fn a_repeated_stray_value_is_kept_once() {
        // `IF(closed, days, "")`: half the rows are the same empty text.
        let values: Vec<Value> = (0..10_000)
            .map(|i| {
                if i % 2 == 0 {
                    Value::Number(f64::from(i))
                } else {
                    Value::text("")
                }
            })
            .collect();
        let column = roundtrip(values);
        let ColumnValues::Floats { extras, .. } = &column else {
            panic!("expected floats, got {}", column.shape_name());
        };
        assert_eq!(extras.len(), 1);
    }

    #[test]
    fn a_number_column_full_of_errors_switches_to_values_losslessly() {
        let values: Vec<Value> = (0..10_000)
            .map(|i| {
                if i % 2 == 0 {
                    Value::Number(f64::from(i))
                } else {
                    Value::error_at(ErrorKind::Div0, &Arc::from("T.x"), Some(i as usize), "why")
                }
            })
            .collect();
        let column = roundtrip(values);
        assert!(matches!(column, ColumnValues::Values(_)));
    }

    #[test]
    fn blank_only_and_empty_columns() {
        roundtrip(vec![Value::Blank; 5]);
        roundtrip(Vec::new());
        // Leading blanks before the first number or text.
        roundtrip(vec![
            Value::Blank,
            Value::Blank,
            Value::Date(1.0),
            Value::Blank,
        ]);
        roundtrip(vec![Value::Blank, Value::text("a"), Value::Blank]);
    }

    #[test]
    fn compact_shapes_are_smaller() {
        let rows = 100_000;
        let numbers = ColumnValues::compact((0..rows).map(|i| Value::Number(i as f64)).collect());
        let flags = ColumnValues::compact((0..rows).map(|i| Value::Bool(i % 7 == 0)).collect());
        let per_value = rows * std::mem::size_of::<Value>();
        // 8 bytes a row, and 4 (codes) plus a tiny dictionary, against a 16-byte `Value`.
        assert!(numbers.heap_bytes() * 2 <= per_value);
        assert!(flags.heap_bytes() * 3 <= per_value);
    }
}
