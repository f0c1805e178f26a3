//! The forecast analyses' output tables, notes, details and charts, built from one
//! shared computation: the `forecast` table (history rows, then one row per future
//! month) and the `forecast_backtest` table (one row per method).

use std::sync::Arc;

use super::deals::month_label;
use super::methods::{Accuracy, METHODS, UnitResult, group_accuracy};
use super::{Computed, MIN_ETS_MONTHS};
use crate::functions::forecast::month_start;
use crate::lang::analysis::{AnalysisInput, AnalysisResult, ChartRequest, ChartShape};
use crate::value::Value;

/// Groups beyond this many get no chart each (a partner list is not a chart wall).
const MAX_GROUP_CHARTS: usize = 12;
/// Names listed in one note before "and N more".
const MAX_NAMES: usize = 8;

fn number(value: Option<f64>) -> Value {
    match value {
        Some(v) if v.is_finite() => Value::Number(if v == 0.0 { 0.0 } else { v }),
        _ => Value::Blank,
    }
}

fn month_value(m: i64) -> Value {
    month_start(m).map_or(Value::Blank, Value::Date)
}

/// A group's name for messages: its key values joined, or "all rows".
fn group_name(key: &[Value]) -> String {
    if key.is_empty() {
        return "all rows".into();
    }
    key.iter()
        .map(|v| {
            v.to_text()
                .map_or_else(|_| "?".to_string(), |t| t.to_string())
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// "A, B, C and 4 more".
fn names(list: &[String]) -> String {
    let shown: Vec<&str> = list.iter().take(MAX_NAMES).map(String::as_str).collect();
    let rest = list.len().saturating_sub(MAX_NAMES);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Appends one output row: the group's key values and the output columns' values.
struct Rows {
    keys: Vec<Vec<Value>>,
    columns: Vec<Vec<Value>>,
}

impl Rows {
    fn new(keys: usize, columns: usize) -> Rows {
        Rows {
            keys: vec![Vec::new(); keys],
            columns: vec![Vec::new(); columns],
        }
    }

    fn push(&mut self, key: &[Value], values: Vec<Value>) {
        for (column, value) in self.keys.iter_mut().zip(key) {
            column.push(value.clone());
        }
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.push(value);
        }
    }
}

/// Sum of the units' actual revenue in month index `i` of the book's history.
fn actual_at(units: &[UnitResult], i: usize) -> f64 {
    units.iter().filter_map(|u| u.history.actual.get(i)).sum()
}

/// Index of the first history month any unit's model uses.
fn group_start(units: &[UnitResult]) -> usize {
    units.iter().map(|u| u.history.start).min().unwrap_or(0)
}

/// The `forecast` table.
pub fn forecast_table(
    input: &AnalysisInput<'_>,
    computed: &Computed,
    confidence: f64,
    history_months: usize,
) -> AnalysisResult {
    let Computed {
        book,
        settings,
        results,
    } = computed;
    let mut rows = Rows::new(input.keys.len(), super::FORECAST_OUTPUTS.len());
    let mut notes = Vec::new();
    let mut without_ets = Vec::new();
    let mut details = Vec::new();
    let last = book.last_month;
    for (group, units) in book.groups.iter().zip(results) {
        let start = group_start(units);
        let length = units.first().map_or(0, |u| u.history.actual.len());
        let shown_from = start.max(length.saturating_sub(history_months));
        for i in shown_from..length {
            let month = book.export_start + i as i64;
            let mut values = vec![Value::Blank; super::FORECAST_OUTPUTS.len()];
            values[0] = month_value(month);
            values[1] = number(Some(actual_at(units, i)));
            rows.push(&group.key, values);
        }
        let accuracy = group_accuracy(units);
        let all_ets = units.iter().all(|u| u.model.is_some());
        if !all_ets {
            without_ets.push(group_name(&group.key));
        }
        let single = (units.len() == 1).then(|| &units[0]);
        for h in 0..settings.horizon {
            let sum = |pick: &dyn Fn(&UnitResult) -> Option<f64>| -> Option<f64> {
                units.iter().map(pick).sum::<Option<f64>>()
            };
            let forecast = sum(&|u| u.blend.get(h).copied()).unwrap_or(0.0);
            let widths: Vec<f64> = units
                .iter()
                .filter_map(|u| {
                    let model = u.model.as_ref()?;
                    Some(model.half_width(h + 1, confidence))
                })
                .collect();
            let half =
                (!widths.is_empty()).then(|| widths.iter().map(|w| w * w).sum::<f64>().sqrt());
            let ets = if all_ets {
                sum(&|u| u.future.ets.get(h).copied())
            } else {
                None
            };
            let values = vec![
                month_value(last + 1 + h as i64),
                Value::Blank,
                number(Some(forecast)),
                number(half.map(|w| (forecast - w).max(0.0))),
                number(half.map(|w| forecast + w)),
                number(ets),
                number(sum(&|u| u.future.pipeline.get(h).copied())),
                Value::Number((h + 1) as f64),
                number(
                    single
                        .filter(|u| u.model.is_some())
                        .and_then(|u| u.weights.get(h).copied()),
                ),
                number(accuracy[2].wape),
            ];
            rows.push(&group.key, values);
        }
        details.push(serde_json::json!({
            "group": group_name(&group.key),
            "history_from": month_label(book.export_start + start as i64),
            "units": units.iter().map(|u| serde_json::json!({
                "ets_weights": u.model.as_ref().map(|_| &u.weights),
                "weight_from_backtest": u.weight_from_backtest,
                "model": u.model.as_ref().map(|m| serde_json::json!({
                    "trend": m.form.trend,
                    "season": m.form.period,
                    "alpha": m.smoothing.alpha,
                    "beta": m.smoothing.beta,
                    "gamma": m.smoothing.gamma,
                    "rmse": m.rmse(),
                })),
            })).collect::<Vec<_>>(),
        }));
    }

    for (reason, count) in &book.left_out {
        notes.push(format!(
            "{count} source row{} left out: {reason}",
            if *count == 1 { "" } else { "s" }
        ));
    }
    let trimmed: Vec<String> = book
        .groups
        .iter()
        .zip(results)
        .filter_map(|(group, units)| {
            let start = group_start(units);
            let first_deal = units
                .iter()
                .flat_map(|u| &u.history.actual)
                .next()
                .map(|_| ());
            (start > 0 && first_deal.is_some()).then(|| {
                format!(
                    "{} from {}",
                    group_name(&group.key),
                    month_label(book.export_start + start as i64)
                )
            })
        })
        .collect();
    if !trimmed.is_empty() {
        notes.push(format!(
            "the export's deals start {}, so the first months' revenue misses deals \
             created earlier; each group's history is used from its first month plus the \
             time 75% of its won deals take to close: {}",
            month_label(book.export_start),
            names(&trimmed)
        ));
    }
    if !without_ets.is_empty() {
        notes.push(format!(
            "under {MIN_ETS_MONTHS} months of usable history for ETS in {}; their \
             forecast is the weighted pipeline alone, without an interval",
            names(&without_ets)
        ));
    }
    if let Some(partial) = book.partial_month {
        notes.push(format!(
            "{} is not over on the as-of date; its forecast counts the deals already \
             won in it plus the weighted open pipeline",
            month_label(partial)
        ));
    }

    let charts = forecast_charts(input, computed, confidence);
    AnalysisResult {
        keys: rows.keys,
        columns: rows.columns,
        notes,
        details: Some(serde_json::json!({
            "as_of_month": month_label(last),
            "horizon": settings.horizon,
            "groups": details,
        })),
        charts,
    }
}

/// One chart per group (one key, at most [`MAX_GROUP_CHARTS`] groups) or one for a
/// table without keys: actual and forecast as lines, the interval as a band.
fn forecast_charts(
    input: &AnalysisInput<'_>,
    computed: &Computed,
    confidence: f64,
) -> Vec<ChartRequest> {
    let percent = (confidence * 100.0).round();
    let request = |title: String, rows_where: Option<(Arc<str>, Value)>| ChartRequest {
        title,
        table: input.table.into(),
        shape: ChartShape::LinesWithBand,
        category: "month".into(),
        series: vec![
            "actual".into(),
            "forecast".into(),
            "low".into(),
            "high".into(),
        ],
        rows_where,
    };
    let groups = &computed.book.groups;
    if input.keys.is_empty() {
        return vec![request(
            format!(
                "Total: won revenue, forecast and {percent}% interval ({})",
                input.table
            ),
            None,
        )];
    }
    if input.keys.len() != 1 || groups.len() > MAX_GROUP_CHARTS {
        return Vec::new();
    }
    let Some(key_column) = input.key_names.first() else {
        return Vec::new();
    };
    groups
        .iter()
        .filter_map(|group| {
            let key = group.key.first()?;
            Some(request(
                format!(
                    "{}: won revenue, forecast and {percent}% interval",
                    group_name(&group.key)
                ),
                Some((Arc::clone(key_column), key.clone())),
            ))
        })
        .collect()
}

/// The `forecast_backtest` table.
pub fn backtest_table(input: &AnalysisInput<'_>, computed: &Computed) -> AnalysisResult {
    let Computed {
        book,
        results,
        settings,
    } = computed;
    let mut rows = Rows::new(input.keys.len(), super::BACKTEST_OUTPUTS.len());
    let mut losers: [Vec<String>; 3] = Default::default();
    let mut untested = Vec::new();
    let mut details = Vec::new();
    for (group, units) in book.groups.iter().zip(results) {
        let scores: [Accuracy; 4] = group_accuracy(units);
        let naive = scores[3].wape;
        if scores[3].forecasts == 0 {
            untested.push(group_name(&group.key));
        }
        for (method, score) in METHODS.iter().zip(&scores) {
            let is_naive = *method == METHODS[3];
            let ratio = match (score.wape, naive) {
                (Some(w), Some(n)) if n > 0.0 && !is_naive => Some(w / n),
                _ => None,
            };
            let beats = match (score.wape, naive) {
                (Some(w), Some(n)) if !is_naive => Value::Bool(w < n),
                _ => Value::Blank,
            };
            if matches!(beats, Value::Bool(false))
                && let Some(list) = METHODS
                    .iter()
                    .position(|m| m == method)
                    .and_then(|i| losers.get_mut(i))
            {
                list.push(group_name(&group.key));
            }
            rows.push(
                &group.key,
                vec![
                    Value::text(method),
                    number(score.wape),
                    number(score.mape),
                    number(score.bias),
                    Value::Number(score.forecasts as f64),
                    number(ratio),
                    beats,
                ],
            );
        }
        details.push(serde_json::json!({
            "group": group_name(&group.key),
            "origins": units.first().map(|u| u.backtest.iter().map(|o| month_label(o.month)).collect::<Vec<_>>()),
        }));
    }
    let mut notes = Vec::new();
    for (method, list) in METHODS.iter().zip(&losers) {
        if !list.is_empty() {
            notes.push(format!(
                "{method} was less accurate than seasonal naive (the same month a season \
                 earlier) in the backtest for {}",
                names(list)
            ));
        }
    }
    if !untested.is_empty() {
        notes.push(format!(
            "no backtest for {} (fewer than {MIN_ETS_MONTHS} months of history before the \
             last {} months)",
            names(&untested),
            settings.backtest
        ));
    }
    AnalysisResult {
        keys: rows.keys,
        columns: rows.columns,
        notes,
        details: Some(serde_json::json!({ "groups": details })),
        charts: Vec::new(),
    }
}
