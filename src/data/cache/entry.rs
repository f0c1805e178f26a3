//! One cache entry on disk: a header (magic, format version, key, payload length, keyed
//! BLAKE3 checksum of the payload) then the payload; written to a temporary file and
//! renamed, so a reader sees a whole entry or none, and checked on every read. The
//! checksum is keyed with the cache folder's secret ([`super::private`]): without the
//! key no one can make a changed payload check out.
//!
//! A temporary file is named after the process writing it (`.<host>.<pid>.<random>`),
//! so the next run can tell one left by a killed run (its process is gone) from one
//! being written, and remove it at once.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::data::cache::bytes::{ByteReader, ByteWriter, Damaged};

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"CHMXCACH";

/// Bumped whenever the payload layout changes; older entries are then misses. 3: the
/// checksum is keyed.
pub const FORMAT_VERSION: u32 = 3;

/// Magic, version, reserved, key, payload length, keyed checksum.
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

/// This machine, in a temporary file's name: 8 hex digits of its host name's hash
/// (a cache folder on a network drive is seen by other machines' processes too).
fn host_tag() -> String {
    let name = host_name();
    blake3::hash(name.as_bytes()).to_hex()[..8].to_string()
}

#[cfg(unix)]
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer it is given.
    let done = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if done != 0 {
        return String::new();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(buffer.get(..end).unwrap_or_default()).into_owned()
}

#[cfg(not(unix))]
fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_default()
}

/// The start of this process's temporary files' names.
fn temp_prefix() -> String {
    format!(".{}.{}.", host_tag(), std::process::id())
}

/// Whether a temporary file was left by a process of this machine that is gone (a run
/// killed while storing): such a file is removed at once, not after a day.
pub fn is_abandoned_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let mut parts = rest.splitn(3, '.');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_tag() && !process_exists(pid)
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true; // not a pid this system hands out: leave it to the age rule
    };
    if pid == 0 {
        return true;
    }
    // SAFETY: signal 0 only checks whether the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// Writes an entry for `key` whose payload `write_payload` streams into the sink it is
/// given: a complete temporary file in `dir`, renamed into place (replacing any older
/// or damaged entry of the same key). The header's length and checksum are filled in
/// once the payload is written, so the payload is never held whole in memory.
pub fn write_entry<E: From<std::io::Error>>(
    dir: &Path,
    key: &blake3::Hash,
    secret: &[u8; 32],
    write_payload: impl FnOnce(&mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> Result<(), E>,
) -> Result<PathBuf, E> {
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    let mut checksum = blake3::Hasher::new_keyed(secret);
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
    /// The entry's file, to mark it used.
    file: std::fs::File,
}

impl EntryBytes {
    /// Reads the entry at `path` (only a regular file: a FIFO put there cannot block
    /// the run) and checks its header against `key`; `Ok(None)` when there is no entry.
    pub fn read(path: &Path, key: &blake3::Hash) -> Result<Option<EntryBytes>, Damaged> {
        let mut file = match crate::files::open_regular(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err(Damaged("the entry cannot be read")),
        };
        let length = file.metadata().map_or(0, |m| m.len());
        let mut buffer = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        if std::io::Read::read_to_end(&mut file, &mut buffer).is_err() {
            return Err(Damaged("the entry cannot be read"));
        }
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
        Ok(Some(EntryBytes {
            buffer,
            checksum,
            file,
        }))
    }

    /// Marks the entry used now, for eviction (best effort).
    pub fn touch(&self) {
        let _ = self.file.set_modified(std::time::SystemTime::now());
    }

    pub fn payload(&self) -> &[u8] {
        self.buffer.get(HEADER_LEN..).unwrap_or_default()
    }

    /// True when the payload's BLAKE3 keyed with `secret` equals the header's checksum
    /// (compared in constant time).
    pub fn checksum_matches(&self, secret: &[u8; 32]) -> bool {
        let mut hasher = blake3::Hasher::new_keyed(secret);
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
        let secret = [7u8; 32];
        let payload: Vec<u8> = (0..1000u32).flat_map(|i| i.to_le_bytes()).collect();
        let parts = [payload[..10].to_vec(), Vec::new(), payload[10..].to_vec()];
        let path = write_entry(dir.path(), &key, &secret, |sink| {
            parts.iter().try_for_each(|part| sink(part))
        })
        .unwrap();
        let entry = EntryBytes::read(&path, &key).unwrap().unwrap();
        assert_eq!(entry.payload(), &payload[..]);
        assert!(entry.checksum_matches(&secret));
        assert!(!entry.checksum_matches(&[8u8; 32]), "another folder's key");

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
        assert!(!entry.checksum_matches(&secret));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(EntryBytes::read(&path, &key).is_err());
        // Nothing but the entry was left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_temporary_file_of_a_dead_process_is_abandoned_and_ours_is_not() {
        let ours = format!("{}abc123{TEMP_SUFFIX}", temp_prefix());
        assert!(!is_abandoned_temp(&ours));
        // A child that has exited (and been reaped): its pid names no process.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = format!(".{}.{pid}.abc123{TEMP_SUFFIX}", host_tag());
        assert!(is_abandoned_temp(&dead));
        // Another machine's, or a name in the old form: left to the age rule.
        assert!(!is_abandoned_temp(&format!(
            ".00000000.{pid}.x{TEMP_SUFFIX}"
        )));
        assert!(!is_abandoned_temp(&format!(".abc123{TEMP_SUFFIX}")));
    }
}
