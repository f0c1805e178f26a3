//! The cache key: BLAKE3 of every input file's bytes together with everything else that
//! changes what reading them returns — the table specs, the wanted columns, the resolved
//! paths, the tool version and the cache format version. Never file times.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::data::cache::bytes::ByteWriter;
use crate::data::cache::entry::FORMAT_VERSION;
use crate::data::spec::{InputsSpec, TableSpec};
use crate::data::workbook::resolve;

/// One input file's size and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub hash: blake3::Hash,
}

/// The tables `read_inputs` reads for this request, each with its resolved file; `None`
/// when reading would stop before opening any file (no file given, file missing), so the
/// uncached reader reports that with its usual message.
pub fn tables_to_read<'a>(
    spec: &'a InputsSpec,
    base_dir: &Path,
    wanted: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Option<Vec<(&'a str, &'a TableSpec, PathBuf)>> {
    let mut tables = Vec::new();
    for (name, table) in &spec.tables {
        if wanted.is_some_and(|w| !w.contains_key(name)) {
            continue;
        }
        let file = table.file.as_ref().or(spec.workbook.as_ref())?;
        let path = resolve(base_dir, file);
        if !path.is_file() {
            return None;
        }
        tables.push((name.as_str(), table, path));
    }
    Some(tables)
}

/// Hashes each distinct file once (each file's hashing is spread over the cores).
pub fn hash_files(paths: &BTreeSet<PathBuf>) -> std::io::Result<Vec<HashedFile>> {
    paths
        .iter()
        .map(|path| {
            let (hash, bytes) = hash_file(path)?;
            Ok(HashedFile {
                path: path.clone(),
                bytes,
                hash,
            })
        })
        .collect()
}

/// Chunk size for hashing: large enough for the parallel hasher, small enough to overlap
/// reading the next chunk with hashing this one.
const CHUNK: usize = 8 << 20;

/// BLAKE3 and length of a file, read in chunks (not memory-mapped, so a file truncated
/// while it is hashed is an error, not a crash).
pub fn hash_file(path: &Path) -> std::io::Result<(blake3::Hash, u64)> {
    let mut file = crate::files::open_regular(path)?;
    let expected = file.metadata()?.len();
    let size = usize::try_from(expected.saturating_add(1))
        .unwrap_or(CHUNK)
        .min(CHUNK);
    let mut hasher = blake3::Hasher::new();
    let mut current = vec![0u8; size];
    let mut next = vec![0u8; size];
    let mut len = fill(&mut file, &mut current)?;
    let mut total = 0u64;
    while len > 0 {
        let chunk = current.get(..len).unwrap_or_default();
        let (_, next_len) = rayon::join(
            || {
                hasher.update_rayon(chunk);
            },
            || fill(&mut file, &mut next),
        );
        total += len as u64;
        len = next_len?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok((hasher.finalize(), total))
}

/// Reads until `buf` is full or the file ends; returns how much was read.
fn fill(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The key of a request whose files hash to `files`.
pub fn cache_key(
    tables: &[(&str, &TableSpec, PathBuf)],
    wanted: Option<&BTreeMap<String, BTreeSet<String>>>,
    files: &[HashedFile],
) -> blake3::Hash {
    let mut w = ByteWriter::default();
    w.str("chanmix input cache");
    w.u32(FORMAT_VERSION);
    w.str(env!("CARGO_PKG_VERSION"));
    w.usize(tables.len());
    for (name, spec, path) in tables {
        w.str(name);
        w.str(&path.to_string_lossy());
        w.u8(u8::from(path.to_str().is_none()));
        table_spec(&mut w, spec);
        match wanted.and_then(|w| w.get(*name)) {
            Some(columns) => {
                w.u8(1);
                w.usize(columns.len());
                for column in columns {
                    w.str(column);
                }
            }
            None => w.u8(0),
        }
    }
    w.usize(files.len());
    for file in files {
        w.str(&file.path.to_string_lossy());
        w.u64(file.bytes);
        w.bytes.extend_from_slice(file.hash.as_bytes());
    }
    blake3::hash(&w.bytes)
}

/// Every setting of a table spec. Destructured field by field, so a setting added to
/// `TableSpec` later does not compile until it is part of the key.
fn table_spec(w: &mut ByteWriter, spec: &TableSpec) {
    let TableSpec {
        file: _, // the resolved path is in the key
        sheet,
        sheets,
        sheet_pattern,
        header_row,
        key,
        columns,
        rename,
        on_bad_cell,
        date_format,
        date_formats,
        trim_keys: _, // the columns it trims are in the key as `trimmed`
        trimmed,
        fill,
        row_numbers,
    } = spec;
    w.opt_str(sheet.as_deref());
    match sheets {
        Some(list) => {
            w.u8(1);
            w.usize(list.len());
            for sheet in list {
                w.str(sheet);
            }
        }
        None => w.u8(0),
    }
    w.opt_str(sheet_pattern.as_deref());
    w.u64(header_row.map_or(u64::MAX, u64::from));
    w.opt_str(key.as_deref());
    w.opt_str(date_format.as_deref());
    w.usize(trimmed.len());
    for column in trimmed {
        w.str(column);
    }
    for map in [columns, rename, date_formats, fill] {
        w.usize(map.len());
        for (from, to) in map {
            w.str(from);
            w.str(to);
        }
    }
    w.usize(row_numbers.len());
    for column in row_numbers {
        w.str(column);
    }
    w.str(on_bad_cell.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spec::BadCellPolicy;

    fn key_of(spec: &TableSpec, wanted: Option<&BTreeMap<String, BTreeSet<String>>>) -> String {
        let files = [HashedFile {
            path: PathBuf::from("crm.xlsx"),
            bytes: 10,
            hash: blake3::hash(b"workbook"),
        }];
        let tables = [("Deals", spec, PathBuf::from("crm.xlsx"))];
        cache_key(&tables, wanted, &files).to_hex().to_string()
    }

    #[test]
    fn every_setting_changes_the_key() {
        let base = TableSpec::default();
        let mut keys = BTreeSet::new();
        keys.insert(key_of(&base, None));
        type Change = Box<dyn Fn(&mut TableSpec)>;
        let variants: Vec<Change> = vec![
            Box::new(|s| s.sheet = Some("Deals".into())),
            Box::new(|s| s.sheets = Some(vec!["Deals".into()])),
            Box::new(|s| s.sheet_pattern = Some("Deals".into())),
            Box::new(|s| s.header_row = Some(2)),
            Box::new(|s| s.key = Some("id".into())),
            Box::new(|s| {
                s.columns.insert("amount".into(), "number".into());
            }),
            Box::new(|s| {
                s.columns.insert("amount".into(), "number?".into());
            }),
            Box::new(|s| {
                s.rename.insert("Amount".into(), "amount".into());
            }),
            Box::new(|s| s.on_bad_cell = BadCellPolicy::RejectRow),
            Box::new(|s| s.on_bad_cell = BadCellPolicy::Fail),
            Box::new(|s| s.date_format = Some("%d/%m/%Y".into())),
            Box::new(|s| {
                s.date_formats.insert("close".into(), "%d/%m/%Y".into());
            }),
            Box::new(|s| {
                s.trimmed.insert("channel".into());
            }),
        ];
        for change in &variants {
            let mut spec = base.clone();
            change(&mut spec);
            assert!(keys.insert(key_of(&spec, None)), "{spec:?}");
        }
        let wanted: BTreeMap<String, BTreeSet<String>> =
            [("Deals".to_string(), BTreeSet::from(["amount".to_string()]))].into();
        assert!(keys.insert(key_of(&base, Some(&wanted))));
    }

    #[test]
    fn file_hash_covers_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        let mut bytes: Vec<u8> = (0..CHUNK * 2 + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let (first, len) = hash_file(&path).unwrap();
        assert_eq!(len, bytes.len() as u64);
        assert_eq!(first, blake3::hash(&bytes));
        bytes[CHUNK + 5] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(hash_file(&path).unwrap().0, blake3::hash(&bytes));
        std::fs::write(&path, b"").unwrap();
        assert_eq!(hash_file(&path).unwrap(), (blake3::hash(b""), 0));
    }
}
