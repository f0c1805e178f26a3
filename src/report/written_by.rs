//! Whether a workbook already at an output path is one chanmix wrote and nobody saved
//! since: its document properties name chanmix as author and as last to save it (what
//! [`set_properties`](super::layout::set_properties) writes; Excel and LibreOffice put
//! the user's name in "last saved by" when they save).

use std::io::{BufReader, Read};
use std::path::Path;

/// Who wrote a file that is in the way of an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrittenBy {
    /// chanmix, and no one has saved it since: it may be replaced.
    Chanmix,
    /// Someone or something else; the text says what was found (`its author is "Ana"`).
    Other(String),
}

/// The author chanmix writes into every workbook's document properties.
pub const AUTHOR: &str = "chanmix";

/// Core properties larger than this are not a chanmix workbook's (ours are ~700 bytes).
const MAX_CORE_PROPERTIES: u64 = 64 << 10;

/// Reads the document properties of the workbook at `path` (opened only if it is a
/// regular file) and says who wrote it.
pub fn workbook_written_by(path: &Path) -> WrittenBy {
    let other = |why: &str| WrittenBy::Other(why.to_string());
    let Ok(file) = crate::files::open_regular(path) else {
        return other("it cannot be read");
    };
    let Ok(mut package) = zip::ZipArchive::new(BufReader::new(file)) else {
        return other("it is not an .xlsx workbook");
    };
    let Ok(entry) = package.by_name("docProps/core.xml") else {
        return other("it has no document properties");
    };
    let mut xml = String::new();
    if entry
        .take(MAX_CORE_PROPERTIES)
        .read_to_string(&mut xml)
        .is_err()
    {
        return other("its document properties cannot be read");
    }
    written_by(&xml)
}

/// Who wrote a workbook, from its `docProps/core.xml`.
fn written_by(core: &str) -> WrittenBy {
    let author = element_text(core, "dc:creator");
    let saved_by = element_text(core, "cp:lastModifiedBy");
    match (author.as_deref(), saved_by.as_deref()) {
        (Some(AUTHOR), Some(AUTHOR)) => WrittenBy::Chanmix,
        (Some(AUTHOR), Some(someone)) if !someone.is_empty() => WrittenBy::Other(format!(
            "it was saved by \"{someone}\" after chanmix wrote it"
        )),
        (Some(AUTHOR), _) => {
            WrittenBy::Other("it was saved by another program after chanmix wrote it".to_string())
        }
        (Some(author), _) if !author.is_empty() => {
            WrittenBy::Other(format!("its author is \"{author}\""))
        }
        _ => WrittenBy::Other("it names no author".to_string()),
    }
}

/// The text of the first `<name>…</name>` element, its five XML entities decoded.
fn element_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml.get(start..)?.find(&format!("</{name}>"))?;
    let raw = xml.get(start..end)?;
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(author: &str, saved_by: Option<&str>) -> String {
        let saved = saved_by.map_or(String::new(), |s| {
            format!("<cp:lastModifiedBy>{s}</cp:lastModifiedBy>")
        });
        format!(
            "<cp:coreProperties><dc:title>T</dc:title><dc:creator>{author}</dc:creator>{saved}</cp:coreProperties>"
        )
    }

    #[test]
    fn only_an_unsaved_chanmix_workbook_is_ours() {
        assert_eq!(
            written_by(&core("chanmix", Some("chanmix"))),
            WrittenBy::Chanmix
        );
        assert_eq!(
            written_by(&core("chanmix", Some("Ana &amp; Bo"))),
            WrittenBy::Other("it was saved by \"Ana & Bo\" after chanmix wrote it".into())
        );
        assert_eq!(
            written_by(&core("chanmix", None)),
            WrittenBy::Other("it was saved by another program after chanmix wrote it".into())
        );
        assert_eq!(
            written_by(&core("Jane Doe", Some("chanmix"))),
            WrittenBy::Other("its author is \"Jane Doe\"".into())
        );
        assert_eq!(
            written_by("<cp:coreProperties/>"),
            WrittenBy::Other("it names no author".into())
        );
    }
}
