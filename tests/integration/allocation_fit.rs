//! Response curves fitted from the sample's spend against the truth built into the
//! generator (`data::sample::spend_response`: each month's opportunities follow
//! seasonality × Hill(spend index; half, shape), costs are the spend index times a
//! channel scale). Without sampling noise the fit must give back the generator's Hill
//! parameters; on a generated workbook (multinomial noise) the fitted curve must match
//! the true one over the spend range it saw.

use calamine::{Data, Reader};
use chanmix::data::sample::{SampleOptions, spend_response, write_sample_workbook};
use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::evaluate;
use chanmix::functions::CallContext;
use chanmix::lang::program::check_rule_files;
use chanmix::table::{Column, Table};
use chanmix::value::{Value, ValueType};

use crate::support::command::Chanmix;

const FIT_RULES: &str = "input History (channel: text, month: date, spend: number, opportunities: number)\n\
    table Curves = fit_response History by channel (spend = spend, outcome = opportunities, period = month)\n";

/// Excel serial of the first day of the sample's month `m` (2024-01 + m).
fn month_serial(m: usize) -> f64 {
    let (year, month) = (2024 + (m / 12) as i32, (m % 12) as u32 + 1);
    chanmix::value::datetime::serial_from_ymd(year, month, 1).unwrap()
}

fn numbers(table: &Table, column: &str) -> Vec<f64> {
    table
        .column(column)
        .unwrap()
        .values()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn without_noise_the_fit_gives_back_the_generators_hill_parameters() {
    let truth = spend_response(&SampleOptions {
        rows: 2000,
        seed: 42,
    })
    .unwrap();
    let (mut channel, mut month, mut spend, mut outcome) = (vec![], vec![], vec![], vec![]);
    for (c, t) in truth.iter().enumerate() {
        let scale = 10_000.0 * (c + 1) as f64;
        let weights: Vec<f64> = t
            .spend_index
            .iter()
            .zip(&t.seasonality)
            .map(|(x, season)| season * x.powf(t.shape) / (x.powf(t.shape) + t.half.powf(t.shape)))
            .collect();
        let total: f64 = weights.iter().sum();
        for (m, w) in weights.iter().enumerate() {
            channel.push(Value::text(t.channel));
            month.push(Value::Date(month_serial(m)));
            spend.push(Value::Number(scale * t.spend_index[m]));
            // The expected count of 5,000 opportunities spread as the generator spreads them.
            outcome.push(Value::Number(5_000.0 * w / total));
        }
    }
    let rows = channel.len();
    let mut history = Table::new("History", rows);
    history.set_column(Column::new("channel", ValueType::Text, channel));
    history.set_column(Column::new("month", ValueType::Date, month));
    history.set_column(Column::new("spend", ValueType::Number, spend));
    history.set_column(Column::new("opportunities", ValueType::Number, outcome));

    let mut sources = SourceMap::new();
    let id = sources.add("fit.rules", FIT_RULES);
    let program = check_rule_files(sources, &[id], &[], &chanmix::analysis::vocabulary());
    let plan = program.plan.unwrap_or_else(|| {
        panic!(
            "{}",
            render_text(&program.diagnostics, &program.sources, false)
        )
    });
    let result = evaluate(&plan, vec![history], &[], &CallContext::default()).unwrap();
    let curves = result.table("Curves").unwrap();
    let (k, s, r2) = (
        numbers(curves, "k"),
        numbers(curves, "s"),
        numbers(curves, "r2"),
    );
    for (c, t) in truth.iter().enumerate() {
        let k_true = t.half * 10_000.0 * (c + 1) as f64;
        assert!(
            (k[c] / k_true - 1.0).abs() < 1e-4,
            "{}: k {} vs {k_true}",
            t.channel,
            k[c]
        );
        assert!(
            (s[c] - t.shape).abs() < 1e-4,
            "{}: s {} vs {}",
            t.channel,
            s[c],
            t.shape
        );
        assert!(r2[c] > 0.999_999, "{}: R² {}", t.channel, r2[c]);
    }
}

/// A Hill curve's value relative to its value at `reference`.
fn relative(k: f64, s: f64, x: f64, reference: f64) -> f64 {
    let f = |x: f64| 1.0 / (1.0 + (k / x).powf(s));
    f(x) / f(reference)
}

/// The Hill curve's elasticity `x·F'/F` at `x`.
fn elasticity(k: f64, s: f64, x: f64) -> f64 {
    s / (1.0 + (x / k).powf(s))
}

#[test]
fn on_a_generated_workbook_the_fitted_curve_matches_the_truth_over_the_spend_seen() {
    let options = SampleOptions {
        rows: 100_000,
        seed: 7,
    };
    let dir = tempfile::tempdir().unwrap();
    let workbook = dir.path().join("crm.xlsx");
    write_sample_workbook(&options, &workbook).unwrap();
    let truth = spend_response(&options).unwrap();

    // Each channel's scale from the Costs sheet, read independently (calamine).
    let mut reader = calamine::open_workbook_auto(&workbook).unwrap();
    let costs = reader.worksheet_range("Costs").unwrap();
    let cost_of = |channel: &str| -> f64 {
        costs
            .rows()
            .skip(1)
            .filter(|r| r[1] == Data::String(channel.to_string()))
            .map(|r| match r[3] {
                Data::Float(f) => f,
                _ => 0.0,
            })
            .sum()
    };

    std::fs::write(
        dir.path().join("fit.rules"),
        "input Opportunities (channel: text, created_date: date)\n\
         input Costs (month: date, channel: text, amount: number)\n\
         Costs.spend_month = EOMONTH(month, -1) + 1\n\
         Opportunities.spend_month = EOMONTH(created_date, -1) + 1\n\
         table SpendMonths = group Costs by channel, spend_month\n\
         SpendMonths.spend = SUM(Costs.amount)\n\
         SpendMonths.opportunities = COUNT(Opportunities)\n\
         table Curves = fit_response SpendMonths by channel (spend = spend, outcome = opportunities, period = spend_month)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fit.toml"),
        "name = \"fit\"\nrules = [\"fit.rules\"]\nas_of = 2026-06-30\n[inputs]\nworkbook = \"crm.xlsx\"\n",
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "fit.toml", "-o", "out.xlsx", "--json"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let curves = json["tables"]["Curves"].as_array().unwrap();
    for t in &truth {
        let row = curves.iter().find(|r| r["channel"] == t.channel).unwrap();
        let (k, s) = (row["k"].as_f64().unwrap(), row["s"].as_f64().unwrap());
        let (lo, hi) = (
            row["spend_min"].as_f64().unwrap(),
            row["spend_max"].as_f64().unwrap(),
        );
        let scale = cost_of(t.channel) / t.spend_index.iter().sum::<f64>();
        let k_true = t.half * scale;
        let median = (lo * hi).sqrt();
        // The shape over the spend seen: within 10% of the truth everywhere.
        for i in 0..=20 {
            let x = lo + (hi - lo) * f64::from(i) / 20.0;
            let (fitted, true_) = (
                relative(k, s, x, median),
                relative(k_true, t.shape, x, median),
            );
            assert!(
                (fitted / true_ - 1.0).abs() < 0.10,
                "{}: at {x:.0} the fitted curve is {fitted:.3} of its median value, the truth {true_:.3} (k {k:.0} vs {k_true:.0}, s {s:.2} vs {})",
                t.channel,
                t.shape
            );
        }
        // The return on a little more spend at the median: within 0.1 of the truth.
        let (e, e_true) = (
            elasticity(k, s, median),
            elasticity(k_true, t.shape, median),
        );
        assert!(
            (e - e_true).abs() < 0.1,
            "{}: elasticity {e:.3} vs {e_true:.3}",
            t.channel
        );
        assert!(
            row["r2"].as_f64().unwrap() > 0.8,
            "{}: R² {}",
            t.channel,
            row["r2"]
        );
    }
}
