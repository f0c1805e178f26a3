#!/usr/bin/env bash
# Two chanmix binaries side by side on the same scenario, alternating runs, so a
# change's cost is measured in one session on one (noisy, shared) machine.
# Usage: bench/ab_run.sh OLD_BIN NEW_BIN SCENARIO.toml [RUNS]
#   Each round runs OLD then NEW: a cold read (--no-cache) and a warm re-run (cache
#   filled first). Prints the median seconds of each and the NEW/OLD ratio.
set -euo pipefail
old=$1 new=$2 scenario=$3 runs=${4:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export CHANMIX_CACHE_DIR="$out/cache"
time_run() { # BIN ARGS... -> seconds on stdout
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
declare -A samples
for bin in old new; do
    path=${!bin}
    "$path" run "$scenario" -o "$out/$bin.xlsx" >/dev/null 2>&1 # fill the cache
done
for ((i = 0; i < runs; i++)); do
    for bin in old new; do
        path=${!bin}
        samples[$bin-cold]+="$(time_run "$path" run "$scenario" -o "$out/$bin.xlsx" --no-cache) "
        samples[$bin-warm]+="$(time_run "$path" run "$scenario" -o "$out/$bin.xlsx") "
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for kind in cold warm; do
    o=$(echo "${samples[old-$kind]}" | median)
    n=$(echo "${samples[new-$kind]}" | median)
    printf '%-5s old %6.3f s  new %6.3f s  new/old %.3f   (%s runs each)\n' \
        "$kind" "$o" "$n" "$(echo "$n / $o" | bc -l)" "$runs"
done
