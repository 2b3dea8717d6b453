// Specification of the R4 vital-signs profile checker (scripts/fhir/profiles.js):
// conformant resources pass, and each broken variant is refused by the rule
// of the profile it breaks. Run: NODE_PATH=web/node_modules node --test FILE
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const {check} = require(path.join(__dirname, '../../../scripts/fhir/profiles.js'));

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const CATEGORY = [{coding: [{system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs'}]}];
const clone = (x) => JSON.parse(JSON.stringify(x));
const keys = (r, ids) => check(r, ids).map((p) => p.key).sort();

function obs(profile, codings, extra) {
  return Object.assign({
    resourceType: 'Observation', id: 'o1', status: 'final', category: clone(CATEGORY),
    meta: {profile: [`http://hl7.org/fhir/StructureDefinition/${profile}`]},
    code: {coding: codings.map(([code, display]) => ({system: LOINC, code, display}))},
    subject: {reference: 'Patient/p1'}, effectiveDateTime: '2026-03-01T09:05:00Z',
  }, extra);
}
const qty = (value, code, unit = code) => ({value, unit, system: UCUM, code});

const BP = obs('bp', [['85354-9']], {component: [
  {code: {coding: [{system: LOINC, code: '8480-6'}]}, valueQuantity: qty(128, 'mm[Hg]', 'mmHg')},
  {code: {coding: [{system: LOINC, code: '8462-4'}]}, valueQuantity: qty(81, 'mm[Hg]', 'mmHg')}]});
const HR = obs('heartrate', [['8867-4']], {valueQuantity: qty(72, '/min')});
const SPO2 = obs('oxygensat', [['2708-6'], ['59408-5']], {valueQuantity: qty(97, '%')});
const RR = obs('resprate', [['9279-1']], {valueQuantity: qty(14, '/min')});
const WEIGHT = obs('bodyweight', [['29463-7']], {valueQuantity: qty(70.5, 'kg')});
const HEIGHT = obs('bodyheight', [['8302-2']], {valueQuantity: qty(172, 'cm')});

test('conformant vital signs pass', () => {
  for (const r of [BP, HR, SPO2, RR, WEIGHT, HEIGHT]) assert.deepStrictEqual(check(r, new Set(['Patient/p1'])), []);
});

test('a non-vital Observation (a PHQ-9 survey) is not judged by the vital-signs profiles', () => {
  const survey = {resourceType: 'Observation', status: 'final', code: {coding: [{system: LOINC, code: '44261-6'}]},
                  category: [{coding: [{system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey'}]}]};
  assert.deepStrictEqual(check(survey), []);
});

test('the vital-signs category is required (VSCat slice)', () => {
  const r = clone(HR);
  r.category = [{coding: [{system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam'}]}];
  assert.deepStrictEqual(keys(r), ['vs-category']);
});

test('subject and effective[x] are required; a dateTime is precise to the day', () => {
  const r = clone(RR);
  delete r.subject;
  delete r.effectiveDateTime;
  assert.deepStrictEqual(keys(r), ['vs-effective', 'vs-subject']);
  const month = clone(RR);
  month.effectiveDateTime = '2026-03';
  assert.deepStrictEqual(keys(month), ['vs-1']);
  const group = clone(RR);
  group.subject = {reference: 'Group/g1'};
  assert.deepStrictEqual(keys(group), ['vs-subject']);
});

test('a subject that is not in the export is reported', () => {
  assert.deepStrictEqual(keys(HR, new Set(['Patient/other'])), ['subject-resolves']);
});

test('a value or a data-absent reason is required (vs-2)', () => {
  const r = clone(HR);
  delete r.valueQuantity;
  assert.ok(keys(r).includes('vs-2'));
  r.dataAbsentReason = {coding: [{system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown'}]};
  assert.deepStrictEqual(keys(r), []);
});

test('UCUM: a unit that is not UCUM, or not a vital-signs unit, is refused; the system is fixed', () => {
  const mmhg = clone(BP);
  mmhg.component[0].valueQuantity.code = 'mmHg';  // the display, not the UCUM code
  assert.deepStrictEqual(keys(mmhg), ['bp-systolic', 'vs-units']);
  const bpm = clone(HR);
  bpm.valueQuantity.code = 'beats/min';
  assert.ok(keys(bpm).includes('vs-units'));
  assert.ok(keys(bpm).includes('hr-unit'));
  const system = clone(SPO2);
  system.valueQuantity.system = 'http://example.org/units';
  assert.deepStrictEqual(keys(system), ['vs-quantity']);
  const noUnit = clone(RR);
  delete noUnit.valueQuantity.unit;
  assert.deepStrictEqual(keys(noUnit), ['vs-quantity']);
});

test('blood pressure is an 85354-9 panel with one systolic 8480-6 and one diastolic 8462-4 component', () => {
  const noDia = clone(BP);
  noDia.component.pop();
  assert.deepStrictEqual(keys(noDia), ['bp-diastolic']);
  const twoSys = clone(BP);
  twoSys.component[1].code.coding[0].code = '8480-6';
  assert.deepStrictEqual(keys(twoSys), ['bp-diastolic', 'bp-systolic']);
  const panel = clone(BP);
  panel.code.coding[0].code = '55284-4';  // claims the bp profile with another code
  assert.deepStrictEqual(keys(panel), ['bp-code']);
  const noValue = clone(BP);
  delete noValue.component[0].valueQuantity;
  assert.deepStrictEqual(keys(noValue), ['bp-systolic', 'vs-3']);
});

test('SpO2 needs LOINC 2708-6 (R4 oxygensat) and kira adds 59408-5; a 59408-5 reading alone fails', () => {
  const only59408 = clone(SPO2);
  only59408.code.coding = [{system: LOINC, code: '59408-5'}];
  delete only59408.meta;
  assert.deepStrictEqual(keys(only59408), ['spo2-code']);
  const no59408 = clone(SPO2);
  no59408.code.coding.pop();
  assert.deepStrictEqual(keys(no59408), ['kira-spo2-pulse-oximetry']);
  const pct = clone(SPO2);
  pct.valueQuantity = qty(0.97, '1');
  assert.ok(keys(pct).includes('spo2-unit'));
});

test('a vital-sign LOINC code brings its profile even without meta.profile', () => {
  const r = clone(HR);
  delete r.meta;
  r.valueQuantity = qty(72, '/s');
  assert.deepStrictEqual(keys(r), ['hr-unit', 'vs-units']);
});

test('an unknown core profile in meta.profile is reported; weight and height units are the profiles\' own', () => {
  const r = clone(HR);
  r.meta.profile.push('http://hl7.org/fhir/StructureDefinition/heartbeat');
  assert.deepStrictEqual(keys(r), ['profile-unknown']);
  const lb = clone(WEIGHT);
  lb.valueQuantity = qty(155, '[lb_av]');
  assert.deepStrictEqual(keys(lb), []);
  const stone = clone(WEIGHT);
  stone.valueQuantity = qty(11, '[stone_av]');
  assert.deepStrictEqual(keys(stone), ['bw-unit', 'vs-units']);
  const metres = clone(HEIGHT);
  metres.valueQuantity = qty(1.72, 'm');
  assert.deepStrictEqual(keys(metres), ['bh-unit', 'vs-units']);
});

test('status is required and from ObservationStatus', () => {
  const r = clone(HR);
  r.status = 'done';
  assert.deepStrictEqual(keys(r), ['vs-status']);
});
