//! The shared-string table: `sharedStrings.xml` streamed into one text buffer with the
//! end of each string, so sheet reads hand out `&str`s whose addresses stay fixed.

use std::io::Read;

use super::error::XmlError;
use super::stream::{Step, stream_elements, unfinished};
use crate::data::xml_scan::{
    TagKind, find_byte, find_close, push_rich_text, read_tag, unescape_office_from,
};

/// The shared-string table: one text buffer and where each string ends, so a sheet
/// read can hand out `&str`s whose addresses stay fixed (see [`RawCell::SharedText`]).
#[derive(Debug, Default)]
pub(super) struct SharedStrings {
    text: String,
    /// End of each string in `text` (4 bytes each: a million IDs cost 4 MB, not 8).
    ends: Vec<u32>,
}

impl SharedStrings {
    pub(super) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// How many strings the table has.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Reads `sharedStrings.xml` into one buffer.
pub(super) fn read_shared_strings(reader: impl Read) -> Result<SharedStrings, XmlError> {
    let mut strings = SharedStrings::default();
    stream_elements(reader, |buf: &[u8], eof: bool| -> Result<Step, XmlError> {
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
fn text_end(text: &str) -> Result<u32, XmlError> {
    u32::try_from(text.len()).map_err(|_| XmlError::SharedStringsTooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

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
