//! Builds the typed AST (with file spans) from pest's parse tree of one statement,
//! reporting what the grammar cannot: bad dates, unknown formats and types, bad holes.

use std::sync::Arc;

use pest::iterators::Pair;

use super::{MAX_NAME_CHARS, Rule, parse_expr_text};
use crate::diagnostic::Code;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{FileId, Span};
use crate::lang::ast::{
    AnalysisArg, AnalysisTableDecl, Better, BinaryOp, ColumnDecl, ColumnDef, Expr, ExprKind,
    FlagDef, Format, FormatKind, Ident, InputDecl, Item, ItemKind, Look, ParamDecl, ScalarDef,
    Severity, Template, TemplatePart, UnaryOp,
};
use crate::suggest::Suggestion;
use crate::value::ErrorKind;
use crate::value::ValueType;
use crate::value::datetime::serial_from_ymd;

/// Builds AST nodes from pest pairs of one statement, collecting the semantic
/// problems it finds (bad dates, unknown formats) as diagnostics.
pub(super) struct Builder {
    pub(super) file: FileId,
    /// Byte offset of the parsed text in the file.
    pub(super) offset: usize,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Builder {
    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    pub(super) fn ident(&mut self, pair: &Pair<'_, Rule>) -> Ident {
        let span = self.span(pair);
        let length = pair.as_str().chars().count();
        if length > MAX_NAME_CHARS {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::NameTooLong,
                    format!(
                        "this name is {length} characters long; names can have at most {MAX_NAME_CHARS}"
                    ),
                    span,
                )
                .with_label("too long")
                .with_hint("use a shorter name (Excel allows 255 characters in a name)"),
            );
        }
        Ident {
            name: Arc::from(pair.as_str()),
            span,
        }
    }

    /// Records an "internal" problem: the tree did not have the expected shape.
    pub(super) fn shape_error<T>(&mut self, span: Span) -> Option<T> {
        self.diagnostics.push(Diagnostic::error(
            Code::Syntax,
            "internal parser error: unexpected syntax tree",
            span,
        ));
        None
    }

    pub(super) fn statement(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().find(|p| p.as_rule() != Rule::EOI) else {
            return self.shape_error(span);
        };
        let span = self.span(&inner);
        let kind = match inner.as_rule() {
            Rule::input_decl => ItemKind::Input(self.input_decl(inner)?),
            Rule::script_decl => ItemKind::Script(self.script_decl(inner)?),
            Rule::param_decl => ItemKind::Param(self.param_decl(inner)?),
            Rule::group_table => ItemKind::GroupTable(self.group_table(inner)?),
            Rule::analysis_table => ItemKind::AnalysisTable(self.analysis_table(inner)?),
            Rule::flag_def => ItemKind::Flag(self.flag_def(inner)?),
            Rule::column_def => ItemKind::Column(self.column_def(inner)?),
            Rule::scalar_def => ItemKind::Scalar(self.scalar_def(inner)?),
            _ => {
                return self.shape_error(span);
            }
        };
        Some(Item { kind, span })
    }

    fn input_decl(&mut self, pair: Pair<'_, Rule>) -> Option<InputDecl> {
        let span = self.span(&pair);
        let mut table = None;
        let mut columns = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => table = Some(self.ident(&p)),
                Rule::column_decl => columns.push(self.column_decl(p)?),
                _ => {}
            }
        }
        let Some(table) = table else {
            return self.shape_error(span);
        };
        Some(InputDecl { table, columns })
    }

    fn column_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ColumnDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = ValueType::Any;
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::column_name => name = Some(self.ident(&p)),
                Rule::type_name => match ValueType::parse(p.as_str()) {
                    Some(t) => ty = t,
                    None => {
                        let known = ["number", "text", "bool", "date", "any"];
                        let mut d = Diagnostic::error(
                            Code::UnknownType,
                            format!("`{}` is not a column type", p.as_str()),
                            self.span(&p),
                        )
                        .with_label("unknown type");
                        d = d.with_suggestion(Suggestion::closest(p.as_str(), known));
                        self.diagnostics.push(d.with_hint(
                            "column types are number, text, bool, date and any; add `?` when blanks are allowed (date?)",
                        ));
                    }
                },
                Rule::optional_mark => optional = true,
                _ => {}
            }
        }
        let Some(name) = name else {
            return self.shape_error(span);
        };
        Some(ColumnDecl {
            name,
            ty,
            optional,
            span,
        })
    }

    fn param_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ParamDecl> {
        let span = self.span(&pair);
        let (mut name, mut default, mut annotations) = (None, None, Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::param_name => name = Some(self.ident(&p)),
                Rule::expr => default = self.expr(p),
                Rule::format => annotations.push(p),
                _ => {}
            }
        }
        let (format, look) = self.annotations(annotations);
        if look != Look::default() {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::UnknownFormat,
                    "a param takes only a number format",
                    span,
                )
                .with_label("drawing annotations apply to computed columns")
                .with_hint(format!(
                    "remove {}; params show in the Assumptions sheet as values",
                    look.words()
                        .iter()
                        .map(|w| format!("@{w}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
            );
        }
        match (name, default) {
            (Some(name), Some(default)) => Some(ParamDecl {
                name,
                default,
                format,
            }),
            _ => self.shape_error(span),
        }
    }

    fn analysis_table(&mut self, pair: Pair<'_, Rule>) -> Option<AnalysisTableDecl> {
        let span = self.span(&pair);
        let (mut tables, mut keys, mut args) = (Vec::new(), Vec::new(), Vec::new());
        let mut analysis = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => tables.push(self.ident(&p)),
                Rule::analysis_name => analysis = Some(self.ident(&p)),
                Rule::column_name => keys.push(self.ident(&p)),
                Rule::analysis_arg => {
                    let arg_span = self.span(&p);
                    let mut inner = p.into_inner();
                    let name = inner.next().map(|n| self.ident(&n));
                    let value = inner.find(|v| v.as_rule() == Rule::expr);
                    match (name, value.and_then(|v| self.expr(v))) {
                        (Some(name), Some(value)) => args.push(AnalysisArg { name, value }),
                        _ => return self.shape_error(arg_span),
                    }
                }
                _ => {}
            }
        }
        let mut tables = tables.into_iter();
        match (tables.next(), analysis, tables.next()) {
            (Some(name), Some(analysis), Some(source)) => Some(AnalysisTableDecl {
                name,
                analysis,
                source,
                keys,
                args,
            }),
            _ => self.shape_error(span),
        }
    }

    fn flag_def(&mut self, pair: Pair<'_, Rule>) -> Option<FlagDef> {
        let span = self.span(&pair);
        let (mut table, mut condition, mut message) = (None, None, None);
        let (mut severity, mut rank_by, mut topic) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => table = Some(self.ident(&p)),
                Rule::expr => condition = self.expr(p),
                Rule::template => message = self.template(p),
                Rule::flag_clause => {
                    for clause in p.into_inner() {
                        let clause_span = self.span(&clause);
                        let repeated = match clause.as_rule() {
                            Rule::flag_severity => {
                                let word = clause
                                    .into_inner()
                                    .find(|w| w.as_rule() == Rule::severity_name);
                                let parsed = word.and_then(|w| self.severity(&w));
                                severity.replace(parsed).is_some()
                            }
                            Rule::flag_rank => {
                                let expr = clause
                                    .into_inner()
                                    .find(|e| e.as_rule() == Rule::expr)
                                    .and_then(|e| self.expr(e));
                                rank_by.replace(expr).is_some()
                            }
                            Rule::flag_topic => {
                                let name = clause
                                    .into_inner()
                                    .find(|n| n.as_rule() == Rule::topic_name)
                                    .map(|n| self.ident(&n));
                                topic.replace(name).is_some()
                            }
                            _ => false,
                        };
                        if repeated {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    Code::Syntax,
                                    "this flag clause is given twice",
                                    clause_span,
                                )
                                .with_label("repeated")
                                .with_hint(
                                    "give `severity`, `rank by` and `topic` at most once each",
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        match (table, condition, message) {
            (Some(table), Some(condition), Some(message)) => Some(FlagDef {
                table,
                condition,
                message,
                severity: severity.flatten(),
                rank_by: rank_by.flatten(),
                topic: topic.flatten(),
            }),
            _ => {
                // A bad template was reported already; otherwise the shape is wrong.
                if self.diagnostics.is_empty() {
                    return self.shape_error(span);
                }
                None
            }
        }
    }

    /// A `severity` word of a flag; an unknown one is error E0018 with a "did you mean".
    fn severity(&mut self, word: &Pair<'_, Rule>) -> Option<(Severity, Span)> {
        let span = self.span(word);
        if let Some(severity) = Severity::parse(word.as_str()) {
            return Some((severity, span));
        }
        let names = Severity::ALL.map(Severity::as_str);
        self.diagnostics.push(
            Diagnostic::error(
                Code::UnknownSeverity,
                format!("unknown flag severity `{}`", word.as_str()),
                span,
            )
            .with_label("not a severity")
            .with_suggestion(Suggestion::closest(word.as_str(), names.iter().copied()))
            .with_hint(format!("a severity is one of: {}", names.join(", "))),
        );
        None
    }

    fn column_def(&mut self, pair: Pair<'_, Rule>) -> Option<ColumnDef> {
        let span = self.span(&pair);
        let (mut target, mut expr, mut annotations) = (None, None, Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::column_target => {
                    let parts: Vec<Ident> = p.into_inner().map(|q| self.ident(&q)).collect();
                    let mut parts = parts.into_iter();
                    if let (Some(t), Some(c)) = (parts.next(), parts.next()) {
                        target = Some((t, c));
                    }
                }
                Rule::expr => expr = self.expr(p),
                Rule::format => annotations.push(p),
                _ => {}
            }
        }
        let (format, look) = self.annotations(annotations);
        match (target, expr) {
            (Some((table, column)), Some(expr)) => Some(ColumnDef {
                table,
                column,
                expr,
                format,
                look,
            }),
            _ => {
                if self.diagnostics.is_empty() {
                    return self.shape_error(span);
                }
                None
            }
        }
    }

    fn scalar_def(&mut self, pair: Pair<'_, Rule>) -> Option<ScalarDef> {
        let span = self.span(&pair);
        let (mut name, mut expr, mut annotations) = (None, None, Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::scalar_name => name = Some(self.ident(&p)),
                Rule::expr => expr = self.expr(p),
                Rule::format => annotations.push(p),
                _ => {}
            }
        }
        let (format, look) = self.annotations(annotations);
        match (name, expr) {
            (Some(name), Some(expr)) => Some(ScalarDef {
                name,
                expr,
                format,
                look,
            }),
            _ => {
                if self.diagnostics.is_empty() {
                    return self.shape_error(span);
                }
                None
            }
        }
    }

    /// A definition's annotations: at most one number format, and drawing words that
    /// do not contradict each other.
    fn annotations(&mut self, pairs: Vec<Pair<'_, Rule>>) -> (Option<Format>, Look) {
        let mut format: Option<Format> = None;
        let mut look = Look::default();
        for pair in pairs {
            let span = self.span(&pair);
            match self.annotation(pair) {
                Some(Annotation::Format(new)) => {
                    if let Some(first) = &format {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::ConflictingAnnotations,
                                "a value takes one number format",
                                span,
                            )
                            .with_label("a second number format")
                            .with_secondary(first.span, "the first one")
                            .with_hint("keep one of them"),
                        );
                    } else {
                        format = Some(new);
                    }
                }
                Some(Annotation::Better(better)) => {
                    if look.better.is_some_and(|b| b != better) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::ConflictingAnnotations,
                                "higher and lower cannot both be better",
                                span,
                            )
                            .with_label("contradicts the other direction")
                            .with_hint("keep @higher_is_better or @lower_is_better"),
                        );
                    }
                    look.better = Some(better);
                }
                Some(Annotation::Bar) => look.bar = true,
                Some(Annotation::Icons) => look.icons = true,
                Some(Annotation::Heat) => look.heat = true,
                None => {}
            }
        }
        if look.heat && look.better.is_some() {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::ConflictingAnnotations,
                    "@heat is a neutral scale; it cannot also say which end is better",
                    format.as_ref().map_or(Span::default(), |f| f.span),
                )
                .with_hint(
                    "use @heat for matrices, @higher_is_better or @lower_is_better for measures",
                ),
            );
        }
        (format, look)
    }

    fn annotation(&mut self, pair: Pair<'_, Rule>) -> Option<Annotation> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::text => FormatKind::Custom(unescape_text(inner.as_str())),
            _ => {
                let word = inner.as_str();
                match word.to_ascii_lowercase().as_str() {
                    "percent" => FormatKind::Percent,
                    "currency" => FormatKind::Currency,
                    "date" => FormatKind::Date,
                    "integer" => FormatKind::Integer,
                    "decimal" => FormatKind::Decimal,
                    "higher_is_better" => return Some(Annotation::Better(Better::Higher)),
                    "lower_is_better" => return Some(Annotation::Better(Better::Lower)),
                    "bar" => return Some(Annotation::Bar),
                    "icons" => return Some(Annotation::Icons),
                    "heat" => return Some(Annotation::Heat),
                    _ => {
                        let known = [
                            "percent",
                            "currency",
                            "date",
                            "integer",
                            "decimal",
                            "higher_is_better",
                            "lower_is_better",
                            "bar",
                            "icons",
                            "heat",
                        ];
                        let mut d = Diagnostic::error(
                            Code::UnknownFormat,
                            format!("`@{word}` is not a known format"),
                            span,
                        )
                        .with_label("unknown format");
                        d = d.with_suggestion(
                            Suggestion::closest(word, known).map(|s| s.written("@", "")),
                        );
                        self.diagnostics.push(d.with_hint(
                            "formats are @percent, @currency, @date, @integer, @decimal, or an Excel number format in quotes such as @\"0.0x\"; a computed value may also say how it is drawn: @higher_is_better, @lower_is_better, @bar, @icons, @heat",
                        ));
                        return None;
                    }
                }
            }
        };
        Some(Annotation::Format(Format { kind, span }))
    }

    /// Parses a flag message: literal text with `{expr}` / `{expr:format}` holes.
    fn template(&mut self, pair: Pair<'_, Rule>) -> Option<Template> {
        let span = self.span(&pair);
        // Content between the quotes, at this file offset.
        let raw = pair.as_str();
        let content = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let base = span.start + 1;
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut ok = true;
        let mut i = 0;
        while i < content.len() {
            let rest = content.get(i..).unwrap_or("");
            if rest.starts_with("{{") {
                literal.push('{');
                i += 2;
            } else if rest.starts_with("}}") {
                literal.push('}');
                i += 2;
            } else if rest.starts_with("\"\"") {
                literal.push('"');
                i += 2;
            } else if rest.starts_with('{') {
                let Some(close) = rest.find('}') else {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::BadTemplate,
                            "this `{` in the flag message is never closed",
                            Span::new(self.file, base + i, base + i + 1),
                        )
                        .with_label("hole opened here")
                        .with_hint("close the hole with `}`, or write `{{` for a literal brace"),
                    );
                    return None;
                };
                let hole = rest.get(1..close).unwrap_or("");
                let hole_start = base + i + 1;
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                }
                match self.template_hole(hole, hole_start) {
                    Some(part) => parts.push(part),
                    None => ok = false,
                }
                i += close + 1;
            } else if rest.starts_with('}') {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::BadTemplate,
                        "this `}` in the flag message has no matching `{`",
                        Span::new(self.file, base + i, base + i + 1),
                    )
                    .with_label("unmatched `}`")
                    .with_hint("write `}}` for a literal brace"),
                );
                ok = false;
                i += 1;
            } else {
                let c = rest.chars().next().unwrap_or(' ');
                literal.push(c);
                i += c.len_utf8();
            }
        }
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        ok.then_some(Template { parts, span })
    }

    /// One `{expr}` or `{expr:format}` hole whose text starts at file offset `start`.
    fn template_hole(&mut self, hole: &str, start: usize) -> Option<TemplatePart> {
        let hole_span = Span::new(self.file, start.saturating_sub(1), start + hole.len() + 1);
        if hole.trim().is_empty() {
            self.diagnostics.push(
                Diagnostic::error(Code::BadTemplate, "empty `{}` in the flag message", hole_span)
                    .with_label("nothing to show here")
                    .with_hint("put a column or formula inside, e.g. {roi:0.00}, or write `{{}}` for literal braces"),
            );
            return None;
        }
        if let Some(q) = hole.find('"') {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::BadTemplate,
                    "a `{…}` hole in a flag message cannot contain text in quotes",
                    Span::new(self.file, start + q, start + q + 1),
                )
                .with_label("quote inside the hole")
                .with_hint(
                    "compute the text in a column (Channels.label = …) and show it with {label}",
                ),
            );
            return None;
        }
        let (expr_text, format) = match hole.find(':') {
            Some(colon) => {
                let format = hole.get(colon + 1..).unwrap_or("");
                if format.trim().is_empty() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::BadTemplate,
                            "the number format after `:` is empty",
                            hole_span,
                        )
                        .with_label("expected a format after `:`")
                        .with_hint("write an Excel number format such as {roi:0.00} or {share:0%}, or drop the `:`"),
                    );
                    return None;
                }
                (hole.get(..colon).unwrap_or(""), Some(format.to_string()))
            }
            None => (hole, None),
        };
        match parse_expr_text(expr_text, start, self.file, Rule::hole_expression) {
            Ok(expr) => Some(TemplatePart::Hole { expr, format }),
            Err(diagnostics) => {
                for d in diagnostics {
                    self.diagnostics.push(
                        Diagnostic {
                            code: Code::BadTemplate,
                            message: format!("in a `{{…}}` hole of the flag message: {}", d.message),
                            ..d
                        }
                        .with_hint("a hole holds a formula and an optional number format: {roi:0.00}; write `{{` for a literal brace"),
                    );
                }
                None
            }
        }
    }

    /// Builds an expression from any expression-level pair.
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        // Most precedence levels hold a single operand: step down through them in a
        // loop rather than recursing, so nested brackets cost little stack.
        let mut pair = pair;
        loop {
            let passes_through = matches!(
                pair.as_rule(),
                Rule::expr
                    | Rule::or_expr
                    | Rule::and_expr
                    | Rule::not_expr
                    | Rule::cmp_expr
                    | Rule::concat_expr
                    | Rule::add_expr
                    | Rule::mul_expr
                    | Rule::pow_expr
                    | Rule::pct_expr
                    | Rule::sign_expr
            );
            if !passes_through {
                break;
            }
            let mut inner = pair.clone().into_inner();
            match (inner.next(), inner.next()) {
                (Some(only), None) => pair = only,
                _ => break,
            }
        }
        self.expr_node(pair)
    }

    fn expr_node(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => {
                let inner = pair.into_inner().next()?;
                self.expr(inner)
            }
            Rule::or_expr
            | Rule::and_expr
            | Rule::concat_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::pow_expr => self.left_assoc(pair),
            Rule::not_expr => {
                let mut nots = Vec::new();
                let mut operand = None;
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::op_not {
                        nots.push(self.span(&p));
                    } else {
                        operand = self.expr(p);
                    }
                }
                let mut expr = operand?;
                for not_span in nots.into_iter().rev() {
                    let span = not_span.to(expr.span);
                    expr = Expr {
                        kind: ExprKind::Unary {
                            op: UnaryOp::Not,
                            operand: Box::new(expr),
                        },
                        span,
                    };
                }
                Some(expr)
            }
            Rule::cmp_expr => {
                let mut inner = pair.into_inner();
                let mut lhs = self.expr(inner.next()?)?;
                while let Some(p) = inner.next() {
                    match p.as_rule() {
                        Rule::in_tail => {
                            let tail_span = self.span(&p);
                            let mut negated = false;
                            let mut list = Vec::new();
                            for q in p.into_inner() {
                                match q.as_rule() {
                                    Rule::op_not_in => negated = true,
                                    Rule::expr => list.push(self.expr(q)?),
                                    _ => {}
                                }
                            }
                            let span = lhs.span.to(tail_span);
                            lhs = Expr {
                                kind: ExprKind::In {
                                    needle: Box::new(lhs),
                                    list,
                                    negated,
                                },
                                span,
                            };
                        }
                        Rule::cmp_op => {
                            let op = match p.as_str() {
                                "=" => BinaryOp::Eq,
                                "<>" => BinaryOp::Ne,
                                "<" => BinaryOp::Lt,
                                "<=" => BinaryOp::Le,
                                ">" => BinaryOp::Gt,
                                _ => BinaryOp::Ge,
                            };
                            let rhs = self.expr(inner.next()?)?;
                            lhs = binary(op, lhs, rhs);
                        }
                        _ => return self.shape_error(span),
                    }
                }
                Some(lhs)
            }
            Rule::pct_expr => {
                let mut inner = pair.into_inner();
                let mut expr = self.expr(inner.next()?)?;
                for p in inner {
                    let span = expr.span.to(self.span(&p));
                    expr = Expr {
                        kind: ExprKind::Percent(Box::new(expr)),
                        span,
                    };
                }
                Some(expr)
            }
            Rule::sign_expr => {
                let mut signs = Vec::new();
                let mut operand = None;
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::sign_op {
                        let op = if p.as_str() == "-" {
                            UnaryOp::Neg
                        } else {
                            UnaryOp::Plus
                        };
                        signs.push((op, self.span(&p)));
                    } else {
                        operand = self.expr(p);
                    }
                }
                let mut expr = operand?;
                for (op, sign_span) in signs.into_iter().rev() {
                    let span = sign_span.to(expr.span);
                    expr = Expr {
                        kind: ExprKind::Unary {
                            op,
                            operand: Box::new(expr),
                        },
                        span,
                    };
                }
                Some(expr)
            }
            Rule::number | Rule::text | Rule::boolean | Rule::date | Rule::error_literal => {
                Some(self.literal(pair, span))
            }
            Rule::array => {
                let mut rows = vec![Vec::new()];
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::expr => {
                            let item = self.expr(p)?;
                            if let Some(row) = rows.last_mut() {
                                row.push(item);
                            }
                        }
                        Rule::row_sep => rows.push(Vec::new()),
                        _ => {}
                    }
                }
                Some(Expr {
                    kind: ExprKind::Array(rows),
                    span,
                })
            }
            Rule::paren => {
                let inner = pair.into_inner().find(|p| p.as_rule() == Rule::expr)?;
                let expr = self.expr(inner)?;
                Some(Expr {
                    kind: ExprKind::Paren(Box::new(expr)),
                    span,
                })
            }
            Rule::call => {
                let mut function = None;
                let mut args = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::function_name => function = Some(self.ident(&p)),
                        Rule::argument => args.push(self.argument(p)?),
                        _ => {}
                    }
                }
                Some(Expr {
                    kind: ExprKind::Call {
                        function: function?,
                        args,
                    },
                    span,
                })
            }
            Rule::qualified => {
                let mut inner = pair.into_inner();
                let table = self.ident(&inner.next()?);
                let column = self.ident(&inner.next()?);
                Some(Expr {
                    kind: ExprKind::Qualified { table, column },
                    span,
                })
            }
            Rule::name => Some(Expr {
                kind: ExprKind::Name(self.ident(&pair)),
                span,
            }),
            _ => self.shape_error(span),
        }
    }

    /// A literal value: number, text, boolean, date or error.
    fn literal(&mut self, pair: Pair<'_, Rule>, span: Span) -> Expr {
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::number => {
                let value: f64 = text.parse().unwrap_or(f64::INFINITY);
                if !value.is_finite() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::NumberOutOfRange,
                            format!("the number {text} is too large"),
                            span,
                        )
                        .with_label("too large")
                        .with_hint("numbers must be below about 1.8e308"),
                    );
                }
                ExprKind::Number {
                    value,
                    text: Arc::from(text),
                }
            }
            Rule::text => ExprKind::Text(Arc::from(unescape_text(text))),
            Rule::boolean => ExprKind::Bool(text.eq_ignore_ascii_case("true")),
            Rule::date => {
                let mut fields = text.split('-').map(|f| f.parse::<u32>().ok());
                let serial = match (fields.next(), fields.next(), fields.next()) {
                    (Some(Some(y)), Some(Some(m)), Some(Some(d))) => {
                        i32::try_from(y).ok().and_then(|y| serial_from_ymd(y, m, d))
                    }
                    _ => None,
                };
                // Excel's calendar starts at 1900-01-01 (serial 1).
                if serial.is_some_and(|s| s < 1.0) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidDate,
                            format!("{text} is before 1900-01-01, where Excel's dates start"),
                            span,
                        )
                        .with_label("too early for a spreadsheet date")
                        .with_hint("use a date from 1900-01-01 on"),
                    );
                }
                let serial = serial.unwrap_or_else(|| {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidDate,
                            format!("{text} is not a real date"),
                            span,
                        )
                        .with_label("this day does not exist")
                        .with_hint("dates are written YYYY-MM-DD with a valid month (01-12) and day, e.g. 2026-06-30; to subtract numbers put spaces around `-`"),
                    );
                    0.0
                });
                ExprKind::Date {
                    serial,
                    text: Arc::from(text),
                }
            }
            _ => ExprKind::Error(ErrorKind::parse(text).unwrap_or(ErrorKind::NA)),
        };
        Expr { kind, span }
    }

    /// `argument = expr (where expr)?`
    fn argument(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let mut exprs = pair.into_inner().filter(|p| p.as_rule() == Rule::expr);
        let list = self.expr(exprs.next()?)?;
        match exprs.next() {
            None => Some(list),
            Some(condition) => {
                let condition = self.expr(condition)?;
                Some(Expr {
                    kind: ExprKind::Where {
                        list: Box::new(list),
                        condition: Box::new(condition),
                    },
                    span,
                })
            }
        }
    }

    /// `operand (op operand)*`, folded to the left.
    fn left_assoc(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let mut inner = pair.into_inner();
        let mut lhs = self.expr(inner.next()?)?;
        while let Some(op_pair) = inner.next() {
            let op = match (op_pair.as_rule(), op_pair.as_str()) {
                (Rule::op_or, _) => BinaryOp::Or,
                (Rule::op_and, _) => BinaryOp::And,
                (Rule::op_concat, _) => BinaryOp::Concat,
                (Rule::add_op, "+") => BinaryOp::Add,
                (Rule::add_op, _) => BinaryOp::Sub,
                (Rule::mul_op, "*") => BinaryOp::Mul,
                (Rule::mul_op, _) => BinaryOp::Div,
                _ => BinaryOp::Pow,
            };
            let rhs = self.expr(inner.next()?)?;
            lhs = binary(op, lhs, rhs);
        }
        Some(lhs)
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

/// `"say ""hi"""` → `say "hi"`.
pub(super) fn unescape_text(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    inner.replace("\"\"", "\"")
}

/// One `@…` after a formula.
enum Annotation {
    Format(Format),
    Better(Better),
    Bar,
    Icons,
    Heat,
}
