//! Helpers shared by the integration tests' modules: where the repository and its
//! fixtures are, running the binary, the hand-worked fixture, headless LibreOffice and
//! the oracle built on it, reading workbooks back, and what each fuzz target does.

use std::path::{Path, PathBuf};

use chanmix::data::InputsSpec;
use chanmix::table::Table;

pub mod command;
pub mod fixture;
pub mod fuzz_harness;
pub mod libreoffice;
pub mod python;
pub mod soffice;
pub mod xlsx;

/// The repository root (the folder holding `rules/`, `scenarios/` and `tests/`).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/data`: the dirty CRM-export fixtures (see its README.md).
pub fn fixture_data() -> PathBuf {
    repo().join("tests/fixtures/data")
}

/// A scenario's `[inputs]` section, from TOML.
pub fn spec(toml_text: &str) -> InputsSpec {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}\n{toml_text}"))
}

/// A column's values as text (each must be text or convert to it).
pub fn texts(table: &Table, column: &str) -> Vec<String> {
    let values = table
        .column(column)
        .unwrap_or_else(|| panic!("no column {}.{column}", table.name))
        .values();
    values
        .iter()
        .map(|v| match v.to_text() {
            Ok(text) => text.to_string(),
            Err(e) => panic!("{}.{column}: {v:?} is not text: {e:?}", table.name),
        })
        .collect()
}

/// `[inputs]` for `dirty_opportunities.xlsx` (in `fixture_data()`): its export-style
/// headers renamed onto the rule names, every column typed.
pub const DIRTY_OPPORTUNITIES: &str = r#"
    workbook = "dirty_opportunities.xlsx"
    [tables.Opportunities]
    key = "opp_id"
    columns = { opp_id = "text", channel = "text", amount = "number", created_date = "date",
                close_date = "date?", is_won = "bool?" }
    rename = { "Opp ID" = "opp_id", "Channel" = "channel", "Opportunity Amount" = "amount",
               "Created" = "created_date", "Closed" = "close_date", "Won?" = "is_won" }
"#;
