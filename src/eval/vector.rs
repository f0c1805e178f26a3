//! Column kernels: operators and per-row calls applied over whole columns, with fast
//! paths for numbers and for interned text (one comparison per distinct string).

use std::cmp::Ordering;

use crate::eval::operators;
use crate::lang::ast::BinaryOp;
use crate::value::{Value, excel_compare};

static BLANK: Value = Value::Blank;

/// One side of a column operation: the same value for every row, or one per row
/// (as values, or as codes into a dictionary of values — a compactly stored column read
/// without decoding it).
#[derive(Clone, Copy)]
pub enum Operand<'a> {
    One(&'a Value),
    Many(&'a [Value]),
    Coded {
        codes: &'a [u32],
        dictionary: &'a [Value],
    },
}

impl<'a> Operand<'a> {
    /// The value at `row` (blank past the end, as the evaluator reads short columns).
    #[inline]
    pub fn get(self, row: usize) -> &'a Value {
        match self {
            Operand::One(v) => v,
            Operand::Many(values) => values.get(row).unwrap_or(&BLANK),
            Operand::Coded { codes, dictionary } => codes
                .get(row)
                .and_then(|c| dictionary.get(*c as usize))
                .unwrap_or(&BLANK),
        }
    }
}

impl Operand<'_> {
    /// How many rows it has (`None` for one value standing for every row).
    pub fn rows(self) -> Option<usize> {
        match self {
            Operand::One(_) => None,
            Operand::Many(values) => Some(values.len()),
            Operand::Coded { codes, .. } => Some(codes.len()),
        }
    }
}

/// A result computed once per dictionary entry, spread to the rows by their codes.
pub fn by_codes<T: Clone + Default>(codes: &[u32], per_entry: &[T]) -> Vec<T> {
    codes
        .iter()
        .map(|c| per_entry.get(*c as usize).cloned().unwrap_or_default())
        .collect()
}

/// A value's identity for memoizing a pure function of it: text by its allocation
/// (interned text shares one per distinct string, and a live allocation is never
/// another string), other values by their bits. Errors have none (their origins differ).
#[inline]
pub fn identity(value: &Value) -> Option<(u8, u64)> {
    match value {
        Value::Blank => Some((0, 0)),
        Value::Number(n) => Some((1, n.to_bits())),
        Value::Date(n) => Some((2, n.to_bits())),
        Value::Bool(b) => Some((3, u64::from(*b))),
        Value::Text(t) => Some((4, t.as_ptr() as usize as u64)),
        Value::Error(_) => None,
    }
}

const MEMO_BITS: u32 = 12;
const EMPTY: u8 = u8::MAX;

/// A direct-mapped cache from a value's identity to a result, for one kernel call
/// (identities are only meaningful while the values seen are alive). A column with
/// few distinct values hits almost always; one with many turns the cache off after a
/// trial so it costs next to nothing.
pub struct Memo<T> {
    keys: Vec<(u8, u64)>,
    results: Vec<Option<T>>,
    lookups: usize,
    misses: usize,
    off: bool,
}

impl<T: Clone> Memo<T> {
    /// A cache for a kernel over `rows` rows; none for a few rows (a grouped table),
    /// where computing is cheaper than setting the cache up.
    pub fn for_rows(rows: usize) -> Self {
        let slots = if rows < 256 { 0 } else { 1 << MEMO_BITS };
        Memo {
            keys: vec![(EMPTY, 0); slots],
            results: vec![None; slots],
            lookups: 0,
            misses: 0,
            off: slots == 0,
        }
    }

    /// The result for `value`, computed by `compute` on a miss.
    #[inline]
    pub fn get_or(&mut self, value: &Value, compute: impl FnOnce() -> T) -> T {
        if self.off {
            return compute();
        }
        let Some(key) = identity(value) else {
            return compute();
        };
        let slot = (key.1.wrapping_add(u64::from(key.0)))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(MEMO_BITS) as usize
            & ((1 << MEMO_BITS) - 1);
        self.lookups += 1;
        if self.keys[slot] == key
            && let Some(result) = &self.results[slot]
        {
            return result.clone();
        }
        self.misses += 1;
        // After a fair trial, mostly distinct values: stop caching.
        if self.lookups == 8192 && self.misses * 2 > self.lookups {
            self.off = true;
        }
        let result = compute();
        self.keys[slot] = key;
        self.results[slot] = Some(result.clone());
        result
    }
}

/// `value.to_bool() == Ok(Some(wanted))` without building the error value for the
/// common cases (booleans, numbers, blanks).
#[inline]
pub fn is_bool(value: &Value, wanted: bool) -> bool {
    match value {
        Value::Bool(b) => *b == wanted,
        Value::Number(n) | Value::Date(n) => (*n != 0.0) == wanted,
        Value::Blank => !wanted,
        Value::Error(_) => false,
        Value::Text(_) => matches!(value.to_bool(), Ok(b) if b == wanted),
    }
}

/// Which rows of `values` are TRUE (`wanted`) or FALSE (`!wanted`) by Excel's coercion.
pub fn bool_mask(values: Operand<'_>, wanted: bool, rows: usize) -> Vec<bool> {
    match values {
        Operand::Many(slice) if slice.len() == rows => {
            slice.iter().map(|v| is_bool(v, wanted)).collect()
        }
        Operand::Coded { codes, dictionary } if codes.len() == rows => {
            let per_entry: Vec<bool> = dictionary.iter().map(|v| is_bool(v, wanted)).collect();
            by_codes(codes, &per_entry)
        }
        _ => (0..rows).map(|r| is_bool(values.get(r), wanted)).collect(),
    }
}

pub fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

#[inline]
fn holds(op: BinaryOp, ordering: Ordering) -> bool {
    match op {
        BinaryOp::Eq => ordering == Ordering::Equal,
        BinaryOp::Ne => ordering != Ordering::Equal,
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::Le => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }
}

/// A comparison row by row: `Ok(holds)`, or the error operand (left first), exactly as
/// [`operators::binary`] decides. Text against one fixed value is compared once per
/// distinct string.
fn compare_each(
    op: BinaryOp,
    left: Operand<'_>,
    right: Operand<'_>,
    rows: usize,
    mut emit: impl FnMut(Result<bool, &Value>),
) {
    let mut memo: Memo<Ordering> = Memo::for_rows(rows);
    for row in 0..rows {
        let (a, b) = (left.get(row), right.get(row));
        if a.is_error() {
            emit(Err(a));
            continue;
        }
        if b.is_error() {
            emit(Err(b));
            continue;
        }
        let ordering = match (a, b, left, right) {
            (Value::Number(x) | Value::Date(x), Value::Number(y) | Value::Date(y), _, _) => {
                x.partial_cmp(y).unwrap_or(Ordering::Equal)
            }
            (Value::Text(x), Value::Text(y), _, _) if std::ptr::eq(x.as_ptr(), y.as_ptr()) => {
                Ordering::Equal
            }
            (Value::Text(_), _, Operand::Many(_), Operand::One(_)) => {
                memo.get_or(a, || excel_compare(a, b))
            }
            (_, Value::Text(_), Operand::One(_), Operand::Many(_)) => {
                memo.get_or(b, || excel_compare(a, b))
            }
            _ => excel_compare(a, b),
        };
        emit(Ok(holds(op, ordering)));
    }
}

/// A comparison over `rows` rows as values (`TRUE`/`FALSE` or the error operand).
pub fn compare_rows(
    op: BinaryOp,
    left: Operand<'_>,
    right: Operand<'_>,
    rows: usize,
) -> Vec<Value> {
    if let Some((codes, per_entry)) =
        coded_against_one(left, right, |l, r, n| compare_rows(op, l, r, n))
    {
        return by_codes(codes, &per_entry);
    }
    let mut out = Vec::with_capacity(rows);
    compare_each(op, left, right, rows, |r| {
        out.push(match r {
            Ok(b) => Value::Bool(b),
            Err(e) => e.clone(),
        })
    });
    out
}

/// The most entries a coded result of [`compare_coded`] or [`pair_coded`] may have.
pub const CODED_RESULT_LIMIT: usize = 4096;

/// [`compare_rows`] as codes into a dictionary (FALSE, TRUE, then each error met), 4
/// bytes a row instead of a value; `None` past [`CODED_RESULT_LIMIT`] errors.
pub fn compare_coded(
    op: BinaryOp,
    left: Operand<'_>,
    right: Operand<'_>,
    rows: usize,
) -> Option<(Vec<u32>, Vec<Value>)> {
    let mut dictionary = vec![Value::Bool(false), Value::Bool(true)];
    let mut codes = Vec::with_capacity(rows);
    let mut too_many = false;
    compare_each(op, left, right, rows, |r| match r {
        Ok(holds) => codes.push(u32::from(holds)),
        Err(error) => {
            too_many |= dictionary.len() >= CODED_RESULT_LIMIT;
            codes.push(dictionary.len() as u32);
            dictionary.push(error.clone());
        }
    });
    (!too_many).then_some((codes, dictionary))
}

/// `left op right` for two coded operands of `rows` rows: computed once per pair of
/// dictionary entries (a code past its dictionary reads as blank, as
/// [`Operand::get`] reads it), each row coded by its pair; `None` when the pairs are
/// more than [`CODED_RESULT_LIMIT`].
pub fn pair_coded(
    op: BinaryOp,
    (left, left_dictionary): (&[u32], &[Value]),
    (right, right_dictionary): (&[u32], &[Value]),
    rows: usize,
) -> Option<(Vec<u32>, Vec<Value>)> {
    let (width, height) = (right_dictionary.len() + 1, left_dictionary.len() + 1);
    if width.saturating_mul(height) > CODED_RESULT_LIMIT
        || left.len() != rows
        || right.len() != rows
    {
        return None;
    }
    let entry = |dictionary: &[Value], i: usize| dictionary.get(i).cloned().unwrap_or_default();
    let dictionary: Vec<Value> = (0..height)
        .flat_map(|l| {
            let a = entry(left_dictionary, l);
            (0..width).map(move |r| (a.clone(), r))
        })
        .map(|(a, r)| operators::binary(op, &a, &entry(right_dictionary, r)))
        .collect();
    let clamp = |code: u32, len: usize| (code as usize).min(len) as u32;
    let codes = left
        .iter()
        .zip(right)
        .map(|(l, r)| {
            clamp(*l, left_dictionary.len()) * width as u32 + clamp(*r, right_dictionary.len())
        })
        .collect();
    Some((codes, dictionary))
}

/// Which rows a comparison holds on (an error is not TRUE): a filter without the values.
pub fn compare_mask(op: BinaryOp, left: Operand<'_>, right: Operand<'_>, rows: usize) -> Vec<bool> {
    if let Some((codes, per_entry)) =
        coded_against_one(left, right, |l, r, n| compare_mask(op, l, r, n))
    {
        return by_codes(codes, &per_entry);
    }
    // A number column against a number (`depth >= 2`): one tight loop, no memo.
    if let (Operand::Many(values), Operand::One(fixed @ (Value::Number(c) | Value::Date(c)))) =
        (left, right)
        && values.len() == rows
    {
        return values
            .iter()
            .map(|v| match v {
                Value::Number(x) | Value::Date(x) => {
                    holds(op, x.partial_cmp(c).unwrap_or(Ordering::Equal))
                }
                Value::Error(_) => false,
                other => holds(op, excel_compare(other, fixed)),
            })
            .collect();
    }
    let mut out = Vec::with_capacity(rows);
    compare_each(op, left, right, rows, |r| out.push(matches!(r, Ok(true))));
    out
}

/// A coded column against one value: `kernel` over the dictionary instead of the rows
/// (the codes, and one result per dictionary entry). `None` for other operands.
fn coded_against_one<'a, T>(
    left: Operand<'a>,
    right: Operand<'a>,
    kernel: impl Fn(Operand<'a>, Operand<'a>, usize) -> Vec<T>,
) -> Option<(&'a [u32], Vec<T>)> {
    match (left, right) {
        (Operand::Coded { codes, dictionary }, Operand::One(_)) => Some((
            codes,
            kernel(Operand::Many(dictionary), right, dictionary.len()),
        )),
        (Operand::One(_), Operand::Coded { codes, dictionary }) => Some((
            codes,
            kernel(left, Operand::Many(dictionary), dictionary.len()),
        )),
        _ => None,
    }
}

/// Any other binary operator over `rows` rows.
pub fn binary_rows(op: BinaryOp, left: Operand<'_>, right: Operand<'_>, rows: usize) -> Vec<Value> {
    if is_comparison(op) {
        return compare_rows(op, left, right, rows);
    }
    if let Some((codes, per_entry)) =
        coded_against_one(left, right, |l, r, n| binary_rows(op, l, r, n))
    {
        return by_codes(codes, &per_entry);
    }
    if is_arithmetic(op) {
        return (0..rows)
            .map(|r| arithmetic(op, left.get(r), right.get(r)))
            .collect();
    }
    (0..rows)
        .map(|r| operators::binary(op, left.get(r), right.get(r)))
        .collect()
}

pub fn is_arithmetic(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
    )
}

/// `+ - * /` of two values; numbers and dates need no coercion and no error checks.
#[inline]
fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Number(x) | Value::Date(x), Value::Number(y) | Value::Date(y)) => {
            operators::arithmetic_numbers(op, a, b, *x, *y)
        }
        _ => operators::binary(op, a, b),
    }
}

/// `left op right` for arithmetic `op`, written over `left` (a temporary column), so
/// a chain like `EOMONTH(d, -1) + 1` allocates no second column.
pub fn arithmetic_in_place(op: BinaryOp, left: &mut [Value], right: Operand<'_>) {
    for (row, value) in left.iter_mut().enumerate() {
        let result = arithmetic(op, value, right.get(row));
        *value = result;
    }
}

/// `needle IN (items…)` with the same items on every row: once per distinct needle.
pub fn in_rows(needle: &[Value], items: &[Value], negated: bool, rows: usize) -> Vec<Value> {
    let mut memo: Memo<Value> = Memo::for_rows(rows);
    (0..rows)
        .map(|row| {
            let value = needle.get(row).unwrap_or(&BLANK);
            memo.get_or(value, || operators::is_in(value, items, negated))
        })
        .collect()
}

/// IF row by row with the then-branch a temporary column: its values are kept where
/// the condition is TRUE, replaced elsewhere (no copy of the taken values).
pub fn if_rows_over(
    condition: Operand<'_>,
    mut then: Vec<Value>,
    otherwise: Option<Operand<'_>>,
) -> Vec<Value> {
    for (row, value) in then.iter_mut().enumerate() {
        let condition = condition.get(row);
        if is_bool(condition, true) {
            continue;
        }
        *value = if is_bool(condition, false) {
            otherwise.map_or(Value::Bool(false), |o| o.get(row).clone())
        } else {
            condition.to_bool().err().unwrap_or_default()
        };
    }
    then
}

/// Excel's IF row by row (as `functions::logical::if_`): the branch taken, `FALSE`
/// when there is no else branch, or the condition's error.
pub fn if_rows(
    condition: Operand<'_>,
    then: Operand<'_>,
    otherwise: Option<Operand<'_>>,
    rows: usize,
) -> Vec<Value> {
    (0..rows)
        .map(|row| {
            let condition = condition.get(row);
            if is_bool(condition, true) {
                then.get(row).clone()
            } else if is_bool(condition, false) {
                otherwise.map_or(Value::Bool(false), |o| o.get(row).clone())
            } else {
                condition.to_bool().err().unwrap_or_default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{ErrorKind, Text};

    /// A small random stream for the coded kernels' tests.
    fn pick(seed: &mut u64, n: usize) -> usize {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) % n as u64) as usize
    }

    const CODED_OPS: [BinaryOp; 8] = [
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Ge,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Add,
        BinaryOp::Div,
    ];

    #[test]
    fn coded_comparison_equals_operators_binary_on_random_rows() {
        let pool = column();
        let mut seed = 3u64;
        for round in 0..300 {
            let rows = pick(&mut seed, 40);
            let left: Vec<Value> = (0..rows)
                .map(|_| pool[pick(&mut seed, pool.len())].clone())
                .collect();
            let right: Vec<Value> = (0..rows)
                .map(|_| pool[pick(&mut seed, pool.len())].clone())
                .collect();
            let fixed = pool[pick(&mut seed, pool.len())].clone();
            let op = CODED_OPS[pick(&mut seed, 4)];
            for (r, right_operand) in [Operand::Many(&right), Operand::One(&fixed)]
                .into_iter()
                .enumerate()
            {
                let Some((codes, dictionary)) =
                    compare_coded(op, Operand::Many(&left), right_operand, rows)
                else {
                    panic!("round {round}: few errors, yet no coded result");
                };
                for row in 0..rows {
                    let want = operators::binary(op, &left[row], right_operand.get(row));
                    let got = &dictionary[codes[row] as usize];
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{want:?}"),
                        "round {round} side {r} row {row}"
                    );
                }
            }
        }
    }

    #[test]
    fn pair_coded_equals_operators_binary_on_random_rows() {
        let pool = column();
        let mut seed = 9u64;
        for round in 0..300 {
            let rows = pick(&mut seed, 40);
            let dictionary = |seed: &mut u64| -> Vec<Value> {
                (0..1 + pick(seed, 5))
                    .map(|_| pool[pick(seed, pool.len())].clone())
                    .collect()
            };
            let (da, db) = (dictionary(&mut seed), dictionary(&mut seed));
            // Now and then a code past its dictionary (read as blank).
            let a: Vec<u32> = (0..rows)
                .map(|_| pick(&mut seed, da.len() + 1) as u32)
                .collect();
            let b: Vec<u32> = (0..rows)
                .map(|_| pick(&mut seed, db.len() + 1) as u32)
                .collect();
            let op = CODED_OPS[pick(&mut seed, CODED_OPS.len())];
            let Some((codes, out)) = pair_coded(op, (&a, &da), (&b, &db), rows) else {
                panic!("round {round}: small dictionaries, yet no coded result");
            };
            let left = Operand::Coded {
                codes: &a,
                dictionary: &da,
            };
            let right = Operand::Coded {
                codes: &b,
                dictionary: &db,
            };
            for row in 0..rows {
                let want = operators::binary(op, left.get(row), right.get(row));
                assert_eq!(
                    format!("{:?}", out[codes[row] as usize]),
                    format!("{want:?}"),
                    "round {round} row {row}"
                );
            }
        }
        let big: Vec<Value> = (0..100).map(|i| Value::Number(f64::from(i))).collect();
        assert!(pair_coded(BinaryOp::Add, (&[0], &big), (&[0], &big), 1).is_none());
    }

    /// Mixed values, with repeated (shared) and distinct text allocations.
    fn column() -> Vec<Value> {
        let won = Text::from("Closed Won");
        vec![
            Value::Text(won.clone()),
            Value::text("closed won"),
            Value::Text(won),
            Value::text("CLOSED WON"),
            Value::Blank,
            Value::text(""),
            Value::Number(0.0),
            Value::Number(3.5),
            Value::Date(45000.0),
            Value::Bool(true),
            Value::Bool(false),
            Value::error(ErrorKind::NA),
            Value::text("Open"),
            Value::text("ΟΔΟΣ"),
            Value::text("οδοσ"),
        ]
    }

    /// The mixed column repeated past the memo's threshold (repeats share allocations,
    /// so the memoized paths are taken).
    fn many() -> Vec<Value> {
        let values = column();
        (0..40).flat_map(|_| values.iter().cloned()).collect()
    }

    const OPS: [BinaryOp; 6] = [
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
    ];

    #[test]
    fn comparisons_equal_the_operator_row_by_row() {
        let values = many();
        let rows = values.len();
        for op in OPS {
            for constant in &column() {
                let general: Vec<Value> = values
                    .iter()
                    .map(|v| operators::binary(op, v, constant))
                    .collect();
                let fast = compare_rows(op, Operand::Many(&values), Operand::One(constant), rows);
                assert_eq!(fast, general, "{op:?} against {constant:?}");
                let mask = compare_mask(op, Operand::Many(&values), Operand::One(constant), rows);
                let expected: Vec<bool> = general.iter().map(|v| *v == Value::Bool(true)).collect();
                assert_eq!(mask, expected);
                let general: Vec<Value> = values
                    .iter()
                    .map(|v| operators::binary(op, constant, v))
                    .collect();
                let fast = compare_rows(op, Operand::One(constant), Operand::Many(&values), rows);
                assert_eq!(fast, general, "{constant:?} {op:?} column");
            }
            let reversed: Vec<Value> = values.iter().rev().cloned().collect();
            let general: Vec<Value> = values
                .iter()
                .zip(&reversed)
                .map(|(a, b)| operators::binary(op, a, b))
                .collect();
            let fast = compare_rows(op, Operand::Many(&values), Operand::Many(&reversed), rows);
            assert_eq!(fast, general);
        }
    }

    #[test]
    fn arithmetic_equals_the_operator_row_by_row() {
        let values = many();
        let rows = values.len();
        let reversed: Vec<Value> = values.iter().rev().cloned().collect();
        let ops = [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Pow,
            BinaryOp::Concat,
        ];
        for op in ops {
            let general: Vec<Value> = values
                .iter()
                .zip(&reversed)
                .map(|(a, b)| operators::binary(op, a, b))
                .collect();
            let fast = binary_rows(op, Operand::Many(&values), Operand::Many(&reversed), rows);
            assert_eq!(fast, general, "{op:?}");
            if is_arithmetic(op) {
                let mut in_place = values.clone();
                arithmetic_in_place(op, &mut in_place, Operand::Many(&reversed));
                assert_eq!(in_place, general, "{op:?} in place");
            }
            for constant in [Value::Number(0.0), Value::Date(2.0), Value::Number(-1.5)] {
                let general: Vec<Value> = values
                    .iter()
                    .map(|a| operators::binary(op, a, &constant))
                    .collect();
                let fast = binary_rows(op, Operand::Many(&values), Operand::One(&constant), rows);
                assert_eq!(fast, general, "{op:?} {constant:?}");
                // Dates stay dates exactly as the operator decides.
                let kinds = |v: &[Value]| v.iter().map(Value::type_name).collect::<Vec<_>>();
                assert_eq!(kinds(&fast), kinds(&general));
            }
        }
    }

    #[test]
    fn errors_keep_their_kind_left_first() {
        let left = vec![Value::error(ErrorKind::Div0), Value::Number(1.0)];
        let right = vec![Value::error(ErrorKind::NA), Value::error(ErrorKind::NA)];
        let out = compare_rows(BinaryOp::Eq, Operand::Many(&left), Operand::Many(&right), 2);
        assert_eq!(out[0].error_kind(), Some(ErrorKind::Div0));
        assert_eq!(out[1].error_kind(), Some(ErrorKind::NA));
    }

    #[test]
    fn in_and_if_equal_the_general_path() {
        let values = many();
        let rows = values.len();
        let items = [Value::text("closed won"), Value::Number(3.5), Value::Blank];
        for negated in [false, true] {
            let general: Vec<Value> = values
                .iter()
                .map(|v| operators::is_in(v, &items, negated))
                .collect();
            assert_eq!(in_rows(&values, &items, negated, rows), general);
        }
        let with_error = [Value::text("x"), Value::error(ErrorKind::Ref)];
        let general: Vec<Value> = values
            .iter()
            .map(|v| operators::is_in(v, &with_error, false))
            .collect();
        assert_eq!(in_rows(&values, &with_error, false, rows), general);

        let context = crate::functions::CallContext::default();
        let other = Value::text("no");
        for otherwise in [None, Some(Operand::One(&other))] {
            let fast = if_rows(
                Operand::Many(&values),
                Operand::Many(&values),
                otherwise,
                rows,
            );
            let over = if_rows_over(Operand::Many(&values), values.clone(), otherwise);
            assert_eq!(over, fast);
            let general: Vec<Value> = values
                .iter()
                .map(|v| {
                    let mut args = vec![
                        crate::functions::Arg::Value(v),
                        crate::functions::Arg::Value(v),
                    ];
                    if otherwise.is_some() {
                        args.push(crate::functions::Arg::Value(&other));
                    }
                    crate::functions::logical::if_(&args, &context)
                })
                .collect();
            assert_eq!(fast, general);
        }
    }

    #[test]
    fn bool_masks_follow_to_bool() {
        let values = many();
        for wanted in [true, false] {
            let expected: Vec<bool> = values.iter().map(|v| v.to_bool() == Ok(wanted)).collect();
            assert_eq!(
                bool_mask(Operand::Many(&values), wanted, values.len()),
                expected
            );
        }
        let true_text = [Value::text("true"), Value::text("FALSE"), Value::text("x")];
        assert_eq!(
            bool_mask(Operand::Many(&true_text), true, 3),
            vec![true, false, false]
        );
        assert_eq!(
            bool_mask(Operand::Many(&true_text), false, 3),
            vec![false, true, false]
        );
    }

    #[test]
    fn memo_gives_up_on_distinct_values_and_stays_correct() {
        let values: Vec<Value> = (0..20_000).map(|i| Value::Number(i as f64)).collect();
        let mut memo: Memo<f64> = Memo::for_rows(values.len());
        for value in &values {
            let expected = value.as_f64().unwrap_or_default() * 2.0;
            assert_eq!(memo.get_or(value, || expected), expected);
        }
        assert!(memo.off);
    }
}
