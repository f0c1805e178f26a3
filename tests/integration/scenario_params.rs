//! `[params]` values and the smaller validation rules, each on a scenario written into a
//! temporary folder; expected values are worked out by hand (Excel serials from a known anchor).

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::diagnostic::{Diagnostic, Severity};
use chanmix::scenario::{Scenario, check_against_plan, load_scenario, load_scenario_rules};
use chanmix::value::Value;

const RULES: &str = "input Opportunities (opp_id: text, channel: text, amount: number)
param margin   = 70%
param start    = 2026-01-01
param label    = \"Base\"
param cautious = TRUE
table Channels = group Opportunities by channel
Channels.revenue = SUM(Opportunities.amount) * margin
shown = IF(cautious, label, \"x\") & start
total = SUM(Channels.revenue)
";

/// A folder with `rules/r.rules` and the given files.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/r.rules"), RULES).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(path: &Path) -> Result<(Scenario, SourceMap), (Vec<Diagnostic>, SourceMap)> {
    let mut sources = SourceMap::new();
    match load_scenario(path, &mut sources) {
        Ok(s) => Ok((s, sources)),
        Err(d) => Err((d, sources)),
    }
}

fn load_ok(path: &Path) -> (Scenario, SourceMap) {
    load(path).unwrap_or_else(|(d, sources)| panic!("{}", render_text(&d, &sources, false)))
}

fn load_err(path: &Path) -> Vec<Diagnostic> {
    match load(path) {
        Ok(_) => panic!("{} loaded without errors", path.display()),
        Err((d, _)) => d,
    }
}

/// Loads, compiles the rules into the same SourceMap, and checks against the plan.
fn plan_check(path: &Path) -> Vec<Diagnostic> {
    let (scenario, sources) = load_ok(path);
    let program = load_scenario_rules(&scenario, sources, &[], &chanmix::analysis::vocabulary());
    assert!(
        program.diagnostics.is_empty(),
        "{}",
        render_text(&program.diagnostics, &program.sources, false)
    );
    check_against_plan(&scenario, program.plan.as_ref().unwrap())
}

fn value(s: &Scenario, name: &str) -> Value {
    s.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no param {name}"))
        .value
        .clone()
}

const HEAD: &str = "rules = [\"rules/r.rules\"]\n[inputs]\nworkbook = \"crm.xlsx\"\n";

#[test]
fn toml_values_become_engine_values() {
    let text = format!(
        "{HEAD}[params]\nmargin = 0.65\ncount = 3\nrate = \"57%\"\nlabel = \"Plan B\"\ncautious = false\nstart = 2026-03-01\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let (s, _) = load_ok(&dir.path().join("s.toml"));
    assert!(matches!(value(&s, "margin"), Value::Number(n) if n == 0.65));
    assert!(matches!(value(&s, "count"), Value::Number(n) if n == 3.0));
    // 57/100 is the double nearest 0.57 (57 * 0.01 is not).
    assert!(matches!(value(&s, "rate"), Value::Number(n) if n == 0.57));
    assert!(matches!(value(&s, "label"), Value::Text(t) if &*t == "Plan B"));
    assert!(matches!(value(&s, "cautious"), Value::Bool(false)));
    // 2026-01-01 is serial 46023 (2025-01-01 = 45658, plus 365); March 1 is 31 + 28 days later.
    assert!(matches!(value(&s, "start"), Value::Date(n) if n == 46023.0 + 59.0));
    // Every setting knows its file and the span of its value.
    let setting = s.params.iter().find(|p| p.name == "rate").unwrap();
    assert_eq!(setting.source, dir.path().join("s.toml"));
    assert_eq!(&text[setting.span.start..setting.span.end], "\"57%\"");
}

#[test]
fn well_typed_params_fit_the_plan() {
    let text = format!(
        "{HEAD}[params]\nmargin = \"65%\"\nstart = 2026-03-01\nlabel = \"Plan B\"\ncautious = false\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn param_type_mismatches_are_each_reported() {
    let text = format!(
        "{HEAD}[params]\nmargin = \"0.65\"\nstart = 46082\nlabel = \"72%\"\ncautious = 1\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "param `cautious` takes a boolean, but the scenario gives the number 1",
            "param `label` takes text, but the scenario gives the number 0.72",
            "param `margin` takes a number, but the scenario gives the text \"0.65\"",
            "param `start` takes a date, but the scenario gives the number 46082",
        ]
    );
    assert!(diagnostics.iter().all(|d| d.code == "S0011"));
    assert!(diagnostics[2].hints[0].starts_with("remove the quotes"));
}

#[test]
fn arrays_tables_and_times_are_not_param_values() {
    let text = format!(
        "{HEAD}[params]\nmargin = [0.6, 0.7]\nstart = 2026-03-01T10:00:00\ncount = nan\n[params.label]\nx = 1\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let errors = load_err(&dir.path().join("s.toml"));
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`margin` in [params] must be a single value: a number, text, true/false or a date, found a list",
            "`start` in [params] must be a single value: a number, text, true/false or a date, found a date with a time",
            "`count` in [params] must be a finite number",
            "`label` in [params] must be a single value: a number, text, true/false or a date, found a table",
        ]
    );
}

#[test]
fn unknown_key_in_a_base_file_points_into_the_base() {
    let base = "rules = [\"rules/r.rules\"]\nrules_dir = \"x\"\n";
    let dir = folder(&[
        ("base.toml", base),
        ("plans/child.toml", "extends = \"../base.toml\"\n"),
    ]);
    let mut sources = SourceMap::new();
    let errors = load_scenario(&dir.path().join("plans/child.toml"), &mut sources).unwrap_err();
    assert_eq!(errors.len(), 1);
    let file = sources.get(errors[0].primary.span.file).unwrap();
    assert_eq!(file.path, dir.path().join("base.toml"));
    assert_eq!(file.slice(errors[0].primary.span), "rules_dir");
    assert_eq!(errors[0].code, "S0002");
}

#[test]
fn sheet_options_from_two_files_conflict() {
    let base = "rules = [\"rules/r.rules\"]\n[inputs.tables.Opportunities]\nfile = \"a.xlsx\"\nsheet = \"Opps\"\n";
    let child = "extends = \"base.toml\"\n[inputs.tables.Opportunities]\nsheets = [\"Opps 1\", \"Opps 2\"]\n";
    let dir = folder(&[("base.toml", base), ("child.toml", child)]);
    let mut sources = SourceMap::new();
    let errors = load_scenario(&dir.path().join("child.toml"), &mut sources).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "S0007");
    assert_eq!(
        errors[0].message,
        "input table `Opportunities` gives both `sheet` and `sheets`"
    );
    // Primary in the child (`sheets`), secondary in the base (`sheet`).
    let primary = sources.get(errors[0].primary.span.file).unwrap();
    assert_eq!(primary.path, dir.path().join("child.toml"));
    assert_eq!(primary.slice(errors[0].primary.span), "sheets");
    let secondary = &errors[0].secondary[0];
    let base_file = sources.get(secondary.span.file).unwrap();
    assert_eq!(base_file.path, dir.path().join("base.toml"));
    assert_eq!(base_file.slice(secondary.span), "sheet");
}

#[test]
fn wrong_types_for_extends_and_as_of() {
    let text =
        "rules = [\"rules/r.rules\"]\nextends = [\"a.toml\"]\nas_of = 2026-06-30T00:00:00Z\n";
    let dir = folder(&[("s.toml", text)]);
    let errors = load_err(&dir.path().join("s.toml"));
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`extends` must be a file path in quotes, found a list",
            "`as_of` must be a date like 2026-06-30, found a date with a time",
        ]
    );
}

#[test]
fn input_table_without_any_file_is_reported() {
    let text = "rules = [\"rules/r.rules\"]\n[inputs.tables.Opportunities]\nsheet = \"Opps\"\n";
    let dir = folder(&[("s.toml", text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "S0012");
    assert_eq!(
        diagnostics[0].message,
        "input table `Opportunities` has no file to read: [inputs.tables.Opportunities] gives no `file` and [inputs] no `workbook`"
    );
}

#[test]
fn unused_input_mapping_is_only_a_warning() {
    let text = format!("{HEAD}[inputs.tables.Partners]\nsheet = \"Partners\"\n");
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "S0014");
    assert_eq!(diagnostics[0].severity, Severity::Warning);
}

#[test]
fn kpi_naming_a_param_explains_tiles() {
    let text = format!("{HEAD}[dashboard]\nkpis = [\"total\", \"cautious\"]\n");
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "S0017");
    assert!(diagnostics[0].hints[0].contains("`cautious` is a param"));
}

#[test]
fn locations_point_at_values_in_their_files() {
    let base = "rules = [\"rules/r.rules\"]\n[params]\nmargin = 0.5\n";
    let child = "extends = \"base.toml\"\n[[dashboard.charts]]\ntable = \"Channels\"\nseries = [\"revenue\"]\n";
    let dir = folder(&[("base.toml", base), ("child.toml", child)]);
    let (s, sources) = load_ok(&dir.path().join("child.toml"));
    let slice = |path: &str| {
        let span = s.locations.value(path).unwrap();
        sources.get(span.file).unwrap().slice(span).to_string()
    };
    assert_eq!(slice("params.margin"), "0.5");
    assert_eq!(slice("rules[0]"), "\"rules/r.rules\"");
    assert_eq!(slice("dashboard.charts[0].series[0]"), "\"revenue\"");
    assert_eq!(s.locations.value("params.nope"), None);
    let path = |span: chanmix::diagnostic::source::Span| -> PathBuf {
        sources.get(span.file).unwrap().path.clone()
    };
    assert_eq!(
        path(s.locations.value("params.margin").unwrap()),
        dir.path().join("base.toml")
    );
}

#[test]
fn misspelt_rename_target_is_a_warning_with_did_you_mean() {
    let text = format!(
        "{HEAD}[inputs.tables.Opportunities]\nrename = {{ \"Opportunity Amount\" = \"amout\", \"Deal ID\" = \"opp_id\" }}\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, "S0018");
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(diagnostics[0].hints, ["did you mean `amount`?"]);
    let span = diagnostics[0].primary.span;
    assert_eq!(&text[span.start..span.end], "\"amout\"");
}

#[test]
fn output_that_would_overwrite_an_input_is_an_error() {
    let text = "rules = [\"rules/r.rules\"]\n[inputs]\nworkbook = \"data/crm.xlsx\"\n[output]\nworkbook = \"out/../data/crm.xlsx\"\njson = \"rules/r.rules\"\n";
    let dir = folder(&[("s.toml", text)]);
    let errors = load_err(&dir.path().join("s.toml"));
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    let workbook = dir.path().join("data/crm.xlsx");
    let rules = dir.path().join("rules/r.rules");
    assert_eq!(
        messages,
        [
            format!(
                "`output.workbook` would overwrite the input workbook: {}",
                workbook.display()
            ),
            format!(
                "`output.json` would overwrite a rule file: {}",
                rules.display()
            ),
        ]
    );
    assert!(errors.iter().all(|d| d.code == "S0019"));
    // The secondary label points at where the input was named.
    let span = errors[0].secondary[0].span;
    assert_eq!(&text[span.start..span.end], "\"data/crm.xlsx\"");
}

#[test]
fn empty_paths_are_rejected() {
    let text = "rules = [\"\"]\nextends = \" \"\n[inputs]\nworkbook = \"\"\n";
    let dir = folder(&[("s.toml", text)]);
    let errors = load_err(&dir.path().join("s.toml"));
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`rules` is an empty path",
            "`extends` is an empty path",
            "`workbook` in [inputs] is an empty path",
        ]
    );
}

#[test]
fn broken_base_file_adds_no_follow_on_errors() {
    // The base holds `rules` but does not parse; the child must not also be told that
    // `rules` is missing.
    let dir = folder(&[
        ("base.toml", "rules = [\"rules/r.rules\"\n"),
        ("child.toml", "extends = \"base.toml\"\nname = \"Child\"\n"),
    ]);
    let errors = load_err(&dir.path().join("child.toml"));
    let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["S0001"]);
}

#[test]
fn misspelt_declared_column_and_key_are_warnings() {
    let text = format!(
        "{HEAD}[inputs.tables.Opportunities]\nkey = \"opp_idd\"\ncolumns = {{ amuont = \"number\", region = \"text\" }}\n"
    );
    let dir = folder(&[("s.toml", &text)]);
    let diagnostics = plan_check(&dir.path().join("s.toml"));
    // `region` is not read by the rules either, but is no typo of a rule column: fine.
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "column `amuont` is declared for `Opportunities`, but the rules never read it",
            "key column `opp_idd` of `Opportunities` is not a column the rules read",
        ]
    );
    assert!(
        diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning && d.code == "S0018")
    );
    assert_eq!(diagnostics[0].hints, ["did you mean `amount`?"]);
    assert_eq!(diagnostics[1].hints, ["did you mean `opp_id`?"]);
    let span = diagnostics[0].primary.span;
    assert_eq!(&text[span.start..span.end], "amuont");
}
