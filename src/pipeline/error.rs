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
use crate::terminal::printable;

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
    /// The formatted text would not parse: a bug in `fmt`, caught before writing.
    #[error(
        "{}: not formatted — the formatted text would not read back the same (a bug in chanmix fmt; please report it); the file was left as it is",
        path.display()
    )]
    FormatterFailed { path: PathBuf },
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
    /// `init` would replace a file the user may have edited.
    #[error(
        "{} exists: move it away, choose another folder with --out, or pass --force to replace it",
        path.display()
    )]
    WouldOverwrite { path: PathBuf },
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
    /// An output path without its kind's extension.
    #[error(
        "cannot write {}: a {what} must end in .{extension} — choose a path like out/report.{extension}",
        path.display()
    )]
    OutputExtension {
        path: PathBuf,
        what: &'static str,
        extension: &'static str,
    },
    /// Something at the output path that chanmix never replaces (a link, a device …).
    #[error("refusing to write {}: {why}", path.display())]
    OutputRefused { path: PathBuf, why: String },
    /// A regular file at the output path that chanmix did not write (without `--force`).
    #[error(
        "refusing to replace {}: chanmix did not write it ({why}) — choose another path, or pass --force to replace it",
        path.display()
    )]
    NotChanmixOutput { path: PathBuf, why: String },
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
    /// The same, drawn against the scenario line that maps what could not be read.
    #[error("the inputs cannot be read as the scenario maps them")]
    InputsRejected(Diagnosed),
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
            format!(
                "{}{}\n",
                errors.render(color),
                printable(&error.to_string())
            )
        }
        CommandError::InputsRejected(diagnosed) => format!(
            "{}stopped: {}\n",
            diagnosed.render(color),
            printable(&error.to_string())
        ),
        // The message names paths and echoes file content: shown escaped.
        other => format!("error: {}\n", printable(&other.to_string())),
    }
}

/// `a.rules, rules/`: paths for a message.
pub fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| printable(&p.display().to_string()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
