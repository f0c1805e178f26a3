//! The vectorized evaluator: runs a [`Plan`] over input tables a column at a time, the
//! steps of one dependency level in parallel, grouped aggregates in one pass over group ids.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use thiserror::Error;

use crate::eval::grouping::{Grouping, KeyCodes};
use crate::eval::schedule;
use crate::eval::vector::{self, Operand};
use crate::functions::CallContext;
use crate::lang::analysis::{AnalysisResult, ChartRequest};
use crate::lang::ast::Severity;
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::table::column::ColumnValues;
use crate::table::{Column, Table};
use crate::value::{ErrorKind, Value};

mod aggregate;
mod analysis;
mod audit;
mod calls;
mod findings;
mod interpret;
mod ordering;
mod steps;
mod variants;

pub use analysis::EngineCoding;
pub use audit::{DataAudit, KeyProblem, LookupMiss, SuspiciousKey, UnreachedRows, shown_value};
pub use variants::{Baseline, evaluate_variants};

/// A problem that stops evaluation before it starts (the inputs do not fit the plan).
#[derive(Debug, Error, PartialEq)]
pub enum EvalError {
    #[error("input table `{table}` was not provided")]
    MissingTable { table: String },
    #[error("input table `{table}` has no column `{column}`")]
    MissingColumn { table: String, column: String },
    #[error("unknown param `{name}`{suggestion}")]
    UnknownParam { name: String, suggestion: String },
    /// An analysis could not produce its table (its message says why).
    #[error("{name}: {message}")]
    Analysis {
        /// The analysis table (its span in the plan points at the statement).
        table: TableId,
        name: String,
        message: String,
        hint: Option<String>,
    },
}

/// What an analysis said beyond its table: notes the user must see, details for
/// `--json`, charts for the report.
#[derive(Debug, Clone)]
pub struct AnalysisReport {
    pub table: TableId,
    /// The analysis' name (`optimize`, `forecast` …).
    pub analysis: &'static str,
    /// Where its details go in `--json`.
    pub json_key: &'static str,
    pub notes: Vec<String>,
    pub details: Option<serde_json::Value>,
    pub charts: Vec<ChartRequest>,
}

/// One flag raised on one row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FlagHit {
    pub table: Arc<str>,
    pub row: usize,
    /// The row's key values (grouped tables) or first column, joined with " / ".
    pub subject: String,
    pub message: String,
    /// Index of the flag in the plan.
    pub flag: usize,
    pub severity: Severity,
    /// The value at stake (`rank by`), when the flag gives one and it is a number.
    pub stake: Option<f64>,
    /// The comparisons of the condition with this row's values: which metric and
    /// which threshold fired, e.g. `roi -21.0% < 0`.
    pub fired: String,
    pub topic: Option<Arc<str>>,
    /// How many findings of the same topic on the same row this one replaced.
    pub superseded: usize,
}

/// Everything a run computed.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Every table of the plan (inputs with their computed columns, and grouped
    /// tables), in plan order, with columns in plan order.
    pub tables: Vec<Table>,
    pub scalars: Vec<(Arc<str>, Value)>,
    pub params: Vec<(Arc<str>, Value)>,
    pub flags: Vec<FlagHit>,
    /// One report per analysis table, in plan order.
    pub analyses: Vec<AnalysisReport>,
    /// What the run noticed about its data: lookups that missed, rows no group
    /// reached, suspicious group keys.
    pub audit: DataAudit,
}

impl Evaluated {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| &*t.name == name)
    }

    pub fn scalar(&self, name: &str) -> Option<&Value> {
        self.scalars
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }
}

/// Evaluates `plan` over `inputs` with `overrides` replacing param defaults.
pub fn evaluate(
    plan: &Plan,
    inputs: Vec<Table>,
    overrides: &[(String, Value)],
    context: &CallContext,
) -> Result<Evaluated, EvalError> {
    evaluate_timed(plan, inputs, overrides, context, &mut |_, _| {})
}

/// [`evaluate`], reporting how long each step of the plan took (for profiling: one
/// clock read per step, so the cost is negligible).
pub fn evaluate_timed(
    plan: &Plan,
    inputs: Vec<Table>,
    overrides: &[(String, Value)],
    context: &CallContext,
    on_step: &mut dyn FnMut(Step, std::time::Duration),
) -> Result<Evaluated, EvalError> {
    Ok(evaluate_plan(plan, inputs, overrides, context, on_step)?.finish())
}

/// Runs every level of the plan: the state [`Evaluation::finish`] turns into results.
fn evaluate_plan<'p>(
    plan: &'p Plan,
    inputs: Vec<Table>,
    overrides: &[(String, Value)],
    context: &CallContext,
    on_step: &mut dyn FnMut(Step, std::time::Duration),
) -> Result<Evaluation<'p>, EvalError> {
    let mut run = Evaluation::new(plan, inputs, overrides, context)?;
    let levels = schedule::levels(plan);
    run.last_read = schedule::last_read_levels(plan, &levels);
    for (index, level) in levels.iter().enumerate() {
        run.compute_level(index, level, on_step);
        if let Some(failure) = run.failure.take() {
            return Err(failure);
        }
    }
    Ok(run)
}

/// Evaluates the plan, then one extra expression in scalar context (standalone formulas).
pub fn evaluate_expression(
    plan: &Plan,
    inputs: Vec<Table>,
    node: &Node,
    context: &CallContext,
) -> Result<Value, EvalError> {
    let mut run = Evaluation::new(plan, inputs, &[], context)?;
    for (index, level) in schedule::levels(plan).iter().enumerate() {
        run.compute_level(index, level, &mut |_, _| {});
    }
    let mut values = run
        .eval(
            node,
            Scope {
                table: None,
                rows: 1,
                step: None,
                taken: None,
            },
        )
        .into_vec(1);
    stamp_origins(&mut values, &Arc::from("formula"), false);
    Ok(values.pop().unwrap_or_default())
}

/// Every param's value: its default, or the override naming it.
fn param_values(plan: &Plan, overrides: &[(String, Value)]) -> Result<Vec<Value>, EvalError> {
    let mut params: Vec<Value> = plan.params.iter().map(|p| p.default.clone()).collect();
    for (name, value) in overrides {
        match plan.param_id(name) {
            Some(id) => params[id] = value.clone(),
            None => {
                let suggestion = Suggestion::closest(name, plan.params.iter().map(|p| &*p.name))
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                return Err(EvalError::UnknownParam {
                    name: name.clone(),
                    suggestion,
                });
            }
        }
    }
    Ok(params)
}

/// A boolean column's mask: (table, column, whether the TRUE or the FALSE rows).
type MaskKey = (TableId, ColumnId, bool);

/// What one step computed, stored by [`Evaluation::apply`].
enum Output {
    Nothing,
    Column(TableId, ColumnId, Vec<Value>),
    /// A column computed in its stored shape (codes into a dictionary).
    Stored(TableId, ColumnId, ColumnValues),
    Scalar(ScalarId, Value),
    /// A grouped table's groups and its key columns, stored.
    Group(TableId, Grouping, Vec<ColumnValues>),
    Flags(usize, Vec<FlagHit>),
    /// An analysis table's rows: key columns, output columns and its report.
    Analysis(TableId, Box<Result<AnalysisResult, EvalError>>),
}

/// A stored column made readable by kernels: float and value columns as values, text
/// buffers as codes into their distinct texts.
enum Readable {
    Values(Vec<Value>),
    Coded {
        codes: Vec<u32>,
        dictionary: Vec<Value>,
    },
}

/// One table while evaluating: its columns by plan column id.
struct RuntimeTable {
    rows: usize,
    /// Shared with the input tables (a compared scenario copies no rows) and stored
    /// compactly; read through [`Evaluation::column_view`].
    columns: Vec<Option<Arc<ColumnValues>>>,
    /// Float and text-buffer columns made readable, kept until the last level that
    /// reads them (see [`Evaluation::column_view`]).
    decoded: Vec<OnceLock<Readable>>,
    /// Shared with the runs of variants that do not group this table again.
    grouping: Option<Arc<Grouping>>,
}

struct Evaluation<'p> {
    plan: &'p Plan,
    tables: Vec<RuntimeTable>,
    params: Vec<Value>,
    scalars: Vec<Value>,
    /// Each flag's hits, by flag id (listed in plan order at the end).
    flags: HashMap<usize, Vec<FlagHit>>,
    context: CallContext,
    /// Group ids of another table's rows for a grouped table: (grouped, other) → ids.
    matched: HashMap<(TableId, TableId), Vec<u32>>,
    /// Key codes of a column, computed once and shared by every grouping keyed on it.
    key_codes: HashMap<(TableId, ColumnId), Arc<KeyCodes>>,
    /// Masks of boolean columns used as filters: (table, column, TRUE or FALSE rows).
    masks: std::sync::Mutex<HashMap<MaskKey, Arc<Vec<bool>>>>,
    /// The last level reading each column, and the level running now.
    last_read: HashMap<(TableId, ColumnId), usize>,
    level: usize,
    /// What each analysis table's analysis reported, by table.
    analysis_reports: HashMap<TableId, AnalysisReport>,
    /// The first analysis that failed (the run stops with it).
    failure: Option<EvalError>,
    /// Lookups that found nothing, per call site.
    misses: std::sync::Mutex<HashMap<audit::SiteKey, audit::SiteMisses>>,
    /// The rows taking each IF branch being evaluated (see `Scope::taken`); a slot is
    /// emptied when its branch is done.
    branch_rows: std::sync::Mutex<Vec<Option<Arc<Vec<bool>>>>>,
}

/// Values of an expression over the rows of a scope: one for all rows, or one per row.
enum Values<'a> {
    One(Value),
    Many(Cow<'a, [Value]>),
    /// One per row as codes into a dictionary: a dictionary-coded column read without
    /// decoding, or a function of one computed once per dictionary entry.
    Coded {
        codes: Cow<'a, [u32]>,
        dictionary: Cow<'a, [Value]>,
    },
}

impl<'a> Values<'a> {
    fn get(&self, row: usize) -> &Value {
        match self {
            Values::One(v) => v,
            Values::Many(values) => values.get(row).unwrap_or(&Value::Blank),
            Values::Coded { codes, dictionary } => codes
                .get(row)
                .and_then(|c| dictionary.get(*c as usize))
                .unwrap_or(&Value::Blank),
        }
    }

    fn operand(&self) -> Operand<'_> {
        match self {
            Values::One(v) => Operand::One(v),
            Values::Many(values) => Operand::Many(values),
            Values::Coded { codes, dictionary } => Operand::Coded { codes, dictionary },
        }
    }

    fn into_vec(self, rows: usize) -> Vec<Value> {
        match self {
            Values::One(v) => vec![v; rows],
            Values::Many(values) => values.into_owned(),
            Values::Coded { codes, dictionary } => vector::by_codes(&codes, &dictionary),
        }
    }

    /// The same codes with `f` applied to each dictionary entry.
    fn map_coded(codes: Cow<'a, [u32]>, dictionary: &[Value], f: impl Fn(&Value) -> Value) -> Self {
        Values::Coded {
            codes,
            dictionary: Cow::Owned(dictionary.iter().map(f).collect()),
        }
    }
}

/// The rows an expression is evaluated over.
#[derive(Clone, Copy)]
struct Scope {
    table: Option<TableId>,
    rows: usize,
    /// The step being computed (the definition an error made here comes from).
    step: Option<Step>,
    /// Inside an IF's branch: which rows take it (an index into
    /// `Evaluation::branch_rows`). The branch is computed for every row, but a lookup
    /// counts misses only on the rows that take it.
    taken: Option<usize>,
}

/// An evaluated function argument.
enum EvaluatedArg<'a> {
    /// One value for every row.
    One(Value),
    /// A value per row.
    PerRow(Cow<'a, [Value]>),
    /// A value per row, as codes into a dictionary.
    PerRowCoded {
        codes: Cow<'a, [u32]>,
        dictionary: Cow<'a, [Value]>,
    },
    /// The same list for every row.
    List(Vec<Value>),
    /// A list per row (a group's values).
    /// All groups' values in one flat array, group by group; group `g` holds
    /// `values[starts[g]..starts[g + 1]]` (one allocation, however many groups).
    PerRowList {
        values: Vec<Value>,
        starts: Vec<usize>,
    },
}

impl<'p> Evaluation<'p> {
    fn new(
        plan: &'p Plan,
        inputs: Vec<Table>,
        overrides: &[(String, Value)],
        context: &CallContext,
    ) -> Result<Self, EvalError> {
        let mut by_name: HashMap<Arc<str>, Table> = inputs
            .into_iter()
            .map(|t| (Arc::clone(&t.name), t))
            .collect();
        let mut tables = Vec::with_capacity(plan.tables.len());
        for table in &plan.tables {
            match table.kind {
                TableKind::Input => {
                    let data =
                        by_name
                            .remove(&table.name)
                            .ok_or_else(|| EvalError::MissingTable {
                                table: table.name.to_string(),
                            })?;
                    let mut columns = Vec::with_capacity(table.columns.len());
                    for column in &table.columns {
                        if let ColumnOrigin::Input = column.origin {
                            let index = data.column_index(&column.name).ok_or_else(|| {
                                EvalError::MissingColumn {
                                    table: table.name.to_string(),
                                    column: column.name.to_string(),
                                }
                            })?;
                            columns.push(Some(Arc::clone(&data.columns[index].data)));
                        } else {
                            columns.push(None);
                        }
                    }
                    tables.push(RuntimeTable {
                        rows: data.row_count,
                        decoded: columns.iter().map(|_| OnceLock::new()).collect(),
                        columns,
                        grouping: None,
                    });
                }
                TableKind::Grouped { .. } | TableKind::Analysis(_) => tables.push(RuntimeTable {
                    rows: 0,
                    columns: vec![None; table.columns.len()],
                    decoded: table.columns.iter().map(|_| OnceLock::new()).collect(),
                    grouping: None,
                }),
            }
        }
        Ok(Evaluation {
            plan,
            tables,
            params: param_values(plan, overrides)?,
            scalars: vec![Value::Blank; plan.scalars.len()],
            flags: HashMap::new(),
            context: context.clone(),
            matched: HashMap::new(),
            key_codes: HashMap::new(),
            masks: std::sync::Mutex::new(HashMap::new()),
            last_read: HashMap::new(),
            level: 0,
            analysis_reports: HashMap::new(),
            failure: None,
            misses: std::sync::Mutex::new(HashMap::new()),
            branch_rows: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// A column as stored (compactly).
    fn stored(&self, table: TableId, column: ColumnId) -> Option<&ColumnValues> {
        self.tables.get(table)?.columns.get(column)?.as_deref()
    }

    /// A column for reading: codes and dictionary when dictionary-coded (a text buffer
    /// is coded once per run), else values (borrowed when stored as values, else decoded
    /// once); either is kept until the last level that reads the column.
    fn column_view(&self, table: TableId, column: ColumnId) -> Option<Operand<'_>> {
        let runtime = self.tables.get(table)?;
        let stored = runtime.columns.get(column)?.as_deref()?;
        let readable = match stored {
            ColumnValues::Values(values) => return Some(Operand::Many(values)),
            ColumnValues::Coded { codes, dictionary } => {
                return Some(Operand::Coded { codes, dictionary });
            }
            _ => runtime
                .decoded
                .get(column)?
                .get_or_init(|| match stored.coded_view() {
                    Some((codes, dictionary)) => Readable::Coded { codes, dictionary },
                    None => Readable::Values(stored.values().into_owned()),
                }),
        };
        Some(match readable {
            Readable::Values(values) => Operand::Many(values),
            Readable::Coded { codes, dictionary } => Operand::Coded { codes, dictionary },
        })
    }

    /// Stores a computed column compactly (a later level that reads it as values
    /// decodes it then; aggregates and coded kernels read it as stored).
    fn store_column(&mut self, table: TableId, column: ColumnId, values: Vec<Value>) {
        if let Some(slot) = self
            .tables
            .get_mut(table)
            .and_then(|t| t.columns.get_mut(column))
        {
            *slot = Some(Arc::new(ColumnValues::compact(values)));
        }
    }

    /// Lets go of decoded columns no level from this one on reads.
    fn release_decoded(&mut self) {
        for (table, runtime) in self.tables.iter_mut().enumerate() {
            for (column, decoded) in runtime.decoded.iter_mut().enumerate() {
                let done = self
                    .last_read
                    .get(&(table, column))
                    .is_none_or(|last| *last < self.level);
                if done && decoded.get().is_some() {
                    *decoded = OnceLock::new();
                }
            }
        }
    }

    fn finish(mut self) -> Evaluated {
        let plan = self.plan;
        let audit = self.audit();
        let mut flags = Vec::new();
        for step in &plan.order {
            if let Step::Flag(id) = step {
                flags.extend(self.flags.remove(id).unwrap_or_default());
            }
        }
        let flags = findings::rank(flags);
        let tables = plan
            .tables
            .iter()
            .zip(self.tables)
            .map(|(table_plan, runtime)| {
                let rows = runtime.rows;
                Table {
                    name: Arc::clone(&table_plan.name),
                    row_count: rows,
                    columns: table_plan
                        .columns
                        .iter()
                        .zip(runtime.columns)
                        .map(|(column_plan, values)| Column {
                            name: Arc::clone(&column_plan.name),
                            ty: column_plan.ty,
                            data: values.unwrap_or_else(|| {
                                Arc::new(ColumnValues::compact(vec![Value::Blank; rows]))
                            }),
                        })
                        .collect(),
                }
            })
            .collect();
        Evaluated {
            tables,
            scalars: plan
                .scalars
                .iter()
                .zip(self.scalars)
                .map(|(s, v)| (Arc::clone(&s.name), v))
                .collect(),
            params: plan
                .params
                .iter()
                .zip(self.params)
                .map(|(p, v)| (Arc::clone(&p.name), v))
                .collect(),
            flags,
            analyses: plan
                .tables
                .iter()
                .enumerate()
                .filter_map(|(id, _)| self.analysis_reports.remove(&id))
                .collect(),
            audit,
        }
    }
}

fn map_values<'a>(values: Values<'a>, scope: Scope, f: impl Fn(&Value) -> Value) -> Values<'a> {
    match values {
        Values::One(v) => Values::One(f(&v)),
        Values::Coded { codes, dictionary } => Values::map_coded(codes, &dictionary, f),
        Values::Many(_) => Values::Many(Cow::Owned(
            (0..scope.rows).map(|r| f(values.get(r))).collect(),
        )),
    }
}

/// An error this rule produced (it has no origin yet).
fn needs_origin(value: &Value) -> bool {
    matches!(value, Value::Error(error) if error.origin.is_none())
}

/// Gives errors produced by this rule an origin (errors that came from elsewhere keep theirs).
fn stamp_origins(values: &mut [Value], rule: &Arc<str>, per_row: bool) {
    for (row, value) in values.iter_mut().enumerate() {
        if let Value::Error(error) = value
            && error.origin.is_none()
        {
            let reason = match error.kind {
                ErrorKind::Div0 => "division by zero",
                ErrorKind::NA => "value not available (no match or no data)",
                ErrorKind::Value => "wrong type of value",
                ErrorKind::Num => "invalid number",
                ErrorKind::Ref => "invalid reference",
                ErrorKind::Name => "unknown name",
                ErrorKind::Null => "empty intersection",
            };
            *value = Value::error_at(error.kind, rule, per_row.then_some(row), reason);
        }
    }
}

/// A value as text for a flag message, with an optional Excel number format.
pub fn display_value(value: &Value, format: Option<&str>) -> String {
    if let (Some(format), Some(number)) = (format, value.as_f64())
        && let Some(text) = crate::functions::number_format::format_number(number, format)
    {
        return text;
    }
    match value {
        Value::Error(e) => e.kind.as_str().to_string(),
        Value::Date(serial) => {
            crate::functions::number_format::format_number(*serial, "yyyy-mm-dd")
                .unwrap_or_else(|| serial.to_string())
        }
        other => other.to_text().map(|t| t.to_string()).unwrap_or_default(),
    }
}
