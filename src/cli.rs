//! The commands behind the `chanmix` binary: each calls the library and turns what it
//! returns into what to print and the exit code, so `main.rs` only parses arguments and
//! tests can call the commands. Every error is worded by [`render_error`].

pub mod memory;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::analysis;
use crate::data::InputCache;
use crate::data::sample::{SampleOptions, write_sample_workbook};
use crate::functions;
use crate::pipeline::check::check_paths;
use crate::pipeline::fmt::{FormattedFile, Formatting, format_files};
use crate::pipeline::json::diagnostics_to_json;
use crate::pipeline::outputs::{OutputKind, check_output};
use crate::pipeline::{self, CommandError, render_error};
use crate::report::text::plural;
use crate::terminal::{printable, printable_keeping_colour};

/// Where `compare` writes (a workbook, JSON on stdout, or both).
pub use crate::pipeline::CompareOutput;

pub use crate::pipeline::RunOptions;

/// A path as printed: control characters in its name shown escaped.
fn shown(path: &Path) -> String {
    printable(&path.display().to_string()).into_owned()
}

pub use crate::pipeline::init::InitOptions;

/// What a command prints and how it exits.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The outcome as it may be printed: control characters that reached it unescaped
    /// (anything but the diagnostics' colours) shown escaped. Every message escapes
    /// what it echoes already; this is the last line of defence.
    pub fn printable(mut self) -> Outcome {
        if let Cow::Owned(escaped) = printable_keeping_colour(&self.stdout) {
            self.stdout = escaped;
        }
        if let Cow::Owned(escaped) = printable_keeping_colour(&self.stderr) {
            self.stderr = escaped;
        }
        self
    }

    fn success(stdout: String) -> Outcome {
        Outcome {
            code: 0,
            stdout,
            stderr: String::new(),
        }
    }

    /// Exit code 1 with the error on stderr.
    fn failure(error: &CommandError, color: bool) -> Outcome {
        Outcome {
            code: 1,
            stdout: String::new(),
            stderr: render_error(error, color),
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
    let report = check_paths(&options.paths);
    let mut outcome = Outcome::default();
    for checked in &report.checked {
        match checked {
            Ok(diagnosed) if !options.json => {
                outcome.stderr.push_str(&diagnosed.render(options.color));
            }
            Ok(_) => {}
            Err(error) => outcome.stderr.push_str(&render_error(error, options.color)),
        }
    }
    if report.rules_failed {
        outcome.code = 1;
        return outcome;
    }
    let (errors, warnings) = (report.errors(), report.warnings());
    let failed = errors > 0 || (options.deny_warnings && warnings > 0);
    outcome.code = u8::from(failed);
    if options.json {
        outcome.stdout = format!("{}\n", diagnostics_to_json(report.diagnosed()));
        outcome.stderr.clear();
        return outcome;
    }
    let checked = pipeline::error::display_paths(&options.paths);
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

/// The input cache a command reads through: none with `--no-cache`, nor when there is
/// no folder for it (a warning line then says so).
fn open_cache(use_cache: bool, warnings: &mut String) -> Option<InputCache> {
    if !use_cache {
        return None;
    }
    match InputCache::from_env() {
        Ok(cache) => Some(cache),
        Err(problem) => {
            let problem = problem.to_string();
            warnings.push_str(&format!(
                "warning: input cache off: {}\n",
                printable(&problem)
            ));
            None
        }
    }
}

/// Runs `command` with the input cache (unless `use_cache` is off) and puts the cache's
/// warnings, if any, before what the command printed on stderr.
fn with_cache(use_cache: bool, command: impl FnOnce(Option<&InputCache>) -> Outcome) -> Outcome {
    let mut warnings = String::new();
    let cache = open_cache(use_cache, &mut warnings);
    let mut outcome = command(cache.as_ref());
    if let Some(warning) = cache.as_ref().and_then(InputCache::take_warning) {
        warnings.push_str(&format!("{}\n", printable(&warning)));
    }
    outcome.stderr.insert_str(0, &warnings);
    outcome
}

/// At most this many data issues are printed; the rest are on the Data Quality sheet.
const SHOWN_ISSUES: usize = 30;

/// The end of every run: what went wrong in the data, one line per issue, each naming
/// its row of the Data Quality sheet.
fn data_summary(summary: &pipeline::RunSummary) -> String {
    let issues = &summary.issues;
    if issues.is_empty() {
        return "data: no problems found\n".to_string();
    }
    let sheet = summary
        .workbook
        .as_ref()
        .map(|w| {
            format!(
                " (each is a row of the Data Quality sheet of {})",
                w.display()
            )
        })
        .unwrap_or_default();
    let mut text = format!(
        "data: {}{sheet}\n",
        crate::report::issues::counts_text(issues)
    );
    let row_of = |i: usize| summary.first_issue_row.map(|first| first as usize + i + 1);
    for (i, issue) in issues.issues.iter().enumerate().take(SHOWN_ISSUES) {
        text.push_str(&format!(
            "  {}: {}: {}",
            issue.severity.as_str(),
            issue.place,
            issue.message
        ));
        if let Some(row) = row_of(i) {
            text.push_str(&format!(" → Data Quality row {row}"));
        }
        text.push('\n');
    }
    if issues.issues.len() > SHOWN_ISSUES {
        let more = issues.issues.len() - SHOWN_ISSUES;
        text.push_str(&format!("  … and {more} more"));
        if let (Some(first), Some(last)) = (row_of(SHOWN_ISSUES), row_of(issues.issues.len() - 1)) {
            text.push_str(&format!(" (Data Quality rows {first}–{last})"));
        }
        text.push('\n');
    }
    text
}

/// `chanmix run`: evaluate a scenario, write its workbook (and JSON if asked), and end
/// with what went wrong in the data. With `use_cache`, inputs are read through the
/// input cache; with `strict` (or the scenario's `strict = true`), problems in the
/// data make the run fail (exit 1) after the workbook is written.
pub fn run(
    scenario: &Path,
    options: pipeline::RunOptions,
    color: bool,
    use_cache: bool,
) -> Outcome {
    let strict = options.strict;
    with_cache(use_cache, |cache| {
        let mut summary = match pipeline::run_scenario(scenario, options, cache) {
            Ok(summary) => summary,
            Err(error) => return Outcome::failure(&error, color),
        };
        let mut outcome = Outcome {
            code: 0,
            stdout: summary
                .json
                .take()
                .map(|j| format!("{j}\n"))
                .unwrap_or_default(),
            stderr: summary.warnings.render(color),
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
        for (table, note) in &summary.notes {
            outcome
                .stderr
                .push_str(&format!("note: {table}: {}\n", printable(note)));
        }
        for error in &summary.script_errors {
            outcome
                .stderr
                .push_str(&format!("script error: {}\n", printable(error)));
        }
        for check in &summary.data_checks {
            outcome.stderr.push_str(&format!("data check: {check}\n"));
        }
        outcome.stderr.push_str(&format!(
            "{} raised\n",
            plural(summary.flags_raised, "flag")
        ));
        outcome.stderr.push_str(&shortened_lines(
            &summary.shortened,
            " (listed on Data Quality; the JSON output keeps every text whole)",
        ));
        for path in summary.workbook.iter().chain(&summary.json_file) {
            outcome.stderr.push_str(&format!("wrote {}\n", shown(path)));
        }
        outcome.stderr.push_str(&data_summary(&summary));
        let problems = summary.issues.problems();
        if problems > 0 {
            if strict || summary.strict {
                let why = if strict {
                    "--strict"
                } else {
                    "strict = true in the scenario"
                };
                outcome.stderr.push_str(&format!(
                    "error: the data has {} ({why})\n",
                    plural(problems, "problem")
                ));
                outcome.code = 1;
            } else {
                outcome.stderr.push_str(
                    "  (run with --strict, or set strict = true in the scenario, to fail on these)\n",
                );
            }
        }
        outcome
    })
}

/// `chanmix compare`: scenarios side by side in one workbook and/or as JSON on stdout,
/// then per scenario the findings it raises and clears against the baseline. With
/// `use_cache`, inputs are read through the input cache.
pub fn compare(
    scenarios: &[PathBuf],
    output: CompareOutput<'_>,
    color: bool,
    use_cache: bool,
) -> Outcome {
    with_cache(use_cache, |cache| {
        match pipeline::compare_scenarios(scenarios, output, cache) {
            Ok(summary) => {
                let mut stderr: String = summary.warnings.iter().map(|w| w.render(color)).collect();
                stderr.push_str(&shortened_lines(&summary.shortened, ""));
                let baseline = scenarios.first().map(|p| shown(p)).unwrap_or_default();
                for counts in &summary.findings {
                    stderr.push_str(&format!(
                        "{}: {} raised, {} cleared against the baseline ({baseline})\n",
                        printable(&counts.label),
                        plural(counts.raised, "finding"),
                        counts.cleared
                    ));
                }
                if let Some(workbook) = output.workbook {
                    stderr.push_str(&format!("wrote {}\n", shown(workbook)));
                }
                Outcome {
                    code: 0,
                    stdout: summary.json.map(|j| format!("{j}\n")).unwrap_or_default(),
                    stderr,
                }
            }
            Err(error) => Outcome::failure(&error, color),
        }
    })
}

/// The console's word on texts shortened to fit Excel's cells: each named (the first
/// ten), so nothing is cut silently.
fn shortened_lines(shortened: &[crate::report::Shortened], where_listed: &str) -> String {
    const SHOWN: usize = 10;
    if shortened.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "warning: {} longer than an Excel cell holds (32,767 characters) {} shortened in the workbook{where_listed}:\n",
        plural(shortened.len(), "text"),
        if shortened.len() == 1 { "was" } else { "were" },
    );
    for cut in shortened.iter().take(SHOWN) {
        out.push_str(&format!("  {}\n", printable(&cut.describe())));
    }
    if shortened.len() > SHOWN {
        out.push_str(&format!("  … and {} more\n", shortened.len() - SHOWN));
    }
    out
}

/// `chanmix fmt`: rewrite rule files canonically, or with `check` only report.
pub fn fmt(paths: &[PathBuf], check_only: bool) -> Outcome {
    let files = match format_files(paths, check_only) {
        Ok(files) => files,
        Err(error) => return Outcome::failure(&error, false),
    };
    let mut outcome = Outcome::default();
    for FormattedFile { path, done } in files {
        match done {
            Ok(Formatting::Unchanged) => {}
            Ok(Formatting::Rewritten) => {
                outcome
                    .stdout
                    .push_str(&format!("formatted {}\n", shown(&path)));
            }
            Ok(Formatting::WouldChange) => {
                outcome.code = 1;
                outcome
                    .stdout
                    .push_str(&format!("{} is not formatted\n", shown(&path)));
            }
            Err(error) => {
                outcome.code = 1;
                outcome.stderr.push_str(&render_error(&error, false));
            }
        }
    }
    outcome
}

/// `chanmix init --from EXPORT`: a scenario and input declarations for the user's own
/// export, checked as `chanmix check` would; prints what was mapped and what was not.
pub fn init(options: &InitOptions, color: bool) -> Outcome {
    match pipeline::init::init(options) {
        Ok(report) => {
            let mut stdout = String::new();
            for line in &report.lines {
                stdout.push_str(line);
                stdout.push('\n');
            }
            for path in &report.written {
                stdout.push_str(&format!("wrote {}\n", path.display()));
            }
            if let Some(scenario) = report.written.iter().find(|p| p.ends_with("scenario.toml")) {
                stdout.push_str(&format!("next: chanmix run {}\n", scenario.display()));
            }
            Outcome::success(stdout)
        }
        Err(error) => Outcome::failure(&error, color),
    }
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
    Outcome::success(stdout)
}

/// `chanmix analyses`: each analysis with its arguments and the columns it adds.
pub fn analyses() -> Outcome {
    let mut stdout = String::new();
    let all = analysis::all();
    if all.is_empty() {
        stdout.push_str("no analyses are built in yet\n");
    }
    for analysis in all {
        stdout.push_str(&format!("{}: {}\n", analysis.name(), analysis.summary()));
        for p in analysis.parameters() {
            let shape = if p.each_row { "per row" } else { "one value" };
            let required = if p.required { "required" } else { "optional" };
            stdout.push_str(&format!(
                "  {:<14} {}, {}, {}: {}\n",
                p.name,
                p.ty.as_str(),
                shape,
                required,
                p.summary
            ));
        }
        let outputs: Vec<&str> = analysis.outputs().iter().map(|o| o.name).collect();
        stdout.push_str(&format!("  adds columns: {}\n", outputs.join(", ")));
        let prefixes = analysis.carried_prefixes();
        if !prefixes.is_empty() {
            let columns: Vec<String> = prefixes.iter().map(|p| format!("{p}NAME")).collect();
            stdout.push_str(&format!(
                "  and copies any other per-row argument `NAME = formula` into {}\n",
                columns.join(" and ")
            ));
        }
    }
    Outcome::success(stdout)
}

/// Runs `command` on the input cache at its usual place; an error when there is none.
fn on_cache(command: impl FnOnce(&InputCache) -> Result<String, CommandError>) -> Outcome {
    let done = InputCache::from_env()
        .map_err(CommandError::Cache)
        .and_then(|cache| command(&cache));
    match done {
        Ok(stdout) => Outcome::success(stdout),
        Err(error) => Outcome::failure(&error, false),
    }
}

/// `chanmix cache info`: where the input cache is, how many entries, how large.
pub fn cache_info() -> Outcome {
    on_cache(|cache| {
        let summary = cache.summary()?;
        Ok(format!(
            "input cache: {}\nentries:     {}\nsize:        {} (entries beyond {} are removed, least recently used first)\n",
            shown(cache.dir()),
            summary.entries,
            human_bytes(summary.bytes),
            human_bytes(crate::data::cache::MAX_CACHE_BYTES),
        ))
    })
}

/// `chanmix cache clear`: removes the input cache's entries (and nothing else).
pub fn cache_clear() -> Outcome {
    on_cache(|cache| {
        let removed = cache.clear()?;
        Ok(format!(
            "removed {} {} ({}) from {}\n",
            removed.entries,
            if removed.entries == 1 {
                "entry"
            } else {
                "entries"
            },
            human_bytes(removed.bytes),
            shown(cache.dir())
        ))
    })
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

/// `chanmix sample-data`: the workbook replaces only a chanmix workbook unless `force`.
pub fn sample_data(rows: usize, seed: u64, out: &Path, force: bool) -> Outcome {
    if let Err(error) = check_output(out, OutputKind::Workbook, force, &[]) {
        return Outcome::failure(&error, false);
    }
    match write_sample_workbook(&SampleOptions { rows, seed }, out) {
        Ok(summary) => {
            let mut stdout = format!("wrote {}\n", shown(out));
            for (sheet, count) in &summary.sheets {
                stdout.push_str(&format!("  {sheet:<16} {count:>10} rows\n"));
            }
            Outcome::success(stdout)
        }
        Err(error) => Outcome::failure(&error.into(), false),
    }
}
