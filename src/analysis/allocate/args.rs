//! Reading an allocation analysis' arguments: numbers, text and flags per source row or
//! once, source rows grouped by their key, and labels for messages ("Direct",
//! "Direct / Enterprise").

use std::collections::HashMap;

use crate::lang::analysis::{AnalysisError, AnalysisInput, ArgValues, OutputColumn, Parameter};
use crate::lang::ast::{Better, FormatKind, Look};
use crate::value::{Value, ValueType};

/// The arguments of one run, by name.
pub struct Args<'a> {
    pub input: &'a AnalysisInput<'a>,
    pub parameters: &'static [Parameter],
}

impl<'a> Args<'a> {
    pub fn new(input: &'a AnalysisInput<'a>, parameters: &'static [Parameter]) -> Self {
        Args { input, parameters }
    }

    pub fn given(&self, name: &str) -> Option<&'a ArgValues> {
        self.input.arg(self.parameters, name)
    }

    /// A value given once: its number, `None` when not given or blank; an error value
    /// or text is an error naming the argument.
    pub fn once_number(&self, name: &str) -> Result<Option<f64>, AnalysisError> {
        let Some(values) = self.given(name) else {
            return Ok(None);
        };
        match values.at(0) {
            Value::Blank => Ok(None),
            Value::Number(n) | Value::Date(n) if n.is_finite() => Ok(Some(*n)),
            Value::Bool(b) => Ok(Some(if *b { 1.0 } else { 0.0 })),
            other => Err(AnalysisError::new(format!(
                "`{name}` is {}, not a number",
                describe(other)
            ))
            .with_hint(format!(
                "give `{name}` a number (a param, a named value or a literal)"
            ))),
        }
    }

    pub fn once_text(&self, name: &str) -> Result<Option<String>, AnalysisError> {
        let Some(values) = self.given(name) else {
            return Ok(None);
        };
        match values.at(0) {
            Value::Blank => Ok(None),
            Value::Text(t) => Ok(Some(t.to_string())),
            Value::Error(_) => Err(AnalysisError::new(format!(
                "`{name}` is {}",
                describe(values.at(0))
            ))),
            other => Ok(other.to_text().ok().map(|t| t.to_string())),
        }
    }

    pub fn once_bool(&self, name: &str) -> Result<Option<bool>, AnalysisError> {
        let Some(values) = self.given(name) else {
            return Ok(None);
        };
        match values.at(0) {
            Value::Blank => Ok(None),
            v => v.to_bool().map(Some).map_err(|_| {
                AnalysisError::new(format!("`{name}` is {}, not TRUE or FALSE", describe(v)))
            }),
        }
    }

    /// The argument's value on `row` (blank when not given).
    pub fn at(&self, name: &str, row: usize) -> &'a Value {
        static BLANK: Value = Value::Blank;
        match self.given(name) {
            Some(values) => values.at(row),
            None => &BLANK,
        }
    }

    /// A number on `row`: `Ok(None)` for blank, an error naming the row for an error
    /// value or text.
    pub fn number_at(
        &self,
        name: &str,
        row: usize,
        label: &str,
    ) -> Result<Option<f64>, AnalysisError> {
        match self.at(name, row) {
            // `""` is how a formula says "no value" (IF(…, x, "")).
            Value::Blank => Ok(None),
            Value::Text(t) if t.is_empty() => Ok(None),
            Value::Number(n) | Value::Date(n) if n.is_finite() => Ok(Some(*n)),
            Value::Bool(b) => Ok(Some(if *b { 1.0 } else { 0.0 })),
            other => Err(
                AnalysisError::new(format!("`{name}` of {label} is {}", describe(other)))
                    .with_hint(format!("`{name}` must be a number on every row")),
            ),
        }
    }

    pub fn bool_at(&self, name: &str, row: usize, label: &str) -> Result<bool, AnalysisError> {
        match self.at(name, row) {
            Value::Blank => Ok(false),
            Value::Text(t) if t.is_empty() => Ok(false),
            v => v.to_bool().map_err(|_| {
                AnalysisError::new(format!(
                    "`{name}` of {label} is {}, not TRUE or FALSE",
                    describe(v)
                ))
            }),
        }
    }
}

/// A value for messages: `#N/A`, `text "abc"`, `12.5`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Blank => "blank".into(),
        Value::Error(e) => {
            let reason = e
                .origin
                .as_ref()
                .map(|o| format!(" ({})", o.reason))
                .unwrap_or_default();
            format!("{}{reason}", e.kind.as_str())
        }
        Value::Text(t) => format!("the text \"{t}\""),
        other => other
            .to_text()
            .map(|t| t.to_string())
            .unwrap_or_else(|_| other.type_name().to_string()),
    }
}

/// Source rows grouped by their key values, in order of first appearance.
pub struct KeyGroups {
    /// Source rows of each key.
    pub rows: Vec<Vec<usize>>,
    /// The first source row of each key (its key values are the output's).
    pub first: Vec<usize>,
    pub labels: Vec<String>,
}

impl KeyGroups {
    pub fn new(keys: &[Vec<Value>], rows: usize) -> KeyGroups {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups = KeyGroups {
            rows: Vec::new(),
            first: Vec::new(),
            labels: Vec::new(),
        };
        for row in 0..rows {
            let identity = identity(keys, row);
            let next = groups.rows.len();
            let g = *index.entry(identity).or_insert(next);
            if g == next {
                groups.rows.push(Vec::new());
                groups.first.push(row);
                groups.labels.push(label(keys, row));
            }
            groups.rows[g].push(row);
        }
        groups
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The output's key columns: one row per key.
    pub fn key_columns(&self, keys: &[Vec<Value>]) -> Vec<Vec<Value>> {
        keys.iter()
            .map(|column| {
                self.first
                    .iter()
                    .map(|&r| column.get(r).cloned().unwrap_or_default())
                    .collect()
            })
            .collect()
    }
}

/// Key values compared as Excel compares them (text without case).
fn identity(keys: &[Vec<Value>], row: usize) -> String {
    let mut out = String::new();
    for column in keys {
        match column.get(row) {
            Some(Value::Text(t)) => out.push_str(&t.to_lowercase()),
            Some(Value::Number(n) | Value::Date(n)) => out.push_str(&format!("#{n:?}")),
            Some(Value::Bool(b)) => out.push_str(if *b { "#T" } else { "#F" }),
            Some(Value::Error(e)) => out.push_str(e.kind.as_str()),
            _ => {}
        }
        out.push('\u{1f}');
    }
    out
}

/// The key of `row` for people: its values joined by " / " (dates as yyyy-mm-dd).
pub fn label(keys: &[Vec<Value>], row: usize) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|column| match column.get(row) {
            Some(Value::Date(d)) => crate::value::datetime::date_from_serial(*d)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| d.to_string()),
            Some(Value::Blank) | None => "(blank)".into(),
            Some(v) => v
                .to_text()
                .map(|t| t.to_string())
                .unwrap_or_else(|_| describe(v)),
        })
        .collect();
    if parts.is_empty() {
        "all rows".into()
    } else {
        parts.join(" / ")
    }
}

/// A number for a cell: finite numbers, blank otherwise (never NaN in a workbook).
pub fn cell(x: f64) -> Value {
    if x.is_finite() {
        Value::Number(x)
    } else {
        Value::Blank
    }
}

pub fn optional_cell(x: Option<f64>) -> Value {
    x.map_or(Value::Blank, cell)
}

/// An each-row parameter.
pub const fn each(
    name: &'static str,
    ty: ValueType,
    required: bool,
    summary: &'static str,
) -> Parameter {
    Parameter {
        name,
        each_row: true,
        ty,
        required,
        summary,
    }
}

/// A parameter given once.
pub const fn once(
    name: &'static str,
    ty: ValueType,
    required: bool,
    summary: &'static str,
) -> Parameter {
    Parameter {
        name,
        each_row: false,
        ty,
        required,
        summary,
    }
}

/// An output column.
pub fn output(
    name: &'static str,
    ty: ValueType,
    format: Option<&str>,
    better: Option<Better>,
) -> OutputColumn {
    let format = format.map(|f| match f {
        "currency" => FormatKind::Currency,
        "percent" => FormatKind::Percent,
        "integer" => FormatKind::Integer,
        "date" => FormatKind::Date,
        "decimal" => FormatKind::Decimal,
        custom => FormatKind::Custom(custom.to_string()),
    });
    OutputColumn {
        name,
        ty,
        format,
        look: Look {
            better,
            bar: false,
            icons: false,
            heat: false,
        },
    }
}
