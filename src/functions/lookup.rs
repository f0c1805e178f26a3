//! Lookup functions: XLOOKUP (exact, next smaller/larger, wildcard; both search
//! directions), XMATCH, MATCH, VLOOKUP and HLOOKUP, INDEX over one list, CHOOSE.
//!
//! A lookup that finds nothing answers [`not_found`]'s `#N/A`, so the engine can tell
//! a miss from an `#N/A` found in the data and report the value that missed.

use std::cmp::Ordering;

use super::args::{
    bool_or, err, has_wildcards, list, not_found, number, number_or, scalar, value_error,
    wildcard_match,
};
use super::{Arg, CallContext, FunctionSpec, Kernel, LookupShape};
use crate::value::{ErrorKind, Value, compare_text};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("XLOOKUP", Lookup, 3, Some(6), [Scalar, List, List, Scalar, Scalar, Scalar], 0, Any, true, xlookup, "The value of a return list where a lookup list matches", kernel = Kernel::Lookup(LookupShape::Xlookup)),
    spec!("XMATCH", Lookup, 2, Some(4), [Scalar, List, Scalar, Scalar], 0, Number, true, xmatch, "Position of a value in a list (exact, next smaller/larger, wildcard)", kernel = Kernel::Lookup(LookupShape::Xmatch)),
    spec!("MATCH", Lookup, 2, Some(3), [Scalar, List, Scalar], 0, Number, false, match_, "Position of a value in a list", kernel = Kernel::Lookup(LookupShape::Match)),
    spec!("VLOOKUP", Lookup, 3, Some(4), [Scalar, List, Scalar, Scalar], 0, Any, false, vlookup, "The value in column n of a table (or array) whose first column matches (range_lookup FALSE: exact; TRUE, the default: sorted, next smaller)"),
    spec!("HLOOKUP", Lookup, 3, Some(4), [Scalar, List, Scalar, Scalar], 0, Any, false, vlookup, "The value in row n of an array constant whose first row matches (range_lookup FALSE: exact; TRUE, the default: sorted, next smaller)"),
    spec!("INDEX", Lookup, 2, Some(3), [List, Scalar, Scalar], 0, Any, false, index, "The n-th value of a list"),
    spec!("CHOOSE", Lookup, 2, None, [Scalar], 0, Any, false, choose, "The n-th of the values given"),
    spec!("UNIQUE", Lookup, 1, Some(3), [List, Scalar, Scalar], 0, Any, true, unique, "The distinct values of a list, for a function around it: COUNTA(UNIQUE(T.c))"),
];

/// Orders two values of the same kind (numbers with numbers, text with text
/// case-insensitively, booleans with booleans); `None` across kinds.
fn same_kind_order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x) | Value::Date(x), Value::Number(y) | Value::Date(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(compare_text(x, y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Position of the match per XLOOKUP's `mode` (0 exact, -1 next smaller, 1 next
/// larger, 2 wildcard) scanning in `order`.
fn find_position(needle: &Value, haystack: &[Value], mode: i64, order: &[usize]) -> Option<usize> {
    let wildcard = mode == 2 && matches!(needle, Value::Text(t) if has_wildcards(t));
    let mut best: Option<(usize, &Value)> = None;
    for &i in order {
        let Some(cell) = haystack.get(i) else {
            continue;
        };
        if wildcard {
            if let (Value::Text(p), Value::Text(t)) = (needle, cell)
                && wildcard_match(p, t)
            {
                return Some(i);
            }
            continue;
        }
        match same_kind_order(cell, needle) {
            Some(Ordering::Equal) => return Some(i),
            Some(ord)
                if (mode == -1 && ord == Ordering::Less)
                    || (mode == 1 && ord == Ordering::Greater) =>
            {
                let better = match best {
                    None => true,
                    Some((_, b)) => {
                        let o = same_kind_order(cell, b);
                        if mode == -1 {
                            o == Some(Ordering::Greater)
                        } else {
                            o == Some(Ordering::Less)
                        }
                    }
                };
                if better {
                    best = Some((i, cell));
                }
            }
            _ => {}
        }
    }
    best.map(|(i, _)| i)
}

pub fn xlookup(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let needle = scalar(args, 0)?;
        if needle.is_error() {
            return Err(needle.clone());
        }
        let keys = list(args, 1)?;
        let values = list(args, 2)?;
        if keys.len() != values.len() {
            return Err(value_error());
        }
        match search_position(args, needle, keys, 4)? {
            Some(i) => Ok(values.get(i).cloned().unwrap_or_default()),
            None => match args.get(3) {
                Some(_) => scalar(args, 3).cloned(),
                None => Err(not_found()),
            },
        }
    })();
    result.unwrap_or_else(|e| e)
}

/// Which argument a lookup function searches (the list a miss is reported against),
/// for the built-in lookups; `None` for every other function.
pub fn searched_argument(name: &str) -> Option<usize> {
    matches!(name, "XLOOKUP" | "XMATCH" | "MATCH" | "VLOOKUP" | "HLOOKUP").then_some(1)
}

/// The argument a lookup answers with when it finds nothing (XLOOKUP's `if_not_found`).
pub fn fallback_argument(name: &str) -> Option<usize> {
    (name == "XLOOKUP").then_some(3)
}

/// XLOOKUP/XMATCH's search: match mode and search mode read from arguments
/// `first_mode_arg` and the one after it (defaults exact, first to last).
fn search_position(
    args: &[Arg<'_>],
    needle: &Value,
    keys: &[Value],
    first_mode_arg: usize,
) -> Result<Option<usize>, Value> {
    let mode = number_or(args, first_mode_arg, 0.0)?.trunc() as i64;
    let search = number_or(args, first_mode_arg + 1, 1.0)?.trunc() as i64;
    if !matches!(mode, -1..=2) || !matches!(search, -2 | -1 | 1 | 2) {
        return Err(value_error());
    }
    let order: Vec<usize> = if search < 0 {
        (0..keys.len()).rev().collect()
    } else {
        (0..keys.len()).collect()
    };
    Ok(find_position(needle, keys, mode, &order))
}

pub fn xmatch(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let needle = scalar(args, 0)?;
        if needle.is_error() {
            return Err(needle.clone());
        }
        let keys = list(args, 1)?;
        search_position(args, needle, keys, 2)?
            .map(|i| Value::Number(i as f64 + 1.0))
            .ok_or_else(not_found)
    })();
    result.unwrap_or_else(|e| e)
}

pub fn match_(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let needle = scalar(args, 0)?;
        if needle.is_error() {
            return Err(needle.clone());
        }
        let haystack = list(args, 1)?;
        let kind = number_or(args, 2, 1.0)?;
        let found = if kind == 0.0 {
            exact_position(needle, haystack)
        } else {
            sorted_position(needle, haystack, kind > 0.0)
        };
        found
            .map(|i| Value::Number(i as f64 + 1.0))
            .ok_or_else(not_found)
    })();
    result.unwrap_or_else(|e| e)
}

/// MATCH(…, 0) and VLOOKUP(…, FALSE): the first equal value, text case-insensitively
/// and with `*`, `?` and `~` wildcards.
fn exact_position(needle: &Value, haystack: &[Value]) -> Option<usize> {
    let order: Vec<usize> = (0..haystack.len()).collect();
    find_position(needle, haystack, 2, &order)
}

/// MATCH(…, 1) / MATCH(…, -1) and VLOOKUP's default: the list is taken as sorted
/// (ascending, or descending when `ascending` is false), and the answer is the last
/// position before the list passes the needle.
fn sorted_position(needle: &Value, haystack: &[Value], ascending: bool) -> Option<usize> {
    let mut found = None;
    for (i, cell) in haystack.iter().enumerate() {
        match same_kind_order(cell, needle) {
            Some(Ordering::Greater) if ascending => break,
            Some(Ordering::Less) if !ascending => break,
            Some(_) => found = Some(i),
            None => {}
        }
    }
    found
}

/// VLOOKUP and HLOOKUP, as the checker passes them: the needle, the table's first
/// column (row) and its n-th column (row) as two lists of equal length, and
/// `range_lookup` (TRUE, the default: sorted, next smaller; FALSE: exact, wildcards).
/// The checker resolves Excel's `table_array, col_index_num` to those two lists, so a
/// column index outside the table is an error before any data is read.
pub fn vlookup(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let needle = scalar(args, 0)?;
        if needle.is_error() {
            return Err(needle.clone());
        }
        let keys = list(args, 1)?;
        let values = list(args, 2)?;
        if keys.len() != values.len() {
            return Err(value_error());
        }
        let sorted = bool_or(args, 3, true)?;
        let found = if sorted {
            sorted_position(needle, keys, true)
        } else {
            exact_position(needle, keys)
        };
        match found {
            Some(i) => Ok(values.get(i).cloned().unwrap_or_default()),
            None => Err(not_found()),
        }
    })();
    result.unwrap_or_else(|e| e)
}

pub fn index(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let values = list(args, 0)?;
        let n = number(args, 1)?.trunc();
        let column = number_or(args, 2, 1.0)?.trunc();
        if column != 1.0 && !(column == 0.0 && args.len() > 2) {
            return Err(err(ErrorKind::Ref));
        }
        if n < 1.0 || n > values.len() as f64 {
            return Err(err(ErrorKind::Ref));
        }
        Ok(values.get(n as usize - 1).cloned().unwrap_or_default())
    })();
    result.unwrap_or_else(|e| e)
}

pub fn choose(args: &[Arg<'_>], _: &CallContext) -> Value {
    match number(args, 0) {
        Ok(n) => {
            let n = n.trunc();
            if n < 1.0 || n >= args.len() as f64 {
                return value_error();
            }
            scalar(args, n as usize).map_or_else(|e| e, Value::clone)
        }
        Err(e) => e,
    }
}

/// How UNIQUE tells values apart: text ignoring case, numbers and dates by value (0 and
/// -0 alike), booleans, blanks and each error kind on their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum UniqueKey {
    Blank,
    Number(u64),
    Text(String),
    Bool(bool),
    Error(ErrorKind),
}

fn unique_key(value: &Value) -> UniqueKey {
    match value {
        Value::Blank => UniqueKey::Blank,
        Value::Number(n) | Value::Date(n) => {
            UniqueKey::Number(if *n == 0.0 { 0 } else { n.to_bits() })
        }
        Value::Text(t) => UniqueKey::Text(t.to_lowercase()),
        Value::Bool(b) => UniqueKey::Bool(*b),
        Value::Error(e) => UniqueKey::Error(e.kind),
    }
}

/// UNIQUE's selection of a list: each distinct value at its first occurrence (or, with
/// `exactly_once`, only the values that occur once), an empty cell returned as 0 as
/// Excel returns it. (The engine selects per group with key codes; a test checks that
/// both agree.)
pub fn unique_values(values: &[Value], exactly_once: bool) -> Vec<Value> {
    let mut counts: std::collections::HashMap<UniqueKey, (usize, usize)> =
        std::collections::HashMap::new();
    let mut order = Vec::new();
    for (position, value) in values.iter().enumerate() {
        let entry = counts.entry(unique_key(value)).or_insert_with(|| {
            order.push(position);
            (position, 0)
        });
        entry.1 += 1;
    }
    order
        .into_iter()
        .filter(|position| {
            !exactly_once
                || values
                    .get(*position)
                    .and_then(|v| counts.get(&unique_key(v)))
                    .is_some_and(|(_, n)| *n == 1)
        })
        .map(|position| match values.get(position) {
            Some(Value::Blank) | None => Value::Number(0.0),
            Some(value) => value.clone(),
        })
        .collect()
}

/// UNIQUE written where one value is needed: the first of its values (the cell a
/// spilled result starts in). Rule files never reach this: the checker compiles UNIQUE
/// into the list an enclosing function reads.
pub fn unique(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let values = list(args, 0)?;
        let by_col = args.get(1).is_some() && scalar(args, 1)?.to_bool()?;
        let once = args.get(2).is_some() && scalar(args, 2)?.to_bool()?;
        if by_col {
            return Ok(values.first().cloned().unwrap_or_default());
        }
        unique_values(values, once)
            .into_iter()
            .next()
            .ok_or_else(|| err(ErrorKind::Value))
    })();
    result.unwrap_or_else(|e| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(v: &[f64]) -> Vec<Value> {
        v.iter().map(|x| Value::Number(*x)).collect()
    }

    fn texts(v: &[&str]) -> Vec<Value> {
        v.iter().map(|x| Value::text(x)).collect()
    }

    fn xl(needle: Value, keys: &[Value], values: &[Value], rest: &[Value]) -> Value {
        let mut args = vec![Arg::Value(&needle), Arg::List(keys), Arg::List(values)];
        args.extend(rest.iter().map(Arg::Value));
        xlookup(&args, &CallContext::default())
    }

    #[test]
    fn xlookup_match_modes() {
        let keys = nums(&[10.0, 20.0, 30.0, 40.0]);
        let vals = texts(&["a", "b", "c", "d"]);
        let none = Value::text("none");
        assert_eq!(xl(30.0.into(), &keys, &vals, &[]), Value::text("c"));
        assert_eq!(
            xl(25.0.into(), &keys, &vals, &[]).error_kind(),
            Some(ErrorKind::NA)
        );
        assert_eq!(
            xl(25.0.into(), &keys, &vals, std::slice::from_ref(&none)),
            none
        );
        // -1: exact or next smaller; 1: exact or next larger (Excel docs).
        assert_eq!(
            xl(25.0.into(), &keys, &vals, &[none.clone(), (-1.0).into()]),
            Value::text("b")
        );
        assert_eq!(
            xl(25.0.into(), &keys, &vals, &[none.clone(), 1.0.into()]),
            Value::text("c")
        );
        assert_eq!(
            xl(45.0.into(), &keys, &vals, &[none.clone(), 1.0.into()]),
            none
        );
    }

    #[test]
    fn xlookup_wildcards_case_and_search_direction() {
        let keys = texts(&["Partner", "Direct", "partner"]);
        let vals = nums(&[1.0, 2.0, 3.0]);
        let none = Value::text("none");
        assert_eq!(xl("PARTNER".into(), &keys, &vals, &[]), 1.0.into());
        assert_eq!(
            xl(
                "PARTNER".into(),
                &keys,
                &vals,
                &[none.clone(), 0.0.into(), (-1.0).into()]
            ),
            3.0.into()
        );
        assert_eq!(
            xl("d*".into(), &keys, &vals, &[none.clone(), 2.0.into()]),
            2.0.into()
        );
        // Without match mode 2, `*` is an ordinary character.
        assert_eq!(
            xl("d*".into(), &keys, &vals, std::slice::from_ref(&none)),
            none
        );
        // A number never matches text.
        assert_eq!(
            xl(1.0.into(), &texts(&["1"]), &nums(&[5.0]), &[]).error_kind(),
            Some(ErrorKind::NA)
        );
    }

    #[test]
    fn index_and_choose_bounds() {
        let l = nums(&[5.0, 6.0]);
        let ctx = CallContext::default();
        let two = Value::Number(2.0);
        let three = Value::Number(3.0);
        assert_eq!(index(&[Arg::List(&l), Arg::Value(&two)], &ctx), 6.0.into());
        assert_eq!(
            index(&[Arg::List(&l), Arg::Value(&three)], &ctx).error_kind(),
            Some(ErrorKind::Ref)
        );
        let (a, b) = (Value::text("a"), Value::text("b"));
        assert_eq!(
            choose(&[Arg::Value(&two), Arg::Value(&a), Arg::Value(&b)], &ctx),
            b
        );
        assert_eq!(
            choose(&[Arg::Value(&three), Arg::Value(&a), Arg::Value(&b)], &ctx).error_kind(),
            Some(ErrorKind::Value)
        );
    }
}
