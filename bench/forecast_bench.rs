//! Forecast benchmark: N monthly series (default 1,000 × 36 months, with trend, a
//! 12-month season and noise) as deals, forecast and backtested by the `forecast`
//! analyses' computation (ETS fits at every rolling origin, weighted pipeline, blend
//! weights, seasonal naive). Prints wall and CPU time per run (min and median), and a
//! digest of every figure computed (the bits of each forecast, interval, weight,
//! backtest value and fitted parameter): a speed-up that keeps the digest keeps the results.
//!
//! Run: `cargo run --release --example forecast_bench -- [SERIES] [MONTHS] [RUNS]
//! [BACKTEST_MONTHS]` (see bench/README.md).

use std::time::{Duration, Instant};

use chanmix::analysis::forecast::{Computed, PARAMETERS, compute};
use chanmix::functions::CallContext;
use chanmix::functions::forecast::month_start;
use chanmix::lang::analysis::{AnalysisInput, ArgValues};
use chanmix::value::Value;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

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

/// One row per won month of each series (a deal closing that month, created a month
/// earlier), a lost deal every third month and two open deals at the end.
struct Rows {
    key: Vec<Value>,
    amount: Vec<Value>,
    created: Vec<Value>,
    closed: Vec<Value>,
    won: Vec<Value>,
}

fn rows(series: usize, months: usize, seed: u64) -> Rows {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = 2023 * 12;
    let date = |m: usize| Value::Date(month_start(first + m as i64).unwrap_or(0.0));
    let mut out = Rows {
        key: Vec::new(),
        amount: Vec::new(),
        created: Vec::new(),
        closed: Vec::new(),
        won: Vec::new(),
    };
    for s in 0..series {
        let level: f64 = rng.random_range(50_000.0..500_000.0);
        let slope = level * rng.random_range(-0.01..0.03);
        let amplitude = level * rng.random_range(0.05..0.4);
        let noise = level * rng.random_range(0.02..0.2);
        let shape: Vec<f64> = (0..12).map(|_| rng.random_range(-1.0..1.0)).collect();
        let name = Value::text(&format!("S{s:04}"));
        let mut push = |amount: f64, created: Value, closed: Value, won: bool| {
            out.key.push(name.clone());
            out.amount.push(Value::Number(amount));
            out.created.push(created);
            out.closed.push(closed);
            out.won.push(Value::Bool(won));
        };
        for m in 1..=months {
            let y = level
                + slope * m as f64
                + amplitude * shape[m % 12]
                + noise * rng.random_range(-1.7..1.7);
            push(y.max(0.0), date(m - 1), date(m), true);
            if m % 3 == 0 {
                push(level / 4.0, date(m - 1), date(m), false);
            }
        }
        for _ in 0..2 {
            push(level / 3.0, date(months), Value::Blank, false);
        }
    }
    out
}

/// FNV-1a over the bits of every figure of the computation, in order.
fn digest(computed: &Computed) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |x: f64| {
        for byte in x.to_bits().to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for unit in computed.results.iter().flatten() {
        let future = &unit.future;
        for v in [
            &future.ets,
            &future.pipeline,
            &future.naive,
            &unit.blend,
            &unit.weights,
        ] {
            v.iter().for_each(|&x| add(x));
        }
        unit.half_width
            .iter()
            .for_each(|x| add(x.unwrap_or(f64::NAN)));
        if let Some(model) = &unit.model {
            let s = model.smoothing;
            [
                s.alpha,
                s.beta,
                s.gamma,
                model.sse(),
                model.last.level,
                model.last.slope,
            ]
            .into_iter()
            .chain(model.last.season.iter().copied())
            .for_each(&mut add);
        }
        for origin in &unit.backtest {
            let f = &origin.forecasts;
            for v in [&origin.actual, &f.ets, &f.pipeline, &f.naive, &origin.blend] {
                v.iter().for_each(|&x| add(x));
            }
        }
    }
    hash
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let series = args.first().copied().unwrap_or(1000);
    let months = args.get(1).copied().unwrap_or(36);
    let runs = args.get(2).copied().unwrap_or(5);
    let backtest = args.get(3).copied().unwrap_or(6);
    let data = rows(series, months, 42);
    let n = data.key.len();
    let as_of = month_start(2023 * 12 + months as i64 + 1).unwrap_or(0.0) - 1.0;
    let context = CallContext { as_of: Some(as_of) };
    let mut args: Vec<Option<ArgValues>> = vec![None; PARAMETERS.len()];
    for (i, p) in PARAMETERS.iter().enumerate() {
        args[i] = match p.name {
            "amount" => Some(ArgValues::EachRow(data.amount.clone())),
            "created" => Some(ArgValues::EachRow(data.created.clone())),
            "closed" => Some(ArgValues::EachRow(data.closed.clone())),
            "won" => Some(ArgValues::EachRow(data.won.clone())),
            "horizon" => Some(ArgValues::Once(Value::Number(6.0))),
            "backtest_months" => Some(ArgValues::Once(Value::Number(backtest as f64))),
            _ => None,
        };
    }
    let input = AnalysisInput {
        table: "Forecast",
        rows: n,
        keys: vec![data.key.clone()],
        key_names: vec!["series".into()],
        args,
        context: &context,
        coding: &chanmix::eval::engine::EngineCoding,
    };
    println!(
        "{series} series × {months} months ({n} rows), forecast 6 months, backtest over the last \
         {backtest} months, {} threads",
        rayon::current_num_threads()
    );
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut digests = Vec::new();
    for _ in 0..runs {
        let (wall, cpu) = (Instant::now(), process_cpu());
        let result = compute(&input);
        let (wall, cpu) = (wall.elapsed(), process_cpu() - cpu);
        match result {
            Ok(computed) => {
                assert_eq!(computed.results.len(), series);
                digests.push(digest(&computed));
            }
            Err(error) => {
                eprintln!("failed: {}", error.message);
                std::process::exit(1);
            }
        }
        walls.push(wall);
        cpus.push(cpu);
    }
    let min = |t: &[Duration]| t.iter().min().copied().unwrap_or_default();
    println!(
        "wall: min {:.1} ms, median {:.1} ms; CPU: min {:.1} ms, median {:.1} ms ({runs} runs)",
        min(&walls).as_secs_f64() * 1e3,
        median(&mut walls).as_secs_f64() * 1e3,
        min(&cpus).as_secs_f64() * 1e3,
        median(&mut cpus).as_secs_f64() * 1e3,
    );
    digests.dedup();
    let digests: Vec<String> = digests.iter().map(|d| format!("{d:016x}")).collect();
    println!("results digest: {}", digests.join(", "));
}
