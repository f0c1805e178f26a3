//! Fuzz target `scenario`: arbitrary bytes as a scenario file beside the shipped ones,
//! loaded (with `extends`) and checked as `chanmix check scenario.toml` does, and
//! against the shipped rules.
#![no_main]

// Each target uses one of the harness's modules; the others are not dead code elsewhere.
#[allow(dead_code)]
#[path = "../../tests/integration/support/fuzz_harness.rs"]
mod fuzz_harness;

use std::path::Path;
use std::sync::OnceLock;

use fuzz_harness::scenario::Workspace;
use libfuzzer_sys::fuzz_target;

static WORKSPACE: OnceLock<Workspace> = OnceLock::new();

fn workspace() -> &'static Workspace {
    WORKSPACE.get_or_init(|| {
        // The repository root, one folder above this crate.
        let workspace = Workspace::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")));
        // SAFETY: registers a plain function; libFuzzer ends with exit(), which runs it.
        unsafe { atexit(remove_workspace) };
        workspace
    })
}

unsafe extern "C" {
    /// C's `atexit`: statics are never dropped, so the folder is removed from here.
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn remove_workspace() {
    if let Some(workspace) = WORKSPACE.get() {
        let _ = std::fs::remove_dir_all(workspace.root());
    }
}

fuzz_target!(|data: &[u8]| {
    workspace().run(data);
});
