//! Where everything goes in a run workbook: the sheet names, which sheet each grouped
//! table gets, the cell of every param and scalar that live formulas point at, and the
//! cell a flag's row starts at. Imports nothing of the report but the cell map.

use std::collections::HashSet;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use crate::eval::engine::FlagHit;
use crate::lang::plan::{ParamId, TableId, TablePlan};
use crate::report::formula::{CellMap, TableCells, absolute_cell, quoted_sheet};
use crate::report::{ReportError, RunReport};
use crate::table::Table;
use crate::value::Value;

pub const DASHBOARD: &str = "Dashboard";
pub const RECOMMENDATIONS: &str = "Recommendations";
pub const CHART_DATA: &str = "Chart Data";
pub const METRICS: &str = "Metrics";
pub const ASSUMPTIONS: &str = "Assumptions";
pub const DATA_QUALITY: &str = "Data Quality";
pub const PROVENANCE: &str = "Provenance";
/// Kept free for Excel's own change-tracking sheet.
pub const HISTORY: &str = "History";

/// Zero-based row of the first entry on the Metrics and Assumptions sheets (a title,
/// a line of explanation, a blank row and a header row come first).
pub const FIRST_ENTRY_ROW: u32 = 4;

/// Data rows a sheet can hold below its header.
pub const MAX_SHEET_ROWS: usize = 1_048_575;

/// One param as written on the Assumptions sheet (its name and format are the plan's).
#[derive(Debug, Clone)]
pub struct ParamLine {
    pub param: ParamId,
    /// The value the engine used.
    pub value: Value,
    pub source: String,
}

/// Where everything goes in a run workbook.
pub struct Layout {
    pub cells: CellMap,
    /// Built (grouped and analysis) tables in plan order with their sheet names.
    pub table_sheets: Vec<(TableId, String)>,
    /// Tables drawn as matrices too (two keys, a `@heat` column), with that sheet's name.
    pub matrix_sheets: Vec<(TableId, String)>,
    /// The Assumptions sheet's lines, in order from [`FIRST_ENTRY_ROW`].
    pub params: Vec<ParamLine>,
}

impl Layout {
    pub fn new(report: &RunReport) -> Layout {
        let plan = report.plan;
        let mut used: HashSet<String> = [
            DASHBOARD,
            RECOMMENDATIONS,
            METRICS,
            ASSUMPTIONS,
            DATA_QUALITY,
            PROVENANCE,
            CHART_DATA,
            HISTORY,
        ]
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
        let mut cells = CellMap::default();
        let mut table_sheets = Vec::new();
        for (id, table) in plan.tables.iter().enumerate() {
            if !table.is_built() || report.omitted_tables.iter().any(|t| **t == *table.name) {
                continue;
            }
            let sheet = unique_sheet_name(&table.name, &mut used);
            let rows = table_data(report, id).map_or(0, |t| t.row_count);
            cells.tables.insert(
                id,
                TableCells {
                    sheet: sheet.clone(),
                    columns: (0..table.columns.len())
                        .map(|c| u16::try_from(c).ok())
                        .collect(),
                    first_row: 2,
                    rows: rows.min(MAX_SHEET_ROWS),
                    complete: rows <= MAX_SHEET_ROWS,
                },
            );
            table_sheets.push((id, sheet));
        }
        let matrix_sheets = table_sheets
            .iter()
            .filter(|(id, _)| plan.tables.get(*id).is_some_and(wants_matrix))
            .map(|(id, sheet)| {
                let wanted: String = sheet.chars().take(24).collect();
                (
                    *id,
                    unique_sheet_name(&format!("{wanted} Matrix"), &mut used),
                )
            })
            .collect();
        let params = param_lines(report);
        for (i, line) in params.iter().enumerate() {
            let row = FIRST_ENTRY_ROW + u32::try_from(i).unwrap_or(0);
            cells
                .params
                .insert(line.param, absolute_cell(ASSUMPTIONS, row, 1));
        }
        for id in 0..plan.scalars.len() {
            let row = FIRST_ENTRY_ROW + u32::try_from(id).unwrap_or(0);
            cells.scalars.insert(id, absolute_cell(METRICS, row, 1));
        }
        Layout {
            cells,
            table_sheets,
            matrix_sheets,
            params,
        }
    }

    pub fn sheet_of(&self, table: TableId) -> Option<&str> {
        self.table_sheets
            .iter()
            .find(|(id, _)| *id == table)
            .map(|(_, s)| s.as_str())
    }

    /// The cell a flag's row starts at on its table's sheet, e.g. `'Channels'!A4`.
    pub fn flag_target(&self, report: &RunReport, hit: &FlagHit) -> Option<String> {
        let table = report.plan.table_id(&hit.table)?;
        let cells = self.cells.tables.get(&table)?;
        if hit.row >= cells.rows {
            return None;
        }
        let row = u32::try_from(hit.row).ok()?;
        Some(format!(
            "{}!A{}",
            quoted_sheet(&cells.sheet),
            cells.first_row + row
        ))
    }
}

/// Whether `table` also gets a matrix sheet (`report::matrix`): exactly two keys and a
/// `@heat` column.
pub fn wants_matrix(table: &TablePlan) -> bool {
    table.key_count() == 2 && table.columns.iter().skip(2).any(|column| column.look.heat)
}

/// The evaluated rows of plan table `id`.
pub fn table_data<'r>(report: &'r RunReport, id: TableId) -> Option<&'r Table> {
    let name = &report.plan.tables.get(id)?.name;
    match report.result.tables.get(id) {
        Some(table) if table.name == *name => Some(table),
        _ => report.result.table(name),
    }
}

/// Params in the report's order, then any plan param the report did not list (a
/// default); each with the value the engine actually used.
fn param_lines(report: &RunReport) -> Vec<ParamLine> {
    let plan = report.plan;
    // The engine lists its params in plan order.
    let used = |id: ParamId| {
        let param = plan.params.get(id)?;
        match report.result.params.get(id) {
            Some((name, value)) if *name == param.name => Some(value.clone()),
            _ => Some(param.default.clone()),
        }
    };
    let mut lines: Vec<ParamLine> = Vec::new();
    let listed = report
        .params
        .iter()
        .map(|row| (row.param, row.source.clone()));
    let defaults = (0..plan.params.len()).map(|id| (id, "default".to_string()));
    for (param, source) in listed.chain(defaults) {
        if lines.iter().any(|l| l.param == param) {
            continue;
        }
        if let Some(value) = used(param) {
            lines.push(ParamLine {
                param,
                value,
                source,
            });
        }
    }
    lines
}

/// A valid, unused sheet name for `wanted` (at most 31 characters, no `[]:*?/\`).
pub fn unique_sheet_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_matches('\'');
    let base: String = if cleaned.is_empty() {
        "Sheet".to_string()
    } else {
        cleaned.chars().take(31).collect()
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while used.contains(&candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = 31usize.saturating_sub(suffix.chars().count());
        candidate = format!("{}{}", base.chars().take(keep).collect::<String>(), suffix);
        n += 1;
    }
    used.insert(candidate.to_lowercase());
    candidate
}

/// Fixed document properties, so the same inputs give the same bytes.
pub fn set_properties(workbook: &mut Workbook, title: &str) -> Result<(), ReportError> {
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    let properties = DocProperties::new()
        .set_title(title)
        .set_author("chanmix")
        .set_creation_datetime(&created);
    workbook.set_properties(&properties);
    Ok(())
}
