//! Column kernels: a function called once per row against lists that are the same for
//! every row (`XLOOKUP(id, Other.id, Other.x)`, `COUNTIF(T.id, id)`, `RANK(x, T.x)`)
//! indexes the lists once instead of scanning them on every row, which made such
//! formulas quadratic (74 s for 50k rows, hours at 1M).
//!
//! - [`lookup`]: a hash of the keys for exact matches, their sorted distinct keys for
//!   next smaller/larger, prefix maxima for MATCH's sorted modes;
//! - [`criteria`]: rows grouped by the cells their per-row criteria test (a hash of the
//!   criteria tuple; a sweep over sorted cells for one comparison), fixed criteria
//!   applied once as a mask;
//! - [`order`]: the list's numbers sorted once; ranks, percentiles and k-th values by
//!   binary search.
//!
//! Each kernel gives exactly the values the function's own implementation gives
//! (`tests`: the two compared on random lists), and hands a row it does not index
//! (a wildcard pattern, an unusual argument) to the implementation, remembering the
//! answer per distinct arguments. [`work`] counts the comparisons, so a test can tell
//! a kernel that regressed to scanning per row without timing anything.

use std::collections::HashMap;

use crate::functions::{Arg, CallContext, FunctionSpec, Kernel};
use crate::value::Value;

pub mod criteria;
pub mod lookup;
pub mod order;
#[cfg(test)]
mod tests;

/// One argument of a call over rows, as a kernel sees it.
#[derive(Debug, Clone, Copy)]
pub enum KernelArg<'a> {
    /// The same value on every row.
    One(&'a Value),
    /// One value per row.
    PerRow(&'a [Value]),
    /// One value per row, as codes into a dictionary.
    Coded {
        codes: &'a [u32],
        dictionary: &'a [Value],
    },
    /// The same list on every row.
    List(&'a [Value]),
}

impl<'a> KernelArg<'a> {
    /// The argument on `row` as the function receives it.
    pub fn at(&self, row: usize) -> Arg<'a> {
        match *self {
            KernelArg::One(v) => Arg::Value(v),
            KernelArg::PerRow(values) => Arg::Value(values.get(row).unwrap_or(&BLANK)),
            KernelArg::Coded { codes, dictionary } => Arg::Value(
                codes
                    .get(row)
                    .and_then(|c| dictionary.get(*c as usize))
                    .unwrap_or(&BLANK),
            ),
            KernelArg::List(values) => Arg::List(values),
        }
    }

    /// The list, when this argument is one list for every row.
    pub fn list(&self) -> Option<&'a [Value]> {
        match *self {
            KernelArg::List(values) => Some(values),
            _ => None,
        }
    }

    /// Whether the value changes from row to row.
    pub fn varies(&self) -> bool {
        matches!(self, KernelArg::PerRow(_) | KernelArg::Coded { .. })
    }
}

static BLANK: Value = Value::Blank;

/// The arguments of every row, built into one reused buffer.
pub(crate) struct Rows<'k, 'a> {
    args: &'k [KernelArg<'a>],
    buffer: Vec<Arg<'a>>,
}

impl<'k, 'a> Rows<'k, 'a> {
    pub(crate) fn new(args: &'k [KernelArg<'a>]) -> Self {
        Rows {
            args,
            buffer: Vec::with_capacity(args.len()),
        }
    }

    /// The arguments of `row`.
    pub(crate) fn at(&mut self, row: usize) -> &[Arg<'a>] {
        self.buffer.clear();
        self.buffer.extend(self.args.iter().map(|a| a.at(row)));
        &self.buffer
    }
}

/// The function's own implementation for the rows a kernel does not index, called
/// once per distinct arguments (functions are pure).
pub(crate) struct Fallback<'f> {
    function: &'f FunctionSpec,
    context: &'f CallContext,
    memo: HashMap<Vec<MemoKey>, Value>,
}

/// A per-row argument as a memo key: the value's identity for text, bits for numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MemoKey {
    Blank,
    Number(u64),
    Date(u64),
    Text(String),
    Bool(bool),
    /// Errors are not remembered (their origins differ per row).
    Unique(usize),
    List,
}

impl<'f> Fallback<'f> {
    pub(crate) fn new(function: &'f FunctionSpec, context: &'f CallContext) -> Self {
        Fallback {
            function,
            context,
            memo: HashMap::new(),
        }
    }

    /// The function on `args` (the arguments of `row`).
    pub(crate) fn call(&mut self, args: &[Arg<'_>], row: usize) -> Value {
        let key: Vec<MemoKey> = args
            .iter()
            .map(|a| match a {
                Arg::List(_) => MemoKey::List,
                Arg::Value(v) => match v {
                    Value::Blank => MemoKey::Blank,
                    Value::Number(n) => MemoKey::Number(n.to_bits()),
                    Value::Date(n) => MemoKey::Date(n.to_bits()),
                    Value::Text(t) => MemoKey::Text(t.to_string()),
                    Value::Bool(b) => MemoKey::Bool(*b),
                    Value::Error(_) => MemoKey::Unique(row),
                },
            })
            .collect();
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        work::add(list_cells(args));
        let value = self.function.call(args, self.context);
        self.memo.insert(key, value.clone());
        value
    }
}

/// How many list cells one call is handed (what a call per row costs when it scans).
pub fn list_cells(args: &[Arg<'_>]) -> u64 {
    args.iter()
        .map(|a| match a {
            Arg::List(values) => values.len() as u64,
            Arg::Value(_) => 0,
        })
        .sum()
}

/// Runs `function` over `rows` rows through its column kernel; `None` when it has
/// none, or the arguments are not of a shape the kernel indexes (no fixed list, a
/// list that differs per row), so the engine calls it per row.
pub fn run(
    function: &FunctionSpec,
    args: &[KernelArg<'_>],
    rows: usize,
    context: &CallContext,
) -> Option<Vec<Value>> {
    if !args.iter().any(KernelArg::varies) || !args.iter().any(|a| a.list().is_some()) {
        return None;
    }
    match function.kernel? {
        Kernel::Lookup(shape) => lookup::run(shape, function, args, rows, context),
        Kernel::Criteria(shape) => criteria::run(shape, function, args, rows, context),
        Kernel::Order(shape) => order::run(shape, function, args, rows, context),
        Kernel::Aggregate(_) | Kernel::ChooseByRow => None,
    }
}

/// Counting the work of kernels and of calls per row: comparisons made and list cells
/// handed to a call. Per thread (the evaluator's parallel steps run on rayon's
/// threads, so a test measures inside a one-thread pool).
pub mod work {
    use std::cell::Cell;

    thread_local! {
        static DONE: Cell<u64> = const { Cell::new(0) };
    }

    /// Records `units` of work.
    #[inline]
    pub fn add(units: u64) {
        DONE.with(|d| d.set(d.get().saturating_add(units)));
    }

    /// The work recorded on this thread since the last call, and starts again at 0.
    pub fn take() -> u64 {
        DONE.with(|d| d.replace(0))
    }
}

/// `⌈log2(n + 1)⌉`: the comparisons of one binary search over `n` items.
pub(crate) fn log2_ceil(n: usize) -> u64 {
    u64::from(usize::BITS - n.leading_zeros())
}
