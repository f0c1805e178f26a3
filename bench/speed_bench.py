"""Issue #5's comparison, side by side in one run: `chanmix run` (cold and warm), a
10-scenario `chanmix compare`, a bare calamine read of the sheets the rules use, and
the polars + fastexcel peer script (bench/polars_metrics.py), on `chanmix sample-data`
workbooks. Rounds are interleaved (every command once per round) and medians reported,
because the machine is shared and noisy. Wall time and peak RSS come from GNU time.

Usage (normally through bench/speed_bench.sh, which builds and sets up Python):
    python bench/speed_bench.py --chanmix target/release/chanmix \
        --read-bench target/release/examples/read_bench --rows 100000 1000000 --runs 3
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The sheets the shipped rule library reads (its `read …` line lists the tables).
RULE_SHEETS = ["Opportunities", "Leads*", "Costs", "Renewals", "Benchmarks"]


def timed(command, env):
    """Runs `command`; returns (wall seconds, peak RSS MiB). Fails loudly on error."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", out.name, *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
        wall, rss_kb = out.read().split()[-2:]
        return float(wall), int(rss_kb) / 1024


def write_scenarios(folder: Path, workbook: Path):
    """The base scenario on `workbook`, and ten variants for compare."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.toml"
    base.write_text(
        f'extends = "{REPO / "scenarios" / "base.toml"}"\n'
        f'name = "Bench base"\n'
        f'[inputs]\nworkbook = "{workbook}"\n'
        f'[output]\nworkbook = "{folder / "run.xlsx"}"\n'
    )
    variants = []
    for i in range(10):
        variant = folder / f"variant_{i}.toml"
        variant.write_text(
            f'extends = "base.toml"\nname = "Variant {i}"\n'
            f'[params]\ngross_margin = "{60 + 2 * i}%"\noverhead_per_month = {40_000 + 2_000 * i}\n'
        )
        variants.append(variant)
    return base, variants


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chanmix", required=True)
    parser.add_argument("--read-bench", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--work", default="/tmp/chanmix_read_bench")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(args.work)
    env = dict(os.environ, CHANMIX_CACHE_DIR=str(work / "cache"))
    for rows in args.rows:
        workbook = work / f"crm_{rows}.xlsx"
        if not workbook.exists():
            subprocess.run([args.read_bench, "generate", str(rows), str(workbook)], check=True)
        base, variants = write_scenarios(work / f"speed_{rows}", workbook)
        compare_out = work / f"speed_{rows}" / "compare.xlsx"
        commands = {
            "chanmix run (cold, --no-cache)": [args.chanmix, "run", "--no-cache", str(base)],
            "chanmix run (warm cache)": [args.chanmix, "run", str(base)],
            "chanmix compare, 10 scenarios (cold)": [
                args.chanmix, "compare", "--no-cache", "-o", str(compare_out), *map(str, variants)
            ],
            "bare calamine read of the rules' sheets": [
                args.read_bench, "calamine-sheets", str(workbook), *RULE_SHEETS
            ],
            "polars + fastexcel metrics script": [
                args.python, str(REPO / "bench" / "polars_metrics.py"), str(workbook)
            ],
        }
        # Prime the cache once so the warm runs measure a hit.
        timed([args.chanmix, "run", str(base)], env)
        samples = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(timed(command, env))
        medians = {
            name: (statistics.median(w for w, _ in s), statistics.median(m for _, m in s))
            for name, s in samples.items()
        }
        polars_wall, polars_rss = medians["polars + fastexcel metrics script"]
        calamine_wall, _ = medians["bare calamine read of the rules' sheets"]
        run_wall, _ = medians["chanmix run (cold, --no-cache)"]
        size = workbook.stat().st_size / 2**20
        print(f"\n### {rows:,} opportunities + {2 * rows:,} leads ({size:.0f} MiB), "
              f"medians of {args.runs}\n")
        print("| command | wall | peak RSS | wall ÷ polars | RSS ÷ polars | wall ÷ calamine | wall ÷ one run |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, (wall, rss) in medians.items():
            print(f"| {name} | {wall:.2f} s | {rss:.0f} MiB | {wall / polars_wall:.2f} "
                  f"| {rss / polars_rss:.2f} | {wall / calamine_wall:.2f} | {wall / run_wall:.2f} |")


if __name__ == "__main__":
    main()
