//! The partner-management sheets: each partner's committed forecasts per quarter, its
//! capability assessments, and the enablement program catalog (drawn from their own stream).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rust_xlsxwriter::Workbook;

use super::SampleError;
use super::catalog::{FIRST_YEAR, REGIONS, SEGMENTS};
use super::rows::{QUARTERS, Tally};
use super::sheets::{Columns, Formats, SplitSheet};
use super::world::{DECLINING_PARTNER, World, partner_id};

pub const PARTNER_FORECAST_COLUMNS: Columns =
    &[("partner_id", 11.0), ("quarter", 10.0), ("committed", 14.0)];
pub const PARTNER_ASSESSMENT_COLUMNS: Columns = &[
    ("partner_id", 11.0),
    ("assessment", 12.0),
    ("assessed_date", 13.0),
    ("technical", 10.0),
    ("sales", 8.0),
    ("marketing", 10.0),
    ("satisfaction", 12.0),
    ("reputation", 11.0),
    ("segments", 30.0),
    ("regions", 18.0),
];
pub const ENABLEMENT_PROGRAM_COLUMNS: Columns = &[
    ("program_id", 11.0),
    ("program", 34.0),
    ("capability", 13.0),
    ("cost", 10.0),
    ("expected_lift", 13.0),
];

/// The enablement catalog: id, name, the capability it lifts, cost per partner (dollars)
/// and expected lift of the partner's yearly won revenue.
pub const ENABLEMENT_PROGRAMS: [(&str, &str, &str, f64, f64); 8] = [
    (
        "EN-01",
        "Certification bootcamp (technical)",
        "certification",
        12_000.0,
        0.08,
    ),
    (
        "EN-02",
        "Pre-sales certification track",
        "certification",
        9_000.0,
        0.05,
    ),
    (
        "EN-03",
        "Solution architecture workshop",
        "technical",
        8_000.0,
        0.05,
    ),
    (
        "EN-04",
        "Product deep-dive webinars",
        "technical",
        2_500.0,
        0.01,
    ),
    ("EN-05", "Sales playbook training", "sales", 6_000.0, 0.05),
    ("EN-06", "Joint account planning", "sales", 15_000.0, 0.09),
    (
        "EN-07",
        "Co-marketing campaign kit",
        "marketing",
        5_000.0,
        0.03,
    ),
    (
        "EN-08",
        "Demand generation program",
        "marketing",
        20_000.0,
        0.07,
    ),
];

/// The two assessment rounds: label and date (Excel serials of 2025-12-15 and 2026-06-15).
const ASSESSMENTS: [(&str, f64); 2] = [("2025-H2", 46006.0), ("2026-H1", 46188.0)];

/// Mean capability score (0–100) of a partner of each tier.
const TIER_CAPABILITY: [f64; 4] = [80.0, 70.0, 60.0, 45.0];

fn quarter_label(q: usize) -> String {
    format!("{}-Q{}", FIRST_YEAR + (q / 4) as i32, q % 4 + 1)
}

/// Rounded to one decimal (by tenths, so 3.9 is written as 3.9).
fn tenths(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn round_to(value: f64, step: f64) -> f64 {
    (value / step).round() * step
}

/// A partner whose capability is high for its tier but whose certified reps are at the
/// bottom of its tier's range: capable, held back by too few certified reps.
pub fn held_back(tier: usize, certified_reps: u32) -> bool {
    matches!((tier, certified_reps), (1, 6..=7) | (2, 2))
}

/// Committed forecasts per partner and quarter: the quarter's won revenue times the
/// partner's own bias (most over-commit a little) and noise; the declining partner keeps
/// committing its 2024 level.
pub fn write_partner_forecasts(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    tally: &Tally,
    rng: &mut ChaCha8Rng,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    for index in 0..world.partners.len() {
        let actuals = tally
            .partner_quarter_bookings
            .get(index)
            .copied()
            .unwrap_or([0.0; QUARTERS]);
        let z: f64 = rng.sample(StandardNormal);
        let bias = (0.08 + 0.15 * z).exp();
        let baseline = actuals.iter().take(4).sum::<f64>() / 4.0;
        for (q, actual) in actuals.iter().enumerate() {
            let z: f64 = rng.sample(StandardNormal);
            let noise = (0.25 * z).exp();
            let expected = if index == DECLINING_PARTNER {
                actual.max(baseline)
            } else {
                *actual
            };
            let committed = round_to(expected * bias * noise, 1000.0);
            let mut row = sheet.next_row(workbook, formats)?;
            row.text(0, &partner_id(index))?;
            row.text(1, &quarter_label(q))?;
            row.whole(2, committed)?;
        }
    }
    Ok(())
}

/// Two capability assessments per partner: scores by tier with noise, higher for the
/// held-back partners, falling for the declining partner; segments and regions covered.
pub fn write_partner_assessments(
    workbook: &mut Workbook,
    formats: &Formats,
    world: &World,
    rng: &mut ChaCha8Rng,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    for (index, partner) in world.partners.iter().enumerate() {
        let base = TIER_CAPABILITY.get(partner.tier).copied().unwrap_or(45.0);
        let boost = if held_back(partner.tier, partner.certified_reps) {
            18.0
        } else {
            0.0
        };
        let segment_count = match partner.tier {
            0 => 3,
            1 => 2,
            _ => rng.random_range(1..=2),
        };
        let first_segment = rng.random_range(0..SEGMENTS.len());
        let mut covered: Vec<usize> = (0..segment_count)
            .map(|k| (first_segment + k) % SEGMENTS.len())
            .collect();
        covered.sort_unstable();
        let segments: Vec<&str> = covered
            .iter()
            .filter_map(|&s| SEGMENTS.get(s).copied())
            .collect();
        let mut regions = vec![REGIONS.get(partner.region).copied().unwrap_or("NA")];
        if partner.tier == 0 {
            let other =
                (partner.region + 1 + rng.random_range(0..REGIONS.len() - 1)) % REGIONS.len();
            regions.extend(REGIONS.get(other).copied());
        }
        let person: [f64; 5] = std::array::from_fn(|_| rng.sample::<f64, _>(StandardNormal));
        for (round, (label, date)) in ASSESSMENTS.iter().enumerate() {
            let fading = if index == DECLINING_PARTNER {
                round as f64 * 12.0
            } else {
                0.0
            };
            let mut score = |k: usize, lift: f64| -> f64 {
                let z: f64 = rng.sample(StandardNormal);
                let own = person.get(k).copied().unwrap_or(0.0);
                (base + lift + 7.0 * own + 3.0 * z)
                    .clamp(10.0, 98.0)
                    .round()
            };
            let technical = score(0, boost);
            let sales = score(1, boost * 0.7 - fading);
            let marketing = score(2, 0.0);
            let satisfaction = tenths(
                (2.2 + base / 40.0 + 0.3 * person.get(3).copied().unwrap_or(0.0) - fading / 15.0
                    + 0.1 * rng.sample::<f64, _>(StandardNormal))
                .clamp(1.0, 5.0),
            );
            let reputation = (1.0 + base / 25.0 + 0.7 * person.get(4).copied().unwrap_or(0.0))
                .round()
                .clamp(1.0, 5.0);
            let mut row = sheet.next_row(workbook, formats)?;
            row.text(0, &partner_id(index))?;
            row.text(1, label)?;
            row.date(2, *date)?;
            row.whole(3, technical)?;
            row.whole(4, sales)?;
            row.whole(5, marketing)?;
            row.decimal(6, satisfaction)?;
            row.whole(7, reputation)?;
            row.text(8, &segments.join(", "))?;
            row.text(9, &regions.join(", "))?;
        }
    }
    Ok(())
}

pub fn write_enablement_programs(
    workbook: &mut Workbook,
    formats: &Formats,
    sheet: &mut SplitSheet,
) -> Result<(), SampleError> {
    for (id, program, capability, cost, lift) in ENABLEMENT_PROGRAMS {
        let mut row = sheet.next_row(workbook, formats)?;
        row.text(0, id)?;
        row.text(1, program)?;
        row.text(2, capability)?;
        row.whole(3, cost)?;
        row.decimal(4, lift)?;
    }
    Ok(())
}
