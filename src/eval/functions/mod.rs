//! The function registry: one table of every built-in spreadsheet function with its
//! arity, argument kinds and implementation; category modules hold the implementations.

use super::value::Value;

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
    registry().iter().find(|spec| spec.name == upper)
}

/// Every built-in function.
pub fn registry() -> &'static [FunctionSpec] {
    REGISTRY
}

static REGISTRY: &[FunctionSpec] = &[];
