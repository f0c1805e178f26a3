//! `top`: the rows with the largest (or smallest) value, overall or within each key.
//! `table T = top Source [by key] (value = formula, rows = 25, name = formula, …)` keeps
//! at most `rows` rows per key, ranked 1, 2, … (equal values keep their source order),
//! and copies each carried argument `name` into a column of that name — a "top 25 by
//! value" list a reader can act on without sorting a sheet.

use crate::lang::analysis::{
    Analysis, AnalysisError, AnalysisInput, AnalysisResult, NO_GROUP, OutputColumn, Parameter,
};
use crate::lang::ast::{FormatKind, Look};
use crate::value::{Value, ValueType};

/// Rows kept per key when `rows` is not given.
pub const DEFAULT_ROWS: usize = 25;

#[derive(Debug)]
pub struct Top;

const PARAMETERS: &[Parameter] = &[
    Parameter {
        name: "value",
        each_row: true,
        ty: ValueType::Number,
        required: true,
        summary: "what the rows are ranked by (rows where it is not a number are left out)",
    },
    Parameter {
        name: "rows",
        each_row: false,
        ty: ValueType::Number,
        required: false,
        summary: "how many rows to keep, per key when `by` is given (default 25)",
    },
    Parameter {
        name: "include",
        each_row: true,
        ty: ValueType::Bool,
        required: false,
        summary: "rows where this is FALSE are not ranked",
    },
    Parameter {
        name: "ascending",
        each_row: false,
        ty: ValueType::Bool,
        required: false,
        summary: "TRUE keeps the smallest values instead of the largest",
    },
];

const OUTPUTS: &[OutputColumn] = &[OutputColumn {
    name: "rank",
    ty: ValueType::Number,
    format: Some(FormatKind::Integer),
    look: Look {
        better: None,
        bar: false,
        icons: false,
        heat: false,
    },
}];

impl Analysis for Top {
    fn name(&self) -> &'static str {
        "top"
    }

    fn summary(&self) -> &'static str {
        "the rows with the largest values (or smallest), overall or within each key, ranked"
    }

    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }

    fn outputs(&self) -> &'static [OutputColumn] {
        OUTPUTS
    }

    fn carried_prefixes(&self) -> &'static [&'static str] {
        &[""]
    }

    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let arg = |name: &str| input.arg(PARAMETERS, name);
        let Some(value) = arg("value") else {
            return Err(AnalysisError::new("`top` needs `value`"));
        };
        let keep_per_key = match arg("rows").map(|a| a.at(0)) {
            None | Some(Value::Blank) => DEFAULT_ROWS,
            Some(v) => match v.as_f64() {
                Some(n) if n >= 0.0 && n.is_finite() => n as usize,
                _ => {
                    return Err(AnalysisError::new(
                        "`rows` must be a number of rows (0 or more)",
                    ));
                }
            },
        };
        let ascending = matches!(arg("ascending").map(|a| a.at(0)), Some(Value::Bool(true)));
        let include = arg("include");
        let rows = input.rows;
        let mut not_numbers = 0usize;
        let keep: Vec<bool> = (0..rows)
            .map(|row| {
                if include.is_some_and(|i| !matches!(i.at(row), Value::Bool(true))) {
                    return false;
                }
                let number = value.at(row).as_f64().is_some_and(f64::is_finite);
                if !number {
                    not_numbers += 1;
                }
                number
            })
            .collect();
        let key_slices: Vec<&[Value]> = input.keys.iter().map(Vec::as_slice).collect();
        let group_of: Vec<u32> = if key_slices.is_empty() {
            keep.iter().map(|k| if *k { 0 } else { NO_GROUP }).collect()
        } else {
            input
                .coding
                .groups(&key_slices, rows, Some(&keep))
                .row_groups
        };
        // One sort: by group (key order), then value, then source order.
        let mut order: Vec<usize> = (0..rows).filter(|r| group_of[*r] != NO_GROUP).collect();
        let number = |row: usize| value.at(row).as_f64().unwrap_or(0.0);
        order.sort_by(|&a, &b| {
            let by_value = number(a).total_cmp(&number(b));
            group_of[a]
                .cmp(&group_of[b])
                .then(if ascending {
                    by_value
                } else {
                    by_value.reverse()
                })
                .then(a.cmp(&b))
        });
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        let mut rank = 0usize;
        let mut previous = None;
        for row in order {
            if previous != Some(group_of[row]) {
                previous = Some(group_of[row]);
                rank = 0;
            }
            rank += 1;
            if rank <= keep_per_key {
                chosen.push((row, rank));
            }
        }
        let keys = input
            .keys
            .iter()
            .map(|k| {
                chosen
                    .iter()
                    .map(|(row, _)| k.get(*row).cloned().unwrap_or_default())
                    .collect()
            })
            .collect();
        // The rank, then the source row the carried values come from.
        let columns = vec![
            chosen
                .iter()
                .map(|(_, rank)| Value::Number(*rank as f64))
                .collect(),
            chosen
                .iter()
                .map(|(row, _)| Value::Number(*row as f64))
                .collect(),
        ];
        let mut notes = Vec::new();
        if not_numbers > 0 {
            notes.push(format!(
                "{}: {not_numbers} rows of {} have no number to rank by and are left out",
                input.table, rows
            ));
        }
        Ok(AnalysisResult {
            keys,
            columns,
            notes,
            details: Some(serde_json::json!({ "rows": chosen.len(), "per_key": keep_per_key })),
            charts: Vec::new(),
        })
    }
}
