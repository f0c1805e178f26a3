//! The checker: resolves every name in the rule files, checks arity, types and
//! list/value shapes, finds duplicates and cycles, and compiles the result into a [`Plan`].
//!
//! It reads no data. Definitions are compiled on demand in dependency order, so the
//! order in which they finish is the evaluation order, and a definition reached again
//! while it is being compiled is a cycle (reported with its whole path).

mod analysis;
mod calls;
mod declare;
mod docs;
mod expr;
mod flags;
mod index;
mod names;
mod order;
mod ordering;
mod special;

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::source::{SourceMap, Span};
use crate::diagnostic::{Code, Diagnostic};
use crate::functions::{ArgKind, ReturnType};
use crate::lang::ast::*;
use crate::lang::plan::*;
use crate::lang::vocabulary::Vocabulary;
use crate::value::{Value, ValueType};

/// An input table known from outside the rule files (a scenario's declared columns,
/// or a test's tables), with the type of each column.
#[derive(Debug, Clone)]
pub struct ExternalTable {
    pub name: String,
    pub columns: Vec<(String, ValueType)>,
}

/// The result of checking: a plan when there are no errors, and every diagnostic.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    pub plan: Option<Plan>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckOutcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks parsed rule files together and compiles them into a plan.
pub fn check_rules(
    files: &[RuleFile],
    sources: &SourceMap,
    external: &[ExternalTable],
    vocabulary: &Vocabulary,
) -> CheckOutcome {
    let mut checker = Checker::new(sources, vocabulary);
    checker.declare(files, external);
    checker.collect_docs(files);
    checker.compile_all();
    checker.finish()
}

/// Checks one standalone expression in scalar context against `external` tables and
/// returns its compiled node (used by `evaluate_formula` and `explain`).
pub fn check_expression(
    expr: &Expr,
    sources: &SourceMap,
    external: &[ExternalTable],
    vocabulary: &Vocabulary,
) -> (Option<(Plan, Node)>, Vec<Diagnostic>) {
    let mut checker = Checker::new(sources, vocabulary);
    checker.declare(&[], external);
    checker.compile_all();
    let ctx = Ctx::scalar();
    let compiled = checker.compile_expr(expr, &ctx);
    let node = checker.expect_value(compiled, expr.span);
    let outcome = checker.finish();
    match (outcome.plan, node) {
        (Some(plan), Some(node)) if !outcome.diagnostics.iter().any(Diagnostic::is_error) => {
            (Some((plan, node)), outcome.diagnostics)
        }
        _ => (None, outcome.diagnostics),
    }
}

/// Where an expression is evaluated.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// The table whose rows are evaluated (bare names are its columns), if any.
    row_table: Option<TableId>,
    /// Inside a `where` condition over this table: `Table.column` of the same table
    /// means this row's value.
    qualified_self_is_row: bool,
    /// Inside the `order by` of `row_table` (a grouped table): its own columns are
    /// written into the expression, and its own rows cannot be listed.
    ordering: bool,
}

impl Ctx {
    fn scalar() -> Ctx {
        Ctx {
            row_table: None,
            qualified_self_is_row: false,
            ordering: false,
        }
    }

    fn rows_of(table: TableId) -> Ctx {
        Ctx {
            row_table: Some(table),
            qualified_self_is_row: false,
            ordering: false,
        }
    }
}

/// An expression compiled in a context: one value per row, or a list.
#[derive(Debug, Clone)]
enum Compiled {
    Value {
        node: Node,
        ty: ValueType,
        /// Reads a column of the current row (so it cannot be moved into a list over
        /// another table's rows).
        row_dependent: bool,
    },
    List {
        list: ListNode,
        ty: ValueType,
    },
    /// Something already reported; keeps checking going without cascades.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Active,
    Done,
}

/// What a step's source is, for compiling it.
#[derive(Debug, Clone)]
enum StepSource {
    Group(GroupTableDecl),
    Analysis(AnalysisTableDecl),
    Column(ColumnDef),
    Scalar(ScalarDef),
    Flag(FlagDef),
}

struct Checker<'a> {
    sources: &'a SourceMap,
    vocabulary: &'a Vocabulary,
    plan: Plan,
    diagnostics: Vec<Diagnostic>,
    steps: HashMap<Step, (State, StepSource, Span)>,
    /// Steps being compiled, innermost last (the cycle path when one closes).
    stack: Vec<Step>,
    param_used: Vec<bool>,
    /// Names of top-level definitions (tables, params, scalars) with their spans.
    global_names: HashMap<Arc<str>, Span>,
    reported_cycles: Vec<Vec<Step>>,
    /// Names by hash (see `index`).
    indexes: index::Indexes,
    /// "Did you mean" searches left: each compares a name with every known one, so a
    /// file of thousands of unknown names gets suggestions for the first ones only.
    suggestions_left: std::cell::Cell<usize>,
    /// Names bound by the `LET`s being compiled, innermost last.
    let_bindings: Vec<special::LetBinding>,
    /// Named values whose formula is a list (`Amounts = Deals.amount`): used by name,
    /// they stand for the list.
    named_lists: HashMap<ScalarId, Compiled>,
    /// Columns of a grouped table being written into its `order by`, innermost last.
    inlining: Vec<(TableId, ColumnId)>,
}

/// Unknown names that get a "did you mean" (each search is linear in the names known).
const SUGGESTIONS: usize = 100;

impl<'a> Checker<'a> {
    fn new(sources: &'a SourceMap, vocabulary: &'a Vocabulary) -> Self {
        Checker {
            sources,
            vocabulary,
            plan: Plan::default(),
            diagnostics: Vec::new(),
            steps: HashMap::new(),
            stack: Vec::new(),
            param_used: Vec::new(),
            global_names: HashMap::new(),
            reported_cycles: Vec::new(),
            indexes: Default::default(),
            suggestions_left: std::cell::Cell::new(SUGGESTIONS),
            let_bindings: Vec::new(),
            named_lists: HashMap::new(),
            inlining: Vec::new(),
        }
    }

    /// Whether one more "did you mean" search may run (and counts it).
    fn may_suggest(&self) -> bool {
        let left = self.suggestions_left.get();
        self.suggestions_left.set(left.saturating_sub(1));
        left > 0
    }

    fn error(&mut self, mut diagnostic: Diagnostic) {
        // Every diagnostic underlines its place with a short note.
        if diagnostic.primary.message.is_empty() {
            diagnostic.primary.message = match diagnostic.code {
                Code::WrongOperandType => "text",
                Code::ListWhereValue => "a list",
                Code::MixedLists => "lists from different tables",
                Code::MisplacedWhere => "misplaced `where`",
                Code::BadGroupKey => "repeated key",
                Code::RowValueInList => "this row's value",
                _ => "here",
            }
            .to_string();
        }
        self.diagnostics.push(diagnostic);
    }

    fn finish(mut self) -> CheckOutcome {
        self.drop_named_lists();
        // Stable order: by file position.
        self.diagnostics
            .sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
        // A column written into its table's `order by` is compiled twice: a mistake in
        // its formula is still reported once.
        self.diagnostics.dedup_by(|a, b| {
            a.code == b.code
                && a.primary.span == b.primary.span
                && a.message == b.message
                && a.primary.message == b.primary.message
        });
        let _ = self.sources;
        let has_errors = self.diagnostics.iter().any(Diagnostic::is_error);
        CheckOutcome {
            plan: (!has_errors).then_some(self.plan),
            diagnostics: self.diagnostics,
        }
    }
}

fn constant(value: Value, ty: ValueType) -> Compiled {
    Compiled::Value {
        node: Node::Const(value),
        ty,
        row_dependent: false,
    }
}

fn compiled_type(compiled: &Compiled) -> ValueType {
    match compiled {
        Compiled::Value { ty, .. } | Compiled::List { ty, .. } => *ty,
        Compiled::Invalid => ValueType::Any,
    }
}

/// Text that can never be a number: a text column/value, or a non-numeric text literal.
fn definitely_non_numeric_text(compiled: &Compiled, expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Text(t) => crate::value::parse_numeric_text(t)
            .is_none()
            .then(|| format!("\"{t}\"")),
        ExprKind::Name(ident) if compiled_type(compiled) == ValueType::Text => {
            Some(format!("`{}`", ident.name))
        }
        ExprKind::Qualified { table, column } if compiled_type(compiled) == ValueType::Text => {
            Some(format!("`{}.{}`", table.name, column.name))
        }
        _ => None,
    }
}

fn return_type(returns: ReturnType, _args: &[(Compiled, ArgKind, Span)]) -> ValueType {
    match returns {
        ReturnType::Number => ValueType::Number,
        ReturnType::Text => ValueType::Text,
        ReturnType::Bool => ValueType::Bool,
        ReturnType::Date => ValueType::Date,
        ReturnType::Any => ValueType::Any,
    }
}

fn node_reads_row(node: &Node) -> bool {
    match node {
        Node::Column(_) => true,
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) => false,
        Node::Unary(_, n) | Node::Percent(n) => node_reads_row(n),
        Node::Binary(_, l, r) => node_reads_row(l) || node_reads_row(r),
        Node::In { needle, list, .. } => node_reads_row(needle) || list.iter().any(node_reads_row),
        Node::Call { args, .. } => args.iter().any(|a| match a {
            ArgNode::Value(n) => node_reads_row(n),
            ArgNode::List(_) => false,
        }),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The value of a literal expression (a param default), with its type.
pub fn literal_value(expr: &Expr) -> Option<(Value, ValueType)> {
    match &expr.kind {
        ExprKind::Number { value, .. } => Some((Value::Number(*value), ValueType::Number)),
        ExprKind::Text(t) => Some((Value::text(t), ValueType::Text)),
        ExprKind::Bool(b) => Some((Value::Bool(*b), ValueType::Bool)),
        ExprKind::Date { serial, .. } => Some((Value::Date(*serial), ValueType::Date)),
        ExprKind::Paren(inner) => literal_value(inner),
        ExprKind::Percent(inner) => match literal_value(inner)? {
            (Value::Number(n), _) => Some((Value::Number(n / 100.0), ValueType::Number)),
            _ => None,
        },
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match literal_value(operand)? {
            (Value::Number(n), _) => Some((Value::Number(-n), ValueType::Number)),
            _ => None,
        },
        ExprKind::Unary {
            op: UnaryOp::Plus,
            operand,
        } => literal_value(operand),
        _ => None,
    }
}
