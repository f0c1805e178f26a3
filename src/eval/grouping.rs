//! Group ids: one hash pass over a table's key columns assigns every row its group,
//! and other tables' rows are matched to the same groups by their key values.

use std::collections::HashMap;
use std::sync::Arc;

use crate::eval::value::{ErrorKind, Value, excel_compare};

/// Marks a row that belongs to no group (filtered out, or its key is unknown).
pub const NO_GROUP: u32 = u32::MAX;

/// A hashable form of one key value. Text is matched case-insensitively, as Excel
/// compares text; numbers and dates by value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyAtom {
    Blank,
    Number(u64),
    Text(String),
    Bool(bool),
    Error(ErrorKind),
}

/// Turns values into small integer codes; equal keys get equal codes.
#[derive(Default)]
struct KeyCoder {
    codes: HashMap<KeyAtom, u32>,
    /// Interned text shares its allocation, so most lookups hit this pointer cache
    /// and never lowercase the string. The Arc is held so its address stays unique.
    by_pointer: HashMap<usize, (Arc<str>, u32)>,
}

impl KeyCoder {
    fn code(&mut self, value: &Value) -> u32 {
        if let Value::Text(text) = value {
            let pointer = Arc::as_ptr(text) as *const u8 as usize;
            if let Some((_, code)) = self.by_pointer.get(&pointer) {
                return *code;
            }
            let code = self.code_atom(KeyAtom::Text(text.to_lowercase()));
            self.by_pointer.insert(pointer, (Arc::clone(text), code));
            return code;
        }
        self.code_atom(atom(value))
    }

    fn code_atom(&mut self, atom: KeyAtom) -> u32 {
        let next = self.codes.len() as u32;
        *self.codes.entry(atom).or_insert(next)
    }

    /// The code of a value only if it was seen before.
    fn existing(&self, value: &Value) -> Option<u32> {
        if let Value::Text(text) = value {
            let pointer = Arc::as_ptr(text) as *const u8 as usize;
            if let Some((_, code)) = self.by_pointer.get(&pointer) {
                return Some(*code);
            }
        }
        self.codes.get(&atom(value)).copied()
    }
}

fn atom(value: &Value) -> KeyAtom {
    match value {
        Value::Blank => KeyAtom::Blank,
        Value::Number(n) | Value::Date(n) => {
            KeyAtom::Number(if *n == 0.0 { 0 } else { n.to_bits() })
        }
        Value::Text(t) => KeyAtom::Text(t.to_lowercase()),
        Value::Bool(b) => KeyAtom::Bool(*b),
        Value::Error(e) => KeyAtom::Error(e.kind),
    }
}

/// The groups of one grouped table.
pub struct Grouping {
    /// For each source row, its group (or [`NO_GROUP`]).
    pub row_groups: Vec<u32>,
    /// For each group, the first source row with its key (its key values are shown).
    pub first_rows: Vec<usize>,
    coders: Vec<KeyCoder>,
    /// Key codes of each group → group id.
    lookup: HashMap<Vec<u32>, u32>,
}

impl Grouping {
    /// Groups the rows of `keys` (one slice per key column) where `keep` allows,
    /// numbering groups in ascending key order (Excel's sort order).
    pub fn build(keys: &[&[Value]], rows: usize, keep: Option<&[bool]>) -> Grouping {
        let mut coders: Vec<KeyCoder> = keys.iter().map(|_| KeyCoder::default()).collect();
        let mut lookup: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut first_rows: Vec<usize> = Vec::new();
        let mut row_groups = vec![NO_GROUP; rows];
        let mut tuple = Vec::with_capacity(keys.len());
        // Single-key fast path: the key code is the provisional group id.
        let single = keys.len() == 1;
        let mut code_to_group: Vec<u32> = Vec::new();
        for (row, slot) in row_groups.iter_mut().enumerate() {
            if keep.is_some_and(|k| !k.get(row).copied().unwrap_or(false)) {
                continue;
            }
            if single {
                let code = coders[0].code(&keys[0][row]) as usize;
                if code >= code_to_group.len() {
                    code_to_group.resize(code + 1, NO_GROUP);
                }
                if code_to_group[code] == NO_GROUP {
                    code_to_group[code] = first_rows.len() as u32;
                    first_rows.push(row);
                }
                *slot = code_to_group[code];
                continue;
            }
            tuple.clear();
            for (coder, column) in coders.iter_mut().zip(keys) {
                tuple.push(coder.code(&column[row]));
            }
            let next = first_rows.len() as u32;
            let group = *lookup.entry(tuple.clone()).or_insert_with(|| {
                first_rows.push(row);
                next
            });
            *slot = group;
        }
        if single {
            for (code, group) in code_to_group.iter().enumerate() {
                if *group != NO_GROUP {
                    lookup.insert(vec![code as u32], *group);
                }
            }
        }
        let mut grouping = Grouping {
            row_groups,
            first_rows,
            coders,
            lookup,
        };
        grouping.sort_groups(keys);
        grouping
    }

    /// Renumbers groups so that group 0 has the smallest key (stable, deterministic output).
    fn sort_groups(&mut self, keys: &[&[Value]]) {
        let count = self.first_rows.len();
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (self.first_rows[a], self.first_rows[b]);
            for column in keys {
                let ord = excel_compare(&column[ra], &column[rb]);
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            ra.cmp(&rb)
        });
        let mut new_id = vec![0u32; count];
        for (new, old) in order.iter().enumerate() {
            new_id[*old] = new as u32;
        }
        for group in self.row_groups.iter_mut() {
            if *group != NO_GROUP {
                *group = new_id[*group as usize];
            }
        }
        for group in self.lookup.values_mut() {
            *group = new_id[*group as usize];
        }
        self.first_rows = order.iter().map(|old| self.first_rows[*old]).collect();
    }

    pub fn group_count(&self) -> usize {
        self.first_rows.len()
    }

    /// Assigns each row of another table (its key columns, same order) to a group;
    /// rows whose key matches no group get [`NO_GROUP`].
    pub fn match_rows(&self, keys: &[&[Value]], rows: usize) -> Vec<u32> {
        let mut out = vec![NO_GROUP; rows];
        let mut tuple = Vec::with_capacity(keys.len());
        'rows: for (row, slot) in out.iter_mut().enumerate() {
            tuple.clear();
            for (coder, column) in self.coders.iter().zip(keys) {
                match column.get(row).and_then(|v| coder.existing(v)) {
                    Some(code) => tuple.push(code),
                    None => continue 'rows,
                }
            }
            if let Some(group) = self.lookup.get(&tuple) {
                *slot = *group;
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
        assert_eq!(grouping.match_rows(&[&other], 2), vec![1, NO_GROUP]);
    }

    #[test]
    fn filtered_rows_get_no_group() {
        let keys = vec![Value::Number(1.0), Value::Number(2.0)];
        let grouping = Grouping::build(&[&keys], 2, Some(&[true, false]));
        assert_eq!(grouping.row_groups, vec![0, NO_GROUP]);
    }
}
