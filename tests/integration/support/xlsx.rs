//! Reading our workbooks back independently of our writer: calamine for cell values and
//! formulas, the zip archive for the parts calamine does not expose (styles, charts).

use std::io::{Cursor, Read};

use calamine::{Data, Range, Reader, Xlsx};

/// The workbook's sheets, opened from bytes.
pub fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .expect("calamine opens the workbook")
}

pub fn values(bytes: &[u8], sheet: &str) -> Range<Data> {
    open(bytes)
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"))
}

pub fn formulas(bytes: &[u8], sheet: &str) -> Range<String> {
    open(bytes)
        .worksheet_formula(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"))
}

/// Names of the parts (files) inside the xlsx zip.
pub fn part_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    archive
        .file_names()
        .map(|name| name.expect("utf-8 part name").into_owned())
        .collect()
}

/// The text of one part, e.g. `xl/styles.xml`.
pub fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("part {name}: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("utf-8 part");
    text
}

/// The value at a zero-based absolute (row, column).
pub fn at(range: &Range<Data>, row: u32, column: u32) -> Data {
    range
        .get_value((row, column))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// Row index (zero-based, absolute) of the first row whose column `column` holds `text`.
pub fn find_row(range: &Range<Data>, column: u32, text: &str) -> Option<u32> {
    let (start, _) = range.start()?;
    let (end, _) = range.end()?;
    (start..=end)
        .find(|r| matches!(range.get_value((*r, column)), Some(Data::String(s)) if s == text))
}
