#!/usr/bin/env bash
# ctest fhir_validate_demo_export: a demo registry exported as FHIR R4 Bulk
# NDJSON passes scripts/validate-fhir (the R4 JSON schema and the R4
# vital-signs profiles). Usage: fhir_validate_export.sh KIRA_BINARY SOURCE_DIR
set -euo pipefail
kira=${1:?kira binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/kira_fhir_validate.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$kira" demo --patients 40 --db "$work/kira.db" >/dev/null
"$kira" export --fhir "$work/fhir" --db "$work/kira.db"
out=$("$src/scripts/validate-fhir" "$work/fhir") || { echo "$out"; exit 1; }
echo "$out"
# The export must hold vital signs of every kind, so the profiles were exercised.
grep -q '"85354-9"' "$work/fhir/Observation.ndjson"
grep -q '"2708-6"' "$work/fhir/Observation.ndjson"
grep -q '"29463-7"' "$work/fhir/Observation.ndjson"   # body weight of each facts version
grep -q '"8302-2"' "$work/fhir/Observation.ndjson"    # body height
grep -Eq '^[0-9]+ Observations under the R4 vital-signs profiles, 0 not conforming' <<<"$out"
