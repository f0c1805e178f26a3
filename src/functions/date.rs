//! Date functions over Excel 1900 serials: DATE, YEAR/MONTH/DAY, EOMONTH, EDATE,
//! DATEDIF, NETWORKDAYS, WORKDAY, WEEKDAY, WEEKNUM, DAYS, YEARFRAC, TODAY, times.

use chrono::{Datelike, NaiveDate};

use super::args::{coerce_number, err, list, number, number_or, scalar, text, value_error};
use super::{Arg, CallContext, FunctionSpec};
use crate::value::datetime::{date_from_serial, serial_from_date, ymd_from_serial};
use crate::value::{ErrorKind, Value, number_result};

/// The largest serial Excel accepts (9999-12-31).
const MAX_SERIAL: f64 = 2_958_465.0;

#[rustfmt::skip]
pub(super) const SPECS: &[FunctionSpec] = &[
    spec!("DATE", Date, 3, Some(3), [Scalar], 0, Date, false, date, "The date of a year, month and day (overflowing months and days roll over)"),
    spec!("YEAR", Date, 1, Some(1), [Scalar], 0, Number, false, year, "Year of a date"),
    spec!("MONTH", Date, 1, Some(1), [Scalar], 0, Number, false, month, "Month of a date, 1–12"),
    spec!("DAY", Date, 1, Some(1), [Scalar], 0, Number, false, day, "Day of the month, 1–31"),
    spec!("EOMONTH", Date, 2, Some(2), [Scalar], 0, Date, false, eomonth, "Last day of the month some months away"),
    spec!("EDATE", Date, 2, Some(2), [Scalar], 0, Date, false, edate, "The same day some months away (clamped to the month's end)"),
    spec!("DATEDIF", Date, 3, Some(3), [Scalar], 0, Number, false, datedif, "Whole years (Y), months (M), days (D), MD, YM or YD between dates"),
    spec!("NETWORKDAYS", Date, 2, Some(3), [Scalar, Scalar, Either], 0, Number, false, networkdays, "Working days (Mon–Fri) between two dates, inclusive, minus holidays (a list, or one date)"),
    spec!("WORKDAY", Date, 2, Some(3), [Scalar, Scalar, Either], 0, Date, false, workday, "The working day some working days away, skipping holidays (a list, or one date)"),
    spec!("WEEKDAY", Date, 1, Some(2), [Scalar], 0, Number, false, weekday, "Day of the week (1 = Sunday by default)"),
    spec!("WEEKNUM", Date, 1, Some(2), [Scalar], 0, Number, false, weeknum, "Week of the year (week 1 holds January 1)"),
    spec!("ISOWEEKNUM", Date, 1, Some(1), [Scalar], 0, Number, true, isoweeknum, "ISO 8601 week of the year"),
    spec!("DAYS", Date, 2, Some(2), [Scalar], 0, Number, true, days, "Days from start to end (end, start)"),
    spec!("DAYS360", Date, 2, Some(3), [Scalar], 0, Number, false, days360, "Days between dates on a 360-day year"),
    spec!("YEARFRAC", Date, 2, Some(3), [Scalar], 0, Number, false, yearfrac, "Fraction of a year between dates, by day-count basis 0–4"),
    spec!("TODAY", Date, 0, Some(0), [], 0, Date, false, today, "The scenario's as_of date (#N/A when none is set)"),
    spec!("DATEVALUE", Date, 1, Some(1), [Scalar], 0, Number, false, datevalue, "The serial of a date written as text (yyyy-mm-dd)"),
    spec!("TIME", Date, 3, Some(3), [Scalar], 0, Number, false, time, "Fraction of a day of hours, minutes, seconds"),
    spec!("HOUR", Date, 1, Some(1), [Scalar], 0, Number, false, hour, "Hour of a time, 0–23"),
    spec!("MINUTE", Date, 1, Some(1), [Scalar], 0, Number, false, minute, "Minute of a time, 0–59"),
    spec!("SECOND", Date, 1, Some(1), [Scalar], 0, Number, false, second, "Second of a time, 0–59"),
];

/// A date argument as a serial (numbers, dates, date text); negative is `#NUM!`.
fn serial_arg(args: &[Arg<'_>], index: usize) -> Result<f64, Value> {
    let s = number(args, index)?;
    if !(0.0..=MAX_SERIAL + 1.0).contains(&s) {
        return Err(err(ErrorKind::Num));
    }
    Ok(s)
}

fn ymd_arg(args: &[Arg<'_>], index: usize) -> Result<(i32, u32, u32), Value> {
    let s = serial_arg(args, index)?;
    ymd_from_serial(s.floor()).ok_or_else(|| err(ErrorKind::Num))
}

/// A calendar date of a serial for calendar arithmetic (Excel's 1900-02-29 as 02-28).
fn naive(serial: f64) -> Result<NaiveDate, Value> {
    date_from_serial(serial.floor()).ok_or_else(|| err(ErrorKind::Num))
}

/// Serial of year/month/day where month may overflow (DATE's rules); day 1 of the
/// normalized month plus `day - 1`. `None` outside Excel's range.
fn serial_rolled(year: f64, month: f64, day: f64) -> Option<f64> {
    let total_months = year * 12.0 + (month - 1.0);
    let y = total_months.div_euclid(12.0);
    let m = total_months.rem_euclid(12.0) + 1.0;
    if !(-1.0..=9999.0).contains(&y) {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y as i32, m as u32, 1)?;
    let base = serial_from_date(first);
    let s = base + day - 1.0;
    (0.0..=MAX_SERIAL).contains(&s).then_some(s)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

fn date_value(serial: Option<f64>) -> Value {
    match serial {
        Some(s) if (0.0..=MAX_SERIAL).contains(&s) => Value::Date(s),
        _ => err(ErrorKind::Num),
    }
}

pub fn date(args: &[Arg<'_>], _: &CallContext) -> Value {
    let parts = (|| {
        Ok::<_, Value>((
            number(args, 0)?.trunc(),
            number(args, 1)?.trunc(),
            number(args, 2)?.trunc(),
        ))
    })();
    let (mut y, m, d) = match parts {
        Ok(p) => p,
        Err(e) => return e,
    };
    if (0.0..1900.0).contains(&y) {
        y += 1900.0;
    }
    if !(0.0..10000.0).contains(&y) || m.abs() > 1e6 || d.abs() > 1e8 {
        return err(ErrorKind::Num);
    }
    date_value(serial_rolled(y, m, d))
}

fn part(args: &[Arg<'_>], f: impl Fn((i32, u32, u32)) -> f64) -> Value {
    ymd_arg(args, 0).map_or_else(|e| e, |ymd| Value::Number(f(ymd)))
}

pub fn year(args: &[Arg<'_>], _: &CallContext) -> Value {
    part(args, |(y, _, _)| f64::from(y))
}

pub fn month(args: &[Arg<'_>], _: &CallContext) -> Value {
    part(args, |(_, m, _)| f64::from(m))
}

pub fn day(args: &[Arg<'_>], _: &CallContext) -> Value {
    part(args, |(_, _, d)| f64::from(d))
}

/// The (year, month) `months` away from a serial's month, and its day.
fn shifted_month(args: &[Arg<'_>]) -> Result<(i32, u32, u32), Value> {
    let start = naive(serial_arg(args, 0)?)?;
    let months = number(args, 1)?.trunc();
    if months.abs() > 120_000.0 {
        return Err(err(ErrorKind::Num));
    }
    let total = i64::from(start.year()) * 12 + i64::from(start.month0()) + months as i64;
    let y = total.div_euclid(12);
    let m = total.rem_euclid(12) + 1;
    if !(1900..=9999).contains(&y) {
        return Err(err(ErrorKind::Num));
    }
    Ok((y as i32, m as u32, start.day()))
}

pub fn eomonth(args: &[Arg<'_>], _: &CallContext) -> Value {
    match shifted_month(args) {
        Ok((y, m, _)) => {
            date_value(NaiveDate::from_ymd_opt(y, m, days_in_month(y, m)).map(serial_from_date))
        }
        Err(e) => e,
    }
}

pub fn edate(args: &[Arg<'_>], _: &CallContext) -> Value {
    match shifted_month(args) {
        Ok((y, m, d)) => date_value(
            NaiveDate::from_ymd_opt(y, m, d.min(days_in_month(y, m))).map(serial_from_date),
        ),
        Err(e) => e,
    }
}

pub fn datedif(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let s = serial_arg(args, 0)?.floor();
        let e = serial_arg(args, 1)?.floor();
        let unit = text(args, 2)?.to_ascii_uppercase();
        if s > e {
            return Err(err(ErrorKind::Num));
        }
        let (a, b) = (naive(s)?, naive(e)?);
        let whole_months = || {
            let mut m = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
            if b.day() < a.day() {
                m -= 1;
            }
            m
        };
        Ok(match unit.as_str() {
            "D" => e - s,
            "M" => f64::from(whole_months()),
            "Y" => f64::from(whole_months().div_euclid(12)),
            "YM" => f64::from(whole_months().rem_euclid(12)),
            "MD" => {
                if b.day() >= a.day() {
                    f64::from(b.day() - a.day())
                } else {
                    // Days since the start's day-of-month in the month before the end.
                    let anchor = serial_rolled(
                        f64::from(b.year()),
                        f64::from(b.month()) - 1.0,
                        f64::from(a.day()),
                    )
                    .ok_or_else(|| err(ErrorKind::Num))?;
                    e - anchor
                }
            }
            "YD" => {
                let in_year = |y: i32| {
                    NaiveDate::from_ymd_opt(y, a.month(), a.day().min(days_in_month(y, a.month())))
                };
                let mut anchor = in_year(b.year()).ok_or_else(|| err(ErrorKind::Num))?;
                if anchor > b {
                    anchor = in_year(b.year() - 1).ok_or_else(|| err(ErrorKind::Num))?;
                }
                (b - anchor).num_days() as f64
            }
            _ => return Err(err(ErrorKind::Num)),
        })
    })();
    result.map_or_else(|e| e, number_result)
}

/// 0 = Sunday … 6 = Saturday, on Excel's serial calendar.
fn day_of_week(serial: f64) -> i64 {
    (serial.floor() as i64 + 6).rem_euclid(7)
}

fn is_workday(serial: f64) -> bool {
    !matches!(day_of_week(serial), 0 | 6)
}

/// Holiday serials from an optional argument: a list, or one date given directly
/// (coerced as a date argument is, so `"2026-12-25"` works as in Excel); errors propagate.
fn holidays(args: &[Arg<'_>], index: usize) -> Result<Vec<f64>, Value> {
    if index >= args.len() {
        return Ok(Vec::new());
    }
    if let Some(Arg::Value(one)) = args.get(index) {
        return match one {
            Value::Blank => Ok(Vec::new()),
            other => Ok(vec![coerce_number(other)?.floor()]),
        };
    }
    let mut out = Vec::new();
    for v in list(args, index)? {
        match v {
            Value::Number(n) | Value::Date(n) => out.push(n.floor()),
            Value::Error(_) => return Err(v.clone()),
            Value::Blank => {}
            _ => return Err(value_error()),
        }
    }
    Ok(out)
}

pub fn networkdays(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let s = serial_arg(args, 0)?.floor();
        let e = serial_arg(args, 1)?.floor();
        let off = holidays(args, 2)?;
        let (lo, hi, sign) = if s <= e { (s, e, 1.0) } else { (e, s, -1.0) };
        // Whole weeks contribute 5 days each; walk the remainder.
        let span = hi - lo + 1.0;
        let weeks = (span / 7.0).floor();
        let mut count = weeks * 5.0;
        let mut d = lo + weeks * 7.0;
        while d <= hi {
            if is_workday(d) {
                count += 1.0;
            }
            d += 1.0;
        }
        let mut seen: Vec<f64> = Vec::new();
        for h in off {
            if (lo..=hi).contains(&h) && is_workday(h) && !seen.contains(&h) {
                count -= 1.0;
                seen.push(h);
            }
        }
        Ok(sign * count)
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn workday(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let mut d = serial_arg(args, 0)?.floor();
        let n = number(args, 1)?.trunc();
        let off = holidays(args, 2)?;
        if n.abs() > 3_000_000.0 {
            return Err(err(ErrorKind::Num));
        }
        let step = if n < 0.0 { -1.0 } else { 1.0 };
        let mut left = n.abs();
        while left > 0.0 {
            d += step;
            if !(0.0..=MAX_SERIAL).contains(&d) {
                return Err(err(ErrorKind::Num));
            }
            if is_workday(d) && !off.contains(&d) {
                left -= 1.0;
            }
        }
        Ok(d)
    })();
    result.map_or_else(|e| e, |d| date_value(Some(d)))
}

pub fn weekday(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let s = serial_arg(args, 0)?;
        let kind = number_or(args, 1, 1.0)?.trunc() as i64;
        let dow = day_of_week(s); // 0 = Sunday
        let from_monday = (dow + 6) % 7; // 0 = Monday
        Ok(match kind {
            1 | 17 => dow + 1,
            2 | 11 => from_monday + 1,
            3 => from_monday,
            12..=16 => (dow - (kind - 10)).rem_euclid(7) + 1,
            _ => return Err(err(ErrorKind::Num)),
        })
    })();
    result.map_or_else(|e| e, |d| Value::Number(d as f64))
}

pub fn weeknum(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let s = serial_arg(args, 0)?.floor();
        let kind = number_or(args, 1, 1.0)?.trunc() as i64;
        if kind == 21 {
            return Ok(f64::from(naive(s)?.iso_week().week()));
        }
        // First day of the week, 0 = Sunday.
        let week_start = match kind {
            1 | 17 => 0,
            2 | 11 => 1,
            12..=16 => kind - 10,
            _ => return Err(err(ErrorKind::Num)),
        };
        let (y, _, _) = ymd_from_serial(s).ok_or_else(|| err(ErrorKind::Num))?;
        let jan1 = if y == 1900 {
            1.0
        } else {
            NaiveDate::from_ymd_opt(y, 1, 1)
                .map(serial_from_date)
                .ok_or_else(|| err(ErrorKind::Num))?
        };
        let offset = (day_of_week(jan1) - week_start).rem_euclid(7) as f64;
        Ok(((s - jan1 + offset) / 7.0).floor() + 1.0)
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn isoweeknum(args: &[Arg<'_>], _: &CallContext) -> Value {
    match serial_arg(args, 0).and_then(naive) {
        Ok(d) => Value::Number(f64::from(d.iso_week().week())),
        Err(e) => e,
    }
}

pub fn days(args: &[Arg<'_>], _: &CallContext) -> Value {
    match (number(args, 0), number(args, 1)) {
        (Ok(end), Ok(start)) => number_result(end - start),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

fn is_last_of_february(d: NaiveDate) -> bool {
    d.month() == 2 && d.day() == days_in_month(d.year(), 2)
}

/// 30/360 day count: US (NASD) as YEARFRAC basis 0 uses it, or European.
fn days_30_360(a: NaiveDate, b: NaiveDate, european: bool, yearfrac_feb: bool) -> f64 {
    let (mut d1, mut d2) = (a.day(), b.day());
    if european {
        d1 = d1.min(30);
        d2 = d2.min(30);
    } else if yearfrac_feb {
        if d1 == 31 && d2 == 31 {
            d1 = 30;
            d2 = 30;
        } else if d1 == 31 {
            d1 = 30;
        } else if d1 == 30 && d2 == 31 {
            d2 = 30;
        } else if is_last_of_february(a) && is_last_of_february(b) {
            d1 = 30;
            d2 = 30;
        } else if is_last_of_february(a) {
            d1 = 30;
        }
    } else {
        // DAYS360 US method.
        if is_last_of_february(a) {
            d1 = 30;
        }
        if d1 == 31 {
            d1 = 30;
        }
        if d2 == 31 && d1 >= 30 {
            d2 = 30;
        }
    }
    f64::from(b.year() - a.year()) * 360.0
        + (f64::from(b.month()) - f64::from(a.month())) * 30.0
        + (f64::from(d2) - f64::from(d1))
}

pub fn days360(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let a = naive(serial_arg(args, 0)?)?;
        let b = naive(serial_arg(args, 1)?)?;
        let european = match args.len() > 2 {
            true => scalar(args, 2)?.to_bool()?,
            false => false,
        };
        Ok(days_30_360(a, b, european, false))
    })();
    result.map_or_else(|e| e, number_result)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Actual/actual as Excel's YEARFRAC basis 1 computes it.
fn actual_actual(a: NaiveDate, b: NaiveDate) -> f64 {
    let days = (b - a).num_days() as f64;
    let within_year = a.year() == b.year()
        || (a.year() + 1 == b.year()
            && (a.month() > b.month() || (a.month() == b.month() && a.day() >= b.day())));
    if within_year {
        let feb29_between = {
            let mar1_a = NaiveDate::from_ymd_opt(a.year(), 3, 1);
            let mar1_b = NaiveDate::from_ymd_opt(b.year(), 3, 1);
            (is_leap(a.year()) && mar1_a.is_some_and(|m| a < m))
                || (is_leap(b.year()) && mar1_b.is_some_and(|m| b >= m))
        };
        let year_length = if (a.year() == b.year() && is_leap(a.year()))
            || feb29_between
            || (b.month() == 2 && b.day() == 29)
        {
            366.0
        } else {
            365.0
        };
        days / year_length
    } else {
        let years = f64::from(b.year() - a.year() + 1);
        let span = match (
            NaiveDate::from_ymd_opt(a.year(), 1, 1),
            NaiveDate::from_ymd_opt(b.year() + 1, 1, 1),
        ) {
            (Some(x), Some(y)) => (y - x).num_days() as f64,
            _ => years * 365.25,
        };
        days / (span / years)
    }
}

pub fn yearfrac(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let mut s = serial_arg(args, 0)?.floor();
        let mut e = serial_arg(args, 1)?.floor();
        let basis = number_or(args, 2, 0.0)?.trunc();
        if s > e {
            std::mem::swap(&mut s, &mut e);
        }
        let (a, b) = (naive(s)?, naive(e)?);
        Ok(match basis as i64 {
            0 if basis == 0.0 => days_30_360(a, b, false, true) / 360.0,
            1 => actual_actual(a, b),
            2 => (e - s) / 360.0,
            3 => (e - s) / 365.0,
            4 => days_30_360(a, b, true, false) / 360.0,
            _ => return Err(err(ErrorKind::Num)),
        })
    })();
    result.map_or_else(|e| e, number_result)
}

pub fn today(_: &[Arg<'_>], ctx: &CallContext) -> Value {
    match ctx.as_of {
        Some(d) => Value::Date(d.floor()),
        None => err(ErrorKind::NA),
    }
}

pub fn datevalue(args: &[Arg<'_>], _: &CallContext) -> Value {
    match scalar(args, 0) {
        Ok(Value::Text(t)) => {
            super::args::parse_date_text(t).map_or_else(value_error, |s| Value::Number(s.floor()))
        }
        Ok(e @ Value::Error(_)) => e.clone(),
        Ok(_) => value_error(),
        Err(e) => e,
    }
}

pub fn time(args: &[Arg<'_>], _: &CallContext) -> Value {
    let result = (|| {
        let h = number(args, 0)?.trunc();
        let m = number(args, 1)?.trunc();
        let s = number(args, 2)?.trunc();
        let total = h * 3600.0 + m * 60.0 + s;
        if total < 0.0 || h > 32767.0 || m > 32767.0 || s > 32767.0 {
            return Err(err(ErrorKind::Num));
        }
        Ok((total / 86400.0).fract())
    })();
    result.map_or_else(|e| e, number_result)
}

/// Seconds into the day of a serial, rounded to the second as Excel displays.
fn seconds_of_day(args: &[Arg<'_>]) -> Result<f64, Value> {
    let s = serial_arg(args, 0)?;
    Ok(((s - s.floor()) * 86400.0).round() % 86400.0)
}

pub fn hour(args: &[Arg<'_>], _: &CallContext) -> Value {
    seconds_of_day(args).map_or_else(|e| e, |s| Value::Number((s / 3600.0).floor()))
}

pub fn minute(args: &[Arg<'_>], _: &CallContext) -> Value {
    seconds_of_day(args).map_or_else(|e| e, |s| Value::Number(((s % 3600.0) / 60.0).floor()))
}

pub fn second(args: &[Arg<'_>], _: &CallContext) -> Value {
    seconds_of_day(args).map_or_else(|e| e, |s| Value::Number(s % 60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: super::super::FunctionImpl, nums: &[f64]) -> Value {
        let vals: Vec<Value> = nums.iter().map(|n| Value::Number(*n)).collect();
        let args: Vec<Arg<'_>> = vals.iter().map(Arg::Value).collect();
        f(&args, &CallContext::default())
    }

    fn d(y: i32, m: u32, day: u32) -> f64 {
        NaiveDate::from_ymd_opt(y, m, day)
            .map(serial_from_date)
            .unwrap()
    }

    #[test]
    fn date_rolls_months_and_days_over() {
        // DATE(2008,14,2) is 2009-02-02 and DATE(2008,1,-15) is 2007-12-16 (Excel docs).
        assert_eq!(call(date, &[2008.0, 14.0, 2.0]), Value::Date(d(2009, 2, 2)));
        assert_eq!(
            call(date, &[2008.0, 1.0, -15.0]),
            Value::Date(d(2007, 12, 16))
        );
        assert_eq!(call(date, &[108.0, 1.0, 2.0]), Value::Date(d(2008, 1, 2)));
        assert_eq!(
            call(date, &[2024.0, 2.0, 29.0]),
            Value::Date(d(2024, 2, 29))
        );
        assert_eq!(call(date, &[2023.0, 2.0, 29.0]), Value::Date(d(2023, 3, 1)));
        assert_eq!(
            call(date, &[-1.0, 1.0, 1.0]).error_kind(),
            Some(ErrorKind::Num)
        );
    }

    #[test]
    fn excel_1900_leap_day_and_today() {
        // Excel's calendar: DATE(1900,2,29) is serial 60 (a day that never was),
        // DATE(1900,3,1) is 61, and DAY/MONTH of 60 report February 29.
        assert_eq!(call(date, &[1900.0, 2.0, 29.0]), Value::Date(60.0));
        assert_eq!(call(date, &[1900.0, 3.0, 1.0]), Value::Date(61.0));
        assert_eq!(call(day, &[60.0]), Value::Number(29.0));
        assert_eq!(call(month, &[60.0]), Value::Number(2.0));
        // TODAY() is the scenario's as_of, never the clock.
        assert_eq!(call(today, &[]).error_kind(), Some(ErrorKind::NA));
        let ctx = CallContext {
            as_of: Some(46_000.0),
        };
        assert_eq!(today(&[], &ctx), Value::Date(46_000.0));
    }

    #[test]
    fn datedif_units() {
        // Excel docs: DATEDIF(2001-01-01, 2003-01-01, "Y") = 2; (2001-06-01, 2002-08-15) "D" = 440,
        // "YD" = 75, "MD" = 14.
        let args = |a: f64, b: f64, unit: &str| {
            let vals = [Value::Number(a), Value::Number(b), Value::text(unit)];
            datedif(
                &[
                    Arg::Value(&vals[0]),
                    Arg::Value(&vals[1]),
                    Arg::Value(&vals[2]),
                ],
                &CallContext::default(),
            )
        };
        assert_eq!(args(d(2001, 1, 1), d(2003, 1, 1), "Y"), Value::Number(2.0));
        assert_eq!(
            args(d(2001, 6, 1), d(2002, 8, 15), "D"),
            Value::Number(440.0)
        );
        assert_eq!(
            args(d(2001, 6, 1), d(2002, 8, 15), "YD"),
            Value::Number(75.0)
        );
        assert_eq!(
            args(d(2001, 6, 1), d(2002, 8, 15), "MD"),
            Value::Number(14.0)
        );
        assert_eq!(
            args(d(2002, 1, 1), d(2001, 1, 1), "D").error_kind(),
            Some(ErrorKind::Num)
        );
    }

    #[test]
    fn networkdays_counts_weekdays_inclusive() {
        // Excel docs: NETWORKDAYS(2012-10-01, 2013-03-01) = 110; with holiday 2012-11-22 = 109.
        assert_eq!(
            call(networkdays, &[d(2012, 10, 1), d(2013, 3, 1)]),
            Value::Number(110.0)
        );
        let h = [Value::Number(d(2012, 11, 22))];
        let (a, b) = (Value::Number(d(2012, 10, 1)), Value::Number(d(2013, 3, 1)));
        let r = networkdays(
            &[Arg::Value(&a), Arg::Value(&b), Arg::List(&h)],
            &CallContext::default(),
        );
        assert_eq!(r, Value::Number(109.0));
        assert_eq!(
            call(networkdays, &[d(2013, 3, 1), d(2012, 10, 1)]),
            Value::Number(-110.0)
        );
    }

    #[test]
    fn yearfrac_bases() {
        // Excel docs: YEARFRAC(2012-01-01, 2012-07-30, 1) = 0.57650273 (211/366);
        // basis 0 = 0.58055556 (209/360); basis 3 = 211/365.
        assert_eq!(
            call(yearfrac, &[d(2012, 1, 1), d(2012, 7, 30), 1.0]),
            Value::Number(211.0 / 366.0)
        );
        assert_eq!(
            call(yearfrac, &[d(2012, 1, 1), d(2012, 7, 30), 0.0]),
            Value::Number(209.0 / 360.0)
        );
        assert_eq!(
            call(yearfrac, &[d(2012, 1, 1), d(2012, 7, 30), 3.0]),
            Value::Number(211.0 / 365.0)
        );
    }

    #[test]
    fn weekday_and_weeknum() {
        // 2008-02-14 was a Thursday (Excel docs: WEEKDAY = 5, type 2 → 4, type 3 → 3).
        let s = d(2008, 2, 14);
        assert_eq!(call(weekday, &[s]), Value::Number(5.0));
        assert_eq!(call(weekday, &[s, 2.0]), Value::Number(4.0));
        assert_eq!(call(weekday, &[s, 3.0]), Value::Number(3.0));
        // Excel docs: WEEKNUM(2012-03-09) = 10; with type 2 = 11.
        let s = d(2012, 3, 9);
        assert_eq!(call(weeknum, &[s]), Value::Number(10.0));
        assert_eq!(call(weeknum, &[s, 2.0]), Value::Number(11.0));
    }
}
