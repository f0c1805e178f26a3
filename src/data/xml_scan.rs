//! A small, fast scanner for the XML inside .xlsx packages: finds tags and their
//! attributes in a byte buffer, decodes character data (entities, `_xHHHH_` escapes),
//! and tells an element cut off at the end of a buffer from a malformed one.
//!
//! It is not a general XML parser: it knows the shapes SpreadsheetML uses (elements,
//! attributes, character data, comments, processing instructions, CDATA) and ignores
//! namespaces except for stripping a prefix (`x:c` is `c`), which some exporters write.

use memchr::{memchr, memchr2, memmem};
use thiserror::Error;

/// What kind of markup a `<` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// `<name …>`
    Open,
    /// `<name …/>`
    Empty,
    /// `</name>`
    Close,
    /// `<?…?>`, `<!--…-->`, `<!DOCTYPE …>`, `<![CDATA[…]]>` outside character data.
    Other,
}

/// One tag found in a buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'a> {
    pub kind: TagKind,
    /// The name as written, with its prefix (`x:c`).
    pub qname: &'a [u8],
    /// The raw attribute text between the name and `>` or `/>`.
    pub attrs: &'a [u8],
    /// Offset just past the tag's `>`.
    pub end: usize,
}

impl<'a> Tag<'a> {
    /// The name without its namespace prefix.
    pub fn local(&self) -> &'a [u8] {
        local_name(self.qname)
    }

    /// The value of attribute `name` (matched on its local name), still escaped.
    pub fn attr(&self, name: &[u8]) -> Option<&'a [u8]> {
        find_attr(self.attrs, name)
    }
}

/// Position of `needle` in `hay`: a plain loop over the first bytes (most searches here
/// end within a few bytes, where `memchr`'s setup costs more than it saves), then `memchr`.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 24;
    let head = hay.get(..SHORT).unwrap_or(hay);
    if let Some(i) = head.iter().position(|b| *b == needle) {
        return Some(i);
    }
    if hay.len() <= SHORT {
        return None;
    }
    memchr(needle, hay.get(SHORT..)?).map(|i| i + SHORT)
}

/// The name without its namespace prefix.
pub(crate) fn local_name(qname: &[u8]) -> &[u8] {
    match memchr(b':', qname) {
        Some(i) => qname.get(i + 1..).unwrap_or(qname),
        None => qname,
    }
}

/// A malformed or unsupported piece of XML; the message is shown to the user (inside
/// the error that names the sheet and cell).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum ScanError {
    #[error("a '<' not followed by an element name")]
    NoElementName,
    #[error("text that is not valid UTF-8")]
    NotUtf8,
    #[error("a CDATA section without its end")]
    UnendedCdata,
    #[error("markup inside a text value")]
    MarkupInText,
    #[error("an '&' that does not start an entity (write &amp;)")]
    BareAmpersand,
    #[error("an unknown entity '&{0};'")]
    UnknownEntity(String),
    #[error("an unfinished tag in a text")]
    UnfinishedTagInText,
    #[error("a <t> text without its end")]
    UnendedText,
    #[error("the XML ends in the middle of a tag")]
    TagCutOff,
}

/// Reads the tag starting at `buf[lt]` (which must be `<`). `Ok(None)` means the tag
/// is cut off by the end of the buffer.
pub(crate) fn read_tag(buf: &[u8], lt: usize) -> Result<Option<Tag<'_>>, ScanError> {
    let Some(rest) = buf.get(lt + 1..) else {
        return Ok(None);
    };
    let Some(&first) = rest.first() else {
        return Ok(None);
    };
    if first == b'?' || first == b'!' {
        let terminator: &[u8] = if rest.starts_with(b"!--") {
            b"-->"
        } else if rest.starts_with(b"![CDATA[") {
            b"]]>"
        } else if first == b'?' {
            b"?>"
        } else if rest.len() < 8 {
            // Could still become `<!--` or `<![CDATA[` once more bytes arrive.
            return Ok(None);
        } else {
            b">"
        };
        return Ok(memmem::find(rest, terminator).map(|i| Tag {
            kind: TagKind::Other,
            qname: &[],
            attrs: &[],
            end: lt + 1 + i + terminator.len(),
        }));
    }
    let closing = first == b'/';
    let name_start = lt + 1 + usize::from(closing);
    let Some(after) = buf.get(name_start..) else {
        return Ok(None);
    };
    let name_len = after
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))
        .unwrap_or(after.len());
    if name_len == after.len() {
        return Ok(None);
    }
    let qname = &after[..name_len];
    if qname.is_empty() {
        return Err(ScanError::NoElementName);
    }
    // Find the `>` that ends the tag, skipping any inside quoted attribute values.
    let attrs_start = name_start + name_len;
    let mut quote: Option<u8> = None;
    let mut at = attrs_start;
    loop {
        let Some(&byte) = buf.get(at) else {
            return Ok(None);
        };
        match (quote, byte) {
            (None, b'>') => break,
            (None, b'"' | b'\'') => quote = Some(byte),
            (Some(q), b) if b == q => quote = None,
            _ => {}
        }
        at += 1;
    }
    let self_closing = at > attrs_start && buf.get(at - 1) == Some(&b'/');
    let attrs_end = if self_closing { at - 1 } else { at };
    let kind = if closing {
        TagKind::Close
    } else if self_closing {
        TagKind::Empty
    } else {
        TagKind::Open
    };
    Ok(Some(Tag {
        kind,
        qname,
        attrs: buf.get(attrs_start..attrs_end).unwrap_or(&[]),
        end: at + 1,
    }))
}

/// Finds `</qname>` (with optional whitespace before `>`) at or after `from`; returns
/// (start of the closing tag, offset just past it). Character data never holds a raw
/// `<`, so looking from one `<` to the next is enough.
pub(crate) fn find_close(buf: &[u8], from: usize, qname: &[u8]) -> Option<(usize, usize)> {
    let mut i = from;
    loop {
        let at = i + find_byte(b'<', buf.get(i..)?)?;
        if buf.get(at + 1) == Some(&b'/') {
            let name_start = at + 2;
            let name_end = name_start + qname.len();
            let name = buf.get(name_start..name_end)?;
            if same(name, qname) {
                let mut j = name_end;
                loop {
                    match buf.get(j)? {
                        b'>' => return Some((at, j + 1)),
                        b' ' | b'\t' | b'\r' | b'\n' => j += 1,
                        _ => break,
                    }
                }
            }
        }
        i = at + 1;
    }
}

/// Byte-slice equality for the short names compared here, without a `memcmp` call.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Calls `each(name, value)` for every attribute, values still escaped; stops at the
/// first malformed attribute.
pub(crate) fn for_each_attr<'a>(attrs: &'a [u8], mut each: impl FnMut(&'a [u8], &'a [u8])) {
    let mut i = 0;
    while i < attrs.len() {
        while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let name_start = i;
        while attrs
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'=')
        {
            i += 1;
        }
        let Some(name) = attrs.get(name_start..i) else {
            return;
        };
        while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if attrs.get(i) != Some(&b'=') {
            return;
        }
        i += 1;
        while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let Some(&quote) = attrs.get(i) else {
            return;
        };
        if quote != b'"' && quote != b'\'' {
            return;
        }
        let value_start = i + 1;
        let Some(value_len) = attrs
            .get(value_start..)
            .and_then(|rest| find_byte(quote, rest))
        else {
            return;
        };
        let Some(value) = attrs.get(value_start..value_start + value_len) else {
            return;
        };
        i = value_start + value_len + 1;
        each(name, value);
    }
}

fn find_attr<'a>(attrs: &'a [u8], wanted: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    for_each_attr(attrs, |name, value| {
        let matches =
            same(name, wanted) || (same(local_name(name), wanted) && name.contains(&b':'));
        if found.is_none() && matches {
            found = Some(value);
        }
    });
    found
}

/// Appends a cell's text to `out`: [`push_text`] then [`unescape_office`], with a fast
/// path for the usual plain ASCII text that has nothing to decode.
pub(crate) fn push_cell_text(raw: &[u8], out: &mut String) -> Result<(), ScanError> {
    let plain = raw.len() <= 64
        && raw
            .iter()
            .all(|&b| b < 0x80 && b != b'&' && b != b'<' && b != b'_');
    if plain && let Ok(text) = std::str::from_utf8(raw) {
        out.push_str(text);
        return Ok(());
    }
    let start = out.len();
    push_text(raw, out)?;
    unescape_office_from(out, start);
    Ok(())
}

/// [`unescape_office`] on `text[start..]` only (the part just appended).
pub(crate) fn unescape_office_from(text: &mut String, start: usize) {
    if text
        .get(start..)
        .is_some_and(|t| has_office_escape(t.as_bytes()))
    {
        let mut tail = text.split_off(start);
        unescape_office(&mut tail);
        text.push_str(&tail);
    }
}

/// Appends XML character data to `out`: checks UTF-8, decodes the five entities and
/// character references, and copies CDATA sections as they are.
pub(crate) fn push_text(raw: &[u8], out: &mut String) -> Result<(), ScanError> {
    let plain = raw.len() <= 64 && raw.iter().all(|&b| b < 0x80 && b != b'&' && b != b'<');
    if plain && let Ok(text) = std::str::from_utf8(raw) {
        out.push_str(text);
        return Ok(());
    }
    let text = std::str::from_utf8(raw).map_err(|_| ScanError::NotUtf8)?;
    let mut rest = text;
    loop {
        let Some(special) = memchr2(b'&', b'<', rest.as_bytes()) else {
            out.push_str(rest);
            return Ok(());
        };
        out.push_str(&rest[..special]);
        rest = &rest[special..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").ok_or(ScanError::UnendedCdata)?;
            out.push_str(&cdata[..end]);
            rest = &cdata[end + 3..];
            continue;
        }
        if rest.starts_with('<') {
            return Err(ScanError::MarkupInText);
        }
        let head = &rest.as_bytes()[..12.min(rest.len())];
        let end = memchr(b';', head).ok_or(ScanError::BareAmpersand)?;
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| ScanError::UnknownEntity(entity.to_string()))?
            }
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
}

/// Decodes Office's `_xHHHH_` escapes (used for control characters and for a literal
/// `_x` sequence, written `_x005F_`) in place; UTF-16 surrogate pairs are joined and a
/// lone surrogate becomes U+FFFD.
pub(crate) fn unescape_office(text: &mut String) {
    if !has_office_escape(text.as_bytes()) {
        return;
    }
    unescape_office_slow(text);
}

fn unescape_office_slow(text: &mut String) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut pending_high: Option<u32> = None;
    while let Some(at) = rest.find("_x") {
        let unit = rest
            .get(at + 2..at + 7)
            .filter(|s| s.ends_with('_'))
            .and_then(|s| u32::from_str_radix(&s[..4], 16).ok());
        let Some(unit) = unit else {
            flush_high(&mut out, &mut pending_high);
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        };
        if at > 0 {
            flush_high(&mut out, &mut pending_high);
            out.push_str(&rest[..at]);
        }
        match (pending_high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let code = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (high, 0xD800..=0xDBFF) => {
                if high.is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                pending_high = Some(unit);
            }
            (high, _) => {
                if high.is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
        rest = &rest[at + 7..];
    }
    flush_high(&mut out, &mut pending_high);
    out.push_str(rest);
    *text = out;
}

/// Whether `_x` occurs (cheaply: a `memchr` for `_`, which is rare in CRM text).
fn has_office_escape(text: &[u8]) -> bool {
    if text.len() <= 64 {
        return text.windows(2).any(|w| w == b"_x");
    }
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|t| memchr(b'_', t)) {
        if text.get(from + at + 1) == Some(&b'x') {
            return true;
        }
        from += at + 1;
    }
    false
}

fn flush_high(out: &mut String, pending: &mut Option<u32>) {
    if pending.take().is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
}

/// Appends the text of a rich-text container (`<si>` or `<is>` content) to `out`:
/// a plain `<t>` or the `<t>` of each `<r>` run; phonetic guides (`<rPh>`) are not
/// part of the text. Without `xml:space="preserve"`, a `<t>`'s surrounding ASCII
/// whitespace is dropped, as Excel does.
pub(crate) fn push_rich_text(content: &[u8], out: &mut String) -> Result<(), ScanError> {
    let mut pos = 0;
    while let Some(found) = content.get(pos..).and_then(|h| find_byte(b'<', h)) {
        let lt = pos + found;
        let tag = read_tag(content, lt)?.ok_or(ScanError::UnfinishedTagInText)?;
        pos = tag.end;
        if tag.kind == TagKind::Close || tag.kind == TagKind::Other {
            continue;
        }
        match tag.local() {
            b"t" if tag.kind == TagKind::Open => {
                let (close, after) =
                    find_close(content, tag.end, tag.qname).ok_or(ScanError::UnendedText)?;
                let raw = content.get(tag.end..close).unwrap_or(&[]);
                let preserve = tag.attr(b"space").is_some_and(|v| v == b"preserve");
                let start = out.len();
                push_text(raw, out)?;
                if !preserve {
                    trim_ascii_whitespace_from(out, start);
                }
                pos = after;
            }
            b"rPh" if tag.kind == TagKind::Open => {
                pos = find_close(content, tag.end, tag.qname)
                    .map_or(content.len(), |(_, after)| after);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Trims ASCII whitespace from `out[start..]` (the part just appended).
pub(crate) fn trim_ascii_whitespace_from(out: &mut String, start: usize) {
    let appended = out.get(start..).unwrap_or("");
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
    if !blank(appended.as_bytes().first()) && !blank(appended.as_bytes().last()) {
        return;
    }
    let trimmed = appended.trim_matches([' ', '\t', '\r', '\n']);
    if trimmed.len() == appended.len() {
        return;
    }
    let trimmed = trimmed.to_string();
    out.truncate(start);
    out.push_str(&trimmed);
}

/// Every tag of a whole XML part held in memory (a metadata part), in order; a tag cut
/// off by the end of the part is an error.
pub(crate) fn tags(xml: &[u8]) -> impl Iterator<Item = Result<Tag<'_>, ScanError>> {
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
                Some(Err(ScanError::TagCutOff))
            }
            Err(e) => {
                pos = xml.len();
                Some(Err(e))
            }
        }
    })
}

/// An unsigned number as SpreadsheetML writes it in an attribute or a value (a style,
/// shared-string or row index): ASCII digits, with whitespace around them allowed.
#[inline]
pub(crate) fn parse_u32(raw: &[u8]) -> Option<u32> {
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

/// An attribute value decoded to text (entities resolved).
pub(crate) fn attr_text(raw: &[u8]) -> Result<String, ScanError> {
    let mut out = String::with_capacity(raw.len());
    push_text(raw, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rich(xml: &str) -> String {
        let mut out = String::new();
        push_rich_text(xml.as_bytes(), &mut out).unwrap();
        out
    }

    #[test]
    fn tags_with_prefixes_quotes_and_self_closing() {
        let buf = br#"<x:c r="B2" t='s' note="a>b"/>rest"#;
        let tag = read_tag(buf, 0).unwrap().unwrap();
        assert_eq!(tag.kind, TagKind::Empty);
        assert_eq!(tag.local(), b"c");
        assert_eq!(tag.attr(b"r"), Some(&b"B2"[..]));
        assert_eq!(tag.attr(b"t"), Some(&b"s"[..]));
        assert_eq!(tag.attr(b"note"), Some(&b"a>b"[..]));
        assert_eq!(&buf[tag.end..], b"rest");
    }

    #[test]
    fn a_cut_tag_asks_for_more() {
        assert!(read_tag(b"<c r=\"A1", 0).unwrap().is_none());
        assert!(read_tag(b"<c r=\"A1\"", 0).unwrap().is_none());
        assert!(read_tag(b"<", 0).unwrap().is_none());
        assert!(read_tag(b"<!-", 0).unwrap().is_none());
        assert!(read_tag(b"<!-- x --", 0).unwrap().is_none());
    }

    #[test]
    fn prefixed_attribute_matches_local_name_only_when_prefixed() {
        let tag = read_tag(br#"<sheet name="A" r:id="rId3"/>"#, 0)
            .unwrap()
            .unwrap();
        assert_eq!(tag.attr(b"id"), Some(&b"rId3"[..]));
        assert_eq!(tag.attr(b"name"), Some(&b"A"[..]));
        assert_eq!(tag.attr(b"sheetId"), None);
    }

    #[test]
    fn entities_and_character_references() {
        let mut out = String::new();
        push_text(b"R&amp;D &lt;&gt; &#233;&#x20AC;", &mut out).unwrap();
        assert_eq!(out, "R&D <> é€");
        assert!(push_text(b"AT&T", &mut String::new()).is_err());
        assert!(push_text(b"&bogus;", &mut String::new()).is_err());
    }

    #[test]
    fn rich_text_joins_runs_and_skips_phonetics() {
        assert_eq!(rich("<t>plain</t>"), "plain");
        assert_eq!(
            rich(r#"<r><rPr><b/></rPr><t>Big </t></r><r><t xml:space="preserve"> deal</t></r>"#),
            "Big deal"
        );
        assert_eq!(
            rich("<t>東京</t><rPh sb=\"0\" eb=\"2\"><t>トウキョウ</t></rPh>"),
            "東京"
        );
        assert_eq!(rich("<t/>"), "");
        assert_eq!(rich(r#"<t xml:space="preserve">  x  </t>"#), "  x  ");
        assert_eq!(rich("<t>\n  x \n</t>"), "x");
    }

    #[test]
    fn office_escapes() {
        let mut s = "a_x000D_b_x005F_x0041_c".to_string();
        unescape_office(&mut s);
        assert_eq!(s, "a\rb_x0041_c");
        let mut pair = "_xD83D__xDE00_".to_string();
        unescape_office(&mut pair);
        assert_eq!(pair, "\u{1F600}");
        let mut lone = "_xD83D_x".to_string();
        unescape_office(&mut lone);
        assert_eq!(lone, "\u{FFFD}x");
        let mut plain = "max_x".to_string();
        unescape_office(&mut plain);
        assert_eq!(plain, "max_x");
    }

    #[test]
    fn closing_tag_search_respects_the_whole_name() {
        let buf = b"<v>1</vx></v>";
        assert_eq!(find_close(buf, 3, b"v"), Some((9, 13)));
        assert_eq!(find_close(b"</v", 0, b"v"), None);
    }
}
