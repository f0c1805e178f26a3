//! The canonical sample workbook (`chanmix sample-data`) read with `read_inputs` and
//! compared cell by cell with calamine's raw cells, converted by a second, simple reader.

// Test helpers outside #[test] fns: failing loudly is the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use calamine::Data;
use chanmix::data::sample::{SampleOptions, write_sample_workbook_with_sheet_limit};
use chanmix::data::{InputsSpec, read_inputs};
use chanmix::value::Value;

use crate::support::xlsx::{self, raw_value};

/// Every data row of `sheet` as calamine reads it (header row dropped).
fn raw_rows(path: &Path, sheet: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut rows = xlsx::rows(path, sheet).into_iter();
    let header = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    (header, rows.collect())
}

#[test]
fn every_sample_sheet_reads_back_as_calamine_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.xlsx");
    // A small sheet limit splits Leads into Leads, Leads_2, … as a 1M-row export would be.
    let summary =
        write_sample_workbook_with_sheet_limit(&SampleOptions { rows: 400, seed: 7 }, &path, 300)
            .unwrap();
    let sheets: Vec<String> = summary
        .sheets
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    assert!(sheets.iter().any(|s| s == "Leads_2"), "{sheets:?}");

    // One `any` table per sheet that is not a Leads continuation, Leads read by pattern.
    let mut text = String::from("workbook = \"sample.xlsx\"\n");
    for sheet in sheets.iter().filter(|s| !s.starts_with("Leads")) {
        text.push_str(&format!("[tables.{sheet}]\n"));
    }
    text.push_str("[tables.Leads]\nsheet_pattern = \"Leads*\"\n");
    let spec: InputsSpec = toml::from_str(&text).unwrap();
    let data = read_inputs(&spec, dir.path(), None).unwrap();
    assert!(
        data.quality.entries.is_empty(),
        "{:?}",
        data.quality.entries
    );

    for table in &data.tables {
        // The sheets behind this table, in natural order (Leads, Leads_2, Leads_3 …).
        let mut behind: Vec<&String> = sheets
            .iter()
            .filter(|s| {
                if &*table.name == "Leads" {
                    s.starts_with("Leads")
                } else {
                    **s == *table.name
                }
            })
            .collect();
        behind.sort_by_key(|s| {
            s.trim_start_matches("Leads")
                .trim_start_matches('_')
                .parse::<u32>()
                .unwrap_or(1)
        });
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for sheet in behind {
            let (h, r) = raw_rows(&path, sheet);
            header = h;
            rows.extend(r);
        }
        assert_eq!(
            table.column_names().collect::<Vec<_>>(),
            header,
            "{}",
            table.name
        );
        assert_eq!(table.row_count, rows.len(), "{}", table.name);
        for (c, name) in header.iter().enumerate() {
            let expected: Vec<Value> = rows
                .iter()
                .map(|r| r.get(c).map_or(Value::Blank, raw_value))
                .collect();
            assert_eq!(
                table.column(name).unwrap().values().into_owned(),
                expected,
                "{}.{name}",
                table.name
            );
        }
        let counts = data.quality.counts_for(&table.name).unwrap();
        assert_eq!(
            (counts.rows_read, counts.rows_kept),
            (rows.len(), rows.len())
        );
    }
}

#[test]
fn typed_sample_tables_need_no_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.xlsx");
    write_sample_workbook_with_sheet_limit(&SampleOptions { rows: 400, seed: 7 }, &path, 300)
        .unwrap();
    let text = r#"
        workbook = "sample.xlsx"
        [tables.Opportunities]
        key = "opp_id"
        columns = { opp_id = "text", account_id = "text", channel = "text", partner_id = "text?",
                    segment = "text", region = "text", product = "text", stage = "text",
                    amount = "number", created_date = "date", close_date = "date?",
                    lead_source = "text", owner = "text" }
        [tables.Leads]
        sheet_pattern = "Leads*"
        key = "lead_id"
        columns = { lead_id = "text", channel = "text", created_date = "date", stage_reached = "text" }
    "#;
    let data = read_inputs(&toml::from_str(text).unwrap(), dir.path(), None).unwrap();
    assert!(
        data.quality.entries.is_empty(),
        "{:?}",
        data.quality.entries
    );
    let (header, rows) = raw_rows(&path, "Opportunities");
    let opps = data.table("Opportunities").unwrap();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let Data::Float(amount) = row[at("amount")] else {
            panic!("amount {:?}", row[at("amount")])
        };
        assert_eq!(
            opps.column("amount").unwrap().values()[i],
            Value::Number(amount)
        );
        let Data::DateTime(created) = row[at("created_date")] else {
            panic!()
        };
        assert_eq!(
            opps.column("created_date").unwrap().values()[i],
            Value::Date(created.as_f64())
        );
    }
}
