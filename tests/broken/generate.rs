//! Writes the binary files of the broken-inputs corpus (workbooks, damaged zips, an OLE
//! container, a large CSV) so every byte in tests/broken/ is reproducible from code.

use std::io::{Read, Write};
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Formula, Workbook, Worksheet};

/// One row of the Deals sheet as the CRM would export it.
pub struct Deal<'a> {
    pub id: &'a str,
    pub channel: &'a str,
    pub amount: Cell<'a>,
    pub closed: Cell<'a>,
    pub won: Cell<'a>,
}

/// A cell as it is written to the workbook.
pub enum Cell<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
    /// A date written as its Excel serial with a date format (how Excel stores dates).
    Date(u16, u8, u8),
    /// A formula with the cached result Excel would have stored.
    Formula(&'a str, &'a str),
    Blank,
}

const HEADERS: [&str; 5] = ["deal_id", "channel", "amount", "closed", "won"];

fn good_rows() -> Vec<Deal<'static>> {
    vec![
        Deal {
            id: "D-1",
            channel: "Direct",
            amount: Cell::Number(1000.0),
            closed: Cell::Date(2026, 1, 15),
            won: Cell::Bool(true),
        },
        Deal {
            id: "D-2",
            channel: "Partner",
            amount: Cell::Number(2500.5),
            closed: Cell::Date(2026, 2, 3),
            won: Cell::Bool(false),
        },
        Deal {
            id: "D-3",
            channel: "Direct",
            amount: Cell::Number(400.0),
            closed: Cell::Date(2026, 3, 20),
            won: Cell::Bool(true),
        },
    ]
}

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    match cell {
        Cell::Number(n) => ws.write_number(row, col, *n).map_err(e)?,
        Cell::Text(t) => ws.write_string(row, col, *t).map_err(e)?,
        Cell::Bool(b) => ws.write_boolean(row, col, *b).map_err(e)?,
        Cell::Date(y, m, d) => {
            let date = ExcelDateTime::from_ymd(*y, *m, *d).map_err(e)?;
            let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
            ws.write_datetime_with_format(row, col, &date, &format)
                .map_err(e)?
        }
        Cell::Formula(f, result) => ws
            .write_formula(row, col, Formula::new(*f).set_result(*result))
            .map_err(e)?,
        Cell::Blank => ws,
    };
    Ok(())
}

/// A workbook with one sheet `sheet` holding the Deals header and `rows` (no header
/// row at all when `rows` is `None`), with fixed document dates so the bytes repeat.
pub fn deals_workbook(sheet: &str, rows: Option<&[Deal]>) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1).map_err(e)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = wb.add_worksheet().set_name(sheet).map_err(e)?;
    if let Some(rows) = rows {
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string(0, c as u16, *h).map_err(e)?;
        }
        for (i, deal) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, deal.id).map_err(e)?;
            ws.write_string(r, 1, deal.channel).map_err(e)?;
            write_cell(ws, r, 2, &deal.amount)?;
            write_cell(ws, r, 3, &deal.closed)?;
            write_cell(ws, r, 4, &deal.won)?;
        }
    }
    wb.save_to_buffer().map_err(e)
}

/// Rewrites the parts of a zip: `edit(name, bytes)` returns the new bytes, or `None`
/// to drop the part.
pub fn edit_zip(
    bytes: &[u8],
    edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let e = |e: zip::result::ZipError| e.to_string();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(e)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(e)?;
        let name = entry.name().map_err(|x| x.to_string())?.to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).map_err(|x| x.to_string())?;
        if let Some(content) = edit(&name, content) {
            out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .map_err(e)?;
            out.write_all(&content).map_err(|x| x.to_string())?;
        }
    }
    Ok(out.finish().map_err(e)?.into_inner())
}

/// Replaces `from` by `to` in one part's XML text.
fn replace_in_part(bytes: &[u8], part: &str, from: &str, to: &str) -> Result<Vec<u8>, String> {
    let found = std::cell::Cell::new(false);
    let edited = edit_zip(bytes, |name, content| {
        if name != part {
            return Some(content);
        }
        let text = String::from_utf8_lossy(&content);
        found.set(text.contains(from));
        Some(text.replace(from, to).into_bytes())
    })?;
    if found.get() {
        Ok(edited)
    } else {
        Err(format!("{part} does not contain {from}"))
    }
}

/// A minimal OLE/CFB container holding an `EncryptedPackage` stream: the shape of an
/// Office file saved with a password (MS-CFB: 512-byte header, one FAT sector, one
/// directory sector).
pub fn encrypted_ooxml() -> Vec<u8> {
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    let mut file = vec![0u8; 512 * 3];
    let put = |b: &mut Vec<u8>, at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    put(&mut file, 0, b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    put(&mut file, 24, &0x003Eu16.to_le_bytes());
    put(&mut file, 26, &3u16.to_le_bytes());
    put(&mut file, 28, &0xFFFEu16.to_le_bytes());
    put(&mut file, 30, &9u16.to_le_bytes());
    put(&mut file, 32, &6u16.to_le_bytes());
    put(&mut file, 44, &1u32.to_le_bytes()); // FAT sectors
    put(&mut file, 48, &1u32.to_le_bytes()); // first directory sector
    put(&mut file, 56, &4096u32.to_le_bytes());
    put(&mut file, 60, &END.to_le_bytes()); // no mini FAT
    put(&mut file, 68, &END.to_le_bytes()); // no DIFAT sectors
    put(&mut file, 76, &0u32.to_le_bytes()); // DIFAT[0]: the FAT is sector 0
    for i in 1..109 {
        put(&mut file, 76 + 4 * i, &FREE.to_le_bytes());
    }
    // Sector 0 (offset 512): the FAT — sector 0 is the FAT, sector 1 the directory.
    put(&mut file, 512, &0xFFFF_FFFDu32.to_le_bytes());
    put(&mut file, 516, &END.to_le_bytes());
    for i in 2..128 {
        put(&mut file, 512 + 4 * i, &FREE.to_le_bytes());
    }
    // Sector 1 (offset 1024): the directory entries.
    let entry = |b: &mut Vec<u8>, index: usize, name: &str, kind: u8, child: u32| {
        let at = 1024 + 128 * index;
        let utf16: Vec<u16> = name.encode_utf16().collect();
        for (i, unit) in utf16.iter().enumerate() {
            put(b, at + 2 * i, &unit.to_le_bytes());
        }
        put(b, at + 64, &(((utf16.len() + 1) * 2) as u16).to_le_bytes());
        b[at + 66] = kind;
        b[at + 67] = 1;
        for (offset, v) in [(68, FREE), (72, FREE), (76, child), (116, END), (120, 0)] {
            put(b, at + offset, &v.to_le_bytes());
        }
    };
    entry(&mut file, 0, "Root Entry", 5, 1);
    entry(&mut file, 1, "EncryptedPackage", 2, FREE);
    file
}

/// The longest text an Excel cell holds.
pub const EXCEL_MAX_TEXT: usize = 32_767;

/// One generated file: (case folder, file name, bytes).
pub type GeneratedFile = (&'static str, &'static str, Vec<u8>);

/// Every generated file.
pub fn generated_files() -> Result<Vec<GeneratedFile>, String> {
    let good = deals_workbook("Deals", Some(&good_rows()))?;
    let with = |edit: &dyn Fn(&mut Vec<Deal<'static>>)| {
        let mut rows = good_rows();
        edit(&mut rows);
        deals_workbook("Deals", Some(&rows))
    };
    let long = "C".repeat(EXCEL_MAX_TEXT);
    let longest_text = deals_workbook(
        "Deals",
        Some(&[Deal {
            id: "D-1",
            channel: &long,
            amount: Cell::Number(5.0),
            closed: Cell::Date(2026, 1, 15),
            won: Cell::Bool(true),
        }]),
    )?;
    let mut files = vec![
        ("xlsx_truncated", "deals.xlsx", good[..good.len() / 2].to_vec()),
        (
            "xlsx_is_a_text_file",
            "deals.xlsx",
            b"deal_id,channel,amount\nD-1,Direct,1000\n".to_vec(),
        ),
        (
            "xlsx_no_sheets",
            "deals.xlsx",
            replace_in_part(
                &good,
                "xl/workbook.xml",
                r#"<sheet name="Deals" sheetId="1" r:id="rId1"/>"#,
                "",
            )?,
        ),
        ("xlsx_empty_sheet", "deals.xlsx", deals_workbook("Deals", None)?),
        ("xlsx_headers_only", "deals.xlsx", deals_workbook("Deals", Some(&[]))?),
        ("xlsx_sheet_not_found", "deals.xlsx", deals_workbook("Deal", Some(&good_rows()))?),
        ("xlsx_missing_column", "deals.xlsx", {
            replace_in_part(&good, "xl/sharedStrings.xml", ">amount<", ">Amount (USD)<")?
        }),
        ("xlsx_encrypted", "deals.xlsx", encrypted_ooxml()),
        ("xls_encrypted", "deals.xls", encrypted_ooxml()),
        (
            "xlsx_zip_without_workbook",
            "deals.xlsx",
            edit_zip(&good, |name, content| {
                name.starts_with("docProps/").then_some(content)
            })?,
        ),
        (
            "xlsx_sheet_xml_cut",
            "deals.xlsx",
            edit_zip(&good, |name, content| {
                Some(if name == "xl/worksheets/sheet1.xml" {
                    content[..content.len() / 2].to_vec()
                } else {
                    content
                })
            })?,
        ),
        (
            "xlsx_text_in_number_column",
            "deals.xlsx",
            with(&|rows| rows[1].amount = Cell::Text("see notes"))?,
        ),
        (
            "xlsx_text_in_date_column",
            "deals.xlsx",
            with(&|rows| rows[1].closed = Cell::Text("early Q3"))?,
        ),
        (
            "xlsx_number_in_bool_column",
            "deals.xlsx",
            with(&|rows| rows[2].won = Cell::Number(0.5))?,
        ),
        (
            "xlsx_error_value_in_number_column",
            "deals.xlsx",
            with(&|rows| rows[1].amount = Cell::Formula("1/0", "#DIV/0!"))?,
        ),
        (
            "xlsx_date_out_of_range",
            "deals.xlsx",
            // One day past 9999-12-31, the last date Excel can show.
            with(&|rows| rows[1].closed = Cell::Number(2_958_466.0))?,
        ),
        (
            "xlsx_blank_in_required_column",
            "deals.xlsx",
            with(&|rows| rows[0].amount = Cell::Blank)?,
        ),
        (
            "xlsx_nan_and_infinity_cells",
            "deals.xlsx",
            replace_in_part(
                &replace_in_part(
                    &with(&|rows| {
                        rows[0].amount = Cell::Number(111.25);
                        rows[2].amount = Cell::Number(333.25);
                    })?,
                    "xl/worksheets/sheet1.xml",
                    "<v>111.25</v>",
                    "<v>NaN</v>",
                )?,
                "xl/worksheets/sheet1.xml",
                "<v>333.25</v>",
                "<v>inf</v>",
            )?,
        ),
        (
            "xlsx_huge_numbers",
            "deals.xlsx",
            with(&|rows| {
                rows[0].amount = Cell::Number(1e308);
                rows[2].amount = Cell::Number(1e308);
                rows[1].amount = Cell::Formula("-0", "-0");
                rows[1].won = Cell::Bool(true);
            })?,
        ),
        ("xlsx_longest_text_cell", "deals.xlsx", longest_text.clone()),
        ("rule_text_over_excel_limit", "deals.xlsx", longest_text),
        (
            "xlsx_dimension_claims_whole_sheet",
            "deals.xlsx",
            // The sheet says it spans every cell Excel has; it holds 4 rows.
            replace_in_part(
                &good,
                "xl/worksheets/sheet1.xml",
                r#"<dimension ref="A1:E4"/>"#,
                r#"<dimension ref="A1:XFD1048576"/>"#,
            )?,
        ),
        (
            "xlsx_cell_in_last_row_and_column",
            "deals.xlsx",
            // A stray value in XFD1048576, Excel's last cell, far from the table.
            replace_in_part(
                &good,
                "xl/worksheets/sheet1.xml",
                "</sheetData>",
                r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
            )?,
        ),
        (
            "xlsx_shared_string_index_out_of_range",
            "deals.xlsx",
            // Cell B2 points at shared string 999 of a table of about a dozen.
            replace_in_part(
                &good,
                "xl/worksheets/sheet1.xml",
                r#"<c r="B2" t="s"><v>6</v></c>"#,
                r#"<c r="B2" t="s"><v>999</v></c>"#,
            )?,
        ),
        (
            "xlsx_bad_cell_reference",
            "deals.xlsx",
            // A cell address past Excel's last column (XFD) and a row 0.
            replace_in_part(
                &replace_in_part(
                    &good,
                    "xl/worksheets/sheet1.xml",
                    r#"<c r="B2" t="s">"#,
                    r#"<c r="ZZZZ2" t="s">"#,
                )?,
                "xl/worksheets/sheet1.xml",
                r#"<c r="A1" t="s">"#,
                r#"<c r="A0" t="s">"#,
            )?,
        ),
        ("ods_is_really_xlsx", "deals.ods", good.clone()),
        (
            "xlsx_styles_not_xml",
            "deals.xlsx",
            edit_zip(&good, |name, content| {
                Some(if name == "xl/styles.xml" {
                    [0x00, 0xFF].repeat(50)
                } else {
                    content
                })
            })?,
        ),
        (
            "xlsx_unknown_cell_type",
            "deals.xlsx",
            replace_in_part(
                &good,
                "xl/worksheets/sheet1.xml",
                r#"<c r="E2" t="b">"#,
                r#"<c r="E2" t="x">"#,
            )?,
        ),
        (
            "xlsb_random_bytes",
            "deals.xlsb",
            [b"PK\x03\x04".as_slice(), &[0x33; 300]].concat(),
        ),
        (
            "xls_random_bytes",
            "deals.xls",
            // An OLE signature followed by bytes that are no compound file.
            [
                b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".as_slice(),
                &[0x5A; 600],
            ]
            .concat(),
        ),
        (
            "ods_truncated",
            "deals.ods",
            // The zip signature and the ODS mimetype, then nothing.
            b"PK\x03\x04\x14\x00\x00\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
                .to_vec(),
        ),
    ];
    let mut many = String::from("deal_id,channel,amount,closed,won\n");
    for i in 0..GROUP_COUNT {
        many.push_str(&format!(
            "D-{i},Channel {i:05},{},2026-01-15,TRUE\n",
            i % 997
        ));
    }
    files.push(("csv_many_groups", "deals.csv", many.into_bytes()));
    Ok(files)
}

/// Distinct channels in `csv_many_groups`: one group per row.
pub const GROUP_COUNT: usize = 20_000;

/// Writes every generated file under `root` (tests/broken).
pub fn write_all(root: &Path) -> Result<(), String> {
    for (case, name, bytes) in generated_files()? {
        let folder = root.join(case);
        std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
        std::fs::write(folder.join(name), bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}
