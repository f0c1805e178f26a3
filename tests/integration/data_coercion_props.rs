//! Properties of cell coercion checked on generated inputs: numbers dressed the way
//! finance exports dress them read back exactly, and the quality-log cap never hides
//! a count.

// Test helpers outside #[test] fns: failing loudly is the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chanmix::data::coerce::{CoerceContext, Coerced, RawCell, coerce, parse_date_text};
use chanmix::data::quality::MAX_ENTRIES_PER_COLUMN;
use chanmix::data::{InputsSpec, read_inputs};
use chanmix::table::intern::Interner;
use chanmix::value::Value;
use chanmix::value::ValueType;
use proptest::prelude::*;

/// `1234567` -> `1,234,567`: a second, naive formatter for the test.
fn with_thousands(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

fn number_of(text: &str, ctx: CoerceContext) -> Option<f64> {
    match coerce(
        RawCell::Text(text),
        ValueType::Number,
        ctx,
        &mut Interner::new(),
    ) {
        Coerced::Value(Value::Number(n)) | Coerced::Repaired(Value::Number(n), _) => Some(n),
        _ => None,
    }
}

proptest! {
    #[test]
    fn us_dressed_amounts_read_back(whole in 0u64..10_000_000_000, cents in 0u64..100, negative: bool, style in 0usize..4) {
        let body = format!("{}.{cents:02}", with_thousands(whole, ','));
        let text = match (negative, style) {
            (true, 0) => format!("({body})"),
            (true, 1) => format!("-${body}"),
            (true, _) => format!("$({body})").replace("$(", "($"),
            (false, 0) => format!("${body}"),
            (false, 1) => format!("USD {body}"),
            (false, 2) => format!("{body} €"),
            (false, _) => body.clone(),
        };
        let expected = (whole as f64 + cents as f64 / 100.0) * if negative { -1.0 } else { 1.0 };
        let got = number_of(&text, CoerceContext::default()).unwrap_or(f64::NAN);
        prop_assert!((got - expected).abs() <= expected.abs() * 1e-15, "{text} -> {got}, expected {expected}");
    }

    #[test]
    fn european_amounts_read_back_in_decimal_comma_sources(whole in 0u64..10_000_000_000, cents in 0u64..100) {
        let text = format!("{},{cents:02}", with_thousands(whole, '.'));
        let ctx = CoerceContext { decimal_comma: true, ..CoerceContext::default() };
        let expected = whole as f64 + cents as f64 / 100.0;
        let got = number_of(&text, ctx).unwrap_or(f64::NAN);
        prop_assert!((got - expected).abs() <= expected * 1e-15, "{text} -> {got}");
    }

    #[test]
    fn iso_us_and_german_spellings_of_a_date_agree(days in 0i64..50_000) {
        let date = chrono::NaiveDate::from_ymd_opt(1901, 1, 1).unwrap() + chrono::Duration::days(days);
        let iso = date.format("%Y-%m-%d").to_string();
        let us = date.format("%m/%d/%Y").to_string();
        let german = date.format("%d.%m.%Y").to_string();
        // Serial by an independent count: 1901-01-01 is Excel serial 367.
        let expected = 367.0 + days as f64;
        prop_assert_eq!(parse_date_text(&iso), Some(expected));
        prop_assert_eq!(parse_date_text(&us), Some(expected));
        prop_assert_eq!(parse_date_text(&german), Some(expected));
    }

    #[test]
    fn coercion_never_panics_on_any_text(text in "\\PC{0,24}") {
        let mut interner = Interner::new();
        for ty in [ValueType::Number, ValueType::Date, ValueType::Bool, ValueType::Text, ValueType::Any] {
            let _ = coerce(RawCell::Text(&text), ty, CoerceContext::default(), &mut interner);
        }
    }
}

#[test]
fn the_log_cap_lists_a_summary_and_keeps_every_count() {
    let dir = tempfile::tempdir().unwrap();
    let bad_rows = MAX_ENTRIES_PER_COLUMN + 25;
    let mut csv = String::from("id,amount\n");
    for i in 0..bad_rows {
        csv.push_str(&format!("{i},oops\n"));
    }
    csv.push_str("last,12\n");
    std::fs::write(dir.path().join("many.csv"), csv).unwrap();
    let spec: InputsSpec = toml::from_str(
        "[tables.T]\nfile = \"many.csv\"\ncolumns = { id = \"text\", amount = \"number\" }\n",
    )
    .unwrap();
    let data = read_inputs(&spec, dir.path(), None).unwrap();
    let counts = data.quality.counts_for("T").unwrap();
    assert_eq!(counts.rows_read, bad_rows + 1);
    assert_eq!(counts.cells_reported, bad_rows);
    assert_eq!(counts.cells_not_listed, 25);
    assert_eq!(data.quality.entries.len(), MAX_ENTRIES_PER_COLUMN + 1);
    let summary = data.quality.entries.last().unwrap();
    assert_eq!(
        summary.action,
        "25 more cells in this column not listed (see counts)"
    );
    assert_eq!(summary.column, "amount");
}
