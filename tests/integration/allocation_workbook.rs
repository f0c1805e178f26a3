//! The shipped allocation library on the shipped sample, from the outside: the
//! `--json` contract checked with its own formulas (the curves written out here), the
//! new sheets with live formulas recomputed by LibreOffice, a response chart per
//! channel, the headline on the dashboard, the three allocation scenarios side by side,
//! and a saved plan tracked against the export.

use calamine::{Data, Reader};

use crate::support::command::Chanmix;
use crate::support::libreoffice::recalc_and_compare;
use crate::support::{repo, xlsx};

/// A number or date cell as a number.
fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::DateTime(d) => Some(d.as_f64()),
        _ => None,
    }
}

/// A response curve as the contract describes it, written independently of the engine.
fn curve_value(curve: &serde_json::Value, x: f64) -> f64 {
    let p = |name: &str| curve[name].as_f64();
    let a = p("a").unwrap();
    match curve["family"].as_str().unwrap() {
        "hill" => {
            let (k, s) = (p("k").unwrap(), p("s").unwrap());
            if x <= 0.0 {
                0.0
            } else {
                a * x.powf(s) / (k.powf(s) + x.powf(s))
            }
        }
        "log" => a * (1.0 + x / p("k").unwrap()).ln(),
        "power" => a * x.powf(p("b").unwrap()),
        "linear" => p("cap").map_or(a * x, |cap| (a * x).min(cap)),
        other => panic!("family {other}"),
    }
}

fn run_json(scenario: &str, out: &std::path::Path) -> serde_json::Value {
    let ran = Chanmix::new()
        .args(["run", scenario, "--json", "-o"])
        .arg(out)
        .success();
    serde_json::from_str(&ran.stdout).unwrap()
}

#[test]
fn the_json_contract_checks_out_with_its_own_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let json = run_json("scenarios/base.toml", &dir.path().join("base.xlsx"));
    let plan = &json["allocation"]["Allocation"];
    for key in [
        "objective",
        "budget",
        "value",
        "value_current",
        "multiplier",
        "method",
        "rows",
    ] {
        assert!(!plan[key].is_null(), "`{key}` missing: {plan:#}");
    }
    assert_eq!(plan["objective"], "revenue");
    let rows = plan["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let spend_cost = plan["spend_cost"].as_f64().unwrap();
    let (mut value, mut value_current, mut spent) = (0.0, 0.0, 0.0);
    let multiplier = plan["multiplier"].as_f64().unwrap();
    for row in rows {
        let key = row["key"].as_str().unwrap();
        let curve = &row["curve"];
        let (x, x0) = (
            row["recommended"].as_f64().unwrap(),
            row["current"].as_f64().unwrap(),
        );
        let (lower, upper) = (row["lower"].as_f64().unwrap(), row["upper"].as_f64());
        let w = row["weight"].as_f64().unwrap();
        assert!(x >= lower * (1.0 - 1e-9), "{key}: {x} below {lower}");
        if let Some(upper) = upper {
            assert!(x <= upper * (1.0 + 1e-9), "{key}: {x} above {upper}");
        }
        value += w * curve_value(curve, x) - spend_cost * x;
        value_current += w * curve_value(curve, x0) - spend_cost * x0;
        spent += x;
        // The marginal return: a central difference of the curve.
        let h = x * 1e-6;
        let slope =
            w * (curve_value(curve, x + h) - curve_value(curve, x - h)) / (2.0 * h) - spend_cost;
        let marginal = row["marginal"].as_f64().unwrap();
        // The difference quotient carries rounding of about 1e-10 of the curve's
        // average return F(x) ÷ x (a flat, saturated curve has a slope near 0).
        let rounding = 1e-8 * w * curve_value(curve, x) / x.max(1.0);
        assert!(
            (marginal - slope).abs() <= 1e-5 * slope.abs() + rounding,
            "{key}: marginal {marginal} vs {slope}"
        );
        if row["binding"] == "budget" {
            assert!(
                (marginal - multiplier).abs() <= 1e-6 * multiplier,
                "{key}: {marginal} vs multiplier {multiplier}"
            );
        }
        for name in ["family", "a", "k", "s", "b", "cap"] {
            assert!(curve.get(name).is_some(), "{key}: curve lacks `{name}`");
        }
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    assert!(
        close(value, plan["value"].as_f64().unwrap()),
        "value {value} vs {}",
        plan["value"]
    );
    assert!(close(
        value_current,
        plan["value_current"].as_f64().unwrap()
    ));
    assert!(spent <= plan["budget"].as_f64().unwrap() * (1.0 + 1e-9));
    assert!(
        value > value_current,
        "re-mixing the same budget should earn more"
    );
    // The same numbers on the Allocation table.
    let table = json["tables"]["Allocation"].as_array().unwrap();
    for (row, json_row) in table.iter().zip(rows) {
        assert_eq!(row["channel"], json_row["key"]);
        assert_eq!(row["recommended"], json_row["recommended"]);
    }
}

#[test]
fn the_new_sheets_recompute_in_libreoffice_and_show_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.xlsx");
    let json = run_json("scenarios/base.toml", &path);
    let bytes = std::fs::read(&path).unwrap();
    let sheets = xlsx::open(&bytes).sheet_names();
    for sheet in [
        "Curves",
        "Allocation",
        "PlanMonths",
        "CurveChart",
        "Capacity",
        "ChannelBudget",
    ] {
        assert!(
            sheets.iter().any(|s| s == sheet),
            "no {sheet} sheet in {sheets:?}"
        );
    }
    // Expected opportunities are live formulas over the curve's columns.
    let formulas = xlsx::formulas(&bytes, "Allocation");
    let header = xlsx::values(&bytes, "Allocation");
    let column = header
        .rows()
        .next()
        .unwrap()
        .iter()
        .position(|c| *c == Data::String("opportunities_recommended".into()))
        .unwrap();
    let formula = formulas
        .get_value((1, column as u32))
        .cloned()
        .unwrap_or_default();
    assert!(
        formula.contains("^") && formula.contains("LN("),
        "not a live curve formula: {formula}"
    );
    // One response chart per channel on the CurveChart sheet.
    let charts: Vec<String> = xlsx::part_names(&bytes)
        .into_iter()
        .filter(|p| p.starts_with("xl/charts/chart"))
        .map(|p| xlsx::part(&bytes, &p))
        .filter(|c| c.contains("response to spend"))
        .collect();
    assert_eq!(charts.len(), 6, "one response chart per channel");
    assert!(
        charts
            .iter()
            .all(|c| c.contains("<c:scatterChart>") && c.contains("CurveChart!"))
    );
    // The headline on the dashboard: the KPI values the run computed.
    let dashboard = xlsx::values(&bytes, "Dashboard");
    let gain = json["scalars"]["allocation_revenue_gain"].as_f64().unwrap();
    let shown = dashboard
        .used_cells()
        .any(|(_, _, c)| matches!(c, Data::Float(f) if (f - gain).abs() < 1e-6 * gain.abs()));
    assert!(
        shown,
        "the dashboard does not show the plan's revenue gain {gain}"
    );
    let report = recalc_and_compare(&path).unwrap();
    if report.skipped.is_none() {
        for sheet in [
            "Allocation",
            "PlanMonths",
            "Capacity",
            "Curves",
            "CurveChart",
        ] {
            assert!(
                report.sheets.iter().any(|s| s == sheet),
                "{sheet} not checked: {report:?}"
            );
        }
        assert!(report.formulas_checked > 0);
    }
}

#[test]
fn the_allocation_scenarios_compare_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let grow = run_json(
        "scenarios/allocation_grow.toml",
        &dir.path().join("grow.xlsx"),
    );
    let base = run_json("scenarios/base.toml", &dir.path().join("base.xlsx"));
    let target = run_json(
        "scenarios/allocation_target.toml",
        &dir.path().join("target.xlsx"),
    );
    let budget = |j: &serde_json::Value| j["scalars"]["allocation_budget"].as_f64().unwrap();
    assert!((budget(&grow) / budget(&base) - 1.1).abs() < 1e-12);
    // The cheapest plan reaching $10.0M spends what it needs and reaches the target.
    let plan = &target["allocation"]["Allocation"];
    assert_eq!(plan["objective"], "min_spend_for_revenue");
    let reached = target["scalars"]["allocation_revenue_recommended"]
        .as_f64()
        .unwrap();
    assert!((reached - 10_000_000.0).abs() < 1e-3, "reaches {reached}");
    assert!(plan["spent"].as_f64().unwrap() <= budget(&target) * (1.0 + 1e-9));
    let out = dir.path().join("compare.xlsx");
    Chanmix::new()
        .args([
            "compare",
            "scenarios/base.toml",
            "scenarios/allocation_grow.toml",
            "scenarios/allocation_target.toml",
            "-o",
        ])
        .arg(&out)
        .success();
    let bytes = std::fs::read(&out).unwrap();
    let mut workbook = xlsx::open(&bytes);
    let found = workbook.sheet_names().into_iter().any(|sheet| {
        let range = workbook.worksheet_range(&sheet).unwrap();
        range.used_cells().any(|(_, _, c)| matches!(c, Data::Float(f) if (f - budget(&grow)).abs() < 1e-6 * budget(&grow)))
    });
    assert!(found, "the comparison does not show the +10% budget");
}

#[test]
fn a_saved_plan_is_tracked_against_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.xlsx");
    Chanmix::new()
        .args(["run", "scenarios/allocation_h1_2026.toml", "-o"])
        .arg(&plan_path)
        .success();
    let scenario = dir.path().join("track.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = \"{}\"\n[inputs.tables.SavedPlan]\nfile = \"{}\"\nsheet = \"PlanMonths\"\n",
            repo().join("scenarios/track_plan.toml").display(),
            plan_path.display()
        ),
    )
    .unwrap();
    let json = run_json(scenario.to_str().unwrap(), &dir.path().join("track.xlsx"));
    // Expected values read from the saved plan and the export with calamine.
    let plan_bytes = std::fs::read(&plan_path).unwrap();
    let months = xlsx::values(&plan_bytes, "PlanMonths");
    let header: Vec<String> = xlsx::headers(&months);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut export =
        calamine::open_workbook_auto(repo().join("scenarios/data/crm_sample.xlsx")).unwrap();
    let opportunities = export.worksheet_range("Opportunities").unwrap();
    // 2026-01-01 and 2026-07-01 as Excel serials.
    let (from, to) = (46023.0, 46204.0);
    for row in json["tables"]["PlanVsActual"].as_array().unwrap() {
        let channel = row["channel"].as_str().unwrap();
        let planned: f64 = months
            .rows()
            .skip(1)
            .filter(|r| r[col("channel")] == Data::String(channel.into()))
            .map(|r| number(&r[col("outcome_recommended")]).unwrap())
            .sum();
        let actual = opportunities
            .rows()
            .skip(1)
            .filter(|r| r[2] == Data::String(channel.into()))
            .filter(|r| matches!(number(&r[9]), Some(d) if d >= from && d < to))
            .count();
        assert!(
            (row["opportunities_plan"].as_f64().unwrap() - planned).abs() < 1e-6 * planned,
            "{channel}"
        );
        assert_eq!(
            row["opportunities_actual"].as_f64().unwrap(),
            actual as f64,
            "{channel}"
        );
        assert_eq!(row["months"].as_f64().unwrap(), 6.0);
    }
}
