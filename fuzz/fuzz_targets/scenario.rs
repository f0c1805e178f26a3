//! Fuzz target `scenario`: arbitrary bytes as a scenario file beside the shipped ones,
//! loaded (with `extends`) and checked as `chanmix check scenario.toml` does, and
//! against the shipped rules.
#![no_main]

#[path = "../../tests/support/fuzz_harness.rs"]
mod fuzz_harness;

use std::path::Path;
use std::sync::OnceLock;

use fuzz_harness::scenario::Workspace;
use libfuzzer_sys::fuzz_target;

fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    // The repository root, one folder above this crate.
    WORKSPACE.get_or_init(|| Workspace::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))))
}

fuzz_target!(|data: &[u8]| {
    workspace().run(data);
});
