//! Each kernel against its function's own implementation, row by row, on random
//! lists and per-row arguments: the values must be the same to the last bit.

use proptest::prelude::*;

use super::{KernelArg, run, work};
use crate::functions::{
    Arg, CallContext, CriteriaShape, FunctionSpec, Kernel, LookupShape, OrderShape, Registry,
};
use crate::value::{ErrorKind, Value};

/// Values that collide often: equal numbers of both kinds, text differing in case,
/// numeric text, blanks, errors.
fn cell() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (-6i32..8).prop_map(|n| Value::Number(f64::from(n) / 2.0)),
        1 => Just(Value::Number(-0.0)),
        1 => (0i32..4).prop_map(|n| Value::Date(f64::from(n))),
        3 => prop::sample::select(vec!["a", "A", "b", "B", "ab", "AB", "Σ", "σ", "", "3", " 3 ", "x*", "1.5"])
            .prop_map(Value::text),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Blank),
        1 => prop::sample::select(vec![ErrorKind::NA, ErrorKind::Div0]).prop_map(Value::error),
    ]
    .boxed()
}

/// Numbers mostly, for the order statistics.
fn number_cell() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => (-6i32..8).prop_map(|n| Value::Number(f64::from(n) / 2.0)),
        1 => Just(Value::text("x")),
        1 => Just(Value::Blank),
        1 => Just(Value::Bool(true)),
    ]
    .boxed()
}

/// Criteria as people write them, plus plain values.
fn criterion() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => cell(),
        4 => prop::sample::select(vec![
            ">1", "<=1", ">=0", "<2.5", ">-1", "=a", "a", "A", "<>a", "<>", "=", "", "3",
            "=3", "b*", "?", "~*", "TRUE", "#N/A", ">a", "<=b", "1.5",
        ])
        .prop_map(Value::text),
    ]
    .boxed()
}

fn mode_value(choices: Vec<f64>) -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::sample::select(choices).prop_map(Value::Number),
        1 => Just(Value::text("x")),
        1 => Just(Value::Blank),
    ]
    .boxed()
}

/// An argument that is either the same on every row or one per row.
#[derive(Debug, Clone)]
enum Given {
    One(Value),
    PerRow(Vec<Value>),
    List(Vec<Value>),
}

impl Given {
    fn as_arg(&self) -> KernelArg<'_> {
        match self {
            Given::One(v) => KernelArg::One(v),
            Given::PerRow(values) => KernelArg::PerRow(values),
            Given::List(values) => KernelArg::List(values),
        }
    }
}

fn per_row(
    rows: usize,
    value: impl Strategy<Value = Value> + Clone,
) -> impl Strategy<Value = Given> {
    prop_oneof![
        1 => value.clone().prop_map(Given::One),
        3 => prop::collection::vec(value, rows).prop_map(Given::PerRow),
    ]
}

fn list(len: usize, value: impl Strategy<Value = Value>) -> impl Strategy<Value = Given> {
    prop::collection::vec(value, len).prop_map(Given::List)
}

/// The function's arguments for a kernel shape: lists of `len`, `rows` rows.
fn arguments(kernel: Kernel, rows: usize, len: usize) -> BoxedStrategy<Vec<Given>> {
    let needles = || prop::collection::vec(cell(), rows).prop_map(Given::PerRow);
    match kernel {
        Kernel::Lookup(LookupShape::Xlookup) => (
            needles(),
            list(len, cell()),
            prop_oneof![4 => list(len, cell()), 1 => list(len + 1, cell())],
            prop::option::of(per_row(rows, cell())),
            prop::option::of(per_row(rows, mode_value(vec![-1.0, 0.0, 1.0, 2.0, 3.0]))),
            prop::option::of(per_row(rows, mode_value(vec![1.0, -1.0, 2.0, -2.0, 0.0]))),
        )
            .prop_map(|(n, k, v, miss, mode, search)| {
                let mut args = vec![n, k, v];
                let tail: Vec<Given> = [miss, mode, search].into_iter().map_while(|a| a).collect();
                args.extend(tail);
                args
            })
            .boxed(),
        Kernel::Lookup(LookupShape::Xmatch) => (
            needles(),
            list(len, cell()),
            prop::option::of(per_row(rows, mode_value(vec![-1.0, 0.0, 1.0, 2.0]))),
            prop::option::of(per_row(rows, mode_value(vec![1.0, -1.0, 2.0, -2.0]))),
        )
            .prop_map(|(n, k, mode, search)| {
                let mut args = vec![n, k];
                args.extend([mode, search].into_iter().map_while(|a| a));
                args
            })
            .boxed(),
        Kernel::Lookup(LookupShape::Match) => (
            needles(),
            list(len, cell()),
            prop::option::of(per_row(rows, mode_value(vec![1.0, 0.0, -1.0, 0.5, -2.0]))),
        )
            .prop_map(|(n, k, kind)| {
                let mut args = vec![n, k];
                args.extend(kind);
                args
            })
            .boxed(),
        Kernel::Criteria(shape) => {
            let pairs = match shape {
                CriteriaShape::CountIf | CriteriaShape::SumIf | CriteriaShape::AverageIf => 1..2,
                _ => 1..3,
            };
            (
                prop::collection::vec((list(len, cell()), per_row(rows, criterion())), pairs),
                list(len, cell()),
                any::<bool>(),
            )
                .prop_map(move |(pairs, values, with_values)| {
                    let flat = pairs.into_iter().flat_map(|(r, c)| [r, c]);
                    match shape {
                        CriteriaShape::CountIf | CriteriaShape::CountIfs => flat.collect(),
                        CriteriaShape::SumIf | CriteriaShape::AverageIf => {
                            let mut args: Vec<Given> = flat.collect();
                            if with_values {
                                args.push(values);
                            }
                            args
                        }
                        _ => std::iter::once(values).chain(flat).collect(),
                    }
                })
                .boxed()
        }
        Kernel::Order(OrderShape::Rank { .. }) => (
            prop::collection::vec(number_cell(), rows).prop_map(Given::PerRow),
            list(len, number_cell()),
            prop::option::of(per_row(rows, mode_value(vec![0.0, 1.0, -1.0]))),
        )
            .prop_map(|(x, l, order)| {
                let mut args = vec![x, l];
                args.extend(order);
                args
            })
            .boxed(),
        Kernel::Order(OrderShape::PercentRank) => (
            list(len, number_cell()),
            prop::collection::vec(number_cell(), rows).prop_map(Given::PerRow),
            prop::option::of(per_row(rows, mode_value(vec![1.0, 2.0, 3.0, 0.0]))),
        )
            .prop_map(|(l, x, significance)| {
                let mut args = vec![l, x];
                args.extend(significance);
                args
            })
            .boxed(),
        Kernel::Order(_) => (
            list(len, number_cell()),
            prop::collection::vec(
                prop_oneof![
                    (-2i32..14).prop_map(|k| Value::Number(f64::from(k) / 4.0)),
                    Just(Value::text("x")),
                ],
                rows,
            )
            .prop_map(Given::PerRow),
        )
            .prop_map(|(l, k)| vec![l, k])
            .boxed(),
        Kernel::Aggregate(_) | Kernel::ChooseByRow => Just(Vec::new()).boxed(),
    }
}

/// The functions that have a column kernel.
fn kernel_functions() -> Vec<&'static FunctionSpec> {
    Registry::builtin()
        .iter()
        .filter(|f| {
            matches!(
                f.kernel,
                Some(Kernel::Lookup(_) | Kernel::Criteria(_) | Kernel::Order(_))
            )
        })
        .collect()
}

fn case() -> impl Strategy<Value = (&'static FunctionSpec, Vec<Given>, usize)> {
    let functions = kernel_functions();
    (prop::sample::select(functions), 1usize..12, 0usize..14).prop_flat_map(
        |(function, rows, len)| {
            let kernel = function.kernel.unwrap_or(Kernel::ChooseByRow);
            (Just(function), arguments(kernel, rows, len), Just(rows))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn every_kernel_gives_its_functions_values((function, given, rows) in case()) {
        let args: Vec<KernelArg<'_>> = given.iter().map(Given::as_arg).collect();
        let context = CallContext { as_of: None };
        let Some(fast) = run(function, &args, rows, &context) else {
            return Ok(());
        };
        prop_assert_eq!(fast.len(), rows);
        for (row, got) in fast.iter().enumerate() {
            let row_args: Vec<Arg<'_>> = args.iter().map(|a| a.at(row)).collect();
            let expected = function.call(&row_args, &context);
            prop_assert_eq!(got, &expected, "{} row {}: {:?}", function.name, row, given);
        }
    }
}

#[test]
fn the_kernels_cover_the_quadratic_families() {
    let names: Vec<&str> = kernel_functions().iter().map(|f| &*f.name).collect();
    for name in [
        "XLOOKUP",
        "XMATCH",
        "MATCH",
        "COUNTIF",
        "COUNTIFS",
        "SUMIF",
        "SUMIFS",
        "AVERAGEIF",
        "AVERAGEIFS",
        "MAXIFS",
        "MINIFS",
        "RANK",
        "RANK.EQ",
        "RANK.AVG",
        "PERCENTRANK.INC",
        "PERCENTILE",
        "PERCENTILE.INC",
        "PERCENTILE.EXC",
        "QUARTILE",
        "QUARTILE.INC",
        "LARGE",
        "SMALL",
    ] {
        assert!(names.contains(&name), "{name} has no column kernel");
    }
}

#[test]
fn work_is_counted_per_thread() {
    work::take();
    work::add(5);
    assert_eq!(std::thread::spawn(work::take).join().unwrap(), 0);
    assert_eq!(work::take(), 5);
}

#[test]
fn the_random_cases_reach_the_kernels() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut reached: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for _ in 0..3000 {
        let (function, given, rows) = case().new_tree(&mut runner).unwrap().current();
        let args: Vec<KernelArg<'_>> = given.iter().map(Given::as_arg).collect();
        let ran = run(function, &args, rows, &CallContext::default()).is_some();
        let entry = reached.entry(&function.name).or_default();
        entry.0 += usize::from(ran);
        entry.1 += 1;
    }
    for (name, (ran, total)) in &reached {
        assert!(
            ran * 2 > *total,
            "{name}: the kernel ran on {ran} of {total} cases"
        );
    }
    assert_eq!(reached.len(), kernel_functions().len());
}
