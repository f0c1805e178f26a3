//! Appends stored columns end to end (the chunks of one CSV file, read in parallel)
//! without decoding every row: floats, codes and text buffers are copied as they are,
//! all at once ([`concat`]) or one part at a time as parts come ([`Appender`]).

use std::collections::HashMap;
use std::sync::Arc;

use crate::table::column::{
    BLANK_BITS, ColumnBuilder, ColumnValues, EXTRA_TAG, FloatKind, extra_index,
};
use crate::table::intern::FastBuildHasher;
use crate::value::{Text, Value};

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

/// The parts' rows in order, as one column.
pub fn concat(parts: Vec<ColumnValues>) -> ColumnValues {
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
        return concat_floats(parts, kind, total);
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
            return concat_texts(parts, total, bytes);
        }
    }
    if parts
        .iter()
        .all(|p| matches!(p, ColumnValues::Coded { .. }))
    {
        return concat_coded(parts, total);
    }
    let mut builder = ColumnBuilder::with_capacity(total);
    for part in parts {
        for value in part.into_values() {
            builder.push(value);
        }
    }
    builder.finish()
}

fn concat_floats(parts: Vec<ColumnValues>, kind: FloatKind, total: usize) -> ColumnValues {
    let mut data: Vec<f64> = Vec::with_capacity(total);
    let mut extras: Vec<Value> = Vec::new();
    for part in parts {
        match part {
            ColumnValues::Floats {
                data: rows,
                extras: more,
                ..
            } => {
                let base = extras.len() as u64;
                extras.extend(more);
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

fn concat_texts(parts: Vec<ColumnValues>, total: usize, bytes: usize) -> ColumnValues {
    let mut text = String::with_capacity(bytes);
    let mut ends: Vec<u32> = Vec::with_capacity(total);
    let mut others: Vec<(u32, Value)> = Vec::new();
    for part in parts {
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
                others.extend(more_others.into_iter().map(|(row, v)| (first_row + row, v)));
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

fn concat_coded(parts: Vec<ColumnValues>, total: usize) -> ColumnValues {
    let mut codes: Vec<u32> = Vec::with_capacity(total);
    let mut dictionary: Vec<Value> = Vec::new();
    let mut index_of: HashMap<Key, u32, FastBuildHasher> = HashMap::default();
    for part in parts {
        let ColumnValues::Coded {
            codes: rows,
            dictionary: entries,
        } = part
        else {
            continue;
        };
        append_codes(
            &mut codes,
            &mut dictionary,
            &mut index_of,
            &rows,
            entries.into_iter(),
        );
    }
    ColumnValues::Coded { codes, dictionary }
}

/// Appends a coded part's `rows` (codes into its own `entries`) to a coded column:
/// each entry found in the column's dictionary by value (`codes_of`), or added to it.
fn append_codes(
    codes: &mut Vec<u32>,
    dictionary: &mut Vec<Value>,
    codes_of: &mut HashMap<Key, u32, FastBuildHasher>,
    rows: &[u32],
    entries: impl Iterator<Item = Value>,
) {
    let remap: Vec<u32> = entries
        .map(|value| {
            let next = dictionary.len() as u32;
            let code = *codes_of.entry(key(&value)).or_insert(next);
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

/// Parts appended one at a time, in order, into what [`concat`] of all of them gives,
/// so that each part can be freed as soon as it is appended (a CSV chunk's columns,
/// while later chunks are still being parsed). While the parts share a shape each is
/// copied onto the end of the column so far, which grows in place; from the first
/// part of another shape on, the parts are kept and joined by `concat` at the end.
#[derive(Default)]
pub struct Appender {
    joined: ColumnValues,
    /// A coded column's dictionary positions, by value.
    codes_of: HashMap<Key, u32, FastBuildHasher>,
    /// The parts after `joined`, once one did not fit its shape.
    rest: Vec<ColumnValues>,
}

impl Appender {
    /// Appends `part`, whose stored values that are not plain numbers, dates or text
    /// (errors, blanks among floats …) are first changed by `fix`.
    pub fn push(&mut self, part: ColumnValues, fix: &dyn Fn(Value) -> Value) {
        let part = fix_stored(part, fix);
        if !self.rest.is_empty() {
            self.rest.push(part);
            return;
        }
        if let Err(part) = self.append_in_place(part) {
            self.rest.push(part);
        }
    }

    /// Makes room at once for the whole column, expected to be about `times` what it
    /// holds now: grown part by part, each doubling would copy it. Room that cannot be
    /// had is not taken (parts are then appended as they come).
    pub fn expect_growth(&mut self, times: f64) {
        let more = |now: usize| (now as f64 * (times - 1.0).max(0.0)).ceil() as usize;
        match &mut self.joined {
            ColumnValues::Floats { data, .. } => {
                let _ = data.try_reserve(more(data.len()));
            }
            ColumnValues::Coded { codes, .. } => {
                let _ = codes.try_reserve(more(codes.len()));
            }
            ColumnValues::Texts { text, ends, .. } => {
                let _ = text.try_reserve(more(text.len()));
                let _ = ends.try_reserve(more(ends.len()));
            }
            ColumnValues::Values(_) => {}
        }
    }

    /// The column of every part appended, in order.
    pub fn finish(self) -> ColumnValues {
        if self.rest.is_empty() {
            return match self.joined {
                ColumnValues::Floats { kind, data, extras } if extras.len() > u32::MAX as usize => {
                    ColumnValues::compact(ColumnValues::Floats { kind, data, extras }.into_values())
                }
                joined => joined,
            };
        }
        let mut parts = Vec::with_capacity(self.rest.len() + 1);
        parts.push(self.joined);
        parts.extend(self.rest);
        concat(parts)
    }

    /// Copies `part` onto the end of the column so far when the shapes allow what
    /// `concat` would do with both; gives it back otherwise.
    fn append_in_place(&mut self, part: ColumnValues) -> Result<(), ColumnValues> {
        // Before the first part with something in it, the column so far is blank rows:
        // it takes the shape of that part, as `concat` stores blank parts in it.
        if all_blank(&self.joined)
            && !all_blank(&part)
            && matches!(
                part,
                ColumnValues::Floats { .. } | ColumnValues::Texts { .. }
            )
        {
            let blanks = std::mem::take(&mut self.joined);
            self.joined = match &part {
                ColumnValues::Floats { kind, .. } => ColumnValues::Floats {
                    kind: *kind,
                    data: Vec::new(),
                    extras: Vec::new(),
                },
                _ => ColumnValues::Texts {
                    text: String::new(),
                    ends: Vec::new(),
                    others: Vec::new(),
                },
            };
            self.append_blanks(blanks.len());
        }
        if self.joined.is_empty() && matches!(self.joined, ColumnValues::Values(_)) {
            // Nothing so far: the first part is the column (a coded one indexed).
            if let ColumnValues::Coded { dictionary, .. } = &part {
                self.codes_of = dictionary
                    .iter()
                    .enumerate()
                    .map(|(code, value)| (key(value), code as u32))
                    .collect();
                if self.codes_of.len() != dictionary.len() {
                    // A dictionary holding a value twice: leave it to `concat`.
                    self.codes_of.clear();
                    return Err(part);
                }
            }
            self.joined = part;
            return Ok(());
        }
        match (&mut self.joined, part) {
            (
                ColumnValues::Floats { kind, data, extras },
                ColumnValues::Floats {
                    kind: more_kind,
                    data: rows,
                    extras: more,
                },
            ) if *kind == more_kind => {
                let base = extras.len() as u64;
                extras.extend(more);
                data.extend(rows.iter().map(|x| match extra_index(x.to_bits()) {
                    Some(i) => f64::from_bits(EXTRA_TAG | (base + i as u64)),
                    None => *x,
                }));
                Ok(())
            }
            (
                ColumnValues::Texts { text, ends, others },
                ColumnValues::Texts {
                    text: more,
                    ends: rows,
                    others: more_others,
                },
            ) if u32::try_from(text.len() + more.len()).is_ok() => {
                let first_row = ends.len() as u32;
                let base = text.len() as u32;
                text.push_str(&more);
                ends.extend(rows.iter().map(|e| base + e));
                others.extend(more_others.into_iter().map(|(row, v)| (first_row + row, v)));
                Ok(())
            }
            (
                ColumnValues::Coded { codes, dictionary },
                ColumnValues::Coded {
                    codes: rows,
                    dictionary: entries,
                },
            ) => {
                let entries = entries.into_iter();
                append_codes(codes, dictionary, &mut self.codes_of, &rows, entries);
                Ok(())
            }
            (ColumnValues::Floats { .. } | ColumnValues::Texts { .. }, part)
                if all_blank(&part) =>
            {
                self.append_blanks(part.len());
                Ok(())
            }
            (_, part) => Err(part),
        }
    }

    /// `rows` blank rows onto a float or text column, as `concat` stores a blank part.
    fn append_blanks(&mut self, rows: usize) {
        match &mut self.joined {
            ColumnValues::Floats { data, .. } => {
                data.extend(std::iter::repeat_n(f64::from_bits(BLANK_BITS), rows));
            }
            ColumnValues::Texts { text, ends, others } => {
                let base = text.len() as u32;
                for _ in 0..rows {
                    others.push((ends.len() as u32, Value::Blank));
                    ends.push(base);
                }
            }
            _ => {}
        }
    }
}

/// `part` with its stored values that are not plain numbers, dates or text changed by
/// `fix` (the rows that hold them stay where they are).
fn fix_stored(part: ColumnValues, fix: &dyn Fn(Value) -> Value) -> ColumnValues {
    let fixed = |value: Value| match value {
        v @ (Value::Number(_) | Value::Date(_) | Value::Text(_) | Value::Blank) => v,
        other => fix(other),
    };
    match part {
        ColumnValues::Floats { kind, data, extras } => ColumnValues::Floats {
            kind,
            data,
            extras: extras.into_iter().map(fixed).collect(),
        },
        ColumnValues::Coded { codes, dictionary } => ColumnValues::Coded {
            codes,
            dictionary: dictionary.into_iter().map(fixed).collect(),
        },
        ColumnValues::Texts { text, ends, others } => ColumnValues::Texts {
            text,
            ends,
            others: others.into_iter().map(|(row, v)| (row, fixed(v))).collect(),
        },
        ColumnValues::Values(values) => {
            ColumnValues::Values(values.into_iter().map(fixed).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    //! Concatenation against the obvious reading: every part's values in order.

    use super::*;
    use crate::value::ErrorKind;

    fn parts_of(columns: &[Vec<Value>]) -> Vec<ColumnValues> {
        columns.iter().cloned().map(ColumnValues::compact).collect()
    }

    /// Both ways of joining `columns` against the obvious reading: every part's
    /// values in order.
    fn check(columns: &[Vec<Value>]) {
        let expected: Vec<Value> = columns.iter().flatten().cloned().collect();
        let joined = concat(parts_of(columns));
        assert_eq!(joined.values().into_owned(), expected);
        assert_eq!(joined.len(), expected.len());
        let mut appender = Appender::default();
        for part in parts_of(columns) {
            appender.push(part, &|v| v);
        }
        let appended = appender.finish();
        assert_eq!(appended.values().into_owned(), expected, "{columns:?}");
        assert_eq!(appended.len(), expected.len());
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
        // Blank parts before, between and after parts of one shape, and shapes that
        // change part way (the appender then keeps the rest for `concat`).
        check(&[
            vec![Value::Blank; 2],
            vec![n(1.0), n(2.5)],
            vec![],
            vec![n(3.0)],
        ]);
        check(&[
            vec![Value::Blank],
            ids(0),
            vec![Value::Blank; 3],
            ids(5_000),
        ]);
        check(&[vec![t("a")], vec![Value::Blank], vec![t("b"), t("a")]]);
        check(&[ids(0), vec![n(1.0), n(2.0)], ids(5_000)]);
        check(&[vec![n(1.0), t("x")], vec![d(2.0)], vec![n(3.0), e.clone()]]);
        check(&[vec![t("a"), e.clone()], vec![e.clone(), t("a")]]);
        check(&[vec![], vec![], vec![t("a")], vec![n(1.0)]]);
    }

    #[test]
    fn a_part_freed_on_append_leaves_its_rows_in_the_shape_it_shared() {
        // Three parts of floats: appended in place, never handed on to `concat`.
        let mut appender = Appender::default();
        for part in parts_of(&[
            vec![Value::Number(1.0)],
            vec![Value::Blank],
            vec![Value::Number(2.0)],
        ]) {
            appender.push(part, &|v| v);
        }
        assert!(appender.rest.is_empty());
        assert!(matches!(appender.finish(), ColumnValues::Floats { .. }));
    }

    #[test]
    fn fix_sees_the_part_of_each_error() {
        // Errors of the second and third parts are changed, the first part's are not;
        // the third part (text among them) no longer fits the floats so far.
        let e = Value::error(ErrorKind::Value);
        let na = Value::error(ErrorKind::NA);
        let mut appender = Appender::default();
        let parts = parts_of(&[
            vec![Value::Number(1.0), e.clone()],
            vec![e.clone()],
            vec![Value::text("x"), e.clone()],
        ]);
        for (index, part) in parts.into_iter().enumerate() {
            appender.push(part, &|v| match index {
                0 => v,
                _ => na.clone(),
            });
        }
        assert_eq!(
            appender.finish().values().into_owned(),
            [Value::Number(1.0), e, na.clone(), Value::text("x"), na]
        );
    }
}
