//! The allocation solver: spend per row to maximize the value of the rows' responses
//! under a budget (or the least spend reaching a target), with per-row bounds and
//! demand ceilings shared by groups of rows.
//!
//! Concave responses are solved exactly: every row not at a bound gets the same
//! marginal return (the multiplier), found by bisection on it; rows whose response is
//! straight over a stretch take the remainder one after another. The answer comes with
//! its certificate — the largest relative gap between a free row's marginal return and
//! the multiplier, and any row at a bound on the wrong side of it. S-shaped responses
//! are handled in [`super::nonconcave`]; whole units in [`super::whole`].

use super::curve::Curve;

/// One decision row, in money over the whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The outcome as a function of the row's spend.
    pub curve: Curve,
    /// What one unit of outcome is worth to the objective.
    pub weight: f64,
    /// What one unit of outcome counts against the row's demand ceiling.
    pub ceiling_weight: f64,
    pub lower: f64,
    /// May be infinite.
    pub upper: f64,
    /// Index into [`Problem::ceilings`].
    pub group: Option<usize>,
    /// Whole units: the spend moves in steps of this size (the cost of one unit).
    pub unit: Option<f64>,
}

/// What the plan is after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The largest `Σ weight·F(x) − spend_cost·Σx` with `Σx ≤ budget` (`= budget`
    /// when `spend_all`, as far as the bounds allow).
    Maximize {
        budget: f64,
        spend_all: bool,
        spend_cost: f64,
    },
    /// The least `Σx` with `Σ weight·F(x) ≥ target` (and `Σx ≤ budget` when given).
    MinSpend { target: f64, budget: Option<f64> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub rows: Vec<Row>,
    /// Demand ceilings: `Σ ceiling_weight·F(x)` over a group's rows stays at or below.
    pub ceilings: Vec<f64>,
    pub goal: Goal,
}

/// How the answer was found, and what is proven about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Every response concave on its range: equal marginal returns, exact.
    Concave,
    /// S-shaped responses: every choice of which rows are past their inflection point
    /// solved exactly, plus the one row that may sit in its convex part; exact.
    Enumerated,
    /// S-shaped responses, too many to enumerate (or with demand ceilings): solved on
    /// their concave envelopes, then the one row left between regimes rounded; the gap
    /// to the envelope's bound is reported.
    Envelope,
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::Concave => {
                "concave: equal marginal returns (bisection on the multiplier), exact"
            }
            Method::Enumerated => {
                "S-shaped: every on/off choice of rows past their inflection point solved exactly, exact"
            }
            Method::Envelope => {
                "S-shaped: concave envelope, then the row between regimes rounded; gap to the envelope bound stated"
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Concave => "concave",
            Method::Enumerated => "enumerated",
            Method::Envelope => "envelope",
        }
    }
}

/// Where a row ended relative to its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    AtLower,
    AtUpper,
    /// Strictly inside its bounds: its marginal return equals the multiplier.
    Free,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub spend: Vec<f64>,
    pub states: Vec<RowState>,
    /// The price of spend the rows were balanced at: objective per extra unit of
    /// budget (maximize; includes `spend_cost`), or value per unit of spend at the
    /// margin (min spend).
    pub price: f64,
    /// Each demand ceiling's multiplier (0 when it does not bind).
    pub ceiling_prices: Vec<f64>,
    /// The objective: value minus spend cost (maximize) or total spend (min spend).
    pub objective: f64,
    /// A proven bound on the best objective (≥ for maximize, ≤ for min spend); equal
    /// to `objective` when the method is exact.
    pub bound: f64,
    pub method: Method,
    /// Largest relative violation of the optimality conditions among rows (0 = every
    /// condition holds); `None` when the method has no such certificate.
    pub certificate: Option<f64>,
    /// Whole units were asked for and the continuous answer was rounded.
    pub rounded: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SolveError(pub String);

/// Relative tolerance of the constraints and of the certificate.
pub const TOLERANCE: f64 = 1e-9;

/// Solves a problem whose every curve is concave on its row's range: the marginal
/// return of every free row equalised (bisection on the multiplier).
pub fn solve_concave(problem: &Problem) -> Result<Solution, SolveError> {
    let pieces: Vec<Piece> = problem.rows.iter().map(Piece::whole).collect();
    let balanced = balance(problem, &pieces)?;
    Ok(finish(problem, &pieces, balanced, Method::Concave))
}

/// The usable-input checks every method relies on (bounds, weights, groups, budget).
pub fn check(problem: &Problem) -> Result<(), SolveError> {
    for (i, r) in problem.rows.iter().enumerate() {
        if !(r.lower.is_finite() && r.lower >= 0.0 && r.upper >= r.lower)
            || r.upper.is_nan()
            || !(r.weight.is_finite() && r.ceiling_weight.is_finite())
        {
            return Err(SolveError(format!(
                "row {i}: bounds [{}, {}] or weights are not usable",
                r.lower, r.upper
            )));
        }
        if r.group.is_some_and(|g| g >= problem.ceilings.len()) {
            return Err(SolveError(format!("row {i}: unknown demand group")));
        }
    }
    let lowest: f64 = problem.rows.iter().map(|r| r.lower).sum();
    match problem.goal {
        Goal::Maximize { budget, .. }
        | Goal::MinSpend {
            budget: Some(budget),
            ..
        } if lowest > budget * (1.0 + TOLERANCE) => Err(SolveError(format!(
            "the minimums add to {lowest}; the budget is {budget}"
        ))),
        _ => Ok(()),
    }
}

/// A row's response as the balancing sees it: the curve on `[lo, hi]`, possibly
/// replaced below `tangent.0` by the straight line from `(lo, F(lo))` with slope
/// `tangent.1` (a concave envelope). Concave on its range by construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub curve: Curve,
    pub lo: f64,
    pub hi: f64,
    pub tangent: Option<(f64, f64)>,
}

/// How a tie (a straight stretch at exactly the asked slope) is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tie {
    Low,
    High,
}

impl Piece {
    pub fn whole(row: &Row) -> Piece {
        Piece {
            curve: row.curve,
            lo: row.lower,
            hi: row.upper,
            tangent: None,
        }
    }

    pub fn fixed(curve: Curve, at: f64) -> Piece {
        Piece {
            curve,
            lo: at,
            hi: at,
            tangent: None,
        }
    }

    pub fn value(&self, x: f64) -> f64 {
        match self.tangent {
            Some((tau, sigma)) if x < tau => self.curve.value(self.lo) + sigma * (x - self.lo),
            _ => self.curve.value(x),
        }
    }

    /// Slope on the left and on the right of `x`.
    pub fn slopes(&self, x: f64) -> (f64, f64) {
        match self.tangent {
            Some((tau, sigma)) if x < tau => (sigma, sigma),
            Some((tau, sigma)) if x == tau => (sigma, self.curve.slope(x)),
            _ => match self.curve {
                Curve::Linear { a, cap: Some(c) } if a > 0.0 && x == c / a => (a, 0.0),
                curve => {
                    let s = curve.slope(x);
                    (s, s)
                }
            },
        }
    }

    /// The spend maximizing `coef·value(x) − price·x` on the piece (the low end of a
    /// straight stretch at exactly that slope).
    pub fn response(&self, coef: f64, price: f64) -> f64 {
        self.respond(coef, price, Tie::Low)
    }

    /// The spend maximizing `coef·value(x) − price·x` on the piece.
    fn respond(&self, coef: f64, price: f64, tie: Tie) -> f64 {
        if self.hi <= self.lo {
            return self.lo;
        }
        if coef <= 0.0 {
            return self.lo;
        }
        if price <= 0.0 {
            // Spend is free: as far as it still adds anything.
            return match self.curve {
                Curve::Linear { a, cap: Some(c) } if a > 0.0 => (c / a).clamp(self.lo, self.hi),
                _ => self.hi,
            };
        }
        let t = price / coef;
        let start = match self.tangent {
            Some((tau, sigma)) => {
                if t > sigma {
                    return self.lo;
                }
                if t == sigma {
                    return match tie {
                        Tie::Low => self.lo,
                        Tie::High => tau.min(self.hi),
                    };
                }
                tau
            }
            None => self.lo,
        };
        if start >= self.hi {
            return self.hi;
        }
        let x = match self.curve {
            Curve::Linear { a, cap } => {
                let end = cap.map_or(f64::INFINITY, |c| if a > 0.0 { c / a } else { 0.0 });
                if t < a {
                    end
                } else if t > a {
                    start
                } else {
                    match tie {
                        Tie::Low => start,
                        Tie::High => end,
                    }
                }
            }
            Curve::Power { b: 1.0, .. } => {
                let a = self.curve.slope(1.0);
                if t < a {
                    f64::INFINITY
                } else if t > a {
                    start
                } else {
                    match tie {
                        Tie::Low => start,
                        Tie::High => f64::INFINITY,
                    }
                }
            }
            curve => match curve.spend_at_slope(t, self.hi) {
                Some(x) => x,
                None => start,
            },
        };
        x.clamp(start, self.hi)
    }
}

/// The coefficient of row `i`'s outcome at ceiling prices `mu`.
fn coefficient(row: &Row, mu: &[f64]) -> f64 {
    let m = row.group.and_then(|g| mu.get(g).copied()).unwrap_or(0.0);
    row.weight - m * row.ceiling_weight
}

/// Every row's response to `price` with ceiling prices `mu`.
fn respond_all(problem: &Problem, pieces: &[Piece], price: f64, mu: &[f64], tie: Tie) -> Vec<f64> {
    problem
        .rows
        .iter()
        .zip(pieces)
        .map(|(row, piece)| piece.respond(coefficient(row, mu), price, tie))
        .collect()
}

/// The balanced answer on concave pieces: spend, price and ceiling prices.
#[derive(Debug, Clone)]
pub struct Balanced {
    pub spend: Vec<f64>,
    pub price: f64,
    pub mu: Vec<f64>,
}

/// What a total is measured in while searching for a price.
#[derive(Clone, Copy)]
enum Measure {
    Spend,
    /// `Σ weight·value` over the rows.
    Value,
    /// `Σ ceiling_weight·value` over the rows of one group.
    Ceiling(usize),
}

fn measure(problem: &Problem, pieces: &[Piece], x: &[f64], m: Measure) -> f64 {
    match m {
        Measure::Spend => x.iter().sum(),
        Measure::Value => problem
            .rows
            .iter()
            .zip(pieces)
            .zip(x)
            .map(|((r, p), &x)| r.weight * p.value(x))
            .sum(),
        Measure::Ceiling(g) => problem
            .rows
            .iter()
            .zip(pieces)
            .zip(x)
            .filter(|((r, _), _)| r.group == Some(g))
            .map(|((r, p), &x)| r.ceiling_weight * p.value(x))
            .sum(),
    }
}

/// Responses to `price` with every binding ceiling's price solved for.
fn respond_with_ceilings(
    problem: &Problem,
    pieces: &[Piece],
    price: f64,
    tie: Tie,
) -> (Vec<f64>, Vec<f64>) {
    let mut mu = vec![0.0; problem.ceilings.len()];
    let mut x = respond_all(problem, pieces, price, &mu, tie);
    for (g, &cap) in problem.ceilings.iter().enumerate() {
        if measure(problem, pieces, &x, Measure::Ceiling(g)) <= cap {
            continue;
        }
        let members: Vec<usize> = (0..problem.rows.len())
            .filter(|&i| problem.rows[i].group == Some(g))
            .collect();
        let top = members
            .iter()
            .filter(|&&i| problem.rows[i].ceiling_weight > 0.0)
            .map(|&i| problem.rows[i].weight / problem.rows[i].ceiling_weight)
            .fold(0.0, f64::max);
        let at = |m: f64, tie: Tie| -> Vec<f64> {
            let mut mu_g = mu.clone();
            mu_g[g] = m;
            members
                .iter()
                .map(|&i| pieces[i].respond(coefficient(&problem.rows[i], &mu_g), price, tie))
                .collect()
        };
        let group_total = |xs: &[f64]| -> f64 {
            members
                .iter()
                .zip(xs)
                .map(|(&i, &x)| problem.rows[i].ceiling_weight * pieces[i].value(x))
                .sum()
        };
        // Bisection on the ceiling's price: the group's total falls as it rises.
        let (mut lo, mut hi) = (0.0, top);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if group_total(&at(mid, tie)) > cap {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-16 * top.max(f64::MIN_POSITIVE) {
                break;
            }
        }
        // Fill from the feasible side towards the other to meet the ceiling exactly.
        let low = at(hi, Tie::Low);
        let high = at(lo, Tie::High);
        let filled = fill(&low, &high, cap, group_total);
        mu[g] = hi;
        for (j, &i) in members.iter().enumerate() {
            x[i] = filled[j];
        }
    }
    (x, mu)
}

/// Moves entries from `low` towards `high`, one after another, until `total` reaches
/// `target` (never past it); `total` must rise as entries move up.
fn fill(low: &[f64], high: &[f64], target: f64, total: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut x = low.to_vec();
    if total(&x) >= target {
        return x;
    }
    for i in 0..x.len() {
        if high[i] <= x[i] {
            continue;
        }
        let before = x[i];
        x[i] = high[i];
        if x[i].is_finite() && total(&x) <= target {
            continue;
        }
        // Part of the way: bisection on this entry.
        let (mut a, mut b) = (
            before,
            if high[i].is_finite() {
                high[i]
            } else {
                grow(&mut x, i, before, target, &total)
            },
        );
        for _ in 0..300 {
            let mid = 0.5 * (a + b);
            x[i] = mid;
            if total(&x) > target {
                b = mid;
            } else {
                a = mid;
            }
            if b - a <= 2.0 * f64::EPSILON * b.abs() {
                break;
            }
        }
        x[i] = a;
        return x;
    }
    x
}

/// An upper end for entry `i` moving from `from` towards infinity: doubles until
/// `total` passes `target`.
fn grow(x: &mut [f64], i: usize, from: f64, target: f64, total: &impl Fn(&[f64]) -> f64) -> f64 {
    let mut step = from.abs().max(1.0);
    for _ in 0..2100 {
        x[i] = from + step;
        if total(x) > target {
            return x[i];
        }
        step *= 2.0;
    }
    x[i]
}

/// The price where the responses' `what` meets `target`, searching down from high
/// prices (little spend) — the total rises as the price falls. Returns the filled
/// answer, or `None` when even price 0 stays below the target.
fn price_for(
    problem: &Problem,
    pieces: &[Piece],
    what: Measure,
    target: f64,
    floor: f64,
) -> Option<Balanced> {
    let total_at = |p: f64, tie: Tie| {
        let (x, mu) = respond_with_ceilings(problem, pieces, p, tie);
        let t = measure(problem, pieces, &x, what);
        (x, mu, t)
    };
    let (x0, mu0, t0) = total_at(floor, Tie::High);
    if t0 < target {
        return if t0 >= target * (1.0 - 1e-15) {
            Some(Balanced {
                spend: x0,
                price: floor,
                mu: mu0,
            })
        } else {
            None
        };
    }
    // A price high enough that the total is at or below the target.
    let steepest = pieces
        .iter()
        .zip(&problem.rows)
        .map(|(p, r)| r.weight.abs() * p.slopes(p.lo).1)
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max)
        .max(floor);
    let mut hi = if steepest > 0.0 { steepest } else { 1.0 };
    let mut guard = 0;
    while total_at(hi, Tie::Low).2 > target && guard < 2200 {
        hi *= 2.0;
        guard += 1;
    }
    let mut lo = floor;
    if lo <= 0.0 {
        lo = hi;
        let mut guard = 0;
        while lo > f64::MIN_POSITIVE && total_at(lo, Tie::High).2 <= target && guard < 2200 {
            lo *= 0.5;
            guard += 1;
        }
        if total_at(lo, Tie::High).2 <= target {
            lo = 0.0;
        }
    }
    for _ in 0..400 {
        let mid = if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        };
        if mid <= lo || mid >= hi {
            break;
        }
        if total_at(mid, Tie::Low).2 > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    let (low, mu, _) = total_at(hi, Tie::Low);
    let (high, _, _) = total_at(lo, Tie::High);
    let spend = fill(&low, &high, target, |xs| measure(problem, pieces, xs, what));
    // Filling must not lift a group over its ceiling.
    let spend = respect_ceilings(problem, pieces, &low, spend);
    Some(Balanced {
        spend,
        price: hi,
        mu,
    })
}

/// Undoes the part of a fill that would put a group over its ceiling.
fn respect_ceilings(problem: &Problem, pieces: &[Piece], low: &[f64], mut x: Vec<f64>) -> Vec<f64> {
    for (g, &cap) in problem.ceilings.iter().enumerate() {
        if measure(problem, pieces, &x, Measure::Ceiling(g)) <= cap {
            continue;
        }
        let members: Vec<usize> = (0..x.len())
            .filter(|&i| problem.rows[i].group == Some(g))
            .collect();
        let low_m: Vec<f64> = members.iter().map(|&i| low[i]).collect();
        let high_m: Vec<f64> = members.iter().map(|&i| x[i]).collect();
        let filled = fill(&low_m, &high_m, cap, |xs| {
            members
                .iter()
                .zip(xs)
                .map(|(&i, &v)| problem.rows[i].ceiling_weight * pieces[i].value(v))
                .sum()
        });
        for (j, &i) in members.iter().enumerate() {
            x[i] = filled[j];
        }
    }
    x
}

/// The balanced answer for the goal on concave pieces.
pub fn balance(problem: &Problem, pieces: &[Piece]) -> Result<Balanced, SolveError> {
    match problem.goal {
        Goal::Maximize {
            budget,
            spend_all,
            spend_cost,
        } => {
            // At the spend cost alone (no budget pressure): is the budget enough?
            let (x, mu) = respond_with_ceilings(problem, pieces, spend_cost, Tie::Low);
            let spent: f64 = x.iter().sum();
            if spent <= budget && !(spend_all && spent < budget) {
                return Ok(Balanced {
                    spend: x,
                    price: spend_cost,
                    mu,
                });
            }
            let floor = if spent <= budget { 0.0 } else { spend_cost };
            match price_for(problem, pieces, Measure::Spend, budget, floor) {
                Some(b) => Ok(b),
                // Even free spend does not use the budget: every row is at its top.
                None => {
                    let (x, mu) = respond_with_ceilings(problem, pieces, 0.0, Tie::High);
                    Ok(Balanced {
                        spend: x,
                        price: 0.0,
                        mu,
                    })
                }
            }
        }
        Goal::MinSpend { target, .. } => {
            match price_for(problem, pieces, Measure::Value, target, 0.0) {
                Some(b) => Ok(b),
                None => {
                    let (x, _) = respond_with_ceilings(problem, pieces, 0.0, Tie::High);
                    let best = measure(problem, pieces, &x, Measure::Value);
                    Err(SolveError(format!(
                        "the target {target} is out of reach: with every row at its maximum the plan reaches {best}"
                    )))
                }
            }
        }
    }
}

/// The objective of `spend` with the true curves.
pub fn objective(problem: &Problem, spend: &[f64]) -> f64 {
    match problem.goal {
        Goal::Maximize { spend_cost, .. } => problem
            .rows
            .iter()
            .zip(spend)
            .map(|(r, &x)| r.weight * r.curve.value(x) - spend_cost * x)
            .sum(),
        Goal::MinSpend { .. } => spend.iter().sum(),
    }
}

/// The weighted outcome `Σ weight·F(x)`.
pub fn value(problem: &Problem, spend: &[f64]) -> f64 {
    problem
        .rows
        .iter()
        .zip(spend)
        .map(|(r, &x)| r.weight * r.curve.value(x))
        .sum()
}

/// States, objective and certificate of a balanced answer.
pub fn finish(problem: &Problem, pieces: &[Piece], balanced: Balanced, method: Method) -> Solution {
    let spend = balanced.spend;
    let states: Vec<RowState> = problem
        .rows
        .iter()
        .zip(&spend)
        .map(|(r, &x)| state_of(r, x))
        .collect();
    let certificate = certificate(problem, pieces, &spend, balanced.price, &balanced.mu);
    let objective = objective(problem, &spend);
    Solution {
        spend,
        states,
        price: balanced.price,
        ceiling_prices: balanced.mu,
        objective,
        bound: objective,
        method,
        certificate: Some(certificate),
        rounded: false,
    }
}

pub fn state_of(row: &Row, x: f64) -> RowState {
    let scale = row.upper.abs().min(1e300).max(row.lower.abs()).max(1.0);
    if x <= row.lower + TOLERANCE * scale {
        RowState::AtLower
    } else if x >= row.upper - TOLERANCE * scale {
        RowState::AtUpper
    } else {
        RowState::Free
    }
}

/// The largest relative violation of the optimality conditions at `price`: a free row's
/// marginal return off the price, a row at its lower bound that would gain from more,
/// a row at its upper bound that would gain from less.
pub fn certificate(
    problem: &Problem,
    pieces: &[Piece],
    spend: &[f64],
    price: f64,
    mu: &[f64],
) -> f64 {
    let scale = price.abs().max(f64::MIN_POSITIVE);
    let mut worst = 0.0f64;
    for ((row, piece), &x) in problem.rows.iter().zip(pieces).zip(spend) {
        if piece.hi <= piece.lo {
            continue;
        }
        let c = coefficient(row, mu);
        let (left, right) = piece.slopes(x);
        let (left, right) = (c * left, c * right);
        let at_lo = x <= piece.lo + TOLERANCE * piece.lo.abs().max(1.0) * 1e-3;
        let at_hi = x >= piece.hi - TOLERANCE * piece.hi.abs().clamp(1.0, 1e300) * 1e-3;
        let violation = match (at_lo, at_hi) {
            // More spend would pay more than the price.
            (true, false) => (right - price).max(0.0),
            // Less spend would lose less than the price saves.
            (false, true) => (price - left).max(0.0),
            (true, true) => 0.0,
            (false, false) => (right - price).max(0.0).max((price - left).max(0.0)),
        };
        if violation.is_finite() {
            worst = worst.max(violation / scale);
        } else {
            worst = f64::INFINITY;
        }
    }
    worst
}

/// Checks every constraint to the tolerance; an answer that fails is a bug, said so
/// rather than shown.
pub fn verify(problem: &Problem, spend: &[f64]) -> Result<(), SolveError> {
    let scale_of = |v: f64| v.abs().max(1.0);
    for (i, (r, &x)) in problem.rows.iter().zip(spend).enumerate() {
        if !x.is_finite() {
            return Err(SolveError(format!(
                "internal: row {i}'s spend is not finite"
            )));
        }
        if x < r.lower - TOLERANCE * scale_of(r.lower) || x > r.upper + TOLERANCE * scale_of(x) {
            return Err(SolveError(format!(
                "internal: row {i}'s spend {x} is outside [{}, {}]",
                r.lower, r.upper
            )));
        }
    }
    let total: f64 = spend.iter().sum();
    let budget = match problem.goal {
        Goal::Maximize { budget, .. } => Some(budget),
        Goal::MinSpend { budget, target } => {
            let v = value(problem, spend);
            if v < target - TOLERANCE * scale_of(target) {
                return Err(SolveError(format!(
                    "internal: the plan reaches {v}, short of the target {target}"
                )));
            }
            budget
        }
    };
    if let Some(b) = budget
        && total > b + TOLERANCE * scale_of(b)
    {
        return Err(SolveError(format!(
            "internal: the plan spends {total}, over the budget {b}"
        )));
    }
    for (g, &cap) in problem.ceilings.iter().enumerate() {
        let used: f64 = problem
            .rows
            .iter()
            .zip(spend)
            .filter(|(r, _)| r.group == Some(g))
            .map(|(r, &x)| r.ceiling_weight * r.curve.value(x))
            .sum();
        if used > cap + TOLERANCE * scale_of(cap) {
            return Err(SolveError(format!(
                "internal: demand group {g} reaches {used}, over its ceiling {cap}"
            )));
        }
    }
    Ok(())
}
