//! The `compare` workbook: named scenarios side by side — KPIs with absolute and %
//! deltas against the first scenario, the params that differ, per-row table deltas, a chart.

use std::collections::HashSet;

use rust_xlsxwriter::{
    Chart, ChartLegendPosition, Color, Format, Formula, Workbook, Worksheet, XlsxError,
};

use crate::lang::ast::FormatKind;
use crate::lang::plan::Plan;
use crate::report::cells::{
    Styles, Widths, column_display, display_text, format_code, number_format, write_value,
};
use crate::report::differences::{
    AlignedTable, FlagChanges, aligned_tables, compared_metrics, flag_changes, scenario_labels,
};
use crate::report::formula::{column_letters, number_literal};
use crate::report::layout::{HISTORY, set_properties, unique_sheet_name};
use crate::report::long_text::CellText;
use crate::report::text::humanize;
use crate::report::{CompareReport, ReportError, RunReport};
use crate::value::Value;
use crate::value::ValueType;

const SUMMARY: &str = "Summary";
const PERCENT_DELTA: &str = "+0.0%;-0.0%;0.0%";

/// The format for a change in a value shown with `kind`: the same look, with a sign.
fn signed_format(kind: Option<&FormatKind>) -> Format {
    let code = match kind {
        Some(FormatKind::Currency) => "+$#,##0;-$#,##0;$0",
        Some(FormatKind::Percent) => "+0.0%;-0.0%;0.0%",
        Some(FormatKind::Integer) => "+#,##0;-#,##0;0",
        Some(FormatKind::Decimal) => "+#,##0.00;-#,##0.00;0.00",
        Some(FormatKind::Custom(code)) => code.as_str(),
        Some(FormatKind::Date) | None => "+General;-General;General",
    };
    Format::new().set_num_format(code)
}

/// Writes `=b-a` (or `=(b-a)/ABS(a)` for `percent`) with the difference we computed as
/// its cached result; leaves the cell empty when either side is not a number.
fn write_delta(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cells: (&str, &str),
    values: (&Value, &Value),
    percent: bool,
    format: &Format,
) -> Result<(), XlsxError> {
    let (Some(a), Some(b)) = (values.0.as_f64(), values.1.as_f64()) else {
        return Ok(());
    };
    let (a_cell, b_cell) = cells;
    if percent {
        if a == 0.0 {
            return Ok(());
        }
        let delta = (b - a) / a.abs();
        if let Some(result) = number_literal(delta) {
            let formula =
                Formula::new(format!("({b_cell}-{a_cell})/ABS({a_cell})")).set_result(result);
            sheet.write_formula_with_format(row, column, formula, format)?;
        }
    } else if let Some(result) = number_literal(b - a) {
        let formula = Formula::new(format!("{b_cell}-{a_cell}")).set_result(result);
        sheet.write_formula_with_format(row, column, formula, format)?;
    }
    Ok(())
}

/// Builds the compare workbook: Summary (KPIs, differing params, a chart), then one
/// delta sheet per grouped table that every scenario has.
pub fn build_compare_workbook(report: &CompareReport) -> Result<Vec<u8>, ReportError> {
    let runs = &report.runs;
    let Some(base) = runs.first() else {
        return Err(ReportError::TooFewRuns(0));
    };
    if runs.len() < 2 {
        return Err(ReportError::TooFewRuns(runs.len()));
    }
    let styles = Styles::new();
    let labels = scenario_labels(runs);
    let mut workbook = Workbook::new();
    set_properties(&mut workbook, "Scenario comparison")?;
    let mut used: HashSet<String> = [SUMMARY.to_lowercase(), HISTORY.to_lowercase()]
        .into_iter()
        .collect();

    let aligned = aligned_tables(runs);
    let mut delta_sheets = Vec::new();
    let mut candidates: Vec<ChartSource> = Vec::new();
    let mut unchanged: Vec<&str> = Vec::new();
    for table in &aligned {
        if table.changed.is_empty() {
            unchanged.push(&table.plan.name);
            continue;
        }
        let name = unique_sheet_name(&format!("Δ {}", table.plan.name), &mut used);
        let (sheet, sources) = delta_sheet(&name, base.plan, table, &labels, &styles)?;
        candidates.extend(sources);
        delta_sheets.push(sheet);
    }

    // Chart what the baseline's dashboard charts first, else the first currency column
    // (every candidate changes between scenarios).
    let preferred = base
        .dashboard
        .charts
        .first()
        .and_then(|c| c.series.first().map(|s| (c.table.as_str(), s.as_str())));
    let chart_source = candidates
        .iter()
        .find(|c| preferred.is_some_and(|(t, s)| c.table == t && c.column == s))
        .or_else(|| candidates.iter().find(|c| c.currency))
        .or_else(|| candidates.first());
    let summary = SummaryParts {
        labels: &labels,
        chart_source,
        unchanged: &unchanged,
    };
    workbook.push_worksheet(summary_sheet(runs, &summary, &styles)?);
    for sheet in delta_sheets {
        workbook.push_worksheet(sheet);
    }
    Ok(workbook.save_to_buffer()?)
}

/// What the Summary sheet shows besides the runs themselves.
struct SummaryParts<'s> {
    labels: &'s [String],
    chart_source: Option<&'s ChartSource>,
    /// Tables no scenario changes (no Δ sheet).
    unchanged: &'s [&'s str],
}

fn summary_sheet(
    runs: &[RunReport],
    parts: &SummaryParts,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let labels = parts.labels;
    let mut sheet = Worksheet::new();
    sheet.set_name(SUMMARY)?;
    sheet.set_active(true);
    sheet.set_tab_color(Color::RGB(crate::report::cells::NAVY));
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    let base = &runs[0];
    sheet.write_text_with_format(0, 0, "Scenario comparison", &styles.title)?;
    sheet.set_row_height(0, 28)?;
    let others: Vec<&str> = labels.iter().skip(1).map(String::as_str).collect();
    let note = format!(
        "Baseline: {}. Compared: {}. Δ is the scenario minus the baseline; Δ% is that change relative to the baseline.",
        labels[0],
        others.join(", ")
    );
    sheet.write_text_with_format(1, 0, &note, &styles.subtitle)?;
    let mut widths = Widths::new(10, 48);
    let mut row = 3u32;
    for (run, label) in runs.iter().zip(labels) {
        sheet.write_text_with_format(row, 0, label, &Format::new().set_bold())?;
        sheet.write_text(row, 1, run.description.as_deref().unwrap_or(""))?;
        row += 1;
    }

    // KPIs side by side, then absolute and % deltas per non-baseline scenario.
    row += 1;
    sheet.write_text_with_format(row, 0, "Key figures", &styles.section)?;
    row += 1;
    let mut header: Vec<String> = vec!["Metric".to_string()];
    header.extend(labels.iter().cloned());
    for label in labels.iter().skip(1) {
        header.push(format!("Δ {label}"));
        header.push(format!("Δ% {label}"));
    }
    for (i, text) in header.iter().enumerate() {
        let column = u16::try_from(i).unwrap_or(u16::MAX);
        sheet.write_text_with_format(row, column, text, &styles.header)?;
        widths.see(column, text);
    }
    let kpis = compared_metrics(base);
    let runs_count = u16::try_from(runs.len()).unwrap_or(u16::MAX);
    let percent_format = Format::new().set_num_format(PERCENT_DELTA);
    for name in &kpis {
        row += 1;
        let scalar = base.plan.scalars.iter().find(|s| *s.name == **name);
        let kind = scalar.and_then(|s| s.format.as_ref().map(|f| &f.kind));
        let is_date = scalar.is_some_and(|s| s.ty == ValueType::Date);
        let format = number_format(kind, is_date);
        let label = humanize(name);
        sheet.write_text(row, 0, &label)?;
        widths.see(0, &label);
        let values: Vec<Value> = runs
            .iter()
            .map(|r| r.result.scalar(name).cloned().unwrap_or_default())
            .collect();
        for (i, value) in values.iter().enumerate() {
            let column = 1 + u16::try_from(i).unwrap_or(0);
            write_value(&mut sheet, row, column, value, &format)?;
            widths.see(
                column,
                &display_text(value, format_code(kind, is_date).as_deref()),
            );
        }
        let base_cell = format!("B{}", row + 1);
        for (i, value) in values.iter().enumerate().skip(1) {
            let cell = format!(
                "{}{}",
                column_letters(1 + u16::try_from(i).unwrap_or(0)),
                row + 1
            );
            let column = runs_count + 1 + 2 * (u16::try_from(i).unwrap_or(1) - 1);
            write_delta(
                &mut sheet,
                row,
                column,
                (&base_cell, &cell),
                (&values[0], value),
                false,
                &signed_format(kind),
            )?;
            write_delta(
                &mut sheet,
                row,
                column + 1,
                (&base_cell, &cell),
                (&values[0], value),
                true,
                &percent_format,
            )?;
            widths.see(column, "+$00,000,000");
        }
    }

    // Params whose values differ between scenarios.
    row += 2;
    sheet.write_text_with_format(row, 0, "Assumptions that differ", &styles.section)?;
    row += 1;
    let mut header = vec!["Param".to_string()];
    header.extend(labels.iter().cloned());
    for (i, text) in header.iter().enumerate() {
        sheet.write_text_with_format(
            row,
            u16::try_from(i).unwrap_or(u16::MAX),
            text,
            &styles.header,
        )?;
    }
    let mut names: Vec<String> = Vec::new();
    for run in runs {
        for (name, _) in &run.result.params {
            if !names.iter().any(|n| **n == **name) {
                names.push(name.to_string());
            }
        }
    }
    let mut differing = 0;
    for name in &names {
        let values: Vec<Option<&Value>> = runs
            .iter()
            .map(|r| {
                r.result
                    .params
                    .iter()
                    .find(|(n, _)| **n == **name)
                    .map(|(_, v)| v)
            })
            .collect();
        if values.iter().all(|v| *v == values[0]) {
            continue;
        }
        differing += 1;
        row += 1;
        sheet.write_text(row, 0, name)?;
        widths.see(0, name);
        let kind: Option<FormatKind> = base
            .plan
            .param_id(name)
            .and_then(|id| base.plan.params.get(id))
            .and_then(|p| p.format.as_ref().map(|f| f.kind.clone()));
        for (i, value) in values.iter().enumerate() {
            let column = 1 + u16::try_from(i).unwrap_or(0);
            match value {
                Some(value) => write_value(
                    &mut sheet,
                    row,
                    column,
                    value,
                    &number_format(kind.as_ref(), false),
                )?,
                None => {
                    sheet.write_text(row, column, "(not used)")?;
                }
            }
        }
    }
    if differing == 0 {
        row += 1;
        sheet.write_text_with_format(
            row,
            0,
            "All params are equal in every scenario.",
            &styles.subtitle,
        )?;
    }
    row = findings_section(&mut sheet, row + 2, runs, labels, styles)?;
    row += 2;
    sheet.write_text_with_format(row, 0, "Tables", &styles.section)?;
    row += 1;
    let tables_note = if parts.unchanged.is_empty() {
        "Every table changes in some scenario; each has a Δ sheet with the columns that change."
            .to_string()
    } else {
        format!(
            "Each Δ sheet shows only the columns that change. No scenario changes: {}.",
            parts.unchanged.join(", ")
        )
    };
    sheet.write_text_with_format(row, 0, &tables_note, &styles.subtitle)?;
    widths.apply(&mut sheet)?;
    sheet.set_column_width(0, 28)?;

    if let Some(source) = parts.chart_source {
        let mut chart = Chart::new_column();
        let title = format!(
            "{} by {} and scenario",
            humanize(&source.column),
            humanize(&source.key).to_lowercase()
        );
        chart.title().set_name(&title);
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_width(720).set_height(360);
        if let Some(code) = &source.format {
            chart.y_axis().set_num_format(code);
        }
        let last_key = source.keys.saturating_sub(1);
        let sheet_name = source.sheet.as_str();
        for (column, label) in source.columns.iter().zip(labels) {
            chart
                .add_series()
                .set_name(label.as_str())
                .set_categories((sheet_name, 1, 0, source.rows, last_key))
                .set_values((sheet_name, 1, *column, source.rows, *column));
        }
        sheet.insert_chart(row + 2, 0, &chart)?;
    }
    Ok(sheet)
}

/// The findings each scenario raises and clears against the baseline, most severe
/// first, then by value at stake; returns the last row written.
fn findings_section(
    sheet: &mut Worksheet,
    mut row: u32,
    runs: &[RunReport],
    labels: &[String],
    styles: &Styles,
) -> Result<u32, ReportError> {
    sheet.write_text_with_format(row, 0, "Findings raised and cleared", &styles.section)?;
    let Some(base) = runs.first() else {
        return Ok(row);
    };
    let changes: Vec<FlagChanges> = runs.iter().skip(1).map(|r| flag_changes(base, r)).collect();
    row += 1;
    let counts: Vec<String> = changes
        .iter()
        .zip(labels.iter().skip(1))
        .map(|(c, label)| {
            format!(
                "{label}: {} raised, {} cleared, {} in both",
                c.raised.len(),
                c.cleared.len(),
                c.kept
            )
        })
        .collect();
    let note = format!(
        "Against {}'s findings (the rules' flags). {}.",
        labels.first().map_or("the baseline", String::as_str),
        counts.join("; ")
    );
    sheet.write_text_with_format(row, 0, &note, &styles.subtitle)?;
    if changes
        .iter()
        .all(|c| c.raised.is_empty() && c.cleared.is_empty())
    {
        return Ok(row);
    }
    row += 1;
    let header = [
        "Scenario", "Change", "Severity", "Table", "Subject", "Finding", "At stake",
    ];
    for (i, text) in header.iter().enumerate() {
        sheet.write_text_with_format(row, u16::try_from(i).unwrap_or(0), text, &styles.header)?;
    }
    let stake_format = Format::new().set_num_format("$#,##0");
    for (change, label) in changes.iter().zip(labels.iter().skip(1)) {
        let listed = change
            .raised
            .iter()
            .map(|hit| ("Raised", *hit))
            .chain(change.cleared.iter().map(|hit| ("Cleared", *hit)));
        for (what, hit) in listed {
            row += 1;
            sheet.write_text(row, 0, label)?;
            sheet.write_text(row, 1, what)?;
            sheet.write_text(row, 2, hit.severity.as_str())?;
            sheet.write_text(row, 3, &hit.table)?;
            sheet.write_text(row, 4, &hit.subject)?;
            sheet.write_text(row, 5, &hit.message)?;
            if let Some(stake) = hit.stake {
                sheet.write_number_with_format(row, 6, stake, &stake_format)?;
            }
        }
    }
    Ok(row)
}

/// One numeric column of a delta sheet that the summary chart can draw.
struct ChartSource {
    sheet: String,
    table: String,
    /// First key column's name (the chart's categories).
    key: String,
    keys: u16,
    rows: u32,
    column: String,
    currency: bool,
    format: Option<String>,
    /// The per-scenario value columns on the delta sheet.
    columns: Vec<u16>,
}

/// One grouped table across scenarios: keys, then per column that changes the value in
/// each scenario and its delta to the baseline (columns no scenario changes are left
/// out). Returns the sheet and, for the summary chart, where each column's
/// per-scenario values are.
fn delta_sheet(
    name: &str,
    base_plan: &Plan,
    aligned: &AlignedTable,
    labels: &[String],
    styles: &Styles,
) -> Result<(Worksheet, Vec<ChartSource>), ReportError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    let keys = aligned.keys;
    let id = aligned.id;
    let rows = aligned.rows.len();
    let mut widths = Widths::new(8, 40);
    let mut column: u16 = 0;
    for key_column in aligned.plan.columns.iter().take(keys) {
        sheet.write_text_with_format(0, column, &key_column.name, &styles.header)?;
        widths.see(column, &key_column.name);
        let (kind, is_date) = column_display(base_plan, id, usize::from(column));
        let key_format = number_format(kind.as_ref(), is_date).set_bold();
        let code = format_code(kind.as_ref(), is_date);
        for (r, key) in aligned.rows.iter().enumerate() {
            if let Some(value) = key.get(usize::from(column)) {
                let row = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
                write_value(&mut sheet, row, column, value, &key_format)?;
                widths.see(column, &display_text(value, code.as_deref()));
            }
        }
        column += 1;
    }
    let mut sources = Vec::new();
    for plan_column in &aligned.changed {
        let kind = plan_column.format.as_ref().map(|f| &f.kind);
        let format = number_format(kind, false);
        let code = format_code(kind, false);
        let first_value_column = column;
        let delta_format = signed_format(kind);
        for (s, label) in labels.iter().enumerate() {
            let header = format!("{} [{label}]", plan_column.name);
            sheet.write_text_with_format(0, column, &header, &styles.header)?;
            widths.see(column, &header);
            for r in 0..rows {
                let row = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
                if let Some(value) = aligned.value(s, r, &plan_column.name) {
                    write_value(&mut sheet, row, column, &value, &format)?;
                    widths.see(column, &display_text(&value, code.as_deref()));
                }
            }
            column += 1;
            if s == 0 {
                continue;
            }
            let header = format!("Δ {} [{label}]", plan_column.name);
            sheet.write_text_with_format(0, column, &header, &styles.header)?;
            widths.see(column, &header);
            let base_letters = column_letters(first_value_column);
            let letters = column_letters(column - 1);
            for r in 0..rows {
                let row = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
                let a = aligned.value(0, r, &plan_column.name);
                let b = aligned.value(s, r, &plan_column.name);
                if let (Some(a), Some(b)) = (a, b) {
                    let cells = (
                        format!("{base_letters}{}", row + 1),
                        format!("{letters}{}", row + 1),
                    );
                    write_delta(
                        &mut sheet,
                        row,
                        column,
                        (&cells.0, &cells.1),
                        (&a, &b),
                        false,
                        &delta_format,
                    )?;
                }
            }
            column += 1;
        }
        // The per-scenario value columns: the first, then every other one after it.
        let mut columns = vec![first_value_column];
        columns.extend(
            (1..labels.len()).map(|s| first_value_column + 2 * u16::try_from(s).unwrap_or(0) - 1),
        );
        sources.push(ChartSource {
            sheet: name.to_string(),
            table: aligned.plan.name.to_string(),
            key: aligned
                .plan
                .columns
                .first()
                .map_or_else(String::new, |c| c.name.to_string()),
            keys: u16::try_from(keys).unwrap_or(1),
            rows: u32::try_from(rows).unwrap_or(0),
            column: plan_column.name.to_string(),
            currency: kind == Some(&FormatKind::Currency),
            format: code.clone(),
            columns,
        });
    }
    sheet.set_freeze_panes(1, u16::try_from(keys).unwrap_or(0))?;
    if column > 0 && rows > 0 {
        sheet.autofilter(0, 0, u32::try_from(rows).unwrap_or(0), column - 1)?;
    }
    widths.apply(&mut sheet)?;
    Ok((sheet, sources))
}
