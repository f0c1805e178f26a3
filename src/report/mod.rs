//! The output workbooks: the `run` dashboard workbook (dashboard, table sheets with live
//! formulas, recommendations, assumptions, data quality, provenance) and the `compare` workbook.
//!
//! Everything is built in memory with rust_xlsxwriter, deterministically (fixed document
//! time, plan order everywhere), then written atomically by [`write_run_workbook`].

mod cells;
mod compare;
mod dashboard;
pub mod formula;
mod pivot;
mod run;
mod sheets;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::data::quality::QualityLog;
use crate::eval::engine::Evaluated;
use crate::eval::plan::Plan;
use crate::eval::value::Value;

pub use compare::build_compare_workbook;
pub use run::build_run_workbook;

/// One param as the Assumptions sheet lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRow {
    pub name: String,
    pub value: Value,
    /// Where the value came from: `default (rules/x.rules)` or `scenarios/partner_push.toml`.
    pub source: String,
}

/// One file that went into a run, identified by content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHash {
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub bytes: u64,
}

impl FileHash {
    /// Hashes a file on disk.
    pub fn of_file(path: &Path) -> std::io::Result<FileHash> {
        use sha2::{Digest, Sha256};
        let bytes = std::fs::read(path)?;
        let digest = Sha256::digest(&bytes);
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(FileHash {
            path: path.to_path_buf(),
            sha256,
            bytes: bytes.len() as u64,
        })
    }
}

/// What a run was made from: tool version, files with their hashes, and the as_of date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub tool_version: String,
    pub scenario_files: Vec<FileHash>,
    pub rule_files: Vec<FileHash>,
    pub input_files: Vec<FileHash>,
    pub as_of: Option<NaiveDate>,
}

/// Native Excel chart types the dashboard draws (TOML spelling: `stacked-column` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartKind {
    Column,
    StackedColumn,
    Bar,
    StackedBar,
    Line,
    Area,
    Pie,
    Doughnut,
    /// The series columns are stages (leads → won): one horizontal bar per stage, first
    /// stage on top, each split by the table's rows (e.g. channels).
    Funnel,
}

/// One dashboard chart over a grouped table's sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSpec {
    pub title: String,
    /// A grouped table of the rules.
    pub table: String,
    pub kind: ChartKind,
    /// Columns drawn on the primary axis.
    pub series: Vec<String>,
    /// Columns drawn as lines on a secondary axis (e.g. ROI beside revenue).
    #[serde(default)]
    pub secondary: Vec<String>,
    /// Category column; defaults to the table's key column(s).
    #[serde(default)]
    pub category: Option<String>,
}

/// What the Dashboard sheet shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardSpec {
    pub title: String,
    /// Scalars shown as KPI tiles, in this order (all scalars when empty).
    #[serde(default)]
    pub kpis: Vec<String>,
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
}

/// Everything one `run` workbook shows.
#[derive(Debug, Clone)]
pub struct RunReport<'a> {
    /// The scenario's name.
    pub title: String,
    pub description: Option<String>,
    pub plan: &'a Plan,
    pub result: &'a Evaluated,
    pub params: Vec<ParamRow>,
    pub quality: &'a QualityLog,
    pub provenance: Provenance,
    pub dashboard: DashboardSpec,
}

/// Two or more named scenarios, the first being the baseline deltas are taken against.
#[derive(Debug, Clone)]
pub struct CompareReport<'a> {
    pub runs: Vec<RunReport<'a>>,
}

/// Why a workbook could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to write {}: it is an input of this run", path.display())]
    WouldOverwriteInput { path: PathBuf },
    #[error("dashboard KPI `{name}` is not a scalar of the rules{suggestion}")]
    UnknownKpi { name: String, suggestion: String },
    #[error(
        "dashboard chart \"{chart}\": `{table}` is not a grouped table of the rules{suggestion}"
    )]
    UnknownChartTable {
        chart: String,
        table: String,
        suggestion: String,
    },
    #[error("dashboard chart \"{chart}\": table `{table}` has no column `{column}`{suggestion}")]
    UnknownChartColumn {
        chart: String,
        table: String,
        column: String,
        suggestion: String,
    },
    #[error("dashboard chart \"{chart}\" has no series")]
    EmptyChart { chart: String },
    #[error("compare needs at least two scenarios, got {0}")]
    TooFewRuns(usize),
}

/// Builds the run workbook and writes it atomically to `out`, refusing to replace any
/// scenario, rule or input file listed in the report's provenance.
pub fn write_run_workbook(report: &RunReport, out: &Path) -> Result<(), ReportError> {
    let protected = protected_paths(std::slice::from_ref(report));
    refuse_inputs(out, &protected)?;
    let bytes = build_run_workbook(report)?;
    write_bytes(out, &bytes)
}

/// Builds the compare workbook and writes it atomically to `out`, refusing to replace
/// any file that went into one of the runs.
pub fn write_compare_workbook(report: &CompareReport, out: &Path) -> Result<(), ReportError> {
    refuse_inputs(out, &protected_paths(&report.runs))?;
    let bytes = build_compare_workbook(report)?;
    write_bytes(out, &bytes)
}

fn protected_paths(runs: &[RunReport]) -> Vec<PathBuf> {
    runs.iter()
        .flat_map(|run| {
            let p = &run.provenance;
            p.scenario_files
                .iter()
                .chain(&p.rule_files)
                .chain(&p.input_files)
                .map(|f| f.path.clone())
        })
        .collect()
}

/// Errors when `out` names the same file as one of `inputs` (compared after resolving
/// links and `..`, so `data/../data/crm.xlsx` is caught too).
pub fn refuse_inputs(out: &Path, inputs: &[PathBuf]) -> Result<(), ReportError> {
    let Ok(target) = out.canonicalize() else {
        // A file that does not exist yet is no input.
        return Ok(());
    };
    for input in inputs {
        if input.canonicalize().is_ok_and(|p| p == target) {
            return Err(ReportError::WouldOverwriteInput {
                path: out.to_path_buf(),
            });
        }
    }
    Ok(())
}

fn write_bytes(out: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::cli::write_atomically(out, bytes).map_err(|source| ReportError::Io {
        path: out.to_path_buf(),
        source,
    })
}
