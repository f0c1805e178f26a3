//! The shipped rule library on the shipped sample workbook: channel metrics of the
//! reporting period (July 2025 – June 2026, base.toml's) computed by the engine equal an
//! independent computation with plain loops over calamine's raw cells.

use std::collections::BTreeMap;
use std::path::PathBuf;

use calamine::Data;
use chanmix::data::read_inputs;
use chanmix::data::spec::InputsSpec;
use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::{Evaluated, evaluate};
use chanmix::functions::CallContext;
use chanmix::lang::program::{expand_rule_paths, load_rule_files};
use chanmix::pipeline::inputs::request_for_plan;
use chanmix::value::Value;

use crate::support::command::Chanmix;
use crate::support::xlsx::{self, number_or_date};
use crate::support::{repo, texts};

pub(crate) fn sample() -> PathBuf {
    repo().join("scenarios/data/crm_sample.xlsx")
}

pub(crate) fn run_library() -> Evaluated {
    let paths = expand_rule_paths(&[repo().join("rules")]).unwrap();
    let program = load_rule_files(&paths, &[], &chanmix::analysis::vocabulary()).unwrap();
    let plan = program.plan.unwrap_or_else(|| {
        panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        )
    });
    // The partner list is the sample's `Partners` sheet (base.toml maps it the same way).
    let partner_list = chanmix::data::spec::TableSpec {
        sheet: Some("Partners".into()),
        ..Default::default()
    };
    let spec = InputsSpec {
        workbook: Some(sample()),
        tables: BTreeMap::from([("PartnerList".to_string(), partner_list)]),
    };
    let request = request_for_plan(&plan, &spec);
    let data = read_inputs(&request.spec, repo(), Some(&request.wanted)).unwrap();
    // base.toml's as_of and overhead.
    let context = CallContext {
        as_of: Some(serial(2026, 6, 30)),
    };
    let overhead = [("overhead_per_month".to_string(), Value::Number(50_000.0))];
    evaluate(&plan, data.tables, &overhead, &context).unwrap()
}

fn serial(y: i32, m: u32, d: u32) -> f64 {
    chanmix::value::datetime::serial_from_ymd(y, m, d).unwrap()
}

/// The reporting period of base.toml: the 12 months ending 2026-06-30.
fn in_period(serial_date: f64) -> bool {
    (serial(2025, 7, 1)..=serial(2026, 6, 30)).contains(&serial_date)
}

/// The shipped margin: 72%, less the marketplace's 15% fee and the reseller's 20%.
fn margin(channel: &str) -> f64 {
    match channel {
        "Marketplace" => 0.72 - 0.15,
        "Reseller" => 0.72 - 0.20,
        _ => 0.72,
    }
}

/// Per channel and over the reporting period, from the raw Opportunities and Costs sheets.
#[derive(Default, Debug)]
struct Expected {
    opportunities: f64,
    won: f64,
    lost: f64,
    revenue: f64,
    cycle_sum: f64,
    direct_cost: f64,
}

fn column(header: &[Data], name: &str) -> usize {
    header.iter().position(|h| *h == name).unwrap()
}

fn expected_by_channel() -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    let rows = xlsx::rows(&sample(), "Opportunities");
    let header = &rows[0];
    let (channel, stage, amount, created, closed) = (
        column(header, "channel"),
        column(header, "stage"),
        column(header, "amount"),
        column(header, "created_date"),
        column(header, "close_date"),
    );
    for row in &rows[1..] {
        let e = out.entry(row[channel].to_string()).or_default();
        if in_period(number_or_date(&row[created])) {
            e.opportunities += 1.0;
        }
        let closed_in_period =
            !matches!(row[closed], Data::Empty) && in_period(number_or_date(&row[closed]));
        if !closed_in_period {
            continue;
        }
        match row[stage].to_string().as_str() {
            "Closed Won" => {
                e.won += 1.0;
                e.revenue += number_or_date(&row[amount]);
                e.cycle_sum += number_or_date(&row[closed]) - number_or_date(&row[created]);
            }
            "Closed Lost" => e.lost += 1.0,
            _ => {}
        }
    }
    let costs = xlsx::rows(&sample(), "Costs");
    let header = &costs[0];
    let (month, channel, amount) = (
        column(header, "month"),
        column(header, "channel"),
        column(header, "amount"),
    );
    for row in &costs[1..] {
        if in_period(number_or_date(&row[month])) {
            out.entry(row[channel].to_string()).or_default().direct_cost +=
                number_or_date(&row[amount]);
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn channel_metrics_equal_an_independent_computation() {
    let result = run_library();
    let expected = expected_by_channel();
    let channels = result.table("Channels").unwrap();
    let get = |name: &str, row: usize| {
        channels.column(name).unwrap().values()[row]
            .as_f64()
            .unwrap()
    };
    assert_eq!(channels.row_count, expected.len(), "one row per channel");
    let overhead = 50_000.0 * 12.0;
    let all_direct: f64 = expected.values().map(|e| e.direct_cost).sum();
    for (row, (name, e)) in expected.iter().enumerate() {
        let channel = channels.column("channel").unwrap().values()[row]
            .to_text()
            .unwrap();
        assert_eq!(&*channel, name.as_str());
        assert_eq!(
            get("opportunities", row),
            e.opportunities,
            "{name} opportunities"
        );
        assert_eq!(get("won", row), e.won, "{name} won");
        assert_eq!(get("lost", row), e.lost, "{name} lost");
        assert!(
            close(get("win_rate", row), e.won / (e.won + e.lost)),
            "{name} win rate"
        );
        assert!(close(get("revenue", row), e.revenue), "{name} revenue");
        assert!(
            close(get("cycle_days", row), e.cycle_sum / e.won),
            "{name} cycle"
        );
        assert!(
            close(get("direct_cost", row), e.direct_cost),
            "{name} direct cost"
        );
        let total_cost = e.direct_cost + overhead * e.direct_cost / all_direct;
        assert!(
            close(get("total_cost", row), total_cost),
            "{name} total cost"
        );
        assert!(
            close(get("cost_per_won_deal", row), e.direct_cost / e.won),
            "{name} cost per won deal"
        );
        assert!(
            close(
                get("payback_months", row),
                e.direct_cost / (e.revenue * margin(name) / 12.0)
            ),
            "{name} payback"
        );
        let roi = (e.revenue * margin(name) - total_cost) / total_cost;
        assert!(
            close(get("roi", row), roi),
            "{name} ROI: {} vs {roi}",
            get("roi", row)
        );
    }
    let total: f64 = expected.values().map(|e| e.revenue).sum();
    assert!(close(
        result.scalar("total_bookings").unwrap().as_f64().unwrap(),
        total
    ));
}

#[test]
fn every_grouped_table_of_the_library_evaluates() {
    let result = run_library();
    for name in [
        "Channels",
        "Funnel",
        "Pipeline",
        "ChannelSegments",
        "Segments",
        "ChannelMonths",
        "ChannelSeasons",
        "Seasons",
        "Customers",
        "Cohorts",
        "CycleHistory",
        "CostChannels",
    ] {
        let table = result
            .table(name)
            .unwrap_or_else(|| panic!("missing table {name}"));
        assert!(table.row_count > 0, "{name} is empty");
    }
    // Every segment names a best channel that exists.
    let segments = result.table("Segments").unwrap();
    let channels = result.table("Channels").unwrap();
    let names = texts(channels, "channel");
    for value in segments.column("best_channel").unwrap().values().iter() {
        let best = value
            .to_text()
            .unwrap_or_else(|e| panic!("best_channel is {e:?}"));
        assert!(names.iter().any(|n| n == &*best), "{best} is not a channel");
    }
}

/// The numbers a reader sees: the Channels sheet of `chanmix run`'s workbook, read back
/// with calamine (cached values of live formulas included), against the raw-row computation.
#[test]
fn workbook_channel_sheet_equals_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base.xlsx");
    Chanmix::new()
        .args(["run", "scenarios/base.toml", "-o", out.to_str().unwrap()])
        .success();
    let rows = xlsx::rows(&out, "Channels");
    let header = &rows[0];
    let col = |name: &str| column(header, name);
    let expected = expected_by_channel();
    assert_eq!(rows.len() - 1, expected.len());
    for row in &rows[1..] {
        let name = row[col("channel")].to_string();
        let e = &expected[&name];
        assert_eq!(number_or_date(&row[col("won")]), e.won, "{name} won");
        assert_eq!(number_or_date(&row[col("lost")]), e.lost, "{name} lost");
        assert!(
            close(
                number_or_date(&row[col("win_rate")]),
                e.won / (e.won + e.lost)
            ),
            "{name} win rate"
        );
        assert!(
            close(number_or_date(&row[col("revenue")]), e.revenue),
            "{name} revenue"
        );
        assert!(
            close(number_or_date(&row[col("avg_deal")]), e.revenue / e.won),
            "{name} avg deal"
        );
        assert!(
            close(number_or_date(&row[col("direct_cost")]), e.direct_cost),
            "{name} direct cost"
        );
    }
}
