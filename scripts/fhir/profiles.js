// The FHIR R4 vital-signs profile checks (scripts/fhir/vitalsigns-r4.json)
// over parsed resources. The rules are data; this file only decides which
// profiles apply to a resource and evaluates their FHIRPath expressions with
// HL7's FHIRPath engine (npm fhirpath, R4 model) and UCUM codes with the
// NLM UCUM library (npm @lhncbc/ucum-lhc).
//
// Which profiles apply to an Observation (R4 observation-vitalsigns.html:
// an Observation that uses one of the vital-sign codes SHALL conform to the
// profile of that code):
//   * every profile named in meta.profile (an unknown
//     http://hl7.org/fhir/StructureDefinition/ profile is a problem),
//   * the profile of each LOINC code in code.coding,
//   * the base "vitalsigns" profile for any of those and for any
//     Observation in the vital-signs category.
//
// check(resource, ids) returns [{key, profile, message}], empty when the
// resource conforms. `ids` (optional) is a Set of "Type/id" in the export:
// a subject that does not resolve is reported.
'use strict';
const path = require('path');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');
const ucum = require('@lhncbc/ucum-lhc').UcumLhcUtils.getInstance();

const RULES = require(path.join(__dirname, 'vitalsigns-r4.json'));
const VITALS_UNITS = new Set(RULES.ucum_vitals_common);
const BY_URL = new Map();
const BY_LOINC = new Map();
for (const [name, p] of Object.entries(RULES.profiles)) {
  BY_URL.set(p.url, name);
  for (const code of p.loinc || []) BY_LOINC.set(code, name);
}
const compiled = new Map();
function compile(expr) {
  if (!compiled.has(expr)) compiled.set(expr, fhirpath.compile(expr, r4));
  return compiled.get(expr);
}

// The UCUM codes of valueQuantity and of each component's valueQuantity.
function quantityCodes(resource) {
  const out = [];
  if (resource.valueQuantity) out.push(['valueQuantity', resource.valueQuantity.code]);
  (resource.component || []).forEach((c, i) => {
    if (c.valueQuantity) out.push([`component[${i}].valueQuantity`, c.valueQuantity.code]);
  });
  return out;
}

function applicableProfiles(resource) {
  const names = new Set();
  const problems = [];
  for (const url of (resource.meta && resource.meta.profile) || []) {
    const bare = String(url).split('|')[0];
    if (BY_URL.has(bare)) {
      names.add(BY_URL.get(bare));
    } else if (bare.startsWith('http://hl7.org/fhir/StructureDefinition/')) {
      problems.push({key: 'profile-unknown', profile: bare,
                     message: `meta.profile names ${bare}, which is not an R4 vital-signs profile this checker knows`});
    }
  }
  for (const c of (resource.code && resource.code.coding) || []) {
    if (c.system === 'http://loinc.org' && BY_LOINC.has(c.code)) names.add(BY_LOINC.get(c.code));
  }
  const vitalCategory = (resource.category || []).some((cat) => (cat.coding || []).some(
      (c) => c.system === 'http://terminology.hl7.org/CodeSystem/observation-category' && c.code === 'vital-signs'));
  if (names.size || vitalCategory) names.add('vitalsigns');
  return {names: [...names], problems};
}

function check(resource, ids) {
  if (!resource || resource.resourceType !== 'Observation') return [];
  const {names, problems} = applicableProfiles(resource);
  for (const name of names) {
    const profile = RULES.profiles[name];
    for (const rule of profile.rules) {
      if (rule.unit_check) {
        for (const [where, code] of quantityCodes(resource)) {
          const v = code === undefined ? null : ucum.validateUnitString(String(code));
          if (!v || v.status !== 'valid') {
            problems.push({key: rule.key, profile: profile.url, message: `${where}.code '${code}' is not a valid UCUM code`});
          } else if (!VITALS_UNITS.has(code)) {
            problems.push({key: rule.key, profile: profile.url,
                           message: `${where}.code '${code}' is not in the Vital Signs Units value set`});
          }
        }
        continue;
      }
      let ok;
      try {
        const result = compile(rule.expr)(resource);
        ok = result.length === 1 && result[0] === true;
      } catch (e) {
        ok = false;
      }
      if (!ok) problems.push({key: rule.key, profile: profile.url, message: rule.human});
    }
  }
  if (ids && names.length && resource.subject && resource.subject.reference &&
      !ids.has(resource.subject.reference)) {
    problems.push({key: 'subject-resolves', profile: RULES.profiles.vitalsigns.url,
                   message: `subject ${resource.subject.reference} is not in the export`});
  }
  return problems;
}

module.exports = {check, applicableProfiles, RULES};
