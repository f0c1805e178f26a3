//! What to read for a plan: the scenario's `[inputs]` completed with the rules' `input`
//! declarations (types, and a sheet of the table's name when the scenario names none),
//! and the columns each table must provide.

use std::collections::{BTreeMap, BTreeSet};

use crate::data::spec::InputsSpec;
use crate::lang::plan::Plan;

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
        wanted.insert(table.to_string(), names);
    }
    InputRequest { spec, wanted }
}
