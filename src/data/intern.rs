//! Text interning: one shared `Arc<str>` per distinct string, so a million rows of
//! "Partner" cost one allocation and compare by pointer-cheap clones.

use std::collections::HashSet;
use std::sync::Arc;

/// A set of shared strings.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    pub fn new() -> Self {
        Interner::default()
    }

    /// The shared copy of `text`, allocating only the first time it is seen.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(existing) = self.strings.get(text) {
            return Arc::clone(existing);
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(Arc::clone(&shared));
        shared
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
    fn equal_strings_share_one_allocation() {
        let mut interner = Interner::new();
        let a = interner.intern("Partner");
        let b = interner.intern("Partner");
        let c = interner.intern("Direct");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(interner.len(), 2);
    }
}
