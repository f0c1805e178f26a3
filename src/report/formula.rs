//! Translates plan expression trees into live Excel formulas over workbook cells, for the
//! column formulas and scalars simple enough to recompute in Excel with the same result.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::functions::FunctionSpec;
use crate::lang::ast::{BinaryOp, UnaryOp};
use crate::lang::plan::{
    ArgNode, ColumnId, Distinct, ListDomain, ListNode, Node, ParamId, ScalarId, TableId,
};
use crate::value::Value;

/// Functions whose result depends on the run (as_of, randomness), not only on their
/// arguments: Excel would recompute them differently, so they are written as values.
const CONTEXT_FUNCTIONS: &[&str] = &["TODAY", "NOW", "RAND", "RANDBETWEEN", "RANDARRAY"];

/// Where one table of the plan is written: sheet name, the sheet column of each plan
/// column, and the data rows (one-based Excel rows, header above).
#[derive(Debug, Clone)]
pub struct TableCells {
    pub sheet: String,
    /// Sheet column (zero-based) of each plan column, by column id.
    pub columns: Vec<Option<u16>>,
    /// First data row, one-based (2 below a header row).
    pub first_row: u32,
    /// Rows written; every row of the table when `complete`.
    pub rows: usize,
    /// False when the sheet holds only part of the table (row cap), so whole-column
    /// ranges on it would not mean the whole column.
    pub complete: bool,
}

/// Every cell a formula may point at: table columns, params and scalars.
#[derive(Debug, Clone, Default)]
pub struct CellMap {
    pub tables: HashMap<TableId, TableCells>,
    /// Absolute reference of each param's value cell, e.g. `'Assumptions'!$B$5`.
    pub params: HashMap<ParamId, String>,
    /// Absolute reference of each scalar's value cell.
    pub scalars: HashMap<ScalarId, String>,
}

/// A formula for one column, rendered per row: text pieces and same-row cell references.
#[derive(Debug, Clone, PartialEq)]
pub struct RowFormula {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// A cell of the row being written, by column letters.
    SameRow(String),
}

impl RowFormula {
    /// The formula text for a one-based Excel row, without the leading `=`.
    pub fn render(&self, excel_row: u32) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::SameRow(letters) => {
                    let _ = write!(out, "{letters}{excel_row}");
                }
            }
        }
        out
    }
}

/// Column letters of a zero-based column: 0 → `A`, 27 → `AB`.
pub fn column_letters(column: u16) -> String {
    let mut n = u32::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A sheet name as it must appear in a reference: always quoted, quotes doubled.
pub fn quoted_sheet(sheet: &str) -> String {
    format!("'{}'", sheet.replace('\'', "''"))
}

/// An absolute reference to one cell: `'Sheet'!$B$5` (row and column zero-based).
pub fn absolute_cell(sheet: &str, row: u32, column: u16) -> String {
    format!(
        "{}!${}${}",
        quoted_sheet(sheet),
        column_letters(column),
        row + 1
    )
}

/// Translates `node`, evaluated for each row of `table` (or once when `table` is
/// `None`), into an Excel formula; `None` when any part has no faithful Excel form
/// (group aggregates over source rows, filtered lists, run-dependent functions …).
pub fn translate(cells: &CellMap, table: Option<TableId>, node: &Node) -> Option<RowFormula> {
    let mut translator = Translator {
        cells,
        table,
        pieces: Vec::new(),
    };
    translator.node(node, Position::Top)?;
    Some(RowFormula {
        pieces: merge_text(translator.pieces),
    })
}

fn merge_text(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match (out.last_mut(), piece) {
            (Some(Piece::Text(last)), Piece::Text(text)) => last.push_str(&text),
            (_, piece) => out.push(piece),
        }
    }
    out
}

/// Where an operand sits, to decide on parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Position {
    /// Top of a formula or a function argument: no parentheses needed.
    Top,
    /// Operand of a binary operator with this precedence; `right` for the right side.
    Operand { precedence: u8, right: bool },
    /// Operand of a prefix sign or postfix `%`: only atoms go bare.
    Tight,
}

struct Translator<'a> {
    cells: &'a CellMap,
    table: Option<TableId>,
    pieces: Vec<Piece>,
}

impl Translator<'_> {
    fn text(&mut self, text: &str) {
        self.pieces.push(Piece::Text(text.to_string()));
    }

    fn node(&mut self, node: &Node, position: Position) -> Option<()> {
        match node {
            Node::Const(value) => {
                let literal = constant(value)?;
                let negative = literal.starts_with('-');
                let wrap = negative && position != Position::Top;
                self.wrapped(wrap, |t| {
                    t.text(&literal);
                    Some(())
                })
            }
            Node::Param(id) => {
                let cell = self.cells.params.get(id)?.clone();
                self.text(&cell);
                Some(())
            }
            Node::Scalar(id) => {
                let cell = self.cells.scalars.get(id)?.clone();
                self.text(&cell);
                Some(())
            }
            Node::Column(column) => self.same_row(*column),
            Node::Unary(op, operand) => {
                match op {
                    UnaryOp::Not => {
                        self.text("NOT(");
                        self.node(operand, Position::Top)?;
                        self.text(")");
                    }
                    UnaryOp::Neg | UnaryOp::Plus => {
                        let wrap = matches!(position, Position::Tight);
                        self.wrapped(wrap, |t| {
                            t.text(if *op == UnaryOp::Neg { "-" } else { "+" });
                            t.node(operand, Position::Tight)
                        })?;
                    }
                }
                Some(())
            }
            Node::Percent(operand) => {
                self.node(operand, Position::Tight)?;
                self.text("%");
                Some(())
            }
            Node::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, position),
            Node::In {
                needle,
                list,
                negated,
            } => {
                if list.is_empty() {
                    return None;
                }
                self.text(if *negated { "NOT(OR(" } else { "OR(" });
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        self.text(",");
                    }
                    self.node(
                        needle,
                        Position::Operand {
                            precedence: 4,
                            right: false,
                        },
                    )?;
                    self.text("=");
                    self.node(
                        item,
                        Position::Operand {
                            precedence: 4,
                            right: true,
                        },
                    )?;
                }
                self.text(if *negated { "))" } else { ")" });
                Some(())
            }
            Node::Call { function, args, .. } => self.call(function, args),
        }
    }

    fn wrapped(&mut self, wrap: bool, body: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        if wrap {
            self.text("(");
        }
        body(self)?;
        if wrap {
            self.text(")");
        }
        Some(())
    }

    fn same_row(&mut self, column: ColumnId) -> Option<()> {
        let table = self.table?;
        let cells = self.cells.tables.get(&table)?;
        let sheet_column = (*cells.columns.get(column)?)?;
        self.pieces
            .push(Piece::SameRow(column_letters(sheet_column)));
        Some(())
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Node, rhs: &Node, position: Position) -> Option<()> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            // Excel has no `and`/`or` operators; flatten chains into one AND()/OR().
            let mut operands = Vec::new();
            collect_chain(op, lhs, &mut operands);
            collect_chain(op, rhs, &mut operands);
            self.text(if op == BinaryOp::And { "AND(" } else { "OR(" });
            for (i, operand) in operands.iter().enumerate() {
                if i > 0 {
                    self.text(",");
                }
                self.node(operand, Position::Top)?;
            }
            self.text(")");
            return Some(());
        }
        let precedence = op.precedence();
        let wrap = match position {
            Position::Top => false,
            Position::Tight => true,
            Position::Operand {
                precedence: outer,
                right,
            } => precedence < outer || (precedence == outer && right),
        };
        self.wrapped(wrap, |t| {
            t.node(
                lhs,
                Position::Operand {
                    precedence,
                    right: false,
                },
            )?;
            t.text(op.symbol());
            t.node(
                rhs,
                Position::Operand {
                    precedence,
                    right: true,
                },
            )
        })
    }

    fn call(&mut self, function: &FunctionSpec, args: &[ArgNode]) -> Option<()> {
        // Only Excel's own built-ins (not script functions), and none whose result
        // depends on the run rather than the arguments.
        if !function.is_builtin() || CONTEXT_FUNCTIONS.contains(&&*function.name) {
            return None;
        }
        if matches!(&*function.name, "VLOOKUP" | "HLOOKUP") {
            return self.table_lookup(args);
        }
        self.text(&function.name);
        self.text("(");
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.text(",");
            }
            match arg {
                ArgNode::Value(node) => self.node(node, Position::Top)?,
                ArgNode::List(list) => self.list(list)?,
            }
        }
        self.text(")");
        Some(())
    }

    /// VLOOKUP/HLOOKUP as the checker compiled them (needle, first column, answer
    /// column, range_lookup) in the Excel form with the same answer:
    /// `INDEX(answers, MATCH(needle, keys, IF(range_lookup, 1, 0)))`.
    fn table_lookup(&mut self, args: &[ArgNode]) -> Option<()> {
        let [
            ArgNode::Value(needle),
            ArgNode::List(keys),
            ArgNode::List(values),
            rest @ ..,
        ] = args
        else {
            return None;
        };
        self.text("INDEX(");
        self.list(values)?;
        self.text(",MATCH(");
        self.node(needle, Position::Top)?;
        self.text(",");
        self.list(keys)?;
        match rest {
            [] => self.text(",1))"),
            [ArgNode::Value(range)] => {
                self.text(",IF(");
                self.node(range, Position::Top)?;
                self.text(",1,0)))");
            }
            _ => return None,
        }
        Some(())
    }

    fn list(&mut self, list: &ListNode) -> Option<()> {
        // UNIQUE: LibreOffice keeps an empty cell empty where Excel returns 0, so a live
        // formula would not recompute to the same value everywhere.
        if list.distinct != Distinct::All {
            return None;
        }
        match &list.domain {
            ListDomain::Table(table) => {
                if list.filter.is_some() {
                    return None;
                }
                let Node::Column(column) = list.expr else {
                    return None;
                };
                let cells = self.cells.tables.get(table)?;
                if !cells.complete || cells.rows == 0 {
                    return None;
                }
                let letters = column_letters((*cells.columns.get(column)?)?);
                let last = cells.first_row + u32::try_from(cells.rows).ok()? - 1;
                let range = format!("${letters}${}:${letters}${last}", cells.first_row);
                if Some(*table) == self.table {
                    self.text(&range);
                } else {
                    let sheet = quoted_sheet(&cells.sheet);
                    self.text(&format!("{sheet}!{range}"));
                }
                Some(())
            }
            ListDomain::Array => {
                let mut items = Vec::with_capacity(list.elements.len());
                for element in &list.elements {
                    let Node::Const(value) = element else {
                        return None;
                    };
                    items.push(constant(value)?);
                }
                self.text(&format!("{{{}}}", items.join(",")));
                Some(())
            }
            ListDomain::Group { .. } => None,
        }
    }
}

fn collect_chain<'n>(op: BinaryOp, node: &'n Node, out: &mut Vec<&'n Node>) {
    match node {
        Node::Binary(inner, lhs, rhs) if *inner == op => {
            collect_chain(op, lhs, out);
            collect_chain(op, rhs, out);
        }
        _ => out.push(node),
    }
}

/// An Excel literal for a constant; `None` for blank (Excel has no blank literal).
fn constant(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) | Value::Date(n) => number_literal(*n),
        Value::Text(text) => Some(format!("\"{}\"", text.replace('"', "\"\""))),
        Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Value::Error(error) => Some(error.kind.as_str().to_string()),
        Value::Blank => None,
    }
}

/// A number as Excel reads it back exactly: shortest round-trip digits, exponent
/// form (`1.5E-7`) for very large or small magnitudes.
pub fn number_literal(n: f64) -> Option<String> {
    if !n.is_finite() {
        return None;
    }
    Some(
        format!("{n:?}")
            .replace('e', "E")
            .trim_end_matches(".0")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::Span;
    use crate::lang::plan::{ColumnOrigin, ColumnPlan, Plan, TableKind, TablePlan};
    use crate::value::ValueType;
    use std::sync::Arc;

    fn column(name: &str) -> ColumnPlan {
        ColumnPlan {
            name: Arc::from(name),
            ty: ValueType::Number,
            optional: false,
            origin: ColumnOrigin::Input,
            format: None,
            look: Default::default(),
            span: Span::default(),
        }
    }

    /// Table 0 `Channels` with columns a..e in sheet columns B..F (A holds the key),
    /// table 1 `Regions` on another sheet; param 0 in `Assumptions!$B$2`, scalar 0 in
    /// `Metrics!$B$3`.
    fn setup() -> (Plan, CellMap) {
        let table = |name: &str| TablePlan {
            name: Arc::from(name),
            kind: TableKind::Input,
            columns: ["a", "b", "c", "d", "e"]
                .iter()
                .map(|c| column(c))
                .collect(),
            span: Span::default(),
        };
        let plan = Plan {
            tables: vec![table("Channels"), table("Regions")],
            ..Plan::default()
        };
        let mut cells = CellMap::default();
        for (id, sheet, rows, complete) in [(0, "Channels", 6, true), (1, "Regions", 4, true)] {
            cells.tables.insert(
                id,
                TableCells {
                    sheet: sheet.to_string(),
                    columns: (1..=5).map(Some).collect(),
                    first_row: 2,
                    rows,
                    complete,
                },
            );
        }
        cells.params.insert(0, "'Assumptions'!$B$2".to_string());
        cells.scalars.insert(0, "'Metrics'!$B$3".to_string());
        (plan, cells)
    }

    fn col(id: usize) -> Node {
        Node::Column(id)
    }
    fn num(n: f64) -> Node {
        Node::Const(Value::Number(n))
    }
    fn bin(op: BinaryOp, a: Node, b: Node) -> Node {
        Node::Binary(op, Box::new(a), Box::new(b))
    }
    fn call(name: &str, args: Vec<ArgNode>) -> Node {
        Node::Call {
            function: crate::functions::Registry::builtin()
                .lookup(name)
                .unwrap()
                .clone(),
            args,
            span: Span::default(),
        }
    }
    fn whole(table: usize, column: usize) -> ArgNode {
        ArgNode::List(ListNode {
            domain: ListDomain::Table(table),
            expr: Node::Column(column),
            filter: None,
            elements: vec![],
            distinct: Distinct::All,
        })
    }
    fn excel(node: &Node, row: u32) -> Option<String> {
        let (_plan, cells) = setup();
        translate(&cells, Some(0), node).map(|f| f.render(row))
    }

    #[test]
    fn same_row_division_inside_iferror() {
        let node = call(
            "IFERROR",
            vec![
                ArgNode::Value(bin(BinaryOp::Div, col(0), col(1))),
                ArgNode::Value(num(0.0)),
            ],
        );
        assert_eq!(excel(&node, 2).as_deref(), Some("IFERROR(B2/C2,0)"));
        assert_eq!(excel(&node, 7).as_deref(), Some("IFERROR(B7/C7,0)"));
    }

    #[test]
    fn parentheses_follow_precedence_and_left_associativity() {
        // (a + b) * c
        let node = bin(BinaryOp::Mul, bin(BinaryOp::Add, col(0), col(1)), col(2));
        assert_eq!(excel(&node, 3).as_deref(), Some("(B3+C3)*D3"));
        // a - (b - c)
        let node = bin(BinaryOp::Sub, col(0), bin(BinaryOp::Sub, col(1), col(2)));
        assert_eq!(excel(&node, 3).as_deref(), Some("B3-(C3-D3)"));
        // (a - b) - c needs none
        let node = bin(BinaryOp::Sub, bin(BinaryOp::Sub, col(0), col(1)), col(2));
        assert_eq!(excel(&node, 3).as_deref(), Some("B3-C3-D3"));
        // -(a ^ 2): Excel's prefix minus binds tighter than ^, so the power is wrapped.
        let node = Node::Unary(UnaryOp::Neg, Box::new(bin(BinaryOp::Pow, col(0), num(2.0))));
        assert_eq!(excel(&node, 2).as_deref(), Some("-(B2^2)"));
        // a * -3 keeps the constant's sign visible.
        let node = bin(BinaryOp::Mul, col(0), num(-3.0));
        assert_eq!(excel(&node, 2).as_deref(), Some("B2*(-3)"));
    }

    #[test]
    fn logical_operators_become_functions() {
        let node = bin(
            BinaryOp::And,
            bin(BinaryOp::Lt, col(0), num(1.0)),
            bin(
                BinaryOp::And,
                bin(BinaryOp::Ge, col(1), num(20.0)),
                Node::Unary(UnaryOp::Not, Box::new(col(2))),
            ),
        );
        assert_eq!(excel(&node, 4).as_deref(), Some("AND(B4<1,C4>=20,NOT(D4))"));
        let node = Node::In {
            needle: Box::new(col(3)),
            list: vec![
                Node::Const(Value::text("Closed Won")),
                Node::Const(Value::text("Say \"hi\"")),
            ],
            negated: true,
        };
        assert_eq!(
            excel(&node, 2).as_deref(),
            Some("NOT(OR(E2=\"Closed Won\",E2=\"Say \"\"hi\"\"\"))")
        );
    }

    #[test]
    fn params_scalars_and_whole_columns_are_absolute() {
        // revenue / SUM(Channels.revenue) * margin + total
        let node = bin(
            BinaryOp::Add,
            bin(
                BinaryOp::Mul,
                bin(BinaryOp::Div, col(4), call("SUM", vec![whole(0, 4)])),
                Node::Param(0),
            ),
            Node::Scalar(0),
        );
        assert_eq!(
            excel(&node, 5).as_deref(),
            Some("F5/SUM($F$2:$F$7)*'Assumptions'!$B$2+'Metrics'!$B$3")
        );
        let node = call("MAX", vec![whole(1, 0)]);
        assert_eq!(excel(&node, 2).as_deref(), Some("MAX('Regions'!$B$2:$B$5)"));
        let node = Node::Percent(Box::new(num(15.0)));
        assert_eq!(excel(&node, 2).as_deref(), Some("15%"));
    }

    #[test]
    fn group_aggregates_filters_and_run_dependent_functions_stay_values() {
        let group = ArgNode::List(ListNode {
            domain: ListDomain::Group { table: 1 },
            expr: Node::Column(0),
            filter: None,
            elements: vec![],
            distinct: Distinct::All,
        });
        assert_eq!(excel(&call("SUM", vec![group]), 2), None);
        let filtered = ArgNode::List(ListNode {
            domain: ListDomain::Table(0),
            expr: Node::Column(0),
            filter: Some(bin(BinaryOp::Gt, col(0), num(0.0))),
            elements: vec![],
            distinct: Distinct::All,
        });
        assert_eq!(excel(&call("SUM", vec![filtered]), 2), None);
        assert_eq!(excel(&call("TODAY", vec![]), 2), None);
        assert_eq!(excel(&Node::Const(Value::Blank), 2), None);
        // A truncated sheet cannot stand for the whole column.
        let (_plan, mut cells) = setup();
        if let Some(t) = cells.tables.get_mut(&1) {
            t.complete = false;
        }
        assert_eq!(
            translate(&cells, Some(0), &call("MAX", vec![whole(1, 0)])),
            None
        );
        // A column reference needs a row.
        assert_eq!(translate(&cells, None, &col(0)), None);
    }

    #[test]
    fn literals_round_trip() {
        assert_eq!(number_literal(0.1).as_deref(), Some("0.1"));
        assert_eq!(number_literal(3.0).as_deref(), Some("3"));
        assert_eq!(number_literal(1.5e-7).as_deref(), Some("1.5E-7"));
        assert_eq!(number_literal(f64::NAN), None);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(absolute_cell("It's", 4, 1), "'It''s'!$B$5");
        let arr = ArgNode::List(ListNode {
            domain: ListDomain::Array,
            expr: Node::Const(Value::Blank),
            filter: None,
            elements: vec![
                num(1.0),
                Node::Const(Value::text("x")),
                Node::Const(Value::Bool(true)),
            ],
            distinct: Distinct::All,
        });
        assert_eq!(
            excel(&call("SUM", vec![arr]), 2).as_deref(),
            Some("SUM({1,\"x\",TRUE})")
        );
    }
}
