//! The pairing sweep: rows put in (key, start) order — placed by key group in one
//! counting pass, each key's rows sorted by start — then within each key a sweep
//! over starts keeps the rows still open in one heap per (`match`, `differ`) value, so
//! each new row meets only rows it overlaps, of its own `match` value (or an unknown
//! one) and another `differ` value. Cost grows with rows (times the log of a key's
//! rows) plus the pairs found, never with the square of a key's rows unless that many
//! pairs exist.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::table::intern::FastBuildHasher;

type FastMap<K, V> = std::collections::HashMap<K, V, FastBuildHasher>;

/// One row taking part: its key group, interval and `differ` code.
#[derive(Debug, Clone, Copy)]
pub struct SweepRow {
    pub row: u32,
    pub group: u32,
    pub start: f64,
    pub end: f64,
    /// Rows with equal codes are never paired (0 for every row when no `differ`).
    pub code: u32,
    /// Rows pair only with rows of the same match code, or where either is
    /// [`ANY_MATCH`] (an unknown value); 0 for every row when no `match`.
    pub matched: u32,
    /// Also pair the row with itself.
    pub with_itself: bool,
}

/// The match code of a row whose `match` value is unknown (blank): it pairs with all.
pub const ANY_MATCH: u32 = u32::MAX;

/// A pair found: positions in the source, `first` the row that starts first (ties by
/// source order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub first: u32,
    pub second: u32,
}

/// Why the sweep stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyPairs {
    /// The group with the most pairs when the limit was passed, and its count.
    pub busiest_group: u32,
    pub busiest_pairs: usize,
}

/// An open row in a heap: the earliest end on top.
#[derive(Debug, Clone, Copy)]
struct Open {
    end: f64,
    row: u32,
}

impl PartialEq for Open {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Open {}
impl PartialOrd for Open {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Open {
    fn cmp(&self, other: &Self) -> Ordering {
        self.end
            .total_cmp(&other.end)
            .then(self.row.cmp(&other.row))
    }
}

/// The open rows of one (`match`, `differ`) value.
#[derive(Default)]
struct Bucket {
    code: u32,
    matched: u32,
    open: BinaryHeap<Reverse<Open>>,
}

/// Every pair of `rows` in the same group whose closed intervals `[start, end]` meet,
/// whose codes differ (any codes when `differ` is false) and whose match codes agree (or
/// either is [`ANY_MATCH`]), and each row marked `with_itself` paired with itself. Stops
/// with an error past `max_pairs`. Pairs come sorted by the first row's place in
/// (group, start, row) order, then the second's.
pub fn sweep(
    rows: Vec<SweepRow>,
    differ: bool,
    max_pairs: usize,
) -> Result<Vec<Pair>, TooManyPairs> {
    let rows = order_by_group_and_start(rows);
    // Where each source row sits in that order (to sort the pairs at the end).
    let source_rows = rows.iter().map(|r| r.row as usize + 1).max().unwrap_or(0);
    let mut place = vec![u32::MAX; source_rows];
    for (position, row) in rows.iter().enumerate() {
        place[row.row as usize] = position as u32;
    }
    let mut pool: Vec<Bucket> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    // Open buckets by match code, and each bucket's slot by (match, differ).
    let mut by_match: FastMap<u32, Vec<usize>> = FastMap::default();
    let mut slot_of: FastMap<(u32, u32), usize> = FastMap::default();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut group_pairs = 0usize;
    let mut busiest = (0u32, 0usize);
    let mut current_group = None;
    let mut lists: Vec<u32> = Vec::new();
    for row in &rows {
        if current_group != Some(row.group) {
            for slots in by_match.values_mut() {
                for slot in slots.drain(..) {
                    pool[slot].open.clear();
                    free.push(slot);
                }
            }
            by_match.clear();
            slot_of.clear();
            current_group = Some(row.group);
            group_pairs = 0;
        }
        // The match codes this row pairs with.
        lists.clear();
        if row.matched == ANY_MATCH {
            lists.extend(by_match.keys().copied());
            lists.sort_unstable();
        } else {
            lists.push(row.matched);
            lists.push(ANY_MATCH);
        }
        for matched in &lists {
            let Some(slots) = by_match.get_mut(matched) else {
                continue;
            };
            let mut i = 0;
            while i < slots.len() {
                let slot = slots[i];
                let bucket = &mut pool[slot];
                while bucket
                    .open
                    .peek()
                    .is_some_and(|Reverse(open)| open.end < row.start)
                {
                    bucket.open.pop();
                }
                if bucket.open.is_empty() {
                    slot_of.remove(&(bucket.matched, bucket.code));
                    free.push(slot);
                    slots.swap_remove(i);
                    continue;
                }
                if !differ || bucket.code != row.code {
                    for Reverse(open) in bucket.open.iter() {
                        pairs.push(Pair {
                            first: open.row,
                            second: row.row,
                        });
                    }
                    group_pairs += bucket.open.len();
                    if group_pairs > busiest.1 {
                        busiest = (row.group, group_pairs);
                    }
                    if pairs.len() > max_pairs {
                        return Err(TooManyPairs {
                            busiest_group: busiest.0,
                            busiest_pairs: busiest.1,
                        });
                    }
                }
                i += 1;
            }
        }
        if row.with_itself {
            pairs.push(Pair {
                first: row.row,
                second: row.row,
            });
            if pairs.len() > max_pairs {
                return Err(TooManyPairs {
                    busiest_group: row.group,
                    busiest_pairs: group_pairs.max(busiest.1),
                });
            }
        }
        let code = if differ { row.code } else { 0 };
        let slot = match slot_of.get(&(row.matched, code)) {
            Some(slot) => *slot,
            None => {
                let slot = free.pop().unwrap_or_else(|| {
                    pool.push(Bucket::default());
                    pool.len() - 1
                });
                pool[slot].code = code;
                pool[slot].matched = row.matched;
                slot_of.insert((row.matched, code), slot);
                by_match.entry(row.matched).or_default().push(slot);
                slot
            }
        };
        pool[slot].open.push(Reverse(Open {
            end: row.end,
            row: row.row,
        }));
    }
    let position = |row: u32| place.get(row as usize).copied().unwrap_or(u32::MAX);
    pairs.sort_unstable_by_key(|pair| (position(pair.first), position(pair.second)));
    Ok(pairs)
}

/// `rows` in (group, start, row) order: placed by group in one counting pass (groups
/// are numbered densely), then each group's few rows sorted by start — no comparison
/// sort over all rows. Falls back to one sort when the group numbers are sparse.
fn order_by_group_and_start(mut rows: Vec<SweepRow>) -> Vec<SweepRow> {
    let by_start = |a: &SweepRow, b: &SweepRow| a.start.total_cmp(&b.start).then(a.row.cmp(&b.row));
    let groups = rows.iter().map(|r| r.group as usize + 1).max().unwrap_or(0);
    if groups > rows.len().saturating_mul(2).max(1024) {
        rows.sort_unstable_by(|a, b| a.group.cmp(&b.group).then_with(|| by_start(a, b)));
        return rows;
    }
    // Where each group's rows begin, then every row put in its group's place (in the
    // order given).
    let mut begins = vec![0usize; groups + 1];
    for row in &rows {
        begins[row.group as usize + 1] += 1;
    }
    for g in 0..groups {
        begins[g + 1] += begins[g];
    }
    let mut next = begins.clone();
    let mut placed = rows.clone();
    for row in rows {
        let slot = &mut next[row.group as usize];
        placed[*slot] = row;
        *slot += 1;
    }
    for g in 0..groups {
        if let Some(group) = placed.get_mut(begins[g]..begins[g + 1])
            && group.len() > 1
        {
            group.sort_unstable_by(by_start);
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(row: u32, group: u32, start: f64, end: f64, code: u32) -> SweepRow {
        SweepRow {
            row,
            group,
            start,
            end,
            code,
            matched: 0,
            with_itself: false,
        }
    }

    /// Every pair by brute force: same group, intervals meet, codes differ, match codes
    /// agree or either is unknown.
    fn brute(rows: &[SweepRow], differ: bool) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for a in rows {
            for b in rows {
                let a_first = (a.start, a.row) < (b.start, b.row);
                let matched =
                    a.matched == b.matched || a.matched == ANY_MATCH || b.matched == ANY_MATCH;
                if a.group == b.group
                    && a_first
                    && a.start <= b.end
                    && b.start <= a.end
                    && (!differ || a.code != b.code)
                    && matched
                {
                    out.push((a.row, b.row));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_exactly_the_overlapping_pairs_of_other_values() {
        // Group 0: rows 0 [0,10] a, 1 [5,6] a, 2 [10,12] b (touches row 0), 3 [11,20] a.
        // Group 1: row 4 [0,100] a, 5 [50,60] b.
        let rows = vec![
            row(0, 0, 0.0, 10.0, 0),
            row(1, 0, 5.0, 6.0, 0),
            row(2, 0, 10.0, 12.0, 1),
            row(3, 0, 11.0, 20.0, 0),
            row(4, 1, 0.0, 100.0, 0),
            row(5, 1, 50.0, 60.0, 1),
        ];
        let found = sweep(rows.clone(), true, 100).unwrap();
        let pairs: Vec<(u32, u32)> = found.iter().map(|p| (p.first, p.second)).collect();
        assert_eq!(pairs, [(0, 2), (2, 3), (4, 5)]);
        let all = sweep(rows, false, 100).unwrap();
        let mut all: Vec<(u32, u32)> = all.iter().map(|p| (p.first, p.second)).collect();
        all.sort_unstable();
        assert_eq!(all, [(0, 1), (0, 2), (2, 3), (4, 5)]);
    }

    #[test]
    fn agrees_with_brute_force_on_random_rows() {
        let mut next = crate::test_random::stream(7);
        for round in 0..200 {
            let count = 1 + next(40) as u32;
            let rows: Vec<SweepRow> = (0..count)
                .map(|i| {
                    let start = next(60) as f64;
                    let length = next(25) as f64;
                    let mut r = row(i, next(4) as u32, start, start + length, next(3) as u32);
                    // Every third round with match codes, some unknown.
                    if round % 3 == 0 {
                        r.matched = match next(4) {
                            3 => ANY_MATCH,
                            m => m as u32,
                        };
                    }
                    r
                })
                .collect();
            for differ in [true, false] {
                let mut found: Vec<(u32, u32)> = sweep(rows.clone(), differ, 10_000)
                    .unwrap()
                    .iter()
                    .map(|p| (p.first, p.second))
                    .collect();
                found.sort_unstable();
                assert_eq!(
                    found,
                    brute(&rows, differ),
                    "round {round}, differ {differ}"
                );
            }
        }
    }

    #[test]
    fn rows_are_ordered_as_one_sort_orders_them() {
        let mut next = crate::test_random::stream(17);
        for round in 0..200 {
            let count = next(60) as u32;
            // Dense group numbers, and every tenth round sparse ones (the fallback).
            let spread = if round % 10 == 0 { 100_000 } else { 8 };
            let rows: Vec<SweepRow> = (0..count)
                .map(|i| row(i, next(spread) as u32, next(5) as f64, 10.0, 0))
                .collect();
            let mut expected = rows.clone();
            expected.sort_by(|a, b| {
                a.group
                    .cmp(&b.group)
                    .then(a.start.total_cmp(&b.start))
                    .then(a.row.cmp(&b.row))
            });
            let ordered = order_by_group_and_start(rows);
            let key = |r: &SweepRow| (r.group, r.start.to_bits(), r.row);
            assert_eq!(
                ordered.iter().map(key).collect::<Vec<_>>(),
                expected.iter().map(key).collect::<Vec<_>>(),
                "round {round}"
            );
        }
    }

    #[test]
    fn stops_past_the_limit_naming_the_busiest_group() {
        let rows: Vec<SweepRow> = (0..10).map(|i| row(i, 3, 0.0, 1.0, i)).collect();
        let error = sweep(rows, true, 20).unwrap_err();
        assert_eq!(error.busiest_group, 3);
        assert!(error.busiest_pairs > 20);
    }
}
