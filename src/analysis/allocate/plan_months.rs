//! `table PlanMonths = plan_months History by key (period = …, spend = …, outcome = …,
//! curve = …, current = …, recommended = …, months = …, start = …)`: each key's plan
//! spread over the next months — spend evenly, the outcome following the key's seasonal
//! index from its history — at the current and at the recommended allocation, with a
//! range from the curve's fitted uncertainty.
//!
//! The seasonal index of a calendar month is estimated from the history's ratio of
//! outcome to the curve at that period's spend: `ln(ratio) = trend·t + index(month)`
//! by least squares (no trend below 14 periods), scaled so the observed months average 1.

use std::sync::LazyLock;

use chrono::{Datelike, Months};

use super::args::{Args, KeyGroups, cell, each, once, output};
use super::curve::Curve;
use super::fit::{format_number, solve_linear};
use crate::lang::analysis::{
    Analysis, AnalysisError, AnalysisInput, AnalysisResult, OutputColumn, Parameter,
};
use crate::value::datetime::{date_from_serial, serial_from_date};
use crate::value::{Value, ValueType};

#[derive(Debug)]
pub struct PlanMonths;

const PARAMETERS: &[Parameter] = &[
    each(
        "period",
        ValueType::Date,
        true,
        "the history's period (a date in the month)",
    ),
    each(
        "spend",
        ValueType::Number,
        true,
        "the history's spend of the period",
    ),
    each(
        "outcome",
        ValueType::Number,
        true,
        "the history's outcome of the period",
    ),
    each(
        "curve",
        ValueType::Text,
        true,
        "the key's response per period as text (e.g. looked up from the optimized plan)",
    ),
    each(
        "current",
        ValueType::Number,
        true,
        "the key's current spend over the whole plan",
    ),
    each(
        "recommended",
        ValueType::Number,
        true,
        "the key's recommended spend over the whole plan",
    ),
    each(
        "level_error",
        ValueType::Number,
        false,
        "the curve's relative standard error (fit_response's level_error): the range is ±1.645 of it (90%)",
    ),
    once(
        "months",
        ValueType::Number,
        true,
        "how many months the plan covers",
    ),
    once("start", ValueType::Date, true, "the plan's first month"),
];

static OUTPUTS: LazyLock<Vec<OutputColumn>> = LazyLock::new(|| {
    vec![
        output("month", ValueType::Date, Some("yyyy-mm"), None),
        output("seasonal_index", ValueType::Number, Some("0.00"), None),
        output("spend_current", ValueType::Number, Some("currency"), None),
        output(
            "spend_recommended",
            ValueType::Number,
            Some("currency"),
            None,
        ),
        output("outcome_current", ValueType::Number, Some("#,##0"), None),
        output(
            "outcome_recommended",
            ValueType::Number,
            Some("#,##0"),
            None,
        ),
        output("outcome_low", ValueType::Number, Some("#,##0"), None),
        output("outcome_high", ValueType::Number, Some("#,##0"), None),
    ]
});

/// z of a two-sided 90% interval.
const Z90: f64 = 1.645;

/// The longest plan, in months.
const MAX_MONTHS: f64 = 120.0;

impl Analysis for PlanMonths {
    fn name(&self) -> &'static str {
        "plan_months"
    }
    fn summary(&self) -> &'static str {
        "each key's plan spread over the next months with its seasonal index, at current and recommended spend"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        &OUTPUTS
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let args = Args::new(input, PARAMETERS);
        let months = match args.once_number("months")? {
            Some(m) if (1.0..=MAX_MONTHS).contains(&m.round()) => m.round() as u32,
            other => {
                return Err(AnalysisError::new(format!(
                    "`months` is {}; a plan covers 1 to {MAX_MONTHS} months",
                    other.map_or("blank".to_string(), format_number)
                )));
            }
        };
        let start = args
            .once_number("start")?
            .and_then(date_from_serial)
            .ok_or_else(|| AnalysisError::new("`start` is not a date: the plan's first month"))?
            .with_day(1)
            .ok_or_else(|| AnalysisError::new("`start` is not a date"))?;
        let groups = KeyGroups::new(&input.keys, input.rows);
        let mut notes = Vec::new();
        let mut key_columns: Vec<Vec<Value>> = vec![Vec::new(); input.keys.len()];
        let mut columns: Vec<Vec<Value>> = vec![Vec::new(); OUTPUTS.len()];
        let mut without_curve = Vec::new();
        let mut thin = Vec::new();
        for (g, rows) in groups.rows.iter().enumerate() {
            let name = &groups.labels[g];
            let per_key = |arg: &str| -> Result<Option<f64>, AnalysisError> {
                one_value(&args, arg, rows, name)
            };
            let curve = match key_text(&args, "curve", rows, name)? {
                Some(text) => Some(
                    Curve::parse(&text)
                        .map_err(|e| AnalysisError::new(format!("the curve of {name}: {e}")))?,
                ),
                None => None,
            };
            let current = per_key("current")?;
            let recommended = per_key("recommended")?;
            // No estimate of the curve's uncertainty: no range.
            let level_error = per_key("level_error")?.map_or(f64::NAN, |e| e.max(0.0));
            // History ratios outcome / curve(spend), by calendar month.
            let mut history: Vec<(f64, u32, f64)> = Vec::new();
            if let Some(c) = curve {
                for &row in rows {
                    let (Some(p), Some(x), Some(y)) = (
                        args.at("period", row).as_f64(),
                        args.at("spend", row).as_f64(),
                        args.at("outcome", row).as_f64(),
                    ) else {
                        continue;
                    };
                    let f = c.value(x);
                    if x > 0.0
                        && y > 0.0
                        && f > 0.0
                        && y.is_finite()
                        && let Some(d) = date_from_serial(p)
                    {
                        let t = f64::from(d.year()) * 12.0 + f64::from(d.month0());
                        history.push((t, d.month0(), (y / f).ln()));
                    }
                }
            } else {
                without_curve.push(name.clone());
            }
            let index = seasonal_index(&history);
            let observed = history
                .iter()
                .map(|h| h.1)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if curve.is_some() && observed < 12 {
                thin.push(format!("{name} ({observed} of 12)"));
            }
            let per_month = |total: Option<f64>| total.map(|t| t / f64::from(months));
            for m in 0..months {
                let Some(date) = start.checked_add_months(Months::new(m)) else {
                    break;
                };
                let season = index[date.month0() as usize];
                for (column, keys) in key_columns.iter_mut().zip(&input.keys) {
                    column.push(keys.get(groups.first[g]).cloned().unwrap_or_default());
                }
                let spend_current = per_month(current);
                let spend_recommended = per_month(recommended);
                let expect = |spend: Option<f64>| match (curve, spend) {
                    (Some(c), Some(x)) => season * c.value(x),
                    _ => f64::NAN,
                };
                let rec = expect(spend_recommended);
                let values = [
                    Value::Date(serial_from_date(date)),
                    if curve.is_some() {
                        cell(season)
                    } else {
                        Value::Blank
                    },
                    spend_current.map_or(Value::Blank, cell),
                    spend_recommended.map_or(Value::Blank, cell),
                    cell(expect(spend_current)),
                    cell(rec),
                    cell((rec * (1.0 - Z90 * level_error)).max(0.0)),
                    cell(rec * (1.0 + Z90 * level_error)),
                ];
                for (column, value) in columns.iter_mut().zip(values) {
                    column.push(value);
                }
            }
        }
        if !without_curve.is_empty() {
            notes.push(format!(
                "no curve for {}: their months show spend but no expected outcome",
                without_curve.join(", ")
            ));
        }
        if !thin.is_empty() {
            notes.push(format!(
                "calendar months without history get a seasonal index of 1.00: {}",
                thin.join(", ")
            ));
        }
        Ok(AnalysisResult {
            keys: key_columns,
            columns,
            notes,
            details: None,
            charts: Vec::new(),
        })
    }
}

/// The one value a per-key argument has on every row of the key (rows agree, or it
/// is an error naming the key); `None` when blank everywhere.
fn one_value(
    args: &Args<'_>,
    name: &str,
    rows: &[usize],
    key: &str,
) -> Result<Option<f64>, AnalysisError> {
    let mut found: Option<f64> = None;
    for &row in rows {
        let Some(v) = args.number_at(name, row, key).or_else(|e| {
            // An error value from a lookup (no such key): treat as missing.
            if args.at(name, row).is_error() {
                Ok(None)
            } else {
                Err(e)
            }
        })?
        else {
            continue;
        };
        if let Some(f) = found
            && (f - v).abs() > 1e-9 * f.abs().max(1.0)
        {
            return Err(AnalysisError::new(format!(
                "`{name}` differs between the rows of {key} ({} and {}); it must be one value per key",
                format_number(f),
                format_number(v)
            )));
        }
        found = Some(v);
    }
    Ok(found)
}

fn key_text(
    args: &Args<'_>,
    name: &str,
    rows: &[usize],
    key: &str,
) -> Result<Option<String>, AnalysisError> {
    let mut found: Option<String> = None;
    for &row in rows {
        let text = match args.at(name, row) {
            Value::Text(t) if !t.trim().is_empty() => t.to_string(),
            _ => continue,
        };
        if let Some(f) = &found
            && *f != text
        {
            return Err(AnalysisError::new(format!(
                "`{name}` differs between the rows of {key}; it must be one value per key"
            )));
        }
        found = Some(text);
    }
    Ok(found)
}

/// Index per calendar month (0 = January) from `(time, month, ln ratio)` points.
fn seasonal_index(history: &[(f64, u32, f64)]) -> [f64; 12] {
    let mut index = [1.0; 12];
    if history.is_empty() {
        return index;
    }
    let observed: Vec<u32> = {
        let set: std::collections::BTreeSet<u32> = history.iter().map(|h| h.1).collect();
        set.into_iter().collect()
    };
    let with_trend = history.len() >= 14 && observed.len() >= 2;
    // Columns: one per observed month, then the trend.
    let p = observed.len() + usize::from(with_trend);
    let t_mean = history.iter().map(|h| h.0).sum::<f64>() / history.len() as f64;
    let mut normal = vec![vec![0.0; p + 1]; p];
    for &(t, month, y) in history {
        let mut row = vec![0.0; p];
        if let Some(j) = observed.iter().position(|m| *m == month) {
            row[j] = 1.0;
        }
        if with_trend {
            row[p - 1] = t - t_mean;
        }
        for i in 0..p {
            for j in 0..p {
                normal[i][j] += row[i] * row[j];
            }
            normal[i][p] += row[i] * y;
        }
    }
    let Some(solution) = solve_linear(normal) else {
        return index;
    };
    let levels: Vec<f64> = observed
        .iter()
        .enumerate()
        .map(|(j, _)| solution[j].exp())
        .collect();
    let mean = levels.iter().sum::<f64>() / levels.len() as f64;
    if mean > 0.0 && mean.is_finite() {
        for (&month, level) in observed.iter().zip(&levels) {
            index[month as usize] = level / mean;
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_index_recovers_a_pattern_under_a_trend() {
        // 36 months: a pattern by calendar month times 1% growth a month.
        let pattern = [
            0.8, 0.9, 1.3, 0.85, 0.95, 1.25, 0.9, 0.95, 1.2, 1.0, 1.1, 1.6,
        ];
        let mean: f64 = pattern.iter().sum::<f64>() / 12.0;
        let history: Vec<(f64, u32, f64)> = (0..36)
            .map(|t| {
                let month = (t % 12) as u32;
                (
                    t as f64,
                    month,
                    (pattern[month as usize] * 1.01f64.powi(t)).ln(),
                )
            })
            .collect();
        let index = seasonal_index(&history);
        // Geometric levels scaled to an arithmetic mean of 1: compare shapes.
        for m in 0..12 {
            let expected = pattern[m] / mean;
            assert!(
                (index[m] - expected).abs() < 0.01,
                "month {m}: {} vs {expected}",
                index[m]
            );
        }
    }
}
