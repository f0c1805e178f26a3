//! Statistical functions: counts, averages, extremes, spread, percentiles, ranks,
//! the COUNTIFS/AVERAGEIFS/MAXIFS/MINIFS family and simple linear regression.

use super::args::{
    Criterion, ListNumbers, coerce_number, collect_numbers, criteria_pairs, err, list,
    list_numbers, matching_rows, number, number_or, scalar, value_error,
};
use super::math::{RoundMode, if_numbers, ifs_numbers, round_digits};
use super::{Aggregate, Arg, CallContext, CriteriaShape, FunctionSpec, Kernel, OrderShape};
use crate::value::{ErrorKind, Value, number_result};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("COUNT", Statistical, 1, None, [Either], 0, Number, false, count, "How many numbers", kernel = Kernel::Aggregate(Aggregate::Count)),
    spec!("COUNTA", Statistical, 1, None, [Either], 0, Number, false, counta, "How many non-blank values", kernel = Kernel::Aggregate(Aggregate::CountA)),
    spec!("COUNTBLANK", Statistical, 1, Some(1), [List], 0, Number, false, countblank, "How many blanks (and empty texts)"),
    spec!("COUNTIF", Statistical, 2, Some(2), [List, Scalar], 0, Number, false, countif, "How many values match a criterion", kernel = Kernel::Criteria(CriteriaShape::CountIf)),
    spec!("COUNTIFS", Statistical, 2, None, [List, Scalar], 0, Number, false, countifs, "How many rows match every criterion", kernel = Kernel::Criteria(CriteriaShape::CountIfs)),
    spec!("AVERAGE", Statistical, 1, None, [Either], 0, Number, false, average, "Arithmetic mean of numbers", kernel = Kernel::Aggregate(Aggregate::Average)),
    spec!("AVERAGEA", Statistical, 1, None, [Either], 0, Number, false, averagea, "Mean counting text as 0 and booleans as 1/0"),
    spec!("AVERAGEIF", Statistical, 2, Some(3), [List, Scalar, List], 0, Number, false, averageif, "Mean of values whose criteria cell matches", kernel = Kernel::Criteria(CriteriaShape::AverageIf)),
    spec!("AVERAGEIFS", Statistical, 3, None, [List, List, Scalar], 1, Number, false, averageifs, "Mean of values whose rows match every criterion", kernel = Kernel::Criteria(CriteriaShape::AverageIfs)),
    spec!("MIN", Statistical, 1, None, [Either], 0, Number, false, min, "Smallest number (0 if none)", kernel = Kernel::Aggregate(Aggregate::Min)),
    spec!("MAX", Statistical, 1, None, [Either], 0, Number, false, max, "Largest number (0 if none)", kernel = Kernel::Aggregate(Aggregate::Max)),
    spec!("MINA", Statistical, 1, None, [Either], 0, Number, false, mina, "Smallest value counting text as 0"),
    spec!("MAXA", Statistical, 1, None, [Either], 0, Number, false, maxa, "Largest value counting text as 0"),
    spec!("MAXIFS", Statistical, 3, None, [List, List, Scalar], 1, Number, true, maxifs, "Largest value whose row matches every criterion", kernel = Kernel::Criteria(CriteriaShape::MaxIfs)),
    spec!("MINIFS", Statistical, 3, None, [List, List, Scalar], 1, Number, true, minifs, "Smallest value whose row matches every criterion", kernel = Kernel::Criteria(CriteriaShape::MinIfs)),
    spec!("MEDIAN", Statistical, 1, None, [Either], 0, Number, false, median, "Middle value", kernel = Kernel::Aggregate(Aggregate::Median)),
    spec!("MODE.SNGL", Statistical, 1, None, [Either], 0, Number, true, mode_sngl, "Most frequent number (first one on ties)"),
    spec!("STDEV.S", Statistical, 1, None, [Either], 0, Number, true, stdev_s, "Sample standard deviation"),
    spec!("STDEV.P", Statistical, 1, None, [Either], 0, Number, true, stdev_p, "Population standard deviation"),
    spec!("VAR.S", Statistical, 1, None, [Either], 0, Number, true, var_s, "Sample variance"),
    spec!("VAR.P", Statistical, 1, None, [Either], 0, Number, true, var_p, "Population variance"),
    spec!("PERCENTILE.INC", Statistical, 2, Some(2), [List, Scalar], 0, Number, true, percentile_inc, "k-th percentile, k in 0..1 inclusive", kernel = Kernel::Order(OrderShape::Percentile { exclusive: false })),
    spec!("PERCENTILE.EXC", Statistical, 2, Some(2), [List, Scalar], 0, Number, true, percentile_exc, "k-th percentile, k exclusive of 0 and 1", kernel = Kernel::Order(OrderShape::Percentile { exclusive: true })),
    spec!("QUARTILE.INC", Statistical, 2, Some(2), [List, Scalar], 0, Number, true, quartile_inc, "Quartile 0..4", kernel = Kernel::Order(OrderShape::Quartile)),
    spec!("RANK.EQ", Statistical, 2, Some(3), [Scalar, List, Scalar], 0, Number, true, rank_eq, "Rank of a number in a list (ties share the top rank)", kernel = Kernel::Order(OrderShape::Rank { average: false })),
    spec!("RANK.AVG", Statistical, 2, Some(3), [Scalar, List, Scalar], 0, Number, true, rank_avg, "Rank of a number in a list (ties averaged)", kernel = Kernel::Order(OrderShape::Rank { average: true })),
    spec!("PERCENTRANK.INC", Statistical, 2, Some(3), [List, Scalar, Scalar], 0, Number, true, percentrank_inc, "Relative standing of a value in a list, 0..1", kernel = Kernel::Order(OrderShape::PercentRank)),
    spec!("LARGE", Statistical, 2, Some(2), [List, Scalar], 0, Number, false, large, "k-th largest number", kernel = Kernel::Order(OrderShape::Kth { largest: true })),
    spec!("SMALL", Statistical, 2, Some(2), [List, Scalar], 0, Number, false, small, "k-th smallest number", kernel = Kernel::Order(OrderShape::Kth { largest: false })),
    spec!("CORREL", Statistical, 2, Some(2), [List, List], 0, Number, false, correl, "Pearson correlation of two lists"),
    spec!("SLOPE", Statistical, 2, Some(2), [List, List], 0, Number, false, slope, "Slope of the least-squares line (known_y, known_x)"),
    spec!("INTERCEPT", Statistical, 2, Some(2), [List, List], 0, Number, false, intercept, "Intercept of the least-squares line (known_y, known_x)"),
    spec!("FORECAST.LINEAR", Statistical, 3, Some(3), [Scalar, List, List], 0, Number, true, forecast_linear, "Linear-trend value at x (x, known_y, known_x)"),
    spec!("FORECAST", Statistical, 3, Some(3), [Scalar, List, List], 0, Number, false, forecast_linear, "Linear-trend value at x (older name of FORECAST.LINEAR)"),
    spec!("RSQ", Statistical, 2, Some(2), [List, List], 0, Number, false, rsq, "Square of the Pearson correlation (known_y, known_x)"),
    spec!("COVARIANCE.S", Statistical, 2, Some(2), [List, List], 0, Number, true, covariance_s, "Sample covariance of two lists"),
    spec!("COVARIANCE.P", Statistical, 2, Some(2), [List, List], 0, Number, true, covariance_p, "Population covariance of two lists"),
    spec!("GEOMEAN", Statistical, 1, None, [Either], 0, Number, false, geomean, "Geometric mean of positive numbers"),
    spec!("STDEV", Statistical, 1, None, [Either], 0, Number, false, stdev_s, "Sample standard deviation (older name of STDEV.S)"),
    spec!("STDEVP", Statistical, 1, None, [Either], 0, Number, false, stdev_p, "Population standard deviation (older name of STDEV.P)"),
    spec!("VAR", Statistical, 1, None, [Either], 0, Number, false, var_s, "Sample variance (older name of VAR.S)"),
    spec!("VARP", Statistical, 1, None, [Either], 0, Number, false, var_p, "Population variance (older name of VAR.P)"),
    spec!("RANK", Statistical, 2, Some(3), [Scalar, List, Scalar], 0, Number, false, rank_eq, "Rank of a number in a list (older name of RANK.EQ)", kernel = Kernel::Order(OrderShape::Rank { average: false })),
    spec!("PERCENTILE", Statistical, 2, Some(2), [List, Scalar], 0, Number, false, percentile_inc, "k-th percentile (older name of PERCENTILE.INC)", kernel = Kernel::Order(OrderShape::Percentile { exclusive: false })),
    spec!("QUARTILE", Statistical, 2, Some(2), [List, Scalar], 0, Number, false, quartile_inc, "Quartile 0..4 (older name of QUARTILE.INC)", kernel = Kernel::Order(OrderShape::Quartile)),
    spec!("MODE", Statistical, 1, None, [Either], 0, Number, false, mode_sngl, "Most frequent number (older name of MODE.SNGL)"),
];

fn with_numbers(args: &[Arg<'_>], mode: ListNumbers, f: impl Fn(&[f64]) -> Value) -> Value {
    match collect_numbers(args, mode) {
        Ok(v) => f(&v),
        Err(e) => e,
    }
}

pub fn count(args: &[Arg<'_>], _: &CallContext) -> Value {
    let mut n = 0usize;
    for arg in args {
        match arg {
            Arg::List(values) => n += values.iter().filter(|v| v.is_number()).count(),
            Arg::Value(v) => {
                let counts = match v {
                    Value::Number(_) | Value::Date(_) | Value::Bool(_) => true,
                    Value::Text(_) => coerce_number(v).is_ok(),
                    _ => false,
                };
                n += usize::from(counts);
            }
        }
    }
    Value::Number(n as f64)
}

pub fn counta(args: &[Arg<'_>], _: &CallContext) -> Value {
    let n: usize = args
        .iter()
        .map(|arg| match arg {
            Arg::List(values) => values.iter().filter(|v| !v.is_blank()).count(),
            Arg::Value(v) => usize::from(!v.is_blank()),
        })
        .sum();
    Value::Number(n as f64)
}

pub fn countblank(args: &[Arg<'_>], _: &CallContext) -> Value {
    match list(args, 0) {
        Ok(values) => Value::Number(
            values
                .iter()
                .filter(|v| match v {
                    Value::Blank => true,
                    Value::Text(t) => t.is_empty(),
                    _ => false,
                })
                .count() as f64,
        ),
        Err(e) => e,
    }
}

pub fn countif(args: &[Arg<'_>], _: &CallContext) -> Value {
    let range = match list(args, 0) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let criterion = match scalar(args, 1).and_then(Criterion::parse) {
        Ok(c) => c,
        Err(e) => return e,
    };
    Value::Number(range.iter().filter(|c| criterion.matches(c)).count() as f64)
}

pub fn countifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    if !args.len().is_multiple_of(2) {
        return value_error();
    }
    let len = match list(args, 0) {
        Ok(r) => r.len(),
        Err(e) => return e,
    };
    match criteria_pairs(args, 0, len) {
        Ok(pairs) => Value::Number(matching_rows(&pairs, len).len() as f64),
        Err(e) => e,
    }
}

fn mean(values: &[f64]) -> Value {
    if values.is_empty() {
        return err(ErrorKind::Div0);
    }
    number_result(values.iter().sum::<f64>() / values.len() as f64)
}

pub fn average(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, mean)
}

pub fn averagea(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::AllValues, mean)
}

/// The mean of the numbers a criteria function matched: their exactly rounded sum
/// over their count (see [`super::args::ExactSum`]), so the criteria kernel, which
/// adds them in another order, gives the same number.
pub(crate) fn criteria_mean(sum: f64, count: usize) -> Value {
    if count == 0 {
        return err(ErrorKind::Div0);
    }
    number_result(sum / count as f64)
}

pub fn averageif(args: &[Arg<'_>], _: &CallContext) -> Value {
    match if_numbers(args) {
        Ok(v) => criteria_mean(super::args::exact_sum(&v), v.len()),
        Err(e) => e,
    }
}

pub fn averageifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    match ifs_numbers(args) {
        Ok(v) => criteria_mean(super::args::exact_sum(&v), v.len()),
        Err(e) => e,
    }
}

fn extreme(values: &[f64], largest: bool) -> Value {
    let pick = |a: f64, b: f64| if largest { a.max(b) } else { a.min(b) };
    match values.iter().copied().reduce(pick) {
        Some(x) => number_result(x),
        None => Value::Number(0.0),
    }
}

pub fn min(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |v| extreme(v, false))
}

pub fn max(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |v| extreme(v, true))
}

pub fn mina(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::AllValues, |v| extreme(v, false))
}

pub fn maxa(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::AllValues, |v| extreme(v, true))
}

pub fn maxifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    match ifs_numbers(args) {
        Ok(v) => extreme(&v, true),
        Err(e) => e,
    }
}

pub fn minifs(args: &[Arg<'_>], _: &CallContext) -> Value {
    match ifs_numbers(args) {
        Ok(v) => extreme(&v, false),
        Err(e) => e,
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

pub fn median(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |values| {
        let v = sorted(values);
        let n = v.len();
        if n == 0 {
            return err(ErrorKind::Num);
        }
        let mid = n / 2;
        let m = if n % 2 == 1 {
            v.get(mid).copied()
        } else {
            v.get(mid - 1).zip(v.get(mid)).map(|(a, b)| (a + b) / 2.0)
        };
        m.map_or_else(|| err(ErrorKind::Num), number_result)
    })
}

pub fn mode_sngl(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |values| {
        // The most frequent value; on ties, the one that appears first.
        let mut best: Option<(f64, usize)> = None;
        for (i, x) in values.iter().enumerate() {
            let seen_before = values.get(..i).is_some_and(|s| s.contains(x));
            if seen_before {
                continue;
            }
            let c = values.iter().filter(|y| *y == x).count();
            if c > 1 && best.is_none_or(|(_, bc)| c > bc) {
                best = Some((*x, c));
            }
        }
        best.map_or_else(|| err(ErrorKind::NA), |(x, _)| number_result(x))
    })
}

/// Variance with `ddof` = 1 (sample) or 0 (population), two-pass for accuracy.
fn variance(values: &[f64], ddof: usize) -> Result<f64, Value> {
    let n = values.len();
    if n <= ddof || n == 0 {
        return Err(err(ErrorKind::Div0));
    }
    let m = values.iter().sum::<f64>() / n as f64;
    let ss: f64 = values.iter().map(|x| (x - m) * (x - m)).sum();
    Ok(ss / (n - ddof) as f64)
}

fn spread(args: &[Arg<'_>], ddof: usize, root: bool) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |v| {
        match variance(v, ddof) {
            Ok(var) => number_result(if root { var.sqrt() } else { var }),
            Err(e) => e,
        }
    })
}

pub fn stdev_s(args: &[Arg<'_>], _: &CallContext) -> Value {
    spread(args, 1, true)
}

pub fn stdev_p(args: &[Arg<'_>], _: &CallContext) -> Value {
    spread(args, 0, true)
}

pub fn var_s(args: &[Arg<'_>], _: &CallContext) -> Value {
    spread(args, 1, false)
}

pub fn var_p(args: &[Arg<'_>], _: &CallContext) -> Value {
    spread(args, 0, false)
}

/// Linear interpolation at zero-based fractional position `pos` of sorted `v`.
fn interpolate(v: &[f64], pos: f64) -> Value {
    let lower = pos.floor();
    let frac = pos - lower;
    let i = lower as usize;
    match (v.get(i), v.get(i + 1)) {
        (Some(a), Some(b)) => number_result(a + frac * (b - a)),
        (Some(a), None) => number_result(*a),
        _ => err(ErrorKind::Num),
    }
}

fn percentile_of(args: &[Arg<'_>], k: f64, exclusive: bool) -> Value {
    let values = match list_numbers(args, 0) {
        Ok(v) => sorted(&v),
        Err(e) => return e,
    };
    let n = values.len() as f64;
    if values.is_empty() {
        return err(ErrorKind::Num);
    }
    if exclusive {
        if k <= 0.0 || k >= 1.0 || k < 1.0 / (n + 1.0) || k > n / (n + 1.0) {
            return err(ErrorKind::Num);
        }
        interpolate(&values, k * (n + 1.0) - 1.0)
    } else {
        if !(0.0..=1.0).contains(&k) {
            return err(ErrorKind::Num);
        }
        interpolate(&values, k * (n - 1.0))
    }
}

pub fn percentile_inc(args: &[Arg<'_>], _: &CallContext) -> Value {
    match number(args, 1) {
        Ok(k) => percentile_of(args, k, false),
        Err(e) => e,
    }
}

pub fn percentile_exc(args: &[Arg<'_>], _: &CallContext) -> Value {
    match number(args, 1) {
        Ok(k) => percentile_of(args, k, true),
        Err(e) => e,
    }
}

pub fn quartile_inc(args: &[Arg<'_>], _: &CallContext) -> Value {
    match number(args, 1) {
        Ok(q) => {
            let q = q.trunc();
            if !(0.0..=4.0).contains(&q) {
                return err(ErrorKind::Num);
            }
            percentile_of(args, q / 4.0, false)
        }
        Err(e) => e,
    }
}

fn rank(args: &[Arg<'_>], average_ties: bool) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let values = match list_numbers(args, 1) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let ascending = match number_or(args, 2, 0.0) {
        Ok(o) => o != 0.0,
        Err(e) => return e,
    };
    let ties = values.iter().filter(|v| **v == x).count();
    if ties == 0 {
        return err(ErrorKind::NA);
    }
    let before = values
        .iter()
        .filter(|v| if ascending { **v < x } else { **v > x })
        .count();
    let r = if average_ties {
        before as f64 + (ties as f64 + 1.0) / 2.0
    } else {
        before as f64 + 1.0
    };
    Value::Number(r)
}

pub fn rank_eq(args: &[Arg<'_>], _: &CallContext) -> Value {
    rank(args, false)
}

pub fn rank_avg(args: &[Arg<'_>], _: &CallContext) -> Value {
    rank(args, true)
}

pub fn percentrank_inc(args: &[Arg<'_>], _: &CallContext) -> Value {
    let values = match list_numbers(args, 0) {
        Ok(v) => sorted(&v),
        Err(e) => return e,
    };
    let x = match number(args, 1) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let significance = match number_or(args, 2, 3.0) {
        Ok(s) => s.trunc(),
        Err(e) => return e,
    };
    if significance < 1.0 || values.is_empty() {
        return err(ErrorKind::Num);
    }
    let (Some(&lo), Some(&hi)) = (values.first(), values.last()) else {
        return err(ErrorKind::Num);
    };
    if x < lo || x > hi {
        return err(ErrorKind::NA);
    }
    let n = values.len();
    if n == 1 {
        return Value::Number(1.0);
    }
    let denominator = (n - 1) as f64;
    let rank_of = |v: f64| values.iter().filter(|y| **y < v).count() as f64 / denominator;
    let r = if values.contains(&x) {
        rank_of(x)
    } else {
        let lower = values.iter().copied().filter(|v| *v < x).fold(lo, f64::max);
        let upper = values.iter().copied().filter(|v| *v > x).fold(hi, f64::min);
        let (rl, ru) = (rank_of(lower), rank_of(upper));
        rl + (x - lower) / (upper - lower) * (ru - rl)
    };
    number_result(round_digits(
        r,
        significance.min(400.0) as i32,
        RoundMode::Down,
    ))
}

fn kth(args: &[Arg<'_>], largest: bool) -> Value {
    let values = match list_numbers(args, 0) {
        Ok(v) => sorted(&v),
        Err(e) => return e,
    };
    let k = match number(args, 1) {
        Ok(k) => k.ceil(),
        Err(e) => return e,
    };
    let n = values.len();
    if k < 1.0 || k > n as f64 {
        return err(ErrorKind::Num);
    }
    let k = k as usize;
    let index = if largest { n - k } else { k - 1 };
    values
        .get(index)
        .map_or_else(|| err(ErrorKind::Num), |x| number_result(*x))
}

pub fn large(args: &[Arg<'_>], _: &CallContext) -> Value {
    kth(args, true)
}

pub fn small(args: &[Arg<'_>], _: &CallContext) -> Value {
    kth(args, false)
}

/// Pairs (x, y) where both lists hold numbers at the same position; lists of
/// different lengths are `#N/A`; errors propagate.
fn numeric_pairs(xs: &[Value], ys: &[Value]) -> Result<Vec<(f64, f64)>, Value> {
    if xs.len() != ys.len() {
        return Err(err(ErrorKind::NA));
    }
    let mut out = Vec::new();
    for (x, y) in xs.iter().zip(ys) {
        if x.is_error() {
            return Err(x.clone());
        }
        if y.is_error() {
            return Err(y.clone());
        }
        if let (Some(a), Some(b)) = (x.as_f64(), y.as_f64()) {
            out.push((a, b));
        }
    }
    Ok(out)
}

/// Least-squares sums over (x, y) pairs: (mean x, mean y, Sxx, Syy, Sxy).
fn moments(pairs: &[(f64, f64)]) -> (f64, f64, f64, f64, f64) {
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
    }
    (mx, my, sxx, syy, sxy)
}

/// Regression over (known_x, known_y) lists at `x_index`, `y_index`: (slope, intercept).
fn regression(args: &[Arg<'_>], y_index: usize, x_index: usize) -> Result<(f64, f64), Value> {
    let ys = list(args, y_index)?;
    let xs = list(args, x_index)?;
    let pairs = numeric_pairs(xs, ys)?;
    if pairs.is_empty() {
        return Err(err(ErrorKind::Div0));
    }
    let (mx, my, sxx, _, sxy) = moments(&pairs);
    if sxx == 0.0 {
        return Err(err(ErrorKind::Div0));
    }
    let b = sxy / sxx;
    Ok((b, my - b * mx))
}

pub fn correl(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let pairs = numeric_pairs(list(args, 0)?, list(args, 1)?)?;
        if pairs.len() < 2 {
            return Err(err(ErrorKind::Div0));
        }
        let (_, _, sxx, syy, sxy) = moments(&pairs);
        if sxx == 0.0 || syy == 0.0 {
            return Err(err(ErrorKind::Div0));
        }
        Ok(sxy / (sxx * syy).sqrt())
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn slope(args: &[Arg<'_>], _: &CallContext) -> Value {
    regression(args, 0, 1).map_or_else(|e| e, |(b, _)| number_result(b))
}

pub fn intercept(args: &[Arg<'_>], _: &CallContext) -> Value {
    regression(args, 0, 1).map_or_else(|e| e, |(_, a)| number_result(a))
}

pub fn forecast_linear(args: &[Arg<'_>], _: &CallContext) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    regression(args, 1, 2).map_or_else(|e| e, |(b, a)| number_result(a + b * x))
}

pub fn rsq(args: &[Arg<'_>], ctx: &CallContext) -> Value {
    match correl(args, ctx) {
        Value::Number(r) => number_result(r * r),
        other => other,
    }
}

fn covariance(args: &[Arg<'_>], ddof: usize) -> Value {
    let result = (|| {
        let pairs = numeric_pairs(list(args, 0)?, list(args, 1)?)?;
        if pairs.len() <= ddof || pairs.is_empty() {
            return Err(err(ErrorKind::Div0));
        }
        let (_, _, _, _, sxy) = moments(&pairs);
        Ok(sxy / (pairs.len() - ddof) as f64)
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn covariance_s(args: &[Arg<'_>], _: &CallContext) -> Value {
    covariance(args, 1)
}

pub fn covariance_p(args: &[Arg<'_>], _: &CallContext) -> Value {
    covariance(args, 0)
}

pub fn geomean(args: &[Arg<'_>], _: &CallContext) -> Value {
    with_numbers(args, ListNumbers::NumbersOnly, |values| {
        if values.is_empty() || values.iter().any(|v| *v <= 0.0) {
            return err(ErrorKind::Num);
        }
        let mean_log = values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64;
        number_result(mean_log.exp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(v: &[f64]) -> Vec<Value> {
        v.iter().map(|x| Value::Number(*x)).collect()
    }

    fn call(f: super::super::FunctionImpl, args: &[Arg<'_>]) -> Value {
        f(args, &CallContext::default())
    }

    #[test]
    fn percentiles_match_excel_examples() {
        // Excel documentation: PERCENTILE.INC({1,3,2,4}, 0.3) = 1.9; QUARTILE.INC({1,2,4,7,8,9,10,12},1) = 3.5.
        let l = nums(&[1.0, 3.0, 2.0, 4.0]);
        let k = Value::Number(0.3);
        let r = call(percentile_inc, &[Arg::List(&l), Arg::Value(&k)]);
        assert!(matches!(r, Value::Number(x) if (x - 1.9).abs() < 1e-12));
        let l = nums(&[1.0, 2.0, 4.0, 7.0, 8.0, 9.0, 10.0, 12.0]);
        let q = Value::Number(1.0);
        assert_eq!(
            call(quartile_inc, &[Arg::List(&l), Arg::Value(&q)]),
            Value::Number(3.5)
        );
    }

    #[test]
    fn percentrank_truncates_to_significance() {
        // Excel documentation: PERCENTRANK.INC({13,12,11,8,4,3,2,1,1,1}, 2) = 0.333,
        // 4 → 0.555, 8 → 0.666, 5 → 0.583.
        let l = nums(&[13.0, 12.0, 11.0, 8.0, 4.0, 3.0, 2.0, 1.0, 1.0, 1.0]);
        for (x, want) in [(2.0, 0.333), (4.0, 0.555), (8.0, 0.666), (5.0, 0.583)] {
            let xv = Value::Number(x);
            assert_eq!(
                call(percentrank_inc, &[Arg::List(&l), Arg::Value(&xv)]),
                Value::Number(want)
            );
        }
    }

    #[test]
    fn rank_ties_and_order() {
        // Excel documentation: RANK.EQ(7, {7,3.5,3.5,1,2}, 1) = 5; RANK.EQ(3.5, …, 1) = 3;
        // RANK.AVG(94, {89,88,92,101,94,97,95}) = 4.
        let l = nums(&[7.0, 3.5, 3.5, 1.0, 2.0]);
        let (seven, half, one) = (Value::Number(7.0), Value::Number(3.5), Value::Number(1.0));
        assert_eq!(
            call(
                rank_eq,
                &[Arg::Value(&seven), Arg::List(&l), Arg::Value(&one)]
            ),
            Value::Number(5.0)
        );
        assert_eq!(
            call(
                rank_eq,
                &[Arg::Value(&half), Arg::List(&l), Arg::Value(&one)]
            ),
            Value::Number(3.0)
        );
        assert_eq!(
            call(
                rank_avg,
                &[Arg::Value(&half), Arg::List(&l), Arg::Value(&one)]
            ),
            Value::Number(3.5)
        );
        let l = nums(&[89.0, 88.0, 92.0, 101.0, 94.0, 97.0, 95.0]);
        let x = Value::Number(94.0);
        assert_eq!(
            call(rank_avg, &[Arg::Value(&x), Arg::List(&l)]),
            Value::Number(4.0)
        );
    }
}
