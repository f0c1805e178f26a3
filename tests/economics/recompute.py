"""An independent recomputation of the shipped rule library (rules/*.rules) with pandas.

Reads a CRM workbook with pandas (openpyxl) and computes every table and value the
library computes, from the definitions stated in the rule files' comments, written
again here without looking at the engine: plain groupbys, loops and dates. The
seasonal index is also checked against statsmodels' classical decomposition
(the steps of `seasonal_decompose`, multiplicative, period 12: its centred 2×12 filter,
the mean ratio per month, scaled to average 1) on each zero-filled monthly series;
`seasonal_decompose` itself refuses series with a zero month.

Usage: python tests/economics/recompute.py WORKBOOK.xlsx PARAMS.json > OUT.json
PARAMS.json holds the scenario's params (numbers as fractions, text as text) and as_of.
The output is {"tables": {name: [row, ...]}, "scalars": {...}, "statsmodels": {...}},
blank values as null, dates as "yyyy-mm-dd".
"""
import json
import math
import sys

import numpy as np
import pandas as pd
from statsmodels.tsa.filters.filtertools import convolution_filter


def month_start(d):
    return pd.Timestamp(d.year, d.month, 1)


def add_months(d, n):
    """Excel's EDATE: the same day n months on, clamped to the month's end."""
    return d + pd.DateOffset(months=n)


def eomonth(d, n):
    return (pd.Timestamp(d.year, d.month, 1) + pd.DateOffset(months=n + 1)) - pd.Timedelta(days=1)


def num(x):
    """A value for JSON: None for blank, float otherwise."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def day(d):
    return None if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")


def main(path, params_path):
    p = json.load(open(params_path))
    as_of = pd.Timestamp(p["as_of"])
    sheets = pd.read_excel(
        path, sheet_name=["Opportunities", "Costs", "Leads", "Renewals", "Benchmarks"]
    )
    opps = sheets["Opportunities"]
    costs = sheets["Costs"]
    leads = sheets["Leads"]
    ren = sheets["Renewals"]
    bench = sheets["Benchmarks"]
    for frame, cols in [
        (opps, ["created_date", "close_date"]),
        (costs, ["month"]),
        (leads, ["created_date"]),
        (ren, ["renewal_date"]),
    ]:
        for c in cols:
            frame[c] = pd.to_datetime(frame[c])

    # The reporting period.
    period_end = as_of if as_of == eomonth(as_of, 0) else eomonth(as_of, -1)
    period_start = eomonth(period_end, -int(p["period_months"])) + pd.Timedelta(days=1)

    def in_period(d):
        return (d >= period_start) & (d <= period_end)

    o = opps
    o["is_won"] = o.stage == "Closed Won"
    o["is_lost"] = o.stage == "Closed Lost"
    o["is_closed"] = o.is_won | o.is_lost
    o["cycle"] = (o.close_date - o.created_date).dt.days.where(o.is_closed)
    o["closed_in"] = o.is_closed & in_period(o.close_date)
    o["won_in"] = o.is_won & o.closed_in
    o["lost_in"] = o.is_lost & o.closed_in
    o["created_in"] = in_period(o.created_date)
    o["age"] = (as_of - o.created_date).dt.days.where(~o.is_closed)
    channels = sorted(o.channel.unique(), key=str.lower)

    # Customers: first win per account, the channel of the first such row in file order.
    won = o[o.is_won]
    first_win = won.groupby("account_id").close_date.min()
    first_rows = won[won.close_date.values == first_win.reindex(won.account_id).values]
    first_channel = first_rows.groupby("account_id").channel.first()
    customers = pd.DataFrame({"first_win": first_win, "channel": first_channel})
    customers["won_deals"] = won.groupby("account_id").size()
    customers["bookings"] = won.groupby("account_id").amount.sum()

    period_direct = costs.amount[in_period(costs.month)].sum()
    period_overhead = p["overhead_per_month"] * p["period_months"]

    # Renewals: next year's value of the same contract, kept value, in-period flags.
    ren["key"] = ren.account_id + "|" + ren.channel + "|" + ren.renewal_date.dt.strftime("%Y-%m-%d")
    first_by_key = ren.drop_duplicates("key").set_index("key").arr
    next_key = (
        ren.account_id
        + "|"
        + ren.channel
        + "|"
        + ren.renewal_date.apply(lambda d: add_months(d, 12)).dt.strftime("%Y-%m-%d")
    )
    ren["next_arr"] = np.where(ren.renewed, next_key.map(first_by_key), np.nan)
    ren["kept"] = np.where(ren.renewed, ren.arr, 0.0)
    ren["in"] = in_period(ren.renewal_date)
    kept_by_key = ren.drop_duplicates("key").set_index("key").kept

    # Open pipeline weighted per (channel, stage): win share of closed deals that took at
    # least the stage's median age.
    closed = o[o.is_closed]
    pipe_rows = []
    for (ch, st), g in o[~o.is_closed].groupby(["channel", "stage"]):
        median_age = g.age.median()
        cc = closed[closed.channel == ch]
        old = cc[cc.cycle >= median_age]
        history = len(old)
        if history >= p["min_stage_history"]:
            prob = old.is_won.sum() / history
        elif len(cc) > 0:
            prob = cc.is_won.sum() / len(cc)
        else:
            prob = np.nan
        order = {"Prospecting": 1, "Qualification": 2, "Proposal": 3, "Negotiation": 4}.get(st, 5)
        pipe_rows.append(
            dict(channel=ch, stage=st, deals=len(g), amount=g.amount.sum(), stage_order=order,
                 median_age=median_age, history=history, win_probability=prob,
                 weighted_amount=g.amount.sum() * prob)
        )
    pipeline = pd.DataFrame(pipe_rows)

    def margin_rate(ch):
        m = p["gross_margin"]
        for pattern, cut in [
            (p["marketplace_channels"], p["marketplace_fee"]),
            (p["reseller_channels"], p["reseller_discount"]),
        ]:
            if pattern != "" and pattern.lower() in ch.lower():
                m -= cut
        return m

    def blank_div(a, b):
        return a / b if b > 0 else np.nan

    rows = []
    for ch in channels:
        g = o[o.channel == ch]
        r = dict(channel=ch)
        r["opportunities"] = int(g.created_in.sum())
        r["won"] = int(g.won_in.sum())
        r["lost"] = int(g.lost_in.sum())
        r["open"] = int((~g.is_closed).sum())
        r["win_rate"] = blank_div(r["won"], r["won"] + r["lost"])
        c = customers[customers.channel == ch]
        r["new_customers"] = int(((c.first_win >= period_start) & (c.first_win <= period_end)).sum())
        r["revenue"] = g.amount[g.won_in].sum()
        r["avg_deal"] = blank_div(r["revenue"], r["won"])
        r["cycle_days"] = g.cycle[g.won_in].mean() if r["won"] else np.nan
        r["median_cycle"] = g.cycle[g.won_in].median() if r["won"] else np.nan
        r["open_pipeline"] = g.amount[~g.is_closed].sum()
        r["weighted_pipeline"] = pipeline.weighted_amount[pipeline.channel == ch].sum() if len(pipeline) else 0.0
        wins = g[g.is_won]
        r["first_won_month"] = month_start(wins.close_date.min()) if len(wins) else None
        cst = costs[costs.channel == ch]
        r["direct_cost"] = cst.amount[in_period(cst.month)].sum()
        r["indirect_cost"] = period_overhead * r["direct_cost"] / period_direct if period_direct > 0 else np.nan
        r["total_cost"] = r["direct_cost"] + (0 if np.isnan(r["indirect_cost"]) else r["indirect_cost"])
        r["cost_per_opportunity"] = blank_div(r["direct_cost"], r["opportunities"])
        r["cost_per_won_deal"] = blank_div(r["direct_cost"], r["won"])
        r["cac_new_customer"] = blank_div(r["direct_cost"], r["new_customers"])
        r["margin_rate"] = margin_rate(ch)
        r["gross_profit"] = r["revenue"] * r["margin_rate"]
        rr = ren[ren.channel == ch]
        r["renewals_due"] = int(rr["in"].sum())
        r["arr_due"] = rr.arr[rr["in"]].sum()
        r["arr_renewed"] = rr.arr[rr["in"] & rr.renewed].sum()
        r["grr"] = blank_div(r["arr_renewed"], r["arr_due"])
        seen = rr[rr.next_arr.notna()]
        r["uplift"] = blank_div(seen.next_arr.sum(), seen.arr.sum())
        up = 1.0 if np.isnan(r["uplift"]) else r["uplift"]
        r["nrr"] = r["grr"] * up if not np.isnan(r["grr"]) else np.nan
        retention = (r["grr"] if not np.isnan(r["grr"]) else 1 - p["annual_churn"]) * up
        r["ltv_retention"] = retention
        q = retention / (1 + p["discount_rate"])
        years = int(p["max_customer_years"])
        r["lifetime_factor"] = years if retention == 1 + p["discount_rate"] else sum(q**k for k in range(years))
        r["lifetime_margin"] = r["gross_profit"] * r["lifetime_factor"]
        r["contract_ltv"] = r["avg_deal"] * r["margin_rate"] * r["lifetime_factor"] if r["won"] else np.nan
        r["ltv"] = blank_div(r["lifetime_margin"], r["new_customers"])
        r["ltv_to_cac"] = r["ltv"] / r["cac_new_customer"]
        r["payback_months"] = r["direct_cost"] / (r["gross_profit"] / 12) if r["gross_profit"] > 0 else np.nan
        r["contribution"] = r["lifetime_margin"] - r["direct_cost"]
        r["roi"] = blank_div(r["gross_profit"] - r["total_cost"], r["total_cost"]) if r["total_cost"] > 0 else np.nan
        r["lifetime_roi"] = (r["lifetime_margin"] - r["total_cost"]) / r["total_cost"] if r["total_cost"] > 0 else np.nan
        r["effort"] = (g.amount[g.created_in] ** p["segment_effort_exponent"]).sum()
        b = bench[bench.channel == ch].set_index("metric").value
        r["bench_win_rate"] = b.get("win_rate", np.nan)
        r["bench_cycle"] = b.get("sales_cycle_days", np.nan)
        r["bench_cac"] = b.get("cac", np.nan)
        r["bench_ltv_to_cac"] = b.get("ltv_to_cac", np.nan)
        r["win_rate_vs_bench"] = r["win_rate"] - r["bench_win_rate"]
        r["cycle_vs_bench"] = r["cycle_days"] - r["bench_cycle"]
        r["cac_vs_bench"] = r["cac_new_customer"] / r["bench_cac"] - 1
        r["ltv_to_cac_vs_bench"] = r["ltv_to_cac"] - r["bench_ltv_to_cac"]
        rows.append(r)
    ch_df = pd.DataFrame(rows)
    total_bookings = ch_df.revenue.sum()
    total_cost = period_direct + period_overhead
    ch_df["revenue_share"] = ch_df.revenue / total_bookings if total_bookings > 0 else np.nan
    ch_df["cost_share"] = ch_df.total_cost / ch_df.total_cost.sum()
    ch_df["roi_rank"] = ch_df.roi.rank(ascending=False, method="min")
    # What-if: a budget shift and a spend change, bookings following spend^elasticity.
    gives = [p["shift_from_channels"] != "" and p["shift_from_channels"].lower() in c.lower() for c in ch_df.channel]
    receives = [p["shift_to_channels"] != "" and p["shift_to_channels"].lower() in c.lower() for c in ch_df.channel]
    shifted = p["shift_share"] * ch_df.direct_cost[gives].sum()
    receiving = ch_df.direct_cost[receives].sum()
    planned = []
    for i, r in ch_df.iterrows():
        spend = r.direct_cost - (p["shift_share"] * r.direct_cost if gives[i] else 0)
        if receives[i] and receiving > 0:
            spend += shifted * r.direct_cost / receiving
        planned.append(spend * (1 + p["spend_change"]))
    ch_df["planned_spend"] = planned
    # Bookings follow the channel's response curve (the fitted curves, given in
    # params["curves"]) where it has one, else spend^elasticity.
    def curve(c, x):
        f = c["family"]
        if f == "hill":
            return c["a"] / (1 + (c["k"] / x) ** c["s"]) if x > 0 else 0.0
        if f == "log":
            return c["a"] * math.log1p(x / c["k"])
        if f == "power":
            return c["a"] * x ** c["b"]
        return min(c["a"] * x, c["cap"]) if c.get("cap") not in (None, "") else c["a"] * x

    curves = {k.lower(): v for k, v in p.get("curves", {}).items()}
    months = p["period_months"]

    def planned_bookings(r):
        if not r.direct_cost > 0:
            return r.revenue
        c = curves.get(r.channel.lower())
        if c is not None and r.planned_spend > 0:
            base = curve(c, r.direct_cost / months)
            if base > 0:
                return r.revenue * curve(c, r.planned_spend / months) / base
        return r.revenue * (r.planned_spend / r.direct_cost) ** p["spend_elasticity"]

    ch_df["planned_bookings"] = [planned_bookings(r) for _, r in ch_df.iterrows()]
    ch_df["planned_contribution"] = ch_df.planned_bookings * ch_df.margin_rate * ch_df.lifetime_factor - ch_df.planned_spend

    # Costs of channels no Channels row reaches.
    cost_channels = []
    for ch, g in costs.groupby(costs.channel.str.lower(), sort=True):
        cost_channels.append(dict(channel=g.channel.iloc[0], period_cost=g.amount[in_period(g.month)].sum(),
                                  on_channels=ch in {c.lower() for c in channels}))
    cost_df = pd.DataFrame(cost_channels)
    unattributed = cost_df.period_cost[~cost_df.on_channels].sum()

    # Cohort retention.
    w = o[o.is_won].copy()
    w["cohort"] = w.close_date.dt.year
    for k in (1, 2, 3):
        due = w.close_date.apply(lambda d: add_months(d, 12 * k)) <= as_of
        keys = w.account_id + "|" + w.channel + "|" + w.close_date.apply(lambda d: add_months(d, 12 * k)).dt.strftime("%Y-%m-%d")
        w[f"kept{k}"] = np.where(due, keys.map(kept_by_key).fillna(0.0), np.nan)
    cohorts = []
    for (ch, year), g in w.groupby(["channel", "cohort"]):
        row = dict(channel=ch, cohort=year, contracts=len(g), bookings=g.amount.sum())
        for k in (1, 2, 3):
            base = g.amount[g[f"kept{k}"].notna()].sum()
            row[f"retained_year{k}"] = g[f"kept{k}"].sum() / base if base > 0 else np.nan
        cohorts.append(row)

    # Funnel over the matured cohort of leads.
    cohort_end = period_end - pd.Timedelta(days=int(p["lead_maturity_days"]))
    cohort_start = add_months(cohort_end, -int(p["period_months"])) + pd.Timedelta(days=1)
    depth = leads.stage_reached.map({"MQL": 1, "SQL": 2, "Opportunity": 3, "Won": 4}).fillna(0)
    in_cohort = (leads.created_date >= cohort_start) & (leads.created_date <= cohort_end)
    funnel = []
    for ch, g in leads.groupby("channel"):
        dd = depth[g.index][in_cohort[g.index]]
        f = dict(channel=ch, leads=len(dd), reached_mql=int((dd >= 1).sum()), reached_sql=int((dd >= 2).sum()),
                 reached_opportunity=int((dd >= 3).sum()), reached_won=int((dd >= 4).sum()))
        f["lead_to_mql"] = blank_div(f["reached_mql"], f["leads"])
        f["mql_to_sql"] = blank_div(f["reached_sql"], f["reached_mql"])
        f["sql_to_opp"] = blank_div(f["reached_opportunity"], f["reached_sql"])
        f["opp_to_won"] = blank_div(f["reached_won"], f["reached_opportunity"])
        f["lead_to_won"] = blank_div(f["reached_won"], f["leads"])
        funnel.append(f)
    fdf = pd.DataFrame(funnel)

    # Segments: cost split by effort.
    by_ch = ch_df.set_index("channel")
    cs_rows = []
    for (ch, seg), g in o.groupby(["channel", "segment"]):
        r = dict(channel=ch, segment=seg, opportunities=int(g.created_in.sum()), won=int(g.won_in.sum()),
                 lost=int(g.lost_in.sum()), revenue=g.amount[g.won_in].sum())
        r["win_rate"] = blank_div(r["won"], r["won"] + r["lost"])
        r["avg_deal"] = blank_div(r["revenue"], r["won"])
        eff = (g.amount[g.created_in] ** p["segment_effort_exponent"]).sum()
        c = by_ch.loc[ch]
        r["effort_share"] = eff / c.effort if c.effort > 0 else np.nan
        r["direct_cost"] = r["effort_share"] * c.direct_cost
        r["cost"] = r["effort_share"] * c.total_cost
        r["roi"] = (r["revenue"] * c.margin_rate - r["cost"]) / r["cost"] if r["cost"] > 0 else np.nan
        r["lifetime_margin"] = r["revenue"] * c.margin_rate * c.lifetime_factor
        r["ltv_to_cac"] = r["lifetime_margin"] / r["direct_cost"] if r["direct_cost"] > 0 else np.nan
        cs_rows.append(r)
    cs = pd.DataFrame(cs_rows)
    seg_rows = []
    for seg, g in cs.groupby("segment"):
        judged = g[g.won >= p["min_segment_deals"]]
        r = dict(segment=seg, revenue=o.amount[(o.segment == seg) & o.won_in].sum(), judged_channels=len(judged))
        r["ltv_to_cac"] = g.lifetime_margin.sum() / g.direct_cost.sum() if g.direct_cost.sum() > 0 else np.nan
        if len(judged):
            r["best_ltv_to_cac"] = judged.ltv_to_cac.max()
            r["best_channel"] = g.channel[g.ltv_to_cac == r["best_ltv_to_cac"]].iloc[0]
            r["best_win_rate"] = judged.win_rate.max()
            r["best_win_rate_channel"] = g.channel[g.win_rate == r["best_win_rate"]].iloc[0]
        seg_rows.append(r)

    # Monthly series, TTM, seasonality.
    history_end_month = month_start(period_end)
    first_won_month = month_start(o.close_date[o.is_won].min())
    mw = o[o.is_won & (o.close_date <= period_end)].copy()
    mw["m"] = mw.close_date.apply(month_start)

    def monthly(frame, first, label):
        series = frame.groupby("m").amount.sum()
        out = []
        for m, rev in series.items():
            r = dict(close_month=m, revenue=rev, won=int((frame.m == m).sum()), close_moy=m.month)
            if add_months(m, -11) >= first:
                r["ttm_revenue"] = series[(series.index > add_months(m, -12)) & (series.index <= m)].sum()
            if add_months(m, -6) >= first and add_months(m, 6) <= history_end_month:
                inner = series[(series.index >= add_months(m, -5)) & (series.index <= add_months(m, 5))].sum()
                ends = series.get(add_months(m, -6), 0.0) + series.get(add_months(m, 6), 0.0)
                r["trend"] = (inner + ends / 2) / 12
                if r["trend"] > 0:
                    r["seasonal_ratio"] = rev / r["trend"]
            out.append(r)
        return pd.DataFrame(out)

    def season_table(months_df, first):
        a = add_months(first, 6)
        b = add_months(history_end_month, -6)
        rows = []
        for moy, g in months_df.groupby("close_moy"):
            years = max(0, b.year - (1 if b.month < moy else 0) - a.year - (1 if a.month > moy else 0) + 1)
            ratios = g.seasonal_ratio.sum() if "seasonal_ratio" in g else 0.0
            rows.append(dict(close_moy=moy, revenue=g.revenue.sum(), years=years,
                             mean_ratio=ratios / years if years > 0 else np.nan))
        s = pd.DataFrame(rows)
        total = s.mean_ratio.sum()
        ok = (s.years > 0).all() and total > 0
        s["seasonal_index"] = s.mean_ratio * 12 / total if ok else np.nan
        return s

    def statsmodels_index(frame, first):
        series = frame.groupby("m").amount.sum()
        idx = pd.date_range(first, history_end_month, freq="MS")
        full = series.reindex(idx, fill_value=0.0)
        if len(full) < 24:
            return {}
        # statsmodels.tsa.seasonal.seasonal_decompose, multiplicative, period 12.
        filt = np.array([0.5] + [1.0] * 11 + [0.5]) / 12
        trend = convolution_filter(full.values, filt, nsides=2)
        detrended = full.values / trend
        averages = np.array([np.nanmean(detrended[i::12]) for i in range(12)])
        averages /= np.mean(averages)
        return {int(idx[i].month): float(averages[i]) for i in range(12)}

    ch_months, ch_seasons, sm = [], [], {"channels": {}, "company": {}}
    for ch in channels:
        f = mw[mw.channel == ch]
        first = by_ch.loc[ch].first_won_month
        mdf = monthly(f, first, ch)
        mdf["channel"] = ch
        mdf["first_month"] = first
        ch_months.append(mdf)
        sdf = season_table(mdf, first)
        sdf["channel"] = ch
        ch_seasons.append(sdf)
        sm["channels"][ch] = statsmodels_index(f, first)
    months = monthly(mw, first_won_month, "all")
    month_cost = costs.groupby("month").amount.sum()
    months["cost"] = months.close_month.map(month_cost).fillna(0.0)
    months["ttm_cost"] = [
        costs.amount[(costs.month > add_months(m, -12)) & (costs.month <= m)].sum() if add_months(m, -11) >= first_won_month else np.nan
        for m in months.close_month
    ]
    seasons = season_table(months, first_won_month)
    sm["company"] = statsmodels_index(mw, first_won_month)

    lifetime_margin = ch_df.lifetime_margin.sum()
    gross_profit = ch_df.gross_profit.sum()
    new_customers = ch_df.new_customers.sum()
    won_all = ch_df.won.sum()
    # The prior period: the period_months months before the period; its bookings only
    # when the export reaches back to its first day.
    prior_start = eomonth(period_start, -int(p["period_months"]) - 1) + pd.Timedelta(days=1)
    prior_end = period_start - pd.Timedelta(days=1)
    prior_won = o[(o.stage == "Closed Won") & (o.close_date >= prior_start) & (o.close_date <= prior_end)]
    prior_bookings = prior_won.amount.sum() if o.created_date.min() <= prior_start else np.nan
    scalars = dict(
        period_end=day(period_end), period_start=day(period_start),
        prior_period_start=day(prior_start), prior_period_end=day(prior_end),
        prior_bookings=prior_bookings,
        period_direct_cost=period_direct, period_overhead=period_overhead,
        total_bookings=total_bookings, total_cost=total_cost, unattributed_cost=unattributed,
        total_won=won_all, total_new_customers=new_customers,
        portfolio_gross_profit=gross_profit, portfolio_lifetime_margin=lifetime_margin,
        portfolio_roi=(gross_profit - total_cost) / total_cost,
        portfolio_cac=period_direct / new_customers,
        portfolio_ltv_to_cac=lifetime_margin / period_direct,
        portfolio_payback_months=period_direct / (gross_profit / 12),
        portfolio_win_rate=won_all / (won_all + ch_df.lost.sum()),
        portfolio_cycle_days=o.cycle[o.won_in].mean(),
        portfolio_grr=ch_df.arr_renewed.sum() / ch_df.arr_due.sum(),
        open_pipeline=ch_df.open_pipeline.sum(), weighted_pipeline=ch_df.weighted_pipeline.sum(),
        lead_cohort_end=day(cohort_end), lead_cohort_start=day(cohort_start),
        funnel_mql_to_sql=fdf.reached_sql.sum() / fdf.reached_mql.sum(),
        funnel_sql_to_won=fdf.reached_won.sum() / fdf.reached_sql.sum(),
        history_end_month=day(history_end_month), first_won_month=day(first_won_month),
        shifted_budget=shifted, receiving_spend=receiving,
        planned_bookings=ch_df.planned_bookings.sum(),
        planned_cost=ch_df.planned_spend.sum() + unattributed * (1 + p["spend_change"]) + period_overhead,
        planned_contribution=ch_df.planned_contribution.sum(),
    )

    def records(df):
        out = []
        for rec in df.to_dict("records"):
            row = {}
            for k, v in rec.items():
                if isinstance(v, pd.Timestamp):
                    row[k] = day(v)
                elif isinstance(v, (bool, np.bool_)):
                    row[k] = bool(v)
                elif isinstance(v, str):
                    row[k] = v
                else:
                    row[k] = num(v)
            out.append(row)
        return out

    result = {
        "tables": {
            "Channels": records(ch_df),
            "Customers": records(customers.reset_index()),
            "Pipeline": records(pipeline),
            "Cohorts": records(pd.DataFrame(cohorts)),
            "Funnel": records(fdf),
            "ChannelSegments": records(cs),
            "Segments": records(pd.DataFrame(seg_rows)),
            "ChannelMonths": records(pd.concat(ch_months)),
            "Months": records(months),
            "ChannelSeasons": records(pd.concat(ch_seasons)),
            "Seasons": records(seasons),
            "CostChannels": records(cost_df),
        },
        "scalars": {k: (v if isinstance(v, str) else num(v)) for k, v in scalars.items()},
        "statsmodels": sm,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
