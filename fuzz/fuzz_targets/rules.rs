//! Fuzz target `rules`: arbitrary bytes as one rule file, through what `chanmix check`
//! and `chanmix fmt` do: parse, check, render the diagnostics, and format round trip.
#![no_main]

use chanmix::lang::ast::{Expr, ExprKind, ItemKind, RuleFile, TemplatePart};
use chanmix::lang::format::format_rule_file;
use chanmix::lang::parser::parse_rule_file;
use chanmix::lang::program::check_sources;
use chanmix::lang::render::{render_json, render_text};
use chanmix::lang::source::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `chanmix check` refuses a file that is not UTF-8 before parsing; lossy decoding
    // lets every input reach the parser.
    let text = String::from_utf8_lossy(data).into_owned();
    let mut sources = SourceMap::new();
    sources.add("fuzz.rules", text);

    // `chanmix check fuzz.rules`: parse and check as one program, render both ways.
    let program = check_sources(sources, &[]);
    let _ = render_text(&program.diagnostics, &program.sources, false);
    let _ = render_json(&program.diagnostics, &program.sources);

    // `chanmix fmt`: only a file that parses is formatted.
    let [file] = program.files.as_slice() else {
        return;
    };
    let formatted = format_rule_file(file, &program.sources);
    let mut again = SourceMap::new();
    let id = again.add("formatted.rules", formatted.clone());
    let reparsed = match parse_rule_file(&again, id) {
        Ok(reparsed) => reparsed,
        Err(diagnostics) => panic!(
            "fmt wrote text that does not parse:\n{formatted}\n{}",
            render_text(&diagnostics, &again, false)
        ),
    };
    let twice = format_rule_file(&reparsed, &again);
    assert_eq!(formatted, twice, "fmt is not idempotent");
    assert_eq!(
        meaning(file),
        meaning(&reparsed),
        "fmt changed what the file means:\n{formatted}"
    );
});

/// What a file means: its items' Debug form without spans, function names upper-cased
/// (fmt writes them as Excel does), and its comments with whether they trail code.
fn meaning(file: &RuleFile) -> String {
    let mut file = file.clone();
    for item in &mut file.items {
        match &mut item.kind {
            ItemKind::Param(p) => normalize(&mut p.default),
            ItemKind::GroupTable(g) => g.filter.iter_mut().for_each(normalize),
            ItemKind::Column(c) => normalize(&mut c.expr),
            ItemKind::Scalar(s) => normalize(&mut s.expr),
            ItemKind::Flag(f) => {
                normalize(&mut f.condition);
                for part in &mut f.message.parts {
                    if let TemplatePart::Hole { expr, .. } = part {
                        normalize(expr);
                    }
                }
            }
            ItemKind::Input(_) => {}
        }
    }
    let mut text = format!("{:?}", file.items);
    for c in &file.comments {
        text.push_str(&format!("\ncomment {:?} trailing={}", c.text, c.trailing));
    }
    strip_spans(&text)
}

fn normalize(expr: &mut Expr) {
    match &mut expr.kind {
        ExprKind::Call { function, args } => {
            function.name = function.name.to_ascii_uppercase().into();
            args.iter_mut().for_each(normalize);
        }
        ExprKind::Array(items) => items.iter_mut().for_each(normalize),
        ExprKind::Unary { operand, .. } => normalize(operand),
        ExprKind::Percent(e) | ExprKind::Paren(e) => normalize(e),
        ExprKind::Binary { lhs, rhs, .. } => {
            normalize(lhs);
            normalize(rhs);
        }
        ExprKind::In { needle, list, .. } => {
            normalize(needle);
            list.iter_mut().for_each(normalize);
        }
        ExprKind::Where { list, condition } => {
            normalize(list);
            normalize(condition);
        }
        _ => {}
    }
}

/// Removes every `Span { .. }` from a Debug dump (spans hold no nested braces).
fn strip_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match rest.find('}') {
            Some(end) => rest = &rest[end + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}
