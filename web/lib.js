// Shared helpers of the kira web UI: DOM building (text only, never
// innerHTML), the API client, forms with errors next to their fields, local
// time with its zone, and rendering of the decisions the API made. Nothing
// here computes a clinical decision.

export const state = { me: null, csrf: '', guideline: null, timers: [] };

export function el(tag, attrs = {}, ...children) {
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
export const main = () => document.getElementById('main');
export const put = (node, ...kids) => node.replaceChildren(...kids.flat().filter((n) => n !== null && n !== undefined && n !== false));
export const setMain = (...nodes) => put(main(), ...nodes);
export const announce = (msg) => { document.getElementById('status').textContent = msg; };
export const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(Number(x))) ? '—' : Number(x).toFixed(d).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
export const num = (v) => (v === '' || v === undefined || v === null ? undefined : Number(v));
export const errText = (r) => r?.data?.error?.message || `request failed (${r.status})`;

// ---- Time: stored and sent in UTC, shown and typed in local time with the zone ----
export const zoneName = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
const pad = (n) => String(n).padStart(2, '0');
export const toUtcIso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
export const nowIso = () => toUtcIso(new Date());
// "2026-11-30 14:05 CET"
export function localTime(iso, withDate = true) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const opts = withDate ? { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }
                        : { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  return d.toLocaleString('en-GB', opts);
}
export const localDate = (iso) => (iso ? new Date(iso).toLocaleDateString('en-GB', { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }) : '—');
// Value for <input type="datetime-local"> from an instant.
export const localInputValue = (d = new Date()) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
// UTC ISO from a datetime-local value (interpreted in the browser's zone); '' when empty.
export function fromLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? 'invalid' : toUtcIso(d);
}
export const todayLocal = () => { const d = new Date(); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; };
export function localDayRange(day) {
  const [y, m, dd] = day.split('-').map(Number);
  const from = new Date(y, m - 1, dd);
  const to = new Date(y, m - 1, dd + 1);
  return [toUtcIso(from), toUtcIso(to)];
}
export const timeInput = (attrs = {}) => el('input', { type: 'datetime-local', ...attrs });

// ---- API ----
export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) { try { data = await res.json(); } catch (_) { data = null; } } else { data = await res.text(); }
  if (res.status === 401 && path !== '/api/v1/login' && state.onUnauthenticated) state.onUnauthenticated();
  return { ok: res.ok, status: res.status, data };
}

// ---- Forms ----
export function field(form, name, label, input, hint) {
  const id = `${form}-${name.replace(/[^a-z0-9]/gi, '_')}`;
  input.id = id;
  input.name = name;
  input.dataset.field = name;
  const hintId = hint ? `${id}-hint` : null;
  input.setAttribute('aria-describedby', [`${id}-err`, hintId].filter(Boolean).join(' '));
  return el('div', { class: 'field' }, el('label', { for: id }, label), input,
            hint ? el('span', { class: 'muted', id: hintId }, hint) : null,
            el('p', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' }));
}
export const input = (attrs = {}) => el('input', { type: 'text', ...attrs });
export function select(options, attrs = {}) {
  return el('select', attrs, options.map(([v, t]) => el('option', { value: v }, t)));
}
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((p) => { p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  form.querySelectorAll('.form-error').forEach((p) => { p.textContent = ''; });
}
export function showError(form, data, fieldMap = {}) {
  const err = (data && data.error) || { message: typeof data === 'string' && data ? data : 'request failed' };
  const path = err.field || '';
  let target = null;
  for (const cand of [fieldMap[path], path, path.replace(/^patient\./, ''), path.split('.')[0]]) {
    if (!cand) continue;
    target = form.querySelector(`[data-field="${CSS.escape(cand)}"]`);
    if (target) break;
  }
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    const p = document.getElementById(`${target.id}-err`);
    if (p) p.textContent = err.message;
    target.focus();
  } else {
    const fe = form.querySelector('.form-error');
    if (fe) fe.textContent = err.message;
  }
  announce(err.message);
}
export const formError = () => el('p', { class: 'form-error', role: 'alert' });
export const val = (form, n) => { const e = form.querySelector(`[data-field="${n}"]`); return e ? e.value.trim() : ''; };

// ---- Words a clinician uses for what the decision record carries ----
const SOURCE_WORDS = {
  V: 'Primary source (label, guideline or trial)', verified: 'Primary source (label, guideline or trial)',
  S: 'Secondary source', secondary: 'Secondary source',
  U: 'Clinic setting — confirm locally', unverified: 'Clinic setting — confirm locally',
};
export const sourceWords = (e) => SOURCE_WORDS[e] || (e ? String(e) : '—');
const SEVERITY_WORDS = { info: 'Information', caution: 'Caution', soft_stop: 'Soft limit', hard_stop: 'Hard stop' };
export const severityWords = (s) => SEVERITY_WORDS[s] || s;
// The guideline's own letter grade; its definition table was not retrieved, so no gloss is invented.
export const gradeWords = (g) => (g ? `Grade ${g}` : '—');
export const certaintyWords = (c) => (c ? `${String(c).replaceAll('_', ' ')} certainty`.replace('certainty certainty', 'certainty') : '—');
const UNIT_WORDS = { 'mm[Hg]': 'mmHg', '/min': '/min', '%': '%', 'kg': 'kg', 'cm': 'cm' };
export const unitWords = (u) => UNIT_WORDS[u] ?? u ?? '';
const VITAL_WORDS = { sbp: 'Systolic BP', dbp: 'Diastolic BP', hr: 'Heart rate', spo2: 'SpO₂', rr: 'Breathing rate' };
export const vitalWords = (k) => VITAL_WORDS[k] || k;
const OUTCOME_WORDS = { ok: 'OK', hard_stop: 'HARD STOP', soft_limit: 'SOFT LIMIT', ok_with_override: 'OK WITH OVERRIDE',
  eligible: 'ELIGIBLE', eligible_with_cautions: 'ELIGIBLE WITH CAUTIONS', not_eligible: 'NOT ELIGIBLE', ready: 'READY',
  not_ready: 'NOT READY', checked_in: 'CHECKED IN', screening_valid: 'SCREENING VALID', booked: 'BOOKED',
  dosing: 'DOSING', monitoring: 'MONITORING', discharged: 'DISCHARGED', cancelled: 'CANCELLED' };
export function outcomeBadge(outcome) {
  const o = String(outcome || 'unknown');
  return el('span', { class: `outcome out-${o}` }, OUTCOME_WORDS[o] || o.replaceAll('_', ' ').toUpperCase());
}
// Why a session was not recorded, in words (the findings follow in the decision view).
export function refusalWords(decision) {
  return decision?.outcome === 'soft_limit'
    ? 'beyond a soft limit of the Advisor; record it with an override reason, or change the dose (findings below).'
    : 'a hard stop of the Advisor, which cannot be overridden (findings below).';
}
export function findingsTable(findings) {
  if (!findings || !findings.length) return el('p', { class: 'muted' }, 'No findings.');
  return el('table', { class: 'stack' },
    el('caption', { class: 'visually-hidden' }, 'Findings'),
    el('thead', {}, el('tr', {}, ['Severity', 'Finding', 'Grade', 'Certainty', 'Source', 'Citation']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, findings.map((f) => el('tr', { 'data-rule': f.rule_id },
      el('td', { 'data-label': 'Severity' }, el('span', { class: `badge sev-${f.severity}` }, severityWords(f.severity))),
      el('td', { 'data-label': 'Finding' }, f.message),
      el('td', { 'data-label': 'Grade' }, gradeWords(f.grade)),
      el('td', { 'data-label': 'Certainty' }, certaintyWords(f.certainty)),
      el('td', { 'data-label': 'Source' }, sourceWords(f.evidence)),
      el('td', { 'data-label': 'Citation' }, f.citation || '—')))));
}
export function decisionView(d) {
  return el('div', { class: 'decision' },
    el('p', {}, 'Decision: ', outcomeBadge(d.outcome),
       d.guideline ? el('span', { class: 'muted' }, `  guideline ${d.guideline.id} ${d.guideline.version}`) : null),
    d.override ? el('p', { class: 'note' }, `Soft limit overridden by ${d.override.who} at ${localTime(d.override.when)}: “${d.override.reason}”`) : null,
    findingsTable(d.findings));
}
export function table(caption, headers, rows, attrs = {}) {
  return el('table', { class: 'stack', ...attrs },
    el('caption', { class: attrs.captionVisible ? '' : 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((cells) => {
      const tr = cells instanceof Node ? cells : el('tr', {}, cells.map((c, i) => el('td', { 'data-label': headers[i] }, c)));
      return tr;
    })));
}
export function download(name, text, type = 'text/csv') {
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a); a.click(); a.remove();
}
export function csvCell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
