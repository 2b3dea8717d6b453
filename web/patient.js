// Patients: search (name, MRN or id, real paging), enrolment, and the
// patient record — identity with an audited edit history, clinical facts
// (pregnancy, failed trials, baseline vitals), screening, consent, dose
// check and recording, plan and booking, sessions and outcome charts.
import uPlot from '/assets/uPlot.esm.js';
import { put, state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val, num,
         fmt, outcomeBadge, decisionView, localTime, timeInput, localInputValue, fromLocalInput, zoneName, todayLocal,
         table, refusalWords } from './lib.js';
import { showOpenAlerts, alertDialog, refreshAlertBanner } from './alerts.js';

const enc = encodeURIComponent;
const canEdit = () => ['admin', 'clinician'].includes(state.me.role);
const careTeam = () => ['clinician', 'nurse'].includes(state.me.role);
const protocolOptions = () => state.guideline.protocols.map((x) => [x.id, x.name ? `${x.name}` : x.id]);
const protocolName = (id) => (state.guideline.protocols.find((p) => p.id === id) || {}).name || id;
const indicationOptions = () => state.guideline.indications.map((i) => [i.id, i.name || i.id]);
const displayName = (p) => (p.identity && (p.identity.given_name || p.identity.family_name)
  ? `${p.identity.given_name} ${p.identity.family_name}`.trim() : `Patient ${p.id}`);

// ---- Search and enrolment ----
export async function patientsPage() {
  const list = el('div', { id: 'patient-list' });
  const search = input({ type: 'search', placeholder: 'name, MRN or id' });
  let pages = [''];  // "after" cursor of each page shown
  async function load(after = '') {
    const q = search.value.trim();
    const r = await api('GET', `/api/v1/search/patients?limit=20${q ? `&q=${enc(q)}` : ''}${after ? `&after=${enc(after)}` : ''}`);
    if (!r.ok) { put(list, el('p', { class: 'form-error' }, errText(r))); return; }
    const rows = r.data.patients;
    const pageNo = pages.length;
    put(list, 
      rows.length ? table('Patients', ['Name', 'MRN', 'Patient id', 'Indication', 'Birth year'], rows.map((p) => [
        el('a', { href: `#/patient/${enc(p.id)}` }, displayName(p)), p.identity?.mrn || '—', p.id, p.indication, p.birth_year]))
        : el('p', {}, 'No patient matches.'),
      el('nav', { class: 'actions', 'aria-label': 'Result pages' },
        el('span', {}, `Page ${pageNo}`),
        pageNo > 1 ? el('button', { type: 'button', class: 'secondary', onclick: () => { pages.pop(); load(pages[pages.length - 1]); } }, 'Previous page') : null,
        r.data.next_after ? el('button', { type: 'button', class: 'secondary', onclick: () => { pages.push(r.data.next_after); load(r.data.next_after); } }, 'Next page') : null));
    announce(`${rows.length} patients on page ${pageNo}${r.data.next_after ? '; more on the next page' : ''}`);
  }
  search.addEventListener('input', () => { clearTimeout(search._t); search._t = setTimeout(() => { pages = ['']; load(); }, 250); });
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'np-h' },
    el('h2', { id: 'np-h' }, 'Enrol a patient'),
    el('div', { class: 'fields' },
      field('np', 'identity.given_name', 'Given name', input({ autocomplete: 'off' })),
      field('np', 'identity.family_name', 'Family name', input({ autocomplete: 'off' })),
      field('np', 'identity.mrn', 'MRN', input({ autocomplete: 'off' })),
      field('np', 'identity.birth_date', 'Date of birth', input({ type: 'date' })),
      field('np', 'sex', 'Sex', select([['female', 'female'], ['male', 'male'], ['other', 'other'], ['unknown', 'unknown']])),
      field('np', 'birth_year', 'Birth year', input({ inputmode: 'numeric' })),
      field('np', 'indication', 'Indication', select(indicationOptions())),
      field('np', 'id', 'Pseudonymous id (optional)', input())),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Enrol')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const v = (n) => val(form, n);
    const body = { sex: v('sex'), birth_year: num(v('birth_year')), indication: v('indication') };
    if (v('id')) body.id = v('id');
    const identity = {};
    for (const k of ['given_name', 'family_name', 'mrn', 'birth_date']) if (v(`identity.${k}`)) identity[k] = v(`identity.${k}`);
    if (Object.keys(identity).length) body.identity = identity;
    const r = await api('POST', '/api/v1/patients', body);
    if (!r.ok) return showError(form, r.data);
    location.hash = `#/patient/${enc(r.data.id)}`;
  });
  setMain(el('h1', {}, 'Patients'),
    field('search', 'q', 'Search by name, MRN or id', search), list,
    canEdit() ? form : null);
  await load();
}

// ---- The patient record ----
export async function patientPage(id) {
  const [pr, sr, ar, fr] = await Promise.all([
    api('GET', `/api/v1/patients/${enc(id)}`),
    api('GET', `/api/v1/patients/${enc(id)}/sessions`),
    api('GET', `/api/v1/patients/${enc(id)}/assessments`),
    api('GET', `/api/v1/patients/${enc(id)}/facts`)]);
  if (!pr.ok) { setMain(el('h1', {}, 'Patient'), el('p', { class: 'form-error' }, errText(pr))); return; }
  const p = pr.data;
  const facts = fr.ok ? fr.data.facts : null;
  const sessions = sr.ok ? sr.data.sessions : [];

  const screenOut = el('div', { id: 'screen-result', 'aria-live': 'polite' });
  const doseOut = el('div', { id: 'dose-result', 'aria-live': 'polite' });
  const chart = el('div', { class: 'chart', id: 'outcome-chart' });
  const legend = el('p', { id: 'outcome-legend', class: 'muted' });

  setMain(
    el('h1', {}, displayName(p)),
    identityBlock(p),
    careTeam() ? el('div', { class: 'grid' },
      el('div', {}, factsForm(p, facts, screenOut)),
      el('div', {}, doseForm(p, doseOut))) : null,
    careTeam() ? el('div', {}, screenOut, doseOut) : null,
    careTeam() || canEdit() ? consentSection(p) : null,
    el('h2', {}, 'Plan, next step and booking'),
    careTeam() ? planForm(p) : el('p', {}, `${sessions.length} session(s) recorded.`),
    el('h2', {}, 'Sessions'),
    sessions.length ? table('Sessions', ['Session', 'Started', 'Protocol', 'Dose', 'State', 'Decision at recording'],
      sessions.map((s) => [el('a', { href: `#/session/${enc(s.id)}` }, s.id), localTime(s.started_at), protocolName(s.protocol_id),
        `${fmt(s.given_dose_mg ?? s.planned_dose_mg)} mg`, s.state, outcomeBadge(s.decision_outcome)]))
      : el('p', { class: 'muted' }, 'No sessions yet.'),
    el('h2', {}, 'Outcome scores'), chart, legend,
    careTeam() ? assessmentForm(p, chart, legend) : null,
    historySection(p));
  drawOutcomes(chart, legend, ar);
  if (careTeam() && facts) await showScreening(p, screenOut, routeOf(null));
  await showOpenAlerts(p.id);
}

function identityBlock(p) {
  const wrap = el('div', {});
  const dl = el('dl', { class: 'kv' },
    el('dt', {}, 'Patient id'), el('dd', {}, p.id),
    el('dt', {}, 'MRN'), el('dd', {}, p.identity?.mrn || '—'),
    el('dt', {}, 'Date of birth'), el('dd', {}, p.identity?.birth_date || `${p.birth_year} (year only)`),
    el('dt', {}, 'Sex'), el('dd', {}, p.sex),
    el('dt', {}, 'Indication'), el('dd', {}, (state.guideline.indications.find((i) => i.id === p.indication) || {}).name || p.indication));
  wrap.append(dl);
  if (!canEdit()) return wrap;
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'edit-h', hidden: true, id: 'edit-form' },
    el('h2', { id: 'edit-h' }, 'Edit patient'),
    el('div', { class: 'fields' },
      field('ed', 'identity.given_name', 'Given name', input({ value: p.identity?.given_name || '' })),
      field('ed', 'identity.family_name', 'Family name', input({ value: p.identity?.family_name || '' })),
      field('ed', 'identity.mrn', 'MRN', input({ value: p.identity?.mrn || '' })),
      field('ed', 'identity.birth_date', 'Date of birth', input({ type: 'date', value: p.identity?.birth_date || '' })),
      field('ed', 'sex', 'Sex', select([['female', 'female'], ['male', 'male'], ['other', 'other'], ['unknown', 'unknown']])),
      field('ed', 'birth_year', 'Birth year', input({ inputmode: 'numeric', value: String(p.birth_year) })),
      field('ed', 'indication', 'Indication', select(indicationOptions())),
      field('ed', 'reason', 'Reason for the change', input())),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save changes')));
  form.querySelector('[data-field="sex"]').value = p.sex;
  form.querySelector('[data-field="indication"]').value = p.indication;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const v = (n) => val(form, n);
    const identity = {};
    for (const k of ['given_name', 'family_name', 'mrn', 'birth_date']) identity[k] = v(`identity.${k}`);
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/edit`,
                        { sex: v('sex'), birth_year: num(v('birth_year')), indication: v('indication'), reason: v('reason'), identity });
    if (!r.ok) return showError(form, r.data);
    announce('Patient record changed');
    await state.route();
  });
  const btn = el('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': 'edit-form' }, 'Edit patient');
  btn.addEventListener('click', () => { form.hidden = !form.hidden; btn.setAttribute('aria-expanded', String(!form.hidden)); if (!form.hidden) form.querySelector('input').focus(); });
  wrap.append(el('div', { class: 'actions' }, btn), form);
  return wrap;
}

function historySection(p) {
  const out = el('div', { id: 'history' });
  const btn = el('button', { type: 'button', class: 'secondary' }, 'Show history of changes');
  btn.addEventListener('click', async () => {
    const r = await api('GET', `/api/v1/patients/${enc(p.id)}/history`);
    if (!r.ok) { put(out, el('p', { class: 'form-error' }, errText(r))); return; }
    const lines = (t) => el('pre', { class: 'muted', style: 'white-space: pre-wrap; margin: 0' }, t || '—');
    put(out, table('History of changes', ['When', 'Who', 'What', 'Before', 'After (and why)'],
      r.data.changes.map((c) => [localTime(c.at), c.by, `${c.action} ${c.what.replaceAll('_', ' ')}`, lines(c.before), lines(c.after)])));
  });
  return el('section', { 'aria-labelledby': 'hist-h' }, el('h2', { id: 'hist-h' }, 'History of the record'), btn, out);
}

// ---- Clinical facts and screening ----
function routeOf(protocolId) {
  const pr = state.guideline.protocols.find((x) => x.id === protocolId);
  return pr ? pr.route : 'iv';
}

async function showScreening(p, out, route) {
  const r = await api('POST', `/api/v1/patients/${enc(p.id)}/screen?route=${enc(route)}`);
  if (!r.ok) { put(out, el('p', { class: 'form-error' }, errText(r))); return null; }
  const d = r.data;
  const rp = d.rescue_plan || {};
  put(out, el('h3', {}, `Screening result (${route === 'intranasal' ? 'esketamine nasal spray' : 'IV ketamine'})`), decisionView(d),
    el('p', { id: 'rescue-plan' }, el('strong', {}, 'Rescue plan from this screening: '), rp.preferred || '—',
      (rp.avoid || []).length ? `; avoid ${rp.avoid.map((a) => a.agent || a).join(', ')}` : ''));
  announce(`Screening: ${d.outcome}`);
  return d;
}

function factsForm(p, f, screenOut) {
  const conds = (state.guideline.conditions || []).map((c) =>
    el('label', {}, el('input', { type: 'checkbox', name: 'history', value: c.id, 'data-field': `history.${c.id}`,
                                  checked: !!(f && f.history && f.history[c.id]) }), ' ', c.label || c.id));
  const bv = (f && f.baseline_vitals) || {};
  const v0 = (x) => (x === null || x === undefined ? '' : String(x));
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'facts-h', id: 'facts' },
    el('h2', { id: 'facts-h' }, 'Clinical facts'),
    f ? el('p', { class: 'muted', id: 'facts-version' }, `Version ${f.version}, recorded ${localTime(f.recorded_at)} by ${f.recorded_by}.`)
      : el('p', { class: 'note', id: 'facts-version' }, 'No clinical facts recorded yet. Screening and dosing need them.'),
    el('div', { class: 'fields' },
      field('f', 'weight.value', 'Weight (kg)', input({ inputmode: 'decimal', value: v0(f?.weight?.value) })),
      field('f', 'weight.method', 'Weight was', select([['measured', 'measured today'], ['stated', 'stated by the patient'], ['estimated', 'estimated']])),
      field('f', 'height.value', 'Height (cm)', input({ inputmode: 'decimal', value: v0(f?.height?.value) })),
      field('f', 'pregnancy.status', 'Pregnancy', select([['unknown', 'not known'], ['not_pregnant', 'not pregnant'], ['pregnant', 'pregnant']])),
      field('f', 'pregnancy.date', 'Pregnancy status checked on', input({ type: 'date', value: f?.pregnancy?.date || '' })),
      field('f', 'failed_antidepressant_trials', 'Failed adequate antidepressant trials', input({ inputmode: 'numeric', value: v0(f?.failed_antidepressant_trials) })),
      field('f', 'medications', 'Current medications (comma-separated)', input({ value: (f?.medications || []).join(', ') }))),
    el('fieldset', {}, el('legend', {}, 'Baseline vitals (before any dose)'),
      el('div', { class: 'fields' },
        field('f', 'baseline_vitals.sbp_mmhg', 'Blood pressure, systolic (mmHg)', input({ inputmode: 'decimal', value: v0(bv.sbp_mmhg) })),
        field('f', 'baseline_vitals.dbp_mmhg', 'Blood pressure, diastolic (mmHg)', input({ inputmode: 'decimal', value: v0(bv.dbp_mmhg) })),
        field('f', 'baseline_vitals.hr_bpm', 'Heart rate (/min)', input({ inputmode: 'decimal', value: v0(bv.hr_bpm) })),
        field('f', 'baseline_vitals.spo2_pct', 'SpO₂ (%)', input({ inputmode: 'decimal', value: v0(bv.spo2_pct) })),
        field('f', 'baseline_vitals.rr_per_min', 'Breathing rate (/min)', input({ inputmode: 'decimal', value: v0(bv.rr_per_min) })))),
    el('fieldset', {}, el('legend', {}, 'History (tick what is present)'), el('div', { class: 'checks' }, conds)),
    el('div', { class: 'fields' },
      field('f', 'reason', 'Reason for this change', input({ placeholder: 'e.g. weighed today' }))),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save facts and screen'),
      field('f', 'route', 'Screen for', select([['iv', 'IV ketamine'], ['intranasal', 'esketamine nasal spray']]))));
  if (f) {
    form.querySelector('[data-field="weight.method"]').value = f.weight?.method || 'measured';
    form.querySelector('[data-field="pregnancy.status"]').value = f.pregnancy?.status || 'unknown';
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    screenOut.replaceChildren();
    const v = (n) => val(form, n);
    const doc = {};
    if (v('weight.value')) doc.weight = { value: num(v('weight.value')), unit: 'kg', method: v('weight.method'), date: todayLocal() };
    if (v('height.value')) doc.height = { value: num(v('height.value')), unit: 'cm' };
    doc.pregnancy = { status: v('pregnancy.status') };
    if (v('pregnancy.date')) doc.pregnancy.date = v('pregnancy.date');
    if (v('failed_antidepressant_trials')) doc.failed_antidepressant_trials = num(v('failed_antidepressant_trials'));
    const meds = v('medications').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    doc.medications = meds;
    const b = {};
    for (const k of ['sbp_mmhg', 'dbp_mmhg', 'hr_bpm', 'spo2_pct', 'rr_per_min']) if (v(`baseline_vitals.${k}`)) b[k] = num(v(`baseline_vitals.${k}`));
    if (Object.keys(b).length) doc.baseline_vitals = b;
    const history = {};
    form.querySelectorAll('input[name="history"]').forEach((c) => { history[c.value] = c.checked; });
    doc.history = history;
    if (v('reason')) doc.reason = v('reason');
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/facts`, doc);
    if (!r.ok) return showError(form, r.data);
    const fv = r.data.facts;
    const line = form.querySelector('#facts-version');
    line.className = 'muted';
    line.textContent = `Version ${fv.version}, recorded ${localTime(fv.recorded_at)} by ${fv.recorded_by}${r.status === 201 ? '' : ' (unchanged)'}.`;
    announce(r.status === 201 ? `Facts saved as version ${fv.version}` : 'Facts unchanged');
    await showScreening(p, screenOut, v('route'));
  });
  return form;
}

// ---- Dose check and recording ----
function doseForm(p, out) {
  const clinician = state.me.role === 'clinician';
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'dose-h', id: 'dose' },
    el('h2', { id: 'dose-h' }, 'Dose'),
    el('p', { class: 'muted' }, 'Checked on the stored clinical facts.'),
    el('div', { class: 'fields' },
      field('d', 'protocol_id', 'Protocol', select(protocolOptions())),
      field('d', 'concentration_mg_per_ml', 'Concentration (mg/mL)', input({ inputmode: 'decimal', placeholder: 'clinic default' })),
      field('d', 'dose_mg', 'Ordered dose (mg, optional)', input({ inputmode: 'decimal', placeholder: 'protocol dose' })),
      clinician ? field('d', 'override_reason', 'Reason to override a soft limit', input()) : null,
      clinician ? field('d', 'started_at', `Session start (${zoneName()})`, timeInput({ value: localInputValue() })) : null),
    formError(),
    el('div', { class: 'actions' },
      el('button', { type: 'submit' }, 'Check dose'),
      clinician ? el('button', { type: 'button', class: 'secondary', id: 'record-btn', disabled: true }, 'Record this session') : null));
  const recordOut = el('div', { 'aria-live': 'polite', id: 'record-result' });
  // A nasal spray (a protocol given by device) has no pump: no concentration to type.
  const protoSel = form.querySelector('[data-field="protocol_id"]');
  const concField = form.querySelector('[data-field="concentration_mg_per_ml"]').closest('.field');
  const syncRoute = () => {
    const proto = state.guideline.protocols.find((x) => x.id === protoSel.value) || {};
    concField.hidden = !!proto.mg_per_device;
    if (concField.hidden) concField.querySelector('input').value = '';
  };
  protoSel.addEventListener('change', syncRoute);
  syncRoute();
  let last = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    // A stale result (or refusal) never stays under a new one.
    out.replaceChildren(); recordOut.replaceChildren(); last = null;
    const rb = form.querySelector('#record-btn'); if (rb) rb.disabled = true;
    const body = { protocol_id: val(form, 'protocol_id') };
    if (val(form, 'concentration_mg_per_ml')) body.concentration_mg_per_ml = num(val(form, 'concentration_mg_per_ml'));
    if (val(form, 'dose_mg')) body.dose_mg = num(val(form, 'dose_mg'));
    if (val(form, 'override_reason')) body.override_reason = val(form, 'override_reason');
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/dose-check`, body);
    if (!r.ok) return showError(form, r.data);
    last = r.data;
    const d = r.data.dose;
    const hard = r.data.outcome === 'hard_stop';
    put(out, el('h3', {}, 'Dose check'),
      hard ? el('p', { class: 'form-error', id: 'pump' }, 'Hard stop: no dose and no pump settings. Resolve the findings below.')
        : el('dl', { class: 'kv' },
          el('dt', {}, 'Dosing weight'), el('dd', {}, `${fmt(d.dosing_weight_kg)} kg (${String(d.weight_basis || '').replaceAll('_', ' ')}); actual ${fmt(d.actual_weight_kg)} kg; BMI ${fmt(d.bmi)}`),
          el('dt', {}, 'Dose'), el('dd', {}, `${fmt(d.dose_mg)} mg = ${fmt(d.dose_mg_per_kg, 3)} mg/kg (protocol dose ${fmt(d.computed_dose_mg)} mg)`),
          el('dt', {}, 'Rate'), el('dd', {}, d.rate_mg_per_h === null || d.rate_mg_per_h === undefined ? '—' : `${fmt(d.rate_mg_per_h, 2)} mg/h = ${fmt(d.rate_mg_per_kg_per_h, 3)} mg/kg/h`),
          el('dt', {}, d.pump ? 'Pump' : 'Given as'), el('dd', { id: 'pump' }, d.pump
            ? `${fmt(d.pump.volume_ml)} mL of ${fmt(d.pump.concentration_mg_per_ml)} mg/mL at ${fmt(d.pump.rate_ml_per_h)} mL/h over ${fmt(d.pump.duration_min, 0)} min`
            : d.devices ? `${d.devices} nasal spray ${d.devices === 1 ? 'device' : 'devices'} (${fmt(d.dose_mg)} mg); not an infusion, no pump`
              : 'Not an infusion (no pump)')),
      decisionView(r.data));
    if (rb) rb.disabled = hard || r.data.outcome === 'soft_limit';
    announce(`Dose check: ${r.data.outcome}`);
  });
  const rb = form.querySelector('#record-btn');
  if (rb) rb.addEventListener('click', async () => {
    if (!last || last.outcome === 'hard_stop') return;
    recordOut.replaceChildren();
    const d = last.dose;
    const started = fromLocalInput(val(form, 'started_at')) || new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = { protocol_id: d.protocol, dosing_weight_kg: d.dosing_weight_kg, planned_dose_mg: d.dose_mg,
                   given_dose_mg: d.dose_mg, state: 'running', started_at: started };
    // An infusion records its concentration and pump rate; a nasal spray the devices used.
    if (d.pump) { body.concentration_mg_per_ml = d.pump.concentration_mg_per_ml; body.rate_ml_per_h = d.pump.rate_ml_per_h; }
    if (d.devices) body.devices = d.devices;
    if (val(form, 'override_reason')) body.override_reason = val(form, 'override_reason');
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/sessions`, body);
    if (!r.ok) { put(recordOut, el('p', { class: 'form-error' }, `Not recorded: ${errText(r)}`)); return; }
    if (!r.data.stored) {
      put(recordOut, el('p', { class: 'form-error' }, `Not recorded: ${refusalWords(r.data.decision)}`), decisionView(r.data.decision));
      return;
    }
    location.hash = `#/session/${enc(r.data.session.id)}`;
  });
  const wrap = el('div', {}, form, recordOut);
  return wrap;
}

// ---- Consent ----
function consentSection(p) {
  const list = el('div', { id: 'consents' });
  async function load() {
    const r = await api('GET', `/api/v1/patients/${enc(p.id)}/consents`);
    const cs = r.ok ? r.data.consents : [];
    put(list, cs.length ? table('Consent records', ['Protocol', 'Form version', 'Signed on', 'Witness', 'Recorded', 'Print'],
      cs.map((c) => [protocolName(c.protocol_id), c.form_version, c.signed_on, c.witness, `${localTime(c.recorded_at)} by ${c.recorded_by}`,
        el('a', { href: `#/print/consent/${enc(p.id)}/${enc(c.id)}` }, 'Printable form')]))
      : el('p', { class: 'note' }, 'No consent recorded.'));
  }
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'cs-h' },
    el('h3', { id: 'cs-h' }, 'Record consent'),
    el('div', { class: 'fields' },
      field('cs', 'protocol_id', 'Protocol consented to', select(protocolOptions())),
      field('cs', 'form_version', 'Consent form version', input({ placeholder: 'e.g. 2026-1' })),
      field('cs', 'signed_on', 'Signed on', input({ type: 'date', value: todayLocal() })),
      field('cs', 'witness', 'Witness (name)', input())),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Record consent'),
      el('a', { href: `#/print/consent/${enc(p.id)}/blank` }, 'Print a blank consent form')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/consents`,
      { protocol_id: val(form, 'protocol_id'), form_version: val(form, 'form_version'), signed_on: val(form, 'signed_on'), witness: val(form, 'witness') });
    if (!r.ok) return showError(form, r.data);
    announce('Consent recorded');
    await load();
  });
  load();
  return el('section', { 'aria-labelledby': 'consent-h' }, el('h2', { id: 'consent-h' }, 'Consent'), list, careTeam() ? form : null);
}

// ---- Plan and booking ----
function planForm(p) {
  const out = el('div', { id: 'plan-result', 'aria-live': 'polite' });
  const clinician = state.me.role === 'clinician';
  const form = el('form', { class: 'card', novalidate: true, 'aria-label': 'Plan' },
    el('div', { class: 'fields' },
      field('pl', 'start', 'Plan from (date)', input({ type: 'date', value: todayLocal() })),
      field('pl', 'route', 'Route', select([['iv', 'IV ketamine'], ['intranasal', 'esketamine nasal spray']])),
      clinician ? field('pl', 'override_reason', 'Reason to go past the yearly session limit', input()) : null),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Plan')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    out.replaceChildren();
    const body = { start: val(form, 'start'), route: val(form, 'route') };
    if (val(form, 'override_reason')) body.override_reason = val(form, 'override_reason');
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/plan`, body);
    if (!r.ok) return showError(form, r.data);
    const d = r.data;
    put(out, 
      el('p', {}, 'Next step: ', outcomeBadge(d.next_step), ` — ${d.annual_cap.used_in_window_today} of ${d.annual_cap.cap} sessions used in the last 12 months`),
      (d.schedule || []).length ? table('Planned schedule', ['#', 'Date', 'Phase', 'Within yearly limit'],
        d.schedule.map((x) => [x.number, x.date, x.phase, x.exceeds_cap ? 'no — over the limit' : 'yes'])) : null,
      d.decision ? decisionView(d.decision) : null,
      bookForm(p, (d.schedule || []).map((x) => x.date), body.route));
    announce(`Plan: ${d.next_step}`);
  });
  return form;
}

function bookForm(p, dates, route) {
  const protos = state.guideline.protocols.filter((x) => x.route === route).map((x) => [x.id, x.name || x.id]);
  const first = dates.find((d) => d >= todayLocal()) || todayLocal();
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'bk-h' },
    el('h3', { id: 'bk-h' }, 'Book an appointment'),
    el('div', { class: 'fields' },
      field('bk', 'scheduled_at', `Date and time (${zoneName()})`, timeInput({ value: `${first}T09:00` })),
      field('bk', 'chair', 'Chair', input({ placeholder: 'e.g. Chair 2' })),
      field('bk', 'protocol_id', 'Protocol', select(protos.length ? protos : protocolOptions()))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Book')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const at = fromLocalInput(val(form, 'scheduled_at'));
    if (!at || at === 'invalid') return showError(form, { error: { field: 'scheduled_at', message: 'scheduled_at: choose a date and time' } });
    const r = await api('POST', '/api/v1/appointments', { patient_id: p.id, protocol_id: val(form, 'protocol_id'), chair: val(form, 'chair'), scheduled_at: at });
    if (!r.ok) return showError(form, r.data);
    announce(`Booked for ${localTime(r.data.scheduled_at)}`);
    form.querySelector('.form-error').textContent = '';
    form.append(el('p', { class: 'note' }, `Booked: ${localTime(r.data.scheduled_at)}, ${r.data.chair}.`));
  });
  return form;
}

// ---- Outcome scores ----
function assessmentForm(p, chart, legend) {
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'as-h' },
    el('h3', { id: 'as-h' }, 'Record an outcome score'),
    el('div', { class: 'fields' },
      field('as', 'instrument', 'Questionnaire', select([['phq9', 'PHQ-9'], ['madrs', 'MADRS']])),
      field('as', 'item_scores', 'Item scores (comma-separated)', input({ placeholder: '2,2,1,3,2,1,2,1,0' })),
      field('as', 'at', `When (${zoneName()})`, timeInput({ value: localInputValue() }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save score')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const items = val(form, 'item_scores').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    const at = fromLocalInput(val(form, 'at')) || new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = await api('POST', `/api/v1/patients/${enc(p.id)}/assessments`, { instrument: val(form, 'instrument'), item_scores: items, at });
    if (!r.ok) return showError(form, r.data, { item_scores: 'item_scores' });
    form.querySelector('[data-field="item_scores"]').value = '';
    announce(`Saved: total ${r.data.total}`);
    drawOutcomes(chart, legend, await api('GET', `/api/v1/patients/${enc(p.id)}/assessments`));
    for (const a of r.data.alerts || []) await alertDialog(a);
    refreshAlertBanner();
  });
  return form;
}

// The chart shows the questionnaire the clinic records most for this
// patient, with the response and remission lines exactly as the API sent them.
function drawOutcomes(chart, legend, ar) {
  const all = ar.ok ? ar.data.assessments : [];
  const counts = {};
  for (const a of all) counts[a.instrument] = (counts[a.instrument] || 0) + 1;
  const inst = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0];
  const names = { phq9: 'PHQ-9', madrs: 'MADRS' };
  if (!inst) { put(chart, el('p', { class: 'muted' }, 'No outcome scores yet.')); legend.textContent = ''; return; }
  const items = all.filter((a) => a.instrument === inst);
  const ref = ar.data.reference && ar.data.reference.instrument === inst ? ar.data.reference : (ar.data.reference && inst === 'phq9' ? ar.data.reference : null);
  const xs = items.map((a) => Date.parse(a.at) / 1000);
  const series = [{ label: `${names[inst] || inst} total`, color: '#0b5cad', values: items.map((a) => a.total) }];
  if (ref) {
    series.push({ label: `response (≤ ${fmt(ref.response_at_or_below)})`, color: '#1a7f37', dash: [6, 4], values: xs.map(() => ref.response_at_or_below) });
    series.push({ label: `remission (< ${ref.remission_below})`, color: '#7d5600', dash: [2, 4], values: xs.map(() => ref.remission_below) });
    legend.textContent = `Lines as set by the registry: response at or below ${fmt(ref.response_at_or_below)} (half of the first score, ${ref.baseline}), remission below ${ref.remission_below}. Source: ${ref.source}.`;
  } else {
    legend.textContent = `${names[inst] || inst} totals over time.`;
  }
  chart.replaceChildren();
  const width = Math.max(280, Math.min(1100, chart.clientWidth || 800));
  // eslint-disable-next-line no-new
  new uPlot({ title: `${names[inst] || inst} over time`, width, height: 300, scales: { x: { time: true } },
              series: [{}].concat(series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, dash: s.dash, points: { show: !s.dash } }))),
              axes: [{}, { label: 'score' }] }, [xs].concat(series.map((s) => s.values)), chart);
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', `${names[inst] || inst} totals: ${items.map((a) => a.total).join(', ')}`);
}
