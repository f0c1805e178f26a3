//! The row-level sheets — Opportunities with their Renewals, and Leads — generated and
//! streamed one row at a time, tallying what the summary sheets are scaled from.

use std::fmt::Write as _;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rust_xlsxwriter::Workbook;

use super::catalog::{
    CHANNEL_PROFILES, CHANNELS, CLOSED_LOST, CLOSED_WON, LEAD_STAGES, MONTHS, OPEN_STAGES,
    PRODUCT_PRICE, PRODUCTS, REGIONS, SEGMENT_PROFILES, SEGMENTS, TIER_WIN_FACTOR,
};
use super::sheets::{Columns, Formats, SplitSheet};
use super::world::{Calendar, DECLINING_PARTNER, World, partner_id};
use super::{ModelError, SampleError};

pub const OPPORTUNITY_COLUMNS: Columns = &[
    ("opp_id", 13.0),
    ("account_id", 12.0),
    ("channel", 13.0),
    ("partner_id", 11.0),
    ("segment", 11.0),
    ("region", 8.0),
    ("product", 18.0),
    ("stage", 14.0),
    ("amount", 12.0),
    ("created_date", 12.0),
    ("close_date", 12.0),
    ("lead_source", 19.0),
    ("owner", 17.0),
];
pub const RENEWAL_COLUMNS: Columns = &[
    ("account_id", 12.0),
    ("channel", 13.0),
    ("renewal_date", 13.0),
    ("arr", 12.0),
    ("renewed", 9.0),
];
pub const LEAD_COLUMNS: Columns = &[
    ("lead_id", 14.0),
    ("channel", 13.0),
    ("created_date", 12.0),
    ("stage_reached", 14.0),
];

/// Won business the summary sheets are scaled from.
pub struct Tally {
    /// Won amount and deal count per channel.
    pub bookings: [f64; 6],
    pub wins: [u32; 6],
    /// Won amount and deal count per partner (by rank).
    pub partner_bookings: Vec<f64>,
    pub partner_wins: Vec<u32>,
    /// Won amount per partner (by rank) and calendar quarter of the close date.
    pub partner_quarter_bookings: Vec<[f64; QUARTERS]>,
}

/// Calendar quarters in the window (2024-Q1 … 2026-Q2).
pub const QUARTERS: usize = MONTHS / 3;

/// A number in 0..1 fixed by a row index (a multiplicative hash), for choices that must
/// not draw from the random stream: the stream, and so every other column, stays as it was.
fn fixed_fraction(index: usize) -> f64 {
    let mixed = (index as u64 ^ 0x5DEE_CE66).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 40) as f64 / f64::from(1u32 << 24)
}

/// The large partner in decline (scenarios/data/README.md): from January 2025 a growing
/// share of the deals it would have had goes to the next partner of its region instead,
/// up to 85% by mid-2026. Chosen without random draws, so only `partner_id` changes.
fn declining_partner(
    world: &World,
    partner: Option<usize>,
    month: usize,
    index: usize,
) -> Option<usize> {
    let p = partner?;
    if p != DECLINING_PARTNER || month < 12 {
        return Some(p);
    }
    let moved = (0.05 * (month - 11) as f64).min(0.85);
    match world.decline_successor {
        Some(next) if fixed_fraction(index) < moved => Some(next),
        _ => Some(p),
    }
}

/// `true` with probability `p` (clamped to 0..=1, so a bad rate never panics).
pub fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p.clamp(0.0, 1.0)
}

/// Digits needed so ids sort as text and keep one width (at least `min`).
pub fn id_width(count: usize, min: usize) -> usize {
    count.to_string().len().max(min)
}

fn name(list: &[&'static str], index: usize) -> &'static str {
    list.get(index).copied().unwrap_or("")
}

/// Writes `rows` opportunities and, for every won deal whose anniversary falls before the
/// snapshot, its renewal rows (churned accounts stop renewing).
pub fn write_opportunities(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    rng: &mut ChaCha8Rng,
    rows: usize,
    opportunities: &mut SplitSheet,
    renewals: &mut SplitSheet,
) -> Result<Tally, SampleError> {
    let mut tally = Tally {
        bookings: [0.0; 6],
        wins: [0; 6],
        partner_bookings: vec![0.0; world.partners.len()],
        partner_wins: vec![0; world.partners.len()],
        partner_quarter_bookings: vec![[0.0; QUARTERS]; world.partners.len()],
    };
    let snapshot = world.calendar.snapshot();
    let opp_width = id_width(rows, 6);
    let account_width = id_width(world.accounts.len(), 6);
    let mut opp_id = String::new();
    let mut account_id = String::new();

    for index in 0..rows {
        let (account_index, account) = world.pick_account(rng);
        let (segment, region) = (account.segment, account.region);
        let channel = world.pick_channel(rng, &account);
        let (Some(profile), Some(seg)) =
            (CHANNEL_PROFILES.get(channel), SEGMENT_PROFILES.get(segment))
        else {
            return Err(ModelError::MissingProfile { channel, segment }.into());
        };

        let month = world.pick_month(rng, channel);
        let created = world.calendar.day_in(rng, month);
        let product = world.pick_product(rng, segment);
        let price = PRODUCT_PRICE.get(product).copied().unwrap_or(1.0);
        let z: f64 = rng.sample(StandardNormal);
        let raw_amount =
            seg.median_amount * profile.deal_size * price * (seg.amount_sigma * z).exp();
        let amount = ((raw_amount / 10.0).round() * 10.0).max(250.0);

        let partner = if profile.uses_partner {
            declining_partner(world, world.pick_partner(rng, region), month, index)
        } else {
            None
        };
        let tier_factor = partner
            .and_then(|p| world.partners.get(p))
            .and_then(|p| TIER_WIN_FACTOR.get(p.tier))
            .copied()
            .unwrap_or(1.0);
        let win_rate = (profile.win_rate * seg.win_factor * tier_factor).clamp(0.02, 0.9);
        let cycle_noise: f64 = rng.sample(StandardNormal);
        let cycle = (profile.cycle_days * seg.cycle_factor * (0.45 * cycle_noise).exp())
            .clamp(3.0, 720.0)
            .round();
        let close = created + cycle;
        let is_closed = close <= snapshot;
        let won = is_closed && chance(rng, win_rate);
        let stage = if is_closed {
            if won { CLOSED_WON } else { CLOSED_LOST }
        } else {
            // An open deal's stage follows how much of its cycle has elapsed.
            let progress = (snapshot - created) / cycle;
            let step = ((progress * 4.0).floor().max(0.0) as usize).min(OPEN_STAGES.len() - 1);
            name(&OPEN_STAGES, step)
        };
        let lead_source = world.pick_lead_source(rng, channel);
        let owner = world.pick_owner(rng, channel);

        opp_id.clear();
        let _ = write!(opp_id, "OPP-{:0opp_width$}", index + 1);
        account_id.clear();
        let _ = write!(account_id, "ACC-{:0account_width$}", account_index + 1);

        let mut row = opportunities.next_row(workbook, formats)?;
        row.text(0, &opp_id)?;
        row.text(1, &account_id)?;
        row.text(2, name(&CHANNELS, channel))?;
        if let Some(p) = partner {
            row.text(3, &partner_id(p))?;
        }
        row.text(4, name(&SEGMENTS, segment))?;
        row.text(5, name(&REGIONS, region))?;
        row.text(6, name(&PRODUCTS, product))?;
        row.text(7, stage)?;
        row.whole(8, amount)?;
        row.date(9, created)?;
        if is_closed {
            row.date(10, close)?;
        }
        row.text(11, lead_source)?;
        row.text(12, owner)?;

        if won {
            if let (Some(b), Some(w)) =
                (tally.bookings.get_mut(channel), tally.wins.get_mut(channel))
            {
                *b += amount;
                *w += 1;
            }
            if let Some(p) = partner {
                if let Some(b) = tally.partner_bookings.get_mut(p) {
                    *b += amount;
                }
                if let Some(w) = tally.partner_wins.get_mut(p) {
                    *w += 1;
                }
                let quarter = world.calendar.month_of(close).map(|m| m / 3);
                if let Some(b) = quarter.and_then(|q| {
                    tally
                        .partner_quarter_bookings
                        .get_mut(p)
                        .and_then(|row| row.get_mut(q))
                }) {
                    *b += amount;
                }
            }
            let churn = profile.churn * seg.churn_factor;
            write_renewals(
                workbook,
                formats,
                rng,
                renewals,
                &account_id,
                channel,
                close,
                amount,
                churn,
                snapshot,
            )?;
        }
    }
    Ok(tally)
}

/// Yearly renewals of one won deal up to the snapshot; the amount is first-year ARR and
/// grows 0-8% at each renewal.
#[allow(clippy::too_many_arguments)]
fn write_renewals(
    workbook: &mut Workbook,
    formats: &Formats,
    rng: &mut ChaCha8Rng,
    renewals: &mut SplitSheet,
    account_id: &str,
    channel: usize,
    close: f64,
    first_year_arr: f64,
    churn: f64,
    snapshot: f64,
) -> Result<(), SampleError> {
    let mut arr = first_year_arr;
    for year in 1..=5 {
        let Some(renewal_date) = Calendar::add_years(close, year) else {
            break;
        };
        if renewal_date > snapshot {
            break;
        }
        let renewed = !chance(rng, churn);
        let mut row = renewals.next_row(workbook, formats)?;
        row.text(0, account_id)?;
        row.text(1, name(&CHANNELS, channel))?;
        row.date(2, renewal_date)?;
        row.whole(3, arr)?;
        row.boolean(4, renewed)?;
        if !renewed {
            break;
        }
        arr = (arr * (1.0 + rng.random_range(0.0..0.08))).round();
    }
    Ok(())
}

/// Writes `count` leads: each channel's leads arrive with its spend and seasonality and
/// convert through MQL → SQL → Opportunity → Won at the channel's rates.
pub fn write_leads(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    rng: &mut ChaCha8Rng,
    count: usize,
    leads: &mut SplitSheet,
) -> Result<(), SampleError> {
    let width = id_width(count, 7);
    let mut lead_id = String::new();
    for index in 0..count {
        let channel = world.pick_lead_channel(rng);
        let Some(profile) = CHANNEL_PROFILES.get(channel) else {
            return Err(ModelError::MissingChannel(channel).into());
        };
        let month = world.pick_month(rng, channel);
        let created = world.calendar.day_in(rng, month);
        let mut reached = 0;
        if chance(rng, profile.lead_to_sql) {
            reached = 1;
            if chance(rng, profile.sql_to_opportunity) {
                reached = 2;
                if chance(rng, profile.win_rate) {
                    reached = 3;
                }
            }
        }
        lead_id.clear();
        let _ = write!(lead_id, "LEAD-{:0width$}", index + 1);
        let mut row = leads.next_row(workbook, formats)?;
        row.text(0, &lead_id)?;
        row.text(1, name(&CHANNELS, channel))?;
        row.date(2, created)?;
        row.text(3, name(&LEAD_STAGES, reached))?;
    }
    Ok(())
}
