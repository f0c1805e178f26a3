//! The Dashboard sheet: title and scenario, KPI tiles linked to the Metrics sheet, native
//! charts over the table sheets' cells, and the top findings, laid out for a reader in a hurry.

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartDataLabel, ChartDataLabelPosition, ChartLegendPosition,
    ChartType, Color, Format, FormatAlign, FormatBorder, Url, Worksheet,
};

use crate::eval::engine::FlagHit;
use crate::lang::ast::FormatKind;
use crate::lang::plan::{TableId, TablePlan};
use crate::report::cells::{
    MUTED, NAVY, Styles, TILE_FILL, cached_result, column_display, format_code, note_error_origin,
    write_value,
};
use crate::report::findings::recommendations;
use crate::report::formula::absolute_cell;
use crate::report::layout::{
    ASSUMPTIONS, CHART_DATA, DASHBOARD, FIRST_ENTRY_ROW, Layout, METRICS, RECOMMENDATIONS,
    table_data,
};
use crate::report::long_text::{CellText, fit_in};
use crate::report::pivot::{ChartData, PivotBlock};
use crate::report::text::{humanize, tool_name};
use crate::report::{ChartKind, ChartSpec, ReportError, RunReport};
use crate::suggest::Suggestion;
use crate::value::{Value, ValueType};

/// KPI tiles per row, each `TILE_WIDTH` columns wide, starting in column B.
const TILES_PER_ROW: usize = 4;
const TILE_WIDTH: u16 = 3;
/// Dashboard grid columns B..M.
const GRID_COLUMNS: u16 = TILES_PER_ROW as u16 * TILE_WIDTH;
const GRID_COLUMN_WIDTH: f64 = 13.0;
/// Rows a chart occupies (at the default 20 px row height) plus one spacer row.
const CHART_ROWS: u32 = 18;
const CHART_WIDTH_PX: u32 = 6 * 96;
const CHART_HEIGHT_PX: u32 = 340;
/// Findings listed on the dashboard; the Recommendations sheet has all of them.
const TOP_FINDINGS: usize = 8;

fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    Suggestion::closest(name, candidates).map_or_else(String::new, |s| format!(" ({s})"))
}

/// The Dashboard sheet, and the Chart Data sheet when a chart needed a pivot of its table.
pub fn dashboard_sheet(
    report: &RunReport,
    layout: &Layout,
    styles: &Styles,
) -> Result<(Worksheet, Option<Worksheet>), ReportError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(DASHBOARD)?;
    sheet.set_active(true);
    sheet.set_screen_gridlines(false);
    sheet.set_tab_color(Color::RGB(NAVY));
    // One printed page, like a dashboard handout.
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 1);
    sheet.set_column_width(0, 2)?;
    for c in 1..=GRID_COLUMNS {
        sheet.set_column_width(c, GRID_COLUMN_WIDTH)?;
    }

    let title = if report.dashboard.title.is_empty() {
        &report.title
    } else {
        &report.dashboard.title
    };
    let title_format = styles.title.clone().set_font_size(22);
    sheet.merge_text(0, 1, 0, GRID_COLUMNS, title, &title_format)?;
    sheet.set_row_height(0, 34)?;
    let mut line = format!("Scenario: {}", report.title);
    if let Some(description) = &report.description {
        line.push_str(" — ");
        line.push_str(description);
    }
    sheet.merge_text(1, 1, 1, GRID_COLUMNS, &line, &styles.subtitle)?;
    let as_of = report.provenance.as_of.map_or_else(
        || "as of: not set".to_string(),
        |d| format!("Data as of {}", d.format("%-d %B %Y")),
    );
    let footer = format!(
        "{as_of}  ·  {}  ·  details on the table sheets; assumptions and sources on '{}' and 'Provenance'",
        tool_name(&report.provenance.tool_version),
        ASSUMPTIONS
    );
    let small = Format::new()
        .set_font_color(Color::RGB(MUTED))
        .set_font_size(9);
    sheet.merge_text(2, 1, 2, GRID_COLUMNS, &footer, &small)?;

    let mut row = kpi_tiles(&mut sheet, report, 4)?;
    row += 1;
    let mut chart_data = ChartData::new(styles)?;
    row = charts(&mut sheet, report, layout, row, &mut chart_data)?;
    findings(&mut sheet, report, layout, row, styles)?;
    Ok((sheet, chart_data.finish()?))
}

/// Writes the KPI tiles from `top`; returns the first free row below them.
fn kpi_tiles(sheet: &mut Worksheet, report: &RunReport, top: u32) -> Result<u32, ReportError> {
    let plan = report.plan;
    let names: Vec<String> = if report.dashboard.kpis.is_empty() {
        // No KPIs chosen: the first scalars, two rows of tiles at most.
        plan.scalars
            .iter()
            .take(2 * TILES_PER_ROW)
            .map(|s| s.name.to_string())
            .collect()
    } else {
        report.dashboard.kpis.clone()
    };
    if names.is_empty() {
        return Ok(top);
    }
    let label_format = Format::new()
        .set_font_color(Color::RGB(MUTED))
        .set_font_size(10)
        .set_bold()
        .set_background_color(Color::RGB(TILE_FILL))
        .set_border_top(FormatBorder::Thick)
        .set_border_top_color(Color::RGB(NAVY))
        .set_align(FormatAlign::Center);
    let value_base = Format::new()
        .set_bold()
        .set_font_size(22)
        .set_font_color(Color::RGB(NAVY))
        .set_background_color(Color::RGB(TILE_FILL))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let mut bottom = top;
    for (i, name) in names.iter().enumerate() {
        let Some(id) = plan.scalars.iter().position(|s| *s.name == **name) else {
            return Err(ReportError::UnknownKpi {
                name: name.clone(),
                suggestion: suggestion(name, plan.scalars.iter().map(|s| &*s.name)),
            });
        };
        let scalar = &plan.scalars[id];
        let value = report.result.scalar(name).cloned().unwrap_or_default();
        let kind = scalar.format.as_ref().map(|f| &f.kind);
        let code = format_code(kind, scalar.ty == ValueType::Date);
        let value_format = match &code {
            Some(code) => value_base.clone().set_num_format(code),
            None => value_base.clone().set_num_format("#,##0.##"),
        };
        let row = top + u32::try_from(i / TILES_PER_ROW).unwrap_or(0) * 3;
        let first = 1 + u16::try_from(i % TILES_PER_ROW).unwrap_or(0) * TILE_WIDTH;
        let last = first + TILE_WIDTH - 1;
        sheet.merge_text(row, first, row, last, &humanize(name), &label_format)?;
        sheet.merge_text(row + 1, first, row + 1, last, "", &value_format)?;
        // The tile shows the Metrics cell, so it follows any change made there.
        let metrics_row = FIRST_ENTRY_ROW + u32::try_from(id).unwrap_or(0);
        let link = absolute_cell(METRICS, metrics_row, 1);
        match cached_result(&value) {
            Some(result) => {
                sheet.write_formula_with_format(
                    row + 1,
                    first,
                    rust_xlsxwriter::Formula::new(link).set_result(result),
                    &value_format,
                )?;
            }
            None => write_value(sheet, row + 1, first, &value, &value_format)?,
        }
        // An error on a tile says where it came from, in a note and under the tile:
        // never a bare `#VALUE!` on the page leadership reads.
        if let Value::Error(error) = &value
            && let Some(why) = error.explain()
        {
            note_error_origin(sheet, row + 1, first, &value)?;
            let small = Format::new()
                .set_italic()
                .set_font_size(8)
                .set_font_color(Color::RGB(MUTED))
                .set_text_wrap()
                .set_align(FormatAlign::Top);
            sheet.merge_range(row + 2, first, row + 2, last, &why, &small)?;
            sheet.set_row_height(row + 2, 24)?;
        } else if let Some((_, against)) = report
            .dashboard
            .kpi_comparisons
            .iter()
            .find(|(k, _)| k == name)
            && let Some(other) = plan.scalars.iter().position(|s| *s.name == **against)
        {
            compare_tile(
                sheet,
                (row + 2, first, last),
                (id, &value),
                (other, against),
                report,
            )?;
        }
        sheet.set_row_height(row, 20)?;
        sheet.set_row_height(row + 1, 40)?;
        bottom = row + 3;
    }
    Ok(bottom)
}

/// Under a KPI tile, its change against the value it is compared with, as a live
/// formula over the two Metrics cells (`+12.3% vs prior bookings`); blank when either
/// is not a number or the other is 0.
fn compare_tile(
    sheet: &mut Worksheet,
    (row, first, last): (u32, u16, u16),
    (id, value): (usize, &Value),
    (other, against): (usize, &str),
    report: &RunReport,
) -> Result<(), ReportError> {
    let cell =
        |id: usize| absolute_cell(METRICS, FIRST_ENTRY_ROW + u32::try_from(id).unwrap_or(0), 1);
    let other_value = report.result.scalar(against).cloned().unwrap_or_default();
    let change = match (value.as_f64(), other_value.as_f64()) {
        (Some(a), Some(b)) if b != 0.0 => Some(a / b - 1.0),
        _ => None,
    };
    let (this_cell, other_cell) = (cell(id), cell(other));
    let formula = format!(
        "IF(AND(ISNUMBER({this_cell}),ISNUMBER({other_cell})),IF({other_cell}<>0,{this_cell}/{other_cell}-1,\"\"),\"\")"
    );
    // The label goes in the number format (quotes doubled away), so the cell stays a number.
    let label = humanize(against).to_lowercase().replace('"', "");
    let format = Format::new()
        .set_italic()
        .set_font_size(9)
        .set_font_color(Color::RGB(MUTED))
        .set_background_color(Color::RGB(TILE_FILL))
        .set_align(FormatAlign::Center)
        .set_num_format(format!(
            "+0.0%\" vs {label}\";-0.0%\" vs {label}\";\"= {label}\""
        ));
    sheet.merge_range(row, first, row, last, "", &format)?;
    let result = change.map_or_else(String::new, |c| c.to_string());
    sheet.write_formula_with_format(
        row,
        first,
        rust_xlsxwriter::Formula::new(formula).set_result(result),
        &format,
    )?;
    Ok(())
}

fn find_table<'p>(
    report: &'p RunReport,
    layout: &Layout,
    spec: &ChartSpec,
) -> Result<(TableId, &'p TablePlan), ReportError> {
    let plan = report.plan;
    plan.table_id(&spec.table)
        .filter(|id| layout.sheet_of(*id).is_some())
        .and_then(|id| plan.tables.get(id).map(|t| (id, t)))
        .ok_or_else(|| ReportError::UnknownChartTable {
            chart: spec.title.clone(),
            table: spec.table.clone(),
            suggestion: suggestion(
                &spec.table,
                layout
                    .table_sheets
                    .iter()
                    .filter_map(|(id, _)| plan.tables.get(*id).map(|t| &*t.name)),
            ),
        })
}

fn find_column(spec: &ChartSpec, table: &TablePlan, column: &str) -> Result<u16, ReportError> {
    table
        .column_id(column)
        .and_then(|c| u16::try_from(c).ok())
        .ok_or_else(|| ReportError::UnknownChartColumn {
            chart: spec.title.clone(),
            table: spec.table.clone(),
            column: column.to_string(),
            suggestion: suggestion(column, table.columns.iter().map(|c| &*c.name)),
        })
}

/// Draws every chart of the spec, two per row; returns the first free row below.
fn charts(
    sheet: &mut Worksheet,
    report: &RunReport,
    layout: &Layout,
    top: u32,
    chart_data: &mut ChartData,
) -> Result<u32, ReportError> {
    let defaults;
    let specs = if report.dashboard.charts.is_empty() {
        defaults = default_charts(report, layout);
        &defaults
    } else {
        &report.dashboard.charts
    };
    for (i, spec) in specs.iter().enumerate() {
        let chart = build_chart(report, layout, spec, chart_data)?;
        let row = top + u32::try_from(i / 2).unwrap_or(0) * CHART_ROWS;
        let column = 1 + u16::try_from(i % 2).unwrap_or(0) * (GRID_COLUMNS / 2);
        sheet.insert_chart_with_offset(row, column, &chart, 0, 0)?;
    }
    let chart_rows = u32::try_from(specs.len().div_ceil(2)).unwrap_or(0) * CHART_ROWS;
    Ok(top + chart_rows)
}

/// Charts for a scenario that chose none: for the first grouped table with a currency
/// column, that column by key, with the first percent column as a line beside it.
fn default_charts(report: &RunReport, layout: &Layout) -> Vec<ChartSpec> {
    let plan = report.plan;
    for (id, _) in &layout.table_sheets {
        let Some(table) = plan.tables.get(*id) else {
            continue;
        };
        let keys = table.key_count();
        let first_of = |wanted: FormatKind| {
            table
                .columns
                .iter()
                .enumerate()
                .skip(keys)
                .find(|(c, _)| column_display(plan, *id, *c).0.as_ref() == Some(&wanted))
                .map(|(_, column)| column.name.to_string())
        };
        if let Some(money) = first_of(FormatKind::Currency) {
            let ratio = first_of(FormatKind::Percent);
            let key = table
                .columns
                .first()
                .map_or_else(String::new, |c| humanize(&c.name));
            let title = match &ratio {
                Some(ratio) => format!(
                    "{} and {} by {}",
                    humanize(&money),
                    humanize(ratio).to_lowercase(),
                    key.to_lowercase()
                ),
                None => format!("{} by {}", humanize(&money), key.to_lowercase()),
            };
            return vec![ChartSpec {
                title,
                table: table.name.to_string(),
                kind: ChartKind::Column,
                series: vec![money],
                secondary: ratio.into_iter().collect(),
                category: None,
            }];
        }
    }
    Vec::new()
}

fn build_chart(
    report: &RunReport,
    layout: &Layout,
    spec: &ChartSpec,
    chart_data: &mut ChartData,
) -> Result<Chart, ReportError> {
    let (id, table) = find_table(report, layout, spec)?;
    let sheet = layout.sheet_of(id).unwrap_or_default().to_string();
    let rows = layout.cells.tables.get(&id).map_or(0, |c| c.rows);
    if spec.series.is_empty() && spec.secondary.is_empty() {
        return Err(ReportError::EmptyChart {
            chart: spec.title.clone(),
        });
    }
    let primary: Vec<u16> = spec
        .series
        .iter()
        .map(|name| find_column(spec, table, name))
        .collect::<Result<_, _>>()?;
    let secondary: Vec<u16> = spec
        .secondary
        .iter()
        .map(|name| find_column(spec, table, name))
        .collect::<Result<_, _>>()?;
    let series_format = |column: u16| {
        let (kind, is_date) = column_display(report.plan, id, usize::from(column));
        format_code(kind.as_ref(), is_date)
    };

    let chart_type = match spec.kind {
        ChartKind::Column => ChartType::Column,
        ChartKind::StackedColumn => ChartType::ColumnStacked,
        ChartKind::Bar => ChartType::Bar,
        ChartKind::StackedBar | ChartKind::Funnel => ChartType::BarStacked,
        ChartKind::Line => ChartType::Line,
        ChartKind::Area => ChartType::Area,
        ChartKind::Pie => ChartType::Pie,
        ChartKind::Doughnut => ChartType::Doughnut,
    };
    let round = matches!(spec.kind, ChartKind::Pie | ChartKind::Doughnut);
    let mut chart = Chart::new(chart_type);
    chart.title().set_name(&spec.title);
    chart.set_width(CHART_WIDTH_PX).set_height(CHART_HEIGHT_PX);
    chart.legend().set_position(ChartLegendPosition::Bottom);

    // A funnel: the stage columns become the categories (first stage on top), and each
    // row of the table (channel) a segment of every stage's bar.
    if spec.kind == ChartKind::Funnel
        && let Some(data) = table_data(report, id)
        && let Some(block) = chart_data.transpose(table, data, &sheet, &primary, rows)?
    {
        add_block_series(&mut chart, &block, Some(40));
        // First stage on top; the value axis then stays at the bottom.
        chart
            .y_axis()
            .set_reverse()
            .set_crossing(ChartAxisCrossing::Max);
        if let Some(code) = primary.first().and_then(|c| series_format(*c)) {
            chart.x_axis().set_num_format(code);
        }
        return Ok(chart);
    }

    // One measure over a two-key table (segment × channel) reads best as clustered
    // columns: the first key along the axis, one colored series per second key.
    if let ([column], true, None, true) = (
        primary.as_slice(),
        secondary.is_empty(),
        &spec.category,
        !round && table.key_count() >= 2,
    ) && let Some(data) = table_data(report, id)
        && let Some(block) = chart_data.pivot(table, data, &sheet, *column, rows)?
    {
        add_block_series(&mut chart, &block, None);
        if let Some(code) = series_format(*column) {
            value_axis(&mut chart, spec.kind).set_num_format(code);
        }
        return Ok(chart);
    }

    let first = 1u32;
    let last = u32::try_from(rows.max(1)).unwrap_or(1);
    // Categories: the named column, else the key column(s) (several keys give Excel's
    // multi-level category axis).
    let (category_first, category_last) = match &spec.category {
        Some(name) => {
            let c = find_column(spec, table, name)?;
            (c, c)
        }
        None => (0, u16::try_from(table.key_count().max(1) - 1).unwrap_or(0)),
    };
    let category_is_date = column_display(report.plan, id, usize::from(category_first)).1;
    let range = SeriesRange {
        sheet: &sheet,
        first,
        last,
        category_first,
        category_last,
    };
    let label = |column: u16| {
        table
            .columns
            .get(usize::from(column))
            .map_or_else(String::new, |c| humanize(&c.name))
    };
    if round {
        if let Some(column) = primary.first().or(secondary.first()) {
            let mut data_label = ChartDataLabel::new();
            // Percentages on the slices stay inside the chart; the legend names them.
            data_label
                .show_percentage()
                .set_position(ChartDataLabelPosition::BestFit);
            range
                .add(&mut chart, *column, &label(*column), false)
                .set_data_label(&data_label);
        }
        chart.legend().set_position(ChartLegendPosition::Right);
        return Ok(chart);
    }
    for column in &primary {
        range.add(&mut chart, *column, &label(*column), false);
    }
    if primary.len() + secondary.len() == 1 {
        // The title already names the only series.
        chart.legend().set_hidden();
    }
    if let Some(code) = primary.first().and_then(|c| series_format(*c)) {
        value_axis(&mut chart, spec.kind).set_num_format(code);
    }
    if let [column] = primary.as_slice() {
        value_axis(&mut chart, spec.kind).set_name(&label(*column));
    }
    if category_is_date {
        let axis = category_axis(&mut chart, spec.kind);
        axis.set_date_axis(true).set_num_format("mmm yy");
    }
    if !secondary.is_empty() {
        // Secondary series as lines on their own axis (e.g. ROI % beside revenue $).
        let mut line = Chart::new_line();
        for column in &secondary {
            range.add(&mut line, *column, &label(*column), true);
        }
        if primary.is_empty() {
            return Ok(line);
        }
        chart.combine(&line);
        // The secondary axis is configured through the primary chart.
        if let Some(code) = secondary.first().and_then(|c| series_format(*c)) {
            chart.y2_axis().set_num_format(code);
        }
        if let [column] = secondary.as_slice() {
            chart.y2_axis().set_name(&label(*column));
        }
    }
    Ok(chart)
}

/// Where a chart's series live on a table sheet.
struct SeriesRange<'s> {
    sheet: &'s str,
    first: u32,
    last: u32,
    category_first: u16,
    category_last: u16,
}

impl SeriesRange<'_> {
    fn add<'c>(
        &self,
        chart: &'c mut Chart,
        column: u16,
        name: &str,
        secondary: bool,
    ) -> &'c mut rust_xlsxwriter::ChartSeries {
        let series = chart.add_series();
        series
            .set_name(name)
            .set_categories((
                self.sheet,
                self.first,
                self.category_first,
                self.last,
                self.category_last,
            ))
            .set_values((self.sheet, self.first, column, self.last, column));
        if secondary {
            series.set_secondary_axis(true);
        }
        series
    }
}

/// The axis showing values: y for column and line charts, x for (horizontal) bars.
fn value_axis(chart: &mut Chart, kind: ChartKind) -> &mut rust_xlsxwriter::ChartAxis {
    match kind {
        ChartKind::Bar | ChartKind::StackedBar | ChartKind::Funnel => chart.x_axis(),
        _ => chart.y_axis(),
    }
}

fn category_axis(chart: &mut Chart, kind: ChartKind) -> &mut rust_xlsxwriter::ChartAxis {
    match kind {
        ChartKind::Bar | ChartKind::StackedBar | ChartKind::Funnel => chart.y_axis(),
        _ => chart.x_axis(),
    }
}

/// The first findings below the charts, with a pointer to the full list.
fn findings(
    sheet: &mut Worksheet,
    report: &RunReport,
    layout: &Layout,
    top: u32,
    styles: &Styles,
) -> Result<(), ReportError> {
    let flags: Vec<&FlagHit> = recommendations(&report.result.flags).collect();
    let heading = match flags.len() {
        0 => "Findings: none — no rule flagged anything".to_string(),
        n if n > TOP_FINDINGS => {
            format!("Findings ({TOP_FINDINGS} of {n}, all on '{RECOMMENDATIONS}')")
        }
        n => format!("Findings ({n}, most severe first, then by value at stake)"),
    };
    sheet.merge_text(top, 1, top, GRID_COLUMNS, &heading, &styles.section)?;
    let subject = Format::new()
        .set_bold()
        .set_align(FormatAlign::Top)
        .set_text_wrap();
    let message = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (i, hit) in flags.iter().take(TOP_FINDINGS).enumerate() {
        let row = top + 1 + u32::try_from(i).unwrap_or(0);
        sheet.merge_text(row, 1, row, 2, "", &subject)?;
        let label = format!("{} · {}", hit.subject, hit.severity.as_str());
        // The subject links to its row on the table's sheet.
        match layout.flag_target(report, hit) {
            Some(target) => {
                let text = fit_in(sheet, row, 1, &label);
                let link = Url::new(format!("internal:{target}")).set_text(&*text);
                sheet.write_url_with_format(row, 1, link, &subject)?;
            }
            None => {
                sheet.write_text_with_format(row, 1, &label, &subject)?;
            }
        }
        sheet.merge_text(row, 3, row, GRID_COLUMNS, &hit.message, &message)?;
        // Long messages wrap: give them room (about 160 characters per line here), up
        // to the tallest row Excel draws (409 points).
        let lines = (hit.message.chars().count() / 160 + 1) as f64;
        sheet.set_row_height(row, (16.0 * lines + 4.0).min(409.0))?;
    }
    Ok(())
}

/// One chart series per value column of a Chart Data block, categories from its column A.
fn add_block_series(chart: &mut Chart, block: &PivotBlock, gap: Option<u16>) {
    for series in 0..block.series {
        let value_column = 1 + series;
        let added = chart
            .add_series()
            .set_name((CHART_DATA, block.header_row, value_column))
            .set_categories((CHART_DATA, block.first_row, 0, block.last_row, 0))
            .set_values((
                CHART_DATA,
                block.first_row,
                value_column,
                block.last_row,
                value_column,
            ));
        if let Some(gap) = gap {
            added.set_gap(gap);
        }
    }
}
