//! The shared-string table, read lazily: `sharedStrings.xml` is parsed only as far as
//! the highest index a cell asks for, so a table of millions of strings no cell uses
//! (a tiny zip of `<si/>`) costs nothing, and what is parsed is charged to the read's
//! budget before it is stored.
//!
//! Strings are stored in immutable chunks of [`CHUNK_STRINGS`] that live as long as the
//! package, so the `&str`s a sheet read hands out keep their addresses for the whole
//! read (see [`RawCell::SharedText`](crate::data::coerce::RawCell)). Each sheet read
//! keeps its own [`SharedView`] of the chunks it has met, so a cell costs no lock.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use super::error::{OpenFailure, XmlError};
use crate::data::budget::{Exceeded, Meter};
use crate::data::xml_scan::{
    TagKind, find_byte, find_close, push_rich_text, read_tag, unescape_office_from,
};

/// Strings per chunk: parsing goes this far past the index asked for.
const CHUNK_STRINGS: usize = 1024;
/// Bytes of decompressed XML read at a time.
const WINDOW: usize = 1 << 20;
/// Largest single `<si>` element before the XML is called broken.
const MAX_ELEMENT: usize = 256 << 20;
/// What one stored string costs besides its characters (its end offset, amortized chunk).
const STRING_BYTES: u64 = 8;

/// Strings `first..first + ends.len()` of the table: one text buffer and where each ends.
#[derive(Debug)]
struct Chunk {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Chunk {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// Why a shared string could not be given.
#[derive(Debug)]
pub(super) enum SharedFailure {
    Xml(XmlError),
    Budget(Exceeded),
}

/// The package's shared-string table (possibly none), parsed on demand.
#[derive(Debug, Default)]
pub(super) struct SharedStrings {
    /// The parser, while the XML has more to give; `None` once finished (or no table).
    source: Mutex<Option<Parser>>,
    /// Every chunk parsed so far, in order; each full but perhaps the last.
    chunks: RwLock<Vec<Arc<Chunk>>>,
}

impl SharedStrings {
    /// A table read from the zip entry at `data_start` of the file at `path`
    /// (`deflated` or stored, `compressed` bytes that inflate to `inflated`).
    pub(super) fn lazy(
        path: &Path,
        data_start: u64,
        compressed: u64,
        inflated: u64,
        deflated: bool,
    ) -> Result<SharedStrings, OpenFailure> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(data_start))?;
        let raw = BufReader::new(file).take(compressed);
        // The zip says how much the part inflates to; nothing past that is read.
        let reader: Box<dyn Read + Send> = if deflated {
            Box::new(flate2::read::DeflateDecoder::new(raw).take(inflated))
        } else {
            Box::new(raw.take(inflated))
        };
        Ok(SharedStrings {
            source: Mutex::new(Some(Parser::new(reader))),
            chunks: RwLock::new(Vec::new()),
        })
    }

    /// A table parsed from XML in memory (tests).
    #[cfg(test)]
    fn from_xml(xml: &'static [u8]) -> SharedStrings {
        SharedStrings {
            source: Mutex::new(Some(Parser::new(Box::new(xml)))),
            chunks: RwLock::new(Vec::new()),
        }
    }

    /// A view for one sheet read.
    pub(super) fn view(&self) -> SharedView<'_> {
        SharedView {
            table: self,
            local: Vec::new(),
        }
    }

    /// Chunk `k`, parsing up to it if needed; `None` when the table has fewer strings.
    fn chunk(&self, k: usize, meter: &mut Meter) -> Result<Option<Arc<Chunk>>, SharedFailure> {
        if let Some(chunk) = self.chunks.read().ok().and_then(|c| c.get(k).cloned()) {
            return Ok(Some(chunk));
        }
        let Ok(mut source) = self.source.lock() else {
            return Ok(None);
        };
        loop {
            // Another thread may have parsed it while this one waited for the lock.
            match self.chunks.read() {
                Ok(chunks) => {
                    if let Some(chunk) = chunks.get(k) {
                        return Ok(Some(Arc::clone(chunk)));
                    }
                }
                Err(_) => return Ok(None),
            }
            let Some(parser) = source.as_mut() else {
                return Ok(None);
            };
            let parsed = parser.next_chunk(meter);
            let (chunk, finished) = match parsed {
                Ok(parsed) => parsed,
                Err(failure) => {
                    // A broken table stays broken; the failing read reports why.
                    *source = None;
                    return Err(failure);
                }
            };
            if finished {
                *source = None;
            }
            match (chunk, self.chunks.write()) {
                (Some(chunk), Ok(mut chunks)) => chunks.push(Arc::new(chunk)),
                _ => return Ok(None),
            }
        }
    }

    /// How many strings are known so far (for messages: "only N").
    fn known(&self) -> usize {
        self.chunks.read().map_or(0, |chunks| {
            chunks.iter().map(|c| c.ends.len()).sum::<usize>()
        })
    }
}

/// One sheet read's access to the table: the chunks it has met, held without a lock.
pub(super) struct SharedView<'p> {
    table: &'p SharedStrings,
    local: Vec<Option<Arc<Chunk>>>,
}

impl SharedView<'_> {
    /// String `index`; `Ok(None)` when the table has fewer strings.
    pub(super) fn get(
        &mut self,
        index: u32,
        meter: &mut Meter,
    ) -> Result<Option<&str>, SharedFailure> {
        let index = index as usize;
        let (k, i) = (index / CHUNK_STRINGS, index % CHUNK_STRINGS);
        if self.local.get(k).is_none_or(Option::is_none) {
            let Some(chunk) = self.table.chunk(k, meter)? else {
                return Ok(None);
            };
            if self.local.len() <= k {
                self.local.resize(k + 1, None);
            }
            if let Some(slot) = self.local.get_mut(k) {
                *slot = Some(chunk);
            }
        }
        Ok(self
            .local
            .get(k)
            .and_then(Option::as_ref)
            .and_then(|chunk| chunk.get(i)))
    }

    /// How many strings the table is known to hold (all of them once a missing index
    /// was asked for).
    pub(super) fn known(&self) -> usize {
        self.table.known()
    }
}

/// The resumable parse of `sharedStrings.xml`.
struct Parser {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Parser")
    }
}

impl Parser {
    fn new(reader: Box<dyn Read + Send>) -> Self {
        Parser {
            reader,
            buf: vec![0; WINDOW],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more bytes, keeping `buf[start..end]`; grows the buffer when an element
    /// fills it. Returns how many bytes came in (0 at the end of the part).
    fn refill(&mut self, meter: &mut Meter) -> Result<usize, SharedFailure> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_ELEMENT {
                return Err(SharedFailure::Xml(XmlError::ElementTooLong {
                    limit_mb: MAX_ELEMENT >> 20,
                }));
            }
            let grown = self.buf.len() * 2;
            meter
                .charge(grown as u64 - self.buf.len() as u64)
                .map_err(SharedFailure::Budget)?;
            self.buf.resize(grown, 0);
        }
        let space = self.buf.get_mut(self.end..).unwrap_or_default();
        let n = self
            .reader
            .read(space)
            .map_err(|e| SharedFailure::Xml(XmlError::Inflate(e)))?;
        meter.budget().note_content(n as u64);
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(n)
    }

    /// The next [`CHUNK_STRINGS`] strings (fewer at the end), and whether the part is
    /// finished. Each string is charged to `meter` before it is stored.
    fn next_chunk(&mut self, meter: &mut Meter) -> Result<(Option<Chunk>, bool), SharedFailure> {
        let mut text = String::new();
        let mut ends: Vec<u32> = Vec::with_capacity(CHUNK_STRINGS);
        let xml = |e| SharedFailure::Xml(XmlError::Markup(e));
        while ends.len() < CHUNK_STRINGS {
            let window = self.buf.get(self.start..self.end).unwrap_or_default();
            let Some(found) = find_byte(b'<', window) else {
                self.start = self.end;
                if self.eof || self.refill(meter)? == 0 {
                    break;
                }
                continue;
            };
            let lt = self.start + found;
            let window = self.buf.get(..self.end).unwrap_or_default();
            let Some(tag) = read_tag(window, lt).map_err(xml)? else {
                self.start = lt;
                if self.eof || self.refill(meter)? == 0 {
                    return Err(SharedFailure::Xml(XmlError::Truncated));
                }
                continue;
            };
            match (tag.local(), tag.kind) {
                (b"si", TagKind::Open) => {
                    let Some((close, after)) = find_close(window, tag.end, tag.qname) else {
                        self.start = lt;
                        if self.eof || self.refill(meter)? == 0 {
                            return Err(SharedFailure::Xml(XmlError::Truncated));
                        }
                        continue;
                    };
                    let content = window.get(tag.end..close).unwrap_or_default();
                    // The decoded text is never longer than its markup.
                    meter
                        .charge(STRING_BYTES + content.len() as u64)
                        .map_err(SharedFailure::Budget)?;
                    let from = text.len();
                    push_rich_text(content, &mut text).map_err(xml)?;
                    unescape_office_from(&mut text, from);
                    ends.push(text_end(&text)?);
                    self.start = after;
                }
                (b"si", TagKind::Empty) => {
                    meter.charge(STRING_BYTES).map_err(SharedFailure::Budget)?;
                    ends.push(text_end(&text)?);
                    self.start = tag.end;
                }
                _ => self.start = tag.end,
            }
        }
        let finished = ends.len() < CHUNK_STRINGS;
        if finished {
            // Nothing more will be parsed: give the window back.
            self.buf = Vec::new();
        }
        let chunk = (!ends.is_empty()).then(|| Chunk {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        });
        Ok((chunk, finished))
    }
}

/// A chunk's text length as a string end (a chunk of over 4 GiB is no workbook's).
fn text_end(text: &str) -> Result<u32, SharedFailure> {
    u32::try_from(text.len()).map_err(|_| SharedFailure::Xml(XmlError::SharedStringsTooLarge))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(view: &mut SharedView<'_>, index: u32) -> Option<String> {
        let mut meter = Meter::default();
        view.get(index, &mut meter)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .map(str::to_string)
    }

    #[test]
    fn shared_strings_with_runs_escapes_and_empties() {
        let table = SharedStrings::from_xml(
            br#"<?xml version="1.0"?><sst xmlns="x" count="4"><si><t>Direct</t></si><si/><si><r><t>Part</t></r><r><t>ner</t></r></si><si><t>a_x000A_b &amp; c</t></si></sst>"#,
        );
        let mut view = table.view();
        assert_eq!(get(&mut view, 0).as_deref(), Some("Direct"));
        assert_eq!(get(&mut view, 1).as_deref(), Some(""));
        assert_eq!(get(&mut view, 2).as_deref(), Some("Partner"));
        assert_eq!(get(&mut view, 3).as_deref(), Some("a\nb & c"));
        assert_eq!(get(&mut view, 4), None);
        assert_eq!(view.known(), 4);
    }

    #[test]
    fn streaming_carries_elements_across_windows_and_stops_early() {
        // Many small shared strings: elements straddle every window boundary.
        let mut xml = String::from("<sst>");
        for i in 0..200_000 {
            xml.push_str(&format!("<si><t>s{i}</t></si>"));
        }
        xml.push_str("</sst>");
        let xml: &'static [u8] = Box::leak(xml.into_bytes().into_boxed_slice());
        let table = SharedStrings::from_xml(xml);
        let mut view = table.view();
        // Asking for string 5 parses one chunk, not the table.
        assert_eq!(get(&mut view, 5).as_deref(), Some("s5"));
        assert_eq!(view.known(), CHUNK_STRINGS);
        assert_eq!(get(&mut view, 123_456).as_deref(), Some("s123456"));
        assert_eq!(get(&mut view, 199_999).as_deref(), Some("s199999"));
        assert_eq!(get(&mut view, 200_000), None);
        assert_eq!(view.known(), 200_000);
        // Addresses stay put: a string read again is the same slice.
        let mut meter = Meter::default();
        let a = view.get(7, &mut meter).unwrap().unwrap().as_ptr();
        let b = view.get(7, &mut meter).unwrap().unwrap().as_ptr();
        assert_eq!(a, b);

        let cut = SharedStrings::from_xml(b"<sst><si><t>cut");
        assert!(matches!(
            cut.view().get(0, &mut Meter::default()),
            Err(SharedFailure::Xml(XmlError::Truncated))
        ));
    }

    #[test]
    fn parsing_is_charged_before_storing() {
        use crate::data::budget::ReadBudget;
        // 200,000 empty strings charge 8 bytes each: more than a 1 MiB flat limit.
        let xml: &'static [u8] = Box::leak(
            format!("<sst>{}</sst>", "<si/>".repeat(200_000))
                .into_bytes()
                .into_boxed_slice(),
        );
        let table = SharedStrings::from_xml(xml);
        let mut meter = Meter::new(Arc::new(ReadBudget::with_flat_limit(Some(1 << 20))));
        let mut view = table.view();
        assert_eq!(view.get(10, &mut meter).unwrap(), Some(""));
        assert!(matches!(
            view.get(199_999, &mut meter),
            Err(SharedFailure::Budget(_))
        ));
    }
}
