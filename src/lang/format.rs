//! The canonical layout of rule files (`chanmix fmt`): one statement per line,
//! single spaces around operators, Excel-style upper-case function names, comments kept.
//!
//! Layout rules (idempotent: formatting formatted text changes nothing):
//! - statement keywords and operator words lower case, `IN` / `NOT IN`, `TRUE` /
//!   `FALSE` and function names upper case; numbers, dates and text as written;
//! - one space around binary operators and `=`, `, ` after commas, none inside brackets;
//! - a format annotation and a trailing comment follow after two spaces;
//! - own-line comments stay before the statement they preceded; a comment written
//!   inside a multi-line statement moves above that statement;
//! - the author's blank lines are kept, at most one in a row;
//! - consecutive `param`s, and consecutive column definitions of one table, have
//!   their `=` aligned (a blank line ends such a run);
//! - a statement whose canonical form would be longer than the parser accepts (extra
//!   spaces after 10,000 commas) is kept as written, so `fmt` never writes a file it
//!   would itself reject.

use super::ast::{
    BinaryOp, Comment, Expr, ExprKind, Format, FormatKind, Item, ItemKind, Look, RuleFile,
    Template, TemplatePart, UnaryOp,
};
use super::parser::MAX_STATEMENT_BYTES;
use crate::diagnostic::source::SourceMap;

/// Formats a parsed rule file in the canonical layout. `sources` supplies the
/// original text, used only to see where the author left blank lines.
pub fn format_rule_file(file: &RuleFile, sources: &SourceMap) -> String {
    let text = sources.get(file.file).map_or("", |f| f.text.as_str());
    let blank_before = |from: usize, to: usize| {
        text.get(from..to)
            .is_some_and(|gap| gap.matches('\n').count() >= 2)
    };

    // Sort comments into: above an item (own-line or inside it), trailing an item,
    // or standing alone between items.
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut comments = file.comments.iter().peekable();
    for (index, item) in file.items.iter().enumerate() {
        let mut leading = Vec::new();
        // Own-line comments before this item.
        while let Some(c) = comments.next_if(|c| c.span.start < item.span.start) {
            entries.push(Entry::Comment(c));
        }
        // Comments inside a multi-line statement move above it.
        while let Some(c) = comments.next_if(|c| c.span.start < item.span.end) {
            leading.push(c);
        }
        // A comment on the statement's last line trails it.
        let trailing = comments.next_if(|c| {
            c.trailing
                && text
                    .get(item.span.end..c.span.start)
                    .is_some_and(|gap| !gap.contains('\n'))
        });
        entries.push(Entry::Item {
            index,
            item,
            leading,
            trailing,
        });
    }
    entries.extend(comments.map(Entry::Comment));

    // Which items align their `=` with their neighbours: runs of params, and runs
    // of column definitions of one table, not broken by a blank line.
    let widths = alignment_widths(file, &entries, &blank_before);

    let mut out = String::new();
    let mut previous_end: Option<usize> = None;
    for entry in &entries {
        let start = entry.start();
        if let Some(end) = previous_end
            && blank_before(end, start)
        {
            out.push('\n');
        }
        match entry {
            Entry::Comment(c) => push_comment_line(&mut out, c),
            Entry::Item {
                index,
                item,
                leading,
                trailing,
            } => {
                let width = widths.get(*index).copied().unwrap_or(0);
                let formatted = format_item(item, width);
                match text.get(item.span.start..item.span.end) {
                    // Canonical spacing would make the statement longer than the parser
                    // accepts: it stays as written (comments inside it included).
                    Some(written) if formatted.len() > MAX_STATEMENT_BYTES => {
                        out.push_str(&written.replace("\r\n", "\n"));
                    }
                    _ => {
                        for c in leading {
                            push_comment_line(&mut out, c);
                        }
                        out.push_str(&formatted);
                    }
                }
                if let Some(c) = trailing {
                    out.push_str("  #");
                    out.push_str(&c.text);
                }
                out.push('\n');
            }
        }
        previous_end = Some(entry.end());
    }
    out
}

/// One line of output before layout: a standalone comment or a statement with the
/// comments attached to it.
enum Entry<'a> {
    Comment(&'a Comment),
    Item {
        index: usize,
        item: &'a Item,
        leading: Vec<&'a Comment>,
        trailing: Option<&'a Comment>,
    },
}

impl Entry<'_> {
    fn start(&self) -> usize {
        match self {
            Entry::Comment(c) => c.span.start,
            Entry::Item { item, .. } => item.span.start,
        }
    }

    fn end(&self) -> usize {
        match self {
            Entry::Comment(c) => c.span.end,
            Entry::Item { item, trailing, .. } => {
                trailing.map_or(item.span.end, |c| c.span.end.max(item.span.end))
            }
        }
    }
}

fn push_comment_line(out: &mut String, comment: &Comment) {
    out.push('#');
    out.push_str(&comment.text);
    out.push('\n');
}

/// What an item's `=` aligns with: its table (for columns) or all params.
fn alignment_group(item: &Item) -> Option<(u8, &str)> {
    match &item.kind {
        ItemKind::Column(c) => Some((0, &c.table.name)),
        ItemKind::Param(_) => Some((1, "")),
        _ => None,
    }
}

/// For each item, the width its left-hand side is padded to (0: no padding).
fn alignment_widths(
    file: &RuleFile,
    entries: &[Entry<'_>],
    blank_before: &dyn Fn(usize, usize) -> bool,
) -> Vec<usize> {
    let mut widths = vec![0; file.items.len()];
    let mut run: Vec<usize> = Vec::new();
    let mut run_group: Option<(u8, &str)> = None;
    let mut previous_end: Option<usize> = None;
    let mut close_run = |run: &mut Vec<usize>| {
        let width = run
            .iter()
            .filter_map(|i| file.items.get(*i))
            .map(|item| lhs(item).chars().count())
            .max()
            .unwrap_or(0);
        for i in run.drain(..) {
            if let Some(w) = widths.get_mut(i) {
                *w = width;
            }
        }
    };
    for entry in entries {
        let gap = previous_end.is_some_and(|end| blank_before(end, entry.start()));
        previous_end = Some(entry.end());
        let Entry::Item { index, item, .. } = entry else {
            continue;
        };
        let group = alignment_group(item);
        if gap || group != run_group || group.is_none() {
            close_run(&mut run);
        }
        run_group = group;
        if group.is_some() {
            run.push(*index);
        }
    }
    close_run(&mut run);
    widths
}

/// The text left of a definition's `=`.
fn lhs(item: &Item) -> String {
    match &item.kind {
        ItemKind::Column(c) => format!("{}.{}", c.table.name, c.column.name),
        ItemKind::Param(p) => format!("param {}", p.name.name),
        ItemKind::Scalar(s) => s.name.name.to_string(),
        ItemKind::GroupTable(t) => format!("table {}", t.name.name),
        ItemKind::AnalysisTable(t) => format!("table {}", t.name.name),
        ItemKind::Input(_) | ItemKind::Script(_) | ItemKind::Flag(_) => String::new(),
    }
}

/// Formats one statement on one line; `width` pads the left-hand side of `=`.
fn format_item(item: &Item, width: usize) -> String {
    let padded = |item: &Item| {
        let left = lhs(item);
        let pad = width.saturating_sub(left.chars().count());
        format!("{left}{} = ", " ".repeat(pad))
    };
    match &item.kind {
        ItemKind::Script(script) => format!("script \"{}\"", script.path.replace('"', "\"\"")),
        ItemKind::Input(input) => {
            let columns: Vec<String> = input
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}{}",
                        c.name.name,
                        c.ty.as_str(),
                        if c.optional { "?" } else { "" }
                    )
                })
                .collect();
            format!("input {} ({})", input.table.name, columns.join(", "))
        }
        ItemKind::Param(p) => {
            format!(
                "{}{}{}",
                padded(item),
                format_expr(&p.default),
                annotation(&p.format)
            )
        }
        ItemKind::GroupTable(t) => {
            let keys: Vec<&str> = t.keys.iter().map(|k| &*k.name).collect();
            let mut line = format!(
                "{}group {} by {}",
                padded(item),
                t.source.name,
                keys.join(", ")
            );
            if let Some(filter) = &t.filter {
                line.push_str(" where ");
                line.push_str(&format_expr(filter));
            }
            if !t.order.is_empty() {
                let keys: Vec<String> = t
                    .order
                    .iter()
                    .map(|k| match k.direction {
                        Some(direction) => {
                            format!("{} {}", format_expr(&k.expr), direction.as_str())
                        }
                        None => format_expr(&k.expr),
                    })
                    .collect();
                line.push_str(" order by ");
                line.push_str(&keys.join(", "));
            }
            line
        }
        ItemKind::AnalysisTable(t) => {
            // Analysis names are words of the language, written lower case like keywords.
            let mut line = format!(
                "{}{} {}",
                padded(item),
                t.analysis.name.to_ascii_lowercase(),
                t.source.name
            );
            if !t.keys.is_empty() {
                let keys: Vec<&str> = t.keys.iter().map(|k| &*k.name).collect();
                line.push_str(&format!(" by {}", keys.join(", ")));
            }
            let args: Vec<String> = t
                .args
                .iter()
                .map(|a| format!("{} = {}", a.name.name, format_expr(&a.value)))
                .collect();
            line.push_str(&format!(" ({})", args.join(", ")));
            line
        }
        ItemKind::Column(c) => {
            format!(
                "{}{}{}",
                padded(item),
                format_expr(&c.expr),
                annotations(&c.format, &c.look)
            )
        }
        ItemKind::Scalar(s) => {
            format!(
                "{}{}{}",
                padded(item),
                format_expr(&s.expr),
                annotations(&s.format, &s.look)
            )
        }
        ItemKind::Flag(f) => {
            let mut clauses = String::new();
            if let Some((severity, _)) = f.severity {
                clauses.push_str(&format!(" severity {}", severity.as_str()));
            }
            if let Some(rank_by) = &f.rank_by {
                clauses.push_str(&format!(" rank by {}", format_expr(rank_by)));
            }
            if let Some(topic) = &f.topic {
                clauses.push_str(&format!(" topic {}", topic.name));
            }
            format!(
                "flag {} when {}{clauses}: {}",
                f.table.name,
                format_expr(&f.condition),
                format_template(&f.message)
            )
        }
    }
}

/// A definition's number format and drawing words, two spaces after the formula.
fn annotations(format: &Option<Format>, look: &Look) -> String {
    let mut text = annotation(format);
    let words = look.words();
    if !words.is_empty() {
        if text.is_empty() {
            text.push(' ');
        }
        for word in words {
            text.push_str(&format!(" @{word}"));
        }
    }
    text
}

fn annotation(format: &Option<Format>) -> String {
    let Some(format) = format else {
        return String::new();
    };
    let name = match &format.kind {
        FormatKind::Percent => "percent".to_string(),
        FormatKind::Currency => "currency".to_string(),
        FormatKind::Date => "date".to_string(),
        FormatKind::Integer => "integer".to_string(),
        FormatKind::Decimal => "decimal".to_string(),
        FormatKind::Custom(text) => quote(text),
    };
    format!("  @{name}")
}

/// A text literal in the language: double quotes, `""` for a quote inside.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn format_template(template: &Template) -> String {
    let mut out = String::from("\"");
    for part in &template.parts {
        match part {
            TemplatePart::Literal(text) => out.push_str(
                &text
                    .replace('"', "\"\"")
                    .replace('{', "{{")
                    .replace('}', "}}"),
            ),
            TemplatePart::Hole { expr, format } => {
                out.push('{');
                out.push_str(&format_expr(expr));
                if let Some(format) = format {
                    out.push(':');
                    out.push_str(format);
                }
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

/// Formats an expression in canonical spacing. The tree keeps the author's
/// parentheses, so printing it without adding any re-parses to the same tree.
pub fn format_expr(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_list(out: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item);
    }
}

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number { text, .. } => out.push_str(text),
        ExprKind::Text(text) => out.push_str(&quote(text)),
        ExprKind::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        ExprKind::Date { text, .. } => out.push_str(text),
        ExprKind::Error(kind) => out.push_str(kind.as_str()),
        ExprKind::Array(rows) => {
            out.push('{');
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                write_list(out, row);
            }
            out.push('}');
        }
        ExprKind::Name(ident) => out.push_str(&ident.name),
        ExprKind::Qualified { table, column } => {
            out.push_str(&table.name);
            out.push('.');
            out.push_str(&column.name);
        }
        ExprKind::Unary { op, operand } => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
                UnaryOp::Not => "not ",
            });
            write_expr(out, operand);
        }
        ExprKind::Percent(operand) => {
            write_expr(out, operand);
            out.push('%');
        }
        ExprKind::Binary { op, lhs, rhs } => {
            write_expr(out, lhs);
            out.push(' ');
            out.push_str(match op {
                BinaryOp::And => "and",
                BinaryOp::Or => "or",
                other => other.symbol(),
            });
            out.push(' ');
            write_expr(out, rhs);
        }
        ExprKind::In {
            needle,
            list,
            negated,
        } => {
            write_expr(out, needle);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_list(out, list);
            out.push(')');
        }
        ExprKind::Call { function, args } => {
            // Excel's functions in capitals; a script's function as its script names it.
            if crate::functions::Registry::builtin()
                .lookup(&function.name)
                .is_some()
            {
                out.push_str(&function.name.to_ascii_uppercase());
            } else {
                out.push_str(&function.name);
            }
            out.push('(');
            write_list(out, args);
            out.push(')');
        }
        ExprKind::Where { list, condition } => {
            write_expr(out, list);
            out.push_str(" where ");
            write_expr(out, condition);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(out, inner);
            out.push(')');
        }
    }
}
