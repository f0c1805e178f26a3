//! `chanmix check`: rule files checked together as one program, and each scenario file
//! with its own rules; no data is read.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::analysis;
use crate::diagnostic::Diagnostic;
use crate::lang::program::{expand_rule_paths, load_rule_files};

use super::{CommandError, Diagnosed, prepare};

/// What checking found, in the order checked: each scenario, then the rule files.
pub struct CheckReport {
    pub checked: Vec<Result<Diagnosed, CommandError>>,
    /// The rule files could not be checked at all (none found, or one unreadable).
    pub rules_failed: bool,
}

impl CheckReport {
    /// Errors found, counting a file that could not be checked as one.
    pub fn errors(&self) -> usize {
        self.checked
            .iter()
            .map(|c| c.as_ref().map_or(1, Diagnosed::error_count))
            .sum()
    }

    pub fn warnings(&self) -> usize {
        self.checked
            .iter()
            .map(|c| c.as_ref().map_or(0, Diagnosed::warning_count))
            .sum()
    }

    /// The diagnostics of everything that could be checked.
    pub fn diagnosed(&self) -> impl Iterator<Item = &Diagnosed> {
        self.checked.iter().filter_map(|c| c.as_ref().ok())
    }
}

/// Checks `.toml` paths as scenarios (each with the rules it names) and every other
/// path (rule files and folders of them) together as one program; with no rule path
/// and no scenario, the empty list of rule paths is reported.
pub fn check_paths(paths: &[PathBuf]) -> CheckReport {
    let (scenario_paths, rule_paths): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .iter()
        .cloned()
        .partition(|p| p.extension().is_some_and(|e| e == "toml"));
    let mut checked: Vec<Result<Diagnosed, CommandError>> = scenario_paths
        .iter()
        .map(|path| match prepare(path) {
            Ok(prepared) => Ok(Diagnosed {
                sources: prepared.sources,
                diagnostics: prepared.warnings,
            }),
            Err(CommandError::Rejected(diagnosed)) => Ok(diagnosed),
            Err(other) => Err(other),
        })
        .collect();
    let mut rules_failed = false;
    if !rule_paths.is_empty() || scenario_paths.is_empty() {
        let mut rules = check_rules(&rule_paths);
        rules_failed = rules.is_err();
        if let Ok(diagnosed) = &mut rules {
            drop_reported(diagnosed, &checked);
        }
        checked.push(rules);
    }
    CheckReport {
        checked,
        rules_failed,
    }
}

/// Removes from `rules` what a scenario's check already reported (`check rules/
/// base.toml` checks the same rule files twice; each problem is reported once).
fn drop_reported(rules: &mut Diagnosed, scenarios: &[Result<Diagnosed, CommandError>]) {
    // The same file is reached as `rules/a.rules` and `scenarios/../rules/a.rules`.
    let identity = |d: &Diagnostic, sources: &crate::diagnostic::source::SourceMap| {
        let path = sources.path(d.primary.span.file);
        (
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            d.primary.span.start,
            d.primary.span.end,
            d.code,
            d.message.clone(),
        )
    };
    let seen: HashSet<_> = scenarios
        .iter()
        .filter_map(|c| c.as_ref().ok())
        .flat_map(|s| s.diagnostics.iter().map(|d| identity(d, &s.sources)))
        .collect();
    let sources = &rules.sources;
    rules
        .diagnostics
        .retain(|d| !seen.contains(&identity(d, sources)));
}

/// Rule files (folders expanded) checked as one program.
fn check_rules(paths: &[PathBuf]) -> Result<Diagnosed, CommandError> {
    let found = expand_rule_paths(paths)?;
    if found.is_empty() {
        return Err(CommandError::NoRuleFiles {
            paths: paths.to_vec(),
        });
    }
    let program = load_rule_files(&found, &[], &analysis::vocabulary())?;
    Ok(Diagnosed {
        sources: program.sources,
        diagnostics: program.diagnostics,
    })
}
