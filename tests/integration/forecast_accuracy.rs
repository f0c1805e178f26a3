//! The shipped forecast against an independent implementation: statsforecast's AutoETS
//! and a seasonal-naive baseline, both run by `tests/forecast_check.py`, which also
//! scores chanmix's forecasts itself. On 60 generated series with a known trend and
//! season, and on the sample's channels (rolling origins as the Backtest table uses),
//! the forecast must beat seasonal naive on most series and stay within 5% of AutoETS's
//! WAPE. Needs python3 with tests/requirements.txt (skips visibly without; fails under CI).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chanmix::analysis::forecast::{PARAMETERS, compute};
use chanmix::functions::CallContext;
use chanmix::functions::forecast::month_start;
use chanmix::lang::analysis::{AnalysisInput, ArgValues};
use chanmix::value::Value;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::support::{self, command::Chanmix};

/// What tests/forecast_check.py imports.
const FORECAST_CHECK_MODULES: &[&str] = &["statsforecast", "pandas", "openpyxl"];

const SERIES: usize = 60;
const HISTORY: usize = 36;
const HOLDOUT: usize = 6;

/// Series with a level, a linear trend, a fixed 12-month pattern and Gaussian noise.
fn generated() -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..SERIES)
        .map(|_| {
            let level: f64 = rng.random_range(50.0..500.0);
            let slope = level * rng.random_range(-0.01..0.03);
            let amplitude = level * rng.random_range(0.05..0.4);
            let mut shape: Vec<f64> = (0..12).map(|_| rng.sample(StandardNormal)).collect();
            let mean = shape.iter().sum::<f64>() / 12.0;
            let peak = shape.iter().map(|s| (s - mean).abs()).fold(0.0, f64::max);
            shape.iter_mut().for_each(|s| *s = (*s - mean) / peak);
            let noise = level * rng.random_range(0.02..0.2);
            (0..HISTORY + HOLDOUT)
                .map(|t| {
                    let e: f64 = rng.sample(StandardNormal);
                    (level + slope * t as f64 + amplitude * shape[t % 12] + noise * e).max(0.0)
                })
                .collect()
        })
        .collect()
}

/// chanmix's forecast of the holdout: each series' history as won deals (one a month)
/// through the `forecast` analyses' computation with its defaults (12-month season,
/// 6 backtest months); with no open deals the blend leans on ETS as its backtest says.
fn chanmix_forecasts(series: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let first = 2020 * 12;
    let (mut key, mut amount, mut created, mut closed, mut won) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, y) in series.iter().enumerate() {
        for (t, v) in y[..HISTORY].iter().enumerate() {
            let month = Value::Date(month_start(first + t as i64).unwrap());
            key.push(Value::text(&format!("S{i:03}")));
            amount.push(Value::Number(*v));
            created.push(month.clone());
            closed.push(month);
            won.push(Value::Bool(true));
        }
    }
    let rows = key.len();
    let args = PARAMETERS
        .iter()
        .map(|p| match p.name {
            "amount" => Some(ArgValues::EachRow(amount.clone())),
            "created" => Some(ArgValues::EachRow(created.clone())),
            "closed" => Some(ArgValues::EachRow(closed.clone())),
            "won" => Some(ArgValues::EachRow(won.clone())),
            "horizon" => Some(ArgValues::Once(Value::Number(HOLDOUT as f64))),
            _ => None,
        })
        .collect();
    let as_of = month_start(first + HISTORY as i64).unwrap() - 1.0;
    let context = CallContext { as_of: Some(as_of) };
    let input = AnalysisInput {
        table: "Generated",
        rows,
        keys: vec![key],
        key_names: vec!["series".into()],
        args,
        context: &context,
        coding: &chanmix::eval::engine::EngineCoding,
    };
    let computed = compute(&input).unwrap_or_else(|e| panic!("{}", e.message));
    computed
        .results
        .iter()
        .map(|units| units[0].blend.clone())
        .collect()
}

#[test]
fn generated_series_beat_seasonal_naive_and_match_autoets() {
    let series = generated();
    let ours = chanmix_forecasts(&series);
    let dir = tempfile::tempdir().unwrap();
    let (series_csv, ours_csv) = (dir.path().join("series.csv"), dir.path().join("ours.csv"));
    let mut text = String::from("id,t,y\n");
    for (i, y) in series.iter().enumerate() {
        for (t, v) in y.iter().enumerate() {
            writeln!(text, "{i},{t},{v:.17e}").unwrap();
        }
    }
    std::fs::write(&series_csv, text).unwrap();
    let mut text = String::from("id,h,forecast\n");
    for (i, f) in ours.iter().enumerate() {
        assert_eq!(f.len(), HOLDOUT);
        for (h, v) in f.iter().enumerate() {
            writeln!(text, "{i},{},{v:.17e}", h + 1).unwrap();
        }
    }
    std::fs::write(&ours_csv, text).unwrap();
    let script = support::repo().join("tests/forecast_check.py");
    if support::python::skip_reason(FORECAST_CHECK_MODULES).is_some() {
        return;
    }
    let out = support::python::run(
        &script,
        &[
            "generated",
            series_csv.to_str().unwrap(),
            ours_csv.to_str().unwrap(),
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wape = |name: &str| report["wape"][name].as_f64().unwrap();
    let beats = report["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["ours"].as_f64().unwrap() < s["naive"].as_f64().unwrap())
        .count();
    eprintln!(
        "generated: WAPE chanmix {:.4}, AutoETS {:.4}, seasonal naive {:.4}; chanmix beats \
         seasonal naive on {beats} of {SERIES}",
        wape("ours"),
        wape("autoets"),
        wape("naive")
    );
    assert!(
        beats * 2 > SERIES,
        "beats seasonal naive on {beats} of {SERIES}"
    );
    assert!(
        wape("ours") <= 1.05 * wape("autoets"),
        "WAPE {} against AutoETS {}",
        wape("ours"),
        wape("autoets")
    );
}

#[test]
fn sample_forecast_matches_autoets_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base.xlsx");
    let ran = Chanmix::new()
        .args(["run", "scenarios/base.toml", "--json", "-o"])
        .arg(&out)
        .success();
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let groups = json["forecast"]["Forecast"]["groups"].as_array().unwrap();
    let starts: BTreeMap<String, String> = groups
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["history_from"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let last_month = json["forecast"]["Forecast"]["as_of_month"]
        .as_str()
        .unwrap();
    let starts_json = dir.path().join("starts.json");
    std::fs::write(&starts_json, serde_json::to_string(&starts).unwrap()).unwrap();
    let script = support::repo().join("tests/forecast_check.py");
    let workbook = support::repo().join("scenarios/data/crm_sample.xlsx");
    if support::python::skip_reason(FORECAST_CHECK_MODULES).is_some() {
        return;
    }
    let out = support::python::run(
        &script,
        &[
            "sample",
            workbook.to_str().unwrap(),
            last_month,
            starts_json.to_str().unwrap(),
            "6",
            "6",
        ],
    );
    let python: serde_json::Value = serde_json::from_str(&out).unwrap();

    // The revenue history chanmix shows is the one pandas sums from the workbook.
    let forecast = json["tables"]["Forecast"].as_array().unwrap();
    for (channel, expected) in python.as_object().unwrap() {
        let revenue: Vec<f64> = expected["revenue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let shown: Vec<f64> = forecast
            .iter()
            .filter(|r| r["channel"] == channel.as_str() && r["actual"].is_number())
            .map(|r| r["actual"].as_f64().unwrap())
            .collect();
        let tail = &revenue[revenue.len() - shown.len()..];
        for (a, b) in shown.iter().zip(tail) {
            assert!(
                (a - b).abs() < 1e-6,
                "{channel}: {shown:?} against {tail:?}"
            );
        }
    }

    // Pooled over channels: errors are WAPE × the actuals pandas summed.
    let backtest = json["tables"]["Backtest"].as_array().unwrap();
    let wape = |channel: &str, method: &str| -> f64 {
        backtest
            .iter()
            .find(|r| r["channel"] == channel && r["method"] == method)
            .and_then(|r| r["wape"].as_f64())
            .unwrap_or_else(|| panic!("no {method} WAPE for {channel}"))
    };
    let (mut actual, mut blend, mut ets, mut auto, mut naive) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut blend_beats_naive = 0;
    let channels = python.as_object().unwrap();
    for (channel, p) in channels {
        let a = p["actual"].as_f64().unwrap();
        let naive_error = p["naive_error"].as_f64().unwrap();
        // chanmix's seasonal naive is computed the same way: equal errors.
        let ours_naive = wape(channel, "Seasonal naive") * a;
        assert!(
            (ours_naive - naive_error).abs() <= 1e-6 * naive_error.max(1.0),
            "{channel}: seasonal naive error {ours_naive} against {naive_error}"
        );
        actual += a;
        blend += wape(channel, "Blend") * a;
        ets += wape(channel, "ETS") * a;
        auto += p["autoets_error"].as_f64().unwrap();
        naive += naive_error;
        if wape(channel, "Blend") * a < naive_error {
            blend_beats_naive += 1;
        }
    }
    eprintln!(
        "sample backtest, pooled WAPE: chanmix blend {:.4}, chanmix ETS {:.4}, AutoETS {:.4}, \
         seasonal naive {:.4}; the blend beats seasonal naive for {blend_beats_naive} of {} \
         channels",
        blend / actual,
        ets / actual,
        auto / actual,
        naive / actual,
        channels.len()
    );
    assert!(blend_beats_naive * 2 > channels.len());
    assert!(blend <= 1.05 * auto, "blend {blend} against AutoETS {auto}");
    assert!(ets <= 1.05 * auto, "ETS {ets} against AutoETS {auto}");
}
