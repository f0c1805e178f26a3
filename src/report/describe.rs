//! Plan expressions printed back in the rule language (`SUM(Opportunities.amount where
//! is_won)`), so every computed number in a workbook carries the definition that made it.

use crate::lang::ast::{BinaryOp, UnaryOp};
use crate::lang::plan::{ArgNode, Distinct, ListDomain, ListNode, Node, Plan, TableId};
use crate::value::datetime::date_from_serial;
use crate::value::{Value, format_general};

/// `node`, evaluated over rows of `table` (or in scalar context), as rule text.
pub fn describe(plan: &Plan, table: Option<TableId>, node: &Node) -> String {
    let mut out = String::new();
    Printer {
        plan,
        table,
        qualify: false,
    }
    .node(node, 0, false, &mut out);
    out
}

struct Printer<'a> {
    plan: &'a Plan,
    /// The table whose columns bare column ids name.
    table: Option<TableId>,
    /// Inside a list over a table: columns print as `Table.column`.
    qualify: bool,
}

/// Binding strength of prefix and postfix operators (tighter than any binary one).
const PREFIX: u8 = 9;

impl Printer<'_> {
    fn table_name(&self, table: TableId) -> &str {
        self.plan.tables.get(table).map_or("?", |t| &*t.name)
    }

    fn column_name(&self, column: usize) -> String {
        let Some(table) = self.table.and_then(|t| self.plan.tables.get(t)) else {
            return "?".to_string();
        };
        let name = table.columns.get(column).map_or("?", |c| &*c.name);
        if self.qualify {
            format!("{}.{name}", table.name)
        } else {
            name.to_string()
        }
    }

    /// Prints `node`; `outer` is the precedence of the enclosing operator and `right`
    /// whether `node` is its right operand (parentheses only where the rules need them).
    fn node(&self, node: &Node, outer: u8, right: bool, out: &mut String) {
        match node {
            Node::Const(value) => out.push_str(&literal(value)),
            Node::Param(id) => out.push_str(self.plan.params.get(*id).map_or("?", |p| &*p.name)),
            Node::Scalar(id) => out.push_str(self.plan.scalars.get(*id).map_or("?", |s| &*s.name)),
            Node::Column(column) => out.push_str(&self.column_name(*column)),
            Node::Unary(op, operand) => {
                let (symbol, precedence) = match op {
                    UnaryOp::Neg => ("-", PREFIX),
                    UnaryOp::Plus => ("+", PREFIX),
                    UnaryOp::Not => ("not ", 3),
                };
                let wrap = outer > precedence;
                open(wrap, out);
                out.push_str(symbol);
                self.node(operand, precedence, false, out);
                close(wrap, out);
            }
            Node::Percent(operand) => {
                self.node(operand, PREFIX, false, out);
                out.push('%');
            }
            Node::Binary(op, lhs, rhs) => {
                let precedence = op.precedence();
                let wrap = outer > precedence || (outer == precedence && right);
                open(wrap, out);
                self.node(lhs, precedence, false, out);
                if *op == BinaryOp::Pow {
                    out.push('^');
                } else {
                    out.push(' ');
                    out.push_str(op.symbol());
                    out.push(' ');
                }
                self.node(rhs, precedence, true, out);
                close(wrap, out);
            }
            Node::In {
                needle,
                list,
                negated,
            } => {
                let wrap = outer > 4;
                open(wrap, out);
                self.node(needle, 4, false, out);
                out.push_str(if *negated { " NOT IN (" } else { " IN (" });
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.node(item, 0, false, out);
                }
                out.push(')');
                close(wrap, out);
            }
            Node::Call { function, args, .. } => {
                out.push_str(&function.name);
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match arg {
                        ArgNode::Value(node) => self.node(node, 0, false, out),
                        ArgNode::List(list) => self.list(list, out),
                    }
                }
                out.push(')');
            }
        }
    }

    fn list(&self, list: &ListNode, out: &mut String) {
        let table = match list.domain {
            ListDomain::Table(t) | ListDomain::Group { table: t } => t,
            ListDomain::Array => {
                out.push('{');
                for (i, element) in list.elements.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.node(element, 0, false, out);
                }
                out.push('}');
                return;
            }
        };
        let rows = Printer {
            plan: self.plan,
            table: Some(table),
            qualify: true,
        };
        if list.distinct != Distinct::All {
            out.push_str("UNIQUE(");
        }
        match &list.expr {
            // A bare table name (`COUNT(Opportunities)`) counts its rows.
            Node::Const(_) => out.push_str(self.table_name(table)),
            expr => rows.node(expr, 0, false, out),
        }
        if let Some(filter) = &list.filter {
            out.push_str(" where ");
            let filter_printer = Printer {
                plan: self.plan,
                table: Some(table),
                qualify: false,
            };
            filter_printer.node(filter, 0, false, out);
        }
        match list.distinct {
            Distinct::All => {}
            Distinct::Unique => out.push(')'),
            Distinct::ExactlyOnce => out.push_str(", FALSE, TRUE)"),
        }
    }
}

fn open(wrap: bool, out: &mut String) {
    if wrap {
        out.push('(');
    }
}

fn close(wrap: bool, out: &mut String) {
    if wrap {
        out.push(')');
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::Number(n) => format_general(*n),
        Value::Date(n) => date_from_serial(*n)
            .map_or_else(|| format_general(*n), |d| d.format("%Y-%m-%d").to_string()),
        Value::Text(text) => format!("\"{}\"", text.replace('"', "\"\"")),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Error(error) => error.kind.as_str().to_string(),
        Value::Blank => "\"\"".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::SourceMap;
    use crate::lang::program::check_sources;

    /// Compiles rules and prints the named column's (or scalar's) definition back.
    fn round_trip(rules: &str, table: &str, column: &str) -> String {
        let mut sources = SourceMap::new();
        sources.add("t.rules", rules);
        let plan = check_sources(sources, &[]).plan.unwrap();
        if table.is_empty() {
            let scalar = plan.scalars.iter().find(|s| &*s.name == column).unwrap();
            return describe(&plan, None, &scalar.node);
        }
        let id = plan.table_id(table).unwrap();
        let col = &plan.tables[id].columns[plan.tables[id].column_id(column).unwrap()];
        match &col.origin {
            crate::lang::plan::ColumnOrigin::Formula(node) => describe(&plan, Some(id), node),
            other => panic!("{other:?}"),
        }
    }

    const RULES: &str = r#"
input Opportunities (channel: text, stage: text, amount: number)
param margin = 50%
Opportunities.is_won = stage = "Closed Won"
Opportunities.is_open = stage NOT IN ("Closed Won", "Closed Lost")
table Channels = group Opportunities by channel
Channels.deals = COUNT(Opportunities)
Channels.won = COUNT(Opportunities where is_won)
Channels.revenue = SUM(Opportunities.amount where is_won)
Channels.weighted = SUM(Opportunities.amount * IF(Opportunities.is_won, 1, 0))
Channels.rate = IFERROR(won / (won + deals), 0)
Channels.net = -(revenue - deals) ^ 2 * margin
Channels.flag = not won > 3 and deals >= 1 or revenue = 0
total = SUM(Channels.revenue) / 2
"#;

    #[test]
    fn definitions_read_like_the_rules() {
        // Expected texts written by hand from the rule lines above (canonical spacing);
        // an empty table names a scalar.
        let cases = [
            ("Opportunities", "is_won", "stage = \"Closed Won\""),
            (
                "Opportunities",
                "is_open",
                "stage NOT IN (\"Closed Won\", \"Closed Lost\")",
            ),
            ("Channels", "deals", "COUNT(Opportunities)"),
            ("Channels", "won", "COUNT(Opportunities where is_won)"),
            (
                "Channels",
                "revenue",
                "SUM(Opportunities.amount where is_won)",
            ),
            (
                "Channels",
                "weighted",
                "SUM(Opportunities.amount * IF(Opportunities.is_won, 1, 0))",
            ),
            ("Channels", "rate", "IFERROR(won / (won + deals), 0)"),
            ("Channels", "net", "-(revenue - deals)^2 * margin"),
            (
                "Channels",
                "flag",
                "not won > 3 and deals >= 1 or revenue = 0",
            ),
            ("", "total", "SUM(Channels.revenue) / 2"),
        ];
        for (table, column, expected) in cases {
            assert_eq!(
                round_trip(RULES, table, column),
                expected,
                "{table}.{column}"
            );
        }
    }
}
