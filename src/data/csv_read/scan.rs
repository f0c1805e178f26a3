//! Reads a CSV file once, cutting it into chunks as it goes: after a line feed outside
//! quotes, with the number of the first record of each chunk, counted as the csv crate
//! counts records (blank lines are not records; CR, LF and CRLF each end one).

use std::io::Read;

use memchr::{memchr, memchr2, memchr3};
use sha2::{Digest, Sha256};

use crate::data::budget::ReadBudget;

use super::field_ends::FieldEnds;

/// One chunk of the file's bytes, whose first record is the file's record `first_row`.
/// A chunk after the first starts with a line feed (a blank line, skipped by the
/// parser), so that a chunk starting with the characters of a byte-order mark does not
/// lose them: csv-core drops a mark only at the start of its input.
#[derive(Debug)]
pub(crate) struct Cut {
    /// 0 for the first chunk, counting on in file order.
    pub index: usize,
    pub first_row: u32,
    /// Records the chunk holds (blank lines are none): a size for its columns.
    pub records: u32,
    /// No quote and no lone carriage return anywhere in `bytes`: the fast path need not
    /// look for them again (false when unsure).
    pub clean: bool,
    pub bytes: Vec<u8>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const BLOCK: usize = 1 << 20;
/// Most bytes reserved ahead for a chunk's buffer.
const MAX_RESERVE: u64 = 64 << 20;

/// Where the scan is, carried from one block of the file to the next.
struct Scanner {
    delimiter: u8,
    /// Inside a quoted field.
    in_quotes: bool,
    /// Inside a quoted field, a quote ended the last block: the next byte says whether
    /// it was an escaped quote (`""`) or the end of the field.
    quote_pending: bool,
    /// Offset where the current record's bytes begin (after the last terminator).
    record_start: u64,
    /// Records ended so far.
    records: u64,
    /// The byte before the current block.
    last_byte: u8,
    /// A quote or a carriage return not followed by a line feed (in the same block)
    /// was met since the last cut.
    dirty: bool,
}

/// Reads the file `reader` yields once, cutting it into chunks of about `chunk_bytes`
/// (at least one chunk; the first holds every record up to and including `header_row`),
/// each handed to `send` as soon as it is cut, in file order; the read stops early when
/// `send` returns false. What it reads counts as content scanned for `budget`. The
/// file's SHA-256 (lower-case hex) and size when it was read to the end.
pub(crate) fn cut(
    mut reader: impl Read,
    delimiter: u8,
    header_row: u32,
    sizes: ChunkSizes,
    budget: &ReadBudget,
    spare: &Spare,
    mut send: impl FnMut(Cut) -> bool,
) -> std::io::Result<Option<(String, u64)>> {
    let mut scanner = Scanner {
        delimiter,
        in_quotes: false,
        quote_pending: false,
        record_start: 0,
        records: 0,
        last_byte: b'\n',
        dirty: false,
    };
    let header_records = u64::from(header_row);
    let reserve = usize::try_from(sizes.most.min(MAX_RESERVE)).unwrap_or(0) + BLOCK + 1;
    // The current chunk's bytes: `lead` bytes (its line feed) then the file's bytes
    // from `chunk_start`.
    let mut pending: Vec<u8> = spare.take(reserve);
    let mut lead = 0usize;
    let mut chunk_start = 0u64;
    let mut first_row = 0u32;
    let mut index = 0usize;
    let mut offset = 0u64;
    // Where each chunk ends: (offset, records before it, no quote or lone CR in it).
    let mut cuts: Vec<(u64, u32, bool)> = Vec::new();
    let mut hasher = Sha256::new();
    loop {
        let old = pending.len();
        let n = read_block(&mut reader, &mut pending)?;
        if n == 0 {
            break;
        }
        budget.note_content(n as u64);
        let block = pending.get(old..).unwrap_or_default();
        hasher.update(block);
        // csv-core drops a byte-order mark at the very start of the input.
        let skip = if offset == 0 && block.starts_with(BOM) {
            scanner.record_start = BOM.len() as u64;
            BOM.len()
        } else {
            0
        };
        scanner.block(block, skip, offset, |end, records, dirty| {
            let last = cuts.last().map_or(chunk_start, |c| c.0);
            let cut = records > header_records && end - last >= sizes.starting_at(last);
            if cut {
                cuts.push((end, u32::try_from(records).unwrap_or(u32::MAX), !dirty));
            }
            cut
        });
        scanner.last_byte = block.last().copied().unwrap_or(scanner.last_byte);
        offset += n as u64;
        for (end, records, clean) in cuts.drain(..) {
            let at = lead + usize::try_from(end - chunk_start).unwrap_or(usize::MAX);
            let mut next = spare.take(reserve);
            next.push(b'\n');
            next.extend_from_slice(pending.get(at..).unwrap_or_default());
            pending.truncate(at);
            let bytes = std::mem::replace(&mut pending, next);
            if !send(Cut {
                index,
                first_row,
                records: records.saturating_sub(first_row),
                clean,
                bytes,
            }) {
                return Ok(None);
            }
            index += 1;
            first_row = records;
            chunk_start = end;
            lead = 1;
        }
    }
    // A last record without a line end counts too.
    let records = scanner.records + u64::from(offset > scanner.record_start);
    let records = u32::try_from(records).unwrap_or(u32::MAX);
    if !send(Cut {
        index,
        first_row,
        records: records.saturating_sub(first_row),
        clean: !scanner.dirty,
        bytes: pending,
    }) {
        return Ok(None);
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Some((digest, offset)))
}

/// How long the scan makes each chunk: `most` bytes, but the first chunk and the last
/// ones shorter, so that parsing starts soon after reading does and the threads run out
/// of chunks together (a long last chunk leaves the other cores waiting for it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkSizes {
    pub most: u64,
    /// The file's size when it was opened (only a guide: the scan reads to its end).
    pub file_bytes: u64,
    /// Threads parsing chunks.
    pub threads: u64,
}

/// The shortest chunk [`ChunkSizes`] makes to start or end a file with.
const SHORT_CHUNK: u64 = 1 << 20;

impl ChunkSizes {
    /// The length of the chunk that starts at file offset `start`: the first chunk
    /// short, then `most`, then, as the file's end nears, an equal share of what is
    /// left for twice the threads.
    fn starting_at(&self, start: u64) -> u64 {
        let least = SHORT_CHUNK.min(self.most);
        if start == 0 {
            return least;
        }
        let left = self.file_bytes.saturating_sub(start);
        (left / (2 * self.threads.max(1))).clamp(least, self.most)
    }
}

/// Buffers of parsed chunks, for the next chunks' bytes: a fresh buffer of several MiB
/// costs a page fault every 4 KiB.
#[derive(Debug, Default)]
pub(crate) struct Spare(std::sync::Mutex<Vec<Vec<u8>>>);

/// Spare buffers kept at most.
const SPARE_BUFFERS: usize = 4;

impl Spare {
    /// An empty buffer with room for `reserve` bytes.
    fn take(&self, reserve: usize) -> Vec<u8> {
        let spare = self.0.lock().ok().and_then(|mut spare| spare.pop());
        match spare {
            Some(mut buffer) => {
                buffer.clear();
                buffer.reserve(reserve);
                buffer
            }
            None => Vec::with_capacity(reserve),
        }
    }

    /// Keeps `buffer` for a later chunk.
    pub fn give(&self, buffer: Vec<u8>) {
        if let Ok(mut spare) = self.0.lock()
            && spare.len() < SPARE_BUFFERS
        {
            spare.push(buffer);
        }
    }
}

/// Appends the next `BLOCK` bytes of the input to `buffer` (fewer at its end); the
/// bytes read. They are read into the buffer's spare room, which is not zeroed first
/// (`read_to_end` also reads on after an interrupted read).
fn read_block(reader: &mut impl Read, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    buffer.reserve(BLOCK);
    reader.by_ref().take(BLOCK as u64).read_to_end(buffer)
}

impl Scanner {
    /// Scans `block` (at file offset `offset`) from `from`; `cut(end, records, dirty)` is
    /// offered every place after a line feed outside quotes, with the records before it
    /// and whether a quote or lone CR came since the last cut, and says whether it cut.
    fn block(
        &mut self,
        block: &[u8],
        from: usize,
        offset: u64,
        mut cut: impl FnMut(u64, u64, bool) -> bool,
    ) {
        let mut p = from;
        // Most blocks hold no quote and no CR: their line feeds are all that ends a
        // record, found 64 bytes at a time rather than by a search per line.
        if !self.in_quotes
            && !self.quote_pending
            && let Some(rest) = block.get(p..)
            && memchr2(b'"', b'\r', rest).is_none()
        {
            let start = offset + p as u64;
            let mut feeds = FieldEnds::new(rest, b'\n');
            loop {
                let i = feeds.line_end();
                if i == rest.len() {
                    return;
                }
                let at = start + i as u64;
                if at > self.record_start {
                    self.records += 1;
                }
                self.record_start = at + 1;
                if cut(at + 1, self.records, self.dirty) {
                    self.dirty = false;
                }
            }
        }
        if self.quote_pending && p < block.len() {
            self.quote_pending = false;
            if block.get(p) == Some(&b'"') {
                p += 1;
            } else {
                self.in_quotes = false;
            }
        }
        while let Some(rest) = block.get(p..).filter(|r| !r.is_empty()) {
            if self.in_quotes {
                let Some(j) = memchr(b'"', rest) else {
                    return;
                };
                let i = p + j;
                match block.get(i + 1) {
                    Some(b'"') => p = i + 2,
                    Some(_) => {
                        self.in_quotes = false;
                        p = i + 1;
                    }
                    None => {
                        self.quote_pending = true;
                        return;
                    }
                }
                continue;
            }
            let Some(j) = memchr3(b'"', b'\n', b'\r', rest) else {
                return;
            };
            let i = p + j;
            let at = offset + i as u64;
            let byte = block.get(i).copied().unwrap_or(b'\n');
            if byte == b'"' {
                self.dirty = true;
                // A quote opens a quoted field only where a field starts; elsewhere it
                // is a character of the field.
                let previous = match i.checked_sub(1) {
                    Some(k) => block.get(k).copied().unwrap_or(self.last_byte),
                    None => self.last_byte,
                };
                if at == self.record_start || previous == self.delimiter {
                    self.in_quotes = true;
                }
            } else {
                if at > self.record_start {
                    self.records += 1;
                }
                self.record_start = at + 1;
                if byte == b'\n' {
                    if cut(at + 1, self.records, self.dirty) {
                        self.dirty = false;
                    }
                } else if block.get(i + 1) != Some(&b'\n') {
                    self.dirty = true;
                }
            }
            p = i + 1;
        }
    }
}
