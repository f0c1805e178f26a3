//! Scenario files (TOML): the model, loading with `extends` (deep merge, cycles reported),
//! path resolution, param overrides, and validation against a compiled rule plan.
//!
//! How a scenario reads:
//! - `extends = "base.toml"` merges the base under this file: tables merge key by key at
//!   every depth (inline tables too), anything else — values and arrays, `[[dashboard.charts]]`
//!   included — is replaced by this file's. `name` and `description` are not inherited (they
//!   describe the file that writes them; `name` defaults to the file stem).
//! - Paths (`rules`, `extends`, `inputs.workbook`, a table's `file`, `[output]`) are relative
//!   to the folder of the file that writes them; rule folders stay folders.
//! - `[params]`: integers and decimals are numbers, `"72%"` (a quoted percentage, as rule files
//!   write `72%`) is the number 0.72, other strings are text, `true`/`false` booleans, and an
//!   unquoted date (`2026-06-30`) a date. Lists, tables and times are errors.
//!
//! Every problem is a [`Diagnostic`](crate::diagnostic::Diagnostic) whose span points
//! into the scenario file that wrote the offending text, so `render_text` shows
//! `file:line:col`, the line and a caret. Codes (stable; listed in ARCHITECTURE.md):
//!
//! | code  | meaning |
//! |-------|---------|
//! | S0001 | the file is not valid TOML |
//! | S0002 | unknown key (with "did you mean") |
//! | S0003 | a value of the wrong type (`as_of = "2026-06-30"`) |
//! | S0004 | a required setting is missing (`rules`; a chart's `table` or `series`) |
//! | S0005 | `extends` names a file that cannot be read |
//! | S0006 | `extends` goes in a circle (the whole chain is shown) |
//! | S0007 | a value of the right type that is not allowed (unknown choice, row 0, conflicting sheet options, an empty path, an input or output path of the wrong kind) |
//! | S0008 | a rule file or folder named in `rules` does not exist |
//! | S0009 | the scenario file itself cannot be read |
//! | S0010 | `[params]` names a param the rules do not declare |
//! | S0011 | a param's value does not fit the param's type |
//! | S0012 | an input table of the rules has no mapping and no workbook to read it from |
//! | S0013 | a column type in `[inputs]` contradicts the rules' `input` declaration |
//! | S0014 | (warning) `[inputs]` maps a table the rules never read |
//! | S0015 | the dashboard names a table the rules do not define |
//! | S0016 | the dashboard names a column its table does not have |
//! | S0017 | the dashboard names a KPI that is not a scalar of the rules |
//! | S0018 | (warning) `rename`, `columns` or `key` name a column the rules never read (likely a typo) |
//! | S0019 | an `[output]` path is one of the inputs (workbook, rule or scenario file) |
//! | S0020 | (warning) a scenario text (name, description, a title, a text param) is longer than an Excel cell holds |

mod check;
mod load;
mod model;
mod paths;
mod rules;
mod schema;
mod texts;
mod tree;

pub use check::check_against_plan;
pub use load::load_scenario;
pub use model::{
    ChartKind, ChartSpec, DashboardSpec, Locations, OutputSpec, ParamSetting, Scenario,
};
pub use rules::load_scenario_rules;
