//! Evaluation benchmark: reads a scenario's inputs once, then evaluates its plan N times
//! and prints min/median per evaluation, the slowest steps, peak memory and a digest.
//!
//! Run: `cargo run --release --example evaluate_bench -- SCENARIO.toml [RUNS] [--digest]
//! [--snapshot FILE]` (see bench/README.md). `--digest` hashes every value of the result
//! (errors with their origins) so two builds can be shown to compute exactly the same
//! thing. `--snapshot FILE` saves the tables read to FILE, or loads them from it when it
//! exists, so profilers (callgrind) need not read the workbook.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chanmix::eval::engine::{Evaluated, evaluate_timed};
use chanmix::lang::plan::Step;
use chanmix::pipeline::{evaluation_settings, prepare, read};
use chanmix::table::{Column, Table};
use chanmix::value::ValueType;
use chanmix::value::{ErrorKind, Text, Value};
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

/// CPU time of the whole process (all threads): unlike wall time, it does not grow
/// when other processes take the cores.
fn process_cpu() -> Duration {
    let mut spec = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut spec) };
    Duration::new(spec.tv_sec as u64, spec.tv_nsec as u32)
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
            for value in column.values().iter() {
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

fn put_str(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(&(text.len() as u64).to_le_bytes())?;
    out.write_all(text.as_bytes())
}

/// Writes tables in a private binary form (tag byte + payload per value).
fn save_snapshot(tables: &[Table], path: &Path) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&(tables.len() as u64).to_le_bytes())?;
    for table in tables {
        put_str(&mut out, &table.name)?;
        out.write_all(&(table.row_count as u64).to_le_bytes())?;
        out.write_all(&(table.columns.len() as u64).to_le_bytes())?;
        for column in &table.columns {
            put_str(&mut out, &column.name)?;
            put_str(&mut out, column.ty.as_str())?;
            out.write_all(&(column.len() as u64).to_le_bytes())?;
            for value in column.values().iter() {
                match value {
                    Value::Blank => out.write_all(&[0])?,
                    Value::Number(n) => {
                        out.write_all(&[1])?;
                        out.write_all(&n.to_le_bytes())?;
                    }
                    Value::Date(n) => {
                        out.write_all(&[2])?;
                        out.write_all(&n.to_le_bytes())?;
                    }
                    Value::Bool(b) => out.write_all(&[3, u8::from(*b)])?,
                    Value::Text(t) => {
                        out.write_all(&[4])?;
                        put_str(&mut out, t)?;
                    }
                    Value::Error(e) => {
                        let kind = ErrorKind::ALL.iter().position(|k| *k == e.kind);
                        out.write_all(&[5, kind.unwrap_or(0) as u8])?;
                    }
                }
            }
        }
    }
    out.flush()
}

struct SnapshotReader<R: Read> {
    input: R,
    /// Repeated text shares one allocation, as the readers intern it.
    interned: HashMap<String, Text>,
}

impl<R: Read> SnapshotReader<R> {
    fn bytes<const N: usize>(&mut self) -> std::io::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.input.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn count(&mut self) -> std::io::Result<usize> {
        Ok(u64::from_le_bytes(self.bytes()?) as usize)
    }

    fn text(&mut self) -> std::io::Result<Text> {
        let len = self.count()?;
        let mut buf = vec![0u8; len];
        self.input.read_exact(&mut buf)?;
        let text = String::from_utf8(buf).map_err(std::io::Error::other)?;
        if let Some(shared) = self.interned.get(&text) {
            return Ok(shared.clone());
        }
        let shared = Text::from(text.as_str());
        self.interned.insert(text, shared.clone());
        Ok(shared)
    }

    fn value(&mut self) -> std::io::Result<Value> {
        let [tag] = self.bytes()?;
        Ok(match tag {
            1 => Value::Number(f64::from_le_bytes(self.bytes()?)),
            2 => Value::Date(f64::from_le_bytes(self.bytes()?)),
            3 => Value::Bool(self.bytes::<1>()?[0] != 0),
            4 => Value::Text(self.text()?),
            5 => Value::error(ErrorKind::ALL[usize::from(self.bytes::<1>()?[0]) % 7]),
            _ => Value::Blank,
        })
    }
}

fn load_snapshot(path: &Path) -> std::io::Result<Vec<Table>> {
    let mut reader = SnapshotReader {
        input: BufReader::new(std::fs::File::open(path)?),
        interned: HashMap::new(),
    };
    let mut tables = Vec::new();
    for _ in 0..reader.count()? {
        let name = reader.text()?;
        let mut table = Table::new(&name, reader.count()?);
        for _ in 0..reader.count()? {
            let name = reader.text()?;
            let ty = ValueType::parse(&reader.text()?).unwrap_or(ValueType::Any);
            let len = reader.count()?;
            let values = (0..len)
                .map(|_| reader.value())
                .collect::<std::io::Result<Vec<Value>>>()?;
            table.columns.push(Column::new(&name, ty, values));
        }
        tables.push(table);
    }
    Ok(tables)
}

fn run(
    scenario: &Path,
    runs: usize,
    want_digest: bool,
    snapshot: Option<&Path>,
) -> Result<(), String> {
    let prepared = prepare(scenario).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let tables = match snapshot {
        Some(path) if path.exists() => load_snapshot(path).map_err(|e| e.to_string())?,
        _ => {
            let (data, _) = read(&prepared, None).map_err(|e| e.to_string())?;
            if let Some(path) = snapshot {
                save_snapshot(&data.tables, path).map_err(|e| e.to_string())?;
            }
            data.tables
        }
    };
    let rows: Vec<String> = tables
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
    let mut cpu_totals = Vec::with_capacity(runs);
    let mut per_step: HashMap<Step, Vec<Duration>> = HashMap::new();
    let mut last = None;
    let mut peak_eval = 0.0f64;
    for _ in 0..runs.max(1) {
        // The copy of the inputs is not timed: a real run moves them in.
        let tables = tables.clone();
        drop(last.take());
        let base = status_mib("VmRSS:");
        reset_peak_rss();
        let started = Instant::now();
        let cpu_started = process_cpu();
        let result = evaluate_timed(
            &prepared.plan,
            tables,
            &overrides,
            &context,
            &mut |step, took| per_step.entry(step).or_default().push(took),
        )
        .map_err(|e| e.to_string())?;
        totals.push(started.elapsed());
        cpu_totals.push(process_cpu().saturating_sub(cpu_started));
        peak_eval = peak_eval.max(status_mib("VmHWM:") - base);
        last = Some(result);
    }
    let min = totals.iter().min().copied().unwrap_or_default();
    println!(
        "evaluate: {} runs, wall min {:.1} ms, median {:.1} ms; CPU (all threads) min {:.1} ms, median {:.1} ms; peak RSS during evaluation {:.0} MiB above the inputs",
        totals.len(),
        min.as_secs_f64() * 1e3,
        median(&mut totals).as_secs_f64() * 1e3,
        cpu_totals
            .iter()
            .min()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
        median(&mut cpu_totals).as_secs_f64() * 1e3,
        peak_eval
    );
    let mut steps: Vec<(Step, Duration)> = per_step
        .into_iter()
        .map(|(step, mut times)| (step, median(&mut times)))
        .collect();
    steps.sort_by_key(|s| std::cmp::Reverse(s.1));
    let total: Duration = steps.iter().map(|(_, d)| *d).sum();
    println!(
        "slowest steps (wall, median of runs; one level's steps run in parallel; sum {:.1} ms):",
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
    let snapshot = args
        .iter()
        .position(|a| a == "--snapshot")
        .and_then(|i| args.get(i + 1))
        .map(Path::new);
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[*i - 1] != "--snapshot"))
        .map(|(_, a)| a)
        .collect();
    let Some(scenario) = positional.first() else {
        eprintln!("usage: evaluate_bench SCENARIO.toml [RUNS] [--digest] [--snapshot FILE]");
        return ExitCode::FAILURE;
    };
    let runs = positional
        .get(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5usize);
    match run(Path::new(scenario.as_str()), runs, want_digest, snapshot) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
