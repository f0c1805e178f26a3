//! What to read for a plan: the scenario's `[inputs]` completed with the rules' `input`
//! declarations (types, and a sheet of the table's name when the scenario names none),
//! the columns each table must provide, and the key columns whose text is trimmed.

use std::collections::{BTreeMap, BTreeSet};

use crate::data::spec::InputsSpec;
use crate::lang::plan::{ArgNode, ColumnOrigin, ListDomain, Node, Plan, TableId, TableKind};

/// The reading plan for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRequest {
    /// The scenario's spec with every input table of the rules present and typed.
    pub spec: InputsSpec,
    /// Per table, the columns the rules declare (and so read).
    pub wanted: BTreeMap<String, BTreeSet<String>>,
}

/// Completes `spec` with the plan's input declarations. A type the scenario declares
/// for a column wins over the rules' (the scenario knows its export).
pub fn request_for_plan(plan: &Plan, spec: &InputsSpec) -> InputRequest {
    let mut spec = spec.clone();
    let mut wanted = BTreeMap::new();
    let keys = key_columns(plan);
    for (table, columns) in plan.input_columns() {
        let table_spec = spec.tables.entry(table.to_string()).or_default();
        let mut names = BTreeSet::new();
        for column in columns {
            names.insert(column.name.to_string());
            table_spec
                .columns
                .entry(column.name.to_string())
                .or_insert_with(|| {
                    let ty = column.ty.as_str();
                    if column.optional {
                        format!("{ty}?")
                    } else {
                        ty.to_string()
                    }
                });
        }
        let key = table_spec.key.clone();
        table_spec.trimmed = names
            .iter()
            .filter(|n| {
                keys.contains(&(table.to_string(), (*n).clone())) || key.as_ref() == Some(*n)
            })
            .cloned()
            .collect();
        wanted.insert(table.to_string(), names);
    }
    InputRequest { spec, wanted }
}

/// Input columns the rules use as keys: grouped by, matched to groups by name, or
/// looked up in (a lookup's searched list and the values looked up). Their text is
/// compared as a key, so spaces around it would split a group or miss a match.
fn key_columns(plan: &Plan) -> BTreeSet<(String, String)> {
    let mut keys = BTreeSet::new();
    let input = |t: TableId| {
        plan.tables
            .get(t)
            .filter(|t| matches!(t.kind, TableKind::Input))
    };
    let mut add = |t: TableId, c: usize| {
        if let Some(table) = input(t)
            && let Some(column) = table.columns.get(c)
            && matches!(column.origin, ColumnOrigin::Input)
        {
            keys.insert((table.name.to_string(), column.name.to_string()));
        }
    };
    for table in &plan.tables {
        if let TableKind::Grouped {
            source,
            source_keys,
            ..
        } = &table.kind
        {
            for key in source_keys {
                add(*source, *key);
            }
            // Other tables matched to its groups by the key columns' names.
            let names: Vec<&str> = table.columns[..table.key_count().min(table.columns.len())]
                .iter()
                .map(|c| &*c.name)
                .collect();
            for (id, other) in plan.tables.iter().enumerate() {
                if id != *source
                    && !names.is_empty()
                    && names.iter().all(|n| other.column_id(n).is_some())
                {
                    for name in &names {
                        if let Some(c) = other.column_id(name) {
                            add(id, c);
                        }
                    }
                }
            }
        }
    }
    // Lookups: walk every formula with the table its bare columns belong to.
    let mut visit = |node: &Node, table: Option<TableId>| {
        lookup_keys(node, table, &mut add);
    };
    for (id, table) in plan.tables.iter().enumerate() {
        for column in &table.columns {
            if let ColumnOrigin::Formula(node) = &column.origin {
                visit(node, Some(id));
            }
        }
    }
    for scalar in &plan.scalars {
        visit(&scalar.node, None);
    }
    for flag in &plan.flags {
        visit(&flag.condition, Some(flag.table));
    }
    keys
}

/// The columns a lookup inside `node` searches and looks up, with `table` the table
/// whose row `node` is evaluated for.
fn lookup_keys(node: &Node, table: Option<TableId>, add: &mut dyn FnMut(TableId, usize)) {
    match node {
        Node::Const(_) | Node::Param(_) | Node::Scalar(_) | Node::Column(_) => {}
        Node::Unary(_, inner) | Node::Percent(inner) => lookup_keys(inner, table, add),
        Node::Binary(_, lhs, rhs) => {
            lookup_keys(lhs, table, add);
            lookup_keys(rhs, table, add);
        }
        Node::In { needle, list, .. } => {
            lookup_keys(needle, table, add);
            list.iter().for_each(|n| lookup_keys(n, table, add));
        }
        Node::Call { function, args, .. } => {
            let searched = function.searched_argument();
            for (position, arg) in args.iter().enumerate() {
                match arg {
                    ArgNode::Value(inner) => {
                        if position == 0
                            && searched.is_some()
                            && let (Node::Column(c), Some(t)) = (inner, table)
                        {
                            add(t, *c);
                        }
                        lookup_keys(inner, table, add);
                    }
                    ArgNode::List(list) => {
                        let list_table = match list.domain {
                            ListDomain::Table(t) | ListDomain::Group { table: t } => Some(t),
                            ListDomain::Array => None,
                        };
                        if Some(position) == searched
                            && let (Node::Column(c), Some(t)) = (&list.expr, list_table)
                        {
                            add(t, *c);
                        }
                        lookup_keys(&list.expr, list_table, add);
                    }
                }
            }
        }
    }
}
