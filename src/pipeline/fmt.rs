//! `chanmix fmt`: rule files read, rewritten in the canonical layout and written back,
//! or with `--check` only compared.
//!
//! Only `.rules` files are touched. What a file is made of stays: a UTF-8 byte-order
//! mark at the top, Windows (CRLF) line ends, its permissions, owner and links. The
//! formatted text is parsed again before anything is written, so `fmt` never writes a
//! file it would itself reject.
//!
//! How it is written back: a symbolic link is followed to the real file. A file with
//! one name is replaced atomically (a temporary file beside it, renamed over it, with
//! the old mode). A file with several names (hard links) is rewritten in place, since
//! a rename would leave the other names holding the old text: a full copy of the new
//! text is first written beside it, so a failure half-way loses nothing (like vim's
//! `backupcopy=auto`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::source::SourceMap;
use crate::lang::format::format_rule_file;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{expand_rule_paths, read_rule_source};

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
    let source = read_rule_source(path)?;
    let crlf = uses_crlf(&source.text);
    let mut sources = SourceMap::new();
    let id = sources.add(path.to_path_buf(), source.text.clone());
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
    check_formatted(path, &formatted, file.items.len())?;
    let mut output = String::with_capacity(formatted.len() + formatted.len() / 16 + 3);
    if source.bom {
        output.push('\u{feff}');
    }
    if crlf {
        output.push_str(&formatted.replace('\n', "\r\n"));
    } else {
        output.push_str(&formatted);
    }
    let unchanged = match output.strip_prefix('\u{feff}') {
        Some(rest) => source.bom && rest == source.text,
        None => !source.bom && output == source.text,
    };
    if unchanged {
        Ok(Formatting::Unchanged)
    } else if check_only {
        Ok(Formatting::WouldChange)
    } else {
        write_rule_file(path, output.as_bytes()).map_err(|source| CommandError::CannotWrite {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Formatting::Rewritten)
    }
}

/// Whether a file's lines end in CRLF: most of its line breaks do.
fn uses_crlf(text: &str) -> bool {
    let breaks = text.matches('\n').count();
    let crlf = text.matches("\r\n").count();
    crlf > 0 && crlf * 2 >= breaks
}

/// The formatted text must parse, with the same number of statements: anything else
/// is a bug in the formatter, and the file is left as it was.
fn check_formatted(path: &Path, formatted: &str, statements: usize) -> Result<(), CommandError> {
    let mut sources = SourceMap::new();
    let id = sources.add(path.to_path_buf(), formatted.to_string());
    match parse_rule_file(&sources, id) {
        Ok(again) if again.items.len() == statements => Ok(()),
        _ => Err(CommandError::FormatterFailed {
            path: path.to_path_buf(),
        }),
    }
}

/// Writes a rule file's new text to the real file behind `path` (see the module doc).
fn write_rule_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let real = std::fs::canonicalize(path)?;
    if link_count(&real)? > 1 {
        write_in_place(&real, bytes)
    } else {
        crate::atomic::write_atomically(&real, bytes)
    }
}

#[cfg(unix)]
fn link_count(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.nlink())
}

#[cfg(not(unix))]
fn link_count(_path: &Path) -> std::io::Result<u64> {
    Ok(1)
}

/// Overwrites a file's content in place (keeping its inode, so its other names, owner
/// and permissions), after saving the new text in a file beside it; that copy is
/// removed once the file is whole and synced, and named in the error otherwise.
fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut copy = tempfile::Builder::new()
        .prefix(".chanmix-fmt-")
        .suffix(".rules.tmp")
        .tempfile_in(folder)?;
    copy.write_all(bytes)?;
    copy.as_file().sync_all()?;
    let written = crate::files::open_regular(path).and_then(|_| {
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.write_all(bytes)?;
        file.set_len(bytes.len() as u64)?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(()),
        Err(error) => {
            let kept = copy
                .keep()
                .map(|(_, kept)| kept.display().to_string())
                .unwrap_or_else(|_| "(lost)".to_string());
            Err(std::io::Error::new(
                error.kind(),
                format!("{error}; the formatted text is saved in {kept}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_follow_most_of_the_file() {
        assert!(!uses_crlf("a = 1\nb = 2\n"));
        assert!(uses_crlf("a = 1\r\nb = 2\r\n"));
        assert!(uses_crlf("a = 1\r\nb = 2\n"));
        assert!(!uses_crlf("a = 1\r\nb = 2\nc = 3\n"));
        assert!(!uses_crlf(""));
    }
}
