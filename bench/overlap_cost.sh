#!/usr/bin/env bash
# What the overlap and coverage library (rules/overlap.rules, rules/coverage.rules)
# adds to a run: the shipped library with and without those two files, same binary,
# same workbook, runs alternating, warm (input cache filled) and cold (--no-cache).
# Without them, a stand-in declares what other files read from them: partners.rules the
# `lead_source` column and the `partner_sourced_lead` param (overlap.rules), allocation.rules
# a `ChannelCeilings` table (coverage.rules), here one row per channel with a blank
# ceiling (no demand cap: the optimizer's row caps are then not set on that side).
# Both sides read the partner list and omit the shipped scenario's working tables.
# Usage: bench/overlap_cost.sh CHANMIX_BIN WORKBOOK.xlsx [RUNS]
#   e.g. chanmix sample-data --rows 1000000 --out /tmp/crm_1m.xlsx first.
# Prints the median wall and CPU seconds of each and with/without ratios, then, from one
# warm run of each side with every step timed (CHANMIX_TIMINGS=all), the evaluation
# steps only the overlap library has, slowest first, and each side's phases.
set -euo pipefail
bin=$(realpath "$1") workbook=$(realpath "$2") runs=${3:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export CHANMIX_CACHE_DIR="$out/cache"

common() { # $1: rule files, $2: more omitted tables
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
omit_tables = ["PartnerWonMonths", "LatestAssessments", "PartnerQuarters"$2]
EOF
}
cat >"$out/stand_in.rules" <<'EOF'
input Opportunities (lead_source: text?)
param partner_sourced_lead = "Partner Referral"
table ChannelCeilings = group Channels by channel
ChannelCeilings.ceiling = ""
EOF
others=$(cd "$repo/rules" && ls *.rules | grep -v -e '^overlap.rules$' -e '^coverage.rules$' |
    sed "s|^|\"$repo/rules/|; s|$|\"|" | paste -sd, -)
common "$others, \"$out/stand_in.rules\"" "" >"$out/without.toml"
common "$others, \"$repo/rules/overlap.rules\", \"$repo/rules/coverage.rules\"" ', "AccountChannels",
    "SharedChannels", "DealOverlaps", "PairDeals", "CreditReceived", "PartnerAccounts",
    "PartnerCreditReceived"' >"$out/with.toml"

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
for side in without with; do
    CHANMIX_TIMINGS=all "$bin" run "$out/$side.toml" -o "$out/$side.xlsx" 2>"$out/$side.timings" >/dev/null
done
# Step lines read `timing:   step NAME SECONDS s`; phase lines `timing: PHASE SECONDS s (…)`.
python3 - "$out/without.timings" "$out/with.timings" <<'PY'
import re, sys
def steps(path):
    found = {}
    for line in open(path):
        m = re.match(r"timing:   step (\S.*?)\s+([0-9.]+) s$", line.rstrip())
        if m:
            found[m.group(1)] = float(m.group(2))
    return found
def phases(path):
    return [re.sub(r"\s+", " ", l[len("timing: "):].strip()) for l in open(path)
            if re.match(r"timing: [a-z]", l) and not l.startswith("timing:   ")]
without, with_ = steps(sys.argv[1]), steps(sys.argv[2])
added = sorted(((s, n) for n, s in with_.items() if n not in without), reverse=True)
print(f"overlap library steps, one warm run: {len(added)} steps, {sum(s for s, _ in added):.3f} s "
      "of evaluation (steps of one level run in parallel); slowest:")
for s, n in added[:15]:
    print(f"  {n:<44} {s:8.3f} s")
for side, path in (("without", sys.argv[1]), ("with", sys.argv[2])):
    print(f"phases {side}: " + "; ".join(phases(path)))
PY
