//! Argument coercion shared by every function family: scalars, numbers, text, lists,
//! the range-versus-direct rules Excel applies, and COUNTIFS-style criteria.

use super::Arg;
use crate::value::datetime;
use crate::value::{ErrorKind, Text, Value, compare_text, parse_numeric_text};

/// The `#VALUE!` error, the most common bad-argument answer.
pub fn value_error() -> Value {
    Value::error(ErrorKind::Value)
}

/// An error value of `kind`.
pub fn err(kind: ErrorKind) -> Value {
    Value::error(kind)
}

/// The `#N/A` a lookup (XLOOKUP, XMATCH, MATCH, VLOOKUP, HLOOKUP) answers when it
/// finds nothing. It is one shared value, told apart from every other `#N/A` by its
/// allocation ([`is_not_found`]), so the engine can name the value that missed and the
/// list it was looked up in, and count the misses for the run's summary.
pub fn not_found() -> Value {
    Value::Error(std::sync::Arc::clone(not_found_error()))
}

fn not_found_error() -> &'static std::sync::Arc<crate::value::ExcelError> {
    static NOT_FOUND: std::sync::OnceLock<std::sync::Arc<crate::value::ExcelError>> =
        std::sync::OnceLock::new();
    NOT_FOUND.get_or_init(|| std::sync::Arc::new(crate::value::ExcelError::new(ErrorKind::NA)))
}

/// Whether `value` is [`not_found`]'s `#N/A` (a lookup that missed), not another one.
#[inline]
pub fn is_not_found(value: &Value) -> bool {
    matches!(value, Value::Error(e) if std::sync::Arc::ptr_eq(e, not_found_error()))
}

/// The single value of a scalar argument; a list where one value is needed is `#VALUE!`.
pub fn scalar<'a>(args: &[Arg<'a>], index: usize) -> Result<&'a Value, Value> {
    match args.get(index) {
        Some(Arg::Value(v)) => Ok(v),
        Some(Arg::List(_)) => Err(value_error()),
        None => Err(value_error()),
    }
}

/// The scalar argument at `index`, or `None` when it was not given.
pub fn optional<'a>(args: &[Arg<'a>], index: usize) -> Result<Option<&'a Value>, Value> {
    if index >= args.len() {
        return Ok(None);
    }
    scalar(args, index).map(Some)
}

/// A scalar argument as a number (Excel's coercion: blank 0, TRUE 1, numeric text).
/// Text that reads as an ISO date (`2026-01-31`) is its date serial, as Excel accepts.
pub fn number(args: &[Arg<'_>], index: usize) -> Result<f64, Value> {
    coerce_number(scalar(args, index)?)
}

/// Like [`number`], with a default when the argument is absent (or given blank).
pub fn number_or(args: &[Arg<'_>], index: usize, default: f64) -> Result<f64, Value> {
    match optional(args, index)? {
        None | Some(Value::Blank) => Ok(default),
        Some(v) => coerce_number(v),
    }
}

/// A value as a number, accepting date text.
pub fn coerce_number(value: &Value) -> Result<f64, Value> {
    match value {
        Value::Text(s) => parse_numeric_text(s)
            .or_else(|| parse_date_text(s))
            .ok_or_else(value_error),
        other => other.to_number(),
    }
}

/// Parses date text Excel understands in any locale: `yyyy-mm-dd` and `yyyy/mm/dd`,
/// optionally followed by ` hh:mm[:ss]`.
pub fn parse_date_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let (date_part, time_part) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let mut pieces = date_part.split(['-', '/']);
    let year: i32 = pieces.next()?.parse().ok()?;
    let month: u32 = pieces.next()?.parse().ok()?;
    let day: u32 = pieces.next()?.parse().ok()?;
    if pieces.next().is_some() || !(1900..=9999).contains(&year) {
        return None;
    }
    let serial = datetime::serial_from_ymd(year, month, day)?;
    let fraction = match time_part {
        None => 0.0,
        Some(time) => {
            let mut hms = time.split(':');
            let h: f64 = hms.next()?.parse().ok()?;
            let m: f64 = hms.next()?.parse().ok()?;
            let s: f64 = hms.next().map(str::parse).transpose().ok()?.unwrap_or(0.0);
            if hms.next().is_some() || h >= 24.0 || m >= 60.0 || s >= 60.0 {
                return None;
            }
            (h * 3600.0 + m * 60.0 + s) / 86400.0
        }
    };
    Some(serial + fraction)
}

/// A scalar argument as text (numbers in General format, booleans TRUE/FALSE).
pub fn text(args: &[Arg<'_>], index: usize) -> Result<Text, Value> {
    scalar(args, index)?.to_text()
}

/// A scalar argument as a boolean, with a default when absent.
pub fn bool_or(args: &[Arg<'_>], index: usize, default: bool) -> Result<bool, Value> {
    match optional(args, index)? {
        None => Ok(default),
        Some(v) => v.to_bool(),
    }
}

/// A scalar argument truncated to an integer, as Excel truncates counts and positions.
pub fn integer(args: &[Arg<'_>], index: usize) -> Result<f64, Value> {
    Ok(number(args, index)?.trunc())
}

/// The values of an argument as a slice: a list as is, a direct value as one item.
pub fn items<'a>(arg: &Arg<'a>) -> &'a [Value] {
    match arg {
        Arg::List(values) => values,
        Arg::Value(v) => std::slice::from_ref(*v),
    }
}

/// A list argument (a direct value counts as a one-item list).
pub fn list<'a>(args: &[Arg<'a>], index: usize) -> Result<&'a [Value], Value> {
    args.get(index).map(items).ok_or_else(value_error)
}

/// How numeric aggregates treat values found inside a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListNumbers {
    /// SUM, AVERAGE, MIN …: only numbers (and dates) count; text, booleans, blanks skipped.
    NumbersOnly,
    /// AVERAGEA, MAXA …: text counts as 0, booleans as 1/0, blanks skipped.
    AllValues,
}

/// Collects the numbers of every argument the way SUM/AVERAGE/MIN/MAX do: inside
/// lists per `mode`; values given directly are converted (numeric text, booleans) and
/// other text is `#VALUE!`; the first error met is returned.
pub fn collect_numbers(args: &[Arg<'_>], mode: ListNumbers) -> Result<Vec<f64>, Value> {
    let mut out = Vec::new();
    for arg in args {
        match arg {
            Arg::List(values) => {
                for v in values.iter() {
                    match v {
                        Value::Number(n) | Value::Date(n) => out.push(*n),
                        Value::Error(_) => return Err(v.clone()),
                        Value::Bool(b) if mode == ListNumbers::AllValues => {
                            out.push(if *b { 1.0 } else { 0.0 })
                        }
                        Value::Text(_) if mode == ListNumbers::AllValues => out.push(0.0),
                        _ => {}
                    }
                }
            }
            Arg::Value(Value::Blank) => {}
            Arg::Value(v) => out.push(coerce_number(v)?),
        }
    }
    Ok(out)
}

/// The numbers of one list argument (numbers only, errors propagate), as the array
/// argument of PERCENTILE, LARGE, RANK … reads it.
pub fn list_numbers(args: &[Arg<'_>], index: usize) -> Result<Vec<f64>, Value> {
    match args.get(index) {
        Some(arg @ Arg::List(_)) => {
            collect_numbers(std::slice::from_ref(arg), ListNumbers::NumbersOnly)
        }
        Some(Arg::Value(v)) => match v {
            Value::Blank => Ok(Vec::new()),
            other => Ok(vec![coerce_number(other)?]),
        },
        None => Err(value_error()),
    }
}

/// Returns the first error among the arguments given, if any (scalar functions
/// propagate their first error argument).
pub fn first_error(values: &[&Value]) -> Option<Value> {
    values.iter().find(|v| v.is_error()).map(|v| (*v).clone())
}

// ---------------------------------------------------------------------------
// Criteria (COUNTIF, SUMIFS, AVERAGEIFS, MAXIFS, MINIFS …)

/// A comparison operator in a criterion such as `">=10"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriterionOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operand a criterion compares against.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A number; `text_too` when it came from criterion text ("3", ">=3"), which also
    /// matches numeric text cells for `=`/`<>`.
    Number {
        value: f64,
        text_too: bool,
    },
    Bool(bool),
    Error(ErrorKind),
    /// Text, possibly with wildcards; empty text matches blank cells.
    Text(String),
}

/// A parsed criterion: `">=10"`, `"<>Closed*"`, `"Partner"`, `5`, `TRUE`, `""`.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    op: CriterionOp,
    operand: Operand,
}

impl Criterion {
    /// The comparison (`=` when none is written).
    pub fn op(&self) -> CriterionOp {
        self.op
    }

    /// What the cells are compared with.
    pub fn operand(&self) -> &Operand {
        &self.operand
    }

    /// Parses a criterion argument as Excel does.
    pub fn parse(value: &Value) -> Result<Criterion, Value> {
        let eq = |operand| Criterion {
            op: CriterionOp::Eq,
            operand,
        };
        match value {
            Value::Number(n) | Value::Date(n) => Ok(eq(Operand::Number {
                value: *n,
                text_too: false,
            })),
            Value::Bool(b) => Ok(eq(Operand::Bool(*b))),
            // A blank criterion (an empty cell) means "= 0": it matches zeros, not blanks.
            Value::Blank => Ok(eq(Operand::Number {
                value: 0.0,
                text_too: false,
            })),
            Value::Error(_) => Err(value.clone()),
            Value::Text(s) => Ok(Criterion::parse_text(s)),
        }
    }

    fn parse_text(s: &str) -> Criterion {
        let (op, rest) = if let Some(r) = s.strip_prefix(">=") {
            (CriterionOp::Ge, r)
        } else if let Some(r) = s.strip_prefix("<=") {
            (CriterionOp::Le, r)
        } else if let Some(r) = s.strip_prefix("<>") {
            (CriterionOp::Ne, r)
        } else if let Some(r) = s.strip_prefix('>') {
            (CriterionOp::Gt, r)
        } else if let Some(r) = s.strip_prefix('<') {
            (CriterionOp::Lt, r)
        } else if let Some(r) = s.strip_prefix('=') {
            (CriterionOp::Eq, r)
        } else {
            (CriterionOp::Eq, s)
        };
        let operand = if let Some(n) = parse_numeric_text(rest).or_else(|| parse_date_text(rest)) {
            Operand::Number {
                value: n,
                text_too: true,
            }
        } else if rest.eq_ignore_ascii_case("TRUE") {
            Operand::Bool(true)
        } else if rest.eq_ignore_ascii_case("FALSE") {
            Operand::Bool(false)
        } else if let Some(kind) = ErrorKind::parse(rest) {
            Operand::Error(kind)
        } else {
            Operand::Text(rest.to_string())
        };
        Criterion { op, operand }
    }

    /// Whether a cell satisfies the criterion.
    pub fn matches(&self, cell: &Value) -> bool {
        use std::cmp::Ordering;
        let holds = |ord: Ordering| match self.op {
            CriterionOp::Eq => ord == Ordering::Equal,
            CriterionOp::Ne => ord != Ordering::Equal,
            CriterionOp::Lt => ord == Ordering::Less,
            CriterionOp::Le => ord != Ordering::Greater,
            CriterionOp::Gt => ord == Ordering::Greater,
            CriterionOp::Ge => ord != Ordering::Less,
        };
        // Cells of another type than the operand match only `<>`.
        let mismatch = self.op == CriterionOp::Ne;
        match &self.operand {
            Operand::Number { value: x, text_too } => match cell {
                Value::Number(n) | Value::Date(n) => {
                    holds(n.partial_cmp(x).unwrap_or(Ordering::Less))
                }
                Value::Text(t)
                    if *text_too && (self.op == CriterionOp::Eq || self.op == CriterionOp::Ne) =>
                {
                    match parse_numeric_text(t) {
                        Some(n) => holds(n.partial_cmp(x).unwrap_or(Ordering::Less)),
                        None => mismatch,
                    }
                }
                _ => mismatch,
            },
            Operand::Bool(b) => match cell {
                Value::Bool(c) => holds(c.cmp(b)),
                _ => mismatch,
            },
            Operand::Error(kind) => match cell {
                Value::Error(e) => holds(e.kind.cmp(kind)),
                _ => mismatch,
            },
            Operand::Text(pattern) => {
                if pattern.is_empty() {
                    // "" and "=" match empty cells; "<>" matches non-empty ones.
                    let empty = match cell {
                        Value::Blank => true,
                        Value::Text(t) => t.is_empty(),
                        _ => false,
                    };
                    return match self.op {
                        CriterionOp::Eq => empty,
                        CriterionOp::Ne => !empty,
                        _ => false,
                    };
                }
                match cell {
                    Value::Text(t) => match self.op {
                        CriterionOp::Eq => wildcard_match(pattern, t),
                        CriterionOp::Ne => !wildcard_match(pattern, t),
                        _ => holds(compare_text(t, pattern)),
                    },
                    _ => mismatch,
                }
            }
        }
    }
}

/// Excel's wildcard match, case-insensitive: `*` any run, `?` one character, `~`
/// escapes the next character. The whole text must match.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<WildToken> = wildcard_tokens(pattern);
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    wildcard_from(&pattern, &text)
}

/// Whether `pattern` contains an unescaped wildcard.
pub fn has_wildcards(pattern: &str) -> bool {
    wildcard_tokens(pattern)
        .iter()
        .any(|t| !matches!(t, WildToken::Char(_)))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum WildToken {
    Char(char),
    One,
    Any,
}

fn wildcard_tokens(pattern: &str) -> Vec<WildToken> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some(next) => out.extend(next.to_lowercase().map(WildToken::Char)),
                None => out.push(WildToken::Char('~')),
            },
            '*' => out.push(WildToken::Any),
            '?' => out.push(WildToken::One),
            other => out.extend(other.to_lowercase().map(WildToken::Char)),
        }
    }
    out
}

/// Iterative glob matching with single-star backtracking (linear in practice).
fn wildcard_from(pattern: &[WildToken], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(WildToken::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(WildToken::One) => {
                p += 1;
                t += 1;
            }
            Some(WildToken::Char(c)) if text.get(t) == Some(c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|tok| *tok == WildToken::Any)
}

/// The text a wildcard pattern matches when it has no wildcards: unescaped (`~*` is
/// `*`) and lower-cased as [`wildcard_match`] compares; `None` when it has wildcards.
pub fn literal_pattern(pattern: &str) -> Option<String> {
    let mut out = String::new();
    for token in wildcard_tokens(pattern) {
        match token {
            WildToken::Char(c) => out.push(c),
            WildToken::One | WildToken::Any => return None,
        }
    }
    Some(out)
}

/// Text as [`compare_text`] and [`wildcard_match`] compare it: lower-cased character by
/// character (so `Σ` is `σ` everywhere, unlike `str::to_lowercase`).
pub fn folded(text: &str) -> String {
    if text.is_ascii() {
        // The same characters, without a lookup per character.
        return text.to_ascii_lowercase();
    }
    text.chars().flat_map(char::to_lowercase).collect()
}

/// The correctly rounded sum of a set of numbers (Shewchuk's exact partials, as
/// Python's `math.fsum`): the same whatever order they are added in, so SUMIF over
/// matched rows and an index that groups the rows give the very same number.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Non-overlapping partial sums, increasing in magnitude; their exact total is the sum.
    partials: Vec<f64>,
    /// Infinities and NaNs, summed plainly (they decide the result when present).
    special: f64,
}

impl ExactSum {
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.special += value;
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials.get(j).copied().unwrap_or(0.0);
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                if let Some(slot) = self.partials.get_mut(kept) {
                    *slot = lo;
                }
                kept += 1;
            }
            x = hi;
        }
        if !x.is_finite() {
            // The running total overflowed: the sum is that infinity.
            self.special += x;
            self.partials.clear();
            return;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds every partial of `other` (negated with `negate`): a merge or a difference
    /// of two exact sums, still exact.
    pub fn add_sum(&mut self, other: &ExactSum, negate: bool) {
        let sign = if negate { -1.0 } else { 1.0 };
        for p in other.partials.clone() {
            self.add(sign * p);
        }
        self.special += sign * other.special;
    }

    /// The sum, correctly rounded.
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        let partials = &self.partials;
        let Some(mut j) = partials.len().checked_sub(1) else {
            return 0.0;
        };
        let mut hi = partials.get(j).copied().unwrap_or(0.0);
        let mut lo = 0.0;
        while j > 0 {
            j -= 1;
            let x = hi;
            let y = partials.get(j).copied().unwrap_or(0.0);
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even correctly when the rest would tip the last bit.
        if j > 0
            && let Some(&next) = partials.get(j - 1)
            && ((lo < 0.0 && next < 0.0) || (lo > 0.0 && next > 0.0))
        {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi + 0.0
    }
}

/// [`ExactSum`] of `values`.
pub fn exact_sum(values: &[f64]) -> f64 {
    let mut sum = ExactSum::default();
    values.iter().for_each(|v| sum.add(*v));
    sum.value()
}

/// The criteria pairs of a *IFS call starting at `from`: (range, criterion) for each
/// pair. All ranges must have `len` items, else `#VALUE!`.
pub fn criteria_pairs<'a>(
    args: &[Arg<'a>],
    from: usize,
    len: usize,
) -> Result<Vec<(&'a [Value], Criterion)>, Value> {
    let mut pairs = Vec::new();
    let mut i = from;
    while i < args.len() {
        let range = list(args, i)?;
        if range.len() != len {
            return Err(value_error());
        }
        let criterion = Criterion::parse(scalar(args, i + 1)?)?;
        pairs.push((range, criterion));
        i += 2;
    }
    Ok(pairs)
}

/// Row indices `0..len` satisfying every criteria pair.
pub fn matching_rows(pairs: &[(&[Value], Criterion)], len: usize) -> Vec<usize> {
    (0..len)
        .filter(|&row| {
            pairs
                .iter()
                .all(|(range, c)| range.get(row).is_some_and(|cell| c.matches(cell)))
        })
        .collect()
}

/// Numbers of a list where every item must be a number or date (XNPV's values and dates,
/// FORECAST.ETS's values and timeline): errors propagate, anything else (text, booleans,
/// empty cells) is `#VALUE!`.
pub fn strict_numbers(values: &[Value]) -> Result<Vec<f64>, Value> {
    values
        .iter()
        .map(|v| match v {
            Value::Number(n) | Value::Date(n) => Ok(*n),
            Value::Error(_) => Err(v.clone()),
            _ => Err(value_error()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crit(s: &str) -> Criterion {
        Criterion::parse(&Value::text(s)).unwrap()
    }

    #[test]
    fn criteria_compare_numbers_and_text() {
        assert!(crit(">=10").matches(&Value::Number(10.0)));
        assert!(!crit(">=10").matches(&Value::Number(9.99)));
        assert!(!crit(">=10").matches(&Value::text("abc")));
        assert!(crit("<>Closed*").matches(&Value::text("Open")));
        assert!(!crit("<>Closed*").matches(&Value::text("closed won")));
        assert!(crit("<>Closed*").matches(&Value::Blank));
        assert!(crit("partner").matches(&Value::text("PARTNER")));
        assert!(crit("").matches(&Value::Blank));
        assert!(!crit("").matches(&Value::Number(0.0)));
        assert!(crit("<>").matches(&Value::Number(0.0)));
        assert!(!crit("<>").matches(&Value::Blank));
    }

    #[test]
    fn wildcards_follow_excel() {
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("a?c", "ABC"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("~*", "*"));
        assert!(!wildcard_match("~*", "x"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*x*y", "axbxy"));
        assert!(!has_wildcards("a~*b"));
        assert!(has_wildcards("a*b"));
    }

    #[test]
    fn exact_sums_do_not_depend_on_order() {
        // 0.1 + 0.2 + 0.3 naively is 0.6000000000000001; the exact sum rounds to 0.6.
        assert_eq!(exact_sum(&[0.1, 0.2, 0.3]), 0.6);
        assert_eq!(exact_sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(exact_sum(&[]), 0.0);
        assert_eq!(exact_sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        let mut a = ExactSum::default();
        [3.5, 1e-20, -2.25].iter().for_each(|v| a.add(*v));
        let mut b = ExactSum::default();
        b.add(1e-20);
        let mut difference = a.clone();
        difference.add_sum(&b, true);
        assert_eq!(difference.value(), 1.25);
    }

    #[test]
    fn date_text_parses_to_serials() {
        assert_eq!(parse_date_text("2000-01-01"), Some(36526.0));
        assert_eq!(parse_date_text("2000-01-01 12:00"), Some(36526.5));
        assert_eq!(parse_date_text("2000-02-30"), None);
    }
}
