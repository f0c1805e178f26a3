//! The partner library (rules/partners.rules): performance, scorecard, tiers, risk,
//! decisions and the enablement plan worked out by hand on a three-partner CRM, and the
//! per-partner won revenue, deals and win rate of the shipped sample recomputed with
//! plain loops over calamine's raw cells.

use std::collections::BTreeMap;
use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::plan::{ColumnOrigin, Plan, TableKind};
use chanmix::lang::program::load_rule_files;
use chanmix::pipeline::json::evaluated_to_json;
use chanmix::table::{Column, Table};
use chanmix::value::Value;
use chanmix::value::datetime::serial_from_ymd;
use serde_json::Value as Json;

fn day(y: i32, m: u32, d: u32) -> Value {
    Value::Date(serial_from_ymd(y, m, d).unwrap())
}

fn text(s: &str) -> Value {
    Value::text(s)
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

type Row = Vec<(&'static str, Value)>;

/// One opportunity: partner, stage, amount, created, closed (None while open), lead source.
fn deal(
    id: usize,
    partner: &str,
    stage: &str,
    amount: f64,
    created: Value,
    closed: Option<Value>,
    source: &str,
) -> Row {
    vec![
        ("opp_id", text(&format!("O-{id}"))),
        ("account_id", text(&format!("A-{id}"))),
        ("channel", text("Partner")),
        ("partner_id", text(partner)),
        ("segment", text("Mid-Market")),
        ("region", text("NA")),
        ("stage", text(stage)),
        ("amount", n(amount)),
        ("created_date", created),
        ("close_date", closed.unwrap_or(Value::Blank)),
        ("product", text("Core")),
        ("lead_source", text(source)),
    ]
}

const WON: &str = "Closed Won";
const LOST: &str = "Closed Lost";
const REFERRAL: &str = "Partner Referral";

/// The hand-worked CRM (as_of 2026-06-30, period July 2025 – June 2026, quarter 2026-Q2):
/// P1 a strong Gold partner, P2 a capable Silver partner in decline, P3 a dormant one.
fn fixture() -> BTreeMap<&'static str, Vec<Row>> {
    let mut deals = vec![
        // P1: four won deals of 50,000 (cycles 30, 30, 30, 14), four lost, one open.
        deal(
            1,
            "P1",
            WON,
            50_000.0,
            day(2025, 7, 16),
            Some(day(2025, 8, 15)),
            REFERRAL,
        ),
        deal(
            2,
            "P1",
            WON,
            50_000.0,
            day(2025, 10, 16),
            Some(day(2025, 11, 15)),
            REFERRAL,
        ),
        deal(
            3,
            "P1",
            WON,
            50_000.0,
            day(2026, 1, 16),
            Some(day(2026, 2, 15)),
            REFERRAL,
        ),
        deal(
            4,
            "P1",
            WON,
            50_000.0,
            day(2026, 5, 1),
            Some(day(2026, 5, 15)),
            "Outbound",
        ),
        deal(
            9,
            "P1",
            "Proposal",
            120_000.0,
            day(2026, 6, 1),
            None,
            "Outbound",
        ),
        // P1 before the period: two won deals of 50,000.
        deal(
            10,
            "P1",
            WON,
            50_000.0,
            day(2024, 8, 16),
            Some(day(2024, 9, 15)),
            "Outbound",
        ),
        deal(
            11,
            "P1",
            WON,
            50_000.0,
            day(2025, 2, 13),
            Some(day(2025, 3, 15)),
            "Outbound",
        ),
        // P2: one won of 20,000 (cycle 60), three lost; 60,000 won the year before.
        deal(
            20,
            "P2",
            WON,
            20_000.0,
            day(2026, 1, 9),
            Some(day(2026, 3, 10)),
            "Outbound",
        ),
        deal(
            24,
            "P2",
            WON,
            30_000.0,
            day(2024, 9, 10),
            Some(day(2024, 10, 10)),
            "Outbound",
        ),
        deal(
            25,
            "P2",
            WON,
            30_000.0,
            day(2025, 3, 11),
            Some(day(2025, 4, 10)),
            "Outbound",
        ),
    ];
    for id in 5..=8 {
        deals.push(deal(
            id,
            "P1",
            LOST,
            10_000.0,
            day(2025, 9, 1),
            Some(day(2025, 10, 1)),
            "Outbound",
        ));
    }
    for id in 21..=23 {
        deals.push(deal(
            id,
            "P2",
            LOST,
            5_000.0,
            day(2025, 11, 1),
            Some(day(2025, 12, 1)),
            "Outbound",
        ));
    }
    let partner = |id: &str, tier: &str, reps: f64| -> Row {
        vec![
            ("partner_id", text(id)),
            ("partner_name", text(&format!("Partner {id}"))),
            ("tier", text(tier)),
            ("region", text("NA")),
            ("certified_reps", n(reps)),
            ("mdf_budget", n(0.0)),
        ]
    };
    let mut targets = Vec::new();
    let mut forecasts = Vec::new();
    for quarter in ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"] {
        for (id, revenue, reps) in [
            ("P1", 40_000.0, 10.0),
            ("P2", 25_000.0, 4.0),
            ("P3", 10_000.0, 1.0),
        ] {
            targets.push(vec![
                ("partner_id", text(id)),
                ("quarter", text(quarter)),
                ("revenue_target", n(revenue)),
                ("deals_target", n(1.0)),
                ("certified_reps_target", n(reps)),
            ]);
        }
    }
    for (quarter, committed) in [
        ("2025-Q3", 60_000.0),
        ("2025-Q4", 40_000.0),
        ("2026-Q1", 50_000.0),
        ("2026-Q2", 70_000.0),
    ] {
        forecasts.push(vec![
            ("partner_id", text("P1")),
            ("quarter", text(quarter)),
            ("committed", n(committed)),
        ]);
    }
    let assessment = |id: &str, date: Value, scores: [f64; 5]| -> Row {
        vec![
            ("partner_id", text(id)),
            ("assessment", text("H1")),
            ("assessed_date", date),
            ("technical", n(scores[0])),
            ("sales", n(scores[1])),
            ("marketing", n(scores[2])),
            ("satisfaction", n(scores[3])),
            ("reputation", n(scores[4])),
            ("segments", text("Mid-Market")),
            ("regions", text("NA")),
        ]
    };
    let assessments = vec![
        // An older assessment of P1 that the latest replaces.
        assessment("P1", day(2025, 12, 15), [10.0, 10.0, 10.0, 1.0, 1.0]),
        assessment("P1", day(2026, 6, 15), [70.0, 63.0, 56.0, 4.2, 4.0]),
        assessment("P2", day(2026, 6, 15), [84.0, 77.0, 70.0, 3.15, 4.0]),
        assessment("P3", day(2026, 6, 15), [35.0, 35.0, 35.0, 2.1, 2.0]),
        // After as_of: not yet known.
        assessment("P3", day(2026, 9, 15), [99.0, 99.0, 99.0, 5.0, 5.0]),
    ];
    let program = |id: &str, capability: &str, cost: f64, lift: f64| -> Row {
        vec![
            ("program_id", text(id)),
            ("program", text(&format!("Program {id}"))),
            ("capability", text(capability)),
            ("cost", n(cost)),
            ("expected_lift", n(lift)),
        ]
    };
    BTreeMap::from([
        ("Opportunities", deals),
        (
            "PartnerList",
            vec![
                partner("P1", "Gold", 8.0),
                partner("P2", "Silver", 2.0),
                partner("P3", "Registered", 0.0),
            ],
        ),
        ("PartnerTargets", targets),
        ("PartnerForecasts", forecasts),
        ("PartnerAssessments", assessments),
        (
            "EnablementPrograms",
            vec![
                program("C1", "certification", 10_000.0, 0.10),
                program("C2", "certification", 10_000.0, 0.05),
                program("S1", "sales", 5_000.0, 0.02),
                program("T1", "technical", 5_000.0, 0.04),
            ],
        ),
    ])
}

fn library() -> Plan {
    let dir = crate::support::repo().join("rules");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    paths.sort();
    let program = load_rule_files(&paths, &[], &chanmix::analysis::vocabulary()).unwrap();
    match program.plan {
        Some(plan) => plan,
        None => panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        ),
    }
}

/// Every input table of the plan from the fixture (absent tables and cells blank).
fn inputs(plan: &Plan, fixture: &BTreeMap<&'static str, Vec<Row>>) -> Vec<Table> {
    let mut out = Vec::new();
    for table in &plan.tables {
        if !matches!(table.kind, TableKind::Input) {
            continue;
        }
        let rows = fixture.get(&*table.name).map_or(&[][..], Vec::as_slice);
        let mut t = Table::new(&table.name, rows.len());
        for column in &table.columns {
            if !matches!(column.origin, ColumnOrigin::Input) {
                continue;
            }
            let values: Vec<Value> = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .find(|(name, _)| *name == &*column.name)
                        .map_or(Value::Blank, |(_, v)| v.clone())
                })
                .collect();
            t.set_column(Column::new(&column.name, column.ty, values));
        }
        out.push(t);
    }
    out
}

fn run(params: &[(&str, f64)]) -> Json {
    let plan = library();
    let context = CallContext {
        as_of: Some(serial_from_ymd(2026, 6, 30).unwrap()),
    };
    let overrides: Vec<(String, Value)> =
        params.iter().map(|(k, v)| (k.to_string(), n(*v))).collect();
    let result = evaluate(&plan, inputs(&plan, &fixture()), &overrides, &context)
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&evaluated_to_json("partners", &plan, &result)).unwrap()
}

fn partner(json: &Json, id: &str) -> Json {
    json["tables"]["Partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["partner_id"] == id)
        .unwrap_or_else(|| panic!("no partner {id}"))
        .clone()
}

fn num(row: &Json, column: &str) -> f64 {
    row[column]
        .as_f64()
        .unwrap_or_else(|| panic!("{column}: {}", row[column]))
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} ≠ {want}"
    );
}

#[test]
fn performance_of_a_partner_worked_by_hand() {
    let json = run(&[]);
    let p1 = partner(&json, "P1");
    assert_eq!(p1["partner_name"], "Partner P1");
    close(num(&p1, "won_revenue"), 200_000.0, "won revenue");
    close(num(&p1, "deals"), 4.0, "deals");
    close(num(&p1, "win_rate"), 4.0 / 8.0, "win rate");
    close(num(&p1, "pipeline"), 120_000.0, "open pipeline");
    close(num(&p1, "avg_deal"), 50_000.0, "average deal");
    close(
        num(&p1, "cycle_days"),
        (30.0 + 30.0 + 30.0 + 14.0) / 4.0,
        "cycle",
    );
    // 4 won + 4 lost + 1 open created in the period.
    close(num(&p1, "opportunities"), 9.0, "opportunities");
    close(
        num(&p1, "velocity"),
        9.0 * 0.5 * 50_000.0 / 26.0,
        "velocity",
    );
    close(
        num(&p1, "growth_quarter"),
        50_000.0 / 50_000.0 - 1.0,
        "quarter growth",
    );
    close(
        num(&p1, "growth_t4q"),
        200_000.0 / 100_000.0 - 1.0,
        "trailing four quarters",
    );
    close(
        num(&p1, "revenue_attainment"),
        200_000.0 / 160_000.0,
        "revenue attainment",
    );
    close(num(&p1, "deals_attainment"), 4.0 / 4.0, "deals attainment");
    close(num(&p1, "reps_attainment"), 8.0 / 10.0, "certified reps");
    close(
        num(&p1, "pipeline_coverage"),
        120_000.0 / 40_000.0,
        "coverage",
    );
    close(num(&p1, "sourced_share"), 3.0 / 9.0, "partner-sourced");
    close(
        num(&p1, "days_inactive"),
        29.0,
        "days since its last opportunity",
    );
    // Committed 60k, 40k, 50k, 70k against 50k a quarter.
    close(
        num(&p1, "forecast_wape"),
        40_000.0 / 200_000.0,
        "forecast WAPE",
    );
    close(
        num(&p1, "forecast_bias"),
        20_000.0 / 200_000.0,
        "forecast bias",
    );
    // The 14-day deal was not in the pipeline 30 days before it closed.
    close(
        num(&p1, "pipeline_visibility"),
        150_000.0 / 200_000.0,
        "visibility",
    );
    close(num(&p1, "technical"), 70.0, "latest assessment");
    // P3's assessment after as_of is not used; P2 has no forecasts: blank, not 0.
    close(
        num(&partner(&json, "P3"), "technical"),
        35.0,
        "assessment after as_of",
    );
    assert_eq!(partner(&json, "P2")["forecast_wape"], "");
    assert_eq!(partner(&json, "P3")["win_rate"], "");
}

/// The scorecard with the default weights, worked out metric by metric.
#[test]
fn scorecard_tiers_and_decisions_worked_by_hand() {
    let json = run(&[]);
    let (p1, p2, p3) = (
        partner(&json, "P1"),
        partner(&json, "P2"),
        partner(&json, "P3"),
    );

    // P1: every sales and engagement metric at or above target (capped at 100);
    // certified reps 8/10 → 80, capability (70 + 63)/2 ÷ 70 → 95; marketing 56/70 → 80,
    // satisfaction 4.2/4.2 → 100.
    let p1_enablement = (80.0 + 95.0) / 2.0;
    let p1_marketing = (80.0 + 100.0) / 2.0;
    let p1_score = 0.5 * 100.0 + 0.15 * 100.0 + 0.2 * p1_enablement + 0.15 * p1_marketing;
    close(num(&p1, "sales_score"), 100.0, "P1 sales");
    close(num(&p1, "enablement_score"), p1_enablement, "P1 enablement");
    close(num(&p1, "score"), p1_score, "P1 score");
    assert_eq!(p1["tier"], "Platinum");
    assert_eq!(p1["recommended_tier"], "Platinum", "one level up from Gold");
    assert_eq!(p1["tier_action"], "promote");
    assert_eq!(p1["meets_current"], true, "96 ≥ Gold's 75");
    assert_eq!(p1["meets_next"], true, "96 ≥ Platinum's 90");
    assert_eq!(p1["meets_demotion"], false);
    assert_eq!(p1["decision"], "grow");

    // P2: revenue 20k/100k → 20, deals 1/4 → 25, win rate 25%/30%, growth
    // (1 − 2/3)/1.1; coverage 0, sourced 0; reps 2/4 → 50, capability capped 100;
    // marketing 70/70 → 100, satisfaction 3.15/4.2 → 75.
    let p2_sales = 0.4 * 20.0
        + 0.2 * 25.0
        + 0.2 * (0.25 / 0.30 * 100.0)
        + 0.2 * ((1.0 - 2.0 / 3.0) / 1.1 * 100.0);
    let p2_score = 0.5 * p2_sales + 0.15 * 0.0 + 0.2 * 75.0 + 0.15 * 87.5;
    close(num(&p2, "sales_score"), p2_sales, "P2 sales");
    close(num(&p2, "score"), p2_score, "P2 score");
    assert_eq!(p2["tier"], "Bronze");
    // Below Silver's 60 by more than the 5-point grace: one level down.
    assert_eq!(p2["recommended_tier"], "Registered");
    assert_eq!(p2["tier_action"], "demote");
    assert_eq!(p2["meets_current"], false, "below Silver's 60");
    assert_eq!(p2["meets_next"], false, "below Gold's 75");
    assert_eq!(p2["meets_demotion"], true, "below 60 − 5");
    assert_eq!(p2["declining"], true);
    assert_eq!(p2["low_coverage"], true);
    assert_eq!(
        p2["inactive"], true,
        "last opportunity 2026-01-09, 172 days"
    );
    assert_eq!(p2["lapsed"], true);
    close(num(&p2, "risk_score"), 30.0 + 20.0 + 20.0 + 15.0, "P2 risk");

    // P3: revenue and deals 0, no win rate or growth (blank, left out); coverage 0;
    // reps 0/1 → 0, capability 35/70 → 50; marketing 50, satisfaction 2.1/4.2 → 50.
    let p3_score = (0.5 * 0.0 + 0.15 * 0.0 + 0.2 * 25.0 + 0.15 * 50.0) / 1.0;
    close(num(&p3, "score"), p3_score, "P3 score");
    assert_eq!(p3["tier"], "At risk");
    assert_eq!(
        p3["recommended_tier"], "Registered",
        "no level below Registered"
    );
    assert_eq!(p3["tier_action"], "keep");
    close(num(&p3, "risk_score"), 20.0 + 20.0 + 15.0 + 15.0, "P3 risk");
    assert_eq!(p3["decision"], "exit");

    // Ranks, and the top quartile: the 75th percentile of the three scores
    // (sorted: P3, P2, P1; position 1.5).
    close(num(&p1, "rank"), 1.0, "P1 rank");
    close(num(&p2, "rank"), 2.0, "P2 rank");
    close(num(&p3, "rank"), 3.0, "P3 rank");
    let q3 = p2_score + 0.5 * (p1_score - p2_score);
    close(
        json["scalars"]["top_quartile_score"].as_f64().unwrap(),
        q3,
        "Q3",
    );
    assert_eq!(p1["top_quartile"], true);
    assert_eq!(p2["top_quartile"], false);
    // P2's capability (84 + 77 + 70)/3 = 77 is within 5 points of P1's (70 + 63 + 56)/3.
    assert_eq!(p2["lookalike"], true);
    assert_eq!(p3["lookalike"], false);
    assert_eq!(p2["decision"], "improve");

    // Movement: the prior period (July 2024 – June 2025) has no targets, so its sales
    // score is the win rate alone (P1 2/2, P2 2/2 → 100).
    close(num(&p1, "score_change"), 0.0, "P1 unchanged");
    let p2_prior = 0.5 * 100.0 + 0.15 * 0.0 + 0.2 * 75.0 + 0.15 * 87.5;
    close(num(&p2, "prior_score"), p2_prior, "P2 prior score");
    assert_eq!(p2["prior_tier"], "Gold");
    close(num(&p2, "tier_movement"), -2.0, "Gold → Bronze");

    // Concentration: P1 brings 200k of 220k.
    close(num(&p1, "revenue_share"), 200_000.0 / 220_000.0, "share");
    assert_eq!(p1["concentrated"], true);

    // Findings: P1 (the grow decision, and 91% of partner revenue) and P2 (demote,
    // decline) are material; P3 has won nothing in either period, so its exit decision
    // stays on its row and in `exit_candidates` without a finding of its own.
    let flags = json["flags"].to_string();
    assert!(flags.contains("Partner P1 (P1) scores 96"), "{flags}");
    assert!(
        flags.contains("Partner P2 (P2), a large partner, is in decline"),
        "{flags}"
    );
    assert!(!flags.contains("(P3)"), "{flags}");
    close(
        json["scalars"]["exit_candidates"].as_f64().unwrap(),
        1.0,
        "exit candidates",
    );

    // Tier summary from the rows above.
    let tiers = json["tables"]["TierSummary"].as_array().unwrap();
    let platinum = tiers.iter().find(|r| r["tier"] == "Platinum").unwrap();
    close(num(platinum, "partners"), 1.0, "Platinum partners");
    close(num(platinum, "promote"), 1.0, "Platinum promotions");
}

#[test]
fn enablement_plan_prefers_revenue_per_cost_within_the_budget() {
    let json = run(&[("enablement_budget", 15_000.0)]);
    let p1 = partner(&json, "P1");
    // P1's gaps: certified reps (8/10), sales 63 and marketing 56 (no marketing
    // program). Certification's best program C1 returns 0.10/10,000 a dollar, sales' S1
    // 0.02/5,000: C1, expected 200,000 × 10%.
    assert_eq!(p1["gap_to_close"], "certification");
    assert_eq!(p1["program_id"], "C1");
    close(
        num(&p1, "expected_revenue"),
        20_000.0,
        "P1 expected revenue",
    );
    close(num(&p1, "revenue_per_cost"), 2.0, "P1 revenue per cost");
    let p2 = partner(&json, "P2");
    assert_eq!(p2["program_id"], "C1");
    close(
        num(&p2, "revenue_per_cost"),
        2_000.0 / 10_000.0,
        "P2 revenue per cost",
    );
    // P3 has won nothing: no expected revenue, not in the plan.
    let plan = json["tables"]["EnablementPlan"].as_array().unwrap();
    assert_eq!(plan.len(), 2);
    assert_eq!(plan[0]["partner_id"], "P1");
    assert_eq!(plan[0]["funded"], true);
    assert_eq!(plan[1]["partner_id"], "P2");
    close(num(&plan[1], "cumulative_cost"), 20_000.0, "running cost");
    assert_eq!(plan[1]["funded"], false, "20,000 is past the 15,000 budget");
    close(
        json["scalars"]["enablement_cost"].as_f64().unwrap(),
        10_000.0,
        "plan cost",
    );
    close(
        json["scalars"]["enablement_expected_revenue"]
            .as_f64()
            .unwrap(),
        20_000.0,
        "plan revenue",
    );
}

/// Per partner over base.toml's period (July 2025 – June 2026), from the raw sheet.
#[test]
fn sample_partner_revenue_deals_and_win_rate_equal_an_independent_computation() {
    let mut book: Xlsx<_> = open_workbook(crate::sample_metrics::sample()).unwrap();
    let sheet = book.worksheet_range("Opportunities").unwrap();
    let mut rows = sheet.rows();
    let header: Vec<Data> = rows.next().unwrap().to_vec();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (partner_col, stage_col, amount_col, close_col) = (
        col("partner_id"),
        col("stage"),
        col("amount"),
        col("close_date"),
    );
    let start = serial_from_ymd(2025, 7, 1).unwrap();
    let end = serial_from_ymd(2026, 6, 30).unwrap();
    // partner → (won revenue, won, lost)
    let mut expected: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for row in rows {
        let Data::String(partner) = &row[partner_col] else {
            continue;
        };
        let closed = match &row[close_col] {
            Data::DateTime(d) => d.as_f64(),
            Data::Float(f) => *f,
            _ => continue,
        };
        if closed < start || closed > end {
            continue;
        }
        let amount = match &row[amount_col] {
            Data::Float(f) => *f,
            Data::Int(i) => *i as f64,
            other => panic!("amount {other:?}"),
        };
        let entry = expected.entry(partner.clone()).or_default();
        match &row[stage_col] {
            Data::String(s) if s == WON => {
                entry.0 += amount;
                entry.1 += 1.0;
            }
            Data::String(s) if s == LOST => entry.2 += 1.0,
            _ => {}
        }
    }
    let result = crate::sample_metrics::run_library();
    let partners = result.table("Partners").unwrap();
    let ids = partners.column("partner_id").unwrap().values();
    let value = |name: &str, row: usize| partners.column(name).unwrap().values()[row].clone();
    let mut checked = 0;
    for (row, id) in ids.iter().enumerate() {
        let id = id.to_text().unwrap().to_string();
        let (revenue, won, lost) = expected.get(&id).copied().unwrap_or_default();
        close(
            value("won_revenue", row).as_f64().unwrap(),
            revenue,
            &format!("{id} won revenue"),
        );
        close(
            value("deals", row).as_f64().unwrap(),
            won,
            &format!("{id} deals"),
        );
        if won + lost > 0.0 {
            close(
                value("win_rate", row).as_f64().unwrap(),
                won / (won + lost),
                &format!("{id} win rate"),
            );
            checked += 1;
        } else {
            assert_eq!(
                value("win_rate", row),
                Value::text(""),
                "{id}: no closed deals, blank"
            );
        }
    }
    assert!(checked >= 20, "only {checked} partners with closed deals");
    assert_eq!(
        partners.row_count, 50,
        "one row per partner of the list (2,000 rows / 40)"
    );
}

/// The shipped scorecard lists partners best composite score first (`order by score
/// desc`), every partner once, each with its own score from the Partners table.
#[test]
fn shipped_scorecard_lists_partners_best_score_first() {
    let result = crate::sample_metrics::run_library();
    let partners = result.table("Partners").unwrap();
    let score_of: BTreeMap<String, Value> = partners
        .column("partner_id")
        .unwrap()
        .values()
        .iter()
        .zip(partners.column("score").unwrap().values().iter())
        .map(|(id, score)| (id.to_text().unwrap().to_string(), score.clone()))
        .collect();
    let scorecard = result.table("PartnerScorecard").unwrap();
    let ids: Vec<String> = scorecard
        .column("partner_id")
        .unwrap()
        .values()
        .iter()
        .map(|id| id.to_text().unwrap().to_string())
        .collect();
    let scores = scorecard.column("score").unwrap().values();
    assert_eq!(ids.len(), score_of.len(), "every partner once");
    for (id, score) in ids.iter().zip(scores.iter()) {
        assert_eq!(Some(score), score_of.get(id), "{id}'s score");
    }
    // Numbers first, highest first; partners without a score (blank) after them.
    let numbers: Vec<f64> = scores.iter().map_while(|s| s.as_f64()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] >= w[1]),
        "scores not descending: {numbers:?}"
    );
    assert!(scores[numbers.len()..].iter().all(|s| s.as_f64().is_none()));
    let mut in_key_order = ids.clone();
    in_key_order.sort();
    assert_ne!(
        ids, in_key_order,
        "the sample's best partner is not P-00001"
    );
}
