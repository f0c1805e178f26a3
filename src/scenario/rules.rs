//! Compiling a scenario's rule files into the same SourceMap as the scenario, so one set
//! of diagnostics (scenario and rules together) renders with the right files.

use crate::lang::checker::{ExternalTable, check_rules};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{RuleProgram, expand_rule_paths};
use crate::lang::source::SourceMap;

use super::codes;
use super::model::Scenario;

/// Reads, parses and checks the scenario's rule files (folders expanded) into `sources`,
/// which should already hold the scenario (from [`load_scenario`](super::load_scenario)).
/// A rule path that cannot be read becomes an S0008 diagnostic on its `rules` entry.
pub fn load_scenario_rules(
    scenario: &Scenario,
    mut sources: SourceMap,
    external: &[ExternalTable],
) -> RuleProgram {
    let failed = |sources: SourceMap, error: crate::lang::program::ReadError| {
        let index = scenario
            .rules
            .iter()
            .position(|p| error.path.starts_with(p));
        let span = index.map_or_else(
            || scenario.locations.best("rules"),
            |i| scenario.locations.best(&format!("rules[{i}]")),
        );
        RuleProgram {
            sources,
            diagnostics: vec![
                Diagnostic::error(
                    codes::RULES_NOT_FOUND,
                    format!(
                        "cannot read rule file {}: {}",
                        error.path.display(),
                        error.source
                    ),
                    span,
                )
                .with_label("named here"),
            ],
            ..RuleProgram::default()
        }
    };
    let paths = match expand_rule_paths(&scenario.rules) {
        Ok(paths) => paths,
        Err(error) => return failed(sources, error),
    };
    let mut ids = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => ids.push(sources.add(path, text)),
            Err(source) => {
                return failed(sources, crate::lang::program::ReadError { path, source });
            }
        }
    }
    // As `lang::program::check_sources`, but over the rule files only: `sources` also
    // holds the scenario's TOML files.
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for id in ids {
        match parse_rule_file(&sources, id) {
            Ok(file) => files.push(file),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if !diagnostics.is_empty() {
        return RuleProgram {
            sources,
            files,
            plan: None,
            diagnostics,
        };
    }
    let outcome = check_rules(&files, &sources, external);
    RuleProgram {
        sources,
        files,
        plan: outcome.plan,
        diagnostics: outcome.diagnostics,
    }
}
