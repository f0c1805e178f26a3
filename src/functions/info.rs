//! Information functions: the IS* tests, NA, ERROR.TYPE, N. They inspect a value's
//! type and never propagate errors (except ISEVEN/ISODD, which need a number).

use super::args::{err, number, scalar};
use super::{Arg, CallContext, FunctionSpec};
use crate::value::{ErrorKind, Value};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("ISBLANK", Information, 1, Some(1), [Scalar], 0, Bool, false, isblank, "TRUE for an empty value"),
    spec!("ISNUMBER", Information, 1, Some(1), [Scalar], 0, Bool, false, isnumber, "TRUE for a number or date"),
    spec!("ISTEXT", Information, 1, Some(1), [Scalar], 0, Bool, false, istext, "TRUE for text"),
    spec!("ISNONTEXT", Information, 1, Some(1), [Scalar], 0, Bool, false, isnontext, "TRUE for anything but text"),
    spec!("ISLOGICAL", Information, 1, Some(1), [Scalar], 0, Bool, false, islogical, "TRUE for TRUE or FALSE"),
    spec!("ISERROR", Information, 1, Some(1), [Scalar], 0, Bool, false, iserror, "TRUE for any error value"),
    spec!("ISERR", Information, 1, Some(1), [Scalar], 0, Bool, false, iserr, "TRUE for any error except #N/A"),
    spec!("ISNA", Information, 1, Some(1), [Scalar], 0, Bool, false, isna, "TRUE for #N/A"),
    spec!("ISEVEN", Information, 1, Some(1), [Scalar], 0, Bool, false, iseven, "TRUE for an even number"),
    spec!("ISODD", Information, 1, Some(1), [Scalar], 0, Bool, false, isodd, "TRUE for an odd number"),
    spec!("NA", Information, 0, Some(0), [], 0, Any, false, na, "The #N/A error value"),
    spec!("ERROR.TYPE", Information, 1, Some(1), [Scalar], 0, Number, false, error_type, "1–7 for #NULL! … #N/A; #N/A for non-errors"),
    spec!("N", Information, 1, Some(1), [Scalar], 0, Number, false, n, "A number as is, TRUE as 1, anything else 0"),
];

fn test(args: &[Arg<'_>], f: impl Fn(&Value) -> bool) -> Value {
    match scalar(args, 0) {
        Ok(v) => Value::Bool(f(v)),
        Err(e) => e,
    }
}

pub fn isblank(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, Value::is_blank)
}

pub fn isnumber(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, Value::is_number)
}

pub fn istext(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, |v| matches!(v, Value::Text(_)))
}

pub fn isnontext(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, |v| !matches!(v, Value::Text(_)))
}

pub fn islogical(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, |v| matches!(v, Value::Bool(_)))
}

pub fn iserror(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, Value::is_error)
}

pub fn iserr(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, |v| {
        v.is_error() && v.error_kind() != Some(ErrorKind::NA)
    })
}

pub fn isna(args: &[Arg<'_>], _: &CallContext) -> Value {
    test(args, |v| v.error_kind() == Some(ErrorKind::NA))
}

fn parity(args: &[Arg<'_>], even: bool) -> Value {
    match number(args, 0) {
        Ok(x) => Value::Bool((x.trunc().abs() % 2.0 == 0.0) == even),
        Err(e) => e,
    }
}

pub fn iseven(args: &[Arg<'_>], _: &CallContext) -> Value {
    parity(args, true)
}

pub fn isodd(args: &[Arg<'_>], _: &CallContext) -> Value {
    parity(args, false)
}

pub fn na(_: &[Arg<'_>], _: &CallContext) -> Value {
    err(ErrorKind::NA)
}

pub fn error_type(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(Value::Error(e)) => ErrorKind::ALL
            .iter()
            .position(|k| *k == e.kind)
            .map_or_else(|| err(ErrorKind::NA), |i| Value::Number(i as f64 + 1.0)),
        Ok(_) => err(ErrorKind::NA),
        Err(e) => e,
    }
}

pub fn n(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(Value::Number(x)) | Ok(Value::Date(x)) => Value::Number(*x),
        Ok(Value::Bool(b)) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Ok(e @ Value::Error(_)) => e.clone(),
        Ok(_) => Value::Number(0.0),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_numbers_follow_excel() {
        // Excel docs: #NULL! 1, #DIV/0! 2, #VALUE! 3, #REF! 4, #NAME? 5, #NUM! 6, #N/A 7.
        let ctx = CallContext::default();
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            let v = Value::error(*kind);
            assert_eq!(
                error_type(&[Arg::Value(&v)], &ctx),
                Value::Number(i as f64 + 1.0)
            );
        }
        let one = Value::Number(1.0);
        assert_eq!(
            error_type(&[Arg::Value(&one)], &ctx).error_kind(),
            Some(ErrorKind::NA)
        );
    }

    #[test]
    fn is_functions_do_not_propagate_errors() {
        let ctx = CallContext::default();
        let na = Value::error(ErrorKind::NA);
        let div = Value::error(ErrorKind::Div0);
        assert_eq!(isna(&[Arg::Value(&na)], &ctx), Value::Bool(true));
        assert_eq!(iserr(&[Arg::Value(&na)], &ctx), Value::Bool(false));
        assert_eq!(iserr(&[Arg::Value(&div)], &ctx), Value::Bool(true));
        assert_eq!(isnumber(&[Arg::Value(&div)], &ctx), Value::Bool(false));
        assert_eq!(
            isblank(&[Arg::Value(&Value::Blank)], &ctx),
            Value::Bool(true)
        );
        assert_eq!(
            isblank(&[Arg::Value(&Value::text(""))], &ctx),
            Value::Bool(false)
        );
    }
}
