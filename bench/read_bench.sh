#!/usr/bin/env bash
# Reading benchmark: chanmix read_inputs vs bare calamine worksheet_range vs
# polars.read_excel (fastexcel), on generated CRM workbooks. Wall time and peak RSS
# (GNU time) per reader. Usage: bench/read_bench.sh [ROWS...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="${BENCH_DIR:-/tmp/chanmix_read_bench}"
mkdir -p "$WORK"
cargo build --release --example read_bench
BIN="$CARGO_TARGET_DIR/release/examples/read_bench"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q -r bench/requirements.txt
fi
ROWS=("$@")
[ ${#ROWS[@]} -eq 0 ] && ROWS=(100000 1000000)
for n in "${ROWS[@]}"; do
    file="$WORK/crm_$n.xlsx"
    [ -f "$file" ] || "$BIN" generate "$n" "$file"
    echo "== $n opportunities + $((2 * n)) leads ($(du -h "$file" | cut -f1))"
    for reader in chanmix calamine; do
        /usr/bin/time -f "   wall %e s, user %U s, peak RSS %M KB" "$BIN" "$reader" "$file"
    done
    /usr/bin/time -f "   wall %e s, user %U s, peak RSS %M KB" "$WORK/venv/bin/python" bench/polars_read.py "$file"
done
