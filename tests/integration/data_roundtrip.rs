//! Round trips: workbooks written here with rust_xlsxwriter (values known because we
//! wrote them) read back with `read_inputs`, cross-checked with calamine's raw cells,
//! the same data as CSV, other formats, the 1904 date system, and column selection.

// Test helpers outside #[test] fns: failing loudly is the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use chanmix::data::{InputsSpec, read_inputs};
use chanmix::table::Table;
use chanmix::value::ValueType;
use chanmix::value::{ErrorKind, Value};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use crate::support::xlsx::raw_value;
use crate::support::{fixture_data, spec};

/// Rows of (deal id, channel, amount, created (y, m, d), won, note); `None` = blank cell.
type Row = (
    &'static str,
    &'static str,
    Option<f64>,
    Option<(u16, u8, u8)>,
    Option<bool>,
    &'static str,
);

const ROWS: [Row; 6] = [
    (
        "D-1",
        "Direct",
        Some(1500.5),
        Some((2026, 1, 15)),
        Some(true),
        "first",
    ),
    (
        "D-2",
        "Partner",
        Some(0.0),
        Some((2026, 2, 28)),
        Some(false),
        "",
    ),
    (
        "D-3",
        "Partner",
        None,
        Some((2024, 2, 29)),
        None,
        "leap day",
    ),
    ("D-4", "Online", Some(-42.25), None, Some(true), "no date"),
    (
        "D-5",
        "Direct",
        Some(1e9),
        Some((1999, 12, 31)),
        Some(false),
        "big",
    ),
    (
        "1006",
        "Reseller",
        Some(7.0),
        Some((2026, 3, 1)),
        Some(true),
        "numeric id",
    ),
];

/// Excel serials for the dates above, computed by hand from Excel's landmark
/// 2000-01-01 = 36526 (and 1900-03-01 = 61): days since then, month by month.
fn expected_serial(ymd: (u16, u8, u8)) -> f64 {
    match ymd {
        (2026, 1, 15) => 46037.0, // 2026-01-01 = 46023 (36526 + 26 years incl. 7 leap days)
        (2026, 2, 28) => 46081.0,
        (2024, 2, 29) => 45351.0, // 2024-01-01 = 45292, + 31 + 28
        (1999, 12, 31) => 36525.0,
        (2026, 3, 1) => 46082.0,
        other => panic!("no hand-computed serial for {other:?}"),
    }
}

fn write_deals_xlsx(path: &Path) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Deals").unwrap();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in [
        "deal_id", "channel", "amount", "created", "won", "note", "status",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (id, channel, amount, created, won, note)) in ROWS.iter().enumerate() {
        let r = i as u32 + 1;
        match id.parse::<f64>() {
            Ok(n) => ws.write_number(r, 0, n).unwrap(),
            Err(_) => ws.write_string(r, 0, *id).unwrap(),
        };
        ws.write_string(r, 1, *channel).unwrap();
        if let Some(a) = amount {
            ws.write_number(r, 2, *a).unwrap();
        }
        if let Some((y, m, d)) = created {
            ws.write_datetime_with_format(
                r,
                3,
                ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                &date_format,
            )
            .unwrap();
        }
        if let Some(w) = won {
            ws.write_boolean(r, 4, *w).unwrap();
        }
        if !note.is_empty() {
            ws.write_string(r, 5, *note).unwrap();
        }
    }
    // An error cell (cached formula result) in an `any` column.
    ws.write_formula(2, 6, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    wb.save(path).unwrap();
}

const DEALS: &str = r#"
    [tables.Deals]
    key = "deal_id"
    columns = { deal_id = "text", channel = "text", amount = "number?", created = "date?",
                won = "bool?", note = "text?", status = "any" }
"#;

fn deals_spec(file: &str) -> InputsSpec {
    spec(&format!("workbook = \"{file}\"\n{DEALS}"))
}

fn col(t: &Table, name: &str) -> Vec<Value> {
    t.column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .values()
        .into_owned()
}

#[test]
fn xlsx_round_trip_matches_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    write_deals_xlsx(&dir.path().join("deals.xlsx"));
    let data = read_inputs(&deals_spec("deals.xlsx"), dir.path(), None).unwrap();
    assert!(
        data.quality.entries.is_empty(),
        "{:?}",
        data.quality.entries
    );
    let t = data.table("Deals").unwrap();
    assert_eq!(t.row_count, ROWS.len());
    for (i, (id, channel, amount, created, won, note)) in ROWS.iter().enumerate() {
        assert_eq!(col(t, "deal_id")[i], Value::text(id), "row {i}");
        assert_eq!(col(t, "channel")[i], Value::text(channel));
        assert_eq!(
            col(t, "amount")[i],
            amount.map_or(Value::Blank, Value::Number)
        );
        assert_eq!(
            col(t, "created")[i],
            created.map_or(Value::Blank, |d| Value::Date(expected_serial(d)))
        );
        assert_eq!(col(t, "won")[i], won.map_or(Value::Blank, Value::Bool));
        let expected_note = if note.is_empty() {
            Value::Blank
        } else {
            Value::text(note)
        };
        assert_eq!(col(t, "note")[i], expected_note);
    }
    assert_eq!(col(t, "status")[1].error_kind(), Some(ErrorKind::Div0));
    assert_eq!(t.column("status").unwrap().ty, ValueType::Any);
    let counts = data.quality.counts_for("Deals").unwrap();
    assert_eq!(
        (counts.rows_read, counts.rows_kept, counts.rows_rejected),
        (6, 6, 0)
    );
    // Provenance: one file, hashed; compare with an independent SHA-256 (sha256sum) when present.
    assert_eq!(data.files.len(), 1);
    let bytes = std::fs::metadata(dir.path().join("deals.xlsx"))
        .unwrap()
        .len();
    assert_eq!(data.files[0].bytes, bytes);
    if let Ok(out) = std::process::Command::new("sha256sum")
        .arg(dir.path().join("deals.xlsx"))
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.split_whitespace().next(),
            Some(data.files[0].sha256.as_str())
        );
    }
}

#[test]
fn any_columns_equal_calamines_raw_cells() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.xlsx");
    write_deals_xlsx(&path);
    // Every header as `any`: no coercion at all, so values must be calamine's cells.
    let data = read_inputs(
        &spec("workbook = \"deals.xlsx\"\n[tables.Deals]\n"),
        dir.path(),
        None,
    )
    .unwrap();
    let t = data.table("Deals").unwrap();
    let mut book = open_workbook_auto(&path).unwrap();
    let range = book.worksheet_range("Deals").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let headers: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(t.column_names().collect::<Vec<_>>(), headers);
    for (c, name) in headers.iter().enumerate() {
        let expected: Vec<Value> = rows[1..].iter().map(|r| raw_value(&r[c])).collect();
        assert_eq!(col(t, name), expected.as_slice(), "column {name}");
    }
}

fn write_deals_csv(path: &Path) {
    let mut text = String::from("deal_id,channel,amount,created,won,note,status\n");
    for (i, (id, channel, amount, created, won, note)) in ROWS.iter().enumerate() {
        let amount = amount.map(|a| a.to_string()).unwrap_or_default();
        let created = created
            .map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
            .unwrap_or_default();
        let won = won
            .map(|w| if w { "TRUE" } else { "FALSE" }.to_string())
            .unwrap_or_default();
        let status = if i == 1 { "#DIV/0!" } else { "" };
        text.push_str(&format!(
            "{id},{channel},{amount},{created},{won},{note},{status}\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn csv_and_xlsx_of_the_same_data_give_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    write_deals_xlsx(&dir.path().join("deals.xlsx"));
    write_deals_csv(&dir.path().join("deals.csv"));
    let from_xlsx = read_inputs(&deals_spec("deals.xlsx"), dir.path(), None).unwrap();
    let from_csv = read_inputs(&deals_spec("deals.csv"), dir.path(), None).unwrap();
    assert_eq!(from_xlsx.tables, from_csv.tables);
    assert_eq!(from_xlsx.quality.counts, from_csv.quality.counts);
    assert!(from_csv.quality.entries.is_empty());
}

/// Rewrites `xl/workbook.xml` inside an .xlsx to switch on the 1904 date system.
fn patch_to_1904(src: &Path, dst: &Path) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name == "xl/workbook.xml" {
            let xml = String::from_utf8(content).unwrap();
            assert!(xml.contains("<workbookPr"), "{xml}");
            content = xml
                .replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
                .into_bytes();
        }
        writer.start_file(name, options).unwrap();
        writer.write_all(&content).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn dates_from_1900_and_1904_workbooks_land_in_the_1900_system() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-03-01 is serial 46082 in the 1900 system and 46082 - 1462 = 44620 in the 1904
    // system. Written as date-formatted numbers (rust_xlsxwriter cannot write 1904 files).
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Dates").unwrap();
    let fmt = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "day").unwrap();
    ws.write_string(0, 1, "plain").unwrap();
    ws.write_number_with_format(1, 0, 44620.0, &fmt).unwrap();
    ws.write_number(1, 1, 44620.0).unwrap();
    let plain_path = dir.path().join("dates1900.xlsx");
    wb.save(&plain_path).unwrap();
    let patched = dir.path().join("dates1904.xlsx");
    patch_to_1904(&plain_path, &patched);

    let text = |file: &str| {
        format!(
            "workbook = \"{file}\"\n[tables.Dates]\ncolumns = {{ day = \"date\", plain = \"date\" }}\n"
        )
    };
    let d1900 = read_inputs(&spec(&text("dates1900.xlsx")), dir.path(), None).unwrap();
    let d1904 = read_inputs(&spec(&text("dates1904.xlsx")), dir.path(), None).unwrap();
    let t1900 = d1900.table("Dates").unwrap();
    let t1904 = d1904.table("Dates").unwrap();
    // 44620 in the 1900 system is 2022-02-28 (2022-01-01 = 44562, + 31 + 27).
    assert_eq!(col(t1900, "day"), [Value::Date(44620.0)]);
    assert_eq!(col(t1904, "day"), [Value::Date(46082.0)]);
    // A plain number in a date column of a 1904 workbook is a 1904 serial too.
    assert_eq!(col(t1904, "plain"), [Value::Date(46082.0)]);
    // calamine agrees that the patched file is a 1904 workbook.
    let book: calamine::Xlsx<_> = calamine::open_workbook(&patched).unwrap();
    assert!(book.has_1904_epoch());
}

#[test]
fn only_wanted_columns_and_tables_are_read() {
    let dir = tempfile::tempdir().unwrap();
    write_deals_xlsx(&dir.path().join("deals.xlsx"));
    let text =
        format!("workbook = \"deals.xlsx\"\n{DEALS}\n[tables.Unused]\nsheet = \"NoSuchSheet\"\n");
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    wanted.insert(
        "Deals".into(),
        ["amount", "note"].iter().map(|s| s.to_string()).collect(),
    );
    let data = read_inputs(&spec(&text), dir.path(), Some(&wanted)).unwrap();
    // Unused is not read (its missing sheet is no error); Deals holds key + wanted columns.
    assert_eq!(data.tables.len(), 1);
    let t = data.table("Deals").unwrap();
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        ["deal_id", "amount", "note"]
    );
    // A wanted column the spec does not declare is read as `any`.
    wanted.insert("Deals".into(), ["won".to_string()].into_iter().collect());
    let text = "workbook = \"deals.xlsx\"\n[tables.Deals]\nkey = \"deal_id\"\n";
    let data = read_inputs(&spec(text), dir.path(), Some(&wanted)).unwrap();
    let won = data.table("Deals").unwrap().column("won").unwrap();
    assert_eq!(won.ty, ValueType::Any);
    assert_eq!(won.values()[0], Value::Bool(true));
}

#[test]
fn text_is_interned_per_table() {
    let dir = tempfile::tempdir().unwrap();
    write_deals_xlsx(&dir.path().join("deals.xlsx"));
    let data = read_inputs(&deals_spec("deals.xlsx"), dir.path(), None).unwrap();
    let channel = col(data.table("Deals").unwrap(), "channel");
    // Rows 2 and 3 are both "Partner"; rows 1 and 5 both "Direct".
    for (a, b) in [(1, 2), (0, 4)] {
        let (Value::Text(x), Value::Text(y)) = (&channel[a], &channel[b]) else {
            panic!()
        };
        assert!(chanmix::value::Text::ptr_eq(x, y));
    }
}

fn converted_fixture(name: &str) -> PathBuf {
    fixture_data().join(name)
}

#[test]
fn ods_and_xls_copies_read_like_the_xlsx() {
    // deals.ods and deals.xls are LibreOffice conversions of deals.xlsx (see
    // tests/fixtures/data/README.md); all three must give the same table.
    let dir = converted_fixture("");
    let xlsx = read_inputs(&deals_spec("deals.xlsx"), &dir, None).unwrap();
    for other in ["deals.ods", "deals.xls"] {
        let data = read_inputs(&deals_spec(other), &dir, None).unwrap();
        assert_eq!(data.tables, xlsx.tables, "{other}");
        assert!(
            data.quality.entries.is_empty(),
            "{other}: {:?}",
            data.quality.entries
        );
    }
}

#[test]
#[ignore = "writes tests/fixtures/data/deals.xlsx; convert it with LibreOffice afterwards"]
fn regenerate_deals_fixture() {
    write_deals_xlsx(&converted_fixture("deals.xlsx"));
}
