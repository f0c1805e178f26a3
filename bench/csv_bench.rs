//! CSV reading benchmark (bench/README.md, "CSV inputs"): writes Opportunities CSV files
//! from the sample export (`chanmix sample-data`, seed 1) at any row count, and times
//! `read_inputs` on one (every typed column, or only the columns named).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chanmix::data::sample::{SampleOptions, write_sample_workbook};
use chanmix::data::{InputsSpec, read_inputs};

/// Rows of the sample export the CSV cycles through (their IDs renumbered).
const BASE_ROWS: usize = 100_000;

const SPEC: &str = r#"
[tables.Opportunities]
key = "opp_id"
columns = { opp_id = "text", account_id = "text", channel = "text", partner_id = "text?",
            segment = "text", region = "text", product = "text", stage = "text",
            amount = "number", created_date = "date", close_date = "date?",
            lead_source = "text", owner = "text" }
"#;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A cell as a CRM export writes it: dates as ISO text, whole amounts without a point.
fn field(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::DateTime(dt) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            (epoch + chrono::Duration::days(dt.as_f64() as i64))
                .format("%Y-%m-%d")
                .to_string()
        }
        other => other.to_string(),
    }
}

fn generate(rows: usize, out: &Path) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let book_path = dir.path().join("sample.xlsx");
    let options = SampleOptions {
        rows: rows.min(BASE_ROWS),
        seed: 1,
    };
    write_sample_workbook(&options, &book_path).map_err(|e| e.to_string())?;
    let mut book: Xlsx<_> =
        open_workbook(&book_path).map_err(|e: calamine::XlsxError| e.to_string())?;
    let range = book
        .worksheet_range("Opportunities")
        .map_err(|e| e.to_string())?;
    let mut lines = range.rows();
    let header: Vec<String> = lines.next().ok_or("no header")?.iter().map(field).collect();
    let base: Vec<Vec<String>> = lines.map(|r| r.iter().map(field).collect()).collect();
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(out).map_err(|e| e.to_string())?,
    ));
    writer.write_record(&header).map_err(|e| e.to_string())?;
    for i in 0..rows {
        let Some(row) = base.get(i % base.len().max(1)) else {
            break;
        };
        let id = format!("OPP-{:08}", i + 1);
        let record = std::iter::once(id.as_str()).chain(row.iter().skip(1).map(String::as_str));
        writer.write_record(record).map_err(|e| e.to_string())?;
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok(format!("wrote {} ({rows} rows)", out.display()))
}

fn read(file: &Path, columns: Option<&str>) -> Result<String, String> {
    let mut spec: InputsSpec = toml::from_str(SPEC).map_err(|e| e.to_string())?;
    if let Some(table) = spec.tables.get_mut("Opportunities") {
        table.file = Some(file.to_path_buf());
    }
    let wanted: Option<BTreeMap<String, BTreeSet<String>>> = columns.map(|list| {
        let set = list.split(',').map(str::to_string).collect();
        BTreeMap::from([("Opportunities".to_string(), set)])
    });
    let started = Instant::now();
    let data = read_inputs(&spec, Path::new("."), wanted.as_ref()).map_err(|e| e.to_string())?;
    let table = data.table("Opportunities").ok_or("no table")?;
    Ok(format!(
        "chanmix read_inputs: {} rows × {} columns in {:.2} s, peak RSS {:.0} MiB, {} quality entries",
        table.row_count,
        table.columns.len(),
        started.elapsed().as_secs_f64(),
        peak_rss_mib(),
        data.quality.entries.len()
    ))
}

// Timed with the binary's allocator, as `chanmix run` reads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: chanmix::cli::memory::HugePageAllocator = chanmix::cli::memory::HugePageAllocator;

fn main() -> ExitCode {
    chanmix::cli::memory::return_big_buffers_to_the_system();
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.get(1..).unwrap_or_default() {
        [cmd, rows, out] if cmd == "generate" => match rows.parse::<usize>() {
            Ok(n) => generate(n, Path::new(out)),
            Err(e) => Err(e.to_string()),
        },
        [cmd, file] if cmd == "chanmix" => read(Path::new(file), None),
        [cmd, file, columns] if cmd == "chanmix" => read(Path::new(file), Some(columns)),
        _ => Err("usage: csv_bench generate ROWS OUT.csv | chanmix FILE [COL,COL…]".to_string()),
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
