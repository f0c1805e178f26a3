//! Declarations: every top-level name (inputs, grouped tables, params, columns,
//! scalars, flags) registered before anything is compiled, with duplicates reported.

use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::value::{Value, ValueType};
use std::sync::Arc;

use super::{Checker, ExternalTable, State, StepSource, literal_value};

impl Checker<'_> {
    /// Registers a top-level name; reports a duplicate and returns false if taken.
    pub(super) fn claim_global(&mut self, ident: &Ident, what: &str) -> bool {
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

    pub(super) fn declare(&mut self, files: &[RuleFile], external: &[ExternalTable]) {
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
                        look: Look::default(),
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
                            order: Vec::new(),
                        },
                        columns: Vec::new(),
                        span: decl.name.span,
                    });
                    self.steps.insert(
                        Step::Group(id),
                        (State::Pending, StepSource::Group(decl.clone()), item.span),
                    );
                }
                ItemKind::AnalysisTable(decl) => self.declare_analysis_table(decl, item.span),
                _ => {}
            }
        }
        // Group keys become the first columns of their grouped table; an analysis
        // table's keys and outputs its first columns.
        for (table_id, step) in self.group_steps() {
            match self.steps.get(&step).cloned() {
                Some((_, StepSource::Group(decl), _)) => self.declare_group_keys(table_id, &decl),
                Some((_, StepSource::Analysis(decl), _)) => {
                    self.declare_analysis_columns(table_id, &decl)
                }
                _ => {}
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
                            look: def.look,
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
                            severity: def.severity.map_or(Severity::Warning, |(s, _)| s),
                            rank_by: None,
                            topic: def.topic.as_ref().map(|t| Arc::clone(&t.name)),
                            reasons: Vec::new(),
                        });
                        self.steps.insert(
                            Step::Flag(id),
                            (State::Pending, StepSource::Flag(def.clone()), item.span),
                        );
                    }
                }
                ItemKind::Input(_)
                | ItemKind::Script(_)
                | ItemKind::GroupTable(_)
                | ItemKind::AnalysisTable(_)
                | ItemKind::Column(_) => {}
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

    pub(super) fn group_steps(&self) -> Vec<(TableId, Step)> {
        let mut steps: Vec<(TableId, Step)> = self
            .steps
            .keys()
            .filter_map(|s| match s {
                Step::Group(t) | Step::Analysis(t) => Some((*t, *s)),
                _ => None,
            })
            .collect();
        steps.sort();
        steps
    }

    pub(super) fn declare_input(&mut self, decl: &InputDecl, span: Span) {
        // An input may be declared in several files; columns merge, conflicts are errors.
        let id = match self.table_id(&decl.table.name) {
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
            if let Some(existing) = self.column_id(id, &column.name.name) {
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
                look: Look::default(),
                span: column.name.span,
            });
        }
    }

    pub(super) fn declare_group_keys(&mut self, table_id: TableId, decl: &GroupTableDecl) {
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
            if let Some((other, column)) = key.name.split_once('.') {
                let diagnostic = self.key_of_another_table(decl, source, key, other, column);
                self.error(diagnostic);
                continue;
            }
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
                    look: Look::default(),
                    span,
                });
            }
        }
    }

    /// `group Pipeline by Teams.regional_office`: a key must be a column of the table
    /// grouped. Says how to bring the column in: a lookup column on a column both
    /// tables have, then grouping by it.
    fn key_of_another_table(
        &self,
        decl: &GroupTableDecl,
        source: TableId,
        key: &Ident,
        other: &str,
        column: &str,
    ) -> Diagnostic {
        let source_plan = &self.plan.tables[source];
        let mut diagnostic = Diagnostic::error(
            Code::BadGroupKey,
            format!(
                "`{}` is a column of another table; a group key must be a column of `{}`",
                key.name, source_plan.name
            ),
            key.span,
        )
        .with_label(format!("not a column of `{}`", source_plan.name));
        let Some(other_plan) = self.plan.table_id(other).map(|t| &self.plan.tables[t]) else {
            let names = self.plan.tables.iter().map(|t| &*t.name);
            return diagnostic
                .with_hint(format!("there is no table `{other}`"))
                .with_suggestion(Suggestion::closest(other, names));
        };
        // A column both tables have (other than the one asked for) joins them.
        let join = source_plan
            .columns
            .iter()
            .map(|c| &*c.name)
            .find(|name| *name != column && other_plan.column_id(name).is_some());
        let lookup = match join {
            Some(join) => format!("XLOOKUP({join}, {other}.{join}, {other}.{column})"),
            None => format!(
                "XLOOKUP(<a column of {}>, {other}.<the column it matches>, {other}.{column})",
                source_plan.name
            ),
        };
        diagnostic = diagnostic.with_hint(format!(
            "bring it into `{source}` with a lookup column, then group by that column:\n  {source}.{column} = {lookup}\n  table {table} = group {source} by {column}",
            source = source_plan.name,
            table = decl.name.name,
        ));
        diagnostic
    }

    /// Registers `table T = <analysis> Source …`: the table, and the step that runs the
    /// analysis. An analysis that does not exist is reported here.
    pub(super) fn declare_analysis_table(&mut self, decl: &AnalysisTableDecl, span: Span) {
        let Some(analysis) = self.vocabulary.analysis(&decl.analysis.name).cloned() else {
            let known: Vec<&str> = self.vocabulary.analyses.iter().map(|a| a.name()).collect();
            let mut diagnostic = Diagnostic::error(
                Code::UnknownAnalysis,
                format!("`{}` is not an analysis", decl.analysis.name),
                decl.analysis.span,
            )
            .with_label("no analysis has this name");
            match Suggestion::closest(&decl.analysis.name, known.iter().copied()) {
                Some(s) => diagnostic = diagnostic.with_suggestion(Some(s)),
                None if known.is_empty() => diagnostic = diagnostic.with_hint(
                    "`table T = group Source by key` groups rows; no analyses are available here",
                ),
                None => {
                    diagnostic = diagnostic.with_hint(format!(
                        "analyses: {}; or group rows with `table T = group Source by key`",
                        known.join(", ")
                    ))
                }
            }
            self.error(diagnostic);
            return;
        };
        if !self.claim_global(&decl.name, "table") {
            return;
        }
        let id = self.plan.tables.len();
        let args = vec![None; analysis.parameters().len()];
        self.plan.tables.push(TablePlan {
            name: Arc::clone(&decl.name.name),
            kind: TableKind::Analysis(AnalysisPlan {
                analysis,
                source: usize::MAX,
                source_keys: Vec::new(),
                args,
                carried: Vec::new(),
            }),
            columns: Vec::new(),
            span: decl.name.span,
        });
        self.steps.insert(
            Step::Analysis(id),
            (State::Pending, StepSource::Analysis(decl.clone()), span),
        );
    }

    /// An analysis table's first columns: its keys (typed when the source is compiled),
    /// then the analysis' outputs.
    pub(super) fn declare_analysis_columns(&mut self, table_id: TableId, decl: &AnalysisTableDecl) {
        let source = self.find_table(&decl.source);
        let Some(table) = self.plan.tables.get_mut(table_id) else {
            return;
        };
        let TableKind::Analysis(plan) = &mut table.kind else {
            return;
        };
        if let Some(source) = source {
            plan.source = source;
        }
        let analysis = Arc::clone(&plan.analysis);
        let outputs = analysis.outputs();
        let mut names: Vec<(Arc<str>, Span)> = Vec::new();
        let mut repeated = Vec::new();
        for key in &decl.keys {
            if names.iter().any(|(k, _)| *k == key.name) {
                repeated.push(key.clone());
                continue;
            }
            names.push((Arc::clone(&key.name), key.span));
        }
        for (name, span) in names {
            table.columns.push(ColumnPlan {
                name,
                ty: ValueType::Any,
                optional: true,
                origin: ColumnOrigin::Analysis,
                format: None,
                look: Look::default(),
                span,
            });
        }
        for output in outputs {
            if table.column_id(output.name).is_some() {
                continue; // a key of the same name wins; reported when compiled
            }
            table.columns.push(ColumnPlan {
                name: Arc::from(output.name),
                ty: output.ty,
                optional: true,
                origin: ColumnOrigin::Analysis,
                format: output.format.clone().map(|kind| Format {
                    kind,
                    span: decl.name.span,
                }),
                look: output.look,
                span: decl.name.span,
            });
        }
        // Carried arguments: every argument that is not a parameter, one column per
        // prefix (typed when the arguments are compiled).
        let prefixes = analysis.carried_prefixes();
        let mut carried: Vec<Arc<str>> = Vec::new();
        let mut clashes = Vec::new();
        if !prefixes.is_empty() {
            let parameters = analysis.parameters();
            for arg in &decl.args {
                let name = &arg.name.name;
                if parameters.iter().any(|p| p.name.eq_ignore_ascii_case(name))
                    || carried.iter().any(|c| c.eq_ignore_ascii_case(name))
                {
                    continue;
                }
                for prefix in prefixes {
                    let column = format!("{prefix}{name}");
                    if table.column_id(&column).is_some() {
                        clashes.push((column, arg.name.span));
                        continue;
                    }
                    table.columns.push(ColumnPlan {
                        name: Arc::from(column),
                        ty: ValueType::Any,
                        optional: true,
                        origin: ColumnOrigin::Analysis,
                        format: None,
                        look: Look::default(),
                        span: arg.name.span,
                    });
                }
                carried.push(Arc::clone(name));
            }
            if let TableKind::Analysis(plan) = &mut table.kind {
                plan.args.resize(parameters.len() + carried.len(), None);
                plan.carried = carried;
            }
        }
        for (column, span) in clashes {
            self.error(
                Diagnostic::error(
                    Code::BadAnalysisArgument,
                    format!(
                        "this argument would add a column `{column}`, which the table already has"
                    ),
                    span,
                )
                .with_label("name taken")
                .with_hint("give the argument another name"),
            );
        }
        for key in repeated {
            self.error(
                Diagnostic::error(
                    Code::BadGroupKey,
                    format!("`{}` is listed twice as a key", key.name),
                    key.span,
                )
                .with_hint("list each key column once"),
            );
        }
    }

    pub(super) fn declare_param(&mut self, decl: &ParamDecl) {
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

    pub(super) fn declare_column(&mut self, def: &ColumnDef, span: Span) {
        let Some(table) = self.find_table(&def.table) else {
            return;
        };
        if let Some(existing) = self.column_id(table, &def.column.name) {
            let column = &self.plan.tables[table].columns[existing];
            let what = match column.origin {
                ColumnOrigin::Input => "an input column",
                ColumnOrigin::GroupKey(_) => "a group key",
                ColumnOrigin::Analysis => "a column its analysis computes",
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
            look: def.look,
            span: def.column.span,
        });
        self.steps.insert(
            Step::Column(table, column_id),
            (State::Pending, StepSource::Column(def.clone()), span),
        );
    }

    pub(super) fn find_table(&mut self, ident: &Ident) -> Option<TableId> {
        if let Some(id) = self.table_id(&ident.name) {
            return Some(id);
        }
        let mut diagnostic = Diagnostic::error(
            Code::UnknownTable,
            format!("unknown table `{}`", ident.name),
            ident.span,
        )
        .with_label("no table has this name");
        let suggestion = match self.may_suggest() {
            true => Suggestion::closest(&ident.name, self.plan.tables.iter().map(|t| &*t.name)),
            false => None,
        };
        match suggestion {
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
}
