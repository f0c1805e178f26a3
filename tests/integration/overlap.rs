//! The shipped overlap and coverage rules (rules/overlap.rules, rules/coverage.rules,
//! run with the whole library) on (a) ten hand-built deals whose conflicts, plan, credit,
//! coverage and demand ceilings are worked out by hand below, and (b) random small CRMs
//! where every figure is recomputed by brute force over all pairs of deals.

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::plan::{Plan, TableKind};
use chanmix::lang::program::load_rule_files;
use chanmix::pipeline::json::evaluated_to_json;
use chanmix::table::{Column, Table};
use chanmix::value::Value;
use chanmix::value::datetime::serial_from_ymd;
use serde_json::Value as Json;

/// One opportunity of a test CRM; dates as Excel serials.
#[derive(Clone, Debug)]
struct Deal {
    id: String,
    account: String,
    channel: &'static str,
    partner: &'static str,
    segment: &'static str,
    region: &'static str,
    stage: &'static str,
    amount: f64,
    created: f64,
    closed: Option<f64>,
    product: &'static str,
    lead_source: &'static str,
}

fn day(y: i32, m: u32, d: u32) -> f64 {
    serial_from_ymd(y, m, d).unwrap()
}

fn as_of() -> f64 {
    day(2026, 6, 30)
}

#[allow(clippy::too_many_arguments)]
fn deal(
    id: &str,
    account: &str,
    channel: &'static str,
    partner: &'static str,
    segment: &'static str,
    region: &'static str,
    stage: &'static str,
    amount: f64,
    created: f64,
    closed: Option<f64>,
    product: &'static str,
    lead_source: &'static str,
) -> Deal {
    Deal {
        id: id.into(),
        account: account.into(),
        channel,
        partner,
        segment,
        region,
        stage,
        amount,
        created,
        closed,
        product,
        lead_source,
    }
}

fn library() -> Plan {
    let dir = crate::support::repo().join("rules");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    paths.sort();
    let program = load_rule_files(&paths, &[], &chanmix::analysis::vocabulary()).unwrap();
    match program.plan {
        Some(plan) => plan,
        None => panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        ),
    }
}

fn text(s: &str) -> Value {
    if s.is_empty() {
        Value::Blank
    } else {
        Value::text(s)
    }
}

/// Every input table of the plan: Opportunities from `deals`, SegmentDemand from
/// `demand`, the partner list named after its ids, the rest empty.
fn inputs(plan: &Plan, deals: &[Deal], demand: &[(&str, &str, f64, f64)]) -> Vec<Table> {
    let mut out = Vec::new();
    for table in &plan.tables {
        if !matches!(table.kind, TableKind::Input) {
            continue;
        }
        let rows = match &*table.name {
            "Opportunities" => deals.len(),
            "SegmentDemand" => demand.len(),
            "PartnerList" => 3,
            _ => 0,
        };
        let mut t = Table::new(&table.name, rows);
        for column in &table.columns {
            if !matches!(column.origin, chanmix::lang::plan::ColumnOrigin::Input) {
                continue;
            }
            let values: Vec<Value> = match (&*table.name, &*column.name) {
                ("Opportunities", name) => deals
                    .iter()
                    .map(|d| match name {
                        "opp_id" => text(&d.id),
                        "account_id" => text(&d.account),
                        "channel" => text(d.channel),
                        "partner_id" => text(d.partner),
                        "segment" => text(d.segment),
                        "region" => text(d.region),
                        "stage" => text(d.stage),
                        "amount" => Value::Number(d.amount),
                        "created_date" => Value::Date(d.created),
                        "close_date" => d.closed.map_or(Value::Blank, Value::Date),
                        "product" => text(d.product),
                        "lead_source" => text(d.lead_source),
                        other => panic!("Opportunities.{other} is not in the test CRM"),
                    })
                    .collect(),
                ("SegmentDemand", name) => demand
                    .iter()
                    .map(|(s, r, accounts, spend)| match name {
                        "segment" => text(s),
                        "region" => text(r),
                        "addressable_accounts" => Value::Number(*accounts),
                        "annual_demand" => Value::Number(*spend),
                        other => panic!("SegmentDemand.{other}?"),
                    })
                    .collect(),
                ("PartnerList", name) => ["P1", "P2", "P3"]
                    .iter()
                    .map(|p| match name {
                        "partner_id" => text(p),
                        "partner_name" => text(&format!("Partner {p}")),
                        "tier" => text("Gold"),
                        "region" => text("NA"),
                        "certified_reps" => Value::Number(3.0),
                        _ => Value::Blank,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            t.set_column(Column::new(&column.name, column.ty, values));
        }
        out.push(t);
    }
    out
}

fn run(deals: &[Deal], demand: &[(&str, &str, f64, f64)]) -> Json {
    let plan = library();
    let context = CallContext {
        as_of: Some(as_of()),
    };
    let result = evaluate(&plan, inputs(&plan, deals, demand), &[], &context)
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&evaluated_to_json("overlap", &plan, &result)).unwrap()
}

fn scalar(json: &Json, name: &str) -> f64 {
    json["scalars"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}: {}", json["scalars"][name]))
}

/// Rows of a table keyed by the text of `keys` joined with `|`.
fn rows(json: &Json, table: &str, keys: &[&str]) -> BTreeMap<String, Json> {
    json["tables"][table]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table}"))
        .iter()
        .map(|row| {
            let key: Vec<String> = keys
                .iter()
                .map(|k| row[*k].as_str().unwrap_or_default().to_string())
                .collect();
            (key.join("|"), row.clone())
        })
        .collect()
}

/// Equal within rounding (shares such as 1 − 70% are not exact in binary).
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} ≠ {want}"
    );
}

fn num(row: &Json, column: &str) -> f64 {
    row[column]
        .as_f64()
        .unwrap_or_else(|| panic!("{column}: {row}"))
}

/// Ten deals on four accounts; as_of 2026-06-30, so every date is in the 12-month period.
fn hand_built() -> Vec<Deal> {
    let d = day;
    vec![
        // A1 (Enterprise North): Direct o1 and partner-sourced P1 o2 overlap Feb 1 – Mar 1
        // on product X → conflict, co-sell (partner-sourced into the reserved segment).
        deal(
            "o1",
            "A1",
            "Direct",
            "",
            "Enterprise",
            "North",
            "Closed Won",
            100.0,
            d(2026, 1, 1),
            Some(d(2026, 3, 1)),
            "X",
            "",
        ),
        deal(
            "o2",
            "A1",
            "Partner",
            "P1",
            "Enterprise",
            "North",
            "Closed Lost",
            80.0,
            d(2026, 2, 1),
            Some(d(2026, 4, 1)),
            "X",
            "Partner Referral",
        ),
        // o3 starts after both closed: no conflict.
        deal(
            "o3",
            "A1",
            "Direct",
            "",
            "Enterprise",
            "North",
            "Prospecting",
            50.0,
            d(2026, 5, 1),
            None,
            "Y",
            "",
        ),
        // A2 (SMB South): Online o4 open since Jan 10 (runs to as_of) and Inside Sales o5
        // (product blank on o4: matches) → conflict, first registered: o4 owns, o5 (won)
        // transfers with its 60 of credit.
        deal(
            "o4",
            "A2",
            "Online",
            "",
            "SMB",
            "South",
            "Prospecting",
            30.0,
            d(2026, 1, 10),
            None,
            "",
            "",
        ),
        deal(
            "o5",
            "A2",
            "Inside Sales",
            "",
            "SMB",
            "South",
            "Closed Won",
            60.0,
            d(2026, 3, 1),
            Some(d(2026, 5, 1)),
            "X",
            "",
        ),
        // o6: same route as o4, and over before o5 starts.
        deal(
            "o6",
            "A2",
            "Online",
            "",
            "SMB",
            "South",
            "Closed Lost",
            10.0,
            d(2026, 2, 1),
            Some(d(2026, 2, 15)),
            "X",
            "",
        ),
        // A3 (SMB South): partners P1 and P2 share exactly one day (Feb 1) → conflict,
        // first registered o7 owns, o8 is lost: keep.
        deal(
            "o7",
            "A3",
            "Partner",
            "P1",
            "SMB",
            "South",
            "Closed Won",
            40.0,
            d(2026, 1, 1),
            Some(d(2026, 2, 1)),
            "X",
            "",
        ),
        deal(
            "o8",
            "A3",
            "Partner",
            "P2",
            "SMB",
            "South",
            "Closed Lost",
            20.0,
            d(2026, 2, 1),
            Some(d(2026, 3, 1)),
            "X",
            "",
        ),
        // o9 overlaps o7 in time but sells another product: no conflict (A3 is still
        // worked by two channels).
        deal(
            "o9",
            "A3",
            "Direct",
            "",
            "SMB",
            "South",
            "Closed Won",
            25.0,
            d(2026, 1, 15),
            Some(d(2026, 1, 20)),
            "Z",
            "",
        ),
        // A4: one channel only.
        deal(
            "o10",
            "A4",
            "Direct",
            "",
            "Enterprise",
            "North",
            "Closed Won",
            200.0,
            d(2026, 2, 1),
            Some(d(2026, 2, 10)),
            "X",
            "",
        ),
    ]
}

const DEMAND: &[(&str, &str, f64, f64)] = &[
    ("Enterprise", "North", 10.0, 1000.0),
    ("SMB", "South", 20.0, 500.0),
];

#[test]
fn hand_built_conflicts_plan_credit_and_coverage() {
    let json = run(&hand_built(), DEMAND);

    // A1, A2, A3 have opportunities in two channels; A4 in one.
    assert_eq!(scalar(&json, "multi_channel_accounts"), 3.0);
    assert_eq!(scalar(&json, "conflicts"), 3.0);
    // o1, o2, o4, o5, o7, o8.
    assert_eq!(scalar(&json, "conflicted_opportunities"), 6.0);
    // Won among them: o1 100 + o5 60 + o7 40; open: o4 30.
    assert_eq!(scalar(&json, "revenue_at_stake"), 200.0);
    assert_eq!(scalar(&json, "pipeline_at_stake"), 30.0);

    let overlap = rows(&json, "ChannelOverlap", &["channel", "other_channel"]);
    let expect = [
        // (pair, shared accounts, conflicts)
        ("Direct|Partner", 2.0, 1.0),
        ("Partner|Direct", 2.0, 1.0),
        ("Inside Sales|Online", 1.0, 1.0),
        ("Online|Inside Sales", 1.0, 1.0),
        ("Partner|Partner", 1.0, 2.0), // P1 × P2 on A3, seen from both deals
    ];
    assert_eq!(overlap.len(), expect.len(), "{:?}", overlap.keys());
    for (pair, shared, conflicts) in expect {
        let row = &overlap[pair];
        assert_eq!(num(row, "shared_accounts"), shared, "{pair}");
        assert_eq!(num(row, "conflicts"), conflicts, "{pair}");
    }
    // Revenue on shared accounts, Direct's side of Direct × Partner: A1 100 + A3 25.
    assert_eq!(num(&overlap["Direct|Partner"], "shared_revenue"), 125.0);
    assert_eq!(num(&overlap["Partner|Direct"], "shared_revenue"), 40.0);

    let plan = rows(&json, "ConflictPlan", &["rule", "resolution"]);
    let expect = [
        ("co-sell|co-sell", 1.0, 100.0),
        ("first registered|transfer", 1.0, 60.0),
        ("first registered|keep", 1.0, 40.0),
    ];
    assert_eq!(plan.len(), expect.len(), "{:?}", plan.keys());
    for (key, conflicts, value) in expect {
        assert_eq!(num(&plan[key], "conflicts"), conflicts, "{key}");
        assert_eq!(num(&plan[key], "value"), value, "{key}");
    }
    // o5 (won, yielding to o4) moves its 60 to Online; no open deal changes hands (o4 owns).
    assert_eq!(
        num(&plan["first registered|transfer"], "pipeline_moved"),
        0.0
    );
    assert_eq!(
        num(&plan["first registered|transfer"], "credit_moved"),
        60.0
    );
    // Co-sell: Direct keeps 70% of o1's 100, the partner gets 30.
    assert_close(
        num(&plan["co-sell|co-sell"], "credit_moved"),
        30.0,
        "co-sell credit",
    );

    let channels = rows(&json, "Channels", &["channel"]);
    for (channel, out, into) in [
        ("Direct", 30.0, 0.0),
        ("Partner", 0.0, 30.0),
        ("Inside Sales", 60.0, 0.0),
        ("Online", 0.0, 60.0),
    ] {
        let row = &channels[channel];
        assert_close(num(row, "credit_out"), out, channel);
        assert_close(num(row, "credit_in"), into, channel);
        assert_close(
            num(row, "credited_revenue"),
            num(row, "revenue") - out + into,
            channel,
        );
    }
    // Direct in the period: won o1 (conflicted), o9, o10; no losses. Conflicted deals
    // won: o1 (100, 59 days); clean: o9 25 (5 days), o10 200 (9 days).
    let direct = &channels["Direct"];
    assert_eq!(num(direct, "won_conflicted"), 1.0);
    assert_eq!(num(direct, "deal_conflicted"), 100.0);
    assert_eq!(num(direct, "deal_clean"), 112.5);
    assert_eq!(num(direct, "cycle_conflicted"), 59.0);
    assert_eq!(num(direct, "cycle_clean"), 7.0);
    // Partner: o7 won and o8 lost, both conflicted (o2 too, lost): conflicted win rate
    // 1 of 3; no clean closed deal, so the clean rate is blank, not 0.
    let partner = &channels["Partner"];
    assert!((num(partner, "win_rate_conflicted") - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(partner["win_rate_clean"], Json::String(String::new()));

    // The one live conflict (o4 open) heads the list, proposed owner Online.
    let top = json["tables"]["TopConflicts"].as_array().unwrap();
    assert_eq!(top.len(), 1, "{top:?}");
    assert_eq!(top[0]["value_at_stake"], 60.0);
    assert_eq!(top[0]["proposed_owner"], "Online");

    // Coverage: won in the 12 months to as_of — Enterprise North o1 100 + o10 200;
    // SMB South o5 60 + o7 40 + o9 25.
    let coverage = rows(&json, "Coverage", &["segment", "region"]);
    let north = &coverage["Enterprise|North"];
    assert_eq!(num(north, "reached"), 300.0);
    assert_eq!(num(north, "remaining"), 700.0);
    assert_eq!(num(north, "coverage"), 0.3);
    assert_eq!(num(north, "accounts"), 2.0); // A1, A4
    assert_eq!(num(north, "untouched"), 8.0);
    let south = &coverage["SMB|South"];
    assert_eq!(num(south, "reached"), 125.0);
    assert_eq!(num(south, "remaining"), 375.0);
    assert_eq!(num(south, "accounts"), 2.0); // A2, A3
    assert_eq!(scalar(&json, "demand_remaining"), 1075.0);
    assert_eq!(scalar(&json, "market_coverage"), 425.0 / 1500.0);

    // Ceilings: in each market it works, demand − what the other channels reach there.
    let ceilings = rows(&json, "ChannelCeilings", &["channel"]);
    for (channel, ceiling, reached) in [
        ("Direct", (1000.0 - 0.0) + (500.0 - 100.0), 325.0),
        ("Partner", (1000.0 - 300.0) + (500.0 - 85.0), 40.0),
        ("Online", 500.0 - 125.0, 0.0),
        ("Inside Sales", 500.0 - 65.0, 60.0),
    ] {
        let row = &ceilings[channel];
        assert_eq!(num(row, "ceiling"), ceiling, "{channel}");
        assert_eq!(num(row, "reached"), reached, "{channel}");
        assert_eq!(num(row, "headroom"), ceiling - reached, "{channel}");
    }
}

#[test]
fn a_market_missing_from_segment_demand_leaves_the_ceiling_blank_and_says_so() {
    let json = run(&hand_built(), &DEMAND[..1]);
    let ceilings = rows(&json, "ChannelCeilings", &["channel"]);
    // Online works only SMB South, which now has no demand row.
    assert_eq!(ceilings["Online"]["ceiling"], Json::String(String::new()));
    assert_eq!(num(&ceilings["Online"], "markets_without_demand"), 1.0);
    let flags = json["flags"].to_string();
    assert!(
        flags.contains("Online works 1 segment × region markets"),
        "{flags}"
    );
}

/// A small xorshift generator: the cases are reproducible from the seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

fn random_crm(seed: u64) -> Vec<Deal> {
    let mut rng = Random(seed);
    let start = day(2025, 1, 1);
    (0..120)
        .map(|i| {
            let channel = rng.pick(&["Direct", "Online", "Partner", "Inside Sales"]);
            let partner = if channel == "Partner" {
                rng.pick(&["P1", "P2", "P3"])
            } else {
                ""
            };
            let created = start + rng.below(540) as f64;
            let close = created + rng.below(150) as f64;
            let (stage, closed) = if close > as_of() {
                ("Negotiation", None)
            } else if rng.below(2) == 0 {
                ("Closed Won", Some(close))
            } else {
                ("Closed Lost", Some(close))
            };
            deal(
                &format!("r{i}"),
                &format!("A{}", rng.below(30)),
                channel,
                partner,
                rng.pick(&["Enterprise", "SMB"]),
                rng.pick(&["North", "South"]),
                stage,
                (1 + rng.below(100)) as f64 * 10.0,
                created,
                closed,
                rng.pick(&["X", "Y", ""]),
                rng.pick(&["Partner Referral", "Web", ""]),
            )
        })
        .collect()
}

/// Brute force: every pair of deals on one account through different routes whose
/// created-to-close (open: to as_of) intervals share a day, for one product or where
/// either is blank.
fn brute_conflicts(deals: &[Deal]) -> Vec<(usize, usize)> {
    let route = |d: &Deal| {
        if d.partner.is_empty() {
            d.channel
        } else {
            d.partner
        }
    };
    let end = |d: &Deal| d.closed.unwrap_or(as_of());
    let mut out = Vec::new();
    for i in 0..deals.len() {
        for j in i + 1..deals.len() {
            let (a, b) = (&deals[i], &deals[j]);
            let same_product =
                a.product.is_empty() || b.product.is_empty() || a.product == b.product;
            if a.account == b.account
                && route(a) != route(b)
                && same_product
                && a.created <= end(b)
                && b.created <= end(a)
            {
                out.push((i, j));
            }
        }
    }
    out
}

#[test]
fn random_crms_match_a_brute_force_over_all_pairs() {
    for seed in [7u64, 99, 12345, 2026] {
        let deals = random_crm(seed);
        let json = run(&deals, DEMAND);
        let pairs = brute_conflicts(&deals);
        assert!(
            pairs.len() >= 5,
            "seed {seed}: too few conflicts to test ({})",
            pairs.len()
        );
        let conflicted: BTreeSet<usize> = pairs.iter().flat_map(|&(i, j)| [i, j]).collect();
        let won = |i: &usize| deals[*i].stage == "Closed Won";
        let open = |i: &usize| deals[*i].closed.is_none();
        assert_eq!(
            scalar(&json, "conflicts"),
            pairs.len() as f64,
            "seed {seed}"
        );
        assert_eq!(
            scalar(&json, "conflicted_opportunities"),
            conflicted.len() as f64,
            "seed {seed}"
        );
        let revenue: f64 = conflicted
            .iter()
            .filter(|i| won(i))
            .map(|&i| deals[i].amount)
            .sum();
        let pipeline: f64 = conflicted
            .iter()
            .filter(|i| open(i))
            .map(|&i| deals[i].amount)
            .sum();
        assert_eq!(scalar(&json, "revenue_at_stake"), revenue, "seed {seed}");
        assert_eq!(scalar(&json, "pipeline_at_stake"), pipeline, "seed {seed}");

        // Accounts per channel set; shared accounts per ordered channel pair (a channel
        // pairs with itself when two or more of its partners work the account).
        let mut channels: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut partners: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
        for d in &deals {
            channels.entry(&d.account).or_default().insert(d.channel);
            if !d.partner.is_empty() {
                partners
                    .entry((&d.account, d.channel))
                    .or_default()
                    .insert(d.partner);
            }
        }
        let multi = channels.values().filter(|c| c.len() >= 2).count();
        assert_eq!(
            scalar(&json, "multi_channel_accounts"),
            multi as f64,
            "seed {seed}"
        );
        let mut shared: BTreeMap<String, f64> = BTreeMap::new();
        for (account, set) in &channels {
            for a in set {
                for b in set {
                    let self_pair = partners.get(&(account, a)).is_some_and(|p| p.len() >= 2);
                    if a != b || self_pair {
                        *shared.entry(format!("{a}|{b}")).or_default() += 1.0;
                    }
                }
            }
        }
        // Conflicts per ordered channel pair, each conflict seen from both deals.
        let mut conflicts: BTreeMap<String, f64> = BTreeMap::new();
        for &(i, j) in &pairs {
            let (a, b) = (deals[i].channel, deals[j].channel);
            *conflicts.entry(format!("{a}|{b}")).or_default() += 1.0;
            *conflicts.entry(format!("{b}|{a}")).or_default() += 1.0;
        }
        let overlap = rows(&json, "ChannelOverlap", &["channel", "other_channel"]);
        assert_eq!(
            overlap.keys().cloned().collect::<Vec<_>>(),
            shared.keys().cloned().collect::<Vec<_>>(),
            "seed {seed}"
        );
        for (pair, row) in &overlap {
            assert_eq!(
                num(row, "shared_accounts"),
                shared[pair],
                "seed {seed} {pair}"
            );
            assert_eq!(
                num(row, "conflicts"),
                conflicts.get(pair).copied().unwrap_or(0.0),
                "seed {seed} {pair}"
            );
        }
    }
}
