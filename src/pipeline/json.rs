//! `--json`: the computed grouped and analysis tables, scalars, params, flags and each
//! analysis' details as JSON for other tools (numbers stay numbers, dates become ISO
//! text, errors their Excel spelling), and
//! `check --format json`: every diagnostic of the files checked in one array.

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::render::json_entries;
use crate::eval::engine::Evaluated;
use crate::lang::plan::{Plan, TableKind};
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
