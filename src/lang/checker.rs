//! The checker: resolves every name in the rule files, checks arity, types and
//! list/value shapes, finds duplicates and cycles, and compiles the result into a [`Plan`].
//!
//! It reads no data. Definitions are compiled on demand in dependency order, so the
//! order in which they finish is the evaluation order, and a definition reached again
//! while it is being compiled is a cycle (reported with its whole path).

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::source::{SourceMap, Span};
use crate::diagnostic::{Code, Diagnostic};
use crate::functions::{self, ArgKind, ReturnType};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::value::{Value, ValueType};

/// An input table known from outside the rule files (a scenario's declared columns,
/// or a test's tables), with the type of each column.
#[derive(Debug, Clone)]
pub struct ExternalTable {
    pub name: String,
    pub columns: Vec<(String, ValueType)>,
}

/// The result of checking: a plan when there are no errors, and every diagnostic.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    pub plan: Option<Plan>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckOutcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks parsed rule files together and compiles them into a plan.
pub fn check_rules(
    files: &[RuleFile],
    sources: &SourceMap,
    external: &[ExternalTable],
) -> CheckOutcome {
    let mut checker = Checker::new(sources);
    checker.declare(files, external);
    checker.compile_all();
    checker.finish()
}

/// Checks one standalone expression in scalar context against `external` tables and
/// returns its compiled node (used by `evaluate_formula` and `explain`).
pub fn check_expression(
    expr: &Expr,
    sources: &SourceMap,
    external: &[ExternalTable],
) -> (Option<(Plan, Node)>, Vec<Diagnostic>) {
    let mut checker = Checker::new(sources);
    checker.declare(&[], external);
    checker.compile_all();
    let ctx = Ctx::scalar();
    let compiled = checker.compile_expr(expr, &ctx);
    let node = checker.expect_value(compiled, expr.span);
    let outcome = checker.finish();
    match (outcome.plan, node) {
        (Some(plan), Some(node)) if !outcome.diagnostics.iter().any(Diagnostic::is_error) => {
            (Some((plan, node)), outcome.diagnostics)
        }
        _ => (None, outcome.diagnostics),
    }
}

/// Where an expression is evaluated.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// The table whose rows are evaluated (bare names are its columns), if any.
    row_table: Option<TableId>,
    /// Inside a `where` condition over this table: `Table.column` of the same table
    /// means this row's value.
    qualified_self_is_row: bool,
}

impl Ctx {
    fn scalar() -> Ctx {
        Ctx {
            row_table: None,
            qualified_self_is_row: false,
        }
    }

    fn rows_of(table: TableId) -> Ctx {
        Ctx {
            row_table: Some(table),
            qualified_self_is_row: false,
        }
    }
}

/// An expression compiled in a context: one value per row, or a list.
#[derive(Debug, Clone)]
enum Compiled {
    Value {
        node: Node,
        ty: ValueType,
        /// Reads a column of the current row (so it cannot be moved into a list over
        /// another table's rows).
        row_dependent: bool,
    },
    List {
        list: ListNode,
        ty: ValueType,
    },
    /// Something already reported; keeps checking going without cascades.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Active,
    Done,
}

/// What a step's source is, for compiling it.
#[derive(Debug, Clone)]
enum StepSource {
    Group(GroupTableDecl),
    Column(ColumnDef),
    Scalar(ScalarDef),
    Flag(FlagDef),
}

struct Checker<'a> {
    sources: &'a SourceMap,
    plan: Plan,
    diagnostics: Vec<Diagnostic>,
    steps: HashMap<Step, (State, StepSource, Span)>,
    /// Steps being compiled, innermost last (the cycle path when one closes).
    stack: Vec<Step>,
    param_used: Vec<bool>,
    /// Names of top-level definitions (tables, params, scalars) with their spans.
    global_names: HashMap<Arc<str>, Span>,
    reported_cycles: Vec<Vec<Step>>,
}

impl<'a> Checker<'a> {
    fn new(sources: &'a SourceMap) -> Self {
        Checker {
            sources,
            plan: Plan::default(),
            diagnostics: Vec::new(),
            steps: HashMap::new(),
            stack: Vec::new(),
            param_used: Vec::new(),
            global_names: HashMap::new(),
            reported_cycles: Vec::new(),
        }
    }

    fn error(&mut self, mut diagnostic: Diagnostic) {
        // Every diagnostic underlines its place with a short note.
        if diagnostic.primary.message.is_empty() {
            diagnostic.primary.message = match diagnostic.code {
                Code::WrongOperandType => "text",
                Code::ListWhereValue => "a list",
                Code::MixedLists => "lists from different tables",
                Code::MisplacedWhere => "misplaced `where`",
                Code::BadGroupKey => "repeated key",
                Code::RowValueInList => "this row's value",
                _ => "here",
            }
            .to_string();
        }
        self.diagnostics.push(diagnostic);
    }

    /// Registers a top-level name; reports a duplicate and returns false if taken.
    fn claim_global(&mut self, ident: &Ident, what: &str) -> bool {
        if let Some(first) = self.global_names.get(&ident.name).copied() {
            self.error(
                Diagnostic::error(
                    Code::DefinedTwice,
                    format!("`{}` is defined more than once", ident.name),
                    ident.span,
                )
                .with_label(format!("this {what} reuses the name"))
                .with_secondary(first, "first defined here")
                .with_hint("rename one of them, or delete the duplicate"),
            );
            return false;
        }
        self.global_names
            .insert(Arc::clone(&ident.name), ident.span);
        true
    }

    // ----- declaration pass -------------------------------------------------------

    fn declare(&mut self, files: &[RuleFile], external: &[ExternalTable]) {
        for table in external {
            let name: Arc<str> = Arc::from(table.name.as_str());
            self.global_names.insert(Arc::clone(&name), Span::default());
            self.plan.tables.push(TablePlan {
                name,
                kind: TableKind::Input,
                columns: table
                    .columns
                    .iter()
                    .map(|(col, ty)| ColumnPlan {
                        name: Arc::from(col.as_str()),
                        ty: *ty,
                        optional: true,
                        origin: ColumnOrigin::Input,
                        format: None,
                        span: Span::default(),
                    })
                    .collect(),
                span: Span::default(),
            });
        }
        let items: Vec<&Item> = files.iter().flat_map(|f| f.items.iter()).collect();
        // Tables first, so that column definitions anywhere can find them.
        for item in &items {
            match &item.kind {
                ItemKind::Input(decl) => self.declare_input(decl, item.span),
                ItemKind::GroupTable(decl) if self.claim_global(&decl.name, "table") => {
                    let id = self.plan.tables.len();
                    self.plan.tables.push(TablePlan {
                        name: Arc::clone(&decl.name.name),
                        kind: TableKind::Grouped {
                            source: usize::MAX,
                            source_keys: Vec::new(),
                            filter: None,
                        },
                        columns: Vec::new(),
                        span: decl.name.span,
                    });
                    self.steps.insert(
                        Step::Group(id),
                        (State::Pending, StepSource::Group(decl.clone()), item.span),
                    );
                }
                _ => {}
            }
        }
        // Group keys become the first columns of their grouped table.
        for (table_id, step) in self.group_steps() {
            if let Some((_, StepSource::Group(decl), _)) = self.steps.get(&step).cloned() {
                self.declare_group_keys(table_id, &decl);
            }
        }
        for item in &items {
            match &item.kind {
                ItemKind::Param(decl) => self.declare_param(decl),
                ItemKind::Scalar(def) => {
                    if self.claim_global(&def.name, "value") {
                        let id = self.plan.scalars.len();
                        self.plan.scalars.push(ScalarPlan {
                            name: Arc::clone(&def.name.name),
                            ty: ValueType::Any,
                            node: Node::Const(Value::Blank),
                            format: def.format.clone(),
                            span: def.name.span,
                        });
                        self.steps.insert(
                            Step::Scalar(id),
                            (State::Pending, StepSource::Scalar(def.clone()), item.span),
                        );
                    }
                }
                ItemKind::Flag(def) => {
                    if let Some(table) = self.find_table(&def.table) {
                        let id = self.plan.flags.len();
                        self.plan.flags.push(FlagPlan {
                            table,
                            condition: Node::Const(Value::Bool(false)),
                            message: Vec::new(),
                            template: def.message.clone(),
                            span: item.span,
                        });
                        self.steps.insert(
                            Step::Flag(id),
                            (State::Pending, StepSource::Flag(def.clone()), item.span),
                        );
                    }
                }
                ItemKind::Input(_) | ItemKind::GroupTable(_) | ItemKind::Column(_) => {}
            }
        }
        // Columns defined in the file that declares their table come first, so a table
        // reads in its own file's order and other files' additions follow.
        let mut columns: Vec<(bool, usize, &ColumnDef, Span)> = items
            .iter()
            .enumerate()
            .filter_map(|(order, item)| match &item.kind {
                ItemKind::Column(def) => {
                    let home = self
                        .plan
                        .table_id(&def.table.name)
                        .map(|t| self.plan.tables[t].span.file);
                    Some((home != Some(item.span.file), order, def, item.span))
                }
                _ => None,
            })
            .collect();
        columns.sort_by_key(|(foreign, order, _, _)| (*foreign, *order));
        for (_, _, def, span) in columns {
            self.declare_column(def, span);
        }
        self.param_used = vec![false; self.plan.params.len()];
    }

    fn group_steps(&self) -> Vec<(TableId, Step)> {
        let mut steps: Vec<(TableId, Step)> = self
            .steps
            .keys()
            .filter_map(|s| match s {
                Step::Group(t) => Some((*t, *s)),
                _ => None,
            })
            .collect();
        steps.sort();
        steps
    }

    fn declare_input(&mut self, decl: &InputDecl, span: Span) {
        // An input may be declared in several files; columns merge, conflicts are errors.
        let id = match self.plan.table_id(&decl.table.name) {
            Some(id) if matches!(self.plan.tables[id].kind, TableKind::Input) => id,
            Some(_) => {
                self.claim_global(&decl.table, "input table");
                return;
            }
            None => {
                self.claim_global(&decl.table, "input table");
                self.plan.tables.push(TablePlan {
                    name: Arc::clone(&decl.table.name),
                    kind: TableKind::Input,
                    columns: Vec::new(),
                    span: decl.table.span,
                });
                self.plan.tables.len() - 1
            }
        };
        let _ = span;
        for column in &decl.columns {
            let ty = column.ty;
            if let Some(existing) = self.plan.tables[id].column_id(&column.name.name) {
                let previous = &self.plan.tables[id].columns[existing];
                if previous.ty != ty && previous.span != Span::default() {
                    let previous_span = previous.span;
                    let previous_ty = previous.ty;
                    self.error(
                        Diagnostic::error(
                            Code::DefinedTwice,
                            format!(
                                "column `{}.{}` is declared twice with different types",
                                decl.table.name, column.name.name
                            ),
                            column.span,
                        )
                        .with_label(format!("declared as {} here", column.ty.as_str()))
                        .with_secondary(
                            previous_span,
                            format!("declared as {} here", previous_ty.as_str()),
                        )
                        .with_hint("use one type for the column in every rule file"),
                    );
                }
                continue;
            }
            self.plan.tables[id].columns.push(ColumnPlan {
                name: Arc::clone(&column.name.name),
                ty,
                optional: column.optional,
                origin: ColumnOrigin::Input,
                format: None,
                span: column.name.span,
            });
        }
    }

    fn declare_group_keys(&mut self, table_id: TableId, decl: &GroupTableDecl) {
        let Some(source) = self.find_table(&decl.source) else {
            return;
        };
        if source == table_id {
            self.error(
                Diagnostic::error(
                    Code::BadGroupKey,
                    format!("table `{}` cannot group itself", decl.name.name),
                    decl.source.span,
                )
                .with_hint("group an input table, e.g. `group Opportunities by channel`"),
            );
            return;
        }
        let mut keys = Vec::new();
        for key in &decl.keys {
            if keys.iter().any(|(k, _): &(Arc<str>, Span)| *k == key.name) {
                self.error(
                    Diagnostic::error(
                        Code::BadGroupKey,
                        format!("`{}` is listed twice as a group key", key.name),
                        key.span,
                    )
                    .with_hint("list each key column once"),
                );
                continue;
            }
            keys.push((Arc::clone(&key.name), key.span));
        }
        if let Some(table) = self.plan.tables.get_mut(table_id) {
            if let TableKind::Grouped { source: s, .. } = &mut table.kind {
                *s = source;
            }
            for (name, span) in keys {
                table.columns.push(ColumnPlan {
                    name,
                    ty: ValueType::Any,
                    optional: true,
                    origin: ColumnOrigin::GroupKey(usize::MAX),
                    format: None,
                    span,
                });
            }
        }
    }

    fn declare_param(&mut self, decl: &ParamDecl) {
        if !self.claim_global(&decl.name, "param") {
            return;
        }
        let (default, ty) = match literal_value(&decl.default) {
            Some(v) => v,
            None => {
                self.error(
                    Diagnostic::error(
                        Code::ParamNotLiteral,
                        format!("the default of param `{}` must be a literal value", decl.name.name),
                        decl.default.span,
                    )
                    .with_label("not a literal")
                    .with_hint(
                        "write a number (72%, 1500), text (\"EMEA\"), a date (2026-06-30) or TRUE/FALSE; \
                         compute derived values as a named value: `name = expression`",
                    ),
                );
                (Value::Blank, ValueType::Any)
            }
        };
        self.plan.params.push(ParamPlan {
            name: Arc::clone(&decl.name.name),
            default,
            ty,
            format: decl.format.clone(),
            span: decl.name.span,
        });
    }

    fn declare_column(&mut self, def: &ColumnDef, span: Span) {
        let Some(table) = self.find_table(&def.table) else {
            return;
        };
        if let Some(existing) = self.plan.tables[table].column_id(&def.column.name) {
            let column = &self.plan.tables[table].columns[existing];
            let what = match column.origin {
                ColumnOrigin::Input => "an input column",
                ColumnOrigin::GroupKey(_) => "a group key",
                ColumnOrigin::Formula(_) => "a computed column",
            };
            let first = column.span;
            let mut diagnostic = Diagnostic::error(
                Code::DefinedTwice,
                format!(
                    "`{}.{}` is defined more than once",
                    def.table.name, def.column.name
                ),
                def.column.span,
            )
            .with_label(format!("already {what}"))
            .with_hint("give the new column its own name, or delete one of the definitions");
            if first != Span::default() {
                diagnostic = diagnostic.with_secondary(first, "first defined here");
            }
            self.error(diagnostic);
            return;
        }
        let column_id = self.plan.tables[table].columns.len();
        self.plan.tables[table].columns.push(ColumnPlan {
            name: Arc::clone(&def.column.name),
            ty: ValueType::Any,
            optional: true,
            origin: ColumnOrigin::Formula(Node::Const(Value::Blank)),
            format: def.format.clone(),
            span: def.column.span,
        });
        self.steps.insert(
            Step::Column(table, column_id),
            (State::Pending, StepSource::Column(def.clone()), span),
        );
    }

    fn find_table(&mut self, ident: &Ident) -> Option<TableId> {
        if let Some(id) = self.plan.table_id(&ident.name) {
            return Some(id);
        }
        let names: Vec<String> = self
            .plan
            .tables
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let mut diagnostic = Diagnostic::error(
            Code::UnknownTable,
            format!("unknown table `{}`", ident.name),
            ident.span,
        )
        .with_label("no table has this name");
        match Suggestion::closest(&ident.name, names.iter().map(String::as_str)) {
            Some(s) => diagnostic = diagnostic.with_suggestion(Some(s)),
            None => {
                diagnostic = diagnostic.with_hint(format!(
                    "declare it with `input {} (column: type, …)` or `table {} = group … by …`",
                    ident.name, ident.name
                ))
            }
        }
        self.error(diagnostic);
        None
    }

    // ----- compile pass -----------------------------------------------------------

    fn compile_all(&mut self) {
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
    fn ensure(&mut self, step: Step) {
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
                self.plan.order.push(step);
            }
        }
    }

    fn set_state(&mut self, step: Step, state: State) {
        if let Some(entry) = self.steps.get_mut(&step) {
            entry.0 = state;
        }
    }

    fn report_cycle(&mut self, step: Step) {
        let Some(start) = self.stack.iter().position(|s| *s == step) else {
            return;
        };
        let cycle: Vec<Step> = self.stack[start..].to_vec();
        let mut key = cycle.clone();
        key.sort();
        if self.reported_cycles.contains(&key) {
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

    fn compile_step(&mut self, step: Step, source: StepSource, _span: Span) {
        match (step, source) {
            (Step::Group(table), StepSource::Group(decl)) => self.compile_group(table, &decl),
            (Step::Column(table, column), StepSource::Column(def)) => {
                if self.plan.tables[table].is_grouped() {
                    self.ensure(Step::Group(table));
                }
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
                let ty = compiled_type(&compiled);
                if let Some(node) = self.expect_value(compiled, def.expr.span)
                    && let Some(s) = self.plan.scalars.get_mut(id)
                {
                    s.node = node;
                    s.ty = ty;
                }
            }
            (Step::Flag(id), StepSource::Flag(def)) => {
                let Some(table) = self.plan.flags.get(id).map(|f| f.table) else {
                    return;
                };
                if self.plan.tables[table].is_grouped() {
                    self.ensure(Step::Group(table));
                }
                let ctx = Ctx::rows_of(table);
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
                let mut message = Vec::new();
                for part in &def.message.parts {
                    match part {
                        TemplatePart::Literal(text) => {
                            message.push(MessagePart::Literal(text.clone()))
                        }
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
                if let (Some(flag), Some(condition)) = (self.plan.flags.get_mut(id), condition) {
                    flag.condition = condition;
                    flag.message = message;
                }
            }
            _ => {}
        }
    }

    fn compile_group(&mut self, table: TableId, decl: &GroupTableDecl) {
        let TableKind::Grouped { source, .. } = self.plan.tables[table].kind else {
            return;
        };
        if source == usize::MAX {
            return; // unknown source, already reported
        }
        if self.plan.tables[source].is_grouped() {
            self.ensure(Step::Group(source));
        }
        let mut source_keys = Vec::new();
        for (position, key) in decl.keys.iter().enumerate() {
            match self.plan.tables[source].column_id(&key.name) {
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
            };
        }
    }

    /// Makes sure a column referenced by a formula is compiled first.
    fn ensure_column(&mut self, table: TableId, column: ColumnId) {
        match self.plan.tables[table].columns[column].origin {
            ColumnOrigin::Input => {}
            ColumnOrigin::GroupKey(_) => self.ensure(Step::Group(table)),
            ColumnOrigin::Formula(_) => self.ensure(Step::Column(table, column)),
        }
    }

    /// A table's rows must exist before anything lists them.
    fn ensure_rows(&mut self, table: TableId) {
        if self.plan.tables[table].is_grouped() {
            self.ensure(Step::Group(table));
        }
    }

    fn unknown_column(&self, table: TableId, ident: &Ident) -> Diagnostic {
        let table_plan = &self.plan.tables[table];
        let mut diagnostic = Diagnostic::error(
            Code::UnknownColumn,
            format!("table `{}` has no column `{}`", table_plan.name, ident.name),
            ident.span,
        )
        .with_label("unknown column");
        let names: Vec<&str> = table_plan.columns.iter().map(|c| &*c.name).collect();
        match Suggestion::closest(&ident.name, names.iter().copied()) {
            Some(s) => diagnostic = diagnostic.with_suggestion(Some(s)),
            None if matches!(table_plan.kind, TableKind::Input) => {
                diagnostic = diagnostic.with_hint(format!(
                    "declare it in `input {} (…)`, or define it: `{}.{} = …`",
                    table_plan.name, table_plan.name, ident.name
                ))
            }
            None => {
                diagnostic = diagnostic.with_hint(format!("its columns are: {}", names.join(", ")))
            }
        }
        diagnostic
    }

    fn expect_value(&mut self, compiled: Compiled, span: Span) -> Option<Node> {
        match compiled {
            Compiled::Value { node, .. } => Some(node),
            Compiled::List { .. } => {
                self.error(
                    Diagnostic::error(
                        Code::ListWhereValue,
                        "a list of values where one value is needed",
                        span,
                    )
                    .with_label("this is a list (one value per row)")
                    .with_hint(
                        "wrap it in SUM, AVERAGE, COUNT, MIN, MAX … to reduce it to one value",
                    ),
                );
                None
            }
            Compiled::Invalid => None,
        }
    }

    // ----- expressions ------------------------------------------------------------

    fn compile_expr(&mut self, expr: &Expr, ctx: &Ctx) -> Compiled {
        match &expr.kind {
            ExprKind::Number { value, .. } => constant(Value::Number(*value), ValueType::Number),
            ExprKind::Text(text) => constant(Value::text(text), ValueType::Text),
            ExprKind::Bool(b) => constant(Value::Bool(*b), ValueType::Bool),
            ExprKind::Date { serial, .. } => constant(Value::Date(*serial), ValueType::Date),
            ExprKind::Error(kind) => constant(Value::error(*kind), ValueType::Any),
            ExprKind::Paren(inner) => self.compile_expr(inner, ctx),
            ExprKind::Array(elements) => self.compile_array(elements, ctx),
            ExprKind::Name(ident) => self.compile_name(ident, ctx),
            ExprKind::Qualified { table, column } => self.compile_qualified(table, column, ctx),
            ExprKind::Unary { op, operand } => {
                let inner = self.compile_expr(operand, ctx);
                if let UnaryOp::Not = op {
                    self.check_not_text(&inner, operand.span, "not");
                } else {
                    self.check_numeric_operand(
                        &inner,
                        operand,
                        if *op == UnaryOp::Neg { "-" } else { "+" },
                    );
                }
                let ty = if *op == UnaryOp::Not {
                    ValueType::Bool
                } else {
                    ValueType::Number
                };
                self.map_one(inner, ty, |node| Node::Unary(*op, Box::new(node)))
            }
            ExprKind::Percent(operand) => {
                let inner = self.compile_expr(operand, ctx);
                self.check_numeric_operand(&inner, operand, "%");
                self.map_one(inner, ValueType::Number, |node| {
                    Node::Percent(Box::new(node))
                })
            }
            ExprKind::Binary { op, lhs, rhs } => self.compile_binary(*op, lhs, rhs, expr.span, ctx),
            ExprKind::In {
                needle,
                list,
                negated,
            } => {
                let needle_c = self.compile_expr(needle, ctx);
                let mut items = Vec::new();
                let mut invalid = false;
                for item in list {
                    let c = self.compile_expr(item, ctx);
                    match c {
                        Compiled::Value { node, ty, .. } => {
                            self.check_comparable(&needle_c, ty, needle, item);
                            items.push(node);
                        }
                        Compiled::List { .. } => {
                            self.error(
                                Diagnostic::error(
                                    Code::ListWhereValue,
                                    "`IN (…)` takes single values, not a list",
                                    item.span,
                                )
                                .with_hint(
                                    "list the values: `stage IN (\"Closed Won\", \"Closed Lost\")`",
                                ),
                            );
                            invalid = true;
                        }
                        Compiled::Invalid => invalid = true,
                    }
                }
                if invalid {
                    return Compiled::Invalid;
                }
                let negated = *negated;
                self.map_one(needle_c, ValueType::Bool, move |node| Node::In {
                    needle: Box::new(node),
                    list: items,
                    negated,
                })
            }
            ExprKind::Call { function, args } => self.compile_call(function, args, expr.span, ctx),
            ExprKind::Where { .. } => {
                self.error(
                    Diagnostic::error(Code::MisplacedWhere, "`where` can only filter a list inside a function call", expr.span)
                        .with_hint("write it inside an aggregate, e.g. `SUM(Opportunities.amount where is_won)`"),
                );
                Compiled::Invalid
            }
        }
    }

    fn compile_array(&mut self, elements: &[Expr], ctx: &Ctx) -> Compiled {
        let mut nodes = Vec::new();
        for element in elements {
            match self.compile_expr(element, ctx) {
                Compiled::Value { node, .. } => nodes.push(node),
                Compiled::List { .. } => {
                    self.error(
                        Diagnostic::error(
                            Code::ListWhereValue,
                            "an array constant holds single values, not lists",
                            element.span,
                        )
                        .with_hint("write literal values: {1, 2, 3}"),
                    );
                    return Compiled::Invalid;
                }
                Compiled::Invalid => return Compiled::Invalid,
            }
        }
        Compiled::List {
            list: ListNode {
                domain: ListDomain::Array,
                expr: Node::Const(Value::Blank),
                filter: None,
                elements: nodes,
            },
            ty: ValueType::Any,
        }
    }

    fn compile_name(&mut self, ident: &Ident, ctx: &Ctx) -> Compiled {
        if let Some(table) = ctx.row_table
            && let Some(column) = self.plan.tables[table].column_id(&ident.name)
        {
            self.ensure_column(table, column);
            let ty = self.plan.tables[table].columns[column].ty;
            return Compiled::Value {
                node: Node::Column(column),
                ty,
                row_dependent: true,
            };
        }
        if let Some(param) = self.plan.param_id(&ident.name) {
            if let Some(used) = self.param_used.get_mut(param) {
                *used = true;
            }
            return Compiled::Value {
                node: Node::Param(param),
                ty: self.plan.params[param].ty,
                row_dependent: false,
            };
        }
        if let Some(scalar) = self.plan.scalars.iter().position(|s| s.name == ident.name) {
            self.ensure(Step::Scalar(scalar));
            return Compiled::Value {
                node: Node::Scalar(scalar),
                ty: self.plan.scalars[scalar].ty,
                row_dependent: false,
            };
        }
        if let Some(table) = self.plan.table_id(&ident.name) {
            // A bare table name is the list of its rows (each counted as 1).
            self.ensure_rows(table);
            let domain = self.list_domain(table, ctx);
            return Compiled::List {
                list: ListNode {
                    domain,
                    expr: Node::Const(Value::Number(1.0)),
                    filter: None,
                    elements: Vec::new(),
                },
                ty: ValueType::Number,
            };
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
        let mut diagnostic = Diagnostic::error(
            Code::UnknownName,
            format!("unknown name `{}`", ident.name),
            ident.span,
        )
        .with_label("not a column, param, value or table");
        // A column of another table with exactly this name: say how to reach it.
        let elsewhere: Vec<String> = self
            .plan
            .tables
            .iter()
            .filter(|t| self.plan.table_id(&t.name) != ctx.row_table)
            .filter(|t| t.column_id(&ident.name).is_some())
            .map(|t| format!("{}.{}", t.name, ident.name))
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
        if functions::lookup(&ident.name).is_some() {
            diagnostic = diagnostic.with_hint(format!(
                "`{}` is a function: call it with parentheses",
                ident.name
            ));
        }
        self.error(diagnostic);
        Compiled::Invalid
    }

    /// Which rows `Table.column` draws from when written in `ctx`.
    fn list_domain(&self, table: TableId, ctx: &Ctx) -> ListDomain {
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
    fn matches_group_keys(&self, table: TableId, grouped: TableId) -> bool {
        let grouped_plan = &self.plan.tables[grouped];
        let keys = grouped_plan.key_count();
        keys > 0
            && grouped_plan.columns[..keys.min(grouped_plan.columns.len())]
                .iter()
                .all(|k| self.plan.tables[table].column_id(&k.name).is_some())
    }

    fn compile_qualified(
        &mut self,
        table_ident: &Ident,
        column_ident: &Ident,
        ctx: &Ctx,
    ) -> Compiled {
        let Some(table) = self.find_table(table_ident) else {
            return Compiled::Invalid;
        };
        let Some(column) = self.plan.tables[table].column_id(&column_ident.name) else {
            let diagnostic = self.unknown_column(table, column_ident);
            self.error(diagnostic);
            return Compiled::Invalid;
        };
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
                    if let Some(key_col) = self.plan.tables[matched].column_id(&key) {
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
            },
            ty,
        }
    }

    fn compile_binary(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
        ctx: &Ctx,
    ) -> Compiled {
        let left = self.compile_expr(lhs, ctx);
        let right = self.compile_expr(rhs, ctx);
        let ty = match op {
            BinaryOp::Add | BinaryOp::Sub => {
                self.check_numeric_operand(&left, lhs, op.symbol());
                self.check_numeric_operand(&right, rhs, op.symbol());
                match (compiled_type(&left), compiled_type(&right), op) {
                    (ValueType::Date, ValueType::Date, BinaryOp::Sub) => ValueType::Number,
                    (ValueType::Date, _, _) | (_, ValueType::Date, BinaryOp::Add) => {
                        ValueType::Date
                    }
                    _ => ValueType::Number,
                }
            }
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
                self.check_numeric_operand(&left, lhs, op.symbol());
                self.check_numeric_operand(&right, rhs, op.symbol());
                ValueType::Number
            }
            BinaryOp::Concat => ValueType::Text,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let right_ty = compiled_type(&right);
                self.check_comparable(&left, right_ty, lhs, rhs);
                ValueType::Bool
            }
            BinaryOp::And | BinaryOp::Or => {
                self.check_not_text(&left, lhs.span, op.symbol());
                self.check_not_text(&right, rhs.span, op.symbol());
                ValueType::Bool
            }
        };
        self.combine(left, right, ty, span, |l, r| {
            Node::Binary(op, Box::new(l), Box::new(r))
        })
    }

    /// Applies a one-operand operation to a value or elementwise to a list.
    fn map_one(
        &mut self,
        inner: Compiled,
        ty: ValueType,
        build: impl FnOnce(Node) -> Node,
    ) -> Compiled {
        match inner {
            Compiled::Value {
                node,
                row_dependent,
                ..
            } => Compiled::Value {
                node: build(node),
                ty,
                row_dependent,
            },
            Compiled::List { mut list, .. }
                if list.domain != ListDomain::Array && list.filter.is_none() =>
            {
                list.expr = build(list.expr);
                Compiled::List { list, ty }
            }
            Compiled::List { .. } => {
                // Array constants and filtered lists are only function arguments.
                Compiled::Invalid
            }
            Compiled::Invalid => Compiled::Invalid,
        }
    }

    /// Combines two operands: values stay values; a list with a value, or two lists
    /// over the same rows, become a list computed row by row.
    fn combine(
        &mut self,
        left: Compiled,
        right: Compiled,
        ty: ValueType,
        span: Span,
        build: impl FnOnce(Node, Node) -> Node,
    ) -> Compiled {
        match (left, right) {
            (Compiled::Invalid, _) | (_, Compiled::Invalid) => Compiled::Invalid,
            (
                Compiled::Value {
                    node: l,
                    row_dependent: ld,
                    ..
                },
                Compiled::Value {
                    node: r,
                    row_dependent: rd,
                    ..
                },
            ) => Compiled::Value {
                node: build(l, r),
                ty,
                row_dependent: ld || rd,
            },
            (Compiled::List { list: l, .. }, Compiled::List { list: r, .. }) => {
                if l.domain != r.domain || l.domain == ListDomain::Array {
                    self.error(
                        Diagnostic::error(Code::MixedLists, "these two lists come from different rows and cannot be combined", span)
                            .with_label("lists from two different tables")
                            .with_hint(
                                "combine columns of the same table, or reduce each side first (e.g. SUM(A.x) / SUM(B.y))",
                            ),
                    );
                    return Compiled::Invalid;
                }
                if l.filter.is_some() || r.filter.is_some() {
                    return self.filtered_list_operand(span);
                }
                Compiled::List {
                    list: ListNode {
                        expr: build(l.expr, r.expr),
                        ..l
                    },
                    ty,
                }
            }
            (
                Compiled::List { list, .. },
                Compiled::Value {
                    node,
                    row_dependent,
                    ..
                },
            ) => self.list_with_value(list, node, row_dependent, ty, span, build),
            (
                Compiled::Value {
                    node,
                    row_dependent,
                    ..
                },
                Compiled::List { list, .. },
            ) => self.list_with_value(list, node, row_dependent, ty, span, |l, v| build(v, l)),
        }
    }

    fn list_with_value(
        &mut self,
        list: ListNode,
        value: Node,
        row_dependent: bool,
        ty: ValueType,
        span: Span,
        build: impl FnOnce(Node, Node) -> Node,
    ) -> Compiled {
        if list.domain == ListDomain::Array {
            self.error(
                Diagnostic::error(
                    Code::MixedLists,
                    "array constants can only be passed to functions",
                    span,
                )
                .with_hint("use the array directly as a function argument, e.g. SUM({1, 2, 3})"),
            );
            return Compiled::Invalid;
        }
        if list.filter.is_some() {
            return self.filtered_list_operand(span);
        }
        if row_dependent {
            self.error(
                Diagnostic::error(
                    Code::RowValueInList,
                    "a column of this row cannot be mixed into a list of another table's rows",
                    span,
                )
                .with_label("mixes this row's value into the list")
                .with_hint("reduce the list first (SUM, AVERAGE …), or compute the value as a column of the listed table"),
            );
            return Compiled::Invalid;
        }
        Compiled::List {
            list: ListNode {
                expr: build(list.expr, value),
                ..list
            },
            ty,
        }
    }

    fn filtered_list_operand(&mut self, span: Span) -> Compiled {
        self.error(
            Diagnostic::error(
                Code::MisplacedWhere,
                "a filtered list cannot be used in arithmetic",
                span,
            )
            .with_hint("put `where` at the end of the whole argument: SUM(T.a * T.b where cond)"),
        );
        Compiled::Invalid
    }

    fn compile_call(&mut self, function: &Ident, args: &[Expr], span: Span, ctx: &Ctx) -> Compiled {
        let Some(spec) = functions::lookup(&function.name) else {
            let mut diagnostic = Diagnostic::error(
                Code::UnknownFunction,
                format!("unknown function `{}`", function.name),
                function.span,
            )
            .with_label("no such function");
            let names = functions::registry().iter().map(|f| f.name);
            if let Some(s) = Suggestion::closest(&function.name, names) {
                diagnostic = diagnostic.with_suggestion(Some(s));
            } else {
                diagnostic = diagnostic.with_hint("see the function list with `chanmix functions`");
            }
            self.error(diagnostic);
            for arg in args {
                self.compile_arg(arg, ctx);
            }
            return Compiled::Invalid;
        };
        if !spec.accepts_arity(args.len()) {
            let expected = match spec.max_args {
                Some(max) if max == spec.min_args => plural(max, "argument"),
                Some(max) => format!("{} to {} arguments", spec.min_args, max),
                None => format!("at least {}", plural(spec.min_args, "argument")),
            };
            self.error(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("{} takes {}, got {}", spec.name, expected, args.len()),
                    span,
                )
                .with_label(format!("{} given here", plural(args.len(), "argument")))
                .with_hint(format!("{}: {}", spec.name, spec.summary)),
            );
            return Compiled::Invalid;
        }
        let mut compiled_args = Vec::new();
        let mut invalid = false;
        for (position, arg) in args.iter().enumerate() {
            let compiled = self.compile_arg(arg, ctx);
            let kind = spec.arg_kind(position);
            match (&compiled, kind) {
                (Compiled::Invalid, _) => invalid = true,
                (Compiled::Value { .. }, ArgKind::List) => {
                    self.error(
                        Diagnostic::error(
                            Code::ValueWhereList,
                            format!(
                                "{} needs a list for argument {}, not a single value",
                                spec.name,
                                position + 1
                            ),
                            arg.span,
                        )
                        .with_label("a single value")
                        .with_hint(
                            "pass a column such as `Channels.roi`, or an array like {1, 2, 3}",
                        ),
                    );
                    invalid = true;
                }
                _ => {}
            }
            compiled_args.push((compiled, kind, arg.span));
        }
        if invalid {
            return Compiled::Invalid;
        }
        let ty = return_type(spec.returns, &compiled_args);
        // Scalar positions given a list: apply the function row by row over the list
        // (like Excel's array evaluation), if all such lists share their rows.
        let lifted: Vec<usize> = compiled_args
            .iter()
            .enumerate()
            .filter(|(_, (c, kind, _))| {
                matches!(c, Compiled::List { .. }) && *kind == ArgKind::Scalar
            })
            .map(|(i, _)| i)
            .collect();
        if lifted.is_empty() {
            let args = compiled_args
                .into_iter()
                .filter_map(|(c, _, _)| match c {
                    Compiled::Value { node, .. } => Some(ArgNode::Value(node)),
                    Compiled::List { list, .. } => Some(ArgNode::List(list)),
                    Compiled::Invalid => None,
                })
                .collect::<Vec<_>>();
            let row_dependent = args.iter().any(|a| match a {
                ArgNode::Value(n) => node_reads_row(n),
                ArgNode::List(_) => false,
            });
            return Compiled::Value {
                node: Node::Call {
                    function: spec,
                    args,
                    span,
                },
                ty,
                row_dependent,
            };
        }
        self.lift_call(spec, compiled_args, ty, span)
    }

    fn lift_call(
        &mut self,
        spec: &'static functions::FunctionSpec,
        args: Vec<(Compiled, ArgKind, Span)>,
        ty: ValueType,
        span: Span,
    ) -> Compiled {
        let mut domain: Option<ListDomain> = None;
        let mut row_args = Vec::new();
        for (compiled, kind, arg_span) in args {
            match compiled {
                Compiled::List { list, .. } if kind == ArgKind::Scalar => {
                    if list.domain == ListDomain::Array || list.filter.is_some() {
                        self.error(
                            Diagnostic::error(
                                Code::ListWhereValue,
                                format!("{} needs a single value here, not a list", spec.name),
                                arg_span,
                            )
                            .with_label("a list")
                            .with_hint("wrap the list in SUM, AVERAGE, COUNT, MIN, MAX … to reduce it to one value"),
                        );
                        return Compiled::Invalid;
                    }
                    if domain.as_ref().is_some_and(|d| *d != list.domain) {
                        self.error(
                            Diagnostic::error(
                                Code::MixedLists,
                                "these lists come from different rows and cannot be combined",
                                arg_span,
                            )
                            .with_hint("use columns of one table in one row-by-row calculation"),
                        );
                        return Compiled::Invalid;
                    }
                    domain = Some(list.domain.clone());
                    row_args.push(ArgNode::Value(list.expr));
                }
                Compiled::List { .. } => {
                    self.error(
                        Diagnostic::error(
                            Code::ListWhereValue,
                            format!("{} cannot take a list here while other arguments are computed row by row", spec.name),
                            arg_span,
                        )
                        .with_label("a list")
                        .with_hint("reduce the list first, or split the formula into a computed column"),
                    );
                    return Compiled::Invalid;
                }
                Compiled::Value {
                    node,
                    row_dependent,
                    ..
                } => {
                    if row_dependent {
                        self.error(
                            Diagnostic::error(
                                Code::RowValueInList,
                                "a column of this row cannot be mixed into a list of another table's rows",
                                arg_span,
                            )
                            .with_label("this row's value")
                            .with_hint("reduce the list first (SUM, AVERAGE …), or compute the value as a column of the listed table"),
                        );
                        return Compiled::Invalid;
                    }
                    row_args.push(ArgNode::Value(node));
                }
                Compiled::Invalid => return Compiled::Invalid,
            }
        }
        let Some(domain) = domain else {
            return Compiled::Invalid;
        };
        Compiled::List {
            list: ListNode {
                domain,
                expr: Node::Call {
                    function: spec,
                    args: row_args,
                    span,
                },
                filter: None,
                elements: Vec::new(),
            },
            ty,
        }
    }

    /// A function argument: an expression, or `list where condition`.
    fn compile_arg(&mut self, arg: &Expr, ctx: &Ctx) -> Compiled {
        let ExprKind::Where { list, condition } = &arg.kind else {
            return self.compile_expr(arg, ctx);
        };
        let compiled = self.compile_expr(list, ctx);
        let Compiled::List { mut list, ty } = compiled else {
            if !matches!(compiled, Compiled::Invalid) {
                self.error(
                    Diagnostic::error(
                        Code::MisplacedWhere,
                        "`where` filters a list, but this is a single value",
                        list.span,
                    )
                    .with_hint(
                        "filter a column of a table: `SUM(Opportunities.amount where is_won)`",
                    ),
                );
            }
            return Compiled::Invalid;
        };
        let table = match list.domain {
            ListDomain::Table(t) | ListDomain::Group { table: t } => t,
            ListDomain::Array => {
                self.error(
                    Diagnostic::error(
                        Code::MisplacedWhere,
                        "`where` cannot filter an array constant",
                        arg.span,
                    )
                    .with_label("array constant")
                    .with_hint("filter a column of a table instead"),
                );
                return Compiled::Invalid;
            }
        };
        if list.filter.is_some() {
            self.error(
                Diagnostic::error(
                    Code::MisplacedWhere,
                    "this list is filtered twice",
                    arg.span,
                )
                .with_label("second filter")
                .with_hint("combine the conditions with `and`"),
            );
            return Compiled::Invalid;
        }
        let condition_ctx = Ctx {
            row_table: Some(table),
            qualified_self_is_row: true,
        };
        let condition_compiled = self.compile_expr(condition, &condition_ctx);
        if matches!(compiled_type(&condition_compiled), ValueType::Text) {
            self.error(
                Diagnostic::error(
                    Code::WrongOperandType,
                    "a `where` condition must be TRUE or FALSE, not text",
                    condition.span,
                )
                .with_hint("compare it with something, e.g. `where stage = \"Closed Won\"`"),
            );
        }
        let Some(filter) = self.expect_value(condition_compiled, condition.span) else {
            return Compiled::Invalid;
        };
        list.filter = Some(filter);
        Compiled::List { list, ty }
    }

    // ----- type checks ------------------------------------------------------------

    fn check_numeric_operand(&mut self, compiled: &Compiled, expr: &Expr, op: &str) {
        if let Some(text) = definitely_non_numeric_text(compiled, expr) {
            self.error(
                Diagnostic::error(
                    Code::WrongOperandType,
                    format!("`{op}` needs numbers, but {text} is text"),
                    expr.span,
                )
                .with_label("text")
                .with_hint("convert text to a number with VALUE(), or use `&` to join text"),
            );
        }
    }

    fn check_not_text(&mut self, compiled: &Compiled, span: Span, op: &str) {
        if compiled_type(compiled) == ValueType::Text {
            self.error(
                Diagnostic::error(
                    Code::WrongOperandType,
                    format!("`{op}` needs TRUE/FALSE values, not text"),
                    span,
                )
                .with_label("text")
                .with_hint("compare the text with something first, e.g. `stage = \"Closed Won\"`"),
            );
        }
    }

    fn check_comparable(&mut self, left: &Compiled, right_ty: ValueType, lhs: &Expr, rhs: &Expr) {
        let left_ty = compiled_type(left);
        let text_literal = |e: &Expr| match &e.kind {
            ExprKind::Text(t) => crate::value::parse_numeric_text(t).is_none(),
            _ => false,
        };
        let mismatch = (left_ty.is_numeric() && right_ty == ValueType::Text && text_literal(rhs))
            || (right_ty.is_numeric() && left_ty == ValueType::Text && text_literal(lhs))
            || (left_ty.is_numeric()
                && right_ty == ValueType::Text
                && !matches!(rhs.kind, ExprKind::Text(_)))
            || (left_ty == ValueType::Text
                && right_ty.is_numeric()
                && !matches!(lhs.kind, ExprKind::Text(_)));
        if mismatch {
            self.error(
                Diagnostic::error(
                    Code::NeverEqual,
                    format!(
                        "comparing {} with {}: in Excel this is never equal",
                        left_ty.describe(),
                        right_ty.describe()
                    ),
                    lhs.span.to(rhs.span),
                )
                .with_label("types differ")
                .with_hint(
                    "compare values of the same type; convert with VALUE() or TEXT() if needed",
                ),
            );
        }
    }

    fn finish(mut self) -> CheckOutcome {
        // Stable order: by file position.
        self.diagnostics
            .sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
        let _ = self.sources;
        let has_errors = self.diagnostics.iter().any(Diagnostic::is_error);
        CheckOutcome {
            plan: (!has_errors).then_some(self.plan),
            diagnostics: self.diagnostics,
        }
    }
}

fn constant(value: Value, ty: ValueType) -> Compiled {
    Compiled::Value {
        node: Node::Const(value),
        ty,
        row_dependent: false,
    }
}

fn compiled_type(compiled: &Compiled) -> ValueType {
    match compiled {
        Compiled::Value { ty, .. } | Compiled::List { ty, .. } => *ty,
        Compiled::Invalid => ValueType::Any,
    }
}

/// Text that can never be a number: a text column/value, or a non-numeric text literal.
fn definitely_non_numeric_text(compiled: &Compiled, expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Text(t) => crate::value::parse_numeric_text(t)
            .is_none()
            .then(|| format!("\"{t}\"")),
        ExprKind::Name(ident) if compiled_type(compiled) == ValueType::Text => {
            Some(format!("`{}`", ident.name))
        }
        ExprKind::Qualified { table, column } if compiled_type(compiled) == ValueType::Text => {
            Some(format!("`{}.{}`", table.name, column.name))
        }
        _ => None,
    }
}

fn return_type(returns: ReturnType, _args: &[(Compiled, ArgKind, Span)]) -> ValueType {
    match returns {
        ReturnType::Number => ValueType::Number,
        ReturnType::Text => ValueType::Text,
        ReturnType::Bool => ValueType::Bool,
        ReturnType::Date => ValueType::Date,
        ReturnType::Any => ValueType::Any,
    }
}

fn node_reads_row(node: &Node) -> bool {
    match node {
        Node::Column(_) => true,
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) => false,
        Node::Unary(_, n) | Node::Percent(n) => node_reads_row(n),
        Node::Binary(_, l, r) => node_reads_row(l) || node_reads_row(r),
        Node::In { needle, list, .. } => node_reads_row(needle) || list.iter().any(node_reads_row),
        Node::Call { args, .. } => args.iter().any(|a| match a {
            ArgNode::Value(n) => node_reads_row(n),
            ArgNode::List(_) => false,
        }),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The value of a literal expression (a param default), with its type.
pub fn literal_value(expr: &Expr) -> Option<(Value, ValueType)> {
    match &expr.kind {
        ExprKind::Number { value, .. } => Some((Value::Number(*value), ValueType::Number)),
        ExprKind::Text(t) => Some((Value::text(t), ValueType::Text)),
        ExprKind::Bool(b) => Some((Value::Bool(*b), ValueType::Bool)),
        ExprKind::Date { serial, .. } => Some((Value::Date(*serial), ValueType::Date)),
        ExprKind::Paren(inner) => literal_value(inner),
        ExprKind::Percent(inner) => match literal_value(inner)? {
            (Value::Number(n), _) => Some((Value::Number(n / 100.0), ValueType::Number)),
            _ => None,
        },
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match literal_value(operand)? {
            (Value::Number(n), _) => Some((Value::Number(-n), ValueType::Number)),
            _ => None,
        },
        ExprKind::Unary {
            op: UnaryOp::Plus,
            operand,
        } => literal_value(operand),
        _ => None,
    }
}
