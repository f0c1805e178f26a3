//! Function calls: arity and argument kinds against the registry, lists given where
//! lists are wanted, and scalar functions lifted over a list row by row.

use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use std::sync::Arc;

use crate::functions::{ArgKind, FunctionSpec};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::suggest::Suggestion;
use crate::value::ValueType;

use super::{Checker, Compiled, Ctx, compiled_type, node_reads_row, plural, return_type};

impl Checker<'_> {
    pub(super) fn compile_call(
        &mut self,
        function: &Ident,
        args: &[Expr],
        span: Span,
        ctx: &Ctx,
    ) -> Compiled {
        if function.name.eq_ignore_ascii_case("LET") {
            return self.compile_let(args, span, ctx);
        }
        let Some(spec) = self.vocabulary.functions.lookup(&function.name).cloned() else {
            let mut diagnostic = Diagnostic::error(
                Code::UnknownFunction,
                format!("unknown function `{}`", function.name),
                function.span,
            )
            .with_label("no such function");
            let names = self.vocabulary.functions.iter().map(|f| &*f.name);
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
        if spec.is_builtin() && spec.name == "UNIQUE" {
            return self.compile_unique(args, span, ctx);
        }
        let table_lookup = spec.is_builtin() && matches!(&*spec.name, "VLOOKUP" | "HLOOKUP");
        let mut compiled_args = Vec::new();
        let mut invalid = false;
        if table_lookup {
            match self.table_lookup_args(&spec, args, ctx) {
                Some(lookup_args) => compiled_args = lookup_args,
                None => return Compiled::Invalid,
            }
        }
        for (position, arg) in args.iter().enumerate().filter(|_| !table_lookup) {
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

    pub(super) fn lift_call(
        &mut self,
        spec: Arc<FunctionSpec>,
        args: Vec<(Compiled, ArgKind, Span)>,
        ty: ValueType,
        span: Span,
    ) -> Compiled {
        let mut domain: Option<ListDomain> = None;
        let mut row_args = Vec::new();
        for (compiled, kind, arg_span) in args {
            match compiled {
                Compiled::List { list, .. } if kind == ArgKind::Scalar => {
                    if list.domain == ListDomain::Array
                        || list.filter.is_some()
                        || list.distinct != Distinct::All
                    {
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
                // A whole column or an array, the same for every row (the list a lookup
                // searches): `SUM(XLOOKUP(Deals.product, Products.product, Products.price))`.
                Compiled::List { list, .. }
                    if matches!(list.domain, ListDomain::Table(_) | ListDomain::Array) =>
                {
                    row_args.push(ArgNode::List(list));
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
                distinct: Distinct::All,
            },
            ty,
        }
    }

    /// `UNIQUE(list[, by_col[, exactly_once]])`: Excel's function returns a list, so it
    /// is compiled into the list it selects from (only its distinct values reach the
    /// enclosing function), e.g. `COUNTA(UNIQUE(Opportunities.channel))`.
    fn compile_unique(&mut self, args: &[Expr], span: Span, ctx: &Ctx) -> Compiled {
        let Some(first) = args.first() else {
            return Compiled::Invalid;
        };
        let (mut list, ty) = match self.compile_arg(first, ctx) {
            Compiled::List { list, ty } => (list, ty),
            Compiled::Value { .. } => {
                self.error(
                    Diagnostic::error(
                        Code::ValueWhereList,
                        "UNIQUE needs a list, not a single value",
                        first.span,
                    )
                    .with_label("a single value")
                    .with_hint("pass a column such as `Opportunities.channel`"),
                );
                return Compiled::Invalid;
            }
            Compiled::Invalid => return Compiled::Invalid,
        };
        if list.domain == ListDomain::Array {
            self.error(
                Diagnostic::error(
                    Code::MixedLists,
                    "UNIQUE takes a column of a table, not an array constant",
                    first.span,
                )
                .with_label("array constant")
                .with_hint(
                    "Excel reads {1, 2, 2} as one row and returns it unchanged; write the \
                     distinct values yourself, or put them in a table column",
                ),
            );
            return Compiled::Invalid;
        }
        if list.distinct != Distinct::All {
            self.error(
                Diagnostic::error(Code::MixedLists, "this list is already UNIQUE", first.span)
                    .with_hint("use one UNIQUE"),
            );
            return Compiled::Invalid;
        }
        let mut flags = [false; 2];
        for (position, arg) in args.iter().enumerate().skip(1) {
            let compiled = self.compile_expr(arg, &Ctx::scalar());
            let constant = match &compiled {
                Compiled::Value {
                    node: Node::Const(value),
                    ..
                } => value.to_bool().ok(),
                _ => None,
            };
            let name = if position == 1 {
                "by_col"
            } else {
                "exactly_once"
            };
            let Some(flag) = constant else {
                if !matches!(compiled, Compiled::Invalid) {
                    self.error(
                        Diagnostic::error(
                            Code::WrongOperandType,
                            format!("UNIQUE's `{name}` must be written as TRUE or FALSE"),
                            arg.span,
                        )
                        .with_label("not TRUE or FALSE")
                        .with_hint("the engine decides what UNIQUE selects before reading data"),
                    );
                }
                return Compiled::Invalid;
            };
            flags[position - 1] = flag;
        }
        if flags[0] {
            self.error(
                Diagnostic::error(
                    Code::WrongOperandType,
                    "UNIQUE(…, TRUE) compares columns, and a list here is one column",
                    args.get(1).map_or(span, |a| a.span),
                )
                .with_label("by_col = TRUE")
                .with_hint("write FALSE (or leave it out) to compare the list's values"),
            );
            return Compiled::Invalid;
        }
        list.distinct = if flags[1] {
            Distinct::ExactlyOnce
        } else {
            Distinct::Unique
        };
        Compiled::List { list, ty }
    }

    /// A function argument: an expression, or `list where condition`.
    pub(super) fn compile_arg(&mut self, arg: &Expr, ctx: &Ctx) -> Compiled {
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
        if list.distinct != Distinct::All {
            self.error(
                Diagnostic::error(
                    Code::MisplacedWhere,
                    "`where` after UNIQUE(…) is ambiguous",
                    arg.span,
                )
                .with_label("filters UNIQUE's result")
                .with_hint("filter the rows inside: UNIQUE(T.a where condition)"),
            );
            return Compiled::Invalid;
        }
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
            ordering: false,
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
}
