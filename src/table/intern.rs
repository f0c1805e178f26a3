//! Text interning: one shared [`Text`] per distinct string, so a million rows of
//! "Partner" cost one allocation, with a fast path for a workbook's shared strings.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::value::Text;

/// The multiply-rotate hash rustc uses (FxHash): much faster than SipHash on short
/// keys. Hash flooding is no concern for a user's own files.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
/// An odd constant with well-spread bits (the 64-bit golden ratio) for the final mix.
const FOLD: u64 = 0x9e37_79b9_7f4a_7c15;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            if let Some(prefix) = word.get_mut(..rest.len()) {
                prefix.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(word));
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

    /// A multiply keeps a key's low zero bits in the product's low bits, and hash
    /// tables pick buckets by the low bits: whole numbers as f64 bits (all low bits
    /// zero) would share a handful of buckets. A folded 128-bit multiply mixes the
    /// high bits down.
    #[inline]
    fn finish(&self) -> u64 {
        let product = u128::from(self.hash) * u128::from(FOLD);
        (product as u64) ^ ((product >> 64) as u64)
    }
}

pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// After this many strings an adaptive interner checks whether sharing pays.
pub(crate) const SAMPLE: usize = 8_192;

/// A set of shared strings.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Text, FxBuildHasher>,
    /// Adaptive mode: give up sharing for a column that is mostly distinct values
    /// (IDs), where the tables would cost memory and time and save nothing.
    adaptive: bool,
    calls: usize,
    gave_up: bool,
    /// Address and length of a workbook shared string -> its interned copy. Valid only
    /// while the workbook that owns those strings is alive and unchanged: one sheet read.
    by_address: HashMap<(usize, usize), Text, FxBuildHasher>,
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
    use super::*;

    #[test]
    fn whole_numbers_spread_over_the_low_bits() {
        // Hash tables pick buckets by the low bits; whole numbers as f64 bits end in
        // zeros, which a bare multiply keeps in the low bits of the product.
        let buckets: HashSet<u64> = (1..=1_000u32)
            .map(|n| {
                let mut hasher = FxHasher::default();
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
