//! Charts analyses ask for ([`ChartRequest`]), drawn beside the table they read, on that
//! table's sheet: columns, lines, points with fitted lines, or lines over a shaded band
//! (a range such as a forecast interval). The report knows nothing
//! of any one analysis; a request names a table, a category column, series columns and
//! optionally the rows of one key (which must be contiguous on the sheet).

use rust_xlsxwriter::{
    Chart, ChartFormat, ChartMarker, ChartMarkerType, ChartSolidFill, ChartType, Worksheet,
};

use crate::eval::engine::AnalysisReport;
use crate::lang::analysis::{ChartRequest, ChartShape};
use crate::lang::plan::TableId;
use crate::report::layout::{Layout, table_data};
use crate::report::{ReportError, RunReport};
use crate::value::excel_compare;

/// Width and height of one chart, and the gap between charts, in pixels.
const CHART_WIDTH: u32 = 560;
const CHART_HEIGHT: u32 = 300;
const GAP: u32 = 16;

/// Every chart that analyses asked for on table `id`'s sheet, placed to the right of
/// the table, one under the other.
pub fn insert_charts(
    sheet: &mut Worksheet,
    report: &RunReport,
    layout: &Layout,
    id: TableId,
) -> Result<(), ReportError> {
    let Some(table_plan) = report.plan.tables.get(id) else {
        return Ok(());
    };
    let requests = report
        .result
        .analyses
        .iter()
        .flat_map(|a: &AnalysisReport| &a.charts)
        .filter(|c| *c.table == *table_plan.name);
    let first_free_column = u16::try_from(table_plan.columns.len() + 1).unwrap_or(u16::MAX);
    let mut placed = 0u32;
    for request in requests {
        if let Some(chart) = build(report, layout, id, request)? {
            sheet.insert_chart_with_offset(
                1,
                first_free_column,
                &chart,
                0,
                placed * (CHART_HEIGHT + GAP),
            )?;
            placed += 1;
        }
    }
    Ok(())
}

/// The chart for one request, or `None` when the request's rows are not on the sheet
/// (the table was capped) or not contiguous.
fn build(
    report: &RunReport,
    layout: &Layout,
    id: TableId,
    request: &ChartRequest,
) -> Result<Option<Chart>, ReportError> {
    let (Some(cells), Some(table_plan), Some(data)) = (
        layout.cells.tables.get(&id),
        report.plan.tables.get(id),
        table_data(report, id),
    ) else {
        return Ok(None);
    };
    let column_of = |name: &str| {
        table_plan
            .column_id(name)
            .and_then(|c| cells.columns.get(c).copied().flatten())
    };
    let Some(category) = column_of(&request.category) else {
        return Ok(None);
    };
    // The rows to draw: all written rows, or the one contiguous run of a key.
    let (first, last) = match &request.rows_where {
        None if cells.rows > 0 => (0, cells.rows - 1),
        None => return Ok(None),
        Some((column, wanted)) => {
            let Some(values) = data.column(column).map(|c| c.values()) else {
                return Ok(None);
            };
            let matching: Vec<usize> = values
                .iter()
                .take(cells.rows)
                .enumerate()
                .filter(|(_, v)| excel_compare(v, wanted).is_eq())
                .map(|(row, _)| row)
                .collect();
            match (matching.first(), matching.last()) {
                (Some(&a), Some(&b)) if b - a + 1 == matching.len() => (a, b),
                _ => return Ok(None),
            }
        }
    };
    let to_row = |row: usize| cells.first_row - 1 + u32::try_from(row).unwrap_or(u32::MAX);
    let (top, bottom) = (to_row(first), to_row(last));
    if request.shape == ChartShape::LinesWithBand {
        let range = Range {
            sheet: &cells.sheet,
            top,
            bottom,
            category,
        };
        return Ok(Some(band_chart(request, &range, &column_of)));
    }
    let mut chart = Chart::new(match request.shape {
        ChartShape::Column => ChartType::Column,
        ChartShape::Line | ChartShape::LinesWithBand => ChartType::Line,
        ChartShape::PointsAndLines | ChartShape::PointsLineAndMarkers => ChartType::ScatterStraight,
    });
    chart.title().set_name(&request.title);
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    chart
        .legend()
        .set_position(rust_xlsxwriter::ChartLegendPosition::Bottom);
    for (index, name) in request.series.iter().enumerate() {
        let Some(column) = column_of(name) else {
            continue;
        };
        let series = chart
            .add_series()
            .set_name(crate::report::text::humanize(name).as_str())
            .set_categories((cells.sheet.as_str(), top, category, bottom, category))
            .set_values((cells.sheet.as_str(), top, column, bottom, column));
        let points_only = |series: &mut rust_xlsxwriter::ChartSeries, kind, size| {
            series
                .set_marker(ChartMarker::new().set_type(kind).set_size(size))
                .set_format(rust_xlsxwriter::ChartFormat::new().set_no_line());
        };
        match (request.shape, index) {
            (ChartShape::PointsAndLines | ChartShape::PointsLineAndMarkers, 0) => {
                // The observations: points only.
                points_only(series, ChartMarkerType::Circle, 5);
            }
            (ChartShape::PointsAndLines, _) | (ChartShape::PointsLineAndMarkers, 1) => {
                series.set_marker(ChartMarker::new().set_none());
            }
            (ChartShape::PointsLineAndMarkers, _) => {
                // Positions on the line (current, recommended): large markers.
                let kind = if index % 2 == 0 {
                    ChartMarkerType::Diamond
                } else {
                    ChartMarkerType::Triangle
                };
                points_only(series, kind, 10);
            }
            _ => {}
        }
    }
    chart
        .x_axis()
        .set_name(crate::report::text::humanize(&request.category).as_str());
    Ok(Some(chart))
}

/// The rows a chart draws: first and last sheet row and the category column.
struct Range<'a> {
    sheet: &'a str,
    top: u32,
    bottom: u32,
    category: u16,
}

/// Lines over a band: the band is an area chart of the upper edge in a light fill with
/// the lower edge's area in white on top of it (so only the space between shows), and
/// the lines are a line chart combined over it. Rows where the edges are blank draw no
/// band.
fn band_chart(
    request: &ChartRequest,
    range: &Range<'_>,
    column_of: &dyn Fn(&str) -> Option<u16>,
) -> Chart {
    let split = request.series.len().saturating_sub(2);
    let (lines, edges) = request.series.split_at(split);
    let mut chart = Chart::new(ChartType::Area);
    chart.title().set_name(&request.title);
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    chart
        .legend()
        .set_position(rust_xlsxwriter::ChartLegendPosition::Bottom);
    let values = |column: u16| (range.sheet, range.top, column, range.bottom, column);
    let categories = (
        range.sheet,
        range.top,
        range.category,
        range.bottom,
        range.category,
    );
    let band_name = edges
        .iter()
        .map(|name| crate::report::text::humanize(name))
        .collect::<Vec<_>>()
        .join(" to ");
    // Upper edge first (filled), then the lower edge (white) over it.
    for (index, name) in edges.iter().rev().enumerate() {
        let Some(column) = column_of(name) else {
            continue;
        };
        let colour = if index == 0 { "#C6DBEF" } else { "#FFFFFF" };
        chart
            .add_series()
            .set_name(if index == 0 { band_name.as_str() } else { "" })
            .set_categories(categories)
            .set_values(values(column))
            .set_format(
                ChartFormat::new()
                    .set_solid_fill(ChartSolidFill::new().set_color(colour))
                    .set_no_line(),
            );
    }
    if edges.len() == 2 {
        chart.legend().delete_entries(&[1]);
    }
    let mut line = Chart::new(ChartType::Line);
    for name in lines {
        let Some(column) = column_of(name) else {
            continue;
        };
        line.add_series()
            .set_name(crate::report::text::humanize(name).as_str())
            .set_categories(categories)
            .set_values(values(column));
    }
    chart.combine(&line);
    chart.y_axis().set_major_gridlines(false);
    chart.x_axis().set_num_format("mmm yyyy");
    chart
        .x_axis()
        .set_name(crate::report::text::humanize(&request.category).as_str());
    chart
}
