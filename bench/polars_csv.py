"""polars `read_csv` of a CSV file (bench/csv_read.sh): every column, or the columns named.

Dates are parsed (try_parse_dates), as chanmix types them. Prints rows, columns and the
process's peak RSS (the shell script measures wall, CPU and RSS with GNU time too).
"""
import resource
import sys
import time

import polars as pl

path = sys.argv[1]
columns = sys.argv[2].split(",") if len(sys.argv) > 2 else None
started = time.perf_counter()
frame = pl.read_csv(path, columns=columns, try_parse_dates=True)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"polars read_csv: {frame.height} rows × {frame.width} columns in {elapsed:.2f} s, peak RSS {peak:.0f} MiB")
