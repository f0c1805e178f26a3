//! The delimiters and line feeds of a chunk's bytes, found 64 bytes at a time: each
//! block is compared at once into bit masks, so the parser steps from field end to
//! field end by clearing the lowest bit, and a line's unread fields cost one mask.

/// Bytes looked at together by [`FieldEnds`].
pub(super) const LANES: usize = 64;

/// The delimiters and line feeds of a chunk's bytes, handed out in order. Each block
/// of 64 bytes is compared at once into two bit masks (every field end; line ends
/// alone), so the next field end is the lowest bit left, and the fields a table does
/// not read after its last column are skipped by clearing bits up to the line's end.
pub(super) struct FieldEnds<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    /// Offset of the block the masks are of, and of the next block.
    base: usize,
    next_base: usize,
    /// Field ends in that block not handed out yet, one bit per byte.
    ends: u64,
    /// The line feeds among them.
    lines: u64,
}

impl<'a> FieldEnds<'a> {
    pub(super) fn new(bytes: &'a [u8], delimiter: u8) -> Self {
        FieldEnds {
            bytes,
            delimiter,
            base: 0,
            next_base: 0,
            ends: 0,
            lines: 0,
        }
    }

    /// The next field end: its offset and whether it ends the line. The end of the
    /// bytes ends a line (and is all that is left once reached).
    #[inline]
    pub(super) fn next_end(&mut self) -> (usize, bool) {
        loop {
            if self.ends != 0 {
                let bit = self.ends & self.ends.wrapping_neg();
                self.ends ^= bit;
                let ends_line = self.lines & bit != 0;
                self.lines &= !bit;
                return (self.base + bit.trailing_zeros() as usize, ends_line);
            }
            if !self.load() {
                return (self.bytes.len(), true);
            }
        }
    }

    /// The end of the current line (a line feed, or the end of the bytes), the field
    /// ends before it passed over.
    #[inline]
    pub(super) fn line_end(&mut self) -> usize {
        loop {
            if self.lines != 0 {
                let bit = self.lines & self.lines.wrapping_neg();
                self.lines ^= bit;
                // This end and every one before it are passed.
                self.ends &= !(bit | (bit - 1));
                return self.base + bit.trailing_zeros() as usize;
            }
            self.ends = 0;
            if !self.load() {
                return self.bytes.len();
            }
        }
    }

    /// The next block's masks; false at the end of the bytes.
    fn load(&mut self) -> bool {
        let Some(block) = self.bytes.get(self.next_base..).filter(|b| !b.is_empty()) else {
            return false;
        };
        let (ends, lines) = match block.first_chunk::<LANES>() {
            Some(whole) => block_masks(whole, self.delimiter),
            None => {
                let mut padded = [0u8; LANES];
                if let Some(prefix) = padded.get_mut(..block.len()) {
                    prefix.copy_from_slice(block);
                }
                // Padding bytes are not the file's.
                let valid = (1u64 << block.len()) - 1;
                let (ends, lines) = block_masks(&padded, self.delimiter);
                (ends & valid, lines & valid)
            }
        };
        self.base = self.next_base;
        self.next_base += LANES;
        self.ends = ends;
        self.lines = lines;
        true
    }
}

/// The field ends (delimiters and line feeds) and the line feeds of 64 bytes, one bit
/// per byte: 16 bytes per vector compare, each turned into 16 bits by `pmovmskb`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
pub(super) fn block_masks(block: &[u8; LANES], delimiter: u8) -> (u64, u64) {
    // SAFETY: SSE2 is enabled for this build (the cfg above; every x86-64 CPU has it).
    unsafe { block_masks_sse2(block, delimiter) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn block_masks_sse2(block: &[u8; LANES], delimiter: u8) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
    };
    let delimiters = _mm_set1_epi8(delimiter as i8);
    let feeds = _mm_set1_epi8(b'\n' as i8);
    let (mut ends, mut lines) = (0u64, 0u64);
    for (at, part) in block.chunks_exact(16).enumerate() {
        let word = |from: usize| {
            let mut word = [0u8; 8];
            if let Some(bytes) = part.get(from..from + 8) {
                word.copy_from_slice(bytes);
            }
            i64::from_le_bytes(word)
        };
        let bytes = _mm_set_epi64x(word(8), word(0));
        let feed = _mm_cmpeq_epi8(bytes, feeds);
        let end = _mm_or_si128(feed, _mm_cmpeq_epi8(bytes, delimiters));
        // The 16 mask bits are the low ones of the i32.
        lines |= u64::from(_mm_movemask_epi8(feed) as u16) << (at * 16);
        ends |= u64::from(_mm_movemask_epi8(end) as u16) << (at * 16);
    }
    (ends, lines)
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) fn block_masks(block: &[u8; LANES], delimiter: u8) -> (u64, u64) {
    block_masks_portable(block, delimiter)
}

/// [`block_masks`] without x86 vectors: one byte per byte, then each 8 of them gathered
/// into 8 bits by one multiply (1-bytes times this constant land their bits in the top
/// byte, in order, without carries).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
pub(super) fn block_masks_portable(block: &[u8; LANES], delimiter: u8) -> (u64, u64) {
    let gather = |flags: &[u8; LANES]| {
        let mut mask = 0u64;
        for (at, word) in flags.chunks_exact(8).enumerate() {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            let bits = u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            mask |= bits << (at * 8);
        }
        mask
    };
    let mut feeds = [0u8; LANES];
    let mut ends = [0u8; LANES];
    for ((feed, end), byte) in feeds.iter_mut().zip(ends.iter_mut()).zip(block) {
        *feed = u8::from(*byte == b'\n');
        *end = *feed | u8::from(*byte == delimiter);
    }
    (gather(&ends), gather(&feeds))
}
