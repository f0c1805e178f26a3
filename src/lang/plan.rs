//! The compiled, checked form of all rule files: tables with their columns, params,
//! scalars, flags, and expression trees whose names are resolved to ids, in evaluation order.

use std::sync::Arc;

use crate::diagnostic::source::Span;
use crate::functions::FunctionSpec;
use crate::lang::analysis::Analysis;
use crate::lang::ast::{BinaryOp, Format, Look, Severity, Template, UnaryOp};
use crate::value::Value;
use crate::value::ValueType;

pub type TableId = usize;
pub type ColumnId = usize;
pub type ParamId = usize;
pub type ScalarId = usize;

/// An expression evaluated for one row of a table (or once, in scalar context).
#[derive(Debug, Clone)]
pub enum Node {
    Const(Value),
    Param(ParamId),
    Scalar(ScalarId),
    /// A column of the table whose rows are being evaluated.
    Column(ColumnId),
    Unary(UnaryOp, Box<Node>),
    Percent(Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    In {
        needle: Box<Node>,
        list: Vec<Node>,
        negated: bool,
    },
    Call {
        function: Arc<FunctionSpec>,
        args: Vec<ArgNode>,
        span: Span,
    },
}

/// A function argument: one value per row, or a list.
#[derive(Debug, Clone)]
pub enum ArgNode {
    Value(Node),
    List(ListNode),
}

/// Which rows a list draws its values from.
#[derive(Debug, Clone, PartialEq)]
pub enum ListDomain {
    /// Every row of a table (a whole column).
    Table(TableId),
    /// The rows of `table` that belong to the current group of the grouped table being
    /// evaluated: its own source rows, or another table's rows matched on the group keys.
    Group { table: TableId },
    /// An array constant.
    Array,
}

/// A list of values: `expr` evaluated over the rows of `domain`, keeping rows where
/// `filter` is true.
#[derive(Debug, Clone)]
pub struct ListNode {
    pub domain: ListDomain,
    /// Row expression over the domain's table (ignored for arrays).
    pub expr: Node,
    pub filter: Option<Node>,
    /// Elements of an array constant.
    pub elements: Vec<Node>,
    /// `UNIQUE(list)`: only the list's distinct values reach the function.
    pub distinct: Distinct,
}

/// Which of a list's values reach the function: all of them, or `UNIQUE`'s selection.
/// UNIQUE compares as Excel does (text ignoring case, numbers and dates by value, types
/// apart), keeps each value's first occurrence in list order, and returns an empty
/// cell as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Distinct {
    /// Every value (no UNIQUE).
    #[default]
    All,
    /// `UNIQUE(list)`: each distinct value once.
    Unique,
    /// `UNIQUE(list, FALSE, TRUE)`: only the values that occur exactly once.
    ExactlyOnce,
}

/// What a table is.
#[derive(Debug, Clone)]
pub enum TableKind {
    /// Read from the inputs.
    Input,
    /// One row per distinct key of `source` (after `filter`), in key order or in the
    /// declared `order`.
    Grouped {
        source: TableId,
        /// Key columns in the source table.
        source_keys: Vec<ColumnId>,
        filter: Option<Node>,
        /// `order by …`: evaluated once per group over this table's rows (as a column
        /// of it would be) when the groups are formed; empty keeps key order.
        order: Vec<OrderNode>,
    },
    /// Computed by a built-in analysis from `source`'s rows.
    Analysis(AnalysisPlan),
}

/// One expression of a grouped table's `order by`, compiled.
#[derive(Debug, Clone)]
pub struct OrderNode {
    pub node: Node,
    pub descending: bool,
}

/// A table an analysis computes: which analysis, from which rows, with which arguments.
#[derive(Debug, Clone)]
pub struct AnalysisPlan {
    pub analysis: Arc<dyn Analysis>,
    pub source: TableId,
    /// Key columns in the source table (copied to the output's first columns).
    pub source_keys: Vec<ColumnId>,
    /// One entry per parameter of the analysis, in its order; `None` where not given;
    /// then one per carried argument (see `Analysis::carried_prefixes`).
    pub args: Vec<Option<AnalysisArgNode>>,
    /// Names of the carried arguments, in the order written.
    pub carried: Vec<Arc<str>>,
}

/// An analysis argument, compiled.
#[derive(Debug, Clone)]
pub enum AnalysisArgNode {
    /// Evaluated over the source table's rows.
    EachRow(Node),
    /// Evaluated once.
    Once(Node),
}

/// One column of a table in the plan.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    pub name: Arc<str>,
    pub ty: ValueType,
    /// Blanks allowed (declared `?`); informational for readers.
    pub optional: bool,
    pub origin: ColumnOrigin,
    pub format: Option<Format>,
    /// How the workbook draws it (colour scale direction, bars, icons, heat).
    pub look: Look,
    /// Where the column is defined (declaration or formula).
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ColumnOrigin {
    /// Read from the input table.
    Input,
    /// A group key copied from the source table's column.
    GroupKey(ColumnId),
    /// Computed by a formula.
    Formula(Node),
    /// Produced by the table's analysis (its keys and outputs).
    Analysis,
}

#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: Arc<str>,
    pub kind: TableKind,
    pub columns: Vec<ColumnPlan>,
    pub span: Span,
}

impl TablePlan {
    pub fn column_id(&self, name: &str) -> Option<ColumnId> {
        self.columns.iter().position(|c| &*c.name == name)
    }

    pub fn is_grouped(&self) -> bool {
        matches!(self.kind, TableKind::Grouped { .. })
    }

    /// Key columns of a grouped table, in this table (the first columns).
    pub fn key_count(&self) -> usize {
        match &self.kind {
            TableKind::Grouped { source_keys, .. } => source_keys.len(),
            TableKind::Analysis(analysis) => analysis.source_keys.len(),
            TableKind::Input => 0,
        }
    }

    /// How many leading columns the step that builds the table writes: a grouped
    /// table's keys, an analysis table's keys and outputs.
    pub fn built_columns(&self) -> usize {
        match &self.kind {
            TableKind::Input => 0,
            TableKind::Grouped { source_keys, .. } => source_keys.len(),
            TableKind::Analysis(_) => self
                .columns
                .iter()
                .take_while(|c| matches!(c.origin, ColumnOrigin::Analysis))
                .count(),
        }
    }

    /// Whether a step builds this table's rows (grouped and analysis tables), rather
    /// than the inputs.
    pub fn is_built(&self) -> bool {
        !matches!(self.kind, TableKind::Input)
    }

    /// The step that builds this table's rows, if one does.
    pub fn build_step(&self, id: TableId) -> Option<Step> {
        match self.kind {
            TableKind::Input => None,
            TableKind::Grouped { .. } => Some(Step::Group(id)),
            TableKind::Analysis(_) => Some(Step::Analysis(id)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParamPlan {
    pub name: Arc<str>,
    pub default: Value,
    pub ty: ValueType,
    pub format: Option<Format>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ScalarPlan {
    pub name: Arc<str>,
    pub ty: ValueType,
    pub node: Node,
    pub format: Option<Format>,
    pub look: Look,
    pub span: Span,
}

/// A compiled message template piece.
#[derive(Debug, Clone)]
pub enum MessagePart {
    Literal(String),
    Hole { node: Node, format: Option<String> },
}

#[derive(Debug, Clone)]
pub struct FlagPlan {
    pub table: TableId,
    pub condition: Node,
    pub message: Vec<MessagePart>,
    /// The template as written, for listings.
    pub template: Template,
    pub span: Span,
    /// `severity …` (default warning).
    pub severity: Severity,
    /// `rank by …`: the value at stake of each row.
    pub rank_by: Option<Node>,
    /// `topic …`: findings of one topic on one row are alternatives.
    pub topic: Option<Arc<str>>,
    /// The comparisons of the condition, shown with the row's values when it fires.
    pub reasons: Vec<FlagReason>,
}

/// One comparison of a flag's condition (`roi < 0`), kept so a finding can say which
/// metric and which threshold fired, with the row's values ("roi -21.0% < 0").
#[derive(Debug, Clone)]
pub struct FlagReason {
    pub left: Node,
    /// The left side as written (`roi`, `won + lost`).
    pub left_text: String,
    pub op: BinaryOp,
    pub right: Node,
    pub right_text: String,
    /// An Excel number format for both sides: the first side's `@format` (a column,
    /// param or named value), else the other side's.
    pub format: Option<String>,
}

/// What the rule files say a definition means: the comment on its line, else the
/// comment lines right above it. Shown on the Assumptions and Metrics sheets and in
/// the table sheets' header notes, so each definition is stated once, in the rules.
#[derive(Debug, Clone, Default)]
pub struct PlanDocs {
    pub params: std::collections::HashMap<ParamId, Arc<str>>,
    pub scalars: std::collections::HashMap<ScalarId, Arc<str>>,
    pub columns: std::collections::HashMap<(TableId, ColumnId), Arc<str>>,
}

/// One unit of work in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Build a grouped table's rows (and key columns).
    Group(TableId),
    /// Run an analysis: its table's rows, keys and output columns.
    Analysis(TableId),
    Column(TableId, ColumnId),
    Scalar(ScalarId),
    Flag(usize),
}

/// Everything needed to evaluate the rules over a set of input tables; built once,
/// evaluated many times with different params.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    pub params: Vec<ParamPlan>,
    pub scalars: Vec<ScalarPlan>,
    pub flags: Vec<FlagPlan>,
    /// Topological order of all steps.
    pub order: Vec<Step>,
    /// What each documented definition means (from the rule files' comments).
    pub docs: PlanDocs,
}

impl Node {
    /// Calls `f` on this node and every node inside it, depth first.
    pub fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        f(self);
        match self {
            Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => {}
            Node::Unary(_, inner) | Node::Percent(inner) => inner.for_each_mut(f),
            Node::Binary(_, lhs, rhs) => {
                lhs.for_each_mut(f);
                rhs.for_each_mut(f);
            }
            Node::In { needle, list, .. } => {
                needle.for_each_mut(f);
                list.iter_mut().for_each(|n| n.for_each_mut(f));
            }
            Node::Call { args, .. } => {
                for arg in args {
                    match arg {
                        ArgNode::Value(node) => node.for_each_mut(f),
                        ArgNode::List(list) => {
                            list.expr.for_each_mut(f);
                            if let Some(filter) = &mut list.filter {
                                filter.for_each_mut(f);
                            }
                            list.elements.iter_mut().for_each(|n| n.for_each_mut(f));
                        }
                    }
                }
            }
        }
    }
}

impl Plan {
    /// Calls `f` on every expression node of the plan: column formulas, group filters,
    /// analysis arguments, named values and flags.
    pub fn for_each_node_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        for table in &mut self.tables {
            for column in &mut table.columns {
                if let ColumnOrigin::Formula(node) = &mut column.origin {
                    node.for_each_mut(f);
                }
            }
            match &mut table.kind {
                TableKind::Input => {}
                TableKind::Grouped { filter, order, .. } => {
                    if let Some(filter) = filter {
                        filter.for_each_mut(f);
                    }
                    for key in order {
                        key.node.for_each_mut(f);
                    }
                }
                TableKind::Analysis(analysis) => {
                    for arg in analysis.args.iter_mut().flatten() {
                        match arg {
                            AnalysisArgNode::EachRow(node) | AnalysisArgNode::Once(node) => {
                                node.for_each_mut(f)
                            }
                        }
                    }
                }
            }
        }
        for scalar in &mut self.scalars {
            scalar.node.for_each_mut(f);
        }
        for flag in &mut self.flags {
            flag.condition.for_each_mut(f);
            for part in &mut flag.message {
                if let MessagePart::Hole { node, .. } = part {
                    node.for_each_mut(f);
                }
            }
        }
    }

    pub fn table_id(&self, name: &str) -> Option<TableId> {
        self.tables.iter().position(|t| &*t.name == name)
    }

    pub fn param_id(&self, name: &str) -> Option<ParamId> {
        self.params.iter().position(|p| &*p.name == name)
    }

    /// Human name of a step's definition, e.g. `Channels.win_rate`.
    pub fn step_name(&self, step: Step) -> String {
        match step {
            Step::Group(t) | Step::Analysis(t) => self
                .tables
                .get(t)
                .map_or_else(String::new, |t| t.name.to_string()),
            Step::Column(t, c) => self
                .tables
                .get(t)
                .and_then(|table| {
                    table
                        .columns
                        .get(c)
                        .map(|col| format!("{}.{}", table.name, col.name))
                })
                .unwrap_or_default(),
            Step::Scalar(s) => self
                .scalars
                .get(s)
                .map_or_else(String::new, |s| s.name.to_string()),
            Step::Flag(f) => self
                .flags
                .get(f)
                .and_then(|flag| self.tables.get(flag.table))
                .map_or_else(String::new, |t| format!("flag on {}", t.name)),
        }
    }

    /// Input tables and the columns the rules read from each (what readers must load).
    pub fn input_columns(&self) -> Vec<(Arc<str>, Vec<&ColumnPlan>)> {
        self.tables
            .iter()
            .filter(|t| matches!(t.kind, TableKind::Input))
            .map(|t| {
                let cols = t
                    .columns
                    .iter()
                    .filter(|c| matches!(c.origin, ColumnOrigin::Input))
                    .collect();
                (Arc::clone(&t.name), cols)
            })
            .collect()
    }
}
