//! Appends stored columns end to end (the chunks of one CSV file, read in parallel)
//! without decoding every row: floats, codes and text buffers are copied as they are.

use std::collections::HashMap;
use std::sync::Arc;

use crate::table::column::{
    BLANK_BITS, ColumnBuilder, ColumnValues, EXTRA_TAG, FloatKind, extra_index,
};
use crate::table::intern::FxBuildHasher;
use crate::value::{Text, Value};

/// How one part's stored values that are not plain numbers, dates or text (errors,
/// blanks among floats …) are changed on the way: `fix(part, value)`.
pub type Fix<'a> = &'a dyn Fn(usize, Value) -> Value;

/// A dictionary value's identity when parts are merged: text by its characters (each
/// part interned its own), errors never shared (each keeps its own origin).
#[derive(PartialEq, Eq, Hash)]
enum Key {
    Blank,
    Bool(bool),
    Number(u64),
    Date(u64),
    Text(Text),
    Error(usize),
}

fn key(value: &Value) -> Key {
    match value {
        Value::Blank => Key::Blank,
        Value::Bool(b) => Key::Bool(*b),
        Value::Number(n) => Key::Number(n.to_bits()),
        Value::Date(n) => Key::Date(n.to_bits()),
        Value::Text(t) => Key::Text(t.clone()),
        Value::Error(e) => Key::Error(Arc::as_ptr(e) as usize),
    }
}

/// Whether a part holds only blanks (a chunk where an optional column is empty).
fn all_blank(part: &ColumnValues) -> bool {
    match part {
        ColumnValues::Coded { dictionary, .. } => dictionary.iter().all(Value::is_blank),
        _ => part.is_empty(),
    }
}

/// The parts' rows in order, as one column; `fix` sees every stored value that is not a
/// plain number, date or text of a buffer (see [`Fix`]).
pub fn concat(parts: Vec<ColumnValues>, fix: Fix<'_>) -> ColumnValues {
    let total: usize = parts.iter().map(ColumnValues::len).sum();
    let kind = parts.iter().find_map(|p| match p {
        ColumnValues::Floats { kind, .. } => Some(*kind),
        _ => None,
    });
    let shapes_match = |f: fn(&ColumnValues) -> bool| {
        parts.iter().any(|p| !all_blank(p)) && parts.iter().all(|p| all_blank(p) || f(p))
    };
    if let Some(kind) = kind
        && shapes_match(|p| matches!(p, ColumnValues::Floats { .. }))
        && parts
            .iter()
            .all(|p| !matches!(p, ColumnValues::Floats { kind: k, .. } if *k != kind))
    {
        return concat_floats(parts, kind, total, fix);
    }
    if shapes_match(|p| matches!(p, ColumnValues::Texts { .. })) {
        let bytes: usize = parts
            .iter()
            .map(|p| match p {
                ColumnValues::Texts { text, .. } => text.len(),
                _ => 0,
            })
            .sum();
        if u32::try_from(bytes).is_ok() {
            return concat_texts(parts, total, bytes, fix);
        }
    }
    if parts
        .iter()
        .all(|p| matches!(p, ColumnValues::Coded { .. }))
    {
        return concat_coded(parts, total, fix);
    }
    let mut builder = ColumnBuilder::with_capacity(total);
    for (index, part) in parts.into_iter().enumerate() {
        for value in part.into_values() {
            builder.push(match value {
                v @ (Value::Number(_) | Value::Date(_) | Value::Text(_) | Value::Blank) => v,
                other => fix(index, other),
            });
        }
    }
    builder.finish()
}

fn concat_floats(
    parts: Vec<ColumnValues>,
    kind: FloatKind,
    total: usize,
    fix: Fix<'_>,
) -> ColumnValues {
    let mut data: Vec<f64> = Vec::with_capacity(total);
    let mut extras: Vec<Value> = Vec::new();
    for (index, part) in parts.into_iter().enumerate() {
        match part {
            ColumnValues::Floats {
                data: rows,
                extras: more,
                ..
            } => {
                let base = extras.len() as u64;
                extras.extend(more.into_iter().map(|v| fix(index, v)));
                data.extend(rows.iter().map(|x| match extra_index(x.to_bits()) {
                    Some(i) => f64::from_bits(EXTRA_TAG | (base + i as u64)),
                    None => *x,
                }));
            }
            blank => data.extend(std::iter::repeat_n(f64::from_bits(BLANK_BITS), blank.len())),
        }
    }
    if extras.len() > u32::MAX as usize {
        return ColumnValues::compact(ColumnValues::Floats { kind, data, extras }.into_values());
    }
    ColumnValues::Floats { kind, data, extras }
}

fn concat_texts(
    parts: Vec<ColumnValues>,
    total: usize,
    bytes: usize,
    fix: Fix<'_>,
) -> ColumnValues {
    let mut text = String::with_capacity(bytes);
    let mut ends: Vec<u32> = Vec::with_capacity(total);
    let mut others: Vec<(u32, Value)> = Vec::new();
    for (index, part) in parts.into_iter().enumerate() {
        let first_row = ends.len() as u32;
        let base = text.len() as u32;
        match part {
            ColumnValues::Texts {
                text: more,
                ends: rows,
                others: more_others,
            } => {
                text.push_str(&more);
                ends.extend(rows.iter().map(|e| base + e));
                others.extend(
                    more_others
                        .into_iter()
                        .map(|(row, v)| (first_row + row, fix(index, v))),
                );
            }
            blank => {
                for row in 0..blank.len() as u32 {
                    ends.push(base);
                    others.push((first_row + row, Value::Blank));
                }
            }
        }
    }
    ColumnValues::Texts { text, ends, others }
}

fn concat_coded(parts: Vec<ColumnValues>, total: usize, fix: Fix<'_>) -> ColumnValues {
    let mut codes: Vec<u32> = Vec::with_capacity(total);
    let mut dictionary: Vec<Value> = Vec::new();
    let mut index_of: HashMap<Key, u32, FxBuildHasher> = HashMap::default();
    for (index, part) in parts.into_iter().enumerate() {
        let ColumnValues::Coded {
            codes: rows,
            dictionary: entries,
        } = part
        else {
            continue;
        };
        let remap: Vec<u32> = entries
            .into_iter()
            .map(|value| {
                let value = match value {
                    v @ (Value::Number(_) | Value::Date(_) | Value::Text(_) | Value::Blank) => v,
                    other => fix(index, other),
                };
                let next = dictionary.len() as u32;
                let code = *index_of.entry(key(&value)).or_insert(next);
                if code == next {
                    dictionary.push(value);
                }
                code
            })
            .collect();
        codes.extend(
            rows.iter()
                .map(|c| remap.get(*c as usize).copied().unwrap_or(0)),
        );
    }
    ColumnValues::Coded { codes, dictionary }
}

#[cfg(test)]
mod tests {
    //! Concatenation against the obvious reading: every part's values in order.

    use super::*;
    use crate::value::ErrorKind;

    fn parts_of(columns: &[Vec<Value>]) -> Vec<ColumnValues> {
        columns.iter().cloned().map(ColumnValues::compact).collect()
    }

    fn check(columns: &[Vec<Value>]) {
        let expected: Vec<Value> = columns.iter().flatten().cloned().collect();
        let joined = concat(parts_of(columns), &|_, v| v);
        assert_eq!(joined.values().into_owned(), expected);
        assert_eq!(joined.len(), expected.len());
    }

    #[test]
    fn every_shape_and_mix_keeps_rows_in_order() {
        let n = |x: f64| Value::Number(x);
        let d = |x: f64| Value::Date(x);
        let t = |s: &str| Value::text(s);
        let ids = |from: usize| -> Vec<Value> {
            (from..from + 5_000)
                .map(|i| t(&format!("ID-{i}")))
                .collect()
        };
        let e = Value::error(ErrorKind::Value);
        check(&[vec![n(1.0), Value::Blank, t("x")], vec![n(2.0), e.clone()]]);
        check(&[vec![d(1.0), d(2.0)], vec![Value::Blank; 3], vec![d(3.0)]]);
        check(&[vec![t("a"), t("b")], vec![t("b"), Value::Blank, t("c")]]);
        check(&[ids(0), vec![Value::Blank; 2], ids(5_000)]);
        check(&[ids(0), vec![t("a"), t("a")], vec![n(1.0)]]);
        check(&[vec![n(1.0)], vec![d(2.0)]]);
        check(&[vec![], vec![n(1.0)], vec![]]);
        check(&[vec![Value::Blank; 2], vec![Value::Blank]]);
    }

    #[test]
    fn fix_sees_the_part_of_each_error() {
        let e = Value::error(ErrorKind::Value);
        let joined = concat(
            parts_of(&[vec![Value::Number(1.0), e.clone()], vec![e.clone()]]),
            &|part, v| match part {
                0 => v,
                _ => Value::error(ErrorKind::NA),
            },
        );
        assert_eq!(
            joined.values().into_owned(),
            [Value::Number(1.0), e, Value::error(ErrorKind::NA)]
        );
    }
}
