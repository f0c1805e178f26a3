//! From `optimize`'s arguments to the solver's problem: each decision row's curve
//! (scaled to money over the whole plan), its bounds and which constraint sets each,
//! demand groups, and every conflict between constraints worded with the rows and the
//! amounts involved — before anything is solved.

use std::collections::HashMap;

use super::args::{Args, describe, label};
use super::curve::Curve;
use super::fit::{format_number, plural};
use super::solver::{Goal, Problem, Row};
use crate::lang::analysis::{AnalysisError, AnalysisInput};
use crate::value::Value;

/// What the plan optimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    Revenue,
    Margin,
    Pipeline,
    MinSpendForRevenue,
    MinSpendForPipeline,
}

pub const OBJECTIVES: &str = "\"revenue\", \"margin\", \"pipeline\", \"min_spend_for_revenue\" or \"min_spend_for_pipeline\"";

impl Objective {
    pub fn parse(text: &str) -> Option<Objective> {
        Some(
            match text
                .trim()
                .to_ascii_lowercase()
                .replace([' ', '-'], "_")
                .as_str()
            {
                "revenue" => Objective::Revenue,
                "margin" => Objective::Margin,
                "pipeline" | "outcome" => Objective::Pipeline,
                "min_spend_for_revenue" => Objective::MinSpendForRevenue,
                "min_spend_for_pipeline" | "min_spend_for_outcome" => {
                    Objective::MinSpendForPipeline
                }
                _ => return None,
            },
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Objective::Revenue => "revenue",
            Objective::Margin => "margin",
            Objective::Pipeline => "pipeline",
            Objective::MinSpendForRevenue => "min_spend_for_revenue",
            Objective::MinSpendForPipeline => "min_spend_for_pipeline",
        }
    }

    pub fn minimizes_spend(self) -> bool {
        matches!(
            self,
            Objective::MinSpendForRevenue | Objective::MinSpendForPipeline
        )
    }
}

/// Why a bound is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Zero,
    Minimum,
    Maximum,
    Step,
    Capacity,
    /// The row's own demand ceiling (`row_demand_cap`), as a spend.
    DemandCeiling,
    Pinned,
    NoCurve,
    Unbounded,
}

impl Limit {
    pub fn word(self) -> &'static str {
        match self {
            Limit::Zero => "zero",
            Limit::Minimum => "minimum",
            Limit::Maximum => "maximum",
            Limit::Step => "step",
            Limit::Capacity => "capacity",
            Limit::DemandCeiling => "demand ceiling",
            Limit::Pinned => "pinned",
            Limit::NoCurve => "no curve",
            Limit::Unbounded => "none",
        }
    }
}

/// One decision row as the analysis knows it (money over the plan, unless said).
#[derive(Debug, Clone)]
pub struct Decision {
    pub label: String,
    /// The curve per period, in the decision's own units, as given.
    pub curve: Option<Curve>,
    /// The current decision, in its own units (the `spend` argument).
    pub current_units: f64,
    pub unit_cost: f64,
    pub lower_limit: Limit,
    pub upper_limit: Limit,
    /// Largest spend per period seen in the history (extrapolation check).
    pub observed_max: Option<f64>,
}

/// The problem and everything needed to report on it.
#[derive(Debug, Clone)]
pub struct Setup {
    pub objective: Objective,
    pub periods: f64,
    pub problem: Problem,
    pub decisions: Vec<Decision>,
    /// Current spend in money over the plan, per row.
    pub current: Vec<f64>,
    pub groups: Vec<String>,
    pub budget: Option<f64>,
    pub target: Option<f64>,
    pub notes: Vec<String>,
}

/// Reads the rows' curve: `curve` text, or `family` with `a`, `k`, `s`, `b`, `cap`.
fn curve_of(args: &Args<'_>, row: usize, name: &str) -> Result<Option<Curve>, AnalysisError> {
    if args.given("curve").is_some() {
        return match args.at("curve", row) {
            Value::Text(t) if !t.trim().is_empty() => Curve::parse(t)
                .map(Some)
                .map_err(|e| AnalysisError::new(format!("the curve of {name}: {e}"))),
            Value::Text(_) | Value::Blank | Value::Error(_) => Ok(None),
            other => Err(AnalysisError::new(format!(
                "the curve of {name} is {}, not a curve's text",
                describe(other)
            ))),
        };
    }
    let family = match args.at("family", row) {
        Value::Text(t) if !t.trim().is_empty() => t.to_string(),
        _ => return Ok(None),
    };
    let mut values: HashMap<&str, f64> = HashMap::new();
    for parameter in ["a", "k", "s", "b", "cap"] {
        if let Some(v) = args.number_at(parameter, row, name)? {
            values.insert(parameter, v);
        }
    }
    Curve::from_parts(&family, |p| values.get(p).copied())
        .map(Some)
        .map_err(|e| AnalysisError::new(format!("the curve of {name}: {e}")))
}

pub fn setup(input: &AnalysisInput<'_>, args: &Args<'_>) -> Result<Setup, AnalysisError> {
    let objective_text = args
        .once_text("objective")?
        .unwrap_or_else(|| "revenue".into());
    let objective = Objective::parse(&objective_text).ok_or_else(|| {
        AnalysisError::new(format!("`{objective_text}` is not an objective"))
            .with_hint(format!("objective is {OBJECTIVES}"))
    })?;
    let periods = match args.once_number("periods")? {
        Some(p) if p > 0.0 => p,
        Some(p) => {
            return Err(AnalysisError::new(format!(
                "`periods` is {p}; the plan covers at least one period"
            )));
        }
        None => 1.0,
    };
    let budget = args.once_number("budget")?;
    let target = args.once_number("target")?;
    let spend_all = args.once_bool("spend_all")?.unwrap_or(false);
    let whole = args.once_bool("whole")?.unwrap_or(false);
    if let Some(b) = budget
        && b < 0.0
    {
        return Err(AnalysisError::new(format!(
            "the budget is {}; it cannot be negative",
            format_number(b)
        )));
    }
    let goal = if objective.minimizes_spend() {
        let Some(target) = target else {
            return Err(AnalysisError::new(format!(
                "the objective `{}` needs `target`: the {} the plan must reach",
                objective.name(),
                if objective == Objective::MinSpendForRevenue {
                    "revenue"
                } else {
                    "pipeline"
                }
            ))
            .with_hint("add `target = …` inside the brackets"));
        };
        // The budget is checked against the cheapest plan afterwards, to say by how much.
        Goal::MinSpend {
            target,
            budget: None,
        }
    } else {
        let Some(budget) = budget else {
            return Err(AnalysisError::new(format!(
                "the objective `{}` needs `budget`: the total the plan may spend",
                objective.name()
            ))
            .with_hint("add `budget = …` inside the brackets"));
        };
        Goal::Maximize {
            budget,
            spend_all,
            spend_cost: if objective == Objective::Margin {
                1.0
            } else {
                0.0
            },
        }
    };

    let mut notes = Vec::new();
    let mut decisions = Vec::with_capacity(input.rows);
    let mut rows = Vec::with_capacity(input.rows);
    let mut current = Vec::with_capacity(input.rows);
    let mut group_index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<String> = Vec::new();
    let mut ceilings: Vec<(f64, String)> = Vec::new();
    let mut blank_spend = Vec::new();
    let mut no_curve = Vec::new();
    for row in 0..input.rows {
        let name = label(&input.keys, row);
        let x0 = match args.number_at("spend", row, &name)? {
            Some(x) if x < 0.0 => {
                return Err(AnalysisError::new(format!(
                    "the current spend of {name} is {}; spend cannot be negative",
                    format_number(x)
                ))
                .with_hint(
                    "check the costs behind it (a refund or a correction booked as spend?)",
                ));
            }
            Some(x) => x,
            None => {
                blank_spend.push(name.clone());
                0.0
            }
        };
        let unit_cost = match args.number_at("unit_cost", row, &name)? {
            Some(c) if c > 0.0 => c,
            Some(c) => {
                return Err(AnalysisError::new(format!(
                    "the unit cost of {name} is {}; it must be above 0",
                    format_number(c)
                )));
            }
            None => 1.0,
        };
        let rpo = args
            .number_at("revenue_per_outcome", row, &name)?
            .unwrap_or(1.0);
        let margin = args.number_at("margin", row, &name)?.unwrap_or(1.0);
        if rpo < 0.0 {
            return Err(AnalysisError::new(format!(
                "the revenue per outcome of {name} is {rpo}; it cannot be negative"
            )));
        }
        let weight = match objective {
            Objective::Revenue | Objective::MinSpendForRevenue => rpo,
            Objective::Margin => margin * rpo,
            Objective::Pipeline | Objective::MinSpendForPipeline => 1.0,
        };
        let curve = curve_of(args, row, &name)?;
        let pinned = args.bool_at("pinned", row, &name)?;
        let y0 = x0 * unit_cost;
        // Bounds in the decision's units, then money.
        let (mut lo, mut lo_limit) = (0.0, Limit::Zero);
        let (mut hi, mut hi_limit) = (f64::INFINITY, Limit::Unbounded);
        if let Some(l) = args.number_at("lower", row, &name)?
            && l > lo
        {
            (lo, lo_limit) = (l, Limit::Minimum);
        }
        if let Some(u) = args.number_at("upper", row, &name)? {
            (hi, hi_limit) = (u, Limit::Maximum);
        }
        if lo > hi {
            return Err(AnalysisError::new(format!(
                "{name}: its minimum {} is above its maximum {}",
                format_number(lo),
                format_number(hi)
            )));
        }
        if let Some(step) = args.number_at("step", row, &name)? {
            if step < 0.0 {
                return Err(AnalysisError::new(format!(
                    "{name}: its step limit is {}; it cannot be negative",
                    format_number(step)
                )));
            }
            if x0 - step > lo {
                (lo, lo_limit) = (x0 - step, Limit::Step);
            }
            if x0 + step < hi {
                (hi, hi_limit) = (x0 + step, Limit::Step);
            }
            if lo > hi {
                return Err(AnalysisError::new(format!(
                    "{name}: a change of at most {} from its current {} cannot reach its bounds ({} to {})",
                    format_number(step),
                    format_number(x0),
                    format_number(args.number_at("lower", row, &name)?.unwrap_or(0.0)),
                    args.number_at("upper", row, &name)?
                        .map_or("no maximum".to_string(), format_number)
                )));
            }
        }
        if let (Some(cap), Some(c)) = (args.number_at("capacity", row, &name)?, curve) {
            if cap < 0.0 {
                return Err(AnalysisError::new(format!(
                    "{name}: its capacity is {}; it cannot be negative",
                    format_number(cap)
                )));
            }
            let top = c.spend_for(cap) * periods;
            if top < lo * (1.0 - 1e-12) && !pinned {
                return Err(AnalysisError::new(format!(
                    "{name}: its capacity ({} a period) is reached at {}, below its minimum {}",
                    format_number(cap),
                    format_number(top),
                    format_number(lo)
                ))
                .with_hint("raise the capacity (more heads) or lower the minimum"));
            }
            if top < hi {
                (hi, hi_limit) = (top, Limit::Capacity);
            }
        }
        // The row's own demand ceiling is a ceiling on its revenue alone, so it is an
        // upper bound on its spend (the curve rises): it holds beside a group's ceiling.
        if let (Some(cap), Some(c)) = (args.number_at("row_demand_cap", row, &name)?, curve) {
            if cap < 0.0 {
                return Err(AnalysisError::new(format!(
                    "{name}: its demand ceiling is {}; it cannot be negative",
                    format_number(cap)
                )));
            }
            if rpo > 0.0 {
                let top = c.spend_for(cap / rpo) * periods;
                if top < lo * (1.0 - 1e-12) && !pinned {
                    return Err(AnalysisError::new(format!(
                        "{name}: its demand ceiling ({} a period) is reached at {}, below its minimum {}",
                        format_number(cap),
                        format_number(top),
                        format_number(lo)
                    ))
                    .with_hint("lower the minimum, or check the demand behind the ceiling"));
                }
                if top < hi {
                    (hi, hi_limit) = (top, Limit::DemandCeiling);
                }
            }
        }
        if pinned {
            (lo, hi, lo_limit, hi_limit) = (x0, x0, Limit::Pinned, Limit::Pinned);
        }
        let Some(curve_per_period) = curve else {
            no_curve.push(name.clone());
            (lo, hi, lo_limit, hi_limit) = (x0, x0, Limit::NoCurve, Limit::NoCurve);
            rows.push(Row {
                curve: Curve::Linear { a: 0.0, cap: None },
                weight: 0.0,
                ceiling_weight: 0.0,
                lower: lo * unit_cost,
                upper: hi * unit_cost,
                group: None,
                unit: None,
            });
            current.push(y0);
            let observed_max = args.number_at("observed_max", row, &name)?;
            decisions.push(Decision {
                label: name,
                curve: None,
                current_units: x0,
                unit_cost,
                lower_limit: lo_limit,
                upper_limit: hi_limit,
                observed_max,
            });
            continue;
        };
        // Demand ceiling group.
        let group = match args.number_at("demand_cap", row, &name)? {
            Some(cap) => {
                let group_name = match args.at("demand_group", row) {
                    Value::Blank => name.clone(),
                    v => v
                        .to_text()
                        .map(|t| t.to_string())
                        .unwrap_or_else(|_| describe(v)),
                };
                let id = group_name.to_lowercase();
                let g = match group_index.get(&id) {
                    Some(&g) => {
                        let (previous, first_row) = &ceilings[g];
                        if (previous - cap * periods).abs() > 1e-9 * previous.abs().max(1.0) {
                            return Err(AnalysisError::new(format!(
                                "demand group {group_name} has two ceilings: {} on {first_row} and {} on {name}",
                                format_number(previous / periods),
                                format_number(cap)
                            ))
                            .with_hint("give every row of a demand group the same demand_cap"));
                        }
                        g
                    }
                    None => {
                        if cap < 0.0 {
                            return Err(AnalysisError::new(format!(
                                "demand group {group_name}'s ceiling is {}; it cannot be negative",
                                format_number(cap)
                            )));
                        }
                        group_index.insert(id, groups.len());
                        groups.push(group_name);
                        ceilings.push((cap * periods, name.clone()));
                        groups.len() - 1
                    }
                };
                Some(g)
            }
            None => None,
        };
        rows.push(Row {
            curve: curve_per_period.scaled(periods, unit_cost),
            weight,
            ceiling_weight: rpo,
            lower: lo * unit_cost,
            upper: hi * unit_cost,
            group,
            unit: whole.then_some(unit_cost),
        });
        current.push(y0);
        decisions.push(Decision {
            label: name.clone(),
            curve: Some(curve_per_period),
            current_units: x0,
            unit_cost,
            lower_limit: lo_limit,
            upper_limit: hi_limit,
            observed_max: args.number_at("observed_max", row, &name)?,
        });
    }
    if !blank_spend.is_empty() {
        notes.push(format!(
            "no current spend for {} (blank): counted as 0",
            list(&blank_spend)
        ));
    }
    if !no_curve.is_empty() {
        notes.push(format!(
            "{} no response curve, so {} kept at {} current spend",
            if no_curve.len() == 1 {
                format!("{} has", no_curve[0])
            } else {
                format!("{} have", list(&no_curve))
            },
            if no_curve.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if no_curve.len() == 1 { "its" } else { "their" },
        ));
    }
    let problem = Problem {
        rows,
        ceilings: ceilings.iter().map(|(c, _)| *c).collect(),
        goal,
    };
    let setup = Setup {
        objective,
        periods,
        problem,
        decisions,
        current,
        groups,
        budget,
        target,
        notes,
    };
    check_feasible(&setup)?;
    Ok(setup)
}

pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Constraints that cannot all hold, said with the amounts behind them.
fn check_feasible(setup: &Setup) -> Result<(), AnalysisError> {
    let rows = &setup.problem.rows;
    let minimums: f64 = rows.iter().map(|r| r.lower).sum();
    let by_limit = |limit: Limit| -> f64 {
        rows.iter()
            .zip(&setup.decisions)
            .filter(|(_, d)| d.lower_limit == limit)
            .map(|(r, _)| r.lower)
            .sum()
    };
    let parts: Vec<String> = [
        (Limit::Pinned, "pinned rows"),
        (Limit::NoCurve, "rows without a curve"),
        (Limit::Minimum, "minimums"),
        (Limit::Step, "step limits"),
    ]
    .iter()
    .filter_map(|&(limit, words)| {
        let amount = by_limit(limit);
        (amount > 0.0).then(|| format!("{words} {}", format_number(amount)))
    })
    .collect();
    let budget = setup.budget;
    if let Some(b) = budget
        && minimums > b * (1.0 + 1e-12)
    {
        return Err(AnalysisError::new(format!(
            "the minimums add to {}; the budget is {} ({} short)",
            format_number(minimums),
            format_number(b),
            format_number(minimums - b)
        ))
        .with_hint(format!(
            "the minimums are made up of {}; raise the budget or lower the minimums",
            list(&parts)
        )));
    }
    // Demand ceilings already exceeded at the minimums.
    for (g, &cap) in setup.problem.ceilings.iter().enumerate() {
        let at_minimum: f64 = rows
            .iter()
            .filter(|r| r.group == Some(g))
            .map(|r| r.ceiling_weight * r.curve.value(r.lower))
            .sum();
        if at_minimum > cap * (1.0 + 1e-9) {
            let members: Vec<String> = rows
                .iter()
                .zip(&setup.decisions)
                .filter(|(r, _)| r.group == Some(g))
                .map(|(_, d)| d.label.clone())
                .collect();
            return Err(AnalysisError::new(format!(
                "demand group {}: at their minimums {} already sell {} a period; its ceiling is {}",
                setup.groups[g],
                list(&members),
                format_number(at_minimum / setup.periods),
                format_number(cap / setup.periods)
            ))
            .with_hint("lower those rows' minimums or raise the demand ceiling"));
        }
    }
    if let Goal::MinSpend { target, .. } = setup.problem.goal {
        let best: f64 = rows.iter().map(|r| r.weight * r.curve.value(r.upper)).sum();
        if best < target * (1.0 - 1e-12) && setup.problem.ceilings.is_empty() {
            let what = if setup.objective == Objective::MinSpendForRevenue {
                "revenue"
            } else {
                "pipeline"
            };
            let capped: Vec<String> = rows
                .iter()
                .zip(&setup.decisions)
                .filter(|(r, _)| r.upper.is_finite())
                .map(|(_, d)| d.label.clone())
                .collect();
            return Err(AnalysisError::new(format!(
                "the {what} target {} is out of reach: with every row at its maximum the plan reaches {} ({} short)",
                format_number(target),
                format_number(best),
                format_number(target - best)
            ))
            .with_hint(if capped.is_empty() {
                "the curves saturate below the target: lower the target".to_string()
            } else {
                format!(
                    "{} at {} maximum ({}): raise the maximums or lower the target",
                    plural(capped.len(), "row"),
                    if capped.len() == 1 { "its" } else { "their" },
                    list(&capped)
                )
            }));
        }
    }
    Ok(())
}
