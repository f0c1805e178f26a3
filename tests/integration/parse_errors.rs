//! Snapshots of the parse errors a finance analyst sees (rendered without color),
//! one per distinct mistake, plus the JSON form. Each snapshot was read by a person:
//! weak messages are listed in tests/known_poor_messages.md.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chanmix::diagnostic::Diagnostic;
use chanmix::diagnostic::render::{render_json, render_text};
use chanmix::diagnostic::source::SourceMap;
use chanmix::lang::parser::{parse_expression, parse_rule_file};

fn diagnostics(text: &str) -> (Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add("rules/channels.rules", text);
    match parse_rule_file(&sources, file) {
        Ok(_) => panic!("expected a parse error in:\n{text}"),
        Err(d) => (d, sources),
    }
}

/// The rendered report, preceded by the input so the snapshot reads on its own.
fn report(text: &str) -> String {
    let (diagnostics, sources) = diagnostics(text);
    format!(
        "--- input ---\n{text}\n--- report ---\n{}",
        render_text(&diagnostics, &sources, false)
    )
}

fn codes(text: &str) -> Vec<&'static str> {
    diagnostics(text)
        .0
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

macro_rules! snapshot_case {
    ($name:ident, $text:expr, $code:expr) => {
        #[test]
        fn $name() {
            let text: &str = $text;
            assert_eq!(codes(text), [$code], "codes for {text:?}");
            insta::assert_snapshot!(stringify!($name), report(text));
        }
    };
}

snapshot_case!(missing_operand_at_end, "Channels.roi = revenue -", "E0001");
snapshot_case!(
    missing_operand_between_operators,
    "Channels.roi = revenue * / cost",
    "E0001"
);
snapshot_case!(
    unclosed_paren,
    "Channels.roi = (revenue * gross_margin - cost / cost",
    "E0004"
);
snapshot_case!(extra_closing_paren, "Channels.cac = cost / won)", "E0004");
snapshot_case!(
    unterminated_text,
    "Opportunities.is_won = stage = \"Closed Won",
    "E0002"
);
snapshot_case!(impossible_date, "param cutoff = 2026-02-30", "E0003");
snapshot_case!(stray_currency_sign, "param budget = $1500000", "E0013");
snapshot_case!(
    single_quoted_text,
    "Opportunities.is_won = stage = 'Closed Won'",
    "E0013"
);
snapshot_case!(
    where_outside_a_call,
    "Channels.revenue = Opportunities.amount where is_won",
    "E0007"
);
snapshot_case!(
    missing_by,
    "table Channels = group Opportunities channel",
    "E0008"
);
snapshot_case!(
    missing_group,
    "table Channels = Opportunities by channel",
    "E0001"
);
snapshot_case!(
    unknown_format,
    "Channels.win_rate = won / deals  @percnt",
    "E0006"
);
snapshot_case!(
    missing_flag_colon,
    "flag Channels when roi < 1 \"ROI is below 1\"",
    "E0009"
);
snapshot_case!(
    unclosed_template_hole,
    "flag Channels when roi < 1: \"ROI {roi:0.00 is below 1\"",
    "E0010"
);
snapshot_case!(
    bad_formula_in_template_hole,
    "flag Channels when roi < 1: \"ROI {roi * } is below 1\"",
    "E0010"
);
snapshot_case!(missing_equals, "Channels.cac cost / won", "E0005");
snapshot_case!(
    missing_comma_between_arguments,
    "Channels.x = ROUND(revenue 2)",
    "E0001"
);
snapshot_case!(
    two_values_side_by_side,
    "Channels.x = revenue cost",
    "E0001"
);
snapshot_case!(keyword_as_a_name, "param = 5", "E0012");
snapshot_case!(operator_word_as_a_value, "Channels.x = and > 1", "E0012");
snapshot_case!(
    double_equals,
    "Opportunities.is_won = stage == \"Closed Won\"",
    "E0001"
);
snapshot_case!(c_style_and, "Channels.x = roi < 1 && won > 20", "E0001");
snapshot_case!(
    unknown_column_type,
    "input Opportunities (opp_id: text, amount: numbr)",
    "E0011"
);
snapshot_case!(
    missing_colon_in_input,
    "input Opportunities (opp_id text)",
    "E0001"
);
snapshot_case!(
    space_before_call_bracket,
    "Channels.x = SUM (revenue)",
    "E0001"
);
snapshot_case!(thousands_separator, "param budget = 1 500 000", "E0001");
snapshot_case!(decimal_comma, "param rate = 0,15", "E0001");
snapshot_case!(
    missing_comma_between_input_columns,
    "input Opportunities (opp_id: text amount: number)",
    "E0001"
);
snapshot_case!(
    in_without_brackets,
    "Opportunities.x = stage IN \"Closed Won\"",
    "E0001"
);
snapshot_case!(
    missing_column_after_dot,
    "Channels.x = SUM(Opportunities.)",
    "E0001"
);
snapshot_case!(empty_format, "Channels.x = revenue  @", "E0006");
snapshot_case!(
    missing_condition_after_where,
    "Channels.x = SUM(Opportunities.amount where)",
    "E0001"
);
snapshot_case!(empty_argument, "Channels.x = IF(won > 0, , 1)", "E0001");
snapshot_case!(formula_without_a_name, "SUM(Channels.revenue)", "E0005");
snapshot_case!(
    operator_at_start_of_line,
    "total = revenue\n  - cost",
    "E0001"
);
snapshot_case!(
    order_by_without_an_expression,
    "table Pipeline = group Opportunities by stage order by",
    "E0001"
);
snapshot_case!(
    order_by_with_an_unknown_direction,
    "table Pipeline = group Opportunities by stage order by SUM(Opportunities.amount) descending",
    "E0001"
);
snapshot_case!(
    order_without_by,
    "table Pipeline = group Opportunities by stage order stage",
    "E0008"
);

#[test]
fn several_errors_in_one_file() {
    let text = "param gross_margin = 72%\n\
                Channels.roi = (revenue - cost / cost\n\
                Channels.cac = cost / won\n\
                Opportunities.is_won = stage = 'Closed Won'\n\
                param cutoff = 2026-13-01\n";
    assert_eq!(codes(text), ["E0004", "E0013", "E0003"]);
    insta::assert_snapshot!("several_errors_in_one_file", report(text));
}

#[test]
fn json_output_has_one_based_positions() {
    // "Channels.cac = cost / won)": the stray `)` is byte 25, so line 1, column 26.
    let (diagnostics, sources) = diagnostics("# header\nChannels.cac = cost / won)");
    let json: serde_json::Value =
        serde_json::from_str(&render_json(&diagnostics, &sources)).expect("valid JSON");
    let entry = &json[0];
    assert_eq!(entry["code"], "E0004");
    assert_eq!(entry["severity"], "error");
    assert_eq!(entry["file"], "rules/channels.rules");
    assert_eq!(entry["line"], 2);
    assert_eq!(entry["column"], 26);
    assert_eq!(entry["end_line"], 2);
    assert_eq!(entry["end_column"], 27);
    assert!(entry["hints"].as_array().is_some_and(|h| !h.is_empty()));
    assert!(entry["secondary"].as_array().is_some());
    assert!(entry["label"].is_string());
}

#[test]
fn json_secondary_labels_carry_their_position() {
    // The unclosed `(` is at column 16; the statement's last character at column 51.
    let (diagnostics, sources) =
        diagnostics("Channels.roi = (revenue * gross_margin - cost / cost");
    let json: serde_json::Value =
        serde_json::from_str(&render_json(&diagnostics, &sources)).expect("valid JSON");
    assert_eq!(json[0]["column"], 16);
    assert_eq!(json[0]["secondary"][0]["line"], 1);
    assert_eq!(json[0]["secondary"][0]["column"], 52);
}

#[test]
fn warnings_render_too() {
    let mut sources = SourceMap::new();
    let file = sources.add("rules/a.rules", "x = 1\n");
    let other = sources.add("rules/b.rules", "x = 2\n");
    let warning = Diagnostic::warning(
        chanmix::diagnostic::Code::UnusedParam,
        "`x` is defined twice",
        chanmix::diagnostic::source::Span::new(other, 0, 1),
    )
    .with_label("second definition")
    .with_secondary(
        chanmix::diagnostic::source::Span::new(file, 0, 1),
        "first defined here",
    )
    .with_hint("rename one of them");
    insta::assert_snapshot!(
        "warning_with_secondary_in_other_file",
        render_text(&[warning], &sources, false)
    );
}

#[test]
fn colored_output_has_escape_codes_and_lower_case_help() {
    let (diagnostics, sources) = diagnostics("Channels.roi = revenue -");
    let colored = render_text(&diagnostics, &sources, true);
    assert!(colored.contains('\u{1b}'));
    assert!(colored.contains("help"));
    assert!(!colored.contains("Help"));
    let plain = render_text(&diagnostics, &sources, false);
    assert!(!plain.contains('\u{1b}'));
}

#[test]
fn standalone_expression_errors() {
    let mut sources = SourceMap::new();
    let file = sources.add("<expr>", "ROUND(-2.5, 0) &");
    let Err(diagnostics) = parse_expression(&sources, file) else {
        panic!("should fail");
    };
    assert_eq!(diagnostics[0].code, "E0001");
    let file = sources.add("<expr>", "ROUND(-2.5, 0) & \"x\"");
    assert!(parse_expression(&sources, file).is_ok());
}

#[test]
fn pathological_input_does_not_panic() {
    let deep = format!("x = {}1{}", "(".repeat(500), ")".repeat(500));
    assert_eq!(codes(&deep), ["E0015"]);
    assert_eq!(codes("x = 1e999"), ["E0014"]);
    assert_eq!(codes("x = 1899-12-31"), ["E0003"]);
    assert_eq!(codes("x = 2024-02-30 + 2025-02-29"), ["E0003", "E0003"]);
    let long_chain = format!("x = 1{}", " + 1".repeat(2000));
    assert_eq!(codes(&long_chain), ["E0015"]);
    let huge_chain = format!("x = 1{}", "+1".repeat(200_000));
    assert_eq!(codes(&format!("{huge_chain}\ny = 2 +")), ["E0015", "E0001"]);
    let mut sources = SourceMap::new();
    let file = sources.add("<expr>", huge_chain.trim_start_matches("x = ").to_string());
    let Err(d) = parse_expression(&sources, file) else {
        panic!("a 400 kB formula should be refused")
    };
    assert_eq!(d[0].code, "E0015");
    // Sixty levels of brackets are still a (silly but) valid formula.
    let mut sources = SourceMap::new();
    let nested = format!("x = {}1{}", "(".repeat(60), ")".repeat(60));
    let file = sources.add("n.rules", nested);
    assert!(parse_rule_file(&sources, file).is_ok());
    assert_eq!(codes("é = 1"), ["E0013"]);
    // Deep but legal nesting of each bracketed form parses (on the test thread's small stack).
    for (open, close) in [
        ("IF(a, ", ")"),
        ("-(1 + ", ")"),
        ("{1, ", "}"),
        ("SUM(x where (", "))"),
    ] {
        let depth = 60 / close.len();
        let text = format!("x = {}1{}", open.repeat(depth), close.repeat(depth));
        let mut sources = SourceMap::new();
        let file = sources.add("n.rules", text);
        let parsed = parse_rule_file(&sources, file);
        assert!(parsed.is_ok(), "{open}: {parsed:?}");
    }
    for text in [
        "\"",
        "(",
        ")",
        "{",
        "}",
        "#",
        "x = \"\"\"",
        "flag",
        "input T (",
        "x = {",
        "é = 1",
        "x = 1 @",
        "x = 1 @\"",
        "flag T when x: \"{",
        "flag T when x: \"}\"",
        "flag T when x: \"{}\"",
        "T. = 1",
        ".x = 1",
        "x = T.",
        "x = SUM(",
        "x = \u{feff}1",
        "table T = group",
    ] {
        let mut sources = SourceMap::new();
        let file = sources.add("p.rules", text);
        if let Err(d) = parse_rule_file(&sources, file) {
            let _ = render_text(&d, &sources, false);
            let _ = render_json(&d, &sources);
        }
    }
}

proptest::proptest! {
    /// Any text at all: the parser and both renderers answer without panicking.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,200}") {
        check_no_panic(&text);
    }

    /// Text made of the language's own characters, which reaches deeper into the grammar.
    #[test]
    fn arbitrary_rule_like_text_never_panics(
        text in "[a-zA-Z_0-9 .,:;=<>+*/^&%@#!?\\-(){}\"\n]{0,120}"
    ) {
        check_no_panic(&text);
    }
}

fn check_no_panic(text: &str) {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.rules", text);
    match parse_rule_file(&sources, file) {
        Ok(rules) => {
            let _ = chanmix::lang::format::format_rule_file(&rules, &sources);
        }
        Err(d) => {
            assert!(!d.is_empty());
            let _ = render_text(&d, &sources, false);
            let _ = render_text(&d, &sources, true);
            let _ = render_json(&d, &sources);
        }
    }
    let _ = parse_expression(&sources, file);
}

#[test]
fn contradicting_annotations_are_e0017_and_a_param_takes_only_a_format() {
    assert_eq!(codes("T.a = 1  @percent @currency"), ["E0017"]);
    assert_eq!(
        codes("T.a = 1  @higher_is_better @lower_is_better"),
        ["E0017"]
    );
    assert_eq!(codes("T.a = 1  @heat @higher_is_better"), ["E0017"]);
    assert_eq!(codes("param p = 1  @bar"), ["E0006"]);
    assert_eq!(codes("T.a = 1  @bars"), ["E0006"]);
    let (diagnostics, _) = diagnostics("T.a = 1  @bars");
    assert_eq!(diagnostics[0].hints[0], "did you mean `@bar`?");
}
