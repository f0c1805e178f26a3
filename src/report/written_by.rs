//! Whether a workbook already at an output path is one chanmix wrote and nobody saved
//! since: its document properties name chanmix as author and as last to save it (what
//! [`set_properties`](super::layout::set_properties) writes; Excel and LibreOffice put
//! the user's name in "last saved by" when they save), or it is a sample workbook
//! (`chanmix sample-data`'s title and command, saved by no one).

use std::io::{BufReader, Read};
use std::path::Path;

use crate::data::sample::{SAMPLE_COMMAND, SAMPLE_TITLE};

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
    let sample = element_text(core, "dc:title").as_deref() == Some(SAMPLE_TITLE)
        && element_text(core, "dc:description").is_some_and(|d| d.starts_with(SAMPLE_COMMAND));
    if sample && author.as_deref().unwrap_or("").is_empty() {
        return match saved_by.as_deref() {
            None | Some("") => WrittenBy::Chanmix,
            Some(someone) => WrittenBy::Other(format!(
                "it was saved by \"{someone}\" after chanmix wrote it"
            )),
        };
    }
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

    #[test]
    fn a_sample_workbook_is_ours_until_someone_saves_it() {
        let sample = |saved_by: &str| {
            format!(
                "<dc:title>chanmix sample CRM data</dc:title><dc:creator></dc:creator>\
                 <dc:description>chanmix sample-data --rows 5 --seed 1</dc:description>\
                 <cp:lastModifiedBy>{saved_by}</cp:lastModifiedBy>"
            )
        };
        assert_eq!(written_by(&sample("")), WrittenBy::Chanmix);
        assert_eq!(
            written_by(&sample("Ana")),
            WrittenBy::Other("it was saved by \"Ana\" after chanmix wrote it".into())
        );
        // The title alone does not make a workbook ours.
        assert_eq!(
            written_by("<dc:title>chanmix sample CRM data</dc:title><dc:creator></dc:creator>"),
            WrittenBy::Other("it names no author".into())
        );
    }
}
