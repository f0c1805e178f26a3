//! Excel's exponential-smoothing forecasts: FORECAST.ETS, FORECAST.ETS.CONFINT,
//! FORECAST.ETS.SEASONALITY and FORECAST.ETS.STAT, with the timeline rules Microsoft
//! documents — sorted implicitly, one constant step (or calendar months), equal
//! timestamps aggregated, up to 30% missing points completed — and their error values.
//! The model is [`super::ets`]: additive error, trend and season ("AAA"), as Excel's.

use super::args::{err, list, number_or, optional, strict_numbers, value_error};
use super::ets::{self, Form, Model};
use super::{Arg, CallContext, FunctionSpec};
use crate::value::datetime::{serial_from_ymd, ymd_from_serial};
use crate::value::{ErrorKind, Value, number_result};

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("FORECAST.ETS", Statistical, 3, Some(6), [Scalar, List, List, Scalar, Scalar, Scalar], 0, Number, true, forecast_ets, "Value at a future date by exponential smoothing (target, values, timeline[, seasonality, data completion, aggregation])"),
    spec!("FORECAST.ETS.CONFINT", Statistical, 3, Some(7), [Scalar, List, List, Scalar, Scalar, Scalar, Scalar], 0, Number, true, forecast_ets_confint, "Half-width of FORECAST.ETS's prediction interval (target, values, timeline[, confidence, seasonality, data completion, aggregation])"),
    spec!("FORECAST.ETS.SEASONALITY", Statistical, 2, Some(4), [List, List, Scalar, Scalar], 0, Number, true, forecast_ets_seasonality, "Season length FORECAST.ETS detects, 0 for none (values, timeline[, data completion, aggregation])"),
    spec!("FORECAST.ETS.STAT", Statistical, 3, Some(6), [List, List, Scalar, Scalar, Scalar, Scalar], 0, Number, true, forecast_ets_stat, "A statistic of FORECAST.ETS's model: 1 alpha … 8 step (values, timeline, type[, seasonality, data completion, aggregation])"),
];

/// The longest season Excel accepts (hours in a year).
const MAX_SEASONALITY: f64 = 8760.0;
/// The share of missing points the timeline may have.
const MAX_MISSING: f64 = 0.3;

/// Month number of a date serial counted from year 0 (`year × 12 + month − 1`).
pub fn month_index(serial: f64) -> Option<i64> {
    let (year, month, _) = ymd_from_serial(serial)?;
    Some(i64::from(year) * 12 + i64::from(month) - 1)
}

/// The serial of the first day of month `index` (see [`month_index`]).
pub fn month_start(index: i64) -> Option<f64> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    serial_from_ymd(year, month, 1)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        serial_from_ymd(year + 1, 1, 1)
    } else {
        serial_from_ymd(year, month + 1, 1)
    };
    match (next, serial_from_ymd(year, month, 1)) {
        (Some(next), Some(first)) => (next - first) as u32,
        _ => 30,
    }
}

/// How a monthly timeline's dates sit in their months.
#[derive(Debug, Clone, Copy, PartialEq)]
enum MonthDay {
    /// The same day of every month (the 1st, the 15th …).
    Day(u32),
    /// The last day of every month.
    Last,
}

/// A timeline made regular: one value per step from the first point to the last.
#[derive(Debug, Clone)]
struct Series {
    values: Vec<f64>,
    /// The last point's position (a month number for monthly timelines).
    last: f64,
    step: f64,
    months: Option<MonthDay>,
}

impl Series {
    /// How many steps after the last point `target` lies (fractional between steps).
    fn steps_to(&self, target: f64) -> Result<f64, Value> {
        let position = match self.months {
            None => target,
            Some(day) => {
                let (year, month, d) =
                    ymd_from_serial(target).ok_or_else(|| err(ErrorKind::Num))?;
                let length = f64::from(days_in_month(year, month));
                let anchor = match day {
                    MonthDay::Day(anchor) => f64::from(anchor),
                    MonthDay::Last => length,
                };
                let index = i64::from(year) * 12 + i64::from(month) - 1;
                index as f64 + (f64::from(d) + target.fract() - anchor) / length
            }
        };
        Ok((position - self.last) / self.step)
    }
}

/// Aggregation of values that share a timestamp (Excel's codes); 0 allows none.
fn aggregate(values: &[f64], code: u8) -> f64 {
    let n = values.len() as f64;
    match code {
        2 | 3 => n,
        4 => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        5 => {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            let mid = sorted.len() / 2;
            if sorted.len() % 2 == 1 {
                sorted[mid]
            } else {
                (sorted[mid - 1] + sorted[mid]) / 2.0
            }
        }
        6 => values.iter().copied().fold(f64::INFINITY, f64::min),
        7 => values.iter().sum(),
        _ => values.iter().sum::<f64>() / n,
    }
}

fn month_day(xs: &[f64]) -> Option<MonthDay> {
    let mut day = None;
    let mut last = true;
    for &x in xs {
        if x.fract() != 0.0 || x < 61.0 {
            return None;
        }
        let (year, month, d) = ymd_from_serial(x)?;
        last &= d == days_in_month(year, month);
        match day {
            None => day = Some(d),
            Some(previous) if previous == d => {}
            Some(_) => day = Some(0),
        }
    }
    match day {
        Some(0) if last => Some(MonthDay::Last),
        Some(0) | None => None,
        Some(d) => Some(MonthDay::Day(d)),
    }
}

/// Sorts the points, recognises monthly timelines, aggregates equal timestamps, finds
/// the step and completes missing points (at most 30%).
fn regular_series(
    values: &[Value],
    timeline: &[Value],
    completion: bool,
    aggregation: u8,
) -> Result<Series, Value> {
    if values.len() != timeline.len() {
        return Err(err(ErrorKind::NA));
    }
    let ys = strict_numbers(values)?;
    let xs = strict_numbers(timeline)?;
    if xs.len() < 2 {
        return Err(err(ErrorKind::Num));
    }
    let months = month_day(&xs);
    let mut points: Vec<(f64, f64)> = xs
        .iter()
        .map(|&x| match months {
            Some(_) => month_index(x).map_or(x, |m| m as f64),
            None => x,
        })
        .zip(ys)
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Equal timestamps.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    let mut i = 0;
    while i < points.len() {
        let mut j = i + 1;
        while j < points.len() && points[j].0 == points[i].0 {
            j += 1;
        }
        if j - i > 1 && aggregation == 0 {
            return Err(value_error());
        }
        let group: Vec<f64> = points[i..j].iter().map(|p| p.1).collect();
        merged.push((points[i].0, aggregate(&group, aggregation)));
        i = j;
    }
    if merged.len() < 2 {
        return Err(err(ErrorKind::Num));
    }
    let step = merged
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .fold(f64::INFINITY, f64::min);
    if !(step > 0.0 && step.is_finite()) {
        return Err(err(ErrorKind::Num));
    }
    let mut series = Vec::with_capacity(merged.len());
    let mut missing = 0usize;
    for (k, &(x, y)) in merged.iter().enumerate() {
        if k > 0 {
            let (px, py) = merged[k - 1];
            let ratio = (x - px) / step;
            let whole = ratio.round();
            if (ratio - whole).abs() > 1e-9 * ratio.max(1.0) {
                return Err(err(ErrorKind::Num));
            }
            let gap = whole as usize - 1;
            missing += gap;
            if missing as f64 > MAX_MISSING * merged.len() as f64 {
                return Err(value_error());
            }
            let fill = if completion { (py + y) / 2.0 } else { 0.0 };
            series.extend(std::iter::repeat_n(fill, gap));
        }
        series.push(y);
    }
    let last = merged.last().map_or(0.0, |p| p.0);
    Ok(Series {
        values: series,
        last,
        step,
        months,
    })
}

/// The optional seasonality, data-completion and aggregation arguments from `from`.
struct Options {
    /// `None`: detect; `Some(0)`: no season; `Some(m)`: season of m steps.
    seasonality: Option<usize>,
    completion: bool,
    aggregation: u8,
}

fn whole_in(value: f64, low: f64, high: f64) -> Result<f64, Value> {
    if value.fract() != 0.0 || value < low || value > high {
        return Err(err(ErrorKind::Num));
    }
    Ok(value)
}

fn options(
    args: &[Arg<'_>],
    seasonality: Option<usize>,
    completion: usize,
) -> Result<Options, Value> {
    let season = match seasonality {
        Some(index) => {
            let value = whole_in(number_or(args, index, 1.0)?, 0.0, MAX_SEASONALITY)?;
            if value == 1.0 {
                None
            } else {
                Some(value as usize)
            }
        }
        None => None,
    };
    let completion_value = match optional(args, completion)? {
        None | Some(Value::Blank) => 1.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(_) => number_or(args, completion, 1.0)?,
    };
    let completion_value = whole_in(completion_value, 0.0, 1.0)?;
    let aggregation = whole_in(number_or(args, completion + 1, 1.0)?, 0.0, 7.0)? as u8;
    Ok(Options {
        seasonality: season,
        completion: completion_value == 1.0,
        aggregation,
    })
}

/// The series and Excel's AAA model fitted to it (the season detected when asked).
fn model(
    values: &[Value],
    timeline: &[Value],
    options: &Options,
) -> Result<(Series, Model, usize), Value> {
    let series = regular_series(values, timeline, options.completion, options.aggregation)?;
    if series.values.len() < 3 {
        return Err(value_error());
    }
    let period = match options.seasonality {
        Some(m) => m,
        None => ets::detect_period(&series.values),
    };
    if period >= 2 && series.values.len() < 2 * period {
        return Err(value_error());
    }
    let model = ets::fit(
        &series.values,
        Form {
            trend: true,
            period,
        },
    )
    .ok_or_else(|| err(ErrorKind::Num))?;
    Ok((series, model, period))
}

/// A value at `steps` after the last point, linear between whole steps; step 0 is the
/// last point itself.
fn between_steps(steps: f64, at: impl Fn(usize) -> f64) -> f64 {
    let whole = steps.floor();
    let fraction = steps - whole;
    let low = at(whole as usize);
    if fraction < 1e-9 {
        return low;
    }
    low + fraction * (at(whole as usize + 1) - low)
}

/// The target as a number (dates are numbers), checked to lie at or after the
/// timeline's end.
fn target_steps(args: &[Arg<'_>], series: &Series) -> Result<f64, Value> {
    let target = super::args::number(args, 0)?;
    let steps = series.steps_to(target)?;
    if steps < -1e-9 {
        return Err(err(ErrorKind::Num));
    }
    if steps > 1e7 {
        return Err(err(ErrorKind::Num));
    }
    Ok(steps.max(0.0))
}

pub fn forecast_ets(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        super::args::number(args, 0)?;
        let options = options(args, Some(3), 4)?;
        let (series, model, _) = model(list(args, 1)?, list(args, 2)?, &options)?;
        let steps = target_steps(args, &series)?;
        let last = series.values.last().copied().unwrap_or(0.0);
        Ok(between_steps(steps, |h| {
            if h == 0 { last } else { model.forecast(h) }
        }))
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn forecast_ets_confint(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        super::args::number(args, 0)?;
        let confidence = number_or(args, 3, 0.95)?;
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(err(ErrorKind::Num));
        }
        let options = options(args, Some(4), 5)?;
        let (series, model, _) = model(list(args, 1)?, list(args, 2)?, &options)?;
        let steps = target_steps(args, &series)?;
        Ok(between_steps(steps, |h| {
            if h == 0 {
                0.0
            } else {
                model.half_width(h, confidence)
            }
        }))
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn forecast_ets_seasonality(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let options = options(args, None, 2)?;
        let series = regular_series(
            list(args, 0)?,
            list(args, 1)?,
            options.completion,
            options.aggregation,
        )?;
        if series.values.len() < 3 {
            return Err(value_error());
        }
        Ok(ets::detect_period(&series.values) as f64)
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn forecast_ets_stat(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let kind = whole_in(super::args::number(args, 2)?.trunc(), 1.0, 8.0)? as u8;
        let options = options(args, Some(3), 4)?;
        let (series, model, _) = model(list(args, 0)?, list(args, 1)?, &options)?;
        Ok(match kind {
            1 => model.smoothing.alpha,
            2 => model.smoothing.beta,
            3 => model.smoothing.gamma,
            4 => model.mase().ok_or_else(|| err(ErrorKind::Div0))?,
            5 => model.smape(),
            6 => model.mae(),
            7 => model.rmse(),
            _ => series.step,
        })
    })();
    result.map_or_else(|e| e, number_result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: fn(&[Arg<'_>], &CallContext) -> Value, args: &[Arg<'_>]) -> Value {
        f(args, &CallContext::default())
    }

    fn nums(values: &[f64]) -> Vec<Value> {
        values.iter().map(|v| Value::Number(*v)).collect()
    }

    #[test]
    fn monthly_timelines_step_by_calendar_months() {
        let dates: Vec<Value> = (0..24)
            .map(|i| Value::Date(month_start(2024 * 12 + i).unwrap()))
            .collect();
        let pattern = [10.0, -4.0, 2.0, -8.0];
        let ys: Vec<Value> = (0..24)
            .map(|i| Value::Number(100.0 + 3.0 * i as f64 + pattern[i % 4]))
            .collect();
        let target = Value::Date(serial_from_ymd(2026, 3, 1).unwrap());
        let v = call(
            forecast_ets,
            &[Arg::Value(&target), Arg::List(&ys), Arg::List(&dates)],
        );
        // 2026-03 is step 26: 100 + 78 + pattern[2].
        assert!(
            matches!(v, Value::Number(n) if (n - 180.0).abs() < 1e-9),
            "{v:?}"
        );
        // Half way through March is half way between the March and April forecasts.
        let mid = Value::Date(serial_from_ymd(2026, 3, 16).unwrap());
        let v = call(
            forecast_ets,
            &[Arg::Value(&mid), Arg::List(&ys), Arg::List(&dates)],
        );
        let april = 100.0 + 81.0 + pattern[3];
        let expected = 180.0 + 15.0 / 31.0 * (april - 180.0);
        assert!(
            matches!(v, Value::Number(n) if (n - expected).abs() < 1e-9),
            "{v:?}"
        );
    }

    #[test]
    fn timeline_rules_give_excels_errors() {
        let x = nums(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let y = nums(&[2.0, 4.0, 6.0, 8.0, 10.0]);
        let six = Value::Number(6.0);
        let v = call(
            forecast_ets,
            &[Arg::Value(&six), Arg::List(&y), Arg::List(&x[..4])],
        );
        assert_eq!(v.error_kind(), Some(ErrorKind::NA));
        let uneven = nums(&[1.0, 2.0, 3.5, 5.0, 6.0]);
        let v = call(
            forecast_ets,
            &[Arg::Value(&six), Arg::List(&y), Arg::List(&uneven)],
        );
        assert_eq!(v.error_kind(), Some(ErrorKind::Num));
        let twice = nums(&[1.0, 2.0, 2.0, 3.0, 4.0]);
        let zero = Value::Number(0.0);
        let one = Value::Number(1.0);
        let v = call(
            forecast_ets,
            &[
                Arg::Value(&six),
                Arg::List(&y),
                Arg::List(&twice),
                Arg::Value(&one),
                Arg::Value(&one),
                Arg::Value(&zero),
            ],
        );
        assert_eq!(v.error_kind(), Some(ErrorKind::Value));
        let before = Value::Number(4.0);
        let v = call(
            forecast_ets,
            &[Arg::Value(&before), Arg::List(&y), Arg::List(&x)],
        );
        assert_eq!(v.error_kind(), Some(ErrorKind::Num));
        let too_long = Value::Number(8761.0);
        let v = call(
            forecast_ets,
            &[
                Arg::Value(&six),
                Arg::List(&y),
                Arg::List(&x),
                Arg::Value(&too_long),
            ],
        );
        assert_eq!(v.error_kind(), Some(ErrorKind::Num));
    }

    #[test]
    fn equal_timestamps_are_aggregated_as_asked() {
        let x = nums(&[1.0, 2.0, 2.0, 3.0, 4.0]);
        let y = nums(&[2.0, 1.5, 2.5, 6.0, 8.0]);
        let five = Value::Number(5.0);
        let (one, sum) = (Value::Number(1.0), Value::Number(7.0));
        // Summed: 2, 4, 6, 8 — a straight line.
        let v = call(
            forecast_ets,
            &[
                Arg::Value(&five),
                Arg::List(&y),
                Arg::List(&x),
                Arg::Value(&one),
                Arg::Value(&one),
                Arg::Value(&sum),
            ],
        );
        assert!(
            matches!(v, Value::Number(n) if (n - 10.0).abs() < 1e-9),
            "{v:?}"
        );
        // A missing point is the average of its neighbours: 3, 5, (7), 9, 11.
        let x = nums(&[1.0, 2.0, 4.0, 5.0]);
        let y = nums(&[3.0, 5.0, 9.0, 11.0]);
        let six = Value::Number(6.0);
        let v = call(
            forecast_ets,
            &[Arg::Value(&six), Arg::List(&y), Arg::List(&x)],
        );
        assert!(
            matches!(v, Value::Number(n) if (n - 13.0).abs() < 1e-9),
            "{v:?}"
        );
    }
}
