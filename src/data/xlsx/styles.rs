//! Which cell styles are dates: `styles.xml`'s cell formats against Excel's built-in
//! number formats and the usual reading of custom format codes.

use std::collections::HashMap;

use super::error::OpenFailure;
use crate::data::xml_scan::{TagKind, attr_text, parse_u32, tags};

/// How a number cell's style says to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberKind {
    Plain,
    Date,
    /// Elapsed time such as `[h]:mm`.
    Duration,
}

/// How each cell style (`s` attribute index) reads numbers, from `styles.xml`.
pub(super) fn number_kinds(xml: &[u8]) -> Result<Vec<NumberKind>, OpenFailure> {
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
        return Err(OpenFailure::NotAStylesheet);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
