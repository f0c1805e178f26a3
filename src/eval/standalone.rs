//! Evaluating one formula on its own (tests, the function oracle, quick checks):
//! parse, check in scalar context against the given tables, evaluate.

use crate::diagnostic::render::render_text;
use crate::diagnostic::source::SourceMap;
use crate::eval::engine::{EvalError, evaluate_expression};
use crate::functions::CallContext;
use crate::lang::checker::{ExternalTable, check_expression};
use crate::lang::parser::parse_expression;
use crate::lang::vocabulary::Vocabulary;
use crate::table::Table;
use crate::value::Value;

/// Why a standalone formula gave no value.
#[derive(Debug, thiserror::Error)]
pub enum FormulaError {
    /// It does not parse or check; the diagnostics, rendered.
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Evaluates `formula` (e.g. `ROUND(SUM(L1.v), 2)`) with `tables` available as
/// whole-column lists and Excel's built-in functions.
pub fn evaluate_formula(
    formula: &str,
    tables: &[Table],
    context: &CallContext,
) -> Result<Value, FormulaError> {
    let mut sources = SourceMap::new();
    let file = sources.add("<formula>", formula);
    let expr = parse_expression(&sources, file)
        .map_err(|d| FormulaError::Rejected(render_text(&d, &sources, false)))?;
    let external: Vec<ExternalTable> = tables
        .iter()
        .map(|t| ExternalTable {
            name: t.name.to_string(),
            columns: t
                .columns
                .iter()
                .map(|c| (c.name.to_string(), c.ty))
                .collect(),
        })
        .collect();
    let (compiled, diagnostics) =
        check_expression(&expr, &sources, &external, Vocabulary::builtin());
    let Some((plan, node)) = compiled else {
        return Err(FormulaError::Rejected(render_text(
            &diagnostics,
            &sources,
            false,
        )));
    };
    Ok(evaluate_expression(&plan, tables.to_vec(), &node, context)?)
}
