//! Vectorized kernels: per-row calls against a list that is the same for every row,
//! done with one index instead of one scan per row (XLOOKUP exact match by hash).

use std::collections::HashMap;

use crate::value::Value;

/// How XLOOKUP's exact match compares: numbers and dates by value, text
/// case-insensitively, booleans; blanks and errors never match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ExactKey {
    Number(u64),
    Text(String),
    Bool(bool),
}

fn exact_key(value: &Value) -> Option<ExactKey> {
    match value {
        Value::Number(n) | Value::Date(n) => {
            Some(ExactKey::Number(if *n == 0.0 { 0 } else { n.to_bits() }))
        }
        Value::Text(t) => Some(ExactKey::Text(
            t.chars().flat_map(char::to_lowercase).collect(),
        )),
        Value::Bool(b) => Some(ExactKey::Bool(*b)),
        Value::Blank | Value::Error(_) => None,
    }
}

/// `XLOOKUP(needle, keys, values[, if_not_found])` in exact-match, first-to-last mode
/// for every row: `needles` per row, `keys`/`values` the same lists for all rows,
/// `if_not_found` one value or one per row. `None` when the lists differ in length
/// (the generic function then reports `#VALUE!`).
pub fn xlookup_exact(
    needles: &dyn Fn(usize) -> Value,
    keys: &[Value],
    values: &[Value],
    if_not_found: Option<&dyn Fn(usize) -> Value>,
    rows: usize,
) -> Option<Vec<Value>> {
    if keys.len() != values.len() {
        return None;
    }
    let mut index: HashMap<ExactKey, usize> = HashMap::with_capacity(keys.len());
    for (position, key) in keys.iter().enumerate() {
        if let Some(key) = exact_key(key) {
            index.entry(key).or_insert(position);
        }
    }
    Some(
        (0..rows)
            .map(|row| {
                let needle = needles(row);
                if needle.is_error() {
                    return needle;
                }
                match exact_key(&needle).and_then(|k| index.get(&k)) {
                    Some(&position) => values.get(position).cloned().unwrap_or_default(),
                    None => match if_not_found {
                        Some(fallback) => fallback(row),
                        // The lookup's own "not found", so the engine can report the miss.
                        None => crate::functions::args::not_found(),
                    },
                }
            })
            .collect(),
    )
}
