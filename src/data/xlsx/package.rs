//! Opening a package: the zip, its relationships, the workbook's sheet list and date
//! system, the styles and shared strings (read once, shared by every sheet read).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use zip::ZipArchive;

use super::error::OpenFailure;
use super::shared_strings::SharedStrings;
use super::styles::number_kinds;
use super::{SheetEntry, XlsxPackage};
use crate::data::xml_scan::{TagKind, attr_text, tags};

/// Largest metadata part (workbook, relationships, styles) we read into memory.
const MAX_METADATA_PART: u64 = 64 << 20;

pub(super) fn open_zip(path: &Path) -> Result<ZipArchive<BufReader<File>>, OpenFailure> {
    let file = File::open(path)?;
    Ok(ZipArchive::new(BufReader::new(file))?)
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
            .map(|(name, id, hidden)| {
                let part = target_of(&id)
                    .filter(|(kind, _)| kind.ends_with("/worksheet"))
                    .map(|(_, part)| part);
                SheetEntry { name, part, hidden }
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
                .ok_or_else(|| OpenFailure::MissingPart(strings_part.clone()))?;
            // Parsed as far as cells ask, from the part's bytes in the file.
            let entry = zip.by_name(&name)?;
            let deflated = match entry.compression() {
                zip::CompressionMethod::Deflated => true,
                zip::CompressionMethod::Stored => false,
                other => return Err(OpenFailure::Compression(format!("{other:?}"))),
            };
            let start = entry
                .data_start()
                .ok_or_else(|| OpenFailure::MissingPart(strings_part.clone()))?;
            let (compressed, inflated) = (entry.compressed_size(), entry.size());
            drop(entry);
            package.shared = SharedStrings::lazy(path, start, compressed, inflated, deflated)?;
        }
        Ok(Arc::new(package))
    }

    pub(super) fn entry_name(&self, part: &str) -> Option<String> {
        self.entries.get(&part.to_ascii_lowercase()).cloned()
    }

    fn read_small(
        &self,
        zip: &mut ZipArchive<BufReader<File>>,
        part: &str,
    ) -> Result<Vec<u8>, OpenFailure> {
        let name = self
            .entry_name(part)
            .ok_or_else(|| OpenFailure::MissingPart(part.to_string()))?;
        let entry = zip.by_name(&name)?;
        let mut bytes = Vec::new();
        entry.take(MAX_METADATA_PART).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// One relationship of a `.rels` part.
struct Relationship {
    id: String,
    kind: String,
    target: String,
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
        return Err(OpenFailure::NotRelationships);
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

/// Sheet names with their relationship ids and whether each is hidden (`state` hidden or
/// veryHidden), and whether the workbook uses 1904 dates.
#[allow(clippy::type_complexity)]
fn sheet_list(xml: &[u8]) -> Result<(Vec<(String, String, bool)>, bool), OpenFailure> {
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
                    (Some(name), Some(id)) => {
                        let hidden = tag.attr(b"state").is_some_and(|s| s != b"visible");
                        sheets.push((name, id, hidden));
                    }
                    _ => return Err(OpenFailure::SheetWithoutNameOrId),
                }
            }
            _ => {}
        }
    }
    if !is_workbook || sheets.is_empty() {
        return Err(OpenFailure::NoSheets);
    }
    Ok((sheets, date_1904))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
