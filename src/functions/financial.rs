//! Financial functions: NPV, XNPV, IRR, PMT, FV, PV, NPER, RATE, IPMT, PPMT with
//! Excel's sign conventions (money paid out is negative) and iteration limits.

use super::args::{ListNumbers, collect_numbers, err, list, number, number_or, strict_numbers};
use super::{Arg, CallContext, FunctionSpec};
use crate::value::{ErrorKind, Value, number_result};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("NPV", Financial, 2, None, [Scalar, Either], 1, Number, false, npv, "Net present value of periodic cash flows (first flow one period out)"),
    spec!("XNPV", Financial, 3, Some(3), [Scalar, List, List], 0, Number, false, xnpv, "Net present value of dated cash flows"),
    spec!("IRR", Financial, 1, Some(2), [List, Scalar], 0, Number, false, irr, "Internal rate of return of periodic cash flows"),
    spec!("PMT", Financial, 3, Some(5), [Scalar], 0, Number, false, pmt, "Payment per period of a loan or annuity"),
    spec!("FV", Financial, 3, Some(5), [Scalar], 0, Number, false, fv, "Future value of an investment"),
    spec!("PV", Financial, 3, Some(5), [Scalar], 0, Number, false, pv, "Present value of an investment"),
    spec!("NPER", Financial, 3, Some(5), [Scalar], 0, Number, false, nper, "Number of periods of an investment"),
    spec!("RATE", Financial, 3, Some(6), [Scalar], 0, Number, false, rate, "Interest rate per period of an annuity"),
    spec!("IPMT", Financial, 4, Some(6), [Scalar], 0, Number, false, ipmt, "Interest part of a payment"),
    spec!("PPMT", Financial, 4, Some(6), [Scalar], 0, Number, false, ppmt, "Principal part of a payment"),
    spec!("XIRR", Financial, 2, Some(3), [List, List, Scalar], 0, Number, false, xirr, "Internal rate of return of dated cash flows"),
    spec!("EFFECT", Financial, 2, Some(2), [Scalar], 0, Number, false, effect, "Effective annual rate of a nominal rate compounded npery times"),
    spec!("NOMINAL", Financial, 2, Some(2), [Scalar], 0, Number, false, nominal, "Nominal annual rate of an effective rate compounded npery times"),
];

pub fn npv(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let r = number(args, 0)?;
        let flows = collect_numbers(args.get(1..).unwrap_or(&[]), ListNumbers::NumbersOnly)?;
        if r == -1.0 {
            return Err(err(ErrorKind::Div0));
        }
        Ok(flows
            .iter()
            .enumerate()
            .map(|(i, v)| v / (1.0 + r).powi(i as i32 + 1))
            .sum::<f64>())
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn xnpv(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let r = number(args, 0)?;
        let (values, years) = dated_flows(args, 1)?;
        if r <= -1.0 {
            return Err(err(ErrorKind::Num));
        }
        Ok(values
            .iter()
            .zip(&years)
            .map(|(v, t)| v / (1.0 + r).powf(*t))
            .sum::<f64>())
    })();
    result.map_or_else(|e| e, number_result)
}

/// Cash flows and their dates for XNPV/XIRR: equally long, all numbers, no date
/// before the first; dates as years after the first (day count / 365).
fn dated_flows(args: &[Arg<'_>], values_at: usize) -> Result<(Vec<f64>, Vec<f64>), Value> {
    let values = strict_numbers(list(args, values_at)?)?;
    let dates: Vec<f64> = strict_numbers(list(args, values_at + 1)?)?
        .into_iter()
        .map(f64::floor)
        .collect();
    if values.len() != dates.len() || values.is_empty() {
        return Err(err(ErrorKind::Num));
    }
    let first = dates.first().copied().unwrap_or(0.0);
    if dates.iter().any(|d| *d < first) {
        return Err(err(ErrorKind::Num));
    }
    Ok((values, dates.iter().map(|d| (d - first) / 365.0).collect()))
}

pub fn xirr(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let (values, years) = dated_flows(args, 0)?;
        let guess = number_or(args, 2, 0.1)?;
        if !values.iter().any(|v| *v > 0.0) || !values.iter().any(|v| *v < 0.0) {
            return Err(err(ErrorKind::Num));
        }
        let f = |r: f64| {
            let mut value = 0.0;
            let mut slope = 0.0;
            for (v, t) in values.iter().zip(&years) {
                let discount = (1.0 + r).powf(*t);
                value += v / discount;
                slope -= t * v / (discount * (1.0 + r));
            }
            (value, slope)
        };
        solve(f, guess, -1.0, 10.0).ok_or_else(|| err(ErrorKind::Num))
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn effect(args: &[Arg<'_>], _: &CallContext) -> Value {
    match (number(args, 0), number(args, 1)) {
        (Ok(rate), Ok(periods)) => {
            let periods = periods.trunc();
            if rate <= 0.0 || periods < 1.0 {
                return err(ErrorKind::Num);
            }
            number_result((1.0 + rate / periods).powf(periods) - 1.0)
        }
        (Err(e), _) | (_, Err(e)) => e,
    }
}

pub fn nominal(args: &[Arg<'_>], _: &CallContext) -> Value {
    match (number(args, 0), number(args, 1)) {
        (Ok(rate), Ok(periods)) => {
            let periods = periods.trunc();
            if rate <= 0.0 || periods < 1.0 {
                return err(ErrorKind::Num);
            }
            number_result(periods * ((1.0 + rate).powf(1.0 / periods) - 1.0))
        }
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// NPV at `r` with the first flow at time 0, and its derivative.
fn npv0(flows: &[f64], r: f64) -> (f64, f64) {
    let mut value = 0.0;
    let mut slope = 0.0;
    for (i, v) in flows.iter().enumerate() {
        let t = i as f64;
        let discount = (1.0 + r).powf(t);
        value += v / discount;
        slope -= t * v / (discount * (1.0 + r));
    }
    (value, slope)
}

/// Newton's method from `guess`, then bisection on a bracketing interval if Newton
/// does not converge; `None` when no root is found.
fn solve(f: impl Fn(f64) -> (f64, f64), guess: f64, lo: f64, hi: f64) -> Option<f64> {
    let mut x = guess;
    for _ in 0..100 {
        let (y, dy) = f(x);
        if !y.is_finite() || !dy.is_finite() || dy == 0.0 {
            break;
        }
        let next = x - y / dy;
        if !next.is_finite() || next <= lo {
            break;
        }
        if (next - x).abs() <= 1e-13 * next.abs().max(1.0) {
            return Some(next);
        }
        x = next;
    }
    // Bisection over a scan for a sign change.
    let steps = 400;
    let mut prev_x = lo + 1e-9;
    let mut prev_y = f(prev_x).0;
    for k in 1..=steps {
        let x1 = lo + 1e-9 + (hi - lo) * (k as f64 / steps as f64).powi(3);
        let y1 = f(x1).0;
        if prev_y.is_finite() && y1.is_finite() && prev_y.signum() != y1.signum() {
            let (mut a, mut b, mut fa) = (prev_x, x1, prev_y);
            for _ in 0..200 {
                let m = (a + b) / 2.0;
                let fm = f(m).0;
                if fm.signum() == fa.signum() {
                    a = m;
                    fa = fm;
                } else {
                    b = m;
                }
            }
            return Some((a + b) / 2.0);
        }
        prev_x = x1;
        prev_y = y1;
    }
    None
}

pub fn irr(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let flows = collect_numbers(&args[..1.min(args.len())], ListNumbers::NumbersOnly)?;
        let guess = number_or(args, 1, 0.1)?;
        let has_pos = flows.iter().any(|v| *v > 0.0);
        let has_neg = flows.iter().any(|v| *v < 0.0);
        if !has_pos || !has_neg {
            return Err(err(ErrorKind::Num));
        }
        solve(|r| npv0(&flows, r), guess, -1.0, 10.0).ok_or_else(|| err(ErrorKind::Num))
    })();
    result.map_or_else(|e| e, number_result)
}

/// Reads (rate, nper, x, fv, type) style arguments: three required then two optional.
fn annuity_args(args: &[Arg<'_>]) -> Result<(f64, f64, f64, f64, f64), Value> {
    Ok((
        number(args, 0)?,
        number(args, 1)?,
        number(args, 2)?,
        number_or(args, 3, 0.0)?,
        if number_or(args, 4, 0.0)? != 0.0 {
            1.0
        } else {
            0.0
        },
    ))
}

fn pmt_of(r: f64, n: f64, pv: f64, fv: f64, t: f64) -> f64 {
    if r == 0.0 {
        return -(pv + fv) / n;
    }
    let g = (1.0 + r).powf(n);
    -(r * (fv + pv * g)) / ((1.0 + r * t) * (g - 1.0))
}

fn fv_of(r: f64, n: f64, pmt: f64, pv: f64, t: f64) -> f64 {
    if r == 0.0 {
        return -(pv + pmt * n);
    }
    let g = (1.0 + r).powf(n);
    -(pv * g + pmt * (1.0 + r * t) * (g - 1.0) / r)
}

pub fn pmt(args: &[Arg<'_>], _: &CallContext) -> Value {
    match annuity_args(args) {
        Ok((r, n, pv, fv, t)) => {
            if n == 0.0 {
                err(ErrorKind::Num)
            } else {
                number_result(pmt_of(r, n, pv, fv, t))
            }
        }
        Err(e) => e,
    }
}

pub fn fv(args: &[Arg<'_>], _: &CallContext) -> Value {
    match annuity_args(args) {
        Ok((r, n, pmt, pv, t)) => number_result(fv_of(r, n, pmt, pv, t)),
        Err(e) => e,
    }
}

pub fn pv(args: &[Arg<'_>], _: &CallContext) -> Value {
    match annuity_args(args) {
        Ok((r, n, pmt, fv, t)) => {
            if r == 0.0 {
                return number_result(-(fv + pmt * n));
            }
            let g = (1.0 + r).powf(n);
            number_result(-(fv + pmt * (1.0 + r * t) * (g - 1.0) / r) / g)
        }
        Err(e) => e,
    }
}

pub fn nper(args: &[Arg<'_>], _: &CallContext) -> Value {
    match annuity_args(args) {
        Ok((r, pmt, pv, fv, t)) => {
            if r == 0.0 {
                if pmt == 0.0 {
                    return err(ErrorKind::Div0);
                }
                return number_result(-(pv + fv) / pmt);
            }
            let a = pmt * (1.0 + r * t);
            let ratio = (a - fv * r) / (a + pv * r);
            if ratio <= 0.0 {
                return err(ErrorKind::Num);
            }
            number_result(ratio.ln() / (1.0 + r).ln())
        }
        Err(e) => e,
    }
}

pub fn rate(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let (n, pmt, pv, fv, t) = annuity_args(args)?;
        let guess = number_or(args, 5, 0.1)?;
        if n <= 0.0 {
            return Err(err(ErrorKind::Num));
        }
        // The annuity balance after n periods plus fv must be zero; the derivative is
        // taken numerically.
        let balance = |x: f64| fv - fv_of(x, n, pmt, pv, t);
        let f = |r: f64| {
            let h = 1e-7 * r.abs().max(1e-4);
            (balance(r), (balance(r + h) - balance(r - h)) / (2.0 * h))
        };
        solve(f, guess, -1.0, 10.0).ok_or_else(|| err(ErrorKind::Num))
    })();
    result.map_or_else(|e| e, number_result)
}

/// Interest part of payment `per` (IPMT); the principal part is PMT minus it.
fn interest_part(args: &[Arg<'_>]) -> Result<(f64, f64), Value> {
    let r = number(args, 0)?;
    let per = number(args, 1)?;
    let n = number(args, 2)?;
    let pv = number(args, 3)?;
    let fv = number_or(args, 4, 0.0)?;
    let t = if number_or(args, 5, 0.0)? != 0.0 {
        1.0
    } else {
        0.0
    };
    if per < 1.0 || per > n {
        return Err(err(ErrorKind::Num));
    }
    let payment = pmt_of(r, n, pv, fv, t);
    let interest = if t == 1.0 && per == 1.0 {
        0.0
    } else {
        let periods_before = if t == 1.0 { per - 2.0 } else { per - 1.0 };
        let balance = -fv_of(r, periods_before, payment, pv, t);
        let balance = if t == 1.0 { balance - payment } else { balance };
        -(balance * r)
    };
    Ok((interest, payment))
}

pub fn ipmt(args: &[Arg<'_>], _: &CallContext) -> Value {
    interest_part(args).map_or_else(|e| e, |(i, _)| number_result(i))
}

pub fn ppmt(args: &[Arg<'_>], _: &CallContext) -> Value {
    interest_part(args).map_or_else(|e| e, |(i, p)| number_result(p - i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: super::super::FunctionImpl, nums: &[f64]) -> f64 {
        let vals: Vec<Value> = nums.iter().map(|n| Value::Number(*n)).collect();
        let args: Vec<Arg<'_>> = vals.iter().map(Arg::Value).collect();
        f(&args, &CallContext::default()).as_f64().unwrap()
    }

    #[test]
    fn annuities_match_excel_examples() {
        // Excel docs: PMT(8%/12, 10, 10000) = -1037.03; FV(6%/12, 10, -200, -500, 1) = 2581.40;
        // PV(8%/12, 12*20, 500) = -59777.15; NPER(12%/12, -100, -1000, 10000, 1) = 59.6738657.
        assert!((call(pmt, &[0.08 / 12.0, 10.0, 10000.0]) + 1_037.032_089_548_37).abs() < 1e-6);
        assert!(
            (call(fv, &[0.06 / 12.0, 10.0, -200.0, -500.0, 1.0]) - 2_581.403_374_06).abs() < 1e-6
        );
        assert!((call(pv, &[0.08 / 12.0, 240.0, 500.0]) + 59_777.145_851_1).abs() < 1e-6);
        assert!(
            (call(nper, &[0.01, -100.0, -1000.0, 10000.0, 1.0]) - 59.673_865_674_3).abs() < 1e-8
        );
        // RATE(4*12, -200, 8000) = 0.77% per month (Excel docs).
        assert!((call(rate, &[48.0, -200.0, 8000.0]) - 0.007_701_472_5).abs() < 1e-9);
    }

    #[test]
    fn irr_converges_on_excel_example() {
        // Excel docs: IRR({-70000,12000,15000,18000,21000,26000}) = 8.66%.
        let flows: Vec<Value> = [-70000.0, 12000.0, 15000.0, 18000.0, 21000.0, 26000.0]
            .iter()
            .map(|v| Value::Number(*v))
            .collect();
        let r = irr(&[Arg::List(&flows)], &CallContext::default())
            .as_f64()
            .unwrap();
        assert!((r - 0.086_630_948_036_1).abs() < 1e-9, "{r}");
        // A root far from the guess (-44.4%) is still found.
        let flows: Vec<Value> = [-70000.0, 12000.0, 15000.0, 18000.0]
            .iter()
            .map(|v| Value::Number(*v))
            .collect();
        let r = irr(&[Arg::List(&flows)], &CallContext::default())
            .as_f64()
            .unwrap();
        let (v, _) = npv0(&[-70000.0, 12000.0, 15000.0, 18000.0], r);
        assert!(v.abs() < 1e-6 && (r + 0.1821).abs() < 1e-3, "{r}");
    }
}
