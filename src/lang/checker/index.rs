//! Name lookups of the checker by hash: tables, params, named values and each
//! table's columns. Plans only grow while checking (names are appended, never
//! renamed), so each index takes in what was appended since it was last asked, and a
//! file of 100,000 names is checked in linear time, not with a scan per name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::Checker;
use crate::lang::plan::{ColumnId, ParamId, TableId};

/// The position of the first entry of each name, for a list that only grows.
#[derive(Debug, Default)]
pub(super) struct Appended {
    by_name: HashMap<Arc<str>, usize>,
    seen: usize,
}

impl Appended {
    /// The first position of `name` among `names` (a list that grew since the last call).
    fn find<T>(
        &mut self,
        names: &[T],
        name_of: impl Fn(&T) -> &Arc<str>,
        name: &str,
    ) -> Option<usize> {
        if names.len() < self.seen {
            // Not expected (plans only grow); start again rather than answer wrongly.
            *self = Appended::default();
        }
        let new = names.get(self.seen..).unwrap_or_default();
        for (offset, entry) in new.iter().enumerate() {
            self.by_name
                .entry(Arc::clone(name_of(entry)))
                .or_insert(self.seen + offset);
        }
        self.seen = names.len();
        self.by_name.get(name).copied()
    }
}

/// Every index the checker keeps.
#[derive(Debug, Default)]
pub(super) struct NameIndexes {
    tables: Appended,
    params: Appended,
    scalars: Appended,
    columns: Vec<Appended>,
}

pub(super) type Indexes = RefCell<NameIndexes>;

impl Checker<'_> {
    pub(super) fn table_id(&self, name: &str) -> Option<TableId> {
        let mut indexes = self.indexes.borrow_mut();
        indexes.tables.find(&self.plan.tables, |t| &t.name, name)
    }

    pub(super) fn param_id(&self, name: &str) -> Option<ParamId> {
        let mut indexes = self.indexes.borrow_mut();
        indexes.params.find(&self.plan.params, |p| &p.name, name)
    }

    pub(super) fn scalar_id(&self, name: &str) -> Option<usize> {
        let mut indexes = self.indexes.borrow_mut();
        indexes.scalars.find(&self.plan.scalars, |s| &s.name, name)
    }

    pub(super) fn column_id(&self, table: TableId, name: &str) -> Option<ColumnId> {
        let plan = self.plan.tables.get(table)?;
        let mut indexes = self.indexes.borrow_mut();
        if indexes.columns.len() <= table {
            indexes.columns.resize_with(table + 1, Appended::default);
        }
        indexes
            .columns
            .get_mut(table)?
            .find(&plan.columns, |c| &c.name, name)
    }
}
