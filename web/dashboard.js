// The registry dashboard: de-identified aggregates as the API computed
// them, and the controlled-substance discrepancies for roles that keep the ledger.
import { state, el, setMain, api, errText } from './lib.js';

export async function dashboardPage() {
  const r = await api('GET', '/api/v1/registry/summary');
  if (!r.ok) { setMain(el('h1', {}, 'Registry dashboard'), el('p', { class: 'form-error' }, errText(r))); return; }
  const d = r.data;
  const table = (caption, obj) => el('table', {}, el('caption', {}, caption),
    el('tbody', {}, Object.entries(obj).map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k.replaceAll('_', ' ')), el('td', {}, v)))));
  const pct = (a, b) => (b ? `${(100 * a / b).toFixed(1)} %` : 'n/a');
  let ledger = null;
  if (['admin', 'clinician', 'nurse', 'pharmacist'].includes(state.me.role)) {
    const lr = await api('GET', '/api/v1/ledger/entries');
    if (lr.ok) {
      ledger = el('section', { 'aria-labelledby': 'cs-h' }, el('h2', { id: 'cs-h' }, 'Controlled-substance discrepancies'),
        lr.data.discrepancies.length
          ? el('ul', { class: 'blockers', id: 'dash-discrepancies' }, lr.data.discrepancies.map((x) => el('li', {}, x.message)))
          : el('p', { id: 'dash-discrepancies' }, 'None.'),
        el('p', {}, el('a', { href: '#/ledger' }, 'Open the ledger')));
    }
  }
  setMain(el('h1', {}, `Registry dashboard — ${d.clinic_id}`),
    el('p', { class: 'muted' }, 'De-identified aggregates: no patient is named or identifiable here.'),
    ledger,
    el('dl', { class: 'kv', id: 'summary' },
      el('dt', {}, 'Patients'), el('dd', {}, d.patients),
      el('dt', {}, 'Sessions'), el('dd', {}, d.sessions),
      el('dt', {}, 'Adverse events'), el('dd', {}, d.adverse_events),
      el('dt', {}, 'Soft-limit overrides'), el('dd', {}, d.overrides),
      el('dt', {}, 'PHQ-9 response'), el('dd', {}, `${d.phq9.responders} of ${d.phq9.evaluable} (${pct(d.phq9.responders, d.phq9.evaluable)})`),
      el('dt', {}, 'PHQ-9 remission'), el('dd', {}, `${d.phq9.remitters} of ${d.phq9.evaluable} (${pct(d.phq9.remitters, d.phq9.evaluable)})`)),
    el('div', { class: 'grid' }, table('Patients by indication', d.patients_by_indication || {}),
      table('Adverse events by type', d.adverse_events_by_type || {})),
    table('Sessions by decision at recording', d.sessions_by_outcome || {}));
}
