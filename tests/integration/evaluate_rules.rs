//! Rule programs evaluated end to end on small hand-made tables; every expected number
//! below was worked out by hand from the fixture rows (tests/integration/support/fixture.rs).

use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::{Evaluated, evaluate};
use chanmix::functions::CallContext;
use chanmix::lang::program::check_sources;
use chanmix::value::{ErrorKind, Value};

use crate::support::fixture;

fn text(s: &str) -> Value {
    Value::text(s)
}

fn num(n: f64) -> Value {
    Value::Number(n)
}

const RULES: &str = r#"
input Opportunities (channel: text, stage: text, amount: number, created_date: date, close_date: date?)
input Costs (channel: text, amount: number)

param margin = 50%

Opportunities.is_won     = stage = "Closed Won"
Opportunities.is_closed  = stage IN ("Closed Won", "Closed Lost")
Opportunities.cycle_days = close_date - created_date

table Channels = group Opportunities by channel
Channels.deals     = COUNT(Opportunities)
Channels.won       = COUNT(Opportunities where is_won)
Channels.closed    = COUNT(Opportunities where is_closed)
Channels.win_rate  = won / closed
Channels.revenue   = SUM(Opportunities.amount where is_won)
Channels.avg_won   = revenue / won
Channels.cycle     = AVERAGE(Opportunities.cycle_days where is_won)
Channels.biggest   = MAX(Opportunities.amount)
Channels.median    = MEDIAN(Opportunities.amount)
Channels.cost      = SUM(Costs.amount)
Channels.roi       = (revenue * margin - cost) / cost
Channels.share     = revenue / SUM(Channels.revenue)
Channels.rank      = RANK.EQ(revenue, Channels.revenue)
Channels.weighted  = SUM(Opportunities.amount * IF(Opportunities.is_won, 1, 0))

table Won = group Opportunities by channel where is_won
Won.n = COUNT(Opportunities)

total_revenue = SUM(Channels.revenue)
won_share_of_amount = SUM(Opportunities.amount where is_won) / SUM(Opportunities.amount)

flag Channels when win_rate < 50%: "{channel}: win rate {win_rate} below half"
"#;

/// `rules` checked and evaluated on the fixture tables, with param overrides.
fn run(rules: &str, overrides: &[(String, Value)]) -> Evaluated {
    fixture::run(&fixture::compile(rules), overrides)
}

fn column(result: &Evaluated, table: &str, column: &str) -> Vec<Value> {
    result
        .table(table)
        .unwrap()
        .column(column)
        .unwrap()
        .values()
        .into_owned()
}

fn numbers(values: impl AsRef<[Value]>) -> Vec<f64> {
    values
        .as_ref()
        .iter()
        .map(|v| {
            v.as_f64()
                .unwrap_or_else(|| panic!("expected a number, got {v:?}"))
        })
        .collect()
}

#[test]
fn channel_metrics_match_hand_computation() {
    let result = run(RULES, &[]);
    // Groups sort by key; "partner" and "Partner" are one group, shown as first seen.
    assert_eq!(
        column(&result, "Channels", "channel"),
        &[text("Direct"), text("Online"), text("partner")]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "deals")),
        vec![3.0, 2.0, 3.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "won")),
        vec![1.0, 0.0, 2.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "closed")),
        vec![2.0, 2.0, 3.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "revenue")),
        vec![100.0, 0.0, 500.0]
    );
    // Direct won one deal in 30 days; Partner won deals of 60 and 20 days.
    let cycle = column(&result, "Channels", "cycle");
    assert_eq!(cycle[0], num(30.0));
    assert_eq!(cycle[1].error_kind(), Some(ErrorKind::Div0));
    assert_eq!(cycle[2], num(40.0));
    assert_eq!(
        numbers(column(&result, "Channels", "biggest")),
        vec![100.0, 15.0, 300.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "median")),
        vec![70.0, 10.0, 200.0]
    );
    // Costs match by channel; Marketplace has no opportunities, Online no costs.
    assert_eq!(
        numbers(column(&result, "Channels", "cost")),
        vec![60.0, 0.0, 100.0]
    );
    let roi = column(&result, "Channels", "roi");
    assert_eq!(roi[0], num((100.0 * 0.5 - 60.0) / 60.0));
    assert_eq!(roi[1].error_kind(), Some(ErrorKind::Div0));
    assert_eq!(roi[2], num((500.0 * 0.5 - 100.0) / 100.0));
    assert_eq!(
        numbers(column(&result, "Channels", "share")),
        vec![100.0 / 600.0, 0.0, 500.0 / 600.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "rank")),
        vec![2.0, 3.0, 1.0]
    );
    assert_eq!(
        numbers(column(&result, "Channels", "weighted")),
        vec![100.0, 0.0, 500.0]
    );
    assert_eq!(numbers(column(&result, "Won", "n")), vec![1.0, 2.0]);
    assert_eq!(result.scalar("total_revenue"), Some(&num(600.0)));
    assert_eq!(
        result.scalar("won_share_of_amount"),
        Some(&num(600.0 / 750.0))
    );
}

#[test]
fn division_errors_carry_their_rule_and_row() {
    let result = run(RULES, &[]);
    let avg = column(&result, "Channels", "avg_won");
    let Value::Error(error) = &avg[1] else {
        panic!(
            "Online won nothing, so revenue / won must be #DIV/0!, got {:?}",
            avg[1]
        );
    };
    assert_eq!(error.kind, ErrorKind::Div0);
    let origin = error.origin.as_ref().unwrap();
    assert_eq!(&*origin.rule, "Channels.avg_won");
    assert_eq!(origin.row, Some(1));
}

#[test]
fn flags_fire_on_matching_rows_only() {
    let result = run(RULES, &[]);
    // Win rates: Direct 1/2, Online 0/2, Partner 2/3: only Online is below half.
    assert_eq!(result.flags.len(), 1);
    assert_eq!(result.flags[0].subject, "Online");
    assert!(
        result.flags[0].message.starts_with("Online: win rate 0"),
        "{}",
        result.flags[0].message
    );
}

#[test]
fn param_overrides_change_results_without_recompiling() {
    let result = run(RULES, &[("margin".to_string(), num(1.0))]);
    let roi = column(&result, "Channels", "roi");
    assert_eq!(roi[0], num((100.0 - 60.0) / 60.0));
}

#[test]
fn unknown_param_override_is_an_error_with_a_suggestion() {
    let mut sources = SourceMap::new();
    sources.add("test.rules", RULES);
    let plan = check_sources(sources, &[]).plan.unwrap();
    let error = evaluate(
        &plan,
        fixture::fixture(),
        &[("margn".to_string(), num(1.0))],
        &CallContext::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown param `margn` (did you mean `margin`?)"
    );
}

#[test]
fn grouping_by_two_keys_including_a_computed_one() {
    let rules = r#"
input Opportunities (channel: text, stage: text, amount: number, created_date: date)
Opportunities.month = MONTH(created_date)
table ChannelMonths = group Opportunities by channel, month
ChannelMonths.amount = SUM(Opportunities.amount)
"#;
    let result = run(rules, &[]);
    // Direct: Jan 100+50, Feb 70; Online: Mar 5+15; Partner: Jan 200, Feb 300+10.
    assert_eq!(
        column(&result, "ChannelMonths", "channel"),
        &[
            text("Direct"),
            text("Direct"),
            text("Online"),
            text("partner"),
            text("Partner")
        ]
    );
    assert_eq!(
        numbers(column(&result, "ChannelMonths", "month")),
        vec![1.0, 2.0, 3.0, 1.0, 2.0]
    );
    assert_eq!(
        numbers(column(&result, "ChannelMonths", "amount")),
        vec![150.0, 70.0, 20.0, 200.0, 310.0]
    );
}

#[test]
fn lookups_between_tables_by_key_in_row_formulas() {
    let rules = r#"
input Opportunities (channel: text, amount: number)
input Costs (channel: text, amount: number)
Opportunities.first_cost = XLOOKUP(channel, Costs.channel, Costs.amount, -1)
Opportunities.strict     = XLOOKUP(channel, Costs.channel, Costs.amount)
Opportunities.by_amount  = XLOOKUP(amount * 2, Costs.amount, Costs.channel, "none")
"#;
    let result = run(rules, &[]);
    // Costs: Direct 40, Direct 20, Partner 100, Marketplace 999. The first Direct row
    // wins; "partner" matches "Partner" (text compares case-insensitively); Online has
    // no cost row.
    assert_eq!(
        numbers(column(&result, "Opportunities", "first_cost")),
        vec![40.0, 40.0, 40.0, 100.0, 100.0, 100.0, -1.0, -1.0]
    );
    let strict = column(&result, "Opportunities", "strict");
    assert_eq!(strict[0], num(40.0));
    assert_eq!(strict[6].error_kind(), Some(ErrorKind::NA));
    // Doubled amounts 200, 100, 140, 400, 600, 20, 10, 30: 100 is Partner's cost and 20
    // is Direct's second cost row; no other doubled amount is a cost.
    assert_eq!(
        column(&result, "Opportunities", "by_amount"),
        &[
            text("none"),
            text("Partner"),
            text("none"),
            text("none"),
            text("none"),
            text("Direct"),
            text("none"),
            text("none"),
        ]
    );
}
