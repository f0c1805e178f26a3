//! `chanmix fmt`: rule files read, rewritten in the canonical layout and written back
//! atomically, or with `--check` only compared.

use std::path::{Path, PathBuf};

use crate::diagnostic::source::SourceMap;
use crate::lang::format::format_rule_file;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{expand_rule_paths, read_text};

use super::{CommandError, Diagnosed};

/// What `fmt` did with one rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formatting {
    /// Already in the canonical layout.
    Unchanged,
    /// Rewritten in place.
    Rewritten,
    /// Not in the canonical layout, left as it is (`--check`).
    WouldChange,
}

/// One rule file and what `fmt` did with it.
pub struct FormattedFile {
    pub path: PathBuf,
    /// What was done, or why the file could not be read, parsed or written.
    pub done: Result<Formatting, CommandError>,
}

/// Formats every rule file `paths` names (folders expanded), in order; with
/// `check_only`, changes nothing. A file that cannot be read, parsed or written gets
/// its error and the others are still done.
pub fn format_files(
    paths: &[PathBuf],
    check_only: bool,
) -> Result<Vec<FormattedFile>, CommandError> {
    Ok(expand_rule_paths(paths)?
        .into_iter()
        .map(|path| FormattedFile {
            done: format_file(&path, check_only),
            path,
        })
        .collect())
}

fn format_file(path: &Path, check_only: bool) -> Result<Formatting, CommandError> {
    let text = read_text(path)?;
    let mut sources = SourceMap::new();
    let id = sources.add(path.to_path_buf(), text.clone());
    let file = match parse_rule_file(&sources, id) {
        Ok(file) => file,
        Err(diagnostics) => {
            return Err(CommandError::NotFormatted {
                path: path.to_path_buf(),
                errors: Diagnosed {
                    sources,
                    diagnostics,
                },
            });
        }
    };
    let formatted = format_rule_file(&file, &sources);
    if formatted == text {
        Ok(Formatting::Unchanged)
    } else if check_only {
        Ok(Formatting::WouldChange)
    } else {
        crate::atomic::write_atomically(path, formatted.as_bytes()).map_err(|source| {
            CommandError::CannotWrite {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(Formatting::Rewritten)
    }
}
