//! The small hand-made fixture shared by the report tests: eight opportunities, four
//! cost rows, and a rule program whose every result is easy to work out by hand.

use std::path::PathBuf;

use chanmix::data::quality::{QualityEntry, QualityLog, TableCounts};
use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::{Evaluated, evaluate};
use chanmix::functions::CallContext;
use chanmix::lang::plan::Plan;
use chanmix::lang::program::check_sources;
use chanmix::report::{
    ChartKind, ChartSpec, DashboardSpec, FileHash, ParamSource, Provenance, RunReport,
};
use chanmix::table::{Column, Table};
use chanmix::value::Value;
use chanmix::value::ValueType;
use chrono::NaiveDate;

fn text(s: &str) -> Value {
    Value::text(s)
}

fn date(y: i32, m: u32, d: u32) -> Value {
    Value::Date(chanmix::value::datetime::serial_from_ymd(y, m, d).unwrap())
}

/// Eight opportunities over three channels (one spelled in lower case) and four cost rows.
pub fn fixture() -> Vec<Table> {
    let mut opportunities = Table::new("Opportunities", 8);
    let channels = [
        "Direct", "Direct", "Direct", "partner", "Partner", "Partner", "Online", "Online",
    ];
    let stages = [
        "Closed Won",
        "Closed Lost",
        "Prospecting",
        "Closed Won",
        "Closed Won",
        "Closed Lost",
        "Closed Lost",
        "Closed Lost",
    ];
    let amounts = [100.0, 50.0, 70.0, 200.0, 300.0, 10.0, 5.0, 15.0];
    let created = [
        date(2026, 1, 1),
        date(2026, 1, 5),
        date(2026, 2, 1),
        date(2026, 1, 10),
        date(2026, 2, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 3, 1),
    ];
    let closed = [
        date(2026, 1, 31),
        date(2026, 2, 4),
        Value::Blank,
        date(2026, 3, 11),
        date(2026, 2, 21),
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 3, 3),
    ];
    opportunities.set_column(Column::new(
        "channel",
        ValueType::Text,
        channels.iter().map(|c| text(c)).collect(),
    ));
    opportunities.set_column(Column::new(
        "stage",
        ValueType::Text,
        stages.iter().map(|s| text(s)).collect(),
    ));
    opportunities.set_column(Column::new(
        "amount",
        ValueType::Number,
        amounts.iter().map(|a| Value::Number(*a)).collect(),
    ));
    opportunities.set_column(Column::new(
        "created_date",
        ValueType::Date,
        created.to_vec(),
    ));
    opportunities.set_column(Column::new("close_date", ValueType::Date, closed.to_vec()));
    let mut costs = Table::new("Costs", 4);
    costs.set_column(Column::new(
        "channel",
        ValueType::Text,
        ["Direct", "Direct", "Partner", "Marketplace"]
            .iter()
            .map(|c| text(c))
            .collect(),
    ));
    costs.set_column(Column::new(
        "amount",
        ValueType::Number,
        [40.0, 20.0, 100.0, 999.0]
            .iter()
            .map(|a| Value::Number(*a))
            .collect(),
    ));
    vec![opportunities, costs]
}

pub const RULES: &str = r#"
input Opportunities (channel: text, stage: text, amount: number, created_date: date, close_date: date?)
input Costs (channel: text, amount: number)

param margin = 50%            @percent
param target_win_rate = 40%   @percent

Opportunities.is_won     = stage = "Closed Won"
Opportunities.is_closed  = stage IN ("Closed Won", "Closed Lost")
Opportunities.cycle_days = close_date - created_date

table Channels = group Opportunities by channel
Channels.deals      = COUNT(Opportunities)                           @integer
Channels.won        = COUNT(Opportunities where is_won)              @integer
Channels.closed     = COUNT(Opportunities where is_closed)           @integer
Channels.win_rate   = IFERROR(won / closed, 0)                       @percent @higher_is_better
Channels.revenue    = SUM(Opportunities.amount where is_won)         @currency
Channels.avg_won    = revenue / won                                  @currency
Channels.cycle      = AVERAGE(Opportunities.cycle_days where is_won) @decimal @lower_is_better
Channels.cost       = SUM(Costs.amount)                              @currency
Channels.roi        = (revenue * margin - cost) / cost               @percent @higher_is_better @icons
Channels.share      = revenue / SUM(Channels.revenue)                @percent
Channels.on_target  = win_rate >= target_win_rate and won > 0
Channels.last_close = MAX(Opportunities.close_date)                  @date
Channels.tier       = IF(revenue > 200, "A", "B")

total_revenue = SUM(Channels.revenue)                                @currency
total_cost    = SUM(Channels.cost)                                   @currency
portfolio_roi = (total_revenue * margin - total_cost) / total_cost   @percent

flag Channels when win_rate < 50%: "{channel}: win rate {win_rate:0%} is below half — tighten qualification"
"#;

pub fn compile(rules: &str) -> Plan {
    let mut sources = SourceMap::new();
    sources.add("test.rules", rules);
    let program = check_sources(sources, &[]);
    assert!(
        program.plan.is_some(),
        "rules should check cleanly:\n{}",
        render_text(&program.diagnostics, &program.sources, false)
    );
    program.plan.unwrap()
}

pub fn run(plan: &Plan, overrides: &[(String, Value)]) -> Evaluated {
    evaluate(plan, fixture(), overrides, &CallContext::default()).unwrap()
}

pub fn quality() -> QualityLog {
    QualityLog {
        entries: vec![QualityEntry {
            table: "Opportunities".into(),
            file: PathBuf::from("data/crm.xlsx"),
            cell: "Opportunities!H9".into(),
            column: "amount".into(),
            raw: "$1,234".into(),
            expected: "a number".into(),
            action: "repaired: parsed '$1,234' as 1234".into(),
        }],
        counts: vec![TableCounts {
            table: "Opportunities".into(),
            rows_read: 9,
            rows_kept: 8,
            rows_rejected: 1,
            blank_rows_skipped: 0,
            cells_reported: 2,
            cells_repaired: 1,
            cells_not_listed: 0,
        }],
    }
}

pub fn dashboard() -> DashboardSpec {
    DashboardSpec {
        title: "Channel performance".into(),
        kpis: vec!["total_revenue".into(), "portfolio_roi".into()],
        kpi_comparisons: vec![("total_revenue".into(), "total_cost".into())],
        charts: vec![
            ChartSpec {
                title: "Revenue and ROI by channel".into(),
                table: "Channels".into(),
                kind: ChartKind::Column,
                series: vec!["revenue".into()],
                secondary: vec!["roi".into()],
                category: None,
            },
            ChartSpec {
                title: "Revenue share".into(),
                table: "Channels".into(),
                kind: ChartKind::Pie,
                series: vec!["revenue".into()],
                secondary: vec![],
                category: None,
            },
        ],
    }
}

pub fn provenance(inputs: Vec<FileHash>) -> Provenance {
    Provenance {
        tool_version: "0.1.0".into(),
        scenario_files: vec![],
        rule_files: vec![FileHash {
            path: PathBuf::from("rules/test.rules"),
            sha256: "ab".repeat(32),
            bytes: 1234,
        }],
        input_files: inputs,
        as_of: NaiveDate::from_ymd_opt(2026, 6, 30),
    }
}

pub fn report<'a>(plan: &'a Plan, result: &'a Evaluated, quality: &'a QualityLog) -> RunReport<'a> {
    RunReport {
        title: "Base".into(),
        description: Some("Current channel mix".into()),
        plan,
        result,
        params: vec![ParamSource {
            param: plan.param_id("margin").unwrap(),
            source: "scenarios/base.toml".into(),
        }],
        quality,
        provenance: provenance(vec![]),
        dashboard: dashboard(),
        omitted_tables: Vec::new(),
        readable_headers: false,
    }
}
