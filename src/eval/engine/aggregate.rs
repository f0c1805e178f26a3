//! Lists and group aggregates: a list argument's values for each group, and the
//! one-pass aggregates (SUM, COUNT, AVERAGE, MIN, MAX, MEDIAN) over group ids.

use crate::eval::grouping::{KeyCodes, NO_GROUP};
use crate::eval::vector::Operand;
use crate::functions::lookup::unique_values;
use crate::functions::{Aggregate, FunctionSpec, Kernel};
use crate::lang::plan::*;
use crate::table::column::{ColumnValues, float_member};
use crate::value::{ErrorKind, Value, number_result};
use std::sync::Arc;

use super::{EvaluatedArg, Evaluation, Scope, Values};

impl<'p> Evaluation<'p> {
    /// Evaluates a list argument: the same list for every row, or one per group.
    pub(super) fn eval_list<'s>(&'s self, list: &'s ListNode, scope: Scope) -> EvaluatedArg<'s> {
        let once = list.distinct == Distinct::ExactlyOnce;
        if list.distinct == Distinct::All {
            return self.all_list_values(list, scope);
        }
        if let Some(selected) = self.distinct_list(list, scope, once) {
            return selected;
        }
        // An array constant (the checker does not let UNIQUE take one).
        match self.all_list_values(list, scope) {
            EvaluatedArg::List(values) => EvaluatedArg::List(unique_values(&values, once)),
            other => other,
        }
    }

    /// UNIQUE's selection of a table's list, whole or per group, in one pass over the
    /// rows: each row's value coded once (a grouping's cached codes when the list is a
    /// plain column), rows placed by group (counting sort), and in each group the first
    /// row of each code kept (or, with `once`, the codes seen exactly once), with a
    /// per-code stamp instead of a set per group. Only kept values are copied out; an
    /// empty cell comes out as 0, as `functions::lookup::unique_values` gives it.
    fn distinct_list<'s>(
        &'s self,
        list: &'s ListNode,
        scope: Scope,
        once: bool,
    ) -> Option<EvaluatedArg<'s>> {
        let (table, per_group) = match list.domain {
            ListDomain::Table(table) => (table, false),
            ListDomain::Group { table } => (table, true),
            ListDomain::Array => return None,
        };
        let rows = self.tables[table].rows;
        let groups = if per_group { scope.rows } else { 1 };
        let ids = if per_group {
            match scope.table.and_then(|g| self.cached_group_ids(g, table)) {
                Some(ids) => Some(ids),
                None => {
                    return Some(EvaluatedArg::PerRowList {
                        values: Vec::new(),
                        starts: vec![0; groups + 1],
                    });
                }
            }
        } else {
            None
        };
        let (values, keep) = self.list_values(list, table, scope.step);
        let cached = match &list.expr {
            Node::Column(column) => self.key_codes.get(&(table, *column)).cloned(),
            _ => None,
        };
        let codes =
            cached.unwrap_or_else(|| Arc::new(KeyCodes::build_from(values.operand(), rows)));
        let group_of = |row: usize| -> Option<usize> {
            if keep
                .as_ref()
                .is_some_and(|k| !k.get(row).copied().unwrap_or(false))
            {
                return None;
            }
            let group = ids.map_or(Some(0), |ids| ids.get(row).map(|g| *g as usize))?;
            (group < groups).then_some(group)
        };
        // Member rows by group, in row order within each group.
        let mut starts = vec![0usize; groups + 1];
        for row in 0..rows {
            if let Some(group) = group_of(row) {
                starts[group + 1] += 1;
            }
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; starts[groups]];
        for row in 0..rows {
            if let Some(group) = group_of(row) {
                order[next[group]] = row as u32;
                next[group] += 1;
            }
        }
        const UNSEEN: u32 = u32::MAX;
        let code_of = |row: u32| codes.codes.get(row as usize).map_or(0, |c| *c as usize);
        let mut stamp = vec![UNSEEN; codes.count().max(1)];
        let mut seen = vec![0u32; if once { stamp.len() } else { 0 }];
        let mut out = Vec::new();
        let mut out_starts = Vec::with_capacity(groups + 1);
        out_starts.push(0);
        for g in 0..groups {
            let members = &order[starts[g]..starts[g + 1]];
            let group = g as u32;
            if once {
                for &row in members {
                    let code = code_of(row);
                    if stamp[code] != group {
                        stamp[code] = group;
                        seen[code] = 0;
                    }
                    seen[code] += 1;
                }
            }
            for &row in members {
                let code = code_of(row);
                let first = if once {
                    // Second pass: the stamp is this group's; take the code once.
                    let single = seen[code] == 1;
                    seen[code] = 0;
                    single
                } else if stamp[code] != group {
                    stamp[code] = group;
                    true
                } else {
                    false
                };
                if first {
                    out.push(match values.get(row as usize) {
                        Value::Blank => Value::Number(0.0),
                        value => value.clone(),
                    });
                }
            }
            out_starts.push(out.len());
        }
        Some(if per_group {
            EvaluatedArg::PerRowList {
                values: out,
                starts: out_starts,
            }
        } else {
            EvaluatedArg::List(out)
        })
    }

    /// Every value of a list argument (before UNIQUE selects from it).
    fn all_list_values<'s>(&'s self, list: &'s ListNode, scope: Scope) -> EvaluatedArg<'s> {
        match list.domain {
            ListDomain::Array => {
                let element_scope = Scope {
                    table: None,
                    rows: 1,
                    step: scope.step,
                    taken: None,
                };
                EvaluatedArg::List(
                    list.elements
                        .iter()
                        .map(|e| self.eval(e, element_scope).get(0).clone())
                        .collect(),
                )
            }
            ListDomain::Table(table) => {
                let (values, keep) = self.list_values(list, table, scope.step);
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
                let (values, keep) = self.list_values(list, table, scope.step);
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
    pub(super) fn list_values<'s>(
        &'s self,
        list: &'s ListNode,
        table: TableId,
        step: Option<Step>,
    ) -> (Values<'s>, Option<Arc<Vec<bool>>>) {
        let scope = Scope {
            table: Some(table),
            rows: self.tables[table].rows,
            step,
            taken: None,
        };
        let values = self.eval(&list.expr, scope);
        let keep = list.filter.as_ref().map(|f| self.eval_mask(f, scope));
        (values, keep)
    }

    pub(super) fn cached_group_ids(&self, grouped: TableId, other: TableId) -> Option<&[u32]> {
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
    pub(super) fn group_aggregate(
        &self,
        function: &FunctionSpec,
        list: &ListNode,
        scope: Scope,
    ) -> Option<Vec<Value>> {
        let ListDomain::Group { table } = list.domain else {
            return None;
        };
        if list.distinct != Distinct::All {
            return None; // per-group lists, selected by `select_distinct`
        }
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
                        step: scope.step,
                        taken: None,
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
        let (values, keep) = self.list_values(list, table, scope.step);
        Some(accumulate(
            kind,
            ids,
            Members::Values(values.operand()),
            keep.as_deref().map(Vec::as_slice),
            scope.rows,
        ))
    }
}

/// Tables listed per group anywhere in `node` (top-level lists only: nested lists are
/// evaluated over their own table's rows, not per group).
pub(super) fn collect_group_tables(node: &Node, out: &mut Vec<TableId>) {
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

/// The plain columns `UNIQUE` selects from in `node` (`COUNTA(UNIQUE(T.c))`), whose key
/// codes its selection reads when the engine holds them.
pub(super) fn collect_unique_columns(node: &Node, out: &mut Vec<(TableId, ColumnId)>) {
    match node {
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => {}
        Node::Unary(_, n) | Node::Percent(n) => collect_unique_columns(n, out),
        Node::Binary(_, l, r) => {
            collect_unique_columns(l, out);
            collect_unique_columns(r, out);
        }
        Node::In { needle, list, .. } => {
            collect_unique_columns(needle, out);
            list.iter().for_each(|n| collect_unique_columns(n, out));
        }
        Node::Call { args, .. } => {
            for arg in args {
                match arg {
                    ArgNode::Value(n) => collect_unique_columns(n, out),
                    ArgNode::List(list) => {
                        let table = match list.domain {
                            ListDomain::Table(table) | ListDomain::Group { table } => table,
                            ListDomain::Array => continue,
                        };
                        if list.distinct != Distinct::All
                            && let Node::Column(column) = list.expr
                            && !out.contains(&(table, column))
                        {
                            out.push((table, column));
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
