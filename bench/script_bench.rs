//! Script function vs native formula: the same rebate rate over N rows with few distinct
//! argument tuples, once as a rhai script function and once as nested IFs, each
//! evaluated through the real parser, checker and evaluator, side by side in one run.
//!
//! Run: `cargo run --release --example script_bench -- [ROWS] [RUNS]` (default
//! 1,000,000 rows, 7 runs; see bench/README.md). The two columns are compared before
//! any time is printed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chanmix::analysis;
use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::plan::Plan;
use chanmix::lang::program::load_rule_files;
use chanmix::table::{Column, Table};
use chanmix::value::{Value, ValueType};

const SCRIPT: &str = r#"
// Rebate rate by tier and attainment band.
fn rebate_rate(tier, attainment) {
    if attainment >= 1.0 {
        if tier == "Platinum" { 0.06 } else { 0.05 }
    } else if attainment >= 0.5 {
        0.03
    } else {
        0.0
    }
}
"#;

const NATIVE: &str =
    r#"IF(attainment >= 1, IF(tier = "Platinum", 0.06, 0.05), IF(attainment >= 0.5, 0.03, 0))"#;

fn plan(dir: &std::path::Path, name: &str, formula: &str) -> Plan {
    let rules = format!(
        "script \"rates.rhai\"\ninput Deals (tier: text, attainment: number)\nDeals.rate = {formula}\n"
    );
    let path: PathBuf = dir.join(format!("{name}.rules"));
    std::fs::write(&path, rules).unwrap();
    let program = load_rule_files(&[path], &[], &analysis::vocabulary()).unwrap();
    match program.plan {
        Some(plan) => plan,
        None => panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        ),
    }
}

fn table(rows: usize) -> Table {
    let tiers = ["Platinum", "Gold", "Silver", "Registered"];
    let tier_values: Vec<Value> = tiers.iter().map(|t| Value::text(t)).collect();
    let mut deals = Table::new("Deals", rows);
    deals.set_column(Column::new(
        "tier",
        ValueType::Text,
        (0..rows).map(|r| tier_values[r % 4].clone()).collect(),
    ));
    // 16 attainment levels: 0.1 … 1.6.
    deals.set_column(Column::new(
        "attainment",
        ValueType::Number,
        (0..rows)
            .map(|r| Value::Number(((r * 7) % 16 + 1) as f64 / 10.0))
            .collect(),
    ));
    deals
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rates.rhai"), SCRIPT).unwrap();
    let script = plan(dir.path(), "script", "rebate_rate(tier, attainment)");
    let native = plan(dir.path(), "native", NATIVE);
    let context = CallContext::default();
    let rate = |plan: &Plan| {
        let result = evaluate(plan, vec![table(rows)], &[], &context).unwrap();
        let deals = result.table("Deals").unwrap();
        deals.column("rate").unwrap().values().into_owned()
    };
    let (a, b) = (rate(&script), rate(&native));
    assert_eq!(a.len(), rows);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.as_f64(), y.as_f64(), "script and native rates differ");
    }
    let mut script_times = Vec::new();
    let mut native_times = Vec::new();
    for _ in 0..runs {
        // Interleaved, so both see the same machine load; the input table is built
        // outside the timing.
        for (plan, times) in [(&script, &mut script_times), (&native, &mut native_times)] {
            let input = table(rows);
            let started = Instant::now();
            let result = evaluate(plan, vec![input], &[], &context).unwrap();
            times.push(started.elapsed());
            drop(result);
        }
    }
    let s = median(&mut script_times);
    let n = median(&mut native_times);
    println!(
        "{rows} rows, 64 distinct (tier, attainment) tuples, median of {runs}: script {:.1} ms, native {:.1} ms, ratio {:.2}",
        s.as_secs_f64() * 1e3,
        n.as_secs_f64() * 1e3,
        s.as_secs_f64() / n.as_secs_f64()
    );
}
