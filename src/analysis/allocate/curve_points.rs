//! `table CurveChart = curve_points History by key (spend = …, outcome = …, curve = …,
//! current = …, recommended = …)`: the points that draw each key's response curve
//! against its history — the history's periods, the curve along a grid of spend up to
//! past the largest seen, and the current and recommended spend marked on it — sorted
//! by spend, with one chart per key beside the table.

use std::sync::LazyLock;

use super::args::{Args, KeyGroups, cell, each, once, output};
use super::curve::Curve;
use crate::lang::analysis::{
    Analysis, AnalysisError, AnalysisInput, AnalysisResult, ChartRequest, ChartShape, OutputColumn,
    Parameter,
};
use crate::value::{Value, ValueType};

#[derive(Debug)]
pub struct CurvePoints;

const PARAMETERS: &[Parameter] = &[
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
        "the key's response per period as text",
    ),
    each(
        "current",
        ValueType::Number,
        false,
        "the key's current spend a period, marked on the curve",
    ),
    each(
        "recommended",
        ValueType::Number,
        false,
        "the key's recommended spend a period, marked on the curve",
    ),
    once(
        "points",
        ValueType::Number,
        false,
        "points along the curve (default 40)",
    ),
];

static OUTPUTS: LazyLock<Vec<OutputColumn>> = LazyLock::new(|| {
    vec![
        // The key as one text (the chart a row belongs to, for any number of keys).
        output("chart", ValueType::Text, None, None),
        output("spend", ValueType::Number, Some("currency"), None),
        output("observed", ValueType::Number, Some("#,##0"), None),
        output("fitted", ValueType::Number, Some("#,##0"), None),
        output("current", ValueType::Number, Some("#,##0"), None),
        output("recommended", ValueType::Number, Some("#,##0"), None),
    ]
});

impl Analysis for CurvePoints {
    fn name(&self) -> &'static str {
        "curve_points"
    }
    fn summary(&self) -> &'static str {
        "points drawing each key's response curve against its history, with current and recommended spend marked"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        &OUTPUTS
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let args = Args::new(input, PARAMETERS);
        let points = match args.once_number("points")? {
            Some(p) if (2.0..=1000.0).contains(&p) => p.round() as usize,
            Some(p) => {
                return Err(AnalysisError::new(format!(
                    "`points` is {p}; draw between 2 and 1,000 points"
                )));
            }
            None => 40,
        };
        let groups = KeyGroups::new(&input.keys, input.rows);
        let mut key_columns: Vec<Vec<Value>> = vec![Vec::new(); input.keys.len()];
        let mut columns: Vec<Vec<Value>> = vec![Vec::new(); OUTPUTS.len()];
        let mut charts = Vec::new();
        let mut skipped = Vec::new();
        for (g, rows) in groups.rows.iter().enumerate() {
            let name = &groups.labels[g];
            let curve = rows.iter().find_map(|&r| match args.at("curve", r) {
                Value::Text(t) if !t.trim().is_empty() => Some(t.to_string()),
                _ => None,
            });
            let Some(text) = curve else {
                skipped.push(name.clone());
                continue;
            };
            let curve = Curve::parse(&text)
                .map_err(|e| AnalysisError::new(format!("the curve of {name}: {e}")))?;
            let mark = |arg: &str| {
                rows.iter()
                    .find_map(|&r| args.at(arg, r).as_f64())
                    .filter(|x| x.is_finite() && *x >= 0.0)
            };
            let (current, recommended) = (mark("current"), mark("recommended"));
            // (spend, observed, is current mark, is recommended mark)
            let mut drawn: Vec<(f64, Option<f64>, bool, bool)> = rows
                .iter()
                .filter_map(|&r| {
                    let x = args.at("spend", r).as_f64()?;
                    let y = args.at("outcome", r).as_f64()?;
                    (x.is_finite() && y.is_finite() && x >= 0.0).then_some((
                        x,
                        Some(y),
                        false,
                        false,
                    ))
                })
                .collect();
            let largest = drawn
                .iter()
                .map(|d| d.0)
                .chain(current)
                .chain(recommended)
                .fold(0.0f64, f64::max);
            let top = if largest > 0.0 { largest * 1.25 } else { 1.0 };
            for i in 0..points {
                drawn.push((top * i as f64 / (points - 1) as f64, None, false, false));
            }
            if let Some(x) = current {
                drawn.push((x, None, true, false));
            }
            if let Some(x) = recommended {
                drawn.push((x, None, false, true));
            }
            drawn.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (x, observed, is_current, is_recommended) in drawn {
                for (column, keys) in key_columns.iter_mut().zip(&input.keys) {
                    column.push(keys.get(groups.first[g]).cloned().unwrap_or_default());
                }
                let fitted = curve.value(x);
                let values = [
                    Value::text(name),
                    cell(x),
                    observed.map_or(Value::Blank, cell),
                    cell(fitted),
                    if is_current {
                        cell(fitted)
                    } else {
                        Value::Blank
                    },
                    if is_recommended {
                        cell(fitted)
                    } else {
                        Value::Blank
                    },
                ];
                for (column, value) in columns.iter_mut().zip(values) {
                    column.push(value);
                }
            }
            {
                charts.push(ChartRequest {
                    title: format!("{name}: response to spend"),
                    table: input.table.into(),
                    shape: ChartShape::PointsLineAndMarkers,
                    category: "spend".into(),
                    series: vec![
                        "observed".into(),
                        "fitted".into(),
                        "current".into(),
                        "recommended".into(),
                    ],
                    rows_where: Some(("chart".into(), Value::text(name))),
                });
            }
        }
        let mut notes = Vec::new();
        if !skipped.is_empty() {
            notes.push(format!("no curve to draw for {}", skipped.join(", ")));
        }
        Ok(AnalysisResult {
            keys: key_columns,
            columns,
            notes,
            details: None,
            charts,
        })
    }
}
