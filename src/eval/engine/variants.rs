//! Variants of one evaluation: the same plan over the same inputs with other params. A
//! full evaluation is kept, and each variant computes again only what a changed param reaches.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use super::{EvalError, Evaluated, Evaluation, RuntimeTable, evaluate_plan, param_values};
use crate::eval::schedule;
use crate::functions::CallContext;
use crate::lang::plan::{Plan, Step, TableId, TablePlan};
use crate::table::Table;
use crate::value::Value;

/// A full evaluation kept to evaluate variants of it: the same plan over the same
/// inputs with other param values. Columns are shared with the variants, not copied.
pub struct Baseline<'p> {
    /// The state after every step, before [`Evaluation::finish`].
    run: Evaluation<'p>,
    levels: Vec<Vec<Step>>,
}

impl<'p> Baseline<'p> {
    /// Evaluates `plan` fully, as [`super::evaluate`] does, and keeps what it computed.
    pub fn evaluate(
        plan: &'p Plan,
        inputs: Vec<Table>,
        overrides: &[(String, Value)],
        context: &CallContext,
    ) -> Result<(Baseline<'p>, Evaluated), EvalError> {
        let run = evaluate_plan(plan, inputs, overrides, context, &mut |_, _| {})?;
        let baseline = Baseline {
            run: run.fork(),
            levels: schedule::levels(plan),
        };
        Ok((baseline, run.finish()))
    }

    /// The plan evaluated over the baseline's inputs with `overrides` replacing param
    /// defaults: exactly what [`super::evaluate`] gives. Only the steps that depend on
    /// a param whose value differs from the baseline's are computed again (every step
    /// when the context differs); the rest is the baseline's.
    pub fn variant(
        &self,
        overrides: &[(String, Value)],
        context: &CallContext,
    ) -> Result<Evaluated, EvalError> {
        let plan = self.run.plan;
        let params = param_values(plan, overrides)?;
        let rerun: HashSet<Step> = if same_context(&self.run.context, context) {
            schedule::param_dependents(plan, |id| {
                !same_param(params.get(id), self.run.params.get(id))
            })
            .into_iter()
            .collect()
        } else {
            plan.order.iter().copied().collect()
        };
        let mut run = self.run.fork();
        run.params = params;
        run.context = context.clone();
        run.forget_rewritten(&rerun);
        let levels: Vec<Vec<Step>> = self
            .levels
            .iter()
            .map(|level| {
                level
                    .iter()
                    .copied()
                    .filter(|step| rerun.contains(step))
                    .collect::<Vec<_>>()
            })
            .filter(|level| !level.is_empty())
            .collect();
        run.last_read = schedule::last_read_levels(plan, &levels);
        for (index, level) in levels.iter().enumerate() {
            run.compute_level(index, level, &mut |_, _| {});
            if let Some(failure) = run.failure.take() {
                return Err(failure);
            }
        }
        Ok(run.finish())
    }
}

/// Evaluates `plan` over `inputs` once per variant (param overrides and context), in
/// order; the first fully, the others through a [`Baseline`] of it.
pub fn evaluate_variants(
    plan: &Plan,
    inputs: Vec<Table>,
    variants: &[(Vec<(String, Value)>, CallContext)],
) -> Result<Vec<Evaluated>, EvalError> {
    let Some(((overrides, context), rest)) = variants.split_first() else {
        return Ok(Vec::new());
    };
    let (baseline, first) = Baseline::evaluate(plan, inputs, overrides, context)?;
    let mut results = Vec::with_capacity(variants.len());
    results.push(first);
    for (overrides, context) in rest {
        results.push(baseline.variant(overrides, context)?);
    }
    Ok(results)
}

/// Whether a param has the very same value (numbers bit for bit, text case and all;
/// an error value never counts as the same).
fn same_param(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y)))
        | (Some(Value::Date(x)), Some(Value::Date(y))) => x.to_bits() == y.to_bits(),
        (Some(Value::Text(x)), Some(Value::Text(y))) => x == y,
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x == y,
        (Some(Value::Blank), Some(Value::Blank)) | (None, None) => true,
        _ => false,
    }
}

fn same_context(a: &CallContext, b: &CallContext) -> bool {
    // Destructured so that a new field does not compile until it is compared here.
    let CallContext { as_of } = a;
    as_of.map(f64::to_bits) == b.as_of.map(f64::to_bits)
}

impl<'p> Evaluation<'p> {
    /// A copy of this run's state to compute some steps again: columns, groupings and
    /// key codes shared, decoded columns not copied (read again when needed).
    fn fork(&self) -> Evaluation<'p> {
        Evaluation {
            plan: self.plan,
            tables: self
                .tables
                .iter()
                .map(|table| RuntimeTable {
                    rows: table.rows,
                    columns: table.columns.clone(),
                    decoded: table.columns.iter().map(|_| OnceLock::new()).collect(),
                    grouping: table.grouping.clone(),
                })
                .collect(),
            params: self.params.clone(),
            scalars: self.scalars.clone(),
            flags: self.flags.clone(),
            context: self.context.clone(),
            matched: self.matched.clone(),
            key_codes: self.key_codes.clone(),
            masks: Mutex::new(
                self.masks
                    .lock()
                    .map(|masks| masks.clone())
                    .unwrap_or_default(),
            ),
            last_read: HashMap::new(),
            level: 0,
            analysis_reports: self.analysis_reports.clone(),
            failure: None,
            misses: Mutex::new(
                self.misses
                    .lock()
                    .map(|misses| misses.clone())
                    .unwrap_or_default(),
            ),
            branch_rows: Mutex::new(Vec::new()),
        }
    }

    /// Drops what was derived from anything the `rerun` steps will write: key codes
    /// and masks of their columns, and row-to-group matches built from a regrouped
    /// table or from a rewritten column that matches on a group key.
    fn forget_rewritten(&mut self, rerun: &HashSet<Step>) {
        let plan = self.plan;
        let masks = match self.masks.get_mut() {
            Ok(masks) => masks,
            Err(poisoned) => poisoned.into_inner(),
        };
        for step in rerun {
            let columns: Vec<(TableId, usize)> = match *step {
                Step::Group(table) => {
                    self.matched.retain(|(grouped, _), _| *grouped != table);
                    let keys = plan.tables.get(table).map_or(0, |t| t.key_count());
                    (0..keys).map(|key| (table, key)).collect()
                }
                Step::Analysis(table) => {
                    let built = plan.tables.get(table).map_or(0, TablePlan::built_columns);
                    (0..built).map(|column| (table, column)).collect()
                }
                Step::Column(table, column) => vec![(table, column)],
                Step::Scalar(_) | Step::Flag(_) => Vec::new(),
            };
            for (table, column) in columns {
                self.key_codes.remove(&(table, column));
                masks.retain(|(t, c, _), _| (*t, *c) != (table, column));
                let name = plan
                    .tables
                    .get(table)
                    .and_then(|t| t.columns.get(column))
                    .map(|c| &c.name);
                self.matched.retain(|(grouped, other), _| {
                    *other != table
                        || !plan.tables.get(*grouped).is_some_and(|g| {
                            g.columns[..g.key_count()]
                                .iter()
                                .any(|key| Some(&key.name) == name)
                        })
                });
            }
        }
    }
}
