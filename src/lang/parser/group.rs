//! Builds a grouped table's statement (`table T = group … by … [where …] [order by …]`)
//! from pest's parse tree.

use pest::iterators::Pair;

use super::Rule;
use super::build::Builder;
use crate::lang::ast::{GroupTableDecl, OrderKey, SortDirection};

impl Builder {
    pub(super) fn group_table(&mut self, pair: Pair<'_, Rule>) -> Option<GroupTableDecl> {
        let span = self.span(&pair);
        let mut tables = Vec::new();
        let mut keys = Vec::new();
        let mut filter = None;
        let mut order = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::table_name => tables.push(self.ident(&p)),
                // `Other.column` is kept as written; the checker explains it.
                Rule::column_name | Rule::qualified => keys.push(self.ident(&p)),
                Rule::expr => filter = self.expr(p),
                Rule::group_order => {
                    for key in p.into_inner().filter(|k| k.as_rule() == Rule::order_key) {
                        order.push(self.order_key(key)?);
                    }
                }
                _ => {}
            }
        }
        let mut tables = tables.into_iter();
        match (tables.next(), tables.next()) {
            (Some(name), Some(source)) => Some(GroupTableDecl {
                name,
                source,
                keys,
                filter,
                order,
            }),
            _ => self.shape_error(span),
        }
    }

    /// `expr [asc|desc]` of an `order by`.
    fn order_key(&mut self, pair: Pair<'_, Rule>) -> Option<OrderKey> {
        let span = self.span(&pair);
        let mut expr = None;
        let mut direction = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::expr => expr = self.expr(p),
                Rule::order_direction => {
                    direction = p.into_inner().next().map(|d| match d.as_rule() {
                        Rule::kw_desc => SortDirection::Descending,
                        _ => SortDirection::Ascending,
                    })
                }
                _ => {}
            }
        }
        match expr {
            Some(expr) => Some(OrderKey { expr, direction }),
            None => self.shape_error(span),
        }
    }
}
