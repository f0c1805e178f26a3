//! Whole units (heads, seats): the continuous answer rounded down to whole units, then
//! units added one at a time where one more returns the most per unit of cost, then
//! single-unit exchanges between rows while one gains more than the other loses. The
//! continuous answer bounds what whole units can reach, so the gap is stated.

use super::solver::{Goal, Problem, RowState, Solution, SolveError, objective, state_of, value};

/// Exchanges tried at most (pairs of rows × rounds).
const MAX_MOVES: usize = 1_000_000;

pub fn round(problem: &Problem, continuous: Solution) -> Result<Solution, SolveError> {
    let rows = &problem.rows;
    // Each row's whole-unit range; rows without a unit (or pinned) stay as they are.
    let mut range: Vec<Option<(f64, f64, f64)>> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        match r.unit.filter(|u| *u > 0.0 && r.upper > r.lower) {
            Some(u) => {
                let first = (r.lower / u - 1e-9).ceil() * u;
                let last = if r.upper.is_finite() {
                    (r.upper / u + 1e-9).floor() * u
                } else {
                    f64::INFINITY
                };
                if first > last {
                    return Err(SolveError(format!(
                        "row {i}: no whole number of units (of {u}) lies between its bounds {} and {}",
                        r.lower, r.upper
                    )));
                }
                range.push(Some((u, first.max(r.lower), last.min(r.upper))));
            }
            None => range.push(None),
        }
    }
    let mut x: Vec<f64> = continuous
        .spend
        .iter()
        .zip(&range)
        .map(|(&v, range)| match range {
            Some((u, first, last)) => ((v / u + 1e-9).floor() * u).clamp(*first, *last),
            None => v,
        })
        .collect();
    let gain = |x: &[f64], i: usize, delta: f64| -> f64 {
        let r = &rows[i];
        r.weight * (r.curve.value(x[i] + delta) - r.curve.value(x[i]))
    };
    match problem.goal {
        Goal::Maximize {
            budget,
            spend_all,
            spend_cost,
        } => {
            // Add units while one pays (or while budget must be spent).
            for _ in 0..MAX_MOVES {
                let left = budget - x.iter().sum::<f64>();
                let best = (0..rows.len())
                    .filter_map(|i| {
                        let (u, _, last) = range[i]?;
                        (x[i] + u <= last * (1.0 + 1e-12) && u <= left * (1.0 + 1e-12))
                            .then(|| (i, (gain(&x, i, u) - spend_cost * u) / u))
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((i, per)) if per > 0.0 || spend_all => {
                        if let Some((u, _, _)) = range[i] {
                            x[i] += u;
                        }
                    }
                    _ => break,
                }
            }
            exchange(
                problem,
                &range,
                &mut x,
                |x| objective(problem, x),
                |x| x.iter().sum::<f64>() <= budget * (1.0 + 1e-12),
            );
        }
        Goal::MinSpend { target, budget } => {
            for _ in 0..MAX_MOVES {
                if value(problem, &x) >= target {
                    break;
                }
                let best = (0..rows.len())
                    .filter_map(|i| {
                        let (u, _, last) = range[i]?;
                        (x[i] + u <= last * (1.0 + 1e-12)).then(|| (i, gain(&x, i, u) / u))
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((i, per)) if per > 0.0 => {
                        if let Some((u, _, _)) = range[i] {
                            x[i] += u;
                        }
                    }
                    _ => {
                        return Err(SolveError(format!(
                            "the target {target} is out of reach in whole units: every row is at its maximum"
                        )));
                    }
                }
            }
            // Drop units that are not needed, the dearest first.
            let mut order: Vec<usize> = (0..rows.len()).filter(|&i| range[i].is_some()).collect();
            order.sort_by(|&a, &b| {
                let ua = range[a].map_or(0.0, |r| r.0);
                let ub = range[b].map_or(0.0, |r| r.0);
                ub.total_cmp(&ua)
            });
            for i in order {
                let Some((u, first, _)) = range[i] else {
                    continue;
                };
                while x[i] - u >= first * (1.0 - 1e-12) {
                    x[i] -= u;
                    if value(problem, &x) < target {
                        x[i] += u;
                        break;
                    }
                }
            }
            exchange(
                problem,
                &range,
                &mut x,
                |x| -x.iter().sum::<f64>(),
                |x| {
                    value(problem, x) >= target
                        && budget.is_none_or(|b| x.iter().sum::<f64>() <= b * (1.0 + 1e-12))
                },
            );
        }
    }
    let states: Vec<RowState> = rows.iter().zip(&x).map(|(r, &v)| state_of(r, v)).collect();
    let objective = objective(problem, &x);
    Ok(Solution {
        spend: x,
        states,
        objective,
        certificate: None,
        rounded: true,
        ..continuous
    })
}

/// Moves one unit's worth of spend from one row to another while `score` rises and
/// `allowed` holds (units of different sizes move as a whole unit each way only when
/// the sizes match).
fn exchange(
    problem: &Problem,
    range: &[Option<(f64, f64, f64)>],
    x: &mut [f64],
    score: impl Fn(&[f64]) -> f64,
    allowed: impl Fn(&[f64]) -> bool,
) {
    let n = problem.rows.len();
    let mut moves = 0usize;
    let mut improved = true;
    while improved && moves < MAX_MOVES {
        improved = false;
        let base = score(x);
        'pairs: for from in 0..n {
            let Some((uf, first, _)) = range[from] else {
                continue;
            };
            if x[from] - uf < first * (1.0 - 1e-12) {
                continue;
            }
            for to in 0..n {
                moves += 1;
                if moves >= MAX_MOVES {
                    break 'pairs;
                }
                if to == from {
                    continue;
                }
                let Some((ut, _, last)) = range[to] else {
                    continue;
                };
                if (ut - uf).abs() > 1e-12 * ut.max(uf) || x[to] + ut > last * (1.0 + 1e-12) {
                    continue;
                }
                x[from] -= uf;
                x[to] += ut;
                if allowed(x) && score(x) > base + 1e-12 * base.abs().max(1.0) {
                    improved = true;
                    break 'pairs;
                }
                x[from] += uf;
                x[to] -= ut;
            }
        }
    }
}
