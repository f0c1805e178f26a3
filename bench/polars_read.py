"""Reads the same sheets as bench/read_bench.rs with polars.read_excel (fastexcel engine)."""
import sys
import time

import fastexcel
import polars as pl


def main(path: str) -> None:
    started = time.perf_counter()
    sheets = fastexcel.read_excel(path).sheet_names
    wanted = [s for s in sheets if s == "Opportunities" or s.startswith("Leads")]
    rows = 0
    for name in wanted:
        frame = pl.read_excel(path, sheet_name=name, engine="calamine")
        rows += frame.height
    elapsed = time.perf_counter() - started
    print(f"polars read_excel (fastexcel): {rows} rows in {elapsed:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1])
