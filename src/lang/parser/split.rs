//! Splits a rule file into statements and comments before parsing: a newline ends
//! a statement unless a bracket is open or the line ends with an operator or a comma.

use super::{MAX_NESTING, MAX_STATEMENT_BYTES};
use crate::diagnostic::Code;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{FileId, Span};
use crate::lang::ast::Comment;

/// One statement's byte range (code only: no trailing comment or line break).
#[derive(Debug)]
pub(super) struct StatementChunk {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Already reported while splitting (unterminated text, stray bracket).
    pub(super) broken: bool,
}

pub(super) struct Split {
    pub(super) statements: Vec<StatementChunk>,
    pub(super) comments: Vec<Comment>,
    pub(super) diagnostics: Vec<Diagnostic>,
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

pub(super) fn is_ident_byte(b: u8) -> bool {
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
pub(super) fn split_statements(text: &str, file: FileId) -> Split {
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
            if end - start > MAX_STATEMENT_BYTES && !broken {
                diagnostics.push(too_long(start, end, file));
                broken = true;
            }
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
pub(super) fn nesting_check(text: &str, offset: usize, file: FileId) -> Option<Diagnostic> {
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
pub(super) fn too_long(start: usize, end: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        format!(
            "this statement is {} characters long, more than the {MAX_STATEMENT_BYTES} allowed",
            end - start
        ),
        Span::new(file, start, (start + 1).min(end)),
    )
    .with_label("the statement starts here")
    .with_hint("split the formula into helper columns or scalars")
}

fn too_deep(at: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        format!("brackets are nested more than {MAX_NESTING} deep"),
        Span::new(file, at, at + 1),
    )
    .with_label("too deep here")
    .with_hint("split the formula into helper columns or scalars")
}

fn unterminated_text(start: usize, end: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        Code::UnterminatedText,
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
        Code::UnbalancedBracket,
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
        Code::UnbalancedBracket,
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
