//! Loading scenario files: a three-level `extends` chain merged and resolved, checked
//! against values worked out by hand from the fixture files; cycles; nested relative paths.

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chanmix::data::spec::BadCellPolicy;
use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::scenario::{
    ChartKind, ChartSpec, Scenario, check_against_plan, load_scenario, load_scenario_rules,
};
use chanmix::value::Value;

const DIR: &str = "tests/fixtures/scenarios";

fn p(rel: &str) -> PathBuf {
    Path::new(DIR).join(rel)
}

fn load(rel: &str) -> (Scenario, SourceMap) {
    let mut sources = SourceMap::new();
    match load_scenario(&p(rel), &mut sources) {
        Ok(s) => (s, sources),
        Err(d) => panic!("{}", render_text(&d, &sources, false)),
    }
}

fn param<'a>(s: &'a Scenario, name: &str) -> &'a chanmix::scenario::ParamSetting {
    s.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no param {name}"))
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn three_level_chain_merges_by_hand_expectations() {
    let (s, _) = load("chain/teams/plans/leaf.toml");
    // Name and description describe the file that writes them; leaf has no description.
    assert_eq!(s.name, "Partner push");
    assert_eq!(s.description, None);
    assert_eq!(s.path, p("chain/teams/plans/leaf.toml"));
    assert_eq!(
        s.chain,
        vec![
            p("chain/teams/plans/leaf.toml"),
            p("chain/teams/mid.toml"),
            p("chain/base.toml"),
        ]
    );
    // leaf's `rules` replaces base's; `../../rules` from chain/teams/plans is chain/rules,
    // and the folder stays a folder.
    assert_eq!(
        s.rules,
        vec![p("chain/rules/base.rules"), p("chain/rules/extra")]
    );
    assert_eq!(s.as_of, chrono::NaiveDate::from_ymd_opt(2026, 9, 30));

    // [inputs]: workbook from base (relative to chain/), Costs from mid (relative to
    // chain/teams/), Opportunities merged key by key, `columns` included.
    assert_eq!(s.inputs.workbook, Some(p("chain/data/crm.xlsx")));
    let opps = &s.inputs.tables["Opportunities"];
    assert_eq!(opps.sheet.as_deref(), Some("Opps"));
    assert_eq!(opps.key.as_deref(), Some("opp_id"));
    let columns: BTreeMap<String, String> = [
        ("amount", "number?"), // mid overrides base's "number"
        ("opp_id", "text"),    // from base
        ("stage", "text"),     // added by mid
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(opps.columns, columns);
    assert_eq!(opps.rename["Opportunity Amount"], "amount");
    assert_eq!(opps.on_bad_cell, BadCellPolicy::RejectRow);
    assert_eq!(opps.file, None);
    let costs = &s.inputs.tables["Costs"];
    assert_eq!(costs.file, Some(p("chain/teams/costs.csv")));
    assert_eq!(costs.on_bad_cell, BadCellPolicy::Report);
    assert_eq!(s.inputs.tables.len(), 2);

    // [params]: each from the innermost file that sets it, sorted by name.
    let names: Vec<&str> = s.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "aggressive",
            "annual_churn",
            "gross_margin",
            "launch_date",
            "overhead_rate",
            "plan_label"
        ]
    );
    assert!(matches!(param(&s, "aggressive").value, Value::Bool(true)));
    assert_eq!(number(&param(&s, "annual_churn").value), 0.15); // "15%" in base
    assert_eq!(param(&s, "annual_churn").source, p("chain/base.toml"));
    assert_eq!(number(&param(&s, "gross_margin").value), 0.65);
    assert_eq!(param(&s, "gross_margin").source, p("chain/teams/mid.toml"));
    assert_eq!(number(&param(&s, "overhead_rate").value), 0.075); // "7.5%" in leaf over mid's 12
    assert_eq!(
        param(&s, "overhead_rate").source,
        p("chain/teams/plans/leaf.toml")
    );
    // 2025-01-01 is Excel serial 45658; 2026-01-01 is 365 days later (46023); +14 days.
    match param(&s, "launch_date").value {
        Value::Date(serial) => assert_eq!(serial, 46037.0),
        ref other => panic!("not a date: {other:?}"),
    }
    match &param(&s, "plan_label").value {
        Value::Text(t) => assert_eq!(&**t, "Partner push"),
        other => panic!("not text: {other:?}"),
    }

    // [output]: workbook from base (chain/out), json from leaf (chain/teams/plans/out).
    assert_eq!(s.output.workbook, Some(p("chain/out/base.xlsx")));
    assert_eq!(s.output.json, Some(p("chain/teams/plans/out/leaf.json")));

    // [dashboard]: title and kpis from base; mid's charts replace base's two charts.
    assert_eq!(s.dashboard.title.as_deref(), Some("Channel performance"));
    assert_eq!(
        s.dashboard.kpis,
        Some(vec!["total_revenue".to_string(), "total_cost".to_string()])
    );
    assert_eq!(
        s.dashboard.charts,
        vec![ChartSpec {
            title: Some("Revenue and ROI".to_string()),
            table: "Channels".to_string(),
            kind: ChartKind::Column,
            series: vec!["revenue".to_string()],
            secondary: vec!["roi".to_string()],
            category: Some("channel".to_string()),
        }]
    );

    // Reserved sections: merged, kept raw.
    let allocation: toml::Value =
        toml::from_str("budget = 1000000\nobjective = \"revenue\"\nmax_share = 0.4\n").unwrap();
    assert_eq!(s.sections["allocation"], allocation);
    let forecast: toml::Value = toml::from_str("horizon = 12\n").unwrap();
    assert_eq!(s.sections["forecast"], forecast);
    assert_eq!(s.sections.len(), 2);
}

#[test]
fn base_alone_keeps_its_own_values() {
    let (s, _) = load("chain/base.toml");
    assert_eq!(s.name, "Base");
    assert_eq!(s.description.as_deref(), Some("Company-wide defaults"));
    assert_eq!(s.chain, vec![p("chain/base.toml")]);
    assert_eq!(s.rules, vec![p("chain/rules/base.rules")]);
    assert_eq!(number(&param(&s, "gross_margin").value), 0.70);
    assert_eq!(s.dashboard.charts.len(), 2);
    assert_eq!(s.dashboard.charts[0].kind, ChartKind::Column); // the default
    assert_eq!(s.dashboard.charts[1].kind, ChartKind::Pie);
    assert_eq!(s.dashboard.charts[1].category, None);
}

#[test]
fn name_defaults_to_the_file_stem_not_the_base_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.toml"),
        "name = \"Base\"\nrules = [\"r.rules\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("r.rules"), "x = 1\n").unwrap();
    std::fs::write(dir.path().join("fy27.toml"), "extends = \"base.toml\"\n").unwrap();
    let mut sources = SourceMap::new();
    let s = load_scenario(&dir.path().join("fy27.toml"), &mut sources)
        .unwrap_or_else(|d| panic!("{}", render_text(&d, &sources, false)));
    assert_eq!(s.name, "fy27");
    assert_eq!(s.rules, vec![dir.path().join("r.rules")]);
}

#[test]
fn leaf_scenario_fits_its_rules() {
    let (s, sources) = load("chain/teams/plans/leaf.toml");
    let program = load_scenario_rules(&s, sources, &[], &chanmix::analysis::vocabulary());
    assert!(
        program.diagnostics.is_empty(),
        "{}",
        render_text(&program.diagnostics, &program.sources, false)
    );
    let plan = program.plan.unwrap();
    // The folder entry was expanded: portfolio_roi comes from extra/flags.rules.
    assert!(plan.scalars.iter().any(|s| &*s.name == "portfolio_roi"));
    let diagnostics = check_against_plan(&s, &plan);
    assert!(
        diagnostics.is_empty(),
        "{}",
        render_text(&diagnostics, &program.sources, false)
    );
}

#[test]
fn extends_cycle_is_reported_with_the_whole_chain() {
    let mut sources = SourceMap::new();
    let errors = load_scenario(&p("cycle/a.toml"), &mut sources).unwrap_err();
    assert_eq!(errors.len(), 1);
    let error = &errors[0];
    assert_eq!(error.code, "S0006");
    assert_eq!(
        error.message,
        "`extends` goes in a circle: a.toml → b.toml → c.toml → a.toml"
    );
    // The primary span is c.toml's `extends` value; the other two are secondary.
    let file = sources.get(error.primary.span.file).unwrap();
    assert_eq!(file.path, p("cycle/sub/c.toml"));
    assert_eq!(file.slice(error.primary.span), "\"../a.toml\"");
    let secondary: Vec<&str> = error
        .secondary
        .iter()
        .map(|l| sources.get(l.span.file).unwrap().slice(l.span))
        .collect();
    assert_eq!(secondary, ["\"b.toml\"", "\"sub/c.toml\""]);
}

#[test]
fn a_file_extending_itself_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("self.toml");
    std::fs::write(&path, "extends = \"./self.toml\"\nrules = []\n").unwrap();
    let mut sources = SourceMap::new();
    let errors = load_scenario(&path, &mut sources).unwrap_err();
    assert!(errors.iter().any(|e| e.code == "S0006"), "{errors:?}");
}

#[test]
fn unreadable_root_file_is_a_diagnostic() {
    let mut sources = SourceMap::new();
    let errors = load_scenario(&p("nope.toml"), &mut sources).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "S0009");
    let rendered = render_text(&errors, &sources, false);
    assert!(rendered.contains("nope.toml"), "{rendered}");
}

#[test]
fn absolute_paths_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.rules");
    std::fs::write(&rules, "x = 1\n").unwrap();
    let scenario = dir.path().join("sub").join("s.toml");
    std::fs::create_dir_all(scenario.parent().unwrap()).unwrap();
    let text = format!(
        "rules = [{:?}]\n[inputs]\nworkbook = \"../data/crm.xlsx\"\n",
        rules.display().to_string()
    );
    std::fs::write(&scenario, text).unwrap();
    let mut sources = SourceMap::new();
    let s = load_scenario(&scenario, &mut sources)
        .unwrap_or_else(|d| panic!("{}", render_text(&d, &sources, false)));
    assert_eq!(s.rules, vec![rules]);
    assert_eq!(s.inputs.workbook, Some(dir.path().join("data/crm.xlsx")));
}

#[test]
fn rule_folder_without_rule_files_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("s.toml"), "rules = [\"empty\"]\n").unwrap();
    let mut sources = SourceMap::new();
    let s = load_scenario(&dir.path().join("s.toml"), &mut sources).unwrap();
    let program = load_scenario_rules(&s, sources, &[], &chanmix::analysis::vocabulary());
    assert!(program.plan.is_none());
    assert_eq!(program.diagnostics.len(), 1);
    assert_eq!(program.diagnostics[0].code, "S0004");
    let span = program.diagnostics[0].primary.span;
    assert_eq!(
        program.sources.get(span.file).unwrap().slice(span),
        "[\"empty\"]"
    );
}

#[test]
fn shipped_scenarios_load_and_fit_the_shipped_rules() {
    let mut found = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        found += 1;
        let mut sources = SourceMap::new();
        let scenario = load_scenario(&path, &mut sources)
            .unwrap_or_else(|d| panic!("{}", render_text(&d, &sources, false)));
        let program =
            load_scenario_rules(&scenario, sources, &[], &chanmix::analysis::vocabulary());
        let plan = program.plan.as_ref().unwrap_or_else(|| {
            panic!(
                "{}",
                render_text(&program.diagnostics, &program.sources, false)
            )
        });
        let problems = check_against_plan(&scenario, plan);
        assert!(
            problems.is_empty(),
            "{}: {}",
            path.display(),
            render_text(&problems, &program.sources, false)
        );
    }
    assert!(found >= 3, "expected the base and two named scenarios");
}
