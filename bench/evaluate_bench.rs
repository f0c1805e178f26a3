//! Evaluation benchmark: reads a scenario's inputs once, then evaluates its plan N times
//! and prints min/median per evaluation, the slowest steps, peak memory and a digest.
//!
//! Run: `cargo run --release --example evaluate_bench -- SCENARIO.toml [RUNS] [--digest]`
//! (see bench/README.md). `--digest` hashes every value of the result (errors with their
//! origins) so two builds can be shown to compute exactly the same thing.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chanmix::eval::engine::{Evaluated, evaluate_timed};
use chanmix::eval::plan::Step;
use chanmix::run::{evaluation_settings, prepare, read};
use sha2::{Digest, Sha256};

/// A /proc/self/status field in MiB (Linux).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak-RSS mark so the next reading covers evaluation only (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// SHA-256 over every table, column and value (Debug form, so error origins count).
fn digest(result: &Evaluated) -> String {
    let mut hasher = Sha256::new();
    for table in &result.tables {
        hasher.update(format!("table {} {}\n", table.name, table.row_count));
        for column in &table.columns {
            hasher.update(format!("column {} {:?}\n", column.name, column.ty));
            for value in &column.values {
                hasher.update(format!("{value:?}\n"));
            }
        }
    }
    for (name, value) in result.scalars.iter().chain(&result.params) {
        hasher.update(format!("{name} {value:?}\n"));
    }
    for flag in &result.flags {
        hasher.update(format!("{flag:?}\n"));
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run(scenario: &Path, runs: usize, want_digest: bool) -> Result<(), String> {
    let prepared = prepare(scenario).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let data = read(&prepared).map_err(|e| e.to_string())?;
    let rows: Vec<String> = data
        .tables
        .iter()
        .map(|t| format!("{} {}", t.name, t.row_count))
        .collect();
    println!(
        "read {} in {:.2} s, peak RSS {:.0} MiB",
        rows.join(", "),
        started.elapsed().as_secs_f64(),
        status_mib("VmHWM:")
    );
    let (overrides, context) = evaluation_settings(&prepared);
    let mut totals = Vec::with_capacity(runs);
    let mut per_step: HashMap<Step, Vec<Duration>> = HashMap::new();
    let mut last = None;
    let mut peak_eval = 0.0f64;
    for _ in 0..runs.max(1) {
        // The copy of the inputs is not timed: a real run moves them in.
        let tables = data.tables.clone();
        drop(last.take());
        let base = status_mib("VmRSS:");
        reset_peak_rss();
        let started = Instant::now();
        let result = evaluate_timed(
            &prepared.plan,
            tables,
            &overrides,
            &context,
            &mut |step, took| per_step.entry(step).or_default().push(took),
        )
        .map_err(|e| e.to_string())?;
        totals.push(started.elapsed());
        peak_eval = peak_eval.max(status_mib("VmHWM:") - base);
        last = Some(result);
    }
    let min = totals.iter().min().copied().unwrap_or_default();
    println!(
        "evaluate: {} runs, min {:.1} ms, median {:.1} ms; peak RSS during evaluation {:.0} MiB above the inputs",
        totals.len(),
        min.as_secs_f64() * 1e3,
        median(&mut totals).as_secs_f64() * 1e3,
        peak_eval
    );
    let mut steps: Vec<(Step, Duration)> = per_step
        .into_iter()
        .map(|(step, mut times)| (step, median(&mut times)))
        .collect();
    steps.sort_by(|a, b| b.1.cmp(&a.1));
    let total: Duration = steps.iter().map(|(_, d)| *d).sum();
    println!(
        "slowest steps (median of runs; all steps sum to {:.1} ms):",
        total.as_secs_f64() * 1e3
    );
    for (step, took) in steps.iter().take(20) {
        println!(
            "  {:>8.2} ms  {}",
            took.as_secs_f64() * 1e3,
            prepared.plan.step_name(*step)
        );
    }
    if want_digest && let Some(result) = &last {
        println!("digest {}", digest(result));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let want_digest = args.iter().any(|a| a == "--digest");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let Some(scenario) = positional.first() else {
        eprintln!("usage: evaluate_bench SCENARIO.toml [RUNS] [--digest]");
        return ExitCode::FAILURE;
    };
    let runs = positional
        .get(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5usize);
    match run(Path::new(scenario.as_str()), runs, want_digest) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
