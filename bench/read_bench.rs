//! Reading benchmark: generates a CRM-like workbook and times `read_inputs` against a
//! bare calamine `worksheet_range` read of the same sheets (see bench/README.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use calamine::{Reader, Xlsx, open_workbook};
use chanmix::data::{InputsSpec, read_inputs};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

const CHANNELS: [&str; 6] = ["Direct", "Inside Sales", "Partner", "Marketplace", "Online", "Reseller"];
const SEGMENTS: [&str; 3] = ["Enterprise", "Mid-Market", "SMB"];
const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
const STAGES: [&str; 6] = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"];
/// Data rows per sheet before a table continues on `Name_2` (Excel's limit minus the header).
const ROWS_PER_SHEET: u64 = 1_048_575;

/// A tiny deterministic generator (xorshift), enough for benchmark data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get((self.next() % items.len() as u64) as usize).copied().unwrap_or("")
    }
}

fn generate(rows: u64, out: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let ws = wb.add_worksheet().set_name("Opportunities")?;
    let headers = [
        "opp_id", "account_id", "channel", "partner_id", "segment", "region", "product", "stage",
        "amount", "created_date", "close_date", "lead_source", "owner",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows.min(ROWS_PER_SHEET) {
        let r = i as u32 + 1;
        let channel = rng.pick(&CHANNELS);
        let stage = rng.pick(&STAGES);
        let created = 45_300.0 + (rng.next() % 700) as f64;
        ws.write_string(r, 0, format!("OPP-{i:07}"))?;
        ws.write_string(r, 1, format!("ACC-{:06}", rng.next() % (rows / 5 + 1)))?;
        ws.write_string(r, 2, channel)?;
        if channel == "Partner" || channel == "Reseller" {
            ws.write_string(r, 3, format!("P-{:04}", rng.next() % 500))?;
        }
        ws.write_string(r, 4, rng.pick(&SEGMENTS))?;
        ws.write_string(r, 5, rng.pick(&REGIONS))?;
        ws.write_string(r, 6, format!("Product {}", rng.next() % 12))?;
        ws.write_string(r, 7, stage)?;
        ws.write_number(r, 8, (rng.next() % 50_000_000) as f64 / 100.0)?;
        ws.write_number_with_format(r, 9, created, &date)?;
        if stage.starts_with("Closed") {
            ws.write_number_with_format(r, 10, created + (rng.next() % 180) as f64, &date)?;
        }
        ws.write_string(r, 11, rng.pick(&["Web", "Event", "Referral", "Outbound"]))?;
        ws.write_string(r, 12, format!("rep{:03}", rng.next() % 300))?;
    }
    // Leads: twice as many rows, split across Leads, Leads_2, … at the row limit.
    let leads = rows * 2;
    let mut written = 0u64;
    let mut sheet = 1;
    while written < leads {
        let name = if sheet == 1 { "Leads".to_string() } else { format!("Leads_{sheet}") };
        let ws = wb.add_worksheet().set_name(name)?;
        for (c, h) in ["lead_id", "channel", "created_date", "stage_reached"].iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        let n = (leads - written).min(ROWS_PER_SHEET);
        for i in 0..n {
            let r = i as u32 + 1;
            ws.write_string(r, 0, format!("L-{:08}", written + i))?;
            ws.write_string(r, 1, rng.pick(&CHANNELS))?;
            ws.write_number_with_format(r, 2, 45_300.0 + (rng.next() % 700) as f64, &date)?;
            ws.write_string(r, 3, rng.pick(&["MQL", "SQL", "Opportunity", "Won"]))?;
        }
        written += n;
        sheet += 1;
    }
    wb.save(out)
}

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

const SPEC: &str = r#"
[tables.Opportunities]
key = "opp_id"
columns = { opp_id = "text", account_id = "text", channel = "text", partner_id = "text?",
            segment = "text", region = "text", product = "text", stage = "text",
            amount = "number", created_date = "date", close_date = "date?",
            lead_source = "text", owner = "text" }
[tables.Leads]
sheet_pattern = "Leads*"
columns = { lead_id = "text", channel = "text", created_date = "date", stage_reached = "text" }
"#;

fn run_chanmix(file: &Path) -> Result<String, String> {
    let mut spec: InputsSpec = toml::from_str(SPEC).map_err(|e| e.to_string())?;
    spec.workbook = Some(file.to_path_buf());
    let started = Instant::now();
    let data = read_inputs(&spec, Path::new("."), None::<&BTreeMap<String, BTreeSet<String>>>)
        .map_err(|e| e.to_string())?;
    let rows: usize = data.tables.iter().map(|t| t.row_count).sum();
    Ok(format!(
        "chanmix read_inputs: {rows} rows in {:.2} s, peak RSS {:.0} MiB, {} quality entries",
        started.elapsed().as_secs_f64(),
        peak_rss_mib(),
        data.quality.entries.len()
    ))
}

fn run_calamine(file: &Path) -> Result<String, String> {
    let started = Instant::now();
    let mut book: Xlsx<_> = open_workbook(file).map_err(|e: calamine::XlsxError| e.to_string())?;
    let mut cells = 0usize;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| e.to_string())?;
        cells += range.get_size().0 * range.get_size().1;
    }
    Ok(format!(
        "calamine worksheet_range: {cells} grid cells in {:.2} s, peak RSS {:.0} MiB",
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.get(1..).unwrap_or_default() {
        [cmd, rows, out] if cmd == "generate" => match rows.parse::<u64>() {
            Ok(n) => generate(n, &PathBuf::from(out)).map(|()| format!("wrote {out}")).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        [cmd, file] if cmd == "chanmix" => run_chanmix(Path::new(file)),
        [cmd, file] if cmd == "calamine" => run_calamine(Path::new(file)),
        _ => Err("usage: read_bench generate ROWS OUT.xlsx | chanmix FILE | calamine FILE".to_string()),
    };
    match outcome {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
