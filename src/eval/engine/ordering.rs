//! A grouped table's `order by`: evaluated over its groups right after they are formed,
//! then the groups renumbered, so every later step reads the rows in that order.

use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use crate::eval::grouping::NO_GROUP;
use crate::lang::plan::*;
use crate::value::{Value, compare_text};

use super::aggregate::collect_group_tables;
use super::{Evaluation, Scope};

impl Evaluation<'_> {
    /// Puts the groups of grouped table `table` (just stored, in key order) in its
    /// declared order: its key columns, grouping and matches are renumbered in place.
    pub(super) fn order_groups(&mut self, table: TableId) {
        let plan = self.plan;
        let TableKind::Grouped { ref order, .. } = plan.tables[table].kind else {
            return;
        };
        let rows = self.tables[table].rows;
        if order.is_empty() || rows < 2 {
            return;
        }
        let mut others = Vec::new();
        for key in order {
            collect_group_tables(&key.node, &mut others);
        }
        for other in others {
            self.match_group_rows(table, other);
        }
        let scope = Scope {
            table: Some(table),
            rows,
            step: Some(Step::Group(table)),
            taken: None,
        };
        let keys: Vec<(Vec<Value>, bool)> = order
            .iter()
            .map(|key| (self.eval(&key.node, scope).into_vec(rows), key.descending))
            .collect();
        let permutation = sort_permutation(&keys, rows);
        if permutation.iter().enumerate().all(|(new, old)| new == *old) {
            return;
        }
        let Some(shared) = self.tables[table].grouping.take() else {
            return;
        };
        let mut grouping = match Arc::try_unwrap(shared) {
            Ok(grouping) => grouping,
            // Not shared this early in a run; if it were, key order stays.
            Err(shared) => {
                self.tables[table].grouping = Some(shared);
                return;
            }
        };
        let new_id = grouping.reorder(&permutation);
        self.tables[table].grouping = Some(Arc::new(grouping));
        for key in 0..plan.tables[table].key_count() {
            let Some(stored) = self.tables[table].columns.get(key).cloned().flatten() else {
                continue;
            };
            let values = stored.values();
            let permuted: Vec<Value> = permutation
                .iter()
                .map(|old| values.get(*old).cloned().unwrap_or_default())
                .collect();
            self.store_column(table, key, permuted);
            if let Some(decoded) = self.tables[table].decoded.get_mut(key) {
                *decoded = OnceLock::new();
            }
        }
        for ((grouped, _), ids) in self.matched.iter_mut() {
            if *grouped == table {
                for id in ids.iter_mut().filter(|id| **id != NO_GROUP) {
                    *id = new_id.get(*id as usize).copied().unwrap_or(NO_GROUP);
                }
            }
        }
        let masks = match self.masks.get_mut() {
            Ok(masks) => masks,
            Err(poisoned) => poisoned.into_inner(),
        };
        masks.retain(|(t, _, _), _| *t != table);
        self.renumber_misses(table, &new_id);
    }
}

/// Where a value goes in an `order by`: numbers (and dates) < text < TRUE/FALSE, as
/// Excel sorts; errors and then blanks (an empty text too: the rules' "no data") last
/// whatever the direction.
fn class(value: &Value) -> u8 {
    match value {
        Value::Number(_) | Value::Date(_) => 0,
        Value::Text(t) if t.is_empty() => 4,
        Value::Text(_) => 1,
        Value::Bool(_) => 2,
        Value::Error(_) => 3,
        Value::Blank => 4,
    }
}

/// Compares two values of one `order by` expression.
pub(super) fn compare_for_order(a: &Value, b: &Value, descending: bool) -> Ordering {
    let (ca, cb) = (class(a), class(b));
    if ca >= 3 || cb >= 3 {
        return ca.cmp(&cb);
    }
    let ordering = match (a, b) {
        _ if ca != cb => ca.cmp(&cb),
        (Value::Text(x), Value::Text(y)) => compare_text(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        },
    };
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// The groups in order: by the first expression, ties by the next, last ties in the
/// order they came (key order). `permutation[new] = old`.
pub(super) fn sort_permutation(keys: &[(Vec<Value>, bool)], rows: usize) -> Vec<usize> {
    let mut permutation: Vec<usize> = (0..rows).collect();
    let blank = Value::Blank;
    permutation.sort_by(|&a, &b| {
        keys.iter()
            .map(|(values, descending)| {
                compare_for_order(
                    values.get(a).unwrap_or(&blank),
                    values.get(b).unwrap_or(&blank),
                    *descending,
                )
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    permutation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn numbers_text_logicals_then_errors_then_blanks() {
        let values = vec![
            Value::Blank,
            Value::text("b"),
            Value::error(crate::value::ErrorKind::Div0),
            Value::Bool(true),
            n(2.0),
            Value::text(""),
            Value::text("A"),
            n(-1.0),
            Value::Bool(false),
        ];
        let ascending = sort_permutation(&[(values.clone(), false)], values.len());
        // -1, 2, "A", "b", FALSE, TRUE, #DIV/0!, blank, "" (ties in given order).
        assert_eq!(ascending, [7, 4, 6, 1, 8, 3, 2, 0, 5]);
        let descending = sort_permutation(&[(values.clone(), true)], values.len());
        // TRUE, FALSE, "b", "A", 2, -1, then the error and the blanks still last.
        assert_eq!(descending, [3, 8, 1, 6, 4, 7, 2, 0, 5]);
    }

    #[test]
    fn ties_go_to_the_next_expression_then_to_the_given_order() {
        let first = vec![n(1.0), n(2.0), n(1.0), n(2.0), n(1.0)];
        let second = vec![
            Value::text("x"),
            n(5.0),
            Value::text("X"),
            n(7.0),
            Value::text("a"),
        ];
        let permutation = sort_permutation(&[(first, true), (second, false)], 5);
        // 2s first (desc), 5 before 7; then 1s: "a", then "x" and "X" equal (case
        // ignored) in the given order.
        assert_eq!(permutation, [1, 3, 4, 0, 2]);
    }
}
