//! Fast .xlsx/.xlsm reading: opens the package once (sheet list, date system, which
//! cell styles are dates, shared strings) and streams a worksheet's XML straight out of
//! the zip, decoding only the cells of columns the rules use.
//!
//! Why our own reader: at Excel's row limit reading is nearly all of a run's time, and
//! a general XML parser spends most of it on cells nobody asked for. Anything this
//! reader does not understand when opening a package (an unusual layout, an encrypted
//! or damaged file) makes [`crate::data::workbook::Book`] fall back to calamine, which
//! also words the error.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use zip::ZipArchive;

use crate::data::builder::SheetBuilder;
use crate::data::coerce::{DAYS_1904_TO_1900, RawCell};
use crate::data::error::DataError;
use crate::data::xml_scan::{
    ScanError, Tag, TagKind, attr_text, find_byte, find_close, for_each_attr, push_cell_text,
    push_rich_text, push_text, read_tag, same, trim_ascii_whitespace_from, unescape_office,
    unescape_office_from,
};
use crate::value::ErrorKind;

/// Bytes of decompressed XML handed to the scanner at a time.
const CHUNK: usize = 1 << 21;
/// Largest single element (a cell, a shared string) we accept before calling the XML broken.
const MAX_ELEMENT: usize = 256 << 20;
/// Largest metadata part (workbook, relationships, styles) we read into memory.
const MAX_METADATA_PART: u64 = 64 << 20;

/// How a number cell's style says to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Plain,
    Date,
    /// Elapsed time such as `[h]:mm`.
    Duration,
}

/// One sheet listed in the workbook.
#[derive(Debug, Clone)]
struct SheetEntry {
    name: String,
    /// Zip entry of its XML; `None` for chart sheets and other non-worksheets.
    part: Option<String>,
}

/// The shared-string table: one text buffer and where each string ends, so a sheet
/// read can hand out `&str`s whose addresses stay fixed (see [`RawCell::SharedText`]).
#[derive(Debug, Default)]
struct SharedStrings {
    text: String,
    /// End of each string in `text` (4 bytes each: a million IDs cost 4 MB, not 8).
    ends: Vec<u32>,
}

impl SharedStrings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// An opened .xlsx/.xlsm package, ready to stream any of its worksheets.
#[derive(Debug)]
pub(crate) struct XlsxPackage {
    sheets: Vec<SheetEntry>,
    date_1904: bool,
    styles: Vec<NumberKind>,
    shared: SharedStrings,
    /// Lower-cased entry name -> entry name as stored (OPC part names are case-insensitive).
    entries: HashMap<String, String>,
}

/// Why a package could not be opened by this reader (the caller falls back to calamine).
pub(crate) type OpenFailure = String;

fn open_zip(path: &Path) -> Result<ZipArchive<BufReader<File>>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())
}

impl XlsxPackage {
    /// Reads the package's sheet list, date system, styles and shared strings.
    pub fn open(path: &Path) -> Result<Arc<XlsxPackage>, OpenFailure> {
        let mut zip = open_zip(path)?;
        let entries: HashMap<String, String> = zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| (n.replace('\\', "/").to_ascii_lowercase(), n.to_string()))
            .collect();
        let mut package = XlsxPackage {
            sheets: Vec::new(),
            date_1904: false,
            styles: Vec::new(),
            shared: SharedStrings::default(),
            entries,
        };
        let root_rels = package.read_small(&mut zip, "_rels/.rels")?;
        let workbook_part = relationships(&root_rels)?
            .into_iter()
            .find(|r| r.kind.ends_with("/officeDocument"))
            .map(|r| resolve_target("", &r.target))
            .unwrap_or_else(|| "xl/workbook.xml".to_string());
        let (workbook_dir, workbook_file) = match workbook_part.rsplit_once('/') {
            Some((dir, file)) => (dir.to_string(), file.to_string()),
            None => (String::new(), workbook_part.clone()),
        };
        let rels_part = if workbook_dir.is_empty() {
            format!("_rels/{workbook_file}.rels")
        } else {
            format!("{workbook_dir}/_rels/{workbook_file}.rels")
        };
        let rels = relationships(&package.read_small(&mut zip, &rels_part)?)?;
        let target_of = |id: &str| {
            rels.iter()
                .find(|r| r.id == id)
                .map(|r| (r.kind.as_str(), resolve_target(&workbook_dir, &r.target)))
        };

        let workbook = package.read_small(&mut zip, &workbook_part)?;
        let (sheets, date_1904) = sheet_list(&workbook)?;
        package.date_1904 = date_1904;
        package.sheets = sheets
            .into_iter()
            .map(|(name, id)| {
                let part = target_of(&id)
                    .filter(|(kind, _)| kind.ends_with("/worksheet"))
                    .map(|(_, part)| part);
                SheetEntry { name, part }
            })
            .collect();

        let by_kind = |suffix: &str| {
            rels.iter()
                .find(|r| r.kind.ends_with(suffix))
                .map(|r| resolve_target(&workbook_dir, &r.target))
        };
        if let Some(styles_part) = by_kind("/styles") {
            package.styles = number_kinds(&package.read_small(&mut zip, &styles_part)?)?;
        }
        if let Some(strings_part) = by_kind("/sharedStrings") {
            let name = package
                .entry_name(&strings_part)
                .ok_or_else(|| format!("missing part {strings_part}"))?;
            let reader = zip.by_name(&name).map_err(|e| e.to_string())?;
            package.shared = read_shared_strings(reader)?;
        }
        Ok(Arc::new(package))
    }

    /// Sheet names in workbook order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|s| s.name.clone()).collect()
    }

    /// Whether dates count from 1904 (old Mac workbooks).
    pub fn is_1904(&self) -> bool {
        self.date_1904
    }

    fn entry_name(&self, part: &str) -> Option<String> {
        self.entries.get(&part.to_ascii_lowercase()).cloned()
    }

    fn read_small(
        &self,
        zip: &mut ZipArchive<BufReader<File>>,
        part: &str,
    ) -> Result<Vec<u8>, OpenFailure> {
        let name = self
            .entry_name(part)
            .ok_or_else(|| format!("missing part {part}"))?;
        let entry = zip.by_name(&name).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_METADATA_PART)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    /// Streams every cell of `sheet` into `builder`, in row order.
    pub fn stream_sheet(
        &self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
    ) -> Result<(), DataError> {
        self.stream_sheet_prefetching_from(path, sheet, builder, progress, PREFETCH_FROM)
    }

    /// [`Self::stream_sheet`], inflating on a second thread when the sheet's compressed
    /// XML has at least `prefetch_from` bytes.
    pub(crate) fn stream_sheet_prefetching_from(
        &self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
        prefetch_from: u64,
    ) -> Result<(), DataError> {
        let corrupt = |detail: String| DataError::CorruptSheet {
            path: path.to_path_buf(),
            sheet: sheet.to_string(),
            detail,
        };
        let entry = self
            .sheets
            .iter()
            .find(|s| s.name == sheet)
            .ok_or_else(|| corrupt("the sheet is not in the workbook".to_string()))?;
        let part = entry.part.as_deref().ok_or_else(|| {
            corrupt("it is a chart or dialog sheet, not a worksheet with cells".to_string())
        })?;
        let name = self
            .entry_name(part)
            .ok_or_else(|| corrupt(format!("the package has no part {part}")))?;
        let mut zip = open_zip(path).map_err(corrupt)?;
        let reader = zip.by_name(&name).map_err(|e| corrupt(e.to_string()))?;
        let prefetch = reader.compressed_size() >= prefetch_from;
        let mut scan = SheetScan {
            package: self,
            builder,
            progress,
            date_offset: if self.date_1904 {
                DAYS_1904_TO_1900
            } else {
                0.0
            },
            in_sheet_data: false,
            row: 0,
            any_row: false,
            next_col: 0,
            last_tick: 0,
            text: String::new(),
        };
        let outcome = if prefetch {
            drop(reader);
            std::thread::scope(|threads| {
                let reader = PrefetchReader::start(threads, path, &name);
                stream_elements(reader, |buf, eof| scan.scan(buf, eof))
            })
        } else {
            stream_elements(reader, |buf, eof| scan.scan(buf, eof))
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(SheetFailure::Data(e)) => Err(e),
            Err(SheetFailure::Xml(detail)) => {
                let at = crate::data::address::cell_address(sheet, scan.row, scan.next_col);
                Err(corrupt(format!("{detail}, near {at}")))
            }
        }
    }
}

/// Sheets whose compressed XML is at least this big are inflated on a thread of their
/// own while the calling thread scans, so one huge sheet keeps both cores busy.
const PREFETCH_FROM: u64 = 4 << 20;

/// Inflated chunks in flight between the two threads: one is enough to keep both busy
/// (scanning a chunk takes longer than inflating it), and each costs 2 MiB per sheet.
const PREFETCH_DEPTH: usize = 1;

/// A `Read` over a zip entry inflated by another thread, in chunks sent over a channel
/// (and sent back for reuse, so a long sheet does not allocate per chunk).
struct PrefetchReader {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl PrefetchReader {
    /// Starts inflating `entry` of the zip at `path` on a thread of `threads`; the thread
    /// stops at the entry's end or as soon as the reader is dropped.
    fn start<'scope>(
        threads: &'scope std::thread::Scope<'scope, '_>,
        path: &'scope Path,
        entry: &'scope str,
    ) -> PrefetchReader {
        let (send_chunk, chunks) = sync_channel::<std::io::Result<Vec<u8>>>(PREFETCH_DEPTH);
        let (spent, reuse) = sync_channel::<Vec<u8>>(PREFETCH_DEPTH + 2);
        threads.spawn(move || {
            let inflate = || -> std::io::Result<()> {
                let mut zip = open_zip(path).map_err(std::io::Error::other)?;
                let mut reader = zip.by_name(entry).map_err(std::io::Error::other)?;
                loop {
                    let mut chunk = reuse.try_recv().unwrap_or_default();
                    chunk.resize(CHUNK, 0);
                    let mut filled = 0;
                    while filled < chunk.len() {
                        let n = reader.read(chunk.get_mut(filled..).unwrap_or(&mut []))?;
                        if n == 0 {
                            break;
                        }
                        filled += n;
                    }
                    chunk.truncate(filled);
                    if filled == 0 || send_chunk.send(Ok(chunk)).is_err() {
                        return Ok(());
                    }
                }
            };
            if let Err(error) = inflate() {
                // The reader may be gone already; then nobody needs the error.
                let _ = send_chunk.send(Err(error));
            }
        });
        PrefetchReader {
            chunks,
            spent,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for PrefetchReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    // A full return channel only means the buffer is dropped, not reused.
                    let _ = self.spent.try_send(used);
                    self.at = 0;
                }
                Ok(Err(error)) => return Err(error),
                Err(_) => return Ok(0),
            }
        }
        let available = self.current.get(self.at..).unwrap_or(&[]);
        let n = available.len().min(out.len());
        if let (Some(target), Some(source)) = (out.get_mut(..n), available.get(..n)) {
            target.copy_from_slice(source);
        }
        self.at += n;
        Ok(n)
    }
}

/// A sheet read stops on bad XML or on what the builder refuses (policy `fail` …).
enum SheetFailure {
    Xml(ScanError),
    Data(DataError),
}

impl From<ScanError> for SheetFailure {
    fn from(detail: ScanError) -> Self {
        SheetFailure::Xml(detail)
    }
}

impl From<DataError> for SheetFailure {
    fn from(error: DataError) -> Self {
        SheetFailure::Data(error)
    }
}

/// How far one scan of a buffer got.
struct Step {
    /// Bytes fully handled; the rest is an element cut off by the buffer's end.
    consumed: usize,
    /// Nothing more of the stream is needed.
    finished: bool,
}

/// Feeds `reader`'s bytes to `scan` in large buffers, carrying an element cut off at
/// the end of one buffer over to the next.
fn stream_elements<E: From<ScanError>>(
    mut reader: impl Read,
    mut scan: impl FnMut(&[u8], bool) -> Result<Step, E>,
) -> Result<(), E> {
    let mut buf = vec![0u8; CHUNK * 2];
    let (mut start, mut end) = (0usize, 0usize);
    let mut eof = false;
    let mut need_more = false;
    loop {
        while !eof && (end - start < CHUNK || need_more) {
            if end == buf.len() {
                if start > 0 {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                } else if buf.len() >= MAX_ELEMENT {
                    return Err(E::from(format!(
                        "an element longer than {} MB",
                        MAX_ELEMENT >> 20
                    )));
                } else {
                    buf.resize(buf.len() * 2, 0);
                }
            }
            let Some(space) = buf.get_mut(end..) else {
                break;
            };
            let n = reader
                .read(space)
                .map_err(|e| E::from(format!("the sheet cannot be decompressed: {e}")))?;
            if n == 0 {
                eof = true;
            } else {
                end += n;
                need_more = false;
            }
        }
        let window = buf.get(start..end).unwrap_or(&[]);
        let step = scan(window, eof)?;
        start += step.consumed.min(end - start);
        if step.finished || eof {
            return Ok(());
        }
        need_more = step.consumed == 0;
        if start == end {
            start = 0;
            end = 0;
        }
    }
}

/// One relationship of a `.rels` part.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn tags(xml: &[u8]) -> impl Iterator<Item = Result<Tag<'_>, ScanError>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let lt = pos + find_byte(b'<', xml.get(pos..)?)?;
        match read_tag(xml, lt) {
            Ok(Some(tag)) => {
                pos = tag.end;
                Some(Ok(tag))
            }
            Ok(None) => {
                pos = xml.len();
                Some(Err("the XML ends in the middle of a tag".to_string()))
            }
            Err(e) => {
                pos = xml.len();
                Some(Err(e))
            }
        }
    })
}

fn relationships(xml: &[u8]) -> Result<Vec<Relationship>, OpenFailure> {
    let mut found = Vec::new();
    let mut is_relationships = false;
    for tag in tags(xml) {
        let tag = tag?;
        if tag.local() == b"Relationships" {
            is_relationships = true;
        }
        if tag.kind == TagKind::Close || tag.local() != b"Relationship" {
            continue;
        }
        if tag.attr(b"TargetMode").is_some_and(|m| m == b"External") {
            continue;
        }
        let text = |name: &[u8]| tag.attr(name).map(attr_text).transpose();
        if let (Some(id), Some(kind), Some(target)) =
            (text(b"Id")?, text(b"Type")?, text(b"Target")?)
        {
            found.push(Relationship { id, kind, target });
        }
    }
    if !is_relationships {
        return Err("a relationships part that is not one".to_string());
    }
    Ok(found)
}

/// The zip entry a relationship target names, relative to `base_dir` unless absolute.
fn resolve_target(base_dir: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None if base_dir.is_empty() => target,
        None => format!("{base_dir}/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Sheet names with their relationship ids, and whether the workbook uses 1904 dates.
fn sheet_list(xml: &[u8]) -> Result<(Vec<(String, String)>, bool), OpenFailure> {
    let mut sheets = Vec::new();
    let mut date_1904 = false;
    let mut is_workbook = false;
    for tag in tags(xml) {
        let tag = tag?;
        if tag.kind == TagKind::Close {
            continue;
        }
        match tag.local() {
            b"workbook" => is_workbook = true,
            b"workbookPr" => {
                date_1904 = tag
                    .attr(b"date1904")
                    .is_some_and(|v| v == b"1" || v.eq_ignore_ascii_case(b"true"));
            }
            b"sheet" => {
                let name = tag.attr(b"name").map(attr_text).transpose()?;
                let id = tag.attr(b"id").map(attr_text).transpose()?;
                match (name, id) {
                    (Some(name), Some(id)) => sheets.push((name, id)),
                    _ => return Err("a <sheet> without name or id".to_string()),
                }
            }
            _ => {}
        }
    }
    if !is_workbook || sheets.is_empty() {
        return Err("the workbook part lists no sheets".to_string());
    }
    Ok((sheets, date_1904))
}

/// How each cell style (`s` attribute index) reads numbers, from `styles.xml`.
fn number_kinds(xml: &[u8]) -> Result<Vec<NumberKind>, OpenFailure> {
    let mut custom: HashMap<u32, NumberKind> = HashMap::new();
    let mut style_formats: Vec<u32> = Vec::new();
    let mut in_cell_xfs = false;
    let mut is_stylesheet = false;
    for tag in tags(xml) {
        let tag = tag?;
        match (tag.local(), tag.kind) {
            (b"styleSheet", TagKind::Open | TagKind::Empty) => is_stylesheet = true,
            (b"numFmt", TagKind::Open | TagKind::Empty) => {
                let id = tag.attr(b"numFmtId").and_then(parse_u32);
                let code = tag.attr(b"formatCode").map(attr_text).transpose()?;
                if let (Some(id), Some(code)) = (id, code) {
                    custom.insert(id, classify_format_code(&code));
                }
            }
            (b"cellXfs", TagKind::Open) => in_cell_xfs = true,
            (b"cellXfs", TagKind::Close) => in_cell_xfs = false,
            (b"xf", TagKind::Open | TagKind::Empty) if in_cell_xfs => {
                style_formats.push(tag.attr(b"numFmtId").and_then(parse_u32).unwrap_or(0));
            }
            _ => {}
        }
    }
    if !is_stylesheet {
        return Err("the styles part is not a stylesheet".to_string());
    }
    Ok(style_formats
        .into_iter()
        .map(|id| {
            custom
                .get(&id)
                .copied()
                .unwrap_or_else(|| builtin_number_kind(id))
        })
        .collect())
}

/// Excel's built-in number formats (ECMA-376 18.8.30): 14–22 and 45–47 are dates and
/// times, 46 is elapsed time; 27–36 and 50–58 are East Asian date formats.
fn builtin_number_kind(id: u32) -> NumberKind {
    match id {
        46 => NumberKind::Duration,
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => NumberKind::Date,
        _ => NumberKind::Plain,
    }
}

/// Whether a custom format code shows a date or time: a `d m y h s` code or AM/PM
/// outside quotes, escapes and brackets; `[h]`, `[mm]`, `[ss]` mean elapsed time. Only
/// the first section (positive numbers) counts.
fn classify_format_code(code: &str) -> NumberKind {
    let mut chars = code.chars().peekable();
    let mut kind = NumberKind::Plain;
    while let Some(c) = chars.next() {
        match c {
            ';' => break,
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let mut inside = String::new();
                for b in chars.by_ref() {
                    if b == ']' {
                        break;
                    }
                    inside.push(b);
                }
                let elapsed = !inside.is_empty()
                    && inside
                        .chars()
                        .all(|b| matches!(b.to_ascii_lowercase(), 'h' | 'm' | 's'));
                if elapsed {
                    return NumberKind::Duration;
                }
            }
            'd' | 'D' | 'm' | 'M' | 'y' | 'Y' | 'h' | 'H' | 's' | 'S' => kind = NumberKind::Date,
            'a' | 'A' => {
                let rest: String = chars
                    .clone()
                    .take(4)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if rest.starts_with("m/pm") || rest.starts_with("/p") {
                    kind = NumberKind::Date;
                }
            }
            _ => {}
        }
    }
    kind
}

fn parse_u32(raw: &[u8]) -> Option<u32> {
    let digits = raw.trim_ascii();
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    u32::try_from(n).ok()
}

/// Reads `sharedStrings.xml` into one buffer.
fn read_shared_strings(reader: impl Read) -> Result<SharedStrings, OpenFailure> {
    let mut strings = SharedStrings::default();
    stream_elements(reader, |buf: &[u8], eof: bool| -> Result<Step, ScanError> {
        let mut pos = 0;
        while let Some(found) = buf.get(pos..).and_then(|h| find_byte(b'<', h)) {
            let lt = pos + found;
            let Some(tag) = read_tag(buf, lt)? else {
                return unfinished(lt, eof);
            };
            match (tag.local(), tag.kind) {
                (b"si", TagKind::Open) => {
                    let Some((close, after)) = find_close(buf, tag.end, tag.qname) else {
                        return unfinished(lt, eof);
                    };
                    let start = strings.text.len();
                    push_rich_text(buf.get(tag.end..close).unwrap_or(&[]), &mut strings.text)?;
                    unescape_office_from(&mut strings.text, start);
                    strings.ends.push(text_end(&strings.text)?);
                    pos = after;
                }
                (b"si", TagKind::Empty) => {
                    strings.ends.push(text_end(&strings.text)?);
                    pos = tag.end;
                }
                _ => pos = tag.end,
            }
        }
        Ok(Step {
            consumed: buf.len(),
            finished: false,
        })
    })?;
    strings.text.shrink_to_fit();
    strings.ends.shrink_to_fit();
    Ok(strings)
}

/// The shared-string table's length as a string end (over 4 GiB of shared text is no
/// workbook Excel writes; calamine is left to try it).
fn text_end(text: &str) -> Result<u32, ScanError> {
    u32::try_from(text.len())
        .map_err(|_| ScanError::from("the shared strings exceed 4 GiB".to_string()))
}

/// An element cut off at `lt`: wait for more bytes, or fail at the end of the stream.
fn unfinished<E: From<ScanError>>(lt: usize, eof: bool) -> Result<Step, E> {
    if eof {
        Err(E::from(
            "the XML stops in the middle of an element, as a truncated file does".to_string(),
        ))
    } else {
        Ok(Step {
            consumed: lt,
            finished: false,
        })
    }
}

/// State of one worksheet read.
struct SheetScan<'p, 'b, 's> {
    package: &'p XlsxPackage,
    builder: &'b mut SheetBuilder<'s>,
    progress: &'b dyn Fn(usize),
    date_offset: f64,
    in_sheet_data: bool,
    /// Current 0-based row.
    row: u32,
    any_row: bool,
    /// Column of the next cell written without a reference.
    next_col: u32,
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
}

impl CellContent<'_> {
    fn is_empty(&self) -> bool {
        self.value.is_none() && self.inline.is_none() && self.plain.is_none()
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

impl SheetScan<'_, '_, '_> {
    fn scan(&mut self, buf: &[u8], eof: bool) -> Result<Step, SheetFailure> {
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
            self.builder.expect_rows(row.saturating_add(1));
        }
    }

    fn start_row(&mut self, tag: &Tag<'_>) -> Result<(), SheetFailure> {
        let row = match tag.attr(b"r") {
            Some(r) => parse_u32(r)
                .filter(|n| (1..=MAX_ROWS).contains(n))
                .map(|n| n - 1)
                .ok_or_else(|| format!("a row number '{}' out of range", lossy(r)))?,
            None if self.any_row => self.row.saturating_add(1),
            None => 0,
        };
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
            Some(r) => parse_cell_ref(r)
                .ok_or_else(|| format!("a cell reference '{}' that is not an address", lossy(r)))?,
            None => (self.row, self.next_col),
        };
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
            if self.is_nonempty(cell_type, parts) {
                self.builder.unread_cell(row)?;
            }
            return Ok(());
        }
        let shared = &self.package.shared;
        self.text.clear();
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
                    let index = parse_u32(v)
                        .ok_or_else(|| format!("a shared-string index '{}'", lossy(v)))?;
                    let text = shared.get(index as usize).ok_or_else(|| {
                        format!(
                            "shared string {index} is referenced but the workbook has only {}",
                            shared.ends.len()
                        )
                    })?;
                    RawCell::SharedText(text)
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
                return Err(SheetFailure::Xml(format!(
                    "a cell type '{}' that Excel does not write",
                    lossy(other)
                )));
            }
        };
        self.builder.cell(row, col, raw)?;
        Ok(())
    }

    /// Whether a cell nobody asked for still makes its row a data row (text counts when
    /// it has a non-blank character; it is not decoded).
    fn is_nonempty(&self, cell_type: &[u8], parts: &CellContent<'_>) -> bool {
        match cell_type {
            b"s" => parts
                .value
                .and_then(parse_u32)
                .and_then(|i| self.package.shared.get(i as usize))
                .is_none_or(|t| !t.is_empty()),
            _ => parts
                .plain
                .or(parts.inline)
                .or(parts.value)
                .is_some_and(has_visible_text),
        }
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
                if tag.local() == b"v" {
                    parts.value = Some(&[]);
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

    #[test]
    fn format_codes() {
        use NumberKind::*;
        for (code, kind) in [
            ("yyyy-mm-dd", Date),
            ("DD/MM/YY", Date),
            ("h:mm AM/PM", Date),
            ("[$-409]mmmm d, yyyy", Date),
            ("[h]:mm:ss", Duration),
            ("[mm]:ss", Duration),
            ("#,##0", Plain),
            ("0.00%", Plain),
            ("General", Plain),
            ("#,##0 \"days\"", Plain),
            ("[Red]#,##0;[Blue]-#,##0", Plain),
            ("0.00E+00", Plain),
            ("\\d0", Plain),
            ("#,##0;\"m\"", Plain),
            ("_(* #,##0_)", Plain),
        ] {
            assert_eq!(classify_format_code(code), kind, "{code}");
        }
        assert_eq!(builtin_number_kind(14), Date);
        assert_eq!(builtin_number_kind(46), Duration);
        assert_eq!(builtin_number_kind(4), Plain);
    }

    #[test]
    fn relationship_targets() {
        assert_eq!(
            resolve_target("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve_target("xl", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(resolve_target("xl/sub", "../styles.xml"), "xl/styles.xml");
        assert_eq!(resolve_target("", "xl/workbook.xml"), "xl/workbook.xml");
    }

    #[test]
    fn shared_strings_with_runs_escapes_and_empties() {
        let xml = br#"<?xml version="1.0"?><sst xmlns="x" count="4"><si><t>Direct</t></si><si/><si><r><t>Part</t></r><r><t>ner</t></r></si><si><t>a_x000A_b &amp; c</t></si></sst>"#;
        let strings = read_shared_strings(&xml[..]).unwrap();
        assert_eq!(strings.get(0), Some("Direct"));
        assert_eq!(strings.get(1), Some(""));
        assert_eq!(strings.get(2), Some("Partner"));
        assert_eq!(strings.get(3), Some("a\nb & c"));
        assert_eq!(strings.get(4), None);
    }

    fn zip_with_entry(path: &Path, name: &str, bytes: &[u8]) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn prefetching_reader_yields_the_entry_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.zip");
        // Several chunks' worth of varied bytes, so chunk edges fall mid-record.
        let bytes: Vec<u8> = (0..(CHUNK * 3 + 12_345) as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        zip_with_entry(&path, "x/entry.xml", &bytes);
        let read_back = std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "x/entry.xml");
            let mut all = Vec::new();
            reader.read_to_end(&mut all).unwrap();
            all
        });
        assert!(read_back == bytes);
        // Dropping the reader early stops the inflating thread (the scope would hang otherwise).
        std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "x/entry.xml");
            let mut first = [0u8; 10];
            reader.read_exact(&mut first).unwrap();
            assert_eq!(first, bytes[..10]);
        });
        // A missing entry is an error from the reader, not a hang or a panic.
        let missing = std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "nope.xml");
            reader.read_to_end(&mut Vec::new())
        });
        assert!(missing.is_err());
    }

    #[test]
    fn streaming_carries_elements_across_buffers() {
        // Many small shared strings: elements straddle every buffer boundary.
        let mut xml = String::from("<sst>");
        for i in 0..200_000 {
            xml.push_str(&format!("<si><t>s{i}</t></si>"));
        }
        xml.push_str("</sst>");
        let strings = read_shared_strings(xml.as_bytes()).unwrap();
        assert_eq!(strings.ends.len(), 200_000);
        assert_eq!(strings.get(123_456), Some("s123456"));
        assert!(read_shared_strings(&b"<sst><si><t>cut"[..]).is_err());
    }
}
