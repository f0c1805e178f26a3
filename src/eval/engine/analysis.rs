//! Analysis steps: a table computed by a built-in analysis. Its arguments are evaluated
//! over the source table's rows (or once), the analysis runs, and what it returns is
//! checked against what it declared before it is stored like any other table.

use crate::eval::grouping::{Grouping, KeyCodes};
use crate::lang::analysis::{
    AnalysisInput, AnalysisResult, ArgValues, KeyCoding, RowGroups, StoredArg,
};
use crate::table::column::{BLANK_BITS, ColumnValues, EXTRA_TAG, extra_index};
use rayon::prelude::*;
use std::sync::Arc;

use crate::eval::vector::Operand;
use crate::lang::plan::{AnalysisArgNode, ColumnId, ColumnOrigin, Node, Step, TableId, TableKind};
use crate::value::Value;

use super::steps::group_key_column;
use super::{AnalysisReport, EvalError, Evaluation, Output, Scope, Values};

impl Evaluation<'_> {
    pub(super) fn run_analysis(&self, table: TableId) -> Output {
        let table_plan = &self.plan.tables[table];
        let TableKind::Analysis(plan) = &table_plan.kind else {
            return Output::Nothing;
        };
        let source = plan.source;
        let rows = self.tables.get(source).map_or(0, |t| t.rows);
        let each_row = Scope {
            table: Some(source),
            rows,
            step: Some(Step::Analysis(table)),
            taken: None,
        };
        let once = Scope {
            table: None,
            rows: 1,
            step: Some(Step::Analysis(table)),
            taken: None,
        };
        let keys: Vec<Vec<Value>> = plan
            .source_keys
            .iter()
            .map(|&column| self.eval(&Node::Column(column), each_row).into_vec(rows))
            .collect();
        let args: Vec<Option<ArgValues>> = plan
            .args
            .iter()
            .take(plan.analysis.parameters().len())
            .map(|arg| {
                arg.as_ref().map(|arg| match arg {
                    AnalysisArgNode::EachRow(node) => self.each_row_arg(source, node, each_row),
                    AnalysisArgNode::Once(node) => {
                        ArgValues::Once(self.eval(node, once).into_vec(1).pop().unwrap_or_default())
                    }
                })
            })
            .collect();
        let key_names = table_plan
            .columns
            .iter()
            .take(plan.source_keys.len())
            .map(|c| Arc::clone(&c.name))
            .collect();
        // The key columns' codes when a grouping (or `prepare_key_codes`) made them.
        let cached: Option<Vec<(Arc<KeyCodes>, Operand<'_>)>> = plan
            .source_keys
            .iter()
            .map(|&column| {
                let codes = self.key_codes.get(&(source, column))?;
                let values = self.column_view(source, column)?;
                (codes.codes.len() == rows).then(|| (Arc::clone(codes), values))
            })
            .collect();
        let coding = CachedKeys {
            keys: cached.unwrap_or_default(),
        };
        let input = AnalysisInput {
            table: &table_plan.name,
            rows,
            keys,
            key_names,
            args,
            context: &self.context,
            coding: &coding,
        };
        let failed = |message: String, hint: Option<String>| EvalError::Analysis {
            table,
            name: table_plan.name.to_string(),
            message,
            hint,
        };
        let result = match plan.analysis.run(&input) {
            Ok(result) => {
                let outputs =
                    plan.analysis.outputs().len() + plan.analysis.carried_prefixes().len();
                let lengths_agree = result.keys.iter().chain(&result.columns).all(|c| {
                    c.len()
                        == result
                            .keys
                            .first()
                            .or(result.columns.first())
                            .map_or(0, Vec::len)
                });
                let keys = if plan.analysis.keys_follow_rows() {
                    0
                } else {
                    plan.source_keys.len()
                };
                if result.keys.len() != keys || result.columns.len() != outputs || !lengths_agree {
                    Err(failed(
                        format!(
                            "the `{}` analysis returned {} key and {} output columns of unequal \
                             lengths; it declares {} and {}",
                            plan.analysis.name(),
                            result.keys.len(),
                            result.columns.len(),
                            keys,
                            outputs
                        ),
                        None,
                    ))
                } else {
                    Ok(result)
                }
            }
            Err(error) => Err(failed(error.message, error.hint)),
        };
        Output::Analysis(table, Box::new(result))
    }

    /// A per-row argument's values: a float or coded column as stored, a coded result
    /// as codes (no value per row made for either), anything else as values.
    fn each_row_arg(&self, source: TableId, node: &Node, scope: Scope) -> ArgValues {
        if let Node::Column(column) = node
            && let Some(stored) = self.tables.get(source).and_then(|t| t.columns.get(*column))
            && let Some(stored) = stored.as_ref()
            && stored.len() == scope.rows
            && matches!(
                **stored,
                ColumnValues::Floats { .. } | ColumnValues::Coded { .. }
            )
        {
            return ArgValues::Stored(StoredArg::new(Arc::clone(stored)));
        }
        match self.eval(node, scope) {
            Values::Coded { codes, dictionary } if codes.len() == scope.rows => {
                match ColumnValues::from_codes(codes.into_owned(), dictionary.into_owned()) {
                    Ok(stored) => ArgValues::Stored(StoredArg::new(Arc::new(stored))),
                    // Codes past the dictionary read as blank.
                    Err(_) => ArgValues::EachRow(self.eval(node, scope).into_vec(scope.rows)),
                }
            }
            values => ArgValues::EachRow(values.into_vec(scope.rows)),
        }
    }

    /// A carried argument's values at the given source rows (blank past the source's
    /// end), stored: a float or coded column (or a text column's coded view) keeps its
    /// shape, the rows' floats or codes copied (no value per row made); a stored column
    /// is otherwise read where it is, anything else is evaluated over the source first.
    fn gather(
        &self,
        table: TableId,
        source: TableId,
        node: &Node,
        picks: &[usize],
    ) -> ColumnValues {
        let rows = self.tables.get(source).map_or(0, |t| t.rows);
        if let Node::Column(column) = node {
            if let Some(picked) = self
                .stored(source, *column)
                .and_then(|stored| pick_floats(stored, picks))
            {
                return picked;
            }
            if let Some(values) = self.stored_rows(source, *column, picks) {
                return ColumnValues::compact(values);
            }
        }
        let at = |values: Operand<'_>| -> ColumnValues {
            if let Operand::Coded { .. } = values {
                return group_key_column(values, picks);
            }
            ColumnValues::compact(
                picks
                    .iter()
                    .map(|r| {
                        if *r < rows {
                            values.get(*r).clone()
                        } else {
                            Value::Blank
                        }
                    })
                    .collect(),
            )
        };
        if let Node::Column(column) = node
            && let Some(view) = self.column_view(source, *column)
        {
            return at(view);
        }
        let scope = Scope {
            table: Some(source),
            rows,
            step: Some(Step::Analysis(table)),
            taken: None,
        };
        let values = self.eval(node, scope);
        at(values.operand())
    }

    /// A stored column's values at the given source rows (blank where none), read
    /// where they are stored when that is cheaper than a view of the whole column: a
    /// float column always (a view would decode every row), a text-buffer column when
    /// the rows are fewer than half the column's (a view codes every row). `None` when a
    /// view is already made, or would be cheaper.
    fn stored_rows(
        &self,
        source: TableId,
        column: ColumnId,
        picks: &[usize],
    ) -> Option<Vec<Value>> {
        let runtime = self.tables.get(source)?;
        if runtime.decoded.get(column)?.get().is_some() {
            return None;
        }
        let stored = runtime.columns.get(column)?.as_deref()?;
        let cheaper = match stored {
            ColumnValues::Floats { .. } => true,
            ColumnValues::Texts { .. } => picks.len().saturating_mul(2) < runtime.rows,
            ColumnValues::Coded { .. } | ColumnValues::Values(_) => false,
        };
        cheaper.then(|| {
            picks
                .iter()
                .map(|row| stored.get(*row).unwrap_or_default())
                .collect()
        })
    }

    /// Stores an analysis table's rows: keys first, then each declared output under its
    /// column (an output named like a key is left to the key).
    pub(super) fn store_analysis(&mut self, table: TableId, result: AnalysisResult) {
        let plan = self.plan;
        let table_plan = &plan.tables[table];
        let TableKind::Analysis(analysis) = &table_plan.kind else {
            return;
        };
        let rows = result
            .keys
            .first()
            .or(result.columns.first())
            .map_or(0, Vec::len);
        self.tables[table].rows = rows;
        let key_count = analysis.source_keys.len();
        for (position, values) in result.keys.into_iter().enumerate() {
            self.store_column(table, position, values);
        }
        let outputs = analysis.analysis.outputs();
        let mut columns = result.columns.into_iter();
        for (output, values) in outputs.iter().zip(columns.by_ref()) {
            if let Some(column) = table_plan.column_id(output.name)
                && column >= key_count
                && matches!(table_plan.columns[column].origin, ColumnOrigin::Analysis)
            {
                self.store_column(table, column, values);
            }
        }
        // Carried arguments: each output row copies the source row the analysis named.
        let picks: Vec<Vec<usize>> = columns
            .map(|rows_of| {
                rows_of
                    .iter()
                    .map(|row| match row.as_f64() {
                        Some(r) if r >= 0.0 => r as usize,
                        _ => usize::MAX,
                    })
                    .collect()
            })
            .collect();
        let parameters = analysis.analysis.parameters().len();
        let mut carried = Vec::new();
        for (index, name) in analysis.carried.iter().enumerate() {
            let Some(Some(AnalysisArgNode::EachRow(node))) = analysis.args.get(parameters + index)
            else {
                continue;
            };
            for (prefix, picks) in analysis.analysis.carried_prefixes().iter().zip(&picks) {
                if let Some(column) = table_plan.column_id(&format!("{prefix}{name}")) {
                    carried.push((column, node, picks));
                }
            }
        }
        // Keys that follow the rows: copied from the source like carried values.
        let key_nodes: Vec<Node> = analysis
            .source_keys
            .iter()
            .map(|&column| Node::Column(column))
            .collect();
        if analysis.analysis.keys_follow_rows()
            && let Some(picks) = picks.first()
        {
            for (position, node) in key_nodes.iter().enumerate() {
                carried.push((position, node, picks));
            }
        }
        let gathered: Vec<(ColumnId, ColumnValues)> = carried
            .par_iter()
            .map(|(column, node, picks)| {
                (*column, self.gather(table, analysis.source, node, picks))
            })
            .collect();
        for (column, values) in gathered {
            if let Some(slot) = self.tables[table].columns.get_mut(column) {
                *slot = Some(Arc::new(values));
            }
        }
        self.analysis_reports.insert(
            table,
            AnalysisReport {
                table,
                analysis: analysis.analysis.name(),
                json_key: analysis.analysis.json_key(),
                notes: result.notes,
                details: result.details,
                charts: result.charts,
            },
        );
    }
}

/// A float column's rows `rows` (blank for a row past its end) as a float column of
/// the same kind, holding only the extras those rows use (numbered in order of first
/// use, as [`ColumnValues::compact`] numbers them); `None` for other shapes.
fn pick_floats(column: &ColumnValues, rows: &[usize]) -> Option<ColumnValues> {
    let ColumnValues::Floats { kind, data, extras } = column else {
        return None;
    };
    let mut renumbered = vec![u32::MAX; extras.len()];
    let mut used: Vec<Value> = Vec::new();
    let picked = rows
        .iter()
        .map(|row| {
            let bits = data.get(*row).map_or(BLANK_BITS, |x| x.to_bits());
            let Some(index) = extra_index(bits) else {
                return f64::from_bits(bits);
            };
            match renumbered.get_mut(index).zip(extras.get(index)) {
                Some((slot, value)) => {
                    if *slot == u32::MAX {
                        *slot = used.len() as u32;
                        used.push(value.clone());
                    }
                    f64::from_bits(EXTRA_TAG | u64::from(*slot))
                }
                // A mark past the extras reads as blank.
                None => f64::from_bits(BLANK_BITS),
            }
        })
        .collect();
    Some(ColumnValues::Floats {
        kind: *kind,
        data: picked,
        extras: used,
    })
}

/// [`EngineCoding`] given the engine's cached codes of the analysis's key columns (with
/// the columns' values, which order the groups), so that `key_groups` need not code
/// them again. Empty when any key column has none.
struct CachedKeys<'a> {
    keys: Vec<(Arc<KeyCodes>, Operand<'a>)>,
}

impl std::fmt::Debug for CachedKeys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CachedKeys({} key columns)", self.keys.len())
    }
}

impl KeyCoding for CachedKeys<'_> {
    fn codes(&self, values: &[Value]) -> Vec<u32> {
        EngineCoding.codes(values)
    }

    fn groups(&self, keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> RowGroups {
        EngineCoding.groups(keys, rows, keep)
    }

    fn key_groups(&self, rows: usize, keep: Option<&[bool]>) -> Option<RowGroups> {
        if self.keys.is_empty() {
            return None;
        }
        let codes = self.keys.iter().map(|(c, _)| Arc::clone(c)).collect();
        let values: Vec<Operand<'_>> = self.keys.iter().map(|(_, v)| *v).collect();
        let grouping = Grouping::from_codes(codes, &values, rows, keep).ok()?;
        Some(RowGroups {
            row_groups: grouping.row_groups,
            first_rows: grouping.first_rows,
        })
    }
}

/// The engine's [`KeyCoding`]: the key codes and groupings `group by` uses.
#[derive(Debug)]
pub struct EngineCoding;

impl KeyCoding for EngineCoding {
    fn codes(&self, values: &[Value]) -> Vec<u32> {
        KeyCodes::build(values).codes
    }

    fn groups(&self, keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> RowGroups {
        let grouping = Grouping::build(keys, rows, keep);
        RowGroups {
            row_groups: grouping.row_groups,
            first_rows: grouping.first_rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ErrorKind;

    use crate::test_random::Lcg;

    /// Keys as a user's export has them: text in mixed case, numbers, dates, blanks.
    fn random_key(rng: &mut Lcg) -> Value {
        const WORDS: [&str; 5] = ["acc-1", "ACC-1", "Acc-2", "b", "B "];
        match rng.next(6) {
            0 => Value::Blank,
            1 => Value::Number(rng.next(4) as f64),
            2 => Value::Date(45000.0 + rng.next(3) as f64),
            _ => Value::text(WORDS[rng.next(WORDS.len() as u64) as usize]),
        }
    }

    #[test]
    fn cached_key_groups_equal_plain_grouping_on_random_keys() {
        let mut rng = Lcg(11);
        for round in 0..200 {
            let rows = rng.next(60) as usize;
            let columns = 1 + rng.next(2) as usize;
            let keys: Vec<Vec<Value>> = (0..columns)
                .map(|_| (0..rows).map(|_| random_key(&mut rng)).collect())
                .collect();
            let keep: Vec<bool> = (0..rows).map(|_| rng.next(4) != 0).collect();
            // Every other round the columns are dictionary-coded, as stored columns are.
            let coded: Vec<(Vec<u32>, Vec<Value>)> = keys
                .iter()
                .map(|k| {
                    let mut dictionary: Vec<Value> = Vec::new();
                    let codes = k
                        .iter()
                        .map(|v| {
                            dictionary.push(v.clone());
                            dictionary.len() as u32 - 1
                        })
                        .collect();
                    (codes, dictionary)
                })
                .collect();
            let operands: Vec<Operand<'_>> = if round % 2 == 0 {
                keys.iter().map(|k| Operand::Many(k)).collect()
            } else {
                coded
                    .iter()
                    .map(|(codes, dictionary)| Operand::Coded { codes, dictionary })
                    .collect()
            };
            let cached = CachedKeys {
                keys: operands
                    .iter()
                    .map(|o| (Arc::new(KeyCodes::build_from(*o, rows)), *o))
                    .collect(),
            };
            let slices: Vec<&[Value]> = keys.iter().map(Vec::as_slice).collect();
            let plain = EngineCoding.groups(&slices, rows, Some(&keep));
            let Some(from_cache) = cached.key_groups(rows, Some(&keep)) else {
                panic!("round {round}: cached codes gave no grouping");
            };
            assert_eq!(from_cache.row_groups, plain.row_groups, "round {round}");
            assert_eq!(from_cache.first_rows, plain.first_rows, "round {round}");
        }
        assert!(
            CachedKeys { keys: Vec::new() }
                .key_groups(3, None)
                .is_none()
        );
    }

    #[test]
    fn picked_float_rows_read_as_the_rows_values() {
        let mut next = crate::test_random::stream(3);
        for round in 0..200 {
            let rows = 1 + next(40) as usize;
            let values: Vec<Value> = (0..rows)
                .map(|i| match next(8) {
                    0 => Value::Blank,
                    1 => Value::text(if i % 2 == 0 { "" } else { "n/a" }),
                    2 => Value::error(ErrorKind::Div0),
                    _ if round % 2 == 0 => Value::Number(next(100) as f64 / 4.0),
                    _ => Value::Date(45000.0 + next(30) as f64),
                })
                .collect();
            let mut values = values;
            // A float column starts with a number or a date.
            values[0] = Value::Number(1.0);
            if round % 2 == 1 {
                values[0] = Value::Date(45000.0);
            }
            let column = ColumnValues::compact(values.clone());
            assert!(
                matches!(column, ColumnValues::Floats { .. }),
                "round {round}"
            );
            let picks: Vec<usize> = (0..next(30))
                .map(|_| next(rows as u64 + 4) as usize)
                .collect();
            let Some(picked) = pick_floats(&column, &picks) else {
                panic!("round {round}: a float column gave no pick");
            };
            let expected: Vec<Value> = picks
                .iter()
                .map(|r| values.get(*r).cloned().unwrap_or_default())
                .collect();
            assert_eq!(
                picked.values().as_ref(),
                expected.as_slice(),
                "round {round}"
            );
            // Only the extras the rows use, numbered in order of first use.
            let ColumnValues::Floats { data, extras, .. } = &picked else {
                panic!("round {round}: not floats");
            };
            let mut next_new = 0;
            for x in data {
                if let Some(i) = extra_index(x.to_bits()) {
                    assert!(i <= next_new, "round {round}: extra {i} before {next_new}");
                    next_new = next_new.max(i + 1);
                }
            }
            assert_eq!(next_new, extras.len(), "round {round}");
        }
        assert!(pick_floats(&ColumnValues::compact(vec![Value::text("a")]), &[0]).is_none());
    }

    #[test]
    fn reading_stored_rows_equals_reading_the_values() {
        let mut rng = Lcg(5);
        for round in 0..100 {
            let rows = 1 + rng.next(80) as usize;
            // Floats with a few blanks and stray values, or mostly distinct text.
            let values: Vec<Value> = (0..rows)
                .map(|i| match (round % 2, rng.next(10)) {
                    (0, 0) => Value::Blank,
                    (0, 1) => Value::text(""),
                    (0, _) => Value::Number(rng.next(1000) as f64 / 4.0),
                    (_, 0) => Value::Bool(true),
                    (_, _) => Value::text(&format!("ID-{i}")),
                })
                .collect();
            let stored = ColumnValues::compact(values.clone());
            let picks: Vec<usize> = (0..rng.next(20))
                .map(|_| rng.next(rows as u64) as usize)
                .collect();
            for row in picks {
                assert_eq!(
                    stored.get(row),
                    Some(values[row].clone()),
                    "round {round} row {row}"
                );
            }
        }
    }
}
