//! The built-in analyses rule files can run with `table T = <analysis> Source (…)`:
//! each is a folder here implementing [`Analysis`](crate::lang::analysis::Analysis),
//! listed in [`all`]. Nothing else in the code names an analysis: the checker, the
//! engine and the report work through the trait.

pub mod forecast;
pub mod overlap;
pub mod top;

use std::sync::Arc;

use crate::lang::analysis::Analysis;
use crate::lang::vocabulary::Vocabulary;

pub mod allocate;

/// Every built-in analysis.
pub fn all() -> Vec<Arc<dyn Analysis>> {
    let mut analyses: Vec<Arc<dyn Analysis>> = vec![Arc::new(overlap::Pairs), Arc::new(top::Top)];
    analyses.extend(allocate::analyses());
    analyses.push(Arc::new(forecast::ForecastAnalysis));
    analyses.push(Arc::new(forecast::BacktestAnalysis));
    analyses
}

/// Excel's functions and every built-in analysis: what the shipped commands check
/// rule files against.
pub fn vocabulary() -> Vocabulary {
    let mut vocabulary = Vocabulary::builtin().clone();
    vocabulary.analyses = all();
    vocabulary
}
