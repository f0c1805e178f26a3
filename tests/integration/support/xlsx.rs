//! Reading workbooks back independently of our writer and reader: calamine for cell
//! values and formulas, the zip archive for the parts calamine does not expose (styles,
//! charts).

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{CellErrorType, Data, Range, Reader, Xlsx};
use chanmix::value::{ErrorKind, Value};

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

/// The first row of a sheet as text: its headers.
pub fn headers(range: &Range<Data>) -> Vec<String> {
    range
        .rows()
        .next()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default()
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

/// A number cell's value (a whole number read as `Int` too).
pub fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, got {other:?}"),
    }
}

/// A number cell's value, or a date cell's serial.
pub fn number_or_date(cell: &Data) -> f64 {
    match cell {
        Data::DateTime(d) => d.as_f64(),
        other => number(other),
    }
}

/// Every row of a sheet of the workbook at `path`, header included, as calamine reads it.
pub fn rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut book =
        calamine::open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The value an untyped (`any`) column must hold for a cell, converted from calamine's
/// raw cell by this deliberately simple second reader: no coercion, an empty text is a
/// blank, an error cell is an error of its kind.
pub fn raw_value(cell: &Data) -> Value {
    match cell {
        Data::Empty => Value::Blank,
        Data::String(s) if s.is_empty() => Value::Blank,
        Data::String(s) => Value::text(s),
        Data::Float(f) => Value::Number(*f),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => Value::Date(dt.as_f64()),
        Data::Error(e) => Value::error(match e {
            CellErrorType::Div0 => ErrorKind::Div0,
            CellErrorType::NA => ErrorKind::NA,
            CellErrorType::Name => ErrorKind::Name,
            CellErrorType::Null => ErrorKind::Null,
            CellErrorType::Num => ErrorKind::Num,
            CellErrorType::Ref => ErrorKind::Ref,
            CellErrorType::Value => ErrorKind::Value,
            CellErrorType::GettingData => panic!("a #GETTING_DATA cell"),
        }),
        other => panic!("unexpected cell {other:?}"),
    }
}

/// Every cell note of a workbook as (sheet, cell, text), read from the package's
/// comment parts (a note is stored as a legacy comment).
pub fn notes(bytes: &[u8]) -> Vec<(String, String, String)> {
    let names = part_names(bytes);
    let workbook = part(bytes, "xl/workbook.xml");
    let sheets: Vec<String> = workbook
        .split("<sheet ")
        .skip(1)
        .filter_map(|s| attribute(s, "name"))
        .collect();
    let mut out = Vec::new();
    for (i, sheet) in sheets.iter().enumerate() {
        let rels = format!("xl/worksheets/_rels/sheet{}.xml.rels", i + 1);
        if !names.contains(&rels) {
            continue;
        }
        let rels = part(bytes, &rels);
        let Some(target) = rels
            .split("<Relationship ")
            .filter_map(|r| attribute(r, "Target"))
            .find(|t| t.contains("comments"))
        else {
            continue;
        };
        let comments = part(bytes, &format!("xl/{}", target.trim_start_matches("../")));
        for comment in comments.split("<comment ").skip(1) {
            let cell = attribute(comment, "ref").unwrap_or_default();
            let text: String = comment
                .split("<t")
                .skip(1)
                .filter_map(|t| {
                    let start = t.find('>')? + 1;
                    let end = t.find("</t>")?;
                    t.get(start..end)
                })
                .collect();
            out.push((sheet.clone(), cell, unescape(&text)));
        }
    }
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag.get(start..)?.find('"')?;
    tag.get(start..end).map(unescape)
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
