//! The unique-key check of a table: the first row whose key an earlier row holds, found
//! on all cores by splitting the rows into partitions by their key's hash.
//!
//! One hash table over ten million keys misses the cache on nearly every probe; rows
//! split by hash bits into partitions of a few ten thousand rows each are checked in
//! cache, a partition per task, and equal keys always share a partition.

use std::hash::Hasher;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::data::address::cell_address;
use crate::data::builder::ReadPlan;
use crate::data::error::DataError;
use crate::data::sheet_rows::SheetRows;
use crate::table::column::{CellRef, ColumnValues};
use crate::table::intern::FastHasher;
use crate::value::{Value, format_general};

/// Rows a partition holds on average: its hash table stays in a core's cache.
const PARTITION_ROWS: usize = 32_768;
/// Most partitions.
const MAX_PARTITIONS: usize = 4_096;
/// Partitions one task checks, one after another in one table (a fresh table per
/// partition would fault in its pages again each time).
const PARTITIONS_PER_TASK: usize = 16;
/// Rows one task hashes and groups by partition.
const BLOCK_ROWS: usize = 1 << 16;

/// Where each row of a merged table came from.
pub(crate) struct RowOrigins<'a> {
    /// Sheet row of each kept row.
    pub rows: &'a SheetRows,
    /// First row of each sheet part, ascending from 0.
    pub part_starts: &'a [usize],
}

impl RowOrigins<'_> {
    /// The part and sheet row of table row `row`.
    fn of(&self, row: usize) -> Option<(usize, u32)> {
        let part = self
            .part_starts
            .partition_point(|start| *start <= row)
            .checked_sub(1)?;
        Some((part, self.rows.get(row)?))
    }
}

/// A key value as a hashable identity, borrowed from its column (blanks and errors
/// have none: they are not keys).
#[derive(Debug, PartialEq, Eq)]
enum KeyValue<'a> {
    Text(&'a str),
    Number(u64),
    Bool(bool),
}

fn key_value(cell: CellRef<'_>) -> Option<KeyValue<'_>> {
    match cell {
        CellRef::Text(t) => Some(KeyValue::Text(t)),
        CellRef::Float(_, n) => Some(KeyValue::Number(n.to_bits())),
        CellRef::Value(value) => match value {
            Value::Text(t) => Some(KeyValue::Text(t.as_str())),
            Value::Number(n) | Value::Date(n) => Some(KeyValue::Number(n.to_bits())),
            Value::Bool(b) => Some(KeyValue::Bool(*b)),
            Value::Blank | Value::Error(_) => None,
        },
    }
}

/// A key's hash: a text's bytes alone (no kind or end marker: a text and a number that
/// hash alike are still told apart, when their hashes meet, by comparing them).
fn key_hash(key: &KeyValue<'_>) -> u64 {
    let mut hasher = FastHasher::default();
    match key {
        KeyValue::Text(text) => hasher.write(text.as_bytes()),
        KeyValue::Number(bits) => hasher.write_u64(*bits),
        KeyValue::Bool(b) => hasher.write_u8(u8::from(*b)),
    }
    hasher.finish()
}

/// Fails on the first key value seen twice (in row order), naming both cells.
pub(crate) fn check_unique_key(
    plan: &ReadPlan,
    key: &str,
    key_index: usize,
    column: &ColumnValues,
    origins: &RowOrigins<'_>,
    sheets: &[(PathBuf, String, Vec<u32>)],
) -> Result<(), DataError> {
    let partitions = (column.len() / PARTITION_ROWS)
        .next_power_of_two()
        .min(MAX_PARTITIONS);
    let Some((first, row)) = first_duplicate(column, partitions, BLOCK_ROWS) else {
        return Ok(());
    };
    let address = |row: usize| -> String {
        origins
            .of(row)
            .and_then(|(part, sheet_row)| {
                let (_, sheet, cols) = sheets.get(part)?;
                Some(cell_address(
                    sheet,
                    sheet_row,
                    cols.get(key_index).copied().unwrap_or(0),
                ))
            })
            .unwrap_or_else(|| format!("row {}", row + 1))
    };
    let shown = match column.get(row).unwrap_or_default() {
        Value::Number(n) | Value::Date(n) => format_general(n),
        other => other.to_text().map(|t| t.to_string()).unwrap_or_default(),
    };
    let path = origins
        .of(row)
        .and_then(|(part, _)| sheets.get(part))
        .map(|(p, _, _)| p.clone())
        .unwrap_or_default();
    Err(DataError::DuplicateKey {
        table: plan.name.clone(),
        path,
        column: key.to_string(),
        value: shown,
        first: address(first),
        second: address(row),
    })
}

/// The first row, in row order, whose key an earlier row holds, and that earlier row's
/// first occurrence: `(first, repeat)`.
///
/// The rows are cut into blocks of `block_rows`; each block, on its own task, hashes
/// its rows' keys and groups its keyed rows into `partitions` (a power of two) by the
/// hash's top bits, rows ascending within each (a counting sort), so equal keys share
/// a partition. Each partition is then checked block after block (so its rows come
/// ascending) with a table of (row, hash) pairs, a few partitions to a task one after
/// another in one table: keys are read again only when two hashes agree. The earliest
/// repeat of all partitions is the one a single pass over the rows meets first. No step
/// walks all rows on one thread.
fn first_duplicate(
    column: &ColumnValues,
    partitions: usize,
    block_rows: usize,
) -> Option<(usize, usize)> {
    let rows = column.len().min(u32::MAX as usize);
    let partitions = partitions.clamp(1, MAX_PARTITIONS);
    let block_rows = block_rows.max(1);
    let shift = 32 - partitions.trailing_zeros();
    let partition_of = |hash: u32| u64::from(hash).checked_shr(shift).unwrap_or(0) as usize;
    let key_at = |row: usize| column.cell(row).and_then(key_value);
    let blocks: Vec<PartitionedRows> = (0..rows.div_ceil(block_rows))
        .into_par_iter()
        .map_init(Vec::new, |keyed: &mut Vec<(u32, u32)>, block| {
            let first = block * block_rows;
            keyed.clear();
            for_each_key(column, first..(first + block_rows).min(rows), |row, key| {
                keyed.push((row as u32, short_hash(&key)));
            });
            PartitionedRows::group(keyed, partitions, partition_of)
        })
        .collect();
    let same_key = |a: u32, b: u32| {
        let a = key_at(a as usize);
        a.is_some() && a == key_at(b as usize)
    };
    // The first repeat in one partition (its rows come ascending), checked with
    // `seen`, emptied first: one table serves a task's partitions one after another.
    let first_repeat = |seen: &mut SeenKeys, partition: usize| {
        let size = blocks.iter().map(|b| b.of(partition).len()).sum();
        seen.empty_for(size);
        blocks
            .iter()
            .flat_map(|b| b.of(partition))
            .find_map(|&(row, hash)| {
                let first = seen.note(row, hash, same_key)?;
                Some((first as usize, row as usize))
            })
    };
    let tasks = partitions.div_ceil(PARTITIONS_PER_TASK);
    (0..tasks)
        .into_par_iter()
        .with_max_len(1)
        .filter_map(|task| {
            let mut seen = SeenKeys::default();
            let first = task * PARTITIONS_PER_TASK;
            (first..(first + PARTITIONS_PER_TASK).min(partitions))
                .filter_map(|partition| first_repeat(&mut seen, partition))
                .min_by_key(|(_, repeat)| *repeat)
        })
        .min_by_key(|(_, repeat)| *repeat)
}

/// Calls `each(row, key)` for each row of `rows` whose cell holds a key, in row order,
/// looking at the column's shape once rather than once per row.
fn for_each_key<'c>(
    column: &'c ColumnValues,
    rows: std::ops::Range<usize>,
    mut each: impl FnMut(usize, KeyValue<'c>),
) {
    let by_cell = |row: usize| column.cell(row).and_then(key_value);
    let ColumnValues::Texts { text, ends, .. } = column else {
        for row in rows {
            if let Some(key) = by_cell(row) {
                each(row, key);
            }
        }
        return;
    };
    let mut start = rows
        .start
        .checked_sub(1)
        .and_then(|r| ends.get(r))
        .map_or(0, |s| *s as usize);
    let row_ends = ends.get(rows.clone()).unwrap_or_default();
    for (row, end) in rows.zip(row_ends) {
        let end = *end as usize;
        let key = match text.get(start..end) {
            // An empty text is a blank or a value kept beside the buffer.
            Some(key) if !key.is_empty() => Some(KeyValue::Text(key)),
            _ => by_cell(row),
        };
        if let Some(key) = key {
            each(row, key);
        }
        start = end;
    }
}

/// One block's keyed rows as (row, hash) pairs grouped by partition, rows ascending
/// within each: partition `p` is `pairs[starts[p]..starts[p + 1]]`.
struct PartitionedRows {
    starts: Vec<u32>,
    pairs: Vec<(u32, u32)>,
}

impl PartitionedRows {
    /// Groups `keyed` (rows ascending) by partition with a counting sort, which keeps
    /// each partition's rows in the order they came.
    fn group(keyed: &[(u32, u32)], partitions: usize, partition_of: impl Fn(u32) -> usize) -> Self {
        let mut starts = vec![0u32; partitions + 1];
        for (_, hash) in keyed {
            if let Some(n) = starts.get_mut(partition_of(*hash) + 1) {
                *n += 1;
            }
        }
        for i in 1..starts.len() {
            let before = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(n) = starts.get_mut(i) {
                *n += before;
            }
        }
        let mut next = starts.clone();
        let mut pairs = vec![(0u32, 0u32); keyed.len()];
        for &(row, hash) in keyed {
            if let Some(at) = next.get_mut(partition_of(hash))
                && let Some(slot) = pairs.get_mut(*at as usize)
            {
                *slot = (row, hash);
                *at += 1;
            }
        }
        PartitionedRows { starts, pairs }
    }

    /// The (row, hash) pairs of one partition.
    fn of(&self, partition: usize) -> &[(u32, u32)] {
        let from = self.starts.get(partition).copied().unwrap_or(0) as usize;
        let to = self.starts.get(partition + 1).copied().unwrap_or(0) as usize;
        self.pairs.get(from..to).unwrap_or_default()
    }
}

/// The rows of one partition seen so far, by their key's 32-bit hash: open addressing
/// with linear probing over a power-of-two array at most half full, a slot holding
/// `(row + 1, hash)` (0: empty). Keys are compared only when two hashes agree.
#[derive(Default)]
struct SeenKeys {
    slots: Vec<(u32, u32)>,
    mask: usize,
}

impl SeenKeys {
    /// Empty, with room for `rows` rows (the array is kept when it is the right size).
    fn empty_for(&mut self, rows: usize) {
        let size = rows.saturating_mul(2).next_power_of_two().max(16);
        if self.slots.len() == size {
            self.slots.fill((0, 0));
        } else {
            self.slots = vec![(0, 0); size];
        }
        self.mask = size - 1;
    }

    /// The earlier row whose key `row`'s equals (`same_key`), or else notes `row`.
    fn note(&mut self, row: u32, hash: u32, same_key: impl Fn(u32, u32) -> bool) -> Option<u32> {
        // The partition fixed the hash's top bits: the slot comes from all of them mixed.
        let mut at = (spread(hash) >> 32) as usize & self.mask;
        // A full array cannot happen (at most half full); the bound only ends the loop.
        for _ in 0..self.slots.len() {
            let slot = self.slots.get_mut(at)?;
            match *slot {
                (0, _) => {
                    *slot = (row.saturating_add(1), hash);
                    return None;
                }
                (earlier, h) if h == hash && same_key(earlier - 1, row) => {
                    return Some(earlier - 1);
                }
                _ => at = (at + 1) & self.mask,
            }
        }
        None
    }
}

/// A key's 32-bit hash (both halves of the 64-bit one folded in).
fn short_hash(key: &KeyValue<'_>) -> u32 {
    let hash = key_hash(key);
    (hash ^ (hash >> 32)) as u32
}

/// A 32-bit hash spread over 64 bits, its top half mixed from all of the hash's bits
/// (the partition fixed the hash's top bits).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng as StdRng;

    use super::*;

    /// A second, plain implementation: one pass over the rows with a map of keys seen.
    fn first_duplicate_by_map(values: &[Value]) -> Option<(usize, usize)> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (row, value) in values.iter().enumerate() {
            let key = match value {
                Value::Text(t) => format!("t{}", t.as_str()),
                Value::Number(n) | Value::Date(n) => format!("n{}", n.to_bits()),
                Value::Bool(b) => format!("b{b}"),
                Value::Blank | Value::Error(_) => continue,
            };
            if let Some(first) = seen.get(&key) {
                return Some((*first, row));
            }
            seen.insert(key, row);
        }
        None
    }

    #[test]
    fn partitioned_check_finds_the_repeat_a_single_pass_finds() {
        let mut rng = StdRng::seed_from_u64(17);
        for case in 0..200 {
            let rows = rng.random_range(0..3_000);
            // Few distinct keys (repeats early) to many (repeats rare or none).
            let distinct = rng.random_range(1..=rows.max(1) * 4);
            let numeric = case % 3 == 0;
            let values: Vec<Value> = (0..rows)
                .map(|_| match rng.random_range(0..20) {
                    0 => Value::Blank,
                    // A text column's odd number is kept beside its text buffer.
                    1 if !numeric && case % 3 == 1 => {
                        Value::Number(f64::from(rng.random_range(0..distinct) as u32))
                    }
                    _ if numeric => Value::Number(f64::from(rng.random_range(0..distinct) as u32)),
                    _ => Value::text(&format!("K-{}", rng.random_range(0..distinct))),
                })
                .collect();
            let expected = first_duplicate_by_map(&values);
            let column = ColumnValues::compact(values);
            for partitions in [1, 2, 8, 64, 4_096] {
                for block_rows in [13, 500, BLOCK_ROWS] {
                    assert_eq!(
                        first_duplicate(&column, partitions, block_rows),
                        expected,
                        "case {case}, {rows} rows, {partitions} partitions, blocks of {block_rows}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_number_repeated_among_distinct_texts_is_a_duplicate_key() {
        // 500 distinct IDs make a text-buffer column; the numbers 7 (rows 100 and 400)
        // and 9 (row 250) are kept beside the buffer. The blank rows are no keys.
        let values: Vec<Value> = (0..500)
            .map(|i| match i {
                100 | 400 => Value::Number(7.0),
                250 => Value::Number(9.0),
                300 | 301 => Value::Blank,
                _ => Value::text(&format!("ID-{i}")),
            })
            .collect();
        let column = ColumnValues::compact(values);
        assert_eq!(column.shape_name(), "texts");
        for partitions in [1, 64] {
            for block_rows in [13, 500] {
                assert_eq!(
                    first_duplicate(&column, partitions, block_rows),
                    Some((100, 400))
                );
            }
        }
    }

    #[test]
    fn a_duplicate_id_is_found_in_a_text_buffer_column_and_named_by_cell() {
        // 6,000 distinct IDs (stored as one text buffer), then "L-10" again in the
        // second sheet part; the key is sheet column C (index 2).
        let mut ids: Vec<Value> = (0..6_000).map(|i| Value::text(&format!("L-{i}"))).collect();
        ids.push(Value::Blank);
        ids.push(Value::text("L-10"));
        let column = ColumnValues::compact(ids);
        assert_eq!(column.shape_name(), "texts");
        // Part 1 holds rows 0..4000 (sheet rows 1..), part 2 the rest (sheet rows 1..).
        let rows: SheetRows = (0..4_000)
            .map(|r| r + 1)
            .chain((0..2_002).map(|r| r + 1))
            .collect();
        let origins = RowOrigins {
            rows: &rows,
            part_starts: &[0, 4_000],
        };
        let sheets = vec![
            (PathBuf::from("a.xlsx"), "Leads".to_string(), vec![0, 0, 2]),
            (
                PathBuf::from("b.xlsx"),
                "Leads 2".to_string(),
                vec![0, 0, 2],
            ),
        ];
        let plan = ReadPlan {
            name: "Leads".to_string(),
            columns: Vec::new(),
            all_headers: false,
            key: Some("lead_id".to_string()),
            rename: BTreeMap::new(),
            policy: crate::data::spec::BadCellPolicy::Report,
            header_row: 0,
        };
        let Err(DataError::DuplicateKey {
            value,
            first,
            second,
            path,
            ..
        }) = check_unique_key(&plan, "lead_id", 2, &column, &origins, &sheets)
        else {
            panic!("the duplicate was not found");
        };
        assert_eq!(value, "L-10");
        // Row 10 is sheet row 11 of part 1 (C12 in Excel's 1-based rows); row 6,001 is
        // the 2,002nd row of part 2 (sheet row 2,002, C2003).
        assert_eq!(first, "Leads!C12");
        assert_eq!(second, "'Leads 2'!C2003");
        assert_eq!(path, PathBuf::from("b.xlsx"));
        // Without the repeat, no error.
        let unique =
            ColumnValues::compact((0..6_000).map(|i| Value::text(&format!("L-{i}"))).collect());
        assert!(check_unique_key(&plan, "lead_id", 2, &unique, &origins, &sheets).is_ok());
    }
}
