//! Matrix sheets: a table with two keys whose columns are annotated `@heat` (a channel ×
//! channel overlap, say) is also drawn as matrices, first key down and second across,
//! one block per `@heat` column, each cell a live reference to the table row it shows
//! and one neutral colour scale over the block.

use rust_xlsxwriter::{Color, ConditionalFormat2ColorScale, Format, Formula, Worksheet};

use crate::lang::plan::TableId;
use crate::report::cells::{
    Styles, Widths, cached_result, column_display, display_text, format_code, number_format,
    write_value,
};
use crate::report::formula::{column_letters, quoted_sheet};
use crate::report::layout::{Layout, table_data};
use crate::report::text::humanize;
use crate::report::{ReportError, RunReport};
use crate::table::Table;
use crate::value::{Value, compare_text, excel_compare};

/// Beyond this many distinct keys on a side a matrix is not readable; the table's own
/// sheet still lists every row.
pub const MAX_MATRIX_KEYS: usize = 60;

/// Distinct keys in first-seen order, compared as Excel compares text.
fn distinct(keys: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for key in keys {
        let seen = out.iter().any(|k| match (k, key) {
            (Value::Text(a), Value::Text(b)) => compare_text(a, b).is_eq(),
            (a, b) => a == b,
        });
        if !seen {
            out.push(key.clone());
        }
    }
    out
}

fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => compare_text(x, y).is_eq(),
        _ => a == b,
    }
}

/// The matrix sheet of table `id`, named `name`; `None` when there is nothing to draw
/// (no rows, or more keys than fit).
pub fn matrix_sheet(
    report: &RunReport,
    layout: &Layout,
    id: TableId,
    name: &str,
    styles: &Styles,
) -> Result<Option<Worksheet>, ReportError> {
    let plan = report.plan;
    let (Some(table), Some(data), Some(table_sheet)) = (
        plan.tables.get(id),
        table_data(report, id),
        layout.sheet_of(id),
    ) else {
        return Ok(None);
    };
    let rows = layout.cells.tables.get(&id).map_or(0, |c| c.rows);
    let (Some(down_key), Some(across_key)) = (table.columns.first(), table.columns.get(1)) else {
        return Ok(None);
    };
    let (Some(down), Some(across)) = (
        column_values(data, &down_key.name),
        column_values(data, &across_key.name),
    ) else {
        return Ok(None);
    };
    let (down, across) = (
        &down[..rows.min(down.len())],
        &across[..rows.min(across.len())],
    );
    // Down in the table's order (its rows are sorted by key); across sorted the same way,
    // so a square matrix (channel × channel) has one order on both sides.
    let categories = distinct(down);
    let mut series = distinct(across);
    series.sort_by(excel_compare);
    if rows == 0 || categories.len() > MAX_MATRIX_KEYS || series.len() > MAX_MATRIX_KEYS {
        return Ok(None);
    }
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    sheet.write_string_with_format(0, 0, name, &styles.title)?;
    sheet.write_string_with_format(
        1,
        0,
        format!(
            "{} down, {} across; each cell shows the row of {} it points to.",
            humanize(&down_key.name),
            humanize(&across_key.name).to_lowercase(),
            table.name
        ),
        &styles.subtitle,
    )?;
    // Each row's place in the grid (rows are unique by key, so one per cell).
    let mut grid = vec![None; categories.len() * series.len()];
    for i in 0..rows {
        let r = categories.iter().position(|k| same_key(&down[i], k));
        let s = series.iter().position(|k| same_key(&across[i], k));
        if let (Some(r), Some(s)) = (r, s) {
            grid[r * series.len() + s].get_or_insert(i);
        }
    }
    let mut widths = Widths::new(8, 30);
    let bold = Format::new().set_bold();
    let mut top = 3u32;
    for (c, column) in table.columns.iter().enumerate().skip(2) {
        if !column.look.heat {
            continue;
        }
        let Some(values) = data.column(&column.name) else {
            continue;
        };
        let (kind, is_date) = column_display(plan, id, c);
        let format = number_format(kind.as_ref(), is_date);
        let code = format_code(kind.as_ref(), is_date);
        let letters = column_letters(u16::try_from(c).unwrap_or(0));
        sheet.write_string_with_format(top, 0, humanize(&column.name), &styles.section)?;
        let header = top + 1;
        sheet.write_string_with_format(header, 0, humanize(&down_key.name), &styles.header)?;
        for (s, key) in series.iter().enumerate() {
            let col = 1 + u16::try_from(s).unwrap_or(0);
            let label = display_text(key, None);
            sheet.write_string_with_format(header, col, &label, &styles.header)?;
            widths.see(col, &label);
        }
        for (r, key) in categories.iter().enumerate() {
            let row = header + 1 + u32::try_from(r).unwrap_or(0);
            let label = display_text(key, None);
            sheet.write_string_with_format(row, 0, &label, &bold)?;
            widths.see(0, &label);
            for s in 0..series.len() {
                let col = 1 + u16::try_from(s).unwrap_or(0);
                let Some(i) = grid[r * series.len() + s] else {
                    continue; // no row for this pair: the cell stays empty
                };
                let value = values.value(i).unwrap_or_default();
                let reference = format!("{}!${letters}${}", quoted_sheet(table_sheet), i + 2);
                match cached_result(&value) {
                    Some(result) => {
                        sheet.write_formula_with_format(
                            row,
                            col,
                            Formula::new(reference).set_result(result),
                            &format,
                        )?;
                    }
                    None => write_value(&mut sheet, row, col, &value, &format)?,
                }
                widths.see(col, &display_text(&value, code.as_deref()));
            }
        }
        let first = header + 1;
        let last = header + u32::try_from(categories.len()).unwrap_or(1);
        let last_col = u16::try_from(series.len()).unwrap_or(1);
        let scale = ConditionalFormat2ColorScale::new()
            .set_minimum_color(Color::RGB(0xF7FBFF))
            .set_maximum_color(Color::RGB(0x2171B5));
        sheet.add_conditional_format(first, 1, last, last_col, &scale)?;
        top = last + 3;
    }
    widths.apply(&mut sheet)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(Some(sheet))
}

fn column_values(data: &Table, name: &str) -> Option<Vec<Value>> {
    data.column(name).map(|c| c.values().into_owned())
}
