//! The fast path of a chunk's read: a chunk without a quote or a lone carriage return
//! is split on delimiters and line feeds (memchr, SIMD) and each wanted field is typed
//! straight into its column (floats, codes into a chunk dictionary, or one text buffer),
//! with no `Value` per cell. It keeps only chunks where every cell reads cleanly (the
//! same coercion functions as [`SheetBuilder::cell`], nothing to log) and builds the
//! part that builder builds, shapes included; anything else (a repair, a bad or error
//! cell, a blank required cell, a date that is not ISO or one-way, invalid UTF-8, an
//! `any` column mixing numbers and text …) gives the chunk back to the full path.

use std::hash::Hasher;

use memchr::{memchr, memchr_iter, memchr2_iter};

use crate::data::budget::Meter;
use crate::data::builder::{CELL_BYTES, ChunkLayout, SheetBuilder, SheetPart, TypedRows};
use crate::data::coerce::{
    CoerceContext, Coerced, CsvField, MAX_DATE_SERIAL, RawCell, coerce, infer_csv_field,
};
use crate::data::dates::{Reading, parse_with_format, two_readings};
use crate::table::column::{
    BLANK_BITS, ColumnValues, DICTIONARY_SMALL, DICTIONARY_TRIAL, FloatKind,
};
use crate::table::intern::{FxHasher, Interner, SAMPLE};
use crate::value::datetime::serial_from_ymd;
use crate::value::{Text, Value, ValueType};

use super::{CsvSource, PROGRESS_ROWS};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why the fast path gives a chunk back (to the full path, which reads it as ever).
#[derive(Debug)]
pub(super) struct Declined;

/// Reads the chunk `bytes` (records `first_row…`; the header cells `header` for a chunk
/// after the first) when every cell reads cleanly; `Ok(None)` gives it back.
pub(super) fn read_chunk(
    source: &CsvSource<'_>,
    index: usize,
    first_row: u32,
    bytes: &[u8],
    header: &[(u32, String)],
    progress: &mut dyn FnMut(usize),
) -> Option<SheetPart> {
    if memchr(b'"', bytes).is_some() {
        return None;
    }
    // csv-core ends a record at a lone CR too: leave those to it.
    if memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let plan = source.plan;
    let mut builder = SheetBuilder::new(
        plan,
        source.path.to_path_buf(),
        source.sheet.to_string(),
        source.ctx,
    )
    .without_row_limit()
    .in_chunk((index > 0).then_some(first_row));
    let mut body = bytes;
    let mut row = first_row;
    let mut header_charge = 0u64;
    let mut feed_header = |builder: &mut SheetBuilder<'_>, col: u32, text: &str| {
        header_charge += CELL_BYTES * 2 + text.len() as u64;
        builder.cell(plan.header_row, col, RawCell::Text(text)).ok()
    };
    if index == 0 {
        body = body.strip_prefix(BOM).unwrap_or(body);
        // Records up to the header row: the header's cells go to the builder.
        while row <= plan.header_row {
            let Some(line_end) = memchr(b'\n', body) else {
                if row == plan.header_row && !body.is_empty() {
                    header_line(body, source.delimiter, &mut |col, text| {
                        feed_header(&mut builder, col, text)
                    })?;
                }
                body = &[];
                break;
            };
            let line = body.get(..line_end)?;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                if row == plan.header_row {
                    header_line(line, source.delimiter, &mut |col, text| {
                        feed_header(&mut builder, col, text)
                    })?;
                }
                row += 1;
            }
            body = body.get(line_end + 1..)?;
        }
    } else {
        for (col, text) in header {
            feed_header(&mut builder, *col, text)?;
        }
    }
    let layout = builder.layout().ok()?;
    let mut typed = type_rows(&layout, body, source.delimiter, row, progress).ok()?;
    typed.charge += header_charge;
    let meter = Meter::new(std::sync::Arc::clone(source.budget));
    builder.finish_typed(typed, meter).ok()
}

/// Feeds the non-empty cells of a header line (lossy UTF-8, as the full path reads it).
fn header_line(
    line: &[u8],
    delimiter: u8,
    feed: &mut dyn FnMut(u32, &str) -> Option<()>,
) -> Option<()> {
    for (col, field) in line.split(|b| *b == delimiter).enumerate() {
        if !field.is_empty() {
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            feed(col, &String::from_utf8_lossy(field))?;
        }
    }
    Some(())
}

/// Types the data records of `body` (quote-free, every CR before a LF), the first
/// being sheet row `row`.
fn type_rows(
    layout: &ChunkLayout,
    body: &[u8],
    delimiter: u8,
    mut row: u32,
    progress: &mut dyn FnMut(usize),
) -> Result<TypedRows, Declined> {
    let mut slots: Vec<Slot> = layout
        .decls
        .iter()
        .enumerate()
        .map(|(slot, decl)| Slot {
            ty: decl.ty,
            required: !decl.optional,
            trim: layout.trims.get(slot).copied().unwrap_or(false),
            date_format: layout.date_formats.get(slot).cloned().flatten(),
            column: Typed::Blanks(0),
            filled: false,
            texts: TextState::default(),
        })
        .collect();
    if slots.iter().any(|s| s.ty == ValueType::Bool) {
        return Err(Declined);
    }
    // Checked once for the chunk: fields are cut at ASCII bytes, so each is UTF-8 too.
    let text = std::str::from_utf8(body).map_err(|_| Declined)?;
    if !delimiter.is_ascii() {
        return Err(Declined);
    }
    let wanted = &layout.slot_of_col;
    let mut out = TypedRows {
        last_data_row: layout.last_data_row,
        ..TypedRows::default()
    };
    let mut col = 0usize;
    let mut start = 0usize;
    let mut line_start = 0usize;
    let mut nonempty = false;
    let ends = memchr2_iter(delimiter, b'\n', body).chain(std::iter::once(body.len()));
    for at in ends {
        let line_end = at == body.len() || body.get(at) == Some(&b'\n');
        let mut field = text.get(start..at).ok_or(Declined)?;
        if line_end {
            field = field.strip_suffix('\r').unwrap_or(field);
        }
        if !field.is_empty() {
            nonempty = true;
            if let Some(slot) = wanted
                .get(col)
                .copied()
                .flatten()
                .and_then(|s| slots.get_mut(s))
            {
                out.charge += slot.push(field, layout.ctx)?;
            }
        }
        col += 1;
        start = at + 1;
        if !line_end {
            continue;
        }
        let line = body.get(line_start..at).unwrap_or_default();
        line_start = at + 1;
        col = 0;
        if line.is_empty() || line == b"\r" {
            continue;
        }
        if nonempty {
            nonempty = false;
            for slot in &mut slots {
                if !std::mem::take(&mut slot.filled) {
                    if slot.required {
                        return Err(Declined);
                    }
                    slot.push_blank()?;
                }
            }
            out.rows_kept += 1;
            out.blank_rows_skipped +=
                row.saturating_sub(out.last_data_row).saturating_sub(1) as usize;
            out.last_data_row = row;
            if layout.track_rows {
                out.rows.push(row);
            }
        }
        row = row.saturating_add(1);
        if row.is_multiple_of(PROGRESS_ROWS) {
            progress(out.rows_kept);
        }
    }
    out.columns = slots
        .into_iter()
        .map(Slot::finish)
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// One table column of the chunk.
struct Slot {
    ty: ValueType,
    required: bool,
    trim: bool,
    date_format: Option<String>,
    column: Typed,
    /// The current record gave it a value.
    filled: bool,
    texts: TextState,
}

/// A column as `ColumnBuilder` would hold it after the same values.
enum Typed {
    Blanks(usize),
    Floats(FloatKind, Vec<f64>),
    Coded(Vec<u32>),
    /// Mostly distinct text: every row's characters in one buffer, row ends.
    Texts(String, Vec<u32>),
}

/// A text column's distinct values in first-seen order (a blank too, as a value),
/// found by their characters' hash, their characters kept one after another (few
/// allocations, close together); and what the column's interner would do with the
/// same cells (it decides what a cell is charged).
#[derive(Default)]
struct TextState {
    arena: String,
    /// Per code: its text's range in `arena`; `None` for the blank.
    entries: Vec<Option<(u32, u32)>>,
    index: hashbrown::HashTable<u32>,
    blank_code: Option<u32>,
    /// Text cells interned so far.
    calls: usize,
    gave_up: bool,
}

/// A hash of a field's characters for the chunk's dictionaries only: most fields are
/// short, hashed from two overlapping 8-byte words and the length in one multiply.
fn text_hash(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let word = |at: usize| -> Option<u64> {
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes.get(at..at + 8)?);
        Some(u64::from_le_bytes(word))
    };
    let (first, last) = match bytes.len() {
        8..=16 => match (word(0), word(bytes.len() - 8)) {
            (Some(first), Some(last)) => (first, last),
            _ => (0, 0),
        },
        0..8 => {
            let mut word = [0u8; 8];
            if let Some(prefix) = word.get_mut(..bytes.len()) {
                prefix.copy_from_slice(bytes);
            }
            (u64::from_le_bytes(word), 0)
        }
        _ => {
            let mut hasher = FxHasher::default();
            hasher.write(bytes);
            (hasher.finish(), 1)
        }
    };
    let product = u128::from(first ^ 0x243f_6a88_85a3_08d3 ^ ((bytes.len() as u64) << 56))
        * u128::from(last ^ 0x1319_8a2e_0370_7344);
    (product as u64) ^ ((product >> 64) as u64)
}

fn text_in<'a>(arena: &'a str, entry: Option<&Option<(u32, u32)>>) -> Option<&'a str> {
    let (start, end) = (*entry?)?;
    arena.get(start as usize..end as usize)
}

impl TextState {
    /// Distinct texts the interner holds.
    fn distinct_texts(&self) -> usize {
        self.entries.len() - usize::from(self.blank_code.is_some())
    }

    fn text(&self, code: u32) -> Option<&str> {
        text_in(&self.arena, self.entries.get(code as usize))
    }

    /// The code of `text`, and whether it is new.
    fn code(&mut self, text: &str) -> Result<(u32, bool), Declined> {
        let hash = text_hash(text);
        let (arena, entries) = (&self.arena, &self.entries);
        let found = self.index.find(hash, |code| {
            text_in(arena, entries.get(*code as usize)) == Some(text)
        });
        if let Some(code) = found {
            return Ok((*code, false));
        }
        let code = u32::try_from(self.entries.len()).map_err(|_| Declined)?;
        let start = u32::try_from(self.arena.len()).map_err(|_| Declined)?;
        self.arena.push_str(text);
        let end = u32::try_from(self.arena.len()).map_err(|_| Declined)?;
        self.entries.push(Some((start, end)));
        let (arena, entries) = (&self.arena, &self.entries);
        self.index.insert_unique(hash, code, |code| {
            text_in(arena, entries.get(*code as usize)).map_or(0, text_hash)
        });
        Ok((code, true))
    }

    fn blank(&mut self) -> (u32, bool) {
        match self.blank_code {
            Some(code) => (code, false),
            None => {
                let code = self.entries.len() as u32;
                self.entries.push(None);
                self.blank_code = Some(code);
                (code, true)
            }
        }
    }

    /// The distinct values, by code.
    fn dictionary(&self) -> Vec<Value> {
        self.entries
            .iter()
            .map(|entry| match text_in(&self.arena, Some(entry)) {
                Some(text) => Value::Text(Text::from(text)),
                None => Value::Blank,
            })
            .collect()
    }
}

/// A date written exactly `yyyy-mm-dd`: its serial as the full path reads it (not a
/// two-way date; [`coerce`] reads it with `parse_date_text`), `Some(None)` when that
/// is no date; `None` for any other text.
pub(super) fn iso_date(text: &str) -> Option<Option<f64>> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let serial = i32::try_from(year)
        .ok()
        .and_then(|year| serial_from_ymd(year, month, day));
    Some(serial.filter(|s| (1.0..=MAX_DATE_SERIAL).contains(s)))
}

impl Slot {
    /// A non-empty field; what its cell is charged.
    fn push(&mut self, text: &str, ctx: CoerceContext) -> Result<u64, Declined> {
        if std::mem::replace(&mut self.filled, true) {
            return Err(Declined);
        }
        match self.ty {
            ValueType::Number => {
                let n = match coerce(
                    RawCell::Text(text),
                    ValueType::Number,
                    ctx,
                    &mut Interner::new(),
                ) {
                    Coerced::Value(Value::Number(n)) => n,
                    _ => return Err(Declined),
                };
                self.push_float(FloatKind::Number, n)?;
            }
            ValueType::Date => {
                let serial = self.date(text, ctx)?;
                self.push_float(FloatKind::Date, serial)?;
            }
            ValueType::Text => {
                if self.trim && text.trim().len() != text.len() {
                    return Err(Declined);
                }
                return self.push_text(text);
            }
            ValueType::Any if self.trim && text.trim().len() != text.len() => {
                return Err(Declined);
            }
            ValueType::Any => match infer_csv_field(text) {
                CsvField::Text => return self.push_text(text),
                CsvField::Value(Value::Number(n)) => self.push_float(FloatKind::Number, n)?,
                CsvField::Value(_) => return Err(Declined),
            },
            ValueType::Bool => return Err(Declined),
        }
        Ok(CELL_BYTES)
    }

    /// A date field as `SheetBuilder` reads it, when it is a plain one-way date.
    fn date(&self, text: &str, ctx: CoerceContext) -> Result<f64, Declined> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Err(Declined);
        }
        if let Some(format) = &self.date_format {
            return match parse_with_format(trimmed, format) {
                Some(serial) if (1.0..2_958_466.0).contains(&serial) => Ok(serial),
                _ => Err(Declined),
            };
        }
        if let Some(serial) = iso_date(text) {
            return serial.ok_or(Declined);
        }
        match two_readings(trimmed) {
            Some(Reading::One(serial)) => Ok(serial),
            Some(_) => Err(Declined),
            None => match coerce(
                RawCell::Text(text),
                ValueType::Date,
                ctx,
                &mut Interner::new(),
            ) {
                Coerced::Value(Value::Date(serial)) => Ok(serial),
                _ => Err(Declined),
            },
        }
    }

    fn push_float(&mut self, kind: FloatKind, x: f64) -> Result<(), Declined> {
        if x.is_nan() {
            return Err(Declined);
        }
        match &mut self.column {
            Typed::Blanks(n) => {
                let mut data = vec![f64::from_bits(BLANK_BITS); *n];
                data.push(x);
                self.column = Typed::Floats(kind, data);
                Ok(())
            }
            Typed::Floats(k, data) if *k == kind => {
                data.push(x);
                Ok(())
            }
            _ => Err(Declined),
        }
    }

    fn push_blank(&mut self) -> Result<(), Declined> {
        match &mut self.column {
            Typed::Blanks(n) => *n += 1,
            Typed::Floats(_, data) => data.push(f64::from_bits(BLANK_BITS)),
            Typed::Coded(codes) => {
                let (code, new) = self.texts.blank();
                codes.push(code);
                if new {
                    self.check_distinct()?;
                }
            }
            // A blank among mostly distinct text: the builder's choice of shape then
            // depends on how many; left to it.
            Typed::Texts(..) => return Err(Declined),
        }
        Ok(())
    }

    /// A text cell; what it is charged: its slot, and its characters when the
    /// column's interner would store them (a new string, or sharing given up).
    fn push_text(&mut self, text: &str) -> Result<u64, Declined> {
        let state = &mut self.texts;
        state.calls += 1;
        if !state.gave_up && state.calls == SAMPLE && state.distinct_texts() * 2 > SAMPLE {
            state.gave_up = true;
        }
        let mut charge = CELL_BYTES;
        match &mut self.column {
            Typed::Blanks(n) => {
                let blanks = *n;
                let mut codes = Vec::new();
                if blanks > 0 {
                    let (code, _) = state.blank();
                    codes.resize(blanks, code);
                }
                self.column = Typed::Coded(codes);
                state.calls -= 1;
                return self.push_text(text);
            }
            Typed::Coded(codes) => {
                let (code, new) = state.code(text)?;
                codes.push(code);
                if new || state.gave_up {
                    charge += text.len() as u64;
                }
                if new {
                    self.check_distinct()?;
                }
            }
            Typed::Texts(buffer, ends) => {
                buffer.push_str(text);
                ends.push(u32::try_from(buffer.len()).map_err(|_| Declined)?);
                if state.gave_up {
                    charge += text.len() as u64;
                    *state = TextState {
                        calls: state.calls,
                        gave_up: true,
                        ..TextState::default()
                    };
                } else if state.code(text)?.1 {
                    charge += text.len() as u64;
                }
            }
            Typed::Floats(..) => return Err(Declined),
        }
        Ok(charge)
    }

    /// After a new distinct value: mostly distinct values switch to one text buffer
    /// (as `ColumnBuilder` does).
    fn check_distinct(&mut self) -> Result<(), Declined> {
        let Typed::Coded(codes) = &self.column else {
            return Ok(());
        };
        let distinct = self.texts.entries.len();
        if distinct > DICTIONARY_TRIAL && distinct * 2 > codes.len() {
            self.column = self.distinct_texts()?;
        }
        Ok(())
    }

    /// The coded rows as one text buffer (text only: a blank leaves it to the builder).
    fn distinct_texts(&self) -> Result<Typed, Declined> {
        let Typed::Coded(codes) = &self.column else {
            return Err(Declined);
        };
        if self.texts.blank_code.is_some() {
            return Err(Declined);
        }
        let mut buffer = String::new();
        let mut ends = Vec::with_capacity(codes.len());
        for code in codes {
            if let Some(text) = self.texts.text(*code) {
                buffer.push_str(text);
            }
            ends.push(u32::try_from(buffer.len()).map_err(|_| Declined)?);
        }
        Ok(Typed::Texts(buffer, ends))
    }

    fn finish(mut self) -> Result<ColumnValues, Declined> {
        if let Typed::Coded(codes) = &self.column {
            let distinct = self.texts.entries.len();
            if distinct > DICTIONARY_SMALL && distinct * 2 > codes.len() {
                self.column = self.distinct_texts()?;
            }
        }
        Ok(match self.column {
            Typed::Blanks(n) => ColumnValues::Coded {
                codes: vec![0; n],
                dictionary: if n > 0 {
                    vec![Value::Blank]
                } else {
                    Vec::new()
                },
            },
            Typed::Floats(kind, mut data) => {
                data.shrink_to_fit();
                ColumnValues::Floats {
                    kind,
                    data,
                    extras: Vec::new(),
                }
            }
            Typed::Coded(mut codes) => {
                codes.shrink_to_fit();
                ColumnValues::Coded {
                    codes,
                    dictionary: self.texts.dictionary(),
                }
            }
            Typed::Texts(mut text, mut ends) => {
                text.shrink_to_fit();
                ends.shrink_to_fit();
                ColumnValues::Texts {
                    text,
                    ends,
                    others: Vec::new(),
                }
            }
        })
    }
}
