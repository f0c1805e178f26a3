//! Every kind of scenario diagnostic, rendered as a user sees it (`chanmix check`),
//! pinned by snapshot. Each fixture under tests/fixtures/scenarios/errors has its mistakes.

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use chanmix::diagnostic::Diagnostic;
use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::scenario::{check_against_plan, load_scenario, load_scenario_rules};

const DIR: &str = "tests/fixtures/scenarios/errors";

/// Loads a fixture that must fail to load; returns the codes and the rendered text.
fn load_errors(file: &str) -> (Vec<&'static str>, String) {
    let mut sources = SourceMap::new();
    let path = std::path::Path::new(DIR).join(file);
    match load_scenario(&path, &mut sources) {
        Ok(_) => panic!("{file} loaded without errors"),
        Err(diagnostics) => (
            codes(&diagnostics),
            render_text(&diagnostics, &sources, false),
        ),
    }
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn unknown_top_level_key_suggests_rules() {
    let (codes, text) = load_errors("unknown_top.toml");
    // `rules` is then missing too, but the typo explains that; one message is enough.
    assert_eq!(codes, ["S0002"]);
    assert!(text.contains("did you mean `rules`?"), "{text}");
    insta::assert_snapshot!("unknown_top_level_key", text);
}

#[test]
fn unknown_key_in_an_input_table_suggests_the_field() {
    let (codes, text) = load_errors("unknown_table_key.toml");
    assert_eq!(codes, ["S0002", "S0002"]);
    assert!(text.contains("did you mean `sheets`?"), "{text}");
    assert!(text.contains("did you mean `on_bad_cell`?"), "{text}");
    insta::assert_snapshot!("unknown_key_in_input_table", text);
}

#[test]
fn unknown_key_in_a_chart_suggests_the_field() {
    let (codes, text) = load_errors("unknown_chart_key.toml");
    // `serie` is unknown (the chart's missing `series` is not reported again);
    // `colum` is not a chart kind.
    assert_eq!(codes, ["S0002", "S0007"]);
    assert!(text.contains("did you mean `series`?"), "{text}");
    assert!(text.contains("did you mean `column`?"), "{text}");
    insta::assert_snapshot!("unknown_key_in_chart", text);
}

#[test]
fn wrong_types_name_the_expected_type() {
    let (codes, text) = load_errors("wrong_types.toml");
    assert_eq!(codes, ["S0003", "S0003", "S0003", "S0007", "S0007"]);
    assert!(
        text.contains("`as_of` must be a date like 2026-06-30, found a string"),
        "{text}"
    );
    assert!(
        text.contains("remove the quotes: as_of = 2026-06-30"),
        "{text}"
    );
    assert!(text.contains("did you mean `number`?"), "{text}");
    insta::assert_snapshot!("wrong_types", text);
}

#[test]
fn extends_to_a_missing_file_points_at_the_value() {
    let (codes, text) = load_errors("extends_missing.toml");
    assert_eq!(codes, ["S0005"]);
    insta::assert_snapshot!("extends_missing", text);
}

#[test]
fn extends_cycle_shows_the_whole_chain() {
    let mut sources = SourceMap::new();
    let errors = load_scenario(
        std::path::Path::new("tests/fixtures/scenarios/cycle/a.toml"),
        &mut sources,
    )
    .unwrap_err();
    insta::assert_snapshot!("extends_cycle", render_text(&errors, &sources, false));
}

#[test]
fn toml_syntax_error_has_a_position() {
    let (codes, text) = load_errors("syntax.toml");
    assert_eq!(codes, ["S0001"]);
    assert!(text.contains("syntax.toml:1:"), "{text}");
    insta::assert_snapshot!("toml_syntax", text);
}

#[test]
fn top_level_key_after_a_section_header_is_explained() {
    let (codes, text) = load_errors("section_order.toml");
    assert_eq!(codes, ["S0003"]);
    assert!(
        text.contains("Move it above the first [section] line"),
        "{text}"
    );
    insta::assert_snapshot!("section_order", text);
}

#[test]
fn missing_rules_key_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "name = \"No rules\"\n").unwrap();
    let mut sources = SourceMap::new();
    let errors = load_scenario(&path, &mut sources).unwrap_err();
    assert_eq!(codes(&errors), ["S0004"]);
    assert_eq!(
        errors[0].message,
        "the scenario names no rule files: `rules` is missing"
    );
}

#[test]
fn chart_without_table_or_series_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.rules"), "x = 1\n").unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        "rules = [\"r.rules\"]\n[[dashboard.charts]]\ntitle = \"Empty\"\n[[dashboard.charts]]\ntable = \"T\"\nseries = []\n",
    )
    .unwrap();
    let mut sources = SourceMap::new();
    let errors = load_scenario(&path, &mut sources).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "a [[dashboard.charts]] entry has no `table`",
            "a [[dashboard.charts]] entry has no `series`",
            "a chart needs at least one series",
        ]
    );
}

#[test]
fn toml_syntax_errors_get_specific_hints() {
    let cases = [
        (
            "name = \"x\"\nname = \"y\"\n",
            "`name` is set twice",
            "keep one of them",
        ),
        (
            "as_of = 2026-02-30\n",
            "invalid date",
            "check the day exists",
        ),
        (
            "rules = [\"a.rules\"\nname = \"x\"\n",
            "missing comma",
            "a closing ]",
        ),
        (
            "gross margin = 0.7\n",
            "key with no value",
            "keys cannot contain spaces",
        ),
    ];
    for (text, message, hint) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        let mut sources = SourceMap::new();
        let errors = load_scenario(&path, &mut sources).unwrap_err();
        assert_eq!(codes(&errors), ["S0001"], "{text}");
        assert!(errors[0].message.contains(message), "{:?}", errors[0]);
        assert!(
            errors[0].hints.iter().any(|h| h.contains(hint)),
            "{:?}",
            errors[0]
        );
    }
}

#[test]
fn missing_rule_file_is_named() {
    let (codes, text) = load_errors("rules_not_found.toml");
    assert_eq!(codes, ["S0008"]);
    insta::assert_snapshot!("rules_not_found", text);
}

#[test]
fn scenario_that_does_not_fit_its_rules() {
    let mut sources = SourceMap::new();
    let path = std::path::Path::new(DIR).join("plan_mismatch.toml");
    let scenario = load_scenario(&path, &mut sources)
        .unwrap_or_else(|d| panic!("{}", render_text(&d, &sources, false)));
    let program = load_scenario_rules(&scenario, sources, &[], &chanmix::analysis::vocabulary());
    assert!(program.diagnostics.is_empty());
    let plan = program.plan.as_ref().unwrap();
    let diagnostics = check_against_plan(&scenario, plan);
    let mut got = codes(&diagnostics);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "S0010", // gross_margn
            "S0011", // launch_date given as text
            "S0011", // aggressive given as text
            "S0011", // plan_label given as a number
            "S0012", // Costs has no workbook and no mapping
            "S0013", // amount declared text, the rules say number
            "S0014", // Oportunities is never read (warning)
            "S0015", // chart table Channel
            "S0016", // revenu
            "S0016", // channel is text, not a series
            "S0016", // category chanel
            "S0017", // total_revenu
        ]
    );
    let text = render_text(&diagnostics, &program.sources, false);
    for hint in [
        "did you mean `gross_margin`?",
        "did you mean `Opportunities`?",
        "did you mean `Channels`?",
        "did you mean `revenue`?",
        "did you mean `channel`?",
        "did you mean `total_revenue`?",
        "remove the quotes to give a date: 2026-01-15",
    ] {
        assert!(text.contains(hint), "missing {hint:?} in\n{text}");
    }
    insta::assert_snapshot!("plan_mismatch", text);
}

#[test]
fn json_rendering_gives_line_and_column_in_the_toml_file() {
    let mut sources = SourceMap::new();
    let errors = load_scenario(
        &std::path::Path::new(DIR).join("wrong_types.toml"),
        &mut sources,
    )
    .unwrap_err();
    let json: serde_json::Value =
        serde_json::from_str(&chanmix::diagnostic::render::render_json(&errors, &sources)).unwrap();
    // wrong_types.toml line 3 is `as_of = "2026-06-30"`; the value starts at column 9.
    let as_of = &json[2];
    assert_eq!(as_of["code"], "S0003");
    assert_eq!(
        as_of["file"],
        "tests/fixtures/scenarios/errors/wrong_types.toml"
    );
    assert_eq!(as_of["line"], 3);
    assert_eq!(as_of["column"], 9);
    assert_eq!(as_of["end_column"], 21);
}
