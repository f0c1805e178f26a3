#!/bin/sh
# Runs one fuzz target the way issue #6 asks: one job, 10 minutes unless a time in
# seconds is given, 10 s per input, 2 GB of memory. Usage: fuzz/run.sh TARGET [SECONDS]
set -eu
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-600}
[ -d "fuzz/corpus/$target" ] || fuzz/seed.sh
dict=""
[ -f "fuzz/$target.dict" ] && dict="-dict=fuzz/$target.dict"
exec cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
    -jobs=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 $dict </dev/null
