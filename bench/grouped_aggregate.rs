//! Benchmark: a grouped aggregate over 1,000,000 in-memory rows into 500 groups,
//! evaluated by the engine (one hash-grouped pass) beside a naive scan per group.
//!
//! Run: `cargo bench --bench grouped_aggregate` (add `-- ROWS GROUPS RUNS` to change sizes,
//! and `engine-only` to skip the naive scan, which takes minutes at 50,000 groups).

use std::time::{Duration, Instant};

use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::program::check_sources;
use chanmix::table::{Column, Table};
use chanmix::value::ValueType;
use chanmix::value::{Text, Value};

const RULES: &str = r#"
input Opportunities (channel: text, amount: number, won: bool)
table Channels = group Opportunities by channel
Channels.revenue = SUM(Opportunities.amount where won)
Channels.deals   = COUNT(Opportunities)
Channels.median  = MEDIAN(Opportunities.amount)
"#;

/// Deterministic pseudo-random rows: a small LCG keeps the bench dependency-free.
fn make_table(rows: usize, groups: usize) -> Table {
    let names: Vec<Value> = (0..groups)
        .map(|g| Value::Text(Text::from(format!("channel-{g:05}"))))
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut channel = Vec::with_capacity(rows);
    let mut amount = Vec::with_capacity(rows);
    let mut won = Vec::with_capacity(rows);
    for _ in 0..rows {
        channel.push(names[(next() as usize) % groups].clone());
        amount.push(Value::Number((next() % 100_000) as f64 / 10.0));
        won.push(Value::Bool(next() % 3 == 0));
    }
    let mut table = Table::new("Opportunities", rows);
    table.set_column(Column::new("channel", ValueType::Text, channel));
    table.set_column(Column::new("amount", ValueType::Number, amount));
    table.set_column(Column::new("won", ValueType::Bool, won));
    table
}

/// The naive way: for each distinct channel, scan every row.
fn naive_per_group(table: &Table) -> Vec<(String, f64, usize)> {
    let channel = table.columns[0].values();
    let amount = table.columns[1].values();
    let won = table.columns[2].values();
    let mut keys: Vec<String> = Vec::new();
    for value in channel.iter() {
        if let Value::Text(t) = value
            && !keys.iter().any(|k| k.as_str() == &**t)
        {
            keys.push(t.to_string());
        }
    }
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let mut revenue = 0.0;
            let mut deals = 0;
            for row in 0..table.row_count {
                if matches!(&channel[row], Value::Text(t) if **t == *key) {
                    deals += 1;
                    if matches!(won[row], Value::Bool(true)) {
                        revenue += amount[row].as_f64().unwrap_or(0.0);
                    }
                }
            }
            (key, revenue, deals)
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(1_000_000);
    let groups = args.get(1).copied().unwrap_or(500);
    let runs = args.get(2).copied().unwrap_or(5);
    let engine_only = std::env::args().any(|a| a == "engine-only");

    let mut sources = SourceMap::new();
    sources.add("bench.rules", RULES);
    let program = check_sources(sources, &[]);
    let Some(plan) = program.plan else {
        eprintln!("bench rules do not check: {:?}", program.diagnostics);
        std::process::exit(1);
    };
    let table = make_table(rows, groups);
    let context = CallContext::default();

    let mut engine_times = Vec::new();
    let mut naive_times = Vec::new();
    let mut engine_result = None;
    let mut naive_result = Vec::new();
    for _ in 0..runs {
        // Alternate the two in each run so machine noise hits both alike.
        let input = vec![table.clone()];
        let start = Instant::now();
        let result = evaluate(&plan, input, &[], &context);
        engine_times.push(start.elapsed());
        engine_result = Some(result);

        if !engine_only {
            let start = Instant::now();
            naive_result = naive_per_group(&table);
            naive_times.push(start.elapsed());
        }
    }
    let Some(Ok(result)) = engine_result else {
        eprintln!("engine failed");
        std::process::exit(1);
    };
    // The two must agree before their times mean anything.
    let channels = result.table("Channels").map(|t| &t.columns);
    let Some(columns) = channels else {
        eprintln!("no Channels table");
        std::process::exit(1);
    };
    for (i, (key, revenue, deals)) in naive_result.iter().enumerate() {
        let engine_key = columns[0].values()[i]
            .to_text()
            .map(|t| t.to_string())
            .unwrap_or_default();
        let engine_revenue = columns[1].values()[i].as_f64().unwrap_or(f64::NAN);
        let engine_deals = columns[2].values()[i].as_f64().unwrap_or(f64::NAN);
        let same = engine_key == *key
            && (engine_revenue - revenue).abs() <= 1e-9 * revenue.abs().max(1.0)
            && engine_deals == *deals as f64;
        if !same {
            eprintln!(
                "mismatch in group {key}: engine {engine_key} {engine_revenue} {engine_deals}, naive {revenue} {deals}"
            );
            std::process::exit(1);
        }
    }
    let engine = median(engine_times);
    if engine_only {
        println!("rows={rows} groups={groups} runs={runs} (medians)");
        println!(
            "engine (SUM where + COUNT + MEDIAN): {:>9.1} ms",
            engine.as_secs_f64() * 1e3
        );
        return;
    }
    let naive = median(naive_times);
    println!("rows={rows} groups={groups} runs={runs} (medians)");
    println!(
        "engine (SUM where + COUNT + MEDIAN, one hash-grouped pass each): {:>9.1} ms",
        engine.as_secs_f64() * 1e3
    );
    println!(
        "naive per-group scan (SUM where + COUNT only):                  {:>9.1} ms",
        naive.as_secs_f64() * 1e3
    );
    println!(
        "naive / engine: {:.1}x",
        naive.as_secs_f64() / engine.as_secs_f64().max(1e-9)
    );
}
