//! The files `chanmix init` writes (`inputs.rules`, `scenario.toml`) and the lines it
//! prints: what was mapped onto what, what was left out and why, and values the rules
//! look for that the export does not have.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::data::profile::ColumnProfile;
use crate::lang::ast::BinaryOp;
use crate::lang::plan::{ArgNode, ListDomain, Node, ParamId, Plan, TableId, TableKind};
use crate::value::Value;
use crate::value::datetime::ymd_from_serial;

use super::{ColumnOut, InitOptions, Made, TableOut, names};
use crate::pipeline::CommandError;
use crate::value::ValueType;

/// `target` relative to the folder `base` (both made absolute first), with `/`.
pub fn relative_path(target: &Path, base: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (target, base) = (absolute(target), absolute(base));
    let t: Vec<Component<'_>> = target.components().collect();
    let b: Vec<Component<'_>> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for part in t.iter().skip(common) {
        out.push(part.as_os_str());
    }
    out
}

/// A TOML string literal (quoted and escaped).
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A path as the scenario writes it: relative to the scenario's folder, with `/`.
fn path_text(target: &Path, out: &Path) -> String {
    quoted(
        &relative_path(target, out)
            .to_string_lossy()
            .replace('\\', "/"),
    )
}

/// `inputs.rules`: one `input` declaration per table.
pub(super) fn inputs_rules(tables: &[TableOut], from: &Path) -> String {
    let mut text = format!(
        "# The export's tables as the rules see them, written by `chanmix init --from {}`.\n\
         # Columns named as in the rule library are the ones its rules read; the others keep\n\
         # the export's headers (in snake_case) for rules of your own. `?` allows blanks.\n",
        from.display()
    );
    for table in tables {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                format!(
                    "{}: {}{}",
                    c.rule_name,
                    c.ty.as_str(),
                    if c.optional { "?" } else { "" }
                )
            })
            .collect();
        let _ = write!(text, "\ninput {} ({})\n", table.name, columns.join(", "));
    }
    text
}

/// `scenario.toml`: the rules, the export's tables with their files or sheets,
/// renames and date formats, and the output.
pub(super) fn scenario_toml(
    tables: &[TableOut],
    rule_files: &[PathBuf],
    options: &InitOptions,
) -> Result<String, CommandError> {
    let out = &options.out;
    let name = options.from.file_stem().map_or_else(
        || "My export".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut text = format!(
        "# Written by `chanmix init --from {}`: the export's tables mapped onto the rule\n\
         # library's inputs (see inputs.rules). Check it, then run it:\n\
         #   chanmix check {scenario} && chanmix run {scenario}\n\n",
        options.from.display(),
        scenario = out.join("scenario.toml").display()
    );
    let _ = writeln!(text, "name  = {}", quoted(&name));
    let mut rules: Vec<String> = rule_files.iter().map(|p| path_text(p, out)).collect();
    rules.push(quoted("inputs.rules"));
    let _ = writeln!(text, "rules = [{}]", rules.join(", "));
    let latest = tables
        .iter()
        .flat_map(|t| t.export.columns.iter())
        .filter_map(|c| c.latest_date)
        .fold(None, |a: Option<f64>, d| Some(a.map_or(d, |a| a.max(d))));
    match latest.and_then(ymd_from_serial) {
        Some((y, m, d)) => {
            let _ = writeln!(
                text,
                "as_of = {y:04}-{m:02}-{d:02}   # the latest date in the export: set the date the export was taken"
            );
        }
        None => text.push_str(
            "# as_of = 2026-06-30   # the date the export was taken (TODAY() in the rules)\n",
        ),
    }
    // One workbook for every table: [inputs] workbook, and each table's sheet.
    // (The empty tables init writes are files of their own.)
    let exported = || tables.iter().filter(|t| !t.template);
    let files: BTreeSet<&PathBuf> = exported().map(|t| &t.export.file).collect();
    let one_workbook = match files.iter().next() {
        Some(file) if files.len() == 1 && exported().all(|t| t.export.sheet.is_some()) => {
            Some(*file)
        }
        _ => None,
    };
    if let Some(workbook) = one_workbook {
        let _ = write!(
            text,
            "\n[inputs]\nworkbook = {}\n",
            path_text(workbook, out)
        );
    }
    for table in tables {
        let _ = write!(text, "\n[inputs.tables.{}]\n", table.name);
        if table.template {
            let _ = writeln!(
                text,
                "file = {}   # not in the export: its headers only, for you to fill in",
                path_text(&table.export.file, out)
            );
        } else if one_workbook.is_none() {
            let _ = writeln!(text, "file = {}", path_text(&table.export.file, out));
        }
        if let Some(sheet) = &table.export.sheet {
            let _ = writeln!(text, "sheet = {}", quoted(sheet));
        }
        if let Some(format) = &table.date_format {
            let _ = writeln!(text, "date_format = {}", quoted(format));
        }
        if !table.date_formats.is_empty() {
            let entries: Vec<String> = table
                .date_formats
                .iter()
                .map(|(c, f)| format!("{c} = {}", quoted(f)))
                .collect();
            let _ = writeln!(text, "date_formats = {{ {} }}", entries.join(", "));
        }
        let fills: Vec<String> = table
            .columns
            .iter()
            .filter_map(|c| match &c.made {
                Some(Made::Fill(text)) => Some(format!("{} = {}", c.rule_name, quoted(text))),
                _ => None,
            })
            .collect();
        if !fills.is_empty() {
            let _ = writeln!(
                text,
                "fill = {{ {} }}   # not in the export: one value for every row",
                fills.join(", ")
            );
        }
        let numbered = numbered_columns(table);
        if !numbered.is_empty() {
            let list: Vec<String> = numbered.iter().map(|c| quoted(c)).collect();
            let _ = writeln!(
                text,
                "row_numbers = [{}]   # not in the export: row n reads \"n\"",
                list.join(", ")
            );
        }
        let renames: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.header != c.rule_name && c.made.is_none())
            .map(|c| format!("{} = {}", quoted(&c.header), quoted(&c.rule_name)))
            .collect();
        if !renames.is_empty() {
            let _ = writeln!(text, "rename = {{ {} }}", renames.join(", "));
        }
        for (column, why) in &table.undecided_dates {
            let _ = writeln!(
                text,
                "# {column}: {why}. Say how the export writes them, then remove this comment:\n\
                 # date_formats = {{ {column} = \"%d/%m/%Y\" }}   # or \"%m/%d/%Y\" (month first)"
            );
        }
        if !table.missing.is_empty() {
            let _ = writeln!(
                text,
                "# not in the export (library rules that need them are left out): {}",
                table.missing.join(", ")
            );
        }
    }
    let _ = write!(
        text,
        "\n[output]\nworkbook = \"report.xlsx\"\n\n[dashboard]\ntitle = {}\n",
        quoted(&name)
    );
    // Parse what was written, so a quoting slip is caught here and not by the user.
    toml::from_str::<toml::Value>(&text).map_err(|e| CommandError::CannotWrite {
        path: out.join("scenario.toml"),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(text)
}

fn file_and_sheet(table: &TableOut) -> String {
    let file = table
        .export
        .file
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    match &table.export.sheet {
        Some(sheet) => format!("{file} sheet '{sheet}'"),
        None => file,
    }
}

/// What each export table became.
/// The scenario with a `[params]` table of `settings` added at its end.
pub(super) fn with_params(scenario: &str, settings: &[(String, String)]) -> String {
    let mut text = scenario.to_string();
    text.push_str("\n[params]   # the export's spelling of the values these rules look for\n");
    for (name, value) in settings {
        let _ = writeln!(text, "{name} = {}", quoted(value));
    }
    text
}

/// An empty CSV table: the header row only.
pub(super) fn template_csv(table: &TableOut) -> String {
    let headers: Vec<&str> = table.columns.iter().map(|c| c.rule_name.as_str()).collect();
    format!("{}\n", headers.join(","))
}

/// What was mapped, as lines for the user.
pub(super) fn mapping_lines(tables: &[TableOut]) -> Vec<String> {
    let mut lines = Vec::new();
    for table in tables {
        if table.template {
            let columns: Vec<&str> = table.columns.iter().map(|c| c.rule_name.as_str()).collect();
            lines.push(format!(
                "{}: not in the export; wrote {} with its headers ({}) and no rows: the figures that need it stay blank until you fill it",
                table.name,
                table.export.file.display(),
                columns.join(", ")
            ));
            continue;
        }
        let columns: Vec<String> = table
            .columns
            .iter()
            .filter(|c| (c.canonical || table.canonical.is_none()) && c.made.is_none())
            .map(|c| {
                if c.header == c.rule_name {
                    c.rule_name.clone()
                } else {
                    format!("{} → {}", c.header, c.rule_name)
                }
            })
            .collect();
        let own = if table.canonical.is_some() {
            ""
        } else {
            ", a table of its own"
        };
        lines.push(format!(
            "{} → {}{own} ({}): {}",
            file_and_sheet(table),
            table.name,
            crate::report::text::plural(table.export.rows, "row"),
            columns.join(", ")
        ));
        if !table.missing.is_empty() {
            lines.push(format!(
                "  not in the export: {} (rules that need them are left out)",
                table.missing.join(", ")
            ));
        }
        let filled: Vec<String> = table
            .columns
            .iter()
            .filter_map(|c| match &c.made {
                Some(Made::Fill(text)) => Some(format!("{} = \"{text}\"", c.rule_name)),
                _ => None,
            })
            .collect();
        if !filled.is_empty() {
            lines.push(format!(
                "  not in the export, one value for every row (fill in scenario.toml): {}",
                filled.join(", ")
            ));
        }
        for column in numbered_columns(table) {
            lines.push(identifier_warning(&table.name, column));
        }
        let kept: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| !c.canonical && table.canonical.is_some())
            .map(|c| c.rule_name.as_str())
            .collect();
        if !kept.is_empty() {
            lines.push(format!("  kept under their own names: {}", kept.join(", ")));
        }
        let mut formats: Vec<(&str, &str)> = Vec::new();
        if let Some(format) = &table.date_format {
            formats.push(("", format));
        }
        formats.extend(
            table
                .date_formats
                .iter()
                .map(|(c, f)| (c.as_str(), f.as_str())),
        );
        for (column, format) in formats {
            let layout = if format.starts_with("%d") {
                "day first"
            } else {
                "month first"
            };
            let of = if column.is_empty() {
                String::new()
            } else {
                format!(" in {column}")
            };
            lines.push(format!(
                "  dates{of}: {layout} (date_format = \"{format}\")"
            ));
        }
        for (column, why) in &table.undecided_dates {
            lines.push(format!(
                "  dates in {column} not settled: {why}; set date_formats in scenario.toml before running"
            ));
        }
        for column in &table.columns {
            if let Some(profile) = table
                .export
                .columns
                .iter()
                .find(|p| p.header == column.header)
                && let Some(misfit) = &profile.misfit
                && column.ty != crate::value::ValueType::Text
            {
                lines.push(format!(
                    "  {}: '{misfit}' is not {} (such cells are reported when you run)",
                    column.rule_name,
                    crate::data::coerce::expected_text(column.ty)
                ));
            }
        }
    }
    lines
}

/// Which library files the scenario uses, and why the others were left out; each
/// named as the library folder was given (from the current folder, as the other lines
/// name the files `init` wrote; scenario.toml stores them relative to itself).
pub(super) fn library_lines(
    used: &[PathBuf],
    left_out: &[(PathBuf, String)],
    canonical: &[super::Canonical],
) -> Vec<String> {
    let name = |p: &Path| p.to_string_lossy().replace('\\', "/");
    let mut lines = Vec::new();
    if used.is_empty() {
        lines.push("rule library: no rule file runs on this export's tables".to_string());
    } else {
        let names: Vec<String> = used.iter().map(|p| name(p)).collect();
        lines.push(format!("rule library: using {}", names.join(", ")));
    }
    for (path, why) in left_out {
        // "unknown table `Costs`": say which table the export would need.
        let needs = canonical
            .iter()
            .find(|c| why == &format!("unknown table `{}`", c.name));
        let why = match needs {
            Some(table) => {
                let columns: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
                format!(
                    "needs a {} table ({}), which the export does not have",
                    table.name,
                    columns.join(", ")
                )
            }
            None => why.clone(),
        };
        lines.push(format!("  left out {}: {why}", name(path)));
    }
    lines
}

/// A column of the plan as the export holds it: its table's and its own plan, and its
/// profile, when every distinct value of it was seen (under 50). Empty tables `init`
/// wrote and filled columns have no values to compare.
fn seen_column<'a>(
    plan: &'a Plan,
    tables: &'a [TableOut],
    table_id: TableId,
    column_id: usize,
) -> Option<(
    &'a crate::lang::plan::TablePlan,
    &'a crate::lang::plan::ColumnPlan,
    &'a ColumnProfile,
)> {
    let table_plan = plan.tables.get(table_id)?;
    let column = table_plan.columns.get(column_id)?;
    let out = tables
        .iter()
        .find(|t| *t.name == *table_plan.name && !t.template)?;
    let mapped = out
        .columns
        .iter()
        .find(|c| c.rule_name == *column.name && c.made.is_none())?;
    let profile = out
        .export
        .columns
        .iter()
        .find(|p| p.header == mapped.header)?;
    (profile.values.len() < 50).then_some((table_plan, column, profile))
}

/// Text values the rules compare input columns with (`stage = "Closed Won"`) that the
/// export's column never holds: such a rule would silently match nothing.
pub(super) fn value_lines(plan: &Plan, tables: &[TableOut]) -> Vec<String> {
    let wanted = comparisons(plan).texts;
    let mut lines = Vec::new();
    for ((table_id, column_id), texts) in wanted {
        let Some((table_plan, column, profile)) = seen_column(plan, tables, table_id, column_id)
        else {
            continue;
        };
        let have: BTreeSet<String> = profile.values.iter().map(|v| v.to_lowercase()).collect();
        let absent: Vec<String> = texts
            .iter()
            .filter(|t| !have.contains(&t.to_lowercase()))
            .map(|t| format!("\"{t}\""))
            .collect();
        if absent.is_empty() {
            continue;
        }
        let shown: Vec<String> = profile
            .values
            .iter()
            .take(12)
            .map(|v| format!("\"{v}\""))
            .collect();
        lines.push(format!(
            "values: the rules compare {}.{} with {}, which the export never has (it has {}); rename the values in the export or change those rules",
            table_plan.name,
            column.name,
            absent.join(", "),
            shown.join(", ")
        ));
    }
    lines
}

/// Text constants compared with an input column (`=`, `<>`, `IN`) inside `node`,
/// evaluated for rows of `table`.
/// Params compared with a column whose export values lack the param's text: the
/// export's own spelling when exactly one value reads as the same words (`"Won"` for
/// `"Closed Won"`, `"closed_won"`, `"ClosedWon"`), as (param, value, what to say);
/// otherwise a line asking the user to set it. Returns (settings, lines).
pub(super) fn param_settings(
    plan: &Plan,
    tables: &[TableOut],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut lines = Vec::new();
    for ((table_id, column_id), params) in comparisons(plan).params {
        let Some((table_plan, column, profile)) = seen_column(plan, tables, table_id, column_id)
        else {
            continue;
        };
        if profile.values.is_empty() {
            continue;
        }
        for id in params {
            let Some(param) = plan.params.get(id) else {
                continue;
            };
            let Value::Text(default) = &param.default else {
                continue;
            };
            if settings.iter().any(|(name, _)| *name == *param.name)
                || profile
                    .values
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(default))
            {
                continue;
            }
            let candidates = same_words(default, &profile.values);
            let place = format!("{}.{}", table_plan.name, column.name);
            match candidates.as_slice() {
                [one] => {
                    lines.push(format!(
                        "params: {} = \"{one}\" (the export's {place} has no \"{default}\"; set in scenario.toml [params])",
                        param.name
                    ));
                    settings.push((param.name.to_string(), (*one).clone()));
                }
                _ => {
                    let shown: Vec<String> = profile
                        .values
                        .iter()
                        .take(12)
                        .map(|v| format!("\"{v}\""))
                        .collect();
                    lines.push(format!(
                        "params: the rules compare {place} with {} (\"{default}\"), which the export never has (it has {}); set {} in scenario.toml [params]",
                        param.name,
                        shown.join(", "),
                        param.name
                    ));
                }
            }
        }
    }
    (settings, lines)
}

/// The values that read as the same words as `wanted` (`"Won"`, `"closed_won"` for
/// `"Closed Won"`).
fn same_words<'a>(wanted: &str, values: &'a [String]) -> Vec<&'a String> {
    let wanted = words(wanted);
    values
        .iter()
        .filter(|v| {
            let have = words(v);
            !have.is_empty()
                && (have.iter().all(|w| wanted.contains(w))
                    || wanted.iter().all(|w| have.contains(w))
                    || have.concat() == wanted.concat())
        })
        .collect()
}

/// Whether a column's values hold a param's text, exactly or as the same words.
fn holds(values: &[String], text: &str) -> bool {
    values.iter().any(|v| v.eq_ignore_ascii_case(text)) || same_words(text, values).len() == 1
}

/// Library columns mapped by name onto a header whose values never hold what the
/// rules compare them with (the params' texts), where exactly one other header of the
/// same table, kept under its own name, holds them all: Pipedrive's and Dynamics'
/// `Stage` is the pipeline step while `Status` says won or lost. Each is re-mapped onto
/// that header (the first header is kept under its own name); returns what to say.
pub(super) fn remap_by_values(plan: &Plan, tables: &mut [TableOut]) -> Vec<String> {
    let mut swaps: Vec<(String, String, String)> = Vec::new();
    for ((table_id, column_id), params) in comparisons(plan).params {
        let Some((table_plan, column, profile)) = seen_column(plan, tables, table_id, column_id)
        else {
            continue;
        };
        let texts: Vec<&str> = params
            .iter()
            .filter_map(|id| match &plan.params.get(*id)?.default {
                Value::Text(text) => Some(text.as_ref()),
                _ => None,
            })
            .collect();
        if texts.is_empty() || texts.iter().any(|t| holds(&profile.values, t)) {
            continue;
        }
        let Some(out) = tables.iter().find(|t| *t.name == *table_plan.name) else {
            continue;
        };
        let holders: Vec<&ColumnOut> = out
            .columns
            .iter()
            .filter(|c| !c.canonical && c.made.is_none() && c.ty == ValueType::Text)
            .filter(|c| {
                out.export.columns.iter().any(|p| {
                    p.header == c.header
                        && p.values.len() < 50
                        && texts.iter().all(|t| holds(&p.values, t))
                })
            })
            .collect();
        if let [holder] = holders.as_slice() {
            swaps.push((
                table_plan.name.to_string(),
                column.name.to_string(),
                holder.header.clone(),
            ));
        }
    }
    let mut lines = Vec::new();
    for (table, column, header) in swaps {
        let Some(out) = tables.iter_mut().find(|t| t.name == table) else {
            continue;
        };
        let Some(at) = out.columns.iter().position(|c| c.rule_name == column) else {
            continue;
        };
        let Some(from) = out.columns.iter().position(|c| c.header == header) else {
            continue;
        };
        let before = out.columns[at].header.clone();
        let mut rule_name = names::column_name(&before);
        while out.columns.iter().any(|c| c.rule_name == rule_name) {
            rule_name.push('2');
        }
        // The library column takes the header that holds the values; the header it
        // had is kept under its own name, with its own guessed type.
        let (ty, optional) = out
            .export
            .columns
            .iter()
            .find(|p| p.header == before)
            .map_or((ValueType::Text, true), |p| (p.ty, p.optional));
        out.columns[at].optional |= out.columns[from].optional;
        out.columns[at].header = header.clone();
        out.columns[from] = ColumnOut {
            rule_name,
            header: before.clone(),
            ty,
            optional,
            canonical: false,
            made: None,
        };
        lines.push(format!(
            "{table}.{column}: took '{header}', not '{before}': its values say what the rules look for (e.g. the won stage); '{before}' is kept as {}",
            out.columns[from].rule_name
        ));
    }
    lines
}

/// A text's words, lower case (`"Closed - Won"` → closed, won; `"ClosedWon"` → closedwon).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// What the rules compare columns with: texts, and params (by id).
#[derive(Default)]
struct Compared {
    texts: BTreeMap<(TableId, usize), BTreeSet<String>>,
    params: BTreeMap<(TableId, usize), BTreeSet<ParamId>>,
}

/// Every `column = "text"`, `column IN (…)` and `column = param` of the rules.
fn comparisons(plan: &Plan) -> Compared {
    let mut out = Compared::default();
    let mut visit = |node: &Node, table: Option<TableId>| compared_texts(node, table, &mut out);
    for (id, table) in plan.tables.iter().enumerate() {
        for column in &table.columns {
            if let crate::lang::plan::ColumnOrigin::Formula(node) = &column.origin {
                visit(node, Some(id));
            }
        }
        if let TableKind::Grouped {
            source,
            filter: Some(filter),
            ..
        } = &table.kind
        {
            visit(filter, Some(*source));
        }
    }
    for scalar in &plan.scalars {
        visit(&scalar.node, None);
    }
    for flag in &plan.flags {
        visit(&flag.condition, Some(flag.table));
    }
    out
}

fn compared_texts(node: &Node, table: Option<TableId>, out: &mut Compared) {
    let text = |n: &Node| match n {
        Node::Const(Value::Text(t)) => Some(t.to_string()),
        _ => None,
    };
    match node {
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => {}
        Node::Unary(_, inner) | Node::Percent(inner) => compared_texts(inner, table, out),
        Node::Binary(op, lhs, rhs) => {
            if matches!(op, BinaryOp::Eq | BinaryOp::Ne)
                && let Some(t) = table
            {
                match (&**lhs, &**rhs) {
                    (Node::Column(c), Node::Param(p)) | (Node::Param(p), Node::Column(c)) => {
                        out.params.entry((t, *c)).or_default().insert(*p);
                    }
                    (Node::Column(c), other) | (other, Node::Column(c)) => {
                        if let Some(value) = text(other) {
                            out.texts.entry((t, *c)).or_default().insert(value);
                        }
                    }
                    _ => {}
                }
            }
            compared_texts(lhs, table, out);
            compared_texts(rhs, table, out);
        }
        Node::In { needle, list, .. } => {
            if let (Node::Column(c), Some(t)) = (&**needle, table) {
                for item in list {
                    if let Some(value) = text(item) {
                        out.texts.entry((t, *c)).or_default().insert(value);
                    }
                }
            }
            compared_texts(needle, table, out);
            list.iter().for_each(|n| compared_texts(n, table, out));
        }
        Node::Call { args, .. } => {
            for arg in args {
                match arg {
                    ArgNode::Value(inner) => compared_texts(inner, table, out),
                    ArgNode::List(list) => {
                        let list_table = match list.domain {
                            ListDomain::Table(t) | ListDomain::Group { table: t } => Some(t),
                            ListDomain::Array => None,
                        };
                        compared_texts(&list.expr, list_table, out);
                        if let Some(filter) = &list.filter {
                            compared_texts(filter, list_table, out);
                        }
                    }
                }
            }
        }
    }
}

/// The table's identifiers the export lacks, numbered row by row.
fn numbered_columns(table: &TableOut) -> Vec<&str> {
    table
        .columns
        .iter()
        .filter(|c| c.made == Some(Made::RowNumbers))
        .map(|c| c.rule_name.as_str())
        .collect()
}

/// What numbering an identifier the export lacks means for the figures.
fn identifier_warning(table: &str, column: &str) -> String {
    format!(
        "  warning: {table}.{column} is not in the export: row n reads \"n\" (row_numbers in scenario.toml), so no two rows share a {column} and figures that count or match rows by it (customers, shared accounts, conflicts) count every row apart; rename the export's column that holds it to {column} (rename in scenario.toml) to measure them"
    )
}
