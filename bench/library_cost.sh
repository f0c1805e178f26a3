#!/usr/bin/env bash
# What a part of the shipped rule library adds to a run: every rules/*.rules file with
# and without the files named, same binary, same workbook, runs alternating, warm (input
# cache filled) and cold (--no-cache). Both sides read the partner list and write no
# working tables (the shipped scenario's omit_tables).
# Usage: bench/library_cost.sh CHANMIX_BIN WORKBOOK.xlsx RUNS FILE.rules [FILE.rules …]
#   e.g. bench/library_cost.sh target/release/chanmix /tmp/crm_1m.xlsx 3 \
#        allocation.rules capacity.rules what_if.rules            # the allocation library (#11)
#   (make the workbook with `chanmix sample-data --rows 1000000 --out /tmp/crm_1m.xlsx`).
# The files left out must not be read by the others (`chanmix check` says so first);
# STAND_IN=FILE.rules adds a file to the "without" side that declares what the others
# read from them.
# Prints the median wall and CPU seconds of each side and with/without ratios, then, from
# one warm run of each side with every step timed (CHANMIX_TIMINGS=all), the evaluation
# steps only the "with" side has, slowest first.
set -euo pipefail
bin=$(realpath "$1") workbook=$(realpath "$2") runs=$3
shift 3
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export CHANMIX_CACHE_DIR="$out/cache"

# Working tables of the shipped scenario (one row per account, pair or deal side): left
# out of the workbook on each side that has them.
working="AccountChannels SharedChannels DealOverlaps PairDeals CreditReceived PartnerAccounts
    PartnerCreditReceived PartnerWonMonths LatestAssessments PartnerQuarters"

scenario() { # $1: rule files, quoted and comma-separated
    local omit="" name
    for name in $working; do
        # shellcheck disable=SC2046 # the quoted paths are one word each
        if grep -qE "^table $name +=" $(echo "$1" | tr ',' ' ' | tr -d '"'); then
            omit="$omit${omit:+, }\"$name\""
        fi
    done
    cat <<EOF
name  = "bench"
rules = [$1]
as_of = 2026-06-30
[inputs]
workbook = "$workbook"
[inputs.tables.Opportunities]
sheet = "Opportunities"
key   = "opp_id"
[inputs.tables.PartnerList]
sheet = "Partners"
key   = "partner_id"
[inputs.tables.Leads]
sheet_pattern = "Leads*"
[params]
overhead_per_month = 50000
[dashboard]
kpis = ["total_bookings", "total_cost"]
[output]
omit_tables = [$omit]
EOF
}
quoted() { sed "s|^|\"$repo/rules/|; s|$|\"|" | paste -sd, -; }
left_out=$(printf '%s\n' "$@")
all=$(cd "$repo/rules" && ls ./*.rules | sed 's|^\./||')
scenario "$(echo "$all" | quoted)" >"$out/with.toml"
without=$(echo "$all" | grep -vxF "$left_out" | quoted)
[ -n "${STAND_IN:-}" ] && without="$without, \"$(realpath "$STAND_IN")\""
scenario "$without" >"$out/without.toml"
for side in without with; do
    "$bin" check "$out/$side.toml" >/dev/null 2>"$out/check.txt" || {
        cat "$out/check.txt" >&2
        exit 1
    }
    "$bin" run "$out/$side.toml" -o "$out/fill.xlsx" >/dev/null 2>&1 # fill the cache
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
python3 - "$out/samples" "$runs" "$*" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def med(side, kind, cpu):
    xs = [float(r[3]) + float(r[4]) if cpu else float(r[2]) for r in rows if r[0] == side and r[1] == kind]
    return statistics.median(xs)
print(f"left out: {sys.argv[3]}")
for kind in ("cold", "warm"):
    ow, nw = med("without", kind, 0), med("with", kind, 0)
    oc, nc = med("without", kind, 1), med("with", kind, 1)
    print(f"{kind}: wall without {ow:.2f} s, with {nw:.2f} s ({nw/ow:.3f}x); "
          f"cpu without {oc:.2f} s, with {nc:.2f} s ({nc/oc:.3f}x)  [{sys.argv[2]} runs each]")
PY

for side in without with; do
    CHANMIX_TIMINGS=all "$bin" run "$out/$side.toml" -o "$out/$side.xlsx" 2>"$out/$side.timings" >/dev/null
done
# Step lines read `timing:   step NAME SECONDS s`.
python3 - "$out/without.timings" "$out/with.timings" <<'PY'
import re, sys
def steps(path):
    found = {}
    for line in open(path):
        m = re.match(r"timing:   step (\S.*?)\s+([0-9.]+) s$", line.rstrip())
        if m:
            found[m.group(1)] = float(m.group(2))
    return found
without, with_ = steps(sys.argv[1]), steps(sys.argv[2])
added = sorted(((s, n) for n, s in with_.items() if n not in without), reverse=True)
print(f"steps only with the files, one warm run: {len(added)} steps, "
      f"{sum(s for s, _ in added):.3f} s of evaluation (steps of one level run in parallel); slowest:")
for s, n in added[:12]:
    print(f"  {n:<44} {s:8.3f} s")
PY
