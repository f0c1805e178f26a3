//! The compare workbook over two runs of the hand-made fixture that differ only in the
//! margin param; every delta below was worked out by hand from the fixture.

use calamine::{Data, Range, Reader};
use chanmix::report::{CompareReport, ReportError, build_compare_workbook};
use chanmix::value::Value;

use crate::support::fixture::{RULES, compile, quality, report, run};
use crate::support::libreoffice::recalc_and_compare;
use crate::support::xlsx::{at, find_row, formulas, number, open, part_names, values};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

fn header_column(range: &Range<Data>, row: u32, text: &str) -> u32 {
    (0..60)
        .find(|c| at(range, row, *c) == Data::String(text.into()))
        .unwrap_or_else(|| panic!("no header {text}"))
}

fn build() -> Vec<u8> {
    build_from(RULES)
}

/// The baseline and "Margin up" (margin at 100%) of `rules`, compared.
fn build_from(rules: &str) -> Vec<u8> {
    let plan = compile(rules);
    let base = run(&plan, &[]);
    let up = run(&plan, &[("margin".to_string(), Value::Number(1.0))]);
    let quality = quality();
    let mut second = report(&plan, &up, &quality);
    second.title = "Margin up".into();
    second.description = Some("Margin at 100%".into());
    build_compare_workbook(&CompareReport {
        runs: vec![report(&plan, &base, &quality), second],
    })
    .unwrap()
}

#[test]
fn kpis_sit_side_by_side_with_absolute_and_percent_deltas() {
    let bytes = build();
    assert_eq!(open(&bytes).sheet_names(), vec!["Summary", "Δ Channels"]);
    let summary = values(&bytes, "Summary");
    let header = find_row(&summary, 0, "Metric").unwrap();
    assert_eq!(at(&summary, header, 1), Data::String("Base".into()));
    assert_eq!(at(&summary, header, 2), Data::String("Margin up".into()));
    assert_eq!(at(&summary, header, 3), Data::String("Δ Margin up".into()));
    assert_eq!(at(&summary, header, 4), Data::String("Δ% Margin up".into()));
    // portfolio ROI: (600 × 50% − 160) / 160 = 0.875 against (600 − 160) / 160 = 2.75.
    let roi = find_row(&summary, 0, "Portfolio ROI").unwrap();
    assert!(close(number(&at(&summary, roi, 1)), 0.875));
    assert!(close(number(&at(&summary, roi, 2)), 2.75));
    assert!(close(number(&at(&summary, roi, 3)), 1.875));
    assert!(close(number(&at(&summary, roi, 4)), 1.875 / 0.875));
    let f = formulas(&bytes, "Summary");
    let row1 = roi + 1;
    assert_eq!(
        f.get_value((roi, 3)).cloned().unwrap_or_default(),
        format!("C{row1}-B{row1}")
    );
    // Revenue does not depend on the margin: zero deltas.
    let revenue = find_row(&summary, 0, "Total revenue").unwrap();
    assert!(close(number(&at(&summary, revenue, 3)), 0.0));
    assert!(close(number(&at(&summary, revenue, 4)), 0.0));
}

#[test]
fn only_the_params_that_differ_are_listed() {
    let bytes = build();
    let summary = values(&bytes, "Summary");
    let header = find_row(&summary, 0, "Param").unwrap();
    assert_eq!(at(&summary, header + 1, 0), Data::String("margin".into()));
    assert!(close(number(&at(&summary, header + 1, 1)), 0.5));
    assert!(close(number(&at(&summary, header + 1, 2)), 1.0));
    assert_eq!(find_row(&summary, 0, "target_win_rate"), None);
}

#[test]
fn channel_rows_are_matched_by_key_with_per_row_deltas() {
    let bytes = build();
    let sheet = values(&bytes, "Δ Channels");
    let base = header_column(&sheet, 0, "roi [Base]");
    let up = header_column(&sheet, 0, "roi [Margin up]");
    let delta = header_column(&sheet, 0, "Δ roi [Margin up]");
    let direct = find_row(&sheet, 0, "Direct").unwrap();
    // Direct: (100 × 50% − 60) / 60 → (100 − 60) / 60.
    assert!(close(number(&at(&sheet, direct, base)), -10.0 / 60.0));
    assert!(close(number(&at(&sheet, direct, up)), 40.0 / 60.0));
    assert!(close(number(&at(&sheet, direct, delta)), 50.0 / 60.0));
    // partner: 1.5 → 4.
    let partner = find_row(&sheet, 0, "partner").unwrap();
    assert!(close(number(&at(&sheet, partner, delta)), 2.5));
    // Online has no cost: both ROIs are #DIV/0!, so there is no delta.
    let online = find_row(&sheet, 0, "Online").unwrap();
    assert_eq!(at(&sheet, online, delta), Data::Empty);
    assert!(part_names(&bytes).contains(&"xl/charts/chart1.xml".to_string()));
}

#[test]
fn libreoffice_recomputes_the_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compare.xlsx");
    std::fs::write(&path, build()).unwrap();
    if let Some(keep) = std::env::var_os("CHANMIX_RENDER_DIR") {
        std::fs::copy(&path, std::path::Path::new(&keep).join("compare.xlsx")).unwrap();
    }
    let report = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if report.skipped.is_none() {
        // Every formula we wrote was recomputed and compared.
        let bytes = build();
        let written: usize = ["Summary", "Δ Channels"]
            .iter()
            .map(|sheet| {
                formulas(&bytes, sheet)
                    .used_cells()
                    .filter(|(_, _, f)| !f.is_empty())
                    .count()
            })
            .sum();
        assert!(written > 0);
        assert_eq!(report.formulas_checked, written, "{report:?}");
    }
}

#[test]
fn compare_is_deterministic_and_needs_two_scenarios() {
    assert_eq!(build(), build());
    let plan = compile(RULES);
    let base = run(&plan, &[]);
    let quality = quality();
    let err = build_compare_workbook(&CompareReport {
        runs: vec![report(&plan, &base, &quality)],
    })
    .unwrap_err();
    assert!(matches!(err, ReportError::TooFewRuns(1)), "{err}");
}

/// The fixture's rules with two findings that depend on the margin and a table no
/// param reaches.
fn margin_findings_rules() -> String {
    format!(
        "{RULES}\n\
         flag Channels when roi < 0: \"{{channel}} loses money\"\n\
         flag Channels when roi > 3 severity opportunity: \"{{channel}} returns over 300%\"\n\
         table Stages = group Opportunities by stage\n\
         Stages.deals = COUNT(Opportunities)  @integer\n"
    )
}

fn build_with_findings() -> Vec<u8> {
    build_from(&margin_findings_rules())
}

#[test]
fn findings_raised_and_cleared_are_listed_per_scenario() {
    // By hand: at 50% Direct's ROI is (50 − 60) / 60 < 0 (loses money) and partner's
    // (250 − 100) / 100 = 1.5; at 100% Direct's is 40 / 60 > 0 (cleared) and partner's
    // (500 − 100) / 100 = 4 > 3 (raised). Online has no cost: #DIV/0!, no finding.
    let bytes = build_with_findings();
    let summary = values(&bytes, "Summary");
    let header = find_row(&summary, 1, "Change").expect("a findings header row");
    let row = |r: u32| -> Vec<String> { (0..6).map(|c| at(&summary, r, c).to_string()).collect() };
    assert_eq!(
        row(header + 1)[..5],
        ["Margin up", "Raised", "opportunity", "Channels", "partner"]
    );
    assert!(row(header + 1)[5].contains("returns over 300%"));
    assert_eq!(
        row(header + 2)[..5],
        ["Margin up", "Cleared", "warning", "Channels", "Direct"]
    );
    assert!(row(header + 2)[5].contains("loses money"));
    assert_eq!(at(&summary, header + 3, 0), Data::Empty);
}

#[test]
fn delta_sheets_hold_only_what_changes() {
    let bytes = build_with_findings();
    // Stages never depends on the margin: no Δ sheet, and the Summary names it.
    assert_eq!(open(&bytes).sheet_names(), vec!["Summary", "Δ Channels"]);
    let summary = values(&bytes, "Summary");
    let named = (0..summary.height() as u32).any(|r| {
        at(&summary, r, 0)
            .to_string()
            .contains("No scenario changes: Stages")
    });
    assert!(named, "the Summary names the unchanged table");
    // Of Channels, only roi depends on the margin (by the rules above); revenue, deals,
    // cost and the rest are equal in both runs.
    let sheet = values(&bytes, "Δ Channels");
    let headers: Vec<String> = (0..sheet.width() as u32)
        .map(|c| at(&sheet, 0, c).to_string())
        .collect();
    assert_eq!(
        headers,
        [
            "channel",
            "roi [Base]",
            "roi [Margin up]",
            "Δ roi [Margin up]"
        ]
    );
}

#[test]
fn compare_json_lists_the_same_findings_and_changes() {
    let plan = compile(&margin_findings_rules());
    let base = run(&plan, &[]);
    let up = run(&plan, &[("margin".to_string(), Value::Number(1.0))]);
    let quality = quality();
    let mut second = report(&plan, &up, &quality);
    second.title = "Margin up".into();
    let text = chanmix::pipeline::json::compare_to_json(&CompareReport {
        runs: vec![report(&plan, &base, &quality), second],
    });
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let findings = &json["findings"]["Margin up"];
    assert_eq!(findings["raised"][0]["subject"], "partner");
    assert_eq!(findings["raised"].as_array().unwrap().len(), 1);
    assert_eq!(findings["cleared"][0]["subject"], "Direct");
    assert_eq!(findings["cleared"].as_array().unwrap().len(), 1);
    // Both runs flag the same channel for a win rate below half (the fixture's flag):
    // Online (0 of 2 closed won); Direct wins 1 of 2 (not below half), partner 2 of 3.
    assert_eq!(findings["in_both"], 1);
    assert_eq!(json["params_that_differ"]["margin"]["Base"], 0.5);
    assert_eq!(json["params_that_differ"]["margin"]["Margin up"], 1.0);
    assert_eq!(
        json["tables"]["Channels"]["changed_columns"],
        serde_json::json!(["roi"])
    );
    assert_eq!(json["unchanged_tables"], serde_json::json!(["Stages"]));
    let direct = json["tables"]["Channels"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "Direct")
        .unwrap();
    assert!(close(direct["roi"]["Base"].as_f64().unwrap(), -10.0 / 60.0));
    assert!(close(
        direct["roi"]["Margin up"].as_f64().unwrap(),
        40.0 / 60.0
    ));
    let roi = json["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["metric"] == "portfolio_roi")
        .unwrap();
    assert!(close(roi["delta"]["Margin up"].as_f64().unwrap(), 1.875));
}
