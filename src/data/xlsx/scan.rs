//! The worksheet scanner: finds `<row>` and `<c>` in the sheet's XML, reads the common
//! cell shapes with a few byte comparisons and anything else with the general tag
//! reader, and hands wanted cells to the builder (other cells are only checked for
//! being non-empty).

use thiserror::Error;

use super::XlsxPackage;
use super::error::XmlError;
use super::shared_strings::{SharedFailure, SharedView};
use super::stream::{Step, unfinished};
use super::styles::NumberKind;
use crate::data::budget::Exceeded;
use crate::data::builder::SheetBuilder;
use crate::data::coerce::{DAYS_1904_TO_1900, RawCell};
use crate::data::error::DataError;
use crate::data::xml_scan::{
    ScanError, Tag, TagKind, find_byte, find_close, for_each_attr, parse_u32, push_cell_text,
    push_rich_text, push_text, read_tag, same, trim_ascii_whitespace_from, unescape_office,
};
use crate::value::ErrorKind;

/// A sheet read stops on bad XML or on what the builder refuses (policy `fail` …).
#[derive(Debug, Error)]
pub(super) enum SheetFailure {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error(transparent)]
    Data(#[from] DataError),
    /// The shared strings the cells use would exceed the read's budget.
    #[error("the shared strings exceed the read's budget")]
    SharedBudget(Exceeded),
}

impl From<SharedFailure> for SheetFailure {
    fn from(failure: SharedFailure) -> Self {
        match failure {
            SharedFailure::Xml(e) => SheetFailure::Xml(e),
            SharedFailure::Budget(e) => SheetFailure::SharedBudget(e),
        }
    }
}

/// Bad markup met by the tag reader and text decoders the scanner calls.
impl From<ScanError> for SheetFailure {
    fn from(error: ScanError) -> Self {
        SheetFailure::Xml(XmlError::Markup(error))
    }
}

/// State of one worksheet read.
pub(super) struct SheetScan<'p, 'b, 's> {
    package: &'p XlsxPackage,
    /// The shared strings this read has met.
    shared: SharedView<'p>,
    /// Most rows the sheet's XML can hold (from its size), to size columns by.
    most_rows: u32,
    builder: &'b mut SheetBuilder<'s>,
    progress: &'b dyn Fn(usize),
    date_offset: f64,
    in_sheet_data: bool,
    /// Current 0-based row.
    row: u32,
    any_row: bool,
    /// Column of the next cell written without a reference.
    next_col: u32,
    /// Column of the last cell of the current row.
    last_col: Option<u32>,
    last_tick: u32,
    /// Scratch buffer for decoded text.
    text: String,
}

/// Where a cell's value is in its element.
#[derive(Default)]
struct CellContent<'a> {
    /// The `<v>` text, still escaped.
    value: Option<&'a [u8]>,
    /// The `<is>` inline rich text, still escaped.
    inline: Option<&'a [u8]>,
    /// The text of an `<is>` that holds one plain `<t>` (the common case), still escaped.
    plain: Option<&'a [u8]>,
    /// The cell has a formula (`<f>`).
    formula: bool,
}

impl CellContent<'_> {
    fn is_empty(&self) -> bool {
        self.value.is_none() && self.inline.is_none() && self.plain.is_none() && !self.formula
    }

    /// A formula whose result the file does not store (openpyxl writes `<f>…</f><v/>`;
    /// a text result, `t="str"`, may legitimately be empty).
    fn uncalculated(&self, cell_type: &[u8]) -> bool {
        self.formula
            && self.inline.is_none()
            && self.plain.is_none()
            && cell_type != b"str"
            && self.value.is_none_or(|v| v.trim_ascii().is_empty())
    }
}

/// Reads the common cell shapes `<c …/>`, `<c …><v>…</v></c>` and
/// `<c …><is><t>…</t></is></c>` with a few byte comparisons; `None` sends anything
/// else (formulas, rich text, prefixes, a cell cut off by the buffer) down the general path.
fn quick_cell(buf: &[u8], lt: usize) -> Option<(CellAttrs<'_>, CellContent<'_>, usize)> {
    let mut attrs = CellAttrs::default();
    let mut i = lt + 2;
    loop {
        match *buf.get(i)? {
            b' ' => i += 1,
            b'>' => {
                i += 1;
                break;
            }
            b'/' => {
                return (*buf.get(i + 1)? == b'>').then(|| (attrs, CellContent::default(), i + 2));
            }
            _ => {
                let name_start = i;
                i += find_byte(b'=', buf.get(i..)?)?;
                let name = buf.get(name_start..i)?;
                let quote = *buf.get(i + 1)?;
                if quote != b'"' && quote != b'\'' {
                    return None;
                }
                let value_start = i + 2;
                let value_end = value_start + find_byte(quote, buf.get(value_start..)?)?;
                let value = buf.get(value_start..value_end)?;
                match name {
                    b"r" => attrs.reference = Some(value),
                    b"t" => attrs.kind = value,
                    b"s" => attrs.style = Some(value),
                    _ if name.iter().any(|b| b.is_ascii_whitespace() || *b == b'>') => return None,
                    _ => {}
                }
                i = value_end + 1;
            }
        }
    }
    let rest = buf.get(i..)?;
    let mut content = CellContent::default();
    if rest.starts_with(b"</c>") {
        return Some((attrs, content, i + 4));
    }
    if rest.starts_with(b"<v>") {
        let start = i + 3;
        let end = start + find_byte(b'<', buf.get(start..)?)?;
        if buf.get(end..end + 8)? != b"</v></c>" {
            return None;
        }
        content.value = Some(buf.get(start..end)?);
        return Some((attrs, content, end + 8));
    }
    if rest.starts_with(b"<is><t>") {
        let start = i + 7;
        let end = start + find_byte(b'<', buf.get(start..)?)?;
        if buf.get(end..end + 13)? != b"</t></is></c>" {
            return None;
        }
        content.plain = Some(buf.get(start..end)?);
        return Some((attrs, content, end + 13));
    }
    None
}

impl<'p, 'b, 's> SheetScan<'p, 'b, 's> {
    /// A scan of one worksheet of `package` into `builder`.
    pub(super) fn new(
        package: &'p XlsxPackage,
        builder: &'b mut SheetBuilder<'s>,
        progress: &'b dyn Fn(usize),
        inflated_size: u64,
    ) -> Self {
        // A row with a cell takes at least ~32 bytes of XML (`<row><c><v>1</v></c></row>`
        // with its references), so a lying `<dimension>` cannot make us reserve more.
        let most_rows = u32::try_from(inflated_size / 32).unwrap_or(u32::MAX);
        SheetScan {
            package,
            shared: package.shared.view(),
            most_rows,
            builder,
            progress,
            date_offset: if package.date_1904 {
                DAYS_1904_TO_1900
            } else {
                0.0
            },
            in_sheet_data: false,
            row: 0,
            any_row: false,
            next_col: 0,
            last_col: None,
            last_tick: 0,
            text: String::new(),
        }
    }

    /// Where the scan is (the cell being read, or the next one), for messages.
    pub(super) fn address(&self, sheet: &str) -> String {
        crate::data::address::cell_address(sheet, self.row, self.next_col)
    }
}

impl SheetScan<'_, '_, '_> {
    pub(super) fn scan(&mut self, buf: &[u8], eof: bool) -> Result<Step, SheetFailure> {
        let mut pos = 0;
        while let Some(found) = buf.get(pos..).and_then(|h| find_byte(b'<', h)) {
            let lt = pos + found;
            if self.in_sheet_data
                && buf.get(lt + 1) == Some(&b'c')
                && matches!(buf.get(lt + 2), Some(b' ' | b'>' | b'/'))
                && let Some((attrs, content, end)) = quick_cell(buf, lt)
            {
                let (row, col) = self.position(attrs.reference)?;
                if !content.is_empty() {
                    self.cell(row, col, &attrs, &content)?;
                }
                pos = end;
                continue;
            }
            let Some(tag) = read_tag(buf, lt)? else {
                return unfinished(lt, eof);
            };
            if !self.in_sheet_data {
                match (tag.local(), tag.kind) {
                    (b"dimension", _) => self.expect_rows(tag.attr(b"ref")),
                    (b"sheetData", TagKind::Open) => self.in_sheet_data = true,
                    (b"sheetData", TagKind::Empty) => {
                        return Ok(Step {
                            consumed: tag.end,
                            finished: true,
                        });
                    }
                    _ => {}
                }
                pos = tag.end;
                continue;
            }
            match (tag.local(), tag.kind) {
                (b"c", TagKind::Open | TagKind::Empty) => {
                    let Some(after) = self.scan_cell(buf, &tag)? else {
                        return unfinished(lt, eof);
                    };
                    pos = after;
                }
                (b"row", TagKind::Open | TagKind::Empty) => {
                    self.start_row(&tag)?;
                    pos = tag.end;
                }
                (b"sheetData", TagKind::Close) => {
                    return Ok(Step {
                        consumed: tag.end,
                        finished: true,
                    });
                }
                _ => pos = tag.end,
            }
        }
        Ok(Step {
            consumed: buf.len(),
            finished: false,
        })
    }

    fn expect_rows(&mut self, reference: Option<&[u8]>) {
        let last = reference
            .and_then(|r| r.rsplit(|b| *b == b':').next())
            .and_then(parse_cell_ref);
        if let Some((row, _)) = last {
            self.builder
                .expect_rows(row.saturating_add(1).min(self.most_rows));
        }
    }

    fn start_row(&mut self, tag: &Tag<'_>) -> Result<(), SheetFailure> {
        let row = match tag.attr(b"r") {
            Some(r) => parse_u32(r)
                .filter(|n| (1..=MAX_ROWS).contains(n))
                .map(|n| n - 1)
                .ok_or_else(|| XmlError::RowOutOfRange(lossy(r)))?,
            None if self.any_row => self.row.saturating_add(1),
            None => 0,
        };
        // Rows come in ascending order; a row number met again would overwrite the
        // cells of the first (or mix two rows into one).
        if self.any_row && row <= self.row {
            return Err(XmlError::RowRepeated {
                row: row + 1,
                after: self.row + 1,
            }
            .into());
        }
        self.last_col = None;
        self.row = row;
        self.any_row = true;
        self.next_col = 0;
        if row.saturating_sub(self.last_tick) >= 16_384 {
            self.last_tick = row;
            (self.progress)(self.builder.rows_kept());
        }
        Ok(())
    }

    /// Reads the `<c>` element that `tag` opens; `None` when the buffer cuts it off.
    fn scan_cell(&mut self, buf: &[u8], tag: &Tag<'_>) -> Result<Option<usize>, SheetFailure> {
        let mut attrs = CellAttrs::default();
        for_each_attr(tag.attrs, |name, value| match name {
            b"r" => attrs.reference = Some(value),
            b"t" => attrs.kind = value,
            b"s" => attrs.style = Some(value),
            _ => {}
        });
        let mut parts = CellContent::default();
        let end = if tag.kind == TagKind::Empty {
            tag.end
        } else {
            match cell_children(buf, tag.end, tag.qname, &mut parts)? {
                Some(end) => end,
                None => return Ok(None),
            }
        };
        let (row, col) = self.position(attrs.reference)?;
        if !parts.is_empty() {
            self.cell(row, col, &attrs, &parts)?;
        }
        Ok(Some(end))
    }

    /// The cell's (row, column): from its `r` reference, or next after the previous cell.
    fn position(&mut self, reference: Option<&[u8]>) -> Result<(u32, u32), SheetFailure> {
        let (row, col) = match reference {
            Some(r) => parse_cell_ref(r).ok_or_else(|| XmlError::NotAnAddress(lossy(r)))?,
            None => (self.row, self.next_col),
        };
        // Within a row, cells come left to right; a cell met again would overwrite.
        if row == self.row && self.last_col.is_some_and(|last| col <= last) {
            let cell = format!(
                "{}{}",
                crate::data::address::column_letters(col),
                u64::from(row) + 1
            );
            return Err(XmlError::CellRepeated(cell).into());
        }
        if row != self.row {
            self.last_col = None;
        }
        self.last_col = Some(col);
        self.row = row;
        self.next_col = col.saturating_add(1);
        Ok((row, col))
    }

    fn cell(
        &mut self,
        row: u32,
        col: u32,
        attrs: &CellAttrs<'_>,
        parts: &CellContent<'_>,
    ) -> Result<(), SheetFailure> {
        let wanted = self.builder.wants(row, col)?;
        let cell_type = attrs.kind;
        if !wanted {
            if self.is_nonempty(cell_type, parts)? {
                self.builder.unread_cell(row)?;
            }
            return Ok(());
        }
        self.text.clear();
        if parts.uncalculated(cell_type) {
            self.builder.cell(row, col, RawCell::Uncalculated)?;
            return Ok(());
        }
        let raw = match cell_type {
            b"n" => match parts.value {
                None => RawCell::Empty,
                Some(v) if v.trim_ascii().is_empty() => RawCell::Empty,
                Some(v) => match parse_number(v) {
                    Some(n) if n.is_finite() => {
                        let style = attrs
                            .style
                            .and_then(parse_u32)
                            .and_then(|s| self.package.styles.get(s as usize).copied())
                            .unwrap_or(NumberKind::Plain);
                        match style {
                            NumberKind::Plain => RawCell::Number(n),
                            NumberKind::Date => RawCell::Date(n + self.date_offset),
                            NumberKind::Duration => RawCell::Duration(n),
                        }
                    }
                    Some(_) => RawCell::Error(ErrorKind::Num),
                    None => {
                        push_text(v, &mut self.text)?;
                        RawCell::Text(&self.text)
                    }
                },
            },
            b"s" => match parts.value {
                None => RawCell::Empty,
                Some(v) => {
                    let index =
                        parse_u32(v).ok_or_else(|| XmlError::SharedStringIndex(lossy(v)))?;
                    match self.shared.get(index, self.builder.meter())? {
                        Some(text) => RawCell::SharedText(text),
                        None => {
                            let count = self.shared.known();
                            return Err(XmlError::MissingSharedString { index, count }.into());
                        }
                    }
                }
            },
            b"inlineStr" => {
                match (parts.plain, parts.inline, parts.value) {
                    (Some(plain), _, _) => {
                        // As for any `<t>`: trim first, then decode `_xHHHH_` escapes.
                        push_text(plain, &mut self.text)?;
                        trim_ascii_whitespace_from(&mut self.text, 0);
                        unescape_office(&mut self.text);
                    }
                    (None, Some(inline), _) => {
                        push_rich_text(inline, &mut self.text)?;
                        unescape_office(&mut self.text);
                    }
                    (None, None, Some(v)) => push_cell_text(v, &mut self.text)?,
                    (None, None, None) => {}
                }
                RawCell::Text(&self.text)
            }
            b"str" => {
                if let Some(v) = parts.value {
                    push_cell_text(v, &mut self.text)?;
                }
                RawCell::Text(&self.text)
            }
            b"b" => match parts.value.map(<[u8]>::trim_ascii) {
                None | Some(b"") => RawCell::Empty,
                Some(b"1") => RawCell::Bool(true),
                Some(b"0") => RawCell::Bool(false),
                Some(v) if v.eq_ignore_ascii_case(b"true") => RawCell::Bool(true),
                Some(v) if v.eq_ignore_ascii_case(b"false") => RawCell::Bool(false),
                Some(v) => {
                    push_text(v, &mut self.text)?;
                    RawCell::Text(&self.text)
                }
            },
            b"e" => match parts.value {
                None => RawCell::Empty,
                Some(v) => {
                    push_text(v, &mut self.text)?;
                    let kind = ErrorKind::parse(&self.text).unwrap_or(
                        if self.text.trim().eq_ignore_ascii_case("#GETTING_DATA") {
                            ErrorKind::NA
                        } else {
                            ErrorKind::Value
                        },
                    );
                    RawCell::Error(kind)
                }
            },
            b"d" => match parts.value {
                None => RawCell::Empty,
                Some(v) => {
                    push_text(v, &mut self.text)?;
                    RawCell::DateText(self.text.trim())
                }
            },
            other => {
                return Err(XmlError::UnknownCellType(lossy(other)).into());
            }
        };
        self.builder.cell(row, col, raw)?;
        Ok(())
    }

    /// Whether a cell nobody asked for still makes its row a data row (text counts when
    /// it has a non-blank character; it is not decoded).
    fn is_nonempty(
        &mut self,
        cell_type: &[u8],
        parts: &CellContent<'_>,
    ) -> Result<bool, SheetFailure> {
        Ok(match cell_type {
            b"s" => match parts.value.and_then(parse_u32) {
                Some(i) => self
                    .shared
                    .get(i, self.builder.meter())?
                    .is_none_or(|t| !t.is_empty()),
                None => true,
            },
            _ => parts
                .plain
                .or(parts.inline)
                .or(parts.value)
                .is_some_and(has_visible_text),
        })
    }
}

/// The attributes of a `<c>` that matter, still escaped.
struct CellAttrs<'a> {
    reference: Option<&'a [u8]>,
    /// `t`: `n` (number, the default), `s`, `inlineStr`, `str`, `b`, `e` or `d`.
    kind: &'a [u8],
    style: Option<&'a [u8]>,
}

impl Default for CellAttrs<'_> {
    fn default() -> Self {
        CellAttrs {
            reference: None,
            kind: b"n",
            style: None,
        }
    }
}

/// Whether XML content has a non-whitespace character outside its tags.
fn has_visible_text(content: &[u8]) -> bool {
    let mut in_tag = false;
    content.iter().any(|b| match b {
        b'<' => {
            in_tag = true;
            false
        }
        b'>' => {
            in_tag = false;
            false
        }
        _ => !in_tag && !b.is_ascii_whitespace(),
    })
}

/// Collects the `<v>` and `<is>` children of a cell up to its closing tag, skipping
/// formulas and extensions; returns the offset past `</c>`, or `None` when cut off.
fn cell_children<'a>(
    buf: &'a [u8],
    from: usize,
    qname: &[u8],
    parts: &mut CellContent<'a>,
) -> Result<Option<usize>, ScanError> {
    let mut pos = from;
    loop {
        let Some(found) = buf.get(pos..).and_then(|h| find_byte(b'<', h)) else {
            return Ok(None);
        };
        let Some(tag) = read_tag(buf, pos + found)? else {
            return Ok(None);
        };
        match tag.kind {
            TagKind::Close if same(tag.qname, qname) => return Ok(Some(tag.end)),
            TagKind::Close | TagKind::Other => pos = tag.end,
            TagKind::Empty => {
                match tag.local() {
                    b"v" => parts.value = Some(&[]),
                    b"f" => parts.formula = true,
                    _ => {}
                }
                pos = tag.end;
            }
            TagKind::Open => {
                let Some((close, after)) = find_close(buf, tag.end, tag.qname) else {
                    return Ok(None);
                };
                let inner = buf.get(tag.end..close).unwrap_or(&[]);
                match tag.local() {
                    b"v" => parts.value = Some(inner),
                    b"is" => parts.inline = Some(inner),
                    b"f" => parts.formula = true,
                    _ => {}
                }
                pos = after;
            }
        }
    }
}

/// Excel's sheet size: 1,048,576 rows by 16,384 columns.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;

/// `B12` -> (11, 1), 0-based; `None` for anything that is not an address inside Excel's grid.
fn parse_cell_ref(reference: &[u8]) -> Option<(u32, u32)> {
    let mut col: u32 = 0;
    let mut letters = 0usize;
    let mut row: u32 = 0;
    let mut digits = 0usize;
    for &b in reference {
        // Clearing bit 5 upper-cases ASCII letters and moves nothing else into A..=Z.
        let upper = b & !0x20;
        if digits == 0 && upper.is_ascii_uppercase() {
            letters += 1;
            col = col * 26 + u32::from(upper - b'A' + 1);
        } else if b.is_ascii_digit() && letters > 0 {
            digits += 1;
            row = row.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        } else {
            return None;
        }
        if letters > 3 || digits > 7 {
            return None;
        }
    }
    if digits == 0 || col > MAX_COLUMNS || row == 0 || row > MAX_ROWS {
        return None;
    }
    Some((row - 1, col - 1))
}

/// A number as Excel writes it in `<v>`: integers on a fast path, anything else by
/// Rust's float parser (which also accepts exponents).
fn parse_number(raw: &[u8]) -> Option<f64> {
    let t = raw.trim_ascii();
    if !t.is_empty() && t.len() <= 15 && t.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for d in t {
            n = n * 10 + u64::from(d - b'0');
        }
        return Some(n as f64);
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

fn lossy(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(parse_cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(parse_cell_ref(b"b12"), Some((11, 1)));
        assert_eq!(parse_cell_ref(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_cell_ref(b"XFE1"), None);
        assert_eq!(parse_cell_ref(b"A0"), None);
        assert_eq!(parse_cell_ref(b"A1048577"), None);
        assert_eq!(parse_cell_ref(b"12"), None);
        assert_eq!(parse_cell_ref(b"ABCD1"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"35230"), Some(35230.0));
        assert_eq!(parse_number(b" -0.5 "), Some(-0.5));
        assert_eq!(parse_number(b"1.5E-3"), Some(0.0015));
        assert_eq!(
            parse_number(b"1234567890123456789"),
            Some(1.234_567_890_123_456_8e18)
        );
        assert_eq!(parse_number(b"12abc"), None);
    }
}
