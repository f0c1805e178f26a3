//! The commands behind the `chanmix` binary, as library functions that return what to
//! print and the exit code, so `main.rs` only parses arguments and tests can call them.

use std::path::{Path, PathBuf};

use crate::eval::functions;
use crate::lang::format::format_rule_file;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{expand_rule_paths, load_rule_files};
use crate::lang::render::{render_json, render_text};
use crate::lang::source::SourceMap;

/// What a command prints and how it exits.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    fn failure(message: impl Into<String>) -> Outcome {
        Outcome {
            code: 1,
            stdout: String::new(),
            stderr: message.into(),
        }
    }
}

pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub json: bool,
    pub deny_warnings: bool,
    pub color: bool,
}

/// `chanmix check`: parse and check rule files together, print diagnostics.
pub fn check(options: &CheckOptions) -> Outcome {
    let paths = match expand_rule_paths(&options.paths) {
        Ok(paths) if paths.is_empty() => {
            return Outcome::failure(format!(
                "error: no .rules files found in {}\n  help: pass rule files or a folder that holds them\n",
                display_paths(&options.paths)
            ));
        }
        Ok(paths) => paths,
        Err(e) => return Outcome::failure(format!("error: {e}\n")),
    };
    let program = match load_rule_files(&paths, &[]) {
        Ok(program) => program,
        Err(e) => return Outcome::failure(format!("error: {e}\n")),
    };
    let errors = program.error_count();
    let warnings = program.warning_count();
    let failed = errors > 0 || (options.deny_warnings && warnings > 0);
    let code = u8::from(failed);
    if options.json {
        return Outcome {
            code,
            stdout: format!("{}\n", render_json(&program.diagnostics, &program.sources)),
            stderr: String::new(),
        };
    }
    let mut stderr = render_text(&program.diagnostics, &program.sources, options.color);
    let summary = if errors == 0 && warnings == 0 {
        format!(
            "checked {}: no problems found\n",
            plural(paths.len(), "rule file")
        )
    } else {
        format!(
            "checked {}: {}, {}\n",
            plural(paths.len(), "rule file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    };
    stderr.push_str(&summary);
    Outcome {
        code,
        stdout: String::new(),
        stderr,
    }
}

/// `chanmix fmt`: rewrite rule files canonically, or with `check` only report.
pub fn fmt(paths: &[PathBuf], check_only: bool) -> Outcome {
    let paths = match expand_rule_paths(paths) {
        Ok(paths) => paths,
        Err(e) => return Outcome::failure(format!("error: {e}\n")),
    };
    let mut outcome = Outcome::default();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                outcome.code = 1;
                outcome
                    .stderr
                    .push_str(&format!("error: cannot read {}: {e}\n", path.display()));
                continue;
            }
        };
        let mut sources = SourceMap::new();
        let id = sources.add(path.clone(), text.clone());
        let file = match parse_rule_file(&sources, id) {
            Ok(file) => file,
            Err(diagnostics) => {
                outcome.code = 1;
                outcome
                    .stderr
                    .push_str(&render_text(&diagnostics, &sources, false));
                outcome.stderr.push_str(&format!(
                    "{}: not formatted (fix the errors above first)\n",
                    path.display()
                ));
                continue;
            }
        };
        let formatted = format_rule_file(&file, &sources);
        if formatted == text {
            continue;
        }
        if check_only {
            outcome.code = 1;
            outcome
                .stdout
                .push_str(&format!("{} is not formatted\n", path.display()));
        } else if let Err(e) = write_atomically(&path, formatted.as_bytes()) {
            outcome.code = 1;
            outcome
                .stderr
                .push_str(&format!("error: cannot write {}: {e}\n", path.display()));
        } else {
            outcome
                .stdout
                .push_str(&format!("formatted {}\n", path.display()));
        }
    }
    outcome
}

/// `chanmix functions`: the function registry as a table.
pub fn functions() -> Outcome {
    let mut specs: Vec<_> = functions::registry().iter().collect();
    specs.sort_by_key(|s| s.name);
    let mut stdout = String::new();
    for spec in specs {
        let arity = match spec.max_args {
            Some(max) if max == spec.min_args => format!("{max}"),
            Some(max) => format!("{}-{}", spec.min_args, max),
            None => format!("{}+", spec.min_args),
        };
        stdout.push_str(&format!(
            "{:<18} {:<6} {:?}: {}\n",
            spec.name, arity, spec.category, spec.summary
        ));
    }
    Outcome {
        code: 0,
        stdout,
        stderr: String::new(),
    }
}

/// `chanmix sample-data`.
pub fn sample_data(rows: usize, seed: u64, out: &Path) -> Outcome {
    let _ = (rows, seed, out);
    Outcome::failure("error: sample-data is not available in this build\n")
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so
/// a reader never sees a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(folder)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
