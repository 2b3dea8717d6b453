#!/usr/bin/env bash
# End to end, as a researcher runs it: `kira report --json` (a whole process:
# open, read the cohort, compute, print) against a raw scan of the same
# columns by the database's own client, alternating, medians of N runs.
#
#   bench/analytics_report_e2e.sh KIRA DB [CLINIC] [RUNS]
#
# DB: a SQLite file (raw scan: the sqlite3 shell, the same five SELECTs,
# output to /dev/null) or a PostgreSQL connection string (raw scan: psql
# COPY of the same five SELECTs in text to /dev/null). Prints wall and the
# client process's CPU (user + system) per run and the medians; the
# PostgreSQL server's own CPU is not in the client's figure.
set -euo pipefail
KIRA=$1; DB=$2; CLINIC=${3:-bench}; RUNS=${4:-5}
q() { printf "%s" "$1" | sed "s/\$CLINIC/'$CLINIC'/g"; }
SQLS=(
  "SELECT id, indication FROM patients WHERE clinic_id = \$CLINIC ORDER BY id"
  "SELECT patient_id, protocol_id, started_at_us, given_dose_mg, dosing_weight_kg, state FROM sessions WHERE clinic_id = \$CLINIC"
  "SELECT x.session_id, x.type FROM adverse_events x WHERE x.clinic_id = \$CLINIC"
  "SELECT x.session_id, x.rule_ids FROM overrides x WHERE x.clinic_id = \$CLINIC"
  "SELECT patient_id, at_us, total FROM assessments WHERE clinic_id = \$CLINIC AND instrument = 'phq9'"
)
raw() {
  if [[ "$DB" == *dbname=* || "$DB" == postgres* ]]; then
    for s in "${SQLS[@]}"; do psql -q "$DB" -c "COPY ($(q "$s")) TO STDOUT" > /dev/null; done
  else
    for s in "${SQLS[@]}"; do echo "$(q "$s");"; done | sqlite3 -readonly "$DB" > /dev/null
  fi
}
report() { "$KIRA" report --db "$DB" --clinic "$CLINIC" --json > /dev/null; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a rw rc ww wc
for ((i = 0; i < RUNS; i++)); do
  for which in report raw; do
    if (( i % 2 == 1 )); then which=$([[ $which == report ]] && echo raw || echo report); fi
    out=$( { /usr/bin/time -f "%e %U %S" bash -c "$(declare -f q raw report); $(declare -p SQLS KIRA DB CLINIC); $which" ; } 2>&1 >/dev/null | tail -1)
    read -r wall user sys <<< "$out"
    cpu=$(echo "$user + $sys" | bc)
    echo "run $i $which: wall $wall s, client cpu $cpu s"
    if [[ $which == report ]]; then rw+=("$wall"); rc+=("$cpu"); else ww+=("$wall"); wc+=("$cpu"); fi
  done
done
echo "median kira report --json: wall $(printf '%s\n' "${rw[@]}" | median) s, client cpu $(printf '%s\n' "${rc[@]}" | median) s"
echo "median raw scan (client):  wall $(printf '%s\n' "${ww[@]}" | median) s, client cpu $(printf '%s\n' "${wc[@]}" | median) s"
echo "load: $(uptime)"
