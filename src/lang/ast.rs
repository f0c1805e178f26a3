//! The typed syntax tree of a rule file. Every node keeps its [`Span`] so that
//! diagnostics and evaluation errors can point back at the rule text.

use std::sync::Arc;

use crate::diagnostic::source::{FileId, Span};
use crate::value::{ErrorKind, ValueType};

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: Arc<str>,
    pub span: Span,
}

/// A parsed rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Comments with their spans, kept so that `fmt` can put them back.
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The text after `#`, without the line break.
    pub text: String,
    pub span: Span,
    /// True when the comment follows code on the same line.
    pub trailing: bool,
}

/// One top-level statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `input Opportunities (opp_id: text, amount: number, close_date: date?)`
    Input(InputDecl),
    /// `script "plans/current.rhai"`: a rhai script whose functions formulas may call.
    Script(ScriptDecl),
    /// `param gross_margin = 72%`
    Param(ParamDecl),
    /// `table Channels = group Opportunities by channel [, key2] [where cond] [order by expr [desc], …]`
    GroupTable(GroupTableDecl),
    /// `table Plan = optimize Channels by channel (budget = total, …)`
    AnalysisTable(AnalysisTableDecl),
    /// `Table.column = expr [@format]`: a computed column of an input or grouped table.
    Column(ColumnDef),
    /// `name = expr [@format]`: a single value.
    Scalar(ScalarDef),
    /// `flag Table when cond: "message {col:0.00}"`
    Flag(FlagDef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub table: Ident,
    pub columns: Vec<ColumnDecl>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: ValueType,
    /// `?` after the type: blanks are allowed.
    pub optional: bool,
    pub span: Span,
}

/// `script "plans/current.rhai"`: the path as written (relative to the rule file).
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptDecl {
    pub path: String,
    /// The span of the quoted path.
    pub path_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    pub name: Ident,
    /// A literal (possibly negated); the checker rejects anything else.
    pub default: Expr,
    pub format: Option<Format>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupTableDecl {
    pub name: Ident,
    pub source: Ident,
    pub keys: Vec<Ident>,
    /// Rows of `source` kept before grouping.
    pub filter: Option<Expr>,
    /// `order by …`: the order of the table's rows (empty: key order).
    pub order: Vec<OrderKey>,
}

/// One expression of `order by`, with its direction as written.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    /// `asc` or `desc` as written; `None` is ascending.
    pub direction: Option<SortDirection>,
}

/// The direction of one `order by` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl SortDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            SortDirection::Ascending => "asc",
            SortDirection::Descending => "desc",
        }
    }
}

/// A table an analysis computes from another table's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisTableDecl {
    pub name: Ident,
    /// Which analysis (`optimize`, `forecast` …), as written.
    pub analysis: Ident,
    pub source: Ident,
    /// Columns of `source` that identify its rows for the analysis (copied to the output).
    pub keys: Vec<Ident>,
    pub args: Vec<AnalysisArg>,
}

/// `name = formula` inside an analysis table's brackets.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisArg {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub table: Ident,
    pub column: Ident,
    pub expr: Expr,
    pub format: Option<Format>,
    pub look: Look,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalarDef {
    pub name: Ident,
    pub expr: Expr,
    pub format: Option<Format>,
    pub look: Look,
}

/// How a computed value is drawn beyond its number format, from annotations after
/// the formula: `@higher_is_better` / `@lower_is_better` (a red-to-green colour scale
/// whose green end is the good one; without either a column gets no red or green),
/// `@bar` (data bars), `@icons` (arrows: falling, flat, rising for negative, zero and
/// positive values), `@heat` (a neutral light-to-dark scale, for matrices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Look {
    pub better: Option<Better>,
    pub bar: bool,
    pub icons: bool,
    pub heat: bool,
}

/// Which end of a measure is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl Look {
    /// The annotation words, in the order `fmt` writes them.
    pub fn words(&self) -> Vec<&'static str> {
        let mut words = Vec::new();
        match self.better {
            Some(Better::Higher) => words.push("higher_is_better"),
            Some(Better::Lower) => words.push("lower_is_better"),
            None => {}
        }
        for (on, word) in [
            (self.bar, "bar"),
            (self.icons, "icons"),
            (self.heat, "heat"),
        ] {
            if on {
                words.push(word);
            }
        }
        words
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlagDef {
    pub table: Ident,
    pub condition: Expr,
    pub message: Template,
    /// `severity critical`; `None` is [`Severity::Warning`].
    pub severity: Option<(Severity, Span)>,
    /// `rank by formula`: the value at stake, per row; findings with more at stake come
    /// first within a severity.
    pub rank_by: Option<Expr>,
    /// `topic name`: findings of one topic on one row are alternatives; only the most
    /// severe (then the largest stake, then the first in rule order) is kept.
    pub topic: Option<Ident>,
}

/// How much a finding matters, most severe first. `Data` findings are checks on the
/// inputs: they go to the Data Quality sheet and the console, not to the recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Losing money or breaking something now.
    Critical,
    /// A gap worth fixing (the default).
    Warning,
    /// A strength to build on.
    Opportunity,
    /// Worth knowing; nothing to do.
    Info,
    /// A problem in the input data the rules found.
    Data,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::Warning,
        Severity::Opportunity,
        Severity::Info,
        Severity::Data,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Opportunity => "opportunity",
            Severity::Info => "info",
            Severity::Data => "data",
        }
    }

    /// The severity a word names (any case).
    pub fn parse(word: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(word))
    }
}

/// A flag message: literal text with `{expr}` or `{expr:format}` holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    Hole {
        expr: Expr,
        /// An Excel number format such as `0.00` or `0%`, applied like TEXT().
        format: Option<String>,
    },
}

/// A display annotation: `@percent`, `@currency`, `@date`, `@integer`, or a custom
/// Excel number format `@"0.0x"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Format {
    pub kind: FormatKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FormatKind {
    Percent,
    Currency,
    Date,
    Integer,
    Decimal,
    Custom(String),
}

impl FormatKind {
    /// The Excel number format this annotation stands for.
    pub fn excel_format(&self) -> &str {
        match self {
            FormatKind::Percent => "0.0%",
            FormatKind::Currency => "$#,##0",
            FormatKind::Date => "yyyy-mm-dd",
            FormatKind::Integer => "#,##0",
            FormatKind::Decimal => "#,##0.00",
            FormatKind::Custom(f) => f,
        }
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal with its text as written (so `fmt` keeps `1e6` as `1e6`).
    Number {
        value: f64,
        text: Arc<str>,
    },
    Text(Arc<str>),
    Bool(bool),
    /// `2026-06-30`: a date literal, stored as an Excel serial.
    Date {
        serial: f64,
        text: Arc<str>,
    },
    /// `#N/A`, `#DIV/0!` …
    Error(ErrorKind),
    /// `{1, 2, 3}` or `{"Q1", "Q2"; 100, 200}`: an array constant, one list of its
    /// values row by row; its rows (separated by `;`) are kept for VLOOKUP and HLOOKUP.
    Array(Vec<Vec<Expr>>),
    /// A bare name: a column of the current table, a param, a scalar, or a table.
    Name(Ident),
    /// `Table.column`
    Qualified {
        table: Ident,
        column: Ident,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// Postfix `%`: divides by 100.
    Percent(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x IN (a, b, c)` / `x NOT IN (…)`
    In {
        needle: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    /// `list where condition`, only inside function arguments.
    Where {
        list: Box<Expr>,
        condition: Box<Expr>,
    },
    /// `(expr)`, kept so `fmt` can reproduce the author's grouping.
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Pow,
    Mul,
    Div,
    Add,
    Sub,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as written in rule files.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Pow => "^",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Concat => "&",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    /// Binding strength, higher binds tighter (Excel's order, then `and`, `or`).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Concat => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
            BinaryOp::Pow => 8,
        }
    }
}
