#!/usr/bin/env python3
"""Independent forecasts for chanmix's forecast tests (tests/integration/forecast_accuracy.rs).

statsforecast's AutoETS (and a seasonal-naive baseline computed here) on the same series
and the same holdouts chanmix forecast, with the accuracy of chanmix's forecasts computed
here too, so no number in the comparison comes from chanmix's own scoring.

  forecast_check.py generated SERIES.csv OURS.csv
      SERIES.csv: id,t,y (t = 0 … n-1, whole series); OURS.csv: id,h,forecast for the
      last H points (h = 1 … H). Prints JSON: pooled WAPE of ours, AutoETS and seasonal
      naive, and per series.
  forecast_check.py sample WORKBOOK LAST_MONTH STARTS.json BACKTEST HORIZON
      Monthly won revenue per channel from the workbook's Opportunities sheet (Closed Won
      deals by close month) from each channel's start month (STARTS.json: {channel:
      "YYYY-MM"}) to LAST_MONTH ("YYYY-MM"); rolling origins over the last BACKTEST months,
      each forecasting up to HORIZON months. Prints JSON per channel: the monthly series,
      Σ actual, Σ|error| of AutoETS and of seasonal naive.

Exit code 3 when statsforecast (or pandas) is not installed.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
try:
    import numpy as np
    import pandas as pd
    from statsforecast.models import AutoETS
except ImportError as error:  # the Rust test skips (or fails under CI) on exit code 3
    print(f"missing Python package: {error.name}", file=sys.stderr)
    sys.exit(3)

SEASON = 12


def auto_ets(history, steps):
    """AutoETS (season 12) forecasts; it picks error, trend and season by AICc."""
    model = AutoETS(season_length=SEASON)
    return np.maximum(model.fit(np.asarray(history, dtype=float)).predict(steps)["mean"], 0.0)


def seasonal_naive(history, steps):
    """The same month a season earlier (the last month when shorter than a season)."""
    history = list(history)
    out = []
    for h in range(1, steps + 1):
        if len(history) < SEASON:
            out.append(history[-1])
        else:
            back = SEASON * ((h + SEASON - 1) // SEASON)
            out.append(history[len(history) + h - back - 1])
    return np.array(out, dtype=float)


def wape(errors, actuals):
    total = float(np.sum(np.abs(actuals)))
    return float(np.sum(np.abs(errors))) / total if total > 0 else None


def generated(series_csv, ours_csv):
    series = pd.read_csv(series_csv)
    ours = pd.read_csv(ours_csv)
    per_series = []
    pooled = {"ours": [0.0, 0.0], "autoets": [0.0, 0.0], "naive": [0.0, 0.0]}
    for sid, frame in series.groupby("id", sort=True):
        y = frame.sort_values("t")["y"].to_numpy(dtype=float)
        mine = ours[ours.id == sid].sort_values("h")["forecast"].to_numpy(dtype=float)
        steps = len(mine)
        history, actual = y[:-steps], y[-steps:]
        forecasts = {"ours": mine, "autoets": auto_ets(history, steps), "naive": seasonal_naive(history, steps)}
        row = {"id": int(sid)}
        for name, values in forecasts.items():
            error = values - actual
            pooled[name][0] += float(np.sum(np.abs(error)))
            pooled[name][1] += float(np.sum(np.abs(actual)))
            row[name] = wape(error, actual)
        per_series.append(row)
    print(json.dumps({
        "wape": {name: err / act for name, (err, act) in pooled.items()},
        "series": per_series,
    }))


def month_number(label):
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def sample(workbook, last_month, starts_json, backtest, horizon):
    deals = pd.read_excel(workbook, sheet_name="Opportunities")
    won = deals[deals["stage"] == "Closed Won"].copy()
    won["month"] = won["close_date"].dt.year * 12 + won["close_date"].dt.month - 1
    last = month_number(last_month)
    starts = json.loads(open(starts_json).read())
    out = {}
    for channel, start_label in sorted(starts.items()):
        start = month_number(start_label)
        months = range(start, last + 1)
        revenue = won[won["channel"] == channel].groupby("month")["amount"].sum()
        y = np.array([float(revenue.get(m, 0.0)) for m in months])
        actual_sum = auto_error = naive_error = 0.0
        origins = 0
        for back in range(backtest, 0, -1):
            origin = len(y) - 1 - back
            if origin + 1 < 4:
                continue
            steps = min(horizon, back)
            history, actual = y[: origin + 1], y[origin + 1 : origin + 1 + steps]
            actual_sum += float(np.sum(np.abs(actual)))
            auto_error += float(np.sum(np.abs(auto_ets(history, steps) - actual)))
            naive_error += float(np.sum(np.abs(seasonal_naive(history, steps) - actual)))
            origins += 1
        out[channel] = {
            "revenue": y.tolist(),
            "origins": origins,
            "actual": actual_sum,
            "autoets_error": auto_error,
            "naive_error": naive_error,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "generated" and len(sys.argv) == 4:
        generated(sys.argv[2], sys.argv[3])
    elif mode == "sample" and len(sys.argv) == 7:
        sample(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
