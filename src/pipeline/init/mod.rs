//! `chanmix init --from EXPORT`: a new user's first scenario from their own export.
//! Reads the export's tables and headers, guesses each column's type and date layout,
//! maps tables and headers onto the rule library's `input` declarations where it can,
//! keeps the rest under their own names, picks the library's rule files that run on
//! what was found, writes `inputs.rules` and `scenario.toml`, and checks the result as
//! `chanmix check` does. What could not be mapped is reported, not guessed.

mod names;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analysis;
use crate::data::DataError;
use crate::data::profile::{ColumnProfile, DateGuess, ExportTable, profile_export};
use crate::diagnostic::source::SourceMap;
use crate::lang::ast::ItemKind;
use crate::lang::parser::parse_rule_file;
use crate::lang::program::{ReadError, check_rule_files, expand_rule_paths, read_text};
use crate::value::ValueType;

use super::{CommandError, prepare};
pub use write::relative_path;

/// What `init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The export: a workbook, a CSV file, or a folder of CSV files (and workbooks).
    pub from: PathBuf,
    /// Where to write `scenario.toml` and `inputs.rules`.
    pub out: PathBuf,
    /// The rule library (default: `rules` in the current folder, when there is one).
    pub library: Option<PathBuf>,
    /// Replace `scenario.toml` and `inputs.rules` if they exist.
    pub force: bool,
}

/// What `init` did, as lines for the user.
#[derive(Debug, Default)]
pub struct InitReport {
    pub lines: Vec<String>,
    pub written: Vec<PathBuf>,
}

/// A table of the library's `input` declarations.
#[derive(Debug, Clone)]
pub(crate) struct Canonical {
    pub name: String,
    pub columns: Vec<(String, ValueType, bool)>,
}

/// One column as the written files declare it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnOut {
    pub rule_name: String,
    pub header: String,
    pub ty: ValueType,
    pub optional: bool,
    /// A column of the library's declaration.
    pub canonical: bool,
    /// A text column the export lacks: how the reader makes it.
    pub made: Option<Made>,
}

/// How a library text column the export lacks is made when the export is read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Made {
    /// One text for every row (scenario `fill`): a grouping such as segment.
    Fill(String),
    /// Row n reads "n" (scenario `row_numbers`): an identifier, which one text for
    /// every row would turn into one deal or one account.
    RowNumbers,
}

/// One export table as the written files map it.
#[derive(Debug, Clone)]
pub(crate) struct TableOut {
    pub name: String,
    pub export: ExportTable,
    /// The library table it is (`None`: kept under its own name).
    pub canonical: Option<String>,
    pub columns: Vec<ColumnOut>,
    /// Library columns the export does not have.
    pub missing: Vec<String>,
    /// Table-wide date format, and per-column ones that differ from it.
    pub date_format: Option<String>,
    pub date_formats: BTreeMap<String, String>,
    /// Columns whose dates read both ways (or mix layouts): (column, what to say).
    pub undecided_dates: Vec<(String, String)>,
    /// A library table the export does not have: `init` writes an empty CSV file with
    /// its headers for the user to fill, and the rules read it with no rows.
    pub template: bool,
}

/// `chanmix init`.
pub fn init(options: &InitOptions) -> Result<InitReport, CommandError> {
    let mut report = InitReport::default();
    let (tables, unreadable) = profile_export(&options.from)?;
    for skipped in &unreadable {
        let place = match &skipped.sheet {
            Some(sheet) => format!("{} sheet '{sheet}'", skipped.file.display()),
            None => skipped.file.display().to_string(),
        };
        report
            .lines
            .push(format!("skipped {place}: {}", skipped.error));
    }
    if tables.is_empty() {
        return Err(CommandError::Data(Box::new(DataError::NoFileGiven {
            table: format!("(no readable table in {})", options.from.display()),
        })));
    }
    let library = options
        .library
        .clone()
        .or_else(|| Path::new("rules").is_dir().then(|| PathBuf::from("rules")));
    let (canonical, rule_files) = match &library {
        Some(dir) => read_library(dir)?,
        None => {
            report.lines.push(
                "no rule library found (pass --library DIR, e.g. the repository's rules/): only the inputs are declared"
                    .to_string(),
            );
            (Vec::new(), Vec::new())
        }
    };
    let mut mapped = map_tables(tables, &canonical);
    mapped.extend(templates(&mapped, &canonical, &options.out));
    let scenario_path = options.out.join("scenario.toml");
    let inputs_path = options.out.join("inputs.rules");
    let template_paths: Vec<PathBuf> = mapped
        .iter()
        .filter(|t| t.template)
        .map(|t| t.export.file.clone())
        .collect();
    for path in [&scenario_path, &inputs_path]
        .into_iter()
        .chain(template_paths.iter())
    {
        if path.exists() && !options.force {
            return Err(CommandError::WouldOverwrite { path: path.clone() });
        }
    }
    std::fs::create_dir_all(&options.out).map_err(|source| CommandError::CannotWrite {
        path: options.out.clone(),
        source,
    })?;
    let inputs_text = write::inputs_rules(&mapped, &options.from);
    let (mut used, mut left_out) = usable_rule_files(&inputs_path, &inputs_text, &rule_files)?;
    let scenario_text = write::scenario_toml(&mapped, &used, options)?;
    let template_texts: Vec<(PathBuf, String)> = mapped
        .iter()
        .filter(|t| t.template)
        .map(|t| (t.export.file.clone(), write::template_csv(t)))
        .collect();
    for (path, text) in [
        (&inputs_path, &inputs_text),
        (&scenario_path, &scenario_text),
    ]
    .into_iter()
    .chain(template_texts.iter().map(|(p, t)| (p, t)))
    {
        write_file(path, text)?;
        report.written.push(path.clone());
    }
    // The written scenario must pass `chanmix check`.
    let mut prepared = prepare(&scenario_path)?;
    // A library column whose header never holds what the rules compare it with, where
    // another header does (Status, not Stage, says won): mapped again, written again.
    let remapped = write::remap_by_values(&prepared.plan, &mut mapped);
    let mut scenario_text = scenario_text;
    if !remapped.is_empty() {
        let inputs_text = write::inputs_rules(&mapped, &options.from);
        let (used_again, left_again) = usable_rule_files(&inputs_path, &inputs_text, &rule_files)?;
        scenario_text = write::scenario_toml(&mapped, &used_again, options)?;
        for (path, text) in [
            (&inputs_path, &inputs_text),
            (&scenario_path, &scenario_text),
        ] {
            write_file(path, text)?;
        }
        used = used_again;
        left_out = left_again;
        prepared = prepare(&scenario_path)?;
    }
    // Params the rules compare with the export's values (the won stage): its spelling.
    let (settings, param_lines) = write::param_settings(&prepared.plan, &mapped);
    if !settings.is_empty() {
        let text = write::with_params(&scenario_text, &settings);
        write_file(&scenario_path, &text)?;
        prepared = prepare(&scenario_path)?;
    }
    report.lines.extend(write::mapping_lines(&mapped));
    report.lines.extend(remapped);
    if library.is_some() {
        report
            .lines
            .extend(write::library_lines(&used, &left_out, &canonical));
    }
    report.lines.extend(param_lines);
    report
        .lines
        .extend(write::value_lines(&prepared.plan, &mapped));
    Ok(report)
}

/// One written file, replaced whole (a temp file renamed over it).
fn write_file(path: &Path, text: &str) -> Result<(), CommandError> {
    crate::atomic::write_atomically(path, text.as_bytes()).map_err(|source| {
        CommandError::CannotWrite {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// The library's `input` declarations (from every file), and its rule files (the
/// files that are not only declarations).
fn read_library(dir: &Path) -> Result<(Vec<Canonical>, Vec<PathBuf>), CommandError> {
    let files = expand_rule_paths(&[dir.to_path_buf()])?;
    let mut canonical: Vec<Canonical> = Vec::new();
    let mut rule_files = Vec::new();
    for path in files {
        let text = read_text(&path)?;
        let mut sources = SourceMap::new();
        let id = sources.add(path.clone(), text);
        let Ok(file) = parse_rule_file(&sources, id) else {
            rule_files.push(path);
            continue;
        };
        let mut only_inputs = true;
        for item in &file.items {
            match &item.kind {
                ItemKind::Input(decl) => {
                    let columns = decl
                        .columns
                        .iter()
                        .map(|c| (c.name.name.to_string(), c.ty, c.optional));
                    // Files may each declare the columns they read of one table.
                    let name = decl.table.name.to_string();
                    let at = match canonical.iter().position(|c| c.name == name) {
                        Some(at) => at,
                        None => {
                            canonical.push(Canonical {
                                name,
                                columns: Vec::new(),
                            });
                            canonical.len() - 1
                        }
                    };
                    if let Some(table) = canonical.get_mut(at) {
                        for column in columns {
                            if !table.columns.iter().any(|c| c.0 == column.0) {
                                table.columns.push(column);
                            }
                        }
                    }
                }
                _ => only_inputs = false,
            }
        }
        if !only_inputs {
            rule_files.push(path);
        }
    }
    Ok((canonical, rule_files))
}

/// Each export table mapped onto the library table it most likely is (by its name,
/// and by how many of that table's columns it has), or kept under its own name.
fn map_tables(tables: Vec<ExportTable>, canonical: &[Canonical]) -> Vec<TableOut> {
    // Score every (export table, library table) pair; take the best pairs first.
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (e, table) in tables.iter().enumerate() {
        let headers: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
        for (c, canon) in canonical.iter().enumerate() {
            let names: Vec<String> = canon.columns.iter().map(|c| c.0.clone()).collect();
            let found = names::map_columns(&headers, &names)
                .iter()
                .filter(|m| m.is_some())
                .count();
            let by_name = names::table_matches(&table.name, &canon.name);
            let enough = found >= 3.max(names.len().div_ceil(2));
            if by_name || enough {
                pairs.push((usize::from(by_name) * 1000 + found, e, c));
            }
        }
    }
    pairs.sort_by(|a, b| b.cmp(a));
    let mut chosen: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, e, c) in pairs {
        if !chosen.contains_key(&e) && !chosen.values().any(|v| *v == c) {
            chosen.insert(e, c);
        }
    }
    let mut taken: Vec<String> = canonical.iter().map(|c| c.name.clone()).collect();
    tables
        .into_iter()
        .enumerate()
        .map(|(e, export)| {
            let canon = chosen.get(&e).and_then(|c| canonical.get(*c));
            let name = match canon {
                Some(canon) => canon.name.clone(),
                None => {
                    let mut name = names::table_name(&export.name);
                    while taken.contains(&name) {
                        name.push('2');
                    }
                    taken.push(name.clone());
                    name
                }
            };
            map_table(name, export, canon)
        })
        .collect()
}

/// One export table's columns: the library's first (with its names and types), then
/// the export's others under snake_case names with their guessed types.
fn map_table(name: String, export: ExportTable, canon: Option<&Canonical>) -> TableOut {
    let headers: Vec<String> = export.columns.iter().map(|c| c.header.clone()).collect();
    let mut columns: Vec<ColumnOut> = Vec::new();
    let mut missing = Vec::new();
    let mut used = vec![false; headers.len()];
    if let Some(canon) = canon {
        let names: Vec<String> = canon.columns.iter().map(|c| c.0.clone()).collect();
        for ((column, ty, optional), found) in canon
            .columns
            .iter()
            .zip(names::map_columns(&headers, &names))
        {
            match found.and_then(|i| export.columns.get(i).map(|p| (i, p))) {
                Some((i, profile)) => {
                    used[i] = true;
                    columns.push(ColumnOut {
                        rule_name: column.clone(),
                        header: profile.header.clone(),
                        ty: *ty,
                        optional: *optional || profile.optional,
                        canonical: true,
                        made: None,
                    });
                }
                // A text column the export lacks reads as one value for every row
                // (blank where the library allows blanks), so the rules still run;
                // a required identifier is numbered row by row instead.
                None if *ty == ValueType::Text => columns.push(ColumnOut {
                    rule_name: column.clone(),
                    header: column.clone(),
                    ty: *ty,
                    optional: *optional,
                    canonical: true,
                    made: Some(if *optional {
                        Made::Fill(String::new())
                    } else if names::is_identifier(column) {
                        Made::RowNumbers
                    } else {
                        Made::Fill(FILL_ALL.to_string())
                    }),
                }),
                None => missing.push(column.clone()),
            }
        }
    }
    for (i, profile) in export.columns.iter().enumerate() {
        if used.get(i).copied().unwrap_or(true) {
            continue;
        }
        let mut rule_name = names::column_name(&profile.header);
        while columns.iter().any(|c| c.rule_name == rule_name) {
            rule_name.push('2');
        }
        columns.push(ColumnOut {
            rule_name,
            header: profile.header.clone(),
            ty: profile.ty,
            optional: profile.optional,
            canonical: false,
            made: None,
        });
    }
    let mut table = TableOut {
        name,
        canonical: canon.map(|c| c.name.clone()),
        export,
        columns,
        missing,
        date_format: None,
        date_formats: BTreeMap::new(),
        undecided_dates: Vec::new(),
        template: false,
    };
    settle_date_formats(&mut table);
    table
}

/// What a required text column the export lacks reads as: one group of every row.
const FILL_ALL: &str = "All";

/// An empty table (headers only) for each library table no export table is: the user
/// fills it in, and meanwhile the rules read it with no rows, so the figures that need
/// it are blank and said so.
fn templates(mapped: &[TableOut], canonical: &[Canonical], out: &Path) -> Vec<TableOut> {
    canonical
        .iter()
        .filter(|c| !mapped.iter().any(|t| t.name == c.name))
        .map(|canon| {
            let profiles = canon
                .columns
                .iter()
                .map(|(name, ty, optional)| ColumnProfile {
                    header: name.clone(),
                    ty: *ty,
                    optional: *optional,
                    dates: None,
                    values: Vec::new(),
                    latest_date: None,
                    misfit: None,
                })
                .collect();
            let columns = canon
                .columns
                .iter()
                .map(|(name, ty, optional)| ColumnOut {
                    rule_name: name.clone(),
                    header: name.clone(),
                    ty: *ty,
                    optional: *optional,
                    canonical: true,
                    made: None,
                })
                .collect();
            TableOut {
                name: canon.name.clone(),
                export: ExportTable {
                    file: out.join(format!("{}.csv", canon.name)),
                    sheet: None,
                    name: canon.name.clone(),
                    rows: 0,
                    columns: profiles,
                },
                canonical: Some(canon.name.clone()),
                columns,
                missing: Vec::new(),
                date_format: None,
                date_formats: BTreeMap::new(),
                undecided_dates: Vec::new(),
                template: true,
            }
        })
        .collect()
}

/// The table's date format when its date columns agree, per-column formats where they
/// differ, and the columns whose layout the dates do not tell.
fn settle_date_formats(table: &mut TableOut) {
    let mut formats: Vec<(String, String)> = Vec::new();
    for column in &table.columns {
        if column.ty != ValueType::Date {
            continue;
        }
        let Some(profile) = table
            .export
            .columns
            .iter()
            .find(|p| p.header == column.header)
        else {
            continue;
        };
        match &profile.dates {
            Some(DateGuess::DayFirst { format, .. } | DateGuess::MonthFirst { format, .. }) => {
                formats.push((column.rule_name.clone(), format.clone()));
            }
            Some(DateGuess::Ambiguous { example }) => table.undecided_dates.push((
                column.rule_name.clone(),
                format!(
                    "dates like '{example}' read both ways (day first or month first) and no date in the column settles it"
                ),
            )),
            Some(DateGuess::Mixed {
                day_first,
                month_first,
            }) => table.undecided_dates.push((
                column.rule_name.clone(),
                format!("'{day_first}' reads only day first but '{month_first}' only month first"),
            )),
            None => {}
        }
    }
    let first = formats.first().map(|(_, f)| f.clone());
    if let Some(first) = first {
        if formats.iter().all(|(_, f)| *f == first) {
            table.date_format = Some(first);
        } else {
            table.date_formats = formats.into_iter().collect();
        }
    }
}

/// Rule files kept, and rule files left out with the first reason.
type RuleFileChoice = (Vec<PathBuf>, Vec<(PathBuf, String)>);

/// The library's rule files that check cleanly with the written inputs (a file that
/// needs a table or column the export lacks is left out, and so is one that needs a
/// file left out), and those left out with the first reason.
fn usable_rule_files(
    inputs_path: &Path,
    inputs_text: &str,
    rule_files: &[PathBuf],
) -> Result<RuleFileChoice, CommandError> {
    let mut used: Vec<PathBuf> = rule_files.to_vec();
    let mut left_out: Vec<(PathBuf, String)> = Vec::new();
    let mut round = 0;
    loop {
        round += 1;
        let mut sources = SourceMap::new();
        let mut ids = vec![sources.add(inputs_path.to_path_buf(), inputs_text.to_string())];
        for path in &used {
            let text = read_text(path).map_err(|e: ReadError| CommandError::CannotRead(e))?;
            ids.push(sources.add(path.clone(), text));
        }
        let program = check_rule_files(sources, &ids, &[], &analysis::vocabulary());
        let mut failing: Vec<(PathBuf, String)> = Vec::new();
        for diagnostic in program.diagnostics.iter().filter(|d| d.is_error()) {
            let path = program
                .sources
                .path(diagnostic.primary.span.file)
                .to_path_buf();
            if path == inputs_path {
                // The written declarations themselves do not check: a bug here, not
                // in the user's export; say so plainly.
                return Err(CommandError::Rejected(super::Diagnosed {
                    sources: program.sources,
                    diagnostics: program.diagnostics,
                }));
            }
            if !failing.iter().any(|(p, _)| *p == path) {
                // Files that checked before and fail once others are left out need
                // what those files define.
                let why = if round > 1 {
                    format!("uses what a file left out defines ({})", diagnostic.message)
                } else {
                    diagnostic.message.clone()
                };
                failing.push((path, why));
            }
        }
        if failing.is_empty() {
            return Ok((used, left_out));
        }
        used.retain(|p| !failing.iter().any(|(f, _)| f == p));
        left_out.extend(failing);
    }
}
