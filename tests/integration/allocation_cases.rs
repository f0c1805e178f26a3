//! Infeasible and degenerate allocation inputs, run through the binary on a small
//! fixture written here: each gives a clear message (an E0120 error naming the
//! conflict and by how much, or notes on the console), snapshotted; a run that succeeds
//! writes a workbook without NaN or infinite numbers.

use std::fmt::Write as _;
use std::path::Path;

use calamine::{Data, Reader};

use crate::support::command::Chanmix;

const RULES: &str = r#"
input History (channel: text, month: date, spend: number?, opportunities: number)
input Channels (channel: text, current: number?, pinned: bool)
param budget    = 300
param min_share = 50%
param max_share = 150%
param objective = "revenue"
param target    = 0

table Curves = fit_response History by channel (spend = spend, outcome = opportunities,
    period = month)
Channels.curve = XLOOKUP(channel, Curves.channel, Curves.curve, "")
table Plan = optimize Channels by channel (spend = current, curve = curve, budget = budget,
    objective = objective, target = target, revenue_per_outcome = 10,
    lower = current * min_share, upper = current * max_share, pinned = pinned)
Plan.change = recommended - current
"#;

/// Months of history: channel A's spend around 100, B's around 60, C's around 140, each
/// answering a Hill curve, with a seasonal swing shared by all.
fn history(months: usize, edit: impl Fn(&str, usize, &mut String, &mut String)) -> String {
    let mut csv = String::from("channel,month,spend,opportunities\n");
    for (channel, base, k, a) in [
        ("A", 100.0, 90.0, 60.0),
        ("B", 60.0, 50.0, 30.0),
        ("C", 140.0, 150.0, 80.0),
    ] {
        for m in 0..months {
            let swing = 1.0 + 0.45 * ((m * 7 % 11) as f64 / 10.0 - 0.5);
            let spend: f64 = base * swing;
            let season = 1.0 + 0.1 * ((m % 3) as f64 - 1.0);
            let outcome = season * a / (1.0 + (k / spend).powf(1.3));
            let mut spend_text = format!("{spend:.2}");
            let mut outcome_text = format!("{outcome:.3}");
            edit(channel, m, &mut spend_text, &mut outcome_text);
            let _ = writeln!(
                csv,
                "{channel},2025-{:02}-01,{spend_text},{outcome_text}",
                m % 12 + 1
            );
        }
    }
    csv
}

const CHANNELS: &str = "channel,current,pinned\nA,100,FALSE\nB,100,FALSE\nC,100,FALSE\n";

/// Runs the fixture with these files and params; returns the exit code and stderr
/// (what the user reads), and checks any workbook written.
fn run_case(history_csv: &str, channels_csv: &str, params: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alloc.rules"), RULES).unwrap();
    std::fs::write(dir.path().join("history.csv"), history_csv).unwrap();
    std::fs::write(dir.path().join("channels.csv"), channels_csv).unwrap();
    let mut scenario = String::from(
        "name = \"case\"\nrules = [\"alloc.rules\"]\nas_of = 2025-12-31\n\
         [inputs.tables.History]\nfile = \"history.csv\"\n\
         [inputs.tables.Channels]\nfile = \"channels.csv\"\n[params]\n",
    );
    for (name, value) in params {
        let _ = writeln!(scenario, "{name} = {value}");
    }
    std::fs::write(dir.path().join("case.toml"), scenario).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "case.toml", "-o", "case.xlsx"])
        .output();
    let workbook = dir.path().join("case.xlsx");
    if ran.code() == Some(0) {
        assert_no_nan(&workbook);
    } else {
        assert!(!workbook.exists(), "a failed run wrote a workbook");
    }
    format!("exit {}\n{}", ran.code().unwrap_or(-1), ran.stderr)
}

fn assert_no_nan(path: &Path) {
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    for sheet in workbook.sheet_names() {
        let range = workbook.worksheet_range(&sheet).unwrap();
        for (row, cells) in range.rows().enumerate() {
            for (column, cell) in cells.iter().enumerate() {
                let bad = match cell {
                    Data::Float(f) => !f.is_finite(),
                    Data::String(s) => matches!(s.as_str(), "NaN" | "inf" | "-inf"),
                    _ => false,
                };
                assert!(!bad, "{sheet}!R{}C{}: {cell:?}", row + 1, column + 1);
            }
        }
    }
}

#[test]
fn the_fixture_itself_solves_cleanly() {
    let out = run_case(&history(12, |_, _, _, _| {}), CHANNELS, &[]);
    assert!(out.starts_with("exit 0"), "{out}");
    assert!(out.contains("certificate"), "{out}");
}

#[test]
fn budget_under_the_sum_of_minimums() {
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        CHANNELS,
        &[("budget", "100")],
    );
    insta::assert_snapshot!("allocation_budget_under_minimums", out);
}

#[test]
fn everything_pinned() {
    let channels = CHANNELS.replace("FALSE", "TRUE");
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        &channels,
        &[("budget", "400")],
    );
    insta::assert_snapshot!("allocation_everything_pinned", out);
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        &channels,
        &[("budget", "250")],
    );
    insta::assert_snapshot!("allocation_everything_pinned_over_budget", out);
}

#[test]
fn a_channel_with_no_spend_history() {
    // D is planned but has no history; B's history has no spend at all.
    let channels = format!("{CHANNELS}D,50,FALSE\n");
    let out = run_case(
        &history(12, |channel, _, spend, _| {
            if channel == "B" {
                *spend = "0".into();
            }
        }),
        &channels,
        &[("budget", "360")],
    );
    insta::assert_snapshot!("allocation_no_spend_history", out);
}

#[test]
fn one_month_of_data() {
    let out = run_case(&history(1, |_, _, _, _| {}), CHANNELS, &[]);
    insta::assert_snapshot!("allocation_one_month", out);
}

#[test]
fn a_flat_curve() {
    let out = run_case(
        &history(12, |channel, _, _, outcome| {
            if channel == "A" {
                *outcome = "40".into();
            }
        }),
        CHANNELS,
        &[],
    );
    insta::assert_snapshot!("allocation_flat_curve", out);
}

#[test]
fn negative_or_blank_spend() {
    let history_csv = history(12, |channel, m, spend, _| match (channel, m) {
        ("A", 3) => *spend = "-20".into(),
        ("B", 5) => spend.clear(),
        _ => {}
    });
    let channels = CHANNELS.replace("C,100", "C,");
    let out = run_case(&history_csv, &channels, &[]);
    insta::assert_snapshot!("allocation_negative_or_blank_history_spend", out);
    let channels = CHANNELS.replace("A,100", "A,-5");
    let out = run_case(&history(12, |_, _, _, _| {}), &channels, &[]);
    insta::assert_snapshot!("allocation_negative_current_spend", out);
}

#[test]
fn a_target_out_of_reach_and_an_unknown_objective() {
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        CHANNELS,
        &[
            ("objective", "\"min_spend_for_revenue\""),
            ("target", "1e9"),
        ],
    );
    insta::assert_snapshot!("allocation_target_out_of_reach", out);
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        CHANNELS,
        &[
            ("objective", "\"min_spend_for_revenue\""),
            ("target", "1500"),
            ("budget", "200"),
        ],
    );
    insta::assert_snapshot!("allocation_target_over_budget", out);
    let out = run_case(
        &history(12, |_, _, _, _| {}),
        CHANNELS,
        &[("objective", "\"profit\"")],
    );
    insta::assert_snapshot!("allocation_unknown_objective", out);
}

/// Two channels on given curves: A may sell at most 400 a period (its own markets), B
/// has no ceiling of its own, and both share a market ceiling of 2,000 that does not bind.
const CEILING_RULES: &str = r#"
input Channels (channel: text, current: number, curve: text, ceiling: number?)
param budget = 1000
table Plan = optimize Channels by channel (spend = current, curve = curve, budget = budget,
    objective = "revenue", revenue_per_outcome = 10, lower = current * 50%,
    upper = current * 3, row_demand_cap = ceiling, demand_cap = 2000, demand_group = "market")
"#;

fn run_ceiling_case(channels_csv: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alloc.rules"), CEILING_RULES).unwrap();
    std::fs::write(dir.path().join("channels.csv"), channels_csv).unwrap();
    std::fs::write(
        dir.path().join("case.toml"),
        "name = \"case\"\nrules = [\"alloc.rules\"]\nas_of = 2025-12-31\n\
         [inputs.tables.Channels]\nfile = \"channels.csv\"\n",
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "case.toml", "--json", "-o", "case.xlsx"])
        .output();
    (ran.code(), ran.stdout, ran.stderr)
}

#[test]
fn a_row_demand_ceiling_caps_its_spend_beside_the_group_ceiling() {
    let channels = "channel,current,curve,ceiling\n\
                    A,100,\"hill(a=60, k=90, s=1.3)\",400\n\
                    B,100,\"hill(a=30, k=50, s=1.3)\",\n";
    let (code, stdout, stderr) = run_ceiling_case(channels);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rows = json["allocation"]["Plan"]["rows"].as_array().unwrap();
    let row = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap();
    // By hand: A's revenue 10·60/(1 + (90/x)^1.3) reaches 400 where 60/(1+(90/x)^1.3) = 40,
    // i.e. (90/x)^1.3 = 1/2, x = 90·2^(1/1.3). Without its ceiling A would take its
    // maximum 300 (the budget covers both maximums).
    let a_top = 90.0 * 2f64.powf(1.0 / 1.3);
    let a = row("A");
    assert!(
        (a["recommended"].as_f64().unwrap() - a_top).abs() < 1e-6 * a_top,
        "{a}"
    );
    assert_eq!(a["binding"], "demand ceiling", "{a}");
    let b = row("B");
    assert!(
        (b["recommended"].as_f64().unwrap() - 300.0).abs() < 1e-9,
        "{b}"
    );
    assert_eq!(b["binding"], "maximum", "{b}");
    // The budget is not spent, and the console says why.
    assert!(stderr.contains("A (demand ceiling)"), "{stderr}");
}

#[test]
fn a_row_demand_ceiling_below_the_minimum_is_a_clear_error() {
    // A's minimum is 50; its ceiling of 100 a period is reached at 90·(10/50)^(1/1.3) ≈ 26.
    let channels = "channel,current,curve,ceiling\n\
                    A,100,\"hill(a=60, k=90, s=1.3)\",100\n\
                    B,100,\"hill(a=30, k=50, s=1.3)\",\n";
    let (code, _, stderr) = run_ceiling_case(channels);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("A: its demand ceiling (100 a period) is reached at"),
        "{stderr}"
    );
    assert!(stderr.contains("below its minimum 50"), "{stderr}");
}
