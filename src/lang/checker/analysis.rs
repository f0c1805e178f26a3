//! Analysis tables: `table T = <analysis> Source [by keys] (name = formula, …)` checked
//! against what the analysis declares — its keys in the source, each argument known,
//! given once, of the right shape and type, the required ones present — and then by the
//! analysis' own checks.

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::lang::analysis::AnalysisCall;
use crate::lang::ast::{AnalysisTableDecl, Ident};
use crate::lang::plan::{AnalysisArgNode, ColumnOrigin, TableId, TableKind};
use crate::suggest::Suggestion;
use crate::value::ValueType;

use super::{Checker, Ctx, compiled_type};

impl Checker<'_> {
    pub(super) fn compile_analysis(&mut self, table: TableId, decl: &AnalysisTableDecl) {
        let TableKind::Analysis(plan) = &self.plan.tables[table].kind else {
            return;
        };
        let (source, analysis) = (plan.source, Arc::clone(&plan.analysis));
        if source == usize::MAX {
            return; // unknown source, already reported
        }
        self.ensure_rows(source);
        let mut source_keys = Vec::new();
        let mut key_names: Vec<Arc<str>> = Vec::new();
        for (position, key) in decl.keys.iter().enumerate() {
            match self.column_id(source, &key.name) {
                Some(column) => {
                    self.ensure_column(source, column);
                    let ty = self.plan.tables[source].columns[column].ty;
                    if let Some(col) = self.plan.tables[table].columns.get_mut(position)
                        && matches!(col.origin, ColumnOrigin::Analysis)
                    {
                        col.ty = ty;
                    }
                    source_keys.push(column);
                    key_names.push(Arc::clone(&key.name));
                }
                None => {
                    let diagnostic = self.unknown_column(source, key);
                    self.error(diagnostic);
                }
            }
        }
        let parameters = analysis.parameters();
        let carried = match &self.plan.tables[table].kind {
            TableKind::Analysis(plan) => plan.carried.clone(),
            _ => Vec::new(),
        };
        let mut args = vec![None; parameters.len() + carried.len()];
        let mut carried_written = vec![false; carried.len()];
        // Arguments written (even when wrong, so that "missing" is not said as well), and
        // those that checked, with their types.
        let mut written: Vec<&'static str> = Vec::new();
        let mut given: Vec<(&'static str, ValueType)> = Vec::new();
        for arg in &decl.args {
            let Some(position) = parameters
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&arg.name.name))
            else {
                let index = carried
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(&arg.name.name));
                if let Some(index) = index
                    && !carried_written[index]
                {
                    carried_written[index] = true;
                    if let Some(node) = self.compile_carried(table, source, arg, &carried[index]) {
                        args[parameters.len() + index] = Some(AnalysisArgNode::EachRow(node));
                    }
                } else if index.is_some() {
                    self.error(
                        Diagnostic::error(
                            Code::BadAnalysisArgument,
                            format!("`{}` is given twice", arg.name.name),
                            arg.name.span,
                        )
                        .with_label("given again")
                        .with_hint("give each argument once"),
                    );
                } else {
                    self.unknown_argument(analysis.name(), parameters, &arg.name);
                }
                continue;
            };
            let parameter = parameters[position];
            if written.contains(&parameter.name) {
                self.error(
                    Diagnostic::error(
                        Code::BadAnalysisArgument,
                        format!("`{}` is given twice", parameter.name),
                        arg.name.span,
                    )
                    .with_label("given again")
                    .with_hint("give each argument once"),
                );
                continue;
            }
            written.push(parameter.name);
            let ctx = if parameter.each_row {
                Ctx::rows_of(source)
            } else {
                Ctx::scalar()
            };
            let compiled = self.compile_expr(&arg.value, &ctx);
            let ty = compiled_type(&compiled);
            let Some(node) = self.expect_value(compiled, arg.value.span) else {
                continue;
            };
            if !fits(ty, parameter.ty) {
                self.error(
                    Diagnostic::error(
                        Code::BadAnalysisArgument,
                        format!(
                            "`{}` must be {}, this is {}",
                            parameter.name,
                            parameter.ty.describe(),
                            ty.describe()
                        ),
                        arg.value.span,
                    )
                    .with_label(ty.describe())
                    .with_hint(format!("{}: {}", parameter.name, parameter.summary)),
                );
                continue;
            }
            given.push((parameter.name, ty));
            args[position] = Some(if parameter.each_row {
                AnalysisArgNode::EachRow(node)
            } else {
                AnalysisArgNode::Once(node)
            });
        }
        for parameter in parameters.iter().filter(|p| p.required) {
            if !written.contains(&parameter.name) {
                self.error(
                    Diagnostic::error(
                        Code::BadAnalysisArgument,
                        format!(
                            "`{}` needs the argument `{}`",
                            analysis.name(),
                            parameter.name
                        ),
                        decl.analysis.span,
                    )
                    .with_label("missing an argument")
                    .with_hint(format!(
                        "add `{} = …` inside the brackets: {}",
                        parameter.name, parameter.summary
                    )),
                );
            }
        }
        let call = AnalysisCall {
            table: &decl.name.name,
            keys: &key_names,
            args: &given,
        };
        for problem in analysis.check(&call) {
            let mut diagnostic =
                Diagnostic::error(Code::AnalysisUsage, problem.message, decl.analysis.span)
                    .with_label(format!("this {}", analysis.name()));
            if let Some(hint) = problem.hint {
                diagnostic = diagnostic.with_hint(hint);
            }
            self.error(diagnostic);
        }
        if let TableKind::Analysis(plan) = &mut self.plan.tables[table].kind {
            plan.source_keys = source_keys;
            plan.args = args;
        }
    }

    /// A carried argument: a formula over the source's rows whose values the analysis
    /// copies into its columns `prefix + name`, which take its type (and, for a plain
    /// column, that column's number format).
    fn compile_carried(
        &mut self,
        table: TableId,
        source: TableId,
        arg: &crate::lang::ast::AnalysisArg,
        name: &str,
    ) -> Option<crate::lang::plan::Node> {
        let compiled = self.compile_expr(&arg.value, &Ctx::rows_of(source));
        let ty = compiled_type(&compiled);
        let node = self.expect_value(compiled, arg.value.span)?;
        let format = match &node {
            crate::lang::plan::Node::Column(column) => self.plan.tables[source]
                .columns
                .get(*column)
                .and_then(|c| c.format.clone()),
            _ => None,
        };
        let prefixes = match &self.plan.tables[table].kind {
            TableKind::Analysis(plan) => plan.analysis.carried_prefixes(),
            _ => &[],
        };
        for prefix in prefixes {
            let column_name = format!("{prefix}{name}");
            let output = &mut self.plan.tables[table];
            if let Some(id) = output.column_id(&column_name)
                && let Some(column) = output.columns.get_mut(id)
                && matches!(column.origin, ColumnOrigin::Analysis)
                && column.span == arg.name.span
            {
                column.ty = ty;
                column.format.clone_from(&format);
            }
        }
        Some(node)
    }

    fn unknown_argument(
        &mut self,
        analysis: &str,
        parameters: &[crate::lang::analysis::Parameter],
        name: &Ident,
    ) {
        let names: Vec<&str> = parameters.iter().map(|p| p.name).collect();
        let mut diagnostic = Diagnostic::error(
            Code::BadAnalysisArgument,
            format!("`{analysis}` has no argument `{}`", name.name),
            name.span,
        )
        .with_label("unknown argument");
        diagnostic = match Suggestion::closest(&name.name, names.iter().copied()) {
            Some(s) => diagnostic.with_suggestion(Some(s)),
            None => diagnostic.with_hint(format!("its arguments: {}", names.join(", "))),
        };
        self.error(diagnostic);
    }
}

/// Whether a value of type `actual` may be passed where `wanted` is declared.
fn fits(actual: ValueType, wanted: ValueType) -> bool {
    match wanted {
        ValueType::Any => true,
        ValueType::Number | ValueType::Date => actual.is_numeric() || actual == ValueType::Any,
        _ => actual == wanted || actual == ValueType::Any,
    }
}
