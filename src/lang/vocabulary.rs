//! What rule files may name beyond their own definitions: the functions formulas call
//! (Excel's built-ins plus any registered at run time, such as rhai script functions)
//! and the analyses `table T = <analysis> Source (…)` statements run.
//! The checker resolves names against the vocabulary it is given; the plan it produces
//! carries what was resolved, so evaluation needs nothing else.

use std::sync::{Arc, OnceLock};

use crate::functions::Registry;
use crate::lang::analysis::Analysis;

/// The names available to one set of rule files.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub functions: Registry,
    pub analyses: Vec<Arc<dyn Analysis>>,
}

impl Vocabulary {
    /// Excel's built-in functions only, no analyses.
    pub fn builtin() -> &'static Vocabulary {
        static BUILTIN: OnceLock<Vocabulary> = OnceLock::new();
        BUILTIN.get_or_init(|| Vocabulary {
            functions: Registry::builtin().clone(),
            analyses: Vec::new(),
        })
    }

    /// The analysis named `name` (case-insensitive).
    pub fn analysis(&self, name: &str) -> Option<&Arc<dyn Analysis>> {
        self.analyses
            .iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}
