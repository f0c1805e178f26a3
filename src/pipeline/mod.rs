//! The whole job behind each command, from scenario to workbook: prepare (scenario,
//! rules, checks), read the inputs (through the cache), evaluate, write the workbook;
//! the comparison of several scenarios; `check`, `fmt` and `--json` for the CLI to print.

pub mod check;
pub mod compare;
pub mod error;
pub mod fmt;
pub mod init;
pub mod inputs;
pub mod json;
pub mod outputs;

use std::path::{Path, PathBuf};

use crate::analysis;
use crate::data::{CacheUse, InputCache, InputData, read_inputs};
use crate::diagnostic::source::SourceMap;
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::engine::{EvalError, Evaluated, evaluate, evaluate_timed};
use crate::functions::CallContext;
use crate::lang::plan::{ParamId, Plan};
use crate::lang::program::ReadError;
use crate::report::{
    self, ChartSpec as ReportChartSpec, DashboardSpec as ReportDashboard, FileHash, ParamSource,
    Provenance, RunReport,
};
use crate::scenario::{self, Scenario};
use crate::value::Value;
use crate::value::datetime::serial_from_date;
use inputs::{InputRequest, request_for_plan};

pub use compare::{CompareOutput, CompareSummary, compare_scenarios};
pub use error::{CommandError, Diagnosed, render_error};

/// A scenario with its rules checked and compiled, ready to evaluate.
pub struct PreparedScenario {
    pub scenario: Scenario,
    pub sources: SourceMap,
    pub plan: Plan,
    pub rule_paths: Vec<PathBuf>,
    /// The scenario's `[params]`, each resolved to the plan's param once.
    pub params: Vec<ScenarioParam>,
    /// Warnings (errors stop preparation).
    pub warnings: Vec<Diagnostic>,
    pub request: InputRequest,
    /// The functions of the scripts the rules load, for what went wrong in their calls.
    pub scripts: Vec<std::sync::Arc<crate::script::ScriptFunction>>,
}

/// One `[params]` override of a scenario, resolved to the plan's param.
#[derive(Debug, Clone)]
pub struct ScenarioParam {
    pub param: ParamId,
    pub value: Value,
    /// The scenario file that set the value.
    pub source: PathBuf,
}

impl PreparedScenario {
    /// Every file the scenario's run reads: its scenario files, rule files and input
    /// files (none of which an output may replace).
    pub fn input_paths(&self) -> Vec<PathBuf> {
        let inputs = &self.scenario.inputs;
        self.scenario
            .chain
            .iter()
            .chain(&self.rule_paths)
            .chain(&inputs.workbook)
            .chain(inputs.tables.values().filter_map(|t| t.file.as_ref()))
            .cloned()
            .collect()
    }
}

/// Loads a scenario, its rules, and checks both; nothing is read from the inputs.
pub fn prepare(path: &Path) -> Result<PreparedScenario, CommandError> {
    let mut sources = SourceMap::new();
    let scenario = match scenario::load_scenario(path, &mut sources) {
        Ok(scenario) => scenario,
        Err(diagnostics) => {
            return Err(Diagnosed {
                sources,
                diagnostics,
            }
            .into());
        }
    };
    let program = scenario::load_scenario_rules(&scenario, sources, &[], &analysis::vocabulary());
    let rule_paths: Vec<PathBuf> = program
        .files
        .iter()
        .map(|file| program.sources.path(file.file).to_path_buf())
        .collect();
    let mut diagnostics = program.diagnostics;
    let scripts = program.scripts;
    let Some(plan) = program.plan else {
        return Err(Diagnosed {
            sources: program.sources,
            diagnostics,
        }
        .into());
    };
    diagnostics.extend(scenario::check_against_plan(&scenario, &plan));
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Diagnosed {
            sources: program.sources,
            diagnostics,
        }
        .into());
    }
    // Every name was checked against the plan above; this is the one lookup by name.
    let params = scenario
        .params
        .iter()
        .filter_map(|setting| {
            Some(ScenarioParam {
                param: plan.param_id(&setting.name)?,
                value: setting.value.clone(),
                source: setting.source.clone(),
            })
        })
        .collect();
    let request = request_for_plan(&plan, &scenario.inputs);
    Ok(PreparedScenario {
        scenario,
        sources: program.sources,
        plan,
        rule_paths,
        params,
        warnings: diagnostics,
        request,
        scripts,
    })
}

/// Reads what a prepared scenario needs, through the input cache when one is given.
pub fn read(
    prepared: &PreparedScenario,
    cache: Option<&InputCache>,
) -> Result<(InputData, CacheUse), CommandError> {
    let spec = &prepared.request.spec;
    let wanted = Some(&prepared.request.wanted);
    let read = match cache {
        Some(cache) => cache.read_inputs(spec, Path::new("."), wanted),
        None => read_inputs(spec, Path::new("."), wanted).map(|data| (data, CacheUse::Off)),
    };
    read.map_err(|error| located_data_error(prepared, error))
}

/// A data error drawn against the scenario line that set what could not be read (the
/// table's file, sheet, rename, date format …), so the user sees where to fix it.
fn located_data_error(prepared: &PreparedScenario, error: crate::data::DataError) -> CommandError {
    let locations = &prepared.scenario.locations;
    let found = error
        .setting_paths()
        .iter()
        .find_map(|path| locations.value(path).map(|span| (path.clone(), span)));
    let Some((path, span)) = found else {
        return error.into();
    };
    let label = match path.rsplit('.').next() {
        Some(key) if path.starts_with("inputs.tables.") && path.matches('.').count() == 2 => {
            format!("table `{key}` is mapped here")
        }
        Some(key) => format!("`{key}` set here"),
        None => "set here".to_string(),
    };
    let diagnostic =
        Diagnostic::error(Code::InputUnreadable, error.to_string(), span).with_label(label);
    CommandError::InputsRejected(Diagnosed {
        sources: prepared.sources.clone(),
        diagnostics: vec![diagnostic],
    })
}

/// Evaluates a prepared scenario over its inputs (the tables are cloned, so one read
/// serves several scenarios).
pub fn execute(prepared: &PreparedScenario, data: &InputData) -> Result<Evaluated, CommandError> {
    execute_tables(prepared, data.tables.clone())
}

/// Evaluates a prepared scenario, consuming the input tables.
pub fn execute_tables(
    prepared: &PreparedScenario,
    tables: Vec<crate::table::Table>,
) -> Result<Evaluated, CommandError> {
    let (overrides, context) = evaluation_settings(prepared);
    if std::env::var_os("CHANMIX_TIMINGS").is_none() {
        return evaluate(&prepared.plan, tables, &overrides, &context)
            .map_err(|error| evaluation_failed(prepared, error));
    }
    // Profiling: the slowest steps of the plan (every step with `CHANMIX_TIMINGS=all`),
    // so a slow rule can be found.
    let mut steps: Vec<(std::time::Duration, String)> = Vec::new();
    let result = evaluate_timed(
        &prepared.plan,
        tables,
        &overrides,
        &context,
        &mut |step, took| steps.push((took, prepared.plan.step_name(step))),
    );
    steps.sort_by_key(|step| std::cmp::Reverse(step.0));
    // `CHANMIX_TIMINGS=all` prints every step (bench/overlap_cost.sh compares two runs).
    let all = std::env::var_os("CHANMIX_TIMINGS").is_some_and(|v| v == "all");
    let shown = if all { steps.len() } else { 12 };
    for (took, name) in steps.iter().take(shown) {
        eprintln!("timing:   step {name:<40} {:>8.3} s", took.as_secs_f64());
    }
    result.map_err(|error| evaluation_failed(prepared, error))
}

/// An evaluation error as the user should see it: an analysis that could not run
/// points at its statement in the rule file.
pub fn evaluation_failed(prepared: &PreparedScenario, error: EvalError) -> CommandError {
    let EvalError::Analysis {
        table,
        message,
        hint,
        ..
    } = error
    else {
        return error.into();
    };
    let span = prepared
        .plan
        .tables
        .get(table)
        .map(|t| t.span)
        .unwrap_or_default();
    let name = prepared.plan.tables.get(table).map_or("", |t| &*t.name);
    let mut diagnostic = Diagnostic::error(Code::AnalysisFailed, message, span)
        .with_label(format!("`{name}` could not be computed from this data"));
    if let Some(hint) = hint {
        diagnostic = diagnostic.with_hint(hint);
    }
    Diagnosed {
        sources: prepared.sources.clone(),
        diagnostics: vec![diagnostic],
    }
    .into()
}

/// The scenario's param overrides and call context (its `as_of`), as `evaluate` takes them.
pub fn evaluation_settings(prepared: &PreparedScenario) -> (Vec<(String, Value)>, CallContext) {
    let overrides = prepared
        .params
        .iter()
        .filter_map(|p| {
            let param = prepared.plan.params.get(p.param)?;
            Some((param.name.to_string(), p.value.clone()))
        })
        .collect();
    let context = CallContext {
        as_of: prepared.scenario.as_of.map(serial_from_date),
    };
    (overrides, context)
}

/// The report model of one evaluated scenario.
pub fn run_report<'a>(
    prepared: &'a PreparedScenario,
    data: &'a InputData,
    result: &'a Evaluated,
) -> Result<RunReport<'a>, CommandError> {
    // Where each param's value came from: the last scenario setting of it, else its
    // default in the rule file that declares it.
    let mut sources: Vec<Option<&Path>> = vec![None; prepared.plan.params.len()];
    for setting in &prepared.params {
        if let Some(source) = sources.get_mut(setting.param) {
            *source = Some(&setting.source);
        }
    }
    let params = prepared
        .plan
        .params
        .iter()
        .zip(sources)
        .enumerate()
        .map(|(param, (plan_param, source))| ParamSource {
            param,
            source: match source {
                Some(path) => path.display().to_string(),
                None => format!(
                    "default ({})",
                    prepared.sources.path(plan_param.span.file).display()
                ),
            },
        })
        .collect();
    let hash_all = |paths: &[PathBuf]| -> Result<Vec<FileHash>, CommandError> {
        paths
            .iter()
            .map(|p| {
                FileHash::of_file(p).map_err(|source| {
                    CommandError::CannotRead(ReadError {
                        path: p.clone(),
                        source,
                    })
                })
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
        omitted_tables: prepared.scenario.output.omit_tables.clone(),
        readable_headers: prepared.scenario.output.readable_headers,
    })
}

/// The scenario's `[dashboard]` in the report's terms.
fn dashboard_for(scenario: &Scenario) -> ReportDashboard {
    let spec = &scenario.dashboard;
    ReportDashboard {
        title: spec.title.clone().unwrap_or_else(|| scenario.name.clone()),
        kpis: spec.kpis.clone().unwrap_or_default(),
        kpi_comparisons: spec
            .kpi_comparisons
            .iter()
            .map(|(kpi, against)| (kpi.clone(), against.clone()))
            .collect(),
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
    /// The JSON document, when `--json` asked for it on stdout.
    pub json: Option<String>,
    /// Where the scenario's `[output] json` was written.
    pub json_file: Option<PathBuf>,
    /// How many flags the rules raised (findings, not counting data checks).
    pub flags_raised: usize,
    /// What the rules' data checks (`severity data` flags) found, as `subject: message`,
    /// so the console says it as well as the Data Quality sheet.
    pub data_checks: Vec<String>,
    /// What the analyses said the user must see, each with its table.
    pub notes: Vec<(String, String)>,
    /// Warnings of the rules and the scenario.
    pub warnings: Diagnosed,
    pub rows_read: Vec<(String, usize)>,
    /// What went wrong in the data (the Data Quality sheet's "Problems" table).
    pub issues: report::issues::DataIssues,
    /// The Data Quality sheet's row (zero-based) of the first issue, when a workbook
    /// was written.
    pub first_issue_row: Option<u32>,
    /// The scenario asks for a failing exit when the data has problems.
    pub strict: bool,
    /// Texts shortened in the workbook to fit their cells.
    pub shortened: Vec<report::Shortened>,
    /// Why script functions gave error values (`fn() in path: line …: reason`),
    /// distinct reasons, a few per function.
    pub script_errors: Vec<String>,
}

/// What `chanmix run` is asked to do besides evaluating the scenario.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// The workbook to write instead of the scenario's `[output] workbook`.
    pub output: Option<&'a Path>,
    /// Also return the JSON document (for stdout).
    pub json: bool,
    /// Replace output files chanmix did not write.
    pub force: bool,
    /// Fail (exit 1) when the data has problems, as the scenario's `strict = true` does.
    pub strict: bool,
}

/// `chanmix run`: evaluate one scenario and write its workbook (and its JSON where the
/// scenario's `[output] json` says, or for stdout when asked). Inputs are read through
/// `cache` when one is given. Every output is checked before any input is read.
pub fn run_scenario(
    path: &Path,
    options: RunOptions,
    cache: Option<&InputCache>,
) -> Result<RunSummary, CommandError> {
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(path)?;
    timer.lap("check rules and scenario");
    let out = options
        .output
        .map(Path::to_path_buf)
        .or_else(|| prepared.scenario.output.workbook.clone());
    let json_file = prepared.scenario.output.json.clone();
    let inputs = prepared.input_paths();
    let check_outputs = || -> Result<(), CommandError> {
        if let Some(out) = &out {
            outputs::check_output(out, outputs::OutputKind::Workbook, options.force, &inputs)?;
        }
        if let Some(json_file) = &json_file {
            let kind = outputs::OutputKind::Json;
            outputs::check_output(json_file, kind, options.force, &inputs)?;
        }
        Ok(())
    };
    check_outputs()?;
    if out.is_none() && json_file.is_none() && !options.json {
        return Err(CommandError::NoOutputWorkbook {
            scenario: path.to_path_buf(),
        });
    }
    let (mut data, cache_use) = read(&prepared, cache)?;
    timer.lap(cache_use.describe());
    timer.columns(&data.tables);
    let rows_read: Vec<(String, usize)> = data
        .tables
        .iter()
        .map(|t| (t.name.to_string(), t.row_count))
        .collect();
    let read_notes = data.quality.console_notes();
    // One scenario: the tables move into the evaluation instead of being copied.
    let result = execute_tables(&prepared, std::mem::take(&mut data.tables))?;
    timer.lap("evaluate");
    let issues = report::issues::DataIssues::gather(&result.audit, &data.quality);
    let json = (options.json || json_file.is_some())
        .then(|| json::run_to_json(&prepared.scenario.name, &prepared.plan, &result, &issues));
    // What is at the output paths may have changed while the inputs were read.
    check_outputs()?;
    let mut shortened = Vec::new();
    if out.is_some() || json_file.is_some() {
        let report = run_report(&prepared, &data, &result)?;
        // Both refuse to overwrite any scenario, rule or input file of the run.
        if let Some(out) = &out {
            shortened = report::write_run_workbook(&report, out)?;
            timer.lap("write workbook");
        }
        if let (Some(json_file), Some(json)) = (&json_file, &json) {
            report::write_json_file(&report, json_file, format!("{json}\n").as_bytes())?;
        }
    }
    let data_checks: Vec<String> = result
        .flags
        .iter()
        .filter(|f| f.severity == crate::lang::ast::Severity::Data)
        .map(|f| format!("{}: {}", f.subject, f.message))
        .collect();
    let flags_raised = result.flags.len() - data_checks.len();
    let notes = read_notes
        .into_iter()
        .chain(result.analyses.iter().flat_map(|a| {
            let table = prepared.plan.tables.get(a.table).map_or("", |t| &*t.name);
            a.notes.iter().map(move |n| (table.to_string(), n.clone()))
        }))
        .collect();
    drop(result);
    timer.lap("free the results");
    let script_errors = prepared
        .scripts
        .iter()
        .flat_map(|f| crate::functions::ExternalFunction::problems(&**f))
        .collect();
    let first_issue_row = out.as_ref().map(|_| report::first_issue_row(&data.quality));
    Ok(RunSummary {
        workbook: out,
        json: json.filter(|_| options.json),
        json_file,
        flags_raised,
        data_checks,
        notes,
        warnings: Diagnosed {
            sources: prepared.sources,
            diagnostics: prepared.warnings,
        },
        rows_read,
        first_issue_row,
        issues,
        strict: prepared.scenario.strict,
        shortened,
        script_errors,
    })
}
