//! Issue #17, "tables sorted by a declared order": `table T = group … order by …` on a
//! hand-made fixture of eight deals. Every expected order below was worked out by hand
//! from the rows in `deals()` (the comments show the values each order compares).

use calamine::Data;
use chanmix::data::quality::QualityLog;
use chanmix::eval::engine::{Evaluated, evaluate, evaluate_variants};
use chanmix::functions::CallContext;
use chanmix::lang::plan::Plan;
use chanmix::report::{DashboardSpec, RunReport, build_run_workbook};
use chanmix::table::{Column, Table};
use chanmix::value::{Value, ValueType};

use crate::support::fixture::{compile, provenance};
use crate::support::libreoffice::recalc_and_compare;
use crate::support::xlsx::{at, values};

/// Eight deals over six regions; Central's amount is blank.
fn deals() -> Vec<Table> {
    let rows: [(&str, &str, Option<f64>); 8] = [
        ("North", "Won", Some(100.0)),
        ("North", "Lost", Some(50.0)),
        ("South", "Won", Some(300.0)),
        ("East", "Won", Some(100.0)),
        ("West", "Lost", Some(20.0)),
        ("West", "Won", Some(80.0)),
        ("Central", "Lost", None),
        ("Mid", "Lost", Some(10.0)),
    ];
    let mut deals = Table::new("Deals", rows.len());
    deals.set_column(Column::new(
        "region",
        ValueType::Text,
        rows.iter().map(|r| Value::text(r.0)).collect(),
    ));
    deals.set_column(Column::new(
        "stage",
        ValueType::Text,
        rows.iter().map(|r| Value::text(r.1)).collect(),
    ));
    deals.set_column(Column::new(
        "amount",
        ValueType::Number,
        rows.iter()
            .map(|r| r.2.map_or(Value::Blank, Value::Number))
            .collect(),
    ));
    let targets = [
        ("North", 500.0),
        ("South", 200.0),
        ("East", 100.0),
        ("West", 50.0),
        ("Central", 40.0),
    ];
    let mut table = Table::new("Targets", targets.len());
    table.set_column(Column::new(
        "region",
        ValueType::Text,
        targets.iter().map(|t| Value::text(t.0)).collect(),
    ));
    table.set_column(Column::new(
        "target",
        ValueType::Number,
        targets.iter().map(|t| Value::Number(t.1)).collect(),
    ));
    vec![deals, table]
}

const RULES: &str = r#"
input Deals (region: text, stage: text, amount: number?)
input Targets (region: text, target: number)

param flip = FALSE

# Won amount per region, blank where nothing was won; ties by region, Z to A.
table Regions = group Deals by region order by won desc, region desc
Regions.won   = IF(COUNT(Deals where stage = "Won") > 0, SUM(Deals.amount where stage = "Won"), "")
Regions.deals = COUNT(Deals)

# Amount per won deal: an error (#DIV/0!) where none was won.
table PerWin = group Deals by region order by SUM(Deals.amount) / COUNT(Deals where stage = "Won")
PerWin.per_win = SUM(Deals.amount) / COUNT(Deals where stage = "Won")

# Stages in a declared order (an array constant), not alphabetically.
table Stages = group Deals by stage order by XMATCH(stage, {"Won", "Lost"})
Stages.amount = SUM(Deals.amount)

# The gap to target: another table's rows matched to the group by key.
table Gaps = group Deals by region order by SUM(Targets.target) - SUM(Deals.amount) desc
Gaps.gap = SUM(Targets.target) - SUM(Deals.amount)

# A param decides the order (compared scenarios order differently).
table Flipped = group Deals by region order by IF(flip, region, "") desc, COUNT(Deals) desc
Flipped.deals = COUNT(Deals)

# Readers of Regions see its order.
top_region = INDEX(Regions.region, 1)
table RegionStages = group Deals by region, stage
RegionStages.region_rank = XMATCH(region, Regions.region)
"#;

fn plan() -> Plan {
    compile(RULES)
}

fn run(plan: &Plan) -> Evaluated {
    evaluate(plan, deals(), &[], &CallContext::default()).unwrap()
}

fn texts(result: &Evaluated, table: &str, column: &str) -> Vec<String> {
    result
        .table(table)
        .unwrap()
        .column(column)
        .unwrap()
        .values()
        .iter()
        .map(|v| match v {
            Value::Text(t) => t.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn rows_follow_the_order_with_ties_desc_blanks_and_errors() {
    let result = run(&plan());
    // won: South 300, North 100, East 100, West 80, Central "", Mid "".
    // Desc; North and East tie → region desc; blanks last, tied → Mid, Central.
    assert_eq!(
        texts(&result, "Regions", "region"),
        ["South", "North", "East", "West", "Mid", "Central"]
    );
    // The computed columns are the rows' own values, in the same order.
    let won: Vec<Value> = result
        .table("Regions")
        .unwrap()
        .column("won")
        .unwrap()
        .values()
        .into_owned();
    let blank = Value::text("");
    assert_eq!(
        won,
        [
            Value::Number(300.0),
            Value::Number(100.0),
            Value::Number(100.0),
            Value::Number(80.0),
            blank.clone(),
            blank
        ]
    );
    // per win: North 150/1, South 300/1, East 100/1, West 100/1, Central 0/0, Mid 10/0.
    // Ascending: East and West tie at 100 (key order: East first), then the errors
    // last in key order.
    assert_eq!(
        texts(&result, "PerWin", "region"),
        ["East", "West", "North", "South", "Central", "Mid"]
    );
    // Key order would be Lost, Won.
    assert_eq!(texts(&result, "Stages", "stage"), ["Won", "Lost"]);
    // gap: North 500-150, Central 40-0, East 100-100, Mid 0-10, West 50-100, South 200-300.
    assert_eq!(
        texts(&result, "Gaps", "region"),
        ["North", "Central", "East", "Mid", "West", "South"]
    );
}

#[test]
fn readers_of_the_table_see_the_same_order() {
    let result = run(&plan());
    assert_eq!(result.scalar("top_region"), Some(&Value::text("South")));
    // RegionStages stays in key order (Central/Lost, East/Won, Mid/Lost, North/Lost,
    // North/Won, South/Won, West/Lost, West/Won); each row finds its region's place
    // in Regions' order South, North, East, West, Mid, Central.
    let ranks: Vec<f64> = result
        .table("RegionStages")
        .unwrap()
        .column("region_rank")
        .unwrap()
        .values()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(ranks, [6.0, 3.0, 5.0, 2.0, 2.0, 1.0, 4.0, 4.0]);
}

#[test]
fn a_param_in_the_order_reorders_a_compared_scenario() {
    let plan = plan();
    let flipped = vec![("flip".to_string(), Value::Bool(true))];
    // flip FALSE: every first value is "" (blank, tied) → deals desc: North and West
    // have 2, the rest 1, ties in key order.
    let base = run(&plan);
    assert_eq!(
        texts(&base, "Flipped", "region"),
        ["North", "West", "Central", "East", "Mid", "South"]
    );
    // flip TRUE: region Z to A.
    let expected_flipped = ["West", "South", "North", "Mid", "East", "Central"];
    let full = evaluate(&plan, deals(), &flipped, &CallContext::default()).unwrap();
    assert_eq!(texts(&full, "Flipped", "region"), expected_flipped);
    // The same through a compared scenario computed from the base run.
    let variants = evaluate_variants(
        &plan,
        deals(),
        &[
            (Vec::new(), CallContext::default()),
            (flipped, CallContext::default()),
        ],
    )
    .unwrap();
    assert_eq!(texts(&variants[1], "Flipped", "region"), expected_flipped);
    assert_eq!(
        texts(&variants[1], "Flipped", "deals"),
        texts(&full, "Flipped", "deals")
    );
}

fn workbook(plan: &Plan, result: &Evaluated, quality: &QualityLog) -> Vec<u8> {
    let report = RunReport {
        title: "Order".into(),
        description: None,
        plan,
        result,
        params: Vec::new(),
        quality,
        provenance: provenance(vec![]),
        dashboard: DashboardSpec {
            title: "Order".into(),
            kpis: Vec::new(),
            kpi_comparisons: Vec::new(),
            charts: Vec::new(),
        },
        omitted_tables: Vec::new(),
        readable_headers: false,
    };
    build_run_workbook(&report).unwrap()
}

#[test]
fn the_sheet_lists_the_rows_in_order_and_libreoffice_recomputes_them() {
    let plan = plan();
    let result = run(&plan);
    let quality = QualityLog::default();
    let bytes = workbook(&plan, &result, &quality);
    let sheet = values(&bytes, "Regions");
    assert_eq!(at(&sheet, 0, 0), Data::String("region".into()));
    let shown: Vec<Data> = (1..=6).map(|r| at(&sheet, r, 0)).collect();
    let expected: Vec<Data> = ["South", "North", "East", "West", "Mid", "Central"]
        .iter()
        .map(|s| Data::String(s.to_string()))
        .collect();
    assert_eq!(shown, expected);
    let stages = values(&bytes, "Stages");
    assert_eq!(at(&stages, 1, 0), Data::String("Won".into()));
    assert_eq!(at(&stages, 2, 0), Data::String("Lost".into()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let report = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    match report.skipped {
        Some(reason) => eprintln!("LibreOffice check skipped: {reason}"),
        // The per-row formulas read their own row's key cells: recomputed in the
        // sheet's order they give the cached values.
        None => assert!(report.formulas_checked > 0, "{report:?}"),
    }
}
