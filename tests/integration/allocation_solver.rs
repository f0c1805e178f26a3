//! The allocation solver against answers it did not compute: 240 random instances
//! (concave and S-shaped Hill, log, power and capped linear curves; bounds, pinned rows,
//! budgets that bind or not, spend costs, "spend all", minimum-spend targets) checked
//! for every constraint to 1e-9, for the certificate of exact methods, against a
//! brute-force grid on small instances and against scipy's SLSQP from many starting
//! points (tests/allocation_slsqp.py). Demand ceilings and whole units get their own
//! brute-force checks; a large S-shaped instance exercises the envelope and its gap.

use chanmix::analysis::allocate::curve::Curve;
use chanmix::analysis::allocate::solve::solve;
use chanmix::analysis::allocate::solver::{Goal, Method, Problem, Row, Solution};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::support::python;

const TOL: f64 = 1e-9;

fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn random_curve(rng: &mut ChaCha8Rng, spend: f64, outcome: f64) -> Curve {
    match rng.random_range(0..6) {
        0 | 1 => Curve::Hill {
            a: outcome * uniform(rng, 0.5, 3.0),
            k: spend * uniform(rng, 0.2, 2.0),
            s: uniform(rng, 0.4, 3.5),
        },
        2 => Curve::Log {
            a: outcome * uniform(rng, 0.2, 1.5),
            k: spend * uniform(rng, 0.1, 2.0),
        },
        3 => {
            let b = uniform(rng, 0.3, 1.0);
            Curve::Power {
                a: outcome * uniform(rng, 0.3, 2.0) / spend.powf(b),
                b,
            }
        }
        4 => Curve::Power {
            // Convex: S-shaped handling without an inflection point.
            a: outcome * uniform(rng, 0.3, 2.0) / spend.powf(1.5),
            b: 1.5,
        },
        _ => Curve::Linear {
            a: outcome / spend * uniform(rng, 0.3, 2.0),
            cap: if rng.random::<f64>() < 0.2 {
                None
            } else {
                Some(outcome * uniform(rng, 0.5, 2.0))
            },
        },
    }
}

/// A random instance; `n` rows at spend scale 100.
fn instance(rng: &mut ChaCha8Rng, n: usize) -> Problem {
    let spend = 100.0;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let curve = random_curve(rng, spend, 100.0);
        let lower = if rng.random::<f64>() < 0.5 {
            0.0
        } else {
            spend * uniform(rng, 0.0, 0.5)
        };
        let (lower, upper) = if rng.random::<f64>() < 0.1 {
            // Pinned.
            let at = spend * uniform(rng, 0.0, 1.0);
            (at, at)
        } else if rng.random::<f64>() < 0.3 && !matches!(curve, Curve::Power { b, .. } if b > 1.0) {
            (lower, f64::INFINITY)
        } else {
            (lower, lower + spend * uniform(rng, 0.1, 3.0))
        };
        rows.push(Row {
            curve,
            weight: uniform(rng, 0.2, 3.0),
            ceiling_weight: 1.0,
            lower,
            upper,
            group: None,
            unit: None,
        });
    }
    let floor: f64 = rows.iter().map(|r| r.lower).sum();
    let room: f64 = rows
        .iter()
        .map(|r| {
            if r.upper.is_finite() {
                r.upper - r.lower
            } else {
                2.0 * spend
            }
        })
        .sum();
    let goal = if rng.random::<f64>() < 0.75 {
        Goal::Maximize {
            budget: floor + room * uniform(rng, 0.0, 1.3),
            spend_all: rng.random::<f64>() < 0.15,
            spend_cost: if rng.random::<f64>() < 0.3 { 1.0 } else { 0.0 },
        }
    } else {
        let reach: f64 = rows
            .iter()
            .map(|r| {
                let top = if r.upper.is_finite() {
                    r.upper
                } else {
                    r.lower + 2.0 * spend
                };
                r.weight * r.curve.value(top)
            })
            .sum();
        let base: f64 = rows.iter().map(|r| r.weight * r.curve.value(r.lower)).sum();
        Goal::MinSpend {
            target: base + (reach - base) * uniform(rng, 0.05, 0.95),
            budget: None,
        }
    };
    Problem {
        rows,
        ceilings: Vec::new(),
        goal,
    }
}

fn value(problem: &Problem, x: &[f64]) -> f64 {
    problem
        .rows
        .iter()
        .zip(x)
        .map(|(r, &v)| r.weight * r.curve.value(v))
        .sum()
}

fn objective(problem: &Problem, x: &[f64]) -> f64 {
    match problem.goal {
        Goal::Maximize { spend_cost, .. } => value(problem, x) - spend_cost * x.iter().sum::<f64>(),
        Goal::MinSpend { .. } => x.iter().sum(),
    }
}

fn scale(v: f64) -> f64 {
    v.abs().max(1.0)
}

/// Every constraint to the tolerance, and "spend all" spending all it can.
fn check_constraints(problem: &Problem, solution: &Solution, label: &str) {
    let x = &solution.spend;
    assert_eq!(x.len(), problem.rows.len(), "{label}");
    for (i, (r, &v)) in problem.rows.iter().zip(x).enumerate() {
        assert!(v.is_finite(), "{label}: row {i} spend {v}");
        assert!(
            v >= r.lower - TOL * scale(r.lower),
            "{label}: row {i} {v} < lower {}",
            r.lower
        );
        assert!(
            v <= r.upper + TOL * scale(r.upper.min(1e300)),
            "{label}: row {i} {v} > upper {}",
            r.upper
        );
        if let Some(unit) = r.unit
            && r.upper > r.lower
        {
            let units = v / unit;
            assert!(
                (units - units.round()).abs() < 1e-6,
                "{label}: row {i} {v} is not whole units of {unit}"
            );
        }
    }
    let total: f64 = x.iter().sum();
    match problem.goal {
        Goal::Maximize {
            budget, spend_all, ..
        } => {
            assert!(
                total <= budget + TOL * scale(budget),
                "{label}: spends {total} > budget {budget}"
            );
            if spend_all
                && total < budget - TOL * scale(budget)
                && problem.rows.iter().all(|r| r.unit.is_none())
            {
                // Every row must be at its top or where more spend returns nothing.
                for (i, (r, &v)) in problem.rows.iter().zip(x).enumerate() {
                    assert!(
                        v >= r.upper - TOL * scale(r.upper.min(1e300))
                            || r.curve.slope(v * (1.0 + 1e-12) + 1e-12) == 0.0,
                        "{label}: budget left ({total} of {budget}) while row {i} could take more\n{problem:#?}\n{solution:#?}"
                    );
                }
            }
        }
        Goal::MinSpend { target, .. } => {
            let v = value(problem, x);
            assert!(
                v >= target - TOL * scale(target),
                "{label}: reaches {v} < target {target}"
            );
        }
    }
    for (g, &cap) in problem.ceilings.iter().enumerate() {
        let used: f64 = problem
            .rows
            .iter()
            .zip(x)
            .filter(|(r, _)| r.group == Some(g))
            .map(|(r, &v)| r.ceiling_weight * r.curve.value(v))
            .sum();
        assert!(
            used <= cap + TOL * scale(cap),
            "{label}: group {g} uses {used} > ceiling {cap}"
        );
    }
    assert!(
        (objective(problem, x) - solution.objective).abs() <= 1e-9 * scale(solution.objective),
        "{label}: reported objective {} but the spend gives {}",
        solution.objective,
        objective(problem, x)
    );
}

/// The best feasible objective on a grid (≤ 3 rows): each row's spend on a grid of its
/// range, the last row also exactly where it closes the budget (or reaches the target).
fn brute_force(problem: &Problem) -> Option<f64> {
    let n = problem.rows.len();
    let points = match n {
        1 => 4001,
        2 => 401,
        _ => 81,
    };
    let floor: f64 = problem.rows.iter().map(|r| r.lower).sum();
    let tops: Vec<f64> = problem
        .rows
        .iter()
        .map(|r| match problem.goal {
            Goal::Maximize { budget, .. } => r.upper.min(r.lower + (budget - floor).max(0.0)),
            Goal::MinSpend { .. } => r.upper.min(r.lower + 400.0),
        })
        .collect();
    let grid = |i: usize| -> Vec<f64> {
        let r = &problem.rows[i];
        (0..points)
            .map(|j| r.lower + (tops[i] - r.lower) * j as f64 / (points - 1) as f64)
            .collect()
    };
    let grids: Vec<Vec<f64>> = (0..n).map(grid).collect();
    let mut best: Option<f64> = None;
    let mut x = vec![0.0; n];
    let better = |a: f64, b: f64| match problem.goal {
        Goal::Maximize { .. } => a > b,
        Goal::MinSpend { .. } => a < b,
    };
    let consider = |x: &[f64], best: &mut Option<f64>| {
        let total: f64 = x.iter().sum();
        let ok = match problem.goal {
            Goal::Maximize {
                budget, spend_all, ..
            } => {
                total <= budget * (1.0 + 1e-12) + 1e-12
                    && (!spend_all
                        || total >= budget * (1.0 - 1e-12) - 1e-12
                        || x.iter().zip(&tops).all(|(v, t)| *v >= *t * (1.0 - 1e-12)))
            }
            Goal::MinSpend { target, .. } => value(problem, x) >= target * (1.0 - 1e-12),
        };
        if ok {
            let o = objective(problem, x);
            if best.is_none_or(|b| better(o, b)) {
                *best = Some(o);
            }
        }
    };
    let mut index = vec![0usize; n.saturating_sub(1)];
    loop {
        for (i, &j) in index.iter().enumerate() {
            x[i] = grids[i][j];
        }
        let last = n - 1;
        let rest: f64 = x[..last].iter().sum();
        for &v in &grids[last] {
            x[last] = v;
            consider(&x, &mut best);
        }
        // The last row where it closes the budget or reaches the target.
        let r = &problem.rows[last];
        let closing = match problem.goal {
            Goal::Maximize { budget, .. } => budget - rest,
            Goal::MinSpend { target, .. } => {
                let others: f64 = problem.rows[..last]
                    .iter()
                    .zip(&x[..last])
                    .map(|(r, &v)| r.weight * r.curve.value(v))
                    .sum();
                r.curve.spend_for((target - others) / r.weight)
            }
        };
        if closing.is_finite() {
            x[last] = closing.clamp(r.lower, tops[last]);
            consider(&x, &mut best);
        }
        // Next grid point of the other rows.
        let mut d = 0;
        loop {
            if d == index.len() {
                return best;
            }
            index[d] += 1;
            if index[d] < points {
                break;
            }
            index[d] = 0;
            d += 1;
        }
    }
}

fn to_json(problem: &Problem) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = problem
        .rows
        .iter()
        .map(|r| {
            let [a, k, s, b, cap] = r.curve.parameters();
            json!({
                "family": r.curve.family(), "a": a, "k": k, "s": s, "b": b, "cap": cap,
                "weight": r.weight, "lower": r.lower,
                "upper": if r.upper.is_finite() { json!(r.upper) } else { serde_json::Value::Null },
            })
        })
        .collect();
    match problem.goal {
        Goal::Maximize {
            budget, spend_cost, ..
        } => json!({ "goal": "max", "budget": budget, "spend_cost": spend_cost, "rows": rows }),
        Goal::MinSpend { target, .. } => {
            json!({ "goal": "min_spend", "target": target, "spend_cost": 0.0, "rows": rows, "scale": 100.0 })
        }
    }
}

#[test]
fn random_instances_meet_every_constraint_and_beat_brute_force_and_slsqp() {
    let mut rng = ChaCha8Rng::seed_from_u64(20260630);
    let mut problems = Vec::new();
    let mut solutions = Vec::new();
    let mut s_shaped = 0;
    let only: Option<usize> = std::env::var("ALLOCATION_CASE")
        .ok()
        .and_then(|c| c.parse().ok());
    for case in 0..240 {
        let n = 1 + case % 8;
        let problem = instance(&mut rng, n);
        if only.is_some_and(|c| c != case) {
            continue;
        }
        let label = format!("instance {case} ({n} rows, {:?})", problem.goal);
        let solution = solve(&problem).unwrap_or_else(|e| panic!("{label}: {e}\n{problem:#?}"));
        check_constraints(&problem, &solution, &label);
        if solution.method != Method::Concave {
            s_shaped += 1;
        }
        if matches!(solution.method, Method::Concave | Method::Enumerated) {
            let c = solution.certificate.unwrap();
            assert!(c <= TOL, "{label}: certificate {c}");
            assert_eq!(solution.bound, solution.objective, "{label}");
        }
        // A spend_all plan is compared among plans that spend all too.
        let spend_all = matches!(
            problem.goal,
            Goal::Maximize {
                spend_all: true,
                ..
            }
        );
        if n <= 3 {
            let best = brute_force(&problem)
                .unwrap_or_else(|| panic!("{label}: brute force found nothing"));
            let ok = match problem.goal {
                Goal::Maximize { .. } => solution.objective >= best - 1e-9 * scale(best),
                Goal::MinSpend { .. } => solution.objective <= best + 1e-9 * scale(best),
            };
            assert!(
                ok,
                "{label}: solver {} vs grid {best}\n{problem:#?}\n{solution:#?}",
                solution.objective
            );
        }
        if !spend_all {
            problems.push(problem);
            solutions.push(solution);
        }
    }
    if only.is_some() {
        return;
    }
    assert!(
        s_shaped >= 40,
        "only {s_shaped} instances exercised S-shaped curves"
    );
    assert!(problems.len() >= 200);

    if python::skip_reason(&["numpy", "scipy"]).is_some() {
        return;
    }
    let input = serde_json::to_string(&problems.iter().map(to_json).collect::<Vec<_>>()).unwrap();
    let output = python::run_with_input(
        &crate::support::repo().join("tests/allocation_slsqp.py"),
        &input,
    )
    .unwrap();
    let output: serde_json::Value = serde_json::from_str(&output).unwrap();
    let theirs = output["objectives"].as_array().unwrap();
    let mut compared = 0;
    for (i, ((problem, solution), other)) in problems.iter().zip(&solutions).zip(theirs).enumerate()
    {
        let Some(other) = other.as_f64() else {
            continue;
        };
        compared += 1;
        let ok = match problem.goal {
            Goal::Maximize { .. } => solution.objective >= other - 1e-9 * scale(other),
            Goal::MinSpend { .. } => solution.objective <= other + 1e-9 * scale(other),
        };
        assert!(
            ok,
            "instance {i}: solver {} vs SLSQP {other}\n{problem:#?}",
            solution.objective
        );
    }
    assert!(compared >= 180, "SLSQP answered only {compared} instances");
}

#[test]
fn demand_ceilings_bind_exactly_and_beat_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..40 {
        let n = 2 + case % 2;
        let mut problem = instance(&mut rng, n);
        // Concave curves only (log and power b < 1), one shared ceiling.
        for r in &mut problem.rows {
            r.curve = Curve::Log {
                a: 100.0 * uniform(&mut rng, 0.2, 1.5),
                k: 100.0 * uniform(&mut rng, 0.1, 2.0),
            };
            r.group = Some(0);
            r.ceiling_weight = uniform(&mut rng, 0.5, 2.0);
            r.upper = r.upper.max(r.lower + 50.0);
        }
        let at_lower: f64 = problem
            .rows
            .iter()
            .map(|r| r.ceiling_weight * r.curve.value(r.lower))
            .sum();
        problem.ceilings = vec![at_lower + uniform(&mut rng, 5.0, 150.0)];
        problem.goal = Goal::Maximize {
            budget: problem.rows.iter().map(|r| r.lower).sum::<f64>()
                + uniform(&mut rng, 50.0, 400.0),
            spend_all: false,
            spend_cost: 0.0,
        };
        let label = format!("ceiling case {case}");
        let solution = solve(&problem).unwrap_or_else(|e| panic!("{label}: {e}"));
        check_constraints(&problem, &solution, &label);
        let best = brute_force_with_ceiling(&problem);
        assert!(
            solution.objective >= best - 1e-9 * scale(best),
            "{label}: solver {} vs grid {best}",
            solution.objective
        );
    }
}

fn brute_force_with_ceiling(problem: &Problem) -> f64 {
    // The ceiling is on Σ ceiling_weight·F: filter the grid of `brute_force`'s kind.
    let mut relaxed = problem.clone();
    relaxed.ceilings.clear();
    let n = problem.rows.len();
    let Goal::Maximize { budget, .. } = problem.goal else {
        unreachable!()
    };
    let points = if n == 2 { 801 } else { 101 };
    let floor: f64 = problem.rows.iter().map(|r| r.lower).sum();
    let tops: Vec<f64> = problem
        .rows
        .iter()
        .map(|r| r.upper.min(r.lower + budget - floor))
        .collect();
    let mut best = f64::NEG_INFINITY;
    let mut index = vec![0usize; n];
    loop {
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let r = &problem.rows[i];
                r.lower + (tops[i] - r.lower) * index[i] as f64 / (points - 1) as f64
            })
            .collect();
        let used: f64 = problem
            .rows
            .iter()
            .zip(&x)
            .map(|(r, &v)| r.ceiling_weight * r.curve.value(v))
            .sum();
        if x.iter().sum::<f64>() <= budget && used <= problem.ceilings[0] {
            best = best.max(objective(problem, &x));
        }
        let mut d = 0;
        loop {
            if d == n {
                return best;
            }
            index[d] += 1;
            if index[d] < points {
                break;
            }
            index[d] = 0;
            d += 1;
        }
    }
}

#[test]
fn whole_units_beat_every_integer_plan_when_units_are_equal() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..40 {
        let n = 2 + case % 2;
        let unit = 10.0;
        let mut problem = instance(&mut rng, n);
        for r in &mut problem.rows {
            r.curve = Curve::Power {
                a: 20.0 * uniform(&mut rng, 0.3, 2.0),
                b: uniform(&mut rng, 0.3, 0.9),
            };
            r.lower = unit * rng.random_range(0..3) as f64;
            r.upper = r.lower + unit * rng.random_range(1..8) as f64;
            r.unit = Some(unit);
        }
        let floor: f64 = problem.rows.iter().map(|r| r.lower).sum();
        problem.goal = Goal::Maximize {
            budget: floor + unit * rng.random_range(0..12) as f64 + uniform(&mut rng, 0.0, 9.0),
            spend_all: false,
            spend_cost: if case % 3 == 0 { 1.0 } else { 0.0 },
        };
        let label = format!("whole-unit case {case}");
        let solution = solve(&problem).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(solution.rounded);
        check_constraints(&problem, &solution, &label);
        // Every integer plan within the bounds and the budget.
        let Goal::Maximize { budget, .. } = problem.goal else {
            unreachable!()
        };
        let ranges: Vec<Vec<f64>> = problem
            .rows
            .iter()
            .map(|r| {
                let steps = ((r.upper - r.lower) / unit).round() as usize;
                (0..=steps).map(|j| r.lower + unit * j as f64).collect()
            })
            .collect();
        let mut best = f64::NEG_INFINITY;
        let mut index = vec![0usize; n];
        'all: loop {
            let x: Vec<f64> = (0..n).map(|i| ranges[i][index[i]]).collect();
            if x.iter().sum::<f64>() <= budget + 1e-9 {
                best = best.max(objective(&problem, &x));
            }
            let mut d = 0;
            loop {
                if d == n {
                    break 'all;
                }
                index[d] += 1;
                if index[d] < ranges[d].len() {
                    break;
                }
                index[d] = 0;
                d += 1;
            }
        }
        assert!(
            solution.objective >= best - 1e-9 * scale(best),
            "{label}: solver {} vs every integer plan {best}\n{problem:#?}",
            solution.objective
        );
        assert!(
            solution.bound >= solution.objective - 1e-9,
            "{label}: bound below the answer"
        );
    }
}

#[test]
fn many_s_shaped_rows_use_the_envelope_and_state_their_gap() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let rows: Vec<Row> = (0..40)
        .map(|_| Row {
            curve: Curve::Hill {
                a: 100.0 * uniform(&mut rng, 0.5, 3.0),
                k: 100.0 * uniform(&mut rng, 0.3, 2.0),
                s: uniform(&mut rng, 1.5, 3.5),
            },
            weight: uniform(&mut rng, 0.5, 2.0),
            ceiling_weight: 1.0,
            lower: 0.0,
            upper: 400.0,
            group: None,
            unit: None,
        })
        .collect();
    let problem = Problem {
        rows,
        ceilings: Vec::new(),
        goal: Goal::Maximize {
            budget: 2500.0,
            spend_all: false,
            spend_cost: 0.0,
        },
    };
    let solution = solve(&problem).unwrap();
    assert_eq!(solution.method, Method::Envelope);
    check_constraints(&problem, &solution, "envelope");
    assert!(solution.bound >= solution.objective - 1e-9 * solution.objective);
    let gap = (solution.bound - solution.objective) / solution.objective;
    assert!(gap < 0.02, "gap {gap}");
    if python::skip_reason(&["numpy", "scipy"]).is_some() {
        return;
    }
    let mut instance = to_json(&problem);
    instance["starts"] = json!(12);
    let input = serde_json::to_string(&vec![instance]).unwrap();
    let output = python::run_with_input(
        &crate::support::repo().join("tests/allocation_slsqp.py"),
        &input,
    )
    .unwrap();
    let output: serde_json::Value = serde_json::from_str(&output).unwrap();
    let theirs = output["objectives"][0].as_f64().unwrap();
    assert!(
        solution.objective >= theirs - 1e-9 * theirs,
        "envelope {} vs SLSQP {theirs}",
        solution.objective
    );
}
