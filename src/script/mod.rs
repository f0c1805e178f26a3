//! Rhai scripts a rule file loads with `script "plans/current.rhai"`: read like rule
//! files (a regular `.rhai` file), compiled in the sandbox, and each public `fn`
//! registered as a formula function (`functions::Registry::register`).
//!
//! A function whose name starts with `_` (or a `private fn`) is the script's own helper.
//! Script errors are diagnostics at the script's line and column (the script's text
//! joins the `SourceMap`, so they render like rule errors); a clash with a built-in or
//! another script's function names both places.

pub mod function;
pub mod sandbox;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::FnAccess;

use crate::diagnostic::source::{FileId, SourceMap, Span};
use crate::diagnostic::{Code, Diagnostic};
use crate::functions::{
    ArgKind, Category, FunctionSpec, Implementation, Registry, RegistryError, ReturnType,
};

pub use function::ScriptFunction;

/// The most a script file may hold.
pub const MAX_SCRIPT_BYTES: u64 = 1 << 20;

/// A `script "…"` statement of a rule file.
#[derive(Debug, Clone)]
pub struct ScriptStatement {
    /// The rule file that loads it (the path is relative to its folder).
    pub rule_file: PathBuf,
    /// The path as written.
    pub written: String,
    /// The quoted path in the rule file.
    pub at: Span,
}

/// The scripts of one program, compiled, and what went wrong.
#[derive(Debug, Default)]
pub struct LoadedScripts {
    /// Every registered function, for the problems a run found.
    pub functions: Vec<Arc<ScriptFunction>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and compiles every script `statements` name (a file named twice is loaded
/// once), adds its text to `sources` and registers its public functions in `registry`.
pub fn load_scripts(
    statements: &[ScriptStatement],
    sources: &mut SourceMap,
    registry: &mut Registry,
) -> LoadedScripts {
    let mut loaded = LoadedScripts::default();
    let mut seen: Vec<PathBuf> = Vec::new();
    // Upper-case name → where a script defined it.
    let mut defined: HashMap<String, Span> = HashMap::new();
    for statement in statements {
        let path = statement
            .rule_file
            .parent()
            .unwrap_or(Path::new(""))
            .join(&statement.written);
        let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.contains(&identity) {
            continue;
        }
        seen.push(identity);
        let text = match read_script(&path) {
            Ok(text) => text,
            Err(reason) => {
                loaded.diagnostics.push(
                    Diagnostic::error(
                        Code::ScriptUnusable,
                        format!("cannot read script {}: {reason}", path.display()),
                        statement.at,
                    )
                    .with_label("loaded here")
                    .with_hint(
                        "the path is relative to this rule file's folder; scripts end in .rhai",
                    ),
                );
                continue;
            }
        };
        let file = sources.add(path.clone(), text.clone());
        let shown = path.display().to_string();
        let ast = match sandbox::engine().compile(&text) {
            Ok(ast) => Arc::new(ast),
            Err(error) => {
                let position = error.position();
                let span = span_at(&text, file, position.line(), position.position());
                loaded.diagnostics.push(
                    Diagnostic::error(
                        Code::ScriptUnusable,
                        format!("the script does not compile: {}", error.err_type()),
                        span,
                    )
                    .with_label("here")
                    .with_secondary(statement.at, "loaded here")
                    .with_hint(
                        "scripts are rhai (rhai.rs/book); `eval`, `import` and the clock are not available",
                    ),
                );
                continue;
            }
        };
        register_functions(
            &ast,
            &text,
            file,
            &shown,
            registry,
            &mut defined,
            &mut loaded,
        );
    }
    loaded
}

/// Registers `ast`'s public functions, one formula function per name (its arities
/// from the fewest to the most parameters).
fn register_functions(
    ast: &Arc<rhai::AST>,
    text: &str,
    file: FileId,
    shown: &str,
    registry: &mut Registry,
    defined: &mut HashMap<String, Span>,
    loaded: &mut LoadedScripts,
) {
    // Every function's line (helpers too), for errors rhai gives without a position.
    let lines: Arc<HashMap<String, usize>> = Arc::new(
        ast.iter_functions()
            .map(|f| {
                let start = fn_span(text, file, f.name).start;
                let line = text.get(..start).map_or(1, |t| t.matches('\n').count() + 1);
                (f.name.to_string(), line)
            })
            .collect(),
    );
    // Name, fewest and most parameters, the longest parameter list.
    let mut arities: Vec<(String, usize, usize, String)> = Vec::new();
    for function in ast.iter_functions() {
        if function.name.starts_with('_') || function.access == FnAccess::Private {
            continue;
        }
        let count = function.params.len();
        let params = function.params.join(", ");
        match arities.iter_mut().find(|(name, ..)| name == function.name) {
            Some((_, min, max, longest)) => {
                *min = (*min).min(count);
                if count > *max {
                    *max = count;
                    *longest = params;
                }
            }
            None => arities.push((function.name.to_string(), count, count, params)),
        }
    }
    for (name, min, max, params) in arities {
        let span = fn_span(text, file, &name);
        let upper = name.to_ascii_uppercase();
        if let Some(&other) = defined.get(&upper) {
            loaded.diagnostics.push(
                Diagnostic::error(
                    Code::ScriptNameClash,
                    format!("`{name}` is defined by two scripts"),
                    span,
                )
                .with_label("defined again here")
                .with_secondary(other, "first defined here")
                .with_hint("formula names ignore case; rename one of them"),
            );
            continue;
        }
        let callable = Arc::new(ScriptFunction::new(
            Arc::clone(ast),
            &name,
            shown,
            Arc::clone(&lines),
        ));
        let spec = FunctionSpec {
            name: Cow::Owned(name.clone()),
            category: Category::Script,
            min_args: min,
            max_args: Some(max),
            arg_kinds: Cow::Owned(vec![ArgKind::Scalar; max.max(1)]),
            repeat_from: 0,
            returns: ReturnType::Any,
            future: false,
            implementation: Implementation::External(callable.clone()),
            kernel: None,
            summary: Cow::Owned(format!(
                "{name}({params}), a function of the script {shown}"
            )),
        };
        match registry.register(spec) {
            Ok(()) => {
                defined.insert(upper, span);
                loaded.functions.push(callable);
            }
            Err(error) => {
                let builtin = matches!(error, RegistryError::ShadowsBuiltin(_));
                let mut d = Diagnostic::error(
                    Code::ScriptNameClash,
                    if builtin {
                        format!("`{name}` is the name of a built-in function")
                    } else {
                        error.to_string()
                    },
                    span,
                )
                .with_label("defined here");
                d = d.with_hint(if builtin {
                    format!(
                        "formulas call `{}` for Excel's function (names ignore case); give the script function another name, or start it with `_` to keep it to the script",
                        name.to_ascii_uppercase()
                    )
                } else {
                    "rename it".to_string()
                });
                loaded.diagnostics.push(d);
            }
        }
    }
}

/// A script's text: a regular `.rhai` file of at most [`MAX_SCRIPT_BYTES`], UTF-8.
fn read_script(path: &Path) -> Result<String, String> {
    if !crate::files::has_extension(path, &["rhai"]) {
        return Err("it is not a rhai script (scripts end in .rhai)".to_string());
    }
    let bytes = crate::files::read_regular(path, MAX_SCRIPT_BYTES).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (byte {} is not); save it with UTF-8 encoding",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// The span of rhai's (1-based) line and column in `text`: one character, or the end
/// of the text when the position is past it.
fn span_at(text: &str, file: FileId, line: Option<usize>, column: Option<usize>) -> Span {
    let Some(line) = line else {
        return Span::new(file, 0, 0);
    };
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let column = column.unwrap_or(1).max(1);
            let start = content
                .char_indices()
                .nth(column - 1)
                .map_or(content.trim_end_matches(['\n', '\r']).len(), |(i, _)| i);
            let width = content[start..].chars().next().map_or(0, char::len_utf8);
            let width = if content[start..].starts_with(['\n', '\r']) {
                0
            } else {
                width
            };
            return Span::new(file, offset + start, offset + start + width);
        }
        offset += content.len();
    }
    Span::new(file, text.len(), text.len())
}

/// Where `fn name` is written in `text` (the name), or the start of the file.
fn fn_span(text: &str, file: FileId, name: &str) -> Span {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(name)) {
        let start = from + found;
        let end = start + name.len();
        let before = text[..start].trim_end();
        let boundary_after = bytes
            .get(end)
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        let keyword = before
            .strip_suffix("fn")
            .is_some_and(|rest| rest.is_empty() || rest.ends_with(|c: char| c.is_whitespace()));
        if keyword && boundary_after && before.len() < start {
            return Span::new(file, start, end);
        }
        from = end;
    }
    Span::new(file, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_lines_and_columns_from_one() {
        let text = "fn a() {\n  x +\n}\n";
        let span = span_at(text, 0, Some(2), Some(3));
        assert_eq!(&text[span.start..span.end], "x");
        let span = fn_span(text, 0, "a");
        assert_eq!((span.start, span.end), (3, 4));
    }
}
