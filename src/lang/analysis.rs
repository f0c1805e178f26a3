//! The seam every built-in analysis plugs into (allocation, forecasts, overlap,
//! scorecards): `table T = <analysis> Source [by keys] (name = formula, …)` in a rule
//! file names one. The checker checks the statement against the analysis' declared
//! parameters and outputs before any data is read; the engine evaluates the arguments
//! over the source table's rows and calls [`Analysis::run`] at the statement's place in
//! the dependency order; the output is an ordinary table of the plan (rules add columns
//! and flags to it, the report and JSON write it like any other), plus notes and charts.

use std::fmt;
use std::sync::Arc;

use crate::functions::CallContext;
use crate::lang::ast::{FormatKind, Look};
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
}

impl ArgValues {
    /// The value for `row` (the single value when given once).
    pub fn at(&self, row: usize) -> &Value {
        match self {
            ArgValues::EachRow(values) => values.get(row).unwrap_or(&Value::Blank),
            ArgValues::Once(value) => value,
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
