// Suicidality alerts (stored by the registry when a PHQ-9 item 9 or a
// C-SSRS screen is positive): a modal dialog that cannot be dismissed
// with Escape, and a banner on every page while any alert is open. Only a
// clinician can acknowledge (the API refuses anyone else); the reason is
// audited by the server. A nurse records whom she told (stored and audited;
// the alert stays open).
import { put, api, el, state, announce, localTime, errText } from './lib.js';

const CARE = ['admin', 'clinician', 'nurse'];

export async function refreshAlertBanner() {
  const banner = document.getElementById('alert-banner');
  if (!state.me || !CARE.includes(state.me.role)) { banner.hidden = true; return; }
  const r = await api('GET', '/api/v1/alerts');
  const open = r.ok ? r.data.alerts : [];
  if (!open.length) { banner.hidden = true; banner.replaceChildren(); return; }
  put(banner, `${open.length} open suicidality alert${open.length > 1 ? 's' : ''}: `,
    ...open.slice(0, 5).map((a, i) => [i ? ', ' : '', el('a', { href: `#/patient/${encodeURIComponent(a.patient_id)}` }, `patient ${a.patient_id}`)]).flat(),
    '. A clinician must acknowledge each one.');
  banner.hidden = false;
}

// Shows each open alert of the patient in turn; resolves when the dialog closes.
export async function showOpenAlerts(patientId) {
  const r = await api('GET', `/api/v1/patients/${encodeURIComponent(patientId)}/alerts?open=true`);
  if (!r.ok) return;
  for (const a of r.data.alerts.filter((x) => x.open !== false && !x.acknowledged_at)) await alertDialog(a);
}

const openDialogs = new Map();  // alert id -> promise, so one alert never shows twice

export function alertDialog(alert) {
  if (openDialogs.has(alert.id)) return openDialogs.get(alert.id);
  const shown = new Promise((resolve) => {
    const clinician = state.me.role === 'clinician';
    const nurse = state.me.role === 'nurse';
    const reason = el('textarea', { id: 'ack-reason', rows: 3, 'aria-describedby': 'ack-err' });
    const told = el('input', { id: 'told-name', type: 'text', maxlength: 200, autocomplete: 'off', 'aria-describedby': 'ack-err' });
    const escalated = alert.escalated_at
      ? el('p', { id: 'alert-escalated' }, `Told ${alert.escalated_to} at ${localTime(alert.escalated_at)} (recorded by ${alert.escalated_by}).`)
      : null;
    const err = el('p', { id: 'ack-err', class: 'form-error', role: 'alert' });
    const dlg = el('dialog', { class: 'alert-dialog', role: 'alertdialog', 'aria-modal': 'true',
                               'aria-labelledby': 'alert-h', 'aria-describedby': 'alert-msg' },
      el('h2', { id: 'alert-h' }, 'Suicidality alert'),
      el('p', { id: 'alert-msg' }, el('strong', {}, alert.message)),
      el('p', {}, `Patient ${alert.patient_id} · raised ${localTime(alert.raised_at)}`),
      escalated,
      clinician
        ? el('div', { class: 'field' }, el('label', { for: 'ack-reason' }, 'What you did (for example: assessed in person, safety plan made)'), reason, err)
        : el('p', { class: 'note' }, 'A clinician must see this patient and acknowledge the alert before any dose is given. Tell the clinician now.'),
      nurse ? el('div', { class: 'field' }, el('label', { for: 'told-name' }, 'Clinician you told'), told, err) : null,
      el('div', { class: 'actions' },
        clinician ? el('button', { type: 'button', id: 'ack-btn', class: 'danger' }, 'Acknowledge alert')
                  : el('button', { type: 'button', id: 'told-btn' }, 'I have told the clinician')));
    // Escape must not hide it.
    dlg.addEventListener('cancel', (ev) => ev.preventDefault());
    const done = () => { dlg.close(); dlg.remove(); openDialogs.delete(alert.id); refreshAlertBanner(); resolve(); };
    if (clinician) {
      dlg.querySelector('#ack-btn').addEventListener('click', async () => {
        err.textContent = '';
        const r = await api('POST', `/api/v1/alerts/${encodeURIComponent(alert.id)}/ack`, { reason: reason.value.trim() });
        if (!r.ok) { err.textContent = errText(r); reason.setAttribute('aria-invalid', 'true'); reason.focus(); return; }
        announce('Alert acknowledged');
        done();
      });
    } else if (nurse) {
      dlg.querySelector('#told-btn').addEventListener('click', async () => {
        err.textContent = '';
        const r = await api('POST', `/api/v1/alerts/${encodeURIComponent(alert.id)}/escalate`, { told: told.value.trim() });
        if (!r.ok) { err.textContent = errText(r); told.setAttribute('aria-invalid', 'true'); told.focus(); return; }
        announce(`Recorded that you told ${r.data.escalated_to}. The alert stays open until a clinician acknowledges it`);
        done();
      });
    } else {
      dlg.querySelector('#told-btn').addEventListener('click', () => { announce('Alert still open until a clinician acknowledges it'); done(); });
    }
    document.body.append(dlg);
    dlg.showModal();
    (clinician ? reason : nurse ? told : dlg.querySelector('#told-btn')).focus();
  });
  openDialogs.set(alert.id, shown);
  return shown;
}
