//! The function registry: one table of every built-in spreadsheet function with its
//! arity, argument kinds and implementation; category modules hold the implementations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::value::Value;

/// Builds one [`FunctionSpec`] in the category modules' tables:
/// `spec!(NAME, Category, min, max, [kinds], repeat_from, Returns, future, impl, summary)`,
/// optionally followed by `, kernel = Kernel::…`.
macro_rules! spec {
    (@kernel) => { None };
    (@kernel $kernel:expr) => { Some($kernel) };
    ($name:literal, $cat:ident, $min:expr, $max:expr, [$($kind:ident),*], $repeat:expr,
     $ret:ident, $future:expr, $imp:expr, $summary:literal $(, kernel = $kernel:expr)?) => {
        $crate::functions::FunctionSpec {
            name: std::borrow::Cow::Borrowed($name),
            category: $crate::functions::Category::$cat,
            min_args: $min,
            max_args: $max,
            arg_kinds: std::borrow::Cow::Borrowed(&[$($crate::functions::ArgKind::$kind),*]),
            repeat_from: $repeat,
            returns: $crate::functions::ReturnType::$ret,
            future: $future,
            implementation: $crate::functions::Implementation::Builtin($imp),
            kernel: spec!(@kernel $($kernel)?),
            summary: std::borrow::Cow::Borrowed($summary),
        }
    };
}

pub mod args;
pub mod date;
pub mod ets;
pub mod financial;
pub mod forecast;
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
    /// A rhai script's function, registered at run time.
    Script,
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

/// A function registered at run time rather than built in (a rhai script's function).
/// It must be pure: the same arguments always give the same value.
pub trait ExternalFunction: Send + Sync {
    fn call(&self, args: &[Arg<'_>], context: &CallContext) -> Value;

    /// What went wrong in calls so far, one line each (distinct reasons, a few), for
    /// the console after a run.
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How a function computes its value.
#[derive(Clone)]
pub enum Implementation {
    /// One of Excel's functions, in Rust.
    Builtin(FunctionImpl),
    /// Registered at run time (see [`Registry::register`]).
    External(Arc<dyn ExternalFunction>),
}

impl Implementation {
    pub fn call(&self, args: &[Arg<'_>], context: &CallContext) -> Value {
        match self {
            Implementation::Builtin(function) => function(args, context),
            Implementation::External(function) => function.call(args, context),
        }
    }
}

impl fmt::Debug for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Implementation::Builtin(_) => "Builtin",
            Implementation::External(_) => "External",
        })
    }
}

/// A group aggregate the engine computes in one pass over a list's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Count,
    CountA,
    Average,
    Min,
    Max,
    Median,
}

/// A whole-column shortcut the engine may take for a function instead of calling it
/// row by row or group by group. Each gives exactly the values the implementation gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// One pass over every group's members.
    Aggregate(Aggregate),
    /// A per-row search of one list that is the same for every row: the list is
    /// indexed once (a hash of its keys for exact matches, its sorted keys for next
    /// smaller/larger and sorted lookups), each row costs a probe, not a scan.
    /// `eval::kernels::lookup`; any lookup-style function names its argument layout.
    Lookup(LookupShape),
    /// COUNTIF(S)/SUMIF(S)/AVERAGEIF(S)/MAXIFS/MINIFS with criteria per row against
    /// fixed ranges: rows grouped by their criteria cells once (`eval::kernels::criteria`).
    Criteria(CriteriaShape),
    /// RANK/PERCENTRANK/PERCENTILE/QUARTILE/LARGE/SMALL of a per-row value in a fixed
    /// list: the list sorted once, each row a binary search (`eval::kernels::order`).
    Order(OrderShape),
    /// A per-row choice between whole-column branches.
    ChooseByRow,
}

/// Where a lookup function's arguments are and how its modes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupShape {
    /// `XLOOKUP(needle, keys, values, [if_not_found], [match_mode], [search_mode])`.
    Xlookup,
    /// `XMATCH(needle, keys, [match_mode], [search_mode])`: the 1-based position.
    Xmatch,
    /// `MATCH(needle, keys, [match_type])`: 0 exact (wildcards), 1 sorted ascending
    /// (the default), -1 sorted descending.
    Match,
}

/// Which criteria function, for its argument layout and what it computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriteriaShape {
    CountIf,
    CountIfs,
    SumIf,
    SumIfs,
    AverageIf,
    AverageIfs,
    MaxIfs,
    MinIfs,
}

/// Which order statistic of a per-row value in a fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderShape {
    /// `RANK.EQ`/`RANK` (`average` false) and `RANK.AVG`: (x, list, [order]).
    Rank { average: bool },
    /// `PERCENTRANK.INC`: (list, x, [significance]).
    PercentRank,
    /// `PERCENTILE.INC`/`PERCENTILE` and `PERCENTILE.EXC`: (list, k).
    Percentile { exclusive: bool },
    /// `QUARTILE.INC`/`QUARTILE`: (list, quart).
    Quartile,
    /// `LARGE` (`largest`) and `SMALL`: (list, k).
    Kth { largest: bool },
}

/// One registry entry.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Excel's name, upper case, with dots (e.g. `STDEV.S`).
    pub name: Cow<'static, str>,
    pub category: Category,
    pub min_args: usize,
    /// `None` for variadic functions.
    pub max_args: Option<usize>,
    /// Kind of each argument position; positions past the end repeat the tail
    /// starting at `repeat_from` (e.g. SUMIFS: List, List, Scalar, repeating from 1).
    pub arg_kinds: Cow<'static, [ArgKind]>,
    pub repeat_from: usize,
    pub returns: ReturnType,
    /// Whether Excel needs the `_xlfn.` prefix in a file (functions newer than 2007).
    pub future: bool,
    pub implementation: Implementation,
    /// A faster whole-column way to the same values, if the engine has one.
    pub kernel: Option<Kernel>,
    /// One line for `explain` and "did you mean" listings.
    pub summary: Cow<'static, str>,
}

impl FunctionSpec {
    /// The kind of argument expected at `position` (zero-based).
    pub fn arg_kind(&self, position: usize) -> ArgKind {
        if self.arg_kinds.is_empty() {
            return ArgKind::Scalar;
        }
        if let Some(kind) = self.arg_kinds.get(position) {
            return *kind;
        }
        let tail = &self.arg_kinds[self.repeat_from.min(self.arg_kinds.len() - 1)..];
        let offset = (position - self.arg_kinds.len()) % tail.len();
        tail[offset]
    }

    /// Whether `count` arguments is an accepted arity.
    pub fn accepts_arity(&self, count: usize) -> bool {
        count >= self.min_args && self.max_args.is_none_or(|max| count <= max)
    }

    /// Whether this is one of Excel's own functions (it can be written into a workbook
    /// as a live formula), not one registered at run time.
    pub fn is_builtin(&self) -> bool {
        matches!(self.implementation, Implementation::Builtin(_))
    }

    /// For a built-in lookup (XLOOKUP, XMATCH, MATCH, VLOOKUP, HLOOKUP), the argument it
    /// searches: a miss ([`args::not_found`]) is reported against that list.
    pub fn searched_argument(&self) -> Option<usize> {
        if self.is_builtin() {
            lookup::searched_argument(&self.name)
        } else {
            None
        }
    }

    /// For a built-in lookup, the argument it answers with when it finds nothing.
    pub fn fallback_argument(&self) -> Option<usize> {
        if self.is_builtin() {
            lookup::fallback_argument(&self.name)
        } else {
            None
        }
    }

    /// Calls the function.
    pub fn call(&self, args: &[Arg<'_>], context: &CallContext) -> Value {
        self.implementation.call(args, context)
    }
}

/// Why a function could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("`{0}` is one of Excel's functions; give the script function another name")]
    ShadowsBuiltin(String),
    #[error("`{0}` is registered twice")]
    Duplicate(String),
    #[error(
        "`{0}` is not a usable function name (letters, digits, `_` and `.`; starting with a letter)"
    )]
    BadName(String),
}

/// The functions formulas may call: Excel's built-ins and any registered at run time.
/// It is a value: the checker resolves calls against the registry it is given, and the
/// plan it produces carries the resolved functions, so evaluation needs nothing else.
#[derive(Debug, Clone)]
pub struct Registry {
    functions: Vec<Arc<FunctionSpec>>,
    /// Upper-case name → position in `functions`.
    by_name: HashMap<String, usize>,
}

impl Registry {
    /// Excel's built-in functions only (shared; clone it to register more).
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let functions: Vec<Arc<FunctionSpec>> = [
                math::SPECS,
                stats::SPECS,
                logical::SPECS,
                info::SPECS,
                text::SPECS,
                date::SPECS,
                financial::SPECS,
                lookup::SPECS,
                forecast::SPECS,
            ]
            .concat()
            .into_iter()
            .map(Arc::new)
            .collect();
            let by_name = functions
                .iter()
                .enumerate()
                .map(|(i, spec)| (spec.name.to_ascii_uppercase(), i))
                .collect();
            Registry { functions, by_name }
        })
    }

    /// Adds a function registered at run time. Built-ins cannot be replaced.
    pub fn register(&mut self, spec: FunctionSpec) -> Result<(), RegistryError> {
        let upper = spec.name.to_ascii_uppercase();
        let well_formed = upper.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !well_formed {
            return Err(RegistryError::BadName(spec.name.into_owned()));
        }
        if let Some(&existing) = self.by_name.get(&upper) {
            let builtin = self.functions.get(existing).is_some_and(|f| f.is_builtin());
            let name = spec.name.into_owned();
            return Err(if builtin {
                RegistryError::ShadowsBuiltin(name)
            } else {
                RegistryError::Duplicate(name)
            });
        }
        self.by_name.insert(upper, self.functions.len());
        self.functions.push(Arc::new(spec));
        Ok(())
    }

    /// Looks a function up by name, case-insensitively (`sum` finds SUM).
    pub fn lookup(&self, name: &str) -> Option<&Arc<FunctionSpec>> {
        self.by_name
            .get(&name.to_ascii_uppercase())
            .and_then(|&i| self.functions.get(i))
    }

    /// Every function, built-ins first (grouped by category), then registered ones.
    pub fn iter(&self) -> impl Iterator<Item = &FunctionSpec> {
        self.functions.iter().map(|f| &**f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_upper_case_and_found() {
        let registry = Registry::builtin();
        let table: Vec<&FunctionSpec> = registry.iter().collect();
        assert!(table.len() >= 85, "only {} functions", table.len());
        let mut names: Vec<&str> = table.iter().map(|s| &*s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), table.len(), "duplicate function names");
        for spec in table {
            assert_eq!(spec.name, spec.name.to_ascii_uppercase());
            assert_eq!(
                registry
                    .lookup(&spec.name.to_ascii_lowercase())
                    .map(|s| s.name.clone()),
                Some(spec.name.clone())
            );
            assert!(
                spec.max_args.is_none_or(|m| m >= spec.min_args),
                "{}",
                spec.name
            );
        }
        assert!(registry.lookup("NO.SUCH").is_none());
    }

    #[test]
    fn registered_functions_are_found_and_never_replace_a_builtin() {
        struct Double;
        impl ExternalFunction for Double {
            fn call(&self, args: &[Arg<'_>], _: &CallContext) -> Value {
                match args {
                    [Arg::Value(Value::Number(n))] => Value::Number(n * 2.0),
                    _ => Value::error(crate::value::ErrorKind::Value),
                }
            }
        }
        let spec = |name: &'static str| FunctionSpec {
            name: Cow::Borrowed(name),
            category: Category::Math,
            min_args: 1,
            max_args: Some(1),
            arg_kinds: Cow::Borrowed(&[ArgKind::Scalar]),
            repeat_from: 0,
            returns: ReturnType::Number,
            future: false,
            implementation: Implementation::External(Arc::new(Double)),
            kernel: None,
            summary: Cow::Borrowed("twice"),
        };
        let mut registry = Registry::builtin().clone();
        registry.register(spec("plan.double")).unwrap();
        let found = registry.lookup("PLAN.DOUBLE").unwrap();
        assert!(!found.is_builtin());
        let two = Value::Number(2.0);
        assert_eq!(
            found.call(&[Arg::Value(&two)], &CallContext::default()),
            Value::Number(4.0)
        );
        assert_eq!(
            registry.register(spec("sum")),
            Err(RegistryError::ShadowsBuiltin("sum".into()))
        );
        assert_eq!(
            registry.register(spec("Plan.Double")),
            Err(RegistryError::Duplicate("Plan.Double".into()))
        );
        assert_eq!(
            registry.register(spec("2x")),
            Err(RegistryError::BadName("2x".into()))
        );
        assert!(Registry::builtin().lookup("plan.double").is_none());
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
            "FORECAST.ETS",
            "FORECAST.ETS.CONFINT",
            "FORECAST.ETS.SEASONALITY",
            "FORECAST.ETS.STAT",
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
            "LET",
            "UNIQUE",
        ];
        for spec in Registry::builtin().iter() {
            assert_eq!(spec.future, XLFN.contains(&&*spec.name), "{}", spec.name);
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
                let table: Vec<&FunctionSpec> = Registry::builtin().iter().collect();
                let spec = &table[index % table.len()];
                let args: Vec<Arg<'_>> = inputs
                    .iter()
                    .map(|i| match i {
                        Input::One(v) => Arg::Value(v),
                        Input::Many(l) => Arg::List(l),
                    })
                    .collect();
                let ctx = CallContext { as_of: Some(46_000.0) };
                let _ = spec.call(&args, &ctx);
            }
        }
    }
}
