//! Reading a scenario file and the files it `extends`, merging them (this file wins,
//! tables merge deeply, arrays replace), and building the [`Scenario`] with resolved paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use toml::de::DeTable;

use crate::data::spec::{BadCellPolicy, InputsSpec, TableSpec};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceMap;
use crate::diagnostic::source::{FileId, Span};
use crate::lang::program::read_source_file;
use crate::suggest::did_you_mean;
use crate::value::datetime::serial_from_ymd;
use crate::value::{Value, parse_numeric_text};

use super::model::{
    ChartKind, ChartSpec, DashboardSpec, Locations, OutputSpec, ParamSetting, Scenario,
};
use super::schema::{self, RAW_SECTIONS};
use super::tree::{self, Entry, Kind, Node, Table};
use crate::diagnostic::Code;

/// More `extends` levels than this is certainly a mistake (cycles are caught earlier).
const MAX_CHAIN: usize = 64;

/// One file of the chain, parsed.
struct ChainFile {
    path: PathBuf,
    file: FileId,
    tree: Table,
}

/// Loads a scenario file, following `extends` (deep merge of TOML tables; this file wins;
/// arrays replace), resolving relative paths against the file that wrote them.
///
/// Every file read is added to `sources`, so the diagnostics (and later ones about the
/// scenario) render with `file:line:col`. All problems found are returned together.
pub fn load_scenario(path: &Path, sources: &mut SourceMap) -> Result<Scenario, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let (chain, complete) = read_chain(path, sources, &mut diagnostics);
    let Some(root) = chain.first().filter(|_| complete) else {
        // A file of the chain is missing or broken: what the merge would miss (`rules` …)
        // would only add noise to the errors already found.
        diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
        return Err(diagnostics);
    };
    let mut merged = Table::new();
    for file in chain.iter().rev() {
        tree::merge(&mut merged, &file.tree);
    }
    let scenario = build(root, &chain, &merged, sources, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
        Err(diagnostics)
    } else {
        Ok(scenario)
    }
}

/// Reads the file and everything it extends, outermost last. Stops following `extends`
/// at a file that cannot be read or parsed, or at a cycle (each reported); the flag says
/// whether the whole chain was read.
fn read_chain(
    path: &Path,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<ChainFile>, bool) {
    let mut chain: Vec<ChainFile> = Vec::new();
    // Canonical paths of the chain, to recognise a file reached twice.
    let mut seen: Vec<PathBuf> = Vec::new();
    // The `extends` value that led to the next file, if any.
    let mut next: Option<(PathBuf, Span)> = None;
    let mut current = normalize(path);
    loop {
        let text = match read_source_file(
            &current,
            "toml",
            "it is not a scenario file (scenario files end in .toml)",
        ) {
            Ok(source) => source.text,
            Err(error) => {
                diagnostics.push(unreadable(&current, &error.source, next.as_ref(), sources));
                return (chain, false);
            }
        };
        let file = sources.add(current.clone(), text);
        let Some(tree) = parse_file(file, sources, diagnostics) else {
            return (chain, false);
        };
        seen.push(std::fs::canonicalize(&current).unwrap_or_else(|_| current.clone()));
        let extends = tree.get("extends").and_then(|e| {
            e.node
                .as_str()
                .map(|target| (target.to_string(), e.node.span))
        });
        chain.push(ChainFile {
            path: current.clone(),
            file,
            tree,
        });
        let Some((target, span)) = extends else {
            return (chain, true);
        };
        if target.trim().is_empty() {
            return (chain, false); // reported as an empty path
        }
        let resolved = resolve(&current, &target);
        let canonical = std::fs::canonicalize(&resolved).unwrap_or_else(|_| resolved.clone());
        if let Some(start) = seen.iter().position(|p| *p == canonical) {
            diagnostics.push(cycle(&chain, start, span));
            return (chain, false);
        }
        if chain.len() >= MAX_CHAIN {
            diagnostics.push(
                Diagnostic::error(
                    Code::ExtendsCycle,
                    format!("`extends` chain is longer than {MAX_CHAIN} files"),
                    span,
                )
                .with_label("stopped following here"),
            );
            return (chain, false);
        }
        next = Some((target.into(), span));
        current = resolved;
    }
}

fn unreadable(
    path: &Path,
    error: &std::io::Error,
    referenced: Option<&(PathBuf, Span)>,
    sources: &mut SourceMap,
) -> Diagnostic {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => error.to_string(),
    };
    match referenced {
        Some((written, span)) => Diagnostic::error(
            Code::ExtendsUnreadable,
            format!(
                "cannot read `{}`, which this scenario extends: {reason}",
                written.display()
            ),
            *span,
        )
        .with_label(format!("looked for {}", path.display()))
        .with_hint("`extends` is relative to the folder of the file that writes it"),
        None => {
            // Register the path so the diagnostic still renders with a file name.
            let file = sources.add(path.to_path_buf(), String::new());
            Diagnostic::error(
                Code::ScenarioUnreadable,
                format!("cannot read scenario file {}: {reason}", path.display()),
                Span::new(file, 0, 0),
            )
        }
    }
}

/// Parses one loaded file and checks its own keys and types.
fn parse_file(
    file: FileId,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Table> {
    let text = sources.get(file).map_or("", |f| f.text.as_str());
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => {
            diagnostics.push(syntax_error(&error, file, text));
            return None;
        }
    };
    let mut out_of_range = Vec::new();
    let root = tree::document_to_tree(&document, file, &mut out_of_range);
    for problem in out_of_range {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("the number {} is too large", problem.text),
                problem.span,
            )
            .with_label("does not fit a 64-bit integer"),
        );
    }
    let Kind::Table(table) = root.kind else {
        return None;
    };
    schema::check_file(&table, diagnostics);
    Some(table)
}

/// A TOML syntax error as a diagnostic, with a hint for the mistakes people make most.
fn syntax_error(error: &toml::de::Error, file: FileId, text: &str) -> Diagnostic {
    let range = error.span().unwrap_or(0..0);
    let span = Span::new(file, range.start, range.end);
    let written = text.get(range.clone()).unwrap_or("").trim();
    let full = error.message().lines().next().unwrap_or("").trim();
    let (what, expected) = match full.split_once(", expected ") {
        Some((what, expected)) => (what, Some(expected)),
        None => (full, None),
    };
    let mut d = Diagnostic::error(
        Code::TomlSyntax,
        format!("this is not valid TOML: {what}"),
        span,
    )
    .with_label(expected.map_or_else(|| "here".to_string(), |e| format!("expected {e}")));
    if what.starts_with("string values must be quoted") {
        d.message = "this is not valid TOML: text must be in quotes".to_string();
        d = d.with_label("text without quotes").with_hint(format!(
            "write it as \"{written}\" (numbers, true/false and dates like 2026-06-30 need no quotes)"
        ));
    } else if what.starts_with("duplicate key") {
        d.message = format!("this is not valid TOML: `{written}` is set twice in the same table");
        d = d.with_label("set again here").with_hint(
            "keep one of them; to change a value another scenario sets, use `extends` and set it in this file",
        );
    } else if what.starts_with("invalid date") {
        d = d.with_hint("write dates as YYYY-MM-DD, e.g. 2026-06-30, and check the day exists");
    } else if expected.is_some_and(|e| e.contains("`,`")) {
        d = d
            .with_hint("lists are written [\"a\", \"b\"]: a comma between entries and a closing ]");
    } else if what.starts_with("key with no value") {
        d = d.with_hint("keys cannot contain spaces: write gross_margin, not gross margin");
    }
    d
}

fn cycle(chain: &[ChainFile], start: usize, closing: Span) -> Diagnostic {
    let names: Vec<String> = chain
        .iter()
        .skip(start)
        .map(|f| file_name(&f.path))
        .chain(chain.get(start).map(|f| file_name(&f.path)))
        .collect();
    let mut d = Diagnostic::error(
        Code::ExtendsCycle,
        format!("`extends` goes in a circle: {}", names.join(" → ")),
        closing,
    )
    .with_label("this closes the circle");
    for file in chain.iter().skip(start) {
        if let Some(entry) = file.tree.get("extends")
            && entry.node.span != closing
        {
            d = d.with_secondary(entry.node.span, "extended from here");
        }
    }
    d.with_hint("remove `extends` from one of these files, or point it at a base scenario")
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Resolves a path written in `file` against that file's folder.
fn resolve(file: &Path, written: &str) -> PathBuf {
    let written = Path::new(written);
    if written.is_absolute() {
        return normalize(written);
    }
    let base = file.parent().unwrap_or(Path::new(""));
    normalize(&base.join(written))
}

/// Removes `.` and folds `name/..` without touching the disk, so paths read as the user
/// expects (`scenarios/../rules/a.rules` → `rules/a.rules`). Leading `..` are kept.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// The folder-relative path of a string value, resolved against the file that wrote it.
fn path_value(node: &Node, sources: &SourceMap) -> Option<PathBuf> {
    let written = node.as_str()?;
    Some(resolve(sources.path(node.span.file), written))
}

fn build(
    root: &ChainFile,
    chain: &[ChainFile],
    merged: &Table,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Scenario {
    let own = |key: &str| root.tree.get(key).and_then(|e| e.node.as_str());
    let name = own("name").map_or_else(
        || {
            root.path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        },
        str::to_string,
    );
    let mut locations = Locations::new(root.file);
    record_locations(merged, "", &mut locations);
    let scenario = Scenario {
        name,
        description: own("description").map(str::to_string),
        path: root.path.clone(),
        chain: chain.iter().map(|f| f.path.clone()).collect(),
        rules: build_rules(root, chain, merged, sources, diagnostics),
        as_of: build_as_of(merged, diagnostics),
        strict: matches!(
            merged.get("strict").map(|e| &e.node.kind),
            Some(Kind::Boolean(true))
        ),
        inputs: build_inputs(merged, sources, diagnostics),
        params: build_params(merged, sources),
        output: build_output(merged, sources),
        dashboard: build_dashboard(merged, diagnostics),
        sections: RAW_SECTIONS
            .iter()
            .filter_map(|s| merged.get(*s).map(|e| (s.to_string(), e.node.to_toml())))
            .collect(),
        locations,
    };
    check_output_is_not_an_input(&scenario, diagnostics);
    super::paths::check_path_kinds(&scenario, diagnostics);
    scenario
}

/// Whether two paths name the same file (the same text, or the same file on disk).
fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// `run` must never overwrite what it reads: an output path equal to an input workbook,
/// a rule file or a scenario file of the chain is an error before anything runs.
fn check_output_is_not_an_input(scenario: &Scenario, diagnostics: &mut Vec<Diagnostic>) {
    let locations = &scenario.locations;
    let mut inputs: Vec<(&Path, Option<Span>, &str)> = Vec::new();
    if let Some(workbook) = &scenario.inputs.workbook {
        inputs.push((
            workbook,
            locations.value("inputs.workbook"),
            "the input workbook",
        ));
    }
    for (name, table) in &scenario.inputs.tables {
        if let Some(file) = &table.file {
            inputs.push((
                file,
                locations.value(&format!("inputs.tables.{name}.file")),
                "an input file",
            ));
        }
    }
    for (i, rule) in scenario.rules.iter().enumerate() {
        inputs.push((rule, locations.value(&format!("rules[{i}]")), "a rule file"));
    }
    for file in &scenario.chain {
        inputs.push((file, None, "a scenario file"));
    }
    let outputs = [
        (&scenario.output.workbook, "output.workbook"),
        (&scenario.output.json, "output.json"),
    ];
    for (output, key) in outputs {
        let Some(output) = output else { continue };
        let Some((_, span, what)) = inputs.iter().find(|(input, _, _)| same_file(output, input))
        else {
            continue;
        };
        let mut d = Diagnostic::error(
            Code::OutputOverwritesInput,
            format!("`{key}` would overwrite {what}: {}", output.display()),
            locations.best(key),
        )
        .with_label("this output")
        .with_hint("write the output to another file, e.g. under ../out/");
        if let Some(span) = span {
            d = d.with_secondary(*span, "read from here");
        }
        diagnostics.push(d);
    }
}

fn record_locations(table: &Table, prefix: &str, locations: &mut Locations) {
    for (key, entry) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        record_node(&entry.node, &path, entry.key_span, locations);
    }
}

fn record_node(node: &Node, path: &str, key_span: Span, locations: &mut Locations) {
    locations.record(path.to_string(), key_span, node.span);
    match &node.kind {
        Kind::Table(table) => record_locations(table, path, locations),
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                record_node(item, &format!("{path}[{i}]"), item.span, locations);
            }
        }
        _ => {}
    }
}

fn build_rules(
    root: &ChainFile,
    chain: &[ChainFile],
    merged: &Table,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let missing_hint = "add the rule files (or folders) this scenario runs, relative to this \
                        file: rules = [\"../rules/channel_performance.rules\"]";
    let Some(entry) = merged.get("rules") else {
        if chain.iter().any(|f| rules_written_elsewhere(&f.tree)) {
            return Vec::new(); // the misspelt or misplaced key is reported already
        }
        diagnostics.push(
            Diagnostic::error(
                Code::MissingKey,
                "the scenario names no rule files: `rules` is missing",
                Span::new(root.file, 0, 0),
            )
            .with_hint(missing_hint),
        );
        return Vec::new();
    };
    let Some(items) = entry.node.as_array() else {
        return Vec::new(); // wrong type, already reported
    };
    if items.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                Code::MissingKey,
                "the scenario names no rule files: `rules` is empty",
                entry.node.span,
            )
            .with_label("empty list")
            .with_hint(missing_hint),
        );
    }
    let mut rules = Vec::new();
    for item in items {
        let Some(path) = path_value(item, sources) else {
            continue;
        };
        if !path.exists() {
            let folder = sources
                .path(item.span.file)
                .parent()
                .map_or_else(String::new, |p| p.display().to_string());
            let folder = if folder.is_empty() {
                ".".to_string()
            } else {
                folder
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::RulesNotFound,
                    format!("rule file or folder not found: {}", path.display()),
                    item.span,
                )
                .with_label("no such file or folder")
                .with_hint(format!(
                    "rule paths are relative to the folder of the scenario file that names \
                     them ({folder})"
                )),
            );
        }
        rules.push(path);
    }
    rules
}

/// Whether a file has `rules` misspelt at the top level or written inside a section.
fn rules_written_elsewhere(table: &Table) -> bool {
    table.iter().any(|(key, entry)| {
        (key != "rules" && did_you_mean(key, ["rules"]).is_some())
            || entry
                .node
                .as_table()
                .is_some_and(|t| t.contains_key("rules"))
    })
}

/// Whether a table has a key that looks like a misspelling of `wanted`.
fn has_misspelt(table: &Table, wanted: &str) -> bool {
    table
        .keys()
        .any(|k| k != wanted && did_you_mean(k, [wanted]).is_some())
}

fn build_as_of(merged: &Table, diagnostics: &mut Vec<Diagnostic>) -> Option<chrono::NaiveDate> {
    let entry = merged.get("as_of")?;
    let Kind::Datetime(dt) = &entry.node.kind else {
        return None;
    };
    let date = dt.date?;
    if dt.time.is_some() {
        return None; // reported by the schema check
    }
    let found =
        chrono::NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into());
    if found.is_none() {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("`as_of` is not a real date: {dt}"),
                entry.node.span,
            )
            .with_label("no such day"),
        );
    }
    // Excel's dates start on 1900-01-01 (serial 1) and end on 9999-12-31: outside them
    // TODAY() would have no serial, and every date formula would go blank.
    if found.is_some_and(|d| !(1900..=9999).contains(&chrono::Datelike::year(&d))) {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("`as_of` {dt} is outside Excel's calendar (1900-01-01 to 9999-12-31)"),
                entry.node.span,
            )
            .with_label("spreadsheets have no date here")
            .with_hint("give the date the scenario is as of, e.g. as_of = 2026-06-30"),
        );
        return None;
    }
    found
}

fn build_inputs(
    merged: &Table,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> InputsSpec {
    let Some(inputs) = merged.get("inputs").and_then(|e| e.node.as_table()) else {
        return InputsSpec::default();
    };
    let mut tables = BTreeMap::new();
    if let Some(specs) = inputs.get("tables").and_then(|e| e.node.as_table()) {
        for (name, entry) in specs {
            if let Some(table) = entry.node.as_table() {
                tables.insert(name.clone(), build_table(name, table, sources, diagnostics));
            }
        }
    }
    InputsSpec {
        workbook: inputs
            .get("workbook")
            .and_then(|e| path_value(&e.node, sources)),
        tables,
    }
}

fn text(table: &Table, key: &str) -> Option<String> {
    table
        .get(key)
        .and_then(|e| e.node.as_str())
        .map(str::to_string)
}

fn text_list(table: &Table, key: &str) -> Option<Vec<String>> {
    let items = table.get(key)?.node.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
    )
}

fn text_map(table: &Table, key: &str) -> BTreeMap<String, String> {
    table
        .get(key)
        .and_then(|e| e.node.as_table())
        .map(|t| {
            t.iter()
                .filter_map(|(k, e)| e.node.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn build_table(
    name: &str,
    table: &Table,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> TableSpec {
    // The merged table may hold sheet options written by different files of the chain.
    let options: Vec<(&str, &Entry)> = ["sheet", "sheets", "sheet_pattern"]
        .into_iter()
        .filter_map(|k| table.get(k).map(|e| (k, e)))
        .collect();
    if let [(first, first_entry), rest @ ..] = options.as_slice() {
        for (other, entry) in rest {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("input table `{name}` gives both `{first}` and `{other}`"),
                    entry.key_span,
                )
                .with_label(format!("`{other}` here"))
                .with_secondary(first_entry.key_span, format!("`{first}` here"))
                .with_hint(
                    "give one of sheet (one sheet), sheets (several, read in order) or \
                     sheet_pattern (wildcards); with `extends`, the base file may set the other",
                ),
            );
        }
    }
    if let Some(entry) = table.get("sheets")
        && entry.node.as_array().is_some_and(<[Node]>::is_empty)
    {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("input table `{name}` has an empty `sheets` list"),
                entry.node.span,
            )
            .with_label("empty list")
            .with_hint(
                "name at least one sheet, or drop `sheets` to read the sheet named like the table",
            ),
        );
    }
    let header_row = table.get("header_row").and_then(|e| match e.node.kind {
        Kind::Integer(n) => match u32::try_from(n) {
            Ok(row) => Some(row),
            Err(_) => {
                if n > 0 {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`header_row` {n} is beyond any sheet's last row"),
                            e.node.span,
                        )
                        .with_label("too large"),
                    );
                }
                None
            }
        },
        _ => None,
    });
    let on_bad_cell = match text(table, "on_bad_cell").as_deref() {
        Some("reject-row") => BadCellPolicy::RejectRow,
        Some("fail") => BadCellPolicy::Fail,
        _ => BadCellPolicy::Report,
    };
    TableSpec {
        file: table.get("file").and_then(|e| path_value(&e.node, sources)),
        sheet: text(table, "sheet"),
        sheets: text_list(table, "sheets"),
        sheet_pattern: text(table, "sheet_pattern"),
        header_row,
        key: text(table, "key"),
        columns: text_map(table, "columns"),
        rename: text_map(table, "rename"),
        on_bad_cell,
        date_format: text(table, "date_format"),
        date_formats: text_map(table, "date_formats"),
        trim_keys: table.get("trim_keys").and_then(|e| match e.node.kind {
            Kind::Boolean(b) => Some(b),
            _ => None,
        }),
        trimmed: BTreeSet::new(),
        fill: text_map(table, "fill"),
        row_numbers: text_list(table, "row_numbers").unwrap_or_default(),
    }
}

fn build_params(merged: &Table, sources: &SourceMap) -> Vec<ParamSetting> {
    let Some(params) = merged.get("params").and_then(|e| e.node.as_table()) else {
        return Vec::new();
    };
    params
        .iter()
        .filter_map(|(name, entry)| {
            Some(ParamSetting {
                name: name.clone(),
                value: param_value(&entry.node)?,
                source: sources.path(entry.node.span.file).to_path_buf(),
                span: entry.node.span,
            })
        })
        .collect()
}

/// A `[params]` value as an engine value; `None` for shapes the schema check rejected.
pub(crate) fn param_value(node: &Node) -> Option<Value> {
    match &node.kind {
        Kind::Integer(n) => Some(Value::Number(*n as f64)),
        Kind::Float(f) => Some(Value::Number(*f)),
        Kind::Boolean(b) => Some(Value::Bool(*b)),
        Kind::String(s) => Some(percent(s).map_or_else(|| Value::text(s), Value::Number)),
        Kind::Datetime(dt) => {
            let date = dt.date?;
            if dt.time.is_some() {
                return None;
            }
            serial_from_ymd(date.year.into(), date.month.into(), date.day.into()).map(Value::Date)
        }
        Kind::Array(_) | Kind::Table(_) => None,
    }
}

/// `"72%"` → 0.72: a percentage written as text, as rule files write `72%`.
fn percent(text: &str) -> Option<f64> {
    let body = text.trim().strip_suffix('%')?;
    if body.trim_end().ends_with('%') {
        return None;
    }
    // Parse the number itself (not `parse_numeric_text`'s `%` handling) and divide by 100,
    // which gives the closest double (57 * 0.01 would not).
    parse_numeric_text(body).map(|n| n / 100.0)
}

fn build_output(merged: &Table, sources: &SourceMap) -> OutputSpec {
    let Some(output) = merged.get("output").and_then(|e| e.node.as_table()) else {
        return OutputSpec::default();
    };
    OutputSpec {
        workbook: output
            .get("workbook")
            .and_then(|e| path_value(&e.node, sources)),
        json: output
            .get("json")
            .and_then(|e| path_value(&e.node, sources)),
        omit_tables: text_list(output, "omit_tables").unwrap_or_default(),
        readable_headers: output.get("headers").and_then(|e| e.node.as_str()) == Some("readable"),
    }
}

fn build_dashboard(merged: &Table, diagnostics: &mut Vec<Diagnostic>) -> DashboardSpec {
    let Some(dashboard) = merged.get("dashboard").and_then(|e| e.node.as_table()) else {
        return DashboardSpec::default();
    };
    let mut charts = Vec::new();
    for node in dashboard
        .get("charts")
        .and_then(|e| e.node.as_array())
        .unwrap_or_default()
    {
        let Some(chart) = node.as_table() else {
            continue;
        };
        let table = text(chart, "table");
        let series = text_list(chart, "series");
        if table.is_none() && !chart.contains_key("table") && !has_misspelt(chart, "table") {
            diagnostics.push(missing_chart_key(node, "table", "table = \"Channels\""));
        }
        match (&series, chart.get("series")) {
            (None, None) if !has_misspelt(chart, "series") => {
                diagnostics.push(missing_chart_key(node, "series", "series = [\"revenue\"]"));
            }
            (Some(list), Some(entry)) if list.is_empty() => diagnostics.push(
                Diagnostic::error(
                    Code::MissingKey,
                    "a chart needs at least one series",
                    entry.node.span,
                )
                .with_label("empty list")
                .with_hint("name the columns to plot: series = [\"revenue\"]"),
            ),
            _ => {}
        }
        charts.push(ChartSpec {
            title: text(chart, "title"),
            table: table.unwrap_or_default(),
            kind: text(chart, "kind")
                .and_then(|k| ChartKind::parse(&k))
                .unwrap_or(ChartKind::Column),
            series: series.unwrap_or_default(),
            secondary: text_list(chart, "secondary").unwrap_or_default(),
            category: text(chart, "category"),
        });
    }
    DashboardSpec {
        title: text(dashboard, "title"),
        kpis: text_list(dashboard, "kpis"),
        kpi_comparisons: text_map(dashboard, "kpi_comparisons"),
        charts,
    }
}

fn missing_chart_key(chart: &Node, key: &str, example: &str) -> Diagnostic {
    Diagnostic::error(
        Code::MissingKey,
        format!("a [[dashboard.charts]] entry has no `{key}`"),
        chart.span,
    )
    .with_label(format!("`{key}` missing in this chart"))
    .with_hint(format!("add it, e.g. {example}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_parent_folders() {
        assert_eq!(
            normalize(Path::new("a/b/../c/./d.toml")),
            PathBuf::from("a/c/d.toml")
        );
        assert_eq!(normalize(Path::new("../x/../y")), PathBuf::from("../y"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
    }

    #[test]
    fn percentages_divide_by_a_hundred() {
        assert_eq!(percent("72%"), Some(0.72));
        assert_eq!(percent(" 57 %"), Some(0.57));
        assert_eq!(percent("-2.5%"), Some(-0.025));
        assert_eq!(percent("72"), None);
        assert_eq!(percent("abc%"), None);
        assert_eq!(percent("5%%"), None);
    }
}
