//! The forecast of one series of deals and its backtest: ETS (exponential smoothing,
//! trend and season chosen by AICc), the weighted pipeline, their blend and the
//! seasonal-naive baseline, each re-run from rolling origins over the last months so
//! every method's accuracy stands beside its forecast.

use rayon::prelude::*;

use super::deals::{Book, Deal, Unit};
use super::pipeline::{Evidence, Origin, Rates, weighted_pipeline};
use crate::functions::ets::{self, Model};

/// How the season is chosen (Excel's seasonality argument: 1 detect, 0 none, N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    Detect,
    None,
    Length(usize),
}

impl Season {
    /// The season length to use on `y` (0 for none).
    fn period(self, y: &[f64]) -> usize {
        match self {
            Season::Detect => ets::detect_period(y),
            Season::None => 0,
            Season::Length(m) => m,
        }
    }
}

/// What every forecast analysis is asked to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Months forecast after the last complete month.
    pub horizon: usize,
    /// Origins of the backtest: each of the last `backtest` months is forecast from
    /// the months before it.
    pub backtest: usize,
    pub season: Season,
    /// Confidence of the interval (0.95 for 95%).
    pub confidence: f64,
}

/// The fewest months of history ETS is fitted to.
pub const MIN_ETS_MONTHS: usize = 4;
/// Blend weights tried on the backtest (the share of ETS): 0, 0.1, … 1.
const WEIGHT_STEPS: usize = 10;
/// The least share of a month's won revenue the open pipeline must have held (in the
/// backtest) for the blend to use it.
const MIN_COVERAGE: f64 = 0.1;

/// The methods a backtest compares, in the order they are reported.
pub const METHODS: [&str; 4] = ["ETS", "Weighted pipeline", "Blend", "Seasonal naive"];

/// One unit's monthly won revenue and the months of it the models use.
#[derive(Debug, Clone)]
pub struct History {
    /// Won revenue by close month, from the book's export start to its last month.
    pub actual: Vec<f64>,
    /// Index in `actual` of the first month the models use: months before it are still
    /// filling with deals created before the export began.
    pub start: usize,
}

/// Forecasts from one origin, `steps` months ahead each.
#[derive(Debug, Clone, Default)]
pub struct Forecasts {
    pub ets: Vec<f64>,
    pub pipeline: Vec<f64>,
    pub naive: Vec<f64>,
}

/// One backtest origin of one unit.
#[derive(Debug, Clone)]
pub struct BacktestOrigin {
    pub month: i64,
    pub actual: Vec<f64>,
    pub forecasts: Forecasts,
    /// The blend with the weight chosen on the other origins (leave one origin out).
    pub blend: Vec<f64>,
}

/// Everything computed for one unit.
#[derive(Debug, Clone)]
pub struct UnitResult {
    pub history: History,
    /// The ETS model fitted to the whole history (`None` when too short).
    pub model: Option<Model>,
    /// The next `horizon` months.
    pub future: Forecasts,
    pub blend: Vec<f64>,
    /// Half-width of the interval each month (from the ETS model).
    pub half_width: Vec<Option<f64>>,
    /// Share of ETS in the blend for each month ahead, chosen on the backtest.
    pub weights: Vec<f64>,
    /// Whether the weights were chosen on a backtest (else ½, or 0 without ETS).
    pub weight_from_backtest: bool,
    pub backtest: Vec<BacktestOrigin>,
}

/// Monthly won revenue of `deals` by close month, months `first..=last`.
fn revenue(deals: &[Deal], first: i64, last: i64) -> Vec<f64> {
    let len = usize::try_from(last - first + 1).unwrap_or(0);
    let mut out = vec![0.0; len];
    for deal in deals.iter().filter(|d| d.won) {
        if let Some(closed) = deal.closed
            && let Ok(i) = usize::try_from(closed - first)
            && let Some(slot) = out.get_mut(i)
        {
            *slot += deal.amount;
        }
    }
    out
}

/// The first month the models use: the unit's first deal, but not before the export's
/// first month plus the time 75% of won deals take to close (until then a month's
/// revenue still misses deals created before the export began).
fn model_start(deals: &[Deal], own: &Rates, pooled: &Rates, export_start: i64) -> i64 {
    let first = deals
        .iter()
        .map(|d| d.created)
        .min()
        .unwrap_or(export_start);
    let warm_up = own
        .won_life_quantile(0.75)
        .or_else(|| pooled.won_life_quantile(0.75))
        .unwrap_or(0);
    first.max(export_start + warm_up)
}

/// Seasonal naive: the same month one season earlier (the last month when the history
/// is shorter than a season).
fn seasonal_naive(y: &[f64], period: usize, steps: usize) -> Vec<f64> {
    let last = y.last().copied().unwrap_or(0.0);
    (1..=steps)
        .map(|h| {
            if period < 2 || y.len() < period {
                return last;
            }
            let back = period * h.div_ceil(period);
            y.get(y.len() + h - back - 1).copied().unwrap_or(last)
        })
        .collect()
}

/// ETS forecasts (never below zero) and interval half-widths for `steps` months.
fn ets_forecasts(model: &Model, steps: usize, confidence: f64) -> (Vec<f64>, Vec<f64>) {
    (1..=steps)
        .map(|h| (model.forecast(h).max(0.0), model.half_width(h, confidence)))
        .unzip()
}

/// Fits the ETS model the analyses use to a history (`None` when too short).
pub fn fit_history(y: &[f64], season: Season) -> Option<Model> {
    fit_history_from(y, season, &mut ets::Warm::default())
}

/// [`fit_history`] starting from what the same series' previous (one month shorter)
/// fit found: the backtest's origins, in order, then the forecast.
fn fit_history_from(y: &[f64], season: Season, warm: &mut ets::Warm) -> Option<Model> {
    if y.len() < MIN_ETS_MONTHS {
        return None;
    }
    ets::fit_auto_from(y, season.period(y), warm)
}

fn blend(weights: &[f64], ets: &[f64], pipeline: &[f64]) -> Vec<f64> {
    ets.iter()
        .zip(pipeline)
        .enumerate()
        .map(|(h, (e, p))| {
            let w = weights.get(h).copied().unwrap_or(1.0);
            (w * e + (1.0 - w) * p).max(0.0)
        })
        .collect()
}

/// The ETS weight for each month ahead (1 … `horizon`) with the least absolute error
/// over `origins`, the weights never falling as the horizon grows (the open pipeline
/// covers less of a month the further away it is). Chosen by dynamic programming over
/// the weights 0, 0.1, … 1; ties go to the larger weight. A month ahead whose pipeline
/// held less than [`MIN_COVERAGE`] of what was then won in it is left to ETS alone
/// (blending an almost empty pipeline in only scales the forecast down). `None` without
/// any forecast to learn from.
fn best_weights<'a>(
    origins: impl Iterator<Item = &'a BacktestOrigin> + Clone,
    horizon: usize,
) -> Option<Vec<f64>> {
    let levels = WEIGHT_STEPS + 1;
    let mut cost = vec![vec![0.0; levels]; horizon];
    let mut pipeline = vec![0.0; horizon];
    let mut won = vec![0.0; horizon];
    let mut any = false;
    for origin in origins {
        let steps = origin.actual.len().min(horizon);
        for h in 0..steps {
            let (e, p, a) = (
                origin.forecasts.ets[h],
                origin.forecasts.pipeline[h],
                origin.actual[h],
            );
            pipeline[h] += p;
            won[h] += a;
            for (level, slot) in cost[h].iter_mut().enumerate() {
                let w = level as f64 / WEIGHT_STEPS as f64;
                *slot += ((w * e + (1.0 - w) * p).max(0.0) - a).abs();
                any = true;
            }
        }
    }
    if !any || horizon == 0 {
        return None;
    }
    for h in 0..horizon {
        if !(pipeline[h] >= MIN_COVERAGE * won[h] && pipeline[h] > 0.0) {
            for slot in &mut cost[h][..levels - 1] {
                *slot = f64::INFINITY;
            }
        }
    }
    // best[h][l]: least total error of steps 0..=h with step h at level l.
    let mut best = vec![vec![0.0; levels]; horizon];
    for h in 0..horizon {
        let mut running = f64::INFINITY;
        for l in 0..levels {
            let before = if h == 0 {
                0.0
            } else {
                running = running.min(best[h - 1][l]);
                running
            };
            best[h][l] = cost[h][l] + before;
        }
    }
    let pick = |row: &[f64], up_to: usize| -> usize {
        let mut chosen = 0;
        for l in 0..=up_to {
            if row[l] <= row[chosen] + 1e-9 * row[chosen].abs() {
                chosen = l;
            }
        }
        chosen
    };
    let mut weights = vec![0.0; horizon];
    let mut level = pick(&best[horizon - 1], levels - 1);
    for h in (0..horizon).rev() {
        if h + 1 < horizon {
            level = pick(&best[h], level);
        }
        weights[h] = level as f64 / WEIGHT_STEPS as f64;
    }
    Some(weights)
}

/// Forecasts one unit and backtests every method.
pub fn forecast_unit(
    unit: &Unit,
    book: &Book,
    pooled: &[Rates],
    stages: usize,
    settings: &Settings,
) -> UnitResult {
    let last = book.last_month;
    let deals = &unit.deals;
    let snapshot_index = pooled.len().saturating_sub(1);
    let mut own_final = Rates::default();
    own_final.add(deals, book.partial_month.unwrap_or(last));
    let empty = Rates::default();
    let pooled_final = pooled.get(snapshot_index).unwrap_or(&empty);
    let actual = revenue(deals, book.export_start, last);
    let start_month = model_start(deals, &own_final, pooled_final, book.export_start);
    let start = usize::try_from(start_month - book.export_start)
        .unwrap_or(0)
        .min(actual.len());
    let horizon = settings.horizon;

    // Backtest: origins last − backtest … last − 1, in order, each fit starting from the
    // previous one's parameters.
    let mut warm = ets::Warm::default();
    let mut backtest = Vec::new();
    for (k, back) in (1..=settings.backtest).rev().enumerate() {
        let origin = last - back as i64;
        let Ok(end) = usize::try_from(origin - book.export_start) else {
            continue;
        };
        if end < start || end + 1 - start < MIN_ETS_MONTHS {
            continue;
        }
        let y = &actual[start..=end];
        let Some(model) = fit_history_from(y, settings.season, &mut warm) else {
            continue;
        };
        let steps = horizon.min(back);
        let (ets, _) = ets_forecasts(&model, steps, settings.confidence);
        let mut own = Rates::default();
        own.add(deals, origin);
        let evidence = Evidence {
            own: &own,
            pooled: pooled.get(k).unwrap_or(&empty),
        };
        let pipeline = weighted_pipeline(
            deals,
            Origin {
                month: origin,
                snapshot: false,
                booked: None,
            },
            steps,
            &evidence,
            stages,
        );
        let naive_period = match settings.season.period(y) {
            0 | 1 => 1,
            m => m,
        };
        backtest.push(BacktestOrigin {
            month: origin,
            actual: actual[end + 1..=end + steps].to_vec(),
            forecasts: Forecasts {
                ets,
                pipeline,
                naive: seasonal_naive(y, naive_period, steps),
            },
            blend: Vec::new(),
        });
    }
    let chosen = best_weights(backtest.iter(), horizon);
    // Leave one origin out: each origin's blend uses the weights the others choose.
    for i in 0..backtest.len() {
        let weights = best_weights(
            backtest
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| o),
            horizon,
        )
        .unwrap_or_else(|| vec![0.5; horizon]);
        let origin = &backtest[i];
        let mixed = blend(&weights, &origin.forecasts.ets, &origin.forecasts.pipeline);
        backtest[i].blend = mixed;
    }

    // The forecast from the last complete month.
    let model = fit_history_from(&actual[start..], settings.season, &mut warm);
    let (ets, half) = match &model {
        Some(model) => ets_forecasts(model, horizon, settings.confidence),
        None => (Vec::new(), Vec::new()),
    };
    let evidence = Evidence {
        own: &own_final,
        pooled: pooled_final,
    };
    let pipeline = weighted_pipeline(
        deals,
        Origin {
            month: last,
            snapshot: true,
            booked: book.partial_month,
        },
        horizon,
        &evidence,
        stages,
    );
    let (weights, weight_from_backtest) = match (&model, chosen) {
        (None, _) => (vec![0.0; horizon], false),
        (Some(_), Some(w)) => (w, true),
        (Some(_), None) => (vec![0.5; horizon], false),
    };
    let blended = if model.is_some() {
        blend(&weights, &ets, &pipeline)
    } else {
        pipeline.iter().map(|p| p.max(0.0)).collect()
    };
    let period = settings.season.period(&actual[start..]);
    let naive = seasonal_naive(&actual[start..], period.max(1), horizon);
    UnitResult {
        history: History { actual, start },
        half_width: (0..horizon).map(|h| half.get(h).copied()).collect(),
        model,
        future: Forecasts {
            ets,
            pipeline,
            naive,
        },
        blend: blended,
        weights,
        weight_from_backtest,
        backtest,
    }
}

/// Win rates and cycles of all units together at each backtest origin, then at the
/// snapshot (the last entry).
pub fn pooled_rates(book: &Book, settings: &Settings) -> Vec<Rates> {
    let all = || {
        book.groups
            .iter()
            .flat_map(|g| &g.units)
            .flat_map(|u| &u.deals)
    };
    let mut out: Vec<Rates> = (1..=settings.backtest)
        .rev()
        .map(|back| {
            let mut rates = Rates::default();
            rates.add(all(), book.last_month - back as i64);
            rates
        })
        .collect();
    let mut snapshot = Rates::default();
    snapshot.add(all(), book.partial_month.unwrap_or(book.last_month));
    out.push(snapshot);
    out
}

/// Every unit of every group, forecast in parallel.
pub fn forecast_all(book: &Book, settings: &Settings) -> Vec<Vec<UnitResult>> {
    let pooled = pooled_rates(book, settings);
    let stages = book.stages.len();
    book.groups
        .par_iter()
        .map(|group| {
            group
                .units
                .par_iter()
                .map(|unit| forecast_unit(unit, book, &pooled, stages, settings))
                .collect()
        })
        .collect()
}

/// Accuracy of one method over a backtest.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Accuracy {
    /// Σ|forecast − actual| / Σ|actual|.
    pub wape: Option<f64>,
    /// Mean of |forecast − actual| / |actual| over months with revenue.
    pub mape: Option<f64>,
    /// Σ(forecast − actual) / Σ|actual|: above 0 forecasts too high.
    pub bias: Option<f64>,
    /// Month forecasts compared.
    pub forecasts: usize,
}

/// Scores `(forecast, actual)` pairs.
pub fn accuracy(pairs: impl Iterator<Item = (f64, f64)>) -> Accuracy {
    let (mut abs_error, mut error, mut abs_actual) = (0.0, 0.0, 0.0);
    let (mut pct_sum, mut pct_count, mut count) = (0.0, 0usize, 0usize);
    for (f, a) in pairs {
        abs_error += (f - a).abs();
        error += f - a;
        abs_actual += a.abs();
        if a != 0.0 {
            pct_sum += (f - a).abs() / a.abs();
            pct_count += 1;
        }
        count += 1;
    }
    let share = |x: f64| (abs_actual > 0.0).then(|| x / abs_actual);
    Accuracy {
        wape: share(abs_error),
        mape: (pct_count > 0).then(|| pct_sum / pct_count as f64),
        bias: share(error),
        forecasts: count,
    }
}

/// A group's backtest: per origin common to all its units, per step, the sums of the
/// units' actuals and of each method's forecasts (ETS, pipeline, blend, naive).
pub fn group_backtest(units: &[UnitResult]) -> Vec<(i64, Vec<f64>, [Vec<f64>; 4])> {
    let Some(first) = units.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for origin in &first.backtest {
        let matching: Vec<&BacktestOrigin> = units
            .iter()
            .filter_map(|u| u.backtest.iter().find(|o| o.month == origin.month))
            .collect();
        if matching.len() != units.len() {
            continue;
        }
        let steps = origin.actual.len();
        let sum = |pick: &dyn Fn(&BacktestOrigin) -> &Vec<f64>| -> Vec<f64> {
            (0..steps)
                .map(|s| {
                    matching
                        .iter()
                        .map(|o| pick(o).get(s).copied().unwrap_or(0.0))
                        .sum()
                })
                .collect()
        };
        out.push((
            origin.month,
            sum(&|o| &o.actual),
            [
                sum(&|o| &o.forecasts.ets),
                sum(&|o| &o.forecasts.pipeline),
                sum(&|o| &o.blend),
                sum(&|o| &o.forecasts.naive),
            ],
        ));
    }
    out
}

/// Each method's accuracy over a group's backtest, in [`METHODS`] order.
pub fn group_accuracy(units: &[UnitResult]) -> [Accuracy; 4] {
    let origins = group_backtest(units);
    std::array::from_fn(|method| {
        accuracy(origins.iter().flat_map(|(_, actual, forecasts)| {
            forecasts[method]
                .iter()
                .copied()
                .zip(actual.iter().copied())
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_repeats_the_same_month_a_season_back() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(seasonal_naive(&y, 4, 5), vec![3.0, 4.0, 5.0, 6.0, 3.0]);
        assert_eq!(seasonal_naive(&y, 12, 2), vec![6.0, 6.0]);
        assert_eq!(seasonal_naive(&y, 1, 2), vec![6.0, 6.0]);
    }

    #[test]
    fn accuracy_follows_its_definitions() {
        // Errors +10, −20, +5 on actuals 100, 200, 0.
        let a = accuracy([(110.0, 100.0), (180.0, 200.0), (5.0, 0.0)].into_iter());
        assert_eq!(a.wape, Some(35.0 / 300.0));
        assert_eq!(a.mape, Some((0.1 + 0.1) / 2.0));
        assert_eq!(a.bias, Some(-5.0 / 300.0));
        assert_eq!(a.forecasts, 3);
        assert_eq!(accuracy([(1.0, 0.0)].into_iter()).wape, None);
    }
}
