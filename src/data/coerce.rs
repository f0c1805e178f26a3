//! Cell coercion: one raw cell from any reader to the `Value` its declared column type
//! expects, repaired where a finance user would expect it, or flagged as bad.
//!
//! Choices, so nobody has to guess:
//! - Numbers: `1234.5`, ` 12 `, `1e3` are plain. `$1,234`, `€1.234,50`, `(1,234)` (= -1234),
//!   `12%` (= 0.12), `1 234,50` are repaired and logged. With only one kind of separator,
//!   a single `.` is a decimal point (`€1.234` is 1.234, logged so it can be checked),
//!   a single `,` followed by exactly three digits is a thousands separator (`1,234`),
//!   otherwise a decimal comma (`12,5` is 12.5). In a `;`-delimited CSV (European
//!   Excel) `.` and `,` swap roles: `2.000` is 2000, `12,5` is 12.5.
//! - Dates: Excel date cells (1904 workbooks shifted to the 1900 system), numbers as
//!   serials, ISO text `2026-03-01` / `2026-03-01T10:00:00` / `2026/03/01`, US text
//!   `03/01/2026` (month first, as US CRMs export), and `01.03.2026` (day first, German).
//!   Serials written as text (`46082`) are repaired and logged.
//! - Booleans: TRUE/FALSE, yes/no, y/n, 1/0 (any case).
//! - Text columns take numbers as Excel's General text (`1001`), dates as ISO text.
//! - `#N/A` and the other error spellings become error values in any typed column.

use crate::table::intern::Interner;
use crate::value::ValueType;
use crate::value::datetime::{serial_from_ymd, ymd_from_serial};
use crate::value::{ErrorKind, Value, format_general};

/// Days between the 1904 and 1900 date systems' serial 0.
pub const DAYS_1904_TO_1900: f64 = 1462.0;

/// Largest serial Excel shows as a date (9999-12-31).
pub(crate) const MAX_DATE_SERIAL: f64 = 2_958_465.999_999;

/// A cell as a reader found it, before coercion; borrowed where the reader allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawCell<'a> {
    Empty,
    Number(f64),
    Text(&'a str),
    /// Text from the workbook's shared-string table: its address stays valid and
    /// unique for the whole sheet read, so interning can key on it.
    SharedText(&'a str),
    Bool(bool),
    /// A date cell, already in the 1900 date system.
    Date(f64),
    /// A date written as ISO text by the file format itself (OpenDocument).
    DateText(&'a str),
    /// A duration cell (`[h]:mm`), in days.
    Duration(f64),
    Error(ErrorKind),
    /// A formula cell the file stores no result for (openpyxl writes them so): read as
    /// blank, and listed in the data-quality log.
    Uncalculated,
}

impl RawCell<'_> {
    pub fn is_empty(&self) -> bool {
        match self {
            RawCell::Empty => true,
            RawCell::Text(t) | RawCell::SharedText(t) => t.is_empty(),
            _ => false,
        }
    }

    /// The cell as a person would read it, for the data-quality log.
    pub fn display(&self) -> String {
        match self {
            RawCell::Empty => String::new(),
            RawCell::Number(n) | RawCell::Duration(n) => format_general(*n),
            RawCell::Text(t) | RawCell::SharedText(t) | RawCell::DateText(t) => (*t).to_string(),
            RawCell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            RawCell::Date(serial) => date_text(*serial),
            RawCell::Error(kind) => kind.as_str().to_string(),
            RawCell::Uncalculated => String::new(),
        }
    }
}

/// What the file format says about cells beyond the cell itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoerceContext {
    /// Added to plain numbers read as dates (1462 in a 1904-system workbook).
    pub date_offset: f64,
    /// Text cells come from CSV, where every field is text: `any` columns then infer
    /// numbers, booleans and error values as Excel does when it opens a CSV.
    pub text_only_source: bool,
    /// Numbers in text use `,` as the decimal separator and `.` for thousands (a
    /// `;`-delimited CSV, as European Excel writes it).
    pub decimal_comma: bool,
    /// The format stores error results as text (OpenDocument via calamine), so text
    /// spelling an error value (`#DIV/0!`) is read as that error in `any` columns too.
    pub errors_as_text: bool,
}

/// The outcome of coercing one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Coerced {
    /// A valid value (possibly blank), nothing to report.
    Value(Value),
    /// A valid value obtained by a repair worth logging, with a note saying what was done.
    Repaired(Value, String),
    /// An error value found in the data (`#N/A` …), kept but reported.
    ErrorCell(Value),
    /// Cannot be read as the column's type.
    Bad,
}

/// What a column of this type expects, for messages.
pub fn expected_text(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Number => "a number",
        ValueType::Text => "text",
        ValueType::Bool => "a boolean (TRUE/FALSE, yes/no, 1/0)",
        ValueType::Date => "a date",
        ValueType::Any => "any value",
    }
}

/// Coerces `raw` to `ty`; text is interned in `interner`.
pub fn coerce(
    raw: RawCell<'_>,
    ty: ValueType,
    ctx: CoerceContext,
    interner: &mut Interner,
) -> Coerced {
    if raw.is_empty() || raw == RawCell::Uncalculated {
        return Coerced::Value(Value::Blank);
    }
    let raw = match raw {
        RawCell::SharedText(t) if matches!(ty, ValueType::Text | ValueType::Any) => {
            return Coerced::Value(Value::Text(interner.intern_stable(t)));
        }
        RawCell::SharedText(t) => RawCell::Text(t),
        other => other,
    };
    if let RawCell::Error(kind) = raw {
        return match ty {
            ValueType::Any => Coerced::Value(Value::error(kind)),
            _ => Coerced::ErrorCell(Value::error(kind)),
        };
    }
    match ty {
        ValueType::Number => to_number(raw, ctx),
        ValueType::Date => to_date(raw, ctx),
        ValueType::Bool => to_bool(raw),
        ValueType::Text => to_text(raw, interner),
        ValueType::Any => to_any(raw, ctx, interner),
    }
}

/// Text typed in a typed column that spells an error value, e.g. `#N/A` in a CSV.
fn spelled_error(t: &str) -> Option<Coerced> {
    if t.starts_with('#') {
        ErrorKind::parse(t).map(|k| Coerced::ErrorCell(Value::error(k)))
    } else {
        None
    }
}

/// Text in a typed column, trimmed; `Err` with the outcome when there is nothing to
/// convert: blank text is a blank cell, and text spelling an error value is that error.
#[inline]
fn text_to_convert(t: &str) -> Result<&str, Coerced> {
    let trimmed = trim_spaces(t);
    if trimmed.is_empty() {
        return Err(Coerced::Value(Value::Blank));
    }
    match spelled_error(trimmed) {
        Some(err) => Err(err),
        None => Ok(trimmed),
    }
}

fn to_number(raw: RawCell<'_>, ctx: CoerceContext) -> Coerced {
    match raw {
        RawCell::Number(n) | RawCell::Date(n) | RawCell::Duration(n) => {
            Coerced::Value(Value::Number(n))
        }
        RawCell::DateText(t) => match parse_date_text(t) {
            Some(serial) => Coerced::Value(Value::Number(serial)),
            None => Coerced::Bad,
        },
        RawCell::Text(t) | RawCell::SharedText(t) => {
            let trimmed = match text_to_convert(t) {
                Ok(trimmed) => trimmed,
                Err(outcome) => return outcome,
            };
            let swapped;
            let trimmed = if ctx.decimal_comma {
                swapped = swap_separators(trimmed);
                swapped.as_str()
            } else {
                trimmed
            };
            if let Some(n) = parse_plain_number(trimmed) {
                return Coerced::Value(Value::Number(n));
            }
            match parse_dressed_number(trimmed) {
                Some(n) => Coerced::Repaired(
                    Value::Number(n),
                    format!("repaired: parsed '{t}' as {}", format_general(n)),
                ),
                None => Coerced::Bad,
            }
        }
        RawCell::Bool(_) | RawCell::Empty | RawCell::Error(_) | RawCell::Uncalculated => {
            Coerced::Bad
        }
    }
}

fn valid_serial(serial: f64) -> Option<f64> {
    (serial.is_finite() && (0.0..=MAX_DATE_SERIAL).contains(&serial)).then_some(serial)
}

fn to_date(raw: RawCell<'_>, ctx: CoerceContext) -> Coerced {
    match raw {
        RawCell::Date(serial) => match valid_serial(serial) {
            Some(s) => Coerced::Value(Value::Date(s)),
            None => Coerced::Bad,
        },
        RawCell::Number(n) => match valid_serial(n + ctx.date_offset) {
            Some(s) => Coerced::Value(Value::Date(s)),
            None => Coerced::Bad,
        },
        RawCell::Text(t) | RawCell::SharedText(t) | RawCell::DateText(t) => {
            let trimmed = match text_to_convert(t) {
                Ok(trimmed) => trimmed,
                Err(outcome) => return outcome,
            };
            if let Some(serial) = parse_date_text(trimmed) {
                return Coerced::Value(Value::Date(serial));
            }
            match parse_plain_number(trimmed).and_then(|n| valid_serial(n + ctx.date_offset)) {
                Some(serial) => Coerced::Repaired(
                    Value::Date(serial),
                    format!("repaired: read serial {trimmed} as {}", date_text(serial)),
                ),
                None => Coerced::Bad,
            }
        }
        RawCell::Bool(_)
        | RawCell::Duration(_)
        | RawCell::Empty
        | RawCell::Error(_)
        | RawCell::Uncalculated => Coerced::Bad,
    }
}

fn to_bool(raw: RawCell<'_>) -> Coerced {
    match raw {
        RawCell::Bool(b) => Coerced::Value(Value::Bool(b)),
        RawCell::Number(1.0) => Coerced::Value(Value::Bool(true)),
        RawCell::Number(0.0) => Coerced::Value(Value::Bool(false)),
        RawCell::Text(t) | RawCell::SharedText(t) => {
            let trimmed = match text_to_convert(t) {
                Ok(trimmed) => trimmed,
                Err(outcome) => return outcome,
            };
            match parse_bool_text(trimmed) {
                Some(b) => Coerced::Value(Value::Bool(b)),
                None => Coerced::Bad,
            }
        }
        _ => Coerced::Bad,
    }
}

fn to_text(raw: RawCell<'_>, interner: &mut Interner) -> Coerced {
    let value = match raw {
        RawCell::Text(t) | RawCell::DateText(t) => Value::Text(interner.intern(t)),
        RawCell::SharedText(t) => Value::Text(interner.intern_stable(t)),
        RawCell::Number(n) | RawCell::Duration(n) => {
            Value::Text(interner.intern(&format_general(n)))
        }
        RawCell::Bool(b) => Value::Text(interner.intern(if b { "TRUE" } else { "FALSE" })),
        RawCell::Date(serial) => Value::Text(interner.intern(&date_text(serial))),
        RawCell::Empty | RawCell::Uncalculated => Value::Blank,
        RawCell::Error(kind) => return Coerced::ErrorCell(Value::error(kind)),
    };
    Coerced::Value(value)
}

fn to_any(raw: RawCell<'_>, ctx: CoerceContext, interner: &mut Interner) -> Coerced {
    let value = match raw {
        RawCell::Number(n) | RawCell::Duration(n) => Value::Number(n),
        RawCell::Date(serial) => Value::Date(serial),
        RawCell::Bool(b) => Value::Bool(b),
        RawCell::Error(kind) => Value::error(kind),
        RawCell::Empty | RawCell::Uncalculated => Value::Blank,
        RawCell::DateText(t) => match parse_date_text(t) {
            Some(serial) => Value::Date(serial),
            None => Value::Text(interner.intern(t)),
        },
        RawCell::Text(t) if ctx.text_only_source => infer_csv_text(t, interner),
        RawCell::Text(t)
            if ctx.errors_as_text && t.starts_with('#') && ErrorKind::parse(t).is_some() =>
        {
            Value::error(ErrorKind::parse(t).unwrap_or(ErrorKind::Value))
        }
        RawCell::Text(t) => Value::Text(interner.intern(t)),
        RawCell::SharedText(t) => Value::Text(interner.intern_stable(t)),
    };
    Coerced::Value(value)
}

/// What Excel makes of a CSV field: a number, TRUE/FALSE, an error value, or text.
fn infer_csv_text(t: &str, interner: &mut Interner) -> Value {
    match infer_csv_field(t) {
        CsvField::Value(value) => value,
        CsvField::Text => Value::Text(interner.intern(t)),
    }
}

/// A CSV field of an `any` column read as Excel reads it: a value, or its own text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CsvField {
    /// A number, TRUE/FALSE or an error value.
    Value(Value),
    /// The field's text as it is (untrimmed).
    Text,
}

/// [`CsvField`] of `t`, without interning its text (the CSV reader's fast path keeps
/// text in its own dictionary).
pub(crate) fn infer_csv_field(t: &str) -> CsvField {
    let trimmed = trim_spaces(t);
    if let Some(n) = parse_plain_number(trimmed) {
        return CsvField::Value(Value::Number(n));
    }
    if trimmed.eq_ignore_ascii_case("TRUE") {
        return CsvField::Value(Value::Bool(true));
    }
    if trimmed.eq_ignore_ascii_case("FALSE") {
        return CsvField::Value(Value::Bool(false));
    }
    if let Some(kind) = trimmed
        .starts_with('#')
        .then(|| ErrorKind::parse(trimmed))
        .flatten()
    {
        return CsvField::Value(Value::error(kind));
    }
    CsvField::Text
}

/// `1.234,5` -> `1,234.5`: reads a decimal-comma number with the decimal-point rules.
fn swap_separators(t: &str) -> String {
    t.chars()
        .map(|c| match c {
            '.' => ',',
            ',' => '.',
            other => other,
        })
        .collect()
}

/// Trims ASCII whitespace and the no-break spaces spreadsheets like to export.
fn trim_spaces(t: &str) -> &str {
    t.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}')
}

/// A number as plain decimal text: sign, digits, one point, exponent. Nothing else.
pub fn parse_plain_number(t: &str) -> Option<f64> {
    let bytes = t.as_bytes();
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && bytes.iter().any(u8::is_ascii_digit);
    if !plain {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A number dressed the way finance exports dress it: currency symbols or codes,
/// parentheses or a trailing minus for negatives, thousands separators, a percent sign.
pub fn parse_dressed_number(t: &str) -> Option<f64> {
    let mut s = trim_spaces(t);
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = trim_spaces(inner);
    }
    let mut scale = 1.0;
    if let Some(rest) = s.strip_suffix('%') {
        scale = 0.01;
        s = trim_spaces(rest);
    }
    // Signs and currency markers may come in either order: -$5, $-5, 5 €, EUR 5.
    for _ in 0..3 {
        if let Some(rest) = s.strip_prefix(['-', '\u{2212}']) {
            negative = !negative;
            s = trim_spaces(rest);
        } else if let Some(rest) = s.strip_suffix('-') {
            negative = !negative;
            s = trim_spaces(rest);
        } else if let Some(rest) = s.strip_prefix('+') {
            s = trim_spaces(rest);
        } else if let Some(rest) = strip_currency(s) {
            s = trim_spaces(rest);
        } else {
            break;
        }
    }
    let value = parse_grouped_digits(s)?;
    let value = value * scale;
    Some(if negative { -value } else { value })
}

fn strip_currency(s: &str) -> Option<&str> {
    const SYMBOLS: [&str; 5] = ["$", "€", "£", "¥", "US$"];
    const CODES: [&str; 6] = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD"];
    for sym in SYMBOLS.iter().chain(CODES.iter()) {
        if let Some(rest) = s.strip_prefix(sym) {
            return Some(rest);
        }
        if let Some(rest) = s.strip_suffix(sym) {
            return Some(rest);
        }
    }
    None
}

/// Digits with thousands separators (`,` `.` space) and one decimal separator; see the
/// module docs for how a lone separator is read.
fn parse_grouped_digits(s: &str) -> Option<f64> {
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let is_space = |c: char| c == ' ' || c == '\u{a0}' || c == '\u{202f}';
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_space(c))
    {
        return None;
    }
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let has_space = s.contains(is_space);
    // The decimal separator, if any.
    let decimal: Option<char> = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => {
            if s.matches('.').count() == 1 {
                Some('.')
            } else {
                None
            }
        }
        (None, Some(c)) => {
            let after = s.len() - c - 1;
            if s.matches(',').count() == 1 && (after != 3 || has_space) {
                Some(',')
            } else {
                None
            }
        }
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal {
        Some(sep) => {
            let idx = s.rfind(sep)?;
            (&s[..idx], &s[idx + sep.len_utf8()..])
        }
        None => (s, ""),
    };
    if !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Thousands groups: first 1-3 digits, then groups of exactly 3, one separator kind.
    let separators: Vec<char> = int_part.chars().filter(|c| !c.is_ascii_digit()).collect();
    if let Some(&first) = separators.first() {
        let same_kind = separators
            .iter()
            .all(|&c| c == first || (is_space(c) && is_space(first)));
        if !same_kind || Some(first) == decimal {
            return None;
        }
        let groups: Vec<&str> = int_part.split(|c: char| !c.is_ascii_digit()).collect();
        let valid = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3);
        if !valid {
            return None;
        }
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    let text = if frac_part.is_empty() {
        digits
    } else {
        format!("{digits}.{frac_part}")
    };
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// TRUE/FALSE, yes/no, y/n, 1/0 in any case.
pub fn parse_bool_text(t: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "yes", "y", "1"];
    const FALSE: [&str; 4] = ["false", "no", "n", "0"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// Serial (1900 system) of a date or date-time written as text; see the module docs
/// for the accepted layouts. `None` for anything else or a date that does not exist.
pub fn parse_date_text(t: &str) -> Option<f64> {
    let t = trim_spaces(t);
    // Split the date from an optional time at the first 'T' or space after the date.
    let split = t.find(['T', ' ']);
    let (date_part, time_part) = match split {
        Some(i) => (&t[..i], trim_spaces(&t[i + 1..])),
        None => (t, ""),
    };
    let (y, m, d) = parse_date_part(date_part)?;
    let serial = serial_from_ymd(y, m, d)?;
    let fraction = if time_part.is_empty() {
        0.0
    } else {
        parse_time_fraction(time_part)?
    };
    valid_serial(serial + fraction).filter(|s| *s >= 1.0)
}

fn numbers(part: &str, sep: char) -> Option<Vec<(u32, usize)>> {
    part.split(sep)
        .map(|p| {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse::<u32>().ok().map(|n| (n, p.len()))
            }
        })
        .collect()
}

fn parse_date_part(part: &str) -> Option<(i32, u32, u32)> {
    let sep = if part.contains('-') {
        '-'
    } else if part.contains('/') {
        '/'
    } else if part.contains('.') {
        '.'
    } else {
        return None;
    };
    let fields = numbers(part, sep)?;
    let [(a, a_len), (b, b_len), (c, c_len)] = fields.as_slice() else {
        return None;
    };
    let year = |n: u32| i32::try_from(n).ok();
    if *a_len == 4 && *b_len <= 2 && *c_len <= 2 && sep != '.' {
        // 2026-03-01, 2026/03/01
        return Some((year(*a)?, *b, *c));
    }
    if *c_len == 4 && *a_len <= 2 && *b_len <= 2 {
        return match sep {
            '/' => Some((year(*c)?, *a, *b)), // US: month/day/year
            '.' => Some((year(*c)?, *b, *a)), // German: day.month.year
            _ => None,
        };
    }
    None
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, optional AM/PM and a trailing `Z`.
fn parse_time_fraction(part: &str) -> Option<f64> {
    let mut s = part.strip_suffix('Z').unwrap_or(part).trim();
    let mut pm = None;
    let upper = s.to_ascii_uppercase();
    if upper.ends_with("AM") || upper.ends_with("PM") {
        pm = Some(upper.ends_with("PM"));
        s = s.get(..s.len() - 2).unwrap_or(s).trim_end();
    }
    let mut fields = s.split(':');
    let hour: u32 = fields.next()?.parse().ok()?;
    let minute: u32 = fields.next()?.parse().ok()?;
    let second: f64 = match fields.next() {
        Some(sec) => sec.parse().ok()?,
        None => 0.0,
    };
    if fields.next().is_some() || minute > 59 || !(0.0..60.0).contains(&second) {
        return None;
    }
    let hour = match pm {
        Some(is_pm) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            (hour % 12) + if is_pm { 12 } else { 0 }
        }
        None => hour,
    };
    if hour > 23 {
        return None;
    }
    Some((f64::from(hour) * 3600.0 + f64::from(minute) * 60.0 + second) / 86_400.0)
}

/// ISO text of a serial: `2026-03-01`, with ` HH:MM:SS` when it has a time part.
pub fn date_text(serial: f64) -> String {
    match ymd_from_serial(serial) {
        Some((y, m, d)) => {
            let seconds = ((serial - serial.floor()) * 86_400.0).round() as u32;
            if seconds == 0 || seconds >= 86_400 {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!(
                    "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                    seconds / 3600,
                    seconds / 60 % 60,
                    seconds % 60
                )
            }
        }
        None => format_general(serial),
    }
}

/// Shares text values between interners (used when merging sheets of one table).
pub fn reintern(value: &mut Value, interner: &mut Interner) {
    if let Value::Text(t) = value {
        *t = interner.intern(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(t: &str) -> Coerced {
        coerce(
            RawCell::Text(t),
            ValueType::Number,
            CoerceContext::default(),
            &mut Interner::new(),
        )
    }

    fn repaired(n: f64, note: &str) -> Coerced {
        Coerced::Repaired(Value::Number(n), note.to_string())
    }

    #[test]
    fn plain_numbers_are_not_repairs() {
        assert_eq!(num(" 12 "), Coerced::Value(Value::Number(12.0)));
        assert_eq!(num("-3.5e2"), Coerced::Value(Value::Number(-350.0)));
        assert_eq!(num(""), Coerced::Value(Value::Blank));
    }

    #[test]
    fn dressed_numbers_are_repaired_and_noted() {
        assert_eq!(
            num("$1,234"),
            repaired(1234.0, "repaired: parsed '$1,234' as 1234")
        );
        assert_eq!(
            num("1,234.50"),
            repaired(1234.5, "repaired: parsed '1,234.50' as 1234.5")
        );
        assert_eq!(
            num("(1,234)"),
            repaired(-1234.0, "repaired: parsed '(1,234)' as -1234")
        );
        assert_eq!(num("12%"), repaired(0.12, "repaired: parsed '12%' as 0.12"));
        assert_eq!(
            num("€1.234,50"),
            repaired(1234.5, "repaired: parsed '€1.234,50' as 1234.5")
        );
        assert_eq!(
            num("€1.234"),
            repaired(1.234, "repaired: parsed '€1.234' as 1.234")
        );
        assert_eq!(
            num("12,5"),
            repaired(12.5, "repaired: parsed '12,5' as 12.5")
        );
        assert_eq!(
            num("1 234,50 €"),
            repaired(1234.5, "repaired: parsed '1 234,50 €' as 1234.5")
        );
        assert_eq!(num("-$5"), repaired(-5.0, "repaired: parsed '-$5' as -5"));
        assert_eq!(
            num("USD 1,000,000"),
            repaired(1e6, "repaired: parsed 'USD 1,000,000' as 1000000")
        );
    }

    #[test]
    fn decimal_comma_sources_swap_separators() {
        let ctx = CoerceContext {
            decimal_comma: true,
            ..CoerceContext::default()
        };
        let n = |t| {
            coerce(
                RawCell::Text(t),
                ValueType::Number,
                ctx,
                &mut Interner::new(),
            )
        };
        assert_eq!(n("12,5"), Coerced::Value(Value::Number(12.5)));
        assert_eq!(
            n("2.000"),
            repaired(2000.0, "repaired: parsed '2.000' as 2000")
        );
        assert_eq!(
            n("1.234,50 €"),
            repaired(1234.5, "repaired: parsed '1.234,50 €' as 1234.5")
        );
    }

    #[test]
    fn garbage_is_bad_and_errors_are_error_cells() {
        assert_eq!(num("abc"), Coerced::Bad);
        assert_eq!(num("12abc"), Coerced::Bad);
        assert_eq!(num("1,23,4"), Coerced::Bad);
        assert_eq!(num("$"), Coerced::Bad);
        assert_eq!(num("nan"), Coerced::Bad);
        assert_eq!(num("inf"), Coerced::Bad);
        assert_eq!(num("#N/A"), Coerced::ErrorCell(Value::error(ErrorKind::NA)));
    }

    #[test]
    fn text_dates_in_documented_layouts() {
        // Serials from Excel: 2026-03-01 is 46082; 2000-01-01 is 36526.
        assert_eq!(parse_date_text("2026-03-01"), Some(46082.0));
        assert_eq!(parse_date_text("2026/03/01"), Some(46082.0));
        assert_eq!(parse_date_text("03/01/2026"), Some(46082.0));
        assert_eq!(parse_date_text("3/1/2026"), Some(46082.0));
        assert_eq!(parse_date_text("01.03.2026"), Some(46082.0));
        assert_eq!(parse_date_text("2026-03-01T12:00:00"), Some(46082.5));
        assert_eq!(parse_date_text("2026-03-01 18:00"), Some(46082.75));
        assert_eq!(parse_date_text("3/1/2026 6:00 PM"), Some(46082.75));
        assert_eq!(parse_date_text("2000-01-01Z"), None);
        assert_eq!(parse_date_text("2026-02-30"), None);
        assert_eq!(parse_date_text("13/01/2026"), None);
        assert_eq!(parse_date_text("March 1"), None);
        assert_eq!(parse_date_text("1899-12-31"), None);
    }

    #[test]
    fn dates_from_numbers_and_1904_offset() {
        let ctx = CoerceContext {
            date_offset: DAYS_1904_TO_1900,
            ..CoerceContext::default()
        };
        let mut i = Interner::new();
        // 1904 serial 44620 is 2026-03-01 (46082 - 1462).
        assert_eq!(
            coerce(RawCell::Number(44620.0), ValueType::Date, ctx, &mut i),
            Coerced::Value(Value::Date(46082.0))
        );
        assert_eq!(
            coerce(
                RawCell::Text("46082"),
                ValueType::Date,
                CoerceContext::default(),
                &mut i
            ),
            Coerced::Repaired(
                Value::Date(46082.0),
                "repaired: read serial 46082 as 2026-03-01".to_string()
            )
        );
        assert_eq!(
            coerce(
                RawCell::Number(-1.0),
                ValueType::Date,
                CoerceContext::default(),
                &mut i
            ),
            Coerced::Bad
        );
    }

    #[test]
    fn booleans_and_text() {
        let ctx = CoerceContext::default();
        let mut i = Interner::new();
        assert_eq!(
            coerce(RawCell::Text(" Yes"), ValueType::Bool, ctx, &mut i),
            Coerced::Value(Value::Bool(true))
        );
        assert_eq!(
            coerce(RawCell::Number(0.0), ValueType::Bool, ctx, &mut i),
            Coerced::Value(Value::Bool(false))
        );
        assert_eq!(
            coerce(RawCell::Text("maybe"), ValueType::Bool, ctx, &mut i),
            Coerced::Bad
        );
        assert_eq!(
            coerce(RawCell::Number(1001.0), ValueType::Text, ctx, &mut i),
            Coerced::Value(Value::text("1001"))
        );
        assert_eq!(
            coerce(RawCell::Date(46082.0), ValueType::Text, ctx, &mut i),
            Coerced::Value(Value::text("2026-03-01"))
        );
        let csv = CoerceContext {
            text_only_source: true,
            ..CoerceContext::default()
        };
        assert_eq!(
            coerce(RawCell::Text("12.5"), ValueType::Any, csv, &mut i),
            Coerced::Value(Value::Number(12.5))
        );
        assert_eq!(
            coerce(RawCell::Text("12.5"), ValueType::Any, ctx, &mut i),
            Coerced::Value(Value::text("12.5"))
        );
    }
}
