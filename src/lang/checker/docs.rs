//! What each definition means, from the rule files' comments: the comment on the
//! definition's last line, else the comment lines right above it (no blank line
//! between). Params, named values and computed columns keep theirs in `Plan::docs`.

use std::sync::Arc;

use crate::diagnostic::source::SourceFile;
use crate::lang::ast::{Comment, Item, ItemKind, RuleFile};

use super::Checker;

impl Checker<'_> {
    pub(super) fn collect_docs(&mut self, files: &[RuleFile]) {
        for file in files {
            let Some(source) = self.sources.get(file.file) else {
                continue;
            };
            for item in &file.items {
                let Some(doc) = doc_of(item, &file.comments, source) else {
                    continue;
                };
                match &item.kind {
                    ItemKind::Param(p) => {
                        if let Some(id) = self.plan.param_id(&p.name.name) {
                            self.plan.docs.params.entry(id).or_insert(doc);
                        }
                    }
                    ItemKind::Scalar(s) => {
                        if let Some(id) =
                            self.plan.scalars.iter().position(|x| x.name == s.name.name)
                        {
                            self.plan.docs.scalars.entry(id).or_insert(doc);
                        }
                    }
                    ItemKind::Column(c) => {
                        let Some(table) = self.plan.table_id(&c.table.name) else {
                            continue;
                        };
                        if let Some(column) = self.plan.tables[table].column_id(&c.column.name) {
                            self.plan.docs.columns.entry((table, column)).or_insert(doc);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The comment on the item's last line, else the block of own-line comments ending on
/// the line right above it.
fn doc_of(item: &Item, comments: &[Comment], source: &SourceFile) -> Option<Arc<str>> {
    let (first_line, _) = source.line_col(item.span.start);
    let (last_line, _) = source.line_col(item.span.end.saturating_sub(1).max(item.span.start));
    let line_of = |c: &Comment| source.line_col(c.span.start).0;
    if let Some(trailing) = comments
        .iter()
        .find(|c| c.trailing && line_of(c) == last_line)
    {
        return clean(&trailing.text);
    }
    let mut above: Vec<&str> = Vec::new();
    let mut line = first_line;
    while line > 1 {
        line -= 1;
        match comments.iter().find(|c| !c.trailing && line_of(c) == line) {
            Some(comment) => above.push(&comment.text),
            None => break,
        }
    }
    above.reverse();
    clean(&above.iter().map(|t| t.trim()).collect::<Vec<_>>().join(" "))
}

fn clean(text: &str) -> Option<Arc<str>> {
    let text = text.trim();
    (!text.is_empty()).then(|| Arc::from(text))
}
