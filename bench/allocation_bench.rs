//! Solve time of the allocation optimizer, beside scipy's SLSQP on the same instance.
//!
//! `cargo run --release --example allocation_bench -- [RUNS] [SLSQP_MAX_ROWS]`
//!
//! Instances (seeded, so every run solves the same ones):
//! - 6 channels with Hill curves (S-shaped and not), ±50% bounds, one budget;
//! - 10,000 decision rows (channel × segment × region × month × product), concave curves,
//!   one demand ceiling per segment × region;
//! - 10,000 rows with S-shaped curves (the concave-envelope method).
//!
//! Each is solved RUNS times (median printed); SLSQP gets the same instance through
//! tests/allocation_slsqp.py with one starting point, when it has at most
//! SLSQP_MAX_ROWS rows (its quasi-Newton matrix is dense: n² numbers) — larger ones
//! print the SLSQP time of smaller sizes of the same family to show how it grows.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use chanmix::analysis::allocate::curve::Curve;
use chanmix::analysis::allocate::solve::solve;
use chanmix::analysis::allocate::solver::{Goal, Problem, Row};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn channels(rng: &mut ChaCha8Rng) -> Problem {
    let rows: Vec<Row> = (0..6)
        .map(|_| {
            let current = uniform(rng, 50_000.0, 900_000.0);
            Row {
                curve: Curve::Hill {
                    a: current * uniform(rng, 2.0, 8.0),
                    k: current * uniform(rng, 0.5, 2.0),
                    s: uniform(rng, 0.8, 1.6),
                },
                weight: 1.0,
                ceiling_weight: 1.0,
                lower: current * 0.5,
                upper: current * 1.5,
                group: None,
                unit: None,
            }
        })
        .collect();
    let budget = rows.iter().map(|r| r.lower * 2.0).sum();
    Problem {
        rows,
        ceilings: Vec::new(),
        goal: Goal::Maximize {
            budget,
            spend_all: false,
            spend_cost: 0.0,
        },
    }
}

fn many(rng: &mut ChaCha8Rng, n: usize, s_shaped: bool) -> Problem {
    let groups = 12;
    let rows: Vec<Row> = (0..n)
        .map(|i| {
            let current = uniform(rng, 1_000.0, 20_000.0);
            let curve = if s_shaped {
                Curve::Hill {
                    a: current * uniform(rng, 2.0, 6.0),
                    k: current * uniform(rng, 0.5, 2.0),
                    s: uniform(rng, 1.2, 2.5),
                }
            } else {
                match i % 3 {
                    0 => Curve::Hill {
                        a: current * uniform(rng, 2.0, 6.0),
                        k: current * uniform(rng, 0.5, 2.0),
                        s: uniform(rng, 0.5, 1.0),
                    },
                    1 => Curve::Log {
                        a: current * uniform(rng, 1.0, 3.0),
                        k: current * uniform(rng, 0.3, 1.5),
                    },
                    _ => {
                        let b = uniform(rng, 0.3, 0.9);
                        Curve::Power {
                            a: current * uniform(rng, 1.0, 3.0) / current.powf(b),
                            b,
                        }
                    }
                }
            };
            Row {
                curve,
                weight: uniform(rng, 0.2, 0.5),
                ceiling_weight: 1.0,
                lower: current * 0.5,
                upper: current * 2.0,
                group: (!s_shaped).then_some(i % groups),
                unit: None,
            }
        })
        .collect();
    let budget = rows.iter().map(|r| r.lower * 2.2).sum();
    let ceilings = if s_shaped {
        Vec::new()
    } else {
        // Ceilings that bind for some groups: 95% to 130% of the group's outcome at current spend.
        (0..groups)
            .map(|g| {
                let at_current: f64 = rows
                    .iter()
                    .filter(|r| r.group == Some(g))
                    .map(|r| r.curve.value(r.lower * 2.0))
                    .sum();
                at_current * uniform(rng, 0.95, 1.3)
            })
            .collect()
    };
    Problem {
        rows,
        ceilings,
        goal: Goal::Maximize {
            budget,
            spend_all: false,
            spend_cost: 0.0,
        },
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn time_ours(problem: &Problem, runs: usize) -> Result<(f64, f64, String), String> {
    let mut times = Vec::new();
    let mut objective = 0.0;
    let mut method = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        let solution = solve(problem).map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64());
        objective = solution.objective;
        method = format!(
            "{} (gap {:.1e})",
            solution.method.name(),
            (solution.bound - solution.objective).abs() / solution.objective.abs()
        );
    }
    Ok((median(times), objective, method))
}

fn instance_json(problem: &Problem) -> Option<serde_json::Value> {
    let Goal::Maximize {
        budget, spend_cost, ..
    } = problem.goal
    else {
        return None;
    };
    let rows: Vec<serde_json::Value> = problem
        .rows
        .iter()
        .map(|r| {
            let [a, k, s, b, cap] = r.curve.parameters();
            serde_json::json!({"family": r.curve.family(), "a": a, "k": k, "s": s, "b": b, "cap": cap,
                "weight": r.weight, "lower": r.lower, "upper": r.upper})
        })
        .collect();
    // SLSQP knows no demand ceilings: they are left out of its instance (it solves a
    // problem with fewer constraints, so its time is a lower bound on the same problem).
    Some(
        serde_json::json!({"goal": "max", "budget": budget, "spend_cost": spend_cost, "rows": rows, "starts": 1}),
    )
}

fn time_slsqp(problem: &Problem) -> Option<(f64, f64)> {
    let input = serde_json::to_string(&vec![instance_json(problem)?]).ok()?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(python)
        .arg("tests/allocation_slsqp.py")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some((
        json["seconds"][0].as_f64()?,
        json["objectives"][0].as_f64()?,
    ))
}

fn report(name: &str, problem: &Problem, runs: usize, slsqp_max: usize) {
    let (ours, objective, method) = match time_ours(problem, runs) {
        Ok(timed) => timed,
        Err(e) => {
            println!("{name:<46} failed: {e}");
            return;
        }
    };
    print!(
        "{name:<46} rows {:>6}  chanmix {:>10.3} ms  {method:<22}",
        problem.rows.len(),
        ours * 1e3
    );
    if problem.rows.len() <= slsqp_max {
        match time_slsqp(problem) {
            Some((theirs, their_objective)) => println!(
                "  SLSQP {:>10.1} ms  ratio {:>7.0}×  objective ours/theirs {:.6}",
                theirs * 1e3,
                theirs / ours,
                objective / their_objective
            ),
            None => println!("  SLSQP unavailable (python3 with numpy and scipy)"),
        }
    } else {
        println!("  SLSQP not run (> {slsqp_max} rows)");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let slsqp_max: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    report(
        "6 channels (Hill, some S-shaped)",
        &channels(&mut rng),
        runs,
        slsqp_max,
    );
    for n in [500, 1_000, 2_000, 10_000] {
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
        report(
            &format!("{n} rows, concave, 12 demand ceilings"),
            &many(&mut rng, n, false),
            runs,
            slsqp_max,
        );
    }
    for n in [500, 1_000, 10_000] {
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64 + 1);
        report(
            &format!("{n} rows, S-shaped (envelope)"),
            &many(&mut rng, n, true),
            runs.min(3),
            slsqp_max,
        );
    }
}
