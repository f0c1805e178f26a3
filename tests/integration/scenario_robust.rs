//! No input makes scenario loading panic: arbitrary text, and TOML assembled from the
//! scenario's own keys with values of every type in every place.

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use chanmix::diagnostic::render::{render_json, render_text};
use chanmix::diagnostic::source::SourceMap;
use chanmix::scenario::load_scenario;
use proptest::prelude::*;

/// Loads `text` as a scenario in a fresh folder and renders whatever comes out.
fn load_text(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.rules"), "x = 1\n").unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let mut sources = SourceMap::new();
    if let Err(diagnostics) = load_scenario(&path, &mut sources) {
        assert!(!diagnostics.is_empty());
        let _ = render_text(&diagnostics, &sources, false);
        let _ = render_json(&diagnostics, &sources);
    }
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"r.rules\"".to_string()),
        Just("[\"r.rules\"]".to_string()),
        Just("[]".to_string()),
        Just("2026-06-30".to_string()),
        Just("2026-06-30T10:00:00".to_string()),
        Just("\"72%\"".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("1.5".to_string()),
        Just("true".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("[{ table = \"T\" }]".to_string()),
        Just("\"s.toml\"".to_string()),
        Just("\"\"".to_string()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name"),
        Just("extends"),
        Just("rules"),
        Just("as_of"),
        Just("workbook"),
        Just("sheet"),
        Just("sheets"),
        Just("header_row"),
        Just("columns"),
        Just("on_bad_cell"),
        Just("series"),
        Just("charts"),
        Just("kind"),
        Just("x"),
    ]
    .prop_map(str::to_string)
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(""),
        Just("[inputs]"),
        Just("[inputs.tables.T]"),
        Just("[params]"),
        Just("[output]"),
        Just("[dashboard]"),
        Just("[[dashboard.charts]]"),
        Just("[allocation]"),
    ]
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        load_text(&text);
    }

    #[test]
    fn scenario_shaped_toml_never_panics(
        sections in proptest::collection::vec(
            (header(), proptest::collection::vec((key(), value()), 0..4)),
            0..5,
        )
    ) {
        let mut text = String::new();
        for (header, entries) in sections {
            text.push_str(&header);
            text.push('\n');
            for (k, v) in entries {
                text.push_str(&format!("{k} = {v}\n"));
            }
        }
        load_text(&text);
    }
}
