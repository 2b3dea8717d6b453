#!/usr/bin/env bash
# `make run`, part 2: scoring, a tailored plan, a monitored session with a
# rescue, and a discharge for the sample patient (issue 3).
set -uo pipefail
KIRA=${KIRA:-build/kira}
banner() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
run() { echo "\$ kira ${*}"; "$KIRA" "$@"; echo "(exit $?)"; }

banner "10. PHQ-9 with item 9 above 0: suicidality alert until a clinician acknowledges it"
run score phq9 --items 2,1,3,2,1,0,1,2,1
run score phq9 --items 2,1,3,2,1,0,1,2,1 --ack-by "Dr Demo" --ack-reason "safety plan reviewed"

banner "11. New TRD series across the year end (6 infusions, thrice weekly)"
run plan --patient examples/patients/trd-typical.json --indication trd --start 2026-12-28 --today 2026-12-20

banner "12. Relapse in maintenance: re-induction would pass the rolling annual cap"
run plan --patient examples/patients/trd-typical.json --indication trd --start 2026-06-01 \
    --history examples/history-trd-relapse.json --today 2026-06-01

banner "13. A monitored IV session with a BP pause and a rescue (protease inhibitor: no midazolam)"
run monitor --session examples/session-iv-rescue.json

banner "14. Discharge checklists: IV ready; esketamine at 105 min blocked (>= 2 h required)"
run discharge --session examples/session-iv-rescue.json
run discharge --session examples/session-esketamine-early-discharge.json
