#!/usr/bin/env bash
# What the partner library (rules/partners.rules) adds to a run: the shipped library
# with and without that file, same binary, same workbook, runs alternating, warm (input
# cache filled) and cold (--no-cache).
# Usage: bench/partners_cost.sh CHANMIX_BIN WORKBOOK.xlsx [RUNS]
#   e.g. chanmix sample-data --rows 1000000 --out /tmp/crm_1m.xlsx first (4,000 partners).
# Prints the median wall and CPU seconds of each and with/without ratios, and the
# slowest evaluation steps (CHANMIX_TIMINGS) of one run with the library.
set -euo pipefail
bin=$(realpath "$1") workbook=$(realpath "$2") runs=${3:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export CHANMIX_CACHE_DIR="$out/cache"

common() { # $1: rule files
    cat <<EOF
name  = "bench"
rules = [$1]
as_of = 2026-06-30
[inputs]
workbook = "$workbook"
[inputs.tables.Opportunities]
sheet = "Opportunities"
key   = "opp_id"
[inputs.tables.Leads]
sheet_pattern = "Leads*"
[inputs.tables.PartnerList]
sheet = "Partners"
[params]
overhead_per_month = 50000
[dashboard]
kpis = ["total_bookings", "total_cost"]
[output]
omit_tables = ["AccountChannels", "SharedChannels", "DealOverlaps", "PairDeals",
               "CreditReceived", "PartnerAccounts", "PartnerCreditReceived"$2]
EOF
}
others=$(cd "$repo/rules" && ls *.rules | grep -v -e '^partners.rules$' |
    sed "s|^|\"$repo/rules/|; s|$|\"|" | paste -sd, -)
common "$others" "" >"$out/without.toml"
common "$others, \"$repo/rules/partners.rules\"" ', "PartnerWonMonths", "LatestAssessments", "PartnerQuarters"' >"$out/with.toml"

for side in without with; do
    "$bin" run "$out/$side.toml" -o "$out/fill.xlsx" >/dev/null # fill the cache
done
: >"$out/samples"
for ((i = 0; i < runs; i++)); do
    for side in without with; do
        for kind in cold warm; do
            flag=()
            [ "$kind" = cold ] && flag=(--no-cache)
            /usr/bin/time -f "$side $kind %e %U %S" -a -o "$out/samples" \
                "$bin" run "$out/$side.toml" -o "$out/$side.xlsx" "${flag[@]}" >/dev/null 2>&1
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
    ow, nw = med("without", kind, 0), med("with", kind, 0)
    oc, nc = med("without", kind, 1), med("with", kind, 1)
    print(f"{kind}: wall without {ow:.2f} s, with {nw:.2f} s (+{(nw/ow-1)*100:.1f}%); "
          f"cpu without {oc:.2f} s, with {nc:.2f} s (+{(nc/oc-1)*100:.1f}%)  [{sys.argv[2]} runs each]")
PY
echo "slowest steps of one warm run with the partner library:"
CHANMIX_TIMINGS=1 "$bin" run "$out/with.toml" -o "$out/with.xlsx" 2>&1 | grep -i -A14 'slowest' || true
