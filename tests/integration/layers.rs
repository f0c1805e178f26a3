//! The layers of the code, enforced: every `crate::…` (and `super::…`) path in src/
//! must point at its own floor or one below it, files of one folder must not import
//! each other in a circle, and no source file grows past 1,000 lines.
//!
//! The allowed list below is the one place the layering is written down; the first
//! picture of ARCHITECTURE.md draws it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the library and the modules it may import, bottom up.
/// A module not listed here fails the test: a new folder must choose its floor.
#[rustfmt::skip]
const LAYERS: &[(&str, &[&str])] = &[
    // ground floor: shared types that import nothing above them
    ("atomic",     &["files"]),
    ("files",      &[]),
    ("terminal",   &[]),
    ("suggest",    &[]),
    ("value",      &[]),
    ("test_random", &[]),  // unit tests' random stream (cfg(test) only)
    ("diagnostic", &["suggest", "terminal"]),
    ("table",      &["value"]),
    ("functions",  &["value"]),
    // the floors above, each importing only downward
    ("script",     &["diagnostic", "functions", "suggest", "value", "files"]),
    ("lang",       &["script", "diagnostic", "functions", "suggest", "table", "value", "files", "terminal",
                     "test_random"]),
    ("eval",       &["lang", "diagnostic", "functions", "suggest", "table", "value", "test_random"]),
    ("data",       &["diagnostic", "suggest", "table", "value", "files", "terminal", "atomic",
                     "test_random"]),
    ("scenario",   &["data", "lang", "script", "diagnostic", "functions", "suggest", "table", "value", "files", "terminal"]),
    ("analysis",   &["lang", "diagnostic", "functions", "suggest", "table", "value", "test_random"]),
    ("report",     &["scenario", "data", "eval", "lang", "script", "atomic", "diagnostic", "functions",
                     "suggest", "table", "value", "files", "terminal"]),
    ("pipeline",   &["report", "analysis", "scenario", "data", "eval", "lang", "script", "atomic",
                     "diagnostic", "functions", "suggest", "table", "value", "files", "terminal"]),
    ("cli",        &["pipeline", "report", "analysis", "scenario", "data", "eval", "lang", "script",
                     "atomic", "diagnostic", "functions", "suggest", "table", "value", "files", "terminal"]),
];

/// Folders whose subfolders are siblings that must not import each other (each
/// analysis stands alone; what they share lives in the folder's own files).
const SIBLINGS: &[&str] = &["analysis"];

/// The longest a source file may be.
const MAX_LINES: usize = 1_000;

fn src_dir() -> PathBuf {
    crate::support::repo().join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/eval/engine/variants.rs` → `["eval", "engine", "variants"]`; `mod.rs` and
/// `lib.rs` name their folder.
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src_dir()).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and string literals, so that paths written in
/// docs or messages are not taken for imports.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            let end = rest[body..]
                .find(&close)
                .map_or(rest.len(), |e| body + e + close.len());
            i += end;
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match bytes[i + j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else if rest.starts_with("'\"'") {
            i += 3;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every module path a file's code names (`crate::a::b`, `super::c`, and the items of
/// `use crate::{a, b::c}` lists), resolved to absolute module paths (the named item's
/// path; the caller decides which prefix is a module).
fn referenced_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let tokens: Vec<char> = code.chars().collect();
    let text: String = tokens.iter().collect();
    let mut start = 0;
    while let Some(offset) = text[start..].find(['c', 's']) {
        let at = start + offset;
        start = at + 1;
        let before_ok = at == 0
            || !text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        if !before_ok {
            continue;
        }
        let rest = &text[at..];
        let (base, after) = if let Some(r) = rest.strip_prefix("crate::") {
            (Vec::new(), r)
        } else if rest.starts_with("super::") {
            let mut base: Vec<String> = module.to_vec();
            let mut r = rest;
            while let Some(next) = r.strip_prefix("super::") {
                base.pop();
                r = next;
            }
            (base, r)
        } else {
            continue;
        };
        collect_tree(&base, after, &mut found);
    }
    found
}

/// Reads `a::b::{c, d::e}` style trees after a prefix into full paths.
fn collect_tree(base: &[String], text: &str, out: &mut Vec<Vec<String>>) {
    let mut path = base.to_vec();
    let mut rest = text;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                for part in split_top_level(inner) {
                    collect_tree(&path, part.trim(), out);
                }
            } else {
                out.push(path);
            }
            return;
        }
        rest = &rest[ident.len()..];
        if ident != "self" {
            path.push(ident);
        }
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => {
                out.push(path);
                return;
            }
        }
    }
}

/// The comma-separated parts of a `{…}` list up to its closing brace.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut from = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                parts.push(&text[from..i]);
                return parts;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[from..]);
    parts
}

struct Source {
    module: Vec<String>,
    path: PathBuf,
    lines: usize,
    references: Vec<Vec<String>>,
}

fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "main.rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let module = module_of(&path);
            // Unit tests may reach anywhere below; only product code is layered.
            let product = text.split("#[cfg(test)]").next().unwrap_or("");
            let references = referenced_paths(&module, &code_only(product));
            Source {
                module,
                lines: text.lines().count(),
                path,
                references,
            }
        })
        .collect()
}

#[test]
fn every_import_points_down_the_layers() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for source in sources() {
        let Some(own) = source.module.first() else {
            continue; // lib.rs
        };
        let Some(may) = allowed.get(own.as_str()) else {
            wrong.push(format!(
                "{}: module `{own}` is not in LAYERS (tests/integration/layers.rs)",
                source.path.display()
            ));
            continue;
        };
        for target in &source.references {
            let Some(top) = target.first() else { continue };
            if top == own || may.contains(&top.as_str()) {
                continue;
            }
            wrong.push(format!(
                "{}: `{own}` imports `{}` (allowed: {may:?})",
                source.path.display(),
                target.join("::")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn sibling_folders_do_not_import_each_other() {
    let mut wrong = Vec::new();
    for source in sources() {
        let [top, own, ..] = source.module.as_slice() else {
            continue;
        };
        if !SIBLINGS.contains(&top.as_str()) {
            continue;
        }
        for target in &source.references {
            if let [t, other, _, ..] = target.as_slice()
                && t == top
                && other != own
                && src_dir().join(top).join(other).is_dir()
            {
                wrong.push(format!(
                    "{}: `{top}::{own}` imports its sibling `{}`",
                    source.path.display(),
                    target.join("::")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn main_only_calls_the_cli() {
    let text = std::fs::read_to_string(src_dir().join("main.rs")).unwrap();
    let code = code_only(&text);
    let mut modules = BTreeSet::new();
    for (at, _) in code.match_indices("chanmix::") {
        let name: String = code[at + 9..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        modules.insert(name);
    }
    modules.remove("cli");
    assert!(
        modules.is_empty(),
        "main.rs reaches past the CLI into {modules:?}"
    );
}

#[test]
fn files_of_one_folder_do_not_import_each_other_in_a_circle() {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    // Edges between modules that are neither ancestor nor descendant of each other:
    // a child using its parent's items (or a parent declaring children) is nesting,
    // not a circle.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for source in &sources {
        for target in &source.references {
            // the longest prefix of the path that is a module (file)
            let Some(module) = (1..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|m| modules.contains(m))
            else {
                continue;
            };
            let nested = module.starts_with(&source.module) || source.module.starts_with(&module);
            if !nested {
                edges
                    .entry(source.module.clone())
                    .or_default()
                    .insert(module);
            }
        }
    }
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        find_cycle(start, &edges, &mut path, &mut cycles);
    }
    cycles.sort();
    cycles.dedup();
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

fn find_cycle(
    start: &Vec<String>,
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    path: &mut Vec<Vec<String>>,
    cycles: &mut Vec<String>,
) {
    let Some(last) = path.last().cloned() else {
        return;
    };
    for next in edges.get(&last).into_iter().flatten() {
        if next == start {
            // report each circle once, from its smallest member
            if path.iter().all(|m| m >= start) {
                let names: Vec<String> = path.iter().chain([start]).map(|m| m.join("::")).collect();
                cycles.push(names.join(" → "));
            }
        } else if !path.contains(next) && path.len() < 8 {
            path.push(next.clone());
            find_cycle(start, edges, path, cycles);
            path.pop();
        }
    }
}

#[test]
fn no_source_file_is_over_a_thousand_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > MAX_LINES)
        .map(|s| format!("{}: {} lines", s.path.display(), s.lines))
        .collect();
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}

#[test]
fn the_reader_of_paths_understands_use_trees() {
    let module = vec!["report".to_string(), "sheets".to_string()];
    let code = code_only(
        "use crate::{data::quality, value::{Value, ErrorKind}};\n\
         // use crate::cli::nothing;\n\
         use super::cells::Style;\n\
         let s = \"crate::run::in_a_string\";\n\
         crate::atomic::write(x);",
    );
    let found: Vec<String> = referenced_paths(&module, &code)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "data::quality",
            "value::Value",
            "value::ErrorKind",
            "report::cells::Style",
            "atomic::write",
        ]
    );
}
