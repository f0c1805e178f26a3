//! The seam every built-in analysis plugs into (allocation, forecasts, overlap,
//! scorecards): `table T = <analysis> Source [by keys] (name = formula, …)` in a rule
//! file names one. The checker checks the statement against the analysis' declared
//! parameters and outputs before any data is read; the engine evaluates the arguments
//! over the source table's rows and calls [`Analysis::run`] at the statement's place in
//! the dependency order; the output is an ordinary table of the plan (rules add columns
//! and flags to it, the report and JSON write it like any other), plus notes and charts.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::functions::CallContext;
use crate::lang::ast::{FormatKind, Look};
use crate::table::column::{CellRef, ColumnValues};
use crate::value::{Value, ValueType};

/// One named argument an analysis takes.
#[derive(Debug, Clone, Copy)]
pub struct Parameter {
    pub name: &'static str,
    /// Evaluated once per row of the source table (a formula over its columns), or once
    /// for the whole analysis (params, named values, literals).
    pub each_row: bool,
    /// The type the argument must have (`Any` accepts everything).
    pub ty: ValueType,
    pub required: bool,
    /// One line for `chanmix check` messages and the docs.
    pub summary: &'static str,
}

/// One column an analysis adds to its output table, after the key columns.
#[derive(Debug, Clone)]
pub struct OutputColumn {
    pub name: &'static str,
    pub ty: ValueType,
    pub format: Option<FormatKind>,
    /// How the workbook draws it (see [`Look`]).
    pub look: Look,
}

/// What the checker knows about one use of an analysis, for the analysis' own checks.
#[derive(Debug, Clone)]
pub struct AnalysisCall<'a> {
    /// The output table's name.
    pub table: &'a str,
    /// The key columns given after `by`.
    pub keys: &'a [Arc<str>],
    /// The arguments given, by parameter name, with their checked types.
    pub args: &'a [(&'static str, ValueType)],
}

/// An argument's values at run time.
#[derive(Debug, Clone)]
pub enum ArgValues {
    /// One value per source row.
    EachRow(Vec<Value>),
    /// One value for the whole analysis.
    Once(Value),
    /// One value per source row, as a column stores them: floats (numbers, dates) or
    /// codes into a dictionary. An analysis that reads numbers ([`ArgValues::number`])
    /// or codes ([`ArgValues::codes`]) never makes a value per row; [`ArgValues::at`]
    /// reads a coded column in place and decodes any other once, on first use.
    Stored(StoredArg),
}

/// A stored column given as an argument (see [`ArgValues::Stored`]).
#[derive(Debug, Clone)]
pub struct StoredArg {
    column: Arc<ColumnValues>,
    decoded: OnceLock<Vec<Value>>,
}

impl StoredArg {
    pub fn new(column: Arc<ColumnValues>) -> Self {
        StoredArg {
            column,
            decoded: OnceLock::new(),
        }
    }
}

impl ArgValues {
    /// The value for `row` (the single value when given once).
    pub fn at(&self, row: usize) -> &Value {
        static BLANK: Value = Value::Blank;
        match self {
            ArgValues::EachRow(values) => values.get(row).unwrap_or(&BLANK),
            ArgValues::Once(value) => value,
            ArgValues::Stored(stored) => match &*stored.column {
                ColumnValues::Coded { codes, dictionary } => codes
                    .get(row)
                    .and_then(|c| dictionary.get(*c as usize))
                    .unwrap_or(&BLANK),
                ColumnValues::Values(values) => values.get(row).unwrap_or(&BLANK),
                column => stored
                    .decoded
                    .get_or_init(|| column.values().into_owned())
                    .get(row)
                    .unwrap_or(&BLANK),
            },
        }
    }

    /// How many rows it has (`None` for one value standing for every row).
    pub fn rows(&self) -> Option<usize> {
        match self {
            ArgValues::EachRow(values) => Some(values.len()),
            ArgValues::Once(_) => None,
            ArgValues::Stored(stored) => Some(stored.column.len()),
        }
    }

    /// [`ArgValues::at`], owned, without decoding a stored column.
    pub fn value(&self, row: usize) -> Value {
        match self {
            ArgValues::Stored(stored) => stored.column.get(row).unwrap_or_default(),
            other => other.at(row).clone(),
        }
    }

    /// `at(row).as_f64()`: the number or date serial for `row`, read from a float
    /// column without making a value.
    pub fn number(&self, row: usize) -> Option<f64> {
        match self {
            ArgValues::Stored(stored) => match stored.column.cell(row)? {
                CellRef::Float(_, x) => Some(x),
                CellRef::Value(value) => value.as_f64(),
                CellRef::Text(_) => None,
            },
            other => other.at(row).as_f64(),
        }
    }

    /// One code per row (`rows` of them), equal exactly where `coding` codes the
    /// values equal (the numbers themselves may differ from `coding.codes` over the
    /// rows' values). A coded column is coded once per dictionary entry.
    pub fn codes(&self, coding: &dyn KeyCoding, rows: usize) -> Vec<u32> {
        match self {
            ArgValues::EachRow(values) => coding.codes(values),
            ArgValues::Once(value) => coding.codes(&vec![value.clone(); rows]),
            ArgValues::Stored(stored) => match &*stored.column {
                ColumnValues::Coded { codes, dictionary } => {
                    let entries = coding.codes(dictionary);
                    // (A stored column's codes are all in its dictionary.)
                    codes
                        .iter()
                        .map(|c| entries.get(*c as usize).copied().unwrap_or(u32::MAX - 1))
                        .collect()
                }
                ColumnValues::Values(values) => coding.codes(values),
                column => coding.codes(&column.values()),
            },
        }
    }
}

/// Marks a row that belongs to no group (filtered out, or its key is unknown).
pub const NO_GROUP: u32 = u32::MAX;

/// Rows grouped by their key values: each row's group (or [`NO_GROUP`]) and each group's
/// first row; groups are numbered in key order.
#[derive(Debug, Clone, Default)]
pub struct RowGroups {
    pub row_groups: Vec<u32>,
    pub first_rows: Vec<usize>,
}

impl RowGroups {
    pub fn group_count(&self) -> usize {
        self.first_rows.len()
    }
}

/// The engine's coding of values, lent to analyses so that they group and compare
/// exactly as `group by` does (text ignoring case, numbers and dates by value).
pub trait KeyCoding: fmt::Debug + Sync {
    /// One code per value: equal values, equal codes.
    fn codes(&self, values: &[Value]) -> Vec<u32>;
    /// Rows grouped by the key columns `keys`; rows where `keep` is false get no group.
    fn groups(&self, keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> RowGroups;
    /// The analysis's own key columns ([`AnalysisInput::keys`]) grouped as
    /// [`KeyCoding::groups`] would group them, from codes the engine already holds (a
    /// `group by` on the same columns coded them); `None` when it holds none, and the
    /// analysis calls `groups`.
    fn key_groups(&self, _rows: usize, _keep: Option<&[bool]>) -> Option<RowGroups> {
        None
    }
}

/// What an analysis runs on: the source table's rows as the arguments saw them.
#[derive(Debug)]
pub struct AnalysisInput<'a> {
    /// The output table's name (for messages).
    pub table: &'a str,
    /// Rows of the source table.
    pub rows: usize,
    /// The key columns' values, one list per key, one value per source row.
    pub keys: Vec<Vec<Value>>,
    /// The key columns' names (the output table's first columns), for charts that pick
    /// one key's rows.
    pub key_names: Vec<Arc<str>>,
    /// Arguments in the order of [`Analysis::parameters`]; `None` where not given.
    /// (Carried arguments are not here: the engine copies them, see
    /// [`Analysis::carried_prefixes`].)
    pub args: Vec<Option<ArgValues>>,
    pub context: &'a CallContext,
    /// How the engine codes and groups values.
    pub coding: &'a dyn KeyCoding,
}

impl AnalysisInput<'_> {
    /// The argument named `name`, if given.
    pub fn arg(&self, parameters: &[Parameter], name: &str) -> Option<&ArgValues> {
        let position = parameters.iter().position(|p| p.name == name)?;
        self.args.get(position)?.as_ref()
    }
}

/// A chart an analysis asks the report to draw from one of the plan's tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRequest {
    pub title: String,
    pub table: Arc<str>,
    pub shape: ChartShape,
    /// The column along the horizontal axis.
    pub category: Arc<str>,
    pub series: Vec<Arc<str>>,
    /// Only the rows whose `column` equals `value` (one chart per channel, say).
    pub rows_where: Option<(Arc<str>, Value)>,
}

/// How a requested chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartShape {
    Column,
    Line,
    /// Points for the first series, lines for the others (history against a fit).
    PointsAndLines,
    /// Points for the first series, a line for the second, and large markers without
    /// a line for the others (a fitted curve with positions marked on it).
    PointsLineAndMarkers,
    /// Lines for every series but the last two, which are the lower and upper edges of
    /// a shaded band drawn behind the lines (a forecast's interval, a target range).
    LinesWithBand,
}

/// Everything an analysis returns.
#[derive(Debug, Default)]
pub struct AnalysisResult {
    /// Key column values of the output rows (one list per key).
    pub keys: Vec<Vec<Value>>,
    /// Output column values, in the order of [`Analysis::outputs`]; then, for an
    /// analysis that carries values, one column per prefix of
    /// [`Analysis::carried_prefixes`] holding, for each output row, the source row
    /// (0-based, a number; blank for none) whose carried values it shows.
    pub columns: Vec<Vec<Value>>,
    /// Sentences the user must see (on the console and in the workbook), e.g. "budget
    /// left unspent: every channel is at its maximum".
    pub notes: Vec<String>,
    /// Details for `--json`, under the analysis' name.
    pub details: Option<serde_json::Value>,
    pub charts: Vec<ChartRequest>,
}

/// Why an analysis gave no result: said to the user with the statement's place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AnalysisError {
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl AnalysisError {
    pub fn new(message: impl Into<String>) -> Self {
        AnalysisError {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A problem the analysis finds in how it is used, before any data is read.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageProblem {
    pub message: String,
    pub hint: Option<String>,
}

/// A built-in analysis.
pub trait Analysis: fmt::Debug + Send + Sync {
    /// The word in `table T = <name> Source …`, lower case.
    fn name(&self) -> &'static str;
    /// One line for listings and "did you mean".
    fn summary(&self) -> &'static str;
    /// The top-level key its details take in `--json` (its name unless it says
    /// otherwise); one object per analysis table under it, keyed by the table's name.
    fn json_key(&self) -> &'static str {
        self.name()
    }
    /// The named arguments it takes.
    fn parameters(&self) -> &'static [Parameter];
    /// The columns it adds after the keys (fixed, so formulas can be checked against
    /// them before any data is read).
    fn outputs(&self) -> &'static [OutputColumn];
    /// An analysis that copies source rows' values into its own rows (a self-join puts
    /// two rows side by side; a ranking copies the rows it keeps) takes, besides its
    /// parameters, any per-row argument `name = formula` the rule author writes, and adds
    /// one output column per prefix: `prefix + name` (e.g. `opp_id` and `other_opp_id`
    /// for the prefixes `""` and `"other_"`). The analysis never sees those values: it
    /// returns, per prefix, which source row each output row copies from, and the engine
    /// copies every carried argument (a stored column without decoding it). Empty (the
    /// default): every argument must be one of [`Analysis::parameters`].
    fn carried_prefixes(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether each output row's keys are those of the source row it copies under the
    /// first of [`Analysis::carried_prefixes`] (a self-join's rows): the engine then
    /// copies the key columns from the source as it copies carried values (a coded key
    /// keeps its codes), and the analysis leaves [`AnalysisResult::keys`] empty.
    fn keys_follow_rows(&self) -> bool {
        false
    }
    /// Whether it groups its source rows by its key columns with
    /// [`KeyCoding::key_groups`]: the engine then codes those columns before the step
    /// (once per run, shared with `group by` on the same columns).
    fn groups_by_key(&self) -> bool {
        false
    }
    /// Checks beyond argument names, shapes and types (e.g. "needs one key column").
    fn check(&self, _call: &AnalysisCall<'_>) -> Vec<UsageProblem> {
        Vec::new()
    }
    /// Computes the output rows. Must not panic; problems in the data are an error
    /// with its reason, or notes.
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::engine::EngineCoding;
    use crate::value::ErrorKind;

    /// A stored argument reads as the same values given row by row: `at`, `value`,
    /// `number`, and codes equal exactly where the row-by-row codes are.
    #[test]
    fn a_stored_argument_reads_as_its_values() {
        let mut next = crate::test_random::stream(21);
        const WORDS: [&str; 5] = ["Direct", "direct", "P-1", "", "p-1"];
        for round in 0..300 {
            let rows = 1 + next(50) as usize;
            let values: Vec<Value> = (0..rows)
                .map(|_| match (round % 3, next(8)) {
                    (_, 0) => Value::Blank,
                    (_, 1) => Value::error(ErrorKind::NA),
                    (0, _) => Value::Date(45000.0 + next(20) as f64),
                    (1, _) => Value::Number(next(6) as f64),
                    _ => Value::text(WORDS[next(WORDS.len() as u64) as usize]),
                })
                .collect();
            let column = ColumnValues::compact(values.clone());
            let stored = ArgValues::Stored(StoredArg::new(Arc::new(column)));
            let plain = ArgValues::EachRow(values.clone());
            assert_eq!(stored.rows(), Some(rows));
            for row in 0..rows + 2 {
                assert_eq!(
                    stored.value(row),
                    plain.value(row),
                    "round {round} row {row}"
                );
                assert_eq!(stored.at(row), plain.at(row), "round {round} row {row}");
                assert_eq!(
                    stored.number(row).map(f64::to_bits),
                    plain.number(row).map(f64::to_bits),
                    "round {round} row {row}"
                );
            }
            let (a, b) = (
                stored.codes(&EngineCoding, rows),
                plain.codes(&EngineCoding, rows),
            );
            assert_eq!((a.len(), b.len()), (rows, rows), "round {round}");
            for i in 0..rows {
                for j in 0..rows {
                    assert_eq!(a[i] == a[j], b[i] == b[j], "round {round} rows {i}, {j}");
                }
            }
        }
    }
}
