// Controlled substances: vials received (lot, expiry), drawn, administered,
// wasted with a witness, returned; balance per lot and the discrepancies the
// registry's reconciliation reports.
import { state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val, num,
         fmt, localTime, table, download, csvCell } from './lib.js';

export async function ledgerPage() {
  const r = await api('GET', '/api/v1/ledger/entries');
  if (!r.ok) { setMain(el('h1', {}, 'Controlled substances'), el('p', { class: 'form-error' }, errText(r))); return; }
  const d = r.data;
  const canWrite = ['pharmacist', 'clinician', 'nurse'].includes(state.me.role);
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'lg-h', id: 'ledger-form' },
    el('h2', { id: 'lg-h' }, 'Record a movement'),
    el('div', { class: 'fields' },
      field('lg', 'kind', 'Movement', select([['received', 'vials received'], ['drawn', 'drawn up for a dose'], ['administered', 'given to the patient'],
        ['wasted', 'wasted (needs a witness)'], ['returned', 'returned to pharmacy']])),
      field('lg', 'lot', 'Lot number', input()),
      field('lg', 'amount_mg', 'Amount (mg)', input({ inputmode: 'decimal' })),
      field('lg', 'concentration_mg_per_ml', 'Concentration (mg/mL)', input({ inputmode: 'decimal' })),
      field('lg', 'expiry', 'Expiry date', input({ type: 'date' }), 'for vials received'),
      field('lg', 'session_id', 'Session (for drawn, given or wasted)', input()),
      field('lg', 'witness_login', 'Witness login (for waste)', input({ autocomplete: 'off' }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Record')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const body = { kind: val(form, 'kind'), lot: val(form, 'lot'), amount_mg: num(val(form, 'amount_mg')) };
    for (const k of ['expiry', 'session_id', 'witness_login']) if (val(form, k)) body[k] = val(form, k);
    if (val(form, 'concentration_mg_per_ml')) body.concentration_mg_per_ml = num(val(form, 'concentration_mg_per_ml'));
    const rr = await api('POST', '/api/v1/ledger', body);
    if (!rr.ok) return showError(form, rr.data);
    // Re-render first: the confirmation then comes with a fresh form, so a
    // movement typed right after it is never reset by a late re-render.
    await state.route();
    announce(`Recorded ${rr.data.kind} ${rr.data.amount_mg} mg, lot ${rr.data.lot}`);
  });
  const exportCsv = () => {
    const head = ['at', 'lot', 'movement', 'amount_mg', 'concentration_mg_per_ml', 'expiry', 'session_id', 'by', 'witness'];
    const lines = [head.join(',')].concat(d.entries.map((e) => [e.at, e.lot, e.kind, e.amount_mg, e.concentration_mg_per_ml, e.expiry, e.session_id, e.by, e.witness].map(csvCell).join(',')));
    download('controlled-substance-ledger.csv', lines.join('\r\n') + '\r\n');
  };
  setMain(el('h1', {}, 'Controlled substances'),
    el('h2', {}, 'Balance per lot'),
    d.lots.length ? table('Balance per lot', ['Lot', 'Received', 'Drawn', 'Given', 'Wasted', 'Returned', 'Balance'],
      d.lots.map((l) => [l.lot, `${fmt(l.received_mg)} mg`, `${fmt(l.drawn_mg)} mg`, `${fmt(l.administered_mg)} mg`, `${fmt(l.wasted_mg)} mg`, `${fmt(l.returned_mg)} mg`, `${fmt(l.balance_mg)} mg`]), { id: 'lots' })
      : el('p', { class: 'muted' }, 'No vials recorded yet.'),
    el('h2', {}, 'Discrepancies'),
    d.discrepancies.length ? el('ul', { class: 'blockers', id: 'discrepancies' }, d.discrepancies.map((x) => el('li', {}, x.message)))
      : el('p', { id: 'discrepancies' }, 'None: every lot balances and every dose is accounted for.'),
    canWrite ? form : null,
    el('h2', {}, 'Entries'),
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'secondary', onclick: exportCsv }, 'Export CSV')),
    d.entries.length ? table('Ledger entries', ['When', 'Lot', 'Movement', 'Amount', 'Expiry', 'Session', 'By', 'Witness'],
      d.entries.map((e) => [localTime(e.at), e.lot, e.kind, `${fmt(e.amount_mg)} mg`, e.expiry || '—', e.session_id || '—', e.by, e.witness || '—'])) : null);
}
