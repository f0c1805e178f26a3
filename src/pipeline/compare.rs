//! `chanmix compare`: several scenarios evaluated side by side into one workbook, each
//! distinct set of inputs read once, and scenarios that differ only in params sharing
//! one evaluation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::data::{InputCache, InputData};
use crate::eval::engine::{Baseline, Evaluated};
use crate::lang::plan::Plan;
use crate::report::{self, CompareReport};

use super::json::compare_to_json;
use super::outputs::{OutputKind, check_output};

use super::{
    CommandError, Diagnosed, PhaseTimer, PreparedScenario, evaluation_settings, execute_tables,
    prepare, read, run_report,
};

/// An evaluation with the input tables' columns dropped (their row counts kept): what a
/// comparison workbook needs, which shows only built (grouped and analysis) tables,
/// scalars and flags.
fn without_input_rows(plan: &Plan, mut result: Evaluated) -> Evaluated {
    for table in &mut result.tables {
        let built = plan
            .table_id(&table.name)
            .and_then(|id| plan.tables.get(id))
            .is_some_and(|t| t.is_built());
        if !built {
            table.columns = Vec::new();
        }
    }
    result
}

/// For each scenario, the first scenario it can share an evaluation with (itself when
/// none): the same rule files with the same text (so the same plan), the same inputs
/// and the same evaluation context; only params may differ.
fn families(prepared: &[PreparedScenario], data_of: &[usize]) -> Vec<usize> {
    let mut family_of: Vec<usize> = Vec::with_capacity(prepared.len());
    for (index, p) in prepared.iter().enumerate() {
        let (_, context) = evaluation_settings(p);
        let family = prepared[..index].iter().enumerate().find_map(|(j, q)| {
            let same = family_of.get(j) == Some(&j)
                && data_of.get(j) == data_of.get(index)
                && evaluation_settings(q).1.as_of.map(f64::to_bits)
                    == context.as_of.map(f64::to_bits)
                && same_rules(p, q);
            same.then_some(j)
        });
        family_of.push(family.unwrap_or(index));
    }
    family_of
}

/// Whether two scenarios' plans come from the same rule files with the same text, in
/// the same order (the plan is then the same: checking reads nothing else).
fn same_rules(a: &PreparedScenario, b: &PreparedScenario) -> bool {
    let texts = |p: &PreparedScenario| -> Option<Vec<String>> {
        p.rule_paths
            .iter()
            .map(|path| {
                // Rule files are loaded after the scenario files: the last with the path.
                p.sources
                    .files()
                    .filter(|(_, file)| file.path == *path)
                    .last()
                    .map(|(_, file)| file.text.clone())
            })
            .collect()
    };
    let same_shape = a.plan.order == b.plan.order
        && a.plan.tables.len() == b.plan.tables.len()
        && a.plan.params.len() == b.plan.params.len()
        && a.plan.scalars.len() == b.plan.scalars.len()
        && a.plan.flags.len() == b.plan.flags.len();
    // The scripts the rule files load (named relative to them, so the same files name
    // the same scripts; compared anyway, in case one changed between the two reads).
    let scripts = |p: &PreparedScenario| -> Vec<(PathBuf, String)> {
        p.sources
            .files()
            .filter(|(_, file)| crate::files::has_extension(&file.path, &["rhai"]))
            .map(|(_, file)| (file.path.clone(), file.text.clone()))
            .collect()
    };
    same_shape
        && a.rule_paths == b.rule_paths
        && matches!((texts(a), texts(b)), (Some(x), Some(y)) if x == y)
        && scripts(a) == scripts(b)
}
/// `chanmix compare`: evaluate scenarios side by side; inputs are read once per
/// distinct reading plan (same files, sheets, columns and types), through `cache` when
/// one is given.
/// Outputs chanmix did not write are replaced only with `force`.
pub fn compare_scenarios(
    paths: &[PathBuf],
    output: CompareOutput<'_>,
    cache: Option<&InputCache>,
) -> Result<CompareSummary, CommandError> {
    let force = output.force;
    if paths.len() < 2 {
        return Err(CommandError::TooFewScenarios);
    }
    let mut timer = PhaseTimer::from_env();
    // Scenarios are parsed and checked in parallel; the first failing one (in the
    // order given) is reported.
    let prepared: Vec<PreparedScenario> = {
        use rayon::prelude::*;
        let results: Vec<Result<PreparedScenario, CommandError>> =
            paths.par_iter().map(|p| prepare(p)).collect();
        results.into_iter().collect::<Result<_, _>>()?
    };
    timer.lap("check rules and scenarios");
    let inputs: Vec<PathBuf> = prepared.iter().flat_map(|p| p.input_paths()).collect();
    if let Some(workbook) = output.workbook {
        check_output(workbook, OutputKind::Workbook, force, &inputs)?;
    }
    let mut read_already: HashMap<String, usize> = HashMap::new();
    let mut datasets: Vec<InputData> = Vec::new();
    let mut data_of: Vec<usize> = Vec::new();
    for p in &prepared {
        let key = format!("{:?}|{:?}", p.request.spec, p.request.wanted);
        let index = match read_already.get(&key) {
            Some(i) => *i,
            None => {
                datasets.push(read(p, cache)?.0);
                read_already.insert(key, datasets.len() - 1);
                datasets.len() - 1
            }
        };
        data_of.push(index);
    }
    timer.lap("read inputs");
    // One scenario at a time, keeping only what the comparison shows (grouped tables,
    // scalars, flags): ten scenarios over a million rows must not hold ten copies of
    // the input tables. The last scenario on a dataset takes its tables instead of a copy.
    let mut uses_left = vec![0usize; datasets.len()];
    for i in &data_of {
        if let Some(n) = uses_left.get_mut(*i) {
            *n += 1;
        }
    }
    // Scenarios that differ only in params share one evaluation: the first of a family
    // is evaluated fully and kept; the others compute again only what their params reach.
    let family_of = families(&prepared, &data_of);
    let mut members_left = vec![0usize; prepared.len()];
    for family in &family_of {
        if let Some(n) = members_left.get_mut(*family) {
            *n += 1;
        }
    }
    let mut baselines: HashMap<usize, Baseline<'_>> = HashMap::new();
    let mut results: Vec<Evaluated> = Vec::with_capacity(prepared.len());
    for (index, (p, i)) in prepared.iter().zip(&data_of).enumerate() {
        let family = family_of.get(index).copied().unwrap_or(index);
        let more_in_family = members_left.get_mut(family).map_or(0, |n| {
            *n -= 1;
            *n
        });
        let result = match baselines.get(&family) {
            Some(baseline) => {
                let (overrides, context) = evaluation_settings(p);
                let result = baseline.variant(&overrides, &context)?;
                if more_in_family == 0 {
                    baselines.remove(&family);
                }
                result
            }
            None => {
                let (Some(left), Some(data)) = (uses_left.get_mut(*i), datasets.get_mut(*i)) else {
                    continue;
                };
                *left = left.saturating_sub(more_in_family + 1);
                let tables = if *left == 0 {
                    std::mem::take(&mut data.tables)
                } else {
                    data.tables.clone()
                };
                if more_in_family == 0 {
                    execute_tables(p, tables)?
                } else {
                    let (overrides, context) = evaluation_settings(p);
                    let (baseline, result) =
                        Baseline::evaluate(&p.plan, tables, &overrides, &context)?;
                    baselines.insert(family, baseline);
                    result
                }
            }
        };
        results.push(without_input_rows(&p.plan, result));
        timer.lap(if family == index {
            "evaluate (full)"
        } else {
            "evaluate (changed params)"
        });
    }
    let runs = prepared
        .iter()
        .zip(&data_of)
        .zip(&results)
        .filter_map(|((p, i), result)| Some(run_report(p, datasets.get(*i)?, result)))
        .collect::<Result<_, _>>()?;
    let report = CompareReport { runs };
    let findings = report::differences::findings_summary(&report.runs);
    let json = output.json.then(|| compare_to_json(&report));
    let mut shortened = Vec::new();
    if let Some(workbook) = output.workbook {
        // What is at the output path may have changed while the inputs were read.
        check_output(workbook, OutputKind::Workbook, force, &inputs)?;
        // Refuses to overwrite any scenario, rule or input file of the runs.
        shortened = report::write_compare_workbook(&report, workbook)?;
        timer.lap("write workbook");
    }
    let warnings = prepared
        .into_iter()
        .filter(|p| !p.warnings.is_empty())
        .map(|p| Diagnosed {
            sources: p.sources,
            diagnostics: p.warnings,
        })
        .collect();
    Ok(CompareSummary {
        warnings,
        shortened,
        json,
        findings,
    })
}

/// Where `compare` writes: a workbook, JSON on stdout, or both.
#[derive(Debug, Clone, Copy)]
pub struct CompareOutput<'p> {
    pub workbook: Option<&'p Path>,
    pub json: bool,
    /// Replace a workbook chanmix did not write (never a link or a device).
    pub force: bool,
}

/// What `chanmix compare` produced besides its workbook.
pub struct CompareSummary {
    /// Warnings of each scenario that has some.
    pub warnings: Vec<Diagnosed>,
    /// Texts shortened to fit their cells.
    pub shortened: Vec<report::Shortened>,
    /// The comparison as JSON (`--json`).
    pub json: Option<String>,
    /// Per compared scenario: its label and how many findings it raises and clears
    /// against the baseline.
    pub findings: Vec<report::differences::FindingCounts>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_share_an_evaluation_only_with_the_same_rules_inputs_and_as_of() {
        let dir = tempfile::tempdir().unwrap();
        let rules = "input Deals (channel: text, amount: number)\n\
                     param margin = 50%\n\
                     Deals.net = amount * margin\n";
        std::fs::write(dir.path().join("a.rules"), rules).unwrap();
        std::fs::create_dir(dir.path().join("copy")).unwrap();
        std::fs::write(dir.path().join("copy/a.rules"), rules).unwrap();
        let scenario = |name: &str, rules: &str, margin: &str, as_of: &str| {
            let path = dir.path().join(format!("{name}.toml"));
            let text = format!(
                "name = \"{name}\"\nrules = [\"{rules}\"]\nas_of = {as_of}\n\
                 [inputs]\nworkbook = \"data.xlsx\"\n[params]\nmargin = \"{margin}\"\n"
            );
            std::fs::write(&path, text).unwrap();
            match prepare(&path) {
                Ok(prepared) => prepared,
                Err(error) => panic!("{name} does not prepare: {error}"),
            }
        };
        let prepared = vec![
            scenario("s0", "a.rules", "60%", "2026-06-30"),
            scenario("s1", "a.rules", "70%", "2026-06-30"),
            // The same text under another path: not known to be the same plan.
            scenario("s2", "copy/a.rules", "70%", "2026-06-30"),
            scenario("s3", "a.rules", "70%", "2026-12-31"),
            // Other inputs (see `data_of` below).
            scenario("s4", "a.rules", "70%", "2026-06-30"),
            scenario("s5", "a.rules", "50%", "2026-06-30"),
            scenario("s6", "copy/a.rules", "50%", "2026-06-30"),
        ];
        let data_of = [0, 0, 0, 0, 1, 0, 0];
        assert_eq!(families(&prepared, &data_of), [0, 0, 2, 3, 4, 0, 2]);
    }
}
