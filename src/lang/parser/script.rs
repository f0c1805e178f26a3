//! Builds the `script "plans/current.rhai"` statement: the path as written and its span
//! (the script itself is read and compiled by `script::load_scripts`).

use pest::iterators::Pair;

use super::Rule;
use super::build::{Builder, unescape_text};
use crate::lang::ast::ScriptDecl;

impl Builder {
    pub(super) fn script_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ScriptDecl> {
        let span = self.span(&pair);
        let Some(text) = pair.into_inner().find(|p| p.as_rule() == Rule::text) else {
            return self.shape_error(span);
        };
        let path_span = self.span(&text);
        Some(ScriptDecl {
            path: unescape_text(text.as_str()),
            path_span,
        })
    }
}
