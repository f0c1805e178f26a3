//! `order by` of a grouped table: each expression compiled as a column of the table
//! would be, with the table's own computed columns written into it (their formulas).

use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::plan::*;

use super::{Checker, Compiled, Ctx, StepSource};

impl Ctx {
    /// The `order by` of grouped table `table`: evaluated over its rows (the groups).
    pub(super) fn ordering(table: TableId) -> Ctx {
        Ctx {
            row_table: Some(table),
            qualified_self_is_row: false,
            ordering: true,
        }
    }
}

impl Checker<'_> {
    /// Compiles the `order by` of grouped table `table`, whose source and keys are set.
    pub(super) fn compile_order(&mut self, table: TableId, keys: &[OrderKey]) -> Vec<OrderNode> {
        let ctx = Ctx::ordering(table);
        let mut order = Vec::with_capacity(keys.len());
        for key in keys {
            let compiled = self.compile_expr(&key.expr, &ctx);
            if let Some(node) = self.expect_value(compiled, key.expr.span) {
                order.push(OrderNode {
                    node,
                    descending: key.direction == Some(SortDirection::Descending),
                });
            }
        }
        order
    }

    /// A bare name in an `order by` that is a column of the ordered table: a key is
    /// read as it is (the grouping writes it); a computed column's formula is compiled
    /// in its place, since the column is computed only after the rows are in order.
    pub(super) fn compile_order_column(
        &mut self,
        table: TableId,
        column: ColumnId,
        ctx: &Ctx,
    ) -> Compiled {
        let plan_column = &self.plan.tables[table].columns[column];
        let ty = plan_column.ty;
        if matches!(plan_column.origin, ColumnOrigin::GroupKey(_)) {
            return Compiled::Value {
                node: Node::Column(column),
                ty,
                row_dependent: true,
            };
        }
        let Some((_, StepSource::Column(def), _)) = self.steps.get(&Step::Column(table, column))
        else {
            return Compiled::Invalid;
        };
        let def = def.clone();
        if self.inlining.contains(&(table, column)) {
            // Columns that read each other in a circle: compiling the columns themselves
            // reports that cycle (every step is compiled), so it is not said twice.
            return Compiled::Invalid;
        }
        // The column's formula sees its own names, not the LETs around this name.
        let outer_lets = std::mem::take(&mut self.let_bindings);
        self.inlining.push((table, column));
        let compiled = self.compile_expr(&def.expr, ctx);
        self.inlining.pop();
        self.let_bindings = outer_lets;
        match compiled {
            // A list column is an error its own definition reports.
            Compiled::List { .. } => Compiled::Invalid,
            other => other,
        }
    }

    /// `Pipeline.amount` or `COUNT(Pipeline)` inside Pipeline's own `order by`: the
    /// table's rows do not exist yet while their order is decided.
    pub(super) fn order_reads_own_rows(
        &mut self,
        table: TableId,
        span: crate::diagnostic::source::Span,
    ) -> Compiled {
        let name = self.plan.tables[table].name.clone();
        self.error(
            Diagnostic::error(
                Code::BadOrder,
                format!("the `order by` of `{name}` cannot list `{name}`'s own rows"),
                span,
            )
            .with_label("the whole table, while its rows are being put in order")
            .with_hint(format!(
                "order by one value per row of `{name}`: a key, a column of it by its bare name, \
                 or an aggregate of the grouped rows, e.g. order by SUM(Source.amount) desc"
            )),
        );
        Compiled::Invalid
    }
}
