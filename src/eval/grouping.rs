//! Group ids: each key column is coded once (equal keys, equal small integers), the
//! codes of a table's key columns give every row its group, and other tables' rows are
//! matched to the same groups by their key values.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::eval::vector::{Memo, Operand};
use crate::value::{ErrorKind, Text, Value, excel_compare};

/// Marks a row that belongs to no group (filtered out, or its key is unknown).
pub const NO_GROUP: u32 = crate::lang::analysis::NO_GROUP;

pub type FastMap<K, V> = HashMap<K, V, crate::table::intern::FastBuildHasher>;

/// A hashable form of a non-text key value; numbers and dates by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyAtom {
    Blank,
    Number(u64),
    Bool(bool),
    Error(ErrorKind),
}

fn atom(value: &Value) -> Option<KeyAtom> {
    Some(match value {
        Value::Blank => KeyAtom::Blank,
        Value::Number(n) | Value::Date(n) => {
            KeyAtom::Number(if *n == 0.0 { 0 } else { n.to_bits() })
        }
        Value::Bool(b) => KeyAtom::Bool(*b),
        Value::Error(e) => KeyAtom::Error(e.kind),
        Value::Text(_) => return None,
    })
}

/// Turns values into codes; equal keys get equal codes. Text matches as Excel's `=`
/// does for grouping: equal after lowercasing.
#[derive(Default)]
struct KeyCoder {
    /// Lowercase text → code; the key shares the value's allocation when the text is
    /// already lowercase.
    text: FastMap<Text, u32>,
    other: FastMap<KeyAtom, u32>,
    count: u32,
}

fn is_lowercase_ascii(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
}

/// Looks `text` up by its lowercase form, allocating only when lowercasing changes it.
fn with_lowercase<R>(text: &str, f: impl FnOnce(&str) -> R) -> R {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            f(&text.to_ascii_lowercase())
        } else {
            f(text)
        }
    } else {
        f(&text.to_lowercase())
    }
}

impl KeyCoder {
    fn code(&mut self, value: &Value) -> u32 {
        let next = self.count;
        let code = match value {
            Value::Text(text) => {
                let lowered =
                    (!is_lowercase_ascii(text)).then(|| with_lowercase(text, |l| l.to_string()));
                let key = lowered.as_deref().unwrap_or(text);
                match self.text.get(key) {
                    Some(code) => *code,
                    None => {
                        let key = match lowered {
                            Some(lower) => Text::from(lower),
                            None => text.clone(),
                        };
                        self.text.insert(key, next);
                        next
                    }
                }
            }
            other => match atom(other) {
                Some(atom) => *self.other.entry(atom).or_insert(next),
                None => next,
            },
        };
        if code == next {
            self.count += 1;
        }
        code
    }

    /// The code of a value only if it was seen before.
    fn existing(&self, value: &Value) -> Option<u32> {
        match value {
            Value::Text(text) => with_lowercase(text, |lower| self.text.get(lower).copied()),
            other => atom(other).and_then(|a| self.other.get(&a).copied()),
        }
    }
}

/// One key column coded: every row's code, and for every code the first row holding it.
pub struct KeyCodes {
    pub codes: Vec<u32>,
    pub first_rows: Vec<usize>,
    coder: KeyCoder,
    /// Each code's rank in Excel's order, computed once (see [`KeyCodes::ranks`]).
    ranks: OnceLock<Option<Vec<u32>>>,
}

impl KeyCodes {
    /// Codes every row of `values`; interned text is lowercased and hashed once per
    /// distinct string, not once per row.
    pub fn build(values: &[Value]) -> KeyCodes {
        let mut coder = KeyCoder::default();
        let mut memo: Memo<u32> = Memo::for_rows(values.len());
        // Behind the small cache, text by its allocation (the values stay alive here),
        // so many distinct interned keys are still lowercased and hashed once each.
        let mut by_pointer: FastMap<usize, u32> = FastMap::default();
        let (codes, first_rows) = with_first_rows(values.iter().map(|value| {
            memo.get_or(value, || match value {
                Value::Text(t) => *by_pointer
                    .entry(t.as_ptr() as usize)
                    .or_insert_with(|| coder.code(value)),
                _ => coder.code(value),
            })
        }));
        KeyCodes {
            codes,
            first_rows,
            coder,
            ranks: OnceLock::new(),
        }
    }

    /// [`KeyCodes::build`] for a dictionary-coded column: each dictionary entry is
    /// coded once, and rows take their entry's code (numbered by first appearance, as
    /// `build` numbers them).
    pub fn build_coded(codes: &[u32], dictionary: &[Value]) -> KeyCodes {
        const UNSEEN: u32 = u32::MAX;
        let mut coder = KeyCoder::default();
        let mut key_of_entry = vec![UNSEEN; dictionary.len()];
        let (codes, first_rows) = with_first_rows(codes.iter().map(|entry| {
            // (A code past the dictionary cannot come from a stored column; it would
            // read as blank, as `Operand::get` reads it.)
            match key_of_entry.get_mut(*entry as usize) {
                Some(slot) => {
                    if *slot == UNSEEN {
                        *slot =
                            coder.code(dictionary.get(*entry as usize).unwrap_or(&Value::Blank));
                    }
                    *slot
                }
                None => coder.code(&Value::Blank),
            }
        }));
        KeyCodes {
            codes,
            first_rows,
            coder,
            ranks: OnceLock::new(),
        }
    }

    /// [`KeyCodes::build`] or [`KeyCodes::build_coded`], by the column's shape.
    pub fn build_from(column: Operand<'_>, rows: usize) -> KeyCodes {
        match column {
            Operand::Many(values) => KeyCodes::build(values),
            Operand::Coded { codes, dictionary } => KeyCodes::build_coded(codes, dictionary),
            Operand::One(value) => KeyCodes::build(&vec![value.clone(); rows]),
        }
    }

    pub fn count(&self) -> usize {
        self.first_rows.len()
    }

    /// Each code's position in Excel's ascending order (codes that compare equal share
    /// one), or `None` when the column's values are not totally ordered by Excel's
    /// comparison (a blank beside values of two kinds: blank equals 0 and "", but 0 < "").
    fn ranks(&self, values: Operand<'_>) -> Option<Vec<u32>> {
        let representative = |code: usize| values.get(self.first_rows[code]);
        let (mut blank, mut numbers, mut texts, mut bools) = (false, false, false, false);
        for code in 0..self.count() {
            match representative(code) {
                Value::Blank => blank = true,
                Value::Number(_) | Value::Date(_) => numbers = true,
                Value::Text(_) => texts = true,
                Value::Bool(_) => bools = true,
                Value::Error(_) => {}
            }
        }
        if blank && usize::from(numbers) + usize::from(texts) + usize::from(bools) > 1 {
            return None;
        }
        // Grouping lowercases whole strings (a final Σ becomes ς) but comparison folds
        // character by character (σ): with a sigma, keys of one group may not compare
        // equal, so only the group's own first row can be trusted.
        if self.coder.text.keys().any(|k| k.contains(['σ', 'ς'])) {
            return None;
        }
        // Text compares by its lowercased characters: fold once, then compare bytes
        // (UTF-8 keeps code point order).
        let folded: Vec<Option<std::borrow::Cow<'_, str>>> = (0..self.count())
            .map(|code| match representative(code) {
                // Lowercase ASCII is its own fold: no copy.
                Value::Text(t) if is_lowercase_ascii(t) => Some(std::borrow::Cow::Borrowed(&**t)),
                Value::Text(t) => Some(std::borrow::Cow::Owned(
                    t.chars().flat_map(char::to_lowercase).collect(),
                )),
                _ => None,
            })
            .collect();
        let compare = |a: usize, b: usize| match (&folded[a], &folded[b]) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => excel_compare(representative(a), representative(b)),
        };
        let mut order: Vec<usize> = (0..self.count()).collect();
        order.sort_unstable_by(|&a, &b| compare(a, b).then(a.cmp(&b)));
        let mut ranks = vec![0u32; self.count()];
        let mut rank = 0u32;
        for (i, code) in order.iter().enumerate() {
            if i > 0 && compare(order[i - 1], *code) != Ordering::Equal {
                rank += 1;
            }
            ranks[*code] = rank;
        }
        Some(ranks)
    }
}

/// Collects codes numbered by first appearance (a new code is the count so far), with
/// the first row of each.
fn with_first_rows(codes: impl Iterator<Item = u32>) -> (Vec<u32>, Vec<usize>) {
    let mut first_rows = Vec::new();
    let codes = codes
        .enumerate()
        .map(|(row, code)| {
            if code as usize == first_rows.len() {
                first_rows.push(row);
            }
            code
        })
        .collect();
    (codes, first_rows)
}

/// Code tuples → group ids: a dense table when the tuple space is small, else a hash.
enum TupleIndex {
    Dense(Vec<u32>),
    Hashed(FastMap<u64, u32>),
}

impl TupleIndex {
    fn new(space: u64, rows: usize) -> TupleIndex {
        // Dense while it costs no more memory than a few words per row.
        if space <= (rows as u64).saturating_mul(4).max(1 << 16) {
            TupleIndex::Dense(vec![NO_GROUP; space as usize])
        } else {
            TupleIndex::Hashed(FastMap::default())
        }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        match self {
            TupleIndex::Dense(table) => table.get(key as usize).copied().filter(|g| *g != NO_GROUP),
            TupleIndex::Hashed(map) => map.get(&key).copied(),
        }
    }

    #[inline]
    fn get_or_insert(&mut self, key: u64, next: u32) -> u32 {
        match self {
            TupleIndex::Dense(table) => match table.get_mut(key as usize) {
                Some(slot) => {
                    if *slot == NO_GROUP {
                        *slot = next;
                    }
                    *slot
                }
                None => next,
            },
            TupleIndex::Hashed(map) => *map.entry(key).or_insert(next),
        }
    }

    fn renumber(&mut self, new_id: &[u32]) {
        let values: Box<dyn Iterator<Item = &mut u32>> = match self {
            TupleIndex::Dense(table) => Box::new(table.iter_mut().filter(|g| **g != NO_GROUP)),
            TupleIndex::Hashed(map) => Box::new(map.values_mut()),
        };
        for group in values {
            *group = new_id[*group as usize];
        }
    }
}

/// The groups of one grouped table.
pub struct Grouping {
    /// For each source row, its group (or [`NO_GROUP`]).
    pub row_groups: Vec<u32>,
    /// For each group, the first source row with its key (its key values are shown).
    pub first_rows: Vec<usize>,
    columns: Vec<Arc<KeyCodes>>,
    /// Mixed-radix weights turning a code tuple into one `u64`.
    strides: Vec<u64>,
    index: TupleIndex,
}

/// Why a grouping could not be built the fast way.
#[derive(Debug, PartialEq)]
pub struct TooManyKeys;

impl Grouping {
    /// Groups rows by their key codes where `keep` allows, numbering groups in ascending
    /// key order (Excel's sort order). `keys` are the key columns' values (for sorting).
    /// Err when the product of the columns' distinct counts overflows 64 bits.
    pub fn from_codes(
        columns: Vec<Arc<KeyCodes>>,
        keys: &[Operand<'_>],
        rows: usize,
        keep: Option<&[bool]>,
    ) -> Result<Grouping, TooManyKeys> {
        let mut strides = Vec::with_capacity(columns.len());
        let mut space: u64 = 1;
        for column in columns.iter().rev() {
            strides.push(space);
            space = space
                .checked_mul(column.count().max(1) as u64)
                .ok_or(TooManyKeys)?;
        }
        strides.reverse();
        let mut index = TupleIndex::new(space, rows);
        let mut first_rows: Vec<usize> = Vec::new();
        let mut row_groups = vec![NO_GROUP; rows];
        let single = match columns.as_slice() {
            [only] => Some(&only.codes),
            _ => None,
        };
        for (row, slot) in row_groups.iter_mut().enumerate() {
            if keep.is_some_and(|k| !k.get(row).copied().unwrap_or(false)) {
                continue;
            }
            let key = match single {
                Some(codes) => u64::from(codes.get(row).copied().unwrap_or(0)),
                None => columns
                    .iter()
                    .zip(&strides)
                    .fold(0u64, |key, (column, stride)| {
                        key + u64::from(column.codes.get(row).copied().unwrap_or(0)) * stride
                    }),
            };
            let next = first_rows.len() as u32;
            let group = index.get_or_insert(key, next);
            if group == next {
                first_rows.push(row);
            }
            *slot = group;
        }
        let mut grouping = Grouping {
            row_groups,
            first_rows,
            columns,
            strides,
            index,
        };
        grouping.sort_groups(keys);
        Ok(grouping)
    }

    /// Groups the rows of `keys` (one slice per key column) where `keep` allows.
    pub fn build(keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> Grouping {
        let keys: Vec<Operand<'_>> = keys.iter().map(|k| Operand::Many(k)).collect();
        Grouping::build_from(&keys, rows, keep)
    }

    /// [`Grouping::build`] over key columns of any shape.
    pub fn build_from(keys: &[Operand<'_>], rows: usize, keep: Option<&[bool]>) -> Grouping {
        let columns: Vec<Arc<KeyCodes>> = keys
            .iter()
            .map(|k| Arc::new(KeyCodes::build_from(*k, rows)))
            .collect();
        match Grouping::from_codes(columns, keys, rows, keep) {
            Ok(grouping) => grouping,
            // Unreachable for real tables (needs > 2^64 distinct tuples); one group
            // per kept row keeps the run going.
            Err(TooManyKeys) => Grouping {
                row_groups: vec![NO_GROUP; rows],
                first_rows: Vec::new(),
                columns: Vec::new(),
                strides: Vec::new(),
                index: TupleIndex::Hashed(FastMap::default()),
            },
        }
    }

    /// Renumbers groups so that group 0 has the smallest key (stable, deterministic output):
    /// key columns compared in order with Excel's comparison, ties by first row.
    fn sort_groups(&mut self, keys: &[Operand<'_>]) {
        let count = self.first_rows.len();
        let mut order: Vec<usize> = (0..count).collect();
        let ranks: Option<Vec<&[u32]>> = self
            .columns
            .iter()
            .zip(keys)
            .map(|(column, values)| {
                column
                    .ranks
                    .get_or_init(|| column.ranks(*values))
                    .as_deref()
            })
            .collect();
        match ranks {
            Some(ranks) => {
                // Provisional ids follow first appearance, so `order` starts in first-row
                // order; stable counting sorts by each key's rank, last key first, leave
                // groups in key order with ties by first row, in time linear in the
                // groups and distinct keys (no comparison sort).
                let first_rows = &self.first_rows;
                for (column, rank) in self.columns.iter().zip(&ranks).rev() {
                    let rank_of = |g: usize| {
                        column
                            .codes
                            .get(first_rows[g])
                            .and_then(|c| rank.get(*c as usize))
                            .map_or(0, |r| *r as usize)
                    };
                    let mut starts = vec![0usize; rank.len() + 2];
                    for &g in &order {
                        starts[rank_of(g) + 1] += 1;
                    }
                    for r in 0..=rank.len() {
                        starts[r + 1] += starts[r];
                    }
                    let mut sorted = vec![0usize; count];
                    for &g in &order {
                        let slot = &mut starts[rank_of(g)];
                        sorted[*slot] = g;
                        *slot += 1;
                    }
                    order = sorted;
                }
            }
            None => order.sort_by(|&a, &b| {
                let (ra, rb) = (self.first_rows[a], self.first_rows[b]);
                for column in keys {
                    let ord = excel_compare(column.get(ra), column.get(rb));
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                ra.cmp(&rb)
            }),
        }
        self.reorder(&order);
    }

    /// Renumbers the groups so that group `new` is the one numbered `order[new]` before
    /// (`order` must list every group once; anything else leaves the groups as they are).
    /// Returns each old group's new number.
    pub fn reorder(&mut self, order: &[usize]) -> Vec<u32> {
        let count = self.first_rows.len();
        let mut new_id = vec![u32::MAX; count];
        for (new, old) in order.iter().enumerate() {
            if let Some(slot) = new_id.get_mut(*old) {
                *slot = new as u32;
            }
        }
        if order.len() != count || new_id.contains(&u32::MAX) {
            return (0..count as u32).collect();
        }
        for group in self.row_groups.iter_mut() {
            if *group != NO_GROUP {
                *group = new_id[*group as usize];
            }
        }
        self.index.renumber(&new_id);
        self.first_rows = order.iter().map(|old| self.first_rows[*old]).collect();
        new_id
    }

    pub fn group_count(&self) -> usize {
        self.first_rows.len()
    }

    /// Assigns each row of another table (its key columns, same order) to a group;
    /// rows whose key matches no group get [`NO_GROUP`].
    pub fn match_rows(&self, keys: &[Operand<'_>], rows: usize) -> Vec<u32> {
        // Each other column coded once per distinct value, then tuples looked up.
        let mut out = vec![NO_GROUP; rows];
        let mut partial = vec![0u64; rows];
        for ((column, stride), values) in self.columns.iter().zip(&self.strides).zip(keys) {
            let mut memo: Memo<Option<u32>> = Memo::for_rows(rows);
            for (row, key) in partial.iter_mut().enumerate() {
                if *key == u64::MAX {
                    continue;
                }
                // A key column shorter than the table (missing) matches nothing.
                let code = (values.rows().is_none_or(|n| row < n))
                    .then(|| values.get(row))
                    .and_then(|v| memo.get_or(v, || column.coder.existing(v)));
                match code {
                    Some(code) => *key += u64::from(code) * stride,
                    None => *key = u64::MAX,
                }
            }
        }
        for (slot, key) in out.iter_mut().zip(partial) {
            if key != u64::MAX
                && let Some(group) = self.index.get(key)
            {
                *slot = group;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_sorted_and_case_insensitive() {
        let keys = vec![
            Value::text("b"),
            Value::text("A"),
            Value::text("B"),
            Value::text("a"),
        ];
        let grouping = Grouping::build(&[&keys], 4, None);
        assert_eq!(grouping.group_count(), 2);
        // "A"/"a" sort before "b"/"B".
        assert_eq!(grouping.row_groups, vec![1, 0, 1, 0]);
        let other = vec![Value::text("B"), Value::text("c")];
        assert_eq!(
            grouping.match_rows(&[Operand::Many(&other)], 2),
            vec![1, NO_GROUP]
        );
    }

    #[test]
    fn a_coded_key_column_groups_as_its_values_do() {
        // Case variants and duplicate entries in the dictionary, unused entries, blanks.
        let dictionary = vec![
            Value::text("b"),
            Value::text("A"),
            Value::text("B"),
            Value::Blank,
            Value::text("unused"),
            Value::text("a"),
        ];
        let codes: Vec<u32> = vec![0, 1, 2, 5, 3, 0, 3, 1];
        let values: Vec<Value> = codes
            .iter()
            .map(|c| dictionary[*c as usize].clone())
            .collect();
        let coded = KeyCodes::build_coded(&codes, &dictionary);
        let plain = KeyCodes::build(&values);
        assert_eq!(coded.codes, plain.codes);
        assert_eq!(coded.first_rows, plain.first_rows);
        let keep = [true, true, false, true, true, true, true, true];
        let from_coded = Grouping::build_from(
            &[Operand::Coded {
                codes: &codes,
                dictionary: &dictionary,
            }],
            codes.len(),
            Some(&keep),
        );
        let from_values = Grouping::build(&[&values], values.len(), Some(&keep));
        assert_eq!(from_coded.row_groups, from_values.row_groups);
        assert_eq!(from_coded.first_rows, from_values.first_rows);
    }

    #[test]
    fn filtered_rows_get_no_group() {
        let keys = vec![Value::Number(1.0), Value::Number(2.0)];
        let grouping = Grouping::build(&[&keys], 2, Some(&[true, false]));
        assert_eq!(grouping.row_groups, vec![0, NO_GROUP]);
    }

    /// The grouping as first written: a hash map of lowercased keys per row, groups
    /// sorted by Excel's comparison of their first rows (the reference semantics).
    fn reference(keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> (Vec<u32>, Vec<usize>) {
        #[derive(PartialEq, Eq, Hash)]
        enum Atom {
            Blank,
            Number(u64),
            Text(String),
            Bool(bool),
            Error(ErrorKind),
        }
        let atom = |v: &Value| match v {
            Value::Blank => Atom::Blank,
            Value::Number(n) | Value::Date(n) => {
                Atom::Number(if *n == 0.0 { 0 } else { n.to_bits() })
            }
            Value::Text(t) => Atom::Text(t.to_lowercase()),
            Value::Bool(b) => Atom::Bool(*b),
            Value::Error(e) => Atom::Error(e.kind),
        };
        let mut lookup: HashMap<Vec<Atom>, u32> = HashMap::new();
        let mut first_rows = Vec::new();
        let mut row_groups = vec![NO_GROUP; rows];
        for row in 0..rows {
            if keep.is_some_and(|k| !k[row]) {
                continue;
            }
            let tuple: Vec<Atom> = keys.iter().map(|k| atom(&k[row])).collect();
            let next = first_rows.len() as u32;
            row_groups[row] = *lookup.entry(tuple).or_insert_with(|| {
                first_rows.push(row);
                next
            });
        }
        let mut order: Vec<usize> = (0..first_rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (first_rows[a], first_rows[b]);
            for column in keys {
                let ord = excel_compare(&column[ra], &column[rb]);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            ra.cmp(&rb)
        });
        let mut new_id = vec![0u32; order.len()];
        for (new, old) in order.iter().enumerate() {
            new_id[*old] = new as u32;
        }
        for g in row_groups.iter_mut().filter(|g| **g != NO_GROUP) {
            *g = new_id[*g as usize];
        }
        (row_groups, order.iter().map(|o| first_rows[*o]).collect())
    }

    #[test]
    fn coded_grouping_equals_the_reference_on_edge_cases() {
        let shared = Text::from("North");
        let column_a = vec![
            Value::Text(shared.clone()),
            Value::text("north"),
            Value::text("NORTH"),
            Value::Text(shared),
            Value::text("ΟΔΟΣ"),
            Value::text("οδοσ"),
            Value::text("Ärger"),
            Value::text("ärger"),
            Value::text(""),
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Date(45000.0),
            Value::Number(45000.0),
            Value::Bool(true),
            Value::error(ErrorKind::NA),
            Value::error(ErrorKind::Div0),
            Value::error(ErrorKind::NA),
            Value::text("south"),
        ];
        let rows = column_a.len();
        let column_b: Vec<Value> = (0..rows)
            .map(|i| {
                if i % 3 == 0 {
                    Value::text("X")
                } else {
                    Value::Number((i % 2) as f64)
                }
            })
            .collect();
        let keep: Vec<bool> = (0..rows).map(|i| i % 5 != 4).collect();
        for keys in [
            vec![&column_a[..]],
            vec![&column_a[..], &column_b[..]],
            vec![&column_b[..], &column_a[..]],
        ] {
            for keep in [None, Some(&keep[..])] {
                let grouping = Grouping::build(&keys, rows, keep);
                let (row_groups, first_rows) = reference(&keys, rows, keep);
                assert_eq!(grouping.row_groups, row_groups);
                assert_eq!(grouping.first_rows, first_rows);
            }
        }
        // A blank beside numbers and text: Excel's comparison is not transitive there,
        // and the fallback sort must give the reference order.
        let mixed = vec![
            Value::text("a"),
            Value::Blank,
            Value::Number(0.0),
            Value::text(""),
            Value::Number(-1.0),
        ];
        let grouping = Grouping::build(&[&mixed], mixed.len(), None);
        let (row_groups, first_rows) = reference(&[&mixed], mixed.len(), None);
        assert_eq!(grouping.row_groups, row_groups);
        assert_eq!(grouping.first_rows, first_rows);
    }

    #[test]
    fn matching_other_rows_uses_the_same_text_equality() {
        let keys = vec![
            Value::text("Partner"),
            Value::text("Direct"),
            Value::Number(2.0),
        ];
        let grouping = Grouping::build(&[&keys], 3, None);
        let other = vec![
            Value::text("PARTNER"),
            Value::text("direct"),
            Value::Date(2.0),
            Value::text("none"),
            Value::Blank,
        ];
        // Sorted: 2 (number) < "Direct" < "Partner".
        assert_eq!(
            grouping.match_rows(&[Operand::Many(&other)], 5),
            vec![2, 1, 0, NO_GROUP, NO_GROUP]
        );
    }
}
