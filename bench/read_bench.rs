//! Reading benchmark: generates the sample CRM workbook and times `read_inputs` against a
//! bare calamine `worksheet_range` read of the same sheets (see bench/README.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use calamine::{Reader, Xlsx, open_workbook};
use chanmix::data::sample::{SampleOptions, write_sample_workbook};
use chanmix::data::{InputsSpec, read_inputs};

/// The canonical sample workbook (`chanmix sample-data`), seed 1.
fn generate(rows: usize, out: &Path) -> Result<(), String> {
    let options = SampleOptions { rows, seed: 1 };
    write_sample_workbook(&options, out)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
    let data = read_inputs(
        &spec,
        Path::new("."),
        None::<&BTreeMap<String, BTreeSet<String>>>,
    )
    .map_err(|e| e.to_string())?;
    let rows: usize = data.tables.iter().map(|t| t.row_count).sum();
    Ok(format!(
        "chanmix read_inputs: {rows} rows in {:.2} s, peak RSS {:.0} MiB, {} quality entries",
        started.elapsed().as_secs_f64(),
        peak_rss_mib(),
        data.quality.entries.len()
    ))
}

/// Bare calamine `worksheet_range` of the sheets matching `wanted` (a name, or a prefix
/// ending in `*`).
fn run_calamine(file: &Path, wanted: &[&str]) -> Result<String, String> {
    let started = Instant::now();
    let mut book: Xlsx<_> = open_workbook(file).map_err(|e: calamine::XlsxError| e.to_string())?;
    let mut cells = 0usize;
    let matches = |sheet: &str| {
        wanted.iter().any(|w| match w.strip_suffix('*') {
            Some(prefix) => sheet.starts_with(prefix),
            None => sheet == *w,
        })
    };
    let sheets = book.sheet_names();
    for name in sheets.iter().filter(|s| matches(s)) {
        let range = book.worksheet_range(name).map_err(|e| e.to_string())?;
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
        [cmd, rows, out] if cmd == "generate" => match rows.parse::<usize>() {
            Ok(n) => generate(n, &PathBuf::from(out)).map(|()| format!("wrote {out}")),
            Err(e) => Err(e.to_string()),
        },
        [cmd, file] if cmd == "chanmix" => run_chanmix(Path::new(file)),
        // The same sheets `chanmix FILE` reads: Opportunities and Leads, Leads_2, …
        [cmd, file] if cmd == "calamine" => {
            run_calamine(Path::new(file), &["Opportunities", "Leads*"])
        }
        [cmd, file, sheets @ ..] if cmd == "calamine-sheets" => {
            let sheets: Vec<&str> = sheets.iter().map(String::as_str).collect();
            run_calamine(Path::new(file), &sheets)
        }
        _ => Err(
            "usage: read_bench generate ROWS OUT.xlsx | chanmix FILE | calamine FILE \
             | calamine-sheets FILE SHEET [SHEET…] (SHEET may end in *)"
                .to_string(),
        ),
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
