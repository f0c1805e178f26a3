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
