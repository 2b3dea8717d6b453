// The session at the chair: readings entered as a set (blood pressure as a
// pair), corrected or voided with a reason (never deleted), the minimum
// observation countdown, adverse events with the rescue plan from the
// stored screening, ending the dose, the monitor, and discharge recorded
// only when the Advisor says ready.
import uPlot from '/assets/uPlot.esm.js';
import { put, state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val, num,
         fmt, outcomeBadge, decisionView, findingsTable, localTime, timeInput, localInputValue, fromLocalInput, zoneName,
         vitalWords, unitWords, table, toUtcIso, refusalWords } from './lib.js';
import { showOpenAlerts } from './alerts.js';

const enc = encodeURIComponent;
const careTeam = () => ['clinician', 'nurse'].includes(state.me.role);

export async function sessionPage(id) {
  const r = await api('GET', `/api/v1/sessions/${enc(id)}`);
  if (!r.ok) { setMain(el('h1', {}, 'Session'), el('p', { class: 'form-error' }, errText(r))); return; }
  const s = r.data;
  const proto = state.guideline.protocols.find((x) => x.id === s.protocol_id) || { name: s.protocol_id, route: 'iv' };
  const esketamine = proto.route === 'intranasal';
  const [fr, pr] = await Promise.all([api('GET', `/api/v1/patients/${enc(s.patient_id)}/facts`), api('GET', `/api/v1/patients/${enc(s.patient_id)}`)]);
  const facts = fr.ok ? fr.data.facts : null;
  const screening = fr.ok ? fr.data.screening : null;
  const patient = pr.ok ? pr.data : { id: s.patient_id };
  const appt = await appointmentOf(s);

  const chart = el('div', { class: 'chart', id: 'vitals-chart' });
  const vitalsBody = el('div', { id: 'vitals-table' });
  const aeBody = el('div', { id: 'ae-table' });
  const countdown = el('div', { id: 'observation', class: 'card', 'aria-live': 'off' });

  async function refresh() {
    const [sx, am] = await Promise.all([api('GET', `/api/v1/sessions/${enc(id)}`), api('GET', `/api/v1/sessions/${enc(id)}/vital-amendments`)]);
    if (sx.ok) fill(sx.data, am.ok ? am.data.amendments : []);
  }
  function fill(sx, amendments) {
    const byVital = Object.fromEntries(amendments.map((a) => [a.vital_id, a]));
    const replacedBy = Object.fromEntries(amendments.filter((a) => a.replacement_id).map((a) => [a.replacement_id, a]));
    put(vitalsBody, sx.vitals.length ? el('table', { class: 'stack' },
      el('caption', { class: 'visually-hidden' }, 'Readings'),
      el('thead', {}, el('tr', {}, ['Time', 'Reading', 'Value', 'Status', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, sx.vitals.map((v) => {
        const a = byVital[v.id];
        const status = a ? `${a.kind === 'void' ? 'Voided' : 'Corrected'} by ${a.by} at ${localTime(a.at, false)}: “${a.reason}”`
                         : (replacedBy[v.id] ? `Correction of an earlier reading` : 'Counts');
        return el('tr', { class: a ? 'voided' : '', 'data-vital': v.id },
          el('td', { 'data-label': 'Time' }, localTime(v.at, false)),
          el('td', { 'data-label': 'Reading' }, vitalWords(v.kind)),
          el('td', { 'data-label': 'Value' }, `${fmt(v.value)} ${unitWords(v.unit)}`),
          el('td', { 'data-label': 'Status', class: 'note-cell' }, status),
          el('td', { 'data-label': 'Change' }, !a && careTeam() ? amendControls(id, v, refresh) : ''));
      }))) : el('p', { class: 'muted' }, 'No readings yet.'));
    put(aeBody, sx.adverse_events.length ? table('Adverse events', ['Time', 'Event', 'Severity', 'Rescue given'],
      sx.adverse_events.map((e) => [localTime(e.at, false), e.type, e.severity.replaceAll('_', '-'), e.rescue_given || '—'])) : el('p', { class: 'muted' }, 'None recorded.'));
    const counting = sx.vitals.filter((v) => !byVital[v.id]);
    drawVitals(chart, counting);
  }

  const rp = screening && screening.rescue_plan;
  setMain(
    el('h1', {}, `Session ${s.id}`),
    el('p', {}, el('a', { href: `#/patient/${enc(s.patient_id)}` }, `← ${patient.identity ? `${patient.identity.given_name} ${patient.identity.family_name}` : `patient ${s.patient_id}`}`),
      esketamine ? [' · ', el('a', { href: `#/rems/${enc(s.id)}` }, 'REMS Patient Monitoring Form')] : null),
    el('dl', { class: 'kv' },
      el('dt', {}, 'Protocol'), el('dd', {}, proto.name || s.protocol_id),
      el('dt', {}, 'Dose'), el('dd', {}, `${fmt(s.given_dose_mg ?? s.planned_dose_mg)} mg` + (s.rate_ml_per_h ? ` at ${fmt(s.concentration_mg_per_ml)} mg/mL, ${fmt(s.rate_ml_per_h)} mL/h` : esketamine ? ' by nasal spray' : '')),
      el('dt', {}, 'Started'), el('dd', {}, localTime(s.started_at)),
      el('dt', {}, 'Dose ended'), el('dd', {}, s.stopped_at ? localTime(s.stopped_at) : 'not yet'),
      el('dt', {}, 'State'), el('dd', { id: 'session-state' }, s.state),
      el('dt', {}, 'Decision at recording'), el('dd', {}, outcomeBadge(s.decision_outcome)),
      s.overrides.length ? [el('dt', {}, 'Soft limit overridden'), el('dd', {}, s.overrides.map((o) => `${o.who}: “${o.reason}”`).join('; '))] : null,
      el('dt', {}, 'Baseline (recorded facts)'), el('dd', { id: 'baseline' }, baselineText(facts))),
    countdown,
    el('h2', {}, 'Readings'), chart,
    careTeam() ? vitalSetForm(id, refresh) : null,
    vitalsBody,
    el('h2', {}, 'Adverse events and rescue'),
    el('p', { id: 'rescue-advice', class: 'note' }, rp
      ? `Rescue plan from this patient's screening (${localTime(screening.screened_at)}): ${rp.preferred || 'none named'}` +
        ((rp.avoid || []).length ? `; avoid ${rp.avoid.join(', ')}` : '') + '. Never an antipsychotic as rescue.'
      : 'No stored screening: screen the patient on the patient page to see the rescue plan.'),
    careTeam() ? aeForm(id, refresh) : null,
    aeBody,
    state.me.role === 'clinician' && ['running', 'planned', 'paused', 'pre_checked'].includes(s.state) ? finishForm(s, esketamine) : null,
    el('h2', {}, 'Monitoring and discharge'),
    careTeam() ? monitorForms(s, appt, screening) : null);
  await refresh();
  await startCountdown(countdown, s);
  await showOpenAlerts(s.patient_id);
  state.timers.push(setInterval(refresh, 10000));
}

function baselineText(f) {
  const b = f && f.baseline_vitals;
  if (!b || Object.values(b).every((x) => x === null)) return 'none recorded — record baseline vitals with the clinical facts';
  const part = (label, v, unit) => (v === null || v === undefined ? null : `${label} ${fmt(v)}${unit}`);
  return [b.sbp_mmhg !== null && b.dbp_mmhg !== null ? `BP ${fmt(b.sbp_mmhg)}/${fmt(b.dbp_mmhg)} mmHg` : null,
          part('heart rate', b.hr_bpm, '/min'), part('SpO₂', b.spo2_pct, ' %'), part('breathing', b.rr_per_min, '/min')].filter(Boolean).join(', ');
}

// The appointment this session belongs to: the one linked to it, else the
// patient's unlinked appointment nearest its start. Looked up from the day
// before to the day after, so a session begun before midnight still finds
// the appointment booked on the next calendar day (or in another time zone).
async function appointmentOf(s) {
  const day = new Date(s.started_at);
  const from = toUtcIso(new Date(day.getFullYear(), day.getMonth(), day.getDate() - 1));
  const to = toUtcIso(new Date(day.getFullYear(), day.getMonth(), day.getDate() + 2));
  const r = await api('GET', `/api/v1/today?from=${enc(from)}&to=${enc(to)}`);
  if (!r.ok) return null;
  const mine = r.data.appointments.filter((a) => a.patient.id === s.patient_id);
  const linked = mine.find((a) => a.session && a.session.id === s.id);
  if (linked) return linked.appointment;
  const t = day.getTime();
  const free = mine.filter((a) => !a.session)
    .sort((a, b) => Math.abs(new Date(a.appointment.scheduled_at).getTime() - t) - Math.abs(new Date(b.appointment.scheduled_at).getTime() - t));
  return free.length ? free[0].appointment : null;
}

// ---- Minimum observation countdown (the setting and its end come from the API) ----
async function startCountdown(box, s) {
  const r = await api('GET', `/api/v1/sessions/${enc(s.id)}/observation`);
  if (!r.ok) { put(box, el('p', { class: 'form-error' }, errText(r))); return; }
  const o = r.data;
  const head = el('h2', { id: 'obs-h' }, 'Minimum observation');
  if (o.minimum_min === null) { put(box, head, el('p', { class: 'form-error' }, 'The clinic has not set a minimum observation time; discharge will be refused until it does.')); return; }
  if (!o.ends_at) { put(box, head, el('p', {}, `${fmt(o.minimum_min, 0)} minutes from the ${o.counts_from}; the countdown starts when the dose ends.`)); return; }
  const end = Date.parse(o.ends_at);
  const line = el('p', { class: 'countdown', id: 'countdown' });
  const tick = () => {
    const left = Math.ceil((end - Date.now()) / 60000);
    line.textContent = left > 0 ? `${left} min left — ends ${localTime(o.ends_at, false)}` : `Minimum observation complete (ended ${localTime(o.ends_at, false)})`;
  };
  tick();
  put(box, head, line, el('p', { class: 'muted' }, `${fmt(o.minimum_min, 0)} minutes from the ${o.counts_from}. Source: ${o.source}${o.confirm_locally ? ' (clinic setting — confirm locally)' : ''}.`));
  state.timers.push(setInterval(tick, 15000));
}

// ---- Readings ----
function vitalSetForm(id, refresh) {
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'v-h' },
    el('h3', { id: 'v-h' }, 'Enter readings'),
    el('fieldset', {}, el('legend', {}, 'Blood pressure (both values, mmHg)'),
      el('div', { class: 'fields' },
        field('v', 'sbp', 'Systolic', input({ inputmode: 'decimal' })),
        field('v', 'dbp', 'Diastolic', input({ inputmode: 'decimal' })))),
    el('div', { class: 'fields' },
      field('v', 'hr', 'Heart rate (/min)', input({ inputmode: 'decimal' })),
      field('v', 'spo2', 'SpO₂ (%)', input({ inputmode: 'decimal' })),
      field('v', 'rr', 'Breathing rate (/min)', input({ inputmode: 'decimal' })),
      field('v', 'at', `Taken at (${zoneName()})`, timeInput({ value: localInputValue() }), 'leave as is for now')),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save readings')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const body = { at: fromLocalInput(val(form, 'at')) || toUtcIso(new Date()) };
    if (body.at === 'invalid') return showError(form, { error: { field: 'at', message: 'at: not a valid time' } });
    for (const k of ['sbp', 'dbp', 'hr', 'spo2', 'rr']) if (val(form, k)) body[k] = num(val(form, k));
    const r = await api('POST', `/api/v1/sessions/${enc(id)}/vital-set`, body);
    if (!r.ok) return showError(form, r.data);
    for (const k of ['sbp', 'dbp', 'hr', 'spo2', 'rr']) form.querySelector(`[data-field="${k}"]`).value = '';
    form.querySelector('[data-field="at"]').value = localInputValue();
    announce(`Saved ${r.data.vitals.map((v) => `${vitalWords(v.kind)} ${v.value}`).join(', ')}`);
    await refresh();
  });
  return form;
}

function amendControls(sessionId, v, refresh) {
  const box = el('div', {});
  const open = (kind) => {
    const f = el('form', { class: 'amend', novalidate: true, 'aria-label': `${kind === 'void' ? 'Void' : 'Correct'} ${vitalWords(v.kind)} reading` },
      kind === 'correct' ? field(`c-${v.id}`, 'value', `Correct value (${unitWords(v.unit)})`, input({ inputmode: 'decimal', value: String(v.value) })) : null,
      field(`c-${v.id}`, 'reason', 'Reason', input()),
      formError(),
      el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'small' }, kind === 'void' ? 'Void reading' : 'Save correction'),
        el('button', { type: 'button', class: 'small secondary', onclick: () => put(box, ...buttons()) }, 'Cancel')));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault(); clearErrors(f);
      const body = { reason: val(f, 'reason') };
      if (kind === 'correct') body.value = num(val(f, 'value'));
      const r = await api('POST', `/api/v1/sessions/${enc(sessionId)}/vitals/${enc(v.id)}/${kind}`, body);
      if (!r.ok) return showError(f, r.data);
      announce(kind === 'void' ? 'Reading voided' : 'Reading corrected');
      await refresh();
    });
    put(box, f);
    f.querySelector('input').focus();
  };
  const buttons = () => [el('button', { type: 'button', class: 'small secondary', onclick: () => open('correct') }, 'Correct'),
                         ' ', el('button', { type: 'button', class: 'small secondary', onclick: () => open('void') }, 'Void')];
  box.append(...buttons());
  return box;
}

function drawVitals(chart, vitals) {
  const kinds = ['sbp', 'dbp', 'hr', 'spo2'];
  const colors = { sbp: '#b3141f', dbp: '#a9440a', hr: '#0b5cad', spo2: '#1a7f37' };
  const times = [...new Set(vitals.map((v) => Date.parse(v.at) / 1000))].sort((a, b) => a - b);
  if (!times.length) { put(chart, el('p', { class: 'muted' }, 'No readings yet.')); return; }
  const series = kinds.map((k) => ({ label: vitalWords(k), color: colors[k],
    values: times.map((t) => { const v = vitals.find((x) => x.kind === k && Date.parse(x.at) / 1000 === t); return v ? v.value : null; }) }));
  chart.replaceChildren();
  const width = Math.max(280, Math.min(1100, chart.clientWidth || 800));
  // eslint-disable-next-line no-new
  new uPlot({ title: 'Readings', width, height: 280, scales: { x: { time: true } },
              series: [{}].concat(series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))),
              axes: [{}, { label: 'mmHg · /min · %' }] }, [times].concat(series.map((s) => s.values)), chart);
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', `Readings over time, ${vitals.length} values`);
}

// ---- Adverse events ----
function aeForm(id, refresh) {
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'ae-h' },
    el('h3', { id: 'ae-h' }, 'Record an adverse event'),
    el('div', { class: 'fields' },
      field('ae', 'type', 'Event', select([['agitation', 'agitation'], ['anxiety', 'anxiety'], ['hallucinations', 'hallucinations'], ['dissociation', 'dissociation'], ['nausea', 'nausea'], ['hypertension', 'high blood pressure'], ['other', 'other']])),
      field('ae', 'severity', 'Severity', select([['mild', 'mild'], ['moderate', 'moderate'], ['severe', 'severe'], ['life_threatening', 'life-threatening']])),
      field('ae', 'rescue_given', 'Rescue given', input({ placeholder: 'e.g. lorazepam 1 mg' })),
      field('ae', 'at', `When (${zoneName()})`, timeInput({ value: localInputValue() }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Record event')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const r = await api('POST', `/api/v1/sessions/${enc(id)}/adverse-events`,
      { type: val(form, 'type'), severity: val(form, 'severity'), rescue_given: val(form, 'rescue_given'), at: fromLocalInput(val(form, 'at')) || toUtcIso(new Date()) });
    if (!r.ok) return showError(form, r.data);
    announce(`Recorded ${r.data.type}`);
    await refresh();
  });
  return form;
}

// ---- End of the dose ----
// A nasal spray is given as devices (28 mg each, per the label): its dose
// ends with the last device, not when a pump stops.
function finishForm(s, nasal) {
  const out = el('div', { id: 'finish-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'fin-h' },
    el('h2', { id: 'fin-h' }, 'End the dose'),
    el('div', { class: 'fields' },
      field('fin', 'given_dose_mg', nasal ? 'Dose given (mg, all devices)' : 'Dose given (mg)', input({ inputmode: 'decimal', value: String(s.given_dose_mg ?? s.planned_dose_mg) })),
      field('fin', 'stopped_at', `${nasal ? 'Last device given at' : 'Dose ended at'} (${zoneName()})`, timeInput({ value: localInputValue() })),
      field('fin', 'state', 'Outcome', select([['completed', 'completed'], ['stopped', 'stopped early']])),
      field('fin', 'override_reason', 'Reason to override a soft limit (if the dose given passes one)', input())),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'End dose')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    out.replaceChildren();
    const body = { given_dose_mg: num(val(form, 'given_dose_mg')), stopped_at: fromLocalInput(val(form, 'stopped_at')) || toUtcIso(new Date()), state: val(form, 'state') };
    if (val(form, 'override_reason')) body.override_reason = val(form, 'override_reason');
    const r = await api('POST', `/api/v1/sessions/${enc(s.id)}/finish`, body);
    if (!r.ok) return showError(form, r.data);
    if (!r.data.stored) { put(out, el('p', { class: 'form-error' }, `Not recorded: ${refusalWords(r.data.decision)}`), decisionView(r.data.decision)); return; }
    announce(`Session ${r.data.session.state}`);
    await state.route();
  });
  return form;
}

// ---- Monitoring and discharge ----
const ATTESTATIONS = [['vitals_near_baseline', 'Readings back near baseline'], ['dissociation_resolved', 'Dissociation resolved'],
  ['oriented', 'Oriented'], ['responsible_adult', 'Responsible adult present to take the patient home'], ['no_driving_advised', 'Told not to drive until the next day after sleep'],
  ['next_visit_booked', 'Next visit booked'], ['readiness_assessed', 'Readiness to leave assessed']];

function monitorForms(s, appt, screening) {
  const sid = enc(s.id);
  const mout = el('div', { id: 'monitor-result', 'aria-live': 'polite' });
  const dout = el('div', { id: 'discharge-result', 'aria-live': 'polite' });
  const check = (name, label) => el('label', {}, el('input', { type: 'checkbox', 'data-field': name }), ' ', label);
  const rescueOpts = [['midazolam', 'midazolam'], ['lorazepam', 'lorazepam'], ['clonidine', 'clonidine']];
  const form = el('form', { class: 'card', novalidate: true, 'aria-label': 'Monitoring' },
    el('fieldset', {}, el('legend', {}, 'Before the session'), el('div', { class: 'checks' },
      check('precheck.resuscitation_staff_present', 'Resuscitation-trained staff present'),
      check('precheck.resuscitation_equipment_present', 'Resuscitation equipment present'),
      check('precheck.pulse_oximeter_present', 'Pulse oximeter on'))),
    el('div', { class: 'fields' },
      field('m', 'precheck.rescue_plan', 'Rescue medicine ready', select(rescueOpts),
        screening && screening.rescue_plan ? `Screening advises: ${screening.rescue_plan.preferred || '—'}` : null)),
    el('p', { class: 'muted' }, "The baseline is the patient's recorded one (see above); it is not typed here."),
    el('fieldset', {}, el('legend', {}, 'Discharge checklist'), el('div', { class: 'checks' },
      ATTESTATIONS.map(([id, label]) => check(`discharge.attestations.${id}`, label)))),
    formError(),
    el('div', { class: 'actions' },
      el('button', { type: 'submit' }, 'Run monitor'),
      el('button', { type: 'button', class: 'secondary', id: 'discharge-btn' }, appt ? 'Check and record discharge' : 'Check discharge')),
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
    mout.replaceChildren();
    const r = await api('POST', `/api/v1/sessions/${sid}/monitor`, body(false));
    if (!r.ok) return showError(form, r.data);
    const d = r.data;
    put(mout, 
      el('h3', {}, 'Before the session'), decisionView(d.gate),
      el('h3', {}, 'During the session'), el('p', {}, 'Most severe action: ', outcomeBadge(d.decision.outcome), ` · state ${d.final_state}`),
      table('Action per reading', ['Minute', 'Action', 'Value', 'Threshold', 'Citation'],
        d.observations.map((o) => [fmt(o.t_min, 0), o.action, o.value ?? '—', o.threshold ?? '—', o.citation || '—']), { captionVisible: true }),
      findingsTable(d.decision.findings),
      ...(d.rescues.length ? [el('h3', {}, 'Rescue advice'), ...d.rescues.map(decisionView)] : []));
    announce(`Monitor: ${d.decision.outcome}`);
  });
  form.querySelector('#discharge-btn').addEventListener('click', async () => {
    clearErrors(form);
    dout.replaceChildren();
    const path = appt ? `/api/v1/sessions/${sid}/discharge-record?appointment=${enc(appt.id)}` : `/api/v1/sessions/${sid}/discharge`;
    const r = await api('POST', path, body(true));
    if (!r.ok) return showError(form, r.data);
    const decision = appt ? r.data.decision : r.data;
    put(dout, el('h3', {}, 'Discharge'), decisionView(decision),
      appt && r.data.recorded ? el('p', { class: 'note', id: 'discharged' }, `Discharge recorded ${localTime(r.data.appointment.discharged_at)}. `,
        el('a', { href: `#/print/discharge/${sid}` }, 'Print the discharge sheet')) : null,
      !appt && decision.outcome === 'ready' ? el('p', {}, el('a', { href: `#/print/discharge/${sid}` }, 'Print the discharge sheet')) : null);
    announce(`Discharge: ${decision.outcome}`);
  });
  return form;
}
