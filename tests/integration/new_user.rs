//! A new user's own CRM export, unaided (#17): nothing silent. The fixture
//! (tests/fixtures/new_user) has another schema than the shipped library: three CSV
//! files, text dates written day/month, a channel with a trailing space, an "N/A"
//! amount and a product spelled `GTXPro` in the deals but `GTX Pro` in the product
//! list. Every expected value below is worked out by hand from those files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chanmix::data::read_inputs;
use chanmix::data::spec::InputsSpec;
use chanmix::eval::engine::{KeyProblem, LookupMiss, SuspiciousKey, UnreachedRows, evaluate};
use chanmix::functions::CallContext;
use chanmix::table::{Column, Table};
use chanmix::value::{ErrorKind, Value, ValueType};

use crate::support::command::Chanmix;
use crate::support::fixture::compile;
use crate::support::{repo, xlsx};

/// A temp copy of tests/fixtures/new_user (so runs write nothing into the repository).
fn new_user_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = repo().join("tests/fixtures/new_user");
    std::fs::create_dir_all(dir.path().join("export")).unwrap();
    for name in ["pipeline.rules", "scenario.toml"] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    for name in ["sales_pipeline.csv", "products.csv", "sales_teams.csv"] {
        std::fs::copy(
            from.join("export").join(name),
            dir.path().join("export").join(name),
        )
        .unwrap();
    }
    dir
}

/// The temp folder's path replaced by `<dir>`, for snapshots.
fn normalized(dir: &Path, text: &str) -> String {
    let canonical = dir.canonicalize().unwrap();
    text.replace(&canonical.display().to_string(), "<dir>")
        .replace(&dir.display().to_string(), "<dir>")
}

fn run_json(dir: &Path, extra: &[&str]) -> (serde_json::Value, String, Option<i32>) {
    let ran = Chanmix::new()
        .current_dir(dir)
        .args([
            "run",
            "scenario.toml",
            "-o",
            "report.xlsx",
            "--json",
            "--no-cache",
        ])
        .args(extra)
        .output();
    let json = serde_json::from_str(&ran.stdout).unwrap_or(serde_json::Value::Null);
    (json, ran.stderr.clone(), ran.code())
}

#[test]
fn the_run_ends_with_what_went_wrong_in_the_data() {
    let dir = new_user_copy();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .success();
    // Worked out from the files: D005's amount is "N/A"; D003 and D006 name "GTXPro",
    // which products.csv spells "GTX Pro" (once by XLOOKUP, once by VLOOKUP); D008 has
    // no channel; D004's "direct " is trimmed and groups with "Direct"; close_date and
    // engage_date each have a date that reads only day first.
    insta::assert_snapshot!("new_user_run_summary", normalized(dir.path(), &ran.stderr));
    // Each console line names its row of the Data Quality sheet, and that row says the
    // same thing.
    let bytes = std::fs::read(dir.path().join("report.xlsx")).unwrap();
    let quality = xlsx::values(&bytes, "Data Quality");
    for line in ran
        .stderr
        .lines()
        .filter(|l| l.contains("→ Data Quality row "))
    {
        let (text, row) = line.rsplit_once(" → Data Quality row ").unwrap();
        let row: u32 = row.parse().unwrap();
        let message = xlsx::at(&quality, row - 1, 5).to_string();
        assert!(
            text.ends_with(&message),
            "row {row}: {message:?} vs {text:?}"
        );
    }
}

#[test]
fn strict_fails_on_problems_and_still_writes_the_workbook() {
    let dir = new_user_copy();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args([
            "run",
            "scenario.toml",
            "-o",
            "report.xlsx",
            "--no-cache",
            "--strict",
        ])
        .status(1);
    assert!(dir.path().join("report.xlsx").is_file());
    assert_eq!(
        ran.stderr.lines().last(),
        Some("error: the data has 4 problems (--strict)")
    );
    // The scenario can ask for the same.
    let scenario = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        format!("strict = true\n{scenario}"),
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .status(1);
    assert_eq!(
        ran.stderr.lines().last(),
        Some("error: the data has 4 problems (strict = true in the scenario)")
    );
    // Fixed data: the spelling, the amount and the channel. What is left are notes
    // (how the dates were read, the trimmed key), which do not fail a strict run.
    let path = dir.path().join("export/sales_pipeline.csv");
    let fixed = std::fs::read_to_string(&path)
        .unwrap()
        .replace("GTXPro", "GTX Pro")
        .replace("N/A", "3400")
        .replace(",,Won,", ",Online,Won,");
    std::fs::write(&path, fixed).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .success();
    assert!(ran.stderr.contains("data: 4 notes"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("problem"), "{}", ran.stderr);
}

#[test]
fn error_values_carry_their_rule_and_input_row_to_the_workbook_and_json() {
    let dir = new_user_copy();
    let (json, _, code) = run_json(dir.path(), &[]);
    assert_eq!(code, Some(0));
    // total_revenue sums Channels.revenue; Partner's holds D005's unreadable amount:
    // the 5th data row (0-based 4), cell I6 of the CSV. Never a confident 0.
    let expected = serde_json::json!({
        "error": "#VALUE!",
        "rule": "Pipeline.close_value",
        "row": 4,
        "reason": "cannot read 'N/A' as a number (sales_pipeline!I6)"
    });
    assert_eq!(json["scalars"]["total_revenue"], expected);
    let channels = json["tables"]["Channels"].as_array().unwrap();
    let online = channels.iter().find(|r| r["channel"] == "Online").unwrap();
    // Online's only won deal is D006 (row 6), "GTXPro".
    assert_eq!(
        online["list_value"],
        serde_json::json!({
            "error": "#N/A",
            "rule": "Pipeline.list_price",
            "row": 5,
            "reason": "\"GTXPro\" not found in Products.product"
        })
    );
    // The same in the workbook, as cell notes: Channels' Partner row (D003 misses
    // first) and Online row, and the total on the Metrics sheet.
    let bytes = std::fs::read(dir.path().join("report.xlsx")).unwrap();
    let channels_sheet = xlsx::values(&bytes, "Channels");
    let row_of = |name: &str| xlsx::find_row(&channels_sheet, 0, name).unwrap() + 1;
    let notes: BTreeSet<(String, String, String)> = xlsx::notes(&bytes)
        .into_iter()
        .filter(|(_, _, text)| text.starts_with('#'))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        (
            "Channels",
            format!("C{}", row_of("Partner")),
            "#VALUE! from Pipeline.close_value, row 5: cannot read 'N/A' as a number (sales_pipeline!I6)",
        ),
        (
            "Channels",
            format!("D{}", row_of("Partner")),
            "#N/A from Pipeline.list_price, row 3: \"GTXPro\" not found in Products.product",
        ),
        (
            "Channels",
            format!("D{}", row_of("Online")),
            "#N/A from Pipeline.list_price, row 6: \"GTXPro\" not found in Products.product",
        ),
    ]
    .into_iter()
    .map(|(s, c, t)| (s.to_string(), c, t.to_string()))
    .collect();
    assert!(want.is_subset(&notes), "{notes:#?}");
    let metrics_notes: Vec<&(String, String, String)> =
        notes.iter().filter(|(s, _, _)| s == "Metrics").collect();
    assert_eq!(
        metrics_notes.len(),
        2,
        "total_revenue and all_values: {notes:#?}"
    );
    assert!(
        metrics_notes
            .iter()
            .all(|(_, _, t)| t.contains("sales_pipeline!I6"))
    );
    // The dashboard's tiles (every named value, as the scenario names no KPIs) show the
    // error and, under it, where it came from; a note says the same.
    let reason = "#VALUE! from Pipeline.close_value, row 5: cannot read 'N/A' as a number (sales_pipeline!I6)";
    let dashboard = xlsx::values(&bytes, "Dashboard");
    let shown = dashboard
        .used_cells()
        .filter(|(_, _, cell)| *cell == reason)
        .count();
    assert_eq!(shown, 2, "total_revenue and all_values tiles");
    assert_eq!(
        notes
            .iter()
            .filter(|(s, _, t)| s == "Dashboard" && t == reason)
            .count(),
        2
    );
}

fn table(name: &str, columns: &[(&str, Vec<Value>)]) -> Table {
    let rows = columns.first().map_or(0, |c| c.1.len());
    let mut table = Table::new(name, rows);
    for (column, values) in columns {
        table.set_column(Column::new(column, ValueType::Any, values.clone()));
    }
    table
}

fn texts(values: &[&str]) -> Vec<Value> {
    values
        .iter()
        .map(|v| {
            if v.is_empty() {
                Value::Blank
            } else {
                Value::text(v)
            }
        })
        .collect()
}

/// Two products priced by hand; "Widget Pro" and "Gizmo" are not among them.
fn products() -> Table {
    table(
        "Products",
        &[
            ("product", texts(&["Gadget", "Widget"])),
            ("price", vec![5.0.into(), 7.0.into()]),
        ],
    )
}

#[test]
fn lookups_that_miss_name_the_value_the_list_and_the_rows() {
    let deals = table(
        "Deals",
        &[
            (
                "product",
                texts(&["Widget Pro", "Gadget", "Widget Pro", "Gizmo", ""]),
            ),
            (
                "amount",
                vec![
                    10.0.into(),
                    20.0.into(),
                    30.0.into(),
                    40.0.into(),
                    50.0.into(),
                ],
            ),
        ],
    );
    let products = products();
    let plan = compile(
        "input Deals (product: text?, amount: number)\n\
         input Products (product: text, price: number)\n\
         Deals.price = XLOOKUP(product, Products.product, Products.price)\n\
         Deals.price_or_zero = XLOOKUP(product, Products.product, Products.price, 0)\n\
         Deals.position = MATCH(product, Products.product, 0)\n\
         total_list = SUM(XLOOKUP(Deals.product, Products.product, Products.price))\n",
    );
    let result = evaluate(&plan, vec![deals, products], &[], &CallContext::default()).unwrap();
    let miss = |rule: &str, function: &str, value: &str, rows, first, fallback| LookupMiss {
        rule: rule.into(),
        function: function.into(),
        list: "Products.product".into(),
        table: Some("Deals".into()),
        value: value.into(),
        rows,
        first_row: Some(first),
        fallback,
    };
    // Rows 0 and 2 name "Widget Pro", row 3 "Gizmo", row 4 is blank: 4 misses per
    // lookup, the most frequent value first (then by how the value is written).
    let expected = |rule: &str, function: &str, fallback| {
        vec![
            miss(rule, function, "\"Widget Pro\"", 2, 0, fallback),
            miss(rule, function, "\"Gizmo\"", 1, 3, fallback),
            miss(rule, function, "(blank)", 1, 4, fallback),
        ]
    };
    let mut want = expected("Deals.price", "XLOOKUP", false);
    want.extend(expected("Deals.price_or_zero", "XLOOKUP", true));
    want.extend(expected("Deals.position", "MATCH", false));
    want.extend(expected("total_list", "XLOOKUP", false));
    assert_eq!(result.audit.lookup_misses, want);
    // The if_not_found answer is kept; a miss without one is #N/A naming the value.
    let deals = result.table("Deals").unwrap();
    let price_or_zero = deals.column("price_or_zero").unwrap().values();
    assert_eq!(price_or_zero[0], Value::Number(0.0));
    assert_eq!(price_or_zero[1], Value::Number(5.0));
    let price = deals.column("price").unwrap().values();
    let Value::Error(error) = &price[2] else {
        panic!("{:?}", price[2]);
    };
    assert_eq!(
        error.explain().as_deref(),
        Some("#N/A from Deals.price, row 3: \"Widget Pro\" not found in Products.product")
    );
    // Inside an aggregate, the reason names the first input row and the others.
    let Some(Value::Error(total)) = result.scalar("total_list") else {
        panic!("total_list is not an error");
    };
    assert_eq!(
        total.explain().as_deref(),
        Some(
            "#N/A from total_list: \"Widget Pro\" not found in Products.product (Deals row 1, and 1 more)"
        )
    );
}

#[test]
fn lookups_in_an_if_branch_miss_only_on_the_rows_that_take_it() {
    let deals = table(
        "Deals",
        &[
            (
                "product",
                texts(&["Widget Pro", "Gadget", "Gizmo", "Widget Pro", "Gizmo"]),
            ),
            (
                "won",
                vec![
                    true.into(),
                    true.into(),
                    false.into(),
                    false.into(),
                    true.into(),
                ],
            ),
        ],
    );
    let products = products();
    let plan = compile(
        "input Deals (product: text, won: bool)\n\
         input Products (product: text, price: number)\n\
         Deals.price = IF(won, XLOOKUP(product, Products.product, Products.price, 0), \"\")\n\
         Deals.lost_price = IF(won, \"\", XLOOKUP(product, Products.product, Products.price))\n\
         Deals.nested = IF(won, IF(product = \"Gizmo\", XLOOKUP(product, Products.product, Products.price), 1), 2)\n",
    );
    let result = evaluate(&plan, vec![deals, products], &[], &CallContext::default()).unwrap();
    let miss = |rule: &str, value: &str, rows, first, fallback| LookupMiss {
        rule: rule.into(),
        function: "XLOOKUP".into(),
        list: "Products.product".into(),
        table: Some("Deals".into()),
        value: value.into(),
        rows,
        first_row: Some(first),
        fallback,
    };
    // Won rows 0, 1, 4 take the lookup in `price`: "Widget Pro" (row 0) and "Gizmo"
    // (row 4) miss; the lost rows 2 and 3 ("Gizmo", "Widget Pro") are not counted
    // there, but are in `lost_price`, whose lookup the lost rows take. In `nested` only
    // row 4 (won and Gizmo) reaches the lookup. Per rule, most rows first, then by
    // how the value is written.
    let want = vec![
        miss("Deals.price", "\"Gizmo\"", 1, 4, true),
        miss("Deals.price", "\"Widget Pro\"", 1, 0, true),
        miss("Deals.lost_price", "\"Gizmo\"", 1, 2, false),
        miss("Deals.lost_price", "\"Widget Pro\"", 1, 3, false),
        miss("Deals.nested", "\"Gizmo\"", 1, 4, false),
    ];
    assert_eq!(result.audit.lookup_misses, want);
    let deals = result.table("Deals").unwrap();
    let price = deals.column("price").unwrap().values();
    assert_eq!(
        price.to_vec(),
        vec![
            0.0.into(),
            5.0.into(),
            Value::text(""),
            Value::text(""),
            0.0.into()
        ]
    );
    let nested = deals.column("nested").unwrap().values();
    assert_eq!(nested[0], Value::Number(1.0));
    assert_eq!(nested[2], Value::Number(2.0));
    assert!(matches!(nested[4], Value::Error(_)));
}

#[test]
fn rows_no_group_reached_and_suspicious_keys_are_found() {
    let deals = table(
        "Deals",
        &[
            (
                "channel",
                texts(&["Direct", "direct", "Partner", "", "Web ", "Direct"]),
            ),
            (
                "amount",
                vec![
                    1.0.into(),
                    2.0.into(),
                    3.0.into(),
                    4.0.into(),
                    5.0.into(),
                    6.0.into(),
                ],
            ),
        ],
    );
    let costs = table(
        "Costs",
        &[
            (
                "channel",
                texts(&["Direct", "Events", "Events", "Partner", "Trade Shows"]),
            ),
            (
                "amount",
                vec![
                    100.0.into(),
                    7.0.into(),
                    8.0.into(),
                    9.0.into(),
                    10.0.into(),
                ],
            ),
        ],
    );
    let plan = compile(
        "input Deals (channel: text?, amount: number)\n\
         input Costs (channel: text, amount: number)\n\
         table Channels = group Deals by channel\n\
         Channels.cost = SUM(Costs.amount)\n",
    );
    let result = evaluate(&plan, vec![deals, costs], &[], &CallContext::default()).unwrap();
    // Costs rows 1, 2 ("Events") and 4 ("Trade Shows") match no Channels group.
    assert_eq!(
        result.audit.unreached,
        vec![UnreachedRows {
            grouped: "Channels".into(),
            table: "Costs".into(),
            keys: vec!["channel".into()],
            rows: 3,
            values: vec![("\"Events\"".into(), 2), ("\"Trade Shows\"".into(), 1)],
            distinct: 2,
        }]
    );
    let key = |problem, values: Vec<(&str, usize)>| SuspiciousKey {
        table: "Deals".into(),
        column: "channel".into(),
        grouped: vec!["Channels".into()],
        problem,
        rows: values.iter().map(|(_, n)| n).sum(),
        values: values
            .into_iter()
            .map(|(v, n)| (v.to_string(), n))
            .collect(),
    };
    assert_eq!(
        result.audit.suspicious_keys,
        vec![
            key(KeyProblem::Blank, vec![("(blank)", 1)]),
            key(KeyProblem::Spaces, vec![("\"Web \"", 1)]),
            key(
                KeyProblem::CaseVariants,
                vec![("\"Direct\"", 2), ("\"direct\"", 1)]
            ),
        ]
    );
}

fn export_spec(extra: &str) -> InputsSpec {
    crate::support::spec(&format!(
        "[tables.Pipeline]\nfile = \"sales_pipeline.csv\"\n\
         columns = {{ opportunity_id = \"text\", channel = \"text?\", engage_date = \"date\", close_date = \"date?\" }}\n{extra}"
    ))
}

fn export_dir() -> PathBuf {
    repo().join("tests/fixtures/new_user/export")
}

#[test]
fn key_columns_are_trimmed_and_each_trim_is_logged() {
    let mut spec = export_spec("");
    if let Some(table) = spec.tables.get_mut("Pipeline") {
        table.trimmed = BTreeSet::from(["channel".to_string()]);
    }
    let data = read_inputs(&spec, &export_dir(), None).unwrap();
    let channel = data
        .table("Pipeline")
        .unwrap()
        .column("channel")
        .unwrap()
        .values();
    assert_eq!(channel[3], Value::text("direct"));
    let trims: Vec<(&str, &str, &str)> = data
        .quality
        .entries
        .iter()
        .filter(|e| e.column == "channel")
        .map(|e| (e.cell.as_str(), e.raw.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        trims,
        [(
            "sales_pipeline!E5",
            "direct ",
            "repaired: trimmed the spaces around 'direct '"
        )]
    );
    // `trim_keys = false` keeps the text as exported.
    let mut spec = export_spec("trim_keys = false\n");
    if let Some(table) = spec.tables.get_mut("Pipeline") {
        table.trimmed = BTreeSet::from(["channel".to_string()]);
    }
    let data = read_inputs(&spec, &export_dir(), None).unwrap();
    let channel = data
        .table("Pipeline")
        .unwrap()
        .column("channel")
        .unwrap()
        .values();
    assert_eq!(channel[3], Value::text("direct "));
    // Which columns are keys comes from the rules: grouped by, and looked up (both
    // the values looked up and the list searched).
    let prepared =
        chanmix::pipeline::prepare(&repo().join("tests/fixtures/new_user/scenario.toml")).unwrap();
    let trimmed = |t: &str| prepared.request.spec.tables[t].trimmed.clone();
    let set = |v: &[&str]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    };
    assert_eq!(
        trimmed("Pipeline"),
        set(&["channel", "product", "sales_agent"])
    );
    assert_eq!(trimmed("Products"), set(&["product"]));
    assert_eq!(trimmed("Teams"), set(&["sales_agent"]));
}

#[test]
fn a_date_that_reads_only_day_first_decides_the_column() {
    let data = read_inputs(&export_spec(""), &export_dir(), None).unwrap();
    let engage = data
        .table("Pipeline")
        .unwrap()
        .column("engage_date")
        .unwrap()
        .values();
    // Excel serials: 2017-01-01 is 42736. "03/01/2017" is 3 January (17/01/2017 in the
    // same column reads only day first), "05/01/2017" 5 January, "22/02/2017" 22 Feb.
    assert_eq!(engage[0], Value::Date(42738.0));
    assert_eq!(engage[1], Value::Date(42740.0));
    assert_eq!(engage[4], Value::Date(42752.0));
    assert_eq!(engage[6], Value::Date(42788.0));
    let notes: Vec<&str> = data
        .quality
        .entries
        .iter()
        .filter(|e| e.column == "engage_date")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        notes,
        ["date layout: day/month/year (this date reads only that way); set date_format to say so"]
    );
}

#[test]
fn a_date_format_reads_the_export_as_told_and_iso_and_serials_always() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deals.csv"),
        "id,closed\nA,03/01/2017\nB,2017-03-04\nC,42795\nD,13/01/2017\n",
    )
    .unwrap();
    let spec = crate::support::spec(
        "[tables.Deals]\nfile = \"deals.csv\"\ncolumns = { id = \"text\", closed = \"date\" }\n\
         date_formats = { closed = \"%m/%d/%Y\" }\n",
    );
    let data = read_inputs(&spec, dir.path(), None).unwrap();
    let closed = data
        .table("Deals")
        .unwrap()
        .column("closed")
        .unwrap()
        .values();
    // Month first as told: 2017-03-01 (42795); ISO 2017-03-04 (42798); the serial 42795
    // as written; "13/01/2017" has no month 13 in that layout, so it is reported.
    assert_eq!(closed[0], Value::Date(42795.0));
    assert_eq!(closed[1], Value::Date(42798.0));
    assert_eq!(closed[2], Value::Date(42795.0));
    assert_eq!(closed[3].error_kind(), Some(ErrorKind::Value));
    let entry = data
        .quality
        .entries
        .iter()
        .find(|e| e.raw == "13/01/2017")
        .unwrap();
    assert_eq!(entry.action, "kept as #VALUE!");
}

#[test]
fn dates_that_read_both_ways_are_refused_at_the_scenario_line() {
    let dir = new_user_copy();
    // Keep only rows whose dates read both ways (days 1-12 in both places).
    let path = dir.path().join("export/sales_pipeline.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("opportunity_id") || l.starts_with("D002") || l.starts_with("D004")
        })
        .collect();
    std::fs::write(&path, kept.join("\n")).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .status(1);
    insta::assert_snapshot!(
        "new_user_ambiguous_dates",
        normalized(dir.path(), &ran.stderr)
    );
    // Said once, the file reads.
    let scenario = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        scenario.replace(
            "file = \"export/sales_pipeline.csv\"",
            "file = \"export/sales_pipeline.csv\"\ndate_format = \"%d/%m/%Y\"",
        ),
    )
    .unwrap();
    Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .success();
}

#[test]
fn scenario_date_formats_are_checked_before_reading() {
    let dir = new_user_copy();
    let scenario = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        scenario.replace(
            "file = \"export/sales_pipeline.csv\"",
            "file = \"export/sales_pipeline.csv\"\ndate_format = \"%d/%m\"\ntrim_keys = \"no\"",
        ),
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "scenario.toml"])
        .status(1);
    insta::assert_snapshot!("new_user_bad_date_format", ran.stderr);
}

#[test]
fn a_rename_whose_header_is_not_in_the_export_is_reported() {
    let dir = new_user_copy();
    let scenario = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        scenario.replace(
            "file = \"export/products.csv\"",
            "file = \"export/products.csv\"\nrename = { \"List Price\" = \"sales_price\" }",
        ),
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "report.xlsx", "--no-cache"])
        .success();
    let line = ran
        .stderr
        .lines()
        .find(|l| l.contains("rename"))
        .unwrap_or_default();
    insta::assert_snapshot!("new_user_rename_not_applied", line);
}

#[test]
fn a_table_workbook_key_points_a_csv_user_to_file() {
    let dir = new_user_copy();
    let scenario = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        scenario.replace(
            "file = \"export/products.csv\"",
            "workbook = \"export/products.csv\"",
        ),
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "scenario.toml"])
        .status(1);
    insta::assert_snapshot!("new_user_workbook_in_a_table", ran.stderr);
}

#[test]
fn check_reports_a_typo_once_when_rules_and_scenario_are_checked_together() {
    let dir = new_user_copy();
    let rules = dir.path().join("pipeline.rules");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(
        &rules,
        text.replace("SUM(Channels.revenue)", "SUM(Channels.revenu)"),
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "pipeline.rules", "scenario.toml"])
        .status(1);
    assert_eq!(
        ran.stderr.matches("has no column `revenu`").count(),
        1,
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.ends_with("1 error, 0 warnings\n"),
        "{}",
        ran.stderr
    );
}
