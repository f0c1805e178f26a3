//! The sample business drawn once per seed: calendar, accounts, partners, sales reps,
//! monthly spend per channel and the samplers every generated row draws from.

use chrono::Months;
use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::catalog::{
    CHANNEL_BY_SEGMENT, CHANNEL_PROFILES, CHANNELS, FIRST_NAMES, FIRST_YEAR, LAST_NAMES, MONTHS,
    PARTNER_CORES, PARTNER_PREFIXES, PARTNER_SUFFIXES, REGION_WEIGHTS, REGIONS, SEGMENT_PROFILES,
    SEGMENT_WEIGHTS, TIERS,
};
use super::{ModelError, SampleError};
use crate::value::datetime::{date_from_serial, serial_from_date, serial_from_ymd};

/// The 30 monthly periods as Excel date serials, and the snapshot date.
pub struct Calendar {
    /// First day of each month, plus the first day after the window.
    month_starts: Vec<f64>,
}

impl Calendar {
    pub fn new() -> Result<Self, SampleError> {
        let month_starts = (0..=MONTHS)
            .map(|m| {
                let year = FIRST_YEAR + (m / 12) as i32;
                let month = (m % 12) as u32 + 1;
                serial_from_ymd(year, month, 1).ok_or(ModelError::NoMonthStart { year, month })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Calendar { month_starts })
    }

    /// First day of month `m` (0-based from January 2024).
    pub fn month_start(&self, m: usize) -> f64 {
        self.month_starts.get(m).copied().unwrap_or_default()
    }

    pub fn days_in_month(&self, m: usize) -> u32 {
        (self.month_start(m + 1) - self.month_start(m)).max(1.0) as u32
    }

    /// The month (0-based from January 2024) a date falls in, if inside the window.
    pub fn month_of(&self, serial: f64) -> Option<usize> {
        let after = self.month_starts.partition_point(|&start| start <= serial);
        (1..=MONTHS).contains(&after).then(|| after - 1)
    }

    /// The CRM snapshot date: the last day of the window (2026-06-30).
    pub fn snapshot(&self) -> f64 {
        self.month_start(MONTHS) - 1.0
    }

    /// A random day within month `m`.
    pub fn day_in(&self, rng: &mut ChaCha8Rng, m: usize) -> f64 {
        self.month_start(m) + f64::from(rng.random_range(0..self.days_in_month(m)))
    }

    /// The same calendar day `years` later (Feb 29 becomes Feb 28).
    pub fn add_years(serial: f64, years: u32) -> Option<f64> {
        let date = date_from_serial(serial)?;
        date.checked_add_months(Months::new(12 * years))
            .map(serial_from_date)
    }
}

/// An account: its segment, region and usual channel (indices into the catalog).
#[derive(Clone, Copy)]
pub struct Account {
    pub segment: usize,
    pub region: usize,
    pub home_channel: usize,
}

/// Share of an account's deals that come through its usual channel; the rest follow the
/// segment's channel mix, which is where cross-channel overlap comes from.
const HOME_CHANNEL_SHARE: f64 = 0.8;

/// A partner; partners are ranked by size (index 0 is the largest).
pub struct Partner {
    pub region: usize,
    pub tier: usize,
    pub certified_reps: u32,
    pub mdf_budget: f64,
    pub joined: f64,
}

/// The rank of the large partner whose deals fade from 2025 (P-00002, the largest in
/// APAC); see `rows::declining_partner`.
pub const DECLINING_PARTNER: usize = 1;

/// Everything drawn once per seed.
pub struct World {
    pub calendar: Calendar,
    pub accounts: Vec<Account>,
    pub partners: Vec<Partner>,
    /// The partner that wins the deals the declining partner loses: the next-ranked
    /// partner of its region (none when it is alone there).
    pub decline_successor: Option<usize>,
    /// Partners of each region, and a Zipf-like sampler over them (bigger partners win more deals).
    partners_by_region: Vec<(Vec<usize>, Option<WeightedIndex<f64>>)>,
    /// Relative monthly spend per channel (about 1.0; costs are this times a channel scale).
    pub spend_index: [[f64; MONTHS]; 6],
    /// P(created month | channel): the Hill response to that month's spend times seasonality.
    month_by_channel: Vec<WeightedIndex<f64>>,
    channel_by_segment: Vec<WeightedIndex<f64>>,
    product_by_segment: Vec<WeightedIndex<f64>>,
    source_by_channel: Vec<WeightedIndex<f64>>,
    lead_channel: WeightedIndex<f64>,
    /// Sales reps (owners) per channel.
    reps: Vec<Vec<String>>,
}

fn weighted(weights: &[f64], what: &'static str) -> Result<WeightedIndex<f64>, SampleError> {
    WeightedIndex::new(weights.iter().copied())
        .map_err(|source| ModelError::BadWeights { what, source }.into())
}

/// Seasonality of new pipeline: quarter-end months peak, Q4 is the strongest quarter,
/// and the business grows about 1.2% a month.
pub fn seasonality(m: usize) -> f64 {
    let month_of_year = m % 12;
    let quarter_position = [1.0, 1.05, 1.35][month_of_year % 3];
    let q4 = if month_of_year >= 9 { 1.12 } else { 1.0 };
    quarter_position * q4 * 1.012f64.powf(m as f64)
}

impl World {
    pub fn new(rng: &mut ChaCha8Rng, rows: usize) -> Result<Self, SampleError> {
        let calendar = Calendar::new()?;

        let segment_picker = weighted(&SEGMENT_WEIGHTS, "segments")?;
        let region_picker = weighted(&REGION_WEIGHTS, "regions")?;
        let account_count = (rows / 5).max(1);
        let channel_by_segment: Vec<WeightedIndex<f64>> = CHANNEL_BY_SEGMENT
            .iter()
            .map(|w| weighted(w, "channels"))
            .collect::<Result<_, _>>()?;
        let accounts = (0..account_count)
            .map(|_| {
                let segment = segment_picker.sample(rng);
                Account {
                    segment,
                    region: region_picker.sample(rng),
                    home_channel: channel_by_segment.get(segment).map_or(0, |d| d.sample(rng)),
                }
            })
            .collect();

        let partners = draw_partners(rng, rows, &calendar, &region_picker);
        let mut partners_by_region = Vec::with_capacity(REGIONS.len());
        for region in 0..REGIONS.len() {
            let members: Vec<usize> = (0..partners.len())
                .filter(|&p| partners.get(p).is_some_and(|x| x.region == region))
                .collect();
            // Zipf-like sizes: the partner ranked r gets weight 1 / r^1.1.
            let picker = if members.is_empty() {
                None
            } else {
                let weights: Vec<f64> = members
                    .iter()
                    .map(|&p| 1.0 / ((p + 1) as f64).powf(1.1))
                    .collect();
                Some(weighted(&weights, "partners")?)
            };
            partners_by_region.push((members, picker));
        }

        let decline_successor = partners.get(DECLINING_PARTNER).and_then(|d| {
            (DECLINING_PARTNER + 1..partners.len())
                .find(|&p| partners.get(p).is_some_and(|x| x.region == d.region))
        });

        let mut spend_index = [[0.0; MONTHS]; 6];
        for (channel, row) in spend_index.iter_mut().enumerate() {
            let growth = CHANNEL_PROFILES
                .get(channel)
                .map_or(0.0, |p| p.spend_growth);
            for (m, cell) in row.iter_mut().enumerate() {
                let level = 1.0 + growth * (m as f64 / (MONTHS - 1) as f64 - 0.5);
                let noise: f64 = rng.sample(StandardNormal);
                // Quarter-end programmes push spend up; noise spreads the points so a
                // response curve can be fitted.
                let quarter_end = if m % 3 == 2 { 1.1 } else { 1.0 };
                *cell = level * (0.25 * noise).exp() * quarter_end;
            }
        }

        let mut month_by_channel = Vec::with_capacity(CHANNELS.len());
        for (channel, profile) in CHANNEL_PROFILES.iter().enumerate() {
            let weights: Vec<f64> = (0..MONTHS)
                .map(|m| {
                    let spend = spend_index[channel][m];
                    let response = spend.powf(profile.hill_shape)
                        / (spend.powf(profile.hill_shape)
                            + profile.hill_half.powf(profile.hill_shape));
                    response * seasonality(m)
                })
                .collect();
            month_by_channel.push(weighted(&weights, "months")?);
        }

        let product_by_segment = SEGMENT_PROFILES
            .iter()
            .map(|s| weighted(&s.product_weights, "products"))
            .collect::<Result<_, _>>()?;
        let source_by_channel = CHANNEL_PROFILES
            .iter()
            .map(|p| {
                let w: Vec<f64> = p.lead_sources.iter().map(|(_, w)| *w).collect();
                weighted(&w, "lead sources")
            })
            .collect::<Result<_, _>>()?;
        let lead_shares: Vec<f64> = CHANNEL_PROFILES.iter().map(|p| p.lead_share).collect();
        let lead_channel = weighted(&lead_shares, "lead channels")?;

        Ok(World {
            calendar,
            accounts,
            partners,
            decline_successor,
            partners_by_region,
            spend_index,
            month_by_channel,
            channel_by_segment,
            product_by_segment,
            source_by_channel,
            lead_channel,
            reps: rep_rosters(rows),
        })
    }

    /// A random account (uniform, so accounts recur about five times) and its index.
    pub fn pick_account(&self, rng: &mut ChaCha8Rng) -> (usize, Account) {
        let index = rng.random_range(0..self.accounts.len().max(1));
        let account = self.accounts.get(index).copied().unwrap_or(Account {
            segment: 0,
            region: 0,
            home_channel: 0,
        });
        (index, account)
    }

    /// The channel of a new deal with this account: usually its home channel.
    pub fn pick_channel(&self, rng: &mut ChaCha8Rng, account: &Account) -> usize {
        if rng.random::<f64>() < HOME_CHANNEL_SHARE {
            return account.home_channel;
        }
        self.channel_by_segment
            .get(account.segment)
            .map_or(0, |d| d.sample(rng))
    }

    pub fn pick_month(&self, rng: &mut ChaCha8Rng, channel: usize) -> usize {
        self.month_by_channel
            .get(channel)
            .map_or(0, |d| d.sample(rng))
    }

    pub fn pick_product(&self, rng: &mut ChaCha8Rng, segment: usize) -> usize {
        self.product_by_segment
            .get(segment)
            .map_or(0, |d| d.sample(rng))
    }

    pub fn pick_lead_source(&self, rng: &mut ChaCha8Rng, channel: usize) -> &'static str {
        let profile = CHANNEL_PROFILES.get(channel);
        let index = self
            .source_by_channel
            .get(channel)
            .map_or(0, |d| d.sample(rng));
        profile
            .and_then(|p| p.lead_sources.get(index))
            .map_or("Inbound Web", |(name, _)| name)
    }

    pub fn pick_lead_channel(&self, rng: &mut ChaCha8Rng) -> usize {
        self.lead_channel.sample(rng)
    }

    /// A partner in the deal's region, bigger partners more often; `None` only when no
    /// partner works in that region.
    pub fn pick_partner(&self, rng: &mut ChaCha8Rng, region: usize) -> Option<usize> {
        let (members, picker) = self.partners_by_region.get(region)?;
        let picker = picker.as_ref()?;
        members.get(picker.sample(rng)).copied()
    }

    pub fn pick_owner(&self, rng: &mut ChaCha8Rng, channel: usize) -> &str {
        let Some(reps) = self.reps.get(channel) else {
            return "";
        };
        let index = rng.random_range(0..reps.len().max(1));
        reps.get(index).map_or("", String::as_str)
    }
}

/// Partners ranked by size: tiers by rank, certified reps and MDF by tier, larger partners
/// joined earlier. Every region gets at least one partner.
fn draw_partners(
    rng: &mut ChaCha8Rng,
    rows: usize,
    calendar: &Calendar,
    region_picker: &WeightedIndex<f64>,
) -> Vec<Partner> {
    let count = (rows / 40).clamp(12, 4000);
    // Joined between 2012-01-01 and the start of the window (4383 days).
    let window_start = calendar.month_start(0);
    let earliest = window_start - 4383.0;
    (0..count)
        .map(|rank| {
            let share = rank as f64 / count as f64;
            let tier = match share {
                s if s < 0.05 => 0,
                s if s < 0.20 => 1,
                s if s < 0.50 => 2,
                _ => 3,
            };
            let region = if rank < REGIONS.len() {
                // Reversed so the largest partner is not always in NA.
                REGIONS.len() - 1 - rank
            } else {
                region_picker.sample(rng)
            };
            let (reps, mdf) = match tier {
                0 => (
                    rng.random_range(15..=40),
                    rng.random_range(50_000..=150_000),
                ),
                1 => (rng.random_range(6..=15), rng.random_range(15_000..=50_000)),
                2 => (rng.random_range(2..=6), rng.random_range(3_000..=15_000)),
                _ => (rng.random_range(0..=2), 0),
            };
            // The largest partners joined in the first ~5 years, the smallest any time.
            let joined_fraction: f64 = rng.random_range(0.0..1.0) * (0.4 + 0.6 * share);
            Partner {
                region,
                tier,
                certified_reps: reps,
                mdf_budget: (f64::from(mdf) / 500.0).round() * 500.0,
                joined: (earliest + joined_fraction * 4383.0).floor(),
            }
        })
        .collect()
}

/// `P-00042`-style partner id of the partner ranked `index` (0-based).
pub fn partner_id(index: usize) -> String {
    format!("P-{:05}", index + 1)
}

/// A distinct company-like name for each partner rank below 4,000.
pub fn partner_name(index: usize) -> String {
    let a = index % 20;
    let q = index / 20;
    let b = (q % 20 + 7 * a) % 20;
    // Mixing a and b into the suffix keeps neighbouring ranks from sharing one suffix
    // while staying one-to-one below 4,000.
    let c = (q / 20 + a + b) % 10;
    let prefix = PARTNER_PREFIXES.get(a).copied().unwrap_or("North");
    let core = PARTNER_CORES.get(b).copied().unwrap_or("wind");
    let suffix = PARTNER_SUFFIXES.get(c).copied().unwrap_or("Group");
    format!("{prefix}{core} {suffix}")
}

/// Rep rosters sized to each channel's expected deal volume (about 150 deals per rep over
/// the window, which keeps rosters close to the Headcount sheet), each rep a distinct person.
fn rep_rosters(rows: usize) -> Vec<Vec<String>> {
    let mut next_person = 0usize;
    CHANNEL_BY_SEGMENT_TOTALS
        .iter()
        .map(|share| {
            let size = ((rows as f64 * share / 150.0).round() as usize).clamp(2, 5000);
            (0..size)
                .map(|_| {
                    let person = rep_name(next_person);
                    next_person += 1;
                    person
                })
                .collect()
        })
        .collect()
}

/// The `g`-th distinct person: first × last names give 1,600 people; beyond that a middle
/// initial (A.–Z.) makes 43,200.
fn rep_name(g: usize) -> String {
    let first_index = g % 40;
    let last_index = (g / 40 + 3 * first_index) % 40;
    let first = FIRST_NAMES.get(first_index).copied().unwrap_or("Alex");
    let last = LAST_NAMES.get(last_index).copied().unwrap_or("Kim");
    match g / 1600 {
        0 => format!("{first} {last}"),
        round => {
            let initial = char::from(b'A' + ((round - 1) % 26) as u8);
            format!("{first} {initial}. {last}")
        }
    }
}

/// Expected share of deals per channel (segment mix times P(channel | segment)).
const CHANNEL_BY_SEGMENT_TOTALS: [f64; 6] = {
    let mut totals = [0.0; 6];
    let mut s = 0;
    while s < 3 {
        let mut c = 0;
        while c < 6 {
            totals[c] += SEGMENT_WEIGHTS[s] * CHANNEL_BY_SEGMENT[s][c];
            c += 1;
        }
        s += 1;
    }
    totals
};

/// The tier name of a partner.
pub fn tier_name(tier: usize) -> &'static str {
    TIERS.get(tier).copied().unwrap_or("Registered")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_4000_partner_names_are_distinct() {
        let names: std::collections::BTreeSet<String> = (0..4000).map(partner_name).collect();
        assert_eq!(names.len(), 4000);
    }

    #[test]
    fn all_30000_rep_names_are_distinct() {
        // 6 channels × the 5,000-rep cap.
        let reps: Vec<String> = rep_rosters(10_000_000).into_iter().flatten().collect();
        assert_eq!(reps.len(), 30_000);
        let distinct: std::collections::BTreeSet<&String> = reps.iter().collect();
        assert_eq!(distinct.len(), 30_000);
    }
}
