#!/usr/bin/env bash
# CSV inputs (issue #17 item 7): chanmix read_inputs vs polars read_csv of the same
# Opportunities CSV, side by side and alternating, at 100k, 1M and 10M rows (every
# typed column, then only the 4 columns bench/csv_run/bookings.rules reads), then a
# 10M-row scenario run over the CSV against polars' read of the same file.
# Wall, CPU (user + sys) and peak RSS from GNU time.
# Usage: bench/csv_read.sh [ROWS...]   (default: 100000 1000000 10000000; RUNS=2 rounds)
# BASE=DIR also times another build's csv_bench and chanmix (DIR/csv_bench, DIR/chanmix,
# e.g. main's, copied there) before this one's, alternating: "base" vs "this" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="${BENCH_DIR:-/tmp/chanmix_csv_bench}"
RUNS="${RUNS:-2}"
mkdir -p "$WORK"
cargo build --release --example csv_bench --bin chanmix
BIN="$CARGO_TARGET_DIR/release/examples/csv_bench"
CHANMIX="$CARGO_TARGET_DIR/release/chanmix"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q polars==2.1.0
fi
PY="$WORK/venv/bin/python"
TIME=(/usr/bin/time -f "   wall %e s, cpu %U+%S s, peak RSS %M KB")
BASE="${BASE:-}"
# Runs `reader ARGS…` of the base build (when BASE is set), then of this build.
both() {
    local reader="$1"
    shift
    if [ -n "$BASE" ]; then
        echo "   [base]"
        "${TIME[@]}" "$BASE/$reader" "$@"
        echo "   [this]"
    fi
    if [ "$reader" = csv_bench ]; then
        "${TIME[@]}" "$BIN" "$@"
    else
        "${TIME[@]}" "$CHANMIX" "$@"
    fi
}
WANTED="opp_id,channel,stage,amount"
ROWS=("$@")
[ ${#ROWS[@]} -eq 0 ] && ROWS=(100000 1000000 10000000)
rounds() {
    for n in "${ROWS[@]}"; do
        file="$WORK/opps_$n.csv"
        [ -f "$file" ] || "$BIN" generate "$n" "$file"
        echo "== $n rows ($(du -h "$file" | cut -f1))"
        for round in $(seq "$RUNS"); do
            echo "-- round $round: all 13 columns ($(uptime | sed "s/.*load/load/"))"
            both csv_bench chanmix "$file"
            "${TIME[@]}" "$PY" bench/polars_csv.py "$file"
            echo "-- round $round: $WANTED"
            both csv_bench chanmix "$file" "$WANTED"
            "${TIME[@]}" "$PY" bench/polars_csv.py "$file" "$WANTED"
        done
    done
    # A scenario run over the largest file: beyond Excel's row limit, memory vs polars' read.
    n="${ROWS[-1]}"
    cat > "$WORK/run_$n.toml" <<TOML
rules = ["$ROOT/bench/csv_run/bookings.rules"]
as_of = 2026-06-30

[inputs.tables.Opportunities]
file = "$WORK/opps_$n.csv"
key  = "opp_id"

[output]
workbook = "$WORK/run_$n.xlsx"
TOML
    echo "== scenario run over $n rows"
    for round in $(seq "$RUNS"); do
        both chanmix run --no-cache "$WORK/run_$n.toml" > /dev/null
        "${TIME[@]}" "$PY" bench/polars_csv.py "$WORK/opps_$n.csv"
    done
}
LOG="$WORK/csv_read.log"
rounds 2>&1 | tee "$LOG"
# Ratios by each tool's own clock around the read (polars' Python start and import
# are not read_csv's time), then by the processes' wall and CPU.
python3 bench/csv_ratios.py "$LOG"
