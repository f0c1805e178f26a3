//! One cache entry on disk: a header (magic, format version, key, payload length, BLAKE3
//! checksum of the payload) then the payload; written to a temporary file and renamed, so
//! a reader sees a whole entry or none, and checked on every read.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged};

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"CHMXCACH";

/// Bumped whenever the payload layout changes; older entries are then misses.
pub const FORMAT_VERSION: u32 = 2;

/// Magic, version, reserved, key, payload length, checksum.
const HEADER_LEN: usize = 8 + 4 + 4 + 32 + 8 + 32;

/// File name ending of a cache entry (the name is the key in hex).
pub const ENTRY_SUFFIX: &str = ".chanmix-cache";

/// File name ending of an entry being written.
pub const TEMP_SUFFIX: &str = ".chanmix-cache.tmp";

pub fn entry_path(dir: &Path, key: &blake3::Hash) -> PathBuf {
    dir.join(format!("{}{ENTRY_SUFFIX}", key.to_hex()))
}

/// True for the names of entries and of temporary files this cache writes.
pub fn is_cache_file(name: &str) -> bool {
    name.ends_with(ENTRY_SUFFIX) || name.ends_with(TEMP_SUFFIX)
}

/// Writes an entry for `key` whose payload `write_payload` streams into the sink it is
/// given: a complete temporary file in `dir`, renamed into place (replacing any older
/// or damaged entry of the same key). The header's length and checksum are filled in
/// once the payload is written, so the payload is never held whole in memory.
pub fn write_entry<E: From<std::io::Error>>(
    dir: &Path,
    key: &blake3::Hash,
    write_payload: impl FnOnce(&mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> Result<(), E>,
) -> Result<PathBuf, E> {
    let mut temp = tempfile::Builder::new()
        .prefix(".")
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    let mut checksum = blake3::Hasher::new();
    let mut length = 0u64;
    {
        let mut file = std::io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        file.write_all(&[0u8; HEADER_LEN])?;
        write_payload(&mut |part: &[u8]| {
            if part.len() >= 1 << 20 {
                checksum.update_rayon(part);
            } else {
                checksum.update(part);
            }
            length += part.len() as u64;
            file.write_all(part)
        })?;
        file.flush()?;
    }
    let mut header = ByteWriter::default();
    header.bytes.extend_from_slice(MAGIC);
    header.u32(FORMAT_VERSION);
    header.u32(0);
    header.bytes.extend_from_slice(key.as_bytes());
    header.u64(length);
    header
        .bytes
        .extend_from_slice(checksum.finalize().as_bytes());
    let file = temp.as_file_mut();
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header.bytes)?;
    let path = entry_path(dir, key);
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}

/// An entry read whole into memory, its header checked.
pub struct EntryBytes {
    buffer: Vec<u8>,
    checksum: [u8; 32],
}

impl EntryBytes {
    /// Reads the entry at `path` and checks its header against `key`; `Ok(None)` when
    /// there is no entry.
    pub fn read(path: &Path, key: &blake3::Hash) -> Result<Option<EntryBytes>, Damaged> {
        let buffer = match std::fs::read(path) {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err(Damaged("the entry cannot be read")),
        };
        let mut r = ByteReader::new(&buffer);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(Damaged("not a chanmix cache entry"));
        }
        if r.u32()? != FORMAT_VERSION {
            return Err(Damaged("another cache format version"));
        }
        r.u32()?;
        if r.take(32)? != key.as_bytes() {
            return Err(Damaged("the entry is for another key"));
        }
        if r.usize()? != buffer.len().saturating_sub(HEADER_LEN) {
            return Err(Damaged("the entry is truncated or has bytes appended"));
        }
        let mut checksum = [0u8; 32];
        checksum.copy_from_slice(r.take(32)?);
        Ok(Some(EntryBytes { buffer, checksum }))
    }

    pub fn payload(&self) -> &[u8] {
        self.buffer.get(HEADER_LEN..).unwrap_or_default()
    }

    /// True when the payload's BLAKE3 equals the checksum in the header.
    pub fn checksum_matches(&self) -> bool {
        let mut hasher = blake3::Hasher::new();
        hasher.update_rayon(self.payload());
        hasher.finalize() == blake3::Hash::from_bytes(self.checksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_and_any_damage_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let key = blake3::hash(b"key");
        let payload: Vec<u8> = (0..1000u32).flat_map(|i| i.to_le_bytes()).collect();
        let parts = [payload[..10].to_vec(), Vec::new(), payload[10..].to_vec()];
        let path = write_entry(dir.path(), &key, |sink| {
            parts.iter().try_for_each(|part| sink(part))
        })
        .unwrap();
        let entry = EntryBytes::read(&path, &key).unwrap().unwrap();
        assert_eq!(entry.payload(), &payload[..]);
        assert!(entry.checksum_matches());

        let other = blake3::hash(b"other key");
        assert!(EntryBytes::read(&path, &other).is_err());
        assert!(matches!(
            EntryBytes::read(&entry_path(dir.path(), &other), &other),
            Ok(None)
        ));

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(EntryBytes::read(&path, &key).is_err());
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN + 10] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let entry = EntryBytes::read(&path, &key).unwrap().unwrap();
        assert!(!entry.checksum_matches());
        std::fs::write(&path, b"garbage").unwrap();
        assert!(EntryBytes::read(&path, &key).is_err());
        // Nothing but the entry was left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
