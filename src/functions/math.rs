//! Math functions: SUM, PRODUCT, the ROUND family with Excel's decimal rounding,
//! INT/MOD/ABS/SQRT/POWER/EXP/LN/LOG, CEILING.MATH/FLOOR.MATH, SUMIF(S), SUMPRODUCT.

use super::args::{
    ListNumbers, collect_numbers, criteria_pairs, err, list, matching_rows, number, number_or,
    scalar, value_error,
};
use super::{Aggregate, Arg, CallContext, CriteriaShape, FunctionSpec, Kernel};
use crate::value::{ErrorKind, Value, number_result};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("SUM", Math, 1, None, [Either], 0, Number, false, sum, "Adds numbers; text and booleans inside lists are ignored", kernel = Kernel::Aggregate(Aggregate::Sum)),
    spec!("PRODUCT", Math, 1, None, [Either], 0, Number, false, product, "Multiplies numbers"),
    spec!("SUMPRODUCT", Math, 1, None, [List], 0, Number, false, sumproduct, "Sum of the products of equally long lists"),
    spec!("SUMIF", Math, 2, Some(3), [List, Scalar, List], 0, Number, false, sumif, "Sum of values whose criteria cell matches", kernel = Kernel::Criteria(CriteriaShape::SumIf)),
    spec!("SUMIFS", Math, 3, None, [List, List, Scalar], 1, Number, false, sumifs, "Sum of values whose rows match every criterion", kernel = Kernel::Criteria(CriteriaShape::SumIfs)),
    spec!("ROUND", Math, 2, Some(2), [Scalar], 0, Number, false, round, "Rounds to a number of digits, halves away from zero"),
    spec!("ROUNDUP", Math, 2, Some(2), [Scalar], 0, Number, false, roundup, "Rounds away from zero"),
    spec!("ROUNDDOWN", Math, 2, Some(2), [Scalar], 0, Number, false, rounddown, "Rounds toward zero"),
    spec!("TRUNC", Math, 1, Some(2), [Scalar], 0, Number, false, trunc, "Cuts digits off toward zero"),
    spec!("MROUND", Math, 2, Some(2), [Scalar], 0, Number, false, mround, "Rounds to the nearest multiple"),
    spec!("INT", Math, 1, Some(1), [Scalar], 0, Number, false, int, "Rounds down to an integer"),
    spec!("MOD", Math, 2, Some(2), [Scalar], 0, Number, false, modulo, "Remainder with the sign of the divisor"),
    spec!("QUOTIENT", Math, 2, Some(2), [Scalar], 0, Number, false, quotient, "Integer part of a division"),
    spec!("ABS", Math, 1, Some(1), [Scalar], 0, Number, false, abs, "Absolute value"),
    spec!("SIGN", Math, 1, Some(1), [Scalar], 0, Number, false, sign, "-1, 0 or 1"),
    spec!("SQRT", Math, 1, Some(1), [Scalar], 0, Number, false, sqrt, "Square root"),
    spec!("POWER", Math, 2, Some(2), [Scalar], 0, Number, false, power, "A number raised to a power"),
    spec!("EXP", Math, 1, Some(1), [Scalar], 0, Number, false, exp, "e raised to a power"),
    spec!("LN", Math, 1, Some(1), [Scalar], 0, Number, false, ln, "Natural logarithm"),
    spec!("LOG10", Math, 1, Some(1), [Scalar], 0, Number, false, log10, "Base-10 logarithm"),
    spec!("LOG", Math, 1, Some(2), [Scalar], 0, Number, false, log, "Logarithm to a base (default 10)"),
    spec!("CEILING.MATH", Math, 1, Some(3), [Scalar], 0, Number, true, ceiling_math, "Rounds up to a multiple"),
    spec!("FLOOR.MATH", Math, 1, Some(3), [Scalar], 0, Number, true, floor_math, "Rounds down to a multiple"),
    spec!("PI", Math, 0, Some(0), [], 0, Number, false, pi, "The number pi"),
    spec!("SUMSQ", Math, 1, None, [Either], 0, Number, false, sumsq, "Sum of squares"),
    spec!("EVEN", Math, 1, Some(1), [Scalar], 0, Number, false, even, "Rounds away from zero to an even integer"),
    spec!("ODD", Math, 1, Some(1), [Scalar], 0, Number, false, odd, "Rounds away from zero to an odd integer"),
    spec!("FACT", Math, 1, Some(1), [Scalar], 0, Number, false, fact, "Factorial"),
    spec!("COMBIN", Math, 2, Some(2), [Scalar], 0, Number, false, combin, "Number of combinations of k items out of n"),
];

/// How the ROUND family treats the discarded digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundMode {
    /// ROUND: halves away from zero.
    HalfAway,
    /// ROUNDUP: away from zero whenever anything is discarded.
    Up,
    /// ROUNDDOWN / TRUNC: toward zero.
    Down,
}

/// Rounds `x` to `digits` decimal places (negative: to tens, hundreds …) the way
/// Excel does: on the number's 15-significant-digit decimal form, so ROUND(1.005, 2)
/// is 1.01 although the binary 1.005 is slightly below it.
pub fn round_digits(x: f64, digits: i32, mode: RoundMode) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let scientific = format!("{:.14e}", x.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return x;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return x;
    };
    let significant: Vec<u64> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u64::from(b - b'0'))
        .collect();
    // How many leading significant digits survive.
    let keep = exponent.saturating_add(1).saturating_add(digits);
    if keep >= significant.len() as i32 {
        return x;
    }
    if keep < 0 {
        return match mode {
            RoundMode::Up => sign * decimal(1, digits),
            _ => 0.0,
        };
    }
    let keep = keep as usize;
    let (kept, rest) = significant.split_at(keep);
    let mut whole = kept.iter().fold(0u64, |acc, d| acc * 10 + d);
    let bump = match mode {
        RoundMode::HalfAway => rest.first().is_some_and(|&d| d >= 5),
        RoundMode::Up => rest.iter().any(|&d| d != 0),
        RoundMode::Down => false,
    };
    if bump {
        whole += 1;
    }
    sign * decimal(whole, digits)
}

/// `whole × 10^-digits`, correctly rounded (via the decimal parser).
fn decimal(whole: u64, digits: i32) -> f64 {
    format!("{whole}e{}", -i64::from(digits))
        .parse::<f64>()
        .unwrap_or(f64::NAN)
}

/// `x` reduced to 15 significant digits, to absorb binary noise before floor/ceil
/// (1.1/0.1 is 11.000000000000002 in binary, 11 in Excel).
pub fn approx15(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.14e}", x).parse::<f64>().unwrap_or(x)
}

fn digits_arg(args: &[Arg<'_>], index: usize) -> Result<i32, Value> {
    let d = number_or(args, index, 0.0)?.trunc();
    Ok(d.clamp(-400.0, 400.0) as i32)
}

fn rounded(args: &[Arg<'_>], mode: RoundMode) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match digits_arg(args, 1) {
        Ok(d) => number_result(round_digits(x, d, mode)),
        Err(e) => e,
    }
}

pub fn round(args: &[Arg<'_>], _: &CallContext) -> Value {
    rounded(args, RoundMode::HalfAway)
}

pub fn roundup(args: &[Arg<'_>], _: &CallContext) -> Value {
    rounded(args, RoundMode::Up)
}

pub fn rounddown(args: &[Arg<'_>], _: &CallContext) -> Value {
    rounded(args, RoundMode::Down)
}

pub fn trunc(args: &[Arg<'_>], _: &CallContext) -> Value {
    rounded(args, RoundMode::Down)
}

/// Runs a one-number function, propagating coercion errors.
fn unary(args: &[Arg<'_>], f: impl Fn(f64) -> Result<f64, ErrorKind>) -> Value {
    match number(args, 0) {
        Ok(x) => match f(x) {
            Ok(r) => number_result(r),
            Err(kind) => err(kind),
        },
        Err(e) => e,
    }
}

/// Runs a two-number function, propagating the first argument's error first.
fn binary(args: &[Arg<'_>], f: impl Fn(f64, f64) -> Result<f64, ErrorKind>) -> Value {
    let a = match number(args, 0) {
        Ok(a) => a,
        Err(e) => return e,
    };
    match number(args, 1) {
        Ok(b) => match f(a, b) {
            Ok(r) => number_result(r),
            Err(kind) => err(kind),
        },
        Err(e) => e,
    }
}

pub fn mround(args: &[Arg<'_>], _: &CallContext) -> Value {
    binary(args, |n, m| {
        if m == 0.0 || n == 0.0 {
            return Ok(0.0);
        }
        if (n < 0.0) != (m < 0.0) {
            return Err(ErrorKind::Num);
        }
        Ok(round_digits(approx15(n / m), 0, RoundMode::HalfAway) * m)
    })
}

pub fn int(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| Ok(x.floor()))
}

pub fn modulo(args: &[Arg<'_>], _: &CallContext) -> Value {
    binary(args, |n, d| {
        if d == 0.0 {
            return Err(ErrorKind::Div0);
        }
        let r = n - d * (n / d).floor();
        // Guard against binary noise producing a remainder equal to the divisor.
        if (r - d).abs() < d.abs() * 1e-15 {
            Ok(0.0)
        } else {
            Ok(r)
        }
    })
}

pub fn quotient(args: &[Arg<'_>], _: &CallContext) -> Value {
    binary(args, |n, d| {
        if d == 0.0 {
            Err(ErrorKind::Div0)
        } else {
            Ok((n / d).trunc())
        }
    })
}

pub fn abs(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| Ok(x.abs()))
}

pub fn sign(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| {
        Ok(if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        })
    })
}

pub fn sqrt(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| {
        if x < 0.0 {
            Err(ErrorKind::Num)
        } else {
            Ok(x.sqrt())
        }
    })
}

/// Excel's `^`: 0^0 and 0^negative are errors, a negative base needs an integer power.
pub fn power_of(base: f64, exponent: f64) -> Result<f64, ErrorKind> {
    if base == 0.0 && exponent == 0.0 {
        return Err(ErrorKind::Num);
    }
    if base == 0.0 && exponent < 0.0 {
        return Err(ErrorKind::Div0);
    }
    if base < 0.0 && exponent.fract() != 0.0 {
        return Err(ErrorKind::Num);
    }
    let r = base.powf(exponent);
    if r.is_finite() {
        Ok(r)
    } else {
        Err(ErrorKind::Num)
    }
}

pub fn power(args: &[Arg<'_>], _: &CallContext) -> Value {
    binary(args, power_of)
}

pub fn exp(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| Ok(x.exp()))
}

fn positive_log(x: f64, f: fn(f64) -> f64) -> Result<f64, ErrorKind> {
    if x <= 0.0 {
        Err(ErrorKind::Num)
    } else {
        Ok(f(x))
    }
}

pub fn ln(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| positive_log(x, f64::ln))
}

pub fn log10(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| positive_log(x, f64::log10))
}

pub fn log(args: &[Arg<'_>], _: &CallContext) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let base = match number_or(args, 1, 10.0) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if x <= 0.0 || base <= 0.0 {
        return err(ErrorKind::Num);
    }
    if base == 1.0 {
        return err(ErrorKind::Div0);
    }
    let r = if base == 10.0 {
        x.log10()
    } else {
        x.ln() / base.ln()
    };
    number_result(r)
}

/// CEILING.MATH and FLOOR.MATH: `up` picks the direction for positive numbers; a
/// non-zero mode sends negative numbers away from zero (CEILING) or toward it (FLOOR).
fn multiple_math(args: &[Arg<'_>], up: bool) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let significance = match number_or(args, 1, 1.0) {
        Ok(s) => s.abs(),
        Err(e) => return e,
    };
    let mode = match number_or(args, 2, 0.0) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if significance == 0.0 || x == 0.0 {
        return Value::Number(0.0);
    }
    let q = approx15(x / significance);
    let toward_plus = if x < 0.0 && mode != 0.0 { !up } else { up };
    let whole = if toward_plus { q.ceil() } else { q.floor() };
    number_result(whole * significance)
}

pub fn ceiling_math(args: &[Arg<'_>], _: &CallContext) -> Value {
    multiple_math(args, true)
}

pub fn floor_math(args: &[Arg<'_>], _: &CallContext) -> Value {
    multiple_math(args, false)
}

pub fn pi(_: &[Arg<'_>], _: &CallContext) -> Value {
    Value::Number(std::f64::consts::PI)
}

pub fn sumsq(args: &[Arg<'_>], _: &CallContext) -> Value {
    match collect_numbers(args, ListNumbers::NumbersOnly) {
        Ok(values) => number_result(values.iter().map(|v| v * v).sum()),
        Err(e) => e,
    }
}

/// EVEN and ODD: away from zero to the next integer of the wanted parity.
fn parity_round(x: f64, odd: bool) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let mut n = approx15(x.abs()).ceil();
    let is_odd = n % 2.0 == 1.0;
    if is_odd != odd {
        n += 1.0;
    }
    sign * n
}

pub fn even(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| Ok(parity_round(x, false)))
}

pub fn odd(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| Ok(parity_round(x, true)))
}

pub fn fact(args: &[Arg<'_>], _: &CallContext) -> Value {
    unary(args, |x| {
        let n = x.trunc();
        if !(0.0..=170.0).contains(&n) {
            return Err(ErrorKind::Num);
        }
        Ok((1..=n as u32).map(f64::from).product())
    })
}

pub fn combin(args: &[Arg<'_>], _: &CallContext) -> Value {
    binary(args, |n, k| {
        let (n, k) = (n.trunc(), k.trunc());
        if n < 0.0 || k < 0.0 || n < k || n > 1e9 {
            return Err(ErrorKind::Num);
        }
        let k = k.min(n - k);
        let mut c = 1.0;
        for i in 0..k as u64 {
            c = c * (n - i as f64) / (i as f64 + 1.0);
            if !c.is_finite() {
                return Err(ErrorKind::Num);
            }
        }
        Ok(c.round())
    })
}

pub fn sum(args: &[Arg<'_>], _: &CallContext) -> Value {
    match collect_numbers(args, ListNumbers::NumbersOnly) {
        Ok(values) => number_result(values.iter().sum()),
        Err(e) => e,
    }
}

pub fn product(args: &[Arg<'_>], _: &CallContext) -> Value {
    match collect_numbers(args, ListNumbers::NumbersOnly) {
        Ok(values) if values.is_empty() => Value::Number(0.0),
        Ok(values) => number_result(values.iter().product()),
        Err(e) => e,
    }
}

pub fn sumproduct(args: &[Arg<'_>], _: &CallContext) -> Value {
    let mut lists = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        match list(args, i) {
            Ok(l) => lists.push(l),
            Err(e) => return e,
        }
    }
    let len = lists.first().map_or(0, |l| l.len());
    if lists.iter().any(|l| l.len() != len) {
        return value_error();
    }
    let mut total = 0.0;
    for row in 0..len {
        let mut p = 1.0;
        for l in &lists {
            match l.get(row) {
                Some(Value::Number(n)) | Some(Value::Date(n)) => p *= n,
                Some(e @ Value::Error(_)) => return e.clone(),
                // Text, booleans and blanks count as zero in SUMPRODUCT.
                _ => p = 0.0,
            }
        }
        total += p;
    }
    number_result(total)
}

/// Values of `values` at the rows matched by every criterion, numbers only; an
/// error in a matched row propagates.
pub(super) fn matched_numbers(values: &[Value], rows: &[usize]) -> Result<Vec<f64>, Value> {
    let mut out = Vec::with_capacity(rows.len());
    for &row in rows {
        match values.get(row) {
            Some(Value::Number(n)) | Some(Value::Date(n)) => out.push(*n),
            Some(e @ Value::Error(_)) => return Err(e.clone()),
            _ => {}
        }
    }
    Ok(out)
}

/// Shared body of SUMIFS/AVERAGEIFS/MAXIFS/MINIFS: the numbers of the first list at
/// rows matching the criteria pairs that follow it.
pub(super) fn ifs_numbers(args: &[Arg<'_>]) -> Result<Vec<f64>, Value> {
    let values = list(args, 0)?;
    if args.len().is_multiple_of(2) {
        return Err(value_error());
    }
    let pairs = criteria_pairs(args, 1, values.len())?;
    matched_numbers(values, &matching_rows(&pairs, values.len()))
}

/// Shared body of SUMIF/AVERAGEIF: (range, criterion, [values]).
pub(super) fn if_numbers(args: &[Arg<'_>]) -> Result<Vec<f64>, Value> {
    let range = list(args, 0)?;
    let criterion = super::args::Criterion::parse(scalar(args, 1)?)?;
    let values = if args.len() > 2 {
        list(args, 2)?
    } else {
        range
    };
    let rows: Vec<usize> = (0..range.len())
        .filter(|&r| range.get(r).is_some_and(|c| criterion.matches(c)))
        .collect();
    matched_numbers(values, &rows)
}

pub fn sumifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    match ifs_numbers(args) {
        Ok(v) => number_result(super::args::exact_sum(&v)),
        Err(e) => e,
    }
}

pub fn sumif(args: &[Arg<'_>], _: &CallContext) -> Value {
    match if_numbers(args) {
        Ok(v) => number_result(super::args::exact_sum(&v)),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_halves_away_from_zero_on_decimal_digits() {
        // Excel documentation: ROUND(2.15,1)=2.2, ROUND(2.149,1)=2.1, ROUND(-1.475,2)=-1.48,
        // ROUND(21.5,-1)=20; and the float cases 1.005 → 1.01, 2.5 → 3, -2.5 → -3.
        assert_eq!(round_digits(2.15, 1, RoundMode::HalfAway), 2.2);
        assert_eq!(round_digits(2.149, 1, RoundMode::HalfAway), 2.1);
        assert_eq!(round_digits(-1.475, 2, RoundMode::HalfAway), -1.48);
        assert_eq!(round_digits(21.5, -1, RoundMode::HalfAway), 20.0);
        assert_eq!(round_digits(1.005, 2, RoundMode::HalfAway), 1.01);
        assert_eq!(round_digits(2.5, 0, RoundMode::HalfAway), 3.0);
        assert_eq!(round_digits(-2.5, 0, RoundMode::HalfAway), -3.0);
        assert_eq!(round_digits(0.4, -3, RoundMode::HalfAway), 0.0);
        assert_eq!(round_digits(999.5, 0, RoundMode::HalfAway), 1000.0);
    }

    #[test]
    #[allow(clippy::approx_constant)] // Excel's documented examples, not pi
    fn roundup_and_rounddown_follow_excel_examples() {
        // Excel documentation: ROUNDUP(3.2,0)=4, ROUNDUP(76.9,0)=77, ROUNDUP(3.14159,3)=3.142,
        // ROUNDUP(-3.14159,1)=-3.2, ROUNDUP(31415.92654,-2)=31500;
        // ROUNDDOWN(3.14159,3)=3.141, ROUNDDOWN(-3.14159,1)=-3.1, ROUNDDOWN(31415.92654,-2)=31400.
        assert_eq!(round_digits(3.2, 0, RoundMode::Up), 4.0);
        assert_eq!(round_digits(76.9, 0, RoundMode::Up), 77.0);
        assert_eq!(round_digits(3.14159, 3, RoundMode::Up), 3.142);
        assert_eq!(round_digits(-3.14159, 1, RoundMode::Up), -3.2);
        assert_eq!(round_digits(31415.92654, -2, RoundMode::Up), 31500.0);
        assert_eq!(round_digits(3.14159, 3, RoundMode::Down), 3.141);
        assert_eq!(round_digits(-3.14159, 1, RoundMode::Down), -3.1);
        assert_eq!(round_digits(31415.92654, -2, RoundMode::Down), 31400.0);
        assert_eq!(round_digits(0.3, -1, RoundMode::Up), 10.0);
    }

    #[test]
    fn approx15_absorbs_binary_noise() {
        assert_eq!(approx15(1.1 / 0.1), 11.0);
        assert_eq!(approx15(0.1 + 0.2), 0.3);
    }
}
