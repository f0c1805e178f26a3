//! The parallel CSV read against an independent reading of the same file: the csv crate
//! record by record, in the test, with every expected cell, address and count worked
//! out here; chunks are forced small so records, quotes and line ends straddle them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::data::builder::PlannedColumn;
use crate::data::coerce::{RawCell, coerce};
use crate::data::spec::{BadCellPolicy, DeclaredType};
use crate::table::column::ColumnValues;
use crate::value::{ErrorKind, Value, ValueType};

fn column(name: &str, ty: ValueType) -> PlannedColumn {
    PlannedColumn {
        name: name.to_string(),
        decl: DeclaredType { ty, optional: true },
        trim: false,
        date_format: None,
    }
}

/// Columns a, b, c as text and n as a number, keyed by a (so kept rows are recorded).
fn plan() -> ReadPlan {
    ReadPlan {
        name: "T".to_string(),
        columns: vec![
            column("a", ValueType::Text),
            column("b", ValueType::Text),
            column("c", ValueType::Text),
            column("n", ValueType::Number),
        ],
        all_headers: false,
        key: Some("a".to_string()),
        rename: BTreeMap::new(),
        policy: BadCellPolicy::Report,
        header_row: 0,
    }
}

/// The scan's chunk sizes for a file of `file_bytes`, at most `most` each, two threads.
fn sizes(most: u64, file_bytes: usize) -> scan::ChunkSizes {
    scan::ChunkSizes {
        most,
        file_bytes: file_bytes as u64,
        threads: 2,
    }
}

fn read(path: &Path, plan: &ReadPlan, chunk_bytes: u64) -> Result<SheetPart, DataError> {
    read_with(path, plan, chunk_bytes, true)
}

fn read_with(
    path: &Path,
    plan: &ReadPlan,
    chunk_bytes: u64,
    fast_path: bool,
) -> Result<SheetPart, DataError> {
    let budget = Arc::new(ReadBudget::default());
    let source = CsvSource {
        path,
        sheet: "deals",
        plan,
        ctx: CoerceContext {
            date_offset: 0.0,
            text_only_source: true,
            decimal_comma: false,
            errors_as_text: true,
        },
        delimiter: b',',
        budget: &budget,
    };
    read_in_chunks(&source, &|_| {}, chunk_bytes, fast_path)
}

/// What a reader must make of the file, from the csv crate's records.
#[derive(Debug, Default)]
struct Expected {
    /// Per column a, b, c, n: the value of each data row.
    columns: Vec<Vec<Value>>,
    /// 0-based record number of each data row.
    rows: Vec<u32>,
    /// Addresses of the n cells that are not numbers.
    bad: Vec<String>,
    blank_rows: usize,
}

fn expected(text: &[u8]) -> Expected {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut out = Expected {
        columns: vec![Vec::new(); 4],
        ..Expected::default()
    };
    let mut last_data = 0usize;
    for (r, record) in reader.byte_records().enumerate() {
        let record = record.unwrap();
        if r == 0 {
            continue;
        }
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        out.blank_rows += r - last_data - 1;
        last_data = r;
        out.rows.push(r as u32);
        for (j, values) in out.columns.iter_mut().enumerate() {
            let field = String::from_utf8_lossy(record.get(j).unwrap_or_default()).into_owned();
            // A typed column reads text of only white space as a blank cell.
            values.push(if field.is_empty() || (j == 3 && field.trim().is_empty()) {
                Value::Blank
            } else if j < 3 {
                Value::text(&field)
            } else if is_whole_or_scientific(&field) {
                Value::Number(field.parse().unwrap())
            } else {
                out.bad.push(format!("deals!D{}", r + 1));
                Value::error(ErrorKind::Value)
            });
        }
    }
    out
}

/// Digits, optionally with a digits-only exponent (`41e3`), within a double's range:
/// what the generated plain fields can spell as a number, as Excel reads it when typed
/// (`1e309` is past the largest double, so Excel keeps it as text and a number column
/// refuses it).
fn is_whole_or_scientific(field: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let spelled = match field.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => digits(mantissa) && digits(exponent),
        None => digits(field),
    };
    spelled && field.parse::<f64>().is_ok_and(f64::is_finite)
}

fn check(text: &[u8], chunk_bytes: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, text).unwrap();
    let want = expected(text);
    let part = read(&path, &plan(), chunk_bytes).unwrap();
    assert_eq!(part.column_names, ["a", "b", "c", "n"]);
    let got = part.column_values();
    for (j, (g, w)) in got.iter().zip(&want.columns).enumerate() {
        assert_eq!(g.len(), w.len(), "column {j}");
        for (row, (x, y)) in g.iter().zip(w).enumerate() {
            assert_eq!(x, y, "column {j}, data row {row}, chunks of {chunk_bytes}");
        }
    }
    assert_eq!(
        part.rows.to_vec(),
        want.rows,
        "record numbers of the kept rows"
    );
    let cells: Vec<&str> = part.entries.iter().map(|e| e.cell.as_str()).collect();
    assert_eq!(cells, want.bad, "addresses of the bad cells");
    assert!(part.entries.iter().all(|e| e.action == "kept as #VALUE!"));
    assert_eq!(part.counts.rows_read, want.rows.len());
    assert_eq!(part.counts.rows_kept, want.rows.len());
    assert_eq!(part.counts.blank_rows_skipped, want.blank_rows);
    assert_eq!(part.counts.cells_reported, want.bad.len());
}

/// One field as written: plain, quoted (with delimiters, quotes, line ends inside),
/// or raw text with a quote that does not start the field.
fn field() -> impl Strategy<Value = String> {
    let quote = |s: String| format!("\"{}\"", s.replace('"', "\"\""));
    prop_oneof![
        Just(String::new()),
        "[a-z0-9]{1,5}",
        "[0-9]{1,4}",
        "[qxz]{1,3}",
        "[a-z ,\"\r\n]{0,6}".prop_map(quote),
        "[0-9]{1,3}".prop_map(quote),
        "[a-z]{1,3}\"[a-z]{0,2}",
        "\"[a-z]{1,2}\"[a-z]{1,2}",
    ]
}

fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    let line_end = prop_oneof![4 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r")];
    let row = (prop::collection::vec(field(), 0..6), line_end, 0usize..3);
    (
        any::<bool>(),
        prop::collection::vec(row, 0..40),
        any::<bool>(),
    )
        .prop_map(|(bom, rows, end_last)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str("a,b,c,n\n");
            let count = rows.len();
            for (i, (fields, end, blank_lines)) in rows.into_iter().enumerate() {
                text.push_str(&fields.join(","));
                if i + 1 < count || end_last {
                    text.push_str(end);
                    for _ in 0..blank_lines {
                        text.push_str(end);
                    }
                }
            }
            text.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn chunks_read_what_the_csv_crate_reads(text in csv_text(), chunk_bytes in 1u64..120) {
        check(&text, chunk_bytes);
        check(&text, u64::MAX);
    }
}

#[test]
fn a_hand_written_file_across_one_byte_chunks() {
    // Record 1 holds a quoted newline and delimiter; record 2 is blank (",,,"); a blank
    // line is no record; the CRLF record 3 has a bad n; record 4 is ragged.
    let text = b"\xEF\xBB\xBFa,b,c,n\n\"x,\ny\",\"say \"\"hi\"\"\",,12\n,,,\n\r\nq\"r,b,c,zz\r\nlast,,,,extra";
    for chunk_bytes in [1, 2, 3, 5, 8, 13, u64::MAX] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deals.csv");
        std::fs::write(&path, text).unwrap();
        let part = read(&path, &plan(), chunk_bytes).unwrap();
        let t = |s: &str| Value::text(s);
        assert_eq!(
            part.column_values(),
            vec![
                vec![t("x,\ny"), t("q\"r"), t("last")],
                vec![t("say \"hi\""), t("b"), Value::Blank],
                vec![Value::Blank, t("c"), Value::Blank],
                vec![
                    Value::Number(12.0),
                    Value::error(ErrorKind::Value),
                    Value::Blank
                ],
            ],
            "chunks of {chunk_bytes}"
        );
        assert_eq!(part.rows.to_vec(), [1, 3, 4]);
        assert_eq!(part.counts.blank_rows_skipped, 1);
        let cells: Vec<&str> = part.entries.iter().map(|e| e.cell.as_str()).collect();
        assert_eq!(cells, ["deals!D4"]);
    }
}

#[test]
fn the_cap_on_listed_cells_holds_across_chunks() {
    use crate::data::quality::MAX_ENTRIES_PER_COLUMN;
    let bad = MAX_ENTRIES_PER_COLUMN + 7;
    let mut text = String::from("a,b,c,n\n");
    for i in 0..bad {
        text.push_str(&format!("id{i},,,x\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, &text).unwrap();
    let part = read(&path, &plan(), 4096).unwrap();
    assert_eq!(part.entries.len(), MAX_ENTRIES_PER_COLUMN);
    // The listed cells are the first ones, in file order: rows 2 … (1-based).
    let first: Vec<String> = (0..MAX_ENTRIES_PER_COLUMN)
        .map(|i| format!("deals!D{}", i + 2))
        .collect();
    let cells: Vec<String> = part.entries.iter().map(|e| e.cell.clone()).collect();
    assert_eq!(cells, first);
    assert_eq!(part.not_listed, [0, 0, 0, 7]);
    assert_eq!(part.counts.cells_reported, bad);
    // Each #VALUE! names its own table row, past the chunk it was read in.
    let Some(Value::Error(e)) = part.columns[3].get(bad - 1) else {
        panic!("not an error");
    };
    assert_eq!(e.origin.as_ref().and_then(|o| o.row), Some(bad - 1));
}

#[test]
fn a_date_layout_shown_late_decides_the_whole_column() {
    // 03/01/2024 reads both ways; 15/01/2024 only day first, in the last chunk: the
    // whole column is day first, so the first rows are 3 January 2024 (serial 45294,
    // from 2024-01-01 = 45292).
    let mut text = String::from("a,d\n");
    for i in 0..500 {
        text.push_str(&format!("r{i},03/01/2024\n"));
    }
    text.push_str("last,15/01/2024\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, &text).unwrap();
    let plan = ReadPlan {
        columns: vec![column("a", ValueType::Text), column("d", ValueType::Date)],
        ..plan()
    };
    for chunk_bytes in [64, u64::MAX] {
        let part = read(&path, &plan, chunk_bytes).unwrap();
        let dates = &part.column_values()[1];
        assert_eq!(dates.len(), 501);
        assert!(dates[..500].iter().all(|d| *d == Value::Date(45294.0)));
        assert_eq!(dates[500], Value::Date(45306.0));
        let notes: Vec<&str> = part.entries.iter().map(|e| e.cell.as_str()).collect();
        assert_eq!(
            notes,
            ["deals!B502"],
            "the layout note names the deciding cell"
        );
    }
}

#[test]
fn a_fail_policy_names_the_first_bad_cell_of_the_file() {
    let mut text = String::from("a,b,c,n\n");
    for i in 0..300 {
        let n = if i == 120 || i == 250 { "bad" } else { "1" };
        text.push_str(&format!("id{i},,,{n}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, &text).unwrap();
    let plan = ReadPlan {
        policy: BadCellPolicy::Fail,
        ..plan()
    };
    let Err(DataError::BadCell { cell, .. }) = read(&path, &plan, 100) else {
        panic!("no bad cell error");
    };
    // Data row 120 is record 121, 1-based row 122.
    assert_eq!(cell, "deals!D122");
}

#[test]
fn a_repeated_key_is_named_by_its_file_rows_across_chunks() {
    // id2 is record 3 (row 4) and again record 290 (row 291), many chunks later.
    let mut text = String::from("a,b,c,n\n");
    for i in 0..300 {
        let id = if i == 289 { 2 } else { i };
        text.push_str(&format!("id{id},,,1\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, &text).unwrap();
    let plan = plan();
    let part = read(&path, &plan, 50).unwrap();
    let Err(DataError::DuplicateKey { first, second, .. }) =
        crate::data::read::merge_parts(&plan, vec![part])
    else {
        panic!("the repeated key was not found");
    };
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("deals!A4", "deals!A291")
    );
}

/// Everything a part says, for comparing two reads: column shapes and codes included
/// (the interners, used only to share strings across sheets, aside).
fn summary(part: &SheetPart) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{}",
        part.column_names,
        part.column_decls,
        part.sheet_columns,
        part.columns,
        part.rows,
        part.entries,
        part.counts,
        (&part.listed, &part.not_listed),
        part.date_evidence,
        part.last_data_row,
    )
}

/// Columns of every type the fast path reads, a required one and a trimmed key.
fn typed_plan(policy: BadCellPolicy) -> ReadPlan {
    let required = |name: &str, ty| PlannedColumn {
        decl: DeclaredType {
            ty,
            optional: false,
        },
        ..column(name, ty)
    };
    ReadPlan {
        columns: vec![
            PlannedColumn {
                trim: true,
                ..required("a", ValueType::Text)
            },
            column("b", ValueType::Text),
            column("d", ValueType::Date),
            column("n", ValueType::Number),
            required("r", ValueType::Number),
            column("x", ValueType::Any),
        ],
        policy,
        ..plan()
    }
}

/// The same file read with and without the fast path, at these chunk sizes.
fn check_fast(text: &[u8], plan: &ReadPlan, chunks: &[u64]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, text).unwrap();
    for &chunk_bytes in chunks {
        let full = read_with(&path, plan, chunk_bytes, false);
        let fast = read_with(&path, plan, chunk_bytes, true);
        match (full, fast) {
            (Ok(full), Ok(fast)) => {
                assert_eq!(summary(&fast), summary(&full), "chunks of {chunk_bytes}")
            }
            (full, fast) => assert_eq!(
                format!("{:?}", fast.map(|p| summary(&p))),
                format!("{:?}", full.map(|p| summary(&p))),
                "chunks of {chunk_bytes}"
            ),
        }
    }
}

/// The smallest flat read budget the file's read (one chunk) fits in: what it charges.
fn least_budget(text: &[u8], plan: &ReadPlan, fast_path: bool) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    std::fs::write(&path, text).unwrap();
    let fits = |limit: u64| {
        let budget = Arc::new(ReadBudget::with_flat_limit(Some(limit)));
        let source = CsvSource {
            path: &path,
            sheet: "deals",
            plan,
            ctx: CoerceContext {
                date_offset: 0.0,
                text_only_source: true,
                decimal_comma: false,
                errors_as_text: true,
            },
            delimiter: b',',
            budget: &budget,
        };
        read_in_chunks(&source, &|_| {}, u64::MAX, fast_path).is_ok()
    };
    let (mut low, mut high) = (0u64, 64 << 20);
    assert!(fits(high));
    while low + 1 < high {
        let mid = (low + high) / 2;
        if fits(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// Mostly clean fields, with now and then what the fast path gives back: repairs, bad
/// and error cells, spaces, two-way dates, a quote, a lone CR, invalid UTF-8.
fn typed_field() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        8 => Just(String::new()),
        8 => "[a-z]{1,4}",
        8 => "[0-9]{1,4}",
        2 => "[0-9]{1,2}e[0-9]",
        4 => "20[0-9]{2}-0[1-9]-[12][0-9]",
        1 => "[1-9]/[1-9]/2024",
        1 => "1[3-9]/0[1-9]/2024",
        1 => Just("$1,234".to_string()),
        1 => Just("#N/A".to_string()),
        1 => Just("TRUE".to_string()),
        1 => " [a-z0-9]{1,3} ",
        1 => Just("  ".to_string()),
        1 => Just("x\"y".to_string()),
        1 => Just("a\rb".to_string()),
    ];
    prop_oneof![
        40 => text.prop_map(String::into_bytes),
        1 => Just(b"\xff\xfe".to_vec()),
    ]
}

fn typed_text() -> impl Strategy<Value = Vec<u8>> {
    let line_end = prop_oneof![6 => Just(&b"\n"[..]), 2 => Just(&b"\r\n"[..])];
    let row = (
        prop::collection::vec(typed_field(), 0..8),
        line_end,
        0usize..2,
    );
    (any::<bool>(), prop::collection::vec(row, 0..60)).prop_map(|(bom, rows)| {
        let mut text = Vec::new();
        if bom {
            text.extend_from_slice(b"\xEF\xBB\xBF");
        }
        text.extend_from_slice(b"a,b,d,n,r,x,extra\n");
        for (fields, end, blank_lines) in rows {
            text.extend_from_slice(&fields.join(&b","[..]));
            for _ in 0..=blank_lines {
                text.extend_from_slice(end);
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_fast_path_reads_what_the_full_path_reads(
        text in typed_text(),
        chunk_bytes in 1u64..400,
        policy in prop_oneof![
            Just(BadCellPolicy::Report),
            Just(BadCellPolicy::RejectRow),
            Just(BadCellPolicy::Fail),
        ],
    ) {
        check_fast(&text, &typed_plan(policy), &[chunk_bytes, u64::MAX]);
    }

    #[test]
    fn the_fast_path_reads_what_the_csv_crate_reads(text in csv_text(), chunk_bytes in 1u64..120) {
        check_fast(&text, &plan(), &[chunk_bytes, u64::MAX]);
    }

    /// Columns the table does not read, before, between and after its own.
    #[test]
    fn the_fast_path_skips_the_columns_a_table_does_not_read(
        typed in typed_text(),
        text in csv_text(),
        chunk_bytes in 1u64..400,
    ) {
        let some_of = |plan: ReadPlan, names: &[&str]| ReadPlan {
            columns: plan
                .columns
                .into_iter()
                .filter(|c| names.contains(&c.name.as_str()))
                .collect(),
            key: names.first().map(|n| n.to_string()),
            ..plan
        };
        let typed_plan = typed_plan(BadCellPolicy::Report);
        check_fast(&typed, &some_of(typed_plan.clone(), &["b", "r"]), &[chunk_bytes, u64::MAX]);
        check_fast(&typed, &some_of(typed_plan, &["d"]), &[chunk_bytes]);
        check_fast(&text, &some_of(plan(), &["c", "n"]), &[chunk_bytes, u64::MAX]);
        check_fast(&text, &some_of(plan(), &["b"]), &[chunk_bytes]);
    }
}

#[test]
fn mostly_distinct_text_takes_the_shapes_of_the_full_path() {
    let plan = typed_plan(BadCellPolicy::Report);
    let file = |rows: usize, id: &dyn Fn(usize) -> String, b: &dyn Fn(usize) -> String| {
        let mut text = String::from("a,b,d,n,r,x\n");
        for i in 0..rows {
            text.push_str(&format!("{},{},2024-01-02,{i},1,{i}\n", id(i), b(i)));
        }
        text.into_bytes()
    };
    // Small chunks each take a lease of the budget: not too many of them.
    let chunks = [16_384, 300_000, u64::MAX];
    // Distinct IDs (one text buffer), a few channels (codes).
    let ids = file(20_000, &|i| format!("ID-{i}"), &|i| {
        ["P", "D"][i % 2].to_string()
    });
    check_fast(&ids, &plan, &chunks);
    // A blank among distinct text, early and late.
    let blanks = file(20_000, &|i| format!("ID-{i}"), &|i| match i {
        3 | 15_000 => String::new(),
        _ => format!("B-{i}"),
    });
    check_fast(&blanks, &plan, &chunks);
    // Distinct at first, repeated after: the interner keeps sharing.
    let repeats = file(30_000, &|i| format!("ID-{i}"), &|i| {
        format!("K{}", i % 9_000)
    });
    check_fast(&repeats, &plan, &chunks);
    // Repeated at first, distinct after the interner's sample.
    let late = file(30_000, &|i| format!("ID-{i}"), &|i| {
        format!("K{}", i.saturating_sub(10_000))
    });
    check_fast(&late, &plan, &chunks);
    // Text on one row in three, distinct then repeated: kept as codes, but the
    // interner gives up (and each cell after is charged its characters).
    let sparse = file(30_000, &|i| format!("ID-{i}"), &|i| match i % 3 {
        0 => format!("B-{}", (i / 3) % 9_000),
        _ => String::new(),
    });
    check_fast(&sparse, &plan, &chunks);
    for text in [&ids, &repeats, &late, &sparse] {
        assert_eq!(
            least_budget(text, &plan, true),
            least_budget(text, &plan, false)
        );
    }

    // A clean chunk is read by the fast path.
    let budget = Arc::new(ReadBudget::default());
    let source = CsvSource {
        path: Path::new("deals.csv"),
        sheet: "deals",
        plan: &plan,
        ctx: CoerceContext {
            date_offset: 0.0,
            text_only_source: true,
            decimal_comma: false,
            errors_as_text: true,
        },
        delimiter: b',',
        budget: &budget,
    };
    let chunk = |bytes: &[u8]| Cut {
        index: 0,
        first_row: 0,
        records: 0,
        clean: false,
        bytes: bytes.to_vec(),
    };
    let part = fast::read_chunk(&source, &chunk(&ids), &[], &Default::default(), &mut |_| {})
        .expect("a fast read");
    assert_eq!(part.counts.rows_kept, 20_000);
    let shapes: Vec<&str> = part.columns.iter().map(ColumnValues::shape_name).collect();
    assert_eq!(
        shapes,
        ["texts", "coded", "floats", "floats", "floats", "floats"]
    );
    for text in [&repeats, &late, &sparse] {
        assert!(
            fast::read_chunk(&source, &chunk(text), &[], &Default::default(), &mut |_| {})
                .is_some()
        );
    }
    // A bad number gives the chunk back.
    let bad = b"a,b,d,n,r,x\nk,b,2024-01-02,12x,1,1\n";
    assert!(
        fast::read_chunk(&source, &chunk(bad), &[], &Default::default(), &mut |_| {}).is_none()
    );
}

proptest! {
    #[test]
    fn iso_dates_read_as_the_full_path_reads_them(
        year in 0u32..10_000, month in 0u32..14, day in 0u32..33,
    ) {
        let text = format!("{year:04}-{month:02}-{day:02}");
        let full = match coerce(
            RawCell::Text(&text),
            ValueType::Date,
            CoerceContext::default(),
            &mut crate::table::intern::Interner::new(),
        ) {
            crate::data::coerce::Coerced::Value(Value::Date(serial)) => Some(serial),
            _ => None,
        };
        prop_assert_eq!(fast::iso_date(&text), Some(full));
    }
}

#[test]
fn the_read_hashes_the_whole_file() {
    let plan = ReadPlan {
        columns: vec![column("abc", ValueType::Text)],
        key: None,
        ..plan()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deals.csv");
    // SHA-256 of "abc", the standard's first example (FIPS 180-2, appendix B.1).
    std::fs::write(&path, "abc").unwrap();
    let part = read(&path, &plan, u64::MAX).unwrap();
    assert_eq!(
        part.file_digest,
        Some((
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(),
            3
        ))
    );
    // Over many blocks and chunks: the same as hashing the bytes in one go.
    let mut text = String::from("abc\n");
    for i in 0..200_000 {
        text.push_str(&format!("value {i}\n"));
    }
    std::fs::write(&path, &text).unwrap();
    let part = read(&path, &plan, 100_000).unwrap();
    use sha2::Digest;
    let whole: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(part.file_digest, Some((whole, text.len() as u64)));
}

proptest! {
    #[test]
    fn plain_decimals_read_as_the_full_path_reads_them(
        text in prop_oneof![
            "-?[0-9]{1,18}",
            "-?[0-9]{1,10}\\.[0-9]{0,10}",
            "-?[0-9]{0,3}\\.?[0-9]{0,3}-?\\.?",
            any::<f64>().prop_map(|x| x.to_string()),
            (0u64..1_000_000_000, 0u32..4).prop_map(|(n, d)| format!("{:.*}", d as usize, n as f64 / 100.0)),
        ],
    ) {
        let full = match coerce(
            RawCell::Text(&text),
            ValueType::Number,
            CoerceContext::default(),
            &mut crate::table::intern::Interner::new(),
        ) {
            crate::data::coerce::Coerced::Value(Value::Number(n)) => Some(n.to_bits()),
            _ => None,
        };
        // Read fast, it is what the full path reads; otherwise left to it.
        if let Some(n) = fast::plain_decimal(&text) {
            prop_assert_eq!(Some(n.to_bits()), full, "{}", text);
        }
    }

    /// Field ends handed out one by one, or a line's rest skipped, are the delimiters
    /// and line feeds a plain scan finds, from any byte on (blocks of 64 and a tail).
    #[test]
    fn field_ends_are_every_delimiter_and_line_feed(
        bytes in prop::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'a'), Just(b';'), any::<u8>()], 0..400),
        delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(0u8)],
        skips in prop::collection::vec(any::<bool>(), 0..200),
    ) {
        let len = bytes.len();
        let mut ends = field_ends::FieldEnds::new(&bytes, delimiter);
        let mut at = 0usize;
        for skip_line in skips.into_iter().chain(std::iter::repeat_n(false, len + 2)) {
            if skip_line {
                let line_end = bytes.iter().skip(at).position(|b| *b == b'\n').map_or(len, |i| at + i);
                prop_assert_eq!(ends.line_end(), line_end);
                at = (line_end + 1).min(len);
            } else {
                let end = bytes
                    .iter()
                    .skip(at)
                    .position(|b| *b == delimiter || *b == b'\n')
                    .map_or(len, |i| at + i);
                let ends_line = end == len || bytes.get(end) == Some(&b'\n');
                prop_assert_eq!(ends.next_end(), (end, ends_line));
                at = (end + 1).min(len);
            }
        }
    }

    /// The vector masks and the portable ones (other targets) agree, bit by bit.
    #[test]
    fn vector_and_portable_masks_agree(
        bytes in prop::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), any::<u8>()], field_ends::LANES),
        delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), any::<u8>()],
    ) {
        let block: [u8; field_ends::LANES] = bytes.try_into().unwrap();
        let bit = |i: usize| 1u64 << i;
        let ends = (0..field_ends::LANES).filter(|i| block[*i] == delimiter || block[*i] == b'\n');
        let lines = (0..field_ends::LANES).filter(|i| block[*i] == b'\n');
        let by_hand = (ends.map(bit).sum::<u64>(), lines.map(bit).sum::<u64>());
        prop_assert_eq!(field_ends::block_masks(&block, delimiter), by_hand);
        prop_assert_eq!(field_ends::block_masks_portable(&block, delimiter), by_hand);
    }

    /// A chunk the scan calls clean has no quote and no lone CR; one with neither a
    /// quote nor any CR is called clean; its record count is the csv crate's.
    #[test]
    fn the_scan_says_which_chunks_are_clean(text in csv_text(), chunk_bytes in 1u64..120) {
        let budget = ReadBudget::default();
        let spare = scan::Spare::default();
        let mut cuts = Vec::new();
        let sizes = sizes(chunk_bytes, text.len());
        scan::cut(text.as_slice(), b',', 0, sizes, &budget, &spare, |cut| {
            cuts.push(cut);
            true
        })
        .unwrap();
        for cut in &cuts {
            let bytes = &cut.bytes;
            let (quote, lone_cr) = quote_and_lone_cr(bytes);
            if cut.clean {
                prop_assert!(!quote && !lone_cr, "chunk {}", cut.index);
            }
            if !quote && !bytes.contains(&b'\r') {
                prop_assert!(cut.clean, "chunk {}", cut.index);
            }
            let records = csv_reader(b',', bytes.as_slice()).byte_records().count();
            prop_assert_eq!(cut.records as usize, records, "chunk {}", cut.index);
        }
    }
}

/// Whether `bytes` hold a quote, and a carriage return not followed by a line feed:
/// what makes a chunk not clean, found by a plain scan.
fn quote_and_lone_cr(bytes: &[u8]) -> (bool, bool) {
    let quote = bytes.contains(&b'"');
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    (quote, lone_cr)
}

/// Every `yyyy-mm-dd` with month 0–13 and day 0–32, against the calendar's own count.
#[test]
fn every_iso_date_has_the_calendars_serial() {
    for year in 0..=9999u32 {
        for month in 0..14 {
            for day in 0..33 {
                let text = format!("{year:04}-{month:02}-{day:02}");
                let serial = crate::value::datetime::serial_from_ymd(year as i32, month, day)
                    .filter(|s| (1.0..=crate::data::coerce::MAX_DATE_SERIAL).contains(s));
                assert_eq!(fast::iso_date(&text), Some(serial), "{text}");
            }
        }
    }
}

/// A file of several read blocks, most without a quote or CR and some with them (a
/// quoted line feed across a block's end, CRLF lines, blank lines): every chunk's
/// record count is the csv crate's, chunks are clean exactly where the scan can tell,
/// and the chunks hold the whole file.
#[test]
fn the_scan_counts_records_in_clean_and_quoted_blocks() {
    let mut next = crate::test_random::stream(17);
    let mut text = Vec::new();
    while text.len() < 5 << 20 {
        let line = match next(4_000) {
            0 => "\"a\nquoted\"\"line\",1,2\n".to_string(),
            1 => "crlf,line\r\n".to_string(),
            2 | 3 => "\n".to_string(),
            4 => ",,\n".to_string(),
            n => format!("ID-{n},{},Direct Sales,{}\n", next(90), next(1_000_000)),
        };
        text.extend_from_slice(line.as_bytes());
    }
    let budget = ReadBudget::default();
    let spare = scan::Spare::default();
    for chunk_bytes in [1_000, 70_000, 1 << 20, 3 << 20] {
        // Each chunk is checked as it comes (and its buffer handed back).
        let (mut total, mut whole, mut clean, mut dirty) = (0usize, Vec::new(), 0, 0);
        // Chunks over 1 MiB: the first chunk and the last ones are cut shorter.
        scan::cut(
            text.as_slice(),
            b',',
            0,
            sizes(chunk_bytes, text.len()),
            &budget,
            &spare,
            |cut| {
                let bytes = &cut.bytes;
                let records = csv_reader(b',', bytes.as_slice()).byte_records().count();
                assert_eq!(cut.records as usize, records, "chunk {}", cut.index);
                assert_eq!(cut.first_row as usize, total, "chunk {}", cut.index);
                let (quote, lone_cr) = quote_and_lone_cr(bytes);
                if cut.clean {
                    assert!(!quote && !lone_cr, "chunk {}", cut.index);
                    clean += 1;
                } else {
                    assert!(quote || bytes.contains(&b'\r'), "chunk {}", cut.index);
                    dirty += 1;
                }
                total += records;
                let own = if cut.index == 0 {
                    &bytes[..]
                } else {
                    &bytes[1..]
                };
                whole.extend_from_slice(own);
                spare.give(cut.bytes);
                true
            },
        )
        .unwrap();
        assert_eq!(
            total,
            csv_reader(b',', text.as_slice()).byte_records().count()
        );
        assert!(whole == text, "chunks of {chunk_bytes}");
        // Some chunks are clean and some are not: both kinds of block were scanned.
        if chunk_bytes == 70_000 {
            assert!(clean > 0 && dirty > 0);
        }
    }
}
