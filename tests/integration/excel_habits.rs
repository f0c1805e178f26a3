//! Excel's lookup habits in rule files (#17): VLOOKUP and HLOOKUP over a table or an
//! array constant, LET, named lists, NETWORKDAYS/WORKDAY with one holiday, INDEX/MATCH,
//! and grouping by a column of another table (the documented idiom: a lookup column,
//! then `group … by` it). Values are worked out by hand from the tables below; the
//! function semantics themselves are pinned against LibreOffice in function_oracle.rs.
//! Mistakes are pinned as rendered messages.

use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::program::check_sources;
use chanmix::table::{Column, Table};
use chanmix::value::{Value, ValueType};

use crate::support::fixture::compile;

const INPUTS: &str =
    "input Deals (id: text, agent: text, product: text, amount: number, closed: date)
input Products (product: text, family: text, price: number)
input Teams (agent: text, office: text)
";

fn check(rules: &str) -> String {
    let mut sources = SourceMap::new();
    sources.add("rules/case.rules", format!("{INPUTS}{rules}"));
    let program = check_sources(sources, &[]);
    render_text(&program.diagnostics, &program.sources, false)
}

fn date(y: i32, m: u32, d: u32) -> Value {
    Value::Date(chanmix::value::datetime::serial_from_ymd(y, m, d).unwrap())
}

fn tables() -> Vec<Table> {
    let column = |name: &str, values: Vec<Value>| Column::new(name, ValueType::Any, values);
    let texts = |v: &[&str]| v.iter().map(|s| Value::text(s)).collect::<Vec<_>>();
    let mut deals = Table::new("Deals", 4);
    deals.set_column(column("id", texts(&["D1", "D2", "D3", "D4"])));
    deals.set_column(column("agent", texts(&["Ann", "Bo", "Ann", "Cy"])));
    deals.set_column(column(
        "product",
        texts(&["Core", "Suite", "core", "Suite"]),
    ));
    deals.set_column(column(
        "amount",
        vec![100.0.into(), 250.0.into(), 40.0.into(), 10.0.into()],
    ));
    deals.set_column(column(
        "closed",
        vec![
            date(2026, 12, 21),
            date(2026, 12, 24),
            date(2026, 12, 28),
            date(2026, 12, 31),
        ],
    ));
    let mut products = Table::new("Products", 2);
    products.set_column(column("product", texts(&["Core", "Suite"])));
    products.set_column(column("family", texts(&["Platform", "Bundle"])));
    products.set_column(column("price", vec![90.0.into(), 300.0.into()]));
    let mut teams = Table::new("Teams", 3);
    teams.set_column(column("agent", texts(&["Ann", "Bo", "Cy"])));
    teams.set_column(column("office", texts(&["East", "West", "East"])));
    vec![deals, products, teams]
}

fn run(rules: &str) -> chanmix::eval::engine::Evaluated {
    let plan = compile(&format!("{INPUTS}{rules}"));
    evaluate(&plan, tables(), &[], &CallContext::default()).unwrap()
}

fn column(result: &chanmix::eval::engine::Evaluated, table: &str, column: &str) -> Vec<Value> {
    result
        .table(table)
        .unwrap()
        .column(column)
        .unwrap()
        .values()
        .into_owned()
}

#[test]
fn vlookup_reads_a_tables_columns_in_declared_order() {
    let result = run("Deals.family = VLOOKUP(product, Products, 2, FALSE)\n\
                      Deals.price  = VLOOKUP(product, Products, 3, FALSE)\n\
                      Deals.office = HLOOKUP(agent, {\"Ann\", \"Bo\", \"Cy\"; \"East\", \"West\", \"East\"}, 2, FALSE)\n");
    // Products' columns as declared: product (1), family (2), price (3); "core"
    // matches "Core" (text compares without case, as in Excel).
    assert_eq!(
        column(&result, "Deals", "family"),
        ["Platform", "Bundle", "Platform", "Bundle"].map(Value::text)
    );
    assert_eq!(
        column(&result, "Deals", "price"),
        [90.0, 300.0, 90.0, 300.0].map(Value::Number)
    );
    assert_eq!(
        column(&result, "Deals", "office"),
        ["East", "West", "East", "East"].map(Value::text)
    );
}

#[test]
fn let_and_named_lists_are_written_into_the_formulas_that_use_them() {
    let result = run("Amounts = Deals.amount\n\
                      Big = Deals.amount * 2\n\
                      total = SUM(Amounts)\n\
                      doubled = SUM(Big)\n\
                      mean = LET(s, SUM(Amounts), n, COUNT(Amounts), s / n)\n\
                      Deals.margin = LET(cost, amount * 40%, amount - cost)\n\
                      list_total = SUM(XLOOKUP(Deals.product, Products.product, Products.price))\n");
    // 100 + 250 + 40 + 10 = 400; doubled 800; mean 100; margins are 60% of each amount;
    // looked-up prices 90 + 300 + 90 + 300 = 780.
    assert_eq!(result.scalar("total"), Some(&Value::Number(400.0)));
    assert_eq!(result.scalar("doubled"), Some(&Value::Number(800.0)));
    assert_eq!(result.scalar("mean"), Some(&Value::Number(100.0)));
    assert_eq!(result.scalar("list_total"), Some(&Value::Number(780.0)));
    assert_eq!(
        column(&result, "Deals", "margin"),
        [60.0, 150.0, 24.0, 6.0].map(Value::Number)
    );
    // A named list is not a value of its own: it is not among the results.
    let names: Vec<&str> = result.scalars.iter().map(|(n, _)| &**n).collect();
    assert_eq!(names, ["total", "doubled", "mean", "list_total"]);
}

#[test]
fn grouping_by_a_looked_up_column_is_the_join() {
    let result = run("Deals.office = XLOOKUP(agent, Teams.agent, Teams.office)\n\
                      table Offices = group Deals by office\n\
                      Offices.revenue = SUM(Deals.amount)\n\
                      Offices.deals   = COUNT(Deals)\n");
    // Ann (D1, D3) and Cy (D4) are East: 100 + 40 + 10 = 150; Bo (D2) is West: 250.
    assert_eq!(
        column(&result, "Offices", "office"),
        ["East", "West"].map(Value::text)
    );
    assert_eq!(
        column(&result, "Offices", "revenue"),
        [150.0, 250.0].map(Value::Number)
    );
    assert_eq!(
        column(&result, "Offices", "deals"),
        [3.0, 1.0].map(Value::Number)
    );
}

#[test]
fn one_holiday_date_works_as_a_list_of_one() {
    let result = run(
        "Deals.days = NETWORKDAYS(closed, DATE(2026, 12, 31), DATE(2026, 12, 25))\n\
                      Deals.next = WORKDAY(closed, 1, DATE(2026, 12, 25))\n",
    );
    // Weekdays from each close to 2026-12-31 without Friday the 25th: from Mon 21st
    // 8 (21-24, 28-31); from Thu 24th 5 (24, 28-31); from Mon 28th 4; from Thu 31st 1.
    assert_eq!(
        column(&result, "Deals", "days"),
        [8.0, 5.0, 4.0, 1.0].map(Value::Number)
    );
    // The working day after each: Tue 22nd; after Thu 24th comes Mon 28th (the 25th is
    // a holiday); Tue 29th; Fri 2027-01-01.
    assert_eq!(
        column(&result, "Deals", "next"),
        [
            date(2026, 12, 22),
            date(2026, 12, 28),
            date(2026, 12, 29),
            date(2027, 1, 1)
        ]
    );
}

#[test]
fn vlookup_mistakes_are_found_before_any_data_is_read() {
    let rendered = check(
        "Deals.a = VLOOKUP(product, Products, 4, FALSE)\n\
         Deals.b = VLOOKUP(product, Products, amount, FALSE)\n\
         Deals.c = HLOOKUP(product, Products, 2, FALSE)\n\
         Deals.d = VLOOKUP(product, Products.product, 2, FALSE)\n\
         Deals.e = VLOOKUP(1, {1, \"a\"; 2}, 2, FALSE)\n",
    );
    insta::assert_snapshot!("vlookup_mistakes", rendered);
}

#[test]
fn let_mistakes_are_named() {
    let rendered = check(
        "x = LET(1, 2, 3)\n\
         y = LET(a, 1, a, 2, a)\n\
         z = LET(a, 1)\n\
         table Agents = group Deals by agent\n\
         Agents.w = LET(amt, Deals.amount, SUM(Deals.amount where amount > amt))\n",
    );
    insta::assert_snapshot!("let_mistakes", rendered);
}

#[test]
fn grouping_by_another_tables_column_says_how_to_bring_it_in() {
    let rendered = check("table Offices = group Deals by Teams.office\n");
    insta::assert_snapshot!("group_by_another_tables_column", rendered);
}
