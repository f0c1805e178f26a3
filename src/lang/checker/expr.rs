//! Expressions: operators, arrays and literals compiled with their types and their
//! shape (one value per row, or a list), and the type checks on operands.

use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::value::{Value, ValueType};

use super::{Checker, Compiled, Ctx, compiled_type, constant, definitely_non_numeric_text};

impl Checker<'_> {
    pub(super) fn expect_value(&mut self, compiled: Compiled, span: Span) -> Option<Node> {
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

    pub(super) fn compile_expr(&mut self, expr: &Expr, ctx: &Ctx) -> Compiled {
        match &expr.kind {
            ExprKind::Number { value, .. } => constant(Value::Number(*value), ValueType::Number),
            ExprKind::Text(text) => constant(Value::text(text), ValueType::Text),
            ExprKind::Bool(b) => constant(Value::Bool(*b), ValueType::Bool),
            ExprKind::Date { serial, .. } => constant(Value::Date(*serial), ValueType::Date),
            ExprKind::Error(kind) => constant(Value::error(*kind), ValueType::Any),
            ExprKind::Paren(inner) => self.compile_expr(inner, ctx),
            ExprKind::Array(rows) => {
                let elements: Vec<Expr> = rows.iter().flatten().cloned().collect();
                self.compile_array(&elements, ctx)
            }
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

    pub(super) fn compile_array(&mut self, elements: &[Expr], ctx: &Ctx) -> Compiled {
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
                distinct: Distinct::All,
            },
            ty: ValueType::Any,
        }
    }

    pub(super) fn compile_binary(
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
    pub(super) fn map_one(
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
    pub(super) fn combine(
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
                if l.distinct != Distinct::All || r.distinct != Distinct::All {
                    return self.unique_list_operand(span);
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

    pub(super) fn list_with_value(
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
        if list.distinct != Distinct::All {
            return self.unique_list_operand(span);
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

    pub(super) fn filtered_list_operand(&mut self, span: Span) -> Compiled {
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

    /// `UNIQUE(x) * 2`: Excel would compute on each distinct value, but which values are
    /// distinct is decided on `x` itself; keep the arithmetic inside.
    pub(super) fn unique_list_operand(&mut self, span: Span) -> Compiled {
        self.error(
            Diagnostic::error(
                Code::MixedLists,
                "UNIQUE's list can only be passed to a function such as COUNTA or SUM",
                span,
            )
            .with_hint(
                "compute inside UNIQUE: UNIQUE(T.a * 2), or reduce it first: COUNTA(UNIQUE(T.a))",
            ),
        );
        Compiled::Invalid
    }

    // ----- type checks ------------------------------------------------------------

    pub(super) fn check_numeric_operand(&mut self, compiled: &Compiled, expr: &Expr, op: &str) {
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

    pub(super) fn check_not_text(&mut self, compiled: &Compiled, span: Span, op: &str) {
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

    pub(super) fn check_comparable(
        &mut self,
        left: &Compiled,
        right_ty: ValueType,
        lhs: &Expr,
        rhs: &Expr,
    ) {
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
}
