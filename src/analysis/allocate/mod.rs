//! Resource allocation: response curves fitted from spend history (`fit_response`), an
//! exact budget optimizer (`optimize`), the plan spread over the coming months
//! (`plan_months`) and the curves drawn against their history (`curve_points`).
//! Files: the curve families ([`curve`]), fitting ([`fit`]), the solver ([`solve`], [`solver`],
//! [`nonconcave`], [`whole`]) and one file per analysis.

use std::sync::Arc;

use crate::lang::analysis::Analysis;

mod args;
pub mod curve;
mod curve_points;
mod decisions;
pub mod fit;
mod fit_response;
pub mod nonconcave;
mod optimize;
mod plan_months;
pub mod solve;
pub mod solver;
pub mod whole;

/// The allocation analyses.
pub fn analyses() -> Vec<Arc<dyn Analysis>> {
    vec![
        Arc::new(fit_response::FitResponse),
        Arc::new(optimize::Optimize),
        Arc::new(plan_months::PlanMonths),
        Arc::new(curve_points::CurvePoints),
    ]
}
