// Today: the clinic's day list. Each appointment shows its chair, time,
// protocol and the patient's stage (booked → checked in → screening valid →
// dosing → monitoring → discharged), with what blocks the next step as the
// API reported it. Check-in, reschedule (with a reason) and cancel.
import { state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val,
         outcomeBadge, localTime, localDate, timeInput, localInputValue, fromLocalInput, zoneName, todayLocal, localDayRange } from './lib.js';

const enc = encodeURIComponent;
const protocolName = (id) => (state.guideline.protocols.find((p) => p.id === id) || {}).name || id;

export async function todayPage() {
  const q = new URLSearchParams((location.hash.split('?')[1]) || '');
  const day = q.get('day') || todayLocal();
  const [from, to] = localDayRange(day);
  const r = await api('GET', `/api/v1/today?from=${enc(from)}&to=${enc(to)}`);
  const dayInput = input({ type: 'date', value: day });
  const picker = el('form', { class: 'actions no-print', 'aria-label': 'Choose a day' },
    field('day', 'day', 'Day', dayInput), el('button', { type: 'submit', class: 'secondary' }, 'Show'));
  picker.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#/today?day=${dayInput.value}`; });
  if (!r.ok) { setMain(el('h1', {}, 'Today'), picker, el('p', { class: 'form-error' }, errText(r))); return; }
  const rows = r.data.appointments;
  const list = el('table', { class: 'stack', id: 'day-list' },
    el('caption', { class: 'visually-hidden' }, `Appointments on ${localDate(from)}`),
    el('thead', {}, el('tr', {}, ['Time', 'Chair', 'Patient', 'Protocol', 'Stage', 'What blocks the next step', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((row) => dayRow(row))));
  setMain(el('h1', {}, `Today — ${localDate(from)}`),
    el('p', { class: 'muted' }, `Times in ${zoneName()}.`),
    picker,
    rows.length ? list : el('p', {}, 'No appointments on this day. Book them from a patient’s plan.'));
  announce(`${rows.length} appointments`);
}

function dayRow(row) {
  const a = row.appointment;
  const p = row.patient;
  const name = p.identity ? `${p.identity.given_name} ${p.identity.family_name}`.trim() : p.id;
  const blocked = row.blockers.length > 0;
  const actions = el('div', { class: 'actions' });
  const canDesk = ['admin', 'clinician', 'nurse'].includes(state.me.role);
  if (canDesk && a.state === 'booked') {
    actions.append(el('button', { type: 'button', class: 'small', 'aria-label': `Check in ${name}`,
      onclick: async () => {
        const r = await api('POST', `/api/v1/appointments/${enc(a.id)}/state`, { state: 'checked_in' });
        if (!r.ok) { announce(errText(r)); return; }
        announce(`${name} checked in`);
        await state.route();
      } }, 'Check in'));
  }
  actions.append(el('a', { href: `#/patient/${enc(p.id)}` }, 'Open record'));
  if (row.session) actions.append(el('a', { href: `#/session/${enc(row.session.id)}` }, 'Open session'));
  if (canDesk && !['discharged', 'cancelled'].includes(row.stage)) {
    const more = el('details', {}, el('summary', {}, 'Reschedule or cancel'), changeForm(a, name));
    actions.append(more);
  }
  return el('tr', { class: blocked ? 'blocked' : '', 'data-patient': p.id },
    el('td', { 'data-label': 'Time' }, localTime(a.scheduled_at, false)),
    el('td', { 'data-label': 'Chair' }, a.chair),
    el('td', { 'data-label': 'Patient' }, el('a', { href: `#/patient/${enc(p.id)}` }, name), p.identity?.mrn ? el('div', { class: 'muted' }, `MRN ${p.identity.mrn}`) : null),
    el('td', { 'data-label': 'Protocol' }, protocolName(a.protocol_id)),
    el('td', { 'data-label': 'Stage' }, outcomeBadge(row.stage)),
    el('td', { 'data-label': 'What blocks the next step' }, blocked ? el('ul', { class: 'blockers' }, row.blockers.map((b) => el('li', {}, b))) : 'Nothing'),
    el('td', { 'data-label': 'Actions' }, actions));
}

function changeForm(a, name) {
  const f = el('form', { novalidate: true, 'aria-label': `Reschedule or cancel ${name}` },
    el('div', { class: 'fields' },
      field(`rs-${a.id}`, 'scheduled_at', `New time (${zoneName()})`, timeInput({ value: localInputValue(new Date(a.scheduled_at)) })),
      field(`rs-${a.id}`, 'chair', 'Chair', input({ value: a.chair })),
      field(`rs-${a.id}`, 'reason', 'Reason', input())),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'small' }, 'Reschedule'),
      el('button', { type: 'button', class: 'small danger', 'data-action': 'cancel' }, 'Cancel appointment')));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(f);
    const r = await api('POST', `/api/v1/appointments/${enc(a.id)}/reschedule`,
      { scheduled_at: fromLocalInput(val(f, 'scheduled_at')), chair: val(f, 'chair'), reason: val(f, 'reason') });
    if (!r.ok) return showError(f, r.data);
    announce(`Rescheduled to ${localTime(r.data.scheduled_at)}`);
    await state.route();
  });
  f.querySelector('[data-action="cancel"]').addEventListener('click', async () => {
    clearErrors(f);
    const r = await api('POST', `/api/v1/appointments/${enc(a.id)}/state`, { state: 'cancelled', reason: val(f, 'reason') });
    if (!r.ok) return showError(f, r.data);
    announce('Appointment cancelled');
    await state.route();
  });
  return f;
}
