//! The forecast analyses' input: the source rows read as deals (or cohorts of deals) in
//! calendar months, grouped by the `by` keys and the optional `part`, with every row
//! that cannot be used counted by reason so the user hears about it.

use std::collections::HashMap;

use crate::functions::forecast::{month_index, month_start};
use crate::lang::analysis::{AnalysisError, AnalysisInput, Parameter};
use crate::value::{Value, datetime::ymd_from_serial};

/// One row: a deal, or a cohort of deals that share every field but the amount.
#[derive(Debug, Clone)]
pub struct Deal {
    /// Month number (`year × 12 + month − 1`) the deal was created in.
    pub created: i64,
    /// Month it closed in; `None` while open.
    pub closed: Option<i64>,
    pub won: bool,
    pub amount: f64,
    /// How many deals the row stands for (1 for a deal).
    pub count: f64,
    /// Position of the row's current stage in [`Book::stages`], for open rows.
    pub stage: Option<usize>,
}

impl Deal {
    /// Months from the created month to the close month.
    pub fn lifetime(&self) -> Option<i64> {
        self.closed.map(|closed| closed - self.created)
    }
}

/// The deals of one group (and part), in source order.
#[derive(Debug, Clone, Default)]
pub struct Unit {
    pub deals: Vec<Deal>,
}

/// One output group: its key values and its units (one per part; one without parts).
#[derive(Debug, Clone)]
pub struct Group {
    pub key: Vec<Value>,
    pub units: Vec<Unit>,
    /// The parts' names, when the analysis splits the group into parts.
    pub part_names: Vec<Value>,
}

/// Everything the analyses read from the source rows.
#[derive(Debug)]
pub struct Book {
    pub groups: Vec<Group>,
    /// Distinct stage names of open rows (case as first seen).
    pub stages: Vec<String>,
    /// The last complete month.
    pub last_month: i64,
    /// The month `as_of` falls in when it is not the last day of it (its deals so far
    /// are known: won deals in it are booked revenue).
    pub partial_month: Option<i64>,
    /// The earliest created month of any usable row (where the export's history begins).
    pub export_start: i64,
    /// Why rows were left out, and how many.
    pub left_out: Vec<(String, usize)>,
}

/// Reads the named argument's value at `row` (or the single value).
fn arg<'a>(
    input: &'a AnalysisInput<'_>,
    parameters: &[Parameter],
    name: &str,
    row: usize,
) -> Option<&'a Value> {
    input.arg(parameters, name).map(|values| values.at(row))
}

/// A normalised key part: text compares case-insensitively, as Excel's grouping does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Number(u64),
    Text(String),
    Bool(bool),
}

fn key_part(value: &Value) -> Option<KeyPart> {
    match value {
        Value::Number(n) | Value::Date(n) => Some(KeyPart::Number(n.to_bits())),
        Value::Text(t) if !t.is_empty() => Some(KeyPart::Text(t.to_lowercase())),
        Value::Bool(b) => Some(KeyPart::Bool(*b)),
        _ => None,
    }
}

/// The month of a date argument: blank is `Ok(None)`, a date or number its month,
/// anything else an error.
fn month_of(value: Option<&Value>) -> Result<Option<i64>, ()> {
    match value {
        None | Some(Value::Blank) => Ok(None),
        Some(Value::Text(t)) if t.is_empty() => Ok(None),
        Some(Value::Number(n)) | Some(Value::Date(n)) => month_index(*n).map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

/// The as-of date: the `as_of` argument, else the scenario's `as_of`.
pub fn as_of(input: &AnalysisInput<'_>, parameters: &[Parameter]) -> Result<f64, AnalysisError> {
    match input.arg(parameters, "as_of").map(|values| values.at(0)) {
        Some(Value::Number(n)) | Some(Value::Date(n)) => Ok(*n),
        Some(Value::Blank) | None => input.context.as_of.ok_or_else(|| {
            AnalysisError::new(format!(
                "`{}` needs an as-of date to know which months are history and which are future",
                input.table
            ))
            .with_hint("set `as_of` in the scenario, or give the analysis `as_of = 2026-06-30`")
        }),
        Some(other) => Err(AnalysisError::new(format!(
            "`as_of` must be a date, got {}",
            other.type_name()
        ))),
    }
}

/// Reads the source rows into groups of deals.
pub fn read(input: &AnalysisInput<'_>, parameters: &[Parameter]) -> Result<Book, AnalysisError> {
    let as_of = as_of(input, parameters)?;
    let (year, month, day) = ymd_from_serial(as_of)
        .ok_or_else(|| AnalysisError::new("`as_of` is not a date Excel can show"))?;
    let as_of_month = i64::from(year) * 12 + i64::from(month) - 1;
    // `as_of` ends its month when the next day starts the next month.
    let month_ends_today = day >= 28 && month_start(as_of_month + 1) == Some(as_of.floor() + 1.0);
    let (last_month, partial_month) = if month_ends_today {
        (as_of_month, None)
    } else {
        (as_of_month - 1, Some(as_of_month))
    };
    let latest = partial_month.unwrap_or(last_month);

    let mut left_out: HashMap<&'static str, usize> = HashMap::new();
    let mut skip = |reason: &'static str| *left_out.entry(reason).or_default() += 1;
    let mut index: HashMap<Vec<KeyPart>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut part_index: Vec<HashMap<KeyPart, usize>> = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut stage_index: HashMap<String, usize> = HashMap::new();
    let mut export_start = i64::MAX;
    let has_parts = input.arg(parameters, "part").is_some();

    for row in 0..input.rows {
        if let Some(include) = arg(input, parameters, "include", row)
            && !matches!(include, Value::Bool(true))
        {
            continue;
        }
        let Some(key): Option<Vec<KeyPart>> = input
            .keys
            .iter()
            .map(|column| column.get(row).and_then(key_part))
            .collect()
        else {
            skip("a blank or error key");
            continue;
        };
        let amount = match arg(input, parameters, "amount", row) {
            Some(Value::Number(n)) if n.is_finite() => *n,
            _ => {
                skip("no numeric amount");
                continue;
            }
        };
        let count = match arg(input, parameters, "deals", row) {
            None => 1.0,
            Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => *n,
            Some(_) => {
                skip("a deal count that is not a number of 0 or more");
                continue;
            }
        };
        let Ok(Some(created)) = month_of(arg(input, parameters, "created", row)) else {
            skip("no created date");
            continue;
        };
        let Ok(closed) = month_of(arg(input, parameters, "closed", row)) else {
            skip("a close date that is not a date");
            continue;
        };
        let won = match arg(input, parameters, "won", row) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Blank) | None => false,
            Some(_) => {
                skip("a won flag that is not TRUE or FALSE");
                continue;
            }
        };
        if created > latest {
            skip("a created date after as_of");
            continue;
        }
        match closed {
            Some(c) if c > latest => {
                skip("a close date after as_of");
                continue;
            }
            Some(c) if c < created => {
                skip("a close date before the created date");
                continue;
            }
            None if won => {
                skip("won but no close date");
                continue;
            }
            _ => {}
        }
        let stage = match (closed, arg(input, parameters, "stage", row)) {
            (None, Some(Value::Text(t))) if !t.is_empty() => {
                let lower = t.to_lowercase();
                Some(*stage_index.entry(lower).or_insert_with(|| {
                    stages.push(t.to_string());
                    stages.len() - 1
                }))
            }
            _ => None,
        };
        let group = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                key: input
                    .keys
                    .iter()
                    .map(|column| column.get(row).cloned().unwrap_or_default())
                    .collect(),
                units: Vec::new(),
                part_names: Vec::new(),
            });
            part_index.push(HashMap::new());
            groups.len() - 1
        });
        let unit = if has_parts {
            let part = arg(input, parameters, "part", row);
            let Some(normal) = part.and_then(key_part) else {
                skip("a blank part");
                continue;
            };
            let parts = &mut part_index[group];
            let target = &mut groups[group];
            *parts.entry(normal).or_insert_with(|| {
                target.units.push(Unit::default());
                target.part_names.push(part.cloned().unwrap_or_default());
                target.units.len() - 1
            })
        } else {
            if groups[group].units.is_empty() {
                groups[group].units.push(Unit::default());
            }
            0
        };
        export_start = export_start.min(created);
        groups[group].units[unit].deals.push(Deal {
            created,
            closed,
            won: won && closed.is_some(),
            amount,
            count,
            stage,
        });
    }
    groups.sort_by(|a, b| {
        a.key
            .iter()
            .zip(&b.key)
            .map(|(x, y)| crate::value::excel_compare(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut left_out: Vec<(String, usize)> = left_out
        .into_iter()
        .map(|(reason, count)| (reason.to_string(), count))
        .collect();
    left_out.sort();
    Ok(Book {
        groups,
        stages,
        last_month,
        partial_month,
        export_start: if export_start == i64::MAX {
            last_month
        } else {
            export_start
        },
        left_out,
    })
}

/// `2026-06` for month number `m`.
pub fn month_label(m: i64) -> String {
    format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}
