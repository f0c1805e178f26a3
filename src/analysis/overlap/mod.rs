//! `pairs`: a self-join. `table T = pairs Source by key (start = …, end = …, differ = …,
//! match = …, name = formula, …)` gives one row for each side of every pair of `Source`
//! rows that share the key (and, given `start`/`end`, whose intervals overlap; given
//! `differ`, whose values differ; given `match`, whose values agree where both are
//! known): each row holds this row's carried values as `name` and the other row's as
//! `other_name`. The pairs come from one sort and a sweep per key (`sweep`), so the cost
//! follows the rows and the pairs found, not rows squared.

mod sweep;

use std::fmt::Write as _;

use crate::lang::analysis::{
    Analysis, AnalysisCall, AnalysisError, AnalysisInput, AnalysisResult, ArgValues, NO_GROUP,
    OutputColumn, Parameter, RowGroups, UsageProblem,
};
use crate::lang::ast::{FormatKind, Look};
use crate::value::{Value, ValueType};

use sweep::{ANY_MATCH, SweepRow, TooManyPairs, sweep};

/// The most pairs a `pairs` table makes unless `max_pairs` says otherwise (each pair is
/// two rows of the output).
pub const DEFAULT_MAX_PAIRS: usize = 2_000_000;

/// Source rows left out, with a few examples, for the notes.
#[derive(Default)]
struct LeftOut {
    count: usize,
    examples: Vec<String>,
}

impl LeftOut {
    fn add(&mut self, row: usize, keys: &[Vec<Value>]) {
        self.count += 1;
        if self.examples.len() < 3 {
            let key: Vec<String> = keys
                .iter()
                .map(|k| k.get(row).map(describe).unwrap_or_default())
                .collect();
            self.examples
                .push(format!("row {} ({})", row + 1, key.join(", ")));
        }
    }

    fn note(&self, table: &str, source_rows: &str, why: &str) -> Option<String> {
        (self.count > 0).then(|| {
            format!(
                "{table}: {} {source_rows} {why} and take part in no pair (e.g. {})",
                self.count,
                self.examples.join("; ")
            )
        })
    }
}

#[derive(Debug)]
pub struct Pairs;

const NO_LOOK: Look = Look {
    better: None,
    bar: false,
    icons: false,
    heat: false,
};

const PARAMETERS: &[Parameter] = &[
    Parameter {
        name: "start",
        each_row: true,
        ty: ValueType::Date,
        required: false,
        summary: "where each row's interval starts (e.g. created_date); pairs must overlap",
    },
    Parameter {
        name: "end",
        each_row: true,
        ty: ValueType::Date,
        required: false,
        summary: "where each row's interval ends, inclusive (e.g. close date, or TODAY() while open)",
    },
    Parameter {
        name: "differ",
        each_row: true,
        ty: ValueType::Any,
        required: false,
        summary: "pair only rows whose values differ (text compared ignoring case)",
    },
    Parameter {
        name: "match",
        each_row: true,
        ty: ValueType::Any,
        required: false,
        summary: "pair only rows whose values are equal, or where either is blank (unknown)",
    },
    Parameter {
        name: "include",
        each_row: true,
        ty: ValueType::Bool,
        required: false,
        summary: "rows where this is FALSE take part in no pair",
    },
    Parameter {
        name: "self_pair",
        each_row: true,
        ty: ValueType::Bool,
        required: false,
        summary: "rows where this is TRUE are also paired with themselves (one output row), e.g. a row standing for several members",
    },
    Parameter {
        name: "max_pairs",
        each_row: false,
        ty: ValueType::Number,
        required: false,
        summary: "stop with an error past this many pairs (default 2,000,000)",
    },
];

const OUTPUTS: &[OutputColumn] = &[
    OutputColumn {
        name: "overlap_start",
        ty: ValueType::Date,
        format: Some(FormatKind::Date),
        look: NO_LOOK,
    },
    OutputColumn {
        name: "overlap_end",
        ty: ValueType::Date,
        format: Some(FormatKind::Date),
        look: NO_LOOK,
    },
    OutputColumn {
        name: "overlap_days",
        ty: ValueType::Number,
        format: Some(FormatKind::Integer),
        look: NO_LOOK,
    },
    OutputColumn {
        name: "first_of_pair",
        ty: ValueType::Bool,
        format: None,
        look: NO_LOOK,
    },
    OutputColumn {
        name: "first_for_row",
        ty: ValueType::Bool,
        format: None,
        look: NO_LOOK,
    },
];

impl Analysis for Pairs {
    fn name(&self) -> &'static str {
        "pairs"
    }

    fn summary(&self) -> &'static str {
        "pairs of rows sharing the key (a self-join), optionally overlapping in time and differing in a value; one row per side"
    }

    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }

    fn outputs(&self) -> &'static [OutputColumn] {
        OUTPUTS
    }

    fn carried_prefixes(&self) -> &'static [&'static str] {
        &["", "other_"]
    }

    fn groups_by_key(&self) -> bool {
        true
    }

    fn keys_follow_rows(&self) -> bool {
        true
    }

    fn check(&self, call: &AnalysisCall<'_>) -> Vec<UsageProblem> {
        let mut problems = Vec::new();
        if call.keys.is_empty() {
            problems.push(UsageProblem {
                message: format!(
                    "`{}` pairs rows that share a key; name it after `by`",
                    call.table
                ),
                hint: Some("e.g. `table T = pairs Opportunities by account_id (…)`".into()),
            });
        }
        let given = |name: &str| call.args.iter().any(|(n, _)| *n == name);
        if given("start") != given("end") {
            problems.push(UsageProblem {
                message: "an interval needs both `start` and `end`".into(),
                hint: Some(
                    "give both (open rows can end at TODAY()), or neither to pair every row of a key"
                        .into(),
                ),
            });
        }
        problems
    }

    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let arg = |name: &str| input.arg(PARAMETERS, name);
        let (start, end) = (arg("start"), arg("end"));
        let differ = arg("differ");
        let matched = arg("match");
        let include = arg("include");
        let self_pair = arg("self_pair");
        let max_pairs = match arg("max_pairs").map(|a| a.at(0)) {
            None | Some(Value::Blank) => DEFAULT_MAX_PAIRS,
            Some(value) => match value.as_f64() {
                Some(n) if n >= 0.0 && n.is_finite() => n as usize,
                _ => {
                    return Err(AnalysisError::new(format!(
                        "max_pairs must be a number of pairs, not \"{}\"",
                        describe(value)
                    )));
                }
            },
        };
        // Which rows take part, and their key group.
        let rows = input.rows;
        let mut keep = vec![true; rows];
        let mut no_key = LeftOut::default();
        let mut no_interval = LeftOut::default();
        for (row, kept) in keep.iter_mut().enumerate() {
            if include.is_some_and(|i| !matches!(i.at(row), Value::Bool(true))) {
                *kept = false;
                continue;
            }
            if input.keys.iter().any(|k| {
                k.get(row)
                    .is_none_or(|v| v.is_blank() || v.is_error() || is_empty_text(v))
            }) {
                *kept = false;
                no_key.add(row, &input.keys);
                continue;
            }
            if let (Some(start), Some(end)) = (start, end) {
                match (start.number(row), end.number(row)) {
                    (Some(s), Some(e)) if s <= e => {}
                    _ => {
                        *kept = false;
                        no_interval.add(row, &input.keys);
                    }
                }
            }
        }
        let grouping = input
            .coding
            .key_groups(rows, Some(&keep))
            .unwrap_or_else(|| {
                let key_slices: Vec<&[Value]> = input.keys.iter().map(Vec::as_slice).collect();
                input.coding.groups(&key_slices, rows, Some(&keep))
            });
        let code = |arg: &ArgValues| arg.codes(input.coding, rows);
        let codes = differ.map(code);
        let match_codes = matched.map(code);
        let unknown = |row: usize| {
            matched.is_none_or(|m| {
                let value = m.at(row);
                value.is_blank() || value.is_error() || is_empty_text(value)
            })
        };
        let sweep_rows: Vec<SweepRow> = (0..rows)
            .filter(|row| keep[*row] && grouping.row_groups[*row] != NO_GROUP)
            .map(|row| {
                let bound = |values: Option<&ArgValues>, default: f64| {
                    values.and_then(|v| v.number(row)).unwrap_or(default)
                };
                SweepRow {
                    row: row as u32,
                    group: grouping.row_groups[row],
                    start: bound(start, f64::NEG_INFINITY),
                    end: bound(end, f64::INFINITY),
                    code: codes.as_ref().map_or(0, |c| c[row]),
                    matched: match &match_codes {
                        None => 0,
                        Some(_) if unknown(row) => ANY_MATCH,
                        Some(c) => c[row],
                    },
                    with_itself: self_pair.is_some_and(|s| matches!(s.at(row), Value::Bool(true))),
                }
            })
            .collect();
        let paired_rows = sweep_rows.len();
        let pairs = sweep(sweep_rows, differ.is_some(), max_pairs)
            .map_err(|e| too_many(input, &grouping, max_pairs, &e))?;

        // Two output rows per pair: the first row's side, then the second's (one for a
        // row paired with itself).
        let out_rows: usize = pairs
            .iter()
            .map(|p| if p.first == p.second { 1 } else { 2 })
            .sum();
        let sides = || {
            pairs.iter().flat_map(|p| {
                let second_side = (p.first != p.second).then_some((p.second, p.first, false));
                std::iter::once((p.first, p.second, true)).chain(second_side)
            })
        };
        let interval = start.zip(end);
        let mut overlap_start = Vec::with_capacity(out_rows);
        let mut overlap_end = Vec::with_capacity(out_rows);
        let mut overlap_days = Vec::with_capacity(out_rows);
        let mut first_of_pair = Vec::with_capacity(out_rows);
        let mut first_for_row = Vec::with_capacity(out_rows);
        let mut row_seen = vec![false; rows];
        for (this, other, first) in sides() {
            first_of_pair.push(Value::Bool(first));
            let seen = std::mem::replace(&mut row_seen[this as usize], true);
            first_for_row.push(Value::Bool(!seen));
            let Some((start, end)) = interval else {
                overlap_start.push(Value::Blank);
                overlap_end.push(Value::Blank);
                overlap_days.push(Value::Blank);
                continue;
            };
            let (this, other) = (this as usize, other as usize);
            // The later start and the earlier end, each as its own value (a date
            // stays a date).
            let later = |values: &ArgValues| {
                if values.number(other) > values.number(this) {
                    values.value(other)
                } else {
                    values.value(this)
                }
            };
            let earlier = |values: &ArgValues| {
                if values.number(other) < values.number(this) {
                    values.value(other)
                } else {
                    values.value(this)
                }
            };
            let from = later(start);
            let to = earlier(end);
            let days = match (from.as_f64(), to.as_f64()) {
                (Some(f), Some(t)) => Value::Number(t - f),
                _ => Value::Blank,
            };
            overlap_start.push(from);
            overlap_end.push(to);
            overlap_days.push(days);
        }
        // Then the source rows the carried values come from: this side's, the other's.
        let columns = vec![
            overlap_start,
            overlap_end,
            overlap_days,
            first_of_pair,
            first_for_row,
            sides()
                .map(|(this, _, _)| Value::Number(f64::from(this)))
                .collect(),
            sides()
                .map(|(_, other, _)| Value::Number(f64::from(other)))
                .collect(),
        ];

        let mut notes = Vec::new();
        let source = input.table;
        notes.extend(no_key.note(source, "rows have no key", "(blank or an error)"));
        notes.extend(no_interval.note(
            source,
            "rows have no usable interval",
            "(start or end blank, not a date, or end before start)",
        ));
        let groups_with_pairs = {
            let mut seen = vec![false; grouping.group_count()];
            for p in &pairs {
                if let Some(g) = grouping.row_groups.get(p.first as usize)
                    && let Some(slot) = seen.get_mut(*g as usize)
                {
                    *slot = true;
                }
            }
            seen.iter().filter(|s| **s).count()
        };
        Ok(AnalysisResult {
            // The engine copies each row's keys from its source row (`keys_follow_rows`).
            keys: Vec::new(),
            columns,
            notes,
            details: Some(serde_json::json!({
                "pairs": pairs.len(),
                "self_pairs": pairs.iter().filter(|p| p.first == p.second).count(),
                "rows": out_rows,
                "keys_with_pairs": groups_with_pairs,
                "keys": grouping.group_count(),
                "rows_considered": paired_rows,
                "rows_without_key": no_key.count,
                "rows_without_interval": no_interval.count,
            })),
            charts: Vec::new(),
        })
    }
}

fn value_at(values: &[Value], row: u32) -> Value {
    values.get(row as usize).cloned().unwrap_or_default()
}

fn is_empty_text(value: &Value) -> bool {
    matches!(value, Value::Text(t) if t.trim().is_empty())
}

/// A value as a message shows it: text as is, an error by its name.
fn describe(value: &Value) -> String {
    match value.to_text() {
        Ok(text) => text.to_string(),
        Err(error) => error
            .error_kind()
            .map_or_else(String::new, |kind| kind.as_str().to_string()),
    }
}

/// The error for a sweep past `max_pairs`, naming the key with the most pairs.
fn too_many(
    input: &AnalysisInput<'_>,
    grouping: &RowGroups,
    max_pairs: usize,
    error: &TooManyPairs,
) -> AnalysisError {
    let mut key = String::new();
    if let Some(row) = grouping.first_rows.get(error.busiest_group as usize) {
        for (i, values) in input.keys.iter().enumerate() {
            if i > 0 {
                key.push_str(", ");
            }
            let _ = write!(key, "{}", describe(&value_at(values, *row as u32)));
        }
    }
    AnalysisError::new(format!(
        "more than max_pairs = {max_pairs} pairs; the key {key} alone has {} or more",
        error.busiest_pairs
    ))
    .with_hint(
        "pair by a narrower key (add a column after `by`), give `start`/`end` so only \
         overlapping rows pair, leave rows out with `include`, or raise max_pairs",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::engine::EngineCoding;
    use crate::functions::CallContext;
    use crate::lang::analysis::StoredArg;
    use crate::table::column::ColumnValues;
    use std::sync::Arc;

    /// The same pairs, overlaps and rows whether the arguments come as values or as
    /// the columns that store them (floats for the interval, codes for `differ` and
    /// `match`).
    #[test]
    fn stored_arguments_pair_as_their_values_do() {
        let mut next = crate::test_random::stream(5);
        const ROUTES: [&str; 4] = ["Direct", "direct", "P-1", "P-2"];
        const PRODUCTS: [&str; 3] = ["A", "a", "B"];
        let context = CallContext::default();
        for round in 0..100 {
            let rows = 1 + next(60) as usize;
            let key: Vec<Value> = (0..rows)
                .map(|_| match next(12) {
                    0 => Value::Blank,
                    k => Value::text(&format!("acc-{}", k % 4)),
                })
                .collect();
            let start: Vec<Value> = (0..rows)
                .map(|_| match next(10) {
                    0 => Value::Blank,
                    _ => Value::Date(45000.0 + next(40) as f64),
                })
                .collect();
            let end: Vec<Value> = start
                .iter()
                .map(|s| match (s.as_f64(), next(10)) {
                    (_, 0) => Value::text(""),
                    (Some(s), n) => Value::Date(s + n as f64 * 3.0 - 3.0),
                    (None, _) => Value::Date(45050.0),
                })
                .collect();
            let route: Vec<Value> = (0..rows)
                .map(|_| Value::text(ROUTES[next(4) as usize]))
                .collect();
            let product: Vec<Value> = (0..rows)
                .map(|_| match next(5) {
                    0 => Value::Blank,
                    p => Value::text(PRODUCTS[(p % 3) as usize]),
                })
                .collect();
            let plain = |values: &Vec<Value>| Some(ArgValues::EachRow(values.clone()));
            let stored = |values: &Vec<Value>| {
                Some(ArgValues::Stored(StoredArg::new(Arc::new(
                    ColumnValues::compact(values.clone()),
                ))))
            };
            let run = |arg: &dyn Fn(&Vec<Value>) -> Option<ArgValues>| {
                let input = AnalysisInput {
                    table: "T",
                    rows,
                    keys: vec![key.clone()],
                    key_names: vec![Arc::from("account_id")],
                    args: vec![
                        arg(&start),
                        arg(&end),
                        arg(&route),
                        arg(&product),
                        None,
                        None,
                        None,
                    ],
                    context: &context,
                    coding: &EngineCoding,
                };
                Pairs.run(&input)
            };
            let (Ok(a), Ok(b)) = (run(&plain), run(&stored)) else {
                panic!("round {round}: the analysis failed");
            };
            assert_eq!(a.columns, b.columns, "round {round}");
            assert_eq!(a.details, b.details, "round {round}");
            assert_eq!(a.notes, b.notes, "round {round}");
        }
    }
}
