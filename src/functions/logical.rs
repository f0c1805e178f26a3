//! Logical functions: IF, IFS, SWITCH, IFERROR, IFNA, AND, OR, XOR, NOT, TRUE, FALSE,
//! and LET (whose names the checker binds).
//! Arguments arrive evaluated; an error in a branch not taken is simply not returned.

use std::cmp::Ordering;

use super::args::{err, scalar, value_error};
use super::{Arg, CallContext, FunctionSpec, Kernel};
use crate::value::{ErrorKind, Value, excel_compare};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("IF", Logical, 2, Some(3), [Scalar], 0, Any, false, if_, "One value when a condition holds, another when not", kernel = Kernel::ChooseByRow),
    spec!("IFS", Logical, 2, None, [Scalar], 0, Any, true, ifs, "The value paired with the first true condition"),
    spec!("SWITCH", Logical, 3, None, [Scalar], 0, Any, true, switch, "The result paired with the first value equal to the expression"),
    spec!("IFERROR", Logical, 2, Some(2), [Scalar], 0, Any, false, iferror, "A fallback when a value is any error"),
    spec!("IFNA", Logical, 2, Some(2), [Scalar], 0, Any, true, ifna, "A fallback when a value is #N/A"),
    spec!("AND", Logical, 1, None, [Either], 0, Bool, false, and, "TRUE when every condition holds"),
    spec!("OR", Logical, 1, None, [Either], 0, Bool, false, or, "TRUE when any condition holds"),
    spec!("XOR", Logical, 1, None, [Either], 0, Bool, true, xor, "TRUE when an odd number of conditions hold"),
    spec!("NOT", Logical, 1, Some(1), [Scalar], 0, Bool, false, not, "The opposite of a condition"),
    spec!("TRUE", Logical, 0, Some(0), [], 0, Bool, false, true_, "The value TRUE"),
    spec!("FALSE", Logical, 0, Some(0), [], 0, Bool, false, false_, "The value FALSE"),
    spec!("LET", Logical, 3, None, [Scalar], 0, Any, true, let_, "Names for values inside one formula: LET(name, value, …, calculation)"),
];

/// LET(name1, value1, …, calculation). The checker replaces each name by its value
/// where it is used, so what remains is the calculation: the last argument.
fn let_(args: &[Arg<'_>], _: &CallContext) -> Value {
    if args.len() < 3 || args.len().is_multiple_of(2) {
        return value_error();
    }
    value_at(args, args.len() - 1)
}

fn value_at(args: &[Arg<'_>], index: usize) -> Value {
    scalar(args, index).map_or_else(|e| e, Value::clone)
}

fn condition(args: &[Arg<'_>], index: usize) -> Result<bool, Value> {
    scalar(args, index)?.to_bool()
}

pub fn if_(args: &[Arg<'_>], _: &CallContext) -> Value {
    match condition(args, 0) {
        Ok(true) => value_at(args, 1),
        Ok(false) if args.len() > 2 => value_at(args, 2),
        Ok(false) => Value::Bool(false),
        Err(e) => e,
    }
}

pub fn ifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    if !args.len().is_multiple_of(2) {
        return value_error();
    }
    for pair in (0..args.len()).step_by(2) {
        match condition(args, pair) {
            Ok(true) => return value_at(args, pair + 1),
            Ok(false) => {}
            Err(e) => return e,
        }
    }
    err(ErrorKind::NA)
}

pub fn switch(args: &[Arg<'_>], _: &CallContext) -> Value {
    let subject = match scalar(args, 0) {
        Ok(v) if v.is_error() => return v.clone(),
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut i = 1;
    while i + 1 < args.len() {
        match scalar(args, i) {
            Ok(candidate) if candidate.is_error() => return candidate.clone(),
            Ok(candidate) => {
                if same_kind(subject, candidate)
                    && excel_compare(subject, candidate) == Ordering::Equal
                {
                    return value_at(args, i + 1);
                }
            }
            Err(e) => return e,
        }
        i += 2;
    }
    if i < args.len() {
        value_at(args, i)
    } else {
        err(ErrorKind::NA)
    }
}

/// Whether `=` can hold between two values: Excel never equates a number with text.
fn same_kind(a: &Value, b: &Value) -> bool {
    let kind = |v: &Value| match v {
        Value::Number(_) | Value::Date(_) => 0,
        Value::Text(_) => 1,
        Value::Bool(_) => 2,
        Value::Blank => 3,
        Value::Error(_) => 4,
    };
    kind(a) == kind(b) || a.is_blank() || b.is_blank()
}

pub fn iferror(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(v) if v.is_error() => value_at(args, 1),
        Ok(v) => v.clone(),
        Err(_) => value_at(args, 1),
    }
}

pub fn ifna(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(v) if v.error_kind() == Some(ErrorKind::NA) => value_at(args, 1),
        Ok(v) => v.clone(),
        Err(e) => e,
    }
}

/// The truth values of AND/OR/XOR's arguments: inside lists, booleans and numbers
/// count and text or blanks are skipped; given directly, values are converted.
/// No truth value at all is `#VALUE!`.
fn truth_values(args: &[Arg<'_>]) -> Result<Vec<bool>, Value> {
    let mut out = Vec::new();
    for arg in args {
        match arg {
            Arg::List(values) => {
                for v in values.iter() {
                    match v {
                        Value::Bool(b) => out.push(*b),
                        Value::Number(n) | Value::Date(n) => out.push(*n != 0.0),
                        Value::Error(_) => return Err(v.clone()),
                        _ => {}
                    }
                }
            }
            Arg::Value(Value::Blank) => {}
            Arg::Value(v) => out.push(v.to_bool()?),
        }
    }
    if out.is_empty() {
        Err(value_error())
    } else {
        Ok(out)
    }
}

pub fn and(args: &[Arg<'_>], _: &CallContext) -> Value {
    truth_values(args).map_or_else(|e| e, |v| Value::Bool(v.iter().all(|b| *b)))
}

pub fn or(args: &[Arg<'_>], _: &CallContext) -> Value {
    truth_values(args).map_or_else(|e| e, |v| Value::Bool(v.iter().any(|b| *b)))
}

pub fn xor(args: &[Arg<'_>], _: &CallContext) -> Value {
    truth_values(args).map_or_else(
        |e| e,
        |v| Value::Bool(v.iter().filter(|b| **b).count() % 2 == 1),
    )
}

pub fn not(args: &[Arg<'_>], _: &CallContext) -> Value {
    condition(args, 0).map_or_else(|e| e, |b| Value::Bool(!b))
}

pub fn true_(_: &[Arg<'_>], _: &CallContext) -> Value {
    Value::Bool(true)
}

pub fn false_(_: &[Arg<'_>], _: &CallContext) -> Value {
    Value::Bool(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: super::super::FunctionImpl, values: &[Value]) -> Value {
        let args: Vec<Arg<'_>> = values.iter().map(Arg::Value).collect();
        f(&args, &CallContext::default())
    }

    #[test]
    fn if_returns_the_branch_taken_and_never_the_other_error() {
        let div0 = Value::error(ErrorKind::Div0);
        assert_eq!(
            call(if_, &[Value::Bool(true), 1.0.into(), div0.clone()]),
            1.0.into()
        );
        assert_eq!(
            call(if_, &[Value::Bool(false), div0.clone(), 2.0.into()]),
            2.0.into()
        );
        // Without a third argument a false condition gives FALSE (Excel's documented rule).
        assert_eq!(
            call(if_, &[Value::Bool(false), 1.0.into()]),
            Value::Bool(false)
        );
        assert_eq!(
            call(if_, &[Value::text("maybe"), 1.0.into()]).error_kind(),
            Some(ErrorKind::Value)
        );
        assert_eq!(
            call(if_, &[div0.clone(), 1.0.into(), 2.0.into()]).error_kind(),
            Some(ErrorKind::Div0)
        );
    }

    #[test]
    fn switch_compares_without_type_conversion() {
        let r = call(
            switch,
            &[
                1.0.into(),
                "1".into(),
                "text".into(),
                1.0.into(),
                "number".into(),
            ],
        );
        assert_eq!(r, Value::text("number"));
        let r = call(
            switch,
            &["b".into(), "A".into(), 1.0.into(), "B".into(), 2.0.into()],
        );
        assert_eq!(r, 2.0.into());
        assert_eq!(
            call(switch, &[3.0.into(), 1.0.into(), "one".into()]).error_kind(),
            Some(ErrorKind::NA)
        );
    }

    #[test]
    fn and_or_skip_text_in_lists_but_reject_it_given_directly() {
        let list = [
            Value::Bool(true),
            Value::text("x"),
            Value::Blank,
            Value::Number(2.0),
        ];
        let r = and(&[Arg::List(&list)], &CallContext::default());
        assert_eq!(r, Value::Bool(true));
        let only_text = [Value::text("x")];
        let r = or(&[Arg::List(&only_text)], &CallContext::default());
        assert_eq!(r.error_kind(), Some(ErrorKind::Value));
        assert_eq!(
            call(and, &[1.0.into(), "abc".into()]).error_kind(),
            Some(ErrorKind::Value)
        );
        assert_eq!(
            call(xor, &[true.into(), false.into(), true.into()]),
            Value::Bool(false)
        );
    }
}
