// kira web UI: plain ES modules, no build step. Talks only to /api/v1 and
// displays what the API decided; it never computes a dose, a limit or an
// outcome threshold itself (style.md §4, "A web/ that decides").
import uPlot from '/assets/uPlot.esm.js';

const state = { me: null, csrf: '', guideline: null, timers: [] };
const main = document.getElementById('main');

// ---- DOM helpers (text only: no innerHTML, so API strings cannot inject markup) ----
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
// Replaces the page, skipping the null/false of conditional sections.
const setMain = (...nodes) => main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
const announce = (msg) => { document.getElementById('status').textContent = msg; };
const fmt = (x, d = 1) => (x === null || x === undefined) ? '—' : Number(x).toFixed(d);
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---- API ----
async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (res.status === 401 && path !== '/api/v1/login') { state.me = null; showLogin(); }
  return { ok: res.ok, status: res.status, data };
}

// ---- Forms with errors next to their fields ----
function field(form, name, label, input, hint) {
  const id = `${form}-${name.replace(/[^a-z0-9]/gi, '_')}`;
  input.id = id;
  input.name = name;
  input.dataset.field = name;
  input.setAttribute('aria-describedby', `${id}-err`);
  return el('div', { class: 'field' }, el('label', { for: id }, label), input,
            hint ? el('span', { class: 'muted' }, hint) : null,
            el('p', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' }));
}
const input = (attrs = {}) => el('input', { type: 'text', ...attrs });
function select(options, attrs = {}) {
  return el('select', attrs, options.map(([v, t]) => el('option', { value: v }, t)));
}
function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((p) => { p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  const fe = form.querySelector('.form-error');
  if (fe) fe.textContent = '';
}
// Puts the API's error next to the field it names (error.field is a JSON
// path; the form maps paths to inputs through data-field), else at the form.
function showError(form, data, fieldMap = {}) {
  const err = (data && data.error) || { message: 'request failed' };
  const path = err.field || '';
  let target = null;
  for (const cand of [fieldMap[path], path, path.replace(/^patient\./, ''), path.split('.')[0]]) {
    if (!cand) continue;
    target = form.querySelector(`[data-field="${CSS.escape(cand)}"]`);
    if (target) break;
  }
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    document.getElementById(`${target.id}-err`).textContent = err.message;
    target.focus();
  } else {
    form.querySelector('.form-error').textContent = err.message;
  }
  announce(err.message);
}
const formError = () => el('p', { class: 'form-error', role: 'alert' });
const num = (v) => (v === '' || v === undefined ? undefined : Number(v));

// ---- Decision rendering (the record of design.md, shown as the API sent it) ----
function outcomeBadge(outcome) {
  return el('span', { class: `outcome out-${outcome}` }, outcome.replaceAll('_', ' ').toUpperCase());
}
function findingsTable(findings) {
  if (!findings || !findings.length) return el('p', { class: 'muted' }, 'No findings.');
  return el('table', {},
    el('caption', { class: 'visually-hidden' }, 'Findings'),
    el('thead', {}, el('tr', {}, ['Severity', 'Rule', 'Finding', 'Grade', 'Certainty', 'Evidence', 'Citation']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, findings.map((f) => el('tr', {},
      el('td', {}, el('span', { class: `badge sev-${f.severity}` }, f.severity)),
      el('td', {}, el('code', {}, f.rule_id)),
      el('td', {}, f.message),
      el('td', {}, f.grade || '—'),
      el('td', {}, f.certainty || '—'),
      el('td', {}, f.evidence || '—'),
      el('td', {}, f.citation || '—')))));
}
function decisionView(d) {
  return el('div', { class: 'decision' },
    el('p', {}, 'Decision: ', outcomeBadge(d.outcome),
       el('span', { class: 'muted' }, `  guideline ${d.guideline.id} ${d.guideline.version}`)),
    d.override ? el('p', { class: 'note' }, `Override by ${d.override.who} at ${d.override.when}: “${d.override.reason}”`) : null,
    findingsTable(d.findings));
}

// ---- Charts (uPlot) ----
function lineChart(container, title, xs, series, extra = {}) {
  container.replaceChildren();
  const width = Math.max(320, Math.min(1100, container.clientWidth || 800));
  const opts = { title, width, height: 300, scales: { x: { time: true } },
                 series: [{}].concat(series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true,
                                                           dash: s.dash, points: { show: !s.dash } }))),
                 axes: [{}, { label: extra.ylabel || '' }] };
  const plot = new uPlot(opts, [xs].concat(series.map((s) => s.values)), container);
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', extra.alt || title);
  return plot;
}

// ---- Pages ----
function showLogin() {
  document.getElementById('nav').hidden = true;
  state.timers.forEach(clearInterval); state.timers = [];
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'login-h' },
    el('h1', { id: 'login-h' }, 'Log in'),
    el('div', { class: 'fields' },
      field('login', 'login', 'Login', input({ autocomplete: 'username', required: true })),
      field('login', 'password', 'Password', input({ type: 'password', autocomplete: 'current-password', required: true }))),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const r = await api('POST', '/api/v1/login', { login: form.login.value, password: form.password.value });
    if (!r.ok) return showError(form, r.data);
    state.csrf = r.data.csrf_token; state.me = r.data.user;
    await afterLogin();
  });
  setMain(form);
  form.login.focus();
}

async function afterLogin() {
  document.getElementById('nav').hidden = false;
  document.getElementById('who').textContent = `${state.me.display_name} · ${state.me.role} · ${state.me.clinic_id}`;
  const g = await api('GET', '/api/v1/guideline');
  state.guideline = g.ok ? g.data : { indications: [], protocols: [], conditions: [] };
  if (!location.hash || location.hash === '#/login') location.hash = state.me.role === 'researcher' ? '#/dashboard' : '#/patients';
  else route();
}

async function patientsPage() {
  const list = el('div', {});
  const search = input({ type: 'search', placeholder: 'id or indication' });
  async function load() {
    const q = search.value.trim();
    const r = await api('GET', '/api/v1/patients' + (q ? `?q=${encodeURIComponent(q)}` : ''));
    if (!r.ok) { list.replaceChildren(el('p', { class: 'form-error' }, r.data?.error?.message || 'failed')); return; }
    list.replaceChildren(el('table', {},
      el('caption', { class: 'visually-hidden' }, 'Patients'),
      el('thead', {}, el('tr', {}, ['Patient', 'Indication', 'Sex', 'Birth year'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, r.data.patients.map((p) => el('tr', {},
        el('td', {}, el('a', { href: `#/patient/${encodeURIComponent(p.id)}` }, p.id)),
        el('td', {}, p.indication), el('td', {}, p.sex), el('td', {}, p.birth_year))))));
    announce(`${r.data.patients.length} patients`);
  }
  search.addEventListener('input', () => { clearTimeout(search._t); search._t = setTimeout(load, 200); });
  const ind = state.guideline.indications.map((i) => [i.id, `${i.id} — ${i.name || ''}`]);
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'np-h' },
    el('h2', { id: 'np-h' }, 'Enrol a patient'),
    el('div', { class: 'fields' },
      field('np', 'id', 'Pseudonymous id (optional)', input()),
      field('np', 'sex', 'Sex', select([['female', 'female'], ['male', 'male'], ['other', 'other'], ['unknown', 'unknown']])),
      field('np', 'birth_year', 'Birth year', input({ inputmode: 'numeric' })),
      field('np', 'indication', 'Indication', select(ind)),
      field('np', 'identity.given_name', 'Given name', input()),
      field('np', 'identity.family_name', 'Family name', input()),
      field('np', 'identity.mrn', 'MRN', input())),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Enrol')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const v = (n) => form.querySelector(`[data-field="${n}"]`).value.trim();
    const body = { sex: v('sex'), birth_year: num(v('birth_year')), indication: v('indication') };
    if (v('id')) body.id = v('id');
    const identity = {};
    for (const k of ['given_name', 'family_name', 'mrn']) if (v(`identity.${k}`)) identity[k] = v(`identity.${k}`);
    if (Object.keys(identity).length) body.identity = identity;
    const r = await api('POST', '/api/v1/patients', body);
    if (!r.ok) return showError(form, r.data);
    location.hash = `#/patient/${encodeURIComponent(r.data.id)}`;
  });
  setMain(el('h1', {}, 'Patients'),
    field('search', 'q', 'Search patients', search), list,
    ['admin', 'clinician'].includes(state.me.role) ? form : null);
  await load();
}

// The stored clinical record (POST/GET /api/v1/patients/{id}/facts): one
// form, saved as a new audited version when anything changed. Screening,
// dosing, monitoring and rescue advice read what is stored, never this form.
function factsForm(p) {
  const conds = (state.guideline.conditions || []).map((c) =>
    el('label', {}, el('input', { type: 'checkbox', name: 'history', value: c.id, 'data-field': `history.${c.id}` }), ' ', c.label || c.id));
  return el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'facts-h', id: 'facts' },
    el('h2', { id: 'facts-h' }, 'Clinical facts'),
    el('p', { class: 'muted', id: 'facts-version' }, 'No facts recorded yet.'),
    el('div', { class: 'fields' },
      field('f', 'weight.value', 'Weight (kg)', input({ inputmode: 'decimal' })),
      field('f', 'weight.method', 'Weight method', select([['measured', 'measured'], ['stated', 'stated'], ['estimated', 'estimated']])),
      field('f', 'weight.date', 'Weighed on', input({ placeholder: 'YYYY-MM-DD' })),
      field('f', 'height.value', 'Height (cm)', input({ inputmode: 'decimal' })),
      field('f', 'pregnancy.status', 'Pregnancy', select([['unknown', 'unknown'], ['not_pregnant', 'not pregnant'], ['pregnant', 'pregnant']])),
      field('f', 'pregnancy.date', 'Pregnancy status as of', input({ placeholder: 'YYYY-MM-DD' })),
      field('f', 'medications', 'Current medications (comma-separated)', input()),
      field('f', 'failed_antidepressant_trials', 'Failed adequate antidepressant trials', input({ inputmode: 'numeric' })),
      field('f', 'baseline_vitals.sbp_mmhg', 'Baseline SBP (mmHg)', input({ inputmode: 'decimal' })),
      field('f', 'baseline_vitals.dbp_mmhg', 'Baseline DBP (mmHg)', input({ inputmode: 'decimal' })),
      field('f', 'baseline_vitals.hr_bpm', 'Baseline HR (/min)', input({ inputmode: 'decimal' })),
      field('f', 'baseline_vitals.spo2_pct', 'Baseline SpO₂ (%)', input({ inputmode: 'decimal' })),
      field('f', 'baseline_vitals.rr_per_min', 'Baseline RR (/min)', input({ inputmode: 'decimal' })),
      field('f', 'reason', 'Reason for the change', input())),
    el('fieldset', {}, el('legend', {}, 'History (tick what is present)'), el('div', { class: 'checks' }, conds)),
    formError());
}
const FACT_FIELDS = ['weight.value', 'weight.method', 'weight.date', 'height.value', 'pregnancy.status', 'pregnancy.date',
  'medications', 'failed_antidepressant_trials', 'baseline_vitals.sbp_mmhg', 'baseline_vitals.dbp_mmhg',
  'baseline_vitals.hr_bpm', 'baseline_vitals.spo2_pct', 'baseline_vitals.rr_per_min'];
// Shows the stored version in the form.
function fillFacts(form, rec) {
  const f = rec && rec.facts;
  if (!f) return;
  const set = (n, v) => { const e = form.querySelector(`[data-field="${n}"]`); if (e) e.value = v === null || v === undefined ? '' : String(v); };
  set('weight.value', f.weight ? f.weight.value : ''); set('weight.method', f.weight ? f.weight.method : 'measured');
  set('weight.date', f.weight ? f.weight.date : ''); set('height.value', f.height ? f.height.value : '');
  set('pregnancy.status', f.pregnancy.status); set('pregnancy.date', f.pregnancy.date);
  set('medications', (f.medications || []).join(', ')); set('failed_antidepressant_trials', f.failed_antidepressant_trials);
  for (const k of ['sbp_mmhg', 'dbp_mmhg', 'hr_bpm', 'spo2_pct', 'rr_per_min']) set(`baseline_vitals.${k}`, f.baseline_vitals[k]);
  form.querySelectorAll('input[name="history"]').forEach((c) => { c.checked = !!(f.history || {})[c.value]; });
  set('reason', '');
  form.querySelector('#facts-version').textContent =
    `Stored version ${f.version}, recorded ${f.recorded_at.slice(0, 16).replace('T', ' ')} by ${f.recorded_by}` +
    (rec.screening ? ` · screening (IV): ${rec.screening.outcome.replaceAll('_', ' ')}` : '');
}
// The request body of POST .../facts from the form.
function factsDoc(form) {
  const v = (n) => form.querySelector(`[data-field="${n}"]`).value.trim();
  const doc = {};
  if (v('weight.value')) {
    doc.weight = { value: num(v('weight.value')), unit: 'kg', method: v('weight.method') };
    if (v('weight.date')) doc.weight.date = v('weight.date');
  }
  if (v('height.value')) doc.height = { value: num(v('height.value')), unit: 'cm' };
  doc.pregnancy = { status: v('pregnancy.status') };
  if (v('pregnancy.date')) doc.pregnancy.date = v('pregnancy.date');
  doc.medications = v('medications').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  if (v('failed_antidepressant_trials')) doc.failed_antidepressant_trials = num(v('failed_antidepressant_trials'));
  const bv = {};
  for (const k of ['sbp_mmhg', 'dbp_mmhg', 'hr_bpm', 'spo2_pct', 'rr_per_min']) if (v(`baseline_vitals.${k}`)) bv[k] = num(v(`baseline_vitals.${k}`));
  if (Object.keys(bv).length) doc.baseline_vitals = bv;
  const history = {};
  form.querySelectorAll('input[name="history"]').forEach((c) => { history[c.value] = c.checked; });
  doc.history = history;
  if (v('reason')) doc.reason = v('reason');
  return doc;
}
async function saveFacts(form, id) {
  clearErrors(form);
  const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/facts`, factsDoc(form));
  if (!r.ok) { showError(form, r.data); return false; }
  fillFacts(form, r.data);
  announce(`Facts version ${r.data.facts.version} stored`);
  return true;
}

// Unacknowledged suicidality alerts: a modal dialog that stays until a
// clinician acknowledges each alert with a reason (stored and audited).
async function showAlerts(patientId) {
  const r = await api('GET', `/api/v1/patients/${encodeURIComponent(patientId)}/alerts?open=true`);
  if (!r.ok || !r.data.alerts.length) return;
  const a = r.data.alerts[0];
  const clinician = state.me.role === 'clinician';
  const reason = input({ id: 'alert-reason' });
  const err = el('p', { class: 'form-error', role: 'alert' });
  const dlg = el('dialog', { id: 'alert-dialog', 'aria-labelledby': 'alert-h', 'aria-describedby': 'alert-msg' },
    el('h2', { id: 'alert-h' }, 'Suicidality alert — acknowledgement required'),
    el('p', { id: 'alert-msg' }, a.message),
    el('p', { class: 'muted' }, `Raised ${a.raised_at.slice(0, 16).replace('T', ' ')} by ${a.raised_by}. ` +
      'New sessions for this patient are refused until a clinician acknowledges it.'),
    clinician ? el('div', { class: 'field' }, el('label', { for: 'alert-reason' }, 'Acknowledgement (assessment made, plan)'), reason)
              : el('p', { class: 'note' }, 'Call a clinician: only a clinician can acknowledge this alert.'),
    err,
    el('div', { class: 'actions' }, clinician ? el('button', { type: 'button', id: 'alert-ack' }, 'Acknowledge') : null));
  dlg.addEventListener('cancel', (ev) => ev.preventDefault());  // Escape does not dismiss it
  document.body.append(dlg);
  dlg.showModal();
  if (clinician) {
    reason.focus();
    dlg.querySelector('#alert-ack').addEventListener('click', async () => {
      const rr = await api('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, { reason: reason.value.trim() });
      if (!rr.ok) { err.textContent = rr.data?.error?.message || 'failed'; return; }
      dlg.close(); dlg.remove();
      announce('Alert acknowledged');
      await showAlerts(patientId);
    });
  }
}

// The plan calendar and next step, as PlanNext decided them from the
// registry's sessions and scores.
function planForm(id, role) {
  const out = el('div', { id: 'plan-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card', novalidate: true, 'aria-label': 'Plan' },
    el('div', { class: 'fields' },
      field('pl', 'start', 'Plan from (date)', input({ value: nowIso().slice(0, 10) })),
      field('pl', 'route', 'Route', select([['iv', 'IV'], ['intranasal', 'intranasal (esketamine)']])),
      role === 'clinician' ? field('pl', 'override_reason', 'Annual-cap override reason', input()) : null),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Plan')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const v = (n) => { const e = form.querySelector(`[data-field="${n}"]`); return e ? e.value.trim() : ''; };
    const body = { start: v('start'), route: v('route') };
    if (v('override_reason')) body.override_reason = v('override_reason');
    const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/plan`, body);
    if (!r.ok) return showError(form, r.data);
    const d = r.data;
    out.replaceChildren(
      el('p', {}, 'Next step: ', outcomeBadge(d.next_step), ` — template ${d.template}; annual cap ${d.annual_cap.cap}, ${d.annual_cap.used_in_window_today} used in the rolling window`),
      el('table', {}, el('caption', {}, 'Planned sessions'),
        el('thead', {}, el('tr', {}, ['Date', 'Phase', '#', 'In window', 'Cap'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, d.schedule.map((x) => el('tr', {}, el('td', {}, x.date), el('td', {}, x.phase), el('td', {}, x.number),
          el('td', {}, x.counted_in_window), el('td', {}, x.exceeds_cap ? 'EXCEEDS (override needed)' : 'within'))))),
      findingsTable(d.decision.findings));
    announce(`Next step: ${d.next_step}`);
  });
  return form;
}

async function patientPage(id) {
  const [pr, sr, ar] = await Promise.all([
    api('GET', `/api/v1/patients/${encodeURIComponent(id)}`),
    api('GET', `/api/v1/patients/${encodeURIComponent(id)}/sessions`),
    api('GET', `/api/v1/patients/${encodeURIComponent(id)}/assessments`)]);
  if (!pr.ok) { setMain(el('h1', {}, 'Patient'), el('p', { class: 'form-error' }, pr.data?.error?.message || 'not found')); return; }
  const p = pr.data;
  const role = state.me.role;
  const facts = factsForm(p);
  api('GET', `/api/v1/patients/${encodeURIComponent(id)}/facts`).then((fr) => { if (fr.ok) fillFacts(facts, fr.data); });
  const screenOut = el('div', { id: 'screen-result', 'aria-live': 'polite' });
  const doseOut = el('div', { id: 'dose-result', 'aria-live': 'polite' });
  const saveBtn = el('button', { type: 'button', class: 'secondary', id: 'facts-save' }, 'Save facts');
  saveBtn.addEventListener('click', () => saveFacts(facts, id));
  const screenBtn = el('button', { type: 'button', id: 'screen-btn' }, 'Save facts and screen');
  screenBtn.addEventListener('click', async () => {
    if (!await saveFacts(facts, id)) return;
    const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/screen`);
    if (!r.ok) return showError(facts, r.data);
    screenOut.replaceChildren(el('h3', {}, 'Screening result'), decisionView(r.data),
      el('p', {}, el('strong', {}, 'Rescue plan: '), r.data.rescue_plan.preferred || '—',
        (r.data.rescue_plan.avoid || []).length ? `; avoid ${(r.data.rescue_plan.avoid).map((a) => a.agent).join(', ')}` : ''));
    announce(`Screening: ${r.data.outcome}`);
  });
  facts.append(el('div', { class: 'actions' }, saveBtn, screenBtn));

  const protos = state.guideline.protocols.map((x) => [x.id, `${x.id} — ${x.name || ''}`]);
  const doseForm = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'dose-h', id: 'dose' },
    el('h2', { id: 'dose-h' }, 'Dose calculator'),
    el('div', { class: 'fields' },
      field('d', 'protocol_id', 'Protocol', select(protos)),
      field('d', 'concentration_mg_per_ml', 'Concentration (mg/mL)', input({ inputmode: 'decimal', placeholder: 'clinic default' })),
      field('d', 'dose_mg', 'Ordered dose (mg, optional)', input({ inputmode: 'decimal', placeholder: 'protocol dose' })),
      role === 'clinician' ? field('d', 'override_reason', 'Override reason (soft limits only)', input()) : null,
      role === 'clinician' ? field('d', 'started_at', 'Session start (UTC)', input({ placeholder: 'empty: now' })) : null),
    formError(),
    el('div', { class: 'actions' },
      el('button', { type: 'submit' }, 'Check dose'),
      role === 'clinician' ? el('button', { type: 'button', class: 'secondary', id: 'record-btn', disabled: true }, 'Record this session') : null));
  let lastDose = null;
  const dv = (n) => { const e = doseForm.querySelector(`[data-field="${n}"]`); return e ? e.value.trim() : ''; };
  doseForm.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(doseForm); clearErrors(facts);
    // The dose is checked on the patient's stored facts.
    const body = { protocol_id: dv('protocol_id') };
    if (dv('concentration_mg_per_ml')) body.concentration_mg_per_ml = num(dv('concentration_mg_per_ml'));
    if (dv('dose_mg')) body.dose_mg = num(dv('dose_mg'));
    if (dv('override_reason')) body.override_reason = dv('override_reason');
    const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/dose-check`, body);
    if (!r.ok) {
      if ((r.data?.error?.field || '').startsWith('patient.')) return showError(facts, r.data);
      return showError(doseForm, r.data);
    }
    lastDose = r.data;
    const d = r.data.dose;
    doseOut.replaceChildren(el('h3', {}, 'Dose check'),
      el('dl', { class: 'kv' },
        el('dt', {}, 'Dosing weight'), el('dd', {}, `${fmt(d.dosing_weight_kg)} kg (${d.weight_basis}); actual ${fmt(d.actual_weight_kg)} kg; BMI ${fmt(d.bmi)}`),
        el('dt', {}, 'Dose'), el('dd', {}, `${fmt(d.dose_mg)} mg = ${fmt(d.dose_mg_per_kg, 3)} mg/kg (protocol dose ${fmt(d.computed_dose_mg)} mg)`),
        el('dt', {}, 'Rate'), el('dd', {}, d.rate_mg_per_h === null ? '—' : `${fmt(d.rate_mg_per_h, 2)} mg/h = ${fmt(d.rate_mg_per_kg_per_h, 3)} mg/kg/h`),
        el('dt', {}, 'Pump'), el('dd', { id: 'pump' }, d.pump ? `${fmt(d.pump.volume_ml)} mL of ${fmt(d.pump.concentration_mg_per_ml)} mg/mL at ${fmt(d.pump.rate_ml_per_h)} mL/h over ${fmt(d.pump.duration_min, 0)} min` : '—')),
      decisionView(r.data));
    const rb = doseForm.querySelector('#record-btn');
    if (rb) rb.disabled = !d.pump || r.data.outcome === 'hard_stop';
    announce(`Dose check: ${r.data.outcome}`);
  });
  const recordOut = el('div', { 'aria-live': 'polite', id: 'record-result' });
  const rb = doseForm.querySelector('#record-btn');
  if (rb) rb.addEventListener('click', async () => {
    if (!lastDose || !lastDose.dose.pump) return;
    const d = lastDose.dose;
    const body = { protocol_id: d.protocol, dosing_weight_kg: d.dosing_weight_kg, planned_dose_mg: d.dose_mg,
                   given_dose_mg: d.dose_mg, concentration_mg_per_ml: d.pump.concentration_mg_per_ml,
                   rate_ml_per_h: d.pump.rate_ml_per_h, state: 'running', started_at: dv('started_at') || nowIso() };
    if (dv('override_reason')) body.override_reason = dv('override_reason');
    const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/sessions`, body);
    if (!r.ok) { showError(doseForm, r.data); await showAlerts(id); return; }
    if (!r.data.stored) {
      recordOut.replaceChildren(el('p', { class: 'form-error' }, `Not recorded: ${r.data.refusal}`), decisionView(r.data.decision));
      return;
    }
    location.hash = `#/session/${encodeURIComponent(r.data.session.id)}`;
  });

  // Sessions and outcomes
  const sessions = sr.ok ? sr.data.sessions : [];
  const sessTable = el('table', {}, el('caption', { class: 'visually-hidden' }, 'Sessions'),
    el('thead', {}, el('tr', {}, ['Session', 'Started', 'Protocol', 'Dose (mg)', 'State', 'Decision'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, sessions.map((s) => el('tr', {},
      el('td', {}, el('a', { href: `#/session/${encodeURIComponent(s.id)}` }, s.id)),
      el('td', {}, s.started_at.slice(0, 16).replace('T', ' ')), el('td', {}, s.protocol_id),
      el('td', {}, fmt(s.given_dose_mg ?? s.planned_dose_mg)), el('td', {}, s.state), el('td', {}, s.decision_outcome)))));
  const chart = el('div', { class: 'chart', id: 'outcome-chart' });
  const assessForm = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'as-h' },
    el('h3', { id: 'as-h' }, 'Record an outcome score'),
    el('div', { class: 'fields' },
      field('as', 'instrument', 'Instrument', select([['phq9', 'PHQ-9'], ['madrs', 'MADRS']])),
      field('as', 'item_scores', 'Item scores (comma-separated)', input({ placeholder: '2,2,1,3,2,1,2,1,0' })),
      field('as', 'at', 'When (UTC)', input({ value: nowIso() }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save score')));
  assessForm.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(assessForm);
    const v = (n) => assessForm.querySelector(`[data-field="${n}"]`).value.trim();
    const items = v('item_scores').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    const r = await api('POST', `/api/v1/patients/${encodeURIComponent(id)}/assessments`,
                        { instrument: v('instrument'), item_scores: items, at: v('at') });
    if (!r.ok) return showError(assessForm, r.data, { 'item_scores': 'item_scores' });
    assessForm.querySelector('[data-field="item_scores"]').value = '';
    if ((r.data.alerts || []).length) await showAlerts(id);
    await drawOutcomes(chart, await api('GET', `/api/v1/patients/${encodeURIComponent(id)}/assessments`));
    announce(`Saved: total ${r.data.total}`);
  });

  setMain(
    el('h1', {}, `Patient ${p.id}`),
    el('dl', { class: 'kv' },
      el('dt', {}, 'Indication'), el('dd', {}, p.indication),
      el('dt', {}, 'Sex, birth year'), el('dd', {}, `${p.sex}, ${p.birth_year}`),
      p.identity ? [el('dt', {}, 'Name'), el('dd', {}, `${p.identity.given_name} ${p.identity.family_name}`),
                    el('dt', {}, 'MRN'), el('dd', {}, p.identity.mrn || '—')] : null),
    ['clinician', 'nurse'].includes(role) ? el('div', { class: 'grid' },
      el('div', {}, facts, screenOut), el('div', {}, doseForm, doseOut, recordOut)) : null,
    el('h2', {}, 'Plan and next step'),
    ['clinician', 'nurse'].includes(role) ? planForm(id, role) : el('p', {}, `${sessions.length} session(s) recorded.`),
    el('h2', {}, 'Sessions'), sessions.length ? sessTable : el('p', { class: 'muted' }, 'No sessions yet.'),
    el('h2', {}, 'Outcome trajectory'), chart, el('p', { id: 'outcome-legend', class: 'muted' }),
    ['clinician', 'nurse'].includes(role) ? assessForm : null);

  drawOutcomes(chart, ar);
  await showAlerts(id);
}

// The outcome trajectory: PHQ-9 totals with the response and remission lines
// exactly as the API sent them (GET .../assessments "reference").
async function drawOutcomes(chart, ar) {
  const items = ar.ok ? ar.data.assessments.filter((a) => a.instrument === 'phq9') : [];
  const ref = ar.ok ? ar.data.reference : null;
  if (!items.length) { chart.replaceChildren(el('p', { class: 'muted' }, 'No PHQ-9 scores yet.')); return; }
  const xs = items.map((a) => Date.parse(a.at) / 1000);
  const series = [{ label: 'PHQ-9 total', color: '#0b5cad', values: items.map((a) => a.total) }];
  if (ref) {
    series.push({ label: `response (≤ ${fmt(ref.response_at_or_below)})`, color: '#1a7f37', dash: [6, 4], values: xs.map(() => ref.response_at_or_below) });
    series.push({ label: `remission (< ${ref.remission_below})`, color: '#9a6700', dash: [2, 4], values: xs.map(() => ref.remission_below) });
    document.getElementById('outcome-legend').textContent = `Lines as set by the registry: response at or below ${fmt(ref.response_at_or_below)} (50 % of baseline ${ref.baseline}), remission below ${ref.remission_below}. Source: ${ref.source}.`;
  }
  lineChart(chart, 'PHQ-9 over time', xs, series, { ylabel: 'score', alt: `PHQ-9 totals: ${items.map((a) => a.total).join(', ')}` });
}

async function sessionPage(id) {
  const r = await api('GET', `/api/v1/sessions/${encodeURIComponent(id)}`);
  if (!r.ok) { setMain(el('h1', {}, 'Session'), el('p', { class: 'form-error' }, r.data?.error?.message || 'not found')); return; }
  const s = r.data;
  const chart = el('div', { class: 'chart', id: 'vitals-chart' });
  const vitalsBody = el('tbody', {});
  const aeBody = el('tbody', {});
  function fill(sx) {
    vitalsBody.replaceChildren(...sx.vitals.map((v) => el('tr', {}, el('td', {}, v.at.slice(11, 19)), el('td', {}, v.kind), el('td', {}, `${v.value} ${v.unit}`))));
    aeBody.replaceChildren(...sx.adverse_events.map((e) => el('tr', {}, el('td', {}, e.at.slice(11, 19)), el('td', {}, e.type), el('td', {}, e.severity), el('td', {}, e.rescue_given || '—'))));
    const kinds = ['sbp', 'dbp', 'hr', 'spo2'];
    const colors = { sbp: '#cf222e', dbp: '#bc4c00', hr: '#0b5cad', spo2: '#1a7f37' };
    const times = [...new Set(sx.vitals.map((v) => Date.parse(v.at) / 1000))].sort((a, b) => a - b);
    if (!times.length) { chart.replaceChildren(el('p', { class: 'muted' }, 'No vitals yet.')); return; }
    const series = kinds.map((k) => ({ label: k.toUpperCase(), color: colors[k],
      values: times.map((t) => { const v = sx.vitals.find((x) => x.kind === k && Date.parse(x.at) / 1000 === t); return v ? v.value : null; }) }));
    lineChart(chart, 'Vitals (live)', times, series, { ylabel: 'mmHg · /min · %', alt: `Vitals timeline, ${sx.vitals.length} readings` });
  }
  const vform = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'v-h' },
    el('h2', { id: 'v-h' }, 'Enter vitals'),
    el('div', { class: 'fields' },
      field('v', 'kind', 'Measurement', select([['sbp', 'Systolic BP (mmHg)'], ['dbp', 'Diastolic BP (mmHg)'], ['hr', 'Heart rate (/min)'], ['spo2', 'SpO₂ (%)'], ['rr', 'Resp. rate (/min)']])),
      field('v', 'value', 'Value', input({ inputmode: 'decimal' })),
      field('v', 'at', 'When (UTC)', input({ value: '' }), 'empty: now')),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save vital')));
  vform.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(vform);
    const v = (n) => vform.querySelector(`[data-field="${n}"]`).value.trim();
    const rr = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/vitals`, { kind: v('kind'), value: num(v('value')), at: v('at') || nowIso() });
    if (!rr.ok) return showError(vform, rr.data);
    vform.querySelector('[data-field="value"]').value = '';
    announce(`Saved ${rr.data.kind} ${rr.data.value}`);
    await refresh();
  });
  const fr = await api('GET', `/api/v1/patients/${encodeURIComponent(s.patient_id)}/facts`);
  const screen = fr.ok ? fr.data.screening : null;
  const aform = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'ae-h' },
    el('h2', { id: 'ae-h' }, 'Adverse event'),
    el('p', { id: 'rescue-advice', class: 'note' }, screen
      ? `Rescue plan from this patient's stored screening (facts version ${screen.facts_version}, ${screen.screened_at.slice(0, 10)}): ` +
        `${screen.rescue_plan.preferred || 'none named'}` +
        ((screen.rescue_plan.avoid || []).length ? `; avoid ${screen.rescue_plan.avoid.join(', ')}` : '') +
        '. Never an antipsychotic as rescue.'
      : 'No clinical facts are stored for this patient: record them on the patient page.'),
    el('div', { class: 'fields' },
      field('ae', 'type', 'Event', select([['agitation', 'agitation'], ['anxiety', 'anxiety'], ['hallucinations', 'hallucinations'], ['dissociation', 'dissociation'], ['nausea', 'nausea'], ['hypertension', 'hypertension'], ['other', 'other']])),
      field('ae', 'severity', 'Severity', select([['mild', 'mild'], ['moderate', 'moderate'], ['severe', 'severe'], ['life_threatening', 'life-threatening']])),
      field('ae', 'rescue_given', 'Rescue given', input({ placeholder: 'e.g. midazolam 1 mg IV' })),
      field('ae', 'at', 'When (UTC)', input(), 'empty: now')),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Record event')));
  aform.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(aform);
    const v = (n) => aform.querySelector(`[data-field="${n}"]`).value.trim();
    const rr = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/adverse-events`, { type: v('type'), severity: v('severity'), rescue_given: v('rescue_given'), at: v('at') || nowIso() });
    if (!rr.ok) return showError(aform, rr.data);
    announce(`Recorded ${rr.data.type}`);
    await refresh();
  });
  async function refresh() {
    const rr = await api('GET', `/api/v1/sessions/${encodeURIComponent(id)}`);
    if (rr.ok) fill(rr.data);
  }
  setMain(
    el('h1', {}, `Session ${s.id}`),
    el('p', {}, el('a', { href: `#/patient/${encodeURIComponent(s.patient_id)}` }, `← patient ${s.patient_id}`)),
    el('dl', { class: 'kv' },
      el('dt', {}, 'Protocol'), el('dd', {}, s.protocol_id),
      el('dt', {}, 'Dose'), el('dd', {}, `${fmt(s.given_dose_mg ?? s.planned_dose_mg)} mg at ${fmt(s.concentration_mg_per_ml)} mg/mL, ${fmt(s.rate_ml_per_h)} mL/h`),
      el('dt', {}, 'State'), el('dd', {}, s.state),
      el('dt', {}, 'Decision at recording'), el('dd', {}, outcomeBadge(s.decision_outcome)),
      s.overrides.length ? [el('dt', {}, 'Override'), el('dd', {}, s.overrides.map((o) => `${o.who}: “${o.reason}” (${o.rule_ids.join(', ')})`).join('; '))] : null),
    el('h2', {}, 'Vitals timeline'), chart,
    el('div', { class: 'grid' }, vform, aform),
    el('div', { class: 'grid' },
      el('section', { 'aria-labelledby': 'vt-h' }, el('h2', { id: 'vt-h' }, 'Vitals'),
        el('table', {}, el('thead', {}, el('tr', {}, ['Time', 'Kind', 'Value'].map((h) => el('th', { scope: 'col' }, h)))), vitalsBody)),
      el('section', { 'aria-labelledby': 'at-h' }, el('h2', { id: 'at-h' }, 'Adverse events'),
        el('table', {}, el('thead', {}, el('tr', {}, ['Time', 'Event', 'Severity', 'Rescue'].map((h) => el('th', { scope: 'col' }, h)))), aeBody))),
    state.me.role === 'clinician' && s.state === 'running' ? finishForm(s) : null,
    el('h2', {}, 'Monitoring and discharge'),
    ['clinician', 'nurse'].includes(state.me.role) ? monitorForms(s) : null);
  fill(s);
  state.timers.push(setInterval(refresh, 5000));
}

const ATTESTATIONS = [['vitals_near_baseline', 'Vitals back near baseline'], ['dissociation_resolved', 'Dissociation resolved'],
  ['oriented', 'Oriented'], ['responsible_adult', 'Responsible adult present'], ['no_driving_advised', 'Told not to drive until the next day'],
  ['next_visit_booked', 'Next visit booked'], ['readiness_assessed', 'Readiness for discharge assessed']];

// Pre-session checks and baseline (what the registry does not store) go to
// the Advisor with the session's stored vitals and events; the page shows
// the gate, the action per observation, rescue advice and the discharge
// decision exactly as returned.
function monitorForms(s) {
  const sid = encodeURIComponent(s.id);
  const mout = el('div', { id: 'monitor-result', 'aria-live': 'polite' });
  const dout = el('div', { id: 'discharge-result', 'aria-live': 'polite' });
  const check = (name, label) => el('label', {}, el('input', { type: 'checkbox', 'data-field': name }), ' ', label);
  const form = el('form', { class: 'card', novalidate: true, 'aria-label': 'Monitoring' },
    el('fieldset', {}, el('legend', {}, 'Pre-session checks'), el('div', { class: 'checks' },
      check('precheck.resuscitation_staff_present', 'Resuscitation-trained staff present'),
      check('precheck.resuscitation_equipment_present', 'Resuscitation equipment present'),
      check('precheck.pulse_oximeter_present', 'Pulse oximeter on'))),
    el('div', { class: 'fields' },
      field('m', 'precheck.rescue_plan', 'Rescue plan chosen', select([['midazolam', 'midazolam'], ['lorazepam', 'lorazepam'], ['clonidine', 'clonidine']]))),
    el('p', { class: 'muted' }, "Baseline vitals and the screening are the patient's stored ones (patient page, clinical facts)."),
    el('fieldset', {}, el('legend', {}, 'Discharge checklist'), el('div', { class: 'checks' },
      ATTESTATIONS.map(([id, label]) => check(`discharge.attestations.${id}`, label)))),
    formError(),
    el('div', { class: 'actions' },
      el('button', { type: 'submit' }, 'Run monitor'),
      el('button', { type: 'button', class: 'secondary', id: 'discharge-btn' }, 'Evaluate discharge')),
    mout, dout);
  const body = (withDischarge) => {
    const q = (n) => form.querySelector(`[data-field="${n}"]`);
    const b = { precheck: {} };
    for (const k of ['resuscitation_staff_present', 'resuscitation_equipment_present', 'pulse_oximeter_present']) b.precheck[k] = q(`precheck.${k}`).checked;
    b.precheck.rescue_plan = q('precheck.rescue_plan').value;
    if (withDischarge) {
      const att = {};
      for (const [id] of ATTESTATIONS) att[id] = q(`discharge.attestations.${id}`).checked;
      const tmin = Math.max(0, Math.round((Date.now() - Date.parse(s.started_at)) / 60000));
      b.discharge = { t_min: tmin, by: state.me.user_id || state.me.id, attestations: att };
    }
    return b;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const r = await api('POST', `/api/v1/sessions/${sid}/monitor`, body(false));
    if (!r.ok) return showError(form, r.data);
    const d = r.data;
    mout.replaceChildren(
      el('h3', {}, 'Pre-session gate'), decisionView(d.gate),
      el('h3', {}, 'During the session'), el('p', {}, 'Most severe action: ', outcomeBadge(d.decision.outcome), ` · state ${d.final_state}`),
      el('table', {}, el('caption', {}, 'Action per observation'),
        el('thead', {}, el('tr', {}, ['t (min)', 'Action', 'Rule', 'Value', 'Threshold', 'Evidence', 'Citation'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, d.observations.map((o) => el('tr', {}, el('td', {}, fmt(o.t_min, 0)), el('td', {}, o.action),
          el('td', {}, o.rule_id || '—'), el('td', {}, o.value ?? '—'), el('td', {}, o.threshold ?? '—'), el('td', {}, o.evidence || '—'), el('td', {}, o.citation || '—'))))),
      findingsTable(d.decision.findings),
      ...(d.rescues.length ? [el('h3', {}, 'Rescue advice'), ...d.rescues.map(decisionView)] : []));
    announce(`Monitor: ${d.decision.outcome}`);
  });
  form.querySelector('#discharge-btn').addEventListener('click', async () => {
    clearErrors(form);
    const r = await api('POST', `/api/v1/sessions/${sid}/discharge`, body(true));
    if (!r.ok) return showError(form, r.data);
    dout.replaceChildren(el('h3', {}, 'Discharge'), decisionView(r.data));
    announce(`Discharge: ${r.data.outcome}`);
  });
  return form;
}

// Ends the dose: the server checks the given dose again before storing it.
function finishForm(s) {
  const out = el('div', { id: 'finish-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'fin-h' },
    el('h2', { id: 'fin-h' }, 'End the dose'),
    el('div', { class: 'fields' },
      field('fin', 'given_dose_mg', 'Dose given (mg)', input({ inputmode: 'decimal', value: String(s.given_dose_mg ?? s.planned_dose_mg) })),
      field('fin', 'stopped_at', 'Stopped at (UTC)', input(), 'empty: now'),
      field('fin', 'state', 'Outcome', select([['completed', 'completed'], ['stopped', 'stopped early']])),
      field('fin', 'override_reason', 'Override reason (if the given dose passes a soft limit)', input())),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'End dose')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const v = (n) => form.querySelector(`[data-field="${n}"]`).value.trim();
    const r = await api('POST', `/api/v1/sessions/${encodeURIComponent(s.id)}/finish`,
                        { given_dose_mg: num(v('given_dose_mg')), stopped_at: v('stopped_at') || nowIso(), state: v('state'),
                          ...(v('override_reason') ? { override_reason: v('override_reason') } : {}) });
    if (!r.ok) return showError(form, r.data);
    if (!r.data.stored) { out.replaceChildren(el('p', { class: 'form-error' }, `Not recorded: ${r.data.refusal}`), decisionView(r.data.decision)); return; }
    announce(`Session ${r.data.session.state}`);
    await route();
  });
  return form;
}

async function dashboardPage() {
  const r = await api('GET', '/api/v1/registry/summary');
  if (!r.ok) { setMain(el('h1', {}, 'Registry dashboard'), el('p', { class: 'form-error' }, r.data?.error?.message || 'failed')); return; }
  const d = r.data;
  const table = (caption, obj) => el('table', {}, el('caption', {}, caption),
    el('tbody', {}, Object.entries(obj).map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v)))));
  const pct = (a, b) => (b ? `${(100 * a / b).toFixed(1)} %` : 'n/a');
  setMain(el('h1', {}, `Registry dashboard — ${d.clinic_id}`),
    el('p', { class: 'muted' }, 'De-identified aggregates: no patient is named or identifiable here.'),
    el('dl', { class: 'kv', id: 'summary' },
      el('dt', {}, 'Patients'), el('dd', {}, d.patients),
      el('dt', {}, 'Sessions'), el('dd', {}, d.sessions),
      el('dt', {}, 'Adverse events'), el('dd', {}, d.adverse_events),
      el('dt', {}, 'Soft-limit overrides'), el('dd', {}, d.overrides),
      el('dt', {}, 'PHQ-9 response'), el('dd', {}, `${d.phq9.responders} of ${d.phq9.evaluable} (${pct(d.phq9.responders, d.phq9.evaluable)})`),
      el('dt', {}, 'PHQ-9 remission'), el('dd', {}, `${d.phq9.remitters} of ${d.phq9.evaluable} (${pct(d.phq9.remitters, d.phq9.evaluable)})`)),
    el('div', { class: 'grid' }, table('Patients by indication', d.patients_by_indication),
      table('Adverse events by type', d.adverse_events_by_type)),
    table('Sessions by decision at recording', d.sessions_by_outcome));
}

async function route() {
  state.timers.forEach(clearInterval); state.timers = [];
  if (!state.me) return showLogin();
  const h = location.hash || '#/patients';
  let m;
  if ((m = h.match(/^#\/patient\/(.+)$/))) await patientPage(decodeURIComponent(m[1]));
  else if ((m = h.match(/^#\/session\/(.+)$/))) await sessionPage(decodeURIComponent(m[1]));
  else if (h === '#/dashboard') await dashboardPage();
  else await patientsPage();
  main.focus();
}

window.addEventListener('hashchange', route);
document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/logout');
  state.me = null; state.csrf = '';
  location.hash = '#/login';
  showLogin();
});
(async () => {
  const r = await api('GET', '/api/v1/me');
  if (r.ok) { state.me = r.data.user; state.csrf = r.data.csrf_token; await afterLogin(); } else showLogin();
})();
