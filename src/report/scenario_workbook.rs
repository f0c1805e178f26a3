//! The assembly of one scenario's workbook (what `chanmix run` writes): the layout, then
//! every sheet in reading order.

use rust_xlsxwriter::Workbook;

use crate::report::cells::Styles;
use crate::report::layout::{Layout, set_properties};
use crate::report::long_text::{Shortened, collecting};
use crate::report::{ReportError, RunReport, analysis_charts, dashboard, findings, matrix, sheets};

/// Builds the run workbook: Dashboard, Recommendations, one sheet per grouped table
/// (followed by its matrix sheet when it has one),
/// Chart Data (when a chart needs a pivot), Metrics, Assumptions, Data Quality, Provenance.
pub fn build_run_workbook(report: &RunReport) -> Result<Vec<u8>, ReportError> {
    build_run_workbook_noting(report).map(|(bytes, _)| bytes)
}

/// [`build_run_workbook`], and every text it shortened to fit a cell (which the Data
/// Quality sheet lists too).
pub fn build_run_workbook_noting(
    report: &RunReport,
) -> Result<(Vec<u8>, Vec<Shortened>), ReportError> {
    let (built, shortened) = collecting(|| build(report));
    Ok((built?, shortened))
}

fn build(report: &RunReport) -> Result<Vec<u8>, ReportError> {
    let layout = Layout::new(report);
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    set_properties(&mut workbook, &report.title)?;
    let (dashboard, chart_data) = dashboard::dashboard_sheet(report, &layout, &styles)?;
    workbook.push_worksheet(dashboard);
    workbook.push_worksheet(findings::recommendations_sheet(report, &layout, &styles)?);
    for (id, name) in &layout.table_sheets {
        let mut sheet = sheets::table_sheet(report, &layout, *id, name, &styles)?;
        analysis_charts::insert_charts(&mut sheet, report, &layout, *id)?;
        workbook.push_worksheet(sheet);
        if let Some((_, matrix_name)) = layout.matrix_sheets.iter().find(|(m, _)| m == id)
            && let Some(matrix) = matrix::matrix_sheet(report, &layout, *id, matrix_name, &styles)?
        {
            workbook.push_worksheet(matrix);
        }
    }
    if let Some(sheet) = chart_data {
        workbook.push_worksheet(sheet);
    }
    workbook.push_worksheet(sheets::metrics_sheet(report, &layout, &styles)?);
    workbook.push_worksheet(sheets::assumptions_sheet(report, &layout, &styles)?);
    let issues = crate::report::issues::DataIssues::gather(&report.result.audit, report.quality);
    // Data Quality lists the texts every other sheet shortened: it is built last.
    let provenance = sheets::provenance_sheet(&report.provenance, &styles)?;
    workbook.push_worksheet(sheets::quality_sheet(
        report.quality,
        &issues,
        &report.result.flags,
        &styles,
    )?);
    workbook.push_worksheet(provenance);
    Ok(workbook.save_to_buffer()?)
}
