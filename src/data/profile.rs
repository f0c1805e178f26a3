//! A first look at an export for `chanmix init`: its tables (the sheets of a workbook,
//! or the CSV files of a folder), their headers, and for each column a type guess,
//! whether it has blanks, how its text dates are laid out, and a few of its values.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::data::coerce::{
    parse_bool_text, parse_date_text, parse_dressed_number, parse_plain_number,
};
use crate::data::dates::{
    Layout, LayoutEvidence, LayoutProblem, Reading, swap_day_and_month, two_readings,
};
use crate::data::error::DataError;
use crate::data::read::read_inputs;
use crate::data::spec::{InputsSpec, TableSpec};
use crate::data::workbook::{Book, FileKind};
use crate::value::{Value, ValueType};

/// At least this share of a column's non-blank cells must read as numbers (dates) for
/// the column to be guessed a number (date) column; the rest are reported when run.
const TYPE_SHARE: f64 = 0.95;

/// Distinct text values kept per column (to compare with the values rules look for).
const KEPT_VALUES: usize = 50;

/// One table of an export.
#[derive(Debug, Clone)]
pub struct ExportTable {
    /// The file it is in.
    pub file: PathBuf,
    /// The sheet, for a workbook; `None` for a CSV file.
    pub sheet: Option<String>,
    /// The sheet's name or the CSV file's stem.
    pub name: String,
    pub rows: usize,
    pub columns: Vec<ColumnProfile>,
}

/// What one column of an export holds.
#[derive(Debug, Clone)]
pub struct ColumnProfile {
    /// The header as written (trimmed).
    pub header: String,
    pub ty: ValueType,
    /// Some cells are blank.
    pub optional: bool,
    /// For a date column with text dates: how they are laid out.
    pub dates: Option<DateGuess>,
    /// Up to 50 distinct text values, in order of first appearance.
    pub values: Vec<String>,
    /// The latest date in the column (an Excel serial).
    pub latest_date: Option<f64>,
    /// A non-blank cell that does not fit the guessed type, as found.
    pub misfit: Option<String>,
}

/// How a date column's text dates are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum DateGuess {
    /// Day first, shown by a date that reads only that way; `format` is the chrono
    /// format that reads the column (`%d/%m/%Y`).
    DayFirst {
        example: String,
        format: String,
    },
    MonthFirst {
        example: String,
        format: String,
    },
    /// Every two-way date reads both ways: the layout cannot be told.
    Ambiguous {
        example: String,
    },
    /// Both layouts occur.
    Mixed {
        day_first: String,
        month_first: String,
    },
}

/// A table that could not be read, and why.
#[derive(Debug)]
pub struct Unreadable {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub error: DataError,
}

/// The tables of an export: each sheet of a workbook, each `.csv` of a folder (sorted
/// by name), or one CSV file.
pub fn export_tables(path: &Path) -> Result<Vec<(PathBuf, Option<String>)>, DataError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| DataError::FileUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| FileKind::from_path(p).is_some())
            .collect();
        files.sort();
        let mut tables = Vec::new();
        for file in files {
            tables.extend(export_tables(&file)?);
        }
        return Ok(tables);
    }
    let kind = FileKind::from_path(path).ok_or_else(|| DataError::UnknownExtension {
        table: String::new(),
        path: path.to_path_buf(),
        extension: path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_else(|| "(none)".to_string()),
    })?;
    if !path.is_file() {
        return Err(DataError::FileNotFound {
            table: String::new(),
            path: path.to_path_buf(),
        });
    }
    if kind == FileKind::Csv {
        return Ok(vec![(path.to_path_buf(), None)]);
    }
    let budget = std::sync::Arc::new(crate::data::budget::ReadBudget::from_env()?);
    let book = Book::open(path, kind, &budget)?;
    // Hidden sheets are left out, as `sheet_pattern` leaves them out.
    Ok(book
        .sheets()
        .into_iter()
        .filter(|sheet| !sheet.hidden)
        .map(|sheet| (path.to_path_buf(), Some(sheet.name)))
        .collect())
}

/// Reads every table of the export and profiles its columns; tables that cannot be
/// read (no header row, duplicate headers …) are returned apart with their error.
pub fn profile_export(path: &Path) -> Result<(Vec<ExportTable>, Vec<Unreadable>), DataError> {
    let mut tables = Vec::new();
    let mut unreadable = Vec::new();
    for (file, sheet) in export_tables(path)? {
        match profile_table(&file, sheet.as_deref()) {
            Ok(table) => tables.push(table),
            Err(error) => unreadable.push(Unreadable { file, sheet, error }),
        }
    }
    Ok((tables, unreadable))
}

fn profile_table(file: &Path, sheet: Option<&str>) -> Result<ExportTable, DataError> {
    let name = match sheet {
        Some(sheet) => sheet.to_string(),
        None => file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
    };
    let spec = InputsSpec {
        workbook: None,
        tables: BTreeMap::from([(
            "Export".to_string(),
            TableSpec {
                file: Some(file.to_path_buf()),
                sheet: sheet.map(str::to_string),
                ..TableSpec::default()
            },
        )]),
    };
    let data = read_inputs(&spec, Path::new("."), None)?;
    let Some(table) = data.tables.into_iter().next() else {
        return Ok(ExportTable {
            file: file.to_path_buf(),
            sheet: sheet.map(str::to_string),
            name,
            rows: 0,
            columns: Vec::new(),
        });
    };
    let columns = table
        .columns
        .iter()
        .map(|column| profile_column(&column.name, &column.data.values()))
        .collect();
    Ok(ExportTable {
        file: file.to_path_buf(),
        sheet: sheet.map(str::to_string),
        name,
        rows: table.row_count,
        columns,
    })
}

/// What a text cell could be.
fn text_kind(text: &str) -> (Option<Reading>, bool, bool) {
    let t = text.trim();
    let date = match two_readings(t) {
        Some(Reading::Neither) => None,
        Some(reading) => Some(reading),
        None => parse_date_text(t).map(Reading::One),
    };
    let number = parse_plain_number(t).is_some() || parse_dressed_number(t).is_some();
    let boolean = parse_bool_text(t).is_some() && parse_plain_number(t).is_none();
    (date, number, boolean)
}

/// Guesses a column's type from its values (see [`TYPE_SHARE`]).
pub fn profile_column(header: &str, values: &[Value]) -> ColumnProfile {
    let (mut blanks, mut numbers, mut dates, mut bools, mut texts) = (0, 0, 0, 0, 0);
    let mut evidence = LayoutEvidence::default();
    let mut text_dates = 0usize;
    let mut with_time: Option<String> = None;
    let mut latest: Option<f64> = None;
    // Dates that read both ways: the latest of each reading, until the layout is known.
    let (mut latest_month_first, mut latest_day_first): (Option<f64>, Option<f64>) = (None, None);
    let later = |a: Option<f64>, b: f64| Some(a.map_or(b, |a| a.max(b)));
    let mut distinct: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut first_text: Option<String> = None;
    let mut first_number_misfit: Option<String> = None;
    for value in values {
        match value {
            Value::Blank => blanks += 1,
            Value::Text(t) if t.trim().is_empty() => blanks += 1,
            Value::Number(_) => numbers += 1,
            Value::Date(serial) => {
                dates += 1;
                latest = later(latest, *serial);
            }
            Value::Bool(_) => bools += 1,
            Value::Error(_) => texts += 1,
            Value::Text(t) => {
                let (date, number, boolean) = text_kind(t);
                if let Some(reading) = date {
                    dates += 1;
                    text_dates += 1;
                    evidence.note(reading, String::new, t.trim());
                    match reading {
                        Reading::One(s) | Reading::DayFirst(s) | Reading::MonthFirst(s) => {
                            latest = later(latest, s);
                        }
                        Reading::Both(month_first) => {
                            latest_month_first = later(latest_month_first, month_first);
                            if let Some(day_first) = swap_day_and_month(month_first) {
                                latest_day_first = later(latest_day_first, day_first);
                            }
                        }
                        Reading::Neither => {}
                    }
                    if with_time.is_none() && t.trim().contains(':') {
                        with_time = Some(t.trim().to_string());
                    }
                } else if number {
                    numbers += 1;
                } else if boolean {
                    bools += 1;
                } else {
                    texts += 1;
                    if first_number_misfit.is_none() {
                        first_number_misfit = Some(t.to_string());
                    }
                }
                if first_text.is_none() {
                    first_text = Some(t.to_string());
                }
                let trimmed = t.trim().to_string();
                if distinct.len() < KEPT_VALUES && seen.insert(trimmed.to_lowercase()) {
                    distinct.push(trimmed);
                }
            }
        }
    }
    let filled = values.len() - blanks;
    let share = |n: usize| filled > 0 && n as f64 >= TYPE_SHARE * filled as f64;
    let ty = if filled == 0 {
        ValueType::Text
    } else if share(dates) {
        ValueType::Date
    } else if share(numbers) {
        ValueType::Number
    } else if bools == filled {
        ValueType::Bool
    } else {
        ValueType::Text
    };
    let misfit = match ty {
        ValueType::Number | ValueType::Date if texts > 0 => first_number_misfit,
        _ => None,
    };
    let dates = (ty == ValueType::Date && text_dates > 0)
        .then(|| date_guess(&evidence, with_time.as_deref()))
        .flatten();
    // Two-way dates count in the layout the column turned out to have (none if it
    // cannot be told).
    let two_way = match &dates {
        Some(DateGuess::DayFirst { .. }) => latest_day_first,
        Some(DateGuess::MonthFirst { .. }) | None => latest_month_first,
        Some(DateGuess::Ambiguous { .. } | DateGuess::Mixed { .. }) => None,
    };
    if let Some(two_way) = two_way {
        latest = later(latest, two_way);
    }
    ColumnProfile {
        header: header.to_string(),
        ty,
        optional: blanks > 0,
        dates,
        values: distinct,
        latest_date: latest,
        misfit,
    }
}

/// The layout of a column's text dates, with the chrono format that reads them.
fn date_guess(evidence: &LayoutEvidence, with_time: Option<&str>) -> Option<DateGuess> {
    let example =
        |e: &Option<(String, String)>| e.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
    match evidence.decide() {
        Ok(Layout::Undecided) => None,
        Ok(Layout::DayFirst) => {
            let example = example(&evidence.day_first);
            let format = format_for(&example, with_time, true);
            Some(DateGuess::DayFirst { example, format })
        }
        Ok(Layout::MonthFirst) => {
            let example = example(&evidence.month_first);
            let format = format_for(&example, with_time, false);
            Some(DateGuess::MonthFirst { example, format })
        }
        Err(LayoutProblem::Ambiguous { example }) => {
            Some(DateGuess::Ambiguous { example: example.1 })
        }
        Err(LayoutProblem::Mixed {
            day_first,
            month_first,
        }) => Some(DateGuess::Mixed {
            day_first: day_first.1,
            month_first: month_first.1,
        }),
    }
}

/// `%d/%m/%Y` (or `-`, month first, with `%H:%M[:%S]` when the column has times).
fn format_for(example: &str, with_time: Option<&str>, day_first: bool) -> String {
    let sep = if example.contains('-') { '-' } else { '/' };
    let mut format = if day_first {
        format!("%d{sep}%m{sep}%Y")
    } else {
        format!("%m{sep}%d{sep}%Y")
    };
    if let Some(time) = with_time {
        let clock = time.split_once([' ', 'T']).map_or("", |(_, t)| t);
        format.push_str(if clock.matches(':').count() >= 2 {
            " %H:%M:%S"
        } else {
            " %H:%M"
        });
    }
    format
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(values: &[&str]) -> Vec<Value> {
        values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    Value::Blank
                } else {
                    Value::text(v)
                }
            })
            .collect()
    }

    #[test]
    fn types_are_guessed_from_most_cells() {
        let amounts = profile_column("close_value", &texts(&["4800", "0", "", "$1,200", "N/A"]));
        // 3 of 4 filled cells are numbers: below 95%, so text.
        assert_eq!(amounts.ty, ValueType::Text);
        let mut many: Vec<&str> = vec!["100"; 40];
        many.push("N/A");
        let amounts = profile_column("close_value", &texts(&many));
        assert_eq!(amounts.ty, ValueType::Number);
        assert_eq!(amounts.misfit.as_deref(), Some("N/A"));
        let flags = profile_column("renewed", &texts(&["yes", "no", "Y"]));
        assert_eq!(flags.ty, ValueType::Bool);
        let stages = profile_column("stage", &texts(&["Won", "Lost", "won", ""]));
        assert_eq!((stages.ty, stages.optional), (ValueType::Text, true));
        assert_eq!(stages.values, ["Won", "Lost"]);
    }

    #[test]
    fn date_layouts_and_their_formats() {
        let day_first = profile_column("d", &texts(&["03/01/2017", "15/02/2017"]));
        assert_eq!(
            day_first.dates,
            Some(DateGuess::DayFirst {
                example: "15/02/2017".into(),
                format: "%d/%m/%Y".into()
            })
        );
        // 2017-02-15 is serial 42781 (Excel).
        assert_eq!(day_first.latest_date, Some(42781.0));
        let ambiguous = profile_column("d", &texts(&["03/01/2017", "04/01/2017"]));
        assert_eq!(
            ambiguous.dates,
            Some(DateGuess::Ambiguous {
                example: "03/01/2017".into()
            })
        );
        let timed = profile_column("d", &texts(&["12-31-2017 10:30", "01-02-2017 09:00"]));
        assert!(
            matches!(timed.dates, Some(DateGuess::MonthFirst { ref format, .. }) if format == "%m-%d-%Y %H:%M")
        );
        let iso = profile_column("d", &texts(&["2017-03-01", "2017-03-02"]));
        assert_eq!((iso.ty, iso.dates), (ValueType::Date, None));
    }
}
