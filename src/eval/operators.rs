//! Excel semantics of the formula operators: arithmetic, `&`, comparisons, `%`,
//! prefix minus/plus, `not`, `and`/`or` and `IN (…)`, on single values.

use std::cmp::Ordering;

use crate::lang::ast::{BinaryOp, UnaryOp};
use crate::value::{ErrorKind, Value, excel_compare, number_result};

/// Excel's limit on the length of a text value (and of a cell's text).
const MAX_TEXT_CHARS: usize = 32_767;

/// Applies a binary operator to two values as Excel does (errors propagate, left first).
pub fn binary(op: BinaryOp, left: &Value, right: &Value) -> Value {
    if let Value::Error(_) = left {
        return left.clone();
    }
    if let Value::Error(_) = right {
        return right.clone();
    }
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
            arithmetic(op, left, right)
        }
        BinaryOp::Concat => match (left.to_text(), right.to_text()) {
            // Excel: a result longer than a cell can hold is #VALUE!, not a longer text.
            (Ok(a), Ok(b)) if a.chars().count() + b.chars().count() > MAX_TEXT_CHARS => {
                Value::error(ErrorKind::Value)
            }
            (Ok(a), Ok(b)) => {
                let mut joined = String::with_capacity(a.len() + b.len());
                joined.push_str(&a);
                joined.push_str(&b);
                Value::text(&joined)
            }
            (Err(e), _) | (_, Err(e)) => e,
        },
        BinaryOp::Eq => Value::Bool(excel_compare(left, right) == Ordering::Equal),
        BinaryOp::Ne => Value::Bool(excel_compare(left, right) != Ordering::Equal),
        BinaryOp::Lt => Value::Bool(excel_compare(left, right) == Ordering::Less),
        BinaryOp::Le => Value::Bool(excel_compare(left, right) != Ordering::Greater),
        BinaryOp::Gt => Value::Bool(excel_compare(left, right) == Ordering::Greater),
        BinaryOp::Ge => Value::Bool(excel_compare(left, right) != Ordering::Less),
        BinaryOp::And | BinaryOp::Or => match (left.to_bool(), right.to_bool()) {
            (Ok(a), Ok(b)) => Value::Bool(if op == BinaryOp::And { a && b } else { a || b }),
            (Err(e), _) | (_, Err(e)) => e,
        },
    }
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Value {
    let (a, b) = match (left.to_number(), right.to_number()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    arithmetic_numbers(op, left, right, a, b)
}

/// Arithmetic once both operands are numbers `a` and `b` (`left` and `right` only
/// decide whether the result is a date). Column kernels call it directly for numbers.
#[inline]
pub fn arithmetic_numbers(op: BinaryOp, left: &Value, right: &Value, a: f64, b: f64) -> Value {
    let result = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => {
            if b == 0.0 {
                return Value::error(ErrorKind::Div0);
            }
            a / b
        }
        BinaryOp::Pow => {
            if a == 0.0 && b == 0.0 {
                return Value::error(ErrorKind::Num);
            }
            if a == 0.0 && b < 0.0 {
                return Value::error(ErrorKind::Div0);
            }
            a.powf(b)
        }
        _ => return Value::error(ErrorKind::Value),
    };
    // A date plus or minus days stays a date; the difference of two dates is days.
    let date_result = match (op, left, right) {
        (BinaryOp::Add, Value::Date(_), Value::Date(_)) => false,
        (BinaryOp::Add, Value::Date(_), _) | (BinaryOp::Add, _, Value::Date(_)) => true,
        (BinaryOp::Sub, Value::Date(_), Value::Date(_)) => false,
        (BinaryOp::Sub, Value::Date(_), _) => true,
        _ => false,
    };
    match number_result(result) {
        Value::Number(n) if date_result => Value::Date(n),
        other => other,
    }
}

/// Applies a prefix operator.
pub fn unary(op: UnaryOp, operand: &Value) -> Value {
    match op {
        UnaryOp::Neg => match operand.to_number() {
            Ok(n) => number_result(-n),
            Err(e) => e,
        },
        // Excel's unary plus returns its operand unchanged (=+"a" is "a").
        UnaryOp::Plus => operand.clone(),
        UnaryOp::Not => match operand.to_bool() {
            Ok(b) => Value::Bool(!b),
            Err(e) => e,
        },
    }
}

/// Postfix `%`: divides by 100.
pub fn percent(operand: &Value) -> Value {
    match operand.to_number() {
        Ok(n) => number_result(n / 100.0),
        Err(e) => e,
    }
}

/// `needle IN (items…)`: true when any item equals the needle by Excel's `=`.
pub fn is_in(needle: &Value, items: &[Value], negated: bool) -> Value {
    if let Value::Error(_) = needle {
        return needle.clone();
    }
    let mut found = false;
    for item in items {
        if let Value::Error(_) = item {
            return item.clone();
        }
        if excel_compare(needle, item) == Ordering::Equal {
            found = true;
            break;
        }
    }
    Value::Bool(found != negated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_excel() {
        let n = |x: f64| Value::Number(x);
        assert_eq!(binary(BinaryOp::Add, &n(1.0), &Value::text("2")), n(3.0));
        assert_eq!(binary(BinaryOp::Add, &n(1.0), &Value::Blank), n(1.0));
        assert_eq!(binary(BinaryOp::Mul, &Value::Bool(true), &n(4.0)), n(4.0));
        assert_eq!(
            binary(BinaryOp::Div, &n(1.0), &n(0.0)).error_kind(),
            Some(ErrorKind::Div0)
        );
        assert_eq!(
            binary(BinaryOp::Add, &n(1.0), &Value::text("x")).error_kind(),
            Some(ErrorKind::Value)
        );
        assert_eq!(
            binary(BinaryOp::Concat, &n(1.5), &Value::Bool(true)),
            Value::text("1.5TRUE")
        );
        let long = Value::text(&"x".repeat(MAX_TEXT_CHARS - 1));
        assert_eq!(
            binary(BinaryOp::Concat, &long, &Value::text("é"))
                .to_text()
                .map(|t| t.chars().count()),
            Ok(MAX_TEXT_CHARS)
        );
        assert_eq!(
            binary(BinaryOp::Concat, &long, &Value::text("éé")).error_kind(),
            Some(ErrorKind::Value)
        );
        assert_eq!(
            binary(BinaryOp::Eq, &Value::text("Won"), &Value::text("WON")),
            Value::Bool(true)
        );
        assert_eq!(
            binary(BinaryOp::Sub, &Value::Date(45000.0), &Value::Date(44990.0)),
            n(10.0)
        );
        assert_eq!(
            binary(BinaryOp::Add, &Value::Date(45000.0), &n(1.0)),
            Value::Date(45001.0)
        );
    }

    #[test]
    fn errors_propagate_left_first() {
        let div0 = Value::error(ErrorKind::Div0);
        let na = Value::error(ErrorKind::NA);
        assert_eq!(
            binary(BinaryOp::Add, &div0, &na).error_kind(),
            Some(ErrorKind::Div0)
        );
        assert_eq!(
            is_in(&na, &[Value::Number(1.0)], false).error_kind(),
            Some(ErrorKind::NA)
        );
    }
}
