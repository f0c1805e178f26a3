//! Cell-level writing shared by every sheet: the house styles, values and Excel errors
//! written faithfully, formulas with cached results, and column widths fitted to content.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

use crate::functions::number_format::format_number;
use crate::lang::ast::FormatKind;
use crate::lang::plan::{ColumnOrigin, Plan, TableId, TableKind};
use crate::value::ValueType;
use crate::value::{ErrorKind, Value, format_general};

/// Excel's limit on the characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;

pub const NAVY: u32 = 0x1F3864;
pub const HEADER_FILL: u32 = 0x1F4E79;
pub const TILE_FILL: u32 = 0xF2F6FC;
pub const MUTED: u32 = 0x595959;

/// The formats every sheet uses, made once.
pub struct Styles {
    pub title: Format,
    pub subtitle: Format,
    pub header: Format,
    pub section: Format,
    pub wrap: Format,
}

impl Styles {
    pub fn new() -> Styles {
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(18)
                .set_font_color(Color::RGB(NAVY)),
            subtitle: Format::new().set_italic().set_font_color(Color::RGB(MUTED)),
            header: Format::new()
                .set_bold()
                .set_font_color(Color::White)
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_border_bottom(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter),
            section: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_font_color(Color::RGB(NAVY)),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// The cell format for a column or value with an optional `@format` annotation;
/// dates without one still show as dates.
pub fn number_format(kind: Option<&FormatKind>, is_date: bool) -> Format {
    match kind {
        Some(kind) => Format::new().set_num_format(kind.excel_format()),
        None if is_date => Format::new().set_num_format("yyyy-mm-dd"),
        None => Format::new(),
    }
}

/// The Excel number format string for an annotation (dates default to ISO dates).
pub fn format_code(kind: Option<&FormatKind>, is_date: bool) -> Option<String> {
    match kind {
        Some(kind) => Some(kind.excel_format().to_string()),
        None if is_date => Some("yyyy-mm-dd".to_string()),
        None => None,
    }
}

/// How a table column displays: its `@format`, else (for a group key) the format of the
/// source column it copies; and whether it holds dates.
pub fn column_display(plan: &Plan, table: TableId, column: usize) -> (Option<FormatKind>, bool) {
    let (mut table, mut column) = (table, column);
    // Group keys can copy keys of grouped tables; the chain is short, the bound is a guard.
    for _ in 0..8 {
        let Some(table_plan) = plan.tables.get(table) else {
            break;
        };
        let Some(column_plan) = table_plan.columns.get(column) else {
            break;
        };
        if let Some(format) = &column_plan.format {
            let is_date = column_plan.ty == ValueType::Date || format.kind == FormatKind::Date;
            return (Some(format.kind.clone()), is_date);
        }
        match (&column_plan.origin, &table_plan.kind) {
            (ColumnOrigin::GroupKey(source_column), TableKind::Grouped { source, .. })
                if column_plan.ty != ValueType::Date =>
            {
                (table, column) = (*source, *source_column);
            }
            _ => return (None, column_plan.ty == ValueType::Date),
        }
    }
    (None, false)
}

/// Writes a value as the cell type Excel would hold: numbers, dates (serials with a
/// date format), text, booleans, and error values (as an error formula whose cached
/// result is that error, the only way an .xlsx cell can hold one). Blanks stay empty.
pub fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    value: &Value,
    format: &Format,
) -> Result<(), XlsxError> {
    match value {
        Value::Blank => {}
        Value::Number(n) | Value::Date(n) => {
            if n.is_finite() {
                sheet.write_number_with_format(row, column, *n, format)?;
            } else {
                write_error(sheet, row, column, ErrorKind::Num, format)?;
            }
        }
        Value::Text(text) => {
            sheet.write_string_with_format(row, column, truncate(text), format)?;
        }
        Value::Bool(b) => {
            sheet.write_boolean_with_format(row, column, *b, format)?;
        }
        Value::Error(error) => write_error(sheet, row, column, error.kind, format)?,
    }
    Ok(())
}

/// Writes an Excel error value.
pub fn write_error(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    kind: ErrorKind,
    format: &Format,
) -> Result<(), XlsxError> {
    sheet.write_formula_with_format(
        row,
        column,
        Formula::new(kind.as_str()).set_result(kind.as_str()),
        format,
    )?;
    Ok(())
}

/// Writes `formula` with `value` as its cached result, or the plain value when the
/// cached result cannot be stored faithfully (blank, or text that reads as a number).
pub fn write_formula_or_value(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    formula: Option<&str>,
    value: &Value,
    format: &Format,
) -> Result<bool, XlsxError> {
    if let (Some(formula), Some(result)) = (formula, cached_result(value)) {
        sheet.write_formula_with_format(
            row,
            column,
            Formula::new(formula).set_result(result),
            format,
        )?;
        return Ok(true);
    }
    write_value(sheet, row, column, value, format)?;
    Ok(false)
}

/// The cached-result text for a formula cell. rust_xlsxwriter infers the cell type from
/// the text (number, TRUE/FALSE, an error spelling, else text), so text that would be
/// misread as another type gets no formula.
pub fn cached_result(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) | Value::Date(n) => n.is_finite().then(|| format!("{n:?}")),
        Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Value::Error(error) => Some(error.kind.as_str().to_string()),
        Value::Text(text) => {
            // An empty result would be read back as 0: such a cell is written as a value.
            let misread = text.is_empty()
                || text.parse::<f64>().is_ok()
                || matches!(&**text, "TRUE" | "FALSE" | "#GETTING_DATA")
                || ErrorKind::parse(text).is_some_and(|k| k.as_str() == &**text)
                || text.chars().count() > MAX_CELL_CHARS;
            (!misread).then(|| text.to_string())
        }
        Value::Blank => None,
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The text a value shows with a number format, for width fitting.
pub fn display_text(value: &Value, format: Option<&str>) -> String {
    match value {
        Value::Blank => String::new(),
        Value::Number(n) | Value::Date(n) => format
            .and_then(|f| format_number(*n, f))
            .unwrap_or_else(|| format_general(*n)),
        Value::Text(text) => text.to_string(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Error(error) => error.kind.as_str().to_string(),
    }
}

/// The widest content seen per column, to set column widths once at the end.
pub struct Widths {
    chars: Vec<usize>,
    min: usize,
    max: usize,
}

impl Widths {
    pub fn new(min: usize, max: usize) -> Widths {
        Widths {
            chars: Vec::new(),
            min,
            max,
        }
    }

    pub fn see(&mut self, column: u16, text: &str) {
        let column = usize::from(column);
        if self.chars.len() <= column {
            self.chars.resize(column + 1, 0);
        }
        let longest_line = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        if let Some(width) = self.chars.get_mut(column) {
            *width = (*width).max(longest_line);
        }
    }

    /// Sets every seen column's width: content plus padding, within [min, max].
    pub fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (column, chars) in self.chars.iter().enumerate() {
            let width = (chars + 2).clamp(self.min, self.max);
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            sheet.set_column_width(column, width as f64)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_results_keep_their_type() {
        assert_eq!(cached_result(&Value::Number(0.25)).as_deref(), Some("0.25"));
        assert_eq!(cached_result(&Value::Bool(true)).as_deref(), Some("TRUE"));
        assert_eq!(
            cached_result(&Value::error(ErrorKind::Div0)).as_deref(),
            Some("#DIV/0!")
        );
        assert_eq!(
            cached_result(&Value::text("Direct")).as_deref(),
            Some("Direct")
        );
        // Text that would be stored as a number or boolean gets a plain value instead.
        assert_eq!(cached_result(&Value::text("42")), None);
        assert_eq!(cached_result(&Value::text("TRUE")), None);
        assert_eq!(cached_result(&Value::text("nan")), None);
        assert_eq!(cached_result(&Value::Blank), None);
        assert_eq!(cached_result(&Value::Number(f64::INFINITY)), None);
    }

    #[test]
    fn long_text_is_cut_at_excels_cell_limit() {
        let long = "é".repeat(MAX_CELL_CHARS + 5);
        assert_eq!(truncate(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(truncate("short"), "short");
    }
}
