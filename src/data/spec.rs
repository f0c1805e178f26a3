//! The `[inputs]` section of a scenario file: which workbook, which sheets, which
//! columns with which types, how export headers map to rule names, and the bad-cell policy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::error::DataError;
use crate::value::ValueType;

/// `[inputs]`: the default workbook and one entry per logical input table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputsSpec {
    /// Workbook every table reads from unless the table names its own `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook: Option<PathBuf>,
    #[serde(default)]
    pub tables: BTreeMap<String, TableSpec>,
}

/// `[inputs.tables.NAME]`: where one logical table comes from and what it holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Overrides `InputsSpec.workbook` (e.g. one .csv per table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Sheet to read; defaults to the table's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Several sheets read, in this order, as one table (exports split at Excel's row limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Vec<String>>,
    /// Sheets whose names match this pattern (`*` and `?` wildcards), in natural
    /// order: `Leads`, `Leads_2`, `Leads_10`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet_pattern: Option<String>,
    /// 1-based row holding the column headers; rows above it are ignored. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u32>,
    /// Column whose values must be unique; duplicates stop the run, naming both cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Rule column name -> `number`, `text`, `bool`, `date` or `any`; a `?` suffix
    /// allows blanks (`"date?"`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Export header -> rule column name. Headers match rule names exactly (after
    /// trimming spaces), else case-insensitively when only one header fits.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// What to do with a cell that cannot be read as its column's type.
    #[serde(default)]
    pub on_bad_cell: BadCellPolicy,
    /// How text dates of this table are written, as a chrono format (`%d/%m/%Y`).
    /// ISO dates (`2017-03-01`) and Excel serials are read whatever it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// Per column, the same (`{ close_date = "%m/%d/%Y" }`); wins over `date_format`.
    #[serde(default)]
    pub date_formats: BTreeMap<String, String>,
    /// Trim spaces around the text of key columns (default: true). Each trimmed cell
    /// is listed in the data-quality log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim_keys: Option<bool>,
    /// Columns the export does not have, each with the one text every row gets
    /// (`{ segment = "All", partner_id = "" }`); they are not looked for in the file.
    #[serde(default)]
    pub fill: BTreeMap<String, String>,
    /// Identifier columns the export does not have: row `n` of the table, in the order
    /// read, gets the text `n` (`row_numbers = ["opp_id"]`), so rows stay apart where
    /// one `fill` text would merge them all into one deal or one account.
    #[serde(default)]
    pub row_numbers: Vec<String>,
    /// The key columns whose text is trimmed: the columns the rules group or match by
    /// and look values up with (filled in from the rules, not written in scenarios).
    #[serde(skip)]
    pub trimmed: BTreeSet<String>,
}

/// What happens to a row with a cell that cannot be read as its declared type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadCellPolicy {
    /// Keep the row; the cell becomes `#VALUE!` and is listed in the data-quality log.
    #[default]
    Report,
    /// Drop the row; it is counted and each bad cell is listed.
    RejectRow,
    /// Stop reading with an error naming the cell.
    Fail,
}

impl BadCellPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            BadCellPolicy::Report => "report",
            BadCellPolicy::RejectRow => "reject-row",
            BadCellPolicy::Fail => "fail",
        }
    }
}

/// A declared column type: the type and whether blanks are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredType {
    pub ty: ValueType,
    pub optional: bool,
}

impl DeclaredType {
    /// Parses `number`, `date?` …; `None` for an unknown type name.
    pub fn parse(text: &str) -> Option<DeclaredType> {
        let trimmed = text.trim();
        let (name, optional) = match trimmed.strip_suffix('?') {
            Some(rest) => (rest.trim_end(), true),
            None => (trimmed, false),
        };
        let ty = ValueType::parse(name)?;
        // `any` accepts everything, blanks included.
        let optional = optional || ty == ValueType::Any;
        Some(DeclaredType { ty, optional })
    }
}

impl TableSpec {
    /// The date format of `column`: its own, else the table's.
    pub fn date_format_of(&self, column: &str) -> Option<&str> {
        self.date_formats
            .get(column)
            .or(self.date_format.as_ref())
            .map(String::as_str)
    }

    /// The declared columns with parsed types, or the first type that does not parse.
    pub fn declared_types(&self, table: &str) -> Result<BTreeMap<String, DeclaredType>, DataError> {
        self.columns
            .iter()
            .map(|(name, ty)| match DeclaredType::parse(ty) {
                Some(decl) => Ok((name.clone(), decl)),
                None => Err(DataError::UnknownColumnType {
                    table: table.to_string(),
                    column: name.clone(),
                    given: ty.clone(),
                }),
            })
            .collect()
    }

    /// Checks what can be checked without reading any file: column types, the header
    /// row, and that at most one of `sheet`, `sheets`, `sheet_pattern` is given.
    pub fn validate(&self, table: &str) -> Result<(), DataError> {
        self.declared_types(table)?;
        if self.header_row == Some(0) {
            return Err(DataError::InvalidHeaderRow {
                table: table.to_string(),
            });
        }
        let given: Vec<&str> = [
            self.sheet.as_ref().map(|_| "sheet"),
            self.sheets.as_ref().map(|_| "sheets"),
            self.sheet_pattern.as_ref().map(|_| "sheet_pattern"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if given.len() > 1 {
            return Err(DataError::ConflictingSheetOptions {
                table: table.to_string(),
                given: given.join(", "),
            });
        }
        if let Some(key) = &self.key
            && self.fill.contains_key(key)
        {
            return Err(DataError::FillOfKey {
                table: table.to_string(),
                column: key.clone(),
            });
        }
        if let Some(column) = self
            .row_numbers
            .iter()
            .find(|c| self.fill.contains_key(c.as_str()))
        {
            return Err(DataError::FilledTwice {
                table: table.to_string(),
                column: column.clone(),
            });
        }
        if matches!(&self.sheets, Some(list) if list.is_empty()) {
            return Err(DataError::ConflictingSheetOptions {
                table: table.to_string(),
                given: "sheets = [] (an empty list)".to_string(),
            });
        }
        Ok(())
    }
}

impl InputsSpec {
    /// Validates every table spec (see [`TableSpec::validate`]).
    pub fn validate(&self) -> Result<(), DataError> {
        for (name, table) in &self.tables {
            table.validate(name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_parse_with_optional_suffix() {
        assert_eq!(
            DeclaredType::parse("date?"),
            Some(DeclaredType {
                ty: ValueType::Date,
                optional: true
            })
        );
        assert_eq!(
            DeclaredType::parse(" number "),
            Some(DeclaredType {
                ty: ValueType::Number,
                optional: false
            })
        );
        assert_eq!(DeclaredType::parse("numbr"), None);
    }

    #[test]
    fn spec_reads_from_toml_and_rejects_unknown_keys() {
        let text = r#"
            workbook = "crm.xlsx"
            [tables.Opportunities]
            key = "opp_id"
            columns = { opp_id = "text", amount = "number" }
            rename = { "Opportunity Amount" = "amount" }
            on_bad_cell = "reject-row"
        "#;
        let spec: InputsSpec = toml::from_str(text).unwrap_or_default();
        let opps = &spec.tables["Opportunities"];
        assert_eq!(opps.on_bad_cell, BadCellPolicy::RejectRow);
        assert_eq!(opps.rename["Opportunity Amount"], "amount");
        let bad = toml::from_str::<InputsSpec>("[tables.X]\nshets = [\"a\"]\n");
        assert!(bad.is_err());
    }
}
