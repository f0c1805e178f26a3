//! Revenue forecasts from deals: `forecast` (won revenue per group and month for the
//! next months — ETS, weighted pipeline, their blend and an interval), `forecast_backtest`
//! (each method's accuracy from rolling origins beside seasonal naive). The two read the
//! same arguments, so one computation serves both (see [`computed`]). The seasonal index
//! is not here: `rules/trends.rules` defines it once (ChannelSeasons, Seasons).
//!
//! ```text
//! table Forecast = forecast DealCohorts by channel (amount = amount, deals = deals,
//!     created = created_month, closed = closed_month, won = is_won, stage = stage,
//!     horizon = forecast_months)
//! ```

mod deals;
mod methods;
mod pipeline;
mod tables;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use crate::lang::analysis::{
    Analysis, AnalysisError, AnalysisInput, AnalysisResult, ArgValues, OutputColumn, Parameter,
};
use crate::lang::ast::{Better, FormatKind, Look};
use crate::value::{Value, ValueType};

pub use deals::{Book, Deal, Group, Unit};
pub use methods::{
    Accuracy, METHODS, MIN_ETS_MONTHS, Season, Settings, UnitResult, accuracy, fit_history,
    forecast_all, forecast_unit, group_accuracy, pooled_rates,
};
pub use pipeline::{Evidence, Origin, Rates, weighted_pipeline};

/// The forecast analyses' arguments (all three take the same ones).
pub const PARAMETERS: &[Parameter] = &[
    row(
        "amount",
        ValueType::Number,
        true,
        "the deal's amount (a cohort's total)",
    ),
    row(
        "created",
        ValueType::Date,
        true,
        "when the deal was created",
    ),
    row(
        "closed",
        ValueType::Date,
        true,
        "when the deal closed (won or lost); blank while open",
    ),
    row("won", ValueType::Bool, true, "TRUE for a won deal"),
    row(
        "stage",
        ValueType::Text,
        false,
        "an open deal's current stage: its win rate is that of deals as old as the stage's deals",
    ),
    row(
        "deals",
        ValueType::Number,
        false,
        "how many deals the row stands for, when rows are cohorts (1 when not given)",
    ),
    row(
        "part",
        ValueType::Any,
        false,
        "forecast each part (e.g. channel) on its own and report their sum",
    ),
    row(
        "include",
        ValueType::Bool,
        false,
        "only the rows where this is TRUE",
    ),
    once(
        "horizon",
        ValueType::Number,
        true,
        "months to forecast after the last complete month",
    ),
    once(
        "backtest_months",
        ValueType::Number,
        false,
        "how many of the last months are each forecast from the months before them (6 when not given)",
    ),
    once(
        "seasonality",
        ValueType::Number,
        false,
        "season length in months: 12 when not given, 0 for none, 1 to detect it (Excel's codes)",
    ),
    once(
        "confidence",
        ValueType::Number,
        false,
        "confidence of the interval (95% when not given)",
    ),
    once(
        "history_months",
        ValueType::Number,
        false,
        "past months shown before the forecast (24 when not given)",
    ),
    once(
        "as_of",
        ValueType::Date,
        false,
        "the snapshot date (the scenario's as_of when not given)",
    ),
];

const fn row(
    name: &'static str,
    ty: ValueType,
    required: bool,
    summary: &'static str,
) -> Parameter {
    Parameter {
        name,
        each_row: true,
        ty,
        required,
        summary,
    }
}

const fn once(
    name: &'static str,
    ty: ValueType,
    required: bool,
    summary: &'static str,
) -> Parameter {
    Parameter {
        name,
        each_row: false,
        ty,
        required,
        summary,
    }
}

const fn column(
    name: &'static str,
    ty: ValueType,
    format: Option<FormatKind>,
    look: Look,
) -> OutputColumn {
    OutputColumn {
        name,
        ty,
        format,
        look,
    }
}

const PLAIN: Look = Look {
    better: None,
    bar: false,
    icons: false,
    heat: false,
};
const LOWER_IS_BETTER: Look = Look {
    better: Some(Better::Lower),
    bar: false,
    icons: false,
    heat: false,
};

/// Columns of `forecast`'s table after its keys.
pub const FORECAST_OUTPUTS: &[OutputColumn] = &[
    column("month", ValueType::Date, Some(FormatKind::Date), PLAIN),
    column(
        "actual",
        ValueType::Number,
        Some(FormatKind::Currency),
        PLAIN,
    ),
    column(
        "forecast",
        ValueType::Number,
        Some(FormatKind::Currency),
        PLAIN,
    ),
    column("low", ValueType::Number, Some(FormatKind::Currency), PLAIN),
    column("high", ValueType::Number, Some(FormatKind::Currency), PLAIN),
    column("ets", ValueType::Number, Some(FormatKind::Currency), PLAIN),
    column(
        "pipeline",
        ValueType::Number,
        Some(FormatKind::Currency),
        PLAIN,
    ),
    column("step", ValueType::Number, Some(FormatKind::Integer), PLAIN),
    column(
        "ets_weight",
        ValueType::Number,
        Some(FormatKind::Percent),
        PLAIN,
    ),
    column(
        "backtest_wape",
        ValueType::Number,
        Some(FormatKind::Percent),
        LOWER_IS_BETTER,
    ),
];

/// Columns of `forecast_backtest`'s table after its keys.
pub const BACKTEST_OUTPUTS: &[OutputColumn] = &[
    column("method", ValueType::Text, None, PLAIN),
    column(
        "wape",
        ValueType::Number,
        Some(FormatKind::Percent),
        LOWER_IS_BETTER,
    ),
    column(
        "mape",
        ValueType::Number,
        Some(FormatKind::Percent),
        LOWER_IS_BETTER,
    ),
    column("bias", ValueType::Number, Some(FormatKind::Percent), PLAIN),
    column(
        "forecasts",
        ValueType::Number,
        Some(FormatKind::Integer),
        PLAIN,
    ),
    column(
        "vs_naive",
        ValueType::Number,
        Some(FormatKind::Decimal),
        LOWER_IS_BETTER,
    ),
    column("beats_naive", ValueType::Bool, None, PLAIN),
];

/// What one set of arguments computes, shared by the three analyses.
#[derive(Debug)]
pub struct Computed {
    pub book: Book,
    pub settings: Settings,
    /// Per group, per unit (part).
    pub results: Vec<Vec<UnitResult>>,
}

/// The settings the arguments ask for (checked: whole months, a confidence in (0, 1)).
pub fn settings(input: &AnalysisInput<'_>) -> Result<(Settings, usize), AnalysisError> {
    let number = |name: &str, default: f64| -> Result<f64, AnalysisError> {
        match input.arg(PARAMETERS, name).map(|v| v.at(0)) {
            None | Some(Value::Blank) => Ok(default),
            Some(Value::Number(n)) | Some(Value::Date(n)) if n.is_finite() => Ok(*n),
            Some(other) => Err(AnalysisError::new(format!(
                "`{name}` must be a number, got {}",
                other.type_name()
            ))),
        }
    };
    let whole = |name: &str, default: f64, low: f64, high: f64| -> Result<usize, AnalysisError> {
        let value = number(name, default)?;
        if value.fract() != 0.0 || value < low || value > high {
            return Err(AnalysisError::new(format!(
                "`{name}` must be a whole number from {low} to {high}, got {value}"
            )));
        }
        Ok(value as usize)
    };
    let horizon = whole("horizon", 6.0, 1.0, 120.0)?;
    let backtest = whole("backtest_months", 6.0, 0.0, 120.0)?;
    let season = match whole("seasonality", 12.0, 0.0, 8760.0)? {
        0 => Season::None,
        1 => Season::Detect,
        m => Season::Length(m),
    };
    let confidence = number("confidence", 0.95)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(AnalysisError::new(format!(
            "`confidence` must lie between 0 and 1 (exclusive), got {confidence}"
        ))
        .with_hint("write it as a percentage, e.g. `confidence = 90%`"));
    }
    let history = whole("history_months", 24.0, 0.0, 1200.0)?;
    Ok((
        Settings {
            horizon,
            backtest,
            season,
            confidence,
        },
        history,
    ))
}

fn hash_value(value: &Value, hasher: &mut DefaultHasher) {
    match value {
        Value::Blank => 0u8.hash(hasher),
        Value::Number(n) => (1u8, n.to_bits()).hash(hasher),
        Value::Date(n) => (2u8, n.to_bits()).hash(hasher),
        Value::Text(t) => (3u8, t.as_str()).hash(hasher),
        Value::Bool(b) => (4u8, *b).hash(hasher),
        Value::Error(e) => (5u8, e.kind).hash(hasher),
    }
}

/// A fingerprint of everything the computation reads (not the output table's name,
/// nor the settings only the output uses).
fn fingerprint(input: &AnalysisInput<'_>, settings: &Settings) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.rows.hash(&mut hasher);
    input.context.as_of.map(f64::to_bits).hash(&mut hasher);
    (settings.horizon, settings.backtest).hash(&mut hasher);
    format!("{:?}", settings.season).hash(&mut hasher);
    for keys in &input.keys {
        keys.len().hash(&mut hasher);
        keys.iter().for_each(|v| hash_value(v, &mut hasher));
    }
    for (parameter, arg) in PARAMETERS.iter().zip(&input.args) {
        if matches!(parameter.name, "confidence" | "history_months") {
            continue;
        }
        parameter.name.hash(&mut hasher);
        match arg {
            None => 0u8.hash(&mut hasher),
            Some(ArgValues::Once(v)) => hash_value(v, &mut hasher),
            Some(ArgValues::EachRow(values)) => {
                values.len().hash(&mut hasher);
                values.iter().for_each(|v| hash_value(v, &mut hasher));
            }
            // Hashed as the same values given row by row.
            Some(values @ ArgValues::Stored(_)) => {
                let rows = values.rows().unwrap_or(0);
                rows.hash(&mut hasher);
                (0..rows).for_each(|row| hash_value(values.at(row), &mut hasher));
            }
        }
    }
    hasher.finish()
}

type Shared = Result<Arc<Computed>, AnalysisError>;

/// The computation for these arguments: the forecast and backtest
/// tables of one rule file usually read the same rows, so the first to ask computes and
/// the others (possibly running at the same time) wait for its result.
pub fn computed(input: &AnalysisInput<'_>) -> Shared {
    static MEMO: Mutex<Vec<(u64, Arc<OnceLock<Shared>>)>> = Mutex::new(Vec::new());
    const KEEP: usize = 8;
    let (settings, _) = settings(input)?;
    let key = fingerprint(input, &settings);
    let cell = {
        let mut memo = MEMO.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match memo.iter().find(|(k, _)| *k == key) {
            Some((_, cell)) => Arc::clone(cell),
            None => {
                let cell = Arc::new(OnceLock::new());
                if memo.len() >= KEEP {
                    memo.remove(0);
                }
                memo.push((key, Arc::clone(&cell)));
                cell
            }
        }
    };
    cell.get_or_init(|| compute(input).map(Arc::new)).clone()
}

/// Reads the rows and forecasts every group (no sharing; see [`computed`]).
pub fn compute(input: &AnalysisInput<'_>) -> Result<Computed, AnalysisError> {
    let (settings, _) = settings(input)?;
    let book = deals::read(input, PARAMETERS)?;
    let results = forecast_all(&book, &settings);
    Ok(Computed {
        book,
        settings,
        results,
    })
}

/// `table T = forecast Source by keys (…)`.
#[derive(Debug)]
pub struct ForecastAnalysis;

/// `table T = forecast_backtest Source by keys (…)`.
#[derive(Debug)]
pub struct BacktestAnalysis;

impl Analysis for ForecastAnalysis {
    fn name(&self) -> &'static str {
        "forecast"
    }
    fn summary(&self) -> &'static str {
        "won revenue per group and month: history, then ETS, weighted pipeline, their blend and an interval"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        FORECAST_OUTPUTS
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let shared = computed(input)?;
        let (settings, history) = settings(input)?;
        Ok(tables::forecast_table(
            input,
            &shared,
            settings.confidence,
            history,
        ))
    }
}

impl Analysis for BacktestAnalysis {
    fn name(&self) -> &'static str {
        "forecast_backtest"
    }
    fn summary(&self) -> &'static str {
        "accuracy (WAPE, MAPE, bias) of each forecast method from rolling origins, against seasonal naive"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        BACKTEST_OUTPUTS
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        let shared = computed(input)?;
        Ok(tables::backtest_table(input, &shared))
    }
}
