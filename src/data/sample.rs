//! `chanmix sample-data`: a deterministic, realistic CRM workbook in the canonical schema
//! (DESIGN.md), streamed row by row and written atomically; same rows and seed, same bytes.
//!
//! Sheets, in workbook order (columns are documented in scenarios/data/README.md):
//! `Opportunities` (one row per opportunity), `Costs`, `Partners`, `Leads` (twice as many
//! rows), `Headcount`, `PartnerTargets`, `Renewals`, `Benchmarks`, `SegmentDemand`,
//! `PartnerForecasts`, `PartnerAssessments`, `EnablementPrograms`. A
//! row-level sheet that passes Excel's limit continues in `Name_2`, `Name_3`, …

mod catalog;
mod ledgers;
mod partner_sheets;
mod rows;
mod sheets;
mod world;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

use sheets::{Formats, SplitSheet};
use world::World;

/// Data rows that fit on one Excel worksheet below its header row.
pub const MAX_DATA_ROWS_PER_SHEET: usize = 1_048_575;

/// The largest `rows` the generator accepts (about ten Opportunities sheets).
pub const MAX_ROWS: usize = 10_000_000;

/// What to generate: `rows` opportunities (other sheets scale with it) from `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    pub rows: usize,
    pub seed: u64,
}

/// What was written: each sheet's name and data-row count, in workbook order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSummary {
    pub sheets: Vec<(String, usize)>,
}

#[derive(thiserror::Error, Debug)]
pub enum SampleError {
    #[error("--rows must be at least 1 (the number of opportunities to generate)")]
    NoRows,
    #[error("--rows {rows} is more than the {max} rows the sample generator supports")]
    TooManyRows { rows: usize, max: usize },
    #[error("the rows-per-sheet limit must be between 1 and {max}, got {limit}")]
    BadSheetLimit { limit: usize, max: usize },
    #[error("{}: the sample is an Excel workbook; give a file name ending in .xlsx", path.display())]
    NotXlsx { path: PathBuf },
    #[error("{}: folder does not exist; create it first or choose another --out", folder.display())]
    MissingFolder { folder: PathBuf },
    #[error("{}: cannot write the sample workbook: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the sample workbook: {0}")]
    Workbook(#[from] XlsxError),
    #[error("internal error in the sample data model: {0}")]
    Model(#[from] ModelError),
}

/// A broken invariant of the sample data model: a bug in the generator, not a user error.
#[derive(thiserror::Error, Debug)]
pub enum ModelError {
    #[error("channel {channel} or segment {segment} missing")]
    MissingProfile { channel: usize, segment: usize },
    #[error("channel {0} missing")]
    MissingChannel(usize),
    #[error("no date {year}-{month:02}-01")]
    NoMonthStart { year: i32, month: u32 },
    #[error("bad weights for {what}: {source}")]
    BadWeights {
        what: &'static str,
        #[source]
        source: rand::distr::weighted::Error,
    },
    #[error("row {row} of {sheet}")]
    RowPastLimit { row: usize, sheet: &'static str },
}

/// Generates the sample workbook into `out` (atomically: a temporary file in the same
/// folder, renamed over `out` only when complete).
pub fn write_sample_workbook(
    options: &SampleOptions,
    out: &Path,
) -> Result<SampleSummary, SampleError> {
    write_sample_workbook_with_sheet_limit(options, out, MAX_DATA_ROWS_PER_SHEET)
}

/// [`write_sample_workbook`] with a smaller rows-per-sheet limit, so tests can exercise the
/// `Leads`, `Leads_2`, … split without writing a million rows.
pub fn write_sample_workbook_with_sheet_limit(
    options: &SampleOptions,
    out: &Path,
    max_rows_per_sheet: usize,
) -> Result<SampleSummary, SampleError> {
    if options.rows == 0 {
        return Err(SampleError::NoRows);
    }
    if options.rows > MAX_ROWS {
        return Err(SampleError::TooManyRows {
            rows: options.rows,
            max: MAX_ROWS,
        });
    }
    if max_rows_per_sheet == 0 || max_rows_per_sheet > MAX_DATA_ROWS_PER_SHEET {
        return Err(SampleError::BadSheetLimit {
            limit: max_rows_per_sheet,
            max: MAX_DATA_ROWS_PER_SHEET,
        });
    }
    let is_xlsx = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if !is_xlsx {
        return Err(SampleError::NotXlsx {
            path: out.to_path_buf(),
        });
    }
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(SampleError::MissingFolder { folder });
    }
    let mut workbook = Workbook::new();
    // Streamed sheet data goes to unnamed temporary files beside the output, not to a
    // possibly memory-backed /tmp.
    workbook.set_tempdir(&folder)?;
    // Deflate dominates the run time; level 3 takes ~40% less CPU than the default 6 for
    // ~9% larger files (1M rows: 19 s vs 31 s, 131 MB vs 120 MB).
    workbook.set_zip_compression_level(3);
    let summary = build_workbook(&mut workbook, options, max_rows_per_sheet)?;
    // Written like every output: a temporary file renamed over the target, which must
    // be a regular file if anything (see `crate::atomic`).
    crate::atomic::write_atomically_with(out, |file| {
        let mut writer = BufWriter::new(file);
        workbook
            .save_to_writer(&mut writer)
            .map_err(std::io::Error::other)?;
        writer.flush()
    })
    .map_err(|source| SampleError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(summary)
}

/// The sample workbook's title and the start of its comment (the command that made
/// it): how `sample-data` recognises a sample it may replace without `--force`.
pub const SAMPLE_TITLE: &str = "chanmix sample CRM data";
pub const SAMPLE_COMMAND: &str = "chanmix sample-data";

/// The response of new opportunities to spend built into a sample, per channel: the
/// month's opportunities follow `seasonality[m] · Hill(spend_index[m]; half, shape)`,
/// and the month's costs are `spend_index[m]` times a channel scale. Tests check fitted
/// curves against it (scenarios/data/README.md, "Spend with diminishing returns").
#[derive(Debug, Clone, PartialEq)]
pub struct SpendResponse {
    pub channel: &'static str,
    /// Half-saturation point of the Hill curve, in spend-index units.
    pub half: f64,
    /// The Hill curve's shape `s`.
    pub shape: f64,
    /// Relative spend of each month (about 1.0).
    pub spend_index: Vec<f64>,
    /// Seasonality and growth of new pipeline, each month.
    pub seasonality: Vec<f64>,
}

/// The built-in spend response of the sample `options` would generate.
pub fn spend_response(options: &SampleOptions) -> Result<Vec<SpendResponse>, SampleError> {
    let world = World::new(&mut stream(options.seed, 0), options.rows.max(1))?;
    Ok(catalog::CHANNELS
        .iter()
        .zip(&catalog::CHANNEL_PROFILES)
        .zip(&world.spend_index)
        .map(|((channel, profile), index)| SpendResponse {
            channel,
            half: profile.hill_half,
            shape: profile.hill_shape,
            spend_index: index.to_vec(),
            seasonality: (0..catalog::MONTHS).map(world::seasonality).collect(),
        })
        .collect())
}

/// Independent random streams per part, so e.g. Leads do not shift when the
/// opportunity model changes.
fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn build_workbook(
    workbook: &mut Workbook,
    options: &SampleOptions,
    max_rows: usize,
) -> Result<SampleSummary, SampleError> {
    // A fixed creation time keeps the bytes reproducible (the default is "now").
    let created = ExcelDateTime::from_ymd(2026, 6, 30)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(SAMPLE_TITLE)
            .set_comment(format!(
                "{SAMPLE_COMMAND} --rows {} --seed {}",
                options.rows, options.seed
            ))
            .set_creation_datetime(&created),
    );
    let formats = Formats::new();
    let world = World::new(&mut stream(options.seed, 0), options.rows)?;

    let mut opportunities = SplitSheet::new(
        workbook,
        &formats,
        "Opportunities",
        rows::OPPORTUNITY_COLUMNS,
        max_rows,
    )?;
    let mut renewals = SplitSheet::new(
        workbook,
        &formats,
        "Renewals",
        rows::RENEWAL_COLUMNS,
        max_rows,
    )?;
    let tally = rows::write_opportunities(
        workbook,
        &formats,
        &world,
        &mut stream(options.seed, 1),
        options.rows,
        &mut opportunities,
        &mut renewals,
    )?;

    let mut leads = SplitSheet::new(workbook, &formats, "Leads", rows::LEAD_COLUMNS, max_rows)?;
    let lead_count = options.rows.saturating_mul(2);
    rows::write_leads(
        workbook,
        &formats,
        &world,
        &mut stream(options.seed, 2),
        lead_count,
        &mut leads,
    )?;

    let mut partners = SplitSheet::new(
        workbook,
        &formats,
        "Partners",
        ledgers::PARTNER_COLUMNS,
        max_rows,
    )?;
    ledgers::write_partners(workbook, &formats, &world, &mut partners)?;

    let mut costs = SplitSheet::new(workbook, &formats, "Costs", ledgers::COST_COLUMNS, max_rows)?;
    let headcount_cost = ledgers::write_costs(
        workbook,
        &formats,
        &world,
        &tally,
        &mut stream(options.seed, 3),
        &mut costs,
    )?;

    let mut headcount = SplitSheet::new(
        workbook,
        &formats,
        "Headcount",
        ledgers::HEADCOUNT_COLUMNS,
        max_rows,
    )?;
    ledgers::write_headcount(
        workbook,
        &formats,
        &world,
        &tally,
        &headcount_cost,
        &mut headcount,
    )?;

    let mut targets = SplitSheet::new(
        workbook,
        &formats,
        "PartnerTargets",
        ledgers::PARTNER_TARGET_COLUMNS,
        max_rows,
    )?;
    ledgers::write_partner_targets(
        workbook,
        &formats,
        &world,
        &tally,
        &mut stream(options.seed, 4),
        &mut targets,
    )?;

    let mut benchmarks = SplitSheet::new(
        workbook,
        &formats,
        "Benchmarks",
        ledgers::BENCHMARK_COLUMNS,
        max_rows,
    )?;
    ledgers::write_benchmarks(workbook, &formats, &mut benchmarks)?;

    let mut demand = SplitSheet::new(
        workbook,
        &formats,
        "SegmentDemand",
        ledgers::SEGMENT_DEMAND_COLUMNS,
        max_rows,
    )?;
    ledgers::write_segment_demand(
        workbook,
        &formats,
        &world,
        &mut stream(options.seed, 5),
        &mut demand,
    )?;

    // The partner-management sheets draw from a stream of their own, so adding them
    // left every sheet above unchanged.
    let mut partner_rng = stream(options.seed, 6);
    let mut forecasts = SplitSheet::new(
        workbook,
        &formats,
        "PartnerForecasts",
        partner_sheets::PARTNER_FORECAST_COLUMNS,
        max_rows,
    )?;
    partner_sheets::write_partner_forecasts(
        workbook,
        &formats,
        &world,
        &tally,
        &mut partner_rng,
        &mut forecasts,
    )?;
    let mut assessments = SplitSheet::new(
        workbook,
        &formats,
        "PartnerAssessments",
        partner_sheets::PARTNER_ASSESSMENT_COLUMNS,
        max_rows,
    )?;
    partner_sheets::write_partner_assessments(
        workbook,
        &formats,
        &world,
        &mut partner_rng,
        &mut assessments,
    )?;
    let mut programs = SplitSheet::new(
        workbook,
        &formats,
        "EnablementPrograms",
        partner_sheets::ENABLEMENT_PROGRAM_COLUMNS,
        max_rows,
    )?;
    partner_sheets::write_enablement_programs(workbook, &formats, &mut programs)?;

    let mut sheets = Vec::new();
    for sheet in [
        opportunities,
        costs,
        partners,
        leads,
        headcount,
        targets,
        renewals,
        benchmarks,
        demand,
        forecasts,
        assessments,
        programs,
    ] {
        sheets.extend(sheet.finish(workbook)?);
    }
    Ok(SampleSummary { sheets })
}
