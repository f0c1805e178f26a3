//! Names: a bare name (this row's column, a param, a named value, a table) and
//! `Table.column`, resolved in their context into row values or lists.

use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::value::{Value, ValueType};
use std::sync::Arc;

use super::{Checker, Compiled, Ctx};

impl Checker<'_> {
    pub(super) fn unknown_column(&self, table: TableId, ident: &Ident) -> Diagnostic {
        let table_plan = &self.plan.tables[table];
        let mut diagnostic = Diagnostic::error(
            Code::UnknownColumn,
            format!("table `{}` has no column `{}`", table_plan.name, ident.name),
            ident.span,
        )
        .with_label("unknown column");
        let names: Vec<&str> = table_plan.columns.iter().map(|c| &*c.name).collect();
        let suggestion = match self.may_suggest() {
            true => Suggestion::closest(&ident.name, names.iter().copied()),
            false => None,
        };
        match suggestion {
            Some(s) => diagnostic = diagnostic.with_suggestion(Some(s)),
            None if matches!(table_plan.kind, TableKind::Input) => {
                diagnostic = diagnostic.with_hint(format!(
                    "declare it in `input {} (…)`, or define it: `{}.{} = …`",
                    table_plan.name, table_plan.name, ident.name
                ))
            }
            None if names.len() <= 40 => {
                diagnostic = diagnostic.with_hint(format!("its columns are: {}", names.join(", ")))
            }
            None => {}
        }
        diagnostic
    }

    pub(super) fn compile_name(&mut self, ident: &Ident, ctx: &Ctx) -> Compiled {
        if let Some(bound) = self.let_binding(ident, ctx) {
            return bound;
        }
        if let Some(table) = ctx.row_table
            && let Some(column) = self.column_id(table, &ident.name)
        {
            if ctx.ordering {
                return self.compile_order_column(table, column, ctx);
            }
            self.ensure_column(table, column);
            let ty = self.plan.tables[table].columns[column].ty;
            return Compiled::Value {
                node: Node::Column(column),
                ty,
                row_dependent: true,
            };
        }
        if let Some(param) = self.param_id(&ident.name) {
            if let Some(used) = self.param_used.get_mut(param) {
                *used = true;
            }
            return Compiled::Value {
                node: Node::Param(param),
                ty: self.plan.params[param].ty,
                row_dependent: false,
            };
        }
        if let Some(scalar) = self.scalar_id(&ident.name) {
            self.ensure(Step::Scalar(scalar));
            if let Some(list) = self.named_lists.get(&scalar) {
                return list.clone();
            }
            return Compiled::Value {
                node: Node::Scalar(scalar),
                ty: self.plan.scalars[scalar].ty,
                row_dependent: false,
            };
        }
        if let Some(table) = self.table_id(&ident.name) {
            if ctx.ordering && ctx.row_table == Some(table) {
                return self.order_reads_own_rows(table, ident.span);
            }
            // A bare table name is the list of its rows (each counted as 1).
            self.ensure_rows(table);
            let domain = self.list_domain(table, ctx);
            return Compiled::List {
                list: ListNode {
                    domain,
                    expr: Node::Const(Value::Number(1.0)),
                    filter: None,
                    elements: Vec::new(),
                    distinct: Distinct::All,
                },
                ty: ValueType::Number,
            };
        }
        let mut diagnostic = Diagnostic::error(
            Code::UnknownName,
            format!("unknown name `{}`", ident.name),
            ident.span,
        )
        .with_label("not a column, param, value or table");
        if !self.may_suggest() {
            // Thousands of unknown names: the first ones carry the searched hints.
            self.error(diagnostic);
            return Compiled::Invalid;
        }
        let mut candidates: Vec<String> = Vec::new();
        if let Some(table) = ctx.row_table {
            candidates.extend(
                self.plan.tables[table]
                    .columns
                    .iter()
                    .map(|c| c.name.to_string()),
            );
        }
        candidates.extend(self.plan.params.iter().map(|p| p.name.to_string()));
        candidates.extend(self.plan.scalars.iter().map(|s| s.name.to_string()));
        candidates.extend(self.plan.tables.iter().map(|t| t.name.to_string()));
        // A column of another table with exactly this name: say how to reach it.
        let elsewhere: Vec<String> = self
            .plan
            .tables
            .iter()
            .enumerate()
            .filter(|(id, _)| Some(*id) != ctx.row_table)
            .filter(|(id, _)| self.column_id(*id, &ident.name).is_some())
            .map(|(_, t)| format!("{}.{}", t.name, ident.name))
            .collect();
        if let Some(s) = Suggestion::closest(&ident.name, candidates.iter().map(String::as_str)) {
            diagnostic = diagnostic.with_suggestion(Some(s));
        } else if let Some(qualified) = elsewhere.first() {
            let how = if ctx.row_table.is_some() {
                format!(
                    "`{qualified}` is a list: reduce it, e.g. SUM({qualified}) or AVERAGE({qualified})"
                )
            } else {
                format!("write it with its table: SUM({qualified}), AVERAGE({qualified}) …")
            };
            diagnostic = diagnostic.with_hint(format!(
                "`{}` is a column of {}; {how}",
                ident.name,
                elsewhere
                    .join(", ")
                    .replace(&format!(".{}", ident.name), "")
            ));
        } else if let Some(table) = ctx.row_table {
            diagnostic = diagnostic.with_hint(format!(
                "bare names are columns of `{}`, params or named values; write `Table.column` for another table",
                self.plan.tables[table].name
            ));
        } else {
            diagnostic =
                diagnostic.with_hint("write `Table.column` for a column, or declare a `param`");
        }
        if self.vocabulary.functions.lookup(&ident.name).is_some() {
            diagnostic = diagnostic.with_hint(format!(
                "`{}` is a function: call it with parentheses",
                ident.name
            ));
        }
        self.error(diagnostic);
        Compiled::Invalid
    }

    /// Which rows `Table.column` draws from when written in `ctx`.
    pub(super) fn list_domain(&self, table: TableId, ctx: &Ctx) -> ListDomain {
        let Some(row_table) = ctx.row_table else {
            return ListDomain::Table(table);
        };
        if let TableKind::Grouped { source, .. } = &self.plan.tables[row_table].kind {
            if table == row_table {
                return ListDomain::Table(table);
            }
            if table == *source || self.matches_group_keys(table, row_table) {
                return ListDomain::Group { table };
            }
        }
        ListDomain::Table(table)
    }

    /// Whether `table` has every key column of the grouped table (by name).
    pub(super) fn matches_group_keys(&self, table: TableId, grouped: TableId) -> bool {
        let grouped_plan = &self.plan.tables[grouped];
        let keys = grouped_plan.key_count();
        keys > 0
            && grouped_plan.columns[..keys.min(grouped_plan.columns.len())]
                .iter()
                .all(|k| self.column_id(table, &k.name).is_some())
    }

    pub(super) fn compile_qualified(
        &mut self,
        table_ident: &Ident,
        column_ident: &Ident,
        ctx: &Ctx,
    ) -> Compiled {
        let Some(table) = self.find_table(table_ident) else {
            return Compiled::Invalid;
        };
        let Some(column) = self.column_id(table, &column_ident.name) else {
            let diagnostic = self.unknown_column(table, column_ident);
            self.error(diagnostic);
            return Compiled::Invalid;
        };
        if ctx.ordering && ctx.row_table == Some(table) {
            let span = table_ident.span.to(column_ident.span);
            return self.order_reads_own_rows(table, span);
        }
        self.ensure_column(table, column);
        self.ensure_rows(table);
        let ty = self.plan.tables[table].columns[column].ty;
        if ctx.qualified_self_is_row && ctx.row_table == Some(table) {
            return Compiled::Value {
                node: Node::Column(column),
                ty,
                row_dependent: true,
            };
        }
        let domain = self.list_domain(table, ctx);
        if let ListDomain::Group { table: matched } = domain {
            // Rows of another table are assigned to groups by its key columns.
            if let Some(row_table) = ctx.row_table {
                let keys: Vec<Arc<str>> = {
                    let plan = &self.plan.tables[row_table];
                    plan.columns[..plan.key_count().min(plan.columns.len())]
                        .iter()
                        .map(|c| Arc::clone(&c.name))
                        .collect()
                };
                for key in keys {
                    if let Some(key_col) = self.column_id(matched, &key) {
                        self.ensure_column(matched, key_col);
                    }
                }
            }
        }
        Compiled::List {
            list: ListNode {
                domain,
                expr: Node::Column(column),
                filter: None,
                elements: Vec::new(),
                distinct: Distinct::All,
            },
            ty,
        }
    }
}
