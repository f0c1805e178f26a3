//! What changes between the scenarios of a comparison, worked out once for the compare
//! workbook and `compare --json`: the findings each scenario raises or clears against
//! the baseline, each built table's rows matched by key, and the columns that change.

use std::collections::{HashMap, HashSet};

use crate::eval::engine::FlagHit;
use crate::lang::ast::TemplatePart;
use crate::lang::plan::{ColumnPlan, Plan, TableId, TablePlan};
use crate::report::RunReport;
use crate::report::cells::display_text;
use crate::report::findings::recommendations;
use crate::report::layout::table_data;
use crate::table::Table;
use crate::value::{Value, ValueType};

/// A short, unique label per scenario (its name; "Scenario" without one), for column
/// headers and JSON keys.
pub fn scenario_labels(runs: &[RunReport]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    runs.iter()
        .map(|run| {
            let base = if run.title.is_empty() {
                "Scenario".to_string()
            } else {
                run.title.clone()
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base} ({n})")
            }
        })
        .collect()
}

/// The key figures compared: the baseline's dashboard KPIs, else every scalar.
pub fn compared_metrics(base: &RunReport) -> Vec<String> {
    if base.dashboard.kpis.is_empty() {
        base.plan
            .scalars
            .iter()
            .map(|s| s.name.to_string())
            .collect()
    } else {
        base.dashboard.kpis.clone()
    }
}

/// The findings of one scenario against the baseline's.
#[derive(Debug, Default)]
pub struct FlagChanges<'a> {
    /// Raised in this scenario, not in the baseline; most severe first, then by stake.
    pub raised: Vec<&'a FlagHit>,
    /// Raised in the baseline, not in this scenario; in the same order.
    pub cleared: Vec<&'a FlagHit>,
    /// Raised in both (their wording may carry other numbers).
    pub kept: usize,
}

/// What makes two findings "the same" across scenarios: the flag's table and fixed
/// wording (the template without its holes, which carry each run's numbers) and the
/// row's subject. Plans of different rule files still match when the flag reads the same.
fn finding_identity(plan: &Plan, hit: &FlagHit) -> String {
    let wording: String = plan
        .flags
        .get(hit.flag)
        .map(|flag| {
            flag.template
                .parts
                .iter()
                .map(|part| match part {
                    TemplatePart::Literal(text) => text.as_str(),
                    TemplatePart::Hole { .. } => "\u{1f}",
                })
                .collect()
        })
        .unwrap_or_else(|| hit.message.clone());
    format!(
        "{}\u{1e}{}\u{1e}{wording}",
        hit.table.to_lowercase(),
        hit.subject.to_lowercase()
    )
}

/// Most severe first, then the largest value at stake, then the subject.
fn sort_findings(findings: &mut [&FlagHit]) {
    findings.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| {
                let stake = |f: &FlagHit| f.stake.unwrap_or(f64::NEG_INFINITY);
                stake(b).total_cmp(&stake(a))
            })
            .then_with(|| a.subject.cmp(&b.subject))
    });
}

/// The findings (every severity but `data`) `other` raises and clears against `base`.
pub fn flag_changes<'a>(base: &RunReport<'a>, other: &RunReport<'a>) -> FlagChanges<'a> {
    let identities = |run: &RunReport<'a>| -> Vec<(String, &'a FlagHit)> {
        recommendations(&run.result.flags)
            .map(|hit| (finding_identity(run.plan, hit), hit))
            .collect()
    };
    let before = identities(base);
    let after = identities(other);
    let before_keys: HashSet<&str> = before.iter().map(|(k, _)| k.as_str()).collect();
    let after_keys: HashSet<&str> = after.iter().map(|(k, _)| k.as_str()).collect();
    let mut changes = FlagChanges::default();
    for (key, hit) in &after {
        if before_keys.contains(key.as_str()) {
            changes.kept += 1;
        } else {
            changes.raised.push(hit);
        }
    }
    for (key, hit) in &before {
        if !after_keys.contains(key.as_str()) {
            changes.cleared.push(hit);
        }
    }
    sort_findings(&mut changes.raised);
    sort_findings(&mut changes.cleared);
    changes
}

/// How many findings a compared scenario raises and clears against the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCounts {
    pub label: String,
    pub raised: usize,
    pub cleared: usize,
}

/// Per scenario after the baseline, its findings raised and cleared (for the console).
pub fn findings_summary(runs: &[RunReport]) -> Vec<FindingCounts> {
    let Some(base) = runs.first() else {
        return Vec::new();
    };
    runs.iter()
        .zip(scenario_labels(runs))
        .skip(1)
        .map(|(run, label)| {
            let changes = flag_changes(base, run);
            FindingCounts {
                label,
                raised: changes.raised.len(),
                cleared: changes.cleared.len(),
            }
        })
        .collect()
}

/// One built table across the scenarios, its rows matched by key (case-insensitively,
/// as groups are formed): the baseline's rows in order, then keys only other scenarios have.
pub struct AlignedTable<'r> {
    pub id: TableId,
    pub plan: &'r TablePlan,
    /// How many leading columns are the key.
    pub keys: usize,
    /// The table in each scenario.
    pub tables: Vec<&'r Table>,
    /// Each row's key values, in row order.
    pub rows: Vec<Vec<Value>>,
    /// Per scenario, the row index in that scenario's table of each row (None: the
    /// scenario has no such row).
    positions: Vec<Vec<Option<usize>>>,
    /// The numeric columns (numbers, or formulas giving a number or blank) whose value
    /// changes on some row between scenarios, in plan order.
    pub changed: Vec<&'r ColumnPlan>,
    /// The numeric columns no scenario changes.
    pub unchanged: usize,
}

impl<'r> AlignedTable<'r> {
    /// The value of `column` on `row` in scenario `scenario` (None: no such row there).
    pub fn value(&self, scenario: usize, row: usize, column: &str) -> Option<Value> {
        let position = (*self.positions.get(scenario)?.get(row)?)?;
        self.tables
            .get(scenario)?
            .column(column)?
            .value(position)
            .or(Some(Value::Blank))
    }

    /// Scenario `scenario` has row `row`.
    pub fn has_row(&self, scenario: usize, row: usize) -> bool {
        matches!(
            self.positions.get(scenario).and_then(|p| p.get(row)),
            Some(Some(_))
        )
    }
}

fn row_key(table: &Table, keys: usize, row: usize) -> String {
    table
        .columns
        .iter()
        .take(keys)
        .map(|c| display_text(&c.value(row).unwrap_or_default(), None).to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// The baseline's built tables that every scenario has and the workbook shows (not in
/// the baseline's `omit_tables`), aligned across `runs`.
pub fn aligned_tables<'r>(runs: &'r [RunReport<'r>]) -> Vec<AlignedTable<'r>> {
    let Some(base) = runs.first() else {
        return Vec::new();
    };
    let omitted: HashSet<String> = base
        .omitted_tables
        .iter()
        .map(|t| t.to_lowercase())
        .collect();
    base.plan
        .tables
        .iter()
        .enumerate()
        .filter(|(_, table)| table.is_built() && !omitted.contains(&table.name.to_lowercase()))
        .filter_map(|(id, table)| {
            let tables: Option<Vec<&Table>> = runs
                .iter()
                .map(|run| {
                    run.plan
                        .table_id(&table.name)
                        .and_then(|t| table_data(run, t))
                })
                .collect();
            Some(align(id, table, tables?))
        })
        .collect()
}

fn align<'r>(id: TableId, plan: &'r TablePlan, tables: Vec<&'r Table>) -> AlignedTable<'r> {
    let keys = plan.key_count().max(1);
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut found: Vec<Vec<(usize, usize)>> = Vec::new();
    for data in &tables {
        let mut here = Vec::new();
        for r in 0..data.row_count {
            let key = row_key(data, keys, r);
            let index = *index_of.entry(key).or_insert_with(|| {
                rows.push(
                    data.columns
                        .iter()
                        .take(keys)
                        .map(|c| c.value(r).unwrap_or_default())
                        .collect(),
                );
                rows.len() - 1
            });
            here.push((index, r));
        }
        found.push(here);
    }
    let positions: Vec<Vec<Option<usize>>> = found
        .iter()
        .map(|here| {
            let mut position = vec![None; rows.len()];
            // The first row of a key wins (keys are unique in grouped tables).
            for (index, r) in here.iter().rev() {
                if let Some(slot) = position.get_mut(*index) {
                    *slot = Some(*r);
                }
            }
            position
        })
        .collect();
    let numeric: Vec<&ColumnPlan> = plan
        .columns
        .iter()
        .skip(keys)
        .filter(|c| tables.iter().all(|t| t.column(&c.name).is_some()))
        // Numbers, and formulas that are a number or blank (`IF(won > 0, x, "")`).
        .filter(|c| {
            c.ty == ValueType::Number
                || (c.ty == ValueType::Any
                    && tables.iter().any(|t| {
                        t.column(&c.name).is_some_and(|col| {
                            col.values().iter().any(|v| matches!(v, Value::Number(_)))
                        })
                    }))
        })
        .collect();
    let mut aligned = AlignedTable {
        id,
        plan,
        keys,
        tables,
        rows,
        positions,
        changed: Vec::new(),
        unchanged: 0,
    };
    let scenarios = aligned.tables.len();
    for column in numeric {
        let differs = (0..aligned.rows.len()).any(|row| {
            let first = aligned.value(0, row, &column.name);
            (1..scenarios).any(|s| aligned.value(s, row, &column.name) != first)
        });
        if differs {
            aligned.changed.push(column);
        } else {
            aligned.unchanged += 1;
        }
    }
    aligned
}
