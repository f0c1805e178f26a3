//! The function registry: one table of every built-in spreadsheet function with its
//! arity, argument kinds and implementation; category modules hold the implementations.

use std::sync::OnceLock;

use crate::value::Value;

/// Builds one [`FunctionSpec`] in the category modules' tables:
/// `spec!(NAME, Category, min, max, [kinds], repeat_from, Returns, future, impl, summary)`.
macro_rules! spec {
    ($name:literal, $cat:ident, $min:expr, $max:expr, [$($kind:ident),*], $repeat:expr,
     $ret:ident, $future:expr, $imp:expr, $summary:literal) => {
        $crate::functions::FunctionSpec {
            name: $name,
            category: $crate::functions::Category::$cat,
            min_args: $min,
            max_args: $max,
            arg_kinds: &[$($crate::functions::ArgKind::$kind),*],
            repeat_from: $repeat,
            returns: $crate::functions::ReturnType::$ret,
            future: $future,
            implementation: $imp,
            summary: $summary,
        }
    };
}

pub mod args;
pub mod date;
pub mod financial;
pub mod info;
pub mod logical;
pub mod lookup;
pub mod math;
pub mod number_format;
pub mod stats;
pub mod text;

/// How a function receives one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ArgKind {
    /// One value per call (a list here is a checker error: "wrap it in SUM …").
    Scalar,
    /// A list of values (a column reference or an array literal); a single value is
    /// rejected by the checker.
    List,
    /// Either; Excel treats values inside a list differently from values passed
    /// directly (e.g. SUM ignores text in a range but converts "3" given directly).
    Either,
}

/// The value type a function returns, for static checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ReturnType {
    Number,
    Text,
    Bool,
    Date,
    /// Depends on the arguments (IF, XLOOKUP, …).
    Any,
}

/// Function families, for docs and for finding where a function lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Category {
    Math,
    Statistical,
    Logical,
    Information,
    Text,
    Date,
    Financial,
    Lookup,
}

/// One argument as a function sees it.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// A value given directly (a literal, a cell of this row, a scalar).
    Value(&'a Value),
    /// A list of values (a column reference, a group's values, an array literal).
    List(&'a [Value]),
}

/// What a function may know about the run it is called in.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The scenario's `as_of` date as an Excel serial; TODAY() returns it.
    /// `None` means no as_of was given: TODAY() is then `#N/A`, never the clock.
    pub as_of: Option<f64>,
}

/// The signature every built-in implements.
pub type FunctionImpl = fn(&[Arg<'_>], &CallContext) -> Value;

/// One registry entry.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    /// Excel's name, upper case, with dots (e.g. `STDEV.S`).
    pub name: &'static str,
    pub category: Category,
    pub min_args: usize,
    /// `None` for variadic functions.
    pub max_args: Option<usize>,
    /// Kind of each argument position; positions past the end repeat the tail
    /// starting at `repeat_from` (e.g. SUMIFS: List, List, Scalar, repeating from 1).
    pub arg_kinds: &'static [ArgKind],
    pub repeat_from: usize,
    pub returns: ReturnType,
    /// Whether Excel needs the `_xlfn.` prefix in a file (functions newer than 2007).
    pub future: bool,
    pub implementation: FunctionImpl,
    /// One line for `explain` and "did you mean" listings.
    pub summary: &'static str,
}

impl FunctionSpec {
    /// The kind of argument expected at `position` (zero-based).
    pub fn arg_kind(&self, position: usize) -> ArgKind {
        if self.arg_kinds.is_empty() {
            return ArgKind::Scalar;
        }
        if position < self.arg_kinds.len() {
            return self.arg_kinds[position];
        }
        let tail = &self.arg_kinds[self.repeat_from.min(self.arg_kinds.len() - 1)..];
        let offset = (position - self.arg_kinds.len()) % tail.len();
        tail[offset]
    }

    /// Whether `count` arguments is an accepted arity.
    pub fn accepts_arity(&self, count: usize) -> bool {
        count >= self.min_args && self.max_args.is_none_or(|max| count <= max)
    }
}

/// Looks a function up by name, case-insensitively (`sum` finds SUM).
pub fn lookup(name: &str) -> Option<&'static FunctionSpec> {
    let upper = name.to_ascii_uppercase();
    let table = registry();
    sorted_index()
        .binary_search_by(|&i| table.get(i).map_or("", |s| s.name).cmp(upper.as_str()))
        .ok()
        .and_then(|pos| sorted_index().get(pos))
        .and_then(|&i| table.get(i))
}

/// Every built-in function, grouped by category.
pub fn registry() -> &'static [FunctionSpec] {
    static REGISTRY: OnceLock<Vec<FunctionSpec>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        [
            math::SPECS,
            stats::SPECS,
            logical::SPECS,
            info::SPECS,
            text::SPECS,
            date::SPECS,
            financial::SPECS,
            lookup::SPECS,
        ]
        .concat()
    })
}

/// Registry positions sorted by name, for binary-search lookup.
fn sorted_index() -> &'static [usize] {
    static INDEX: OnceLock<Vec<usize>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let table = registry();
        let mut index: Vec<usize> = (0..table.len()).collect();
        index.sort_by_key(|&i| table.get(i).map_or("", |s| s.name));
        index
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_upper_case_and_found() {
        let table = registry();
        assert!(table.len() >= 85, "only {} functions", table.len());
        let mut names: Vec<&str> = table.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), table.len(), "duplicate function names");
        for spec in table {
            assert_eq!(spec.name, spec.name.to_ascii_uppercase());
            assert_eq!(
                lookup(&spec.name.to_ascii_lowercase()).map(|s| s.name),
                Some(spec.name)
            );
            assert!(
                spec.max_args.is_none_or(|m| m >= spec.min_args),
                "{}",
                spec.name
            );
        }
        assert!(lookup("NO.SUCH").is_none());
    }

    #[test]
    fn future_flags_match_excel_prefix_list() {
        // Functions Excel stores with `_xlfn.` (rust_xlsxwriter's future-function list,
        // restricted to names we could register).
        const XLFN: &[&str] = &[
            "CEILING.MATH",
            "CONCAT",
            "DAYS",
            "FLOOR.MATH",
            "FORECAST.LINEAR",
            "IFNA",
            "IFS",
            "ISOWEEKNUM",
            "MAXIFS",
            "MINIFS",
            "MODE.SNGL",
            "PERCENTILE.EXC",
            "PERCENTILE.INC",
            "PERCENTRANK.INC",
            "QUARTILE.INC",
            "RANK.AVG",
            "RANK.EQ",
            "STDEV.P",
            "STDEV.S",
            "SWITCH",
            "TEXTJOIN",
            "VAR.P",
            "VAR.S",
            "XLOOKUP",
            "XOR",
            "COVARIANCE.S",
            "COVARIANCE.P",
            "XMATCH",
        ];
        for spec in registry() {
            assert_eq!(spec.future, XLFN.contains(&spec.name), "{}", spec.name);
        }
    }

    mod no_panics {
        use super::super::*;
        use crate::value::ErrorKind;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Blank),
                any::<f64>().prop_map(Value::Number),
                prop_oneof![
                    Just(0.0),
                    Just(-1.0),
                    Just(1e308),
                    Just(-1e308),
                    Just(2_958_465.0),
                    Just(60.0),
                    -1e6..1e6f64
                ]
                .prop_map(Value::Number),
                (-10.0..3e6f64).prop_map(Value::Date),
                any::<bool>().prop_map(Value::Bool),
                "[ -~]{0,12}".prop_map(|s| Value::text(&s)),
                prop_oneof![
                    Just(">=10"),
                    Just("<>a*"),
                    Just("~"),
                    Just("*?~*"),
                    Just("0.00;(0)"),
                    Just("yyyy-mm-dd hh:mm:ss AM/PM"),
                    Just("#,##0,,\"M\""),
                    Just("0.0E+0"),
                    Just("\"\\"),
                    Just("[Red]"),
                    Just("@;@;@;@"),
                    Just("2026-02-30"),
                    Just("Y"),
                    Just("MD"),
                    Just("YD"),
                    Just("1e400"),
                    Just("00000000000000000000.0")
                ]
                .prop_map(Value::text),
                (0..7usize).prop_map(|i| Value::error(ErrorKind::ALL[i])),
            ]
        }

        #[derive(Debug, Clone)]
        enum Input {
            One(Value),
            Many(Vec<Value>),
        }

        fn input() -> impl Strategy<Value = Input> {
            prop_oneof![
                3 => value().prop_map(Input::One),
                1 => prop::collection::vec(value(), 0..6).prop_map(Input::Many),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(5000))]
            #[test]
            fn no_function_panics_on_any_arguments(
                index in 0..500usize,
                inputs in prop::collection::vec(input(), 0..7),
            ) {
                let table = registry();
                let spec = &table[index % table.len()];
                let args: Vec<Arg<'_>> = inputs
                    .iter()
                    .map(|i| match i {
                        Input::One(v) => Arg::Value(v),
                        Input::Many(l) => Arg::List(l),
                    })
                    .collect();
                let ctx = CallContext { as_of: Some(46_000.0) };
                let _ = (spec.implementation)(&args, &ctx);
            }
        }
    }
}
