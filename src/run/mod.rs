//! A whole run: scenario → rules → inputs → evaluation → workbook, and the comparison
//! of several scenarios, reading each distinct set of inputs only once.

pub mod inputs;
pub mod json;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::data::{CacheUse, DataError, InputCache, InputData, read_inputs};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceMap;
use crate::eval::engine::{Baseline, EvalError, Evaluated, evaluate};
use crate::functions::CallContext;
use crate::lang::plan::Plan;
use crate::report::{
    self, ChartSpec as ReportChartSpec, CompareReport, DashboardSpec as ReportDashboard, FileHash,
    ParamRow, Provenance, ReportError, RunReport,
};
use crate::scenario::{self, Scenario};
use crate::value::datetime::serial_from_date;
use inputs::{InputRequest, request_for_plan};

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Rule or scenario problems: render them with the source map.
    #[error("the rules or the scenario have errors")]
    Diagnostics {
        sources: SourceMap,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(transparent)]
    Data(Box<DataError>),
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("{0}")]
    Other(String),
}

impl From<DataError> for RunError {
    fn from(error: DataError) -> Self {
        RunError::Data(Box::new(error))
    }
}

/// A scenario with its rules checked and compiled, ready to evaluate.
pub struct PreparedScenario {
    pub scenario: Scenario,
    pub sources: SourceMap,
    pub plan: Plan,
    pub rule_paths: Vec<PathBuf>,
    /// Warnings (errors stop preparation).
    pub warnings: Vec<Diagnostic>,
    pub request: InputRequest,
}

/// Loads a scenario, its rules, and checks both; nothing is read from the inputs.
pub fn prepare(path: &Path) -> Result<PreparedScenario, RunError> {
    let mut sources = SourceMap::new();
    let scenario = match scenario::load_scenario(path, &mut sources) {
        Ok(scenario) => scenario,
        Err(diagnostics) => {
            return Err(RunError::Diagnostics {
                sources,
                diagnostics,
            });
        }
    };
    let program = scenario::load_scenario_rules(&scenario, sources, &[]);
    let rule_paths: Vec<PathBuf> = program
        .files
        .iter()
        .map(|file| program.sources.path(file.file).to_path_buf())
        .collect();
    let mut diagnostics = program.diagnostics;
    let Some(plan) = program.plan else {
        return Err(RunError::Diagnostics {
            sources: program.sources,
            diagnostics,
        });
    };
    diagnostics.extend(scenario::check_against_plan(&scenario, &plan));
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(RunError::Diagnostics {
            sources: program.sources,
            diagnostics,
        });
    }
    let request = request_for_plan(&plan, &scenario.inputs);
    Ok(PreparedScenario {
        scenario,
        sources: program.sources,
        plan,
        rule_paths,
        warnings: diagnostics,
        request,
    })
}

/// Reads what a prepared scenario needs, through the input cache when one is given.
pub fn read(
    prepared: &PreparedScenario,
    cache: Option<&InputCache>,
) -> Result<(InputData, CacheUse), RunError> {
    let spec = &prepared.request.spec;
    let wanted = Some(&prepared.request.wanted);
    Ok(match cache {
        Some(cache) => cache.read_inputs(spec, Path::new("."), wanted)?,
        None => (read_inputs(spec, Path::new("."), wanted)?, CacheUse::Off),
    })
}

/// Evaluates a prepared scenario over its inputs (the tables are cloned, so one read
/// serves several scenarios).
pub fn execute(prepared: &PreparedScenario, data: &InputData) -> Result<Evaluated, RunError> {
    execute_tables(prepared, data.tables.clone())
}

/// Evaluates a prepared scenario, consuming the input tables.
pub fn execute_tables(
    prepared: &PreparedScenario,
    tables: Vec<crate::table::Table>,
) -> Result<Evaluated, RunError> {
    let (overrides, context) = evaluation_settings(prepared);
    Ok(evaluate(&prepared.plan, tables, &overrides, &context)?)
}

/// The scenario's param overrides and call context (its `as_of`), as `evaluate` takes them.
pub fn evaluation_settings(
    prepared: &PreparedScenario,
) -> (Vec<(String, crate::value::Value)>, CallContext) {
    let overrides = prepared
        .scenario
        .params
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    let context = CallContext {
        as_of: prepared.scenario.as_of.map(serial_from_date),
    };
    (overrides, context)
}

/// An evaluation with the input tables' columns dropped (their row counts kept): what a
/// comparison workbook needs, which shows only built (grouped and analysis) tables,
/// scalars and flags.
fn without_input_rows(plan: &crate::lang::plan::Plan, mut result: Evaluated) -> Evaluated {
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
    same_shape
        && a.rule_paths == b.rule_paths
        && matches!((texts(a), texts(b)), (Some(x), Some(y)) if x == y)
}

/// The report model of one evaluated scenario.
pub fn run_report<'a>(
    prepared: &'a PreparedScenario,
    data: &'a InputData,
    result: &'a Evaluated,
) -> Result<RunReport<'a>, RunError> {
    let params = prepared
        .plan
        .params
        .iter()
        .zip(&result.params)
        .map(|(param, (_, value))| {
            let source = match prepared
                .scenario
                .params
                .iter()
                .rev()
                .find(|p| p.name == *param.name)
            {
                Some(setting) => setting.source.display().to_string(),
                None => format!(
                    "default ({})",
                    prepared.sources.path(param.span.file).display()
                ),
            };
            ParamRow {
                name: param.name.to_string(),
                value: value.clone(),
                source,
            }
        })
        .collect();
    let hash_all = |paths: &[PathBuf]| -> Result<Vec<FileHash>, RunError> {
        paths
            .iter()
            .map(|p| {
                FileHash::of_file(p)
                    .map_err(|e| RunError::Other(format!("cannot read {}: {e}", p.display())))
            })
            .collect()
    };
    let provenance = Provenance {
        tool_version: format!("chanmix {}", env!("CARGO_PKG_VERSION")),
        scenario_files: hash_all(&prepared.scenario.chain)?,
        rule_files: hash_all(&prepared.rule_paths)?,
        input_files: data
            .files
            .iter()
            .map(|f| FileHash {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
            })
            .collect(),
        as_of: prepared.scenario.as_of,
    };
    Ok(RunReport {
        title: prepared.scenario.name.clone(),
        description: prepared.scenario.description.clone(),
        plan: &prepared.plan,
        result,
        params,
        quality: &data.quality,
        provenance,
        dashboard: dashboard_for(&prepared.scenario),
    })
}

/// The scenario's `[dashboard]` in the report's terms.
fn dashboard_for(scenario: &Scenario) -> ReportDashboard {
    let spec = &scenario.dashboard;
    ReportDashboard {
        title: spec.title.clone().unwrap_or_else(|| scenario.name.clone()),
        kpis: spec.kpis.clone().unwrap_or_default(),
        charts: spec
            .charts
            .iter()
            .map(|chart| ReportChartSpec {
                title: chart.title.clone().unwrap_or_else(|| chart.table.clone()),
                table: chart.table.clone(),
                kind: chart.kind,
                series: chart.series.clone(),
                secondary: chart.secondary.clone(),
                category: chart.category.clone(),
            })
            .collect(),
    }
}

/// Every file a run reads, which an output must never overwrite.
fn protected_paths(prepared: &PreparedScenario, data: &InputData) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = prepared.scenario.chain.clone();
    paths.extend(prepared.rule_paths.iter().cloned());
    paths.extend(data.files.iter().map(|f| f.path.clone()));
    paths
}

/// A clear error when the output's folder is missing (before any work is done).
fn check_output_folder(out: &Path) -> Result<(), RunError> {
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if folder.is_dir() {
        return Ok(());
    }
    if folder.exists() {
        return Err(RunError::Other(format!(
            "cannot write {}: {} is a file, not a folder — choose another path with -o",
            out.display(),
            folder.display()
        )));
    }
    Err(RunError::Other(format!(
        "cannot write {}: the folder {} does not exist — create it (mkdir -p {}) or choose another path with -o",
        out.display(),
        folder.display(),
        folder.display()
    )))
}

/// Prints how long each phase took when `CHANMIX_TIMINGS` is set (for profiling runs).
struct PhaseTimer {
    last: Option<std::time::Instant>,
}

impl PhaseTimer {
    fn from_env() -> Self {
        PhaseTimer {
            last: std::env::var_os("CHANMIX_TIMINGS").map(|_| std::time::Instant::now()),
        }
    }

    /// Each input column's storage shape and size.
    fn columns(&self, tables: &[crate::table::Table]) {
        if self.last.is_none() {
            return;
        }
        for table in tables {
            for column in &table.columns {
                eprintln!(
                    "timing:   {}.{:<20} {:<7} {:>8.1} MB",
                    table.name,
                    column.name,
                    column.data.shape_name(),
                    column.data.heap_bytes() as f64 / 1e6
                );
            }
        }
    }

    fn lap(&mut self, phase: &str) {
        if let Some(last) = self.last {
            eprintln!(
                "timing: {phase:<26} {:>8.3} s  (peak RSS {:.0} MiB)",
                last.elapsed().as_secs_f64(),
                crate::data::cache::peak_rss_mib()
            );
            self.last = Some(std::time::Instant::now());
        }
    }
}

/// What `chanmix run` produced.
pub struct RunSummary {
    pub workbook: Option<PathBuf>,
    pub json: Option<String>,
    pub result: Evaluated,
    pub warnings: Vec<Diagnostic>,
    pub sources: SourceMap,
    pub rows_read: Vec<(String, usize)>,
}

/// `chanmix run`: evaluate one scenario and write its workbook (and JSON if asked).
/// Inputs are read through `cache` when one is given.
pub fn run_scenario(
    path: &Path,
    output: Option<&Path>,
    want_json: bool,
    cache: Option<&InputCache>,
) -> Result<RunSummary, RunError> {
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(path)?;
    timer.lap("check rules and scenario");
    let out = output
        .map(Path::to_path_buf)
        .or_else(|| prepared.scenario.output.workbook.clone());
    match &out {
        Some(out) => check_output_folder(out)?,
        None if !want_json => {
            return Err(RunError::Other(format!(
                "{}: no output workbook: pass `-o OUT.xlsx` or set `[output] workbook = \"…\"` in the scenario",
                path.display()
            )));
        }
        None => {}
    }
    let (mut data, cache_use) = read(&prepared, cache)?;
    timer.lap(cache_use.describe());
    timer.columns(&data.tables);
    let rows_read: Vec<(String, usize)> = data
        .tables
        .iter()
        .map(|t| (t.name.to_string(), t.row_count))
        .collect();
    // One scenario: the tables move into the evaluation instead of being copied.
    let result = execute_tables(&prepared, std::mem::take(&mut data.tables))?;
    timer.lap("evaluate");
    let json = want_json
        .then(|| json::evaluated_to_json(&prepared.scenario.name, &prepared.plan, &result));
    if let Some(out) = &out {
        let report = run_report(&prepared, &data, &result)?;
        report::refuse_inputs(out, &protected_paths(&prepared, &data))?;
        report::write_run_workbook(&report, out)?;
        timer.lap("write workbook");
    }
    Ok(RunSummary {
        workbook: out,
        json,
        result,
        warnings: prepared.warnings,
        sources: prepared.sources,
        rows_read,
    })
}

/// `chanmix compare`: evaluate scenarios side by side; inputs are read once per
/// distinct reading plan (same files, sheets, columns and types), through `cache` when
/// one is given.
pub fn compare_scenarios(
    paths: &[PathBuf],
    output: &Path,
    cache: Option<&InputCache>,
) -> Result<Vec<(SourceMap, Vec<Diagnostic>)>, RunError> {
    if paths.len() < 2 {
        return Err(RunError::Other(
            "compare needs at least two scenario files".to_string(),
        ));
    }
    check_output_folder(output)?;
    let mut timer = PhaseTimer::from_env();
    // Scenarios are parsed and checked in parallel; the first failing one (in the
    // order given) is reported.
    let prepared: Vec<PreparedScenario> = {
        use rayon::prelude::*;
        let results: Vec<Result<PreparedScenario, RunError>> =
            paths.par_iter().map(|p| prepare(p)).collect();
        results.into_iter().collect::<Result<_, _>>()?
    };
    timer.lap("check rules and scenarios");
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
    let mut runs = Vec::new();
    let mut protected = Vec::new();
    for ((p, i), result) in prepared.iter().zip(&data_of).zip(&results) {
        runs.push(run_report(p, &datasets[*i], result)?);
        protected.extend(protected_paths(p, &datasets[*i]));
    }
    report::refuse_inputs(output, &protected)?;
    report::write_compare_workbook(&CompareReport { runs }, output)?;
    timer.lap("write workbook");
    Ok(prepared
        .into_iter()
        .filter(|p| !p.warnings.is_empty())
        .map(|p| (p.sources, p.warnings))
        .collect())
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
