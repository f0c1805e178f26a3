//! Where a command may write, checked before any input is read and again just before
//! writing, in this order: never one of the run's inputs; in an existing folder; never
//! over a link, a device, a FIFO or a folder; with its kind's extension (`.xlsx`,
//! `.json`); and over a regular file only when chanmix wrote it — another file only
//! with `--force`.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::files::{AtOutput, at_output, has_extension, open_regular};
use crate::report::written_by::{WrittenBy, workbook_written_by};

use super::CommandError;

/// What an output file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Workbook,
    Json,
}

impl OutputKind {
    /// The extension the file must have (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            OutputKind::Workbook => "xlsx",
            OutputKind::Json => "json",
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            OutputKind::Workbook => "workbook",
            OutputKind::Json => "JSON output",
        }
    }
}

/// Checks that `path` may receive an output of `kind` (see the module doc) and is
/// none of the run's `inputs`. With `force`, an existing regular file is replaced
/// whoever wrote it.
pub fn check_output(
    path: &Path,
    kind: OutputKind,
    force: bool,
    inputs: &[PathBuf],
) -> Result<(), CommandError> {
    crate::report::refuse_inputs(path, inputs)?;
    check_output_folder(path)?;
    let existing = at_output(path).map_err(|source| CommandError::CannotWrite {
        path: path.to_path_buf(),
        source,
    })?;
    if let AtOutput::Refused(why) = existing {
        return Err(CommandError::OutputRefused {
            path: path.to_path_buf(),
            why,
        });
    }
    if !has_extension(path, &[kind.extension()]) {
        return Err(CommandError::OutputExtension {
            path: path.to_path_buf(),
            what: kind.what(),
            extension: kind.extension(),
        });
    }
    match existing {
        AtOutput::File(_) if !force => match written_by(path, kind) {
            WrittenBy::Chanmix => Ok(()),
            WrittenBy::Other(why) => Err(CommandError::NotChanmixOutput {
                path: path.to_path_buf(),
                why,
            }),
        },
        _ => Ok(()),
    }
}

/// Who wrote the file of `kind` at `path`.
fn written_by(path: &Path, kind: OutputKind) -> WrittenBy {
    match kind {
        OutputKind::Workbook => workbook_written_by(path),
        OutputKind::Json => json_written_by(path),
    }
}

/// Our JSON names its generator at the top (`"generator": "chanmix 0.1.0"`); the file
/// is parsed as a stream, so its size costs time, not memory.
fn json_written_by(path: &Path) -> WrittenBy {
    #[derive(serde::Deserialize)]
    struct Top {
        generator: Option<String>,
    }
    let Ok(file) = open_regular(path) else {
        return WrittenBy::Other("it cannot be read".to_string());
    };
    match serde_json::from_reader::<_, Top>(BufReader::new(file)) {
        Ok(Top {
            generator: Some(generator),
        }) if generator.starts_with(super::json::GENERATOR) => WrittenBy::Chanmix,
        Ok(_) => WrittenBy::Other("it is JSON that chanmix did not write".to_string()),
        Err(_) => WrittenBy::Other("it is not JSON".to_string()),
    }
}

/// A clear error when the output's folder is missing or is a file.
pub fn check_output_folder(output: &Path) -> Result<(), CommandError> {
    let folder = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if folder.is_dir() {
        return Ok(());
    }
    let (output, folder) = (output.to_path_buf(), folder.to_path_buf());
    Err(if folder.exists() {
        CommandError::OutputFolderIsAFile { output, folder }
    } else {
        CommandError::OutputFolderMissing { output, folder }
    })
}
