//! OpenDocument spreadsheets (.ods), read by our own streaming reader: `content.xml`
//! is scanned once to list the sheets (and which are hidden), and again for each sheet
//! read, cells going straight into the [`SheetBuilder`].
//!
//! Why not calamine's: it expands `number-columns-repeated` and `number-rows-repeated`
//! into a dense grid before anyone looks at it, so an 889-byte file repeating a cell
//! 16,379 columns by 6,000 rows asked for a 4 GiB allocation and aborted. Here a
//! repeated run is kept once with its count: empty runs cost nothing, a run is visited
//! only over the columns the table uses, and every stored cell is charged to the read's
//! budget first (`data::budget`).
//!
//! Values follow ODF 1.2 §19.385–19.389: `office:value-type` with `office:value`
//! (float, percentage, currency), `office:date-value` (ISO date), `office:time-value`
//! (ISO duration), `office:boolean-value`, and strings from `office:string-value` or
//! the cell's paragraphs (`<text:p>` joined by line breaks, `<text:s text:c>` spaces,
//! tabs, line breaks; annotations are not text). LibreOffice writes a formula's error
//! result as text with `calcext:value-type="error"`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use zip::ZipArchive;

use crate::data::budget::{Counted, ReadBudget};
use crate::data::builder::{EXCEL_ROWS, SheetBuilder};
use crate::data::coerce::RawCell;
use crate::data::error::DataError;
use crate::data::xlsx::{Step, XmlError, stream_elements, unfinished};
use crate::data::xml_scan::{
    ScanError, Tag, TagKind, attr_text, find_byte, find_close, for_each_attr, push_text, read_tag,
};
use crate::value::ErrorKind;

/// Columns in an Excel sheet; LibreOffice pads rows with empty runs up to it.
const EXCEL_COLUMNS: u32 = 16_384;
/// Longest text one cell may decode to (`<text:s text:c="4000000000"/>` is four
/// bytes of markup).
const MAX_CELL_TEXT: usize = 16 << 20;

/// One sheet of the document.
#[derive(Debug, Clone)]
pub(crate) struct OdsSheet {
    pub name: String,
    /// `table:display="false"` in the sheet's table style.
    pub hidden: bool,
}

/// An opened .ods: its sheet list; sheets are streamed from `content.xml` on demand.
#[derive(Debug)]
pub(crate) struct OdsBook {
    sheets: Vec<OdsSheet>,
}

/// Why a document could not be opened.
#[derive(Debug)]
pub(crate) enum OdsOpenError {
    Password,
    Damaged(String),
}

fn open_zip(path: &Path) -> Result<ZipArchive<BufReader<File>>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| format!("Zip error: {e}"))
}

impl OdsBook {
    /// Lists the sheets of the document at `path`.
    pub fn open(path: &Path, budget: &Arc<ReadBudget>) -> Result<OdsBook, OdsOpenError> {
        let mut zip = open_zip(path).map_err(OdsOpenError::Damaged)?;
        if let Ok(manifest) = zip.by_name("META-INF/manifest.xml") {
            let mut bytes = Vec::new();
            manifest
                .take(4 << 20)
                .read_to_end(&mut bytes)
                .map_err(|e| OdsOpenError::Damaged(e.to_string()))?;
            if memchr::memmem::find(&bytes, b"encryption-data").is_some() {
                return Err(OdsOpenError::Password);
            }
        }
        let content = zip.by_name("content.xml").map_err(|_| {
            OdsOpenError::Damaged(
                "it has no content.xml part: an Excel workbook saved with an .ods name?"
                    .to_string(),
            )
        })?;
        let mut listing = Listing::default();
        stream_elements(Counted::new(content, Arc::clone(budget)), |buf, eof| {
            listing.scan(buf, eof)
        })
        .map_err(|e| OdsOpenError::Damaged(format!("content.xml: {e}")))?;
        if listing.sheets.is_empty() {
            return Err(OdsOpenError::Damaged("it has no sheets".to_string()));
        }
        let sheets = listing
            .sheets
            .into_iter()
            .map(|(name, style)| OdsSheet {
                hidden: style.is_some_and(|s| listing.hidden_styles.contains(&s)),
                name,
            })
            .collect();
        Ok(OdsBook { sheets })
    }

    pub fn sheets(&self) -> &[OdsSheet] {
        &self.sheets
    }

    /// Streams every cell of `sheet` into `builder`, in row order.
    pub fn stream_sheet(
        &self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
    ) -> Result<(), DataError> {
        let corrupt = |detail: String| DataError::corrupt_sheet(path, sheet, detail);
        if !self.sheets.iter().any(|s| s.name == sheet) {
            return Err(corrupt("the sheet is not in the document".to_string()));
        }
        let mut zip = open_zip(path).map_err(corrupt)?;
        let content = zip
            .by_name("content.xml")
            .map_err(|e| corrupt(e.to_string()))?;
        let budget = Arc::clone(builder.meter().budget());
        let mut scan = SheetScan {
            sheet,
            builder,
            progress,
            in_sheet: false,
            row: 0,
            row_repeat: 1,
            col: 0,
            runs: Vec::new(),
            last_tick: 0,
        };
        let outcome = stream_elements(Counted::new(content, budget), |buf, eof| {
            scan.scan(buf, eof)
        });
        match outcome {
            Ok(()) => Ok(()),
            Err(Failure::Data(e)) => Err(e),
            Err(Failure::Xml(e)) => Err(corrupt(format!(
                "{e}, near {}",
                crate::data::address::cell_address(sheet, scan.row, scan.col)
            ))),
        }
    }
}

/// The first scan: automatic table styles that hide a sheet, and the sheets in order.
#[derive(Default)]
struct Listing {
    /// The `style:style` being read, when it is a table style.
    style: Option<String>,
    hidden_styles: Vec<String>,
    /// Sheet names with their table style.
    sheets: Vec<(String, Option<String>)>,
}

impl Listing {
    fn scan(&mut self, buf: &[u8], eof: bool) -> Result<Step, XmlError> {
        let mut pos = 0;
        while let Some(found) = buf.get(pos..).and_then(|h| find_byte(b'<', h)) {
            let lt = pos + found;
            let Some(tag) = read_tag(buf, lt)? else {
                return unfinished(lt, eof);
            };
            pos = tag.end;
            match (tag.qname, tag.kind) {
                (b"style:style", TagKind::Open | TagKind::Empty) => {
                    let family = tag.attr(b"family");
                    self.style = match (family, qattr(&tag, b"style:name")) {
                        (Some(b"table"), Some(name)) => Some(attr_text(name)?),
                        _ => None,
                    };
                }
                (b"style:table-properties", _) => {
                    if let Some(style) = &self.style
                        && qattr(&tag, b"table:display").is_some_and(|d| d == b"false")
                    {
                        self.hidden_styles.push(style.clone());
                    }
                }
                (b"table:table", TagKind::Open | TagKind::Empty) => {
                    if let Some(name) = qattr(&tag, b"table:name") {
                        let style = qattr(&tag, b"table:style-name")
                            .map(attr_text)
                            .transpose()?;
                        self.sheets.push((attr_text(name)?, style));
                    }
                    if tag.kind == TagKind::Open {
                        // Skip the sheet's rows: nothing in them matters here.
                        match find_close(buf, tag.end, tag.qname) {
                            Some((_, after)) => pos = after,
                            None if eof => return Err(XmlError::Truncated),
                            None => {
                                // Keep scanning from the tag after the name (its rows
                                // hold no table styles or sheet names of their own).
                                pos = tag.end;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(Step {
            consumed: buf.len(),
            finished: false,
        })
    }
}

/// An attribute by its full name (`table:name`): ODF repeats local names across
/// namespaces (`office:value-type`, `calcext:value-type`).
fn qattr<'a>(tag: &Tag<'a>, qname: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    for_each_attr(tag.attrs, |name, value| {
        if found.is_none() && name == qname {
            found = Some(value);
        }
    });
    found
}

/// A repeat count attribute: 1 when absent; a count that does not parse is damage.
fn repeat_of(tag: &Tag<'_>, qname: &[u8]) -> Result<u32, XmlError> {
    match qattr(tag, qname) {
        None => Ok(1),
        Some(raw) => crate::data::xml_scan::parse_u32(raw)
            .filter(|n| *n >= 1)
            .ok_or_else(|| XmlError::RowOutOfRange(String::from_utf8_lossy(raw).into_owned())),
    }
}

/// A cell's value, owned so a repeated row can hand it out again.
#[derive(Debug, Clone, PartialEq)]
enum OdsValue {
    Number(f64),
    Text(String),
    DateText(String),
    Duration(f64),
    Bool(bool),
    Error(ErrorKind),
    /// A formula with no stored result.
    Uncalculated,
}

impl OdsValue {
    fn raw(&self) -> RawCell<'_> {
        match self {
            OdsValue::Number(n) => RawCell::Number(*n),
            OdsValue::Text(t) => RawCell::Text(t),
            OdsValue::DateText(t) => RawCell::DateText(t),
            OdsValue::Duration(d) => RawCell::Duration(*d),
            OdsValue::Bool(b) => RawCell::Bool(*b),
            OdsValue::Error(kind) => RawCell::Error(*kind),
            OdsValue::Uncalculated => RawCell::Uncalculated,
        }
    }
}

/// Non-empty cells of the row being read: `repeat` columns from `col` hold `value`.
#[derive(Debug)]
struct Run {
    col: u32,
    repeat: u32,
    value: OdsValue,
}

enum Failure {
    Xml(XmlError),
    Data(DataError),
}

impl From<XmlError> for Failure {
    fn from(e: XmlError) -> Self {
        Failure::Xml(e)
    }
}

impl From<ScanError> for Failure {
    fn from(e: ScanError) -> Self {
        Failure::Xml(XmlError::Markup(e))
    }
}

impl From<DataError> for Failure {
    fn from(e: DataError) -> Self {
        Failure::Data(e)
    }
}

/// The read of one sheet.
struct SheetScan<'a, 'b, 's> {
    sheet: &'a str,
    builder: &'a mut SheetBuilder<'b>,
    progress: &'s dyn Fn(usize),
    in_sheet: bool,
    /// 0-based row of the row being read (or next).
    row: u32,
    row_repeat: u32,
    /// 0-based column of the next cell.
    col: u32,
    runs: Vec<Run>,
    last_tick: u32,
}

impl SheetScan<'_, '_, '_> {
    fn scan(&mut self, buf: &[u8], eof: bool) -> Result<Step, Failure> {
        let mut pos = 0;
        while let Some(found) = buf.get(pos..).and_then(|h| find_byte(b'<', h)) {
            let lt = pos + found;
            let Some(tag) = read_tag(buf, lt)? else {
                return unfinished::<Failure>(lt, eof);
            };
            if !self.in_sheet {
                pos = tag.end;
                if tag.qname == b"table:table"
                    && tag.kind != TagKind::Close
                    && qattr(&tag, b"table:name")
                        .map(attr_text)
                        .transpose()?
                        .is_some_and(|name| name == self.sheet)
                {
                    if tag.kind == TagKind::Empty {
                        return Ok(finished(tag.end));
                    }
                    self.in_sheet = true;
                }
                continue;
            }
            match (tag.qname, tag.kind) {
                (b"table:table-row", TagKind::Open) => {
                    self.row_repeat = repeat_of(&tag, b"table:number-rows-repeated")?;
                    self.col = 0;
                    self.runs.clear();
                    pos = tag.end;
                }
                (b"table:table-row", TagKind::Empty) => {
                    self.next_row(repeat_of(&tag, b"table:number-rows-repeated")?);
                    pos = tag.end;
                }
                (b"table:table-row", TagKind::Close) => {
                    self.finish_row()?;
                    pos = tag.end;
                }
                (b"table:table-cell" | b"table:covered-table-cell", TagKind::Open) => {
                    let Some((close, after)) = find_close(buf, tag.end, tag.qname) else {
                        return unfinished::<Failure>(lt, eof);
                    };
                    let content = buf.get(tag.end..close).unwrap_or_default();
                    self.cell(&tag, Some(content))?;
                    pos = after;
                }
                (b"table:table-cell" | b"table:covered-table-cell", TagKind::Empty) => {
                    self.cell(&tag, None)?;
                    pos = tag.end;
                }
                (b"table:table", TagKind::Close) => return Ok(finished(tag.end)),
                // A sub-table inside the sheet: its rows are not the sheet's.
                (b"table:table", TagKind::Open) => {
                    let Some((_, after)) = find_close(buf, tag.end, tag.qname) else {
                        return unfinished::<Failure>(lt, eof);
                    };
                    pos = after;
                }
                _ => pos = tag.end,
            }
        }
        Ok(Step {
            consumed: buf.len(),
            finished: false,
        })
    }

    /// Moves past `repeat` rows that hold no cells.
    fn next_row(&mut self, repeat: u32) {
        self.row = self.row.saturating_add(repeat);
        if self.row.saturating_sub(self.last_tick) >= 16_384 {
            self.last_tick = self.row;
            (self.progress)(self.builder.rows_kept());
        }
    }

    /// One `<table:table-cell>`: its value joins the row's runs unless empty.
    fn cell(&mut self, tag: &Tag<'_>, content: Option<&[u8]>) -> Result<(), Failure> {
        let repeat = repeat_of(tag, b"table:number-columns-repeated")?;
        let col = self.col;
        self.col = self.col.saturating_add(repeat);
        let Some(value) = cell_value(tag, content)? else {
            return Ok(());
        };
        if col >= EXCEL_COLUMNS {
            return Err(Failure::Xml(XmlError::NotAnAddress(format!(
                "a cell in column {}, past Excel's last column (XFD)",
                u64::from(col) + 1
            ))));
        }
        let repeat = repeat.min(EXCEL_COLUMNS - col);
        if let OdsValue::Text(t) = &value {
            self.builder
                .charge(t.len() as u64 + 32, "the text of a repeated row")?;
        }
        self.runs.push(Run { col, repeat, value });
        Ok(())
    }

    /// Hands the row's cells to the builder, once per repeat of the row.
    fn finish_row(&mut self) -> Result<(), Failure> {
        let repeat = std::mem::replace(&mut self.row_repeat, 1);
        if self.runs.is_empty() {
            self.next_row(repeat);
            return Ok(());
        }
        for _ in 0..repeat {
            let row = self.row;
            if row >= EXCEL_ROWS {
                // The builder words the error for a row past the sheet's end.
                self.builder.wants(row, 0)?;
            }
            let width = self.builder.wanted_width(row)?;
            for run in &self.runs {
                let end = run.col.saturating_add(run.repeat);
                for col in run.col..end.min(width) {
                    self.builder.cell(row, col, run.value.raw())?;
                }
                if end > width {
                    self.builder.unread_cell(row)?;
                }
            }
            self.next_row(1);
        }
        self.runs.clear();
        Ok(())
    }
}

fn finished(consumed: usize) -> Step {
    Step {
        consumed,
        finished: true,
    }
}

/// The value of a cell from its attributes and content; `None` when it is empty.
fn cell_value(tag: &Tag<'_>, content: Option<&[u8]>) -> Result<Option<OdsValue>, Failure> {
    let mut value_type: Option<&[u8]> = None;
    let mut calc_type: Option<&[u8]> = None;
    let (mut number, mut date, mut time, mut boolean, mut string, mut formula) =
        (None, None, None, None, None, false);
    for_each_attr(tag.attrs, |name, value| match name {
        b"office:value-type" => value_type = Some(value),
        b"calcext:value-type" => calc_type = Some(value),
        b"office:value" => number = Some(value),
        b"office:date-value" => date = Some(value),
        b"office:time-value" => time = Some(value),
        b"office:boolean-value" => boolean = Some(value),
        b"office:string-value" => string = Some(value),
        b"table:formula" => formula = true,
        _ => {}
    });
    let text = |content: Option<&[u8]>| -> Result<String, Failure> {
        let mut out = String::new();
        if let Some(content) = content {
            paragraphs(content, &mut out)?;
        }
        Ok(out)
    };
    let value = match value_type {
        _ if calc_type == Some(b"error") => {
            let shown = match string {
                Some(s) if !s.is_empty() => attr_text(s)?,
                _ => text(content)?,
            };
            Some(match ErrorKind::parse(shown.trim()) {
                Some(kind) => OdsValue::Error(kind),
                None => OdsValue::Text(shown),
            })
        }
        Some(b"float" | b"percentage" | b"currency") => number.map(|raw| {
            std::str::from_utf8(raw.trim_ascii())
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|n| n.is_finite())
                .map_or(OdsValue::Error(ErrorKind::Num), OdsValue::Number)
        }),
        Some(b"date") => match date {
            Some(raw) => Some(OdsValue::DateText(attr_text(raw)?)),
            None => None,
        },
        Some(b"time") => match time {
            Some(raw) => Some(match iso_duration_days(&attr_text(raw)?) {
                Some(days) => OdsValue::Duration(days),
                None => OdsValue::Text(attr_text(raw)?),
            }),
            None => None,
        },
        Some(b"boolean") => boolean.map(|b| OdsValue::Bool(b == b"true" || b == b"TRUE")),
        Some(b"string") => Some(OdsValue::Text(match string {
            Some(raw) => attr_text(raw)?,
            None => text(content)?,
        })),
        // No value type: a cell that only shows text (some writers omit the type).
        _ => Some(OdsValue::Text(text(content)?)),
    };
    Ok(match value {
        Some(OdsValue::Text(t)) if t.is_empty() => formula.then_some(OdsValue::Uncalculated),
        None if formula => Some(OdsValue::Uncalculated),
        other => other,
    })
}

/// The text of a cell's paragraphs: `<text:p>`s joined by line breaks, with
/// `<text:s text:c="n"/>` spaces, tabs and line breaks; annotations left out.
fn paragraphs(content: &[u8], out: &mut String) -> Result<(), Failure> {
    let mut pos = 0;
    let mut paragraphs = 0usize;
    let mut depth_in_p = 0usize;
    while let Some(found) = content.get(pos..).and_then(|h| find_byte(b'<', h)) {
        let lt = pos + found;
        if depth_in_p > 0 {
            push_text(content.get(pos..lt).unwrap_or_default(), out)?;
        }
        let tag = read_tag(content, lt)?.ok_or(ScanError::UnfinishedTagInText)?;
        pos = tag.end;
        match (tag.qname, tag.kind) {
            (b"office:annotation", TagKind::Open) => {
                pos = find_close(content, tag.end, tag.qname)
                    .map_or(content.len(), |(_, after)| after);
            }
            (b"text:p" | b"text:h", TagKind::Open | TagKind::Empty) => {
                if paragraphs > 0 {
                    out.push('\n');
                }
                paragraphs += 1;
                if tag.kind == TagKind::Open {
                    depth_in_p += 1;
                }
            }
            (b"text:p" | b"text:h", TagKind::Close) => depth_in_p = depth_in_p.saturating_sub(1),
            (b"text:s", _) if depth_in_p > 0 => {
                let count = qattr(&tag, b"text:c")
                    .and_then(crate::data::xml_scan::parse_u32)
                    .unwrap_or(1) as usize;
                if out.len().saturating_add(count) > MAX_CELL_TEXT {
                    return Err(too_long());
                }
                out.extend(std::iter::repeat_n(' ', count));
            }
            (b"text:tab", _) if depth_in_p > 0 => out.push('\t'),
            (b"text:line-break", _) if depth_in_p > 0 => out.push('\n'),
            _ => {}
        }
        if out.len() > MAX_CELL_TEXT {
            return Err(too_long());
        }
    }
    Ok(())
}

fn too_long() -> Failure {
    Failure::Xml(XmlError::ElementTooLong {
        limit_mb: MAX_CELL_TEXT >> 20,
    })
}

/// An ISO 8601 duration as ODF writes times (`PT12H30M00S`, `P1DT2H`, `-PT1H`) in days.
fn iso_duration_days(text: &str) -> Option<f64> {
    let (negative, rest) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    let rest = rest.strip_prefix('P')?;
    let (date_part, time_part) = rest.split_once('T').unwrap_or((rest, ""));
    let mut seconds = 0.0;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let scale = units.iter().find(|(u, _)| *u == c)?.1;
            seconds += number.parse::<f64>().ok()? * scale;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    read(date_part, &[('D', 86_400.0), ('W', 604_800.0)])?;
    read(time_part, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    let days = seconds / 86_400.0;
    Some(if negative { -days } else { days })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(cell: &str) -> Option<OdsValue> {
        let xml = cell.as_bytes();
        let tag = read_tag(xml, 0).unwrap().unwrap();
        let content = (tag.kind == TagKind::Open).then(|| {
            let (close, _) = find_close(xml, tag.end, tag.qname).unwrap();
            &xml[tag.end..close]
        });
        cell_value(&tag, content).ok().flatten()
    }

    #[test]
    fn cell_values_follow_odf() {
        assert_eq!(
            value(
                r#"<table:table-cell office:value-type="float" office:value="1.5"><text:p>1.50</text:p></table:table-cell>"#
            ),
            Some(OdsValue::Number(1.5))
        );
        assert_eq!(
            value(
                r#"<table:table-cell office:value-type="string"><text:p>a<text:s text:c="3"/>b</text:p><text:p>c<text:tab/>d</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell>"#
            ),
            Some(OdsValue::Text("a   b\nc\td".to_string()))
        );
        assert_eq!(
            value(r#"<table:table-cell office:value-type="date" office:date-value="2024-01-31"/>"#),
            Some(OdsValue::DateText("2024-01-31".to_string()))
        );
        assert_eq!(
            value(
                r#"<table:table-cell office:value-type="time" office:time-value="PT36H00M00S"/>"#
            ),
            Some(OdsValue::Duration(1.5))
        );
        assert_eq!(
            value(r#"<table:table-cell office:value-type="boolean" office:boolean-value="true"/>"#),
            Some(OdsValue::Bool(true))
        );
        assert_eq!(
            value(
                r#"<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>"#
            ),
            Some(OdsValue::Error(ErrorKind::Div0))
        );
        assert_eq!(
            value(r#"<table:table-cell table:formula="of:=[.A1]*2"/>"#),
            Some(OdsValue::Uncalculated)
        );
        assert_eq!(
            value(r#"<table:table-cell table:number-columns-repeated="9"/>"#),
            None
        );
        assert_eq!(
            value(r#"<table:table-cell office:value-type="string"><text:p/></table:table-cell>"#),
            None
        );
    }

    #[test]
    fn a_huge_space_count_is_an_error_not_an_allocation() {
        let cell = r#"<table:table-cell office:value-type="string"><text:p><text:s text:c="4000000000"/></text:p></table:table-cell>"#;
        let xml = cell.as_bytes();
        let tag = read_tag(xml, 0).unwrap().unwrap();
        let (close, _) = find_close(xml, tag.end, tag.qname).unwrap();
        assert!(matches!(
            cell_value(&tag, Some(&xml[tag.end..close])),
            Err(Failure::Xml(XmlError::ElementTooLong { .. }))
        ));
    }

    #[test]
    fn iso_durations_in_days() {
        assert_eq!(iso_duration_days("PT12H"), Some(0.5));
        assert_eq!(iso_duration_days("P1DT6H"), Some(1.25));
        assert_eq!(iso_duration_days("-PT1H30M"), Some(-1.5 / 24.0));
        assert_eq!(iso_duration_days("PT0.5S"), Some(0.5 / 86_400.0));
        assert_eq!(iso_duration_days("12:00"), None);
    }
}
