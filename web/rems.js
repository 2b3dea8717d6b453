// Esketamine (SPRAVATO) REMS Patient Monitoring Form: the published fields
// (concomitant medication classes; blood pressure before the dose, about
// 40 minutes after it and before the end of monitoring; monitoring
// duration; sedation, dissociation, respiratory depression; lot number).
// It cannot be signed until the server reports no missing field; forms are
// due within 7 days of the session (FDA REMS summary for SPRAVATO).
import { state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val, num,
         localTime, table } from './lib.js';

const enc = encodeURIComponent;
const CLASSES = [['benzodiazepine', 'Benzodiazepines'], ['opioid', 'Opioids'], ['psychostimulant', 'Psychostimulants'],
  ['maoi', 'MAO inhibitors'], ['other_cns_depressant', 'Other CNS depressants'], ['none', 'None of these']];

export async function remsTrackerPage() {
  const r = await api('GET', '/api/v1/rems/due');
  if (!r.ok) { setMain(el('h1', {}, 'REMS forms'), el('p', { class: 'form-error' }, errText(r))); return; }
  const forms = r.data.forms;
  setMain(el('h1', {}, 'Esketamine REMS Patient Monitoring Forms'),
    el('p', {}, 'Each esketamine session needs a Patient Monitoring Form submitted within 7 days (FDA REMS summary for SPRAVATO).'),
    el('p', {}, el('a', { href: '/api/v1/rems/export.csv', download: 'rems-patient-monitoring-forms.csv' }, 'Export all saved forms as CSV')),
    forms.length ? table('Forms due', ['Session', 'Session date', 'Due by', 'Status', 'Missing'],
      forms.map((f) => [el('a', { href: `#/rems/${enc(f.session_id)}` }, f.session_id), localTime(f.session_at), localTime(f.due),
        f.overdue ? el('strong', { class: 'form-error' }, 'OVERDUE') : (f.started ? 'started, not signed' : 'not started'),
        f.missing.length ? f.missing.join('; ') : 'complete — ready to sign']), { id: 'rems-due' })
      : el('p', { id: 'rems-due' }, 'No forms due.'));
}

export async function remsFormPage(sessionId) {
  const r = await api('GET', `/api/v1/sessions/${enc(sessionId)}/rems`);
  if (!r.ok) { setMain(el('h1', {}, 'REMS form'), el('p', { class: 'form-error' }, errText(r))); return; }
  render(r.data);
}

function render(f) {
  const signed = !!f.signed_at;
  const canWrite = ['clinician', 'nurse'].includes(state.me.role) && !signed;
  const v = (x) => (x === null || x === undefined ? '' : String(x));
  const yn = (name, label) => field('rems', name, label, select([['', '— choose —'], ['no', 'No'], ['yes', 'Yes']]));
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'rems-h', id: 'rems-form' },
    el('h1', { id: 'rems-h' }, 'SPRAVATO REMS Patient Monitoring Form'),
    el('dl', { class: 'kv' }, el('dt', {}, 'Session'), el('dd', {}, el('a', { href: `#/session/${enc(f.session_id)}` }, f.session_id)),
      el('dt', {}, 'Patient'), el('dd', {}, f.patient_id), el('dt', {}, 'Session date'), el('dd', {}, localTime(f.session_at))),
    el('fieldset', {}, el('legend', {}, 'Concomitant medication classes'),
      el('div', { class: 'checks' }, CLASSES.map(([id, label]) => el('label', {},
        el('input', { type: 'checkbox', name: 'classes', value: id, checked: f.concomitant_classes.includes(id), disabled: !canWrite }), ' ', label)))),
    el('fieldset', {}, el('legend', {}, 'Blood pressure (mmHg)'),
      el('div', { class: 'fields' },
        field('rems', 'bp_pre_sbp', 'Before the dose — systolic', input({ inputmode: 'decimal', value: v(f.bp_pre_sbp) })),
        field('rems', 'bp_pre_dbp', 'Before the dose — diastolic', input({ inputmode: 'decimal', value: v(f.bp_pre_dbp) })),
        field('rems', 'bp_40_sbp', 'About 40 min after — systolic', input({ inputmode: 'decimal', value: v(f.bp_40_sbp) })),
        field('rems', 'bp_40_dbp', 'About 40 min after — diastolic', input({ inputmode: 'decimal', value: v(f.bp_40_dbp) })),
        field('rems', 'bp_end_sbp', 'Before the end of monitoring — systolic', input({ inputmode: 'decimal', value: v(f.bp_end_sbp) })),
        field('rems', 'bp_end_dbp', 'Before the end of monitoring — diastolic', input({ inputmode: 'decimal', value: v(f.bp_end_dbp) })))),
    el('div', { class: 'fields' },
      field('rems', 'monitoring_minutes', 'Monitoring duration (minutes)', input({ inputmode: 'numeric', value: v(f.monitoring_minutes) })),
      yn('sedation', 'Sedation'), yn('dissociation', 'Dissociation'), yn('respiratory_depression', 'Respiratory depression'),
      field('rems', 'lot', 'Lot number of the devices', input({ value: f.lot })),
      field('rems', 'notes', 'Notes', input({ value: f.notes }))),
    el('div', { id: 'rems-missing', 'aria-live': 'polite' }, missingBlock(f)),
    formError(),
    el('div', { class: 'actions' },
      canWrite ? el('button', { type: 'submit', id: 'rems-save' }, 'Save') : null,
      canWrite ? el('button', { type: 'button', id: 'rems-sign', class: 'danger', disabled: f.missing.length > 0 || !f.started }, 'Sign form') : null,
      el('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print'),
      el('a', { href: `/api/v1/rems/export.csv?session=${enc(f.session_id)}`, download: `rems-${f.session_id}.csv`, id: 'rems-csv' }, 'Export CSV')),
    signed ? el('p', { class: 'note', id: 'rems-signed' }, `Signed by ${f.signed_by} on ${localTime(f.signed_at)}. A signed form cannot be changed.`) : null);
  for (const k of ['sedation', 'dissociation', 'respiratory_depression']) form.querySelector(`[data-field="${k}"]`).value = f[k] || '';
  if (!canWrite) form.querySelectorAll('input, select').forEach((i) => { i.disabled = true; });
  const body = (sign) => {
    const b = { sign, concomitant_classes: [...form.querySelectorAll('input[name="classes"]:checked')].map((c) => c.value) };
    for (const k of ['bp_pre_sbp', 'bp_pre_dbp', 'bp_40_sbp', 'bp_40_dbp', 'bp_end_sbp', 'bp_end_dbp', 'monitoring_minutes']) if (val(form, k)) b[k] = num(val(form, k));
    for (const k of ['sedation', 'dissociation', 'respiratory_depression', 'lot', 'notes']) if (val(form, k)) b[k] = val(form, k);
    return b;
  };
  const save = async (sign) => {
    clearErrors(form);
    const r = await api('POST', `/api/v1/sessions/${enc(f.session_id)}/rems`, body(sign));
    if (!r.ok) return showError(form, r.data);
    announce(sign ? 'REMS form signed' : 'REMS form saved');
    render(r.data);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(false); });
  const sb = form.querySelector('#rems-sign');
  if (sb) sb.addEventListener('click', () => save(true));
  setMain(form);
}

function missingBlock(f) {
  if (f.signed_at) return null;
  if (!f.missing.length) return el('p', {}, f.started ? 'Every required field is filled in: the form can be signed.' : 'Save the form before signing it.');
  return el('div', { class: 'note' }, el('strong', {}, 'Needed before the form can be signed:'),
    el('ul', {}, f.missing.map((m) => el('li', {}, m))));
}
