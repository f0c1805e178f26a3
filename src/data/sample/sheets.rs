//! Streaming sheet output for the sample workbook: constant-memory worksheets written
//! row by row, split into `Name`, `Name_2`, … at a row limit, with shared cell formats.

use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet};

use super::{ModelError, SampleError};

/// A sheet's columns: header text and display width.
pub type Columns = &'static [(&'static str, f64)];

/// The cell formats every sample sheet shares.
pub struct Formats {
    header: Format,
    date: Format,
    whole: Format,
    cents: Format,
    decimal: Format,
}

impl Formats {
    pub fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(0xDDEBF7)
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            whole: Format::new().set_num_format("#,##0"),
            cents: Format::new().set_num_format("#,##0.00"),
            decimal: Format::new().set_num_format("0.00"),
        }
    }
}

/// One logical table written over as many worksheets as the row limit requires.
pub struct SplitSheet {
    base: &'static str,
    columns: Columns,
    max_rows: usize,
    finished: Vec<(Worksheet, String, usize)>,
    current: Worksheet,
    current_name: String,
    rows_in_current: usize,
}

impl SplitSheet {
    /// Starts the first worksheet (`base`) with its header row; `max_rows` is the number of
    /// data rows per worksheet (at least 1).
    pub fn new(
        workbook: &mut Workbook,
        formats: &Formats,
        base: &'static str,
        columns: Columns,
        max_rows: usize,
    ) -> Result<Self, SampleError> {
        let current_name = base.to_string();
        let current = start_worksheet(workbook, formats, &current_name, columns)?;
        Ok(SplitSheet {
            base,
            columns,
            max_rows: max_rows.max(1),
            finished: Vec::new(),
            current,
            current_name,
            rows_in_current: 0,
        })
    }

    /// A writer for the next data row, moving on to a new worksheet at the limit.
    pub fn next_row<'a>(
        &'a mut self,
        workbook: &mut Workbook,
        formats: &'a Formats,
    ) -> Result<RowWriter<'a>, SampleError> {
        if self.rows_in_current >= self.max_rows {
            let name = format!("{}_{}", self.base, self.finished.len() + 2);
            let next = start_worksheet(workbook, formats, &name, self.columns)?;
            let done = std::mem::replace(&mut self.current, next);
            let done_name = std::mem::replace(&mut self.current_name, name);
            self.finished.push((done, done_name, self.rows_in_current));
            self.rows_in_current = 0;
        }
        self.rows_in_current += 1;
        // The header is row 0, so data row n sits at worksheet row n.
        let row = u32::try_from(self.rows_in_current).map_err(|_| ModelError::RowPastLimit {
            row: self.rows_in_current,
            sheet: self.base,
        })?;
        Ok(RowWriter {
            sheet: &mut self.current,
            row,
            formats,
        })
    }

    /// Adds every worksheet (with an autofilter over its data) to the workbook, in order,
    /// and returns each worksheet's name and data-row count.
    pub fn finish(self, workbook: &mut Workbook) -> Result<Vec<(String, usize)>, SampleError> {
        let mut parts = self.finished;
        parts.push((self.current, self.current_name, self.rows_in_current));
        let last_col = u16::try_from(self.columns.len().saturating_sub(1)).unwrap_or(0);
        let mut counts = Vec::with_capacity(parts.len());
        for (mut sheet, name, rows) in parts {
            let last_row = u32::try_from(rows).unwrap_or(u32::MAX);
            sheet.autofilter(0, 0, last_row, last_col)?;
            workbook.push_worksheet(sheet);
            counts.push((name, rows));
        }
        Ok(counts)
    }
}

/// A constant-memory worksheet with its header, column widths and frozen header row.
fn start_worksheet(
    workbook: &mut Workbook,
    formats: &Formats,
    name: &str,
    columns: Columns,
) -> Result<Worksheet, SampleError> {
    let mut sheet = workbook.new_worksheet_with_constant_memory()?;
    sheet.set_name(name)?;
    // Widths and panes belong before the first row: constant-memory sheets stream rows.
    for (col, (_, width)) in (0u16..).zip(columns.iter()) {
        sheet.set_column_width(col, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, (header, _)) in (0u16..).zip(columns.iter()) {
        sheet.write_string_with_format(0, col, *header, &formats.header)?;
    }
    Ok(sheet)
}

/// Writes the cells of one data row; columns not written stay blank.
pub struct RowWriter<'a> {
    sheet: &'a mut Worksheet,
    row: u32,
    formats: &'a Formats,
}

impl RowWriter<'_> {
    pub fn text(&mut self, col: u16, value: &str) -> Result<(), SampleError> {
        self.sheet.write_string(self.row, col, value)?;
        Ok(())
    }

    /// A whole number shown with thousands separators.
    pub fn whole(&mut self, col: u16, value: f64) -> Result<(), SampleError> {
        self.sheet
            .write_number_with_format(self.row, col, value, &self.formats.whole)?;
        Ok(())
    }

    /// A money amount shown with cents.
    pub fn cents(&mut self, col: u16, value: f64) -> Result<(), SampleError> {
        self.sheet
            .write_number_with_format(self.row, col, value, &self.formats.cents)?;
        Ok(())
    }

    pub fn decimal(&mut self, col: u16, value: f64) -> Result<(), SampleError> {
        self.sheet
            .write_number_with_format(self.row, col, value, &self.formats.decimal)?;
        Ok(())
    }

    /// An Excel date serial shown as a date.
    pub fn date(&mut self, col: u16, serial: f64) -> Result<(), SampleError> {
        self.sheet
            .write_number_with_format(self.row, col, serial, &self.formats.date)?;
        Ok(())
    }

    pub fn boolean(&mut self, col: u16, value: bool) -> Result<(), SampleError> {
        self.sheet.write_boolean(self.row, col, value)?;
        Ok(())
    }
}
