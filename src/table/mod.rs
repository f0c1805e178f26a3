//! Columnar tables: one compactly stored column per name, the shape input readers
//! produce and the evaluator reads and extends.

pub mod column;
pub mod concat;
pub mod intern;

use std::borrow::Cow;
use std::sync::Arc;

use crate::table::column::ColumnValues;
use crate::value::Value;
use crate::value::ValueType;

/// One named column. Its values are shared: copying a table (one per compared
/// scenario) copies no rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Arc<str>,
    pub ty: ValueType,
    pub data: Arc<ColumnValues>,
}

impl Column {
    /// A column of `values`, stored compactly.
    pub fn new(name: &str, ty: ValueType, values: Vec<Value>) -> Self {
        Column::stored(name, ty, ColumnValues::compact(values))
    }

    pub fn stored(name: &str, ty: ValueType, data: ColumnValues) -> Self {
        Column {
            name: Arc::from(name),
            ty,
            data: Arc::new(data),
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Every value (decoded unless stored one value per row).
    pub fn values(&self) -> Cow<'_, [Value]> {
        self.data.values()
    }

    /// The value at `row`, or `None` past the end.
    pub fn value(&self, row: usize) -> Option<Value> {
        self.data.get(row)
    }
}

/// A table of equally long columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub name: Arc<str>,
    pub columns: Vec<Column>,
    /// Number of rows (kept separately so a table with no columns still has rows).
    pub row_count: usize,
}

impl Table {
    pub fn new(name: &str, row_count: usize) -> Self {
        Table {
            name: Arc::from(name),
            columns: Vec::new(),
            row_count,
        }
    }

    /// Column by exact name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| &*c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| &*c.name == name)
    }

    /// Adds or replaces a column; its length must equal `row_count`.
    pub fn set_column(&mut self, column: Column) {
        debug_assert_eq!(column.len(), self.row_count);
        match self.column_index(&column.name) {
            Some(i) => self.columns[i] = column,
            None => self.columns.push(column),
        }
    }

    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| &*c.name)
    }
}
