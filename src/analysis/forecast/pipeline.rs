//! The weighted-pipeline forecast at one origin: every deal open at the end of the
//! origin month, times the historical win rate of deals that stayed open as long, placed
//! in its expected close month (created month + the median cycle of won deals).
//!
//! A CRM export holds each deal's current stage only, not its stage history, so "the win
//! rate from a stage" is read through age: a stage's deals have been open about as long
//! as the median age of the deals in it now, and the win rate from there is the share
//! won among closed deals that stayed open at least that long. In a backtest the stage a
//! deal had at a past origin is unknown, so each deal's own age at the origin is used.

use super::deals::Deal;

/// Prior weight (in deals) that pulls a rate measured on few deals towards the wider
/// rate: a group with 10 closed deals trusts its own rate half.
const PRIOR_DEALS: f64 = 10.0;

/// Closed deals by lifetime (months from created month to close month), as known at
/// one origin.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    won: Vec<f64>,
    closed: Vec<f64>,
    total_won: f64,
    total_closed: f64,
}

impl Rates {
    /// The deals among `deals` that closed by month `known_through`.
    pub fn add<'a>(&mut self, deals: impl IntoIterator<Item = &'a Deal>, known_through: i64) {
        for deal in deals {
            let (Some(closed), Some(life)) = (deal.closed, deal.lifetime()) else {
                continue;
            };
            if closed > known_through || life < 0 {
                continue;
            }
            let life = usize::try_from(life).unwrap_or(0);
            if self.closed.len() <= life {
                self.closed.resize(life + 1, 0.0);
                self.won.resize(life + 1, 0.0);
            }
            self.closed[life] += deal.count;
            self.total_closed += deal.count;
            if deal.won {
                self.won[life] += deal.count;
                self.total_won += deal.count;
            }
        }
    }

    /// Won share of all closed deals (0 when none closed).
    pub fn win_rate(&self) -> f64 {
        if self.total_closed > 0.0 {
            self.total_won / self.total_closed
        } else {
            0.0
        }
    }

    /// (won, closed) among deals that lived longer than `age` months.
    fn surviving(&self, age: i64) -> (f64, f64) {
        let from = usize::try_from(age.saturating_add(1)).unwrap_or(0);
        let won = self.won.iter().skip(from).sum();
        let closed = self.closed.iter().skip(from).sum();
        (won, closed)
    }

    /// The median lifetime of won deals that lived longer than `age` (all with −1).
    fn median_won_life(&self, age: i64) -> Option<i64> {
        let from = usize::try_from(age.saturating_add(1)).unwrap_or(0);
        let total: f64 = self.won.iter().skip(from).sum();
        if total <= 0.0 {
            return None;
        }
        let mut seen = 0.0;
        for (life, count) in self.won.iter().enumerate().skip(from) {
            seen += count;
            if seen >= total / 2.0 {
                return i64::try_from(life).ok();
            }
        }
        None
    }

    /// The lifetime below which `share` of won deals closed (weighted quantile).
    pub fn won_life_quantile(&self, share: f64) -> Option<i64> {
        if self.total_won <= 0.0 {
            return None;
        }
        let mut seen = 0.0;
        for (life, count) in self.won.iter().enumerate() {
            seen += count;
            if seen >= share * self.total_won {
                return i64::try_from(life).ok();
            }
        }
        None
    }
}

/// Where the pipeline is read from.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// The last month of history.
    pub month: i64,
    /// The as-of snapshot (deals' current stages apply), not a past origin.
    pub snapshot: bool,
    /// A month after `month` whose won deals are already booked (the as-of month when
    /// `as_of` falls inside it).
    pub booked: Option<i64>,
}

/// Win rates and cycles of one unit at one origin, with the pooled ones behind them.
pub struct Evidence<'a> {
    pub own: &'a Rates,
    pub pooled: &'a Rates,
}

impl Evidence<'_> {
    /// The chance a deal still open at `age` months is won.
    fn win_chance(&self, age: i64) -> f64 {
        let pooled = self.pooled.win_rate();
        let own =
            (self.own.total_won + PRIOR_DEALS * pooled) / (self.own.total_closed + PRIOR_DEALS);
        let (won, closed) = self.own.surviving(age);
        (won + PRIOR_DEALS * own) / (closed + PRIOR_DEALS)
    }

    fn median_won_life(&self, age: i64) -> Option<i64> {
        self.own
            .median_won_life(age)
            .or_else(|| self.pooled.median_won_life(age))
    }
}

/// The expected revenue of the deals open at `origin`, month by month for `horizon`
/// months after it. `stages` is how many distinct stages the rows name.
pub fn weighted_pipeline(
    deals: &[Deal],
    origin: Origin,
    horizon: usize,
    evidence: &Evidence<'_>,
    stages: usize,
) -> Vec<f64> {
    let mut out = vec![0.0; horizon];
    let o = origin.month;
    let is_open = |deal: &Deal| {
        if origin.snapshot {
            deal.closed.is_none()
        } else {
            deal.created <= o && deal.closed.is_none_or(|c| c > o)
        }
    };
    // At the snapshot, a stage stands for the median age of its open deals.
    let stage_age: Vec<Option<i64>> = if origin.snapshot && stages > 0 {
        let mut ages: Vec<Vec<(i64, f64)>> = vec![Vec::new(); stages];
        for deal in deals.iter().filter(|d| is_open(d)) {
            if let Some(stage) = deal.stage.and_then(|s| ages.get_mut(s)) {
                stage.push(((o - deal.created).max(0), deal.count));
            }
        }
        ages.into_iter()
            .map(|mut a| weighted_median(&mut a))
            .collect()
    } else {
        Vec::new()
    };
    let median = evidence.median_won_life(-1);
    for deal in deals {
        if let (Some(booked), Some(closed)) = (origin.booked, deal.closed) {
            if closed == booked
                && deal.won
                && let Some(step) = step_of(booked - o, horizon)
            {
                out[step] += deal.amount;
            }
            continue;
        }
        if !is_open(deal) {
            continue;
        }
        let age = (o - deal.created).max(0);
        let rate_age = deal
            .stage
            .and_then(|s| stage_age.get(s).copied().flatten())
            .unwrap_or(age);
        let chance = evidence.win_chance(rate_age);
        let mut close = median.map(|m| deal.created + m);
        if close.is_none_or(|c| c <= o) {
            close = evidence.median_won_life(age).map(|m| deal.created + m);
        }
        let close = close.filter(|c| *c > o).unwrap_or(o + 1);
        if let Some(step) = step_of(close - o, horizon) {
            out[step] += deal.amount * chance;
        }
    }
    out
}

/// Index of `ahead` months after the origin in a horizon (1 → 0), if inside it.
fn step_of(ahead: i64, horizon: usize) -> Option<usize> {
    let ahead = usize::try_from(ahead).ok()?;
    (1..=horizon).contains(&ahead).then(|| ahead - 1)
}

/// The weighted median of `(value, weight)` pairs.
fn weighted_median(pairs: &mut [(i64, f64)]) -> Option<i64> {
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    pairs.sort_by_key(|p| p.0);
    let mut seen = 0.0;
    for (value, weight) in pairs.iter() {
        seen += weight;
        if seen >= total / 2.0 {
            return Some(*value);
        }
    }
    pairs.last().map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(created: i64, closed: Option<i64>, won: bool, amount: f64, count: f64) -> Deal {
        Deal {
            created,
            closed,
            won,
            amount,
            count,
            stage: None,
        }
    }

    #[test]
    fn open_deals_are_weighted_and_placed_as_worked_by_hand() {
        // The channel's closed deals, all created in month 0: two won after 1 month, two
        // lost after 1, one won after 3, one lost after 4. Other channels add four deals
        // lost in their first month, so the pooled win rate is 3/10.
        let history = [
            deal(0, Some(1), true, 0.0, 2.0),
            deal(0, Some(1), false, 0.0, 2.0),
            deal(0, Some(3), true, 0.0, 1.0),
            deal(0, Some(4), false, 0.0, 1.0),
        ];
        let mut own = Rates::default();
        own.add(&history, 10);
        let mut pooled = own.clone();
        pooled.add(&[deal(5, Some(5), false, 0.0, 4.0)], 10);
        assert_eq!(pooled.win_rate(), 0.3);
        let evidence = Evidence {
            own: &own,
            pooled: &pooled,
        };
        // Origin month 10. Open: A created in month 8 (2 months old, 1000), B in month 9
        // (1 month old, 500), C in month 10 (new, 100).
        let open = [
            deal(8, None, false, 1000.0, 1.0),
            deal(9, None, false, 500.0, 1.0),
            deal(10, None, false, 100.0, 1.0),
        ];
        let deals: Vec<Deal> = history.iter().chain(&open).cloned().collect();
        let origin = Origin {
            month: 10,
            snapshot: true,
            booked: None,
        };
        let out = weighted_pipeline(&deals, origin, 3, &evidence, 0);
        // The channel's rate, leaning on the pooled one with 10 deals' weight:
        // (3 + 10 × 0.3) / (6 + 10) = 0.375. A deal open at age a: among closed deals
        // that lived longer than a, (won + 10 × 0.375) / (closed + 10).
        let channel = (3.0 + 10.0 * 0.3) / 16.0;
        let older_than_1 = (1.0 + 10.0 * channel) / (2.0 + 10.0); // lives 3 and 4
        let older_than_0 = (3.0 + 10.0 * channel) / (6.0 + 10.0); // every closed deal
        // Median won life is 1 month (2 of 3 won deals): C closes in month 11. A and B are
        // past it; the median of won deals that lived longer than their age is 3 months:
        // A in month 11, B in month 12.
        let want = [
            1000.0 * older_than_1 + 100.0 * older_than_0,
            500.0 * older_than_1,
            0.0,
        ];
        for (got, want) in out.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{out:?} against {want}");
        }
    }
}
