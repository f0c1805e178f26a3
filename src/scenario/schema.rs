//! The shape of a scenario file — which keys exist where and what each must hold — and
//! the walk that checks one file against it: unknown keys (with "did you mean") and wrong types.

use crate::diagnostic::Diagnostic;
use crate::suggest::Suggestion;

use super::model::ChartKind;
use super::tree::{Kind, Node, Table};
use crate::diagnostic::Code;

/// What a value must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    Text,
    /// A file or folder path (non-empty text), relative to the file that writes it.
    Path,
    PathList,
    /// A TOML local date (`2026-06-30`, no quotes).
    Date,
    Integer {
        min: i64,
    },
    TextList,
    /// Text from a fixed list.
    Choice(&'static [&'static str]),
    /// `number`, `text`, `bool`, `date` or `any`, optionally with `?`.
    ValueType,
    /// `true` or `false`.
    Bool,
    /// A chrono date format naming a day, a month and a year (`"%d/%m/%Y"`).
    DateFormat,
    Table(&'static [Field]),
    /// A table whose keys are names chosen by the user, each value of one shape.
    MapOf(&'static Shape),
    /// An array of tables (`[[dashboard.charts]]`).
    TableList(&'static [Field]),
    /// A `[params]` value: number, text, boolean or date.
    ParamValue,
    /// A section kept as written for a later stage.
    AnyTable,
}

/// A known key and the shape of its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub shape: Shape,
}

const fn field(name: &'static str, shape: Shape) -> Field {
    Field { name, shape }
}

pub(crate) const BAD_CELL_POLICIES: &[&str] = &["report", "reject-row", "fail"];

const CHART_KINDS: &[&str] = &[
    ChartKind::Column.as_str(),
    ChartKind::StackedColumn.as_str(),
    ChartKind::Bar.as_str(),
    ChartKind::StackedBar.as_str(),
    ChartKind::Line.as_str(),
    ChartKind::Area.as_str(),
    ChartKind::Pie.as_str(),
    ChartKind::Doughnut.as_str(),
    ChartKind::Funnel.as_str(),
];

const INPUT_TABLE: &[Field] = &[
    field("file", Shape::Path),
    field("sheet", Shape::Text),
    field("sheets", Shape::TextList),
    field("sheet_pattern", Shape::Text),
    field("header_row", Shape::Integer { min: 1 }),
    field("key", Shape::Text),
    field("columns", Shape::MapOf(&Shape::ValueType)),
    field("rename", Shape::MapOf(&Shape::Text)),
    field("on_bad_cell", Shape::Choice(BAD_CELL_POLICIES)),
    field("date_format", Shape::DateFormat),
    field("date_formats", Shape::MapOf(&Shape::DateFormat)),
    field("trim_keys", Shape::Bool),
    field("fill", Shape::MapOf(&Shape::Text)),
    field("row_numbers", Shape::TextList),
];

const INPUTS: &[Field] = &[
    field("workbook", Shape::Path),
    field("tables", Shape::MapOf(&Shape::Table(INPUT_TABLE))),
];

const OUTPUT: &[Field] = &[
    field("workbook", Shape::Path),
    field("json", Shape::Path),
    field("omit_tables", Shape::TextList),
    field("headers", Shape::Choice(HEADER_STYLES)),
];

/// `[output] headers`: the rule names (the default; other tools read them) or readable
/// words on the table sheets' header rows.
const HEADER_STYLES: &[&str] = &["names", "readable"];

const CHART: &[Field] = &[
    field("title", Shape::Text),
    field("table", Shape::Text),
    field("kind", Shape::Choice(CHART_KINDS)),
    field("series", Shape::TextList),
    field("secondary", Shape::TextList),
    field("category", Shape::Text),
];

const DASHBOARD: &[Field] = &[
    field("title", Shape::Text),
    field("kpis", Shape::TextList),
    field("kpi_comparisons", Shape::MapOf(&Shape::Text)),
    field("charts", Shape::TableList(CHART)),
];

/// Every top-level key of a scenario file.
pub(crate) const TOP: &[Field] = &[
    field("name", Shape::Text),
    field("description", Shape::Text),
    field("extends", Shape::Path),
    field("rules", Shape::PathList),
    field("as_of", Shape::Date),
    field("strict", Shape::Bool),
    field("inputs", Shape::Table(INPUTS)),
    field("params", Shape::MapOf(&Shape::ParamValue)),
    field("output", Shape::Table(OUTPUT)),
    field("dashboard", Shape::Table(DASHBOARD)),
    field("allocation", Shape::AnyTable),
    field("forecast", Shape::AnyTable),
];

/// Sections whose keys are kept raw in `Scenario::sections`.
pub(crate) const RAW_SECTIONS: &[&str] = &["allocation", "forecast"];

/// Where a key sits, as the user wrote it: `None` for the top level, else the section
/// header (`[inputs.tables.Opportunities]`, `[[dashboard.charts]]`).
#[derive(Debug, Clone)]
struct Place {
    section: Option<String>,
}

impl Place {
    fn top() -> Self {
        Place { section: None }
    }

    fn table(&self, key: &str) -> Place {
        let name = match &self.section {
            None => key.to_string(),
            Some(s) => format!("{}.{key}", s.trim_matches(['[', ']'])),
        };
        Place {
            section: Some(format!("[{name}]")),
        }
    }

    fn table_list(&self, key: &str) -> Place {
        let inner = self.table(key);
        Place {
            section: inner.section.map(|s| format!("[{s}]")),
        }
    }

    /// "`key`" or "`key` in [section]".
    fn describe_key(&self, key: &str) -> String {
        match &self.section {
            None => format!("`{key}`"),
            Some(s) => format!("`{key}` in {s}"),
        }
    }

    fn where_(&self) -> String {
        match &self.section {
            None => "at the top level of the scenario".to_string(),
            Some(s) => format!("in {s}"),
        }
    }
}

/// Checks one scenario file's own keys and value types (before merging, so each file is
/// reported on its own even when another file overrides the bad value).
pub(crate) fn check_file(root: &Table, out: &mut Vec<Diagnostic>) {
    check_table(root, TOP, &Place::top(), out);
}

fn check_table(table: &Table, fields: &[Field], place: &Place, out: &mut Vec<Diagnostic>) {
    for (key, entry) in table {
        match fields.iter().find(|f| f.name == key) {
            Some(f) => check_value(&entry.node, f.shape, key, place, out),
            None => out.push(unknown_key(key, entry.key_span, fields, place)),
        }
    }
}

fn unknown_key(
    key: &str,
    span: crate::diagnostic::source::Span,
    fields: &[Field],
    place: &Place,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        Code::UnknownKey,
        format!("unknown key `{key}` {}", place.where_()),
        span,
    )
    .with_label("not a scenario setting");
    let names = fields.iter().map(|f| f.name);
    let in_input_table = fields.iter().any(|f| f.name == "sheet_pattern");
    let in_inputs = fields.iter().any(|f| f.name == "tables");
    if key == "workbook" && in_input_table {
        // A CSV user names each table's file; `workbook` is the one file of [inputs].
        diagnostic = diagnostic.with_hint(
            "a table reads its own file with `file = \"export/deals.csv\"` (a .csv or a workbook); \
                 `workbook` under [inputs] is the file every table without `file` reads",
        );
    } else if key == "file" && in_inputs {
        diagnostic = diagnostic.with_hint(
            "`file` names one table's file, under [inputs.tables.NAME]; the file every table \
             reads by default is `workbook = \"…\"` here",
        );
    } else if let Some(suggestion) = Suggestion::closest(key, names.clone()) {
        diagnostic = diagnostic.with_suggestion(Some(suggestion));
    } else if place.section.is_some() && TOP.iter().any(|f| f.name == key) {
        diagnostic = diagnostic.with_hint(format!(
            "`{key}` is a top-level setting; it landed {} because it comes after that \
             section's header. Move it above the first [section] line",
            place.where_()
        ));
    } else if let Some(home) = section_of(key) {
        diagnostic = diagnostic.with_hint(format!("`{key}` belongs in [{home}]"));
    }
    let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
    diagnostic.with_hint(format!("keys allowed here: {}", known.join(", ")))
}

/// The section a key belongs to when written in the wrong place (`workbook` → inputs).
fn section_of(key: &str) -> Option<&'static str> {
    let sections: [(&str, &[Field]); 4] = [
        ("inputs", INPUTS),
        ("output", OUTPUT),
        ("dashboard", DASHBOARD),
        ("inputs.tables.NAME", INPUT_TABLE),
    ];
    sections
        .into_iter()
        .find(|(_, fields)| fields.iter().any(|f| f.name == key))
        .map(|(name, _)| name)
}

fn expected(shape: Shape) -> String {
    match shape {
        Shape::Text => "text in quotes".to_string(),
        Shape::Path => "a file path in quotes".to_string(),
        Shape::PathList => "a list of paths like [\"../rules/a.rules\"]".to_string(),
        Shape::Date => "a date like 2026-06-30".to_string(),
        Shape::Integer { min } => format!("a whole number of at least {min}"),
        Shape::TextList => "a list of text like [\"a\", \"b\"]".to_string(),
        Shape::Choice(options) => format!("one of {}", list_or(options)),
        Shape::ValueType => {
            "a column type: number, text, bool, date or any (add ? to allow blanks)".to_string()
        }
        Shape::Bool => "true or false (no quotes)".to_string(),
        Shape::DateFormat => "a date format in quotes, like \"%d/%m/%Y\"".to_string(),
        Shape::Table(_) | Shape::MapOf(_) | Shape::AnyTable => "a table".to_string(),
        Shape::TableList(_) => "a list of tables".to_string(),
        Shape::ParamValue => "a single value: a number, text, true/false or a date".to_string(),
    }
}

/// "a, b or c".
pub(crate) fn list_or(options: &[&str]) -> String {
    match options {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn wrong_type(node: &Node, shape: Shape, key: &str, place: &Place) -> Diagnostic {
    Diagnostic::error(
        Code::WrongValueType,
        format!(
            "{} must be {}, found {}",
            place.describe_key(key),
            expected(shape),
            node.describe()
        ),
        node.span,
    )
    .with_label(format!("this is {}", node.describe()))
}

fn empty_path(node: &Node, key: &str, place: &Place) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        format!("{} is an empty path", place.describe_key(key)),
        node.span,
    )
    .with_label("empty")
    .with_hint("give a path relative to this file's folder, or remove the setting")
}

fn check_value(node: &Node, shape: Shape, key: &str, place: &Place, out: &mut Vec<Diagnostic>) {
    match (shape, &node.kind) {
        (Shape::Text, Kind::String(_)) | (Shape::AnyTable, Kind::Table(_)) => {}
        (Shape::Path, Kind::String(s)) => {
            if s.trim().is_empty() {
                out.push(empty_path(node, key, place));
            }
        }
        (Shape::PathList, Kind::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(s) if s.trim().is_empty() => out.push(empty_path(item, key, place)),
                    Some(_) => {}
                    None => out.push(
                        Diagnostic::error(
                            Code::WrongValueType,
                            format!(
                                "every entry of {} must be a path in quotes, found {}",
                                place.describe_key(key),
                                item.describe()
                            ),
                            item.span,
                        )
                        .with_label(format!("this is {}", item.describe())),
                    ),
                }
            }
        }
        (Shape::Date, Kind::Datetime(dt)) if dt.date.is_some() && dt.time.is_none() => {}
        (Shape::Date, Kind::String(s)) => {
            let mut d = wrong_type(node, shape, key, place);
            if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
                d = d.with_hint(format!("remove the quotes: {key} = {s}"));
            }
            out.push(d);
        }
        (Shape::Date, Kind::Datetime(_)) => out.push(
            wrong_type(node, shape, key, place).with_hint("give the day only, without a time"),
        ),
        (Shape::Integer { min }, Kind::Integer(n)) => {
            if *n < min {
                out.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!(
                            "{} must be at least {min}, found {n}",
                            place.describe_key(key)
                        ),
                        node.span,
                    )
                    .with_label("too small")
                    .with_hint("rows are counted from 1, as Excel shows them"),
                );
            }
        }
        (Shape::TextList, Kind::Array(items)) => {
            for item in items {
                if item.as_str().is_none() {
                    out.push(
                        Diagnostic::error(
                            Code::WrongValueType,
                            format!(
                                "every entry of {} must be text in quotes, found {}",
                                place.describe_key(key),
                                item.describe()
                            ),
                            item.span,
                        )
                        .with_label(format!("this is {}", item.describe())),
                    );
                }
            }
        }
        (Shape::TextList | Shape::PathList, Kind::String(s)) => out.push(
            wrong_type(node, shape, key, place)
                .with_hint(format!("write it as a list: {key} = [\"{s}\"]")),
        ),
        (Shape::Choice(options), Kind::String(s)) => {
            if !options.contains(&s.as_str()) {
                let mut d = Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "{} must be one of {}, found \"{s}\"",
                        place.describe_key(key),
                        list_or(options)
                    ),
                    node.span,
                )
                .with_label("not a known choice");
                d = d.with_suggestion(Suggestion::closest(s, options.iter().copied()));
                out.push(d);
            }
        }
        (Shape::ValueType, Kind::String(s)) => {
            if crate::data::spec::DeclaredType::parse(s).is_none() {
                let types = ["number", "text", "bool", "date", "any"];
                let bare = s.trim().trim_end_matches('?').trim_end();
                let mut d = Diagnostic::error(
                    Code::InvalidValue,
                    format!("unknown column type \"{s}\" for column `{key}`"),
                    node.span,
                )
                .with_label("not a column type");
                let optional = if s.trim_end().ends_with('?') { "?" } else { "" };
                d = d.with_suggestion(
                    Suggestion::closest(bare, types).map(|t| t.written("", optional)),
                );
                out.push(d.with_hint(
                    "column types are number, text, bool, date and any; add ? to allow blank cells",
                ));
            }
        }
        (Shape::Bool, Kind::Boolean(_)) => {}
        (Shape::Bool, Kind::String(s)) if matches!(s.as_str(), "true" | "false") => out.push(
            wrong_type(node, shape, key, place)
                .with_hint(format!("remove the quotes: {key} = {s}")),
        ),
        (Shape::DateFormat, Kind::String(s)) => {
            if let Err(problem) = crate::data::dates::check_date_format(s) {
                out.push(
                    Diagnostic::error(Code::InvalidValue, problem, node.span)
                        .with_label("not a date format")
                        .with_hint(
                            "%d day, %m month, %Y four-digit year, %y two digits, %b month name: \"%d/%m/%Y\" reads 31/01/2017",
                        ),
                );
            }
        }
        (Shape::Table(fields), Kind::Table(table)) => {
            check_table(table, fields, &place.table(key), out);
        }
        (Shape::MapOf(inner), Kind::Table(table)) => {
            let inner_place = place.table(key);
            for (name, entry) in table {
                check_value(&entry.node, *inner, name, &inner_place, out);
            }
        }
        (Shape::TableList(fields), Kind::Array(items)) => {
            let item_place = place.table_list(key);
            for item in items {
                match &item.kind {
                    Kind::Table(table) => check_table(table, fields, &item_place, out),
                    _ => out.push(wrong_type(item, Shape::Table(fields), key, place)),
                }
            }
        }
        (Shape::ParamValue, Kind::Float(f)) if !f.is_finite() => out.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("{} must be a finite number", place.describe_key(key)),
                node.span,
            )
            .with_label("not a finite number"),
        ),
        (Shape::ParamValue, Kind::String(_) | Kind::Integer(_) | Kind::Float(_))
        | (Shape::ParamValue, Kind::Boolean(_)) => {}
        (Shape::ParamValue, Kind::Datetime(dt)) if dt.date.is_some() && dt.time.is_none() => {}
        (Shape::ParamValue, _) => {
            let mut d = wrong_type(node, shape, key, place);
            if TOP.iter().any(|f| f.name == key) {
                d = d.with_hint(format!(
                    "`{key}` is a top-level setting; it landed {} because it comes after the \
                     [params] header. Move it above the first [section] line",
                    place.where_()
                ));
            } else if matches!(node.kind, Kind::Datetime(_)) {
                d = d.with_hint("give the day only, without a time");
            }
            out.push(d);
        }
        _ => out.push(wrong_type(node, shape, key, place)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/scenarios.md has a reference table per section; every key the schema
    /// accepts is a row of its section's table (`| \`key\` |`, or `[key]` for a section).
    #[test]
    fn every_key_is_in_the_scenario_reference() {
        let docs = include_str!("../../docs/scenarios.md");
        let section = |heading: &str| -> &str {
            let start = docs
                .find(&format!("## {heading}\n"))
                .unwrap_or_else(|| panic!("docs/scenarios.md has no section {heading}"));
            let rest = &docs[start + heading.len() + 4..];
            &rest[..rest.find("\n## ").unwrap_or(rest.len())]
        };
        let sections: [(&str, &[Field]); 6] = [
            ("Top level", TOP),
            ("`[inputs]`", INPUTS),
            ("`[inputs.tables.NAME]`", INPUT_TABLE),
            ("`[output]`", OUTPUT),
            ("`[dashboard]`", DASHBOARD),
            ("`[[dashboard.charts]]`", CHART),
        ];
        for (heading, fields) in sections {
            let text = section(heading);
            for field in fields {
                let row = format!("| `{}` |", field.name);
                let table = format!("`[{}]`", field.name);
                assert!(
                    text.contains(&row) || text.contains(&table),
                    "`{}` is missing from the {heading} table of docs/scenarios.md",
                    field.name
                );
            }
        }
    }
}
