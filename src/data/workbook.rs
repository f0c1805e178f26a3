//! File formats: opens .xlsx/.xlsm with our streaming reader ([`XlsxPackage`], calamine
//! as a fallback), .ods with our own ([`OdsBook`]) and .xlsb/.xls with calamine, and
//! streams each sheet's cells in row order into a [`SheetBuilder`] (.csv files are read
//! in parallel chunks by `data::csv_read`; this module sniffs their delimiter). Every zip package is checked for parts that inflate like a zip
//! bomb before any part is read (`data::budget`).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use calamine::{CellErrorType, Data, DataRef, Reader, SheetVisible, Xls, Xlsb, Xlsx};

pub(crate) use crate::data::address::SheetListing;
use crate::data::budget::ReadBudget;
use crate::data::builder::SheetBuilder;
use crate::data::coerce::{CoerceContext, DAYS_1904_TO_1900, RawCell};
use crate::data::error::DataError;
use crate::data::ods::{OdsBook, OdsOpenError};
use crate::data::ole::check_sector_chains;
use crate::data::reader_panic::catch_reader_panic;
use crate::data::xlsx::XlsxPackage;
use crate::value::ErrorKind;

/// How a file is read, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Csv,
}

impl FileKind {
    /// The kind for a path's extension; `None` for anything we do not read.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" | "xltx" | "xltm" | "xlam" => Some(FileKind::Xlsx),
            "xlsb" => Some(FileKind::Xlsb),
            "xls" | "xla" => Some(FileKind::Xls),
            "ods" => Some(FileKind::Ods),
            "csv" | "tsv" | "txt" => Some(FileKind::Csv),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            FileKind::Xlsx => "Excel (.xlsx)",
            FileKind::Xlsb => "Excel binary (.xlsb)",
            FileKind::Xls => "Excel 97-2003 (.xls)",
            FileKind::Ods => "OpenDocument (.ods)",
            FileKind::Csv => "CSV",
        }
    }
}

type FileReader = BufReader<File>;

/// An open workbook of any supported spreadsheet format.
pub(crate) enum Book {
    /// Read by our own streaming reader; shared between the threads reading its sheets.
    FastXlsx(Arc<XlsxPackage>),
    Xlsx(Box<Xlsx<FileReader>>),
    Xlsb(Box<Xlsb<FileReader>>),
    Xls(Box<Xls<FileReader>>),
    Ods(Arc<OdsBook>),
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

fn file_start(path: &Path) -> Result<Vec<u8>, DataError> {
    let mut start = Vec::with_capacity(16);
    crate::files::open_regular(path)
        .and_then(|f| f.take(16).read_to_end(&mut start))
        .map_err(|source| DataError::FileUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(start)
}

/// A few words on what a non-workbook file looks like, for the error message.
fn describe_start(start: &[u8]) -> String {
    if start.is_empty() {
        return "the file is empty".to_string();
    }
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    if text.trim_start().starts_with('<') {
        "it starts like an HTML or XML page".to_string()
    } else if start
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "it looks like plain text; if it is CSV, give it a .csv extension".to_string()
    } else {
        "unrecognised content".to_string()
    }
}

/// Why calamine could not open a workbook.
enum Unopened {
    Password,
    Damaged(String),
    Csv,
}

/// What a damaged file's error says when the reader library panicked on it.
pub(crate) const READER_STOPPED: &str = "the reader stopped on malformed content";

/// Opens a workbook with calamine's reader for `kind`.
fn calamine_book(kind: FileKind, reader: FileReader) -> Result<Book, Unopened> {
    let damaged = |e: &dyn std::fmt::Display| Unopened::Damaged(e.to_string());
    Ok(match kind {
        FileKind::Xlsx => match Xlsx::new(reader) {
            Ok(b) => Book::Xlsx(Box::new(b)),
            Err(calamine::XlsxError::Password) => return Err(Unopened::Password),
            Err(e) => return Err(damaged(&e)),
        },
        FileKind::Xlsb => match Xlsb::new(reader) {
            Ok(b) => Book::Xlsb(Box::new(b)),
            Err(calamine::XlsbError::Password) => return Err(Unopened::Password),
            Err(e) => return Err(damaged(&e)),
        },
        FileKind::Xls => match Xls::new(reader) {
            Ok(b) => Book::Xls(Box::new(b)),
            Err(calamine::XlsError::Password) => return Err(Unopened::Password),
            Err(e) => return Err(damaged(&e)),
        },
        FileKind::Ods | FileKind::Csv => return Err(Unopened::Csv),
    })
}

impl Book {
    /// Opens a workbook, telling a damaged, encrypted or mislabelled file apart. What it
    /// reads to open it counts as content scanned for `budget`.
    pub fn open(path: &Path, kind: FileKind, budget: &Arc<ReadBudget>) -> Result<Book, DataError> {
        let start = file_start(path)?;
        let is_zip = start.starts_with(ZIP_MAGIC);
        let is_cfb = start.starts_with(CFB_MAGIC);
        // Exports named .xls are often really .xlsx (and the other way round): trust the bytes.
        let kind = match kind {
            FileKind::Xls if is_zip => FileKind::Xlsx,
            FileKind::Xlsx | FileKind::Xlsb if is_cfb => kind,
            other => other,
        };
        let not_a_workbook = |detail: String| DataError::NotAWorkbook {
            path: path.to_path_buf(),
            kind: kind.label().to_string(),
            detail,
        };
        match kind {
            FileKind::Xlsx | FileKind::Xlsb | FileKind::Ods if !is_zip && !is_cfb => {
                return Err(not_a_workbook(describe_start(&start)));
            }
            FileKind::Xls if !is_cfb => return Err(not_a_workbook(describe_start(&start))),
            _ => {}
        }
        // calamine would follow a looping chain of sectors until memory runs out.
        if is_cfb && let Err(detail) = check_sector_chains(path) {
            return Err(DataError::CorruptWorkbook {
                path: path.to_path_buf(),
                detail: detail.to_string(),
            });
        }
        if is_zip {
            check_zip_parts(path, budget)?;
        }
        if kind == FileKind::Ods && is_zip {
            return match OdsBook::open(path, budget) {
                Ok(book) => Ok(Book::Ods(Arc::new(book))),
                Err(OdsOpenError::Password) => Err(DataError::PasswordProtected {
                    path: path.to_path_buf(),
                }),
                Err(OdsOpenError::Damaged(detail)) => Err(DataError::CorruptWorkbook {
                    path: path.to_path_buf(),
                    detail,
                }),
            };
        }
        let reader = BufReader::new(crate::files::open_regular(path).map_err(|source| {
            DataError::FileUnreadable {
                path: path.to_path_buf(),
                source,
            }
        })?);
        if kind == FileKind::Xlsx
            && is_zip
            && let Ok(package) = XlsxPackage::open(path)
        {
            return Ok(Book::FastXlsx(package));
        }
        Book::open_with_calamine(path, kind, reader, is_cfb)
    }

    /// Opens a workbook with calamine (every format but CSV; our xlsx reader's fallback).
    fn open_with_calamine(
        path: &Path,
        kind: FileKind,
        reader: FileReader,
        is_cfb: bool,
    ) -> Result<Book, DataError> {
        let not_a_workbook = |detail: String| DataError::NotAWorkbook {
            path: path.to_path_buf(),
            kind: kind.label().to_string(),
            detail,
        };
        let damaged = |detail: String| {
            if is_cfb && kind != FileKind::Xls {
                // An OLE container that is not encrypted is a legacy .xls with a new name.
                not_a_workbook("it is an Excel 97-2003 file; give it a .xls extension".to_string())
            } else {
                DataError::CorruptWorkbook {
                    path: path.to_path_buf(),
                    detail,
                }
            }
        };
        let password = || DataError::PasswordProtected {
            path: path.to_path_buf(),
        };
        // calamine panics on some malformed files (an index past a short record, an
        // assertion on a sector size): a panic while opening means a damaged file.
        let book = match catch_reader_panic(|| calamine_book(kind, reader)) {
            Some(Ok(book)) => book,
            Some(Err(Unopened::Password)) => return Err(password()),
            Some(Err(Unopened::Damaged(detail))) => return Err(damaged(detail)),
            Some(Err(Unopened::Csv)) => {
                return Err(not_a_workbook("CSV files are read directly".to_string()));
            }
            None => return Err(damaged(READER_STOPPED.to_string())),
        };
        Ok(book)
    }

    /// Another handle on the same opened workbook, when it can be shared between threads
    /// (so each sheet read does not open and parse the package again).
    pub fn share(&self) -> Option<Book> {
        match self {
            Book::FastXlsx(package) => Some(Book::FastXlsx(Arc::clone(package))),
            Book::Ods(book) => Some(Book::Ods(Arc::clone(book))),
            _ => None,
        }
    }

    /// Sheet names in workbook order.
    #[cfg(test)]
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets().into_iter().map(|s| s.name).collect()
    }

    /// Sheets in workbook order, with whether each is hidden.
    pub fn sheets(&self) -> Vec<SheetListing> {
        let from_calamine = |sheets: &[calamine::Sheet]| {
            sheets
                .iter()
                .map(|s| SheetListing {
                    name: s.name.clone(),
                    hidden: s.visible != SheetVisible::Visible,
                })
                .collect()
        };
        match self {
            Book::FastXlsx(b) => b.sheets(),
            Book::Xlsx(b) => from_calamine(b.sheets_metadata()),
            Book::Xlsb(b) => from_calamine(b.sheets_metadata()),
            Book::Xls(b) => from_calamine(b.sheets_metadata()),
            Book::Ods(b) => b
                .sheets()
                .iter()
                .map(|s| SheetListing {
                    name: s.name.clone(),
                    hidden: s.hidden,
                })
                .collect(),
        }
    }

    fn is_1904(&self) -> bool {
        match self {
            Book::FastXlsx(b) => b.is_1904(),
            Book::Xlsx(b) => b.has_1904_epoch(),
            Book::Xlsb(b) => b.has_1904_epoch(),
            Book::Xls(b) => b.has_1904_epoch(),
            Book::Ods(_) => false,
        }
    }

    /// What a sheet of this workbook needs to coerce its cells.
    pub fn context(&self) -> CoerceContext {
        CoerceContext {
            date_offset: if self.is_1904() {
                DAYS_1904_TO_1900
            } else {
                0.0
            },
            text_only_source: false,
            decimal_comma: false,
            errors_as_text: matches!(self, Book::Ods(_)),
        }
    }

    /// Streams every cell of `sheet` into `builder` (xlsx and xlsb without building the
    /// sheet's grid; xls and ods through calamine's range, which they require).
    pub fn stream_sheet(
        &mut self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
    ) -> Result<(), DataError> {
        let offset = self.context().date_offset;
        let corrupt = |detail: String| DataError::corrupt_sheet(path, sheet, detail);
        let mut last_row = 0u32;
        let mut tick = |row: u32, builder: &SheetBuilder<'_>| {
            if row != last_row && row.is_multiple_of(16_384) {
                last_row = row;
                progress(builder.rows_kept());
            }
        };
        match self {
            Book::FastXlsx(package) => package.stream_sheet(path, sheet, builder, progress)?,
            Book::Xlsx(book) => {
                let mut cells = guarded(move || book.worksheet_cells_reader(sheet), &corrupt)?;
                builder.expect_rows(cells.dimensions().end.0);
                let next_cell = || guarded(|| cells.next_cell(), &corrupt);
                stream_cells(next_cell, offset, builder, &mut tick)?;
            }
            Book::Xlsb(book) => {
                let mut cells = guarded(move || book.worksheet_cells_reader(sheet), &corrupt)?;
                let next_cell = || guarded(|| cells.next_cell(), &corrupt);
                stream_cells(next_cell, offset, builder, &mut tick)?;
            }
            Book::Xls(book) => {
                let range = guarded(|| book.worksheet_range(sheet), &corrupt)?;
                stream_range(&range, offset, builder)?;
            }
            Book::Ods(book) => book.stream_sheet(path, sheet, builder, progress)?,
        }
        Ok(())
    }
}

/// Refuses a zip package with a part that inflates like a zip bomb (see
/// [`ReadBudget::check_ratio`]), before any part of it is read. A file that is not a
/// readable zip is left to the readers, which word that.
fn check_zip_parts(path: &Path, budget: &ReadBudget) -> Result<(), DataError> {
    let Ok(file) = File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return Ok(());
    };
    for index in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(index) else {
            continue;
        };
        if let Err(detail) = budget.check_ratio(part.size(), part.compressed_size()) {
            return Err(DataError::ReadLimit {
                path: path.to_path_buf(),
                part: format!("part {}", part.name().unwrap_or_default()),
                detail,
            });
        }
    }
    Ok(())
}

/// One call into calamine, which panics on some malformed sheets: a panic or an error
/// is a damaged sheet.
fn guarded<T, E: std::fmt::Display>(
    read: impl FnOnce() -> Result<T, E>,
    corrupt: &dyn Fn(String) -> DataError,
) -> Result<T, DataError> {
    catch_reader_panic(read)
        .ok_or_else(|| corrupt(READER_STOPPED.to_string()))?
        .map_err(|e| corrupt(e.to_string()))
}

/// Streams the cells of one of calamine's cell readers (xlsx, xlsb) into `builder`.
fn stream_cells<'a>(
    mut next_cell: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, DataError>,
    offset: f64,
    builder: &mut SheetBuilder<'_>,
    tick: &mut impl FnMut(u32, &SheetBuilder<'_>),
) -> Result<(), DataError> {
    while let Some(cell) = next_cell()? {
        let (row, col) = cell.get_position();
        builder.cell(row, col, raw_from_ref(cell.get_value(), offset))?;
        tick(row, builder);
    }
    Ok(())
}

fn stream_range(
    range: &calamine::Range<Data>,
    offset: f64,
    builder: &mut SheetBuilder<'_>,
) -> Result<(), DataError> {
    let Some((first_row, first_col)) = range.start() else {
        return Ok(());
    };
    for (i, cells) in range.rows().enumerate() {
        let row = first_row.saturating_add(i as u32);
        for (j, value) in cells.iter().enumerate() {
            if matches!(value, Data::Empty) {
                continue;
            }
            builder.cell(
                row,
                first_col.saturating_add(j as u32),
                raw_from_data(value, offset),
            )?;
        }
    }
    Ok(())
}

fn error_kind(e: &CellErrorType) -> ErrorKind {
    match e {
        CellErrorType::Div0 => ErrorKind::Div0,
        CellErrorType::NA | CellErrorType::GettingData => ErrorKind::NA,
        CellErrorType::Name => ErrorKind::Name,
        CellErrorType::Null => ErrorKind::Null,
        CellErrorType::Num => ErrorKind::Num,
        CellErrorType::Ref => ErrorKind::Ref,
        CellErrorType::Value => ErrorKind::Value,
    }
}

fn date_cell(dt: &calamine::ExcelDateTime, offset: f64) -> RawCell<'static> {
    if dt.is_duration() {
        RawCell::Duration(dt.as_f64())
    } else {
        RawCell::Date(dt.as_f64() + offset)
    }
}

/// Borrowing conversion of calamine's streamed cells.
fn raw_from_ref<'a>(value: &'a DataRef<'_>, offset: f64) -> RawCell<'a> {
    match value {
        DataRef::Int(i) => RawCell::Number(*i as f64),
        DataRef::Float(f) => RawCell::Number(*f),
        DataRef::String(s) | DataRef::DurationIso(s) => RawCell::Text(s),
        DataRef::SharedString(s) => RawCell::SharedText(s),
        DataRef::Bool(b) => RawCell::Bool(*b),
        DataRef::DateTime(dt) => date_cell(dt, offset),
        DataRef::DateTimeIso(s) => RawCell::DateText(s),
        DataRef::Error(e) => RawCell::Error(error_kind(e)),
        DataRef::Empty => RawCell::Empty,
    }
}

fn raw_from_data(value: &Data, offset: f64) -> RawCell<'_> {
    match value {
        Data::Int(i) => RawCell::Number(*i as f64),
        Data::Float(f) => RawCell::Number(*f),
        Data::String(s) | Data::DurationIso(s) => RawCell::Text(s),
        Data::Bool(b) => RawCell::Bool(*b),
        Data::DateTime(dt) => date_cell(dt, offset),
        Data::DateTimeIso(s) => RawCell::DateText(s),
        Data::Error(e) => RawCell::Error(error_kind(e)),
        Data::Empty => RawCell::Empty,
    }
}

/// The delimiter of a CSV file: `,` unless the header line has more `;` or tabs
/// (European exports use `;`).
fn sniff_delimiter(first_line: &[u8]) -> u8 {
    let count = |d: u8| first_line.iter().filter(|b| **b == d).count();
    let (comma, semicolon, tab) = (count(b','), count(b';'), count(b'\t'));
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma {
        b';'
    } else {
        b','
    }
}

/// The delimiter of a CSV file (see [`sniff_delimiter`]).
pub(crate) fn csv_delimiter(path: &Path) -> Result<u8, DataError> {
    let mut head = Vec::new();
    crate::files::open_regular(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|source| DataError::FileUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    let first_line_end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    Ok(sniff_delimiter(head.get(..first_line_end).unwrap_or(&head)))
}

/// The "sheet" name of a CSV file in cell addresses: its file stem, as Excel shows it.
pub(crate) fn csv_sheet_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".to_string())
}

/// A path as given, or joined to the scenario's directory when relative.
pub(crate) fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

#[cfg(test)]
mod tests {
    //! Our xlsx reader against hand-computed values on a workbook written here, and
    //! against calamine (an independent reader) on workbooks from four different writers.

    use std::collections::BTreeMap;
    use std::io::Write;

    use super::*;
    use crate::data::builder::{ReadPlan, SheetPart};
    use crate::data::spec::BadCellPolicy;
    use crate::value::Value;

    fn every_column() -> ReadPlan {
        ReadPlan {
            name: "T".to_string(),
            columns: Vec::new(),
            all_headers: true,
            key: None,
            rename: BTreeMap::new(),
            policy: BadCellPolicy::Report,
            header_row: 0,
        }
    }

    fn read(book: &mut Book, path: &Path, sheet: &str) -> SheetPart {
        let plan = every_column();
        let mut builder =
            SheetBuilder::new(&plan, path.to_path_buf(), sheet.to_string(), book.context());
        book.stream_sheet(path, sheet, &mut builder, &|_| {})
            .unwrap_or_else(|e| panic!("{sheet}: {e}"));
        builder.finish().unwrap()
    }

    fn calamine_book(path: &Path) -> Book {
        let reader = BufReader::new(File::open(path).unwrap());
        Book::Xlsx(Box::new(Xlsx::new(reader).unwrap()))
    }

    fn fast_book(path: &Path) -> Book {
        let book = Book::open(path, FileKind::Xlsx, &Arc::default()).unwrap();
        assert!(matches!(book, Book::FastXlsx(_)), "{}", path.display());
        book
    }

    const WORKBOOK_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

    const STYLES: &str = r##"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="#,##0.00"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs></styleSheet>"##;

    const SHARED: &str = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="10" uniqueCount="10"><si><t>name</t></si><si><t>when</t></si><si><t>amount</t></si><si><t>flag</t></si><si><t>note</t></si><si><r><rPr><b/></rPr><t xml:space="preserve">Big </t></r><r><t xml:space="preserve">deal</t></r></si><si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si><si><t>R&amp;D</t></si><si><t>line1_x000D__x000A_line2</t></si><si><t>kind</t></si></sst>"#;

    /// Rows 2, 3, 5 and 7 hold data; row 3 and its cells have no `r`; row 4 is missing and
    /// row 6 has only a styled empty cell and an empty value.
    const SHEET_BODY: &str = r#"<dimension ref="A1:F7"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>9</v></c></row><row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2" s="1"><v>45292</v></c><c r="C2"><v>1234.5</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" t="inlineStr"><is><t>  padded  </t></is></c><c r="F2" t="str"><f>A2&amp;"x"</f><v>Big dealx</v></c></row><row><c t="s"><v>6</v></c><c s="2"><v>45293</v></c><c s="3"><v>-0.25</v></c><c t="b"><v>0</v></c><c t="s"><v>7</v></c><c t="e"><f>1/0</f><v>#DIV/0!</v></c></row><row r="5"><c r="A5" t="s"><v>8</v></c><c r="C5"><v>1E3</v></c><c r="F5" t="d"><v>2024-01-03T00:00:00</v></c></row><row r="6"><c r="A6" s="1"/><c r="B6"><v></v></c></row><row r="7"><c r="F7" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row></sheetData>"#;

    /// The sheet body with every element written as `x:name`, as some exporters do.
    fn prefixed(body: &str) -> String {
        let mut out = String::new();
        let mut rest = body;
        while let Some(at) = rest.find('<') {
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(after) = rest.strip_prefix('/') {
                out.push_str("</x:");
                rest = after;
            } else {
                out.push_str("<x:");
            }
        }
        out.push_str(rest);
        out
    }

    fn write_workbook(path: &Path, date_1904: bool) {
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let workbook = format!(
            r#"<?xml version="1.0"?><workbook {ns}><workbookPr date1904="{}"/><sheets><sheet name="Plain &amp; simple" sheetId="1" r:id="rId1"/><sheet name="Prefixed" sheetId="2" r:id="rId2"/></sheets></workbook>"#,
            u8::from(date_1904)
        );
        let plain = format!(r#"<?xml version="1.0"?><worksheet {ns}>{SHEET_BODY}</worksheet>"#);
        let with_prefix = format!(
            r#"<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</x:worksheet>"#,
            prefixed(SHEET_BODY)
        );
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.to_string()),
            ("xl/styles.xml", STYLES.to_string()),
            ("xl/sharedStrings.xml", SHARED.to_string()),
            ("xl/worksheets/sheet1.xml", plain),
            ("xl/worksheets/sheet2.xml", with_prefix),
        ];
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }

    fn text(s: &str) -> Value {
        Value::text(s)
    }

    #[test]
    fn hand_written_workbook_reads_as_computed_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hand.xlsx");
        write_workbook(&path, false);
        let mut book = fast_book(&path);
        assert_eq!(book.sheet_names(), ["Plain & simple", "Prefixed"]);
        // 2024-01-01 is serial 45292; ISO text 2024-01-03 is 45294.
        let expected: Vec<Vec<Value>> = vec![
            vec![
                text("Big deal"),
                text("東京"),
                text("line1\r\nline2"),
                Value::Blank,
            ],
            vec![
                Value::Date(45292.0),
                Value::Date(45293.0),
                Value::Blank,
                Value::Blank,
            ],
            vec![
                Value::Number(1234.5),
                Value::Number(-0.25),
                Value::Number(1000.0),
                Value::Blank,
            ],
            vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::Blank,
                Value::Blank,
            ],
            vec![text("padded"), text("R&D"), Value::Blank, Value::Blank],
            vec![
                text("Big dealx"),
                Value::error(ErrorKind::Div0),
                Value::Date(45294.0),
                text("ab"),
            ],
        ];
        for sheet in ["Plain & simple", "Prefixed"] {
            let part = read(&mut book, &path, sheet);
            assert_eq!(
                part.column_names,
                ["name", "when", "amount", "flag", "note", "kind"],
                "{sheet}"
            );
            assert_eq!(part.column_values(), expected, "{sheet}");
            assert_eq!(part.counts.rows_read, 4, "{sheet}");
            assert_eq!(part.counts.blank_rows_skipped, 2, "{sheet}");
        }
        let mut calamine = calamine_book(&path);
        assert_eq!(
            read(&mut calamine, &path, "Plain & simple").column_values(),
            expected
        );
    }

    #[test]
    fn date_1904_workbooks_shift_to_the_1900_system() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mac.xlsx");
        write_workbook(&path, true);
        let mut book = fast_book(&path);
        let part = read(&mut book, &path, "Plain & simple");
        // 45292 in the 1904 system is 45292 + 1462 in the 1900 system.
        assert_eq!(
            part.column_values()[1][..2],
            [Value::Date(45292.0 + 1462.0), Value::Date(45293.0 + 1462.0)]
        );
    }

    #[test]
    fn same_cells_as_calamine_on_workbooks_from_other_writers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = [
            "scenarios/data/crm_sample.xlsx",
            "tests/fixtures/data/sample300_libreoffice.xlsx",
            "tests/fixtures/data/sample300_openpyxl.xlsx",
            "tests/fixtures/data/deals.xlsx",
            "tests/fixtures/data/dirty_opportunities.xlsx",
            "tests/fixtures/data/dirty_leads_split.xlsx",
        ];
        for file in files {
            let path = root.join(file);
            let mut fast = fast_book(&path);
            let mut calamine = calamine_book(&path);
            assert_eq!(fast.sheet_names(), calamine.sheet_names(), "{file}");
            assert_eq!(fast.is_1904(), calamine.is_1904(), "{file}");
            for sheet in fast.sheet_names() {
                let ours = read(&mut fast, &path, &sheet);
                let theirs = read(&mut calamine, &path, &sheet);
                let Book::FastXlsx(package) = &fast else {
                    unreachable!()
                };
                let plan = every_column();
                let mut prefetched =
                    SheetBuilder::new(&plan, path.clone(), sheet.clone(), fast.context());
                package
                    .stream_sheet_prefetching_from(&path, &sheet, &mut prefetched, &|_| {}, 0)
                    .unwrap();
                assert_eq!(
                    prefetched.finish().unwrap().column_values(),
                    ours.column_values(),
                    "{file} {sheet}: inflating on a second thread"
                );
                assert_eq!(ours.column_names, theirs.column_names, "{file} {sheet}");
                assert_eq!(ours.counts, theirs.counts, "{file} {sheet}");
                for (name, (a, b)) in ours
                    .column_names
                    .iter()
                    .zip(ours.column_values().iter().zip(&theirs.column_values()))
                {
                    assert_eq!(a.len(), b.len(), "{file} {sheet}.{name}");
                    for (row, (x, y)) in a.iter().zip(b).enumerate() {
                        assert_eq!(x, y, "{file} {sheet}.{name} row {row}");
                    }
                }
                assert_eq!(ours.entries.len(), theirs.entries.len(), "{file} {sheet}");
            }
        }
    }
}
