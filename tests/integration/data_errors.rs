//! Every `DataError` triggered once by a real bad input, its message pinned (insta),
//! plus corrupted workbooks that must give an error and never a panic.

// Test helpers outside #[test] fns: failing loudly is the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::Path;

use chanmix::data::{DataError, ReadBudget, read_inputs, read_inputs_within};
use rust_xlsxwriter::Workbook;

use crate::support::spec;

/// Reads and returns the error's variant and message, the temp dir replaced by `<dir>`.
fn error_in(dir: &Path, toml_text: &str) -> (&'static str, String) {
    match read_inputs(&spec(toml_text), dir, None) {
        Ok(_) => panic!("expected an error for {toml_text}"),
        Err(e) => (
            variant_name(&e),
            e.to_string().replace(&dir.display().to_string(), "<dir>"),
        ),
    }
}

/// A small valid workbook: sheet Opportunities with opp_id, Channel, amount.
fn write_opportunities(path: &Path, rows: &[(&str, &str, f64)]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Opportunities").unwrap();
    for (c, h) in ["opp_id", "Channel", "amount"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (id, ch, amount)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *id).unwrap();
        ws.write_string(r, 1, *ch).unwrap();
        ws.write_number(r, 2, *amount).unwrap();
    }
    wb.add_worksheet().set_name("Costs").unwrap();
    wb.save(path).unwrap();
}

const ROWS: [(&str, &str, f64); 3] = [
    ("O-1", "Direct", 10.0),
    ("O-2", "Partner", 20.0),
    ("O-3", "Online", 30.0),
];

fn crm_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_opportunities(&dir.path().join("crm.xlsx"), &ROWS);
    dir
}

/// A minimal OLE/CFB container holding an `EncryptedPackage` stream: the shape of an
/// Office file saved with a password (MS-CFB: 512-byte header, one FAT sector, one
/// directory sector).
fn encrypted_ooxml() -> Vec<u8> {
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    let mut file = vec![0u8; 512 * 3];
    let put16 =
        |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    file[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    put16(&mut file, 24, 0x003E);
    put16(&mut file, 26, 3);
    put16(&mut file, 28, 0xFFFE);
    put16(&mut file, 30, 9);
    put16(&mut file, 32, 6);
    put32(&mut file, 44, 1); // FAT sectors
    put32(&mut file, 48, 1); // first directory sector
    put32(&mut file, 56, 4096);
    put32(&mut file, 60, END); // no mini FAT
    put32(&mut file, 68, END); // no DIFAT sectors
    put32(&mut file, 76, 0); // DIFAT[0]: the FAT is sector 0
    for i in 1..109 {
        put32(&mut file, 76 + 4 * i, FREE);
    }
    // Sector 0 (file offset 512): the FAT.
    put32(&mut file, 512, 0xFFFF_FFFD);
    put32(&mut file, 516, END);
    for i in 2..128 {
        put32(&mut file, 512 + 4 * i, FREE);
    }
    // Sector 1 (file offset 1024): directory entries.
    let entry = |b: &mut Vec<u8>, index: usize, name: &str, kind: u8, child: u32| {
        let at = 1024 + 128 * index;
        let utf16: Vec<u16> = name.encode_utf16().collect();
        for (i, unit) in utf16.iter().enumerate() {
            b[at + 2 * i..at + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
        }
        let name_len = ((utf16.len() + 1) * 2) as u16;
        b[at + 64..at + 66].copy_from_slice(&name_len.to_le_bytes());
        b[at + 66] = kind;
        b[at + 67] = 1;
        for (offset, v) in [(68, FREE), (72, FREE), (76, child), (116, END), (120, 0)] {
            b[at + offset..at + offset + 4].copy_from_slice(&v.to_le_bytes());
        }
    };
    entry(&mut file, 0, "Root Entry", 5, 1);
    entry(&mut file, 1, "EncryptedPackage", 2, FREE);
    file
}

/// Copies an .xlsx, replacing one part's bytes.
fn replace_part(src: &Path, dst: &Path, part: &str, content: &[u8]) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer
            .write_all(if name == part { content } else { &bytes })
            .unwrap();
    }
    writer.finish().unwrap();
}

const OPPS: &str = "[tables.Opportunities]\ncolumns = { opp_id = \"text\", amount = \"number\" }\n";

#[test]
fn every_data_error_names_the_place_and_the_fix() {
    let dir = crm_dir();
    let d = dir.path();
    let with_workbook = |file: &str, rest: &str| format!("workbook = \"{file}\"\n{rest}");
    let mut messages: Vec<(&str, (&str, String))> = Vec::new();

    messages.push(("NoFileGiven", error_in(d, OPPS)));
    messages.push((
        "FileNotFound",
        error_in(d, &with_workbook("missing.xlsx", OPPS)),
    ));

    // Reading /proc/self/mem from offset 0 fails with an I/O error: an unreadable file.
    std::os::unix::fs::symlink("/proc/self/mem", d.join("unreadable.csv")).unwrap();
    let csv_table = |file: &str| format!("[tables.Costs]\nfile = \"{file}\"\n");
    messages.push(("FileUnreadable", error_in(d, &csv_table("unreadable.csv"))));

    std::fs::write(d.join("export.numbers"), b"x").unwrap();
    messages.push((
        "UnknownExtension",
        error_in(d, &with_workbook("export.numbers", OPPS)),
    ));

    std::fs::write(
        d.join("report.xlsx"),
        b"<html><body>Session expired</body></html>",
    )
    .unwrap();
    messages.push((
        "NotAWorkbook",
        error_in(d, &with_workbook("report.xlsx", OPPS)),
    ));

    let full = std::fs::read(d.join("crm.xlsx")).unwrap();
    std::fs::write(d.join("truncated.xlsx"), &full[..full.len() / 2]).unwrap();
    messages.push((
        "CorruptWorkbook",
        error_in(d, &with_workbook("truncated.xlsx", OPPS)),
    ));

    std::fs::write(d.join("locked.xlsx"), encrypted_ooxml()).unwrap();
    messages.push((
        "PasswordProtected",
        error_in(d, &with_workbook("locked.xlsx", OPPS)),
    ));

    replace_part(
        &d.join("crm.xlsx"),
        &d.join("bad_sheet.xlsx"),
        "xl/worksheets/sheet1.xml",
        b"<?xml version=\"1.0\"?><worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0",
    );
    messages.push((
        "CorruptSheet",
        error_in(d, &with_workbook("bad_sheet.xlsx", OPPS)),
    ));

    messages.push((
        "SheetNotFound",
        error_in(
            d,
            &with_workbook("crm.xlsx", &format!("{OPPS}sheet = \"Oportunities\"\n")),
        ),
    ));
    messages.push((
        "NoSheetMatches",
        error_in(
            d,
            &with_workbook("crm.xlsx", &format!("{OPPS}sheet_pattern = \"Leads*\"\n")),
        ),
    ));

    std::fs::write(d.join("costs.csv"), "month,amount\n2026-01-01,5\n").unwrap();
    messages.push((
        "SheetOptionOnCsv",
        error_in(d, &format!("{}sheet = \"Costs\"\n", csv_table("costs.csv"))),
    ));
    messages.push((
        "ConflictingSheetOptions",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                &format!("{OPPS}sheet = \"A\"\nsheet_pattern = \"B*\"\n"),
            ),
        ),
    ));
    messages.push((
        "InvalidHeaderRow",
        error_in(
            d,
            &with_workbook("crm.xlsx", &format!("{OPPS}header_row = 0\n")),
        ),
    ));
    messages.push((
        "FillOfKey",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                &format!("{OPPS}key = \"opp_id\"\nfill = {{ opp_id = \"X\" }}\n"),
            ),
        ),
    ));
    messages.push((
        "FilledTwice",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                &format!("{OPPS}fill = {{ region = \"X\" }}\nrow_numbers = [\"region\"]\n"),
            ),
        ),
    ));
    messages.push((
        "UnknownColumnType",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                "[tables.Opportunities]\ncolumns = { amount = \"numbr\" }\n",
            ),
        ),
    ));
    messages.push((
        "NoHeaderRow",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                "[tables.Costs]\ncolumns = { amount = \"number\" }\n",
            ),
        ),
    ));
    messages.push((
        "MissingColumn",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                "[tables.Opportunities]\ncolumns = { amout = \"number\" }\n",
            ),
        ),
    ));
    messages.push((
        "DuplicateHeader",
        error_in(
            d,
            &with_workbook(
                "crm.xlsx",
                "[tables.Opportunities]\ncolumns = { Channel = \"text\" }\nrename = { \"opp_id\" = \"Channel\" }\n",
            ),
        ),
    ));

    write_opportunities(
        &d.join("dupes.xlsx"),
        &[
            ("O-1", "Direct", 1.0),
            ("O-2", "Direct", 2.0),
            ("O-1", "Partner", 3.0),
        ],
    );
    messages.push((
        "DuplicateKey",
        error_in(
            d,
            &with_workbook("dupes.xlsx", &format!("{OPPS}key = \"opp_id\"\n")),
        ),
    ));

    std::fs::write(d.join("bad.csv"), "opp_id,amount\nO-1,12\nO-2,lots\n").unwrap();
    messages.push((
        "BadCell",
        error_in(
            d,
            &format!("{}columns = {{ opp_id = \"text\", amount = \"number\" }}\non_bad_cell = \"fail\"\n", csv_table("bad.csv")),
        ),
    ));

    // A budget of one byte (as `CHANMIX_MAX_READ_MB` cannot set, but a library caller
    // can) refuses the first thing the read would store.
    let tight = read_inputs_within(
        &spec(&with_workbook("crm.xlsx", OPPS)),
        d,
        None,
        ReadBudget::with_flat_limit(Some(1)),
    )
    .map(|_| ())
    .unwrap_err();
    messages.push((
        "ReadLimit",
        (
            variant_name(&tight),
            tight.to_string().replace(&d.display().to_string(), "<dir>"),
        ),
    ));
    let setting = ReadBudget::from_setting(Some(std::ffi::OsStr::new("lots"))).unwrap_err();
    messages.push((
        "BadReadLimit",
        (variant_name(&setting), setting.to_string()),
    ));
    // Dates that read both ways in every row: 03/01 and 04/02 are days ≤ 12 in both places.
    std::fs::write(
        d.join("two_way.csv"),
        "deal,closed\nD-1,03/01/2017\nD-2,04/02/2017\n",
    )
    .unwrap();
    messages.push((
        "AmbiguousDates",
        error_in(
            d,
            &format!(
                "{}columns = {{ deal = \"text\", closed = \"date\" }}\n",
                csv_table("two_way.csv")
            ),
        ),
    ));
    // 15/02 reads only day first, 02/15 only month first.
    std::fs::write(
        d.join("mixed.csv"),
        "deal,closed\nD-1,15/02/2017\nD-2,02/15/2017\n",
    )
    .unwrap();
    messages.push((
        "MixedDateLayouts",
        error_in(
            d,
            &format!(
                "{}columns = {{ deal = \"text\", closed = \"date\" }}\n",
                csv_table("mixed.csv")
            ),
        ),
    ));

    // Each case triggered the variant it is named after, and every variant has a case.
    for (label, (variant, message)) in &messages {
        assert_eq!(label, variant, "{message}");
    }
    let labels: Vec<&str> = messages.iter().map(|(label, _)| *label).collect();
    assert_eq!(labels, ALL_VARIANTS);
    let rendered: String = messages
        .iter()
        .map(|(variant, (_, m))| format!("{variant}:\n  {m}\n"))
        .collect();
    insta::assert_snapshot!("data_error_messages", rendered);
}

/// Every variant, in the order the message test triggers them.
const ALL_VARIANTS: [&str; 25] = [
    "NoFileGiven",
    "FileNotFound",
    "FileUnreadable",
    "UnknownExtension",
    "NotAWorkbook",
    "CorruptWorkbook",
    "PasswordProtected",
    "CorruptSheet",
    "SheetNotFound",
    "NoSheetMatches",
    "SheetOptionOnCsv",
    "ConflictingSheetOptions",
    "InvalidHeaderRow",
    "FillOfKey",
    "FilledTwice",
    "UnknownColumnType",
    "NoHeaderRow",
    "MissingColumn",
    "DuplicateHeader",
    "DuplicateKey",
    "BadCell",
    "ReadLimit",
    "BadReadLimit",
    "AmbiguousDates",
    "MixedDateLayouts",
];

/// Exhaustive on purpose: a new DataError variant fails to compile here until it is
/// added to ALL_VARIANTS and given a case in the message test.
fn variant_name(e: &DataError) -> &'static str {
    {
        match e {
            DataError::NoFileGiven { .. } => "NoFileGiven",
            DataError::FileNotFound { .. } => "FileNotFound",
            DataError::FileUnreadable { .. } => "FileUnreadable",
            DataError::UnknownExtension { .. } => "UnknownExtension",
            DataError::NotAWorkbook { .. } => "NotAWorkbook",
            DataError::CorruptWorkbook { .. } => "CorruptWorkbook",
            DataError::PasswordProtected { .. } => "PasswordProtected",
            DataError::CorruptSheet { .. } => "CorruptSheet",
            DataError::SheetNotFound { .. } => "SheetNotFound",
            DataError::NoSheetMatches { .. } => "NoSheetMatches",
            DataError::SheetOptionOnCsv { .. } => "SheetOptionOnCsv",
            DataError::ConflictingSheetOptions { .. } => "ConflictingSheetOptions",
            DataError::InvalidHeaderRow { .. } => "InvalidHeaderRow",
            DataError::FillOfKey { .. } => "FillOfKey",
            DataError::FilledTwice { .. } => "FilledTwice",
            DataError::UnknownColumnType { .. } => "UnknownColumnType",
            DataError::NoHeaderRow { .. } => "NoHeaderRow",
            DataError::MissingColumn { .. } => "MissingColumn",
            DataError::DuplicateHeader { .. } => "DuplicateHeader",
            DataError::DuplicateKey { .. } => "DuplicateKey",
            DataError::BadCell { .. } => "BadCell",
            DataError::ReadLimit { .. } => "ReadLimit",
            DataError::BadReadLimit { .. } => "BadReadLimit",
            DataError::AmbiguousDates { .. } => "AmbiguousDates",
            DataError::MixedDateLayouts { .. } => "MixedDateLayouts",
        }
    }
}

/// A column the export lacks, given by the scenario: every row has the text, the
/// sheet is not searched for it, and the data-quality log says so.
#[test]
fn fill_gives_every_row_the_scenarios_text() {
    let dir = crm_dir();
    let text = format!(
        "workbook = \"crm.xlsx\"\n{OPPS}fill = {{ segment = \"All\", partner_id = \"\" }}\n"
    );
    let data = read_inputs(&spec(&text), dir.path(), None).unwrap();
    let t = data.table("Opportunities").unwrap();
    assert_eq!(t.row_count, ROWS.len());
    for (column, want) in [("segment", "All"), ("partner_id", "")] {
        let values = t.column(column).unwrap().values();
        assert_eq!(values.len(), ROWS.len());
        assert!(
            values.iter().all(|v| v.to_text().unwrap().as_ref() == want),
            "{column}: {values:?}"
        );
    }
    // The export's own columns are read as before.
    let amounts: Vec<f64> = t
        .column("amount")
        .unwrap()
        .values()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(amounts, vec![10.0, 20.0, 30.0]);
    let filled: Vec<&str> = data
        .quality
        .entries
        .iter()
        .filter(|e| e.action.contains("`fill`"))
        .map(|e| e.column.as_str())
        .collect();
    assert_eq!(filled, vec!["partner_id", "segment"]);
}

/// An identifier the export lacks, numbered row by row: rows stay apart (a `fill`
/// text would make them one deal), a numbered key passes the key check, and the
/// data-quality log says so.
#[test]
fn row_numbers_tell_rows_apart() {
    let dir = crm_dir();
    let text = format!(
        "workbook = \"crm.xlsx\"\n{OPPS}key = \"deal_no\"\nrow_numbers = [\"deal_no\", \"account_id\"]\n"
    );
    let data = read_inputs(&spec(&text), dir.path(), None).unwrap();
    let t = data.table("Opportunities").unwrap();
    for column in ["deal_no", "account_id"] {
        let texts: Vec<String> = t
            .column(column)
            .unwrap()
            .values()
            .iter()
            .map(|v| v.to_text().unwrap().to_string())
            .collect();
        assert_eq!(texts, vec!["1", "2", "3"], "{column}");
    }
    // The export's own key-like column is still read, in the export's order.
    let ids: Vec<String> = t
        .column("opp_id")
        .unwrap()
        .values()
        .iter()
        .map(|v| v.to_text().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["O-1", "O-2", "O-3"]);
    let numbered: Vec<&str> = data
        .quality
        .entries
        .iter()
        .filter(|e| e.action.contains("`row_numbers`"))
        .map(|e| e.column.as_str())
        .collect();
    assert_eq!(numbered, vec!["deal_no", "account_id"]);
}

#[test]
fn header_only_sheet_is_an_empty_table() {
    let dir = tempfile::tempdir().unwrap();
    write_opportunities(&dir.path().join("crm.xlsx"), &[]);
    let data = read_inputs(
        &spec(&format!("workbook = \"crm.xlsx\"\n{OPPS}")),
        dir.path(),
        None,
    )
    .unwrap();
    let t = data.table("Opportunities").unwrap();
    assert_eq!(t.row_count, 0);
    assert_eq!(t.columns.len(), 2);
}

#[test]
fn damaged_workbooks_give_errors_never_panics() {
    let dir = crm_dir();
    let full = std::fs::read(dir.path().join("crm.xlsx")).unwrap();
    let text = format!("workbook = \"cut.xlsx\"\n{OPPS}key = \"opp_id\"\n");
    let spec = spec(&text);
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in (0..full.len()).step_by(61) {
        std::fs::write(dir.path().join("cut.xlsx"), &full[..len]).unwrap();
        assert!(
            read_inputs(&spec, dir.path(), None).is_err(),
            "truncated at {len} read fine"
        );
    }
    // Flipped bytes: any outcome but a panic (a flip inside padding may leave the file valid).
    for _ in 0..300 {
        let mut bytes = full.clone();
        for _ in 0..4 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let at = (rng % bytes.len() as u64) as usize;
            bytes[at] ^= (rng >> 32) as u8 | 1;
        }
        std::fs::write(dir.path().join("cut.xlsx"), &bytes).unwrap();
        let _ = read_inputs(&spec, dir.path(), None);
    }
}
