"""Ratios of a bench/csv_read.sh log: chanmix's read against polars' read_csv, per round.

The first ratio is by each tool's own clock around the read call (csv_bench's "in … s"
around read_inputs, polars_csv.py's around pl.read_csv): a process's wall also counts
Python starting and importing polars, which is not read_csv's time. Then the ratios by
the processes' wall and CPU (GNU time), and the scenario run's peak memory against
polars' read of the whole file.

Usage: python3 bench/csv_ratios.py LOG
"""
import re
import sys

READ = re.compile(r"(chanmix read_inputs|polars read_csv): .* in ([\d.]+) s")
TIMED = re.compile(r"\s+wall ([\d.]+) s, cpu ([\d.]+)\+([\d.]+) s, peak RSS (\d+) KB")


def parse(lines):
    """{(rows, columns, reader): [(read s, wall s, cpu s, rss MiB), …]} and the run's."""
    reads, runs = {}, {}
    rows = columns = None
    reader = "this"
    clock = None
    in_run = False
    pending = []
    for line in lines:
        if m := re.match(r"== (\d+) rows", line):
            rows, in_run = int(m.group(1)), False
        elif line.startswith("== scenario run"):
            in_run, reader = True, "this"
        elif m := re.match(r"-- round \d+: (all 13 columns|\S+)", line):
            columns = "13" if m.group(1) == "all 13 columns" else str(len(m.group(1).split(",")))
            reader = "this"
        elif line.strip() in ("[base]", "[this]"):
            reader = line.strip()[1:-1]
        elif m := READ.match(line):
            clock = float(m.group(2))
            if m.group(1).startswith("polars"):
                reader = "polars"
        elif m := TIMED.match(line):
            wall, cpu = float(m.group(1)), float(m.group(2)) + float(m.group(3))
            rss = int(m.group(4)) / 1024
            if in_run:
                # Each round: the base build's run (with BASE=), this build's, then
                # polars' read (the runs' own output, markers included, is dropped).
                if reader == "polars":
                    runs.setdefault("polars", []).append((wall, cpu, rss))
                    names = ["base", "this"][-len(pending):] if pending else []
                    for name, timed in zip(names, pending):
                        runs.setdefault(name, []).append(timed)
                    pending = []
                    reader = "this"
                else:
                    pending.append((wall, cpu, rss))
            elif rows is not None and columns is not None:
                reads.setdefault((rows, columns, reader), []).append((clock, wall, cpu, rss))
            clock = None
    return reads, runs


def ratios(ours, theirs, field):
    return ", ".join(
        f"{a[field] / b[field]:.2f}" if a[field] and b[field] else "-"
        for a, b in zip(ours, theirs)
    )


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as log:
        reads, runs = parse(log.read().splitlines())
    print("\n== chanmix ÷ polars, per round")
    rows_out = [("rows", "cols", "reader", "read clock", "process wall", "process CPU")]
    for rows, columns in sorted({(r, c) for r, c, _ in reads}, key=lambda k: (k[0], -int(k[1]))):
        theirs = reads.get((rows, columns, "polars"), [])
        for reader in ("base", "this"):
            ours = reads.get((rows, columns, reader))
            if ours:
                rows_out.append(
                    (str(rows), columns, reader)
                    + tuple(ratios(ours, theirs, field) for field in range(3))
                )
    widths = [max(len(row[i]) for row in rows_out) for i in range(6)]
    for row in rows_out:
        # Keys right-aligned, ratio lists left-aligned.
        cells = [c.rjust(w) if i < 3 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    theirs = runs.get("polars", [])
    for reader in ("base", "this"):
        ours = runs.get(reader)
        if ours and theirs:
            print(f"scenario run, {reader}: peak RSS ÷ polars' read of the file: {ratios(ours, theirs, 2)}")


if __name__ == "__main__":
    main()
