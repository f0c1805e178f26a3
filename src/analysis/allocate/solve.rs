//! The allocation solver's entry point: concave problems by equal marginal returns
//! ([`super::solver`]), S-shaped rows by enumeration or the concave envelope
//! ([`super::nonconcave`]), whole units by rounding ([`super::whole`]); every answer
//! verified against the constraints before it is returned.

use super::solver::{Problem, Solution, SolveError, check, solve_concave, verify};

/// Solves `problem`. The caller words infeasibility with names first; the checks here
/// are the last line.
pub fn solve(problem: &Problem) -> Result<Solution, SolveError> {
    check(problem)?;
    let nonconcave = problem
        .rows
        .iter()
        .filter(|r| !r.curve.concave_on(r.lower, r.upper) && r.upper > r.lower)
        .count();
    let mut solution = if nonconcave == 0 {
        solve_concave(problem)?
    } else {
        super::nonconcave::solve(problem)?
    };
    if problem.rows.iter().any(|r| r.unit.is_some()) {
        solution = super::whole::round(problem, solution)?;
    }
    verify(problem, &solution.spend)?;
    Ok(solution)
}
