//! Canonical layout of rule files (being written on the parser branch).

use crate::lang::ast::RuleFile;
use crate::lang::source::SourceMap;

/// Returns the file's text unchanged until the formatter lands.
pub fn format_rule_file(file: &RuleFile, sources: &SourceMap) -> String {
    sources
        .get(file.file)
        .map(|f| f.text.clone())
        .unwrap_or_default()
}
