//! Fuzz target `scenario`: arbitrary bytes as a scenario file, loaded (with `extends`)
//! and checked the way `chanmix check scenario.toml` does, and against the shipped rules.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chanmix::eval::plan::Plan;
use chanmix::lang::diagnostic::Diagnostic;
use chanmix::lang::program::{expand_rule_paths, load_rule_files};
use chanmix::lang::render::{render_json, render_text};
use chanmix::lang::source::SourceMap;
use chanmix::run::inputs::request_for_plan;
use chanmix::scenario::{check_against_plan, load_scenario, load_scenario_rules};
use libfuzzer_sys::fuzz_target;

/// The repository's `rules/` and `scenarios/` folders.
const REPO_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
const REPO_SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");

/// A folder laid out like the repository, `rules/` and `scenarios/` (the shipped
/// scenario files and `data/` linked in), where the input is written as
/// `scenarios/fuzz.toml`: the shipped scenarios work as seeds unchanged, and
/// `extends = "base.toml"` or `rules = ["../rules"]` reach the shipped files.
struct Workspace {
    scenario: PathBuf,
    /// The shipped rules, compiled once.
    shipped: Plan,
}

fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let root = tempfile::Builder::new()
            .prefix("chanmix-fuzz-scenario-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let scenarios = root.join("scenarios");
        std::fs::create_dir(&scenarios).expect("scenarios folder");
        let repo_rules = Path::new(REPO_RULES).canonicalize().expect("repo rules/");
        std::os::unix::fs::symlink(&repo_rules, root.join("rules")).expect("link rules/");
        for entry in std::fs::read_dir(REPO_SCENARIOS).expect("repo scenarios/") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("file name").to_owned();
            std::os::unix::fs::symlink(&path, scenarios.join(name)).expect("link scenario");
        }
        let rule_paths = expand_rule_paths(&[repo_rules]).expect("shipped rule files");
        let program = load_rule_files(&rule_paths, &[]).expect("read shipped rules");
        let shipped = program.plan.expect("the shipped rules check cleanly");
        Workspace {
            scenario: scenarios.join("fuzz.toml"),
            shipped,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let workspace = workspace();
    std::fs::write(&workspace.scenario, data).expect("write the scenario");

    // `chanmix check fuzz.toml` (run::prepare): load with `extends`, load and check the
    // rules it names, check the scenario against them, work out what to read.
    let mut sources = SourceMap::new();
    let scenario = match load_scenario(&workspace.scenario, &mut sources) {
        Ok(scenario) => scenario,
        Err(diagnostics) => return render(&diagnostics, &sources),
    };
    // Against the shipped rules whatever `rules` says (spans point into another source
    // map, so these are only turned into text, not rendered with sources).
    for diagnostic in check_against_plan(&scenario, &workspace.shipped) {
        let _ = diagnostic.message.len();
    }
    let _ = request_for_plan(&workspace.shipped, &scenario.inputs);

    let program = load_scenario_rules(&scenario, sources, &[]);
    let mut diagnostics = program.diagnostics;
    if let Some(plan) = &program.plan {
        diagnostics.extend(check_against_plan(&scenario, plan));
        let _ = request_for_plan(plan, &scenario.inputs);
    }
    render(&diagnostics, &program.sources);
});

/// Renders diagnostics both ways `chanmix check` can (text and `--format json`).
fn render(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let _ = render_text(diagnostics, sources, false);
    let _ = render_json(diagnostics, sources);
}
