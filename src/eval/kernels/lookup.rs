//! Lookups against one list for every row: the list's distinct keys hashed once (each
//! with its first and last position), so an exact match is one probe; sorted on first
//! need, so the next smaller or larger key is a binary search; MATCH's sorted modes use
//! the running maximum (minimum) of the keys in list order. Keys compare as the lookup functions
//! compare: numbers and dates by value, text case-insensitively, booleans; other kinds
//! never match.
//!
//! A new lookup-style function (VLOOKUP, HLOOKUP …) adds a [`LookupShape`] variant and
//! maps its arguments onto a [`Search`] in [`run`]; the index is the same.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;

use super::{Fallback, KernelArg, Rows, log2_ceil, work};
use crate::functions::args::{folded, has_wildcards, not_found, number_or, scalar, value_error};
use crate::functions::{Arg, CallContext, FunctionSpec, LookupShape};
use crate::table::intern::FastBuildHasher;
use crate::value::Value;

type FastMap<K, V> = std::collections::HashMap<K, V, FastBuildHasher>;

/// A key as the lookup functions compare it. The derived order sorts by kind first
/// (kinds never compare with each other), then by value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A number's bits mapped so that integer order is numeric order (-0 is 0).
    Number(u64),
    /// Text folded to lower case character by character.
    Text(String),
    Bool(bool),
}

impl Key {
    /// The key of a value; `None` for blanks, errors and NaN, which match nothing.
    pub fn of(value: &Value) -> Option<Key> {
        match value {
            Value::Number(n) | Value::Date(n) => ordered_bits(*n).map(Key::Number),
            Value::Text(t) => Some(Key::Text(folded(t))),
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Blank | Value::Error(_) => None,
        }
    }

    fn same_kind(&self, other: &Key) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// `n`'s bits, mapped so that comparing them as integers compares the numbers.
pub fn ordered_bits(n: f64) -> Option<u64> {
    if n.is_nan() {
        return None;
    }
    let bits = (n + 0.0).to_bits();
    Some(if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    })
}

/// Which position a search wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// An equal key, the first (`last` false) or last in list order.
    Exact { last: bool },
    /// An equal key, else the largest smaller one (ties: first or last in list order).
    ExactOrSmaller { last: bool },
    /// An equal key, else the smallest larger one.
    ExactOrLarger { last: bool },
    /// MATCH 1 (a list sorted ascending): the last key of the needle's kind before the
    /// first one greater than the needle.
    SortedAscending,
    /// MATCH -1 (sorted descending): the last key before the first one smaller.
    SortedDescending,
}

/// Distinct keys of a list: the position in the list of one key of the run, and the
/// first and last positions holding it.
#[derive(Debug, Clone, Copy)]
struct Run {
    at: u32,
    first: u32,
    last: u32,
}

/// A position holding no key (a blank, an error, NaN).
const NO_KEY: u32 = u32::MAX;

/// One list indexed for searching: each distinct key once, found by hash for an exact
/// match; the keys sorted only when a search needs the next smaller or larger one.
pub struct LookupIndex {
    /// Each position's distinct key ([`NO_KEY`] for none).
    key_of: Vec<u32>,
    /// The distinct keys, in order of first appearance, and each one's run.
    distinct: Vec<Key>,
    runs: Vec<Run>,
    /// Folded text → its distinct key; other keys likewise.
    texts: FastMap<String, u32>,
    others: FastMap<Key, u32>,
    /// Distinct keys in key order (indices into `runs`), built when first needed.
    sorted: OnceCell<Vec<u32>>,
    /// For MATCH's sorted modes, built when first needed.
    running: OnceCell<Running>,
}

/// Per kind, the positions holding that kind in list order and the position of the
/// largest (smallest) key up to each.
struct Running {
    kinds: Vec<KindRun>,
}

struct KindRun {
    positions: Vec<u32>,
    max_upto: Vec<u32>,
    min_upto: Vec<u32>,
}

/// `text` folded as [`Key`] folds it, borrowed when folding changes nothing.
fn fold(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(folded(text))
    }
}

impl LookupIndex {
    /// Indexes `list`: one hash probe per position (text folded once per distinct
    /// allocation); sorting waits for a search that needs order.
    pub fn new(list: &[Value]) -> LookupIndex {
        let mut index = LookupIndex {
            key_of: Vec::with_capacity(list.len()),
            distinct: Vec::new(),
            runs: Vec::new(),
            texts: FastMap::default(),
            others: FastMap::default(),
            sorted: OnceCell::new(),
            running: OnceCell::new(),
        };
        // Interned text repeats one allocation: fold and hash it once (the list
        // outlives this loop, so an address names one string).
        let mut by_address: FastMap<usize, u32> = FastMap::default();
        for (position, value) in list.iter().enumerate() {
            let id = match value {
                Value::Text(t) => match by_address.get(&(t.as_ptr() as usize)) {
                    Some(id) => *id,
                    None => {
                        let id = index.text_id(t, true).unwrap_or(NO_KEY);
                        by_address.insert(t.as_ptr() as usize, id);
                        id
                    }
                },
                other => match Key::of(other) {
                    Some(key) => index.other_id(key, true).unwrap_or(NO_KEY),
                    None => NO_KEY,
                },
            };
            if let Some(run) = index.runs.get_mut(id as usize) {
                run.last = position as u32;
            } else if id != NO_KEY {
                index.runs.push(Run {
                    at: position as u32,
                    first: position as u32,
                    last: position as u32,
                });
            }
            index.key_of.push(id);
        }
        work::add(list.len() as u64);
        index
    }

    /// The distinct key of text `t` (`add`: a new one when unseen).
    fn text_id(&mut self, t: &str, add: bool) -> Option<u32> {
        let folded = fold(t);
        if let Some(id) = self.texts.get(&*folded) {
            return Some(*id);
        }
        if !add {
            return None;
        }
        let id = self.distinct.len() as u32;
        let folded = folded.into_owned();
        self.distinct.push(Key::Text(folded.clone()));
        self.texts.insert(folded, id);
        Some(id)
    }

    /// The distinct key of a number or boolean key (`add`: a new one when unseen).
    fn other_id(&mut self, key: Key, add: bool) -> Option<u32> {
        if let Some(id) = self.others.get(&key) {
            return Some(*id);
        }
        if !add {
            return None;
        }
        let id = self.distinct.len() as u32;
        self.distinct.push(key.clone());
        self.others.insert(key, id);
        Some(id)
    }

    fn key(&self, position: u32) -> Option<&Key> {
        let id = *self.key_of.get(position as usize)?;
        self.distinct.get(id as usize)
    }

    /// The distinct key equal to `needle`, if the list holds one (one hash probe).
    fn exact_id(&self, needle: &Value) -> Option<u32> {
        work::add(1);
        match needle {
            Value::Text(t) => self.texts.get(&*fold(t)).copied(),
            other => self.others.get(&Key::of(other)?).copied(),
        }
    }

    /// The distinct keys in key order (sorted on first use).
    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.distinct.len() as u32).collect();
            let mut compared = 0u64;
            order.sort_unstable_by(|a, b| {
                compared += 1;
                self.distinct
                    .get(*a as usize)
                    .cmp(&self.distinct.get(*b as usize))
            });
            work::add(compared);
            order
        })
    }

    /// The index into [`LookupIndex::sorted`] of the first key not less than `needle`
    /// (`strict`: greater).
    fn partition(&self, needle: &Key, strict: bool) -> usize {
        let sorted = self.sorted();
        work::add(log2_ceil(sorted.len()));
        sorted.partition_point(|id| match self.distinct.get(*id as usize) {
            Some(key) if strict => key <= needle,
            Some(key) => key < needle,
            None => true,
        })
    }

    /// The run of the `at`-th key in key order.
    fn sorted_run(&self, at: usize) -> Option<&Run> {
        let id = *self.sorted().get(at)?;
        self.runs.get(id as usize)
    }

    /// The position a search finds for `needle`, if any.
    pub fn find(&self, needle: &Value, search: Search) -> Option<usize> {
        let pick = |run: &Run, last: bool| Some(if last { run.last } else { run.first } as usize);
        let exact = || {
            self.exact_id(needle)
                .and_then(|id| self.runs.get(id as usize))
        };
        match search {
            Search::Exact { last } => exact().and_then(|run| pick(run, last)),
            Search::ExactOrSmaller { last } => match exact() {
                Some(run) => pick(run, last),
                None => {
                    let needle = Key::of(needle)?;
                    let at = self.partition(&needle, false).checked_sub(1)?;
                    let run = self.sorted_run(at)?;
                    if self.key(run.at)?.same_kind(&needle) {
                        pick(run, last)
                    } else {
                        None
                    }
                }
            },
            Search::ExactOrLarger { last } => match exact() {
                Some(run) => pick(run, last),
                None => {
                    let needle = Key::of(needle)?;
                    let run = self.sorted_run(self.partition(&needle, true))?;
                    if self.key(run.at)?.same_kind(&needle) {
                        pick(run, last)
                    } else {
                        None
                    }
                }
            },
            Search::SortedAscending => self.sorted_search(&Key::of(needle)?, true),
            Search::SortedDescending => self.sorted_search(&Key::of(needle)?, false),
        }
    }

    /// MATCH's sorted search: the first key of the needle's kind past the needle (greater
    /// when ascending) ends the search; the answer is the key of that kind before it.
    fn sorted_search(&self, needle: &Key, ascending: bool) -> Option<usize> {
        let running = self.running.get_or_init(|| self.running_extremes());
        let kind = running.kinds.get(kind_index(needle))?;
        let upto = if ascending {
            &kind.max_upto
        } else {
            &kind.min_upto
        };
        work::add(log2_ceil(upto.len()));
        let past = upto.partition_point(|at| match self.key(*at) {
            Some(key) if ascending => key <= needle,
            Some(key) => key >= needle,
            None => true,
        });
        let before = past.checked_sub(1)?;
        kind.positions.get(before).map(|p| *p as usize)
    }

    fn running_extremes(&self) -> Running {
        let mut kinds: Vec<KindRun> = (0..3)
            .map(|_| KindRun {
                positions: Vec::new(),
                max_upto: Vec::new(),
                min_upto: Vec::new(),
            })
            .collect();
        for position in 0..self.key_of.len() as u32 {
            let Some(key) = self.key(position) else {
                continue;
            };
            let Some(kind) = kinds.get_mut(kind_index(key)) else {
                continue;
            };
            let better = |best: Option<&u32>, wanted: Ordering| match best {
                Some(best) if self.key(*best).map(|b| key.cmp(b)) != Some(wanted) => *best,
                _ => position,
            };
            let max = better(kind.max_upto.last(), Ordering::Greater);
            let min = better(kind.min_upto.last(), Ordering::Less);
            kind.positions.push(position);
            kind.max_upto.push(max);
            kind.min_upto.push(min);
        }
        work::add(2 * self.key_of.len() as u64);
        Running { kinds }
    }
}

fn kind_index(key: &Key) -> usize {
    match key {
        Key::Number(_) => 0,
        Key::Text(_) => 1,
        Key::Bool(_) => 2,
    }
}

/// XLOOKUP/XMATCH's modes read from arguments `first` and `first + 1` (exact and first
/// to last by default); `Ok(None)` for wildcard mode with a pattern (not indexed).
fn xlookup_search(args: &[Arg<'_>], needle: &Value, first: usize) -> Result<Option<Search>, Value> {
    let mode = number_or(args, first, 0.0)?.trunc() as i64;
    let search = number_or(args, first + 1, 1.0)?.trunc() as i64;
    if !matches!(mode, -1..=2) || !matches!(search, -2 | -1 | 1 | 2) {
        return Err(value_error());
    }
    let last = search < 0;
    Ok(match mode {
        -1 => Some(Search::ExactOrSmaller { last }),
        1 => Some(Search::ExactOrLarger { last }),
        2 if matches!(needle, Value::Text(t) if has_wildcards(t)) => None,
        _ => Some(Search::Exact { last }),
    })
}

/// Runs a lookup function over `rows` rows; `None` when the searched list (or
/// XLOOKUP's return list) is not one list for every row.
pub(super) fn run(
    shape: LookupShape,
    function: &FunctionSpec,
    args: &[KernelArg<'_>],
    rows: usize,
    context: &CallContext,
) -> Option<Vec<Value>> {
    let keys = args.get(1)?.list()?;
    let values = match shape {
        LookupShape::Xlookup => Some(args.get(2)?.list()?),
        LookupShape::Xmatch | LookupShape::Match => None,
    };
    let index = LookupIndex::new(keys);
    let mut fallback = Fallback::new(function, context);
    let mut each_row = Rows::new(args);
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        let row_args = each_row.at(row);
        let found = (|| -> Result<Value, Value> {
            let needle = scalar(row_args, 0)?;
            if needle.is_error() {
                return Err(needle.clone());
            }
            if values.is_some_and(|v| v.len() != keys.len()) {
                return Err(value_error());
            }
            let search = match shape {
                LookupShape::Xlookup => xlookup_search(row_args, needle, 4)?,
                LookupShape::Xmatch => xlookup_search(row_args, needle, 2)?,
                LookupShape::Match => {
                    let kind = number_or(row_args, 2, 1.0)?;
                    if kind == 0.0 {
                        (!matches!(needle, Value::Text(t) if has_wildcards(t)))
                            .then_some(Search::Exact { last: false })
                    } else if kind > 0.0 {
                        Some(Search::SortedAscending)
                    } else {
                        Some(Search::SortedDescending)
                    }
                }
            };
            let Some(search) = search else {
                // A wildcard pattern: the function scans, once per distinct pattern.
                return Ok(fallback.call(row_args, row));
            };
            let position = index.find(needle, search);
            Ok(match (shape, position) {
                (LookupShape::Xlookup, Some(i)) => {
                    values.and_then(|v| v.get(i)).cloned().unwrap_or_default()
                }
                (LookupShape::Xlookup, None) => match row_args.get(3) {
                    Some(_) => scalar(row_args, 3)?.clone(),
                    // The lookup's own "not found", so the engine can report the miss.
                    None => not_found(),
                },
                (_, Some(i)) => Value::Number(i as f64 + 1.0),
                (_, None) => not_found(),
            })
        })();
        out.push(found.unwrap_or_else(|e| e));
    }
    Some(out)
}
