//! The fast path of a chunk's read: a chunk without a quote or a lone carriage return
//! is split on delimiters and line feeds (64 bytes per vector compare) and each wanted
//! field is typed straight into its column (floats, codes into a chunk dictionary, or
//! one text buffer), with no `Value` per cell. It keeps only chunks where every cell
//! reads cleanly (the same coercion functions as [`SheetBuilder::cell`], nothing to
//! log) and builds the part that builder builds, shapes included; anything else (a
//! repair, a bad or error cell, a blank required cell, a date that is not ISO or
//! one-way, invalid UTF-8, an `any` column mixing numbers and text …) gives the chunk
//! back to the full path.

use std::hash::Hasher;

use memchr::{memchr, memchr_iter};

use crate::data::budget::Meter;
use crate::data::builder::{CELL_BYTES, ChunkLayout, SheetBuilder, SheetPart, TypedRows};
use crate::data::coerce::{
    CoerceContext, Coerced, CsvField, MAX_DATE_SERIAL, RawCell, coerce, infer_csv_field,
};
use crate::data::dates::{Reading, parse_with_format, two_readings};
use crate::table::column::{
    BLANK_BITS, ColumnValues, DICTIONARY_SMALL, DICTIONARY_TRIAL, FloatKind,
};
use crate::table::intern::{FastHasher, Interner, SAMPLE};
use crate::value::{Text, Value, ValueType};

use super::field_ends::FieldEnds;
use super::scan::Cut;
use super::{CsvSource, PROGRESS_ROWS};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why the fast path gives a chunk back (to the full path, which reads it as ever).
#[derive(Debug)]
pub(super) struct Declined;

/// Reads the chunk `cut` (the header cells `header` for a chunk after the first) when
/// every cell reads cleanly; `None` gives it back.
pub(super) fn read_chunk(
    source: &CsvSource<'_>,
    cut: &Cut,
    header: &[(u32, String)],
    dictionaries: &Dictionaries,
    progress: &mut dyn FnMut(usize),
) -> Option<SheetPart> {
    let (index, first_row, bytes) = (cut.index, cut.first_row, cut.bytes.as_slice());
    // The scan met no quote and no lone CR in a clean chunk: no need to look again.
    if !cut.clean {
        if memchr(b'"', bytes).is_some() {
            return None;
        }
        // csv-core ends a record at a lone CR too: leave those to it.
        if memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
            return None;
        }
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
    let rows = cut.records as usize;
    let mut typed = type_rows(
        &layout,
        body,
        source.delimiter,
        (row, rows),
        dictionaries,
        progress,
    )
    .ok()?;
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
/// being sheet row `row`; about `rows` of them (columns are sized for that many).
fn type_rows(
    layout: &ChunkLayout,
    body: &[u8],
    delimiter: u8,
    (mut row, rows): (u32, usize),
    dictionaries: &Dictionaries,
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
            rows,
            filled: false,
            texts: match decl.ty {
                ValueType::Text | ValueType::Any => dictionaries.take(),
                _ => TextState::default(),
            },
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
    // The table's columns in sheet order: a line's fields after the last are not cut.
    let reads: Vec<(usize, usize)> = wanted
        .iter()
        .enumerate()
        .filter_map(|(col, slot)| slot.map(|slot| (col, slot)))
        .collect();
    let mut ends = FieldEnds::new(body, delimiter);
    let mut line_start = 0usize;
    while line_start < body.len() {
        let mut col = 0usize;
        let mut start = line_start;
        let mut filled_any = false;
        let mut line_end = None;
        'fields: for &(read, slot) in &reads {
            while col < read {
                let (at, ends_line) = ends.next_end();
                col += 1;
                start = at + 1;
                if ends_line {
                    line_end = Some(at);
                    break 'fields;
                }
            }
            let (at, ends_line) = ends.next_end();
            let mut field = text.get(start..at).ok_or(Declined)?;
            if ends_line {
                field = field.strip_suffix('\r').unwrap_or(field);
            }
            if !field.is_empty() {
                filled_any = true;
                if let Some(slot) = slots.get_mut(slot) {
                    out.charge += slot.push(field, layout.ctx)?;
                }
            }
            col += 1;
            start = at + 1;
            if ends_line {
                line_end = Some(at);
                break;
            }
        }
        let at = match line_end {
            Some(at) => at,
            None => ends.line_end(),
        };
        let line = body.get(line_start..at).unwrap_or_default();
        line_start = at + 1;
        // Blank lines are no records (csv-core skips them).
        if line.is_empty() || line == b"\r" {
            continue;
        }
        // A record is a data row when any field holds something: a field the table
        // reads, or else any byte but a delimiter (a CR can only end the line here).
        let nonempty = filled_any
            || line
                .strip_suffix(b"\r")
                .unwrap_or(line)
                .iter()
                .any(|b| *b != delimiter);
        if nonempty {
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
        .map(|slot| slot.finish(dictionaries))
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
    /// Rows the chunk is expected to hold (a capacity: growing a column copies it).
    rows: usize,
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

/// Chunk dictionaries done with, for later chunks: their tables keep their room, so a
/// later chunk neither grows (rehashes) them again nor faults in fresh pages for them.
#[derive(Default)]
pub(super) struct Dictionaries(std::sync::Mutex<Vec<TextState>>);

/// Dictionaries kept at most (a few chunks' text columns).
const KEPT_DICTIONARIES: usize = 64;
/// Distinct texts a kept dictionary has room for at most (a bigger one is dropped: a
/// wide file of mostly distinct columns would otherwise keep a lot of memory).
const KEPT_DISTINCT: usize = 1 << 16;

impl Dictionaries {
    fn take(&self) -> TextState {
        let kept = self.0.lock().ok().and_then(|mut kept| kept.pop());
        kept.unwrap_or_default()
    }

    fn give(&self, mut texts: TextState) {
        texts.forget();
        texts.calls = 0;
        texts.gave_up = false;
        if texts.index.capacity() > KEPT_DISTINCT {
            return;
        }
        if let Ok(mut kept) = self.0.lock()
            && kept.len() < KEPT_DICTIONARIES
        {
            kept.push(texts);
        }
    }
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
    index: hashbrown::HashTable<Entry>,
    /// Short texts found lately, by a few bits of their words (empty until the first
    /// is found): a column of a handful of values finds them here without hashing.
    recent: Vec<(Words, u32)>,
    blank_code: Option<u32>,
    /// Text cells interned so far.
    calls: usize,
    gave_up: bool,
}

/// A distinct text in a chunk dictionary's table: a text of up to 16 bytes is told
/// apart by its words and length alone, so a lookup reads no other memory.
#[derive(Clone, Copy)]
struct Entry {
    hash: u64,
    first: u64,
    last: u64,
    len: u32,
    code: u32,
}

impl Entry {
    fn words(&self) -> Words {
        Words {
            first: self.first,
            last: self.last,
            len: self.len,
        }
    }
}

/// A field's length and two words of its bytes that, for up to 16 bytes, are the
/// field (overlapping reads, as fast hashes do); longer fields share them only with
/// fields that agree on their first and last 8 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Words {
    first: u64,
    last: u64,
    len: u32,
}

/// Short texts a chunk dictionary remembers having found lately.
const RECENT: usize = 64;

impl Words {
    /// No field's words (no field is that long).
    const NONE: Words = Words {
        first: 0,
        last: 0,
        len: u32::MAX,
    };

    /// Where a text with these words is remembered among the [`RECENT`] ones.
    fn recent_slot(&self) -> usize {
        let mixed = (self.first ^ self.last.rotate_left(29) ^ u64::from(self.len))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - RECENT.trailing_zeros())) as usize
    }

    fn of(bytes: &[u8]) -> Words {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let word = |at: usize| -> u64 {
            let mut word = [0u8; 8];
            if let Some(from) = bytes.get(at..at + 8) {
                word.copy_from_slice(from);
            }
            u64::from_le_bytes(word)
        };
        let half = |at: usize| -> u64 {
            let mut half = [0u8; 4];
            if let Some(from) = bytes.get(at..at + 4) {
                half.copy_from_slice(from);
            }
            u64::from(u32::from_le_bytes(half))
        };
        let byte = |at: usize| bytes.get(at).map_or(0, |b| u64::from(*b));
        let (first, last) = match bytes.len() {
            0 => (0, 0),
            1..4 => (
                byte(0) | byte(bytes.len() / 2) << 8 | byte(bytes.len() - 1) << 16,
                0,
            ),
            4..8 => (half(0) | half(bytes.len() - 4) << 32, 0),
            _ => (word(0), word(bytes.len() - 8)),
        };
        Words { first, last, len }
    }
}

/// A hash of a field's characters for the chunk's dictionaries only: a short field's
/// words and length in one multiply, a longer field's every byte.
fn text_hash(text: &str, words: Words) -> u64 {
    let (first, last) = if words.len <= 16 {
        (words.first, words.last)
    } else {
        let mut hasher = FastHasher::default();
        hasher.write(text.as_bytes());
        (hasher.finish(), words.last)
    };
    let product = u128::from(first ^ 0x243f_6a88_85a3_08d3 ^ (u64::from(words.len) << 56))
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
        let words = Words::of(text.as_bytes());
        let recent = words.recent_slot();
        // Only texts of up to 16 bytes (told apart by their words) are remembered.
        if let Some((seen, code)) = self.recent.get(recent)
            && *seen == words
        {
            return Ok((*code, false));
        }
        let (code, new) = self.find_or_add(text, words)?;
        if words.len <= 16 {
            if self.recent.is_empty() {
                self.recent.resize(RECENT, (Words::NONE, 0));
            }
            if let Some(slot) = self.recent.get_mut(recent) {
                *slot = (words, code);
            }
        }
        Ok((code, new))
    }

    /// [`Self::code`] by the hash table.
    fn find_or_add(&mut self, text: &str, words: Words) -> Result<(u32, bool), Declined> {
        let hash = text_hash(text, words);
        let (arena, entries) = (&self.arena, &self.entries);
        let found = self.index.find(hash, |entry| {
            entry.words() == words
                && (words.len <= 16
                    || text_in(arena, entries.get(entry.code as usize)) == Some(text))
        });
        if let Some(entry) = found {
            return Ok((entry.code, false));
        }
        let code = u32::try_from(self.entries.len()).map_err(|_| Declined)?;
        let start = u32::try_from(self.arena.len()).map_err(|_| Declined)?;
        self.arena.push_str(text);
        let end = u32::try_from(self.arena.len()).map_err(|_| Declined)?;
        self.entries.push(Some((start, end)));
        let entry = Entry {
            hash,
            first: words.first,
            last: words.last,
            len: words.len,
            code,
        };
        self.index.insert_unique(hash, entry, |entry| entry.hash);
        Ok((code, true))
    }

    /// Empty, its tables' room kept (what the interner did is kept too).
    fn forget(&mut self) {
        self.arena.clear();
        self.entries.clear();
        self.index.clear();
        self.recent.clear();
        self.blank_code = None;
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

/// Powers of ten a double holds exactly.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A number written `[-]digits[.digits]` with at most 15 digits, as `str::parse` reads
/// it: the digits are a whole number a double holds exactly, and one correctly rounded
/// division by an exact power of ten rounds the decimal's exact value, which is what
/// parsing does. `None` for any other text (left to [`coerce`]).
pub(super) fn plain_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text.as_bytes()),
    };
    let mut mantissa = 0u64;
    let mut point = None;
    for (at, byte) in digits.iter().enumerate() {
        match byte {
            b'0'..=b'9' => mantissa = mantissa * 10 + u64::from(byte - b'0'),
            b'.' if point.is_none() && at > 0 => point = Some(at),
            _ => return None,
        }
        if at >= 16 {
            return None;
        }
    }
    let decimals = match point {
        Some(at) => digits.len() - at - 1,
        None => 0,
    };
    let count = digits.len() - usize::from(point.is_some());
    if count == 0 || count > 15 || (point.is_some() && decimals == 0) {
        return None;
    }
    let x = mantissa as f64 / POWERS_OF_TEN.get(decimals)?;
    Some(if negative { -x } else { x })
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
    let serial = ymd_serial(year, month, day);
    Some(serial.filter(|s| (1.0..=MAX_DATE_SERIAL).contains(s)))
}

/// `serial_from_ymd` for years 0 to 9999 in integer steps (days from the civil date,
/// as in H. Hinnant's `days_from_civil`) rather than through a calendar type.
fn ymd_serial(year: u32, month: u32, day: u32) -> Option<f64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || year > 9999 {
        return None;
    }
    // Years counted from March, so the leap day ends a year.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // Days from 1970-01-01, then from Excel's anchor 1899-12-30 (25,569 days before).
    let days = (era * 146_097 + day_of_era - 719_468 + 25_569) as f64;
    // Excel counts 1900-02-29, which did not exist: earlier dates are one less.
    Some(if days < 61.0 { days - 1.0 } else { days })
}

impl Slot {
    /// A non-empty field; what its cell is charged.
    fn push(&mut self, text: &str, ctx: CoerceContext) -> Result<u64, Declined> {
        if std::mem::replace(&mut self.filled, true) {
            return Err(Declined);
        }
        match self.ty {
            ValueType::Number => {
                let n = match plain_decimal(text).filter(|_| !ctx.decimal_comma) {
                    Some(n) => n,
                    None => self.number(text, ctx)?,
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

    /// A number field as `SheetBuilder` reads it, when it reads without a repair.
    fn number(&self, text: &str, ctx: CoerceContext) -> Result<f64, Declined> {
        match coerce(
            RawCell::Text(text),
            ValueType::Number,
            ctx,
            &mut Interner::new(),
        ) {
            Coerced::Value(Value::Number(n)) => Ok(n),
            _ => Err(Declined),
        }
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
                let mut data = Vec::with_capacity(self.rows.max(*n + 1));
                data.resize(*n, f64::from_bits(BLANK_BITS));
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
                let mut codes = Vec::with_capacity(self.rows.max(blanks + 1));
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
                    if !state.entries.is_empty() {
                        state.forget();
                    }
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
        let rows = self.rows.max(codes.len());
        // The rest of the chunk's rows are likely as long as these.
        let bytes = (self.texts.arena.len().saturating_mul(rows)).div_ceil(codes.len().max(1));
        let mut buffer = String::with_capacity(bytes);
        let mut ends = Vec::with_capacity(rows);
        for code in codes {
            if let Some(text) = self.texts.text(*code) {
                buffer.push_str(text);
            }
            ends.push(u32::try_from(buffer.len()).map_err(|_| Declined)?);
        }
        Ok(Typed::Texts(buffer, ends))
    }

    /// The column as stored; its dictionary's tables go back to `dictionaries`.
    fn finish(mut self, dictionaries: &Dictionaries) -> Result<ColumnValues, Declined> {
        if let Typed::Coded(codes) = &self.column {
            let distinct = self.texts.entries.len();
            if distinct > DICTIONARY_SMALL && distinct * 2 > codes.len() {
                self.column = self.distinct_texts()?;
            }
        }
        let column = match self.column {
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
        };
        dictionaries.give(self.texts);
        Ok(column)
    }
}
