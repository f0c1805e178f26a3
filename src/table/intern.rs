//! Text interning: one shared [`Text`] per distinct string, so a million rows of
//! "Partner" cost one allocation, with a fast path for a workbook's shared strings.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::value::Text;

/// A fast hash for a user's own keys (hash flooding is no concern for them): each
/// 8-byte word is mixed into the state by one 64×64→128-bit multiply whose halves are
/// folded together, so every input bit reaches every output bit.
///
/// rustc's FxHash (rotate, xor, multiply) was used here before: its multiply carries
/// a difference only upwards, and on IDs such as `OPP-00000001` … `OPP-10000000` one
/// key in 40 shared its full 64-bit hash with another (one in four on 18-character
/// Salesforce-style IDs), so tables keyed by them compared keys on most lookups.
#[derive(Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

/// The multiplier of each word's mix.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
/// An odd constant with well-spread bits (the 64-bit golden ratio) for the final mix.
const FOLD: u64 = 0x9e37_79b9_7f4a_7c15;
/// The state before any word: not zero, so that a leading zero word still changes it.
const START: u64 = 0x2d35_8dcc_aa6c_78a5;

/// The low and high halves of `a × b` folded together.
#[inline]
fn fold_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The last 1 to 7 bytes of a write as one word, read without copying them byte by
/// byte: two overlapping 4-byte reads, or the first, middle and last byte (one word
/// per text for each length; the caller tells the lengths apart).
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    match (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | (u64::from(u32::from_le_bytes(*last)) << 32)
        }
        _ => {
            let at = |i: usize| u64::from(rest.get(i).copied().unwrap_or(0));
            at(0) | (at(rest.len() / 2) << 8) | (at(rest.len().saturating_sub(1)) << 16)
        }
    }
}

impl Default for FastHasher {
    fn default() -> Self {
        FastHasher { hash: START }
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = fold_multiply(self.hash ^ word, SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((word, more)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = more;
        }
        if !rest.is_empty() {
            // Tails of different lengths can read as the same word: they start from
            // different states.
            self.hash = self.hash.rotate_left(8 * rest.len() as u32);
            self.add(tail_word(rest));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// Hash tables pick buckets by the low bits: one more folded multiply spreads the
    /// last word's bits over them.
    #[inline]
    fn finish(&self) -> u64 {
        fold_multiply(self.hash, FOLD)
    }
}

pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

/// After this many strings an adaptive interner checks whether sharing pays.
pub(crate) const SAMPLE: usize = 8_192;

/// A set of shared strings.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Text, FastBuildHasher>,
    /// Adaptive mode: give up sharing for a column that is mostly distinct values
    /// (IDs), where the tables would cost memory and time and save nothing.
    adaptive: bool,
    calls: usize,
    gave_up: bool,
    /// Address and length of a workbook shared string -> its interned copy. Valid only
    /// while the workbook that owns those strings is alive and unchanged: one sheet read.
    by_address: HashMap<(usize, usize), Text, FastBuildHasher>,
}

impl Interner {
    pub fn new() -> Self {
        Interner::default()
    }

    /// An interner for one column: it stops sharing (each cell gets its own allocation)
    /// once a sample shows the column is mostly distinct values, such as IDs.
    pub fn adaptive() -> Self {
        Interner {
            adaptive: true,
            ..Interner::default()
        }
    }

    /// True once an adaptive interner has stopped sharing.
    pub fn gave_up(&self) -> bool {
        self.gave_up
    }

    /// The shared copy of `text`, allocating only the first time it is seen.
    pub fn intern(&mut self, text: &str) -> Text {
        if self.gave_up {
            return Text::from(text);
        }
        if self.adaptive {
            self.calls += 1;
            if self.calls == SAMPLE && self.strings.len() * 2 > SAMPLE {
                self.gave_up = true;
                self.strings = HashSet::default();
                self.by_address = HashMap::default();
                return Text::from(text);
            }
        }
        if let Some(existing) = self.strings.get(text) {
            return existing.clone();
        }
        let shared = Text::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// Like [`Interner::intern`] for text whose address identifies it (a workbook's
    /// shared-string table): repeated cells skip hashing the characters.
    pub fn intern_stable(&mut self, text: &str) -> Text {
        if self.gave_up {
            return Text::from(text);
        }
        let key = (text.as_ptr() as usize, text.len());
        if let Some(existing) = self.by_address.get(&key) {
            return existing.clone();
        }
        let shared = self.intern(text);
        if !self.gave_up {
            self.by_address.insert(key, shared.clone());
        }
        shared
    }

    /// Forgets the address cache (the strings it points into are going away).
    pub fn forget_addresses(&mut self) {
        self.by_address = HashMap::default();
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::Hash;

    use super::*;

    #[test]
    fn sequential_crm_ids_get_distinct_hashes() {
        // Random 64-bit hashes of 200,000 keys collide with odds of about 1e-9; FxHash
        // gave 4,840 and 46,465 collisions on the last two shapes (and 16,000 on the
        // first at a million keys).
        let shapes: [fn(u32) -> String; 3] = [
            |i| format!("OPP-{i:08}"),
            |i| format!("ACC-{i:06}"),
            |i| format!("0061U00000{i:08X}AAA"),
        ];
        for shape in shapes {
            let mut hashes: Vec<u64> = (1..=200_000u32)
                .map(|i| {
                    let mut hasher = FastHasher::default();
                    shape(i).as_str().hash(&mut hasher);
                    hasher.finish()
                })
                .collect();
            hashes.sort_unstable();
            hashes.dedup();
            assert_eq!(hashes.len(), 200_000, "{}", shape(1));
        }
    }

    #[test]
    fn texts_of_one_to_seven_bytes_get_distinct_hashes() {
        // Every string of 1 to 7 letters from "ab": the tails read without a copy must
        // still tell each length and each byte apart.
        let mut texts = Vec::new();
        for len in 1..=7u32 {
            for bits in 0..(1u32 << len) {
                let text: String = (0..len)
                    .map(|i| if bits >> i & 1 == 1 { 'b' } else { 'a' })
                    .collect();
                texts.push(text);
            }
        }
        let mut hashes: Vec<u64> = texts
            .iter()
            .map(|text| {
                let mut hasher = FastHasher::default();
                hasher.write(text.as_bytes());
                hasher.finish()
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), texts.len());
    }

    #[test]
    fn whole_numbers_spread_over_the_low_bits() {
        // Hash tables pick buckets by the low bits; whole numbers as f64 bits end in
        // zeros, which a bare multiply keeps in the low bits of the product.
        let buckets: HashSet<u64> = (1..=1_000u32)
            .map(|n| {
                let mut hasher = FastHasher::default();
                hasher.write_u64(f64::from(n).to_bits());
                hasher.finish() & 1023
            })
            .collect();
        assert!(
            buckets.len() > 500,
            "{} of 1024 buckets used",
            buckets.len()
        );
    }

    #[test]
    fn equal_strings_share_one_allocation() {
        let mut interner = Interner::new();
        let a = interner.intern("Partner");
        let b = interner.intern("Partner");
        let c = interner.intern("Direct");
        assert!(Text::ptr_eq(&a, &b));
        assert!(!Text::ptr_eq(&a, &c));
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn adaptive_interner_gives_up_on_id_columns_only() {
        let mut ids = Interner::adaptive();
        let mut channels = Interner::adaptive();
        for i in 0..SAMPLE + 10 {
            ids.intern(&format!("OPP-{i}"));
            channels.intern(["Direct", "Partner"][i % 2]);
        }
        assert!(ids.gave_up());
        assert!(!channels.gave_up());
        let a = channels.intern("Direct");
        assert!(Text::ptr_eq(&a, &channels.intern("Direct")));
    }

    #[test]
    fn stable_strings_agree_with_content_interning() {
        let table = ["Partner".to_string(), "Direct".to_string()];
        let mut interner = Interner::new();
        let by_content = interner.intern("Partner");
        let by_address = interner.intern_stable(&table[0]);
        let again = interner.intern_stable(&table[0]);
        assert!(Text::ptr_eq(&by_content, &by_address));
        assert!(Text::ptr_eq(&by_address, &again));
        assert_eq!(&*interner.intern_stable(&table[1]), "Direct");
    }
}
