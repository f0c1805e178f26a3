//! Ranks, percent ranks, percentiles, quartiles and k-th values of a per-row value in
//! a list that is the same for every row: the list's numbers are read and sorted once
//! (the functions themselves read and sort them on every call), then each row is a
//! binary search or an index. The arithmetic after that is the functions' own, on the
//! same sorted numbers, so the results are the same to the last bit.

use super::{KernelArg, Rows, log2_ceil, work};
use crate::functions::args::{list_numbers, number, number_or};
use crate::functions::math::{RoundMode, round_digits};
use crate::functions::{Arg, CallContext, FunctionSpec, OrderShape};
use crate::value::{ErrorKind, Value, number_result};

/// The list's numbers, sorted, or the error reading them gives.
struct Sorted {
    numbers: Result<Vec<f64>, Value>,
}

impl Sorted {
    fn new(list_arg: &Arg<'_>) -> Sorted {
        let numbers = list_numbers(std::slice::from_ref(list_arg), 0).map(|mut v| {
            let mut compared = 0u64;
            v.sort_by(|a, b| {
                compared += 1;
                a.total_cmp(b)
            });
            work::add(compared + v.len() as u64);
            v
        });
        Sorted { numbers }
    }

    /// How many numbers are below `x` (`strictly`), or at most `x`.
    fn count_below(values: &[f64], x: f64, strictly: bool) -> usize {
        work::add(log2_ceil(values.len()));
        values.partition_point(|v| if strictly { *v < x } else { *v <= x })
    }
}

/// Runs an order function over `rows` rows; `None` when its list is not one list for
/// every row.
pub(super) fn run(
    shape: OrderShape,
    _function: &FunctionSpec,
    args: &[KernelArg<'_>],
    rows: usize,
    _context: &CallContext,
) -> Option<Vec<Value>> {
    let list_at = match shape {
        OrderShape::Rank { .. } => 1,
        _ => 0,
    };
    let list = args.get(list_at)?.list()?;
    let sorted = Sorted::new(&Arg::List(list));
    let mut each_row = Rows::new(args);
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        let row_args = each_row.at(row);
        let value = match shape {
            OrderShape::Rank { average } => rank(row_args, &sorted, average),
            OrderShape::PercentRank => percent_rank(row_args, &sorted),
            OrderShape::Percentile { exclusive } => match number(row_args, 1) {
                Ok(k) => percentile(&sorted, k, exclusive),
                Err(e) => e,
            },
            OrderShape::Quartile => match number(row_args, 1) {
                Ok(q) => {
                    let q = q.trunc();
                    if (0.0..=4.0).contains(&q) {
                        percentile(&sorted, q / 4.0, false)
                    } else {
                        Value::error(ErrorKind::Num)
                    }
                }
                Err(e) => e,
            },
            OrderShape::Kth { largest } => kth(row_args, &sorted, largest),
        };
        out.push(value);
    }
    Some(out)
}

/// RANK.EQ / RANK.AVG: (x, list, [order]).
fn rank(args: &[Arg<'_>], sorted: &Sorted, average: bool) -> Value {
    let x = match number(args, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let values = match &sorted.numbers {
        Ok(v) => v,
        Err(e) => return e.clone(),
    };
    let ascending = match number_or(args, 2, 0.0) {
        Ok(o) => o != 0.0,
        Err(e) => return e,
    };
    let below = Sorted::count_below(values, x, true);
    let at_most = Sorted::count_below(values, x, false);
    let ties = at_most - below;
    if ties == 0 {
        return Value::error(ErrorKind::NA);
    }
    let before = if ascending {
        below
    } else {
        values.len() - at_most
    };
    Value::Number(if average {
        before as f64 + (ties as f64 + 1.0) / 2.0
    } else {
        before as f64 + 1.0
    })
}

/// PERCENTRANK.INC: (list, x, [significance]).
fn percent_rank(args: &[Arg<'_>], sorted: &Sorted) -> Value {
    let values = match &sorted.numbers {
        Ok(v) => v,
        Err(e) => return e.clone(),
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
        return Value::error(ErrorKind::Num);
    }
    let (Some(&lo), Some(&hi)) = (values.first(), values.last()) else {
        return Value::error(ErrorKind::Num);
    };
    if x < lo || x > hi {
        return Value::error(ErrorKind::NA);
    }
    let n = values.len();
    if n == 1 {
        return Value::Number(1.0);
    }
    let denominator = (n - 1) as f64;
    let rank_of = |v: f64| Sorted::count_below(values, v, true) as f64 / denominator;
    let below = Sorted::count_below(values, x, true);
    let contains = values.get(below).is_some_and(|v| *v == x);
    let r = if contains {
        rank_of(x)
    } else {
        // The nearest numbers on each side (x lies strictly between lo and hi here).
        let lower = below.checked_sub(1).and_then(|i| values.get(i)).copied();
        let upper = values.get(below).copied();
        let (Some(lower), Some(upper)) = (lower, upper) else {
            return Value::error(ErrorKind::Num);
        };
        let (rl, ru) = (rank_of(lower), rank_of(upper));
        rl + (x - lower) / (upper - lower) * (ru - rl)
    };
    number_result(round_digits(
        r,
        significance.min(400.0) as i32,
        RoundMode::Down,
    ))
}

/// PERCENTILE / QUARTILE on the sorted numbers (the functions' own interpolation).
fn percentile(sorted: &Sorted, k: f64, exclusive: bool) -> Value {
    let values = match &sorted.numbers {
        Ok(v) => v,
        Err(e) => return e.clone(),
    };
    let n = values.len() as f64;
    if values.is_empty() {
        return Value::error(ErrorKind::Num);
    }
    let position = if exclusive {
        if k <= 0.0 || k >= 1.0 || k < 1.0 / (n + 1.0) || k > n / (n + 1.0) {
            return Value::error(ErrorKind::Num);
        }
        k * (n + 1.0) - 1.0
    } else {
        if !(0.0..=1.0).contains(&k) {
            return Value::error(ErrorKind::Num);
        }
        k * (n - 1.0)
    };
    let lower = position.floor();
    let frac = position - lower;
    let i = lower as usize;
    match (values.get(i), values.get(i + 1)) {
        (Some(a), Some(b)) => number_result(a + frac * (b - a)),
        (Some(a), None) => number_result(*a),
        _ => Value::error(ErrorKind::Num),
    }
}

/// LARGE / SMALL: (list, k).
fn kth(args: &[Arg<'_>], sorted: &Sorted, largest: bool) -> Value {
    let values = match &sorted.numbers {
        Ok(v) => v,
        Err(e) => return e.clone(),
    };
    let k = match number(args, 1) {
        Ok(k) => k.ceil(),
        Err(e) => return e,
    };
    let n = values.len();
    if k < 1.0 || k > n as f64 {
        return Value::error(ErrorKind::Num);
    }
    let k = k as usize;
    let index = if largest { n - k } else { k - 1 };
    values
        .get(index)
        .map_or_else(|| Value::error(ErrorKind::Num), |x| number_result(*x))
}
