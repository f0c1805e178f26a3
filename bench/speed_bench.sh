#!/usr/bin/env bash
# Issue #5's speed comparison (see bench/speed_bench.py and bench/README.md).
# Usage: bench/speed_bench.sh [ROWS...]   (default: 100000 1000000; RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="${BENCH_DIR:-/tmp/chanmix_read_bench}"
mkdir -p "$WORK"
cargo build --release --bin chanmix --example read_bench
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q -r bench/requirements.txt
fi
ROWS=("$@")
[ ${#ROWS[@]} -eq 0 ] && ROWS=(100000 1000000)
exec "$WORK/venv/bin/python" bench/speed_bench.py \
    --chanmix "$CARGO_TARGET_DIR/release/chanmix" \
    --read-bench "$CARGO_TARGET_DIR/release/examples/read_bench" \
    --python "$WORK/venv/bin/python" --work "$WORK" --runs "${RUNS:-3}" --rows "${ROWS[@]}"
