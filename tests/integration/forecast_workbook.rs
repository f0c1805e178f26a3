//! The shipped forecast rules as a user meets them (`chanmix run scenarios/base.toml`):
//! the `Forecast` and `Backtest` tables other tools read (names and columns from the
//! issue), intervals around every forecast, the total as the sum of the channels, the
//! next quarter on the dashboard, and a band chart per channel and for the total.
//! Expected values come from the tables' own rows, summed here.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{self, command::Chanmix};

fn number(row: &serde_json::Value, column: &str) -> Option<f64> {
    row[column].as_f64()
}

#[test]
fn forecast_tables_dashboard_and_charts_keep_their_contract() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base.xlsx");
    let ran = Chanmix::new()
        .args(["run", "scenarios/base.toml", "--json", "-o"])
        .arg(&out)
        .success();
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let tables = &json["tables"];
    let months = json["params"]["forecast_months"].as_f64().unwrap_or(6.0) as usize;

    // Forecast: one row per channel × future month, low ≤ forecast ≤ high, low ≥ 0.
    let forecast = tables["Forecast"].as_array().unwrap();
    let future: Vec<&serde_json::Value> = forecast
        .iter()
        .filter(|r| r["forecast"].is_number())
        .collect();
    let mut per_channel: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for row in &future {
        let (f, low, high) = (
            number(row, "forecast").unwrap(),
            number(row, "low").unwrap(),
            number(row, "high").unwrap(),
        );
        assert!(low >= 0.0 && low <= f + 1e-9 && f <= high + 1e-9, "{row}");
        per_channel
            .entry(row["channel"].as_str().unwrap())
            .or_default()
            .insert(row["month"].as_str().unwrap());
    }
    assert!(per_channel.len() >= 2, "{per_channel:?}");
    for (channel, future_months) in &per_channel {
        assert_eq!(future_months.len(), months, "{channel}");
    }

    // The total forecast is the sum of the channels' forecasts, month by month.
    let mut channel_sum: BTreeMap<&str, f64> = BTreeMap::new();
    for row in &future {
        *channel_sum
            .entry(row["month"].as_str().unwrap())
            .or_default() += number(row, "forecast").unwrap();
    }
    let total: Vec<&serde_json::Value> = tables["ForecastTotal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["forecast"].is_number())
        .collect();
    assert_eq!(total.len(), months);
    for row in &total {
        let month = row["month"].as_str().unwrap();
        let f = number(row, "forecast").unwrap();
        assert!(
            (f - channel_sum[month]).abs() < 1e-6 * f.max(1.0),
            "{month}"
        );
    }

    // The next quarter after as_of (2026-06-30): July to September 2026.
    let quarter: f64 = total
        .iter()
        .filter(|r| {
            ["2026-07-01", "2026-08-01", "2026-09-01"].contains(&r["month"].as_str().unwrap())
        })
        .map(|r| number(r, "forecast").unwrap())
        .sum();
    let kpi = json["scalars"]["forecast_next_quarter"].as_f64().unwrap();
    assert!(
        (kpi - quarter).abs() < 1e-6 * quarter,
        "{kpi} against {quarter}"
    );

    // Backtest: every channel has each method's WAPE, seasonal naive among them.
    let backtest = tables["Backtest"].as_array().unwrap();
    for channel in per_channel.keys() {
        let methods: BTreeSet<&str> = backtest
            .iter()
            .filter(|r| r["channel"] == *channel && r["wape"].is_number())
            .map(|r| r["method"].as_str().unwrap())
            .collect();
        for method in ["ETS", "Weighted pipeline", "Blend", "Seasonal naive"] {
            assert!(methods.contains(method), "{channel}: {methods:?}");
        }
    }

    // The workbook: the sheets, the KPI on the dashboard, a band chart per channel and
    // one for the total.
    let bytes = std::fs::read(&out).unwrap();
    let dashboard = support::xlsx::values(&bytes, "Dashboard");
    assert!(
        dashboard.used_cells().any(|(_, _, cell)| cell
            .to_string()
            .to_lowercase()
            .contains("forecast next quarter")
            || cell.to_string().contains("forecast_next_quarter")),
        "no next-quarter forecast on the dashboard"
    );
    for sheet in ["Forecast", "Backtest", "ForecastTotal"] {
        support::xlsx::values(&bytes, sheet);
    }
    let titles: Vec<String> = support::xlsx::part_names(&bytes)
        .into_iter()
        .filter(|n| n.starts_with("xl/charts/chart") && n.ends_with(".xml"))
        .map(|n| support::xlsx::part(&bytes, &n))
        .filter(|xml| xml.contains("<c:areaChart>") && xml.contains("<c:lineChart>"))
        .map(|xml| {
            let start = xml.find("<a:t>").map_or(0, |i| i + 5);
            let end = xml[start..].find("</a:t>").map_or(start, |i| start + i);
            xml[start..end].to_string()
        })
        .collect();
    for channel in per_channel.keys() {
        assert!(
            titles.iter().any(|t| t.starts_with(&format!("{channel}:"))),
            "no band chart for {channel}: {titles:?}"
        );
    }
    assert!(titles.iter().any(|t| t.starts_with("Total:")), "{titles:?}");
}
