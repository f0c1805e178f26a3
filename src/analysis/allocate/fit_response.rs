//! `table Curves = fit_response History by key (spend = …, outcome = …, …)`: one
//! response curve per key, fitted from the history's periods (or given by the scenario),
//! with its parameters as columns formulas can read, how well it fits, and the spend
//! range it was seen over.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde_json::json;

use super::args::{Args, KeyGroups, cell, each, label, once, optional_cell, output};
use super::curve::Curve;
use super::fit::{FamilyChoice, Observation, Period, fit_all, format_number, plural};
use crate::lang::analysis::{
    Analysis, AnalysisError, AnalysisInput, AnalysisResult, OutputColumn, Parameter,
};
use crate::suggest::Suggestion;
use crate::value::{Value, ValueType};
use chrono::Datelike;

#[derive(Debug)]
pub struct FitResponse;

const PARAMETERS: &[Parameter] = &[
    each("spend", ValueType::Number, true, "the period's spend"),
    each(
        "outcome",
        ValueType::Number,
        true,
        "the period's outcome the curve explains (pipeline, opportunities, won revenue …)",
    ),
    each(
        "period",
        ValueType::Date,
        false,
        "the period (a date); fits an effect per period shared by every key (seasonality, market trend)",
    ),
    once(
        "family",
        ValueType::Text,
        false,
        "\"hill\" (default), \"log\", \"power\", \"linear\" or \"best\" (the lowest AICc per key)",
    ),
    once(
        "given",
        ValueType::Text,
        false,
        "curves typed in instead of fitted: \"Direct: hill(a=…, k=…, s=…); Online: log(a=…, k=…)\"",
    ),
    once(
        "recent",
        ValueType::Number,
        false,
        "how many of the latest periods make the current level and spend (default 12)",
    ),
];

static OUTPUTS: LazyLock<Vec<OutputColumn>> = LazyLock::new(|| {
    vec![
        output("family", ValueType::Text, None, None),
        output("a", ValueType::Number, Some("#,##0.00"), None),
        output("k", ValueType::Number, Some("#,##0.00"), None),
        output("s", ValueType::Number, Some("0.000"), None),
        output("b", ValueType::Number, Some("0.000"), None),
        output("cap", ValueType::Number, Some("#,##0.00"), None),
        output("r2", ValueType::Number, Some("0.000"), None),
        output("rmse", ValueType::Number, Some("#,##0.00"), None),
        output("months", ValueType::Number, Some("integer"), None),
        output("spend_min", ValueType::Number, Some("currency"), None),
        output("spend_max", ValueType::Number, Some("currency"), None),
        output("spend_recent", ValueType::Number, Some("currency"), None),
        output("level_error", ValueType::Number, Some("percent"), None),
        output("curve", ValueType::Text, None, None),
        output("fit", ValueType::Text, None, None),
    ]
});

/// The recent periods when the rules do not say.
const DEFAULT_RECENT: usize = 12;

impl Analysis for FitResponse {
    fn name(&self) -> &'static str {
        "fit_response"
    }
    fn summary(&self) -> &'static str {
        "a response curve per key fitted from spend and outcome per period (hill, log, power, linear)"
    }
    fn json_key(&self) -> &'static str {
        "response_curves"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        &OUTPUTS
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let args = Args::new(input, PARAMETERS);
        let family_text = args.once_text("family")?.unwrap_or_else(|| "hill".into());
        let family = FamilyChoice::parse(&family_text).ok_or_else(|| {
            AnalysisError::new(format!("`{family_text}` is not a curve family"))
                .with_hint("family is \"hill\", \"log\", \"power\", \"linear\" or \"best\"")
        })?;
        let recent = match args.once_number("recent")? {
            Some(n) if n >= 1.0 => n.round() as usize,
            Some(n) => {
                return Err(AnalysisError::new(format!(
                    "`recent` is {n}; it counts periods and must be at least 1"
                )));
            }
            None => DEFAULT_RECENT,
        };
        let groups = KeyGroups::new(&input.keys, input.rows);
        let mut notes = Vec::new();
        let table = input.table;

        // Periods: distinct dates in time order.
        let has_period = args.given("period").is_some();
        let periods: Vec<f64> = if has_period {
            let set: BTreeSet<u64> = (0..input.rows)
                .filter_map(|r| args.at("period", r).as_f64())
                .filter(|p| p.is_finite())
                .map(f64::to_bits)
                .collect();
            let mut v: Vec<f64> = set.into_iter().map(f64::from_bits).collect();
            v.sort_by(f64::total_cmp);
            v
        } else {
            Vec::new()
        };
        let period_index = |p: f64| periods.binary_search_by(|q| q.total_cmp(&p)).ok();
        let period_info: Vec<Period> = periods
            .iter()
            .map(|&p| match crate::value::datetime::date_from_serial(p) {
                Some(d) => Period {
                    t: f64::from(d.year()) * 12.0
                        + f64::from(d.month0())
                        + f64::from(d.day0()) / 31.0,
                    month: d.month0() as usize,
                },
                None => Period {
                    t: p / 30.4375,
                    month: 0,
                },
            })
            .collect();

        // Observations per key; rows that cannot be used are counted and said.
        let mut skipped_blank = Vec::new();
        let mut skipped_negative = Vec::new();
        let mut history: Vec<Vec<Observation>> = Vec::with_capacity(groups.len());
        for rows in &groups.rows {
            let mut obs = Vec::with_capacity(rows.len());
            for &row in rows {
                let spend = args.at("spend", row);
                let outcome = args.at("outcome", row);
                let (Some(x), Some(y)) = (finite(spend), finite(outcome)) else {
                    skipped_blank.push(row_label(input, &args, row, has_period));
                    continue;
                };
                if x < 0.0 || y < 0.0 {
                    skipped_negative.push(format!(
                        "{} ({} {})",
                        row_label(input, &args, row, has_period),
                        if x < 0.0 { "spend" } else { "outcome" },
                        format_number(if x < 0.0 { x } else { y })
                    ));
                    continue;
                }
                let period = if has_period {
                    match args.at("period", row).as_f64().and_then(period_index) {
                        Some(p) => Some(p),
                        None => {
                            skipped_blank.push(row_label(input, &args, row, has_period));
                            continue;
                        }
                    }
                } else {
                    None
                };
                obs.push(Observation {
                    spend: x,
                    outcome: y,
                    period,
                });
            }
            history.push(obs);
        }
        if !skipped_blank.is_empty() {
            notes.push(format!(
                "{} with a blank or error spend, outcome or period left out of the fit ({})",
                plural(skipped_blank.len(), "row"),
                examples(&skipped_blank)
            ));
        }
        if !skipped_negative.is_empty() {
            notes.push(format!(
                "{} with a negative spend or outcome left out of the fit ({})",
                plural(skipped_negative.len(), "row"),
                examples(&skipped_negative)
            ));
        }

        let given = parse_given(args.once_text("given")?.as_deref(), &groups, table)?;
        let fit = fit_all(&history, &period_info, family, recent, &given);
        if let Some(effects) = &fit.period_effects {
            notes.push(format!(
                "fitted with a seasonal index by calendar month and a trend shared by the {} keys (over {}), so a month strong for everyone is not read as a response to spend; the curves describe the level of the last {}",
                groups.len(),
                plural(periods.len(), "period"),
                plural(recent.min(effects.len()), "period")
            ));
        } else if has_period && groups.len() < 2 {
            notes.push(
                "seasonality and trend shared by the keys need two or more keys to be told apart from the response; fitted without them"
                    .to_string(),
            );
        }

        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(groups.len()); OUTPUTS.len()];
        let mut curves_json = Vec::new();
        for (g, obs) in history.iter().enumerate() {
            let name = &groups.labels[g];
            let spends: Vec<f64> = obs.iter().map(|o| o.spend).filter(|x| *x > 0.0).collect();
            let spend_min = spends.iter().copied().fold(f64::INFINITY, f64::min);
            let spend_max = spends.iter().copied().fold(0.0f64, f64::max);
            let spend_recent = recent_spend(obs, recent, periods.len());
            let row: [Value; 15];
            match &fit.keys[g] {
                Ok(f) => {
                    let [a, k, s, b, cap] = f.curve.parameters();
                    let source = if given[g].is_some() {
                        "given"
                    } else {
                        "fitted"
                    };
                    if given[g].is_some() {
                        notes.push(format!(
                            "{name}'s curve is given by the scenario ({}); against the history it has R² {:.2}",
                            f.curve, f.r2
                        ));
                    } else {
                        if let Some(limit) = &f.at_limit {
                            notes.push(format!("{name}: {limit}"));
                        }
                        if f.r2 < 0.1 {
                            notes.push(format!(
                                "{name}'s curve explains little of its history (R² {:.2}): the outcome barely follows spend there, so the plan sees little return from more of it",
                                f.r2
                            ));
                        }
                    }
                    row = [
                        Value::text(f.curve.family()),
                        optional_cell(a),
                        optional_cell(k),
                        optional_cell(s),
                        optional_cell(b),
                        optional_cell(cap),
                        cell(f.r2),
                        cell(f.rmse),
                        Value::Number(f.n as f64),
                        cell(spend_min),
                        cell(spend_max),
                        optional_cell(spend_recent),
                        cell(f.level_error),
                        Value::text(&f.curve.to_string()),
                        Value::text(source),
                    ];
                    curves_json.push(json!({
                        "key": name,
                        "family": f.curve.family(),
                        "a": a, "k": k, "s": s, "b": b, "cap": cap,
                        "r2": finite_json(f.r2),
                        "rmse": finite_json(f.rmse),
                        "months": f.n,
                        "spend_min": finite_json(spend_min),
                        "spend_max": finite_json(spend_max),
                        "level_error": finite_json(f.level_error),
                        "fit": source,
                    }));
                }
                Err(reason) => {
                    notes.push(format!(
                        "{name} has no curve: {reason}; a plan using it keeps its spend where it is"
                    ));
                    row = [
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Blank,
                        Value::Number(obs.len() as f64),
                        cell(spend_min),
                        cell(spend_max),
                        optional_cell(spend_recent),
                        Value::Blank,
                        Value::text(""),
                        Value::text(&format!("no curve: {reason}")),
                    ];
                    curves_json.push(json!({ "key": name, "family": null, "fit": format!("no curve: {reason}") }));
                }
            }
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
        let effects_json = fit.period_effects.as_ref().map(|effects| {
            periods
                .iter()
                .zip(effects)
                .map(|(p, e)| json!({ "period": iso_date(*p), "effect": finite_json(*e) }))
                .collect::<Vec<_>>()
        });
        Ok(AnalysisResult {
            keys: groups.key_columns(&input.keys),
            columns,
            notes,
            details: Some(json!({
                "family": family_text.to_ascii_lowercase(),
                "recent": recent,
                "curves": curves_json,
                "period_effects": effects_json,
            })),
            charts: Vec::new(),
        })
    }
}

fn finite(value: &Value) -> Option<f64> {
    value.as_f64().filter(|x| x.is_finite())
}

pub fn finite_json(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
}

pub fn iso_date(serial: f64) -> String {
    crate::value::datetime::date_from_serial(serial)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| serial.to_string())
}

fn row_label(input: &AnalysisInput<'_>, args: &Args<'_>, row: usize, has_period: bool) -> String {
    let key = label(&input.keys, row);
    match (has_period, args.at("period", row).as_f64()) {
        (true, Some(p)) => format!("{key} {}", iso_date(p)),
        _ => key,
    }
}

fn examples(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
    let more = items.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Mean spend over the latest `recent` periods (or observations, without periods).
fn recent_spend(obs: &[Observation], recent: usize, periods: usize) -> Option<f64> {
    let chosen: Vec<f64> = if periods > 0 {
        let first = periods.saturating_sub(recent);
        obs.iter()
            .filter(|o| o.period.is_some_and(|p| p >= first))
            .map(|o| o.spend)
            .collect()
    } else {
        obs.iter().rev().take(recent).map(|o| o.spend).collect()
    };
    if chosen.is_empty() {
        None
    } else {
        Some(chosen.iter().sum::<f64>() / chosen.len() as f64)
    }
}

/// `"Direct: hill(a=…); Online: log(a=…, k=…)"` → a curve per key (by label, any case).
fn parse_given(
    text: Option<&str>,
    groups: &KeyGroups,
    table: &str,
) -> Result<Vec<Option<Curve>>, AnalysisError> {
    let mut given = vec![None; groups.len()];
    let Some(text) = text else {
        return Ok(given);
    };
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, curve_text)) = part.split_once(':') else {
            return Err(AnalysisError::new(format!(
                "the given curve `{part}` has no key: write \"Key: family(a=…, …)\""
            )));
        };
        let key = key.trim();
        let curve = Curve::parse(curve_text)
            .map_err(|e| AnalysisError::new(format!("the given curve for {key}: {e}")))?;
        let Some(g) = groups
            .labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(key))
        else {
            let mut error = AnalysisError::new(format!(
                "the given curve for `{key}` matches no key of {table}"
            ));
            error = match Suggestion::closest(key, groups.labels.iter().map(String::as_str)) {
                Some(s) => error.with_hint(s.to_string()),
                None => error.with_hint(format!("its keys are: {}", groups.labels.join(", "))),
            };
            return Err(error);
        };
        if given[g].is_some() {
            return Err(AnalysisError::new(format!(
                "a curve for {key} is given twice"
            )));
        }
        given[g] = Some(curve);
    }
    Ok(given)
}
