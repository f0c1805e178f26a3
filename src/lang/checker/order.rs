//! Dependency order: each definition compiled on demand, after what it reads; a
//! definition reached again while it is being compiled is a cycle, reported with its path.

use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::plan::*;
use std::collections::HashMap;

use super::{Checker, Compiled, Ctx, State, StepSource, compiled_type};

impl Checker<'_> {
    // ----- compile pass -----------------------------------------------------------

    pub(super) fn compile_all(&mut self) {
        let mut all: Vec<Step> = self.steps.keys().copied().collect();
        all.sort();
        for step in all {
            self.ensure(step);
        }
        for (id, used) in self.param_used.clone().into_iter().enumerate() {
            if !used {
                let param = &self.plan.params[id];
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::UnusedParam,
                        format!("param `{}` is never used", param.name),
                        param.span,
                    )
                    .with_label("declared here")
                    .with_hint("use it in a formula, or delete it"),
                );
            }
        }
    }

    /// Compiles `step` (and, first, everything it depends on) unless already done.
    pub(super) fn ensure(&mut self, step: Step) {
        let Some((state, source, span)) = self.steps.get(&step).cloned() else {
            return; // input columns and group keys need no compiling
        };
        match state {
            State::Done => {}
            State::Active => self.report_cycle(step),
            State::Pending => {
                self.set_state(step, State::Active);
                self.stack.push(step);
                self.compile_step(step, source, span);
                self.stack.pop();
                self.set_state(step, State::Done);
                // A named list is written into the formulas that use it, not computed.
                if !matches!(step, Step::Scalar(id) if self.named_lists.contains_key(&id)) {
                    self.plan.order.push(step);
                }
            }
        }
    }

    pub(super) fn set_state(&mut self, step: Step, state: State) {
        if let Some(entry) = self.steps.get_mut(&step) {
            entry.0 = state;
        }
    }

    pub(super) fn report_cycle(&mut self, step: Step) {
        let Some(start) = self.stack.iter().position(|s| *s == step) else {
            return;
        };
        let cycle: Vec<Step> = self.stack[start..].to_vec();
        let mut key = cycle.clone();
        key.sort();
        // One cycle, one report: a cycle whose steps all belong to one already
        // reported (reached again by another path through it) is the same mistake.
        if self
            .reported_cycles
            .iter()
            .any(|reported| key.iter().all(|step| reported.binary_search(step).is_ok()))
        {
            return;
        }
        self.reported_cycles.push(key);
        let mut names: Vec<String> = cycle.iter().map(|s| self.plan.step_name(*s)).collect();
        names.push(self.plan.step_name(step));
        let span_of =
            |s: &Step, steps: &HashMap<Step, (State, StepSource, Span)>| steps.get(s).map(|e| e.2);
        let Some(first_span) = span_of(&step, &self.steps) else {
            return;
        };
        let mut diagnostic = Diagnostic::error(
            Code::Cycle,
            format!(
                "these definitions depend on each other in a cycle: {}",
                names.join(" → ")
            ),
            first_span,
        )
        .with_label(format!(
            "`{}` is part of the cycle",
            self.plan.step_name(step)
        ));
        for s in cycle.iter().skip(1) {
            if let Some(span) = span_of(s, &self.steps) {
                diagnostic = diagnostic.with_secondary(
                    span,
                    format!("`{}` is part of the cycle", self.plan.step_name(*s)),
                );
            }
        }
        diagnostic = diagnostic
            .with_hint("break the cycle: one of these must be computed without the others");
        self.error(diagnostic);
    }

    pub(super) fn compile_step(&mut self, step: Step, source: StepSource, _span: Span) {
        match (step, source) {
            (Step::Group(table), StepSource::Group(decl)) => self.compile_group(table, &decl),
            (Step::Analysis(table), StepSource::Analysis(decl)) => {
                self.compile_analysis(table, &decl)
            }
            (Step::Column(table, column), StepSource::Column(def)) => {
                self.ensure_rows(table);
                let ctx = Ctx::rows_of(table);
                let compiled = self.compile_expr(&def.expr, &ctx);
                let ty = compiled_type(&compiled);
                if let Some(node) = self.expect_value(compiled, def.expr.span)
                    && let Some(col) = self.plan.tables[table].columns.get_mut(column)
                {
                    col.origin = ColumnOrigin::Formula(node);
                    col.ty = ty;
                }
            }
            (Step::Scalar(id), StepSource::Scalar(def)) => {
                let compiled = self.compile_expr(&def.expr, &Ctx::scalar());
                if let Compiled::List { list, .. } = &compiled
                    && list.filter.is_none()
                {
                    // `Amounts = Deals.amount`: a name for the list, as an Excel named
                    // range; `SUM(Amounts)` is then `SUM(Deals.amount)`.
                    self.named_lists.insert(id, compiled);
                    return;
                }
                let ty = compiled_type(&compiled);
                if let Some(node) = self.expect_value(compiled, def.expr.span)
                    && let Some(s) = self.plan.scalars.get_mut(id)
                {
                    s.node = node;
                    s.ty = ty;
                }
            }
            (Step::Flag(id), StepSource::Flag(def)) => self.compile_flag(id, &def),
            _ => {}
        }
    }

    pub(super) fn compile_group(&mut self, table: TableId, decl: &GroupTableDecl) {
        let TableKind::Grouped { source, .. } = self.plan.tables[table].kind else {
            return;
        };
        if source == usize::MAX {
            return; // unknown source, already reported
        }
        self.ensure_rows(source);
        let mut source_keys = Vec::new();
        // Keys of another table (`Teams.office`) were reported when declared.
        let keys = decl.keys.iter().filter(|k| !k.name.contains('.'));
        for (position, key) in keys.enumerate() {
            match self.column_id(source, &key.name) {
                Some(column) => {
                    self.ensure_column(source, column);
                    let ty = self.plan.tables[source].columns[column].ty;
                    if let Some(col) = self.plan.tables[table].columns.get_mut(position) {
                        col.ty = ty;
                        col.origin = ColumnOrigin::GroupKey(column);
                    }
                    source_keys.push(column);
                }
                None => {
                    let diagnostic = self.unknown_column(source, key);
                    self.error(diagnostic);
                }
            }
        }
        let filter = decl.filter.as_ref().and_then(|expr| {
            let compiled = self.compile_expr(expr, &Ctx::rows_of(source));
            self.expect_value(compiled, expr.span)
        });
        if let Some(t) = self.plan.tables.get_mut(table) {
            t.kind = TableKind::Grouped {
                source,
                source_keys,
                filter,
                order: Vec::new(),
            };
        }
        // Compiled once the keys are known: the order reads them.
        let order = self.compile_order(table, &decl.order);
        if let Some(TableKind::Grouped { order: slot, .. }) =
            self.plan.tables.get_mut(table).map(|t| &mut t.kind)
        {
            *slot = order;
        }
    }

    /// Makes sure a column referenced by a formula is compiled first.
    pub(super) fn ensure_column(&mut self, table: TableId, column: ColumnId) {
        match self.plan.tables[table].columns[column].origin {
            ColumnOrigin::Input => {}
            ColumnOrigin::GroupKey(_) => self.ensure(Step::Group(table)),
            ColumnOrigin::Analysis => self.ensure(Step::Analysis(table)),
            ColumnOrigin::Formula(_) => self.ensure(Step::Column(table, column)),
        }
    }

    /// A table's rows must exist before anything lists them.
    pub(super) fn ensure_rows(&mut self, table: TableId) {
        if let Some(step) = self.plan.tables[table].build_step(table) {
            self.ensure(step);
        }
    }
}
