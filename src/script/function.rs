//! One script function as formulas call it: values in and out, the sandbox's errors
//! turned into error values that name the script, line and reason, and a memo so each
//! distinct argument tuple runs the script once.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rhai::{AST, CallFnOptions, Dynamic, EvalAltResult, Position, Scope};

use crate::functions::{Arg, CallContext, ExternalFunction};
use crate::value::{ErrorKind, Text, Value, number_result};

/// Calls that ran past a limit before the function is stopped for the run: every later
/// call gives that error at once, so a runaway script over a million distinct rows
/// cannot take hours.
pub const TRIP_AFTER: usize = 4;

/// Distinct argument tuples remembered per shard (16 shards); past that, new tuples
/// are computed and not kept.
const MEMO_CAPACITY: usize = 1 << 16;
const SHARDS: usize = 16;

/// One argument as a memo key: text by its characters, numbers by their bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Blank,
    Number(u64),
    Bool(bool),
    Text(Text),
}

type Memo = Mutex<HashMap<Vec<KeyPart>, Value>>;

/// A compiled script's public `fn` (every arity of one name), callable from formulas.
pub struct ScriptFunction {
    ast: Arc<AST>,
    /// The name as the script spells it (rhai names are case-sensitive).
    name: String,
    /// `name() in path`, the rule of every error value this function gives.
    origin: Arc<str>,
    /// The line of each of the script's functions, for errors without a position.
    lines: Arc<HashMap<String, usize>>,
    memo: Vec<Memo>,
    /// Calls that ran past a limit; the error that stops the function once tripped.
    limit_failures: AtomicUsize,
    tripped: OnceLock<Value>,
    /// What went wrong, distinct reasons in the order first seen (a few kept).
    failures: Mutex<Vec<String>>,
}

impl std::fmt::Debug for ScriptFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptFunction")
            .field("origin", &self.origin)
            .finish()
    }
}

impl ScriptFunction {
    /// `name` of the compiled `ast`, read from `shown` (the path errors name).
    pub fn new(
        ast: Arc<AST>,
        name: &str,
        shown: &str,
        lines: Arc<HashMap<String, usize>>,
    ) -> ScriptFunction {
        ScriptFunction {
            ast,
            lines,
            name: name.to_string(),
            origin: Arc::from(format!("{name}() in {shown}")),
            memo: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            limit_failures: AtomicUsize::new(0),
            tripped: OnceLock::new(),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// Distinct failures so far (`script line: reason`), at most a few.
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Runs the script on arguments already converted, catching a panic of rhai or
    /// of the host as an error value.
    fn run(&self, args: Vec<Dynamic>) -> Value {
        if let Some(stopped) = self.tripped.get() {
            return stopped.clone();
        }
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut scope = Scope::new();
            super::sandbox::engine()
                .call_fn_with_options::<Dynamic>(options, &mut scope, &self.ast, &self.name, args)
        }));
        match outcome {
            Ok(Ok(result)) => self.returned(result),
            Ok(Err(error)) => {
                let (inner, position, function) = innermost(*error, &self.lines);
                self.failed(inner, position, function.unwrap_or(&self.name))
            }
            Err(_) => self.error(
                ErrorKind::Value,
                "the script stopped the host (a panic inside rhai), caught".to_string(),
            ),
        }
    }

    /// A returned value as a cell value: numbers (integers too), text, TRUE/FALSE,
    /// `()` for blank; anything else is `#VALUE!` saying what came back.
    fn returned(&self, result: Dynamic) -> Value {
        if result.is_unit() {
            return Value::Blank;
        }
        if let Ok(n) = result.as_float() {
            return match number_result(n) {
                Value::Error(_) => self.error(
                    ErrorKind::Num,
                    format!("{}returned {n}, which is not a finite number", self.at_fn()),
                ),
                value => value,
            };
        }
        if let Ok(n) = result.as_int() {
            return number_result(n as f64);
        }
        if let Ok(b) = result.as_bool() {
            return Value::Bool(b);
        }
        if result.is_string() {
            return Value::text(&result.to_string());
        }
        self.error(
            ErrorKind::Value,
            format!(
                "{}returned a value of type {}; a script function returns a number, text, true/false or () for blank",
                self.at_fn(),
                result.type_name()
            ),
        )
    }

    /// `line N, in fn name: ` for this function, where a reason has no position.
    fn at_fn(&self) -> String {
        self.lines
            .get(&self.name)
            .map(|line| format!("line {line}, in fn {}: ", self.name))
            .unwrap_or_default()
    }

    /// A rhai error as an error value naming the line and the reason.
    fn failed(&self, inner: EvalAltResult, position: Position, function: &str) -> Value {
        let limit = matches!(
            inner,
            EvalAltResult::ErrorTooManyOperations(_)
                | EvalAltResult::ErrorStackOverflow(_)
                | EvalAltResult::ErrorDataTooLarge(..)
        );
        let kind = match inner {
            _ if limit => ErrorKind::Num,
            EvalAltResult::ErrorArithmetic(..) => ErrorKind::Num,
            _ => ErrorKind::Value,
        };
        // The innermost error's position (a call chain's inner function), without
        // rhai's own "(line …, position …)" suffix.
        let reason = match inner {
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "ran past {} operations (an endless loop?)",
                super::sandbox::MAX_OPERATIONS
            ),
            EvalAltResult::ErrorStackOverflow(_) => format!(
                "calls nested deeper than {} (endless recursion?)",
                super::sandbox::MAX_CALL_LEVELS
            ),
            _ => inner.to_string(),
        };
        let place = match (position.line(), position.position()) {
            (Some(line), Some(column)) => format!("line {line}, column {column}: "),
            (Some(line), None) => format!("line {line}: "),
            // Limits and some native errors carry no position: the function it ran in.
            _ => match self.lines.get(function) {
                Some(line) => format!("line {line}, in fn {function}: "),
                None => String::new(),
            },
        };
        let value = self.error(kind, format!("{place}{reason}"));
        if limit && self.limit_failures.fetch_add(1, Ordering::Relaxed) + 1 >= TRIP_AFTER {
            let stopped = self.error(
                kind,
                format!(
                    "{place}{reason}; stopped for the rest of the run after {TRIP_AFTER} calls ran past the limits"
                ),
            );
            let _ = self.tripped.set(stopped);
        }
        value
    }

    /// An error value from this function, its reason recorded for the console.
    fn error(&self, kind: ErrorKind, reason: String) -> Value {
        if let Ok(mut failures) = self.failures.lock()
            && failures.len() < 8
            && !failures.contains(&reason)
        {
            failures.push(reason.clone());
        }
        Value::error_at(kind, &self.origin, None, &reason)
    }
}

/// The error inside a chain of calls, the deepest position known (the error's own,
/// else the call it failed in) and the deepest of the script's functions it was in.
fn innermost(
    mut error: EvalAltResult,
    lines: &HashMap<String, usize>,
) -> (EvalAltResult, Position, Option<&str>) {
    let mut position = Position::NONE;
    let mut function = None;
    loop {
        match error {
            EvalAltResult::ErrorInFunctionCall(name, _, inner, at) => {
                if !at.is_none() {
                    position = at;
                }
                if let Some((known, _)) = lines.get_key_value(name.as_str()) {
                    function = Some(known.as_str());
                }
                error = *inner;
            }
            mut other => {
                let own = other.take_position();
                if !own.is_none() {
                    position = own;
                }
                return (other, position, function);
            }
        }
    }
}

impl ExternalFunction for ScriptFunction {
    fn call(&self, args: &[Arg<'_>], _context: &CallContext) -> Value {
        let mut key = Vec::with_capacity(args.len());
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            let Arg::Value(value) = arg else {
                return self.error(
                    ErrorKind::Value,
                    "a list was passed; script functions take one value per argument".into(),
                );
            };
            let (part, dynamic) = match value {
                Value::Error(_) => return (*value).clone(),
                Value::Blank => (KeyPart::Blank, Dynamic::UNIT),
                Value::Number(n) | Value::Date(n) => {
                    // -0 and 0 are one number to a formula.
                    let n = if *n == 0.0 { 0.0 } else { *n };
                    (KeyPart::Number(n.to_bits()), Dynamic::from_float(n))
                }
                Value::Bool(b) => (KeyPart::Bool(*b), Dynamic::from_bool(*b)),
                Value::Text(t) => (
                    KeyPart::Text(t.clone()),
                    Dynamic::from(rhai::ImmutableString::from(t.as_str())),
                ),
            };
            key.push(part);
            values.push(dynamic);
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let shard = self.memo.get(hasher.finish() as usize % SHARDS);
        if let Some(shard) = shard
            && let Ok(memo) = shard.lock()
            && let Some(found) = memo.get(&key)
        {
            return found.clone();
        }
        let result = self.run(values);
        if let Some(shard) = shard
            && let Ok(mut memo) = shard.lock()
            && memo.len() < MEMO_CAPACITY
        {
            memo.insert(key, result.clone());
        }
        result
    }

    fn problems(&self) -> Vec<String> {
        self.failures()
            .into_iter()
            .map(|reason| format!("{}: {reason}", self.origin))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(source: &str, name: &str) -> ScriptFunction {
        let ast = super::super::sandbox::engine().compile(source).unwrap();
        ScriptFunction::new(Arc::new(ast), name, "t.rhai", Arc::new(HashMap::new()))
    }

    #[test]
    fn one_tuple_runs_once() {
        // Negative arguments loop forever. Were the failing tuple run on each call, the
        // function would be stopped after TRIP_AFTER calls and 2 would give the stop
        // error; remembered, it ran once and 2 still gives 4.
        let f = function("fn g(x) { if x < 0.0 { loop {} } x * 2.0 }", "g");
        let minus = Value::Number(-1.0);
        for _ in 0..TRIP_AFTER * 3 {
            let v = f.call(&[Arg::Value(&minus)], &CallContext::default());
            assert_eq!(v.error_kind(), Some(ErrorKind::Num));
        }
        let two = Value::Number(2.0);
        let v = f.call(&[Arg::Value(&two)], &CallContext::default());
        assert_eq!(v.as_f64(), Some(4.0));
        assert_eq!(f.limit_failures.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn text_arguments_are_told_apart_by_their_characters() {
        let f = function("fn g(t, n) { t + n }", "g");
        let context = CallContext::default();
        let a = Value::text("a");
        let b = Value::text("b");
        let one = Value::Number(1.0);
        let call = |t: &Value| match f.call(&[Arg::Value(t), Arg::Value(&one)], &context) {
            Value::Text(t) => t.as_str().to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(call(&a), "a1.0");
        assert_eq!(call(&b), "b1.0");
        assert_eq!(call(&Value::text("a")), "a1.0");
    }
}
