//! A check of OLE (Compound File Binary) containers — .xls files, encrypted .xlsx —
//! before calamine reads them: a sector chain that loops back on itself is damage.
//!
//! calamine follows a chain of sectors (a stream: the directory, the workbook) through
//! the file allocation table (FAT) until its end-of-chain mark, and trusts the file:
//! on a chain that loops, it copies the same sectors again and again until memory runs
//! out. A real CFB never has a loop (every sector is in at most one chain, unused
//! entries are marked free), so one is reported before calamine starts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use thiserror::Error;

/// Sector ids from here up are marks (free, end of chain, FAT, DIFAT), not sectors.
const FIRST_MARK: u32 = 0xFFFF_FFFA;
/// What the header's DIFAT entries hold for "no FAT sector here".
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;
/// Entries of the DIFAT kept in the 512-byte header.
const HEADER_DIFAT: std::ops::Range<usize> = 76..512;

/// Why a container's sector chains cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub(crate) enum BrokenChain {
    #[error("a chain of its sectors loops back on itself")]
    Loop,
}

/// `Err` with what is wrong when the FAT of the CFB file at `path` has a loop. Files
/// the reader would refuse anyway (unreadable, a short header, an unknown sector size,
/// a FAT sector it cannot read) pass: the reader rejects them with its own message.
pub(crate) fn check_sector_chains(path: &Path) -> Result<(), BrokenChain> {
    let Ok(mut file) = File::open(path) else {
        return Ok(());
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return Ok(());
    };
    let mut header = [0u8; 512];
    if file.read_exact(&mut header).is_err() {
        return Ok(());
    }
    let size: u64 = match u16_at(&header, 30) {
        9 => 512,
        12 => 4096,
        _ => return Ok(()),
    };
    let mut sectors = Sectors {
        file,
        size,
        body: len.saturating_sub(size),
        max_id: len / size,
        loaded: 0,
    };
    let Some(fat) = read_fat(&header, &mut sectors) else {
        return Ok(());
    };
    if has_loop(&fat) {
        return Err(BrokenChain::Loop);
    }
    Ok(())
}

/// The FAT as calamine builds it (`cfb::Cfb::new`), as far as a chain can use it:
/// `None` where calamine stops with an error or a panic before following any chain.
fn read_fat(header: &[u8; 512], sectors: &mut Sectors) -> Option<Vec<u32>> {
    // The DIFAT lists the FAT's sectors: 109 entries in the header, then a chain of
    // DIFAT sectors, each adding its entries; the last entry so far names the next.
    let mut difat = u32s(header.get(HEADER_DIFAT)?)?;
    let mut next = u32_at(header, 68);
    let mut difat_sectors = 0u64;
    while next < FIRST_MARK {
        difat_sectors += 1;
        if difat_sectors > sectors.max_id.saturating_add(1) {
            return None;
        }
        difat.extend(u32s(&sectors.get(next)?)?);
        next = difat.pop()?;
    }
    // A chain stops at a sector past the file's end, so entries beyond that many are
    // never followed (and a DIFAT listing one FAT sector many times stays cheap here).
    let wanted = usize::try_from(sectors.max_id).ok()?.saturating_add(1);
    let mut fat: Vec<u32> = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFAT_SECTOR) {
        if fat.len() >= wanted {
            break;
        }
        fat.extend(u32s(&sectors.get(id)?)?);
    }
    fat.truncate(wanted);
    Some(fat)
}

/// calamine's sector cache (`cfb::Sectors`), replayed: sector `id` is read from after
/// the header, which fills sector -1. The cache grows to the end of every sector asked
/// for, zero-filled past the end of the file; asking for a sector that reaches past
/// the cache reads on and returns what it has at the end of the file.
struct Sectors {
    file: File,
    size: u64,
    /// Bytes after the header.
    body: u64,
    max_id: u64,
    /// How far the cache reaches.
    loaded: u64,
}

impl Sectors {
    /// The bytes calamine's `get(id)` returns; `None` where it errs or panics.
    fn get(&mut self, id: u32) -> Option<Vec<u8>> {
        if self.max_id < u64::from(id) {
            return None;
        }
        let start = u64::from(id) * self.size;
        let end = start + self.size;
        let until = if end > self.loaded {
            let reached = end.min(self.body.max(self.loaded));
            self.loaded = end;
            reached
        } else {
            end
        };
        if start > until {
            return None; // calamine slices `start..until`: a panic
        }
        let mut bytes = Vec::new();
        let real_end = until.min(self.body);
        if real_end > start {
            self.file.seek(SeekFrom::Start(self.size + start)).ok()?;
            (&mut self.file)
                .take(real_end - start)
                .read_to_end(&mut bytes)
                .ok()?;
        }
        bytes.resize(usize::try_from(until - start).ok()?, 0);
        Some(bytes)
    }
}

/// Whether following `next[i]` from some `i` comes back to a sector already on the
/// way (ids past the table's end or marks end a chain). Each entry is visited once.
fn has_loop(next: &[u32]) -> bool {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; next.len()];
    for start in 0..next.len() {
        let mut path = Vec::new();
        let mut at = start;
        while state.get(at) == Some(&NEW) {
            if let Some(s) = state.get_mut(at) {
                *s = ON_PATH;
            }
            path.push(at);
            at = match next.get(at) {
                Some(&id) if id < FIRST_MARK => id as usize,
                _ => usize::MAX,
            };
        }
        if state.get(at) == Some(&ON_PATH) {
            return true;
        }
        for i in path {
            if let Some(s) = state.get_mut(i) {
                *s = DONE;
            }
        }
    }
    false
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => FIRST_MARK,
    }
}

/// Little-endian u32s of `bytes`; `None` for a length that is not a multiple of 4
/// (calamine asserts it is).
fn u32s(bytes: &[u8]) -> Option<Vec<u32>> {
    let chunks = bytes.chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    Some(
        chunks
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_that_end_have_no_loop() {
        // 0 → 1 → 2 → end, 3 free, 4 → 2 (joins a chain: damage, but ends).
        let end = 0xFFFF_FFFE;
        let free = 0xFFFF_FFFF;
        assert!(!has_loop(&[1, 2, end, free, 2]));
        assert!(!has_loop(&[]));
        // An id past the table ends the walk (the reader reports it).
        assert!(!has_loop(&[7]));
    }

    #[test]
    fn a_real_xls_passes() {
        // Written by LibreOffice (tests/fixtures/data/README.md).
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data/deals.xls");
        assert_eq!(check_sector_chains(&path), Ok(()));
    }

    #[test]
    fn a_chain_back_to_itself_is_a_loop() {
        assert!(has_loop(&[0]));
        assert!(has_loop(&[1, 2, 0]));
        let end = 0xFFFF_FFFE;
        assert!(has_loop(&[end, 2, 3, 1]));
    }
}
