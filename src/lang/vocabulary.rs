//! What rule files may name beyond their own definitions: the functions formulas call
//! (Excel's built-ins plus any registered at run time, such as rhai script functions).
//! The checker resolves names against the vocabulary it is given; the plan it produces
//! carries what was resolved, so evaluation needs nothing else.

use std::sync::OnceLock;

use crate::functions::Registry;

/// The names available to one set of rule files.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub functions: Registry,
}

impl Vocabulary {
    /// Excel's built-in functions only.
    pub fn builtin() -> &'static Vocabulary {
        static BUILTIN: OnceLock<Vocabulary> = OnceLock::new();
        BUILTIN.get_or_init(|| Vocabulary {
            functions: Registry::builtin().clone(),
        })
    }
}
