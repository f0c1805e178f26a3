//! A realistic run — the shipped channel rules over a generated CRM export of 3,000
//! opportunities — turned into a dashboard workbook that LibreOffice must recompute exactly.
//! Set CHANMIX_RENDER_DIR to keep the workbook (to render it to PNG and look at it).

// Tests (and their shared helpers in support/) fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chanmix::data::quality::QualityLog;
use chanmix::data::table::{Column, Table};
use chanmix::eval::engine::evaluate;
use chanmix::eval::functions::CallContext;
use chanmix::eval::value::Value;
use chanmix::lang::ast::ColumnType;
use chanmix::lang::program::check_sources;
use chanmix::lang::render::render_text;
use chanmix::lang::source::SourceMap;
use chanmix::report::{
    ChartKind, ChartSpec, DashboardSpec, ParamRow, Provenance, RunReport, build_run_workbook,
};
use chrono::{Duration, NaiveDate};
use support::libreoffice::recalc_and_compare;
use support::xlsx::part_names;

/// splitmix64: a tiny deterministic generator, so the data never depends on a crate's version.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// (name, win rate, mean deal size, mean cycle days, monthly cost)
const CHANNELS: [(&str, f64, f64, f64, f64); 6] = [
    ("Direct", 0.32, 48_000.0, 95.0, 210_000.0),
    ("Inside Sales", 0.27, 14_000.0, 45.0, 70_000.0),
    ("Partner", 0.35, 30_000.0, 80.0, 60_000.0),
    ("Reseller", 0.22, 18_000.0, 70.0, 45_000.0),
    ("Marketplace", 0.18, 6_000.0, 20.0, 30_000.0),
    ("Online", 0.12, 2_500.0, 10.0, 40_000.0),
];

fn serial(date: NaiveDate) -> Value {
    Value::Date(chanmix::eval::datetime::serial_from_date(date))
}

fn crm(rows: usize) -> Vec<Table> {
    let mut random = Random(2026);
    let start = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let mut columns: [Vec<Value>; 10] = Default::default();
    for i in 0..rows {
        let (channel, win_rate, deal, cycle, _) = CHANNELS[(random.next() % 6) as usize];
        let segment = random.pick(&["Enterprise", "Mid-Market", "SMB"]);
        let size = match segment {
            "Enterprise" => 2.2,
            "Mid-Market" => 1.0,
            _ => 0.45,
        };
        let created = start + Duration::days((random.unit() * 350.0) as i64);
        let days = (cycle * (0.4 + 1.2 * random.unit())) as i64;
        let close = created + Duration::days(days);
        let (stage, close_date) = if close <= as_of {
            let won = random.unit()
                < win_rate
                    * if segment == "Enterprise" && channel == "Direct" {
                        1.3
                    } else {
                        1.0
                    };
            (
                if won { "Closed Won" } else { "Closed Lost" },
                serial(close),
            )
        } else {
            (
                random.pick(&["Prospecting", "Qualification", "Proposal", "Negotiation"]),
                Value::Blank,
            )
        };
        let amount = (deal * size * (0.5 + random.unit())).round();
        let partner = if matches!(channel, "Partner" | "Reseller") {
            Value::text(&format!("P{:03}", random.next() % 40))
        } else {
            Value::Blank
        };
        let row = [
            Value::text(&format!("OPP-{i:05}")),
            Value::text(&format!("ACC-{:04}", random.next() % (rows as u64 / 5))),
            Value::text(channel),
            partner,
            Value::text(segment),
            Value::text(random.pick(&["NA", "EMEA", "APAC", "LATAM"])),
            Value::text(stage),
            Value::Number(amount),
            serial(created),
            close_date,
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let names = [
        ("opp_id", ColumnType::Text),
        ("account_id", ColumnType::Text),
        ("channel", ColumnType::Text),
        ("partner_id", ColumnType::Text),
        ("segment", ColumnType::Text),
        ("region", ColumnType::Text),
        ("stage", ColumnType::Text),
        ("amount", ColumnType::Number),
        ("created_date", ColumnType::Date),
        ("close_date", ColumnType::Date),
    ];
    let mut opportunities = Table::new("Opportunities", rows);
    for ((name, ty), values) in names.iter().zip(columns) {
        opportunities.set_column(Column::new(name, *ty, values));
    }
    let mut cost_columns: [Vec<Value>; 4] = Default::default();
    for month in 0..12 {
        let date =
            NaiveDate::from_ymd_opt(2025 + (6 + month) / 12, ((6 + month) % 12 + 1) as u32, 1)
                .unwrap();
        for (channel, _, _, _, monthly) in CHANNELS {
            for (cost_type, share) in [
                ("Headcount", 0.6),
                ("Programs", 0.2),
                ("Commissions", 0.15),
                ("Tools", 0.05),
            ] {
                let row = [
                    serial(date),
                    Value::text(channel),
                    Value::text(cost_type),
                    Value::Number((monthly * share * (0.9 + 0.2 * random.unit())).round()),
                ];
                for (column, value) in cost_columns.iter_mut().zip(row) {
                    column.push(value);
                }
            }
        }
    }
    let mut costs = Table::new("Costs", 12 * 6 * 4);
    let cost_names = [
        ("month", ColumnType::Date),
        ("channel", ColumnType::Text),
        ("cost_type", ColumnType::Text),
        ("amount", ColumnType::Number),
    ];
    for ((name, ty), values) in cost_names.iter().zip(cost_columns) {
        costs.set_column(Column::new(name, *ty, values));
    }
    vec![opportunities, costs]
}

/// Trend, segment fit and headline figures on top of the shipped library.
const DASHBOARD_RULES: &str = r#"
Opportunities.close_month = EOMONTH(close_date, -1) + 1                @date
table Monthly = group Opportunities by close_month where is_won
Monthly.revenue = SUM(Opportunities.amount)                            @currency
Monthly.deals   = COUNT(Opportunities)                                 @integer

table SegmentFit = group Opportunities by segment, channel
SegmentFit.won      = COUNT(Opportunities where is_won)                @integer
SegmentFit.win_rate = IFERROR(won / COUNT(Opportunities where is_closed), 0)  @percent
SegmentFit.revenue  = SUM(Opportunities.amount where is_won)           @currency

won_deals        = SUM(Channels.won)                                   @integer
overall_win_rate = won_deals / (won_deals + SUM(Channels.lost))        @percent
avg_deal_size    = total_revenue / won_deals                           @currency
open_pipeline    = SUM(Channels.open_pipeline)                         @currency
best_roi_channel = XLOOKUP(MAX(Channels.roi), Channels.roi, Channels.channel)
"#;

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

fn realistic_workbook() -> Vec<u8> {
    let rules_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/channel_performance.rules"
    );
    let mut sources = SourceMap::new();
    sources.add(
        "rules/channel_performance.rules",
        std::fs::read_to_string(rules_path).unwrap(),
    );
    sources.add("dashboard.rules", DASHBOARD_RULES);
    let program = check_sources(sources, &[]);
    let plan = program.plan.unwrap_or_else(|| {
        panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        )
    });
    let overrides = [("gross_margin".to_string(), Value::Number(0.7))];
    let context = CallContext {
        as_of: Some(chanmix::eval::datetime::serial_from_ymd(2026, 6, 30).unwrap()),
    };
    let result = evaluate(&plan, crm(3000), &overrides, &context).unwrap();
    let quality = QualityLog::default();
    let report = RunReport {
        title: "FY26 base".into(),
        description: Some("Current channel mix, twelve months to June 2026".into()),
        plan: &plan,
        result: &result,
        params: vec![ParamRow {
            name: "gross_margin".into(),
            value: Value::Number(0.7),
            source: "scenarios/base.toml".into(),
        }],
        quality: &quality,
        provenance: Provenance {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            as_of: NaiveDate::from_ymd_opt(2026, 6, 30),
            ..Provenance::default()
        },
        dashboard: DashboardSpec {
            title: "Sales channel performance".into(),
            kpis: [
                "total_revenue",
                "portfolio_roi",
                "overall_win_rate",
                "won_deals",
                "avg_deal_size",
                "open_pipeline",
                "total_cost",
                "best_roi_channel",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            charts: vec![
                chart(
                    "Revenue and ROI by channel",
                    "Channels",
                    ChartKind::Column,
                    &["revenue"],
                    &["roi"],
                ),
                chart(
                    "Win rate by channel",
                    "Channels",
                    ChartKind::Bar,
                    &["win_rate"],
                    &[],
                ),
                chart(
                    "Won revenue by month",
                    "Monthly",
                    ChartKind::Line,
                    &["revenue"],
                    &[],
                ),
                chart(
                    "Won revenue by segment and channel",
                    "SegmentFit",
                    ChartKind::Column,
                    &["revenue"],
                    &[],
                ),
                chart(
                    "CAC and LTV by channel",
                    "Channels",
                    ChartKind::Column,
                    &["cac", "ltv"],
                    &[],
                ),
                chart(
                    "Share of won revenue",
                    "Channels",
                    ChartKind::Pie,
                    &["revenue"],
                    &[],
                ),
            ],
        },
    };
    build_run_workbook(&report).unwrap()
}

#[test]
fn realistic_dashboard_recomputes_in_libreoffice() {
    let bytes = realistic_workbook();
    let parts = part_names(&bytes);
    for n in 1..=6 {
        assert!(
            parts.contains(&format!("xl/charts/chart{n}.xml")),
            "chart {n} missing"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    if let Some(keep) = std::env::var_os("CHANMIX_RENDER_DIR") {
        std::fs::write(std::path::Path::new(&keep).join("dashboard.xlsx"), &bytes).unwrap();
    }
    let report = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if report.skipped.is_none() {
        assert!(report.formulas_checked > 50, "{report:?}");
    }
}
