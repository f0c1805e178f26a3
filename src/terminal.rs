//! Text from files and paths made safe to print: control characters (ESC, OSC, a lone
//! carriage return, C1 controls) and bidirectional overrides are shown escaped, so a
//! rule file, a cell or a file name cannot retitle, clear or repaint the user's terminal.

use std::borrow::Cow;

/// Whether printing `c` raw could drive the terminal or reorder what is shown: C0
/// controls but tab and line feed, DEL, C1 controls, and the bidirectional embeddings,
/// overrides and isolates ("Trojan Source").
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// How an unsafe character is shown: `\x1B` for C0 and DEL, `\u{9B}` above.
fn escape(c: char, out: &mut String) {
    let code = u32::from(c);
    if code < 0x80 {
        out.push_str(&format!("\\x{code:02X}"));
    } else {
        out.push_str(&format!("\\u{{{code:X}}}"));
    }
}

/// `text` with every control character escaped (`\x1B]0;title\x07` instead of a new
/// window title). Line feeds, tabs and a carriage return right before a line feed (a
/// Windows line end) stay as they are. Borrows when there is nothing to escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !needs_escaping(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if c == '\r' || is_unsafe(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escaping(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.char_indices().any(|(i, c)| {
        (c == '\r' && bytes.get(i + 1) != Some(&b'\n')) || (c != '\r' && is_unsafe(c))
    })
}

/// Output about to be printed, escaped as [`printable`] does, except the colour and
/// style sequences (`ESC [ … m`) chanmix's own renderer wrote. The last line of defence:
/// every message escapes what it echoes already; this catches anything that did not.
pub fn printable_keeping_colour(output: &str) -> Cow<'_, str> {
    if !needs_escaping(output) {
        return Cow::Borrowed(output);
    }
    let mut out = String::with_capacity(output.len() + 16);
    let mut rest = output;
    while let Some(at) = rest.find('\u{1b}') {
        let (before, from_escape) = rest.split_at(at);
        out.push_str(&printable(before));
        let sgr = sgr_length(from_escape);
        if sgr > 0 {
            out.push_str(from_escape.get(..sgr).unwrap_or_default());
            rest = from_escape.get(sgr..).unwrap_or_default();
        } else {
            out.push_str("\\x1B");
            rest = from_escape.get(1..).unwrap_or_default();
        }
    }
    out.push_str(&printable(rest));
    Cow::Owned(out)
}

/// The length of a Select Graphic Rendition sequence (`ESC [ digits;… m`) at the start
/// of `text`, or 0 when `text` does not start with one.
fn sgr_length(text: &str) -> usize {
    let Some(params) = text.strip_prefix("\u{1b}[") else {
        return 0;
    };
    let digits = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if params.as_bytes().get(digits) == Some(&b'm') {
        2 + digits + 1
    } else {
        0
    }
}

/// A text with its control characters escaped, and where each byte offset of the
/// original text went, so spans into the original still point at the same characters.
pub struct EscapedSource {
    pub text: String,
    /// (original offset of an escaped character, bytes added before and by it).
    shifts: Vec<(usize, usize)>,
}

impl EscapedSource {
    /// Escapes `text` as [`printable`] does, recording each escaped character's offset.
    pub fn new(text: &str) -> EscapedSource {
        if !needs_escaping(text) {
            return EscapedSource {
                text: text.to_string(),
                shifts: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut shifts = Vec::new();
        let mut added = 0usize;
        let bytes = text.as_bytes();
        for (at, c) in text.char_indices() {
            let keep_cr = c == '\r' && bytes.get(at + 1) == Some(&b'\n');
            if (c == '\r' && !keep_cr) || (c != '\r' && is_unsafe(c)) {
                let before = out.len();
                escape(c, &mut out);
                added += out.len() - before - c.len_utf8();
                shifts.push((at, added));
            } else {
                out.push(c);
            }
        }
        EscapedSource { text: out, shifts }
    }

    /// Where `offset` of the original text is in the escaped text. An offset at an
    /// escaped character points at the start of its escape.
    pub fn offset(&self, offset: usize) -> usize {
        // Escapes of characters that start before `offset` have shifted it.
        let before = self.shifts.partition_point(|(at, _)| *at < offset);
        let added = before
            .checked_sub(1)
            .and_then(|i| self.shifts.get(i))
            .map_or(0, |(_, added)| *added);
        offset + added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            printable("plain, tab\tand\nlines"),
            "plain, tab\tand\nlines"
        );
        assert_eq!(printable("a\u{1b}]0;owned\u{7}b"), "a\\x1B]0;owned\\x07b");
        assert_eq!(printable("\u{1b}[2J"), "\\x1B[2J");
        assert_eq!(printable("over\rwrite"), "over\\x0Dwrite");
        assert_eq!(printable("windows\r\nline"), "windows\r\nline");
        assert_eq!(printable("c1 \u{9b}31m"), "c1 \\u{9B}31m");
        assert_eq!(printable("rtl \u{202e}cod"), "rtl \\u{202E}cod");
        assert_eq!(printable("del\u{7f}"), "del\\x7F");
        assert!(matches!(printable("héllo ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn only_colour_sequences_survive_the_last_line_of_defence() {
        let ours = "\u{1b}[31merror\u{1b}[0m: \u{1b}[1;4mx\u{1b}[0m";
        assert_eq!(printable_keeping_colour(ours), ours);
        assert_eq!(
            printable_keeping_colour("\u{1b}[31mred\u{1b}]0;title\u{7}\u{1b}[2J"),
            "\u{1b}[31mred\\x1B]0;title\\x07\\x1B[2J"
        );
        assert_eq!(printable_keeping_colour("end \u{1b}"), "end \\x1B");
    }

    #[test]
    fn offsets_follow_their_characters() {
        let text = "ab\u{1b}cd\u{9b}e";
        let escaped = EscapedSource::new(text);
        assert_eq!(escaped.text, "ab\\x1Bcd\\u{9B}e");
        // 'a' 0 → 0; ESC 2 → 2; 'c' 3 → 6 (3 bytes added); C1 5..7 → 8; 'e' 7 → 14
        // (3 + 4 added).
        assert_eq!(escaped.offset(0), 0);
        assert_eq!(escaped.offset(2), 2);
        assert_eq!(escaped.offset(3), 6);
        assert_eq!(escaped.offset(5), 8);
        assert_eq!(escaped.offset(7), 14);
        assert_eq!(&escaped.text[escaped.offset(3)..escaped.offset(5)], "cd");
        assert_eq!(escaped.offset(text.len()), escaped.text.len());
    }
}
