//! The output workbooks: the `run` dashboard workbook (dashboard, table sheets with live
//! formulas, recommendations, assumptions, data quality, provenance) and the `compare` workbook.
//!
//! Everything is built in memory with rust_xlsxwriter, deterministically (fixed document
//! time, plan order everywhere), then written atomically by [`write_run_workbook`].
//!
//! Sheets of a run workbook, in order: Dashboard (KPI tiles linked to Metrics, native
//! charts over the table sheets, the first findings), Recommendations (every flag, linked
//! to its row), one sheet per grouped table, Chart Data (pivots some charts need), Metrics
//! (scalars), Assumptions (params and their sources), Data Quality, Provenance. Input
//! tables are not copied (they can hold a million rows).
//!
//! Live formulas ([`formula::translate`]): a column formula (or scalar) becomes an Excel
//! formula, with the engine's value cached, when every part has an exact Excel form —
//! cells of the same row, constants, params (`'Assumptions'!$B$5`), scalars
//! (`'Metrics'!$B$6`), Excel's own functions except run-dependent ones (TODAY, RAND …),
//! and unfiltered whole columns of a table sheet (`SUM($F$2:$F$7)`). Aggregates over a
//! group's source rows and filtered lists are written as values; every computed column's
//! header note gives its definition in rule syntax ([`describe::describe`]). LibreOffice
//! recalculation in the tests checks that each live formula gives the cached value.

mod analysis_charts;
mod cells;
mod compare;
mod dashboard;
pub mod describe;
pub mod differences;
mod findings;
pub mod formula;
pub mod issues;
mod layout;
pub mod long_text;
mod matrix;
mod pivot;
mod scenario_workbook;
mod sheets;
pub mod text;
pub mod written_by;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::data::quality::QualityLog;
use crate::eval::engine::Evaluated;
use crate::lang::plan::{ParamId, Plan};

pub use compare::build_compare_workbook;
pub use long_text::Shortened;
pub use scenario_workbook::{build_run_workbook, build_run_workbook_noting};
pub use sheets::first_issue_row;

/// Where one param's value came from, as the Assumptions sheet lists it (the value is
/// the one the engine used, the name and format the plan's).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSource {
    /// The param, as an index into the plan's params.
    pub param: ParamId,
    /// `default (rules/x.rules)` or `scenarios/partner_push.toml`.
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
    /// Hashes a rule or scenario file on disk (a regular file of text-file size).
    pub fn of_file(path: &Path) -> std::io::Result<FileHash> {
        use sha2::{Digest, Sha256};
        let bytes = crate::files::read_regular(path, crate::files::MAX_TEXT_FILE_BYTES)?;
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

/// The chart types a dashboard can ask for (defined with the scenario model that reads them).
pub use crate::scenario::ChartKind;

/// One dashboard chart over a grouped table's sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    /// A grouped table of the rules.
    pub table: String,
    pub kind: ChartKind,
    /// Columns drawn on the primary axis.
    pub series: Vec<String>,
    /// Columns drawn as lines on a secondary axis (e.g. ROI beside revenue).
    pub secondary: Vec<String>,
    /// Category column; defaults to the table's key column(s).
    pub category: Option<String>,
}

/// What the Dashboard sheet shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardSpec {
    pub title: String,
    /// Scalars shown as KPI tiles, in this order (all scalars when empty).
    pub kpis: Vec<String>,
    /// KPI → the value its tile is compared with (the change is shown under the tile).
    pub kpi_comparisons: Vec<(String, String)>,
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
    /// The Assumptions sheet's params in this order (plan params not listed follow).
    pub params: Vec<ParamSource>,
    pub quality: &'a QualityLog,
    pub provenance: Provenance,
    pub dashboard: DashboardSpec,
    /// Tables the workbook leaves out (the scenario's `[output] omit_tables`).
    pub omitted_tables: Vec<String>,
    /// Table sheets head their columns with words, not rule names (`[output] headers`).
    pub readable_headers: bool,
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
/// scenario, rule or input file listed in the report's provenance. Returns the texts
/// shortened to fit their cells (the console should say so; Data Quality lists them).
pub fn write_run_workbook(report: &RunReport, out: &Path) -> Result<Vec<Shortened>, ReportError> {
    let protected = protected_paths(std::slice::from_ref(report));
    refuse_inputs(out, &protected)?;
    let (bytes, shortened) = build_run_workbook_noting(report)?;
    write_bytes(out, &bytes)?;
    Ok(shortened)
}

/// Builds the compare workbook and writes it atomically to `out`, refusing to replace
/// any file that went into one of the runs. Returns the texts shortened to fit their
/// cells.
pub fn write_compare_workbook(
    report: &CompareReport,
    out: &Path,
) -> Result<Vec<Shortened>, ReportError> {
    refuse_inputs(out, &protected_paths(&report.runs))?;
    let (bytes, shortened) = long_text::collecting(|| build_compare_workbook(report));
    write_bytes(out, &bytes?)?;
    Ok(shortened)
}

/// Writes a run's JSON document atomically to `out`, refusing to replace any scenario,
/// rule or input file of the run.
pub fn write_json_file(report: &RunReport, out: &Path, json: &[u8]) -> Result<(), ReportError> {
    refuse_inputs(out, &protected_paths(std::slice::from_ref(report)))?;
    write_bytes(out, json)
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

/// Writes the workbook atomically (see [`crate::atomic`]).
fn write_bytes(out: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::atomic::write_atomically(out, bytes).map_err(|source| ReportError::Io {
        path: out.to_path_buf(),
        source,
    })
}
