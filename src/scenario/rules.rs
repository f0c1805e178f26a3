//! Compiling a scenario's rule files into the same SourceMap as the scenario, so one set
//! of diagnostics (scenario and rules together) renders with the right files.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceMap;
use crate::lang::checker::ExternalTable;
use crate::lang::program::{
    ReadError, RuleProgram, add_rule_files, check_rule_files, expand_rule_paths,
};
use crate::lang::vocabulary::Vocabulary;

use super::model::Scenario;
use crate::diagnostic::Code;

/// Reads, parses and checks the scenario's rule files (folders expanded) into `sources`,
/// which should already hold the scenario (from [`load_scenario`](super::load_scenario)).
/// A rule path that cannot be read becomes an S0008 diagnostic on its `rules` entry; a
/// `rules` list whose folders hold no `.rules` file is S0004.
pub fn load_scenario_rules(
    scenario: &Scenario,
    mut sources: SourceMap,
    external: &[ExternalTable],
    vocabulary: &Vocabulary,
) -> RuleProgram {
    let failed = |sources: SourceMap, diagnostic: Diagnostic| RuleProgram {
        sources,
        diagnostics: vec![diagnostic],
        ..RuleProgram::default()
    };
    let paths = match expand_rule_paths(&scenario.rules) {
        Ok(paths) => paths,
        Err(error) => return failed(sources, unreadable(scenario, &error)),
    };
    if paths.is_empty() {
        let d = Diagnostic::error(
            Code::MissingKey,
            "the folders in `rules` hold no .rules files",
            scenario.locations.best("rules"),
        )
        .with_label("no rule files here")
        .with_hint("rule files end in .rules; folders are not searched recursively");
        return failed(sources, d);
    }
    match add_rule_files(&mut sources, &paths) {
        Ok(ids) => check_rule_files(sources, &ids, external, vocabulary),
        Err(error) => {
            let d = unreadable(scenario, &error);
            failed(sources, d)
        }
    }
}

fn unreadable(scenario: &Scenario, error: &ReadError) -> Diagnostic {
    let index = scenario
        .rules
        .iter()
        .position(|p| error.path.starts_with(p));
    let span = index.map_or_else(
        || scenario.locations.best("rules"),
        |i| scenario.locations.best(&format!("rules[{i}]")),
    );
    Diagnostic::error(
        Code::RulesNotFound,
        format!(
            "cannot read rule file {}: {}",
            error.path.display(),
            error.source
        ),
        span,
    )
    .with_label("named here")
}
