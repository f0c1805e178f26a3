//! A TOML document as a tree whose every key and value keeps its span (file and byte
//! range), so merged scenarios still point each value back at the file that wrote it.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};
use toml::value::Datetime;

use crate::diagnostic::source::{FileId, Span};

/// One TOML value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(Datetime),
    Array(Vec<Node>),
    Table(Table),
}

/// A table's entries by key; each keeps the span of its key.
pub(crate) type Table = BTreeMap<String, Entry>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key_span: Span,
    pub node: Node,
}

impl Node {
    /// How the value's type reads in a message: "a string", "an integer" …
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::String(_) => "a string",
            Kind::Integer(_) => "an integer",
            Kind::Float(_) => "a decimal number",
            Kind::Boolean(_) => "a boolean",
            Kind::Datetime(dt) => match (dt.date, dt.time) {
                (Some(_), None) => "a date",
                (None, Some(_)) => "a time",
                _ => "a date with a time",
            },
            Kind::Array(_) => "a list",
            Kind::Table(_) => "a table",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_table(&self) -> Option<&Table> {
        match &self.kind {
            Kind::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The plain `toml::Value` (spans dropped), for sections kept raw.
    pub fn to_toml(&self) -> toml::Value {
        match &self.kind {
            Kind::String(s) => toml::Value::String(s.clone()),
            Kind::Integer(i) => toml::Value::Integer(*i),
            Kind::Float(f) => toml::Value::Float(*f),
            Kind::Boolean(b) => toml::Value::Boolean(*b),
            Kind::Datetime(dt) => toml::Value::Datetime(*dt),
            Kind::Array(items) => toml::Value::Array(items.iter().map(Node::to_toml).collect()),
            Kind::Table(table) => toml::Value::Table(
                table
                    .iter()
                    .map(|(k, e)| (k.clone(), e.node.to_toml()))
                    .collect(),
            ),
        }
    }
}

/// A value the TOML parser accepted but that does not fit a Rust number (an integer
/// beyond 64 bits): its span and the text as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutOfRange {
    pub span: Span,
    pub text: String,
}

/// Converts a parsed document into a tree whose spans point into `file`.
pub(crate) fn document_to_tree(
    document: &Spanned<DeTable<'_>>,
    file: FileId,
    problems: &mut Vec<OutOfRange>,
) -> Node {
    let range = document.span();
    Node {
        kind: Kind::Table(table_to_tree(document.get_ref(), file, problems)),
        span: Span::new(file, range.start, range.end),
    }
}

fn table_to_tree(table: &DeTable<'_>, file: FileId, problems: &mut Vec<OutOfRange>) -> Table {
    table
        .iter()
        .map(|(key, value)| {
            let key_range = key.span();
            let entry = Entry {
                key_span: Span::new(file, key_range.start, key_range.end),
                node: value_to_tree(value, file, problems),
            };
            (key.get_ref().to_string(), entry)
        })
        .collect()
}

fn value_to_tree(
    value: &Spanned<DeValue<'_>>,
    file: FileId,
    problems: &mut Vec<OutOfRange>,
) -> Node {
    let range = value.span();
    let span = Span::new(file, range.start, range.end);
    let kind = match value.get_ref() {
        DeValue::String(s) => Kind::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Kind::Integer(n),
            Err(_) => {
                problems.push(OutOfRange {
                    span,
                    text: i.as_str().to_string(),
                });
                Kind::Integer(0)
            }
        },
        DeValue::Float(f) => Kind::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Kind::Boolean(*b),
        DeValue::Datetime(dt) => Kind::Datetime(*dt),
        DeValue::Array(items) => Kind::Array(
            items
                .iter()
                .map(|item| value_to_tree(item, file, problems))
                .collect(),
        ),
        DeValue::Table(table) => Kind::Table(table_to_tree(table, file, problems)),
    };
    Node { kind, span }
}

/// Deep-merges `over` onto `base`: tables merge key by key (recursively), anything
/// else — scalars and arrays, arrays of tables included — is replaced by `over`'s value.
pub(crate) fn merge(base: &mut Table, over: &Table) {
    for (key, entry) in over {
        match (base.get_mut(key), &entry.node.kind) {
            (Some(existing), Kind::Table(over_table)) => {
                if let Kind::Table(base_table) = &mut existing.node.kind {
                    merge(base_table, over_table);
                    // The merged table is now "written" by the overriding file too.
                    existing.key_span = entry.key_span;
                    existing.node.span = entry.node.span;
                } else {
                    *existing = entry.clone();
                }
            }
            (Some(existing), _) => *existing = entry.clone(),
            (None, _) => {
                base.insert(key.clone(), entry.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str, file: FileId) -> Table {
        let doc = DeTable::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let mut problems = Vec::new();
        match document_to_tree(&doc, file, &mut problems).kind {
            Kind::Table(t) => t,
            other => panic!("not a table: {other:?}"),
        }
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_arrays() {
        let mut base = tree("a = 1\nlist = [1, 2]\n[t]\nx = 1\ny = 2\n", 0);
        let over = tree("list = [3]\n[t]\ny = 20\nz = 30\n", 1);
        merge(&mut base, &over);
        let value = toml::Value::Table(
            base.iter()
                .map(|(k, e)| (k.clone(), e.node.to_toml()))
                .collect(),
        );
        let expected: toml::Value =
            toml::from_str("a = 1\nlist = [3]\n[t]\nx = 1\ny = 20\nz = 30\n")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(value, expected);
        // Each value keeps the file that wrote it.
        let t = base["t"].node.as_table().unwrap_or_else(|| panic!("table"));
        assert_eq!(t["x"].node.span.file, 0);
        assert_eq!(t["y"].node.span.file, 1);
    }

    #[test]
    fn spans_cover_keys_and_values() {
        let text = "name = \"x\"\n";
        let t = tree(text, 3);
        let entry = &t["name"];
        assert_eq!(&text[entry.key_span.start..entry.key_span.end], "name");
        assert_eq!(&text[entry.node.span.start..entry.node.span.end], "\"x\"");
        assert_eq!(entry.node.span.file, 3);
    }
}
