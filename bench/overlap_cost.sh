#!/usr/bin/env bash
# What the overlap and coverage library (rules/overlap.rules, rules/coverage.rules)
# adds to a run: bench/library_cost.sh without those two files. The stand-in declares
# what other files read from them: partners.rules the `lead_source` column and the
# `partner_sourced_lead` param (overlap.rules), allocation.rules a `ChannelCeilings`
# table (coverage.rules), here one row per channel with a blank ceiling (no demand cap:
# the optimizer's row caps are then not set on that side).
# Usage: bench/overlap_cost.sh CHANMIX_BIN WORKBOOK.xlsx [RUNS]
#   e.g. chanmix sample-data --rows 1000000 --out /tmp/crm_1m.xlsx first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stand_in=$(mktemp --suffix=.rules)
trap 'rm -f "$stand_in"' EXIT
cat >"$stand_in" <<'EOF'
input Opportunities (lead_source: text?)
param partner_sourced_lead = "Partner Referral"
table ChannelCeilings = group Channels by channel
ChannelCeilings.ceiling = ""
EOF
STAND_IN=$stand_in "$here/library_cost.sh" "$1" "$2" "${3:-3}" overlap.rules coverage.rules
