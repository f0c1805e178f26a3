//! Steps in schedule order: one dependency level computed in parallel and stored,
//! grouped tables built, rows matched to groups, flags raised.

use crate::eval::grouping::{Grouping, KeyCodes, NO_GROUP};
use crate::eval::vector::Operand;
use crate::lang::plan::*;
use crate::table::column::ColumnValues;
use crate::value::Value;
use rayon::prelude::*;
use std::sync::Arc;

use super::aggregate::{collect_group_tables, collect_unique_columns};
use super::findings::fired_text;
use super::{
    Evaluation, FlagHit, Output, Scope, Values, display_value, needs_origin, stamp_origins,
};

impl<'p> Evaluation<'p> {
    /// Computes one step from what earlier steps stored; [`Evaluation::apply`] stores it.
    pub(super) fn compute(&self, step: Step) -> Output {
        match step {
            Step::Group(table) => self.build_group(table),
            Step::Analysis(table) => self.run_analysis(table),
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
                    step: Some(step),
                    taken: None,
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
                    step: Some(step),
                    taken: None,
                };
                let mut values = self.eval(&scalar.node, scope).into_vec(1);
                stamp_origins(&mut values, &scalar.name, false);
                Output::Scalar(id, values.pop().unwrap_or_default())
            }
            Step::Flag(id) => Output::Flags(id, self.raise_flags(id)),
        }
    }

    pub(super) fn apply(&mut self, output: Output) {
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
                for (position, stored) in key_columns.into_iter().enumerate() {
                    if let Some(slot) = self.tables[table].columns.get_mut(position) {
                        *slot = Some(Arc::new(stored));
                    }
                }
                // Before any other step reads the groups (needs the stored groups).
                self.order_groups(table);
            }
            Output::Flags(id, hits) => {
                self.flags.insert(id, hits);
            }
            Output::Analysis(table, result) => match *result {
                Ok(result) => self.store_analysis(table, result),
                Err(error) => {
                    self.failure.get_or_insert(error);
                }
            },
        }
    }

    /// Runs one level of the schedule: what its steps need prepared (group matches,
    /// key codes) first, then the steps themselves, in parallel when there are several.
    pub(super) fn compute_level(
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
    pub(super) fn prepare_key_codes(&mut self, level: &[Step]) {
        let mut missing: Vec<(TableId, ColumnId)> = Vec::new();
        let mut unique: Vec<(TableId, ColumnId)> = Vec::new();
        for step in level {
            let (source, source_keys) = match step {
                Step::Group(table) => match &self.plan.tables[*table].kind {
                    TableKind::Grouped {
                        source,
                        source_keys,
                        ..
                    } => (*source, source_keys),
                    _ => continue,
                },
                // An analysis grouping its source rows by key (`pairs`).
                Step::Analysis(table) => match &self.plan.tables[*table].kind {
                    TableKind::Analysis(analysis) if analysis.analysis.groups_by_key() => {
                        (analysis.source, &analysis.source_keys)
                    }
                    _ => continue,
                },
                // UNIQUE over a plain column reads its codes (shared with groupings
                // and other UNIQUEs of the column).
                Step::Scalar(id) => {
                    if let Some(scalar) = self.plan.scalars.get(*id) {
                        collect_unique_columns(&scalar.node, &mut unique);
                    }
                    continue;
                }
                Step::Column(table, column) => {
                    if let Some(ColumnOrigin::Formula(node)) = self.plan.tables[*table]
                        .columns
                        .get(*column)
                        .map(|c| &c.origin)
                    {
                        collect_unique_columns(node, &mut unique);
                    }
                    continue;
                }
                _ => continue,
            };
            for key in source_keys {
                if !self.key_codes.contains_key(&(source, *key))
                    && !missing.contains(&(source, *key))
                {
                    missing.push((source, *key));
                }
            }
        }
        for key in unique {
            if !self.key_codes.contains_key(&key) && !missing.contains(&key) {
                missing.push(key);
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

    pub(super) fn build_group(&self, table: TableId) -> Output {
        let TableKind::Grouped {
            source,
            ref source_keys,
            ref filter,
            ..
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
                    step: Some(Step::Group(table)),
                    taken: None,
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
        let key_columns: Vec<ColumnValues> = key_slices
            .iter()
            .map(|values| group_key_column(*values, &grouping.first_rows))
            .collect();
        Output::Group(table, grouping, key_columns)
    }

    /// Matches other tables' rows to groups before a step that lists them per group.
    pub(super) fn prepare_matches(&mut self, step: Step) {
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
            Step::Group(_) | Step::Analysis(_) | Step::Scalar(_) => return,
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
    pub(super) fn match_group_rows(&mut self, grouped: TableId, other: TableId) {
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

    pub(super) fn raise_flags(&self, id: usize) -> Vec<FlagHit> {
        let Some(flag) = self.plan.flags.get(id) else {
            return Vec::new();
        };
        let table = flag.table;
        let scope = Scope {
            table: Some(table),
            rows: self.tables[table].rows,
            step: Some(Step::Flag(id)),
            taken: None,
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
        let stakes = flag.rank_by.as_ref().map(|node| self.eval(node, scope));
        let reasons: Vec<(Values<'_>, Values<'_>, &FlagReason)> = flag
            .reasons
            .iter()
            .map(|r| (self.eval(&r.left, scope), self.eval(&r.right, scope), r))
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
            let fired = reasons
                .iter()
                .map(|(left, right, reason)| fired_text(left.get(row), right.get(row), reason))
                .collect::<Vec<_>>()
                .join("; ");
            new_hits.push(FlagHit {
                table: Arc::clone(&plan_table.name),
                row,
                subject,
                message,
                flag: id,
                severity: flag.severity,
                stake: stakes
                    .as_ref()
                    .and_then(|s| s.get(row).as_f64())
                    .filter(|v| v.is_finite()),
                fired,
                topic: flag.topic.clone(),
                superseded: 0,
            });
        }
        new_hits
    }
}

/// A grouped table's key column: each group's value, from the first row of the source
/// holding it. A coded source (a coded column, or a text column's coded view) gives
/// codes into the source's own dictionary entries, so the key column shares their text
/// and readers find it already coded (no text buffer to build and code again); other
/// sources are stored compactly from the values.
pub(super) fn group_key_column(source: Operand<'_>, first_rows: &[usize]) -> ColumnValues {
    let Operand::Coded { codes, dictionary } = source else {
        return ColumnValues::compact(first_rows.iter().map(|r| source.get(*r).clone()).collect());
    };
    // Source code → key-column code, numbered in order of first use.
    let mut renumbered = vec![u32::MAX; dictionary.len()];
    let mut entries: Vec<Value> = Vec::new();
    let mut blank = None;
    let mut key_codes = Vec::with_capacity(first_rows.len());
    for row in first_rows {
        let source_code = codes.get(*row).map(|c| *c as usize);
        let code = match source_code.and_then(|c| renumbered.get_mut(c).zip(dictionary.get(c))) {
            Some((slot, value)) => {
                if *slot == u32::MAX {
                    *slot = entries.len() as u32;
                    entries.push(value.clone());
                }
                *slot
            }
            // Past the source's end: blank, as the source reads there.
            None => *blank.get_or_insert_with(|| {
                entries.push(Value::Blank);
                entries.len() as u32 - 1
            }),
        };
        key_codes.push(code);
    }
    ColumnValues::Coded {
        codes: key_codes,
        dictionary: entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_random::Lcg;

    #[test]
    fn a_key_column_from_codes_holds_the_first_rows_values() {
        let mut rng = Lcg(9);
        for round in 0..200 {
            let dictionary: Vec<Value> = (0..1 + rng.next(10))
                .map(|i| match rng.next(5) {
                    0 => Value::Blank,
                    1 => Value::Number(i as f64),
                    _ => Value::text(&format!("ACC-{i}")),
                })
                .collect();
            let rows = rng.next(50) as usize;
            let codes: Vec<u32> = (0..rows)
                .map(|_| rng.next(dictionary.len() as u64) as u32)
                .collect();
            // First rows of groups, a few past the source's end.
            let first_rows: Vec<usize> = (0..rng.next(20))
                .map(|_| rng.next(rows as u64 + 3) as usize)
                .collect();
            let source = Operand::Coded {
                codes: &codes,
                dictionary: &dictionary,
            };
            let expected: Vec<Value> = first_rows
                .iter()
                .map(|r| match codes.get(*r) {
                    Some(c) => dictionary[*c as usize].clone(),
                    None => Value::Blank,
                })
                .collect();
            let column = group_key_column(source, &first_rows);
            assert_eq!(column.values().to_vec(), expected, "round {round}");
            let values: Vec<Value> = codes
                .iter()
                .map(|c| dictionary[*c as usize].clone())
                .collect();
            let plain = group_key_column(Operand::Many(&values), &first_rows);
            assert_eq!(plain.values().to_vec(), expected, "round {round}");
        }
    }
}
