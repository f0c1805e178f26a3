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

/// One value as JSON.
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
        Value::Error(e) => Json::String(e.kind.as_str().to_string()),
    }
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
