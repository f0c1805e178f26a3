//! The Chart Data sheet: pivots of a two-key table (segment × channel) that dashboard
//! charts draw as clustered columns, each cell a live SUMIFS over the table's sheet.

use rust_xlsxwriter::{Format, Formula, Worksheet, XlsxError};

use crate::lang::plan::TablePlan;
use crate::report::cells::{
    Styles, Widths, cached_result, display_text, format_code, number_format, write_value,
};
use crate::report::formula::{column_letters, quoted_sheet};
use crate::report::layout::CHART_DATA;
use crate::report::long_text::CellText;
use crate::report::text::humanize;
use crate::table::Table;
use crate::value::ValueType;
use crate::value::{Value, compare_text};

/// Beyond these a clustered chart is unreadable; the chart falls back to one bar per row.
const MAX_CATEGORIES: usize = 40;
const MAX_SERIES: usize = 16;

/// Where one pivot landed (zero-based rows on the Chart Data sheet).
pub struct PivotBlock {
    pub header_row: u32,
    pub first_row: u32,
    pub last_row: u32,
    /// Value columns, B onwards.
    pub series: u16,
}

pub struct ChartData<'s> {
    sheet: Worksheet,
    next_row: u32,
    used: bool,
    styles: &'s Styles,
    widths: Widths,
}

/// Key text SUMIFS would treat as a pattern or comparison; such keys get no pivot.
fn plain_key(value: &Value) -> Option<&str> {
    match value {
        Value::Text(text) if !text.is_empty() && !text.contains(['*', '?', '~', '<', '>', '=']) => {
            Some(text)
        }
        _ => None,
    }
}

/// Distinct keys in first-seen order, compared as Excel compares text (ignoring case).
fn distinct<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for key in keys {
        if !out.iter().any(|k| compare_text(k, key).is_eq()) {
            out.push(key);
        }
    }
    out
}

impl<'s> ChartData<'s> {
    pub fn new(styles: &'s Styles) -> Result<ChartData<'s>, XlsxError> {
        let mut sheet = Worksheet::new();
        sheet.set_name(CHART_DATA)?;
        sheet.write_text_with_format(0, 0, "Chart Data", &styles.title)?;
        sheet.write_text_with_format(
            1,
            0,
            "Pivots the dashboard charts draw; every cell is a live SUMIFS over the table's sheet.",
            &styles.subtitle,
        )?;
        Ok(ChartData {
            sheet,
            next_row: 3,
            used: false,
            styles,
            widths: Widths::new(10, 40),
        })
    }

    /// Pivots `column` of a table with two or more keys: first key down, second key
    /// across (further keys are summed over). `None` when the keys do not suit SUMIFS
    /// or there are too many of them.
    pub fn pivot(
        &mut self,
        table: &TablePlan,
        data: &Table,
        sheet_name: &str,
        column: u16,
        rows: usize,
    ) -> Result<Option<PivotBlock>, XlsxError> {
        let (Some(key1), Some(key2), Some(measure)) = (
            table.columns.first(),
            table.columns.get(1),
            table.columns.get(usize::from(column)),
        ) else {
            return Ok(None);
        };
        let (Some(k1), Some(k2), Some(values)) = (
            data.column(&key1.name).map(|c| c.values()),
            data.column(&key2.name).map(|c| c.values()),
            data.column(&measure.name),
        ) else {
            return Ok(None);
        };
        if rows == 0 || rows > data.row_count {
            return Ok(None);
        }
        let mut first_keys = Vec::with_capacity(rows);
        let mut second_keys = Vec::with_capacity(rows);
        for row in 0..rows {
            match (
                k1.get(row).and_then(plain_key),
                k2.get(row).and_then(plain_key),
            ) {
                (Some(a), Some(b)) => {
                    first_keys.push(a);
                    second_keys.push(b);
                }
                _ => return Ok(None),
            }
        }
        let categories = distinct(&first_keys);
        let series = distinct(&second_keys);
        if categories.len() > MAX_CATEGORIES || series.len() > MAX_SERIES {
            return Ok(None);
        }

        let kind = measure.format.as_ref().map(|f| &f.kind);
        let is_date = measure.ty == ValueType::Date;
        let format = number_format(kind, is_date);
        let code = format_code(kind, is_date);
        let title = format!(
            "{}: {} by {} and {}",
            table.name,
            humanize(&measure.name),
            humanize(&key1.name).to_lowercase(),
            humanize(&key2.name).to_lowercase()
        );
        let (header_row, first_row) = self.start_block(&title, &humanize(&key1.name), &series)?;
        let last_data = u32::try_from(rows).unwrap_or(0) + 1;
        let range = |c: u16| {
            let letters = column_letters(c);
            format!(
                "{}!${letters}$2:${letters}${last_data}",
                quoted_sheet(sheet_name)
            )
        };
        let (sum_range, range1, range2) = (range(column), range(0), range(1));
        let bold = Format::new().set_bold();
        for (r, category) in categories.iter().enumerate() {
            let row = first_row + u32::try_from(r).unwrap_or(0);
            self.sheet.write_text_with_format(row, 0, category, &bold)?;
            self.widths.see(0, category);
            for (s, name) in series.iter().enumerate() {
                let column = 1 + u16::try_from(s).unwrap_or(0);
                // SUMIFS's answer, computed here: numbers (and dates) of the matching
                // rows summed, text and booleans skipped, the first error propagated.
                let mut total = 0.0;
                let mut error = None;
                for row_index in 0..rows {
                    let matches = first_keys
                        .get(row_index)
                        .is_some_and(|k| compare_text(k, category).is_eq())
                        && second_keys
                            .get(row_index)
                            .is_some_and(|k| compare_text(k, name).is_eq());
                    if !matches {
                        continue;
                    }
                    match values.value(row_index).as_ref() {
                        Some(Value::Number(n) | Value::Date(n)) => total += n,
                        Some(v @ Value::Error(_)) if error.is_none() => error = Some(v.clone()),
                        _ => {}
                    }
                }
                let value = error.unwrap_or(Value::Number(total));
                let formula = format!(
                    "SUMIFS({sum_range},{range1},$A{},{range2},{}${})",
                    row + 1,
                    column_letters(column),
                    header_row + 1
                );
                if let Some(result) = cached_result(&value) {
                    self.sheet.write_formula_with_format(
                        row,
                        column,
                        Formula::new(formula).set_result(result),
                        &format,
                    )?;
                }
                self.widths
                    .see(column, &display_text(&value, code.as_deref()));
            }
        }
        Ok(Some(self.end_block(
            header_row,
            categories.len(),
            series.len(),
        )))
    }

    /// Transposes `columns` of a table (funnel stages): one row per column, one value
    /// column per table row (named by its keys), each cell a live reference to the
    /// table's cell. `None` for more rows than a chart can tell apart.
    pub fn transpose(
        &mut self,
        table: &TablePlan,
        data: &Table,
        sheet_name: &str,
        columns: &[u16],
        rows: usize,
    ) -> Result<Option<PivotBlock>, XlsxError> {
        if rows == 0 || rows > MAX_SERIES || columns.is_empty() {
            return Ok(None);
        }
        let keys = table.key_count().max(1);
        let title = format!(
            "{}: stages by {}",
            table.name,
            humanize(
                &table
                    .columns
                    .first()
                    .map_or_else(String::new, |c| c.name.to_string())
            )
            .to_lowercase()
        );
        // One value column per table row, named by its keys.
        let names: Vec<String> = (0..rows)
            .map(|row| {
                let keys: Vec<String> = table
                    .columns
                    .iter()
                    .take(keys)
                    .filter_map(|c| data.column(&c.name))
                    .map(|c| display_text(&c.value(row).unwrap_or_default(), None))
                    .collect();
                keys.join(" / ")
            })
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (header_row, first_row) = self.start_block(&title, "Stage", &names)?;
        let bold = Format::new().set_bold();
        for (i, source_column) in columns.iter().enumerate() {
            let row = first_row + u32::try_from(i).unwrap_or(0);
            let Some(column_plan) = table.columns.get(usize::from(*source_column)) else {
                continue;
            };
            let label = humanize(&column_plan.name);
            self.sheet.write_text_with_format(row, 0, &label, &bold)?;
            self.widths.see(0, &label);
            let kind = column_plan.format.as_ref().map(|f| &f.kind);
            let format = number_format(kind, column_plan.ty == ValueType::Date);
            let Some(values) = data.column(&column_plan.name) else {
                continue;
            };
            for (r, value) in values.values().iter().take(rows).enumerate() {
                let column = 1 + u16::try_from(r).unwrap_or(0);
                let reference = format!(
                    "{}!${}${}",
                    quoted_sheet(sheet_name),
                    column_letters(*source_column),
                    r + 2
                );
                match cached_result(value) {
                    Some(result) => {
                        self.sheet.write_formula_with_format(
                            row,
                            column,
                            Formula::new(reference).set_result(result),
                            &format,
                        )?;
                    }
                    None => write_value(&mut self.sheet, row, column, value, &format)?,
                }
            }
        }
        Ok(Some(self.end_block(header_row, columns.len(), rows)))
    }

    /// Starts a block at the next free row: its title, then a header row with `corner`
    /// in column A and `headers` from column B. Returns the header row and the first
    /// data row.
    fn start_block(
        &mut self,
        title: &str,
        corner: &str,
        headers: &[&str],
    ) -> Result<(u32, u32), XlsxError> {
        let styles = self.styles;
        let title_row = self.next_row;
        let header_row = title_row + 1;
        self.sheet
            .write_text_with_format(title_row, 0, title, &styles.section)?;
        self.sheet
            .write_text_with_format(header_row, 0, corner, &styles.header)?;
        for (i, name) in headers.iter().enumerate() {
            let column = 1 + u16::try_from(i).unwrap_or(0);
            self.sheet
                .write_text_with_format(header_row, column, name, &styles.header)?;
            self.widths.see(column, name);
        }
        Ok((header_row, header_row + 1))
    }

    /// Ends the block started at `header_row`, with `rows` data rows (at least one) and
    /// `series` value columns; the next block starts two rows below it.
    fn end_block(&mut self, header_row: u32, rows: usize, series: usize) -> PivotBlock {
        let first_row = header_row + 1;
        let last_row = first_row + u32::try_from(rows).unwrap_or(1) - 1;
        self.next_row = last_row + 3;
        self.used = true;
        PivotBlock {
            header_row,
            first_row,
            last_row,
            series: u16::try_from(series).unwrap_or(0),
        }
    }

    /// The sheet, if any chart used it.
    pub fn finish(mut self) -> Result<Option<Worksheet>, XlsxError> {
        if !self.used {
            return Ok(None);
        }
        self.widths.apply(&mut self.sheet)?;
        Ok(Some(self.sheet))
    }
}
