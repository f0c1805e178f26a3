//! `chanmix run` and `chanmix compare` on the shipped scenarios, end to end: the
//! workbooks recompute in LibreOffice to our cached values, and compare's deltas equal
//! the differences of two separate runs.

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::support;
use crate::support::command::Chanmix;
use crate::support::xlsx::number;

fn run_json(scenario: &str, out: &Path) -> serde_json::Value {
    let ran = Chanmix::new()
        .args(["run", scenario, "--json", "-o", out.to_str().unwrap()])
        .success();
    serde_json::from_str(&ran.stdout).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn run_workbook_recomputes_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base.xlsx");
    run_json("scenarios/base.toml", &out);
    let report = support::libreoffice::recalc_and_compare(&out).unwrap();
    if report.skipped.is_some() {
        return;
    }
    assert!(
        report.formulas_checked > 0,
        "the run workbook has live formulas"
    );
    for sheet in [
        "Dashboard",
        "Recommendations",
        "Assumptions",
        "Data Quality",
        "Provenance",
        "Partners",
        "PartnerScorecard",
        "TierSummary",
        "EnablementPlan",
        "PartnerIncentives",
    ] {
        assert!(
            report.sheets.iter().any(|s| s == sheet),
            "missing sheet {sheet}: {:?}",
            report.sheets
        );
    }
}

#[test]
fn compare_deltas_equal_the_difference_of_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    let base = run_json("scenarios/base.toml", &dir.path().join("a.xlsx"));
    let push = run_json("scenarios/cost_cutting.toml", &dir.path().join("b.xlsx"));
    let out = dir.path().join("compare.xlsx");
    Chanmix::new()
        .args([
            "compare",
            "scenarios/base.toml",
            "scenarios/cost_cutting.toml",
            "-o",
            out.to_str().unwrap(),
        ])
        .success();

    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let summary = book.worksheet_range("Summary").unwrap();
    // Find the "Total cost" row of the key figures; its delta column is cached by us.
    let rows: Vec<&[Data]> = summary.rows().collect();
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| *c == "Metric"))
        .expect("a Metric header row");
    let total_cost_row = rows[header..]
        .iter()
        .find(|r| r.first().is_some_and(|c| *c == "Total cost"))
        .expect("a Total cost row");
    let expected_base = base["scalars"]["total_cost"].as_f64().unwrap();
    let expected_push = push["scalars"]["total_cost"].as_f64().unwrap();
    assert!(close(number(&total_cost_row[1]), expected_base));
    assert!(close(number(&total_cost_row[2]), expected_push));
    assert!(
        close(number(&total_cost_row[3]), expected_push - expected_base),
        "Δ total cost"
    );
    assert!(
        expected_push != expected_base,
        "the scenarios must differ for this test to mean anything"
    );

    // Per channel: the total_cost delta of each channel equals the two runs' difference.
    let channels = book.worksheet_range("Δ Channels").unwrap();
    let rows: Vec<&[Data]> = channels.rows().collect();
    let delta_column = rows[0]
        .iter()
        .position(|c| c.to_string().starts_with("Δ total_cost"))
        .expect("a Δ total_cost column");
    let base_channels = base["tables"]["Channels"].as_array().unwrap();
    let push_channels = push["tables"]["Channels"].as_array().unwrap();
    for row in &rows[1..] {
        let name = row[0].to_string();
        let find = |list: &Vec<serde_json::Value>| {
            list.iter().find(|c| c["channel"] == name.as_str()).unwrap()["total_cost"]
                .as_f64()
                .unwrap()
        };
        let expected = find(push_channels) - find(base_channels);
        assert!(
            close(number(&row[delta_column]), expected),
            "{name}: Δ total_cost"
        );
    }

    // Without LibreOffice this part skips (the reason is shown).
    support::libreoffice::recalc_and_compare(&out).unwrap();
}

#[test]
fn the_same_inputs_give_the_same_workbook_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.xlsx");
    let b = dir.path().join("b.xlsx");
    run_json("scenarios/base.toml", &a);
    run_json("scenarios/base.toml", &b);
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn compare_json_changes_equal_the_difference_of_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    let base = run_json("scenarios/base.toml", &dir.path().join("a.xlsx"));
    let cut = run_json("scenarios/cost_cutting.toml", &dir.path().join("b.xlsx"));
    // --json alone writes no workbook.
    let ran = Chanmix::new()
        .args([
            "compare",
            "scenarios/base.toml",
            "scenarios/cost_cutting.toml",
            "--json",
        ])
        .success();
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert!(ran.stderr.contains("FY27 cost cutting: "), "{}", ran.stderr);
    let labels: Vec<&str> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(json["baseline"], labels[0]);
    let (a, b) = (labels[0], labels[1]);

    let kpi = json["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["metric"] == "total_cost")
        .expect("total_cost among the key figures");
    let before = base["scalars"]["total_cost"].as_f64().unwrap();
    let after = cut["scalars"]["total_cost"].as_f64().unwrap();
    assert!(before != after, "the scenarios must differ");
    assert!(close(kpi["values"][a].as_f64().unwrap(), before));
    assert!(close(kpi["values"][b].as_f64().unwrap(), after));
    assert!(close(kpi["delta"][b].as_f64().unwrap(), after - before));

    // The Channels columns that change are exactly those where the two runs' numbers differ.
    let rows = |run: &serde_json::Value| run["tables"]["Channels"].as_array().unwrap().clone();
    let (base_rows, cut_rows) = (rows(&base), rows(&cut));
    let mut expected: Vec<String> = Vec::new();
    for (name, value) in base_rows[0].as_object().unwrap() {
        if name == "channel" || !value.is_number() && !value.is_null() {
            continue;
        }
        let differs = base_rows.iter().any(|row| {
            let other = cut_rows
                .iter()
                .find(|r| r["channel"] == row["channel"])
                .unwrap();
            match (row[name].as_f64(), other[name].as_f64()) {
                (Some(x), Some(y)) => x != y,
                (x, y) => x.is_some() != y.is_some(),
            }
        });
        if differs {
            expected.push(name.clone());
        }
    }
    let mut changed: Vec<String> = json["tables"]["Channels"]["changed_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    expected.sort();
    changed.sort();
    assert!(!changed.is_empty());
    assert_eq!(changed, expected);
    let unchanged = json["unchanged_tables"].as_array().unwrap();
    assert!(
        unchanged
            .iter()
            .all(|t| json["tables"].get(t.as_str().unwrap()).is_none()),
        "a table is either changed or unchanged"
    );
    // Working-step tables the scenario leaves out of its workbook are not compared.
    assert!(json["tables"].get("DealOverlaps").is_none());
    assert!(!unchanged.iter().any(|t| t == "DealOverlaps"));
}

#[test]
fn compare_needs_a_workbook_or_json() {
    let ran = Chanmix::new()
        .args([
            "compare",
            "scenarios/base.toml",
            "scenarios/cost_cutting.toml",
        ])
        .output();
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("--output"), "{}", ran.stderr);
}
