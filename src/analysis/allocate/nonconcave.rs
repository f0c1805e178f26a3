//! S-shaped responses (Hill with `s > 1`, power with `b > 1`): equal marginal returns
//! can stop at a local optimum, because below its inflection point more spend makes a
//! row's marginal return rise. An optimal plan has every such row at its minimum, at
//! its maximum or past its inflection point — except at most one row, which may sit in
//! its convex part (moving spend between two such rows is convex, so one of them can
//! always be pushed to an end without loss). So, for up to [`MAX_ENUMERATED`] such rows
//! and no demand ceilings, every on/off choice is solved exactly as a concave problem,
//! and for each row the case "in its convex part" is found from the multiplier. Beyond
//! that, the rows are replaced by their concave envelopes (the relaxation bounds the
//! answer), the one row left between regimes is rounded, and the gap is reported.

use super::curve::Curve;
use super::solver::{
    Balanced, Goal, Method, Piece, Problem, Solution, SolveError, balance, certificate, finish,
    objective, value,
};

/// S-shaped rows solved by enumerating their regimes (2ⁿ concave problems).
pub const MAX_ENUMERATED: usize = 10;

pub fn solve(problem: &Problem) -> Result<Solution, SolveError> {
    let tops = effective_tops(problem);
    let nonconcave: Vec<usize> = (0..problem.rows.len())
        .filter(|&i| {
            let r = &problem.rows[i];
            tops[i] > r.lower && !r.curve.concave_on(r.lower, tops[i])
        })
        .collect();
    if nonconcave.len() <= MAX_ENUMERATED {
        if problem.ceilings.is_empty() {
            return enumerate(problem, &tops, &nonconcave);
        }
        // Without the demand ceilings: when that answer meets them anyway, it is the
        // answer with them too.
        let mut without = problem.clone();
        without.ceilings.clear();
        for row in &mut without.rows {
            row.group = None;
        }
        if let Ok(mut solution) = enumerate(&without, &tops, &nonconcave)
            && meets_ceilings(problem, &solution.spend)
        {
            solution.ceiling_prices = vec![0.0; problem.ceilings.len()];
            return Ok(solution);
        }
    }
    envelope(problem, &tops, &nonconcave)
}

/// Upper bounds no plan needs to pass: within the budget left above every minimum,
/// and (min spend) no more than reaching the target alone would take.
fn effective_tops(problem: &Problem) -> Vec<f64> {
    let floor: f64 = problem.rows.iter().map(|r| r.lower).sum();
    problem
        .rows
        .iter()
        .map(|r| {
            let mut top = r.upper;
            match problem.goal {
                Goal::Maximize { budget, .. } => top = top.min(r.lower + (budget - floor).max(0.0)),
                Goal::MinSpend { target, budget } => {
                    if let Some(b) = budget {
                        top = top.min(r.lower + (b - floor).max(0.0));
                    }
                    if r.weight > 0.0 {
                        top = top.min(r.curve.spend_for(target / r.weight).max(r.lower));
                    }
                }
            }
            top.max(r.lower)
        })
        .collect()
}

/// The piece of a row "past its inflection point" (or at its top when it never gets
/// there).
fn on_piece(curve: Curve, lower: f64, top: f64) -> Piece {
    let start = curve.inflection().max(lower);
    if start >= top {
        Piece::fixed(curve, top)
    } else {
        Piece {
            curve,
            lo: start,
            hi: top,
            tangent: None,
        }
    }
}

fn feasible(problem: &Problem, pieces: &[Piece]) -> bool {
    let floor: f64 = pieces.iter().map(|p| p.lo).sum();
    match problem.goal {
        Goal::Maximize { budget, .. } => floor <= budget * (1.0 + 1e-12),
        Goal::MinSpend { budget, .. } => budget.is_none_or(|b| floor <= b * (1.0 + 1e-12)),
    }
}

/// Whether `a` beats `b` for the goal.
fn better(problem: &Problem, a: f64, b: f64) -> bool {
    match problem.goal {
        Goal::Maximize { .. } => a > b,
        Goal::MinSpend { .. } => a < b,
    }
}

struct Candidate {
    objective: f64,
    pieces: Vec<Piece>,
    balanced: Balanced,
}

/// What "spend all" asks a plan to spend: the budget, or as much of it as the rows
/// can take where more spend still returns something (their tops, a linear cap).
fn spend_needed(problem: &Problem, tops: &[f64]) -> f64 {
    let takeable: f64 = problem
        .rows
        .iter()
        .zip(tops)
        .map(|(r, &top)| {
            Piece {
                curve: r.curve,
                lo: r.lower,
                hi: top,
                tangent: None,
            }
            .response(r.weight.max(f64::MIN_POSITIVE), 0.0)
        })
        .sum();
    match problem.goal {
        Goal::Maximize { budget, .. } => budget.min(takeable),
        Goal::MinSpend { .. } => 0.0,
    }
}

/// Whether a plan spends what it must when the goal says to spend all.
fn spends_all(problem: &Problem, spend: &[f64], needed: f64) -> bool {
    match problem.goal {
        Goal::Maximize {
            spend_all: true, ..
        } => spend.iter().sum::<f64>() >= needed * (1.0 - 1e-12) - 1e-12,
        _ => true,
    }
}

fn within_budget(problem: &Problem, spend: &[f64]) -> bool {
    match problem.goal {
        Goal::MinSpend {
            budget: Some(b), ..
        } => spend.iter().sum::<f64>() <= b * (1.0 + 1e-12),
        _ => true,
    }
}

fn enumerate(
    problem: &Problem,
    tops: &[f64],
    nonconcave: &[usize],
) -> Result<Solution, SolveError> {
    let base: Vec<Piece> = problem
        .rows
        .iter()
        .zip(tops)
        .map(|(r, &top)| Piece {
            curve: r.curve,
            lo: r.lower,
            hi: top,
            tangent: None,
        })
        .collect();
    let pieces_for = |mask: usize, skip: Option<usize>| -> Vec<Piece> {
        let mut pieces = base.clone();
        for (bit, &i) in nonconcave.iter().enumerate() {
            if Some(i) == skip {
                continue;
            }
            let r = &problem.rows[i];
            pieces[i] = if mask & (1 << bit) != 0 {
                on_piece(r.curve, r.lower, tops[i])
            } else {
                Piece::fixed(r.curve, r.lower)
            };
        }
        pieces
    };
    // With "spend all", plans that leave budget unspent only count when none spends it.
    let needed = spend_needed(problem, tops);
    let mut best: Option<Candidate> = None;
    let mut best_short: Option<Candidate> = None;
    let consider =
        |candidate: Candidate, best: &mut Option<Candidate>, short: &mut Option<Candidate>| {
            let slot = if spends_all(problem, &candidate.balanced.spend, needed) {
                best
            } else {
                short
            };
            if slot
                .as_ref()
                .is_none_or(|b| better(problem, candidate.objective, b.objective))
            {
                *slot = Some(candidate);
            }
        };
    let count = nonconcave.len();
    for mask in 0..(1usize << count) {
        let pieces = pieces_for(mask, None);
        if !feasible(problem, &pieces) {
            continue;
        }
        let Ok(balanced) = balance(problem, &pieces) else {
            continue;
        };
        if !within_budget(problem, &balanced.spend) {
            continue;
        }
        let objective = objective(problem, &balanced.spend);
        consider(
            Candidate {
                objective,
                pieces,
                balanced,
            },
            &mut best,
            &mut best_short,
        );
    }
    // One row inside its convex part, the others in each regime.
    for (bit, &c) in nonconcave.iter().enumerate() {
        for mask in 0..(1usize << count) {
            if mask & (1 << bit) != 0 {
                continue;
            }
            let pieces = pieces_for(mask, Some(c));
            for candidate in convex_interior(problem, &pieces, c, tops[c]) {
                consider(candidate, &mut best, &mut best_short);
            }
        }
    }
    let Some(best) = best.or(best_short) else {
        return Err(SolveError(
            "no choice of regimes meets the constraints".to_string(),
        ));
    };
    let mut solution = finish(problem, &best.pieces, best.balanced, Method::Enumerated);
    solution.bound = solution.objective;
    Ok(solution)
}

/// Answers where row `c` sits strictly inside its convex part, where its slope is
/// rising: for each price the others respond as usual and `c` takes the spend where
/// its own marginal return equals the price; the budget (or the target) fixes the
/// price. Every root along a scan of prices is tried.
fn convex_interior(problem: &Problem, pieces: &[Piece], c: usize, top: f64) -> Vec<Candidate> {
    let row = &problem.rows[c];
    let lower = row.lower;
    let end = row.curve.inflection().min(top);
    if end <= lower || row.weight <= 0.0 {
        return Vec::new();
    }
    let slope_lo = row.weight * row.curve.slope(lower);
    let slope_hi = row.weight * row.curve.slope(end);
    if slope_hi.is_nan() || slope_lo.is_nan() || slope_hi <= slope_lo || !slope_hi.is_finite() {
        return Vec::new();
    }
    let (spend_cost, target_kind) = match problem.goal {
        Goal::Maximize { spend_cost, .. } => (spend_cost, false),
        Goal::MinSpend { .. } => (0.0, true),
    };
    let p_lo = slope_lo.max(slope_hi * 1e-9).max(spend_cost);
    if p_lo >= slope_hi {
        return Vec::new();
    }
    // The others' pieces, with row c pinned wherever the price puts it.
    let others = |price: f64| -> (Vec<f64>, f64) {
        let mut trial = pieces.to_vec();
        let xc = convex_spend_at_slope(&row.curve, price / row.weight, lower, end);
        trial[c] = Piece::fixed(row.curve, xc);
        let spend: Vec<f64> = problem
            .rows
            .iter()
            .zip(&trial)
            .map(|(r, p)| p.response(r.weight, price))
            .collect();
        (spend, xc)
    };
    let gap = |price: f64| -> f64 {
        let (spend, _) = others(price);
        match problem.goal {
            Goal::Maximize { budget, .. } => spend.iter().sum::<f64>() - budget,
            Goal::MinSpend { target, .. } => value(problem, &spend) - target,
        }
    };
    let steps = 48;
    let grid: Vec<f64> = (0..=steps)
        .map(|i| p_lo * (slope_hi / p_lo).powf(i as f64 / steps as f64))
        .collect();
    let gaps: Vec<f64> = grid.iter().map(|&p| gap(p)).collect();
    let mut out = Vec::new();
    for w in 0..steps {
        let (g0, g1) = (gaps[w], gaps[w + 1]);
        if !(g0.is_finite() && g1.is_finite()) || g0.signum() == g1.signum() && g0 != 0.0 {
            continue;
        }
        let (mut a, mut b) = (grid[w], grid[w + 1]);
        let sign_a = g0.signum();
        for _ in 0..100 {
            let mid = 0.5 * (a + b);
            if gap(mid).signum() == sign_a {
                a = mid;
            } else {
                b = mid;
            }
            if b - a <= 1e-15 * b {
                break;
            }
        }
        let price = 0.5 * (a + b);
        let (mut spend, _) = others(price);
        // Row c takes exactly what closes the budget (or the target).
        let rest_spend: f64 = spend
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != c)
            .map(|(_, x)| x)
            .sum();
        let xc = match problem.goal {
            Goal::Maximize { budget, .. } => budget - rest_spend,
            Goal::MinSpend { target, .. } => {
                spend[c] = lower;
                let rest = value(problem, &spend) - row.weight * row.curve.value(lower);
                row.curve.spend_for((target - rest) / row.weight)
            }
        };
        if !(xc >= lower && xc <= end) {
            continue;
        }
        spend[c] = xc;
        if target_kind && !within_budget(problem, &spend) {
            continue;
        }
        let objective = objective(problem, &spend);
        let mut trial = pieces.to_vec();
        trial[c] = Piece::fixed(row.curve, xc);
        out.push(Candidate {
            objective,
            pieces: trial,
            balanced: Balanced {
                spend,
                price,
                mu: Vec::new(),
            },
        });
    }
    out
}

/// The spend in `[lo, hi]` (where the slope rises) with slope `t`, by bisection.
fn convex_spend_at_slope(curve: &Curve, t: f64, lo: f64, hi: f64) -> f64 {
    let (mut a, mut b) = (lo, hi);
    if curve.slope(a) >= t {
        return a;
    }
    if curve.slope(b) <= t {
        return b;
    }
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if curve.slope(mid) < t {
            a = mid;
        } else {
            b = mid;
        }
        if b - a <= 2.0 * f64::EPSILON * b {
            break;
        }
    }
    0.5 * (a + b)
}

/// The point where the line from `(lo, F(lo))` touches the curve past its inflection
/// point; `None` when it does not before `top` (then the envelope is the chord).
fn tangent_point(curve: &Curve, lo: f64, top: f64) -> Option<f64> {
    let f_lo = curve.value(lo);
    let h = |t: f64| curve.slope(t) * (t - lo) - (curve.value(t) - f_lo);
    let mut a = curve.inflection().max(lo);
    if !a.is_finite() {
        return None;
    }
    let mut b = (a * 2.0).max(a + 1.0);
    let mut guard = 0;
    while h(b) > 0.0 && guard < 2100 {
        a = b;
        b *= 2.0;
        guard += 1;
        if b >= top {
            break;
        }
    }
    if b >= top && h(top.min(b)) > 0.0 {
        return None;
    }
    let b_end = b.min(top);
    let mut b = b_end;
    for _ in 0..300 {
        let mid = 0.5 * (a + b);
        if h(mid) > 0.0 {
            a = mid;
        } else {
            b = mid;
        }
        if b - a <= 2.0 * f64::EPSILON * b {
            break;
        }
    }
    Some(0.5 * (a + b))
}

/// The concave envelope of a row on `[lo, top]`.
fn envelope_piece(curve: Curve, lo: f64, top: f64) -> Piece {
    match tangent_point(&curve, lo, top) {
        Some(tau) => Piece {
            curve,
            lo,
            hi: top,
            tangent: Some((tau, curve.slope(tau))),
        },
        None if top.is_finite() && top > lo => Piece {
            curve,
            lo,
            hi: top,
            tangent: Some((top, (curve.value(top) - curve.value(lo)) / (top - lo))),
        },
        None => Piece::fixed(curve, lo),
    }
}

/// How far the envelope's objective is above the true one (maximize) at `spend`.
fn envelope_objective(problem: &Problem, pieces: &[Piece], spend: &[f64]) -> f64 {
    match problem.goal {
        Goal::Maximize { spend_cost, .. } => problem
            .rows
            .iter()
            .zip(pieces)
            .zip(spend)
            .map(|((r, p), &x)| r.weight * p.value(x) - spend_cost * x)
            .sum(),
        Goal::MinSpend { .. } => spend.iter().sum(),
    }
}

fn envelope(problem: &Problem, tops: &[f64], nonconcave: &[usize]) -> Result<Solution, SolveError> {
    let mut pieces: Vec<Piece> = problem
        .rows
        .iter()
        .zip(tops)
        .map(|(r, &top)| Piece {
            curve: r.curve,
            lo: r.lower,
            hi: top,
            tangent: None,
        })
        .collect();
    for &i in nonconcave {
        let r = &problem.rows[i];
        pieces[i] = envelope_piece(r.curve, r.lower, tops[i]);
    }
    let relaxed = balance(problem, &pieces)?;
    let bound = envelope_objective(problem, &pieces, &relaxed.spend);
    // Rows left on a straight stretch of their envelope, between "off" and "on".
    let between: Vec<usize> = nonconcave
        .iter()
        .copied()
        .filter(|&i| match pieces[i].tangent {
            Some((tau, _)) => relaxed.spend[i] > pieces[i].lo && relaxed.spend[i] < tau,
            None => false,
        })
        .collect();
    // The relaxation's plan, judged with the true curves (for a target it may fall short).
    let reaches = match problem.goal {
        Goal::MinSpend { target, .. } => value(problem, &relaxed.spend) >= target * (1.0 - 1e-12),
        Goal::Maximize { .. } => true,
    };
    let needed = spend_needed(problem, tops);
    let mut current = Candidate {
        objective: if reaches {
            objective(problem, &relaxed.spend)
        } else {
            f64::INFINITY
        },
        pieces: pieces.clone(),
        balanced: relaxed,
    };
    // Each row between regimes: off (at its minimum) or on (past its tangent point).
    for &i in &between {
        let r = &problem.rows[i];
        let tau = pieces[i].tangent.map_or(r.lower, |(t, _)| t);
        for choice in [
            Piece::fixed(r.curve, r.lower),
            on_piece(r.curve, tau, tops[i]),
        ] {
            let mut trial = current.pieces.clone();
            trial[i] = choice;
            consider_trial(problem, trial, &mut current, needed);
        }
    }
    // One pass of switching each S-shaped row off or on, when the problem is small
    // enough for a solve per row.
    if nonconcave.len().saturating_mul(problem.rows.len()) <= 200_000 {
        for &i in nonconcave {
            let r = &problem.rows[i];
            let on = r.curve.inflection().max(r.lower);
            let is_on = current.balanced.spend[i] > r.lower;
            let choice = if is_on {
                Piece::fixed(r.curve, r.lower)
            } else {
                on_piece(r.curve, on, tops[i])
            };
            let mut trial = current.pieces.clone();
            trial[i] = choice;
            consider_trial(problem, trial, &mut current, needed);
        }
    }
    if current.objective.is_infinite() {
        return Err(SolveError(
            "no plan reaching the target was found among the S-shaped rows' regimes".to_string(),
        ));
    }
    let objective_now = objective(problem, &current.balanced.spend);
    let mut solution = finish(problem, &current.pieces, current.balanced, Method::Envelope);
    solution.objective = objective_now;
    // Demand ceilings are met with envelope values (never below the truth), so the
    // relaxation is not a proven bound there.
    solution.bound = if problem.ceilings.is_empty() {
        match problem.goal {
            Goal::Maximize { .. } => bound.max(objective_now),
            Goal::MinSpend { .. } => bound.min(objective_now),
        }
    } else {
        f64::NAN
    };
    solution.certificate = Some(certificate(
        problem,
        &current.pieces,
        &solution.spend,
        solution.price,
        &solution.ceiling_prices,
    ));
    Ok(solution)
}

fn consider_trial(problem: &Problem, trial: Vec<Piece>, current: &mut Candidate, needed: f64) {
    if !feasible(problem, &trial) {
        return;
    }
    let Ok(balanced) = balance(problem, &trial) else {
        return;
    };
    if !within_budget(problem, &balanced.spend)
        || !meets_ceilings(problem, &balanced.spend)
        || (spends_all(problem, &current.balanced.spend, needed)
            && !spends_all(problem, &balanced.spend, needed))
    {
        return;
    }
    // Judged with the true curves (a row still on a straight stretch counts as it is).
    let objective = objective(problem, &balanced.spend);
    let meets_target = match problem.goal {
        Goal::MinSpend { target, .. } => value(problem, &balanced.spend) >= target * (1.0 - 1e-12),
        Goal::Maximize { .. } => true,
    };
    if meets_target && better(problem, objective, current.objective) {
        *current = Candidate {
            objective,
            pieces: trial,
            balanced,
        };
    }
}

fn meets_ceilings(problem: &Problem, spend: &[f64]) -> bool {
    problem.ceilings.iter().enumerate().all(|(g, &cap)| {
        let used: f64 = problem
            .rows
            .iter()
            .zip(spend)
            .filter(|(r, _)| r.group == Some(g))
            .map(|(r, &x)| r.ceiling_weight * r.curve.value(x))
            .sum();
        used <= cap * (1.0 + 1e-12) + 1e-12
    })
}
