//! Errors that stop reading the inputs: each names the file, sheet and column or
//! cell involved and says how to fix it.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::suggest::Suggestion;

/// ` (did you mean `x`?)` when there is a suggestion.
fn suggestion(s: &Option<Suggestion>) -> String {
    match s {
        Some(suggestion) => format!(" ({suggestion})"),
        None => String::new(),
    }
}

/// Lists names for a message, shortened after a dozen.
pub(crate) fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    if text.is_empty() {
        text.push_str("(none)");
    }
    text
}

/// Why the inputs could not be read.
/// The environment variable that replaces the read budget with a flat limit in MiB
/// (named here because the limit's error tells the user to raise it).
pub const LIMIT_VARIABLE: &str = "CHANMIX_MAX_READ_MB";

#[derive(Debug, Error)]
pub enum DataError {
    #[error(
        "table '{table}' has no file: set `workbook` under [inputs] or `file` under [inputs.tables.{table}]"
    )]
    NoFileGiven { table: String },

    #[error(
        "table '{table}': file {} does not exist (paths are relative to the scenario file)",
        path.display()
    )]
    FileNotFound { table: String, path: PathBuf },

    #[error("cannot read {}: {source}", path.display())]
    FileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "table '{table}': {} has an unsupported extension '{extension}'; use .xlsx, .xlsm, .xlsb, .xls, .ods or .csv",
        path.display()
    )]
    UnknownExtension {
        table: String,
        path: PathBuf,
        extension: String,
    },

    #[error(
        "{} is not a valid {kind} workbook ({detail}); re-save it from Excel or LibreOffice in that format, or fix its extension",
        path.display()
    )]
    NotAWorkbook {
        path: PathBuf,
        kind: String,
        detail: String,
    },

    #[error(
        "{} is a damaged or truncated workbook ({detail}); copy or export it again",
        path.display()
    )]
    CorruptWorkbook { path: PathBuf, detail: String },

    #[error(
        "{} is password-protected; save an unprotected copy (File > Info > Protect Workbook > Encrypt with Password, clear it) and point the scenario at that",
        path.display()
    )]
    PasswordProtected { path: PathBuf },

    #[error(
        "{} sheet '{sheet}' could not be read ({detail}); open and re-save the workbook",
        path.display()
    )]
    CorruptSheet {
        path: PathBuf,
        sheet: String,
        detail: String,
    },

    #[error(
        "table '{table}': {} has no sheet '{sheet}'{}. Sheets in the file: {}",
        path.display(), suggestion(suggested), list_names(available)
    )]
    SheetNotFound {
        table: String,
        path: PathBuf,
        sheet: String,
        suggested: Option<Suggestion>,
        available: Vec<String>,
    },

    #[error(
        "table '{table}': no sheet of {} matches sheet_pattern '{pattern}'. Sheets in the file: {}",
        path.display(), list_names(available)
    )]
    NoSheetMatches {
        table: String,
        path: PathBuf,
        pattern: String,
        available: Vec<String>,
    },

    #[error(
        "table '{table}': {} is a CSV file, which has no sheets; remove `{option}` from [inputs.tables.{table}]",
        path.display()
    )]
    SheetOptionOnCsv {
        table: String,
        path: PathBuf,
        option: String,
    },

    #[error(
        "table '{table}': give only one of `sheet`, `sheets` and `sheet_pattern` (found {given})"
    )]
    ConflictingSheetOptions { table: String, given: String },

    #[error("table '{table}': header_row is 1-based; use 1 for the first row")]
    InvalidHeaderRow { table: String },

    #[error(
        "table '{table}': `fill` gives every row the same {column}, but {column} is the table's key, whose values must differ; read it from the export (or remove `key`)"
    )]
    FillOfKey { table: String, column: String },

    #[error(
        "table '{table}': column '{column}' is in both `fill` and `row_numbers`; keep it in one (`row_numbers` for an identifier, `fill` for a grouping such as segment)"
    )]
    FilledTwice { table: String, column: String },

    #[error(
        "table '{table}': column '{column}' has type '{given}'; use number, text, bool, date or any (add '?' to allow blanks, e.g. \"date?\")"
    )]
    UnknownColumnType {
        table: String,
        column: String,
        given: String,
    },

    #[error(
        "table '{table}': {} sheet '{sheet}' has no header row (row {header_row} is empty); put the column names in that row or set header_row",
        path.display()
    )]
    NoHeaderRow {
        table: String,
        path: PathBuf,
        sheet: String,
        header_row: u32,
    },

    #[error(
        "table '{table}': {} sheet '{sheet}' has no column '{column}' in header row {header_row}{}. Headers: {}. If the export calls it differently, add `rename = {{ \"Export Header\" = \"{column}\" }}` to [inputs.tables.{table}]",
        path.display(), suggestion(suggested), list_names(headers)
    )]
    MissingColumn {
        table: String,
        path: PathBuf,
        sheet: String,
        column: String,
        header_row: u32,
        suggested: Option<Suggestion>,
        headers: Vec<String>,
    },

    #[error(
        "table '{table}': {} has two headers for column '{column}' ({first} and {second}); rename one in the export or map one with `rename`",
        path.display()
    )]
    DuplicateHeader {
        table: String,
        path: PathBuf,
        column: String,
        first: String,
        second: String,
    },

    #[error(
        "table '{table}': {} key column '{column}' has the value '{value}' twice ({first} and {second}); keys must be unique — fix the export or drop `key`",
        path.display()
    )]
    DuplicateKey {
        table: String,
        path: PathBuf,
        column: String,
        value: String,
        first: String,
        second: String,
    },

    #[error(
        "{} {part} cannot be read: {detail}. If the file is genuine, raise the limit with {}=<MiB> (see README, \"Limits on reading\")",
        path.display(), LIMIT_VARIABLE
    )]
    ReadLimit {
        path: PathBuf,
        part: String,
        detail: String,
    },

    #[error("{variable} is '{given}'; give a whole number of MiB, e.g. {variable}=8192")]
    BadReadLimit { variable: String, given: String },

    #[error(
        "table '{table}': {} cell {cell} (column '{column}') holds '{raw}', expected {expected}; fix the cell or set on_bad_cell = \"report\" or \"reject-row\"",
        path.display()
    )]
    BadCell {
        table: String,
        path: PathBuf,
        cell: String,
        column: String,
        raw: String,
        expected: String,
    },

    #[error(
        "table '{table}': {} column '{column}' has dates like '{raw}' ({cell}) that read both ways: {readings}, and no date in the column settles which. Say how the export writes dates: date_format = \"%d/%m/%Y\" (day first) or \"%m/%d/%Y\" (month first) under [inputs.tables.{table}]",
        path.display()
    )]
    AmbiguousDates {
        table: String,
        path: PathBuf,
        column: String,
        cell: String,
        raw: String,
        readings: String,
    },

    #[error(
        "table '{table}': {} column '{column}' mixes day-first and month-first dates: '{day_first}' ({day_first_cell}) reads only day first, '{month_first}' ({month_first_cell}) only month first. Fix the export, or set date_format under [inputs.tables.{table}] (cells that do not fit it are reported)",
        path.display()
    )]
    MixedDateLayouts {
        table: String,
        path: PathBuf,
        column: String,
        day_first: String,
        day_first_cell: String,
        month_first: String,
        month_first_cell: String,
    },
}

impl DataError {
    /// The input table the error is about, when it is about one.
    pub fn table(&self) -> Option<&str> {
        match self {
            DataError::NoFileGiven { table }
            | DataError::FileNotFound { table, .. }
            | DataError::UnknownExtension { table, .. }
            | DataError::SheetNotFound { table, .. }
            | DataError::NoSheetMatches { table, .. }
            | DataError::SheetOptionOnCsv { table, .. }
            | DataError::ConflictingSheetOptions { table, .. }
            | DataError::InvalidHeaderRow { table }
            | DataError::FillOfKey { table, .. }
            | DataError::FilledTwice { table, .. }
            | DataError::UnknownColumnType { table, .. }
            | DataError::NoHeaderRow { table, .. }
            | DataError::MissingColumn { table, .. }
            | DataError::DuplicateHeader { table, .. }
            | DataError::DuplicateKey { table, .. }
            | DataError::BadCell { table, .. }
            | DataError::AmbiguousDates { table, .. }
            | DataError::MixedDateLayouts { table, .. } => Some(table),
            DataError::FileUnreadable { .. }
            | DataError::NotAWorkbook { .. }
            | DataError::CorruptWorkbook { .. }
            | DataError::PasswordProtected { .. }
            | DataError::CorruptSheet { .. }
            | DataError::ReadLimit { .. }
            | DataError::BadReadLimit { .. } => None,
        }
    }

    /// The scenario setting the error is about, as a path into the scenario
    /// (`inputs.tables.Deals.sheet`), most specific first; the caller takes the first
    /// one the scenario wrote.
    pub fn setting_paths(&self) -> Vec<String> {
        let Some(table) = self.table() else {
            return vec!["inputs.workbook".to_string()];
        };
        let at = |key: &str| format!("inputs.tables.{table}.{key}");
        let whole = format!("inputs.tables.{table}");
        let mut paths = match self {
            DataError::NoFileGiven { .. }
            | DataError::FileNotFound { .. }
            | DataError::UnknownExtension { .. } => {
                vec![at("file"), "inputs.workbook".to_string()]
            }
            DataError::SheetNotFound { .. }
            | DataError::NoSheetMatches { .. }
            | DataError::SheetOptionOnCsv { .. }
            | DataError::ConflictingSheetOptions { .. } => {
                vec![at("sheet"), at("sheets"), at("sheet_pattern")]
            }
            DataError::InvalidHeaderRow { .. } | DataError::NoHeaderRow { .. } => {
                vec![at("header_row")]
            }
            DataError::FillOfKey { column, .. } => vec![format!("{}.{column}", at("fill"))],
            DataError::FilledTwice { .. } => vec![at("row_numbers")],
            DataError::UnknownColumnType { column, .. } => {
                vec![format!("{}.{column}", at("columns"))]
            }
            DataError::MissingColumn { column, .. } | DataError::DuplicateHeader { column, .. } => {
                vec![format!("{}.{column}", at("columns")), at("rename")]
            }
            DataError::DuplicateKey { .. } => vec![at("key")],
            DataError::BadCell { .. } => vec![at("on_bad_cell")],
            DataError::AmbiguousDates { column, .. }
            | DataError::MixedDateLayouts { column, .. } => {
                vec![
                    format!("{}.{column}", at("date_formats")),
                    at("date_format"),
                ]
            }
            _ => Vec::new(),
        };
        paths.push(whole);
        paths.push(at("file"));
        paths.push("inputs.workbook".to_string());
        paths
    }

    /// Sheet `sheet` of the workbook at `path` cannot be read, for the reason `detail`.
    pub(crate) fn corrupt_sheet(path: &Path, sheet: &str, detail: String) -> DataError {
        DataError::CorruptSheet {
            path: path.to_path_buf(),
            sheet: sheet.to_string(),
            detail,
        }
    }
}
