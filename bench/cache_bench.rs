//! Input cache benchmark: reads a scenario's inputs once through the cache (cold, stores
//! the entry), then re-reads them warm several times (see bench/README.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chanmix::data::InputCache;
use chanmix::pipeline::{prepare, read};

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn bench(scenario: &Path, cache_dir: PathBuf, warm_runs: usize) -> Result<(), String> {
    let prepared = prepare(scenario).map_err(|e| e.to_string())?;
    let cache = InputCache::at(cache_dir);
    for run in 0..=warm_runs {
        let started = Instant::now();
        let (data, used) = read(&prepared, Some(&cache)).map_err(|e| e.to_string())?;
        let seconds = started.elapsed().as_secs_f64();
        let rows: usize = data.tables.iter().map(|t| t.row_count).sum();
        drop(data);
        println!(
            "run {run}: {} — {rows} rows in {seconds:.3} s, peak RSS {:.0} MiB",
            used.describe(),
            peak_rss_mib()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(scenario), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cache_bench SCENARIO.toml CACHE_DIR [WARM_RUNS]");
        return ExitCode::from(2);
    };
    let runs = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(3);
    match bench(Path::new(scenario), PathBuf::from(dir), runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
