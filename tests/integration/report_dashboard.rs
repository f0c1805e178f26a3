//! A realistic run — the shipped base scenario over the shipped sample CRM export — turned
//! into a dashboard workbook with every chart kind, which LibreOffice must recompute exactly.
//! Set CHANMIX_RENDER_DIR to keep the workbook (to render it to PNG and look at it).

use std::path::Path;

use chanmix::pipeline::{execute, prepare, read, run_report};
use chanmix::report::{ChartKind, ChartSpec, build_run_workbook};

use crate::support::libreoffice::recalc_and_compare;
use crate::support::xlsx::{part, part_names};

fn chart(
    title: &str,
    table: &str,
    kind: ChartKind,
    series: &[&str],
    secondary: &[&str],
) -> ChartSpec {
    ChartSpec {
        title: title.into(),
        table: table.into(),
        kind,
        series: series.iter().map(|s| s.to_string()).collect(),
        secondary: secondary.iter().map(|s| s.to_string()).collect(),
        category: None,
    }
}

#[test]
fn realistic_dashboard_recomputes_in_libreoffice() {
    let scenario = crate::support::repo().join("scenarios/base.toml");
    let prepared = prepare(&scenario).unwrap_or_else(|e| panic!("{e}"));
    let (data, _) = read(&prepared, None).unwrap_or_else(|e| panic!("{e}"));
    let result = execute(&prepared, &data).unwrap_or_else(|e| panic!("{e}"));
    let mut report = run_report(&prepared, &data, &result).unwrap_or_else(|e| panic!("{e}"));
    // The scenario's own KPIs, with charts of every kind the report draws natively.
    report.dashboard.charts = vec![
        chart(
            "Won revenue and ROI by channel",
            "Channels",
            ChartKind::Column,
            &["revenue"],
            &["roi"],
        ),
        chart(
            "Funnel: leads to won deals",
            "Funnel",
            ChartKind::Funnel,
            &[
                "leads",
                "reached_mql",
                "reached_sql",
                "reached_opportunity",
                "reached_won",
            ],
            &[],
        ),
        chart(
            "Won revenue by month",
            "Months",
            ChartKind::Line,
            &["revenue"],
            &[],
        ),
        chart(
            "Won revenue by segment and channel",
            "ChannelSegments",
            ChartKind::StackedColumn,
            &["revenue"],
            &[],
        ),
        chart(
            "Cost per customer (CAC) against benchmark",
            "Channels",
            ChartKind::Bar,
            &["cac_new_customer", "bench_cac"],
            &[],
        ),
        chart(
            "Share of won revenue",
            "Channels",
            ChartKind::Doughnut,
            &["revenue"],
            &[],
        ),
    ];
    let bytes = build_run_workbook(&report).unwrap_or_else(|e| panic!("{e}"));
    let parts = part_names(&bytes);
    for n in 1..=6 {
        assert!(
            parts.contains(&format!("xl/charts/chart{n}.xml")),
            "chart {n} missing"
        );
    }
    // The funnel is a stacked bar chart with the first stage on top.
    let funnel = part(&bytes, "xl/charts/chart2.xml");
    assert!(
        funnel.contains("<c:grouping val=\"stacked\"/>")
            && funnel.contains("<c:orientation val=\"maxMin\"/>")
    );
    assert!(part(&bytes, "xl/charts/chart6.xml").contains("<c:doughnutChart>"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    if let Some(keep) = std::env::var_os("CHANMIX_RENDER_DIR") {
        std::fs::write(Path::new(&keep).join("dashboard.xlsx"), &bytes).unwrap();
    }
    let check = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if check.skipped.is_none() {
        assert!(check.formulas_checked > 100, "{check:?}");
    }
}
