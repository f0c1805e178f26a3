//! The commands behind the `chanmix` binary, as library functions that return what to
//! print and the exit code, so `main.rs` only parses arguments and tests can call them.

use std::path::{Path, PathBuf};

use crate::data::InputCache;
use crate::diagnostic::render::{render_json, render_text};
use crate::diagnostic::source::SourceMap;
use crate::functions;
use crate::lang::format::format_rule_file;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{expand_rule_paths, load_rule_files};
use crate::run::RunError;

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

/// `chanmix check`: parse and check rule files together (and each scenario file with
/// its own rules), print diagnostics. No data is read.
pub fn check(options: &CheckOptions) -> Outcome {
    let (scenario_paths, rule_paths): (Vec<PathBuf>, Vec<PathBuf>) = options
        .paths
        .iter()
        .cloned()
        .partition(|p| p.extension().is_some_and(|e| e == "toml"));
    let mut outcome = Outcome::default();
    let mut errors = 0;
    let mut warnings = 0;
    let mut json_entries: Vec<serde_json::Value> = Vec::new();
    for path in &scenario_paths {
        let (sources, diagnostics) = match crate::run::prepare(path) {
            Ok(prepared) => (prepared.sources, prepared.warnings),
            Err(RunError::Diagnostics {
                sources,
                diagnostics,
            }) => (sources, diagnostics),
            Err(other) => {
                errors += 1;
                outcome.stderr.push_str(&format!("error: {other}\n"));
                continue;
            }
        };
        errors += diagnostics.iter().filter(|d| d.is_error()).count();
        warnings += diagnostics.iter().filter(|d| !d.is_error()).count();
        if options.json {
            json_entries.extend(parse_json_array(&render_json(&diagnostics, &sources)));
        } else {
            outcome
                .stderr
                .push_str(&render_text(&diagnostics, &sources, options.color));
        }
    }
    if !rule_paths.is_empty() || scenario_paths.is_empty() {
        let rules = check_rules(&rule_paths, options);
        errors += rules.errors;
        warnings += rules.warnings;
        json_entries.extend(rules.json);
        outcome.stderr.push_str(&rules.text);
        if rules.files == 0 && rules.errors > 0 {
            outcome.code = 1;
            return outcome;
        }
    }
    let failed = errors > 0 || (options.deny_warnings && warnings > 0);
    outcome.code = u8::from(failed);
    if options.json {
        outcome.stdout = format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::Value::Array(json_entries))
                .unwrap_or_default()
        );
        outcome.stderr.clear();
        return outcome;
    }
    let checked = options
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if errors == 0 && warnings == 0 {
        outcome
            .stderr
            .push_str(&format!("checked {checked}: no problems found\n"));
    } else {
        outcome.stderr.push_str(&format!(
            "checked {checked}: {}, {}\n",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
    }
    outcome
}

fn parse_json_array(text: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// Diagnostics of a set of rule files checked as one program.
struct RuleCheck {
    files: usize,
    errors: usize,
    warnings: usize,
    text: String,
    json: Vec<serde_json::Value>,
}

fn check_rules(paths: &[PathBuf], options: &CheckOptions) -> RuleCheck {
    let failure = |text: String| RuleCheck {
        files: 0,
        errors: 1,
        warnings: 0,
        text,
        json: Vec::new(),
    };
    let paths = match expand_rule_paths(paths) {
        Ok(found) if found.is_empty() => {
            return failure(format!(
                "error: no .rules files found in {}\n  help: pass rule files, a folder that holds them, or a scenario .toml\n",
                display_paths(paths)
            ));
        }
        Ok(found) => found,
        Err(e) => return failure(format!("error: {e}\n")),
    };
    let program = match load_rule_files(&paths, &[]) {
        Ok(program) => program,
        Err(e) => return failure(format!("error: {e}\n")),
    };
    RuleCheck {
        files: paths.len(),
        errors: program.error_count(),
        warnings: program.warning_count(),
        text: if options.json {
            String::new()
        } else {
            render_text(&program.diagnostics, &program.sources, options.color)
        },
        json: if options.json {
            parse_json_array(&render_json(&program.diagnostics, &program.sources))
        } else {
            Vec::new()
        },
    }
}

/// The input cache a command reads through: none with `--no-cache`, nor when there is
/// no folder for it (a warning line then says so).
fn open_cache(use_cache: bool, warnings: &mut String) -> Option<InputCache> {
    if !use_cache {
        return None;
    }
    match InputCache::from_env() {
        Ok(cache) => Some(cache),
        Err(problem) => {
            warnings.push_str(&format!("warning: input cache off: {problem}\n"));
            None
        }
    }
}

/// The cache's warning line, if writing it failed.
fn cache_warning(cache: Option<&InputCache>) -> String {
    cache
        .and_then(InputCache::take_warning)
        .map(|w| format!("{w}\n"))
        .unwrap_or_default()
}

/// `chanmix run`: evaluate a scenario, write its workbook (and JSON if asked). With
/// `use_cache`, inputs are read through the input cache. Meant for the binary: the
/// evaluated tables are left to the process's exit instead of being freed.
pub fn run(
    scenario: &Path,
    output: Option<&Path>,
    json: bool,
    color: bool,
    use_cache: bool,
) -> Outcome {
    let mut warnings = String::new();
    let cache = open_cache(use_cache, &mut warnings);
    let mut outcome = run_with(scenario, output, json, color, cache.as_ref());
    warnings.push_str(&cache_warning(cache.as_ref()));
    outcome.stderr.insert_str(0, &warnings);
    outcome
}

fn run_with(
    scenario: &Path,
    output: Option<&Path>,
    json: bool,
    color: bool,
    cache: Option<&InputCache>,
) -> Outcome {
    match crate::run::run_scenario(scenario, output, json, cache) {
        Ok(summary) => {
            let mut outcome = Outcome {
                code: 0,
                stdout: summary.json.map(|j| format!("{j}\n")).unwrap_or_default(),
                stderr: render_text(&summary.warnings, &summary.sources, color),
            };
            let rows: Vec<String> = summary
                .rows_read
                .iter()
                .map(|(table, rows)| format!("{table} {rows}"))
                .collect();
            if rows.is_empty() {
                outcome
                    .stderr
                    .push_str("read no input tables (the rules use none)\n");
            } else {
                outcome
                    .stderr
                    .push_str(&format!("read {} rows\n", rows.join(", ")));
            }
            outcome.stderr.push_str(&format!(
                "{} raised\n",
                plural(summary.result.flags.len(), "flag")
            ));
            if let Some(path) = &summary.workbook {
                outcome
                    .stderr
                    .push_str(&format!("wrote {}\n", path.display()));
            }
            // The binary exits right after this command and the system takes the memory
            // back at once; freeing millions of values one by one would take a large part
            // of a warm run (about 0.3 s of CPU at 1M rows).
            std::mem::forget(summary.result);
            outcome
        }
        Err(error) => run_failure(error, color),
    }
}

/// `chanmix compare`: scenarios side by side in one workbook. With `use_cache`, inputs
/// are read through the input cache.
pub fn compare(scenarios: &[PathBuf], output: &Path, color: bool, use_cache: bool) -> Outcome {
    let mut warnings = String::new();
    let cache = open_cache(use_cache, &mut warnings);
    let mut outcome = compare_with(scenarios, output, color, cache.as_ref());
    warnings.push_str(&cache_warning(cache.as_ref()));
    outcome.stderr.insert_str(0, &warnings);
    outcome
}

fn compare_with(
    scenarios: &[PathBuf],
    output: &Path,
    color: bool,
    cache: Option<&InputCache>,
) -> Outcome {
    match crate::run::compare_scenarios(scenarios, output, cache) {
        Ok(warnings) => {
            let mut stderr = String::new();
            for (sources, diagnostics) in &warnings {
                stderr.push_str(&render_text(diagnostics, sources, color));
            }
            stderr.push_str(&format!("wrote {}\n", output.display()));
            Outcome {
                code: 0,
                stdout: String::new(),
                stderr,
            }
        }
        Err(error) => run_failure(error, color),
    }
}

fn run_failure(error: RunError, color: bool) -> Outcome {
    match error {
        RunError::Diagnostics {
            sources,
            diagnostics,
        } => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let mut text = render_text(&diagnostics, &sources, color);
            text.push_str(&format!(
                "stopped: {} in the rules or scenario\n",
                plural(errors, "error")
            ));
            Outcome::failure(text)
        }
        other => Outcome::failure(format!("error: {other}\n")),
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
        let text = match crate::lang::program::read_text(&path) {
            Ok(text) => text,
            Err(e) => {
                outcome.code = 1;
                outcome.stderr.push_str(&format!("error: {e}\n"));
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
        } else if let Err(e) = crate::atomic::write_atomically(&path, formatted.as_bytes()) {
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
    let mut specs: Vec<_> = functions::Registry::builtin().iter().collect();
    specs.sort_by_key(|s| s.name.clone());
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

/// `chanmix cache info`: where the input cache is, how many entries, how large.
pub fn cache_info() -> Outcome {
    let cache = match InputCache::from_env() {
        Ok(cache) => cache,
        Err(problem) => return Outcome::failure(format!("error: {problem}\n")),
    };
    match cache.summary() {
        Ok(summary) => Outcome {
            code: 0,
            stdout: format!(
                "input cache: {}\nentries:     {}\nsize:        {} (entries beyond {} are removed, least recently used first)\n",
                cache.dir().display(),
                summary.entries,
                human_bytes(summary.bytes),
                human_bytes(crate::data::cache::MAX_CACHE_BYTES),
            ),
            stderr: String::new(),
        },
        Err(e) => Outcome::failure(format!("error: {e}\n")),
    }
}

/// `chanmix cache clear`: removes the input cache's entries (and nothing else).
pub fn cache_clear() -> Outcome {
    let cache = match InputCache::from_env() {
        Ok(cache) => cache,
        Err(problem) => return Outcome::failure(format!("error: {problem}\n")),
    };
    match cache.clear() {
        Ok(removed) => Outcome {
            code: 0,
            stdout: format!(
                "removed {} {} ({}) from {}\n",
                removed.entries,
                if removed.entries == 1 {
                    "entry"
                } else {
                    "entries"
                },
                human_bytes(removed.bytes),
                cache.dir().display()
            ),
            stderr: String::new(),
        },
        Err(e) => Outcome::failure(format!("error: {e}\n")),
    }
}

/// A size for people: `0 B`, `12.3 KiB`, `131.6 MiB`, `4.0 GiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS.get(unit).copied().unwrap_or("TiB"))
}

/// `chanmix sample-data`.
pub fn sample_data(rows: usize, seed: u64, out: &Path) -> Outcome {
    let options = crate::data::sample::SampleOptions { rows, seed };
    match crate::data::sample::write_sample_workbook(&options, out) {
        Ok(summary) => {
            let mut stdout = format!("wrote {}\n", out.display());
            for (sheet, count) in &summary.sheets {
                stdout.push_str(&format!("  {sheet:<16} {count:>10} rows\n"));
            }
            Outcome {
                code: 0,
                stdout,
                stderr: String::new(),
            }
        }
        Err(e) => Outcome::failure(format!("error: {e}\n")),
    }
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
