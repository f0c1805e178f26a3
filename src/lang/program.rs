//! Loading a set of rule files as one program: expand folders, read, parse and check
//! them together, keeping every diagnostic and the source text needed to render it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::source::FileId;
use crate::diagnostic::source::SourceMap;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lang::ast::RuleFile;
use crate::lang::checker::{ExternalTable, check_rules};
use crate::lang::parser::parse_rule_file;
use crate::lang::plan::Plan;
use crate::lang::vocabulary::Vocabulary;
use crate::script::{ScriptFunction, ScriptStatement, load_scripts};

/// Rule files loaded, parsed and checked together.
#[derive(Debug, Default)]
pub struct RuleProgram {
    pub sources: SourceMap,
    pub files: Vec<RuleFile>,
    /// Present when there are no errors.
    pub plan: Option<Plan>,
    pub diagnostics: Vec<Diagnostic>,
    /// The functions of the scripts the rule files load (`script "…"`), for what went
    /// wrong in their calls after a run.
    pub scripts: Vec<Arc<ScriptFunction>>,
}

impl RuleProgram {
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// A rule path that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct ReadError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The `.rules` files a list of paths names: files as given, folders expanded to
/// their `.rules` files (sorted, not recursive), duplicates removed.
pub fn expand_rule_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| ReadError {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "rules"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    Ok(out)
}

/// Reads, parses and checks rule files as one program against `vocabulary`.
pub fn load_rule_files(
    paths: &[PathBuf],
    external: &[ExternalTable],
    vocabulary: &Vocabulary,
) -> Result<RuleProgram, ReadError> {
    let mut sources = SourceMap::new();
    let mut ids = Vec::with_capacity(paths.len());
    for path in paths {
        let text = read_text(path)?;
        ids.push(sources.add(path.clone(), text));
    }
    Ok(check_rule_files(sources, &ids, external, vocabulary))
}

/// Parses and checks every file already in `sources` with Excel's built-in functions.
pub fn check_sources(sources: SourceMap, external: &[ExternalTable]) -> RuleProgram {
    let ids: Vec<FileId> = sources.files().map(|(id, _)| id).collect();
    check_rule_files(sources, &ids, external, Vocabulary::builtin())
}

/// Reads rule files into an existing source map (which may already hold a scenario
/// file) and returns their ids.
pub fn add_rule_files(
    sources: &mut SourceMap,
    paths: &[PathBuf],
) -> Result<Vec<FileId>, ReadError> {
    paths
        .iter()
        .map(|path| read_text(path).map(|text| sources.add(path.clone(), text)))
        .collect()
}

/// Parses and checks the files `ids` of `sources` as one program, resolving names
/// against `vocabulary`.
pub fn check_rule_files(
    sources: SourceMap,
    ids: &[FileId],
    external: &[ExternalTable],
    vocabulary: &Vocabulary,
) -> RuleProgram {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for &id in ids {
        match parse_rule_file(&sources, id) {
            Ok(file) => files.push(file),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if !diagnostics.is_empty() {
        // Checking half-parsed programs would only add noise about missing names.
        return RuleProgram {
            sources,
            files,
            plan: None,
            diagnostics,
            scripts: Vec::new(),
        };
    }
    let statements = script_statements(&files, &sources);
    if statements.is_empty() {
        let outcome = check_rules(&files, &sources, external, vocabulary);
        return RuleProgram {
            sources,
            files,
            plan: outcome.plan,
            diagnostics: outcome.diagnostics,
            scripts: Vec::new(),
        };
    }
    // The scripts' functions join a copy of the vocabulary, so formulas call them
    // like any function and the plan carries them.
    let mut sources = sources;
    let mut vocabulary = vocabulary.clone();
    let loaded = load_scripts(&statements, &mut sources, &mut vocabulary.functions);
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        // Calls to a script that did not load would only add "unknown function" noise.
        return RuleProgram {
            sources,
            files,
            plan: None,
            diagnostics: loaded.diagnostics,
            scripts: loaded.functions,
        };
    }
    let outcome = check_rules(&files, &sources, external, &vocabulary);
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(outcome.diagnostics);
    RuleProgram {
        sources,
        files,
        plan: outcome.plan,
        diagnostics,
        scripts: loaded.functions,
    }
}

/// Every `script "…"` statement, in file order.
fn script_statements(files: &[RuleFile], sources: &SourceMap) -> Vec<ScriptStatement> {
    files
        .iter()
        .flat_map(|file| {
            file.items.iter().filter_map(move |item| match &item.kind {
                crate::lang::ast::ItemKind::Script(script) => Some(ScriptStatement {
                    rule_file: sources.path(file.file).to_path_buf(),
                    written: script.path.clone(),
                    at: script.path_span,
                }),
                _ => None,
            })
        })
        .collect()
}

/// Reads a rule file as UTF-8, without the byte-order mark some Windows editors put
/// first (see [`read_rule_source`]).
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    read_rule_source(path).map(|source| source.text)
}

/// A rule file's text as read, and whether it began with a UTF-8 byte-order mark
/// (dropped from the text, so spans count from the first real character; `fmt` puts
/// it back).
pub struct RuleSource {
    pub text: String,
    pub bom: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &str = "\u{feff}";

/// Reads a rule file: only a `.rules` file, only a regular file, only UTF-8 (see
/// [`read_source_file`]).
pub fn read_rule_source(path: &Path) -> Result<RuleSource, ReadError> {
    read_source_file(
        path,
        "rules",
        "it is not a rule file (rule files end in .rules)",
    )
}

/// Reads a text file the user edits (rule or scenario file): only one ending in
/// `.extension` (else the error says `not_this_kind`), only a regular file (never a
/// device or a FIFO, see [`crate::files::open_regular`]), only UTF-8 — a file that is
/// not gets an error naming the line, column and byte where it stops being UTF-8.
/// Nothing of a file of another kind is read, so none of it can be echoed in an error.
pub fn read_source_file(
    path: &Path,
    extension: &str,
    not_this_kind: &str,
) -> Result<RuleSource, ReadError> {
    let error = |source| ReadError {
        path: path.to_path_buf(),
        source,
    };
    if !crate::files::has_extension(path, &[extension]) {
        return Err(error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            not_this_kind.to_string(),
        )));
    }
    let bytes =
        crate::files::read_regular(path, crate::files::MAX_TEXT_FILE_BYTES).map_err(error)?;
    let text =
        String::from_utf8(bytes).map_err(|e| error(not_utf8(e.as_bytes(), e.utf8_error())))?;
    Ok(match text.strip_prefix(BOM) {
        Some(rest) => RuleSource {
            text: rest.to_string(),
            bom: true,
        },
        None => RuleSource { text, bom: false },
    })
}

/// Names where a file stops being UTF-8 (line, column, the byte), since rule files
/// saved from Windows tools are often Latin-1.
fn not_utf8(bytes: &[u8], error: std::str::Utf8Error) -> std::io::Error {
    let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
    let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(valid.get(line_start..).unwrap_or_default())
        .chars()
        .count()
        + 1;
    let byte = bytes.get(error.valid_up_to()).copied().unwrap_or_default();
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "it is not UTF-8 text (byte 0x{byte:02X} at line {line}, column {column}); save it with UTF-8 encoding"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_byte_is_named_with_line_and_column() {
        // "é" is two characters into line 2 ("ré"), counted by hand: column 2.
        let bytes: Vec<u8> = b"# ok\nr\xE9sum\xE9 = 1\n".to_vec();
        let Err(e) = std::str::from_utf8(&bytes) else {
            return;
        };
        let message = not_utf8(&bytes, e).to_string();
        assert!(
            message.contains("byte 0xE9 at line 2, column 2"),
            "{message}"
        );
    }
}
