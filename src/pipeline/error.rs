//! Why a command stopped: every failure a user can see from `check`, `fmt`, `run`,
//! `compare`, `cache` and `sample-data`, each a variant named for what happened, and the
//! one function that words them ([`render_error`]).

use std::path::PathBuf;

use crate::data::DataError;
use crate::data::cache::CacheError;
use crate::data::sample::SampleError;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::render::render_text;
use crate::diagnostic::source::SourceMap;
use crate::eval::engine::EvalError;
use crate::lang::program::ReadError;
use crate::report::ReportError;
use crate::report::text::plural;

/// Diagnostics with the sources they point into.
#[derive(Debug)]
pub struct Diagnosed {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Diagnosed {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    /// The diagnostics as text (ariadne), coloured or not.
    pub fn render(&self, color: bool) -> String {
        render_text(&self.diagnostics, &self.sources, color)
    }
}

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The rules or the scenario have errors: the diagnostics say which.
    #[error("the rules or the scenario have errors")]
    Rejected(Diagnosed),
    /// A rule file does not parse, so `fmt` left it as it was.
    #[error("{}: not formatted (fix the errors above first)", path.display())]
    NotFormatted { path: PathBuf, errors: Diagnosed },
    /// No `.rules` file in the paths given to `check`.
    #[error(
        "no .rules files found in {}\n  help: pass rule files, a folder that holds them, or a scenario .toml",
        display_paths(paths)
    )]
    NoRuleFiles { paths: Vec<PathBuf> },
    /// A rule, scenario or other file the command needs cannot be read.
    #[error(transparent)]
    CannotRead(#[from] ReadError),
    /// A file cannot be written (`fmt` rewriting a rule file).
    #[error("cannot write {}: {source}", path.display())]
    CannotWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The output's folder is a file.
    #[error(
        "cannot write {}: {} is a file, not a folder — choose another path with -o",
        output.display(),
        folder.display()
    )]
    OutputFolderIsAFile { output: PathBuf, folder: PathBuf },
    /// The output's folder does not exist (checked before any work is done).
    #[error(
        "cannot write {}: the folder {} does not exist — create it (mkdir -p {}) or choose another path with -o",
        output.display(),
        folder.display(),
        folder.display()
    )]
    OutputFolderMissing { output: PathBuf, folder: PathBuf },
    /// `run` was given no `-o` and the scenario names no output workbook.
    #[error(
        "{}: no output workbook: pass `-o OUT.xlsx` or set `[output] workbook = \"…\"` in the scenario",
        scenario.display()
    )]
    NoOutputWorkbook { scenario: PathBuf },
    /// `compare` was given fewer than two scenarios.
    #[error("compare needs at least two scenario files")]
    TooFewScenarios,
    /// The input files cannot be read as the scenario maps them.
    #[error(transparent)]
    Data(Box<DataError>),
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The workbook cannot be built or written (or would overwrite an input).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// There is no folder for the input cache, or it cannot be listed or its entries
    /// removed (the cache's own error says which).
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    SampleData(#[from] SampleError),
}

impl From<DataError> for CommandError {
    fn from(error: DataError) -> Self {
        CommandError::Data(Box::new(error))
    }
}

impl From<Diagnosed> for CommandError {
    fn from(diagnosed: Diagnosed) -> Self {
        CommandError::Rejected(diagnosed)
    }
}

/// The error as the user reads it on stderr: diagnostics drawn against their sources
/// (with a closing line saying the command stopped), anything else as one `error:` line.
pub fn render_error(error: &CommandError, color: bool) -> String {
    match error {
        CommandError::Rejected(diagnosed) => format!(
            "{}stopped: {} in the rules or scenario\n",
            diagnosed.render(color),
            plural(diagnosed.error_count(), "error")
        ),
        CommandError::NotFormatted { errors, .. } => {
            format!("{}{error}\n", errors.render(color))
        }
        other => format!("error: {other}\n"),
    }
}

/// `a.rules, rules/`: paths for a message.
pub fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
