//! Excel's habits the checker resolves before anything runs: `LET` (names bound to
//! values inside one formula), VLOOKUP and HLOOKUP over a table or an array constant
//! (the table and column number become the two lists the lookup reads), and named
//! lists (`Amounts = Deals.amount`, then `SUM(Amounts)`).

use std::sync::Arc;

use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::functions::{ArgKind, FunctionSpec};
use crate::lang::ast::*;
use crate::lang::plan::*;

use super::{Checker, Compiled, Ctx, literal_value};

/// A name bound by `LET` while its calculation is compiled.
#[derive(Debug, Clone)]
pub(super) struct LetBinding {
    pub name: Arc<str>,
    pub compiled: Compiled,
    /// The table whose row the value was compiled for (a value reading that row's
    /// columns means nothing over another table's rows).
    pub row_table: Option<TableId>,
    pub span: Span,
}

/// One compiled argument: what it is, the kind the function reads it as, where it is.
pub(super) type CompiledArg = (Compiled, ArgKind, Span);

impl Checker<'_> {
    /// The value a `LET` name stands for in `ctx`, if `name` is one.
    pub(super) fn let_binding(&mut self, ident: &Ident, ctx: &Ctx) -> Option<Compiled> {
        let binding = self
            .let_bindings
            .iter()
            .rev()
            .find(|b| b.name.eq_ignore_ascii_case(&ident.name))?
            .clone();
        let reads_row = match &binding.compiled {
            Compiled::Value { row_dependent, .. } => *row_dependent,
            Compiled::List { list, .. } => matches!(list.domain, ListDomain::Group { .. }),
            Compiled::Invalid => false,
        };
        if reads_row && binding.row_table != ctx.row_table {
            self.error(
                Diagnostic::error(
                    Code::BadLet,
                    format!(
                        "`{}` reads columns of this row, so it cannot be used over another table's rows",
                        ident.name
                    ),
                    ident.span,
                )
                .with_secondary(binding.span, "bound here")
                .with_hint("use the columns directly inside the filter or list, or bind a value that does not read the row"),
            );
            return Some(Compiled::Invalid);
        }
        Some(binding.compiled)
    }

    /// `LET(name1, value1, [name2, value2, …], calculation)`: each name stands for its
    /// value in the values after it and in the calculation, exactly as in Excel. The
    /// names are replaced by what they stand for, so the plan holds the calculation.
    pub(super) fn compile_let(&mut self, args: &[Expr], span: Span, ctx: &Ctx) -> Compiled {
        let Some((calculation, pairs)) = args.split_last() else {
            return self.let_arity(args.len(), span);
        };
        if pairs.is_empty() || pairs.len() % 2 != 0 {
            return self.let_arity(args.len(), span);
        }
        let depth = self.let_bindings.len();
        let mut invalid = false;
        for pair in pairs.chunks(2) {
            let [name, value] = pair else { continue };
            let ExprKind::Name(ident) = &name.kind else {
                self.error(
                    Diagnostic::error(
                        Code::BadLet,
                        "LET needs a name here, to stand for the value after it",
                        name.span,
                    )
                    .with_label("not a name")
                    .with_hint("write LET(name, value, …, calculation), e.g. LET(won, COUNT(Deals where is_won), won / COUNT(Deals))"),
                );
                invalid = true;
                continue;
            };
            if let Some(first) = self.let_bindings[depth..]
                .iter()
                .find(|b| b.name.eq_ignore_ascii_case(&ident.name))
                .map(|b| b.span)
            {
                self.error(
                    Diagnostic::error(
                        Code::BadLet,
                        format!("`{}` is bound twice in one LET", ident.name),
                        ident.span,
                    )
                    .with_secondary(first, "first bound here")
                    .with_hint("give each value its own name"),
                );
                invalid = true;
            }
            let compiled = self.compile_arg(value, ctx);
            if matches!(compiled, Compiled::Invalid) {
                invalid = true;
            }
            self.let_bindings.push(LetBinding {
                name: Arc::clone(&ident.name),
                compiled,
                row_table: ctx.row_table,
                span: ident.span,
            });
        }
        let result = self.compile_expr(calculation, ctx);
        self.let_bindings.truncate(depth);
        if invalid { Compiled::Invalid } else { result }
    }

    fn let_arity(&mut self, given: usize, span: Span) -> Compiled {
        self.error(
            Diagnostic::error(
                Code::WrongArity,
                format!("LET takes pairs of a name and a value, then the calculation; got {given} arguments"),
                span,
            )
            .with_hint("LET(x, 1, y, 2, x + y): an odd number of arguments, at least 3"),
        );
        Compiled::Invalid
    }

    /// VLOOKUP(x, table, n, range_lookup) and HLOOKUP(x, array, n, range_lookup) as the
    /// lookup reads them: the needle, the first column (row) and the n-th column (row)
    /// as lists, and `range_lookup`. The column number must be written as a number, so
    /// a number outside the table is found here, before any data is read.
    pub(super) fn table_lookup_args(
        &mut self,
        spec: &FunctionSpec,
        args: &[Expr],
        ctx: &Ctx,
    ) -> Option<Vec<CompiledArg>> {
        let horizontal = spec.name == "HLOOKUP";
        let [needle, table, index, rest @ ..] = args else {
            return None;
        };
        let what = if horizontal { "row" } else { "column" };
        // The table's own names, for examples in the hints.
        let (example_table, example_key) = match &table.kind {
            ExprKind::Name(ident) => match self.table_named(ident, ctx) {
                Some(t) => (
                    self.plan.tables[t].name.to_string(),
                    self.plan.tables[t]
                        .columns
                        .first()
                        .map_or_else(|| "key".to_string(), |c| c.name.to_string()),
                ),
                None => ("Products".to_string(), "product".to_string()),
            },
            _ => ("Products".to_string(), "product".to_string()),
        };
        let number = match literal_value(index) {
            Some((crate::value::Value::Number(n), _)) if n.trunc() >= 1.0 => n.trunc() as usize,
            Some((crate::value::Value::Number(_), _)) => {
                self.error(
                    Diagnostic::error(
                        Code::TableLookupShape,
                        format!("{} counts {what}s from 1", spec.name),
                        index.span,
                    )
                    .with_label(format!("no {what} here"))
                    .with_hint(format!("{what} 1 is where the value is looked up; the answer comes from {what} 2 or later")),
                );
                return None;
            }
            _ => {
                self.error(
                    Diagnostic::error(
                        Code::TableLookupShape,
                        format!("the {what} number of {} must be written as a number", spec.name),
                        index.span,
                    )
                    .with_label("not a number written here")
                    .with_hint(format!(
                        "e.g. {}(x, {example_table}, 2, FALSE); to choose the column by a formula, name it: XLOOKUP(x, {example_table}.{example_key}, {example_table}.<column>)",
                        spec.name
                    )),
                );
                return None;
            }
        };
        let needle_compiled = self.compile_arg(needle, ctx);
        let (keys, values) = self.lookup_lists(spec, table, number, horizontal, ctx)?;
        let mut out: Vec<CompiledArg> = vec![
            (needle_compiled, ArgKind::Scalar, needle.span),
            (keys, ArgKind::List, table.span),
            (values, ArgKind::List, table.span),
        ];
        for arg in rest {
            out.push((self.compile_arg(arg, ctx), ArgKind::Scalar, arg.span));
        }
        Some(out)
    }

    /// The searched list and the answer list of a VLOOKUP/HLOOKUP `table` argument.
    fn lookup_lists(
        &mut self,
        spec: &FunctionSpec,
        table: &Expr,
        number: usize,
        horizontal: bool,
        ctx: &Ctx,
    ) -> Option<(Compiled, Compiled)> {
        let what = if horizontal { "row" } else { "column" };
        // An array constant: its rows as written.
        if let ExprKind::Array(rows) = &table.kind {
            let width = rows.first().map_or(0, Vec::len);
            if rows.iter().any(|r| r.len() != width) {
                self.error(
                    Diagnostic::error(
                        Code::TableLookupShape,
                        "the rows of this array have different lengths",
                        table.span,
                    )
                    .with_hint("give every row (separated by `;`) the same number of values"),
                );
                return None;
            }
            let count = if horizontal { rows.len() } else { width };
            if number > count {
                self.error(self.lookup_out_of_range(spec, table.span, number, count, what));
                return None;
            }
            let pick = |n: usize| -> Vec<Expr> {
                if horizontal {
                    rows.get(n).cloned().unwrap_or_default()
                } else {
                    rows.iter().filter_map(|r| r.get(n).cloned()).collect()
                }
            };
            let keys = self.compile_array(&pick(0), ctx);
            let values = self.compile_array(&pick(number - 1), ctx);
            return Some((keys, values));
        }
        // A table by name: its columns in the order the rules declare them.
        if let ExprKind::Name(ident) = &table.kind
            && let Some(table_id) = self.table_named(ident, ctx)
        {
            let name = self.plan.tables[table_id].name.to_string();
            if horizontal {
                self.error(
                    Diagnostic::error(
                        Code::TableLookupShape,
                        format!("HLOOKUP searches along a row, but `{name}` is a table of columns"),
                        table.span,
                    )
                    .with_hint(format!(
                        "look up in its first column with VLOOKUP(x, {name}, n, FALSE), or name the two columns: XLOOKUP(x, {name}.{key}, {name}.<column>)",
                        key = self.plan.tables[table_id].columns.first().map_or("key", |c| &*c.name)
                    )),
                );
                return None;
            }
            let columns: Vec<Arc<str>> = self.plan.tables[table_id]
                .columns
                .iter()
                .map(|c| Arc::clone(&c.name))
                .collect();
            if number > columns.len() {
                let mut d = self.lookup_out_of_range(spec, table.span, number, columns.len(), what);
                d = d.with_hint(format!(
                    "`{name}`'s columns, in the order the rules declare them: {}",
                    columns.join(", ")
                ));
                self.error(d);
                return None;
            }
            let column_ident = |n: usize| Ident {
                name: columns.get(n).cloned().unwrap_or_else(|| Arc::from("")),
                span: table.span,
            };
            let keys = self.compile_qualified(ident, &column_ident(0), ctx);
            let values = self.compile_qualified(ident, &column_ident(number - 1), ctx);
            return Some((keys, values));
        }
        // One column (or any list): the lookup can only answer from that column.
        let compiled = self.compile_arg(table, ctx);
        let (example_table, example_key) = match &table.kind {
            ExprKind::Qualified { table, column } => {
                (table.name.to_string(), column.name.to_string())
            }
            _ => ("Products".to_string(), "product".to_string()),
        };
        match compiled {
            Compiled::List { .. } if number == 1 => Some((compiled.clone(), compiled)),
            Compiled::List { .. } => {
                self.error(
                    Diagnostic::error(
                        Code::TableLookupShape,
                        format!("this is one {what}, so {} can only answer from {what} 1 of it", spec.name),
                        table.span,
                    )
                    .with_label(format!("one {what}"))
                    .with_hint(format!(
                        "give the table's name instead, VLOOKUP(x, {example_table}, {number}, FALSE), or name both columns: XLOOKUP(x, {example_table}.{example_key}, {example_table}.<column>)"
                    )),
                );
                None
            }
            Compiled::Value { .. } => {
                self.error(
                    Diagnostic::error(
                        Code::ValueWhereList,
                        format!("{} needs a table or an array to look in, not a single value", spec.name),
                        table.span,
                    )
                    .with_label("a single value")
                    .with_hint("give a table's name (VLOOKUP(x, Products, 2, FALSE)) or an array constant ({1, \"a\"; 2, \"b\"})"),
                );
                None
            }
            Compiled::Invalid => None,
        }
    }

    fn lookup_out_of_range(
        &self,
        spec: &FunctionSpec,
        span: Span,
        number: usize,
        count: usize,
        what: &str,
    ) -> Diagnostic {
        Diagnostic::error(
            Code::TableLookupShape,
            format!(
                "{} asks for {what} {number}, but this has {}",
                spec.name,
                super::plural(count, what)
            ),
            span,
        )
        .with_label(format!("{} here", super::plural(count, what)))
    }

    /// The table a bare name stands for when nothing closer (a LET name, a column of
    /// this row, a param or a named value) has that name.
    fn table_named(&self, ident: &Ident, ctx: &Ctx) -> Option<TableId> {
        let shadowed = self
            .let_bindings
            .iter()
            .any(|b| b.name.eq_ignore_ascii_case(&ident.name))
            || ctx
                .row_table
                .is_some_and(|t| self.plan.tables[t].column_id(&ident.name).is_some())
            || self.plan.param_id(&ident.name).is_some()
            || self.plan.scalars.iter().any(|s| s.name == ident.name);
        if shadowed {
            return None;
        }
        self.plan.table_id(&ident.name)
    }

    /// Drops the named lists from the plan's values (they were written into every
    /// formula that uses them) and renumbers the values that remain.
    pub(super) fn drop_named_lists(&mut self) {
        if self.named_lists.is_empty() {
            return;
        }
        let mut new_id: Vec<Option<ScalarId>> = Vec::with_capacity(self.plan.scalars.len());
        let mut next = 0;
        for id in 0..self.plan.scalars.len() {
            if self.named_lists.contains_key(&id) {
                new_id.push(None);
            } else {
                new_id.push(Some(next));
                next += 1;
            }
        }
        let mut id = 0;
        self.plan.scalars.retain(|_| {
            let keep = new_id.get(id).copied().flatten().is_some();
            id += 1;
            keep
        });
        let renumber = |old: ScalarId| new_id.get(old).copied().flatten().unwrap_or(old);
        self.plan.for_each_node_mut(&mut |node| {
            if let Node::Scalar(old) = node {
                *old = renumber(*old);
            }
        });
        for step in &mut self.plan.order {
            if let Step::Scalar(old) = step {
                *old = renumber(*old);
            }
        }
    }
}
