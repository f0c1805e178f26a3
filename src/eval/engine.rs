//! The vectorized evaluator: runs a [`Plan`] over input tables a column at a time, the
//! steps of one dependency level in parallel, grouped aggregates in one pass over group ids.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use thiserror::Error;

use crate::eval::grouping::{Grouping, KeyCodes, NO_GROUP};
use crate::eval::operators;
use crate::eval::schedule;
use crate::eval::vector::{self, Memo, Operand};
use crate::functions::{Aggregate, Arg, CallContext, FunctionSpec, Kernel};
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::table::column::{ColumnValues, float_member};
use crate::table::{Column, Table};
use crate::value::{ErrorKind, Value, number_result};

mod variants;

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
    Ok(run_plan(plan, inputs, overrides, context, on_step)?.finish())
}

/// Runs every level of the plan: the state [`Run::finish`] turns into results.
fn run_plan<'p>(
    plan: &'p Plan,
    inputs: Vec<Table>,
    overrides: &[(String, Value)],
    context: &CallContext,
    on_step: &mut dyn FnMut(Step, std::time::Duration),
) -> Result<Run<'p>, EvalError> {
    let mut run = Run::new(plan, inputs, overrides, context)?;
    let levels = schedule::levels(plan);
    run.last_read = schedule::last_read_levels(plan, &levels);
    for (index, level) in levels.iter().enumerate() {
        run.run_level(index, level, on_step);
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
    let mut run = Run::new(plan, inputs, &[], context)?;
    for (index, level) in schedule::levels(plan).iter().enumerate() {
        run.run_level(index, level, &mut |_, _| {});
    }
    let mut values = run
        .eval(
            node,
            Scope {
                table: None,
                rows: 1,
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

/// What one step computed, stored by [`Run::apply`].
enum Output {
    Nothing,
    Column(TableId, ColumnId, Vec<Value>),
    /// A column computed in its stored shape (codes into a dictionary).
    Stored(TableId, ColumnId, ColumnValues),
    Scalar(ScalarId, Value),
    Group(TableId, Grouping, Vec<Vec<Value>>),
    Flags(usize, Vec<FlagHit>),
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
    /// compactly; read through [`Run::column_view`].
    columns: Vec<Option<Arc<ColumnValues>>>,
    /// Float and text-buffer columns made readable, kept until the last level that
    /// reads them (see [`Run::column_view`]).
    decoded: Vec<OnceLock<Readable>>,
    /// Shared with the runs of variants that do not group this table again.
    grouping: Option<Arc<Grouping>>,
}

struct Run<'p> {
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

impl<'p> Run<'p> {
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
                TableKind::Grouped { .. } => tables.push(RuntimeTable {
                    rows: 0,
                    columns: vec![None; table.columns.len()],
                    decoded: table.columns.iter().map(|_| OnceLock::new()).collect(),
                    grouping: None,
                }),
            }
        }
        Ok(Run {
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

    /// Computes one step from what earlier steps stored; [`Run::apply`] stores it.
    fn compute(&self, step: Step) -> Output {
        match step {
            Step::Group(table) => self.build_group(table),
            Step::Column(table, column) => {
                let Some(ColumnOrigin::Formula(node)) = self.plan.tables[table]
                    .columns
                    .get(column)
                    .map(|c| &c.origin)
                else {
                    return Output::Nothing;
                };
                let scope = Scope {
                    table: Some(table),
                    rows: self.tables[table].rows,
                };
                let values = match self.eval(node, scope) {
                    // Errors made here get a per-row origin, so only a dictionary without
                    // them is kept as it is.
                    Values::Coded { codes, dictionary }
                        if codes.len() == scope.rows && !dictionary.iter().any(needs_origin) =>
                    {
                        match ColumnValues::from_codes(codes.into_owned(), dictionary.into_owned())
                        {
                            Ok(stored) => return Output::Stored(table, column, stored),
                            Err(_) => return Output::Nothing,
                        }
                    }
                    values => values.into_vec(scope.rows),
                };
                let mut values = values;
                let rule: Arc<str> = Arc::from(self.plan.step_name(step).as_str());
                stamp_origins(&mut values, &rule, true);
                Output::Column(table, column, values)
            }
            Step::Scalar(id) => {
                let Some(scalar) = self.plan.scalars.get(id) else {
                    return Output::Nothing;
                };
                let scope = Scope {
                    table: None,
                    rows: 1,
                };
                let mut values = self.eval(&scalar.node, scope).into_vec(1);
                stamp_origins(&mut values, &scalar.name, false);
                Output::Scalar(id, values.pop().unwrap_or_default())
            }
            Step::Flag(id) => Output::Flags(id, self.raise_flags(id)),
        }
    }

    fn apply(&mut self, output: Output) {
        match output {
            Output::Nothing => {}
            Output::Column(table, column, values) => self.store_column(table, column, values),
            Output::Stored(table, column, stored) => {
                if let Some(slot) = self
                    .tables
                    .get_mut(table)
                    .and_then(|t| t.columns.get_mut(column))
                {
                    *slot = Some(Arc::new(stored));
                }
            }
            Output::Scalar(id, value) => {
                if let Some(slot) = self.scalars.get_mut(id) {
                    *slot = value;
                }
            }
            Output::Group(table, grouping, key_columns) => {
                let runtime = &mut self.tables[table];
                runtime.rows = grouping.group_count();
                runtime.grouping = Some(Arc::new(grouping));
                for (position, values) in key_columns.into_iter().enumerate() {
                    self.store_column(table, position, values);
                }
            }
            Output::Flags(id, hits) => {
                self.flags.insert(id, hits);
            }
        }
    }

    /// Runs one level of the schedule: what its steps need prepared (group matches,
    /// key codes) first, then the steps themselves, in parallel when there are several.
    fn run_level(
        &mut self,
        index: usize,
        level: &[Step],
        on_step: &mut dyn FnMut(Step, std::time::Duration),
    ) {
        self.level = index;
        self.release_decoded();
        for step in level {
            self.prepare_matches(*step);
        }
        self.prepare_key_codes(level);
        let this = &*self;
        let timed = |step: &Step| {
            let started = std::time::Instant::now();
            let output = this.compute(*step);
            (output, started.elapsed())
        };
        let outputs: Vec<(Output, std::time::Duration)> = if level.len() > 1 {
            level.par_iter().map(timed).collect()
        } else {
            level.iter().map(timed).collect()
        };
        for (step, (output, took)) in level.iter().zip(outputs) {
            self.apply(output);
            on_step(*step, took);
        }
    }

    /// Codes the key columns the level's groupings need, once per column, in parallel.
    fn prepare_key_codes(&mut self, level: &[Step]) {
        let mut missing: Vec<(TableId, ColumnId)> = Vec::new();
        for step in level {
            if let Step::Group(table) = step
                && let TableKind::Grouped {
                    source,
                    ref source_keys,
                    ..
                } = self.plan.tables[*table].kind
            {
                for key in source_keys {
                    if !self.key_codes.contains_key(&(source, *key))
                        && !missing.contains(&(source, *key))
                    {
                        missing.push((source, *key));
                    }
                }
            }
        }
        let this = &*self;
        let built: Vec<((TableId, ColumnId), Arc<KeyCodes>)> = missing
            .par_iter()
            .filter_map(|&(table, column)| {
                let rows = this.tables.get(table)?.rows;
                let values = this.column_view(table, column)?;
                Some((
                    (table, column),
                    Arc::new(KeyCodes::build_from(values, rows)),
                ))
            })
            .collect();
        self.key_codes.extend(built);
    }

    fn build_group(&self, table: TableId) -> Output {
        let TableKind::Grouped {
            source,
            ref source_keys,
            ref filter,
        } = self.plan.tables[table].kind
        else {
            return Output::Nothing;
        };
        let source_rows = self.tables[source].rows;
        let keep: Option<Arc<Vec<bool>>> = filter.as_ref().map(|f| {
            self.eval_mask(
                f,
                Scope {
                    table: Some(source),
                    rows: source_rows,
                },
            )
        });
        let key_slices: Vec<Operand<'_>> = source_keys
            .iter()
            .map(|k| self.column_view(source, *k).unwrap_or(Operand::Many(&[])))
            .collect();
        if key_slices.iter().any(|k| k.rows() != Some(source_rows)) {
            return Output::Nothing;
        }
        let codes: Vec<Arc<KeyCodes>> = source_keys
            .iter()
            .zip(&key_slices)
            .map(
                |(column, values)| match self.key_codes.get(&(source, *column)) {
                    Some(codes) => Arc::clone(codes),
                    None => Arc::new(KeyCodes::build_from(*values, source_rows)),
                },
            )
            .collect();
        let keep = keep.as_deref().map(Vec::as_slice);
        let grouping = Grouping::from_codes(codes, &key_slices, source_rows, keep)
            .unwrap_or_else(|_| Grouping::build_from(&key_slices, source_rows, keep));
        let key_columns: Vec<Vec<Value>> = key_slices
            .iter()
            .map(|values| {
                grouping
                    .first_rows
                    .iter()
                    .map(|r| values.get(*r).clone())
                    .collect()
            })
            .collect();
        Output::Group(table, grouping, key_columns)
    }

    /// Matches other tables' rows to groups before a step that lists them per group.
    fn prepare_matches(&mut self, step: Step) {
        let (table, nodes): (TableId, Vec<&Node>) = match step {
            Step::Column(t, c) => match self.plan.tables[t].columns.get(c).map(|c| &c.origin) {
                Some(ColumnOrigin::Formula(node)) => (t, vec![node]),
                _ => return,
            },
            Step::Flag(id) => match self.plan.flags.get(id) {
                Some(flag) => {
                    let mut nodes = vec![&flag.condition];
                    nodes.extend(flag.message.iter().filter_map(|p| match p {
                        MessagePart::Hole { node, .. } => Some(node),
                        MessagePart::Literal(_) => None,
                    }));
                    (flag.table, nodes)
                }
                None => return,
            },
            Step::Group(_) | Step::Scalar(_) => return,
        };
        if !self.plan.tables[table].is_grouped() {
            return;
        }
        let mut others = Vec::new();
        for node in nodes {
            collect_group_tables(node, &mut others);
        }
        for other in others {
            self.match_group_rows(table, other);
        }
    }

    /// Computes (once) the group ids of `other`'s rows for grouped table `grouped`.
    fn match_group_rows(&mut self, grouped: TableId, other: TableId) {
        let TableKind::Grouped { source, .. } = self.plan.tables[grouped].kind else {
            return;
        };
        if other == source {
            return;
        }
        if !self.matched.contains_key(&(grouped, other)) {
            let grouped_plan = &self.plan.tables[grouped];
            let key_ids: Vec<Option<ColumnId>> = grouped_plan.columns[..grouped_plan.key_count()]
                .iter()
                .map(|k| self.plan.tables[other].column_id(&k.name))
                .collect();
            let keys: Vec<Operand<'_>> = key_ids
                .iter()
                .map(|id| {
                    id.and_then(|c| self.column_view(other, c))
                        .unwrap_or(Operand::Many(&[]))
                })
                .collect();
            let rows = self.tables[other].rows;
            let ids = match &self.tables[grouped].grouping {
                Some(grouping) => grouping.match_rows(&keys, rows),
                None => vec![NO_GROUP; rows],
            };
            self.matched.insert((grouped, other), ids);
        }
    }

    fn raise_flags(&self, id: usize) -> Vec<FlagHit> {
        let Some(flag) = self.plan.flags.get(id) else {
            return Vec::new();
        };
        let table = flag.table;
        let scope = Scope {
            table: Some(table),
            rows: self.tables[table].rows,
        };
        let condition = self.eval(&flag.condition, scope);
        let hits: Vec<usize> = (0..scope.rows)
            .filter(|r| matches!(condition.get(*r).to_bool(), Ok(true)))
            .collect();
        if hits.is_empty() {
            return Vec::new();
        }
        let parts: Vec<(Option<Values<'_>>, &MessagePart)> = flag
            .message
            .iter()
            .map(|part| match part {
                MessagePart::Hole { node, .. } => (Some(self.eval(node, scope)), part),
                MessagePart::Literal(_) => (None, part),
            })
            .collect();
        let plan_table = &self.plan.tables[table];
        let subject_columns = plan_table.key_count().max(1).min(plan_table.columns.len());
        let mut new_hits = Vec::with_capacity(hits.len());
        for row in hits {
            let mut message = String::new();
            for (values, part) in &parts {
                match (values, part) {
                    (_, MessagePart::Literal(text)) => message.push_str(text),
                    (Some(values), MessagePart::Hole { format, .. }) => {
                        message.push_str(&display_value(values.get(row), format.as_deref()))
                    }
                    (None, MessagePart::Hole { .. }) => {}
                }
            }
            let subject = (0..subject_columns)
                .filter_map(|c| self.tables[table].columns.get(c).and_then(|c| c.as_ref()))
                .map(|column| display_value(&column.get(row).unwrap_or_default(), None))
                .collect::<Vec<_>>()
                .join(" / ");
            new_hits.push(FlagHit {
                table: Arc::clone(&plan_table.name),
                row,
                subject,
                message,
                flag: id,
            });
        }
        new_hits
    }

    // ----- expressions ------------------------------------------------------------

    fn eval<'s>(&'s self, node: &'s Node, scope: Scope) -> Values<'s> {
        match node {
            Node::Const(v) => Values::One(v.clone()),
            Node::Param(id) => Values::One(self.params.get(*id).cloned().unwrap_or_default()),
            Node::Scalar(id) => Values::One(self.scalars.get(*id).cloned().unwrap_or_default()),
            Node::Column(column) => match scope.table.and_then(|t| self.column_view(t, *column)) {
                Some(Operand::Coded { codes, dictionary }) => Values::Coded {
                    codes: Cow::Borrowed(codes),
                    dictionary: Cow::Borrowed(dictionary),
                },
                Some(Operand::Many(values)) => Values::Many(Cow::Borrowed(values)),
                Some(Operand::One(value)) => Values::One(value.clone()),
                None => Values::One(Value::error(ErrorKind::Ref)),
            },
            Node::Unary(op, operand) => map_values(self.eval(operand, scope), scope, |v| {
                operators::unary(*op, v)
            }),
            Node::Percent(operand) => {
                map_values(self.eval(operand, scope), scope, operators::percent)
            }
            Node::Binary(op, lhs, rhs) => {
                let left = self.eval(lhs, scope);
                let right = self.eval(rhs, scope);
                match (left, right) {
                    (Values::One(a), Values::One(b)) => Values::One(operators::binary(*op, &a, &b)),
                    // Once per dictionary entry, not once per row.
                    (Values::Coded { codes, dictionary }, Values::One(b)) => {
                        Values::map_coded(codes, &dictionary, |a| operators::binary(*op, a, &b))
                    }
                    (Values::One(a), Values::Coded { codes, dictionary }) => {
                        Values::map_coded(codes, &dictionary, |b| operators::binary(*op, &a, b))
                    }
                    (Values::Many(Cow::Owned(mut values)), right)
                        if vector::is_arithmetic(*op) && values.len() == scope.rows =>
                    {
                        vector::arithmetic_in_place(*op, &mut values, right.operand());
                        Values::Many(Cow::Owned(values))
                    }
                    (left, right) => Values::Many(Cow::Owned(vector::binary_rows(
                        *op,
                        left.operand(),
                        right.operand(),
                        scope.rows,
                    ))),
                }
            }
            Node::In {
                needle,
                list,
                negated,
            } => {
                let needle = self.eval(needle, scope);
                let items: Vec<Values<'_>> = list.iter().map(|n| self.eval(n, scope)).collect();
                if let Values::Coded { codes, dictionary } = &needle
                    && items.iter().all(|v| matches!(v, Values::One(_)))
                {
                    let fixed: Vec<Value> = items.iter().map(|v| v.get(0).clone()).collect();
                    return Values::map_coded(codes.clone(), dictionary, |v| {
                        operators::is_in(v, &fixed, *negated)
                    });
                }
                if let Values::Many(needles) = &needle
                    && items.iter().all(|v| matches!(v, Values::One(_)))
                {
                    let fixed: Vec<Value> = items.iter().map(|v| v.get(0).clone()).collect();
                    return Values::Many(Cow::Owned(vector::in_rows(
                        needles, &fixed, *negated, scope.rows,
                    )));
                }
                let all_one = matches!(needle, Values::One(_))
                    && items.iter().all(|v| matches!(v, Values::One(_)));
                let rows = if all_one { 1 } else { scope.rows };
                let mut row_items = Vec::with_capacity(items.len());
                let out: Vec<Value> = (0..rows)
                    .map(|r| {
                        row_items.clear();
                        row_items.extend(items.iter().map(|v| v.get(r).clone()));
                        operators::is_in(needle.get(r), &row_items, *negated)
                    })
                    .collect();
                if all_one {
                    Values::One(out.into_iter().next().unwrap_or_default())
                } else {
                    Values::Many(Cow::Owned(out))
                }
            }
            Node::Call { function, args, .. } => self.eval_call(function, args, scope),
        }
    }

    /// Which rows `node` is TRUE on (errors and non-booleans are not), as a `where`
    /// filter needs: comparisons, `not` and `and` never build a column of values.
    fn eval_mask(&self, node: &Node, scope: Scope) -> Arc<Vec<bool>> {
        // A column used as a filter (`where is_won`, `where not is_closed`) is usually
        // used by many aggregates: its mask is computed once.
        let cached = match (node, scope.table) {
            (Node::Column(c), Some(t)) => Some((t, *c, true)),
            (Node::Unary(crate::lang::ast::UnaryOp::Not, operand), Some(t)) => match **operand {
                Node::Column(c) => Some((t, c, false)),
                _ => None,
            },
            _ => None,
        };
        if let Some(key) = cached
            && let Ok(masks) = self.masks.lock()
            && let Some(mask) = masks.get(&key)
        {
            return Arc::clone(mask);
        }
        let mask = Arc::new(self.compute_mask(node, scope));
        if let Some(key) = cached
            && let Ok(mut masks) = self.masks.lock()
        {
            masks.insert(key, Arc::clone(&mask));
        }
        mask
    }

    fn compute_mask(&self, node: &Node, scope: Scope) -> Vec<bool> {
        match node {
            Node::Binary(op, lhs, rhs) if vector::is_comparison(*op) => {
                let left = self.eval(lhs, scope);
                let right = self.eval(rhs, scope);
                vector::compare_mask(*op, left.operand(), right.operand(), scope.rows)
            }
            Node::Binary(crate::lang::ast::BinaryOp::And, lhs, rhs) => {
                // TRUE exactly when both sides are TRUE (an error on either side is not).
                let mut mask = self.compute_mask(lhs, scope);
                let right = self.eval_mask(rhs, scope);
                for (m, r) in mask.iter_mut().zip(right.iter()) {
                    *m &= *r;
                }
                mask
            }
            Node::Unary(crate::lang::ast::UnaryOp::Not, operand) => {
                let values = self.eval(operand, scope);
                vector::bool_mask(values.operand(), false, scope.rows)
            }
            _ => {
                let values = self.eval(node, scope);
                vector::bool_mask(values.operand(), true, scope.rows)
            }
        }
    }

    fn eval_call<'s>(
        &'s self,
        function: &FunctionSpec,
        args: &'s [ArgNode],
        scope: Scope,
    ) -> Values<'s> {
        if let [ArgNode::List(list)] = args
            && let Some(fast) = self.group_aggregate(function, list, scope)
        {
            return Values::Many(Cow::Owned(fast));
        }
        let mut evaluated: Vec<EvaluatedArg<'_>> = args
            .iter()
            .map(|arg| match arg {
                ArgNode::Value(node) => match self.eval(node, scope) {
                    Values::One(v) => EvaluatedArg::One(v),
                    Values::Many(values) => EvaluatedArg::PerRow(values),
                    Values::Coded { codes, dictionary } => {
                        EvaluatedArg::PerRowCoded { codes, dictionary }
                    }
                },
                ArgNode::List(list) => self.eval_list(list, scope),
            })
            .collect();
        // One coded argument and the rest fixed: the function once per dictionary entry.
        if let Some(coded) = self.call_per_entry(function, &evaluated) {
            return coded;
        }
        let per_row = evaluated.iter().any(|a| {
            matches!(
                a,
                EvaluatedArg::PerRow(_)
                    | EvaluatedArg::PerRowCoded { .. }
                    | EvaluatedArg::PerRowList { .. }
            )
        });
        if per_row
            && function.kernel == Some(Kernel::IndexedLookup)
            && let Some(out) = xlookup_by_index(&evaluated, scope.rows)
        {
            return Values::Many(Cow::Owned(out));
        }
        if per_row && function.kernel == Some(Kernel::ChooseByRow) {
            // A computed then-branch is taken over rather than copied.
            if let [condition, EvaluatedArg::PerRow(Cow::Owned(then)), rest @ ..] =
                evaluated.as_mut_slice()
                && then.len() == scope.rows
                && rest.len() <= 1
                && let Some(condition) = operand_of(condition)
                && let Some(otherwise) =
                    rest.first().map_or(Some(None), |o| operand_of(o).map(Some))
            {
                let then = std::mem::take(then);
                return Values::Many(Cow::Owned(vector::if_rows_over(condition, then, otherwise)));
            }
            if let Some(out) = if_by_rows(&evaluated, scope.rows) {
                return Values::Many(Cow::Owned(out));
            }
        }
        let rows = if per_row { scope.rows } else { 1 };
        // One argument varies by row and the rest are fixed: the result is a function
        // of that one value, so compute it once per distinct value (functions are pure).
        let varying: Vec<usize> = evaluated
            .iter()
            .enumerate()
            .filter(|(_, a)| !matches!(a, EvaluatedArg::One(_) | EvaluatedArg::List(_)))
            .map(|(i, _)| i)
            .collect();
        let memo_arg = match (varying.as_slice(), per_row) {
            ([i], true) => match evaluated.get(*i) {
                Some(EvaluatedArg::PerRow(values)) => Some(&**values),
                _ => None,
            },
            _ => None,
        };
        let mut memo: Memo<Value> = Memo::for_rows(rows);
        let mut out = Vec::with_capacity(rows);
        let mut call_args: Vec<Arg<'_>> = Vec::with_capacity(evaluated.len());
        for row in 0..rows {
            let mut call = || {
                call_args.clear();
                for arg in &evaluated {
                    call_args.push(match arg {
                        EvaluatedArg::One(v) => Arg::Value(v),
                        EvaluatedArg::PerRow(values) => {
                            Arg::Value(values.get(row).unwrap_or(&Value::Blank))
                        }
                        EvaluatedArg::PerRowCoded { codes, dictionary } => Arg::Value(
                            codes
                                .get(row)
                                .and_then(|c| dictionary.get(*c as usize))
                                .unwrap_or(&Value::Blank),
                        ),
                        EvaluatedArg::List(values) => Arg::List(values),
                        EvaluatedArg::PerRowList { values, starts } => {
                            Arg::List(match (starts.get(row), starts.get(row + 1)) {
                                (Some(&start), Some(&end)) => values.get(start..end).unwrap_or(&[]),
                                _ => &[],
                            })
                        }
                    });
                }
                function.call(&call_args, &self.context)
            };
            out.push(match memo_arg {
                Some(values) => memo.get_or(values.get(row).unwrap_or(&Value::Blank), call),
                None => call(),
            });
        }
        if per_row {
            Values::Many(Cow::Owned(out))
        } else {
            Values::One(out.pop().unwrap_or_default())
        }
    }

    /// A call whose only per-row argument is coded, computed once per dictionary entry
    /// (functions are pure); `None` when the arguments are of another shape.
    fn call_per_entry<'s>(
        &self,
        function: &FunctionSpec,
        evaluated: &[EvaluatedArg<'s>],
    ) -> Option<Values<'s>> {
        let mut coded = None;
        for (index, arg) in evaluated.iter().enumerate() {
            match arg {
                EvaluatedArg::One(_) | EvaluatedArg::List(_) => {}
                EvaluatedArg::PerRowCoded { .. } if coded.is_none() => coded = Some(index),
                _ => return None,
            }
        }
        let Some(EvaluatedArg::PerRowCoded { codes, dictionary }) = evaluated.get(coded?) else {
            return None;
        };
        let results: Vec<Value> = dictionary
            .iter()
            .map(|entry| {
                let call_args: Vec<Arg<'_>> = evaluated
                    .iter()
                    .map(|arg| match arg {
                        EvaluatedArg::One(v) => Arg::Value(v),
                        EvaluatedArg::List(values) => Arg::List(values),
                        _ => Arg::Value(entry),
                    })
                    .collect();
                function.call(&call_args, &self.context)
            })
            .collect();
        Some(Values::Coded {
            codes: codes.clone(),
            dictionary: Cow::Owned(results),
        })
    }

    /// Evaluates a list argument: the same list for every row, or one per group.
    fn eval_list<'s>(&'s self, list: &'s ListNode, scope: Scope) -> EvaluatedArg<'s> {
        match list.domain {
            ListDomain::Array => {
                let element_scope = Scope {
                    table: None,
                    rows: 1,
                };
                EvaluatedArg::List(
                    list.elements
                        .iter()
                        .map(|e| self.eval(e, element_scope).get(0).clone())
                        .collect(),
                )
            }
            ListDomain::Table(table) => {
                let (values, keep) = self.list_values(list, table);
                EvaluatedArg::List(match keep {
                    Some(keep) => keep
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| **k)
                        .map(|(row, _)| values.get(row).clone())
                        .collect(),
                    None => values.into_vec(self.tables[table].rows),
                })
            }
            ListDomain::Group { table } => {
                let groups = scope.rows;
                let Some(ids) = scope.table.and_then(|g| self.cached_group_ids(g, table)) else {
                    return EvaluatedArg::PerRowList {
                        values: Vec::new(),
                        starts: vec![0; groups + 1],
                    };
                };
                let (values, keep) = self.list_values(list, table);
                let member = |row: usize, group: u32| {
                    group != NO_GROUP
                        && (group as usize) < groups
                        && keep.as_ref().is_none_or(|k| k[row])
                };
                // Counting sort by group id: count, prefix-sum, place (rows keep their order).
                let mut starts = vec![0usize; groups + 1];
                for (row, group) in ids.iter().enumerate() {
                    if member(row, *group) {
                        starts[*group as usize + 1] += 1;
                    }
                }
                for g in 0..groups {
                    starts[g + 1] += starts[g];
                }
                let mut next = starts.clone();
                let mut flat = vec![Value::Blank; starts[groups]];
                for (row, group) in ids.iter().enumerate() {
                    if member(row, *group) {
                        let slot = &mut next[*group as usize];
                        flat[*slot] = values.get(row).clone();
                        *slot += 1;
                    }
                }
                EvaluatedArg::PerRowList {
                    values: flat,
                    starts,
                }
            }
        }
    }

    /// The list's expression over all rows of `table`, and which rows its filter keeps.
    fn list_values<'s>(
        &'s self,
        list: &'s ListNode,
        table: TableId,
    ) -> (Values<'s>, Option<Arc<Vec<bool>>>) {
        let scope = Scope {
            table: Some(table),
            rows: self.tables[table].rows,
        };
        let values = self.eval(&list.expr, scope);
        let keep = list.filter.as_ref().map(|f| self.eval_mask(f, scope));
        (values, keep)
    }

    fn cached_group_ids(&self, grouped: TableId, other: TableId) -> Option<&[u32]> {
        let TableKind::Grouped { source, .. } = self.plan.tables.get(grouped)?.kind else {
            return None;
        };
        if other == source {
            return self.tables[grouped]
                .grouping
                .as_ref()
                .map(|g| g.row_groups.as_slice());
        }
        self.matched.get(&(grouped, other)).map(Vec::as_slice)
    }

    /// SUM, COUNT, COUNTA, AVERAGE, MIN and MAX of one group list, accumulated in a
    /// single pass without building per-group lists.
    fn group_aggregate(
        &self,
        function: &FunctionSpec,
        list: &ListNode,
        scope: Scope,
    ) -> Option<Vec<Value>> {
        let ListDomain::Group { table } = list.domain else {
            return None;
        };
        let Some(Kernel::Aggregate(kind)) = function.kernel else {
            return None;
        };
        let ids = scope.table.and_then(|g| self.cached_group_ids(g, table))?;
        // A stored float column is aggregated from its floats, never decoded.
        if let Node::Column(column) = &list.expr
            && let Some(ColumnValues::Floats { data, extras, .. }) = self.stored(table, *column)
            && data.len() >= ids.len()
        {
            let keep = list.filter.as_ref().map(|f| {
                self.eval_mask(
                    f,
                    Scope {
                        table: Some(table),
                        rows: self.tables[table].rows,
                    },
                )
            });
            let members = Members::Floats { data, extras };
            return Some(accumulate(
                kind,
                ids,
                members,
                keep.as_deref().map(Vec::as_slice),
                scope.rows,
            ));
        }
        let (values, keep) = self.list_values(list, table);
        Some(accumulate(
            kind,
            ids,
            Members::Values(values.operand()),
            keep.as_deref().map(Vec::as_slice),
            scope.rows,
        ))
    }

    fn finish(mut self) -> Evaluated {
        let plan = self.plan;
        let mut flags = Vec::new();
        for step in &plan.order {
            if let Step::Flag(id) = step {
                flags.extend(self.flags.remove(id).unwrap_or_default());
            }
        }
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
        }
    }
}

/// XLOOKUP with the default exact, first-to-last match against lists that are the
/// same for every row: one hash index instead of one scan per row.
fn xlookup_by_index(args: &[EvaluatedArg<'_>], rows: usize) -> Option<Vec<Value>> {
    let per_row = |arg: &EvaluatedArg<'_>, row: usize| match arg {
        EvaluatedArg::One(v) => Some(v.clone()),
        EvaluatedArg::PerRow(values) => Some(values.get(row).cloned().unwrap_or_default()),
        EvaluatedArg::PerRowCoded { codes, dictionary } => Some(
            codes
                .get(row)
                .and_then(|c| dictionary.get(*c as usize))
                .cloned()
                .unwrap_or_default(),
        ),
        _ => None,
    };
    let [
        needle,
        EvaluatedArg::List(keys),
        EvaluatedArg::List(values),
        rest @ ..,
    ] = args
    else {
        return None;
    };
    if rest.len() > 1
        || per_row(needle, 0).is_none()
        || rest.first().is_some_and(|a| per_row(a, 0).is_none())
    {
        return None;
    }
    let needles = |row: usize| per_row(needle, row).unwrap_or_default();
    let fallback = rest
        .first()
        .map(|arg| move |row: usize| per_row(arg, row).unwrap_or_default());
    let fallback_ref: Option<&dyn Fn(usize) -> Value> =
        fallback.as_ref().map(|f| f as &dyn Fn(usize) -> Value);
    crate::eval::kernels::xlookup_exact(&needles, keys, values, fallback_ref, rows)
}

/// IF over rows without a call per row; `None` when an argument is a list (the
/// function then reports it).
fn operand_of<'a>(arg: &'a EvaluatedArg<'_>) -> Option<Operand<'a>> {
    match arg {
        EvaluatedArg::One(v) => Some(Operand::One(v)),
        EvaluatedArg::PerRow(values) => Some(Operand::Many(values)),
        EvaluatedArg::PerRowCoded { codes, dictionary } => {
            Some(Operand::Coded { codes, dictionary })
        }
        _ => None,
    }
}

fn if_by_rows(args: &[EvaluatedArg<'_>], rows: usize) -> Option<Vec<Value>> {
    let operand = operand_of;
    match args {
        [condition, then] => Some(vector::if_rows(
            operand(condition)?,
            operand(then)?,
            None,
            rows,
        )),
        [condition, then, otherwise] => Some(vector::if_rows(
            operand(condition)?,
            operand(then)?,
            Some(operand(otherwise)?),
            rows,
        )),
        _ => None,
    }
}

/// Tables listed per group anywhere in `node` (top-level lists only: nested lists are
/// evaluated over their own table's rows, not per group).
fn collect_group_tables(node: &Node, out: &mut Vec<TableId>) {
    match node {
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => {}
        Node::Unary(_, n) | Node::Percent(n) => collect_group_tables(n, out),
        Node::Binary(_, l, r) => {
            collect_group_tables(l, out);
            collect_group_tables(r, out);
        }
        Node::In { needle, list, .. } => {
            collect_group_tables(needle, out);
            list.iter().for_each(|n| collect_group_tables(n, out));
        }
        Node::Call { args, .. } => {
            for arg in args {
                match arg {
                    ArgNode::Value(n) => collect_group_tables(n, out),
                    ArgNode::List(list) => {
                        if let ListDomain::Group { table } = list.domain
                            && !out.contains(&table)
                        {
                            out.push(table);
                        }
                    }
                }
            }
        }
    }
}

/// Calls `f(group, value)` for every row of `values` in a group (and kept by `keep`).
#[inline]
fn for_members<'v>(
    ids: &[u32],
    members: Members<'v>,
    keep: Option<&[bool]>,
    groups: usize,
    mut f: impl FnMut(usize, Member<'v>),
) {
    let values = match members {
        Members::Values(values) => values,
        Members::Floats { data, extras } => {
            let mut visit = |g: usize, x: &f64| {
                f(
                    g,
                    match float_member(*x, extras) {
                        Ok(n) => Member::Number(n),
                        Err(value) => Member::Value(value),
                    },
                )
            };
            match keep {
                None => {
                    for (group, x) in ids.iter().zip(data) {
                        if (*group as usize) < groups {
                            visit(*group as usize, x);
                        }
                    }
                }
                Some(keep) => {
                    for ((group, x), kept) in ids.iter().zip(data).zip(keep) {
                        if *kept && (*group as usize) < groups {
                            visit(*group as usize, x);
                        }
                    }
                }
            }
            return;
        }
    };
    let mut f = |g: usize, value: &'v Value| f(g, Member::Value(value));
    // NO_GROUP is never below `groups`, so one comparison skips it too.
    match (values, keep) {
        (Operand::Many(values), None) if values.len() >= ids.len() => {
            for (group, value) in ids.iter().zip(values) {
                if (*group as usize) < groups {
                    f(*group as usize, value);
                }
            }
        }
        (Operand::Many(values), Some(keep)) if values.len() >= ids.len() => {
            for ((group, value), kept) in ids.iter().zip(values).zip(keep) {
                if *kept && (*group as usize) < groups {
                    f(*group as usize, value);
                }
            }
        }
        // `COUNT(Table where …)`: the same value (1) for every row.
        (Operand::One(value), None) => {
            for group in ids {
                if (*group as usize) < groups {
                    f(*group as usize, value);
                }
            }
        }
        (Operand::One(value), Some(keep)) if keep.len() >= ids.len() => {
            for (group, kept) in ids.iter().zip(keep) {
                if *kept && (*group as usize) < groups {
                    f(*group as usize, value);
                }
            }
        }
        _ => {
            for (row, group) in ids.iter().enumerate() {
                let g = *group as usize;
                if g >= groups || keep.is_some_and(|k| !k.get(row).copied().unwrap_or(false)) {
                    continue;
                }
                f(g, values.get(row));
            }
        }
    }
}

/// SUM, COUNT, COUNTA, AVERAGE, MIN or MAX of every group in one pass over the rows,
/// one specialized loop per function. The first error in a group is its result
/// (except for COUNT and COUNTA, which count instead).
/// Kept rows per group (rows of no group, or filtered out, are not counted).
fn count_rows(ids: &[u32], keep: Option<&[bool]>, counts: &mut [usize]) {
    match keep {
        None => {
            for group in ids {
                if let Some(n) = counts.get_mut(*group as usize) {
                    *n += 1;
                }
            }
        }
        Some(keep) => {
            for (group, kept) in ids.iter().zip(keep) {
                if *kept && let Some(n) = counts.get_mut(*group as usize) {
                    *n += 1;
                }
            }
        }
    }
}

/// What an aggregate reads: values (of any shape an operand has), or a stored float
/// column read from its floats.
#[derive(Clone, Copy)]
enum Members<'v> {
    Values(Operand<'v>),
    Floats {
        data: &'v [f64],
        extras: &'v [Value],
    },
}

/// One member of a group: a number or date read from a float column, or a value.
#[derive(Clone, Copy)]
enum Member<'v> {
    Number(f64),
    Value(&'v Value),
}

impl<'v> Member<'v> {
    /// The number of a number or date member.
    #[inline]
    fn number(self) -> Option<f64> {
        match self {
            Member::Number(n) => Some(n),
            Member::Value(Value::Number(n) | Value::Date(n)) => Some(*n),
            Member::Value(_) => None,
        }
    }

    /// The member when it is an error value.
    #[inline]
    fn error(self) -> Option<&'v Value> {
        match self {
            Member::Value(v @ Value::Error(_)) => Some(v),
            _ => None,
        }
    }
}

fn accumulate(
    kind: Aggregate,
    ids: &[u32],
    values: Members<'_>,
    keep: Option<&[bool]>,
    groups: usize,
) -> Vec<Value> {
    if kind == Aggregate::Median {
        return median_by_group(ids, values, keep, groups);
    }
    // `COUNT(Table where …)` counts one fixed value per kept row: count the rows.
    if let (Aggregate::Count | Aggregate::CountA, Members::Values(Operand::One(value))) =
        (kind, values)
    {
        let counted = match kind {
            Aggregate::Count => value.is_number(),
            _ => !value.is_blank(),
        };
        let mut counts = vec![0usize; groups];
        if counted {
            count_rows(ids, keep, &mut counts);
        }
        return counts
            .into_iter()
            .map(|n| Value::Number(n as f64))
            .collect();
    }
    let mut sums = vec![0.0f64; groups];
    let mut counts = vec![0usize; groups];
    let mut errors: Vec<Option<&Value>> = vec![None; groups];
    match kind {
        Aggregate::Median => {}
        Aggregate::Count => for_members(ids, values, keep, groups, |g, m| {
            if m.number().is_some() {
                counts[g] += 1;
            }
        }),
        Aggregate::CountA => for_members(ids, values, keep, groups, |g, m| {
            if !matches!(m, Member::Value(Value::Blank)) {
                counts[g] += 1;
            }
        }),
        Aggregate::Sum | Aggregate::Average => for_members(ids, values, keep, groups, |g, m| {
            if let Some(n) = m.number() {
                sums[g] += n;
                counts[g] += 1;
            } else if errors[g].is_none() {
                errors[g] = m.error();
            }
        }),
        Aggregate::Min | Aggregate::Max => {
            let min = kind == Aggregate::Min;
            for_members(ids, values, keep, groups, |g, m| {
                if let Some(n) = m.number() {
                    sums[g] = if counts[g] == 0 {
                        n
                    } else if min {
                        sums[g].min(n)
                    } else {
                        sums[g].max(n)
                    };
                    counts[g] += 1;
                } else if errors[g].is_none() {
                    errors[g] = m.error();
                }
            })
        }
    }
    (0..groups)
        .map(|g| {
            if let Some(error) = errors[g] {
                return error.clone();
            }
            match kind {
                Aggregate::Sum => number_result(sums[g]),
                Aggregate::Count | Aggregate::CountA => Value::Number(counts[g] as f64),
                Aggregate::Average if counts[g] == 0 => Value::error(ErrorKind::Div0),
                Aggregate::Average => number_result(sums[g] / counts[g] as f64),
                // An empty group's MIN and MAX are 0, as in Excel.
                Aggregate::Min | Aggregate::Max if counts[g] == 0 => Value::Number(0.0),
                Aggregate::Min | Aggregate::Max | Aggregate::Median => Value::Number(sums[g]),
            }
        })
        .collect()
}

/// MEDIAN of every group as `functions::stats::median` computes it (numbers and dates
/// only, the first error wins, `#NUM!` when empty): every group's numbers placed in one
/// array by a counting sort, each group's slice sorted in place. No allocation per group.
fn median_by_group(
    ids: &[u32],
    values: Members<'_>,
    keep: Option<&[bool]>,
    groups: usize,
) -> Vec<Value> {
    let mut starts = vec![0usize; groups + 1];
    let mut errors: Vec<Option<&Value>> = vec![None; groups];
    for_members(ids, values, keep, groups, |g, m| {
        if m.number().is_some() {
            starts[g + 1] += 1;
        } else if errors[g].is_none() {
            errors[g] = m.error();
        }
    });
    for g in 0..groups {
        starts[g + 1] += starts[g];
    }
    let mut next = starts.clone();
    let mut numbers = vec![0.0f64; starts[groups]];
    for_members(ids, values, keep, groups, |g, m| {
        if let Some(n) = m.number() {
            numbers[next[g]] = n;
            next[g] += 1;
        }
    });
    (0..groups)
        .map(|g| {
            if let Some(error) = errors[g] {
                return error.clone();
            }
            let group = &mut numbers[starts[g]..starts[g + 1]];
            group.sort_unstable_by(f64::total_cmp);
            let n = group.len();
            if n == 0 {
                return Value::error(ErrorKind::Num);
            }
            let mid = n / 2;
            number_result(if n % 2 == 1 {
                group[mid]
            } else {
                (group[mid - 1] + group[mid]) / 2.0
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Aggregating a float column from its floats gives what aggregating its values
    /// gives, for every kind, with blanks, stray text, errors and a filter.
    #[test]
    fn float_members_aggregate_like_values() {
        let rows = 2_000;
        let values: Vec<Value> = (0..rows)
            .map(|i| match i % 11 {
                0 => Value::Blank,
                1 => Value::text(""),
                2 if i > 1_500 => Value::error(ErrorKind::Div0),
                _ => Value::Number(f64::from(i) * 0.5 - 300.0),
            })
            .collect();
        let stored = ColumnValues::compact(values.clone());
        let ColumnValues::Floats { data, extras, .. } = &stored else {
            panic!("expected floats, got {}", stored.shape_name());
        };
        let groups = 7;
        let ids: Vec<u32> = (0..rows)
            .map(|i| {
                if i % 13 == 0 {
                    NO_GROUP
                } else {
                    (i % groups) as u32
                }
            })
            .collect();
        let keep: Vec<bool> = (0..rows).map(|i| i % 5 != 0).collect();
        let kinds = [
            Aggregate::Sum,
            Aggregate::Count,
            Aggregate::CountA,
            Aggregate::Average,
            Aggregate::Min,
            Aggregate::Max,
            Aggregate::Median,
        ];
        for kind in kinds {
            for keep in [None, Some(keep.as_slice())] {
                let run =
                    |members: Members<'_>| accumulate(kind, &ids, members, keep, groups as usize);
                let from_values = run(Members::Values(Operand::Many(&values)));
                let from_floats = run(Members::Floats { data, extras });
                assert_eq!(
                    from_floats,
                    from_values,
                    "{kind:?}, filtered: {}",
                    keep.is_some()
                );
                // One fixed value for every row (`COUNT(Table where …)`), against the
                // same value repeated as a column.
                for fixed in [Value::Number(1.0), Value::Blank, Value::text("x")] {
                    let column = vec![fixed.clone(); rows as usize];
                    let from_one = run(Members::Values(Operand::One(&fixed)));
                    let from_column = run(Members::Values(Operand::Many(&column)));
                    assert_eq!(from_one, from_column, "{kind:?} of {fixed:?}");
                }
            }
        }
    }
}
