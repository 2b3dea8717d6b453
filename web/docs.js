// Printable documents and public pages: patient hand-outs written in plain
// language from the project's clinical reference (each with its sources),
// the discharge sheet, the consent form, and the public clinic directory
// (no log-in, no patient data). Print stylesheets hide the application.
import { put, state, el, setMain, announce, api, errText, field, input, localTime, localDate, fmt, toUtcIso } from './lib.js';

const enc = encodeURIComponent;
const printBtn = () => el('div', { class: 'actions no-print' }, el('button', { type: 'button', onclick: () => window.print() }, 'Print'));
const sources = (...items) => el('div', { class: 'sources' }, el('h3', {}, 'Sources'), el('ul', {}, items.map((s) => el('li', {}, s))));

const SRC = {
  spravato: 'SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen.',
  rems: 'FDA REMS summary for SPRAVATO (REMS no. 386).',
  transform: 'Fedgchin M et al. TRANSFORM-1. Int J Neuropsychopharmacol 2019;22(10):616–630.',
  singh: 'Singh JB et al. Dose-frequency study of IV ketamine in treatment-resistant depression. Am J Psychiatry 2016;173(8):816–826.',
  su: 'Su TP et al. Low-dose ketamine infusion in treatment-resistant depression with suicidal ideation. Int J Neuropsychopharmacol 2023;26(5):331–339.',
  szarmach: 'Szarmach J et al. Cardiovascular safety in ketamine use for treatment-resistant depression. Neuropsychiatr Dis Treat 2020;16:2539–2551.',
  sanacora: 'Sanacora G et al. Consensus statement on the use of ketamine in the treatment of mood disorders. JAMA Psychiatry 2017;74(4):399–405.',
  riva: 'Riva-Posse P et al. Blood pressure safety of subanesthetic ketamine for depression. J Affect Disord 2018.',
};

function ivHandout() {
  return el('article', { class: 'doc card', 'aria-labelledby': 'h-iv' },
    el('h2', { id: 'h-iv' }, 'Ketamine infusion (drip): what to know'),
    el('h3', {}, 'Before you come'),
    el('ul', {},
      el('li', {}, 'Arrange for an adult to take you home. You must not drive, cycle or use machines until the next day after a night’s sleep.'),
      el('li', {}, 'If the clinic has asked you not to eat or drink for some hours before, follow its instructions exactly.'),
      el('li', {}, 'Bring a list of all your medicines. Tell us if you might be pregnant.')),
    el('h3', {}, 'What to expect'),
    el('ul', {},
      el('li', {}, 'The usual dose is 0.5 mg for each kg you weigh, given into a vein over about 40 minutes.'),
      el('li', {}, 'A nurse checks your blood pressure, pulse and oxygen level often during the drip and afterwards.'),
      el('li', {}, 'Your blood pressure usually rises a little during the drip and settles within about an hour and a half.'),
      el('li', {}, 'You stay until the clinic’s observation time is over and the nurse has checked you are ready to leave.')),
    el('h3', {}, 'Common side effects'),
    el('ul', {},
      el('li', {}, 'Feeling detached or “unreal”, dizziness, headache, feeling sick or anxious. In studies, these affected many people (in one trial, 7 in 10 felt unreal during the drip).'),
      el('li', {}, 'They usually pass within a few hours, and the detached feeling tends to lessen with later sessions.'),
      el('li', {}, 'Tell the nurse at once if you feel very unwell, have chest pain or a severe headache.')),
    el('h3', {}, 'Afterwards'),
    el('ul', {},
      el('li', {}, 'Rest for the rest of the day. Do not drink alcohol that day.'),
      el('li', {}, 'No driving until the next day after sleep.'),
      el('li', {}, 'If you have thoughts of harming yourself, call the clinic or emergency services straight away.')),
    sources(SRC.sanacora, SRC.singh, SRC.su, SRC.szarmach, SRC.riva));
}

function esketamineHandout() {
  return el('article', { class: 'doc card', 'aria-labelledby': 'h-esk' },
    el('h2', { id: 'h-esk' }, 'Esketamine nasal spray (SPRAVATO): what to know'),
    el('h3', {}, 'Before you come'),
    el('ul', {},
      el('li', {}, 'Do not eat for 2 hours and do not drink for 30 minutes before your dose.'),
      el('li', {}, 'If you use a steroid or decongestant nose spray, use it at least 1 hour before.'),
      el('li', {}, 'Arrange a ride home: no driving or using machines until the next day after a restful sleep.')),
    el('h3', {}, 'What to expect'),
    el('ul', {},
      el('li', {}, 'You spray the medicine yourself under supervision, with a 5-minute rest between devices.'),
      el('li', {}, 'Your blood pressure is checked before the dose and about 40 minutes after.'),
      el('li', {}, 'You stay at the clinic for at least 2 hours after the dose, and a clinician checks you are ready before you leave.')),
    el('h3', {}, 'Common side effects'),
    el('ul', {},
      el('li', {}, 'Feeling detached or “spaced out”, dizziness or a spinning feeling, feeling sick, sleepiness, a rise in blood pressure.'),
      el('li', {}, 'In a large trial, about 1 in 4 felt detached and about 3 in 10 felt sick. These usually pass on the same day.')),
    el('h3', {}, 'Afterwards'),
    el('ul', {},
      el('li', {}, 'Go home with your escort and rest. No driving until the next day after sleep.'),
      el('li', {}, 'Keep taking your usual antidepressant unless told otherwise.'),
      el('li', {}, 'If you have thoughts of harming yourself, call the clinic or emergency services straight away.')),
    sources(SRC.spravato, SRC.rems, SRC.transform));
}

export async function handoutsPage() {
  setMain(el('h1', {}, 'Patient hand-outs'),
    el('p', { class: 'no-print' }, 'Plain-language information to give to patients. Print and hand over before the first session.'),
    printBtn(), ivHandout(), esketamineHandout());
}

async function nextAppointment(patientId, after) {
  const from = toUtcIso(new Date(Math.max(Date.now(), Date.parse(after) || 0) + 60000));
  const to = toUtcIso(new Date(Date.now() + 31 * 86400000));
  const r = await api('GET', `/api/v1/today?from=${enc(from)}&to=${enc(to)}`);
  if (!r.ok) return null;
  const row = r.data.appointments.find((a) => a.patient.id === patientId && a.appointment.state !== 'cancelled');
  return row ? row.appointment : null;
}

export async function dischargeSheetPage(sessionId) {
  const sr = await api('GET', `/api/v1/sessions/${enc(sessionId)}`);
  if (!sr.ok) { setMain(el('h1', {}, 'Discharge sheet'), el('p', { class: 'form-error' }, errText(sr))); return; }
  const s = sr.data;
  // The clinic's phone from its directory listing (public once published; the admin sees it unpublished too).
  const [pr, lr, dr] = await Promise.all([api('GET', `/api/v1/patients/${enc(s.patient_id)}`),
    state.me.role === 'admin' ? api('GET', '/api/v1/directory/mine') : Promise.resolve({ ok: false }),
    api('GET', '/api/v1/directory')]);
  const listed = dr.ok ? dr.data.clinics.find((c) => c.clinic_id === state.me.clinic_id) : null;
  const p = pr.ok ? pr.data : { id: s.patient_id };
  const next = await nextAppointment(s.patient_id, s.started_at);
  const proto = state.guideline.protocols.find((x) => x.id === s.protocol_id) || { name: s.protocol_id, route: 'iv' };
  const contact = input({ value: (lr.ok && lr.data.contact) || (listed && listed.contact) || '', placeholder: 'clinic phone number' });
  const contactOut = el('span', { id: 'sheet-contact' }, contact.value || '________________');
  contact.addEventListener('input', () => { contactOut.textContent = contact.value || '________________'; });
  const name = p.identity ? `${p.identity.given_name} ${p.identity.family_name}` : `Patient ${p.id}`;
  setMain(
    el('div', { class: 'no-print card' }, field('sheet', 'contact', 'Clinic phone to print on the sheet', contact), printBtn()),
    el('article', { class: 'doc', 'aria-labelledby': 'ds-h', id: 'discharge-sheet' },
      el('h1', { id: 'ds-h' }, 'Going home after your treatment'),
      el('dl', { class: 'kv' },
        el('dt', {}, 'Name'), el('dd', {}, name),
        el('dt', {}, 'Treatment'), el('dd', {}, `${proto.name || s.protocol_id}, ${localTime(s.started_at)}`)),
      el('h2', {}, 'Today'),
      el('ul', {},
        el('li', {}, el('strong', {}, 'Ride home: '), 'an adult must take you home. Do not take the wheel, cycle or travel alone.'),
        el('li', {}, el('strong', {}, 'No driving '), 'or using machines until the next day, after a night’s sleep.'),
        el('li', {}, 'Rest for the rest of the day. No alcohol today.'),
        el('li', {}, 'Feeling detached, dizzy or sick can happen and usually passes within a few hours.')),
      el('h2', {}, 'Whom to call'),
      el('ul', {},
        el('li', {}, 'Questions or side effects that worry you: the clinic on ', contactOut, '.'),
        el('li', {}, 'Chest pain, severe headache, trouble breathing, or thoughts of harming yourself: call emergency services now.')),
      el('h2', {}, 'Next appointment'),
      el('p', { id: 'sheet-next' }, next ? `${localDate(next.scheduled_at)}, ${localTime(next.scheduled_at, false)} — ${next.chair}` : 'To be booked: the clinic will call you.'),
      el('p', { class: 'sources' }, `Sources: ${proto.route === 'intranasal' ? SRC.spravato : SRC.sanacora} Printed ${localTime(new Date().toISOString())}.`)));
  announce('Discharge sheet ready to print');
}

export async function consentPrintPage(patientId, consentId) {
  const [pr, cr] = await Promise.all([api('GET', `/api/v1/patients/${enc(patientId)}`), api('GET', `/api/v1/patients/${enc(patientId)}/consents`)]);
  if (!pr.ok) { setMain(el('h1', {}, 'Consent form'), el('p', { class: 'form-error' }, errText(pr))); return; }
  const p = pr.data;
  const c = cr.ok ? cr.data.consents.find((x) => x.id === consentId) : null;
  const proto = state.guideline.protocols.find((x) => x.id === (c ? c.protocol_id : '')) || null;
  const usual = (pt) => {
    if (!pt) return 'the protocol named by your clinician';
    const mode = pt.mode || pt.dose_mode;
    const v = pt.dose_value ?? pt.dose;
    if (mode === 'mg_per_kg' && v !== undefined) return `${fmt(v, 2)} mg per kg of body weight${pt.duration_min ? ` over ${fmt(pt.duration_min, 0)} minutes` : ''}`;
    if (v !== undefined) return `${fmt(v, 0)} mg`;
    return pt.name || pt.id;
  };
  const name = p.identity ? `${p.identity.given_name} ${p.identity.family_name}` : `Patient ${p.id}`;
  setMain(printBtn(),
    el('article', { class: 'doc', 'aria-labelledby': 'cf-h', id: 'consent-form' },
      el('h1', { id: 'cf-h' }, 'Consent to ketamine treatment'),
      el('dl', { class: 'kv' },
        el('dt', {}, 'Patient'), el('dd', {}, `${name}${p.identity?.mrn ? `, MRN ${p.identity.mrn}` : ''}`),
        el('dt', {}, 'Treatment'), el('dd', { id: 'consent-protocol' }, proto ? proto.name || proto.id : '________________'),
        el('dt', {}, 'Usual dose'), el('dd', { id: 'consent-dose' }, usual(proto)),
        el('dt', {}, 'Form version'), el('dd', {}, c ? c.form_version : '________')),
      el('p', {}, 'Most published results for depression used 0.5 mg/kg of ketamine given over 40 minutes; the authors of the US consensus statement asked that patients be told this when they consent (Sanacora et al., JAMA Psychiatry 2017).'),
      el('p', {}, 'I have been told what to expect, the common side effects (feeling detached, dizziness, feeling sick, a rise in blood pressure), that I must not drive until the next day after sleep, and that an adult must take me home. I can stop treatment at any time.'),
      el('p', { class: 'sign-line' }, `Patient signature — date ${c ? c.signed_on : ''}`),
      el('p', { class: 'sign-line' }, `Witness${c ? `: ${c.witness}` : ''}`),
      el('p', { class: 'sign-line' }, 'Clinician')));
}

export async function directoryPage() {
  const box = el('div', { id: 'directory-results' });
  const region = input({ type: 'search', placeholder: 'e.g. Bavaria' });
  const load = async () => {
    const r = await api('GET', `/api/v1/directory${region.value.trim() ? `?region=${enc(region.value.trim())}` : ''}`);
    if (!r.ok) { put(box, el('p', { class: 'form-error' }, errText(r))); return; }
    const words = { iv: 'IV ketamine', intranasal: 'esketamine nasal spray' };
    put(box, r.data.clinics.length ? el('ul', {}, r.data.clinics.map((c) => el('li', { class: 'card' },
      el('h2', {}, c.name), el('p', {}, [c.city, c.region].filter(Boolean).join(', ')),
      el('p', {}, 'Offers: ', c.routes.map((x) => words[x] || x).join(', ') || '—'),
      el('p', {}, 'Contact: ', c.contact))))
      : el('p', {}, 'No clinic listed for this region.'));
    announce(`${r.data.clinics.length} clinics`);
  };
  const form = el('form', { class: 'actions', 'aria-label': 'Search clinics by region' },
    field('dir', 'region', 'Region', region), el('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  setMain(el('h1', {}, 'Find a ketamine clinic'),
    el('p', {}, 'Clinics that chose to be listed. This page needs no log-in and shows no patient information.'),
    form, box, el('p', {}, el('a', { href: '#/login' }, 'Staff log-in')));
  await load();
}
