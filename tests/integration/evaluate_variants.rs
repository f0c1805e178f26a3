//! Variants of one evaluation (same plan and inputs, other params) computed through a
//! kept baseline must equal a full evaluation of each; the full `evaluate` is the oracle.

use std::sync::Arc;

use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::{Baseline, EvalError, Evaluated, evaluate, evaluate_variants};
use chanmix::functions::CallContext;
use chanmix::lang::plan::Plan;
use chanmix::lang::program::check_sources;
use chanmix::table::Table;
use chanmix::value::Value;

use crate::support;

/// Params in a row formula, a grouped aggregate's list, a `where` filter (also through
/// a boolean column), a grouping filter (the group count changes), the key column
/// another table is matched to groups on, a scalar, a flag's condition and its
/// message; TODAY() reads the context.
const RULES: &str = r#"
input Opportunities (channel: text, stage: text, amount: number, created_date: date, close_date: date?)
input Costs (channel: text, amount: number)

param margin = 50%
param min_amount = 20
param threshold = 0.5
param label = "big"
param cost_split = 50

Opportunities.is_won = stage = "Closed Won"
Opportunities.size   = IF(amount >= min_amount, label, "small")
Opportunities.age    = TODAY() - created_date
Opportunities.large  = amount >= min_amount
Opportunities.tier   = IF(amount >= 60, "high", "low")
Costs.tier           = IF(amount >= cost_split, "high", "low")

table Channels = group Opportunities by channel
Channels.revenue   = SUM(Opportunities.amount where is_won)
Channels.margin_total = SUM(Opportunities.amount * margin)
Channels.large     = COUNT(Opportunities where amount >= min_amount)
Channels.big_deals = COUNT(Opportunities where size = "big")
Channels.cost      = SUM(Costs.amount)
Channels.large_won = SUM(Opportunities.amount where large and is_won)
Channels.not_large = COUNT(Opportunities where not large)
Channels.roi       = (revenue * margin - cost) / cost

table Large = group Opportunities by channel where amount >= min_amount
Large.n     = COUNT(Opportunities)
Large.total = SUM(Opportunities.amount)
Large.cost  = SUM(Costs.amount)

table Tiers = group Opportunities by tier
Tiers.amount = SUM(Opportunities.amount)
Tiers.cost   = SUM(Costs.amount)

total_roi  = SUM(Channels.roi)
total_cost = SUM(Channels.cost)
oldest     = MAX(Opportunities.age)

flag Channels when roi > threshold: "{channel}: roi {roi} above {threshold}"
flag Large when n >= 2: "{channel} has {n} deals of at least {min_amount}"
flag Channels when cost > 0: "{channel} costs {cost}"
"#;

fn plan() -> Plan {
    let mut sources = SourceMap::new();
    sources.add("variants.rules", RULES);
    let program = check_sources(sources, &[]);
    match program.plan {
        Some(plan) => plan,
        None => panic!(
            "rules should check cleanly:\n{}",
            render_text(&program.diagnostics, &program.sources, false)
        ),
    }
}

fn params(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

fn as_of(y: i32, m: u32, d: u32) -> CallContext {
    CallContext {
        as_of: chanmix::value::datetime::serial_from_ymd(y, m, d),
    }
}

/// The variants: the defaults, each param alone, several at once, the baseline's own
/// values again, another context, and the defaults after all that.
fn variants() -> Vec<(Vec<(String, Value)>, CallContext)> {
    let june = as_of(2026, 6, 30);
    vec![
        (Vec::new(), june.clone()),
        (params(&[("margin", Value::Number(0.8))]), june.clone()),
        (params(&[("min_amount", Value::Number(10.0))]), june.clone()),
        (params(&[("min_amount", Value::Number(60.0))]), june.clone()),
        (
            params(&[("min_amount", Value::Number(1000.0))]),
            june.clone(),
        ),
        (
            params(&[
                ("threshold", Value::Number(-10.0)),
                ("label", Value::text("BIG")),
            ]),
            june.clone(),
        ),
        (
            params(&[
                ("margin", Value::Number(0.25)),
                ("min_amount", Value::Number(0.0)),
                ("threshold", Value::Number(0.0)),
            ]),
            june.clone(),
        ),
        (params(&[("margin", Value::Number(0.5))]), june.clone()),
        (params(&[("cost_split", Value::Number(30.0))]), june.clone()),
        (Vec::new(), as_of(2026, 12, 31)),
        (Vec::new(), june),
    ]
}

/// Every table (values and error origins), scalar, param and flag hit equal.
fn assert_same(variant: &Evaluated, full: &Evaluated, what: &str) {
    assert_eq!(variant.tables.len(), full.tables.len(), "{what}: tables");
    for (a, b) in variant.tables.iter().zip(&full.tables) {
        assert_eq!(a, b, "{what}: table {}", b.name);
        for (x, y) in a.columns.iter().zip(&b.columns) {
            assert_eq!(
                format!("{:?}", x.data.values()),
                format!("{:?}", y.data.values()),
                "{what}: {}.{}",
                b.name,
                y.name
            );
        }
    }
    assert_eq!(variant.scalars, full.scalars, "{what}: scalars");
    assert_eq!(
        format!("{:?}", variant.scalars),
        format!("{:?}", full.scalars),
        "{what}: scalar origins"
    );
    assert_eq!(variant.params, full.params, "{what}: params");
    assert_eq!(variant.flags, full.flags, "{what}: flags");
}

fn full(plan: &Plan, overrides: &[(String, Value)], context: &CallContext) -> Evaluated {
    match evaluate(plan, support::fixture::fixture(), overrides, context) {
        Ok(result) => result,
        Err(error) => panic!("full evaluation failed: {error}"),
    }
}

fn column(result: &Evaluated, table: &str, column: &str) -> Vec<Value> {
    result
        .table(table)
        .and_then(|t| t.column(column))
        .map(|c| c.data.values().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_variant_equals_its_full_evaluation() {
    let plan = plan();
    let variants = variants();
    let results = evaluate_variants(&plan, support::fixture::fixture(), &variants).unwrap();
    assert_eq!(results.len(), variants.len());
    for (index, ((overrides, context), result)) in variants.iter().zip(&results).enumerate() {
        assert_same(
            result,
            &full(&plan, overrides, context),
            &format!("variant {index}"),
        );
    }
}

#[test]
fn each_variant_starts_from_the_baseline_not_the_previous_variant() {
    let plan = plan();
    let variants = variants();
    let (first_overrides, first_context) = &variants[0];
    let (baseline, _) = Baseline::evaluate(
        &plan,
        support::fixture::fixture(),
        first_overrides,
        first_context,
    )
    .unwrap();
    // In reverse order, and each twice: nothing one variant computed leaks into another.
    for (index, (overrides, context)) in variants.iter().enumerate().rev() {
        let expected = full(&plan, overrides, context);
        for _ in 0..2 {
            let result = baseline.variant(overrides, context).unwrap();
            assert_same(&result, &expected, &format!("variant {index}"));
        }
    }
}

#[test]
fn a_baseline_with_other_params_gives_the_same_variants() {
    let plan = plan();
    let mut variants = variants();
    // The baseline is the variant whose grouping filter keeps no row at all.
    variants.swap(0, 4);
    let results = evaluate_variants(&plan, support::fixture::fixture(), &variants).unwrap();
    for (index, ((overrides, context), result)) in variants.iter().zip(&results).enumerate() {
        assert_same(
            result,
            &full(&plan, overrides, context),
            &format!("variant {index}"),
        );
    }
}

#[test]
fn the_grouping_filter_param_regroups_by_hand() {
    // Amounts by channel: Direct 100, 50, 70; Partner (either case) 200, 300, 10;
    // Online 5, 15. Large keeps rows with amount >= min_amount.
    let plan = plan();
    let june = as_of(2026, 6, 30);
    let variants = vec![
        (Vec::new(), june.clone()),
        (params(&[("min_amount", Value::Number(10.0))]), june.clone()),
        (params(&[("min_amount", Value::Number(1000.0))]), june),
    ];
    let results = evaluate_variants(&plan, support::fixture::fixture(), &variants).unwrap();
    let n = |r: &Evaluated| column(r, "Large", "n");
    assert_eq!(n(&results[0]), [Value::Number(3.0), Value::Number(2.0)]);
    assert_eq!(
        n(&results[1]),
        [Value::Number(3.0), Value::Number(1.0), Value::Number(3.0)]
    );
    assert!(n(&results[2]).is_empty());
    assert_eq!(column(&results[1], "Large", "cost")[0], Value::Number(60.0));
    // The flag on Large (n >= 2) names the threshold in its message.
    let large_flags: Vec<&str> = results[1]
        .flags
        .iter()
        .filter(|f| &*f.table == "Large")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        large_flags,
        [
            "Direct has 3 deals of at least 10",
            // A group shows its first row's key: row 4 spells it "partner".
            "partner has 3 deals of at least 10"
        ]
    );
}

#[test]
fn what_no_changed_param_reaches_is_shared_not_computed_again() {
    let plan = plan();
    let june = as_of(2026, 6, 30);
    let variants = vec![
        (Vec::new(), june.clone()),
        (params(&[("margin", Value::Number(0.8))]), june),
    ];
    let results = evaluate_variants(&plan, support::fixture::fixture(), &variants).unwrap();
    let data = |r: &Evaluated, table: &str, column: &str| {
        r.table(table)
            .and_then(|t: &Table| t.column(column))
            .map(|c| Arc::clone(&c.data))
    };
    let shared = |table: &str, column: &str| match (
        data(&results[0], table, column),
        data(&results[1], table, column),
    ) {
        (Some(a), Some(b)) => Arc::ptr_eq(&a, &b),
        _ => false,
    };
    assert!(shared("Opportunities", "is_won"));
    assert!(shared("Channels", "revenue"));
    assert!(shared("Large", "n"));
    assert!(!shared("Channels", "margin_total"));
    assert!(!shared("Channels", "roi"));
}

#[test]
fn an_unknown_param_in_a_variant_is_the_same_error() {
    let plan = plan();
    let june = as_of(2026, 6, 30);
    let overrides = params(&[("margn", Value::Number(0.8))]);
    let (baseline, _) = Baseline::evaluate(&plan, support::fixture::fixture(), &[], &june).unwrap();
    let expected = evaluate(&plan, support::fixture::fixture(), &overrides, &june).unwrap_err();
    let got: EvalError = baseline.variant(&overrides, &june).unwrap_err();
    assert_eq!(got, expected);
    assert!(
        evaluate_variants(&plan, support::fixture::fixture(), &[])
            .unwrap()
            .is_empty()
    );
}
