//! Flags: the condition, the message's holes, the value at stake (`rank by`) and the
//! comparisons a finding shows as the metric and threshold that fired.

use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::format::format_expr;
use crate::lang::plan::*;
use crate::value::ValueType;

use super::{Checker, Ctx, compiled_type};

impl Checker<'_> {
    pub(super) fn compile_flag(&mut self, id: usize, def: &FlagDef) {
        let Some(table) = self.plan.flags.get(id).map(|f| f.table) else {
            return;
        };
        self.ensure_rows(table);
        let ctx = Ctx::rows_of(table);
        let errors_before = self.error_count();
        let compiled = self.compile_expr(&def.condition, &ctx);
        let ty = compiled_type(&compiled);
        if matches!(ty, ValueType::Text) {
            self.error(
                Diagnostic::error(
                    Code::WrongOperandType,
                    "a flag condition must be TRUE or FALSE, not text",
                    def.condition.span,
                )
                .with_hint("compare it with something, e.g. `stage = \"Closed Won\"`"),
            );
        }
        let condition = self.expect_value(compiled, def.condition.span);
        let condition_ok = self.error_count() == errors_before;
        let mut message = Vec::new();
        for part in &def.message.parts {
            match part {
                TemplatePart::Literal(text) => message.push(MessagePart::Literal(text.clone())),
                TemplatePart::Hole { expr, format } => {
                    let compiled = self.compile_expr(expr, &ctx);
                    if let Some(node) = self.expect_value(compiled, expr.span) {
                        message.push(MessagePart::Hole {
                            node,
                            format: format.clone(),
                        });
                    }
                }
            }
        }
        let rank_by = def.rank_by.as_ref().and_then(|expr| {
            let compiled = self.compile_expr(expr, &ctx);
            if matches!(compiled_type(&compiled), ValueType::Text | ValueType::Bool) {
                self.error(
                    Diagnostic::error(
                        Code::WrongOperandType,
                        "`rank by` needs a number: the value at stake of the row",
                        expr.span,
                    )
                    .with_hint("give an amount, e.g. `rank by total_cost - lifetime_margin`"),
                );
            }
            self.expect_value(compiled, expr.span)
        });
        // The comparisons are parts of a condition that compiled cleanly, so compiling
        // them again reports nothing new.
        let reasons = if condition_ok {
            let mut comparisons = Vec::new();
            comparisons_of(&def.condition, &mut comparisons);
            comparisons
                .into_iter()
                .filter_map(|(op, lhs, rhs)| self.reason(op, lhs, rhs, &ctx))
                .collect()
        } else {
            Vec::new()
        };
        if let (Some(flag), Some(condition)) = (self.plan.flags.get_mut(id), condition) {
            flag.condition = condition;
            flag.message = message;
            flag.rank_by = rank_by;
            flag.reasons = reasons;
        }
    }

    fn reason(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, ctx: &Ctx) -> Option<FlagReason> {
        let before = self.error_count();
        let left = self.compile_expr(lhs, ctx);
        let right = self.compile_expr(rhs, ctx);
        let left = self.expect_value(left, lhs.span);
        let right = self.expect_value(right, rhs.span);
        if self.error_count() != before {
            self.diagnostics.truncate(before);
            return None;
        }
        let (left, right) = (left?, right?);
        let format = self
            .node_format(&left, ctx)
            .or_else(|| self.node_format(&right, ctx));
        Some(FlagReason {
            left,
            left_text: format_expr(lhs),
            op,
            right,
            right_text: format_expr(rhs),
            format,
        })
    }

    /// The `@format` of a bare column, param or named value, as an Excel number format.
    fn node_format(&self, node: &Node, ctx: &Ctx) -> Option<String> {
        let format = match node {
            Node::Column(column) => ctx
                .row_table
                .and_then(|t| self.plan.tables.get(t))
                .and_then(|t| t.columns.get(*column))
                .and_then(|c| c.format.as_ref()),
            Node::Param(param) => self.plan.params.get(*param).and_then(|p| p.format.as_ref()),
            Node::Scalar(scalar) => self
                .plan
                .scalars
                .get(*scalar)
                .and_then(|s| s.format.as_ref()),
            _ => None,
        }?;
        Some(format.kind.excel_format().to_string())
    }

    fn error_count(&self) -> usize {
        self.diagnostics.len()
    }
}

/// The comparisons joined by `and` at the top of a condition (through brackets), in
/// the order written: `won >= 5 and (roi < 0)` gives `won >= 5` and `roi < 0`.
fn comparisons_of<'e>(expr: &'e Expr, out: &mut Vec<(BinaryOp, &'e Expr, &'e Expr)>) {
    match &expr.kind {
        ExprKind::Paren(inner) => comparisons_of(inner, out),
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            comparisons_of(lhs, out);
            comparisons_of(rhs, out);
        }
        ExprKind::Binary { op, lhs, rhs }
            if matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
            ) =>
        {
            out.push((*op, lhs, rhs));
        }
        _ => {}
    }
}
