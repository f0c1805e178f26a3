//! `--json`: the computed grouped and analysis tables, scalars, params, flags and each
//! analysis' details as JSON for other tools (numbers stay numbers, dates become ISO
//! text, errors their Excel spelling), and
//! `compare --json`: what changes between scenarios, and
//! `check --format json`: every diagnostic of the files checked in one array.

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::render::json_entries;
use crate::eval::engine::Evaluated;
use crate::lang::plan::{Plan, TableKind};
use crate::report::CompareReport;
use crate::report::differences::{aligned_tables, compared_metrics, flag_changes, scenario_labels};
use crate::report::text::humanize;
use crate::value::Value;
use crate::value::datetime::ymd_from_serial;

use super::Diagnosed;

/// What the document's `generator` starts with; how `run` recognises a JSON file it
/// wrote before and may replace.
pub const GENERATOR: &str = "chanmix ";

/// One value as JSON. An error is an object saying where it came from:
/// `{"error": "#N/A", "rule": "Pipeline.list_price", "row": 3, "reason": "…"}` (`row`
/// is zero-based, `rule`, `row` and `reason` only when known).
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Blank => Json::Null,
        Value::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t.to_string()),
        Value::Bool(b) => Json::Bool(*b),
        Value::Date(serial) => match ymd_from_serial(*serial) {
            Some((y, m, d)) => Json::String(format!("{y:04}-{m:02}-{d:02}")),
            None => Json::Null,
        },
        Value::Error(e) => {
            let mut object = Map::new();
            object.insert("error".into(), Json::String(e.kind.as_str().to_string()));
            if let Some(origin) = &e.origin {
                object.insert("rule".into(), Json::String(origin.rule.to_string()));
                if let Some(row) = origin.row {
                    object.insert("row".into(), json!(row));
                }
                object.insert("reason".into(), Json::String(origin.reason.to_string()));
            }
            Json::Object(object)
        }
    }
}

/// `run --json`: [`evaluated_to_json`] with what went wrong in the data under
/// `data_issues` (each with severity, kind, place, value, count and message).
pub fn run_to_json(
    scenario: &str,
    plan: &Plan,
    result: &Evaluated,
    issues: &crate::report::issues::DataIssues,
) -> String {
    let text = evaluated_to_json(scenario, plan, result);
    let Ok(Json::Object(mut document)) = serde_json::from_str::<Json>(&text) else {
        return text;
    };
    document.insert(
        "data_issues".into(),
        serde_json::to_value(&issues.issues).unwrap_or_default(),
    );
    serde_json::to_string_pretty(&Json::Object(document)).unwrap_or(text)
}

/// The run as a JSON document: grouped tables as arrays of row objects (input tables
/// are left out: they can hold a million rows and the caller has them already).
pub fn evaluated_to_json(scenario: &str, plan: &Plan, result: &Evaluated) -> String {
    let mut tables = Map::new();
    for (table_plan, table) in plan.tables.iter().zip(&result.tables) {
        if matches!(table_plan.kind, TableKind::Input) {
            continue;
        }
        let rows: Vec<Json> = (0..table.row_count)
            .map(|row| {
                let mut object = Map::new();
                for column in &table.columns {
                    let value = column.value(row).as_ref().map_or(Json::Null, value_to_json);
                    object.insert(column.name.to_string(), value);
                }
                Json::Object(object)
            })
            .collect();
        tables.insert(table.name.to_string(), Json::Array(rows));
    }
    let scalars: Map<String, Json> = result
        .scalars
        .iter()
        .map(|(name, value)| (name.to_string(), value_to_json(value)))
        .collect();
    let params: Map<String, Json> = result
        .params
        .iter()
        .map(|(name, value)| (name.to_string(), value_to_json(value)))
        .collect();
    let flags: Vec<Json> = result
        .flags
        .iter()
        .map(|f| {
            json!({
                "table": &*f.table,
                "subject": f.subject,
                "message": f.message,
                "severity": f.severity.as_str(),
                "stake": f.stake,
                "fired": f.fired,
                "topic": f.topic.as_deref(),
                "superseded": f.superseded,
            })
        })
        .collect();
    let mut document = json!({
        "generator": format!("{GENERATOR}{}", env!("CARGO_PKG_VERSION")),
        "scenario": scenario,
        "params": params,
        "scalars": scalars,
        "tables": tables,
        "flags": flags,
    });
    // Each analysis' details under its key, one object per analysis table; its notes
    // beside them.
    if let Json::Object(top) = &mut document {
        for report in &result.analyses {
            let table = plan.tables.get(report.table).map_or("", |t| &*t.name);
            let mut details = report.details.clone().unwrap_or_else(|| json!({}));
            if let Json::Object(object) = &mut details
                && !report.notes.is_empty()
            {
                object.insert("notes".into(), json!(report.notes));
            }
            if let Json::Object(by_table) = top
                .entry(report.json_key)
                .or_insert_with(|| Json::Object(Map::new()))
            {
                by_table.insert(table.to_string(), details);
            }
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// The diagnostics of every checked file, scenario and rule set as one JSON array.
pub fn diagnostics_to_json<'a>(checked: impl IntoIterator<Item = &'a Diagnosed>) -> String {
    let entries: Vec<Json> = checked
        .into_iter()
        .flat_map(|d| json_entries(&d.diagnostics, &d.sources))
        .collect();
    serde_json::to_string_pretty(&Json::Array(entries)).unwrap_or_default()
}

/// One finding as JSON, for the lists of findings raised and cleared.
fn finding_to_json(hit: &crate::eval::engine::FlagHit) -> Json {
    json!({
        "table": &*hit.table,
        "subject": hit.subject,
        "message": hit.message,
        "severity": hit.severity.as_str(),
        "stake": hit.stake,
        "fired": hit.fired,
    })
}

/// `compare --json`: the scenarios (labels are the keys used below), the params that
/// differ, each key figure per scenario with its change against the baseline, the
/// findings each scenario raises and clears, and per table the rows of the columns that
/// change (tables no scenario changes are only named).
pub fn compare_to_json(report: &CompareReport) -> String {
    let runs = &report.runs;
    let labels = scenario_labels(runs);
    let Some(base) = runs.first() else {
        return String::new();
    };
    let scenarios: Vec<Json> = runs
        .iter()
        .zip(&labels)
        .map(|(run, label)| {
            json!({
                "label": label,
                "name": run.title,
                "description": run.description,
                "file": run
                    .provenance
                    .scenario_files
                    .first()
                    .map(|f| f.path.display().to_string()),
            })
        })
        .collect();
    let by_label =
        |values: Vec<Json>| -> Map<String, Json> { labels.iter().cloned().zip(values).collect() };
    let param = |run: &crate::report::RunReport, name: &str| -> Option<Json> {
        run.result
            .params
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| value_to_json(v))
    };
    let mut params = Map::new();
    for run in runs {
        for (name, _) in &run.result.params {
            if params.contains_key(&**name) {
                continue;
            }
            let values: Vec<Json> = runs
                .iter()
                .map(|r| param(r, name).unwrap_or(Json::Null))
                .collect();
            if values.iter().any(|v| *v != values[0]) {
                params.insert(name.to_string(), Json::Object(by_label(values)));
            }
        }
    }
    let kpis: Vec<Json> = compared_metrics(base)
        .iter()
        .map(|name| {
            let values: Vec<Value> = runs
                .iter()
                .map(|r| r.result.scalar(name).cloned().unwrap_or_default())
                .collect();
            let mut deltas = Map::new();
            let mut percents = Map::new();
            for (value, label) in values.iter().zip(&labels).skip(1) {
                let change = match (values[0].as_f64(), value.as_f64()) {
                    (Some(a), Some(b)) => Some((b - a, (a != 0.0).then(|| (b - a) / a.abs()))),
                    _ => None,
                };
                deltas.insert(label.clone(), json!(change.map(|c| c.0)));
                percents.insert(label.clone(), json!(change.and_then(|c| c.1)));
            }
            json!({
                "metric": name,
                "label": humanize(name),
                "values": by_label(values.iter().map(value_to_json).collect()),
                "delta": deltas,
                "delta_percent": percents,
            })
        })
        .collect();
    let findings: Map<String, Json> = runs
        .iter()
        .zip(&labels)
        .skip(1)
        .map(|(run, label)| {
            let changes = flag_changes(base, run);
            let list = |hits: &[&crate::eval::engine::FlagHit]| -> Vec<Json> {
                hits.iter().map(|hit| finding_to_json(hit)).collect()
            };
            let entry = json!({
                "raised": list(&changes.raised),
                "cleared": list(&changes.cleared),
                "in_both": changes.kept,
            });
            (label.clone(), entry)
        })
        .collect();
    let aligned = aligned_tables(runs);
    let mut tables = Map::new();
    let mut unchanged = Vec::new();
    for table in &aligned {
        if table.changed.is_empty() {
            unchanged.push(Json::String(table.plan.name.to_string()));
            continue;
        }
        let key_names: Vec<&str> = table
            .plan
            .columns
            .iter()
            .take(table.keys)
            .map(|c| &*c.name)
            .collect();
        let rows: Vec<Json> = table
            .rows
            .iter()
            .enumerate()
            .map(|(r, key)| {
                let mut object = Map::new();
                for (name, value) in key_names.iter().zip(key) {
                    object.insert(name.to_string(), value_to_json(value));
                }
                for column in &table.changed {
                    let values: Vec<Json> = (0..runs.len())
                        .map(|s| {
                            table
                                .value(s, r, &column.name)
                                .map_or(Json::Null, |v| value_to_json(&v))
                        })
                        .collect();
                    object.insert(column.name.to_string(), Json::Object(by_label(values)));
                }
                let absent: Vec<&String> = labels
                    .iter()
                    .enumerate()
                    .filter(|(s, _)| !table.has_row(*s, r))
                    .map(|(_, label)| label)
                    .collect();
                if !absent.is_empty() {
                    object.insert("missing_in".into(), json!(absent));
                }
                Json::Object(object)
            })
            .collect();
        let changed: Vec<&str> = table.changed.iter().map(|c| &*c.name).collect();
        tables.insert(
            table.plan.name.to_string(),
            json!({ "keys": key_names, "changed_columns": changed, "rows": rows }),
        );
    }
    let document = json!({
        "generator": format!("{GENERATOR}{}", env!("CARGO_PKG_VERSION")),
        "baseline": labels.first(),
        "scenarios": scenarios,
        "params_that_differ": params,
        "kpis": kpis,
        "findings": findings,
        "tables": tables,
        "unchanged_tables": unchanged,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
