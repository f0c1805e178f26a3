//! COUNTIF(S)/SUMIF(S)/AVERAGEIF(S)/MAXIFS/MINIFS with criteria that differ per row
//! against ranges that are the same for every row (`COUNTIF(T.id, id)`,
//! `SUMIFS(T.amount, T.account, account, T.date, "<=" & date)`):
//!
//! - a criterion that is the same on every row is applied once, as a mask of the
//!   ranges' rows;
//! - per-row equality criteria (`=`, a plain value, text without wildcards) group the
//!   ranges' rows by the tuple of cells they test: one hash probe per row;
//! - one per-row numeric comparison (`<`, `<=`, `>`, `>=`) beside equality criteria is
//!   answered by a sweep: each group's rows sorted by the compared cell, the rows'
//!   thresholds sorted, the aggregate carried along;
//! - anything else (wildcards, `<>`, text comparisons, two comparisons) goes to the
//!   function itself, once per distinct criteria.
//!
//! Sums are exact ([`ExactSum`]), as the functions' own are, so adding the matched
//! values in another order gives the very same number.

use std::collections::HashMap;

use super::lookup::ordered_bits;
use super::{Fallback, KernelArg, Rows, log2_ceil, work};
use crate::functions::args::{
    Criterion, CriterionOp, ExactSum, Operand, folded, literal_pattern, scalar, value_error,
};
use crate::functions::stats::criteria_mean;
use crate::functions::{CallContext, CriteriaShape, FunctionSpec};
use crate::value::{ErrorKind, Value, number_result, parse_numeric_text};

/// What the matched rows add up to.
#[derive(Debug, Clone, Default)]
struct Tally {
    rows: u64,
    numbers: u64,
    sum: ExactSum,
    max: Option<f64>,
    min: Option<f64>,
    first_error: Option<u32>,
}

impl Tally {
    fn add(&mut self, row: u32, values: Option<&[Value]>) {
        self.rows += 1;
        match values.and_then(|v| v.get(row as usize)) {
            Some(Value::Number(n) | Value::Date(n)) => {
                self.numbers += 1;
                self.sum.add(*n);
                self.max = Some(self.max.map_or(*n, |m| m.max(*n)));
                self.min = Some(self.min.map_or(*n, |m| m.min(*n)));
            }
            Some(Value::Error(_)) => {
                self.first_error = Some(self.first_error.map_or(row, |e| e.min(row)));
            }
            _ => {}
        }
    }

    /// The function's answer over the matched rows.
    fn answer(&self, shape: CriteriaShape, values: Option<&[Value]>) -> Value {
        if let CriteriaShape::CountIf | CriteriaShape::CountIfs = shape {
            return Value::Number(self.rows as f64);
        }
        if let Some(error) = self
            .first_error
            .and_then(|row| values.and_then(|v| v.get(row as usize)))
        {
            return error.clone();
        }
        match shape {
            CriteriaShape::SumIf | CriteriaShape::SumIfs => number_result(self.sum.value()),
            CriteriaShape::AverageIf | CriteriaShape::AverageIfs => {
                criteria_mean(self.sum.value(), self.numbers as usize)
            }
            CriteriaShape::MaxIfs => self.max.map_or(Value::Number(0.0), number_result),
            CriteriaShape::MinIfs => self.min.map_or(Value::Number(0.0), number_result),
            CriteriaShape::CountIf | CriteriaShape::CountIfs => Value::Number(self.rows as f64),
        }
    }
}

/// A cell as an equality criterion of some class tests it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CellKey {
    Number(u64),
    Bool(bool),
    Error(ErrorKind),
    Text(String),
    Empty,
}

/// Which cells an equality criterion can match, so a cell is keyed the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    /// Numbers and dates.
    Number,
    /// Numbers, dates and numeric text (a criterion written as text, `"3"`).
    NumberOrText,
    Bool,
    Error,
    Text,
    /// Blank cells and empty text (`""`, `"="`).
    Empty,
}

impl Class {
    fn key(self, cell: &Value) -> Option<CellKey> {
        match (self, cell) {
            (Class::Number | Class::NumberOrText, Value::Number(n) | Value::Date(n)) => {
                ordered_bits(*n).map(CellKey::Number)
            }
            (Class::NumberOrText, Value::Text(t)) => parse_numeric_text(t)
                .and_then(ordered_bits)
                .map(CellKey::Number),
            (Class::Bool, Value::Bool(b)) => Some(CellKey::Bool(*b)),
            (Class::Error, Value::Error(e)) => Some(CellKey::Error(e.kind)),
            (Class::Text, Value::Text(t)) => Some(CellKey::Text(folded(t))),
            (Class::Empty, Value::Blank) => Some(CellKey::Empty),
            (Class::Empty, Value::Text(t)) if t.is_empty() => Some(CellKey::Empty),
            _ => None,
        }
    }
}

/// How a per-row criterion is answered.
enum Probe {
    /// Equal to a key of a class.
    Equal(Class, CellKey),
    /// A numeric comparison: `op` against `threshold`.
    Compare(CriterionOp, f64),
    /// Not indexed: the function answers.
    Other,
}

fn probe(criterion: &Criterion) -> Probe {
    let op = criterion.op();
    let equal = |class: Class, key: Option<CellKey>| match key {
        Some(key) => Probe::Equal(class, key),
        None => Probe::Other,
    };
    match (op, criterion.operand()) {
        (CriterionOp::Eq, Operand::Number { value, text_too }) => {
            let class = if *text_too {
                Class::NumberOrText
            } else {
                Class::Number
            };
            equal(class, ordered_bits(*value).map(CellKey::Number))
        }
        (CriterionOp::Eq, Operand::Bool(b)) => Probe::Equal(Class::Bool, CellKey::Bool(*b)),
        (CriterionOp::Eq, Operand::Error(kind)) => {
            Probe::Equal(Class::Error, CellKey::Error(*kind))
        }
        (CriterionOp::Eq, Operand::Text(pattern)) if pattern.is_empty() => {
            Probe::Equal(Class::Empty, CellKey::Empty)
        }
        (CriterionOp::Eq, Operand::Text(pattern)) => {
            equal(Class::Text, literal_pattern(pattern).map(CellKey::Text))
        }
        (
            CriterionOp::Lt | CriterionOp::Le | CriterionOp::Gt | CriterionOp::Ge,
            Operand::Number { value, .. },
        ) if !value.is_nan() => Probe::Compare(op, *value),
        _ => Probe::Other,
    }
}

/// The argument layout: (range, criterion) pairs and the values list, if any.
struct Layout {
    pairs: Vec<(usize, usize)>,
    values: Option<usize>,
}

fn layout(shape: CriteriaShape, count: usize) -> Option<Layout> {
    let pairs_from = |from: usize| -> Vec<(usize, usize)> {
        (from..count).step_by(2).map(|i| (i, i + 1)).collect()
    };
    Some(match shape {
        CriteriaShape::CountIf => Layout {
            pairs: vec![(0, 1)],
            values: None,
        },
        CriteriaShape::CountIfs if count.is_multiple_of(2) => Layout {
            pairs: pairs_from(0),
            values: None,
        },
        CriteriaShape::SumIf | CriteriaShape::AverageIf => Layout {
            pairs: vec![(0, 1)],
            values: Some(if count > 2 { 2 } else { 0 }),
        },
        CriteriaShape::SumIfs
        | CriteriaShape::AverageIfs
        | CriteriaShape::MaxIfs
        | CriteriaShape::MinIfs
            if !count.is_multiple_of(2) =>
        {
            Layout {
                pairs: pairs_from(1),
                values: Some(0),
            }
        }
        _ => return None,
    })
}

/// Runs a criteria function over `rows` rows; `None` when a range is not one list for
/// every row, the ranges differ in length, or a fixed criterion is an error (the
/// function then answers per row, without scanning).
pub(super) fn run(
    shape: CriteriaShape,
    function: &FunctionSpec,
    args: &[KernelArg<'_>],
    rows: usize,
    context: &CallContext,
) -> Option<Vec<Value>> {
    let layout = layout(shape, args.len())?;
    let ranges: Vec<&[Value]> = layout
        .pairs
        .iter()
        .map(|(range, _)| args.get(*range).and_then(KernelArg::list))
        .collect::<Option<_>>()?;
    let values: Option<&[Value]> = match layout.values {
        Some(i) => Some(args.get(i)?.list()?),
        None => None,
    };
    // The ranges' rows: SUMIFS' values list sets the length the ranges must have.
    let length = match shape {
        CriteriaShape::SumIf | CriteriaShape::AverageIf | CriteriaShape::CountIf => {
            ranges.first()?.len()
        }
        CriteriaShape::CountIfs => ranges.first()?.len(),
        _ => values?.len(),
    };
    if ranges.iter().any(|r| r.len() != length) {
        return None;
    }
    // Criteria the same on every row: one mask.
    let mut keep = vec![true; length];
    let mut varying: Vec<usize> = Vec::new();
    for (k, (_, criterion)) in layout.pairs.iter().enumerate() {
        match args.get(*criterion)? {
            KernelArg::One(value) => {
                let criterion = Criterion::parse(value).ok()?;
                let range = ranges.get(k)?;
                for (cell, kept) in range.iter().zip(keep.iter_mut()) {
                    *kept = *kept && criterion.matches(cell);
                }
                work::add(length as u64);
            }
            KernelArg::List(_) => return None,
            _ => varying.push(k),
        }
    }

    // Each row's probes, or the function's own answer.
    let mut out: Vec<Option<Value>> = vec![None; rows];
    let mut fallback = Fallback::new(function, context);
    let mut each_row = Rows::new(args);
    // Rows answered by a hash of equality keys, by signature; and by a sweep.
    let mut equal_rows: HashMap<Vec<Class>, Vec<(u32, Vec<CellKey>)>> = HashMap::new();
    let mut sweep_rows: HashMap<SweepSignature, Vec<SweepProbe>> = HashMap::new();
    for (row, slot) in out.iter_mut().enumerate() {
        let row_args = each_row.at(row);
        let mut classes = Vec::with_capacity(varying.len());
        let mut keys = Vec::with_capacity(varying.len());
        let mut compare: Option<(usize, CriterionOp, f64)> = None;
        let mut indexed = true;
        for (k, (_, criterion)) in layout.pairs.iter().enumerate() {
            // The function parses every pair's criterion in order: the first error wins.
            let parsed = scalar(row_args, *criterion).and_then(Criterion::parse);
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(error) => {
                    *slot = Some(error);
                    indexed = false;
                    break;
                }
            };
            if !varying.contains(&k) {
                continue;
            }
            match probe(&parsed) {
                Probe::Equal(class, key) => {
                    classes.push(class);
                    keys.push(key);
                }
                Probe::Compare(op, threshold) if compare.is_none() => {
                    compare = Some((k, op, threshold));
                }
                _ => indexed = false,
            }
        }
        if slot.is_some() {
            continue;
        }
        if !indexed {
            *slot = Some(fallback.call(row_args, row));
            continue;
        }
        let row = row as u32;
        match compare {
            None => equal_rows.entry(classes).or_default().push((row, keys)),
            Some((k, op, threshold)) => {
                let direction = Direction::of(op);
                sweep_rows
                    .entry((classes, k, direction))
                    .or_default()
                    .push((row, keys, threshold));
            }
        }
    }

    let varying_ranges: Vec<&[Value]> = varying
        .iter()
        .filter_map(|k| ranges.get(*k).copied())
        .collect();
    let key_of = |classes: &[Class], data_row: usize| -> Option<Vec<CellKey>> {
        classes
            .iter()
            .zip(&varying_ranges)
            .map(|(class, range)| class.key(range.get(data_row)?))
            .collect()
    };
    for (classes, queries) in equal_rows {
        let mut tallies: HashMap<Vec<CellKey>, Tally> = HashMap::new();
        for data_row in (0..length).filter(|r| keep.get(*r) == Some(&true)) {
            if let Some(key) = key_of(&classes, data_row) {
                tallies.entry(key).or_default().add(data_row as u32, values);
            }
        }
        work::add(length as u64 + queries.len() as u64);
        let empty = Tally::default();
        for (row, key) in queries {
            let tally = tallies.get(&key).unwrap_or(&empty);
            if let Some(slot) = out.get_mut(row as usize) {
                *slot = Some(tally.answer(shape, values));
            }
        }
    }
    for ((classes, compared, direction), queries) in sweep_rows {
        let position = varying.iter().position(|k| *k == compared);
        let compared_range = ranges.get(compared)?;
        let eq_classes: Vec<Class> = classes.clone();
        // The ranges' rows by their equality key, each group's rows by the compared cell.
        let mut groups: HashMap<Vec<CellKey>, Vec<(f64, u32)>> = HashMap::new();
        for data_row in (0..length).filter(|r| keep.get(*r) == Some(&true)) {
            let Some(Value::Number(n) | Value::Date(n)) = compared_range.get(data_row) else {
                continue;
            };
            if let Some(key) = key_of_except(&eq_classes, &varying_ranges, position, data_row) {
                groups.entry(key).or_default().push((*n, data_row as u32));
            }
        }
        let mut by_group: HashMap<Vec<CellKey>, Vec<(f64, u32)>> = HashMap::new();
        for (row, key, threshold) in queries {
            by_group.entry(key).or_default().push((threshold, row));
        }
        for (key, mut thresholds) in by_group {
            let mut members = groups.remove(&key).unwrap_or_default();
            let n = members.len().max(1) + thresholds.len();
            work::add((n as u64) * log2_ceil(n));
            members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            thresholds.sort_by(|a, b| a.0.total_cmp(&b.0));
            if direction.descending() {
                members.reverse();
                thresholds.reverse();
            }
            let mut tally = Tally::default();
            let mut next = 0;
            for (threshold, row) in thresholds {
                while let Some((value, data_row)) = members.get(next) {
                    if !direction.admits(*value, threshold) {
                        break;
                    }
                    tally.add(*data_row, values);
                    next += 1;
                }
                if let Some(slot) = out.get_mut(row as usize) {
                    *slot = Some(tally.answer(shape, values));
                }
            }
        }
    }
    Some(
        out.into_iter()
            .map(|v| v.unwrap_or_else(value_error))
            .collect(),
    )
}

/// The equality key of a range row for every varying pair but the compared one.
fn key_of_except(
    classes: &[Class],
    ranges: &[&[Value]],
    compared: Option<usize>,
    data_row: usize,
) -> Option<Vec<CellKey>> {
    let others = ranges
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != compared)
        .map(|(_, r)| r);
    classes
        .iter()
        .zip(others)
        .map(|(class, range)| class.key(range.get(data_row)?))
        .collect()
}

/// Rows answered by one sweep share their classes, the compared pair and its direction.
type SweepSignature = (Vec<Class>, usize, Direction);
/// A row waiting for a sweep: its index, its equality keys and the number it compares.
type SweepProbe = (u32, Vec<CellKey>, f64);

/// Which side of the threshold a comparison admits, for the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    Below,
    AtOrBelow,
    Above,
    AtOrAbove,
}

impl Direction {
    fn of(op: CriterionOp) -> Direction {
        match op {
            CriterionOp::Lt => Direction::Below,
            CriterionOp::Le => Direction::AtOrBelow,
            CriterionOp::Gt => Direction::Above,
            _ => Direction::AtOrAbove,
        }
    }

    fn descending(self) -> bool {
        matches!(self, Direction::Above | Direction::AtOrAbove)
    }

    fn admits(self, value: f64, threshold: f64) -> bool {
        match self {
            Direction::Below => value < threshold,
            Direction::AtOrBelow => value <= threshold,
            Direction::Above => value > threshold,
            Direction::AtOrAbove => value >= threshold,
        }
    }
}
