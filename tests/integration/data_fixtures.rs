//! Dirty CRM-export fixtures (tests/fixtures/data/) and the data-quality log each must
//! produce. The fixtures are written by `regenerate_fixtures` below (run it with `cargo
//! test --test integration -- --ignored data_fixtures::`); the expected logs are insta
//! snapshots.

// Test helpers outside #[test] fns: failing loudly is the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use chanmix::data::{QualityLog, read_inputs};
use chanmix::value::Value;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError,
};

use crate::support::{DIRTY_OPPORTUNITIES, fixture_data, spec, texts};

// ---------------------------------------------------------------- the fixture script

fn fixed_properties() -> Result<DocProperties, XlsxError> {
    // A fixed creation time keeps the files byte-stable across regenerations.
    Ok(DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2026, 1, 1)?))
}

fn date(ws: &mut Worksheet, row: u32, col: u16, y: u16, m: u8, d: u8) -> Result<(), XlsxError> {
    let format = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_datetime_with_format(row, col, &ExcelDateTime::from_ymd(y, m, d)?, &format)?;
    Ok(())
}

/// `dirty_opportunities.xlsx`: one sheet, export-style headers, every kind of dirty cell.
fn dirty_opportunities(path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties()?);
    let ws = wb.add_worksheet().set_name("Opportunities")?;
    let headers = [
        "Opp ID",
        "Channel",
        "Opportunity Amount",
        "Created",
        "Closed",
        "Won?",
        "Notes",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    // Row 2: clean, native cells.
    ws.write_string(1, 0, "O-1")?;
    ws.write_string(1, 1, "Direct")?;
    ws.write_number(1, 2, 1000.0)?;
    date(ws, 1, 3, 2026, 1, 15)?;
    date(ws, 1, 4, 2026, 2, 1)?;
    ws.write_boolean(1, 5, true)?;
    ws.write_string(1, 6, "#junk in an unread column")?;
    // Row 3: currency text (repaired), ISO text date, blank optional close date, "yes".
    ws.write_string(2, 0, "O-2")?;
    ws.write_string(2, 1, "Partner")?;
    ws.write_string(2, 2, "$1,234")?;
    ws.write_string(2, 3, "2026-03-01")?;
    ws.write_string(2, 5, "yes")?;
    // Row 4: accounting negative (repaired), US text date.
    ws.write_string(3, 0, "O-3")?;
    ws.write_string(3, 1, "Online")?;
    ws.write_string(3, 2, "(1,234)")?;
    ws.write_string(3, 3, "03/01/2026")?;
    ws.write_string(3, 5, "no")?;
    // Row 5: garbage amount (bad), date as a bare serial number (fine).
    ws.write_string(4, 0, "O-4")?;
    ws.write_string(4, 1, "Reseller")?;
    ws.write_string(4, 2, "12abc")?;
    ws.write_number(4, 3, 46082.0)?;
    // Row 6: an error cell in amount, unreadable date text.
    ws.write_string(5, 0, "O-5")?;
    ws.write_string(5, 1, "Marketplace")?;
    ws.write_formula(5, 2, Formula::new("=NA()").set_result("#N/A"))?;
    ws.write_string(5, 3, "not a date")?;
    // Row 7: empty but formatted (a styled blank cell), as exports leave behind.
    ws.write_blank(6, 2, &Format::new().set_bold())?;
    // Row 8: blank required amount, bad boolean.
    ws.write_string(7, 0, "O-6")?;
    ws.write_string(7, 1, "Direct")?;
    date(ws, 7, 3, 2026, 4, 2)?;
    ws.write_string(7, 5, "maybe")?;
    // Row 9: percent text (repaired), impossible ISO date (bad).
    ws.write_string(8, 0, "O-7")?;
    ws.write_string(8, 1, "Inside Sales")?;
    ws.write_string(8, 2, "12%")?;
    ws.write_string(8, 3, "2026-13-45")?;
    // Row 10: padded plain number (not a repair), German text date.
    ws.write_string(9, 0, "O-8")?;
    ws.write_string(9, 1, "Direct")?;
    ws.write_string(9, 2, " 2500 ")?;
    ws.write_string(9, 3, "01.03.2026")?;
    wb.save(path)
}

/// `dirty_leads_split.xlsx`: a title block above the header (header on row 3) and the
/// table split over `Leads`, `Leads_2`, `Leads_10`, plus an unrelated sheet.
fn dirty_leads_split(path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties()?);
    // Sheets in a deliberately unnatural workbook order.
    for (sheet, first_id, rows) in [
        ("Leads_10", 30, 2),
        ("Leads", 1, 3),
        ("Other", 0, 0),
        ("Leads_2", 20, 2),
    ] {
        let ws = wb.add_worksheet().set_name(sheet)?;
        ws.write_string(0, 0, "CRM export")?;
        ws.write_string(1, 0, "Generated 2026-06-30")?;
        if sheet == "Other" {
            continue;
        }
        for (c, h) in ["lead_id", "channel", "created_date", "stage_reached"]
            .iter()
            .enumerate()
        {
            ws.write_string(2, c as u16, *h)?;
        }
        for i in 0..rows {
            let row = 3 + i as u32;
            ws.write_string(row, 0, format!("L-{}", first_id + i))?;
            ws.write_string(row, 1, if i % 2 == 0 { "Online" } else { "Partner" })?;
            date(ws, row, 2, 2026, 5, 1 + i as u8)?;
            ws.write_string(row, 3, "MQL")?;
        }
    }
    // One bad date on the last split sheet: its address must carry the header offset.
    let ws = wb.worksheet_from_name("Leads_10")?;
    ws.write_string(4, 2, "yesterday")?;
    wb.save(path)
}

/// `dirty_costs_eu.csv`: a European export — BOM, `;` delimiter, decimal commas, dd.mm.yyyy.
fn dirty_costs_eu(path: &Path) -> std::io::Result<()> {
    let text = "\u{feff}month;channel;amount\n\
                01.01.2026;Direct;1.234,50\n\
                01.02.2026;Partner;\"2.000\"\n\
                01.03.2026;Online;#N/A\n\
                ;Direct;12\n\
                01.04.2026;Reseller;n/a\n";
    std::fs::write(path, text)
}

#[test]
#[ignore = "rewrites tests/fixtures/data; run when the fixture script changes"]
fn regenerate_fixtures() {
    let dir = fixture_data();
    std::fs::create_dir_all(&dir).unwrap();
    write_all(&dir);
}

fn write_all(dir: &Path) {
    dirty_opportunities(&dir.join("dirty_opportunities.xlsx")).unwrap();
    dirty_leads_split(&dir.join("dirty_leads_split.xlsx")).unwrap();
    dirty_costs_eu(&dir.join("dirty_costs_eu.csv")).unwrap();
}

/// Every cell of every sheet, as calamine reads it.
fn raw_cells(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book = open_workbook_auto(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            (name, range.rows().map(<[Data]>::to_vec).collect())
        })
        .collect()
}

#[test]
fn committed_fixtures_match_their_script() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(tmp.path());
    for name in ["dirty_opportunities.xlsx", "dirty_leads_split.xlsx"] {
        assert_eq!(
            raw_cells(&tmp.path().join(name)),
            raw_cells(&fixture_data().join(name)),
            "{name} differs from what the script writes; rerun regenerate_fixtures"
        );
    }
    let csv = "dirty_costs_eu.csv";
    assert_eq!(
        std::fs::read(tmp.path().join(csv)).unwrap(),
        std::fs::read(fixture_data().join(csv)).unwrap()
    );
}

// ---------------------------------------------------------------- expected logs

/// The log as one line per entry (file names only, so snapshots do not hold local paths).
fn render(log: &QualityLog) -> String {
    let mut out = String::new();
    for e in &log.entries {
        let file = e
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push_str(&format!(
            "{} | {} | {} | {} | raw={:?} | expected {} | {}\n",
            e.table, file, e.cell, e.column, e.raw, e.expected, e.action
        ));
    }
    for c in &log.counts {
        out.push_str(&format!("{c:?}\n"));
    }
    out
}

#[test]
fn dirty_opportunities_report_policy() {
    let data = read_inputs(&spec(DIRTY_OPPORTUNITIES), &fixture_data(), None).unwrap();
    insta::assert_snapshot!("opportunities_report", render(&data.quality));
    // The values a person reads off the sheet (serials: 2026-01-15 is 46037,
    // 2026-03-01 is 46082, 2026-04-02 is 46114).
    let t = data.table("Opportunities").unwrap();
    assert_eq!(t.row_count, 8);
    let amount = t.column("amount").unwrap().values();
    assert_eq!(amount[0], Value::Number(1000.0));
    assert_eq!(amount[1], Value::Number(1234.0));
    assert_eq!(amount[2], Value::Number(-1234.0));
    assert_eq!(
        amount[3].error_kind(),
        Some(chanmix::value::ErrorKind::Value)
    );
    assert_eq!(amount[4].error_kind(), Some(chanmix::value::ErrorKind::NA));
    assert_eq!(amount[5], Value::Blank);
    assert_eq!(amount[6], Value::Number(0.12));
    assert_eq!(amount[7], Value::Number(2500.0));
    let created = t.column("created_date").unwrap().values();
    assert_eq!(created[0], Value::Date(46037.0));
    for i in [1, 2, 3, 7] {
        assert_eq!(created[i], Value::Date(46082.0), "row {i}");
    }
    assert_eq!(
        created[6].error_kind(),
        Some(chanmix::value::ErrorKind::Value)
    );
    let won = t.column("is_won").unwrap().values();
    assert_eq!(
        won[..3],
        [Value::Bool(true), Value::Bool(true), Value::Bool(false)]
    );
    // Key first, then the other columns by name; the unread Notes column is absent.
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(
        names,
        [
            "opp_id",
            "amount",
            "channel",
            "close_date",
            "created_date",
            "is_won"
        ]
    );
}

#[test]
fn dirty_opportunities_reject_row_policy() {
    let text = format!("{DIRTY_OPPORTUNITIES}\non_bad_cell = \"reject-row\"\n");
    let data = read_inputs(&spec(&text), &fixture_data(), None).unwrap();
    insta::assert_snapshot!("opportunities_reject_row", render(&data.quality));
    let t = data.table("Opportunities").unwrap();
    let ids = texts(t, "opp_id");
    assert_eq!(ids, ["O-1", "O-2", "O-3", "O-8"]);
}

#[test]
fn dirty_opportunities_fail_policy() {
    let text = format!("{DIRTY_OPPORTUNITIES}\non_bad_cell = \"fail\"\n");
    let err = read_inputs(&spec(&text), &fixture_data(), None).unwrap_err();
    let message = err
        .to_string()
        .replace(&fixture_data().display().to_string(), "<fixtures>");
    insta::assert_snapshot!("opportunities_fail", message);
}

#[test]
fn split_leads_read_in_natural_order_below_a_title_block() {
    let text = r#"
        workbook = "dirty_leads_split.xlsx"
        [tables.Leads]
        sheet_pattern = "Leads*"
        header_row = 3
        key = "lead_id"
        columns = { lead_id = "text", channel = "text", created_date = "date", stage_reached = "text" }
    "#;
    let data = read_inputs(&spec(text), &fixture_data(), None).unwrap();
    insta::assert_snapshot!("leads_split", render(&data.quality));
    let t = data.table("Leads").unwrap();
    let ids = texts(t, "lead_id");
    assert_eq!(ids, ["L-1", "L-2", "L-3", "L-20", "L-21", "L-30", "L-31"]);
    // Text shared across the split sheets is one allocation per distinct string.
    let channel = t.column("channel").unwrap().values();
    let (Value::Text(a), Value::Text(b)) = (&channel[0], &channel[5]) else {
        panic!("text expected")
    };
    assert!(
        chanmix::value::Text::ptr_eq(a, b),
        "Online from Leads and Leads_10 should share one allocation"
    );
}

#[test]
fn european_csv_is_repaired_and_logged() {
    let text = r#"
        [tables.Costs]
        file = "dirty_costs_eu.csv"
        columns = { month = "date", channel = "text", amount = "number" }
    "#;
    let data = read_inputs(&spec(text), &fixture_data(), None).unwrap();
    insta::assert_snapshot!("costs_eu_csv", render(&data.quality));
    let t = data.table("Costs").unwrap();
    let amount = t.column("amount").unwrap().values();
    assert_eq!(amount[0], Value::Number(1234.5));
    // A `;`-delimited CSV is European: "2.000" is two thousand (logged as a repair).
    assert_eq!(amount[1], Value::Number(2000.0));
    let month = t.column("month").unwrap().values();
    // 2026-01-01 is serial 46023.
    assert_eq!(month[0], Value::Date(46023.0));
}
