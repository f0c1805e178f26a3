"""Reads the same sheets as bench/read_bench.rs with polars.read_excel (fastexcel engine)."""
import sys
import time

import fastexcel
import polars as pl


def main(path: str) -> None:
    started = time.perf_counter()
    sheets = fastexcel.read_excel(path).sheet_names
    wanted = [s for s in sheets if s == "Opportunities" or s.startswith("Leads")]
    frames = pl.read_excel(path, sheet_name=wanted, engine="calamine")
    rows = sum(frame.height for frame in frames.values())
    elapsed = time.perf_counter() - started
    print(f"polars read_excel (fastexcel): {rows} rows in {elapsed:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1])
