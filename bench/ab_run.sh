#!/usr/bin/env bash
# Two chanmix binaries side by side on the same scenario, alternating runs, so a
# change's cost is measured in one session on one (noisy, shared) machine.
# Usage: bench/ab_run.sh OLD_BIN NEW_BIN SCENARIO.toml [RUNS]
#   Each round runs OLD then NEW: a cold read (--no-cache) and a warm re-run (cache
#   filled first). Prints the median wall and CPU (user + system) seconds of each and
#   the NEW/OLD ratios. Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
old=$1 new=$2 scenario=$3 runs=${4:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export CHANMIX_CACHE_DIR="$out/cache"
for bin in "$old" "$new"; do
    "$bin" run "$scenario" -o "$out/fill.xlsx" >/dev/null 2>&1 # fill the cache
done
: >"$out/samples"
for ((i = 0; i < runs; i++)); do
    for side in old new; do
        bin=${!side}
        for kind in cold warm; do
            flag=()
            [ "$kind" = cold ] && flag=(--no-cache)
            /usr/bin/time -f "$side $kind %e %U %S" -a -o "$out/samples" \
                "$bin" run "$scenario" -o "$out/$side.xlsx" "${flag[@]}" >/dev/null 2>&1
        done
    done
done
python3 - "$out/samples" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def med(side, kind, cpu):
    xs = [float(r[3]) + float(r[4]) if cpu else float(r[2]) for r in rows if r[0] == side and r[1] == kind]
    return statistics.median(xs)
for kind in ("cold", "warm"):
    ow, nw, oc, nc = med("old", kind, 0), med("new", kind, 0), med("old", kind, 1), med("new", kind, 1)
    print(f"{kind}: wall old {ow:.3f} s new {nw:.3f} s (new/old {nw/ow:.3f}); "
          f"cpu old {oc:.3f} s new {nc:.3f} s (new/old {nc/oc:.3f})  [{sys.argv[2]} runs each]")
PY
