//! The interpreter: a plan node evaluated over a table's rows a column at a time
//! (operators, IN, filters as masks).

use crate::eval::operators;
use crate::eval::vector::{self, Operand};
use crate::lang::plan::*;
use crate::value::{ErrorKind, Value};
use std::borrow::Cow;
use std::sync::Arc;

use super::{Evaluation, Scope, Values, map_values};

impl<'p> Evaluation<'p> {
    // ----- expressions ------------------------------------------------------------

    pub(super) fn eval<'s>(&'s self, node: &'s Node, scope: Scope) -> Values<'s> {
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
                    // Two coded operands (`is_won and won_recently`): once per pair of
                    // entries, the result coded too.
                    (
                        Values::Coded {
                            codes: a,
                            dictionary: da,
                        },
                        Values::Coded {
                            codes: b,
                            dictionary: db,
                        },
                    ) if let Some((codes, dictionary)) =
                        vector::pair_coded(*op, (&a, &da), (&b, &db), scope.rows) =>
                    {
                        Values::Coded {
                            codes: Cow::Owned(codes),
                            dictionary: Cow::Owned(dictionary),
                        }
                    }
                    // A comparison over rows: TRUE/FALSE coded, not a value per row.
                    (left, right)
                        if vector::is_comparison(*op)
                            && let Some((codes, dictionary)) = vector::compare_coded(
                                *op,
                                left.operand(),
                                right.operand(),
                                scope.rows,
                            ) =>
                    {
                        Values::Coded {
                            codes: Cow::Owned(codes),
                            dictionary: Cow::Owned(dictionary),
                        }
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
            Node::Call {
                function,
                args,
                span,
            } => self.eval_call(function, args, scope, *span),
        }
    }

    /// Which rows `node` is TRUE on (errors and non-booleans are not), as a `where`
    /// filter needs: comparisons, `not` and `and` never build a column of values.
    pub(super) fn eval_mask(&self, node: &Node, scope: Scope) -> Arc<Vec<bool>> {
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

    pub(super) fn compute_mask(&self, node: &Node, scope: Scope) -> Vec<bool> {
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
}
