#!/usr/bin/env bash
# Registry part of `make run`: a synthetic registry in ./var/kira.db on first
# start, then the audit check, the ledger and the three exports.
set -uo pipefail
KIRA=${KIRA:-build/kira}
banner() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
run() { echo "\$ kira ${*}"; "$KIRA" "$@"; echo "(exit $?)"; }

banner "Registry: synthetic demo clinic in ./var/kira.db (created on first start)"
if [ ! -f var/kira.db ]; then
  run demo --patients 200
else
  echo "./var/kira.db exists; remove it to regenerate"
fi
banner "Audit trail: verify every clinic's hash chain"
run audit verify
banner "Controlled-substance ledger (last lots)"
"$KIRA" ledger | tail -4
banner "Exports: FHIR R4 Bulk NDJSON, REDCap, de-identified CSV"
run export --fhir var/export/fhir
run export --redcap var/export/redcap
KIRA_DEID_SECRET=${KIRA_DEID_SECRET:-demo-secret-change-me-0001} run export --deidentified var/export/deidentified.csv
head -3 var/export/deidentified.csv
