//! Scenario texts longer than an Excel cell holds (32,767 characters, counted in UTF-16
//! units as Excel does): the workbook would show them shortened, so `check` and `run`
//! warn first (S0020). The JSON output keeps them whole.

use crate::diagnostic::{Code, Diagnostic};
use crate::value::Value;

use super::model::Scenario;

/// The most characters an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// A warning for each of the scenario's texts that no cell can hold whole: its name,
/// description, dashboard and chart titles, and text params.
pub fn check_long_texts(scenario: &Scenario) -> Vec<Diagnostic> {
    let locations = &scenario.locations;
    let mut texts: Vec<(String, &str)> = vec![("name".to_string(), scenario.name.as_str())];
    if let Some(description) = &scenario.description {
        texts.push(("description".to_string(), description));
    }
    if let Some(title) = &scenario.dashboard.title {
        texts.push(("dashboard.title".to_string(), title));
    }
    for (i, chart) in scenario.dashboard.charts.iter().enumerate() {
        if let Some(title) = &chart.title {
            texts.push((format!("dashboard.charts[{i}].title"), title));
        }
    }
    let mut out = Vec::new();
    for (key, text) in texts {
        if let Some(length) = too_long(text) {
            out.push(warning(&key, length, locations.best(&key)));
        }
    }
    for param in &scenario.params {
        if let Value::Text(text) = &param.value
            && let Some(length) = too_long(text)
        {
            out.push(warning(
                &format!("params.{}", param.name),
                length,
                param.span,
            ));
        }
    }
    out
}

/// The text's length in characters when Excel could not hold it in one cell.
fn too_long(text: &str) -> Option<usize> {
    (text.len() > MAX_CELL_CHARS && text.encode_utf16().count() > MAX_CELL_CHARS)
        .then(|| text.chars().count())
}

fn warning(key: &str, length: usize, span: crate::diagnostic::source::Span) -> Diagnostic {
    Diagnostic::warning(
        Code::LongText,
        format!(
            "`{key}` is {length} characters long; an Excel cell holds {MAX_CELL_CHARS}, so the workbook will show it shortened"
        ),
        span,
    )
    .with_label("longer than a cell holds")
    .with_hint("shorten it; the run's JSON output (--json) keeps the whole text")
}
