//! `chanmix sample-data` checked from the outside: the written workbook is read back with
//! calamine's raw cells and held to the documented schema, consistency and realism rules.
// Test helpers outside #[test] fns: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{Data, Range, Reader, open_workbook_auto};
use chanmix::data::sample::{
    SampleError, SampleOptions, write_sample_workbook, write_sample_workbook_with_sheet_limit,
};

const CHANNELS: [&str; 6] = [
    "Direct",
    "Inside Sales",
    "Partner",
    "Marketplace",
    "Online",
    "Reseller",
];
const SEGMENTS: [&str; 3] = ["Enterprise", "Mid-Market", "SMB"];
const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
const OPEN_STAGES: [&str; 4] = ["Prospecting", "Qualification", "Proposal", "Negotiation"];
const CLOSED_STAGES: [&str; 2] = ["Closed Won", "Closed Lost"];
/// 2026-06-30, the documented snapshot date, as an Excel serial (Excel: =DATE(2026,6,30)).
const SNAPSHOT_SERIAL: f64 = 46203.0;

/// The documented sheets and header rows, in workbook order.
const SCHEMA: [(&str, &[&str]); 12] = [
    (
        "Opportunities",
        &[
            "opp_id",
            "account_id",
            "channel",
            "partner_id",
            "segment",
            "region",
            "product",
            "stage",
            "amount",
            "created_date",
            "close_date",
            "lead_source",
            "owner",
        ],
    ),
    ("Costs", &["month", "channel", "cost_type", "amount"]),
    (
        "Partners",
        &[
            "partner_id",
            "partner_name",
            "tier",
            "region",
            "certified_reps",
            "mdf_budget",
            "joined_date",
        ],
    ),
    (
        "Leads",
        &["lead_id", "channel", "created_date", "stage_reached"],
    ),
    ("Headcount", &["month", "channel", "headcount", "quota"]),
    (
        "PartnerTargets",
        &[
            "partner_id",
            "quarter",
            "revenue_target",
            "deals_target",
            "certified_reps_target",
        ],
    ),
    (
        "Renewals",
        &["account_id", "channel", "renewal_date", "arr", "renewed"],
    ),
    ("Benchmarks", &["channel", "metric", "value"]),
    (
        "SegmentDemand",
        &["segment", "region", "addressable_accounts", "annual_demand"],
    ),
    ("PartnerForecasts", &["partner_id", "quarter", "committed"]),
    (
        "PartnerAssessments",
        &[
            "partner_id",
            "assessment",
            "assessed_date",
            "technical",
            "sales",
            "marketing",
            "satisfaction",
            "reputation",
            "segments",
            "regions",
        ],
    ),
    (
        "EnablementPrograms",
        &[
            "program_id",
            "program",
            "capability",
            "cost",
            "expected_lift",
        ],
    ),
];

const ROWS: usize = 4000;

/// One generated workbook shared by the read-back tests (generation is the slow part).
fn shared_sample() -> &'static Path {
    static SAMPLE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.xlsx");
        write_sample_workbook(
            &SampleOptions {
                rows: ROWS,
                seed: 7,
            },
            &path,
        )
        .unwrap();
        (dir, path)
    });
    path
}

/// A sheet read back with calamine: header names and raw data rows.
struct Sheet {
    header: Vec<String>,
    rows: Vec<Vec<Data>>,
}

impl Sheet {
    fn read(path: &Path, name: &str) -> Sheet {
        let mut book = open_workbook_auto(path).unwrap();
        let range: Range<Data> = book.worksheet_range(name).unwrap();
        let mut rows = range.rows().map(|r| r.to_vec());
        let header = rows
            .next()
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_string())
            .collect();
        Sheet {
            header,
            rows: rows.collect(),
        }
    }

    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    fn texts(&self, name: &str) -> Vec<Option<String>> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| match r.get(c) {
                Some(Data::String(s)) => Some(s.clone()),
                Some(Data::Empty) | None => None,
                Some(other) => panic!("{name}: expected text, got {other:?}"),
            })
            .collect()
    }

    /// A date column: every present cell must be a real date cell (number + date format).
    fn dates(&self, name: &str) -> Vec<Option<f64>> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| match r.get(c) {
                Some(Data::DateTime(d)) => Some(d.as_f64()),
                Some(Data::Empty) | None => None,
                Some(other) => panic!("{name}: expected a date cell, got {other:?}"),
            })
            .collect()
    }

    fn numbers(&self, name: &str) -> Vec<f64> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| match r.get(c) {
                Some(Data::Float(f)) => *f,
                Some(Data::Int(i)) => *i as f64,
                other => panic!("{name}: expected a number, got {other:?}"),
            })
            .collect()
    }
}

fn required(values: Vec<Option<String>>) -> Vec<String> {
    values.into_iter().map(|v| v.unwrap()).collect()
}

#[test]
fn same_rows_and_seed_give_identical_bytes_and_another_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.xlsx");
    let second_dir = tempfile::tempdir().unwrap();
    let second = second_dir.path().join("b.xlsx");
    let other = dir.path().join("c.xlsx");
    let options = SampleOptions {
        rows: 300,
        seed: 11,
    };
    write_sample_workbook(&options, &first).unwrap();
    write_sample_workbook(&options, &second).unwrap();
    write_sample_workbook(
        &SampleOptions {
            rows: 300,
            seed: 12,
        },
        &other,
    )
    .unwrap();
    let a = std::fs::read(&first).unwrap();
    assert_eq!(a, std::fs::read(&second).unwrap());
    assert_ne!(a, std::fs::read(&other).unwrap());
    // Nothing but the three workbooks is left behind (no temp or partial files).
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, BTreeSet::from(["a.xlsx".into(), "c.xlsx".into()]));
}

#[test]
fn sheet_names_and_headers_are_the_documented_ones() {
    let path = shared_sample();
    let book = open_workbook_auto(path).unwrap();
    let expected: Vec<&str> = SCHEMA.iter().map(|(name, _)| *name).collect();
    assert_eq!(book.sheet_names(), expected);
    for (name, header) in SCHEMA {
        assert_eq!(Sheet::read(path, name).header, header, "header of {name}");
    }
}

#[test]
fn row_counts_follow_rows() {
    let path = shared_sample();
    assert_eq!(Sheet::read(path, "Opportunities").rows.len(), ROWS);
    assert_eq!(Sheet::read(path, "Leads").rows.len(), 2 * ROWS);
    assert_eq!(Sheet::read(path, "Benchmarks").rows.len(), 6 * 5);
    assert_eq!(Sheet::read(path, "SegmentDemand").rows.len(), 3 * 4);

    // Costs: every month × channel × cost type, over at least 24 months.
    let costs = Sheet::read(path, "Costs");
    let months: BTreeSet<u64> = costs
        .dates("month")
        .iter()
        .map(|d| d.unwrap() as u64)
        .collect();
    assert!(months.len() >= 24, "{} months of costs", months.len());
    assert_eq!(costs.rows.len(), months.len() * 6 * 4);
    let headcount = Sheet::read(path, "Headcount");
    assert_eq!(headcount.rows.len(), months.len() * 6);

    let partners = Sheet::read(path, "Partners").rows.len();
    let targets = Sheet::read(path, "PartnerTargets");
    let quarters: BTreeSet<String> = required(targets.texts("quarter")).into_iter().collect();
    assert!(quarters.len() >= 8);
    assert_eq!(targets.rows.len(), partners * quarters.len());
}

#[test]
fn opportunities_are_consistent() {
    let path = shared_sample();
    let opps = Sheet::read(path, "Opportunities");
    let partners = Sheet::read(path, "Partners");
    let partner_ids: BTreeSet<String> =
        required(partners.texts("partner_id")).into_iter().collect();
    assert_eq!(
        partner_ids.len(),
        partners.rows.len(),
        "partner ids are unique"
    );

    let ids = required(opps.texts("opp_id"));
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ROWS,
        "opp ids are unique"
    );
    let channels = required(opps.texts("channel"));
    let partner_col = opps.texts("partner_id");
    let segments = required(opps.texts("segment"));
    let regions = required(opps.texts("region"));
    let stages = required(opps.texts("stage"));
    let created = opps.dates("created_date");
    let closed = opps.dates("close_date");
    let amounts = opps.numbers("amount");
    for i in 0..ROWS {
        assert!(CHANNELS.contains(&channels[i].as_str()), "{}", channels[i]);
        assert!(SEGMENTS.contains(&segments[i].as_str()), "{}", segments[i]);
        assert!(REGIONS.contains(&regions[i].as_str()), "{}", regions[i]);
        let partnered = channels[i] == "Partner" || channels[i] == "Reseller";
        assert_eq!(
            partner_col[i].is_some(),
            partnered,
            "row {i}: partner_id vs channel"
        );
        if let Some(p) = &partner_col[i] {
            assert!(partner_ids.contains(p), "unknown partner {p}");
        }
        let is_open = OPEN_STAGES.contains(&stages[i].as_str());
        assert!(
            is_open || CLOSED_STAGES.contains(&stages[i].as_str()),
            "{}",
            stages[i]
        );
        assert_eq!(closed[i].is_none(), is_open, "row {i}: close_date vs stage");
        let created = created[i].unwrap();
        assert!(created <= SNAPSHOT_SERIAL);
        if let Some(close) = closed[i] {
            assert!(close >= created && close <= SNAPSHOT_SERIAL, "row {i}");
        }
        assert!(amounts[i] > 0.0);
    }
    // Created dates span at least 24 months.
    let months: BTreeSet<u64> = created
        .iter()
        .map(|d| (d.unwrap() / 30.44) as u64)
        .collect();
    assert!(months.len() >= 24);
}

#[test]
fn accounts_recur_across_channels() {
    let opps = Sheet::read(shared_sample(), "Opportunities");
    let accounts = required(opps.texts("account_id"));
    let channels = required(opps.texts("channel"));
    let mut by_account: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, c) in accounts.iter().zip(&channels) {
        by_account.entry(a).or_default().insert(c);
    }
    let distinct = by_account.len() as f64;
    let expected = (ROWS / 5) as f64;
    assert!(
        distinct <= expected && distinct >= 0.8 * expected,
        "{distinct} distinct accounts"
    );
    let multi = by_account.values().filter(|c| c.len() >= 2).count() as f64;
    // Overlap is real but most accounts stay with one channel.
    assert!(
        (0.2..0.8).contains(&(multi / distinct)),
        "{multi} of {distinct} accounts in 2+ channels"
    );
}

/// Per-channel win rate, median cycle, won revenue and mix, computed from the raw cells.
#[test]
fn channels_differ_like_a_real_business() {
    let path = shared_sample();
    let opps = Sheet::read(path, "Opportunities");
    let channels = required(opps.texts("channel"));
    let stages = required(opps.texts("stage"));
    let created = opps.dates("created_date");
    let closed = opps.dates("close_date");
    let amounts = opps.numbers("amount");

    let mut deals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut won: BTreeMap<&str, usize> = BTreeMap::new();
    let mut closed_count: BTreeMap<&str, usize> = BTreeMap::new();
    let mut revenue: BTreeMap<&str, f64> = BTreeMap::new();
    let mut cycles: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 0..ROWS {
        let c = channels[i].as_str();
        *deals.entry(c).or_default() += 1;
        if let Some(close) = closed[i] {
            *closed_count.entry(c).or_default() += 1;
            cycles
                .entry(c)
                .or_default()
                .push(close - created[i].unwrap());
        }
        if stages[i] == "Closed Won" {
            *won.entry(c).or_default() += 1;
            *revenue.entry(c).or_default() += amounts[i];
        }
    }
    // Skewed mix: the biggest channel has at least twice the deals of the smallest.
    let most = *deals.values().max().unwrap() as f64;
    let least = *deals.values().min().unwrap() as f64;
    assert!(most >= 2.0 * least, "{deals:?}");

    let win_rates: Vec<f64> = CHANNELS
        .iter()
        .map(|c| won[c] as f64 / closed_count[c] as f64)
        .collect();
    let spread = win_rates.iter().cloned().fold(f64::MIN, f64::max)
        - win_rates.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 0.08, "win rates {win_rates:?}");

    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let direct_cycle = median(cycles.get_mut("Direct").unwrap());
    let online_cycle = median(cycles.get_mut("Online").unwrap());
    assert!(
        direct_cycle > 3.0 * online_cycle,
        "{direct_cycle} vs {online_cycle}"
    );

    // ROI = (revenue × 72% margin − cost) / cost, cost summed from the Costs sheet:
    // most channels between 1x and 5x, one clearly weak.
    let costs = Sheet::read(path, "Costs");
    let mut cost: BTreeMap<String, f64> = BTreeMap::new();
    for (c, a) in required(costs.texts("channel"))
        .into_iter()
        .zip(costs.numbers("amount"))
    {
        assert!(a > 0.0);
        *cost.entry(c).or_default() += a;
    }
    let roi: Vec<f64> = CHANNELS
        .iter()
        .map(|c| (revenue[c] * 0.72 - cost[*c]) / cost[*c])
        .collect();
    let healthy = roi.iter().filter(|r| (1.0..=5.0).contains(*r)).count();
    let weak = roi.iter().filter(|r| **r < 0.5).count();
    assert!(healthy >= 4 && weak == 1, "ROI by channel {roi:?}");
}

/// Pipeline peaks in the last month of each quarter.
#[test]
fn created_dates_peak_at_quarter_end() {
    let opps = Sheet::read(shared_sample(), "Opportunities");
    let mut by_position = [0usize; 3];
    for serial in opps.dates("created_date").into_iter().flatten() {
        // Month of the serial via chrono, independent of the generator's calendar.
        let date = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
            + chrono::Duration::days(serial as i64);
        by_position[(chrono::Datelike::month(&date) as usize - 1) % 3] += 1;
    }
    assert!(
        by_position[2] as f64 > 1.15 * by_position[0] as f64,
        "{by_position:?}"
    );
}

#[test]
fn lead_funnel_is_plausible_against_opportunities() {
    let path = shared_sample();
    let leads = Sheet::read(path, "Leads");
    let opps = Sheet::read(path, "Opportunities");
    let mut opp_count: BTreeMap<String, usize> = BTreeMap::new();
    for c in required(opps.texts("channel")) {
        *opp_count.entry(c).or_default() += 1;
    }
    let mut reached: BTreeMap<(String, String), usize> = BTreeMap::new();
    let stages = required(leads.texts("stage_reached"));
    for (c, s) in required(leads.texts("channel")).into_iter().zip(stages) {
        assert!(CHANNELS.contains(&c.as_str()));
        assert!(
            ["MQL", "SQL", "Opportunity", "Won"].contains(&s.as_str()),
            "{s}"
        );
        *reached.entry((c, s)).or_default() += 1;
    }
    for c in CHANNELS {
        let count = |s: &str| reached.get(&(c.into(), s.into())).copied().unwrap_or(0);
        let to_opportunity = count("Opportunity") + count("Won");
        // Lead-sourced opportunities exist but do not outnumber the channel's opportunities.
        assert!(to_opportunity > 0 && to_opportunity <= opp_count[c], "{c}");
        // A funnel narrows.
        assert!(count("MQL") > count("Won"), "{c}");
    }
    for d in leads.dates("created_date") {
        assert!(d.unwrap() <= SNAPSHOT_SERIAL);
    }
}

#[test]
fn renewals_partners_and_targets_are_consistent() {
    let path = shared_sample();
    let opps = Sheet::read(path, "Opportunities");
    let mut won_accounts: BTreeSet<(String, String)> = BTreeSet::new();
    for ((a, c), s) in required(opps.texts("account_id"))
        .into_iter()
        .zip(required(opps.texts("channel")))
        .zip(required(opps.texts("stage")))
    {
        if s == "Closed Won" {
            won_accounts.insert((a, c));
        }
    }
    let renewals = Sheet::read(path, "Renewals");
    assert!(!renewals.rows.is_empty());
    let renewed_col = renewals.col("renewed");
    let mut churned = 0;
    for (((a, c), d), arr) in required(renewals.texts("account_id"))
        .into_iter()
        .zip(required(renewals.texts("channel")))
        .zip(renewals.dates("renewal_date"))
        .zip(renewals.numbers("arr"))
    {
        assert!(won_accounts.contains(&(a, c)), "renewal without a won deal");
        assert!(d.unwrap() <= SNAPSHOT_SERIAL);
        assert!(arr > 0.0);
    }
    for row in &renewals.rows {
        match row[renewed_col] {
            Data::Bool(false) => churned += 1,
            Data::Bool(true) => {}
            ref other => panic!("renewed must be TRUE/FALSE, got {other:?}"),
        }
    }
    assert!(churned > 0 && churned < renewals.rows.len());

    let partners = Sheet::read(path, "Partners");
    for t in required(partners.texts("tier")) {
        assert!(["Platinum", "Gold", "Silver", "Registered"].contains(&t.as_str()));
    }
    for r in required(partners.texts("region")) {
        assert!(REGIONS.contains(&r.as_str()));
    }
    assert!(partners.dates("joined_date").iter().all(|d| d.is_some()));
    assert!(partners.numbers("mdf_budget").iter().all(|m| *m >= 0.0));
    let ids: BTreeSet<String> = required(partners.texts("partner_id")).into_iter().collect();
    let targets = Sheet::read(path, "PartnerTargets");
    for p in required(targets.texts("partner_id")) {
        assert!(ids.contains(&p));
    }
    assert!(targets.numbers("revenue_target").iter().all(|v| *v > 0.0));
}

#[test]
fn row_level_sheets_split_at_the_row_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.xlsx");
    let summary =
        write_sample_workbook_with_sheet_limit(&SampleOptions { rows: 250, seed: 3 }, &path, 100)
            .unwrap();
    let book = open_workbook_auto(&path).unwrap();
    let names = book.sheet_names();
    let expected_splits = [
        ("Opportunities", vec![100, 100, 50]),
        ("Leads", vec![100, 100, 100, 100, 100]),
    ];
    for (base, counts) in expected_splits {
        for (k, count) in counts.iter().enumerate() {
            let name = if k == 0 {
                base.to_string()
            } else {
                format!("{base}_{}", k + 1)
            };
            assert!(names.contains(&name), "{name} missing from {names:?}");
            let sheet = Sheet::read(&path, &name);
            assert_eq!(sheet.rows.len(), *count, "{name}");
            assert_eq!(
                sheet.header[0],
                SCHEMA.iter().find(|s| s.0 == base).unwrap().1[0]
            );
            assert!(summary.sheets.contains(&(name.clone(), *count)));
        }
        let more = format!("{base}_{}", counts.len() + 1);
        assert!(!names.contains(&more));
    }
    // The parts together hold every opportunity exactly once.
    let mut ids = BTreeSet::new();
    for name in ["Opportunities", "Opportunities_2", "Opportunities_3"] {
        ids.extend(required(Sheet::read(&path, name).texts("opp_id")));
    }
    assert_eq!(ids.len(), 250);
}

#[test]
fn bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.xlsx");
    let err = write_sample_workbook(&SampleOptions { rows: 0, seed: 1 }, &out).unwrap_err();
    assert!(matches!(err, SampleError::NoRows));
    assert!(err.to_string().contains("at least 1"), "{err}");

    let csv = dir.path().join("s.csv");
    let err = write_sample_workbook(&SampleOptions { rows: 5, seed: 1 }, &csv).unwrap_err();
    assert!(err.to_string().contains(".xlsx"), "{err}");

    let nowhere = dir.path().join("missing").join("s.xlsx");
    let err = write_sample_workbook(&SampleOptions { rows: 5, seed: 1 }, &nowhere).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");

    let err = write_sample_workbook_with_sheet_limit(&SampleOptions { rows: 5, seed: 1 }, &out, 0)
        .unwrap_err();
    assert!(matches!(err, SampleError::BadSheetLimit { .. }), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn one_row_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny.xlsx");
    write_sample_workbook(&SampleOptions { rows: 1, seed: 0 }, &out).unwrap();
    assert_eq!(Sheet::read(&out, "Opportunities").rows.len(), 1);
    assert_eq!(Sheet::read(&out, "Leads").rows.len(), 2);
}

/// The shipped scenarios/data/crm_sample.xlsx must be what `--rows 2000 --seed 42` gives
/// today (regenerate it as scenarios/data/README.md says when the generator changes).
#[test]
fn shipped_sample_is_current_and_small() {
    let shipped = crate::support::repo().join("scenarios/data/crm_sample.xlsx");
    let bytes = std::fs::read(&shipped).unwrap();
    assert!(bytes.len() < 1_000_000, "{} bytes", bytes.len());
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.xlsx");
    write_sample_workbook(
        &SampleOptions {
            rows: 2000,
            seed: 42,
        },
        &fresh,
    )
    .unwrap();
    assert!(
        bytes == std::fs::read(&fresh).unwrap(),
        "regenerate crm_sample.xlsx"
    );
}

/// More spend brings more pipeline: per channel, monthly cost and the number of
/// opportunities created that month move together.
#[test]
fn monthly_pipeline_follows_spend() {
    let path = shared_sample();
    let month_of = |serial: f64| {
        let date = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
            + chrono::Duration::days(serial as i64);
        (
            chrono::Datelike::year(&date),
            chrono::Datelike::month(&date),
        )
    };
    let costs = Sheet::read(path, "Costs");
    let mut spend: BTreeMap<(String, (i32, u32)), f64> = BTreeMap::new();
    for ((c, m), a) in required(costs.texts("channel"))
        .into_iter()
        .zip(costs.dates("month"))
        .zip(costs.numbers("amount"))
    {
        *spend.entry((c, month_of(m.unwrap()))).or_default() += a;
    }
    let opps = Sheet::read(path, "Opportunities");
    let mut created: BTreeMap<(String, (i32, u32)), f64> = BTreeMap::new();
    for (c, d) in required(opps.texts("channel"))
        .into_iter()
        .zip(opps.dates("created_date"))
    {
        *created.entry((c, month_of(d.unwrap()))).or_default() += 1.0;
    }
    let mut correlations = Vec::new();
    for channel in CHANNELS {
        let pairs: Vec<(f64, f64)> = spend
            .iter()
            .filter(|((c, _), _)| c == channel)
            .map(|(key, s)| (*s, created.get(key).copied().unwrap_or(0.0)))
            .collect();
        let n = pairs.len() as f64;
        let (mx, my) = (
            pairs.iter().map(|p| p.0).sum::<f64>() / n,
            pairs.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let cov: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = pairs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        let vy: f64 = pairs.iter().map(|(_, y)| (y - my).powi(2)).sum();
        correlations.push(cov / (vx * vy).sqrt());
    }
    assert!(correlations.iter().all(|r| *r > 0.0), "{correlations:?}");
}

/// Rewrites scenarios/data/crm_sample.xlsx (`--rows 2000 --seed 42`); run on purpose with
/// `cargo test --test integration -- --ignored sample_data::regenerate_shipped_sample`.
#[test]
#[ignore = "writes into the source tree; run after changing the generator"]
fn regenerate_shipped_sample() {
    let shipped = crate::support::repo().join("scenarios/data/crm_sample.xlsx");
    write_sample_workbook(
        &SampleOptions {
            rows: 2000,
            seed: 42,
        },
        &shipped,
    )
    .unwrap();
}

#[test]
fn partner_names_are_distinct() {
    let partners = Sheet::read(shared_sample(), "Partners");
    let names = required(partners.texts("partner_name"));
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len());
}

/// Larger partners (lower ids, by construction ranked by size) have been partners longer,
/// and every partner joined before the data window (2024-01-01 is serial 45292).
#[test]
fn larger_partners_joined_earlier() {
    let partners = Sheet::read(shared_sample(), "Partners");
    let joined: Vec<f64> = partners
        .dates("joined_date")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(joined.len(), partners.rows.len());
    assert!(joined.iter().all(|d| *d < 45292.0));
    let tenth = joined.len() / 10;
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    assert!(mean(&joined[..tenth]) < mean(&joined[joined.len() - tenth..]));
}

/// Every segment × region has more addressable accounts than we already serve there.
#[test]
fn segment_demand_exceeds_our_accounts() {
    let path = shared_sample();
    let opps = Sheet::read(path, "Opportunities");
    let mut ours: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ((s, r), a) in required(opps.texts("segment"))
        .into_iter()
        .zip(required(opps.texts("region")))
        .zip(required(opps.texts("account_id")))
    {
        ours.entry((s, r)).or_default().insert(a);
    }
    let demand = Sheet::read(path, "SegmentDemand");
    let addressable = demand.numbers("addressable_accounts");
    let annual = demand.numbers("annual_demand");
    for (i, (s, r)) in required(demand.texts("segment"))
        .into_iter()
        .zip(required(demand.texts("region")))
        .enumerate()
    {
        assert!(SEGMENTS.contains(&s.as_str()) && REGIONS.contains(&r.as_str()));
        let served = ours.get(&(s, r)).map_or(0, |a| a.len()) as f64;
        assert!(addressable[i] > served, "row {i}");
        assert!(annual[i] > 0.0);
    }
}

/// The partner sheets: a committed forecast per partner and PartnerTargets quarter, two
/// assessments per partner with scores in range, the eight-program catalog.
#[test]
fn partner_sheets_cover_every_partner() {
    let path = shared_sample();
    let partners = Sheet::read(path, "Partners");
    let ids: BTreeSet<String> = required(partners.texts("partner_id")).into_iter().collect();
    let targets = Sheet::read(path, "PartnerTargets");
    let forecasts = Sheet::read(path, "PartnerForecasts");
    let target_keys: BTreeSet<(String, String)> = required(targets.texts("partner_id"))
        .into_iter()
        .zip(required(targets.texts("quarter")))
        .collect();
    let forecast_keys: BTreeSet<(String, String)> = required(forecasts.texts("partner_id"))
        .into_iter()
        .zip(required(forecasts.texts("quarter")))
        .collect();
    assert_eq!(forecast_keys, target_keys);
    assert_eq!(forecasts.rows.len(), target_keys.len());
    assert!(forecasts.numbers("committed").iter().all(|c| *c >= 0.0));

    let assessments = Sheet::read(path, "PartnerAssessments");
    assert_eq!(assessments.rows.len(), 2 * ids.len());
    let assessed: BTreeSet<String> = required(assessments.texts("partner_id"))
        .into_iter()
        .collect();
    assert_eq!(assessed, ids);
    for score in ["technical", "sales", "marketing"] {
        assert!(
            assessments
                .numbers(score)
                .iter()
                .all(|s| (10.0..=98.0).contains(s)),
            "{score}"
        );
    }
    assert!(
        assessments
            .numbers("satisfaction")
            .iter()
            .all(|s| (1.0..=5.0).contains(s))
    );
    assert!(
        assessments
            .numbers("reputation")
            .iter()
            .all(|s| (1.0..=5.0).contains(s))
    );
    assert!(
        assessments
            .dates("assessed_date")
            .iter()
            .all(|d| d.unwrap() <= SNAPSHOT_SERIAL)
    );

    let programs = Sheet::read(path, "EnablementPrograms");
    assert_eq!(programs.rows.len(), 8);
    let capabilities: BTreeSet<String> =
        required(programs.texts("capability")).into_iter().collect();
    assert_eq!(
        capabilities,
        BTreeSet::from(["certification", "marketing", "sales", "technical"].map(String::from))
    );
}

/// Structure worth finding: P-00002, a large partner, registers fewer and fewer deals
/// from 2025 (its successor in the region gains them), and partners at the bottom of
/// their tier's certified-reps range are assessed as more capable than their peers.
#[test]
fn a_large_partner_declines_and_capable_partners_lack_certified_reps() {
    let path = shared_sample();
    let opps = Sheet::read(path, "Opportunities");
    let created = opps.dates("created_date");
    let partner_ids = opps.texts("partner_id");
    let count = |id: &str, from: f64, to: f64| {
        partner_ids
            .iter()
            .zip(&created)
            .filter(|(p, c)| p.as_deref() == Some(id) && (from..to).contains(&c.unwrap()))
            .count() as f64
    };
    // 2024-01-01, 2025-01-01, 2025-07-01, 2026-07-01 as serials.
    let (y2024, y2025, h2025, end) = (45292.0, 45658.0, 45839.0, 46204.0);
    let early = count("P-00002", y2024, y2025);
    let late = count("P-00002", h2025, end);
    assert!(early >= 10.0, "P-00002 has {early} deals in 2024");
    assert!(
        late < 0.75 * early,
        "P-00002: {late} deals in the last year against {early} in 2024"
    );

    let partners = Sheet::read(path, "Partners");
    let assessments = Sheet::read(path, "PartnerAssessments");
    let technical: BTreeMap<String, f64> = required(assessments.texts("partner_id"))
        .into_iter()
        .zip(assessments.numbers("technical"))
        .collect();
    let tiers = required(partners.texts("tier"));
    let reps = partners.numbers("certified_reps");
    let ids = required(partners.texts("partner_id"));
    for (tier, fewest) in [("Gold", 7.0), ("Silver", 2.0)] {
        let (mut held, mut others) = (Vec::new(), Vec::new());
        for ((id, t), r) in ids.iter().zip(&tiers).zip(&reps) {
            if t == tier {
                let score = technical[id];
                if *r <= fewest {
                    held.push(score)
                } else {
                    others.push(score)
                }
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(!held.is_empty() && !others.is_empty(), "{tier}");
        assert!(
            mean(&held) >= mean(&others) + 8.0,
            "{tier}: held back {} vs others {}",
            mean(&held),
            mean(&others)
        );
    }
}
