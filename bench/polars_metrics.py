"""The peer for `chanmix run`: polars + fastexcel read the CRM workbook and compute the
channel and partner metrics an analyst would otherwise build in a spreadsheet.

Per channel: opportunities, won, lost, win rate, won revenue, average won deal,
average sales cycle (won deals), total cost (direct + overhead split by direct cost),
CAC and ROI. Per partner: won revenue, win rate and rank by won revenue. Same
definitions as rules/channel_performance.rules and rules/segments.rules, so the two
tools do the same work. Prints a short summary (and the time) so the numbers can be
compared with chanmix's.

Usage: python bench/polars_metrics.py WORKBOOK.xlsx [GROSS_MARGIN] [OVERHEAD_POOL]
"""
import sys
import time

import polars as pl


def main(path: str, margin: float, overhead: float) -> None:
    started = time.perf_counter()
    frames = pl.read_excel(path, sheet_name=["Opportunities", "Costs"], engine="calamine")
    opps = frames["Opportunities"]
    costs = frames["Costs"]

    opps = opps.with_columns(
        (pl.col("stage") == "Closed Won").alias("is_won"),
        (pl.col("stage") == "Closed Lost").alias("is_lost"),
        (pl.col("close_date") - pl.col("created_date")).dt.total_days().alias("cycle_days"),
    )
    direct = costs.group_by("channel").agg(pl.col("amount").sum().alias("direct_cost"))
    channels = (
        opps.group_by("channel")
        .agg(
            pl.len().alias("opportunities"),
            pl.col("is_won").sum().alias("won"),
            pl.col("is_lost").sum().alias("lost"),
            pl.col("amount").filter(pl.col("is_won")).sum().alias("revenue"),
            pl.col("cycle_days").filter(pl.col("is_won")).mean().alias("cycle_days"),
        )
        .join(direct, on="channel", how="left")
        .with_columns(pl.col("direct_cost").fill_null(0.0))
    )
    total_direct = channels["direct_cost"].sum()
    channels = channels.with_columns(
        (pl.col("won") / (pl.col("won") + pl.col("lost"))).fill_nan(0).alias("win_rate"),
        (pl.col("revenue") / pl.col("won")).fill_nan(0).alias("avg_deal"),
        (pl.col("direct_cost") + overhead * pl.col("direct_cost") / total_direct).alias(
            "total_cost"
        ),
    ).with_columns(
        (pl.col("total_cost") / pl.col("won")).alias("cac"),
        ((pl.col("revenue") * margin - pl.col("total_cost")) / pl.col("total_cost")).alias("roi"),
    )

    partners = (
        opps.filter(pl.col("partner_id").is_not_null())
        .group_by("partner_id")
        .agg(
            pl.col("amount").filter(pl.col("is_won")).sum().alias("revenue"),
            pl.col("is_won").sum().alias("won"),
            pl.col("is_lost").sum().alias("lost"),
        )
        .with_columns(
            (pl.col("won") / (pl.col("won") + pl.col("lost"))).fill_nan(0).alias("win_rate"),
            pl.col("revenue").rank(method="min", descending=True).alias("rank"),
        )
    )
    elapsed = time.perf_counter() - started
    top = channels.sort("revenue", descending=True).row(0, named=True)
    print(
        f"polars metrics: {opps.height} opportunities, {channels.height} channels, "
        f"{partners.height} partners in {elapsed:.2f} s; top channel {top['channel']} "
        f"revenue {top['revenue']:.0f} ROI {top['roi']:.4f}"
    )


if __name__ == "__main__":
    main(
        sys.argv[1],
        float(sys.argv[2]) if len(sys.argv) > 2 else 0.72,
        float(sys.argv[3]) if len(sys.argv) > 3 else 1_500_000.0,
    )
