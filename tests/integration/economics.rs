//! The shipped rule library's economics (rules/*.rules): a hand-worked CRM for each
//! redefined metric (CAC per new customer, payback, discounted LTV, GRR/NRR, cohort
//! retention, weighted pipeline, seasonal index), blanks — never 0 — where a metric's
//! inputs are empty (a property over random CRMs), findings that never contradict each
//! other, and the whole library on a freshly generated sample recomputed by pandas
//! (tests/economics/recompute.py) to 1e-9, with the seasonal index also against
//! statsmodels' decomposition filter and the workbook recomputed by LibreOffice.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::{Evaluated, evaluate};
use chanmix::functions::CallContext;
use chanmix::lang::ast::Severity;
use chanmix::lang::plan::Plan;
use chanmix::lang::program::{expand_rule_paths, load_rule_files};
use chanmix::table::{Column, Table};
use chanmix::value::datetime::serial_from_ymd;
use chanmix::value::{Value, ValueType};
use proptest::prelude::*;
use serde_json::Value as Json;

use crate::support::command::Chanmix;
use crate::support::{python, repo};

fn serial(y: i32, m: u32, d: u32) -> f64 {
    serial_from_ymd(y, m, d).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> Value {
    Value::Date(serial(y, m, d))
}

/// The shipped library, compiled once.
fn library() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let paths = expand_rule_paths(&[repo().join("rules")]).unwrap();
        let program = load_rule_files(&paths, &[], &chanmix::analysis::vocabulary()).unwrap();
        program.plan.unwrap_or_else(|| {
            panic!(
                "{}",
                render_text(&program.diagnostics, &program.sources, false)
            )
        })
    })
}

/// A small CRM export, built row by row.
#[derive(Default, Clone, Debug)]
struct Crm {
    opportunities: Vec<(String, String, String, String, f64, Value, Value)>,
    costs: Vec<(Value, String, f64)>,
    leads: Vec<(String, Value, String)>,
    renewals: Vec<(String, String, Value, f64, bool)>,
    benchmarks: Vec<(String, String, f64)>,
}

impl Crm {
    /// account, channel, segment, stage, amount, created, closed (blank while open).
    #[allow(clippy::too_many_arguments)]
    fn opp(
        &mut self,
        account: &str,
        channel: &str,
        segment: &str,
        stage: &str,
        amount: f64,
        created: Value,
        closed: Value,
    ) {
        self.opportunities.push((
            account.into(),
            channel.into(),
            segment.into(),
            stage.into(),
            amount,
            created,
            closed,
        ));
    }

    fn tables(&self) -> Vec<Table> {
        let text = |s: &str| Value::text(s);
        let column = |name: &str, ty, values: Vec<Value>| Column::new(name, ty, values);
        let n = self.opportunities.len();
        let mut opps = Table::new("Opportunities", n);
        let o = &self.opportunities;
        opps.set_column(column(
            "opp_id",
            ValueType::Text,
            (0..n).map(|i| text(&format!("OPP-{i:04}"))).collect(),
        ));
        opps.set_column(column(
            "account_id",
            ValueType::Text,
            o.iter().map(|r| text(&r.0)).collect(),
        ));
        opps.set_column(column(
            "channel",
            ValueType::Text,
            o.iter().map(|r| text(&r.1)).collect(),
        ));
        opps.set_column(column("partner_id", ValueType::Text, vec![Value::Blank; n]));
        // Read by the overlap rules; unknown in this CRM.
        opps.set_column(column("product", ValueType::Text, vec![Value::Blank; n]));
        opps.set_column(column(
            "lead_source",
            ValueType::Text,
            vec![Value::Blank; n],
        ));
        opps.set_column(column(
            "segment",
            ValueType::Text,
            o.iter().map(|r| text(&r.2)).collect(),
        ));
        opps.set_column(column("region", ValueType::Text, vec![text("NA"); n]));
        opps.set_column(column(
            "stage",
            ValueType::Text,
            o.iter().map(|r| text(&r.3)).collect(),
        ));
        opps.set_column(column(
            "amount",
            ValueType::Number,
            o.iter().map(|r| Value::Number(r.4)).collect(),
        ));
        opps.set_column(column(
            "created_date",
            ValueType::Date,
            o.iter().map(|r| r.5.clone()).collect(),
        ));
        opps.set_column(column(
            "close_date",
            ValueType::Date,
            o.iter().map(|r| r.6.clone()).collect(),
        ));
        let mut costs = Table::new("Costs", self.costs.len());
        let c = &self.costs;
        costs.set_column(column(
            "month",
            ValueType::Date,
            c.iter().map(|r| r.0.clone()).collect(),
        ));
        costs.set_column(column(
            "channel",
            ValueType::Text,
            c.iter().map(|r| text(&r.1)).collect(),
        ));
        costs.set_column(column(
            "cost_type",
            ValueType::Text,
            vec![text("Programs"); c.len()],
        ));
        costs.set_column(column(
            "amount",
            ValueType::Number,
            c.iter().map(|r| Value::Number(r.2)).collect(),
        ));
        let mut leads = Table::new("Leads", self.leads.len());
        let l = &self.leads;
        leads.set_column(column(
            "lead_id",
            ValueType::Text,
            (0..l.len()).map(|i| text(&format!("L{i}"))).collect(),
        ));
        leads.set_column(column(
            "channel",
            ValueType::Text,
            l.iter().map(|r| text(&r.0)).collect(),
        ));
        leads.set_column(column(
            "created_date",
            ValueType::Date,
            l.iter().map(|r| r.1.clone()).collect(),
        ));
        leads.set_column(column(
            "stage_reached",
            ValueType::Text,
            l.iter().map(|r| text(&r.2)).collect(),
        ));
        let mut renewals = Table::new("Renewals", self.renewals.len());
        let r = &self.renewals;
        renewals.set_column(column(
            "account_id",
            ValueType::Text,
            r.iter().map(|x| text(&x.0)).collect(),
        ));
        renewals.set_column(column(
            "channel",
            ValueType::Text,
            r.iter().map(|x| text(&x.1)).collect(),
        ));
        renewals.set_column(column(
            "renewal_date",
            ValueType::Date,
            r.iter().map(|x| x.2.clone()).collect(),
        ));
        renewals.set_column(column(
            "arr",
            ValueType::Number,
            r.iter().map(|x| Value::Number(x.3)).collect(),
        ));
        renewals.set_column(column(
            "renewed",
            ValueType::Bool,
            r.iter().map(|x| Value::Bool(x.4)).collect(),
        ));
        let mut benchmarks = Table::new("Benchmarks", self.benchmarks.len());
        let b = &self.benchmarks;
        benchmarks.set_column(column(
            "channel",
            ValueType::Text,
            b.iter().map(|x| text(&x.0)).collect(),
        ));
        benchmarks.set_column(column(
            "metric",
            ValueType::Text,
            b.iter().map(|x| text(&x.1)).collect(),
        ));
        benchmarks.set_column(column(
            "value",
            ValueType::Number,
            b.iter().map(|x| Value::Number(x.2)).collect(),
        ));
        // The allocation library's inputs, empty: these hand-worked CRMs have no
        // headcount or market sizing (the what-if then has no fitted curve to follow).
        let mut headcount = Table::new("Headcount", 0);
        for (name, ty) in [
            ("month", ValueType::Date),
            ("channel", ValueType::Text),
            ("headcount", ValueType::Number),
            ("quota", ValueType::Number),
        ] {
            headcount.set_column(column(name, ty, Vec::new()));
        }
        // The overlap and coverage rules' inputs, empty: this CRM has no partners list
        // and no market demand.
        let mut partners = Table::new("PartnerList", 0);
        for (name, ty) in [
            ("partner_id", ValueType::Text),
            ("partner_name", ValueType::Text),
            ("tier", ValueType::Text),
            ("region", ValueType::Text),
            ("certified_reps", ValueType::Number),
            ("mdf_budget", ValueType::Number),
            ("joined_date", ValueType::Date),
        ] {
            partners.set_column(column(name, ty, Vec::new()));
        }
        // The partner library's other inputs, empty: no targets, forecasts,
        // assessments or enablement catalog.
        let empty = |table: &str, columns: &[(&str, ValueType)]| {
            let mut t = Table::new(table, 0);
            for (name, ty) in columns {
                t.set_column(column(name, *ty, Vec::new()));
            }
            t
        };
        let targets = empty(
            "PartnerTargets",
            &[
                ("partner_id", ValueType::Text),
                ("quarter", ValueType::Text),
                ("revenue_target", ValueType::Number),
                ("deals_target", ValueType::Number),
                ("certified_reps_target", ValueType::Number),
            ],
        );
        let forecasts = empty(
            "PartnerForecasts",
            &[
                ("partner_id", ValueType::Text),
                ("quarter", ValueType::Text),
                ("committed", ValueType::Number),
            ],
        );
        let assessments = empty(
            "PartnerAssessments",
            &[
                ("partner_id", ValueType::Text),
                ("assessment", ValueType::Text),
                ("assessed_date", ValueType::Date),
                ("technical", ValueType::Number),
                ("sales", ValueType::Number),
                ("marketing", ValueType::Number),
                ("satisfaction", ValueType::Number),
                ("reputation", ValueType::Number),
                ("segments", ValueType::Text),
                ("regions", ValueType::Text),
            ],
        );
        let programs = empty(
            "EnablementPrograms",
            &[
                ("program_id", ValueType::Text),
                ("program", ValueType::Text),
                ("capability", ValueType::Text),
                ("cost", ValueType::Number),
                ("expected_lift", ValueType::Number),
            ],
        );
        let mut demand = Table::new("SegmentDemand", 0);
        for (name, ty) in [
            ("segment", ValueType::Text),
            ("region", ValueType::Text),
            ("addressable_accounts", ValueType::Number),
            ("annual_demand", ValueType::Number),
        ] {
            demand.set_column(column(name, ty, Vec::new()));
        }
        vec![
            opps,
            costs,
            leads,
            renewals,
            benchmarks,
            headcount,
            partners,
            demand,
            targets,
            forecasts,
            assessments,
            programs,
        ]
    }

    fn run(&self, params: &[(&str, Value)]) -> Evaluated {
        let overrides: Vec<(String, Value)> = params
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        let context = CallContext {
            as_of: Some(serial(2026, 6, 30)),
        };
        evaluate(library(), self.tables(), &overrides, &context).unwrap()
    }
}

/// A cell of a table, found by its first column's value.
fn cell(result: &Evaluated, table: &str, key: &str, column: &str) -> Value {
    let t = result
        .table(table)
        .unwrap_or_else(|| panic!("no table {table}"));
    let keys = t.column(t.columns[0].name.as_ref()).unwrap().values();
    let row = keys
        .iter()
        .position(|k| k.to_text().is_ok_and(|t| t.eq_ignore_ascii_case(key)))
        .unwrap_or_else(|| panic!("{table} has no row {key}"));
    t.column(column)
        .unwrap_or_else(|| panic!("{table} has no column {column}"))
        .values()[row]
        .clone()
}

fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is {value:?}, not a number"))
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Blank => true,
        Value::Text(t) => t.is_empty(),
        _ => false,
    }
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// Direct: five deals, two renewals a year apart, two open stages; Marketplace: one
/// lost and one open deal and nothing else; Events: a cost with no opportunities.
fn hand_worked() -> Crm {
    let mut crm = Crm::default();
    let e = "Enterprise";
    // Direct. The period is 2025-07-01 … 2026-06-30 (as_of 2026-06-30, 12 months).
    crm.opp(
        "A",
        "Direct",
        e,
        "Closed Won",
        1000.0,
        date(2025, 8, 1),
        date(2025, 9, 1),
    ); // 31 days, A's first win
    crm.opp(
        "A",
        "Direct",
        e,
        "Closed Won",
        500.0,
        date(2025, 10, 1),
        date(2025, 11, 1),
    ); // 31 days
    crm.opp(
        "B",
        "Direct",
        e,
        "Closed Won",
        1500.0,
        date(2024, 1, 1),
        date(2024, 3, 1),
    ); // 60 days, B's first win, before the period
    crm.opp(
        "B",
        "Direct",
        e,
        "Closed Won",
        2000.0,
        date(2025, 12, 1),
        date(2026, 1, 10),
    ); // 40 days
    crm.opp(
        "C",
        "Direct",
        e,
        "Closed Lost",
        800.0,
        date(2025, 7, 15),
        date(2025, 7, 20),
    ); // 5 days
    crm.opp(
        "G",
        "Direct",
        e,
        "Closed Lost",
        700.0,
        date(2025, 1, 1),
        date(2025, 4, 1),
    ); // 90 days, before the period
    crm.opp(
        "D",
        "Direct",
        e,
        "Negotiation",
        3000.0,
        date(2026, 5, 16),
        Value::Blank,
    ); // 45 days old
    crm.opp(
        "E",
        "Direct",
        e,
        "Prospecting",
        1000.0,
        date(2026, 6, 27),
        Value::Blank,
    ); // 3 days old
    // Marketplace: nothing won, no cost, no renewal, no benchmark.
    crm.opp(
        "H",
        "Marketplace",
        "SMB",
        "Closed Lost",
        100.0,
        date(2026, 1, 1),
        date(2026, 1, 11),
    );
    crm.opp(
        "H",
        "Marketplace",
        "SMB",
        "Proposal",
        200.0,
        date(2026, 6, 1),
        Value::Blank,
    );
    crm.costs.push((date(2025, 7, 1), "Direct".into(), 600.0));
    crm.costs.push((date(2026, 6, 1), "Direct".into(), 600.0));
    crm.costs.push((date(2025, 6, 1), "Direct".into(), 999.0)); // before the period
    crm.costs.push((date(2025, 8, 1), "Events".into(), 300.0)); // no opportunities
    // B's contract (won 2024-03-01) renewed at both anniversaries, the second with a 10%
    // uplift; F's contract (won before the export) lost in the period.
    crm.renewals
        .push(("B".into(), "Direct".into(), date(2025, 3, 1), 1500.0, true));
    crm.renewals
        .push(("B".into(), "Direct".into(), date(2026, 3, 1), 1650.0, true));
    crm.renewals.push((
        "F".into(),
        "Direct".into(),
        date(2025, 10, 1),
        1650.0,
        false,
    ));
    crm.benchmarks.push(("Direct".into(), "cac".into(), 1000.0));
    crm
}

fn hand_worked_params() -> Vec<(&'static str, Value)> {
    vec![
        ("overhead_per_month", Value::Number(1000.0)),
        ("gross_margin", Value::Number(0.8)),
        ("marketplace_fee", Value::Number(0.1)),
        ("discount_rate", Value::Number(0.1)),
        ("max_customer_years", Value::Number(3.0)),
        ("annual_churn", Value::Number(0.2)),
        ("min_stage_history", Value::Number(2.0)),
        ("min_deals_for_flags", Value::Number(3.0)),
    ]
}

#[test]
fn acquisition_cost_payback_retention_and_lifetime_value_by_hand() {
    let result = hand_worked().run(&hand_worked_params());
    let d = |column: &str| number(&cell(&result, "Channels", "Direct", column), column);
    // Deals won in the period: 1000, 500, 2000; lost: the 5-day one (the 90-day loss
    // closed before the period).
    assert_eq!(d("won"), 3.0);
    assert_eq!(d("lost"), 1.0);
    assert_close(d("win_rate"), 0.75, "win rate");
    assert_close(d("revenue"), 3500.0, "bookings");
    assert_close(d("cycle_days"), (31.0 + 31.0 + 40.0) / 3.0, "cycle");
    assert_close(d("median_cycle"), 31.0, "median cycle");
    // Opportunities created in the period: all Direct deals but B's 2024 and G's.
    assert_eq!(d("opportunities"), 6.0);
    // A's first win is in the period; B's was in 2024: one new customer.
    assert_eq!(d("new_customers"), 1.0);
    // Direct cost in the period: 600 + 600. All channels: + Events' 300 = 1500.
    // Overhead 1000 × 12 = 12000, Direct's share 1200 / 1500.
    assert_close(d("direct_cost"), 1200.0, "direct cost");
    assert_close(d("indirect_cost"), 9600.0, "indirect cost");
    assert_close(d("total_cost"), 10800.0, "total cost");
    assert_close(d("cost_per_opportunity"), 200.0, "cost per opportunity");
    assert_close(d("cost_per_won_deal"), 400.0, "cost per won deal");
    assert_close(d("cac_new_customer"), 1200.0, "CAC per new customer");
    // Margin 80%: first-year gross margin 2800, i.e. 233.33 a month; 1200 / 233.33.
    assert_close(d("gross_profit"), 2800.0, "gross profit");
    assert_close(d("payback_months"), 1200.0 / (2800.0 / 12.0), "payback");
    // Renewals due in the period: B's 1650 (kept) and F's 1650 (lost): GRR 50%.
    // Uplift: B's contract went from 1500 to 1650 at its renewal: 1.1. NRR 55%.
    assert_close(d("grr"), 0.5, "GRR");
    assert_close(d("uplift"), 1.1, "uplift");
    assert_close(d("nrr"), 0.55, "NRR");
    // Retention 0.55 discounted at 10%: 0.5 a year; three years: 1 + 0.5 + 0.25.
    assert_close(d("lifetime_factor"), 1.75, "lifetime factor");
    assert_close(d("lifetime_margin"), 4900.0, "lifetime margin");
    assert_close(d("contract_ltv"), 3500.0 / 3.0 * 0.8 * 1.75, "contract LTV");
    assert_close(d("ltv"), 4900.0, "LTV per new customer");
    assert_close(d("ltv_to_cac"), 4900.0 / 1200.0, "LTV:CAC");
    assert_close(d("contribution"), 3700.0, "contribution");
    assert_close(d("roi"), (2800.0 - 10800.0) / 10800.0, "first-year ROI");
    assert_close(d("cac_vs_bench"), 0.2, "CAC against its benchmark");
    assert_close(
        number(&result.scalar("unattributed_cost").unwrap().clone(), "x"),
        300.0,
        "unattributed cost",
    );
    assert_close(
        number(&result.scalar("total_cost").unwrap().clone(), "x"),
        1500.0 + 12000.0,
        "total cost counts the channel with no opportunities",
    );
    // Marketplace pays a 10-point fee.
    assert_close(
        number(
            &cell(&result, "Channels", "Marketplace", "margin_rate"),
            "m",
        ),
        0.7,
        "marketplace margin",
    );
}

#[test]
fn cohort_retention_and_weighted_pipeline_by_hand() {
    let result = hand_worked().run(&hand_worked_params());
    // Cohort 2024 of Direct: B's 1500 contract, kept at 1500 after a year and at 1650
    // (with the uplift) after two; the third anniversary is after as_of.
    let cohorts = result.table("Cohorts").unwrap();
    let channel = cohorts.column("channel").unwrap().values();
    let cohort = cohorts.column("cohort").unwrap().values();
    let row = (0..cohorts.row_count)
        .find(|&r| {
            channel[r].to_text().is_ok_and(|c| &*c == "Direct")
                && cohort[r].as_f64() == Some(2024.0)
        })
        .unwrap();
    let get = |c: &str| cohorts.column(c).unwrap().values()[row].clone();
    assert_close(number(&get("retained_year1"), "y1"), 1.0, "year 1");
    assert_close(number(&get("retained_year2"), "y2"), 1.1, "year 2");
    assert!(
        is_blank(&get("retained_year3")),
        "{:?}",
        get("retained_year3")
    );

    // Direct's closed deals took 31, 31, 60, 40 (won), 5 and 90 days (lost).
    // Negotiation (45 days old): of the deals that took ≥ 45 days, 1 of 2 won.
    // Prospecting (3 days old): of all six, 4 won.
    let pipeline = result.table("Pipeline").unwrap();
    let stages = pipeline.column("stage").unwrap().values();
    let weighted = pipeline.column("weighted_amount").unwrap().values();
    let probability = pipeline.column("win_probability").unwrap().values();
    let at = |stage: &str| {
        (0..pipeline.row_count)
            .find(|&r| stages[r].to_text().is_ok_and(|s| &*s == stage))
            .unwrap()
    };
    // Pipeline lists a channel's stages in the funnel's order (Prospecting first, as
    // the sales process runs), not alphabetically (where Negotiation comes first).
    assert!(at("Prospecting") < at("Negotiation"));
    assert_close(
        number(&probability[at("Negotiation")], "p"),
        0.5,
        "negotiation",
    );
    assert_close(
        number(&weighted[at("Negotiation")], "w"),
        1500.0,
        "negotiation",
    );
    assert_close(
        number(&probability[at("Prospecting")], "p"),
        4.0 / 6.0,
        "prospecting",
    );
    assert_close(
        number(
            &cell(&result, "Channels", "Direct", "weighted_pipeline"),
            "w",
        ),
        1500.0 + 1000.0 * 4.0 / 6.0,
        "weighted pipeline",
    );
    assert_close(
        number(&cell(&result, "Channels", "Direct", "open_pipeline"), "o"),
        4000.0,
        "unweighted pipeline",
    );
}

#[test]
fn empty_inputs_give_blanks_and_data_checks_not_zeros() {
    let result = hand_worked().run(&hand_worked_params());
    let m = |column: &str| cell(&result, "Channels", "Marketplace", column);
    for column in [
        "avg_deal",
        "cycle_days",
        "median_cycle",
        "cost_per_won_deal",
        "cac_new_customer",
        "payback_months",
        "grr",
        "nrr",
        "uplift",
        "contract_ltv",
        "ltv",
        "ltv_to_cac",
        "bench_cac",
        "cac_vs_bench",
        "win_rate_vs_bench",
        // No cost rows for Marketplace: its cost is not measured, so nothing built
        // on it is shown as a confident 0.
        "direct_cost",
        "indirect_cost",
        "total_cost",
        "cost_per_opportunity",
        "contribution",
        "roi",
        "lifetime_roi",
        "cost_share",
    ] {
        assert!(
            is_blank(&m(column)),
            "Marketplace {column} = {:?}",
            m(column)
        );
    }
    // One closed deal, lost: a measured 0% win rate, not a blank.
    assert_eq!(m("win_rate").as_f64(), Some(0.0));
    assert_eq!(
        m("retention_basis").to_text().unwrap().as_ref(),
        "assumed (annual_churn), no uplift measured"
    );
    // The data checks name the cost no channel reaches and the missing benchmarks.
    let checks: Vec<&str> = result
        .flags
        .iter()
        .filter(|f| f.severity == Severity::Data)
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        checks
            .iter()
            .any(|c| c.starts_with("Events has $300 of costs")),
        "{checks:?}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c.starts_with("no Benchmarks rows for Marketplace")),
        "{checks:?}"
    );
    // Direct covers its own spend (lifetime margin 4900 ≥ 1200) but not its overhead
    // (total cost 10800): one verdict, a warning worth 10800 − 4900.
    let direct: Vec<_> = result
        .flags
        .iter()
        .filter(|f| f.subject == "Direct" && f.topic.as_deref() == Some("verdict"))
        .collect();
    assert_eq!(direct.len(), 1, "{direct:?}");
    assert_eq!(direct[0].severity, Severity::Warning);
    assert_close(direct[0].stake.unwrap(), 5900.0, "value at stake");
    assert!(
        direct[0].fired.contains("contribution $3,700 ≥ 0"),
        "{}",
        direct[0].fired
    );
}

/// An export with deals only (no Costs, no Renewals rows): every cost and retention
/// figure is blank, never 0; the deal figures are still measured.
#[test]
fn deals_only_export_leaves_cost_and_retention_blank() {
    let mut crm = hand_worked();
    crm.costs.clear();
    crm.renewals.clear();
    let result = crm.run(&hand_worked_params());
    for name in [
        "period_direct_cost",
        "total_cost",
        "unattributed_cost",
        "portfolio_roi",
        "portfolio_cac",
        "portfolio_ltv_to_cac",
        "portfolio_payback_months",
        "portfolio_grr",
    ] {
        let value = result.scalar(name).unwrap();
        assert!(is_blank(value), "{name} = {value:?}");
    }
    let d = |column: &str| cell(&result, "Channels", "Direct", column);
    for column in [
        "direct_cost",
        "total_cost",
        "cac_new_customer",
        "cost_per_won_deal",
        "payback_months",
        "contribution",
        "roi",
        "ltv_to_cac",
        "grr",
    ] {
        assert!(is_blank(&d(column)), "Direct {column} = {:?}", d(column));
    }
    // The deal figures do not need costs: Direct won 1000, 500 and 2000 and lost one
    // deal in the period (see the hand-worked test above).
    assert_close(number(&d("win_rate"), "win rate"), 0.75, "win rate");
    assert_close(number(&d("revenue"), "revenue"), 3500.0, "bookings");
    // Retention was not measured: no cohort shows a kept share (0% would say every
    // contract ended).
    let cohorts = result.table("Cohorts").unwrap();
    for column in ["retained_year1", "retained_year2", "retained_year3"] {
        for value in cohorts.column(column).unwrap().values().iter() {
            assert!(is_blank(value), "Cohorts.{column} = {value:?}");
        }
    }
    // No verdict on a channel whose cost is unknown.
    assert!(
        !result
            .flags
            .iter()
            .any(|f| f.topic.as_deref() == Some("verdict")),
        "{:?}",
        result.flags
    );
}

/// One won deal on the 15th of every month from January 2024 to June 2026.
fn monthly(crm: &mut Crm, channel: &str, amount: impl Fn(usize, u32) -> f64) {
    for t in 0..30usize {
        let year = 2024 + (t / 12) as i32;
        let month = (t % 12) as u32 + 1;
        let close = date(year, month, 15);
        crm.opp(
            &format!("{channel}{t}"),
            channel,
            "SMB",
            "Closed Won",
            amount(t, month),
            close.clone(),
            close,
        );
    }
}

#[test]
fn seasonal_index_removes_the_trend_and_averages_over_years_by_hand() {
    // Online grows 2% a month and has no season: bookings ÷ their centred 2×12 moving
    // average are the same number every month (the average of a geometric series is
    // the series times a constant), so every index is 1.00 — although January–June
    // hold three years of bookings and July–December two.
    // Partner has a season and no trend: the 2×12 average of a series that repeats every
    // twelve months is its yearly mean, so each index is its month's factor.
    let season = [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8];
    let mut crm = Crm::default();
    monthly(&mut crm, "Online", |t, _| 1000.0 * 1.02f64.powi(t as i32));
    monthly(&mut crm, "Partner", |_, m| 1000.0 * season[m as usize - 1]);
    let result = crm.run(&[]);
    let seasons = result.table("ChannelSeasons").unwrap();
    let channel = seasons.column("channel").unwrap().values();
    let month = seasons.column("close_moy").unwrap().values();
    let index = seasons.column("seasonal_index").unwrap().values();
    let revenue = seasons.column("revenue").unwrap().values();
    let mut checked = 0;
    for r in 0..seasons.row_count {
        let m = month[r].as_f64().unwrap() as usize;
        match &*channel[r].to_text().unwrap() {
            "Online" => assert_close(number(&index[r], "index"), 1.0, &format!("Online {m}")),
            "Partner" => assert_close(
                number(&index[r], "index"),
                season[m - 1],
                &format!("Partner {m}"),
            ),
            other => panic!("{other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 24);
    // The old method (a calendar month's bookings over the average month) is far off.
    let online_jan = (0..seasons.row_count)
        .find(|&r| {
            channel[r].to_text().is_ok_and(|c| &*c == "Online") && month[r].as_f64() == Some(1.0)
        })
        .unwrap();
    let online_total: f64 = (0..seasons.row_count)
        .filter(|&r| channel[r].to_text().is_ok_and(|c| &*c == "Online"))
        .map(|r| revenue[r].as_f64().unwrap())
        .sum();
    let naive = revenue[online_jan].as_f64().unwrap() / (online_total / 12.0);
    assert!(naive > 1.1, "the naive index of January would be {naive}");
}

/// The Channels metrics that are ratios, each with the input that must not be empty.
const BLANK_WHEN_EMPTY: &[(&str, &str)] = &[
    ("win_rate", "closed"),
    ("avg_deal", "won"),
    ("cycle_days", "won"),
    ("median_cycle", "won"),
    ("contract_ltv", "won"),
    ("cost_per_won_deal", "won"),
    ("cost_per_opportunity", "opportunities"),
    ("cac_new_customer", "new_customers"),
    ("ltv", "new_customers"),
    ("ltv_to_cac", "new_customers"),
    ("grr", "renewals_due"),
    ("nrr", "renewals_due"),
    ("payback_months", "won"),
];

fn arbitrary_crm() -> impl Strategy<Value = Crm> {
    let channels = ["Direct", "Online", "Reseller", "Marketplace"];
    let stages = ["Closed Won", "Closed Lost", "Proposal"];
    let opp = (
        0..4usize,
        0..3usize,
        0..6usize,
        1u32..50,
        0u32..700,
        1u32..200,
    );
    let cost = (0..4usize, 0u32..30, 1u32..100);
    let renewal = (0..4usize, 0u32..900, 1u32..100, any::<bool>());
    (
        proptest::collection::vec(opp, 0..30),
        proptest::collection::vec(cost, 0..8),
        proptest::collection::vec(renewal, 0..6),
    )
        .prop_map(move |(opps, costs, renewals)| {
            let mut crm = Crm::default();
            let start = serial(2024, 1, 1);
            for (c, s, account, amount, created, cycle) in opps {
                let created = start + f64::from(created);
                let closed = if stages[s] == "Proposal" {
                    Value::Blank
                } else {
                    Value::Date((created + f64::from(cycle)).min(serial(2026, 6, 30)))
                };
                crm.opp(
                    &format!("A{account}"),
                    channels[c],
                    "SMB",
                    stages[s],
                    f64::from(amount) * 100.0,
                    Value::Date(created),
                    closed,
                );
            }
            for (c, month, amount) in costs {
                let month = serial(2024 + (month / 12) as i32, month % 12 + 1, 1);
                crm.costs
                    .push((Value::Date(month), channels[c].into(), f64::from(amount)));
            }
            for (c, day, arr, renewed) in renewals {
                crm.renewals.push((
                    "A1".into(),
                    channels[c].into(),
                    Value::Date(start + f64::from(day)),
                    f64::from(arr) * 10.0,
                    renewed,
                ));
            }
            crm
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// No ratio of the library is 0 where its input is empty: it is blank.
    #[test]
    fn no_metric_is_zero_where_its_inputs_are_empty(crm in arbitrary_crm()) {
        let result = crm.run(&[]);
        let channels = result.table("Channels").unwrap();
        for row in 0..channels.row_count {
            let get = |c: &str| channels.column(c).unwrap().values()[row].clone();
            let count = |c: &str| get(c).as_f64().unwrap();
            let empty = |input: &str| match input {
                "closed" => count("won") + count("lost") == 0.0,
                other => count(other) == 0.0,
            };
            for (metric, input) in BLANK_WHEN_EMPTY {
                let value = get(metric);
                if empty(input) {
                    prop_assert!(is_blank(&value), "{metric} is {value:?} with no {input}");
                }
                prop_assert!(!matches!(value, Value::Error(_)), "{metric} is {value:?}");
            }
        }
        let funnel = result.table("Funnel").unwrap();
        for row in 0..funnel.row_count {
            let get = |c: &str| funnel.column(c).unwrap().values()[row].clone();
            if get("leads").as_f64() == Some(0.0) {
                prop_assert!(is_blank(&get("lead_to_won")));
            }
        }
    }
}

#[test]
fn a_channel_is_never_both_losing_money_and_a_strength() {
    // Over many random CRMs, no row keeps two verdicts, and the verdicts' conditions
    // never overlap: a row that loses money is never flagged a strength.
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 32,
        ..ProptestConfig::default()
    });
    runner
        .run(&arbitrary_crm(), |crm| {
            let result = crm.run(&[("min_deals_for_flags", Value::Number(1.0))]);
            let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
            for f in &result.flags {
                if f.topic.as_deref() == Some("verdict") {
                    *verdicts.entry(f.subject.clone()).or_default() += 1;
                    prop_assert_eq!(f.superseded, 0, "verdict conditions overlap: {:?}", f);
                }
            }
            prop_assert!(verdicts.values().all(|n| *n == 1));
            Ok(())
        })
        .unwrap();
}

/// The sample's params, as the recomputation reads them.
const PARAMS: &str = r#"{"as_of": "2026-06-30", "period_months": 12, "gross_margin": 0.72,
  "marketplace_fee": 0.15, "marketplace_channels": "Marketplace", "reseller_discount": 0.2,
  "reseller_channels": "Reseller", "overhead_per_month": 50000, "discount_rate": 0.1,
  "max_customer_years": 5, "annual_churn": 0.15, "min_stage_history": 5,
  "lead_maturity_days": 90, "segment_effort_exponent": 0.5, "min_segment_deals": 10,
  "shift_from_channels": "Inside Sales", "shift_to_channels": "Partner", "shift_share": 0.2,
  "spend_change": -0.05, "spend_elasticity": 0.5}"#;

/// A value the engine wrote to JSON, as a number when it is one (dates as serials).
fn comparable(value: &Json) -> Option<Json> {
    match value {
        Json::Null => None,
        Json::String(s) if s.is_empty() => None,
        Json::String(s) if s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' => {
            let y = s[0..4].parse().ok()?;
            let m = s[5..7].parse().ok()?;
            let d = s[8..10].parse().ok()?;
            serial_from_ymd(y, m, d).map(Json::from)
        }
        other => Some(other.clone()),
    }
}

fn key_of(row: &serde_json::Map<String, Json>, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| match comparable(&row[*k]) {
            Some(Json::Number(n)) => format!("{}", n.as_f64().unwrap()),
            Some(Json::String(s)) => s.to_lowercase(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn same(engine: &Json, pandas: &Json) -> bool {
    match (comparable(engine), comparable(pandas)) {
        (None, None) => true,
        (Some(Json::Number(a)), Some(Json::Number(b))) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
        }
        (Some(Json::String(a)), Some(Json::String(b))) => a.eq_ignore_ascii_case(&b),
        (a, b) => a == b,
    }
}

#[test]
fn the_library_on_a_fresh_sample_equals_a_pandas_recomputation() {
    if python::skip_reason(&["pandas", "statsmodels", "openpyxl"]).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let workbook = dir.path().join("crm.xlsx");
    Chanmix::new()
        .args(["sample-data", "--rows", "3000", "--seed", "15", "--out"])
        .arg(&workbook)
        .success();
    // The base scenario's rules and params on the new workbook, with a budget shift and
    // a spend cut so the what-if columns move.
    let scenario = dir.path().join("fresh.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = {:?}\nname = \"fresh\"\n[inputs]\nworkbook = {:?}\n[params]\n\
             shift_from_channels = \"Inside Sales\"\nshift_to_channels = \"Partner\"\n\
             shift_share = \"20%\"\nspend_change = \"-5%\"\n",
            repo().join("scenarios/base.toml"),
            workbook
        ),
    )
    .unwrap();
    let out = dir.path().join("fresh.xlsx");
    let ran = Chanmix::new()
        .arg("run")
        .arg(&scenario)
        .args(["--json", "-o"])
        .arg(&out)
        .success();
    let engine: Json = serde_json::from_str(&ran.stdout).unwrap();
    // The what-if moves bookings along the fitted response curves: the recomputation
    // gets their parameters (the fit itself is checked against the generator in
    // allocation_fit.rs) and evaluates the curves itself.
    let mut params_json: Json = serde_json::from_str(PARAMS).unwrap();
    let mut curves = serde_json::Map::new();
    for row in engine["tables"]["Curves"].as_array().unwrap() {
        if row["family"].as_str().is_some_and(|f| !f.is_empty()) {
            curves.insert(row["channel"].as_str().unwrap().to_string(), row.clone());
        }
    }
    assert!(
        !curves.is_empty(),
        "the fresh sample fits no response curve"
    );
    params_json["curves"] = Json::Object(curves);
    let params = dir.path().join("params.json");
    std::fs::write(&params, params_json.to_string()).unwrap();
    let script = repo().join("tests/economics/recompute.py");
    let pandas: Json = serde_json::from_str(&python::run(
        &script,
        &[workbook.as_path(), params.as_path()],
    ))
    .unwrap();

    let keys: &[(&str, &[&str])] = &[
        ("Channels", &["channel"]),
        ("Customers", &["account_id"]),
        ("Pipeline", &["channel", "stage"]),
        ("Cohorts", &["channel", "cohort"]),
        ("Funnel", &["channel"]),
        ("ChannelSegments", &["channel", "segment"]),
        ("Segments", &["segment"]),
        ("ChannelMonths", &["channel", "close_month"]),
        ("Months", &["close_month"]),
        ("ChannelSeasons", &["channel", "close_moy"]),
        ("Seasons", &["close_moy"]),
        ("CostChannels", &["channel"]),
    ];
    let mut compared = 0usize;
    let mut differences = Vec::new();
    for (table, key) in keys {
        let rows = |doc: &Json| -> BTreeMap<String, serde_json::Map<String, Json>> {
            doc["tables"][*table]
                .as_array()
                .unwrap_or_else(|| panic!("no table {table}"))
                .iter()
                .map(|r| {
                    let r = r.as_object().unwrap().clone();
                    (key_of(&r, key), r)
                })
                .collect()
        };
        let (ours, theirs) = (rows(&engine), rows(&pandas));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{table}: rows"
        );
        for (k, row) in &ours {
            for (column, value) in row {
                let Some(expected) = theirs[k].get(column) else {
                    continue;
                };
                compared += 1;
                if !same(value, expected) {
                    differences.push(format!("{table}[{k}].{column}: {value} vs {expected}"));
                }
            }
        }
    }
    for (name, expected) in pandas["scalars"].as_object().unwrap() {
        compared += 1;
        if !same(&engine["scalars"][name], expected) {
            differences.push(format!("{name}: {} vs {expected}", engine["scalars"][name]));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert!(compared > 3_000, "compared {compared} values");

    // The seasonal index against statsmodels' decomposition steps, per channel and
    // for the company.
    let mut seasonal = 0;
    for row in engine["tables"]["ChannelSeasons"].as_array().unwrap() {
        let channel = row["channel"].as_str().unwrap();
        let month = row["close_moy"].as_f64().unwrap() as u32;
        if let Some(expected) =
            pandas["statsmodels"]["channels"][channel][month.to_string()].as_f64()
        {
            let actual = row["seasonal_index"].as_f64().unwrap();
            assert!(
                (actual - expected).abs() < 1e-9,
                "{channel} {month}: {actual} vs {expected}"
            );
            seasonal += 1;
        }
    }
    for row in engine["tables"]["Seasons"].as_array().unwrap() {
        let month = row["close_moy"].as_f64().unwrap() as u32;
        let expected = pandas["statsmodels"]["company"][month.to_string()]
            .as_f64()
            .unwrap();
        let actual = row["seasonal_index"].as_f64().unwrap();
        assert!(
            (actual - expected).abs() < 1e-9,
            "company {month}: {actual} vs {expected}"
        );
        seasonal += 1;
    }
    assert!(seasonal >= 12 * 6, "checked {seasonal} seasonal indexes");

    // Every live formula of the workbook, these figures included, recomputes in
    // LibreOffice to the value the engine cached.
    let report = crate::support::libreoffice::recalc_and_compare(&out).unwrap();
    if report.skipped.is_none() {
        assert!(report.formulas_checked > 100, "{}", report.formulas_checked);
    }
}
