//! The summary sheets (Partners, Costs, Headcount, PartnerTargets, Benchmarks, SegmentDemand),
//! built from the drawn world and the won business tallied while writing opportunities.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rust_xlsxwriter::Workbook;

use super::SampleError;
use super::catalog::{
    BENCHMARK_METRICS, BENCHMARKS, CHANNEL_PROFILES, CHANNELS, COST_TYPES, FIRST_YEAR, MONTHS,
    REGIONS, SEGMENT_PROFILES, SEGMENTS,
};
use super::rows::Tally;
use super::sheets::{Columns, Formats, SplitSheet};
use super::world::{World, partner_id, partner_name, tier_name};

pub const PARTNER_COLUMNS: Columns = &[
    ("partner_id", 11.0),
    ("partner_name", 26.0),
    ("tier", 11.0),
    ("region", 8.0),
    ("certified_reps", 14.0),
    ("mdf_budget", 12.0),
    ("joined_date", 12.0),
];
pub const COST_COLUMNS: Columns = &[
    ("month", 12.0),
    ("channel", 13.0),
    ("cost_type", 12.0),
    ("amount", 14.0),
];
pub const HEADCOUNT_COLUMNS: Columns = &[
    ("month", 12.0),
    ("channel", 13.0),
    ("headcount", 11.0),
    ("quota", 14.0),
];
pub const PARTNER_TARGET_COLUMNS: Columns = &[
    ("partner_id", 11.0),
    ("quarter", 10.0),
    ("revenue_target", 15.0),
    ("deals_target", 12.0),
    ("certified_reps_target", 20.0),
];
pub const BENCHMARK_COLUMNS: Columns = &[("channel", 13.0), ("metric", 18.0), ("value", 12.0)];
pub const SEGMENT_DEMAND_COLUMNS: Columns = &[
    ("segment", 12.0),
    ("region", 8.0),
    ("addressable_accounts", 20.0),
    ("annual_demand", 16.0),
];

/// One value of a channel × month table.
fn cell(table: &[[f64; MONTHS]; 6], channel: usize, month: usize) -> f64 {
    table
        .get(channel)
        .and_then(|row| row.get(month))
        .copied()
        .unwrap_or(0.0)
}

fn channel_name(channel: usize) -> &'static str {
    CHANNELS.get(channel).copied().unwrap_or("")
}

pub fn write_partners(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    for (index, partner) in world.partners.iter().enumerate() {
        let mut row = sheet.next_row(workbook, formats)?;
        row.text(0, &partner_id(index))?;
        row.text(1, &partner_name(index))?;
        row.text(2, tier_name(partner.tier))?;
        row.text(3, REGIONS.get(partner.region).copied().unwrap_or(""))?;
        row.whole(4, f64::from(partner.certified_reps))?;
        row.whole(5, partner.mdf_budget)?;
        row.date(6, partner.joined)?;
    }
    Ok(())
}

/// Monthly cost of each channel: the spend index times a channel scale chosen so that the
/// channel's won revenue per unit of cost matches its profile, split over cost types.
/// Returns the Headcount cost per channel and month (the Headcount sheet is derived from it).
pub fn write_costs(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    tally: &Tally,
    rng: &mut ChaCha8Rng,
    sheet: &mut SplitSheet,
) -> Result<[[f64; MONTHS]; 6], SampleError> {
    let mut scale = [0.0; 6];
    for (channel, s) in scale.iter_mut().enumerate() {
        let profile = CHANNEL_PROFILES.get(channel);
        let ratio = profile.map_or(1.0, |p| p.revenue_per_cost);
        // A floor keeps costs positive when a tiny sample has no wins in a channel.
        let bookings = tally
            .bookings
            .get(channel)
            .copied()
            .unwrap_or(0.0)
            .max(10_000.0);
        let spend_total: f64 = world.spend_index[channel].iter().sum();
        *s = bookings / ratio / spend_total.max(f64::MIN_POSITIVE);
    }
    let mut headcount_cost = [[0.0; MONTHS]; 6];
    for m in 0..MONTHS {
        for (channel, profile) in CHANNEL_PROFILES.iter().enumerate() {
            let total = scale[channel] * cell(&world.spend_index, channel, m);
            for (t, cost_type) in COST_TYPES.iter().enumerate() {
                let noise: f64 = rng.sample(StandardNormal);
                let share = profile.cost_mix.get(t).copied().unwrap_or(0.0);
                let amount = (total * share * (0.05 * noise).exp() * 100.0).round() / 100.0;
                if t == 0
                    && let Some(slot) = headcount_cost.get_mut(channel).and_then(|r| r.get_mut(m))
                {
                    *slot = amount;
                }
                let mut row = sheet.next_row(workbook, formats)?;
                row.date(0, world.calendar.month_start(m))?;
                row.text(1, channel_name(channel))?;
                row.text(2, cost_type)?;
                row.cents(3, amount)?;
            }
        }
    }
    Ok(headcount_cost)
}

/// Heads per channel and month from the Headcount cost; quota per head is set 20% above
/// what the channel's reps actually closed on average.
pub fn write_headcount(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    tally: &Tally,
    headcount_cost: &[[f64; MONTHS]; 6],
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    let mut heads = [[0.0; MONTHS]; 6];
    for ((row, costs), profile) in heads.iter_mut().zip(headcount_cost).zip(&CHANNEL_PROFILES) {
        *row = costs.map(|c| (c / profile.loaded_cost_per_head).round().max(1.0));
    }
    let mut quota_per_head = [0.0; 6];
    for (channel, (q, row)) in quota_per_head.iter_mut().zip(&heads).enumerate() {
        let head_months: f64 = row.iter().sum();
        let bookings = tally.bookings.get(channel).copied().unwrap_or(0.0);
        *q = ((1.2 * bookings / head_months.max(1.0)) / 1000.0)
            .round()
            .max(1.0)
            * 1000.0;
    }
    for m in 0..MONTHS {
        for (channel, quota) in quota_per_head.iter().enumerate() {
            let mut row = sheet.next_row(workbook, formats)?;
            row.date(0, world.calendar.month_start(m))?;
            row.text(1, channel_name(channel))?;
            let head = cell(&heads, channel, m);
            row.whole(2, head)?;
            row.whole(3, head * quota)?;
        }
    }
    Ok(())
}

/// Quarterly targets per partner, labelled `2024-Q1` …: revenue and deals set from the
/// partner's average quarter with planned growth and negotiation noise, a floor by tier,
/// and a certification goal that rises through the period.
pub fn write_partner_targets(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    tally: &Tally,
    rng: &mut ChaCha8Rng,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    const QUARTERS: usize = MONTHS / 3;
    const REVENUE_FLOOR: [f64; 4] = [50_000.0, 20_000.0, 5_000.0, 1_000.0];
    const REPS_GROWTH: [f64; 4] = [6.0, 4.0, 2.0, 1.0];
    for (index, partner) in world.partners.iter().enumerate() {
        let bookings = tally.partner_bookings.get(index).copied().unwrap_or(0.0);
        let wins = f64::from(tally.partner_wins.get(index).copied().unwrap_or(0));
        let floor = REVENUE_FLOOR.get(partner.tier).copied().unwrap_or(1_000.0);
        let reps_growth = REPS_GROWTH.get(partner.tier).copied().unwrap_or(1.0);
        for q in 0..QUARTERS {
            let growth = 0.85 + 0.03 * q as f64;
            let z: f64 = rng.sample(StandardNormal);
            let noise = (0.2 * z).exp();
            let revenue = ((bookings / QUARTERS as f64 * growth * noise).max(floor) / 1000.0)
                .round()
                * 1000.0;
            let deals = (wins / QUARTERS as f64 * growth * noise).round().max(1.0);
            let reps = f64::from(partner.certified_reps)
                + (reps_growth * (q + 1) as f64 / QUARTERS as f64).ceil();
            let label = format!("{}-Q{}", FIRST_YEAR + (q / 4) as i32, q % 4 + 1);
            let mut row = sheet.next_row(workbook, formats)?;
            row.text(0, &partner_id(index))?;
            row.text(1, &label)?;
            row.whole(2, revenue)?;
            row.whole(3, deals)?;
            row.whole(4, reps)?;
        }
    }
    Ok(())
}

pub fn write_benchmarks(
    workbook: &mut Workbook,
    formats: &Formats,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    for (channel, values) in BENCHMARKS.iter().enumerate() {
        for (metric, value) in BENCHMARK_METRICS.iter().zip(values.iter()) {
            let mut row = sheet.next_row(workbook, formats)?;
            row.text(0, channel_name(channel))?;
            row.text(1, metric)?;
            row.decimal(2, *value)?;
        }
    }
    Ok(())
}

/// The market behind each segment × region: how many accounts could buy (our accounts are a
/// segment-typical share of them) and what they spend a year in total (addressable accounts
/// times a typical annual contract), the ceiling an allocation plan cannot sell beyond.
pub fn write_segment_demand(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    rng: &mut ChaCha8Rng,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    // Our share of the accounts in each segment (large accounts are easier to find).
    const PENETRATION: [f64; 3] = [0.08, 0.04, 0.015];
    let mut accounts = [[0usize; 4]; 3];
    for account in &world.accounts {
        if let Some(n) = accounts
            .get_mut(account.segment)
            .and_then(|r| r.get_mut(account.region))
        {
            *n += 1;
        }
    }
    for (segment, (row_counts, profile)) in accounts.iter().zip(&SEGMENT_PROFILES).enumerate() {
        let penetration = PENETRATION.get(segment).copied().unwrap_or(0.05);
        for (region, count) in row_counts.iter().enumerate() {
            let z: f64 = rng.sample(StandardNormal);
            let addressable = ((*count).max(1) as f64 / penetration * (0.15 * z).exp()).round();
            let demand = (addressable * profile.median_amount * 1.2 / 1000.0).round() * 1000.0;
            let mut row = sheet.next_row(workbook, formats)?;
            row.text(0, SEGMENTS.get(segment).copied().unwrap_or(""))?;
            row.text(1, REGIONS.get(region).copied().unwrap_or(""))?;
            row.whole(2, addressable)?;
            row.whole(3, demand)?;
        }
    }
    Ok(())
}
