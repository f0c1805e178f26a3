//! `table Plan = optimize Source by key (spend = …, curve = …, objective = …, budget = …,
//! lower = …, upper = …, …)`: the recommended spend per decision row, with the marginal
//! return there and the constraint that holds each row where it is; the method, the
//! multiplier and the certificate (or the gap) in the notes and in `--json`.

use std::sync::LazyLock;

use serde_json::json;

use super::args::{Args, cell, each, once, optional_cell, output};
use super::decisions::{Limit, Objective, Setup, list, setup};
use super::fit::format_number;
use super::fit_response::finite_json;
use super::solve::solve;
use super::solver::{Goal, Method, RowState, Solution, TOLERANCE, objective, value};
use crate::lang::analysis::{
    Analysis, AnalysisCall, AnalysisError, AnalysisInput, AnalysisResult, OutputColumn, Parameter,
    UsageProblem,
};
use crate::lang::ast::Better;
use crate::value::{Value, ValueType};

#[derive(Debug)]
pub struct Optimize;

const PARAMETERS: &[Parameter] = &[
    each(
        "spend",
        ValueType::Number,
        true,
        "the row's current spend over the plan (units, with unit_cost): where the recommendation starts from",
    ),
    each(
        "curve",
        ValueType::Text,
        false,
        "the row's response per period as text, e.g. Curves' `curve`: hill(a=…, k=…, s=…)",
    ),
    each(
        "family",
        ValueType::Text,
        false,
        "instead of `curve`: hill, log, power or linear",
    ),
    each(
        "a",
        ValueType::Number,
        false,
        "with `family`: the curve's a",
    ),
    each(
        "k",
        ValueType::Number,
        false,
        "with `family`: the curve's k (hill, log)",
    ),
    each(
        "s",
        ValueType::Number,
        false,
        "with `family`: the curve's s (hill)",
    ),
    each(
        "b",
        ValueType::Number,
        false,
        "with `family`: the curve's b (power)",
    ),
    each(
        "cap",
        ValueType::Number,
        false,
        "with `family`: the curve's cap (linear)",
    ),
    once(
        "objective",
        ValueType::Text,
        false,
        "\"revenue\" (default), \"margin\" (margin × revenue − spend), \"pipeline\" (the curve's outcome), \"min_spend_for_revenue\" or \"min_spend_for_pipeline\"",
    ),
    once(
        "budget",
        ValueType::Number,
        false,
        "the most the plan may spend in total",
    ),
    once(
        "spend_all",
        ValueType::Bool,
        false,
        "spend the whole budget even where it returns less than it costs (default FALSE)",
    ),
    once(
        "target",
        ValueType::Number,
        false,
        "with min_spend_*: the revenue or pipeline to reach",
    ),
    each(
        "revenue_per_outcome",
        ValueType::Number,
        false,
        "revenue from one unit of the curve's outcome (e.g. won revenue per pipeline dollar); default 1",
    ),
    each(
        "margin",
        ValueType::Number,
        false,
        "contribution margin on revenue (for \"margin\"); default 100%",
    ),
    each(
        "lower",
        ValueType::Number,
        false,
        "the row's minimum (same units as spend)",
    ),
    each(
        "upper",
        ValueType::Number,
        false,
        "the row's maximum (same units as spend)",
    ),
    each(
        "pinned",
        ValueType::Bool,
        false,
        "keep the row at its current spend",
    ),
    each(
        "step",
        ValueType::Number,
        false,
        "the largest change from the current spend, either way",
    ),
    each(
        "capacity",
        ValueType::Number,
        false,
        "the most outcome a period the row can work (e.g. heads × pipeline one head works)",
    ),
    each(
        "demand_cap",
        ValueType::Number,
        false,
        "the most revenue a period the row's demand group can buy (a market ceiling)",
    ),
    each(
        "row_demand_cap",
        ValueType::Number,
        false,
        "the most revenue a period this row alone can sell (its own markets), beside any group's ceiling",
    ),
    each(
        "demand_group",
        ValueType::Any,
        false,
        "rows sharing one demand ceiling (default: the row alone)",
    ),
    each(
        "unit_cost",
        ValueType::Number,
        false,
        "the cost of one unit when spend counts units (heads); default 1",
    ),
    once("whole", ValueType::Bool, false, "whole units only (heads)"),
    once(
        "periods",
        ValueType::Number,
        false,
        "periods the plan covers: curves are per period, spend and budget are totals spread evenly; default 1",
    ),
    each(
        "observed_max",
        ValueType::Number,
        false,
        "the largest spend a period seen in the history: recommendations beyond 1.5× it are flagged",
    ),
];

static OUTPUTS: LazyLock<Vec<OutputColumn>> = LazyLock::new(|| {
    vec![
        output("family", ValueType::Text, None, None),
        output("a", ValueType::Number, Some("#,##0.00"), None),
        output("k", ValueType::Number, Some("#,##0.00"), None),
        output("s", ValueType::Number, Some("0.000"), None),
        output("b", ValueType::Number, Some("0.000"), None),
        output("cap", ValueType::Number, Some("#,##0.00"), None),
        output("curve", ValueType::Text, None, None),
        output("current", ValueType::Number, Some("currency"), None),
        output("recommended", ValueType::Number, Some("currency"), None),
        output("lower", ValueType::Number, Some("currency"), None),
        output("upper", ValueType::Number, Some("currency"), None),
        output(
            "marginal",
            ValueType::Number,
            Some("0.000"),
            Some(Better::Higher),
        ),
        output("binding", ValueType::Text, None, None),
        output("extrapolated", ValueType::Bool, None, None),
    ]
});

/// A recommendation this far beyond the largest spend seen is flagged.
const EXTRAPOLATION: f64 = 1.5;

impl Analysis for Optimize {
    fn name(&self) -> &'static str {
        "optimize"
    }
    fn summary(&self) -> &'static str {
        "the spend per row that maximizes revenue, margin or pipeline under a budget (or reaches a target for the least), with bounds, capacity and demand ceilings"
    }
    fn json_key(&self) -> &'static str {
        "allocation"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        &OUTPUTS
    }
    fn check(&self, call: &AnalysisCall<'_>) -> Vec<UsageProblem> {
        let has = |name: &str| call.args.iter().any(|(n, _)| *n == name);
        let mut problems = Vec::new();
        let parts = ["family", "a", "k", "s", "b", "cap"];
        match (has("curve"), has("family")) {
            (false, false) => problems.push(UsageProblem {
                message: format!("`{}` needs each row's response curve", call.table),
                hint: Some("add `curve = …` (a curve's text, e.g. from a fit_response table) or `family = …` with `a`, `k`, `s`, `b`, `cap`".into()),
            }),
            (true, true) => problems.push(UsageProblem {
                message: format!("`{}` is given a curve twice: `curve` and `family`", call.table),
                hint: Some("give either `curve` or `family` with its parameters".into()),
            }),
            (true, false) if parts[1..].iter().any(|p| has(p)) => problems.push(UsageProblem {
                message: format!("`{}`: curve parameters (a, k, s, b, cap) go with `family`, not with `curve`", call.table),
                hint: Some("remove them, or use `family` instead of `curve`".into()),
            }),
            _ => {}
        }
        if has("demand_group") && !has("demand_cap") {
            problems.push(UsageProblem {
                message: format!("`{}`: `demand_group` without `demand_cap`", call.table),
                hint: Some("add `demand_cap = …`: the group's ceiling".into()),
            });
        }
        problems
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let args = Args::new(input, PARAMETERS);
        let setup = setup(input, &args)?;
        let solution = solve(&setup.problem).map_err(|e| AnalysisError::new(e.0))?;
        check_budget_for_target(&setup, &solution)?;
        let mut notes = setup.notes.clone();
        notes.extend(explain(&setup, &solution));
        let rows = report_rows(&setup, &solution);
        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); OUTPUTS.len()];
        let mut extrapolated = Vec::new();
        for row in &rows {
            if row.extrapolated {
                extrapolated.push(format!(
                    "{} ({}× the largest period seen)",
                    row.label, row.extrapolation_ratio
                ));
            }
            let [a, k, s, b, cap] = row.curve.map_or([None; 5], |c| c.parameters());
            let values = [
                row.curve.map_or(Value::Blank, |c| Value::text(c.family())),
                optional_cell(a),
                optional_cell(k),
                optional_cell(s),
                optional_cell(b),
                optional_cell(cap),
                Value::text(&row.curve.map_or(String::new(), |c| c.to_string())),
                cell(row.current),
                cell(row.recommended),
                cell(row.lower),
                cell(row.upper),
                cell(row.marginal),
                Value::text(row.binding),
                Value::Bool(row.extrapolated),
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value);
            }
        }
        if !extrapolated.is_empty() {
            notes.push(format!(
                "the recommendation for {} goes beyond {EXTRAPOLATION}× the spend seen in the history; the curve is extrapolated there",
                list(&extrapolated)
            ));
        }
        let details = details(&setup, &solution, &rows);
        Ok(AnalysisResult {
            keys: input.keys.clone(),
            columns,
            notes,
            details: Some(details),
            charts: Vec::new(),
        })
    }
}

fn check_budget_for_target(setup: &Setup, solution: &Solution) -> Result<(), AnalysisError> {
    if let (Some(budget), true) = (setup.budget, setup.objective.minimizes_spend()) {
        let needed: f64 = solution.spend.iter().sum();
        if needed > budget * (1.0 + TOLERANCE) {
            return Err(AnalysisError::new(format!(
                "reaching the target {} needs {}; the budget is {} ({} short)",
                format_number(setup.target.unwrap_or(0.0)),
                format_number(needed),
                format_number(budget),
                format_number(needed - budget)
            ))
            .with_hint("raise the budget, lower the target, or loosen the rows' maximums"));
        }
    }
    Ok(())
}

/// One output row, in the decision's own units.
struct ReportRow {
    label: String,
    curve: Option<super::curve::Curve>,
    current: f64,
    recommended: f64,
    lower: f64,
    upper: f64,
    /// Objective per extra dollar at the recommendation.
    marginal: f64,
    binding: &'static str,
    extrapolated: bool,
    extrapolation_ratio: String,
}

fn report_rows(setup: &Setup, solution: &Solution) -> Vec<ReportRow> {
    let spend_cost = match setup.problem.goal {
        Goal::Maximize { spend_cost, .. } => spend_cost,
        Goal::MinSpend { .. } => 0.0,
    };
    let budget_binds = match setup.problem.goal {
        Goal::Maximize { .. } => {
            solution.price > spend_cost * (1.0 + 1e-12) && solution.price > 0.0
        }
        Goal::MinSpend { .. } => true,
    };
    setup
        .problem
        .rows
        .iter()
        .zip(&setup.decisions)
        .zip(&solution.spend)
        .zip(&solution.states)
        .map(|(((row, decision), &y), state)| {
            let c = decision.unit_cost;
            let marginal = if decision.curve.is_some() {
                row.weight * row.curve.slope(y) - spend_cost
            } else {
                f64::NAN
            };
            let mu = row
                .group
                .and_then(|g| solution.ceiling_prices.get(g).copied())
                .unwrap_or(0.0);
            let binding = match (decision.lower_limit, state) {
                (Limit::NoCurve, _) => "no curve",
                (Limit::Pinned, _) => "pinned",
                _ if row.lower >= row.upper => decision.upper_limit.word(),
                (_, RowState::AtUpper) => decision.upper_limit.word(),
                (_, RowState::AtLower) => decision.lower_limit.word(),
                _ if mu > 0.0 => "demand ceiling",
                _ if setup.objective.minimizes_spend() => "target",
                _ if budget_binds => "budget",
                _ if spend_cost > 0.0 => "break-even",
                _ => "saturated",
            };
            let per_period = y / (c * setup.periods);
            let ratio = decision
                .observed_max
                .filter(|m| *m > 0.0)
                .map(|m| per_period / m);
            ReportRow {
                label: decision.label.clone(),
                curve: decision.curve,
                current: decision.current_units,
                recommended: y / c,
                lower: row.lower / c,
                upper: row.upper / c,
                marginal,
                binding: if binding == "zero" { "zero" } else { binding },
                extrapolated: ratio.is_some_and(|r| r > EXTRAPOLATION),
                extrapolation_ratio: ratio.map_or(String::new(), |r| format!("{r:.1}")),
            }
        })
        .collect()
}

/// What the user must read: method, multiplier and certificate (or gap), unspent
/// budget and why.
fn explain(setup: &Setup, solution: &Solution) -> Vec<String> {
    let mut notes = Vec::new();
    let gap = gap(setup, solution);
    let method = solution.method.describe();
    let proof = match (solution.method, solution.certificate, solution.rounded) {
        (_, _, true) => format!(
            "rounded to whole units; within {} of the continuous optimum",
            format_number(gap)
        ),
        (Method::Concave | Method::Enumerated, Some(c), false) => format!(
            "certificate: every row's marginal return agrees with the multiplier to {c:.1e} (relative)"
        ),
        (Method::Envelope, _, false) if gap.is_finite() => format!(
            "optimality gap at most {} ({:.2e} relative)",
            format_number(gap),
            gap / solution.objective.abs().max(1.0)
        ),
        _ => "no optimality bound (demand ceilings with S-shaped curves)".to_string(),
    };
    notes.push(format!("method {method}; {proof}"));
    let spent: f64 = solution.spend.iter().sum();
    if let (Goal::Maximize { budget, .. }, false) =
        (setup.problem.goal, setup.objective.minimizes_spend())
    {
        let unspent = budget - spent;
        if unspent > TOLERANCE * budget.max(1.0) {
            notes.push(format!(
                "{} of the budget {} is left unspent: {}",
                format_number(unspent),
                format_number(budget),
                unspent_reason(setup, solution)
            ));
        }
    }
    notes
}

fn unspent_reason(setup: &Setup, solution: &Solution) -> String {
    let rows = &setup.problem.rows;
    let at_top: Vec<String> = rows
        .iter()
        .zip(&setup.decisions)
        .zip(&solution.states)
        .filter(|((r, _), s)| **s == RowState::AtUpper || r.lower >= r.upper)
        .map(|((_, d), _)| format!("{} ({})", d.label, d.upper_limit.word()))
        .collect();
    let ceilings: Vec<&str> = solution
        .ceiling_prices
        .iter()
        .enumerate()
        .filter(|(_, m)| **m > 0.0)
        .map(|(g, _)| setup.groups[g].as_str())
        .collect();
    let mut reasons = Vec::new();
    let pinned = setup
        .decisions
        .iter()
        .filter(|d| d.upper_limit == Limit::Pinned)
        .count();
    if pinned == rows.len() {
        reasons.push("every row is pinned".to_string());
    } else if at_top.len() == rows.len() {
        reasons.push(format!("every row is at its maximum: {}", list(&at_top)));
    } else if !at_top.is_empty() {
        reasons.push(format!("{} at their maximum", list(&at_top)));
    }
    if !ceilings.is_empty() {
        reasons.push(format!(
            "the demand ceiling of {} is reached",
            list(&ceilings.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
    }
    if setup.objective == Objective::Margin && at_top.len() < rows.len() {
        reasons.push("beyond this, a dollar returns less margin than it costs".to_string());
    } else if at_top.len() < rows.len() && ceilings.is_empty() {
        reasons.push(
            "the curves of the other rows are saturated (more spend returns nothing)".to_string(),
        );
    }
    reasons.join("; ")
}

/// How far the answer may be from the best (0 when exact).
fn gap(_setup: &Setup, solution: &Solution) -> f64 {
    if !solution.bound.is_finite() {
        return f64::NAN;
    }
    (solution.bound - solution.objective).abs()
}

fn details(setup: &Setup, solution: &Solution, rows: &[ReportRow]) -> serde_json::Value {
    let spend_cost = match setup.problem.goal {
        Goal::Maximize { spend_cost, .. } => spend_cost,
        Goal::MinSpend { .. } => 0.0,
    };
    let multiplier = match setup.problem.goal {
        Goal::Maximize { .. } => solution.price - spend_cost,
        Goal::MinSpend { .. } => {
            if solution.price > 0.0 {
                1.0 / solution.price
            } else {
                f64::NAN
            }
        }
    };
    let json_rows: Vec<serde_json::Value> = setup
        .problem
        .rows
        .iter()
        .zip(&setup.decisions)
        .zip(&solution.spend)
        .zip(rows)
        .enumerate()
        .map(|(i, (((row, decision), &y), report))| {
            let [a, k, s, b, cap] = row.curve.parameters();
            json!({
                "key": decision.label,
                "curve": if decision.curve.is_some() {
                    json!({ "family": row.curve.family(), "a": a, "k": k, "s": s, "b": b, "cap": cap })
                } else {
                    serde_json::Value::Null
                },
                "weight": row.weight,
                "ceiling_weight": row.ceiling_weight,
                "group": row.group.map(|g| setup.groups[g].clone()),
                "unit_cost": decision.unit_cost,
                "lower": row.lower,
                "upper": finite_json(row.upper),
                "current": setup.current[i],
                "recommended": y,
                "marginal": finite_json(report.marginal),
                "binding": report.binding,
            })
        })
        .collect();
    let groups: Vec<serde_json::Value> = setup
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let used: f64 = setup
                .problem
                .rows
                .iter()
                .zip(&solution.spend)
                .filter(|(r, _)| r.group == Some(g))
                .map(|(r, &y)| r.ceiling_weight * r.curve.value(y))
                .sum();
            json!({
                "group": name,
                "ceiling": setup.problem.ceilings[g],
                "used": used,
                "multiplier": solution.ceiling_prices.get(g).copied().unwrap_or(0.0),
            })
        })
        .collect();
    let spent: f64 = solution.spend.iter().sum();
    json!({
        "objective": setup.objective.name(),
        "budget": setup.budget,
        "target": if setup.objective.minimizes_spend() { setup.target } else { None },
        "spend_all": matches!(setup.problem.goal, Goal::Maximize { spend_all: true, .. }),
        "periods": setup.periods,
        "spend_cost": spend_cost,
        "value": solution.objective,
        "value_current": objective(&setup.problem, &setup.current),
        "outcome_value": value(&setup.problem, &solution.spend),
        "outcome_value_current": value(&setup.problem, &setup.current),
        "spent": spent,
        "multiplier": finite_json(multiplier),
        "method": solution.method.name(),
        "method_detail": solution.method.describe(),
        "whole_units": solution.rounded,
        "bound": finite_json(solution.bound),
        "gap": finite_json(gap(setup, solution)),
        "certificate": solution.certificate.and_then(|c| c.is_finite().then_some(c)),
        "rows": json_rows,
        "demand_groups": groups,
    })
}
