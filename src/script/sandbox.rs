//! The one rhai engine every script runs in: no modules, no `eval`, no clock, no
//! output, and limits on operations, call depth, expression depth, strings, arrays and
//! maps, so a runaway script ends in an error instead of a hang or a crash.

use std::sync::OnceLock;

use rhai::Engine;

/// Operations one call may take (rhai counts each expression and statement step):
/// a few milliseconds of work, far above any plan a formula calls per partner.
pub const MAX_OPERATIONS: u64 = 2_000_000;
/// Nested function calls (recursion included).
pub const MAX_CALL_LEVELS: usize = 32;
/// Nesting of one expression (and of an expression inside a function body).
pub const MAX_EXPR_DEPTH: usize = 64;
/// Characters in one string (bytes of UTF-8).
pub const MAX_STRING_SIZE: usize = 1 << 20;
/// Elements of one array (or bytes of one blob).
pub const MAX_ARRAY_SIZE: usize = 100_000;
/// Properties of one object map.
pub const MAX_MAP_SIZE: usize = 10_000;

/// The shared sandboxed engine (its settings never change after it is built; rhai's
/// `sync` feature makes it shareable between the evaluator's threads).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(build)
}

fn build() -> Engine {
    // The standard library without the clock (the `no_time` feature) and, through
    // `no_module`, without `import`: a script reaches no file, network or process,
    // since rhai has no function for them unless the host registers one.
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH);
    engine.set_max_string_size(MAX_STRING_SIZE);
    engine.set_max_array_size(MAX_ARRAY_SIZE);
    engine.set_max_map_size(MAX_MAP_SIZE);
    // Pure scripts: no code from text, nothing printed over the console.
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine
}
