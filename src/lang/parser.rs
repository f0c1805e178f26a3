//! Rule-file parser: splits a file into statements, parses each with the pest
//! grammar in `grammar/formula.pest`, and builds the typed AST with spans.
//!
//! Parsing works statement by statement so one file reports several errors: a
//! statement that fails is reported and skipped, and the next one is parsed.

use std::sync::Arc;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::{
    BinaryOp, ColumnDecl, ColumnDef, ColumnType, Comment, Expr, ExprKind, FileId, FlagDef, Format,
    FormatKind, GroupTableDecl, Ident, InputDecl, Item, ItemKind, ParamDecl, RuleFile, ScalarDef,
    Span, Template, TemplatePart, UnaryOp,
};
use super::diagnostic::Diagnostic;
use super::source::SourceMap;
use super::suggest::did_you_mean;
use crate::eval::datetime::serial_from_ymd;
use crate::eval::value::ErrorKind;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/formula.pest"]
struct FormulaParser;

/// Diagnostic codes the parser reports (documented in grammar/GRAMMAR.md).
pub mod codes {
    /// Syntax error: the text does not fit the grammar here.
    pub const SYNTAX: &str = "E0001";
    /// A text literal without its closing `"`.
    pub const UNTERMINATED_TEXT: &str = "E0002";
    /// A date literal naming a day that does not exist.
    pub const INVALID_DATE: &str = "E0003";
    /// A bracket without its partner.
    pub const UNBALANCED_BRACKET: &str = "E0004";
    /// A definition without its `=`.
    pub const MISSING_EQUALS: &str = "E0005";
    /// `@something` that is not a known format.
    pub const UNKNOWN_FORMAT: &str = "E0006";
    /// `where` outside a function argument.
    pub const WHERE_OUTSIDE_CALL: &str = "E0007";
    /// `table … = group …` without `by`.
    pub const MISSING_BY: &str = "E0008";
    /// `flag … when …` without the `:` before the message.
    pub const MISSING_FLAG_COLON: &str = "E0009";
    /// A bad `{…}` hole in a flag message.
    pub const BAD_TEMPLATE: &str = "E0010";
    /// An input column type that does not exist.
    pub const UNKNOWN_TYPE: &str = "E0011";
    /// An operator word used where a name is expected.
    pub const KEYWORD_AS_NAME: &str = "E0012";
    /// A character that has no meaning in the language.
    pub const STRAY_CHARACTER: &str = "E0013";
    /// A number too large to represent.
    pub const NUMBER_OUT_OF_RANGE: &str = "E0014";
    /// Brackets nested too deeply to be a real formula.
    pub const TOO_DEEP: &str = "E0015";
}

/// Deepest bracket nesting accepted; deeper input is surely not a real formula and
/// would only risk the stack.
const MAX_NESTING: usize = 64;

/// Parses a whole rule file. Reports every statement that fails, not just the first.
pub fn parse_rule_file(sources: &SourceMap, file: FileId) -> Result<RuleFile, Vec<Diagnostic>> {
    with_parser_stack(file, || parse_rule_file_here(sources, file))
}

fn parse_rule_file_here(sources: &SourceMap, file: FileId) -> Result<RuleFile, Vec<Diagnostic>> {
    let Some(source) = sources.get(file) else {
        return Err(vec![Diagnostic::error(
            codes::SYNTAX,
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
    with_parser_stack(file, || parse_expression_here(sources, file))
}

fn parse_expression_here(sources: &SourceMap, file: FileId) -> Result<Expr, Vec<Diagnostic>> {
    let Some(source) = sources.get(file) else {
        return Err(vec![Diagnostic::error(
            codes::SYNTAX,
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

/// Runs `parse` on a thread with a large stack so that deeply nested formulas give
/// a diagnostic (or parse) instead of overflowing the caller's stack. If no thread
/// can be started, parses on the caller's thread (nesting is limited anyway).
fn with_parser_stack<T: Send>(
    file: FileId,
    parse: impl Fn() -> Result<T, Vec<Diagnostic>> + Sync,
) -> Result<T, Vec<Diagnostic>> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("chanmix-parser".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, &parse);
        match handle {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(vec![Diagnostic::error(
                    codes::SYNTAX,
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

// ------------------------------------------------------------------ splitting

/// One statement's byte range (code only: no trailing comment or line break).
#[derive(Debug)]
struct StatementChunk {
    start: usize,
    end: usize,
    /// Already reported while splitting (unterminated text, stray bracket).
    broken: bool,
}

struct Split {
    statements: Vec<StatementChunk>,
    comments: Vec<Comment>,
    diagnostics: Vec<Diagnostic>,
}

/// Error names that may follow `#` (then it is a value, not a comment).
const ERROR_NAMES: [&str; 7] = ["N/A", "DIV/0!", "VALUE!", "REF!", "NAME?", "NUM!", "NULL!"];

/// Length of the error literal starting at `at` (which holds `#`), if any.
fn error_literal_len(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at + 1..)?;
    ERROR_NAMES
        .iter()
        .find(|name| {
            rest.get(..name.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
        })
        .map(|name| name.len() + 1)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Does the statement continue on the next line because its last token is a
/// binary operator, a comma, a `:` or an operator word?
fn ends_with_continuation(text: &str, last_end: usize) -> bool {
    let bytes = text.as_bytes();
    let Some(&last) = last_end.checked_sub(1).and_then(|i| bytes.get(i)) else {
        return false;
    };
    if b"+-*/^&=<>,:".contains(&last) {
        return true;
    }
    if !is_ident_byte(last) {
        return false;
    }
    let mut start = last_end;
    while start > 0 && bytes.get(start - 1).copied().is_some_and(is_ident_byte) {
        start -= 1;
    }
    let word = text.get(start..last_end).unwrap_or("").to_ascii_lowercase();
    // A word that is part of `Table.word` is a name, not an operator.
    let dotted = start > 0 && bytes.get(start - 1) == Some(&b'.');
    !dotted
        && matches!(
            word.as_str(),
            "and" | "or" | "not" | "in" | "where" | "by" | "when"
        )
}

/// Does the line starting at `at` begin, unindented, with something that looks like
/// a new statement? Used only to recover from an unclosed bracket.
fn looks_like_statement_start(text: &str, at: usize) -> bool {
    let line = text.get(at..).unwrap_or("");
    let line = line.split('\n').next().unwrap_or("");
    let bytes = line.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return false;
    }
    let mut end = 0;
    while bytes.get(end).copied().is_some_and(is_ident_byte) {
        end += 1;
    }
    let word = line.get(..end).unwrap_or("").to_ascii_lowercase();
    if matches!(word.as_str(), "input" | "param" | "table" | "flag")
        && bytes.get(end).is_some_and(|b| *b == b' ' || *b == b'\t')
    {
        return true;
    }
    if bytes.get(end) == Some(&b'.') {
        end += 1;
        while bytes.get(end).copied().is_some_and(is_ident_byte) {
            end += 1;
        }
    }
    let rest = line.get(end..).unwrap_or("").trim_start();
    rest.starts_with('=') && !rest.starts_with("==")
}

/// Splits a file into statements and comments. A newline ends a statement unless a
/// bracket is open or the line ends with an operator or a comma.
fn split_statements(text: &str, file: FileId) -> Split {
    let bytes = text.as_bytes();
    let mut statements = Vec::new();
    let mut comments = Vec::new();
    let mut diagnostics = Vec::new();
    // Current statement: start, end of its last token, whether it is broken.
    let mut current: Option<(usize, usize, bool)> = None;
    let mut brackets: Vec<(u8, usize)> = Vec::new();
    let mut line_has_code = false;
    let mut i = 0;

    let finish = |current: &mut Option<(usize, usize, bool)>,
                  brackets: &mut Vec<(u8, usize)>,
                  statements: &mut Vec<StatementChunk>,
                  diagnostics: &mut Vec<Diagnostic>| {
        if let Some((start, end, mut broken)) = current.take() {
            if let Some(&(kind, at)) = brackets.last() {
                if !broken {
                    diagnostics.push(unclosed_bracket(kind, at, end, file));
                }
                broken = true;
            }
            brackets.clear();
            statements.push(StatementChunk { start, end, broken });
        }
    };

    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line_has_code = false;
                if let Some((_, end, _)) = current {
                    let continues = if brackets.is_empty() {
                        ends_with_continuation(text, end)
                    } else {
                        !looks_like_statement_start(text, i + 1)
                    };
                    if !continues {
                        finish(
                            &mut current,
                            &mut brackets,
                            &mut statements,
                            &mut diagnostics,
                        );
                    }
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' if error_literal_len(text, i).is_none() => {
                let mut end = i;
                while bytes.get(end).is_some_and(|b| *b != b'\n') {
                    end += 1;
                }
                let body = text.get(i + 1..end).unwrap_or("").trim_end();
                comments.push(Comment {
                    text: body.to_string(),
                    span: Span::new(file, i, i + 1 + body.len()),
                    trailing: line_has_code,
                });
                i = end;
            }
            _ => {
                line_has_code = true;
                let stmt = current.get_or_insert((i, i, false));
                let token_end = match b {
                    b'"' => {
                        let mut j = i + 1;
                        loop {
                            match bytes.get(j) {
                                Some(b'"') if bytes.get(j + 1) == Some(&b'"') => j += 2,
                                Some(b'"') => break j + 1,
                                Some(b'\n') | None => {
                                    let mut end = j;
                                    if end > i + 1 && bytes.get(end - 1) == Some(&b'\r') {
                                        end -= 1;
                                    }
                                    if !stmt.2 {
                                        diagnostics.push(unterminated_text(i, end, file));
                                    }
                                    stmt.2 = true;
                                    break end;
                                }
                                Some(_) => j += 1,
                            }
                        }
                    }
                    b'#' => i + error_literal_len(text, i).unwrap_or(1),
                    b'(' | b'{' => {
                        brackets.push((b, i));
                        if brackets.len() > MAX_NESTING && !stmt.2 {
                            diagnostics.push(too_deep(i, file));
                            stmt.2 = true;
                        }
                        i + 1
                    }
                    b')' | b'}' => {
                        let opener = if b == b')' { b'(' } else { b'{' };
                        match brackets.last() {
                            Some(&(kind, _)) if kind == opener => {
                                brackets.pop();
                            }
                            other => {
                                if !stmt.2 {
                                    diagnostics.push(unmatched_close(b, i, other.copied(), file));
                                }
                                stmt.2 = true;
                            }
                        }
                        i + 1
                    }
                    _ => {
                        // Advance over a whole UTF-8 character.
                        let width = text
                            .get(i..)
                            .and_then(|s| s.chars().next())
                            .map_or(1, char::len_utf8);
                        i + width
                    }
                };
                stmt.1 = token_end;
                i = token_end;
            }
        }
    }
    finish(
        &mut current,
        &mut brackets,
        &mut statements,
        &mut diagnostics,
    );
    Split {
        statements,
        comments,
        diagnostics,
    }
}

/// Rejects absurd bracket nesting before pest and the tree builder recurse into it.
fn nesting_check(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_text = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => in_text = !in_text,
            b'(' | b'{' if !in_text => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(too_deep(offset + i, file));
                }
            }
            b')' | b'}' if !in_text => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Deepest expression tree accepted. Long operator chains nest one level per
/// operator; later stages walk trees recursively, so very deep ones are refused here.
const MAX_TREE_DEPTH: usize = 256;

/// The direct sub-expressions of an expression.
fn children(expr: &Expr) -> Vec<&Expr> {
    match &expr.kind {
        ExprKind::Array(items) => items.iter().collect(),
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
                    codes::TOO_DEEP,
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
        ItemKind::GroupTable(g) => g.filter.iter().collect(),
        ItemKind::Column(c) => vec![&c.expr],
        ItemKind::Scalar(s) => vec![&s.expr],
        ItemKind::Flag(f) => std::iter::once(&f.condition)
            .chain(f.message.parts.iter().filter_map(|p| match p {
                TemplatePart::Hole { expr, .. } => Some(expr),
                TemplatePart::Literal(_) => None,
            }))
            .collect(),
        ItemKind::Input(_) => Vec::new(),
    };
    roots.into_iter().find_map(too_deep_expr)
}

fn too_deep(at: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_DEEP,
        format!("brackets are nested more than {MAX_NESTING} deep"),
        Span::new(file, at, at + 1),
    )
    .with_label("too deep here")
    .with_hint("split the formula into helper columns or scalars")
}

fn unterminated_text(start: usize, end: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        codes::UNTERMINATED_TEXT,
        "this text has no closing `\"`",
        Span::new(file, start, end.max(start + 1)),
    )
    .with_label("the text starts here and runs to the end of the line")
    .with_hint("end the text with `\"` on the same line; write `\"\"` for a quote inside text")
}

fn bracket_name(b: u8) -> &'static str {
    match b {
        b'(' => "`(`",
        b')' => "`)`",
        b'{' => "`{`",
        _ => "`}`",
    }
}

fn unclosed_bracket(kind: u8, at: usize, statement_end: usize, file: FileId) -> Diagnostic {
    let close = if kind == b'(' { b')' } else { b'}' };
    Diagnostic::error(
        codes::UNBALANCED_BRACKET,
        format!(
            "this {} is never closed",
            bracket_name(kind)
        ),
        Span::new(file, at, at + 1),
    )
    .with_label(format!("opened here, no matching {}", bracket_name(close)))
    .with_secondary(
        Span::new(file, statement_end.saturating_sub(1).max(at), statement_end.max(at + 1)),
        format!("the formula ends here; add {} before the end", bracket_name(close)),
    )
    .with_hint(format!(
        "add the missing {} (a formula may continue on the next line only while a bracket is open; indent such lines)",
        bracket_name(close)
    ))
}

fn unmatched_close(b: u8, at: usize, open: Option<(u8, usize)>, file: FileId) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        codes::UNBALANCED_BRACKET,
        format!("this {} has no matching opening bracket", bracket_name(b)),
        Span::new(file, at, at + 1),
    );
    match open {
        Some((kind, open_at)) => diagnostic
            .with_label(format!(
                "expected {} here",
                bracket_name(if kind == b'(' { b')' } else { b'}' })
            ))
            .with_secondary(
                Span::new(file, open_at, open_at + 1),
                format!("{} opened here", bracket_name(kind)),
            ),
        None => diagnostic
            .with_label("nothing to close")
            .with_hint("remove it, or add the missing opening bracket where the group starts"),
    }
}

// ------------------------------------------------------------------ syntax errors

/// What kind of thing a grammar rule stands for, in words a finance analyst uses.
fn describe_rule(rule: Rule) -> &'static str {
    match rule {
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
        | Rule::sign_op
        | Rule::op_not
        | Rule::date
        | Rule::number
        | Rule::text
        | Rule::boolean
        | Rule::error_literal
        | Rule::array
        | Rule::paren
        | Rule::call
        | Rule::function_name
        | Rule::qualified
        | Rule::name
        | Rule::argument => "a value (a number, \"text\", a name or a function call)",
        Rule::op_or
        | Rule::op_and
        | Rule::cmp_op
        | Rule::op_concat
        | Rule::add_op
        | Rule::mul_op
        | Rule::op_pow
        | Rule::op_percent
        | Rule::in_tail
        | Rule::op_in
        | Rule::op_not_in
        | Rule::kw_where => "an operator",
        Rule::EOI => "the end of the line",
        Rule::open_paren => "`(`",
        Rule::close_paren => "`)`",
        Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        Rule::comma | Rule::row_sep => "`,`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::format | Rule::format_name => "a format such as @percent",
        Rule::kw_group => "`group`",
        Rule::kw_by => "`by`",
        Rule::kw_when => "`when`",
        Rule::kw_input
        | Rule::kw_param
        | Rule::kw_table
        | Rule::kw_flag
        | Rule::statement_keyword => "a statement",
        Rule::input_decl
        | Rule::param_decl
        | Rule::group_table
        | Rule::flag_def
        | Rule::column_def
        | Rule::scalar_def
        | Rule::column_target
        | Rule::scalar_name
        | Rule::statement => "a statement",
        Rule::table_name => "a table name",
        Rule::column_name | Rule::column_decl => "a column name",
        Rule::param_name => "a parameter name",
        Rule::type_name => "a column type (number, text, bool, date or any)",
        Rule::optional_mark => "`?`",
        Rule::template => "the message in double quotes",
        _ => "something else",
    }
}

/// Joins descriptions as "a, b or c".
fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token found at `pos` of a statement, for messages and the caret.
fn token_at(text: &str, pos: usize) -> (String, usize) {
    let rest = text.get(pos..).unwrap_or("");
    let bytes = rest.as_bytes();
    match bytes.first() {
        None => (String::new(), 0),
        Some(b) if is_ident_byte(*b) => {
            let len = bytes.iter().take_while(|b| is_ident_byte(**b)).count();
            (rest.get(..len).unwrap_or("").to_string(), len)
        }
        Some(b'"') => {
            let len = rest
                .get(1..)
                .and_then(|r| r.find('"'))
                .map_or(rest.len(), |i| i + 2);
            (rest.get(..len).unwrap_or("").to_string(), len)
        }
        Some(_) => {
            for two in ["==", "!=", "&&", "||", "=>", "=<"] {
                if rest.starts_with(two) {
                    return (two.to_string(), 2);
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            (c.to_string(), c.len_utf8())
        }
    }
}

/// The last token before `pos` (skipping spaces), for "after `+`".
fn token_before(text: &str, pos: usize) -> String {
    let before = text.get(..pos).unwrap_or("").trim_end();
    let bytes = before.as_bytes();
    let Some(&last) = bytes.last() else {
        return String::new();
    };
    if is_ident_byte(last) {
        let len = bytes
            .iter()
            .rev()
            .take_while(|b| is_ident_byte(**b) || **b == b'.')
            .count();
        before.get(before.len() - len..).unwrap_or("").to_string()
    } else {
        before.chars().last().map(String::from).unwrap_or_default()
    }
}

/// Is `pos` inside the argument list of a function call?
fn inside_call(text: &str, pos: usize) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    let mut in_text = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate().take(pos) {
        match b {
            b'"' => in_text = !in_text,
            b'(' if !in_text => {
                let is_call = i > 0 && bytes.get(i - 1).copied().is_some_and(is_ident_byte);
                stack.push(is_call);
            }
            b'{' if !in_text => stack.push(false),
            b')' | b'}' if !in_text => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.last().copied().unwrap_or(false)
}

const STATEMENT_FORMS: &str = "a statement is one of: `input T (col: type, …)`, `param name = value`, `table T = group Source by col`, `T.col = formula`, `name = formula`, `flag T when condition: \"message\"`";

/// Turns a pest error on one statement into a diagnostic a finance analyst can act on.
fn syntax_error(
    error: &pest::error::Error<Rule>,
    text: &str,
    offset: usize,
    file: FileId,
) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let (mut found, mut found_len) = token_at(text, pos);
    let mut pos = pos;
    // `a && b` fails after the first `&`: report the pair as written.
    if pos > 0
        && let Some(pair @ ("&&" | "||" | "==")) = text.get(pos - 1..pos + 1)
    {
        pos -= 1;
        found = pair.to_string();
        found_len = 2;
    }
    let at_end = found.is_empty();
    let span = if at_end {
        // Point at the last token, which is what is left dangling.
        let before = text.get(..pos).unwrap_or("").trim_end();
        let start = before.len() - token_before(text, pos).len();
        Span::new(file, offset + start, offset + before.len())
    } else {
        Span::new(file, offset + pos, offset + pos + found_len)
    };
    let statement_word = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let previous = token_before(text, pos);
    let expects = |rule: Rule| positives.contains(&rule);
    let expects_value = positives
        .iter()
        .any(|r| describe_rule(*r).starts_with("a value"));
    let expects_operator = positives.iter().any(|r| describe_rule(*r) == "an operator");
    let in_call = inside_call(text, pos);
    let found_shown = if at_end {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };

    let mut descriptions: Vec<&str> = positives.iter().map(|r| describe_rule(*r)).collect();
    descriptions.sort_unstable();
    descriptions.dedup();
    // Operators first, then the rest, in a stable order.
    descriptions.sort_by_key(|d| match *d {
        s if s.starts_with("a value") => 0,
        "an operator" => 1,
        "the end of the line" => 9,
        _ => 5,
    });
    let expected = join_or(&descriptions);
    let generic = || {
        Diagnostic::error(
            codes::SYNTAX,
            format!("expected {expected}, found {found_shown}"),
            span,
        )
        .with_label(format!("expected {expected}"))
    };

    // Characters and spellings people bring from other tools.
    if found.starts_with('\'') {
        return Diagnostic::error(
            codes::STRAY_CHARACTER,
            "text must be in double quotes",
            span,
        )
        .with_label("single quotes are not used in formulas")
        .with_hint("write \"Closed Won\", not 'Closed Won'");
    }
    match found.as_str() {
        "==" => {
            return Diagnostic::error(codes::SYNTAX, "`==` is not an operator here", span)
                .with_label("use a single `=`")
                .with_hint("compare with a single `=`, as in Excel: stage = \"Closed Won\"");
        }
        "!=" | "=<" | "=>" => {
            let better = match found.as_str() {
                "!=" => "<>",
                "=<" => "<=",
                _ => ">=",
            };
            return Diagnostic::error(codes::SYNTAX, format!("`{found}` is not an operator"), span)
                .with_label(format!("write `{better}`"))
                .with_hint(format!(
                    "comparisons are written as in Excel: = <> < <= > >=; use `{better}`"
                ));
        }
        "&&" | "||" => {
            let word = if found == "&&" { "and" } else { "or" };
            return Diagnostic::error(codes::SYNTAX, format!("`{found}` is not an operator"), span)
                .with_label(format!("write `{word}`"))
                .with_hint(format!("combine conditions with `{word}`; `&` joins text"));
        }
        _ => {}
    }
    let stray = found.chars().next().filter(|c| {
        found.chars().count() == 1
            && (matches!(
                c,
                '$' | '€'
                    | '£'
                    | '¥'
                    | ';'
                    | '['
                    | ']'
                    | '!'
                    | '~'
                    | '`'
                    | '\\'
                    | '|'
                    | '?'
                    | '@'
                    | '.'
                    | ':'
            ) || !c.is_ascii())
    });
    if let Some(c) = stray {
        let allowed_here = (c == ';' && expects(Rule::row_sep))
            || (c == '@' && expects(Rule::format))
            || (c == '?' && expects(Rule::optional_mark))
            || (c == ':' && expects(Rule::colon));
        if !allowed_here {
            let hint = match c {
                '$' | '€' | '£' | '¥' => {
                    "write amounts as plain numbers (1500000); show them as money with @currency"
                }
                ';' => "separate function arguments with `,`",
                '[' | ']' => "group with `(` and `)`; refer to a column as Table.column",
                '!' => "use `<>` for \"not equal\" and `not` to negate a condition",
                '@' => "a format annotation like @percent goes at the end of a definition",
                '.' => "refer to a column as Table.column, with a name on both sides of the dot",
                ':' => {
                    "`:` only ends the condition of a flag: flag Channels when roi < 1: \"message\""
                }
                c if c.is_alphabetic() => {
                    "names use only the letters A-Z and a-z, digits and `_`; text with other letters goes in double quotes"
                }
                _ => "remove this character",
            };
            let mut message = format!("unexpected character `{c}`");
            if expects_operator && !expects_value {
                message.push_str("; expected an operator or the end of the line");
            }
            return Diagnostic::error(codes::STRAY_CHARACTER, message, span)
                .with_label("not part of the formula language")
                .with_hint(hint);
        }
    }

    // `where` in the wrong place.
    if found.eq_ignore_ascii_case("where") && !expects(Rule::kw_by) && !expects_value {
        return Diagnostic::error(
            codes::WHERE_OUTSIDE_CALL,
            "`where` can only filter a list inside a function call",
            span,
        )
        .with_label("not inside a function's brackets")
        .with_hint("filter the rows an aggregate sees: SUM(Opportunities.amount where is_won)");
    }
    // An operator word where a name or value belongs.
    let lower = found.to_ascii_lowercase();
    if matches!(lower.as_str(), "and" | "or" | "not" | "in" | "where") && expects_value {
        return Diagnostic::error(
            codes::KEYWORD_AS_NAME,
            format!("`{found}` is an operator, not a value"),
            span,
        )
        .with_label(format!("expected a value before or instead of `{found}`"))
        .with_hint(format!(
            "a value is missing before `{found}`; to call the Excel function write `{}(…)` with no space before `(`",
            found.to_ascii_uppercase()
        ));
    }
    if matches!(
        lower.as_str(),
        "input" | "param" | "table" | "flag" | "group" | "by" | "when"
    ) && (expects_value || expects_operator)
        && !expects(Rule::kw_group)
        && !expects(Rule::kw_by)
        && !expects(Rule::kw_when)
    {
        return Diagnostic::error(
            codes::KEYWORD_AS_NAME,
            format!("`{found}` starts a statement and cannot appear inside a formula"),
            span,
        )
        .with_label("a statement keyword")
        .with_hint("each statement goes on its own line; did a previous line end with an operator or a comma?");
    }

    // A line that starts with an operator: the author meant to continue the previous one.
    if text.get(..pos).is_some_and(|t| t.trim().is_empty())
        && ["+", "-", "*", "/", "^", "&", "=", "<", ">", ","].contains(&found.as_str())
    {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("a statement cannot start with `{found}`"),
            span,
        )
        .with_label("the previous line already ended its statement")
        .with_hint(format!(
            "to continue a formula on the next line, end the previous line with the operator: `revenue {found}` then the rest indented below"
        ));
    }
    // A formula with no name: `SUM(x)` alone on a line.
    if found == "(" && expects(Rule::equals) && !text.get(..pos).unwrap_or("").contains(['=', ' '])
    {
        let name = text.get(..pos).unwrap_or("");
        return Diagnostic::error(
            codes::MISSING_EQUALS,
            "a formula on its own line needs a name",
            Span::new(file, offset, offset + pos + 1),
        )
        .with_label(format!("`{name}(…)` is not a definition"))
        .with_hint(format!("give it a name, e.g. `total = {}`", text.trim()))
        .with_hint(STATEMENT_FORMS);
    }

    // Statement-specific expectations.
    if expects(Rule::kw_by) {
        return Diagnostic::error(
            codes::MISSING_BY,
            format!("expected `by` and the key columns, found {found_shown}"),
            span,
        )
        .with_label("expected `by` here")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    if expects(Rule::kw_group) {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("expected `group`, found {found_shown}"),
            span,
        )
        .with_label("expected `group` here")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    if expects(Rule::kw_when) {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("expected `when` and a condition, found {found_shown}"),
            span,
        )
        .with_label("expected `when` here")
        .with_hint("a flag is written: flag Channels when roi < 1: \"ROI {roi:0.00} is below 1\"");
    }
    if statement_word == "flag" && expects(Rule::colon) {
        return Diagnostic::error(
            codes::MISSING_FLAG_COLON,
            format!("expected `:` before the flag message, found {found_shown}"),
            span,
        )
        .with_label("expected `:` here")
        .with_hint("end the condition with `:` and give the message in double quotes: flag Channels when roi < 1: \"ROI is low\"");
    }
    if expects(Rule::template) {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("expected the flag message in double quotes, found {found_shown}"),
            span,
        )
        .with_label("expected \"message\" here")
        .with_hint("text must be in double quotes: flag Channels when roi < 1: \"ROI is low\"");
    }
    if expects(Rule::equals) && !expects_value {
        let target = text.get(..pos).unwrap_or("").trim();
        return Diagnostic::error(
            codes::MISSING_EQUALS,
            format!("expected `=` after `{target}`, found {found_shown}"),
            span,
        )
        .with_label("expected `=` here")
        .with_hint(format!("a definition is written `{target} = formula`"));
    }
    let keyword_forms = [
        ("param", Rule::param_name, "param gross_margin = 72%"),
        (
            "table",
            Rule::table_name,
            "table Channels = group Opportunities by channel",
        ),
        (
            "input",
            Rule::table_name,
            "input Opportunities (opp_id: text, amount: number)",
        ),
        (
            "flag",
            Rule::table_name,
            "flag Channels when roi < 1: \"ROI is low\"",
        ),
    ];
    if let Some((word, _, example)) = keyword_forms.iter().find(|(word, rule, _)| {
        statement_word == *word
            && expects(*rule)
            && text
                .get(..pos)
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(word))
    }) {
        let what = if *word == "param" {
            "a parameter name"
        } else {
            "a table name"
        };
        return Diagnostic::error(
            codes::KEYWORD_AS_NAME,
            format!("expected {what} after `{word}`, found {found_shown}"),
            span,
        )
        .with_label(format!("expected {what} here"))
        .with_hint(format!("`{word}` starts a statement: {example}"))
        .with_hint(format!(
            "`{word}` cannot be used as a name; choose another name"
        ));
    }
    if statement_word == "input"
        && (expects(Rule::type_name) || expects(Rule::colon) || expects(Rule::column_decl))
    {
        return generic().with_hint(
            "declare each input column as name: type, e.g. amount: number or close_date: date?",
        );
    }
    if expects(Rule::column_target) || expects(Rule::input_decl) || expects(Rule::statement) {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("expected a statement, found {found_shown}"),
            span,
        )
        .with_label("no statement starts like this")
        .with_hint(STATEMENT_FORMS);
    }

    // Inside formulas.
    if expects_value && at_end {
        let message = if previous.is_empty() {
            "the formula is missing".to_string()
        } else {
            format!("the formula ends after `{previous}`; expected a value")
        };
        return Diagnostic::error(codes::SYNTAX, message, span)
            .with_label(format!("expected a value after `{previous}`"))
            .with_hint("complete the formula, or remove the trailing operator");
    }
    if expects_value && (found == ")" || found == "," || found == "}") {
        return Diagnostic::error(
            codes::SYNTAX,
            format!("expected a value before `{found}`"),
            span,
        )
        .with_label("a value is missing here")
        .with_hint(if previous == "(" || previous == "," {
            "empty arguments are not allowed; give every argument a value"
        } else {
            "each operator needs a value on both sides"
        });
    }
    if expects_value && !expects_operator {
        let mut diagnostic = Diagnostic::error(
            codes::SYNTAX,
            format!("expected a value, found {found_shown}"),
            span,
        )
        .with_label(format!("expected a value after `{previous}`"));
        if previous == "=" && found == "=" {
            diagnostic = diagnostic.with_hint("compare with a single `=`");
        } else {
            diagnostic = diagnostic.with_hint("a value is a number, \"text\" in double quotes, a name, Table.column, or a function call like SUM(…)");
        }
        return diagnostic;
    }
    if expects_operator && !at_end {
        // Two values side by side.
        let (message, hint) = if in_call {
            (
                format!("expected an operator, `,` or `)`, found {found_shown}"),
                "did you forget a comma between arguments?",
            )
        } else if expects(Rule::close_paren) {
            (
                format!("expected an operator or `)`, found {found_shown}"),
                "did you forget an operator (+ - * / &) or a `)`?",
            )
        } else if expects(Rule::close_brace) {
            (
                format!("expected `,` or `}}`, found {found_shown}"),
                "separate the values of a list with `,`",
            )
        } else {
            (
                format!("expected an operator or the end of the line, found {found_shown}"),
                "did you forget an operator (+ - * / &) between the two values? A statement ends at the end of its line.",
            )
        };
        let label = if in_call {
            "a `,` or an operator is missing before this"
        } else {
            "an operator is missing before this"
        };
        let mut diagnostic = Diagnostic::error(codes::SYNTAX, message, span)
            .with_label(label)
            .with_hint(hint);
        if found.starts_with('"')
            && previous
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            diagnostic = diagnostic
                .with_hint("text must be in double quotes as a whole, e.g. \"Closed Won\"");
        }
        return diagnostic;
    }
    let hint = if in_call {
        "check the function's brackets and commas"
    } else {
        STATEMENT_FORMS
    };
    generic().with_hint(hint)
}

// ------------------------------------------------------------------ AST building

/// Builds AST nodes from pest pairs of one statement, collecting the semantic
/// problems it finds (bad dates, unknown formats) as diagnostics.
struct Builder {
    file: FileId,
    /// Byte offset of the parsed text in the file.
    offset: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Builder {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: Arc::from(pair.as_str()),
            span: self.span(pair),
        }
    }

    /// Records an "internal" problem: the tree did not have the expected shape.
    fn shape_error<T>(&mut self, span: Span) -> Option<T> {
        self.diagnostics.push(Diagnostic::error(
            codes::SYNTAX,
            "internal parser error: unexpected syntax tree",
            span,
        ));
        None
    }

    fn statement(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().find(|p| p.as_rule() != Rule::EOI) else {
            return self.shape_error(span);
        };
        let span = self.span(&inner);
        let kind = match inner.as_rule() {
            Rule::input_decl => ItemKind::Input(self.input_decl(inner)?),
            Rule::param_decl => ItemKind::Param(self.param_decl(inner)?),
            Rule::group_table => ItemKind::GroupTable(self.group_table(inner)?),
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
        let mut ty = ColumnType::Any;
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::column_name => name = Some(self.ident(&p)),
                Rule::type_name => match ColumnType::parse(p.as_str()) {
                    Some(t) => ty = t,
                    None => {
                        let known = ["number", "text", "bool", "date", "any"];
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_TYPE,
                            format!("`{}` is not a column type", p.as_str()),
                            self.span(&p),
                        )
                        .with_label("unknown type");
                        if let Some(best) = did_you_mean(p.as_str(), known) {
                            d = d.with_hint(format!("did you mean `{best}`?"));
                        }
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
        let (mut name, mut default, mut format) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::param_name => name = Some(self.ident(&p)),
                Rule::expr => default = self.expr(p),
                Rule::format => format = self.format(p),
                _ => {}
            }
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

    fn group_table(&mut self, pair: Pair<'_, Rule>) -> Option<GroupTableDecl> {
        let span = self.span(&pair);
        let mut tables = Vec::new();
        let mut keys = Vec::new();
        let mut filter = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => tables.push(self.ident(&p)),
                Rule::column_name => keys.push(self.ident(&p)),
                Rule::expr => filter = self.expr(p),
                _ => {}
            }
        }
        let mut tables = tables.into_iter();
        match (tables.next(), tables.next()) {
            (Some(name), Some(source)) => Some(GroupTableDecl {
                name,
                source,
                keys,
                filter,
            }),
            _ => self.shape_error(span),
        }
    }

    fn flag_def(&mut self, pair: Pair<'_, Rule>) -> Option<FlagDef> {
        let span = self.span(&pair);
        let (mut table, mut condition, mut message) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => table = Some(self.ident(&p)),
                Rule::expr => condition = self.expr(p),
                Rule::template => message = self.template(p),
                _ => {}
            }
        }
        match (table, condition, message) {
            (Some(table), Some(condition), Some(message)) => Some(FlagDef {
                table,
                condition,
                message,
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

    fn column_def(&mut self, pair: Pair<'_, Rule>) -> Option<ColumnDef> {
        let span = self.span(&pair);
        let (mut target, mut expr, mut format) = (None, None, None);
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
                Rule::format => format = self.format(p),
                _ => {}
            }
        }
        match (target, expr) {
            (Some((table, column)), Some(expr)) => Some(ColumnDef {
                table,
                column,
                expr,
                format,
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
        let (mut name, mut expr, mut format) = (None, None, None);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::scalar_name => name = Some(self.ident(&p)),
                Rule::expr => expr = self.expr(p),
                Rule::format => format = self.format(p),
                _ => {}
            }
        }
        match (name, expr) {
            (Some(name), Some(expr)) => Some(ScalarDef { name, expr, format }),
            _ => {
                if self.diagnostics.is_empty() {
                    return self.shape_error(span);
                }
                None
            }
        }
    }

    fn format(&mut self, pair: Pair<'_, Rule>) -> Option<Format> {
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
                    _ => {
                        let known = ["percent", "currency", "date", "integer", "decimal"];
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_FORMAT,
                            format!("`@{word}` is not a known format"),
                            span,
                        )
                        .with_label("unknown format");
                        if let Some(best) = did_you_mean(word, known) {
                            d = d.with_hint(format!("did you mean `@{best}`?"));
                        }
                        self.diagnostics.push(d.with_hint(
                            "formats are @percent, @currency, @date, @integer, @decimal, or an Excel number format in quotes such as @\"0.0x\"",
                        ));
                        return None;
                    }
                }
            }
        };
        Some(Format { kind, span })
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
                            codes::BAD_TEMPLATE,
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
                        codes::BAD_TEMPLATE,
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
                Diagnostic::error(codes::BAD_TEMPLATE, "empty `{}` in the flag message", hole_span)
                    .with_label("nothing to show here")
                    .with_hint("put a column or formula inside, e.g. {roi:0.00}, or write `{{}}` for literal braces"),
            );
            return None;
        }
        if let Some(q) = hole.find('"') {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::BAD_TEMPLATE,
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
                            codes::BAD_TEMPLATE,
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
                            code: codes::BAD_TEMPLATE,
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
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
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
                let mut items = Vec::new();
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::expr {
                        items.push(self.expr(p)?);
                    }
                }
                Some(Expr {
                    kind: ExprKind::Array(items),
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
                            codes::NUMBER_OUT_OF_RANGE,
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
                let serial = serial.unwrap_or_else(|| {
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::INVALID_DATE,
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
fn unescape_text(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    inner.replace("\"\"", "\"")
}
