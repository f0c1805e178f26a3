//! Text functions: TEXT (Excel number formats), CONCAT, TEXTJOIN, LEFT/RIGHT/MID,
//! LEN, case, TRIM, SUBSTITUTE, REPLACE, VALUE, EXACT, FIND, SEARCH, REPT.

use super::args::{
    bool_or, coerce_number, integer, items, number_or, scalar, text, value_error, wildcard_match,
};
use super::{Arg, CallContext, FunctionSpec};
use crate::functions::number_format::{format_number, format_text};
use crate::value::{Text, Value, number_result};

/// Excel's limit on the length of a text value.
const MAX_TEXT: usize = 32_767;

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("TEXT", Text, 2, Some(2), [Scalar], 0, Text, false, text_fn, "A number rendered with an Excel number format"),
    spec!("CONCAT", Text, 1, None, [Either], 0, Text, true, concat, "Joins texts and lists of texts"),
    spec!("CONCATENATE", Text, 1, None, [Scalar], 0, Text, false, concatenate, "Joins texts"),
    spec!("TEXTJOIN", Text, 3, None, [Scalar, Scalar, Either], 2, Text, true, textjoin, "Joins texts with a delimiter, optionally skipping empty ones"),
    spec!("LEFT", Text, 1, Some(2), [Scalar], 0, Text, false, left, "First characters of a text"),
    spec!("RIGHT", Text, 1, Some(2), [Scalar], 0, Text, false, right, "Last characters of a text"),
    spec!("MID", Text, 3, Some(3), [Scalar], 0, Text, false, mid, "Characters from a position"),
    spec!("LEN", Text, 1, Some(1), [Scalar], 0, Number, false, len, "Number of characters"),
    spec!("UPPER", Text, 1, Some(1), [Scalar], 0, Text, false, upper, "Text in upper case"),
    spec!("LOWER", Text, 1, Some(1), [Scalar], 0, Text, false, lower, "Text in lower case"),
    spec!("PROPER", Text, 1, Some(1), [Scalar], 0, Text, false, proper, "Text With Each Word Capitalized"),
    spec!("TRIM", Text, 1, Some(1), [Scalar], 0, Text, false, trim, "Removes extra spaces"),
    spec!("SUBSTITUTE", Text, 3, Some(4), [Scalar], 0, Text, false, substitute, "Replaces occurrences of a text"),
    spec!("REPLACE", Text, 4, Some(4), [Scalar], 0, Text, false, replace, "Replaces characters at a position"),
    spec!("VALUE", Text, 1, Some(1), [Scalar], 0, Number, false, value, "Converts text to a number"),
    spec!("EXACT", Text, 2, Some(2), [Scalar], 0, Bool, false, exact, "TRUE when two texts are identical (case-sensitive)"),
    spec!("FIND", Text, 2, Some(3), [Scalar], 0, Number, false, find, "Position of a text (case-sensitive)"),
    spec!("SEARCH", Text, 2, Some(3), [Scalar], 0, Number, false, search, "Position of a text (case-insensitive, wildcards)"),
    spec!("REPT", Text, 2, Some(2), [Scalar], 0, Text, false, rept, "A text repeated"),
];

fn text_result(s: String) -> Value {
    if s.chars().count() > MAX_TEXT {
        value_error()
    } else {
        Value::Text(Text::from(s))
    }
}

fn with_text(args: &[Arg<'_>], f: impl Fn(&str) -> Value) -> Value {
    match text(args, 0) {
        Ok(t) => f(&t),
        Err(e) => e,
    }
}

pub fn text_fn(args: &[Arg<'_>], _: &CallContext) -> Value {
    let subject = match scalar(args, 0) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let format = match text(args, 1) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let number = match subject {
        Value::Error(_) => return subject.clone(),
        Value::Text(t) => match coerce_number(subject) {
            Ok(n) => n,
            Err(_) => return text_result(format_text(t, &format)),
        },
        Value::Bool(b) => return Value::text(if *b { "TRUE" } else { "FALSE" }),
        other => match other.to_number() {
            Ok(n) => n,
            Err(e) => return e,
        },
    };
    match format_number(number, &format) {
        Some(s) => text_result(s),
        None => value_error(),
    }
}

/// Appends every value of `args` as text; errors propagate.
fn join(args: &[Arg<'_>], delimiter: &str, skip_empty: bool) -> Value {
    let mut out = String::new();
    let mut first = true;
    for arg in args {
        for v in items(arg) {
            let t = match v.to_text() {
                Ok(t) => t,
                Err(e) => return e,
            };
            if skip_empty && t.is_empty() {
                continue;
            }
            if !first {
                out.push_str(delimiter);
            }
            out.push_str(&t);
            first = false;
            if out.len() > 4 * MAX_TEXT {
                return value_error();
            }
        }
    }
    text_result(out)
}

pub fn concat(args: &[Arg<'_>], _: &CallContext) -> Value {
    join(args, "", false)
}

pub fn concatenate(args: &[Arg<'_>], _: &CallContext) -> Value {
    for i in 0..args.len() {
        if let Err(e) = scalar(args, i) {
            return e;
        }
    }
    join(args, "", false)
}

pub fn textjoin(args: &[Arg<'_>], _: &CallContext) -> Value {
    let delimiter = match text(args, 0) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let skip_empty = match bool_or(args, 1, true) {
        Ok(b) => b,
        Err(e) => return e,
    };
    join(args.get(2..).unwrap_or(&[]), &delimiter, skip_empty)
}

/// A character count argument: absent means `default`, negative is `#VALUE!`.
fn count_arg(args: &[Arg<'_>], index: usize, default: f64) -> Result<usize, Value> {
    let n = number_or(args, index, default)?.trunc();
    if n < 0.0 {
        return Err(value_error());
    }
    Ok(n.min(MAX_TEXT as f64 * 4.0) as usize)
}

pub fn left(args: &[Arg<'_>], _: &CallContext) -> Value {
    // The text argument's error comes first.
    if let Err(e) = text(args, 0) {
        return e;
    }
    let n = match count_arg(args, 1, 1.0) {
        Ok(n) => n,
        Err(e) => return e,
    };
    with_text(args, |t| {
        Value::text(&t.chars().take(n).collect::<String>())
    })
}

pub fn right(args: &[Arg<'_>], _: &CallContext) -> Value {
    // The text argument's error comes first.
    if let Err(e) = text(args, 0) {
        return e;
    }
    let n = match count_arg(args, 1, 1.0) {
        Ok(n) => n,
        Err(e) => return e,
    };
    with_text(args, |t| {
        let len = t.chars().count();
        Value::text(&t.chars().skip(len.saturating_sub(n)).collect::<String>())
    })
}

/// MID's and REPLACE's first three arguments: the text, a 1-based start (≥ 1), a count.
fn text_start_count(args: &[Arg<'_>]) -> Result<(Text, usize, usize), Value> {
    let t = text(args, 0)?;
    let start = match integer(args, 1)? {
        s if s >= 1.0 => s.min(MAX_TEXT as f64 * 4.0) as usize,
        _ => return Err(value_error()),
    };
    Ok((t, start, count_arg(args, 2, 0.0)?))
}

pub fn mid(args: &[Arg<'_>], _: &CallContext) -> Value {
    let (t, start, n) = match text_start_count(args) {
        Ok(parts) => parts,
        Err(e) => return e,
    };
    Value::text(&t.chars().skip(start - 1).take(n).collect::<String>())
}

pub fn len(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_text(args, |t| Value::Number(t.chars().count() as f64))
}

pub fn upper(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_text(args, |t| Value::text(&t.to_uppercase()))
}

pub fn lower(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_text(args, |t| Value::text(&t.to_lowercase()))
}

pub fn proper(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_text(args, |t| {
        let mut out = String::with_capacity(t.len());
        let mut after_letter = false;
        for c in t.chars() {
            if after_letter {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            after_letter = c.is_alphabetic();
        }
        Value::text(&out)
    })
}

pub fn trim(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_text(args, |t| {
        let words: Vec<&str> = t.split(' ').filter(|w| !w.is_empty()).collect();
        Value::text(&words.join(" "))
    })
}

pub fn substitute(args: &[Arg<'_>], _: &CallContext) -> Value {
    let (t, old, new) = match (text(args, 0), text(args, 1), text(args, 2)) {
        (Ok(t), Ok(o), Ok(n)) => (t, o, n),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    let instance = match args.len() > 3 {
        true => match integer(args, 3) {
            Ok(i) if i >= 1.0 => Some(i as usize),
            Ok(_) => return value_error(),
            Err(e) => return e,
        },
        false => None,
    };
    if old.is_empty() {
        return Value::Text(t);
    }
    match instance {
        None => {
            // Excel's cell limit is checked before the text is built: replacing every
            // "a" of a 32,767-character text with 32,767 characters would build 1 GB.
            let (old_chars, new_chars) = (old.chars().count(), new.chars().count());
            if new_chars > old_chars {
                let times = t.matches(&*old).count();
                let grown = t
                    .chars()
                    .count()
                    .saturating_add(times.saturating_mul(new_chars - old_chars));
                if grown > MAX_TEXT {
                    return value_error();
                }
            }
            text_result(t.replace(&*old, &new))
        }
        Some(k) => match t.match_indices(&*old).nth(k - 1) {
            Some((pos, _)) => {
                let mut out = String::with_capacity(t.len());
                out.push_str(t.get(..pos).unwrap_or(""));
                out.push_str(&new);
                out.push_str(t.get(pos + old.len()..).unwrap_or(""));
                text_result(out)
            }
            None => Value::Text(t),
        },
    }
}

pub fn replace(args: &[Arg<'_>], _: &CallContext) -> Value {
    let (t, start, n) = match text_start_count(args) {
        Ok(parts) => parts,
        Err(e) => return e,
    };
    let new = match text(args, 3) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let chars: Vec<char> = t.chars().collect();
    let head: String = chars.iter().take(start - 1).collect();
    let tail: String = chars.iter().skip(start - 1 + n).collect();
    text_result(format!("{head}{new}{tail}"))
}

pub fn value(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(Value::Bool(_)) => value_error(),
        Ok(v) => coerce_number(v)
            .or_else(|e| match v {
                Value::Text(s) => parse_time_text(s).ok_or(e),
                _ => Err(e),
            })
            .map_or_else(|e| e, number_result),
        Err(e) => e,
    }
}

/// `hh:mm[:ss]` as a fraction of a day.
fn parse_time_text(s: &str) -> Option<f64> {
    let mut parts = s.trim().split(':');
    let h: f64 = parts.next()?.trim().parse().ok()?;
    let m: f64 = parts.next()?.trim().parse().ok()?;
    let sec: f64 = parts
        .next()
        .map(|p| p.trim().parse())
        .transpose()
        .ok()?
        .unwrap_or(0.0);
    if parts.next().is_some() || m >= 60.0 || sec >= 60.0 || h < 0.0 || m < 0.0 || sec < 0.0 {
        return None;
    }
    Some((h * 3600.0 + m * 60.0 + sec) / 86400.0)
}

pub fn exact(args: &[Arg<'_>], _: &CallContext) -> Value {
    match (text(args, 0), text(args, 1)) {
        (Ok(a), Ok(b)) => Value::Bool(a == b),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// Shared FIND/SEARCH: the 1-based position of the first match at or after `start`.
fn locate(args: &[Arg<'_>], matches_at: impl Fn(&str, &[char]) -> bool) -> Value {
    let (needle, haystack) = match (text(args, 0), text(args, 1)) {
        (Ok(n), Ok(h)) => (n, h),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let start = match number_or(args, 2, 1.0) {
        Ok(s) => s.trunc(),
        Err(e) => return e,
    };
    let chars: Vec<char> = haystack.chars().collect();
    if start < 1.0 || start > chars.len() as f64 + 1.0 {
        return value_error();
    }
    let start = start as usize;
    if needle.is_empty() {
        return Value::Number(start as f64);
    }
    for pos in (start - 1)..chars.len() {
        if matches_at(&needle, chars.get(pos..).unwrap_or(&[])) {
            return Value::Number(pos as f64 + 1.0);
        }
    }
    value_error()
}

pub fn find(args: &[Arg<'_>], _: &CallContext) -> Value {
    locate(args, |needle, rest| {
        let n: Vec<char> = needle.chars().collect();
        rest.starts_with(&n)
    })
}

pub fn search(args: &[Arg<'_>], _: &CallContext) -> Value {
    locate(args, |needle, rest| {
        let pattern = format!("{needle}*");
        let rest: String = rest.iter().collect();
        wildcard_match(&pattern, &rest)
    })
}

pub fn rept(args: &[Arg<'_>], _: &CallContext) -> Value {
    let t = match text(args, 0) {
        Ok(t) => t,
        Err(e) => return e,
    };
    match integer(args, 1) {
        Ok(n) if n < 0.0 => value_error(),
        Ok(_) if t.is_empty() => Value::text(""),
        Ok(n) if n * t.chars().count() as f64 > MAX_TEXT as f64 => value_error(),
        Ok(n) => text_result(t.repeat(n as usize)),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ErrorKind;

    fn call(f: super::super::FunctionImpl, values: &[Value]) -> Value {
        let args: Vec<Arg<'_>> = values.iter().map(Arg::Value).collect();
        f(&args, &CallContext::default())
    }

    #[test]
    fn substitute_past_the_cell_limit_is_refused_before_it_is_built() {
        let long = Value::text(&"a".repeat(MAX_TEXT));
        let (a, b) = (Value::text("a"), Value::text(&"b".repeat(MAX_TEXT)));
        assert_eq!(
            call(substitute, &[long.clone(), a.clone(), b]).error_kind(),
            Some(ErrorKind::Value)
        );
        // Shrinking or same-length replacements stay allowed at the limit.
        let same = call(substitute, &[long.clone(), a.clone(), Value::text("c")]);
        assert_eq!(same, Value::text(&"c".repeat(MAX_TEXT)));
        let short = Value::text(&"ab".repeat(10));
        let grown = call(substitute, &[short, a, Value::text("xyz")]);
        assert_eq!(grown, Value::text(&"xyzb".repeat(10)));
    }

    #[test]
    fn trim_substitute_and_mid_follow_excel_examples() {
        // Excel docs: TRIM(" First Quarter Earnings ") = "First Quarter Earnings";
        // SUBSTITUTE("Quarter 1, 2008", "1", "2", 1) = "Quarter 2, 2008";
        // SUBSTITUTE("Quarter 1, 2011", "1", "2", 3) = "Quarter 1, 2012"; MID("Fluid Flow", 7, 20) = "Flow".
        assert_eq!(
            call(trim, &[" First  Quarter Earnings ".into()]),
            "First Quarter Earnings".into()
        );
        assert_eq!(
            call(
                substitute,
                &["Quarter 1, 2008".into(), "1".into(), "2".into(), 1.0.into()]
            ),
            "Quarter 2, 2008".into()
        );
        assert_eq!(
            call(
                substitute,
                &["Quarter 1, 2011".into(), "1".into(), "2".into(), 3.0.into()]
            ),
            "Quarter 1, 2012".into()
        );
        assert_eq!(
            call(mid, &["Fluid Flow".into(), 7.0.into(), 20.0.into()]),
            "Flow".into()
        );
        assert_eq!(
            call(mid, &["Fluid Flow".into(), 0.0.into(), 2.0.into()]).error_kind(),
            Some(crate::value::ErrorKind::Value)
        );
    }

    #[test]
    fn find_is_case_sensitive_and_search_takes_wildcards() {
        // Excel docs: FIND("M", "Miriam McGovern") = 1, FIND("m", "Miriam McGovern") = 6,
        // FIND("M", "Miriam McGovern", 3) = 8; SEARCH("e", "Statements", 6) = 7.
        assert_eq!(
            call(find, &["M".into(), "Miriam McGovern".into()]),
            1.0.into()
        );
        assert_eq!(
            call(find, &["m".into(), "Miriam McGovern".into()]),
            6.0.into()
        );
        assert_eq!(
            call(find, &["M".into(), "Miriam McGovern".into(), 3.0.into()]),
            8.0.into()
        );
        assert_eq!(
            call(search, &["e".into(), "Statements".into(), 6.0.into()]),
            7.0.into()
        );
        assert_eq!(
            call(search, &["m?g".into(), "Miriam McGovern".into()]),
            8.0.into()
        );
        assert_eq!(call(search, &["~?".into(), "why?".into()]), 4.0.into());
    }

    #[test]
    fn text_renders_number_formats() {
        assert_eq!(
            call(text_fn, &[1234.567.into(), "$#,##0.00".into()]),
            "$1,234.57".into()
        );
        assert_eq!(call(text_fn, &["abc".into(), "0.00".into()]), "abc".into());
        assert_eq!(
            call(text_fn, &[0.285.into(), "0.0%".into()]),
            "28.5%".into()
        );
    }
}
