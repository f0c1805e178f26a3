//! The cell value model: Excel's number, text, boolean, date and blank, plus
//! Excel's error values, which are data (they carry their origin) rather than exceptions.

use std::cmp::Ordering;
use std::fmt;
use std::sync::{Arc, OnceLock};

use arcstr::ArcStr;

pub mod datetime;
mod types;

pub use types::ValueType;

/// One of Excel's error values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ErrorKind {
    /// `#NULL!`
    Null,
    /// `#DIV/0!`
    Div0,
    /// `#VALUE!`
    Value,
    /// `#REF!`
    Ref,
    /// `#NAME?`
    Name,
    /// `#NUM!`
    Num,
    /// `#N/A`
    NA,
}

impl ErrorKind {
    /// Every error kind, in Excel's `ERROR.TYPE` order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Null,
        ErrorKind::Div0,
        ErrorKind::Value,
        ErrorKind::Ref,
        ErrorKind::Name,
        ErrorKind::Num,
        ErrorKind::NA,
    ];

    /// The text Excel shows for this error, e.g. `#DIV/0!`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Null => "#NULL!",
            ErrorKind::Div0 => "#DIV/0!",
            ErrorKind::Value => "#VALUE!",
            ErrorKind::Ref => "#REF!",
            ErrorKind::Name => "#NAME?",
            ErrorKind::Num => "#NUM!",
            ErrorKind::NA => "#N/A",
        }
    }

    /// Parses Excel's spelling of an error value (case-insensitive).
    pub fn parse(text: &str) -> Option<ErrorKind> {
        let upper = text.trim().to_ascii_uppercase();
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == upper)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an error value was first produced: which rule, which row, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ErrorOrigin {
    /// The definition that produced the error, e.g. `Channels.cac`.
    pub rule: Arc<str>,
    /// Zero-based row of the table the rule was evaluated over, if any.
    pub row: Option<usize>,
    /// A short human reason, e.g. "division by zero".
    pub reason: Arc<str>,
}

/// An Excel error value with an optional origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExcelError {
    pub kind: ErrorKind,
    pub origin: Option<ErrorOrigin>,
}

impl ExcelError {
    pub fn new(kind: ErrorKind) -> Self {
        ExcelError { kind, origin: None }
    }

    /// Where the error came from, for a cell note or a message:
    /// `#N/A from Pipeline.list_price, row 3: "GTXPro" not found in Products.product`
    /// (rows counted from 1); `None` without an origin.
    pub fn explain(&self) -> Option<String> {
        let origin = self.origin.as_ref()?;
        let row = origin
            .row
            .map(|r| format!(", row {}", r + 1))
            .unwrap_or_default();
        Some(format!(
            "{} from {}{row}: {}",
            self.kind, origin.rule, origin.reason
        ))
    }
}

/// Shared, immutable text: the payload of [`Value::Text`].
///
/// A thin pointer (one word, [`arcstr::ArcStr`]: the length and reference count live
/// in the allocation beside the characters), so a [`Value`] is 16 bytes rather than
/// the 24 a fat `Arc<str>` would make it, which matters for million-row columns.
/// Clones share one allocation, and the characters' address ([`str::as_ptr`]) is the
/// same for every clone and stable while any clone lives: the interner relies on it,
/// and so do the kernels that recognise interned text by its address. (All empty texts
/// share one static allocation, which keeps "same address, same text" true.)
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(ArcStr);

impl Text {
    /// The characters.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// True when both share one allocation (interned copies of the same string).
    #[inline]
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        ArcStr::ptr_eq(&a.0, &b.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Lets maps and sets keyed by `Text` be looked up with a `&str`.
impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Hashes exactly as `str` does, as [`std::borrow::Borrow<str>`] requires.
impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(ArcStr::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(ArcStr::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(ArcStr::from(s.as_str()))
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A single spreadsheet value.
///
/// Dates are Excel serial numbers in the 1900 date system (serial 1 is 1900-01-01,
/// serial 60 is Excel's fictional 1900-02-29), so date arithmetic is number arithmetic.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Blank,
    Number(f64),
    Text(Text),
    Bool(bool),
    Date(f64),
    /// Shared: an error without an origin is one allocation per kind for the whole
    /// run, so columns full of `#N/A` (an IF's untaken branch) allocate nothing.
    Error(Arc<ExcelError>),
}

// Columns hold one `Value` per row, so its size is the memory of a million-row column
// divided by a million: 16 bytes needs every payload to be at most one word (text is a
// thin pointer, errors are shared) beside the tag and the 8-byte numbers.
const _: () = assert!(std::mem::size_of::<Value>() == 16);

impl Value {
    /// An error value without an origin.
    pub fn error(kind: ErrorKind) -> Value {
        static SHARED: OnceLock<Vec<Arc<ExcelError>>> = OnceLock::new();
        let shared = SHARED.get_or_init(|| {
            ErrorKind::ALL
                .iter()
                .map(|k| Arc::new(ExcelError::new(*k)))
                .collect()
        });
        match shared.iter().find(|e| e.kind == kind) {
            Some(error) => Value::Error(Arc::clone(error)),
            None => Value::Error(Arc::new(ExcelError::new(kind))),
        }
    }

    /// An error value produced by `rule` at `row` for `reason`.
    pub fn error_at(kind: ErrorKind, rule: &Arc<str>, row: Option<usize>, reason: &str) -> Value {
        Value::Error(Arc::new(ExcelError {
            kind,
            origin: Some(ErrorOrigin {
                rule: Arc::clone(rule),
                row,
                reason: Arc::from(reason),
            }),
        }))
    }

    pub fn text(s: &str) -> Value {
        Value::Text(Text::from(s))
    }

    pub fn is_blank(&self) -> bool {
        matches!(self, Value::Blank)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Value::Error(e) => Some(e.kind),
            _ => None,
        }
    }

    /// True for numbers and dates (Excel's ISNUMBER).
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_) | Value::Date(_))
    }

    /// The number inside a number or date, without any coercion.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) | Value::Date(n) => Some(*n),
            _ => None,
        }
    }

    /// Coerces to a number as Excel does for an operand of `+ - * / ^` or a scalar
    /// function argument: blank is 0, booleans are 1/0, numeric text is parsed,
    /// other text is `#VALUE!`, errors pass through.
    pub fn to_number(&self) -> Result<f64, Value> {
        match self {
            Value::Number(n) | Value::Date(n) => Ok(*n),
            Value::Blank => Ok(0.0),
            Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
            Value::Text(s) => parse_numeric_text(s).ok_or_else(|| Value::error(ErrorKind::Value)),
            Value::Error(_) => Err(self.clone()),
        }
    }

    /// Coerces to text as Excel's `&` operator does.
    pub fn to_text(&self) -> Result<Text, Value> {
        match self {
            Value::Text(s) => Ok(s.clone()),
            Value::Blank => Ok(Text::default()),
            Value::Bool(b) => Ok(Text::from(if *b { "TRUE" } else { "FALSE" })),
            Value::Number(n) | Value::Date(n) => Ok(Text::from(format_general(*n))),
            Value::Error(_) => Err(self.clone()),
        }
    }

    /// Coerces to a boolean as Excel's IF/AND/OR do: numbers are true when non-zero,
    /// blank is false, "TRUE"/"FALSE" text is accepted, other text is `#VALUE!`.
    pub fn to_bool(&self) -> Result<bool, Value> {
        match self {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) | Value::Date(n) => Ok(*n != 0.0),
            Value::Blank => Ok(false),
            Value::Text(s) => {
                if s.eq_ignore_ascii_case("TRUE") {
                    Ok(true)
                } else if s.eq_ignore_ascii_case("FALSE") {
                    Ok(false)
                } else {
                    Err(Value::error(ErrorKind::Value))
                }
            }
            Value::Error(_) => Err(self.clone()),
        }
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Blank => "blank",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::Bool(_) => "boolean",
            Value::Date(_) => "date",
            Value::Error(_) => "error",
        }
    }
}

impl PartialEq for Value {
    /// Structural equality (for tests and dedup), not Excel's `=`; see [`excel_compare`].
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Blank, Value::Blank) => true,
            (Value::Number(a), Value::Number(b)) | (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Error(a), Value::Error(b)) => a.kind == b.kind,
            _ => false,
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::text(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(Text::from(s))
    }
}

impl From<Text> for Value {
    fn from(t: Text) -> Self {
        Value::Text(t)
    }
}

/// A number as a finite result: NaN and infinities become `#NUM!`, as in Excel.
pub fn number_result(n: f64) -> Value {
    if n.is_finite() {
        // Excel has no negative zero.
        Value::Number(if n == 0.0 { 0.0 } else { n })
    } else {
        Value::error(ErrorKind::Num)
    }
}

/// Parses text the way Excel converts it in arithmetic (`="3"+1` is 4): plain
/// decimals with optional sign, exponent, thousands separators, a trailing `%`,
/// and surrounding spaces. Returns `None` for anything else.
pub fn parse_numeric_text(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (body, scale) = match t.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), 0.01),
        None => (t, 1.0),
    };
    let cleaned: String = if body.contains(',') {
        // Thousands separators must group digits in threes before the decimal point.
        let int_part = body.split(['.', 'e', 'E']).next().unwrap_or("");
        let digits = int_part.trim_start_matches(['+', '-']);
        let groups: Vec<&str> = digits.split(',').collect();
        let valid = groups.len() > 1
            && !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3);
        if !valid {
            return None;
        }
        body.replace(',', "")
    } else {
        body.to_string()
    };
    let ok_chars = cleaned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if !ok_chars || !cleaned.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(|n| n * scale)
}

/// Formats a number as Excel's General format does for `&` and TEXT-less
/// conversion: up to 15 significant digits, no trailing zeros.
pub fn format_general(n: f64) -> String {
    if n == 0.0 {
        return "0".to_string();
    }
    let abs = n.abs();
    if !(1e-9..1e15).contains(&abs) {
        // Scientific, Excel style: 1.23457E+15
        let s = format!("{:.14E}", n);
        return match s.split_once('E') {
            Some((mantissa, exp)) => {
                let mantissa = trim_fraction(mantissa);
                let exp_num: i32 = exp.parse().unwrap_or(0);
                let sign = if exp_num < 0 { '-' } else { '+' };
                format!("{}E{}{:02}", mantissa, sign, exp_num.abs())
            }
            None => s,
        };
    }
    let digits_before = abs.log10().floor() as i32 + 1;
    let decimals = (15 - digits_before).clamp(0, 15) as usize;
    let s = format!("{:.*}", decimals, n);
    trim_fraction(&s).to_string()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Excel's comparison for `= <> < > <= >=`: numbers < text < booleans; text compares
/// case-insensitively; blank compares as 0, "" or FALSE depending on the other side.
/// Errors are handled by the caller (they propagate).
pub fn excel_compare(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) | Value::Date(_) | Value::Blank => 0,
            Value::Text(_) => 1,
            Value::Bool(_) => 2,
            Value::Error(_) => 3,
        }
    }
    match (a, b) {
        (Value::Blank, Value::Blank) => Ordering::Equal,
        (Value::Blank, Value::Text(t)) => compare_text("", t),
        (Value::Text(t), Value::Blank) => compare_text(t, ""),
        (Value::Blank, Value::Bool(x)) => false.cmp(x),
        (Value::Bool(x), Value::Blank) => x.cmp(&false),
        (Value::Text(x), Value::Text(y)) => compare_text(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => match (
            a.as_f64().or(a.is_blank().then_some(0.0)),
            b.as_f64().or(b.is_blank().then_some(0.0)),
        ) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

/// Case-insensitive text ordering, as Excel compares text.
pub fn compare_text(a: &str, b: &str) -> Ordering {
    let la = a.chars().flat_map(char::to_lowercase);
    let lb = b.chars().flat_map(char::to_lowercase);
    la.cmp(lb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5 (peak memory at 1M rows): a value must stay 16 bytes, not the 24 that a
    /// fat `Arc<str>` payload made it. (Also checked at compile time beside `Value`.)
    #[test]
    fn value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Text>(), 8);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 8);
    }

    /// The interner and the kernels recognise shared text by its address.
    #[test]
    fn text_clones_share_one_address() {
        let a = Text::from("Partner");
        let b = a.clone();
        assert!(Text::ptr_eq(&a, &b));
        assert_eq!(a.as_ptr(), b.as_ptr());
        let c = Text::from("Partner");
        assert!(!Text::ptr_eq(&a, &c));
        assert_ne!(a.as_ptr(), c.as_ptr());
        assert_eq!(a, c);
        assert_eq!(&*a, "Partner");
        assert_eq!(a.to_string(), "Partner");
        assert_eq!(format!("{a:?}"), "\"Partner\"");
        assert_eq!(Text::from(String::from("x")).as_str(), "x");
        assert_eq!(Value::text("x"), Value::Text(Text::from("x")));
    }

    #[test]
    fn numeric_text_follows_excel_conversion() {
        assert_eq!(parse_numeric_text(" 12 "), Some(12.0));
        assert_eq!(parse_numeric_text("1,234.5"), Some(1234.5));
        assert_eq!(parse_numeric_text("12%"), Some(0.12));
        assert_eq!(parse_numeric_text("1,23"), None);
        assert_eq!(parse_numeric_text("abc"), None);
        assert_eq!(parse_numeric_text(""), None);
    }

    #[test]
    fn general_format_trims_like_excel() {
        assert_eq!(format_general(1.5), "1.5");
        assert_eq!(format_general(3.0), "3");
        assert_eq!(format_general(0.1 + 0.2), "0.3");
        assert_eq!(format_general(-2.25), "-2.25");
    }

    #[test]
    fn text_compares_case_insensitively() {
        assert_eq!(
            excel_compare(&Value::text("abc"), &Value::text("ABC")),
            Ordering::Equal
        );
        assert_eq!(
            excel_compare(&Value::Number(5.0), &Value::text("1")),
            Ordering::Less
        );
        assert_eq!(
            excel_compare(&Value::Blank, &Value::Number(0.0)),
            Ordering::Equal
        );
    }
}
