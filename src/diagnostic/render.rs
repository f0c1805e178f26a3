//! The one place diagnostics become text: ariadne reports for people (with or
//! without color) and a JSON array for tools and editors.

use ariadne::{Config, IndexType, Label, Report, ReportKind};

use super::source::{SourceMap, Span};
use super::{Diagnostic, Severity};
use crate::terminal::{EscapedSource, printable};

/// A span in ariadne's terms: the file's path as shown to the user, and a byte range.
type ReportSpan = (String, std::ops::Range<usize>);

/// Renders diagnostics as ariadne reports, one after another. Each shows
/// `path:line:col`, the code and message, the source line with the primary label,
/// the secondary labels (possibly in other files) and every hint as `help: …`.
///
/// Everything shown comes from files someone else may have written, so control
/// characters in the source lines, paths, messages and hints are shown escaped
/// ([`crate::terminal`]); spans are moved with the characters they point at.
pub fn render_text(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let escaped: Vec<EscapedSource> = sources
        .files()
        .map(|(_, f)| EscapedSource::new(&f.text))
        .collect();
    let cache_sources: Vec<(String, String)> = sources
        .files()
        .zip(&escaped)
        .map(|((id, _), e)| (display_path(sources, id), e.text.clone()))
        .collect();
    let mut cache = ariadne::sources(cache_sources);
    let report_span = |span: Span| report_span(sources, &escaped, span);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let kind = match diagnostic.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let primary = report_span(diagnostic.primary.span);
        let mut report = Report::build(kind, primary.clone())
            .with_code(diagnostic.code)
            .with_message(printable(&diagnostic.message))
            .with_config(
                Config::default()
                    .with_color(color)
                    .with_index_type(IndexType::Byte),
            );
        let primary_label = Label::new(primary).with_order(0);
        let primary_label = if diagnostic.primary.message.is_empty() {
            primary_label
        } else {
            primary_label.with_message(printable(&diagnostic.primary.message))
        };
        report = report.with_label(primary_label);
        for (i, secondary) in diagnostic.secondary.iter().enumerate() {
            if sources.get(secondary.span.file).is_none() {
                continue;
            }
            report = report.with_label(
                Label::new(report_span(secondary.span))
                    .with_message(printable(&secondary.message))
                    .with_order(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            );
        }
        for hint in &diagnostic.hints {
            report = report.with_help(printable(hint));
        }
        let mut buffer = Vec::new();
        if report.finish().write(&mut cache, &mut buffer).is_err() {
            // The file is not loaded: fall back to a plain one-line form.
            out.push_str(&plain_line(diagnostic, sources));
            continue;
        }
        let text = String::from_utf8_lossy(&buffer);
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&lower_case_help(&text, color));
    }
    out
}

/// Renders diagnostics as one JSON array. Lines and columns are one-based.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    serde_json::Value::Array(json_entries(diagnostics, sources)).to_string()
}

/// Each diagnostic as a JSON object (what [`render_json`] puts in its array).
pub fn json_entries(diagnostics: &[Diagnostic], sources: &SourceMap) -> Vec<serde_json::Value> {
    diagnostics
        .iter()
        .map(|d| {
            let (line, column) = line_col(sources, d.primary.span.file, d.primary.span.start);
            let (end_line, end_column) = line_col(sources, d.primary.span.file, d.primary.span.end);
            let secondary: Vec<serde_json::Value> = d
                .secondary
                .iter()
                .map(|s| {
                    let (line, column) = line_col(sources, s.span.file, s.span.start);
                    serde_json::json!({
                        "file": sources.path(s.span.file).display().to_string(),
                        "line": line,
                        "column": column,
                        "message": s.message,
                    })
                })
                .collect();
            serde_json::json!({
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "file": sources.path(d.primary.span.file).display().to_string(),
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "label": d.primary.message,
                "secondary": secondary,
                "hints": d.hints,
            })
        })
        .collect()
}

/// The path for ariadne's heading (escaped; JSON output escapes for itself).
fn display_path(sources: &SourceMap, file: usize) -> String {
    printable(&sources.path(file).display().to_string()).into_owned()
}

fn line_col(sources: &SourceMap, file: usize, offset: usize) -> (usize, usize) {
    sources.get(file).map_or((1, 1), |f| f.line_col(offset))
}

/// Clamps a span into its file so ariadne never sees an out-of-range offset.
/// Also widens it to whole characters: ariadne slices the text at these offsets.
/// Then moves it into the escaped text ariadne is given.
fn report_span(sources: &SourceMap, escaped: &[EscapedSource], span: Span) -> ReportSpan {
    let text = sources.get(span.file).map_or("", |f| f.text.as_str());
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let range = match escaped.get(span.file) {
        Some(e) => e.offset(start)..e.offset(end),
        None => start..end,
    };
    (display_path(sources, span.file), range)
}

/// `path:line:col: error[E0001]: message` plus hints, when ariadne cannot render.
fn plain_line(d: &Diagnostic, sources: &SourceMap) -> String {
    let (line, column) = line_col(sources, d.primary.span.file, d.primary.span.start);
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!(
        "{}:{line}:{column}: {severity}[{}]: {}\n",
        display_path(sources, d.primary.span.file),
        d.code,
        printable(&d.message)
    );
    for hint in &d.hints {
        out.push_str(&format!("  help: {}\n", printable(hint)));
    }
    out
}

/// ariadne writes `Help:` / `Help 2:`; our messages say `help: …` like rustc.
/// With color the word sits between ANSI codes, so the check ignores them.
fn lower_case_help(text: &str, _color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&lower_case_help_line(line).unwrap_or_else(|| line.to_string()));
    }
    out
}

/// The line with its leading `Help N` turned into `help`, if it is a help line:
/// only the frame (box characters, spaces, ANSI codes) comes before `Help`.
fn lower_case_help_line(line: &str) -> Option<String> {
    let at = line.find("Help")?;
    let before = line.get(..at)?;
    if strip_ansi(before).contains(|c: char| c.is_alphanumeric()) {
        return None;
    }
    let rest = line.get(at + 4..)?;
    let after_number = rest
        .trim_start_matches(' ')
        .trim_start_matches(|c: char| c.is_ascii_digit());
    let colon_follows = strip_ansi(after_number).starts_with(':');
    colon_follows.then(|| format!("{before}help{after_number}"))
}

/// Text without ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
