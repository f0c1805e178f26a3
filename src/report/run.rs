//! The `run` workbook: where every sheet and cell goes (sheet names, the cell map live
//! formulas point into), and the assembly of the sheets in reading order.

use std::collections::HashSet;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use crate::lang::ast::FormatKind;
use crate::lang::plan::TableId;
use crate::report::cells::Styles;
use crate::report::formula::{CellMap, TableCells, absolute_cell};
use crate::report::{ReportError, RunReport, dashboard, sheets};
use crate::table::Table;
use crate::value::Value;

pub const DASHBOARD: &str = "Dashboard";
pub const RECOMMENDATIONS: &str = "Recommendations";
pub const METRICS: &str = "Metrics";
pub const ASSUMPTIONS: &str = "Assumptions";
pub const DATA_QUALITY: &str = "Data Quality";
pub const PROVENANCE: &str = "Provenance";

/// Zero-based row of the first entry on the Metrics and Assumptions sheets (a title,
/// a line of explanation, a blank row and a header row come first).
pub const FIRST_ENTRY_ROW: u32 = 4;

/// Data rows a sheet can hold below its header.
pub const MAX_SHEET_ROWS: usize = 1_048_575;

/// One param as written on the Assumptions sheet.
#[derive(Debug, Clone)]
pub struct ParamLine {
    pub name: String,
    /// The value the engine used.
    pub value: Value,
    pub source: String,
    pub format: Option<FormatKind>,
}

/// Where everything goes in a run workbook.
pub struct Layout {
    pub cells: CellMap,
    /// Grouped tables in plan order with their sheet names.
    pub table_sheets: Vec<(TableId, String)>,
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
            crate::report::pivot::CHART_DATA,
            "History",
        ]
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
        let mut cells = CellMap::default();
        let mut table_sheets = Vec::new();
        for (id, table) in plan.tables.iter().enumerate() {
            if !table.is_built() {
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
        let params = param_lines(report);
        for (i, line) in params.iter().enumerate() {
            if let Some(id) = plan.param_id(&line.name) {
                let row = FIRST_ENTRY_ROW + u32::try_from(i).unwrap_or(0);
                cells.params.insert(id, absolute_cell(ASSUMPTIONS, row, 1));
            }
        }
        for id in 0..plan.scalars.len() {
            let row = FIRST_ENTRY_ROW + u32::try_from(id).unwrap_or(0);
            cells.scalars.insert(id, absolute_cell(METRICS, row, 1));
        }
        Layout {
            cells,
            table_sheets,
            params,
        }
    }

    pub fn sheet_of(&self, table: TableId) -> Option<&str> {
        self.table_sheets
            .iter()
            .find(|(id, _)| *id == table)
            .map(|(_, s)| s.as_str())
    }
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
    let used = |name: &str| {
        report
            .result
            .params
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.clone())
    };
    let format = |name: &str| {
        plan.param_id(name)
            .and_then(|id| plan.params.get(id))
            .and_then(|p| p.format.as_ref().map(|f| f.kind.clone()))
    };
    let mut lines: Vec<ParamLine> = Vec::new();
    for row in &report.params {
        if lines.iter().any(|l| l.name == row.name) {
            continue;
        }
        lines.push(ParamLine {
            name: row.name.clone(),
            value: used(&row.name).unwrap_or_else(|| row.value.clone()),
            source: row.source.clone(),
            format: format(&row.name),
        });
    }
    for param in &plan.params {
        if lines.iter().any(|l| *l.name == *param.name) {
            continue;
        }
        lines.push(ParamLine {
            name: param.name.to_string(),
            value: used(&param.name).unwrap_or_else(|| param.default.clone()),
            source: "default".to_string(),
            format: param.format.as_ref().map(|f| f.kind.clone()),
        });
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

/// Builds the run workbook: Dashboard, Recommendations, one sheet per grouped table,
/// Chart Data (when a chart needs a pivot), Metrics, Assumptions, Data Quality, Provenance.
pub fn build_run_workbook(report: &RunReport) -> Result<Vec<u8>, ReportError> {
    let layout = Layout::new(report);
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    set_properties(&mut workbook, &report.title)?;
    let (dashboard, chart_data) = dashboard::dashboard_sheet(report, &layout, &styles)?;
    workbook.push_worksheet(dashboard);
    workbook.push_worksheet(sheets::recommendations_sheet(report, &layout, &styles)?);
    for (id, sheet) in &layout.table_sheets {
        workbook.push_worksheet(sheets::table_sheet(report, &layout, *id, sheet, &styles)?);
    }
    if let Some(sheet) = chart_data {
        workbook.push_worksheet(sheet);
    }
    workbook.push_worksheet(sheets::metrics_sheet(report, &layout, &styles)?);
    workbook.push_worksheet(sheets::assumptions_sheet(&layout, &styles)?);
    workbook.push_worksheet(sheets::quality_sheet(report.quality, &styles)?);
    workbook.push_worksheet(sheets::provenance_sheet(&report.provenance, &styles)?);
    Ok(workbook.save_to_buffer()?)
}
