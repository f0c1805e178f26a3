//! Function calls over whole columns: per-row arguments, a coded argument computed
//! once per dictionary entry, and the kernels (lookups, criteria and order statistics
//! against fixed lists in `eval::kernels`, per-row IF).

use crate::diagnostic::source::Span;
use crate::eval::kernels::{self, KernelArg};
use crate::eval::vector::{self, Memo, Operand};
use crate::functions::{Arg, FunctionSpec, Kernel};
use crate::lang::plan::*;
use crate::table::intern::FastBuildHasher;
use crate::value::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// Fewer rows than this are called directly (a grouped table's few rows).
const TUPLE_MEMO_ROWS: usize = 64;

use super::audit::LookupSite;
use super::{EvaluatedArg, Evaluation, Scope, Values};

impl<'p> Evaluation<'p> {
    pub(super) fn eval_call<'s>(
        &'s self,
        function: &FunctionSpec,
        args: &'s [ArgNode],
        scope: Scope,
        span: Span,
    ) -> Values<'s> {
        if let [ArgNode::List(list)] = args
            && let Some(fast) = self.group_aggregate(function, list, scope)
        {
            return Values::Many(Cow::Owned(fast));
        }
        if function.kernel == Some(Kernel::ChooseByRow)
            && scope.rows > 1
            && let [condition, branches @ ..] = args
            && (1..=2).contains(&branches.len())
            && branches.iter().any(arg_has_lookup)
        {
            return self.if_with_taken_rows(function, condition, branches, scope);
        }
        let mut evaluated: Vec<EvaluatedArg<'_>> =
            args.iter().map(|arg| self.eval_arg(arg, scope)).collect();
        match function.searched_argument() {
            Some(searched) => {
                let site = LookupSite {
                    function,
                    args,
                    searched,
                    span,
                };
                self.call_lookup(&site, evaluated, scope)
            }
            None => self.call_evaluated(function, &mut evaluated, scope),
        }
    }

    fn eval_arg<'s>(&'s self, arg: &'s ArgNode, scope: Scope) -> EvaluatedArg<'s> {
        match arg {
            ArgNode::Value(node) => match self.eval(node, scope) {
                Values::One(v) => EvaluatedArg::One(v),
                Values::Many(values) => EvaluatedArg::PerRow(values),
                Values::Coded { codes, dictionary } => {
                    EvaluatedArg::PerRowCoded { codes, dictionary }
                }
            },
            ArgNode::List(list) => self.eval_list(list, scope),
        }
    }

    /// IF whose branches hold a lookup: the condition first, then each branch knowing
    /// which rows take it, so the lookup's misses are counted only where its value is
    /// used (`IF(is_won, XLOOKUP(…), "")` does not report the open deals' keys).
    fn if_with_taken_rows<'s>(
        &'s self,
        function: &FunctionSpec,
        condition: &'s ArgNode,
        branches: &'s [ArgNode],
        scope: Scope,
    ) -> Values<'s> {
        let condition = self.eval_arg(condition, scope);
        let per_row = !matches!(condition, EvaluatedArg::One(_));
        let outer = scope.taken.and_then(|slot| self.taken_rows(slot));
        let mut evaluated = Vec::with_capacity(branches.len() + 1);
        let mut slots = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            let wanted = index == 0;
            let branch_scope = match (per_row, operand_of(&condition)) {
                (true, Some(condition)) => {
                    let rows: Vec<bool> = (0..scope.rows)
                        .map(|row| {
                            vector::is_bool(condition.get(row), wanted)
                                && outer.as_ref().is_none_or(|o| o.get(row) == Some(&true))
                        })
                        .collect();
                    let slot = self.hold_taken_rows(rows);
                    slots.extend(slot);
                    Scope {
                        taken: slot.or(scope.taken),
                        ..scope
                    }
                }
                _ => scope,
            };
            evaluated.push(self.eval_arg(branch, branch_scope));
        }
        for slot in slots {
            self.release_taken_rows(slot);
        }
        evaluated.insert(0, condition);
        self.call_evaluated(function, &mut evaluated, scope)
    }

    /// Keeps the rows taking a branch while it is evaluated; `None` when the lock is
    /// poisoned (misses are then counted on every row, as before).
    fn hold_taken_rows(&self, rows: Vec<bool>) -> Option<usize> {
        let mut held = self.branch_rows.lock().ok()?;
        held.push(Some(std::sync::Arc::new(rows)));
        Some(held.len() - 1)
    }

    fn release_taken_rows(&self, slot: usize) {
        if let Ok(mut held) = self.branch_rows.lock()
            && let Some(entry) = held.get_mut(slot)
        {
            *entry = None;
        }
    }

    /// The rows taking the branch held in `slot`.
    pub(super) fn taken_rows(&self, slot: usize) -> Option<std::sync::Arc<Vec<bool>>> {
        self.branch_rows.lock().ok()?.get(slot).cloned().flatten()
    }

    /// Calls `function` on arguments already evaluated over `scope`'s rows.
    pub(super) fn call_evaluated<'s>(
        &self,
        function: &FunctionSpec,
        evaluated: &mut [EvaluatedArg<'s>],
        scope: Scope,
    ) -> Values<'s> {
        // Per-row calls against a list that is the same for every row: the list is
        // indexed once (before the per-entry path, which would scan it per entry).
        if let Some(out) = self.column_kernel(function, evaluated, scope.rows) {
            return Values::Many(Cow::Owned(out));
        }
        // One coded argument and the rest fixed: the function once per dictionary entry.
        if let Some(coded) = self.call_per_entry(function, evaluated) {
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
        if per_row && function.kernel == Some(Kernel::ChooseByRow) {
            // A computed then-branch is taken over rather than copied.
            if let [condition, EvaluatedArg::PerRow(Cow::Owned(then)), rest @ ..] = evaluated
                && then.len() == scope.rows
                && rest.len() <= 1
                && let Some(condition) = operand_of(condition)
                && let Some(otherwise) =
                    rest.first().map_or(Some(None), |o| operand_of(o).map(Some))
            {
                let then = std::mem::take(then);
                return Values::Many(Cow::Owned(vector::if_rows_over(condition, then, otherwise)));
            }
            if let Some(out) = if_by_rows(evaluated, scope.rows) {
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
        // A function registered at run time (a script's) with several per-row
        // arguments: once per distinct tuple of them (it is pure, and a script call
        // costs far more than a lookup).
        if per_row
            && memo_arg.is_none()
            && varying.len() > 1
            && !function.is_builtin()
            && scope.rows >= TUPLE_MEMO_ROWS
            && varying.iter().all(|&i| {
                matches!(
                    evaluated.get(i),
                    Some(EvaluatedArg::PerRow(_) | EvaluatedArg::PerRowCoded { .. })
                )
            })
        {
            return Values::Many(Cow::Owned(
                self.call_per_tuple(function, evaluated, &varying, scope.rows),
            ));
        }
        let mut memo: Memo<Value> = Memo::for_rows(rows);
        let mut out = Vec::with_capacity(rows);
        let mut call_args: Vec<Arg<'_>> = Vec::with_capacity(evaluated.len());
        for row in 0..rows {
            let mut call = || {
                call_args.clear();
                for arg in evaluated.iter() {
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
                kernels::work::add(kernels::list_cells(&call_args));
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

    /// Per-row calls of `function` remembered by the tuple of the `varying` arguments'
    /// identities (`vector::identity`: text by allocation, numbers by bits); a row with
    /// an error among them is called as it is. All arguments are one value per row.
    fn call_per_tuple(
        &self,
        function: &FunctionSpec,
        evaluated: &[EvaluatedArg<'_>],
        varying: &[usize],
        rows: usize,
    ) -> Vec<Value> {
        let mut memo: HashMap<Vec<(u8, u64)>, Value, FastBuildHasher> = HashMap::default();
        let mut key: Vec<(u8, u64)> = Vec::with_capacity(varying.len());
        let mut out = Vec::with_capacity(rows);
        let mut row_values: Vec<Value> = Vec::with_capacity(evaluated.len());
        for row in 0..rows {
            row_values.clear();
            for arg in evaluated {
                row_values.push(match arg {
                    EvaluatedArg::One(v) => (*v).clone(),
                    EvaluatedArg::PerRow(values) => values.get(row).cloned().unwrap_or_default(),
                    EvaluatedArg::PerRowCoded { codes, dictionary } => codes
                        .get(row)
                        .and_then(|c| dictionary.get(*c as usize))
                        .cloned()
                        .unwrap_or_default(),
                    // Lists are never varying here (the caller checks the shapes).
                    EvaluatedArg::List(_) | EvaluatedArg::PerRowList { .. } => Value::Blank,
                });
            }
            key.clear();
            let keyed = varying.iter().all(|&i| {
                row_values
                    .get(i)
                    .and_then(vector::identity)
                    .map(|id| key.push(id))
                    .is_some()
            });
            if keyed && let Some(found) = memo.get(&key) {
                out.push(found.clone());
                continue;
            }
            let call_args: Vec<Arg<'_>> = evaluated
                .iter()
                .zip(&row_values)
                .map(|(arg, value)| match arg {
                    EvaluatedArg::List(values) => Arg::List(values),
                    _ => Arg::Value(value),
                })
                .collect();
            let value = function.call(&call_args, &self.context);
            if keyed {
                memo.insert(key.clone(), value.clone());
            }
            out.push(value);
        }
        out
    }

    /// A call through the function's column kernel (`eval::kernels`), when it has one
    /// and the arguments are rows against fixed lists.
    fn column_kernel(
        &self,
        function: &FunctionSpec,
        evaluated: &[EvaluatedArg<'_>],
        rows: usize,
    ) -> Option<Vec<Value>> {
        function.kernel?;
        let args: Vec<KernelArg<'_>> = evaluated
            .iter()
            .map(|arg| match arg {
                EvaluatedArg::One(v) => Some(KernelArg::One(v)),
                EvaluatedArg::PerRow(values) => Some(KernelArg::PerRow(values)),
                EvaluatedArg::PerRowCoded { codes, dictionary } => {
                    Some(KernelArg::Coded { codes, dictionary })
                }
                EvaluatedArg::List(values) => Some(KernelArg::List(values)),
                // Lists per row (a group's members) add up to one pass already.
                EvaluatedArg::PerRowList { .. } => None,
            })
            .collect::<Option<_>>()?;
        kernels::run(function, &args, rows, &self.context)
    }

    /// A call whose only per-row argument is coded, computed once per dictionary entry
    /// (functions are pure); `None` when the arguments are of another shape.
    pub(super) fn call_per_entry<'s>(
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
                kernels::work::add(kernels::list_cells(&call_args));
                function.call(&call_args, &self.context)
            })
            .collect();
        Some(Values::Coded {
            codes: codes.clone(),
            dictionary: Cow::Owned(results),
        })
    }
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

/// Whether an argument calls a lookup (XLOOKUP, MATCH, …) anywhere inside it.
fn arg_has_lookup(arg: &ArgNode) -> bool {
    match arg {
        ArgNode::Value(node) => node_has_lookup(node),
        ArgNode::List(list) => node_has_lookup(&list.expr),
    }
}

fn node_has_lookup(node: &Node) -> bool {
    match node {
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => false,
        Node::Unary(_, inner) | Node::Percent(inner) => node_has_lookup(inner),
        Node::Binary(_, left, right) => node_has_lookup(left) || node_has_lookup(right),
        Node::In { needle, list, .. } => {
            node_has_lookup(needle) || list.iter().any(node_has_lookup)
        }
        Node::Call { function, args, .. } => {
            function.searched_argument().is_some() || args.iter().any(arg_has_lookup)
        }
    }
}
