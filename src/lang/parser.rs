//! Rule-file parser: splits a file into statements, parses each with the pest
//! grammar in `grammar/formula.pest`, and builds the typed AST with spans.
//!
//! Parsing works statement by statement so one file reports several errors: a
//! statement that fails is reported and skipped, and the next one is parsed.
//! `split` finds the statements, `syntax_error` words pest's failures for people,
//! `build` turns parse trees into the AST.

mod build;
mod group;
mod script;
mod split;
mod syntax_error;

use pest::Parser as _;

use super::ast::{Expr, ExprKind, Item, ItemKind, RuleFile, TemplatePart};
use crate::diagnostic::source::{FileId, SourceMap, Span};
use crate::diagnostic::{Code, Diagnostic};
use build::Builder;
use split::{nesting_check, split_statements, too_long};
use syntax_error::syntax_error;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/formula.pest"]
struct FormulaParser;

/// Longest statement accepted (a real formula is far shorter); keeps trees small
/// enough to walk and drop safely.
pub(crate) const MAX_STATEMENT_BYTES: usize = 20_000;

/// Longest table, column, param or value name: Excel's limit for defined names, so
/// every name fits a header cell or a name box.
pub(crate) const MAX_NAME_CHARS: usize = 255;

/// Deepest bracket nesting accepted; deeper input is surely not a real formula and
/// would only risk the stack.
const MAX_NESTING: usize = 64;

/// Parses a whole rule file. Reports every statement that fails, not just the first.
pub fn parse_rule_file(sources: &SourceMap, file: FileId) -> Result<RuleFile, Vec<Diagnostic>> {
    let text = sources.get(file).map_or("", |f| f.text.as_str());
    with_parser_stack(file, text, || parse_rule_file_here(sources, file))
}

fn parse_rule_file_here(sources: &SourceMap, file: FileId) -> Result<RuleFile, Vec<Diagnostic>> {
    let Some(source) = sources.get(file) else {
        return Err(vec![Diagnostic::error(
            Code::Syntax,
            "internal error: unknown source file",
            Span::new(file, 0, 0),
        )]);
    };
    let text = source.text.as_str();
    let split = split_statements(text, file);
    let mut diagnostics = split.diagnostics;
    let mut items = Vec::new();
    for chunk in split.statements {
        if chunk.broken {
            continue;
        }
        let Some(chunk_text) = text.get(chunk.start..chunk.end) else {
            continue;
        };
        let mut builder = Builder {
            file,
            offset: chunk.start,
            diagnostics: Vec::new(),
        };
        match FormulaParser::parse(Rule::statement, chunk_text) {
            Ok(mut pairs) => {
                if let Some(item) = pairs.next().and_then(|p| builder.statement(p)) {
                    match too_deep_item(&item) {
                        Some(d) => diagnostics.push(d),
                        None => items.push(item),
                    }
                }
            }
            Err(error) => diagnostics.push(syntax_error(&error, chunk_text, chunk.start, file)),
        }
        diagnostics.extend(builder.diagnostics);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
        return Err(diagnostics);
    }
    Ok(RuleFile {
        file,
        items,
        comments: split.comments,
    })
}

/// Parses one standalone expression, e.g. `ROUND(-2.5, 0) & "x"`. Newlines are
/// allowed anywhere; a `where` is accepted only inside function arguments.
pub fn parse_expression(sources: &SourceMap, file: FileId) -> Result<Expr, Vec<Diagnostic>> {
    let text = sources.get(file).map_or("", |f| f.text.as_str());
    with_parser_stack(file, text, || parse_expression_here(sources, file))
}

fn parse_expression_here(sources: &SourceMap, file: FileId) -> Result<Expr, Vec<Diagnostic>> {
    let Some(source) = sources.get(file) else {
        return Err(vec![Diagnostic::error(
            Code::Syntax,
            "internal error: unknown source file",
            Span::new(file, 0, 0),
        )]);
    };
    parse_expr_text(&source.text, 0, file, Rule::expression_only)
}

/// Stack for the parser thread. Recursive descent through a dozen precedence levels
/// per bracket is deep (especially in unoptimised builds); the memory is only
/// reserved, not used, unless a formula really nests that deep.
const PARSER_STACK_BYTES: usize = 64 << 20;

/// Text up to this size and bracket depth is parsed on the caller's thread.
const INLINE_PARSE_BYTES: usize = 4096;
const INLINE_PARSE_DEPTH: usize = 8;

/// Deepest bracket nesting in `text`, counting brackets inside text literals too
/// (an over-estimate is harmless here).
fn max_bracket_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for b in text.bytes() {
        match b {
            b'(' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Runs `parse` on a thread with a large stack so that deeply nested formulas give
/// a diagnostic (or parse) instead of overflowing the caller's stack. If no thread
/// can be started, parses on the caller's thread (nesting is limited anyway).
fn with_parser_stack<T: Send>(
    file: FileId,
    text: &str,
    parse: impl Fn() -> Result<T, Vec<Diagnostic>> + Sync,
) -> Result<T, Vec<Diagnostic>> {
    // Short, shallow text (a typical standalone formula) is safe on any stack.
    if text.len() <= INLINE_PARSE_BYTES && max_bracket_depth(text) <= INLINE_PARSE_DEPTH {
        return parse();
    }
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("chanmix-parser".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, &parse);
        match handle {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(vec![Diagnostic::error(
                    Code::Syntax,
                    "internal error: the parser stopped unexpectedly",
                    Span::new(file, 0, 0),
                )])
            }),
            Err(_) => parse(),
        }
    })
}

/// Parses `text` (found at byte `offset` of `file`) as one expression.
fn parse_expr_text(
    text: &str,
    offset: usize,
    file: FileId,
    rule: Rule,
) -> Result<Expr, Vec<Diagnostic>> {
    if let Some(diagnostic) = nesting_check(text, offset, file) {
        return Err(vec![diagnostic]);
    }
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(vec![too_long(offset, offset + text.len(), file)]);
    }
    let mut builder = Builder {
        file,
        offset,
        diagnostics: Vec::new(),
    };
    match FormulaParser::parse(rule, text) {
        Ok(mut pairs) => {
            let expr = pairs
                .next()
                .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr))
                .and_then(|p| builder.expr(p));
            match expr {
                Some(expr) if builder.diagnostics.is_empty() => match too_deep_expr(&expr) {
                    Some(d) => Err(vec![d]),
                    None => Ok(expr),
                },
                _ => Err(builder.diagnostics),
            }
        }
        Err(error) => Err(vec![syntax_error(&error, text, offset, file)]),
    }
}

const MAX_TREE_DEPTH: usize = 256;

/// The direct sub-expressions of an expression.
fn children(expr: &Expr) -> Vec<&Expr> {
    match &expr.kind {
        ExprKind::Array(rows) => rows.iter().flatten().collect(),
        ExprKind::Unary { operand, .. } => vec![operand],
        ExprKind::Percent(e) | ExprKind::Paren(e) => vec![e],
        ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
        ExprKind::In { needle, list, .. } => std::iter::once(&**needle).chain(list).collect(),
        ExprKind::Call { args, .. } => args.iter().collect(),
        ExprKind::Where { list, condition } => vec![list, condition],
        _ => Vec::new(),
    }
}

/// Refuses an expression tree deeper than [`MAX_TREE_DEPTH`] (walked without recursion).
fn too_deep_expr(root: &Expr) -> Option<Diagnostic> {
    let mut stack = vec![(root, 1usize)];
    while let Some((expr, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH {
            return Some(
                Diagnostic::error(
                    Code::TooDeep,
                    format!("this formula nests more than {MAX_TREE_DEPTH} operations deep"),
                    root.span,
                )
                .with_label("too long to evaluate safely")
                .with_hint("split the formula into helper columns or scalars"),
            );
        }
        stack.extend(children(expr).into_iter().map(|c| (c, depth + 1)));
    }
    None
}

fn too_deep_item(item: &Item) -> Option<Diagnostic> {
    let roots: Vec<&Expr> = match &item.kind {
        ItemKind::Param(p) => vec![&p.default],
        ItemKind::GroupTable(g) => g
            .filter
            .iter()
            .chain(g.order.iter().map(|k| &k.expr))
            .collect(),
        ItemKind::AnalysisTable(t) => t.args.iter().map(|a| &a.value).collect(),
        ItemKind::Column(c) => vec![&c.expr],
        ItemKind::Scalar(s) => vec![&s.expr],
        ItemKind::Flag(f) => std::iter::once(&f.condition)
            .chain(f.rank_by.iter())
            .chain(f.message.parts.iter().filter_map(|p| match p {
                TemplatePart::Hole { expr, .. } => Some(expr),
                TemplatePart::Literal(_) => None,
            }))
            .collect(),
        ItemKind::Input(_) | ItemKind::Script(_) => Vec::new(),
    };
    roots.into_iter().find_map(too_deep_expr)
}
