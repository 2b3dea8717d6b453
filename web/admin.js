// Administration: users (create, disable/enable, reset password, change
// role, end sessions — the server's account routes), the audit viewer with
// filters and CSV export, and this clinic's public directory listing.
import { put, state, el, setMain, announce, api, errText, field, input, select, clearErrors, showError, formError, val,
         localTime, table, download, csvCell, todayLocal } from './lib.js';

const enc = encodeURIComponent;
const ROLES = [['clinician', 'clinician'], ['nurse', 'nurse'], ['pharmacist', 'pharmacist'], ['admin', 'administrator'],
               ['auditor', 'auditor'], ['researcher', 'researcher']];

export async function usersPage() {
  const r = await api('GET', '/api/v1/users');
  if (!r.ok) { setMain(el('h1', {}, 'Users'), el('p', { class: 'form-error' }, errText(r))); return; }
  const out = el('div', { id: 'user-result', 'aria-live': 'polite' });
  const act = async (u, path, body, msg) => {
    const x = await api('POST', `/api/v1/users/${enc(u.id)}/${path}`, body);
    if (!x.ok) { put(out, el('p', { class: 'form-error' }, errText(x))); announce(errText(x)); return; }
    announce(msg); await state.route(); document.getElementById('status').textContent = msg;
  };
  const rows = r.data.users.map((u) => {
    const role = select(ROLES, { 'aria-label': `Role of ${u.display_name}` });
    role.value = u.role;
    const pw = input({ type: 'password', 'aria-label': `Temporary password for ${u.display_name}`, autocomplete: 'new-password' });
    return [u.display_name, u.login || '—', u.role,
      u.disabled ? 'disabled' : (u.must_change_password ? 'must change password' : 'active') + (u.mfa_enrolled ? ', second factor on' : ''),
      el('div', { class: 'actions' },
        u.disabled ? el('button', { type: 'button', class: 'small', onclick: () => act(u, 'enable', {}, `${u.display_name} enabled`) }, 'Enable')
                   : el('button', { type: 'button', class: 'small danger', onclick: () => act(u, 'disable', {}, `${u.display_name} disabled`) }, 'Disable'),
        el('button', { type: 'button', class: 'small secondary', onclick: () => act(u, 'end-sessions', {}, `Sessions of ${u.display_name} ended`) }, 'End sessions'),
        role, el('button', { type: 'button', class: 'small secondary', onclick: () => act(u, 'role', { role: role.value }, `${u.display_name} is now ${role.value}`) }, 'Change role'),
        pw, el('button', { type: 'button', class: 'small secondary', onclick: () => act(u, 'reset-password', { new_password: pw.value }, `Password of ${u.display_name} reset`) }, 'Reset password'))];
  });
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'nu-h', id: 'new-user' },
    el('h2', { id: 'nu-h' }, 'Add a user'),
    el('div', { class: 'fields' },
      field('nu', 'display_name', 'Full name', input()),
      field('nu', 'login', 'Login', input({ autocomplete: 'off' })),
      field('nu', 'role', 'Role', select(ROLES)),
      field('nu', 'password', 'Temporary password', input({ type: 'password', autocomplete: 'new-password' }), 'at least the length the clinic requires; changed at first log-in'),
      field('nu', 'id', 'User id (optional)', input())),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Add user')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const login = val(form, 'login');
    const body = { id: val(form, 'id') || `u-${login.replace(/[^a-z0-9]/gi, '').toLowerCase()}`, display_name: val(form, 'display_name'),
                   role: val(form, 'role'), login, password: form.querySelector('[data-field="password"]').value };
    const x = await api('POST', '/api/v1/users', body);
    if (!x.ok) return showError(form, x.data);
    announce(`User ${login} added`);
    await state.route();
    document.getElementById('status').textContent = `User ${login} added`;
  });
  setMain(el('h1', {}, 'Users'), out,
    table('Users', ['Name', 'Login', 'Role', 'State', 'Actions'], rows, { id: 'users' }), form);
}

export async function auditPage() {
  const rows = [];
  let after = 0;
  for (let i = 0; i < 20; i++) {  // up to 20,000 rows per view
    const r = await api('GET', `/api/v1/audit?limit=1000&after=${after}`);
    if (!r.ok) { setMain(el('h1', {}, 'Audit log'), el('p', { class: 'form-error' }, errText(r))); return; }
    rows.push(...r.data.entries);
    if (r.data.next_after === null || r.data.next_after === undefined) break;
    after = r.data.next_after;
  }
  const out = el('div', { id: 'audit-rows' });
  const form = el('form', { class: 'card no-print', novalidate: true, 'aria-label': 'Filter the audit log' },
    el('div', { class: 'fields' },
      field('au', 'actor', 'Who (user id)', input()),
      field('au', 'patient', 'Patient or record id', input()),
      field('au', 'action', 'Action', select([['', 'any'], ...[...new Set(rows.map((x) => x.action))].sort().map((a) => [a, a])])),
      field('au', 'from', 'From date', input({ type: 'date' })),
      field('au', 'to', 'To date', input({ type: 'date', value: todayLocal() }))),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Filter'),
      el('button', { type: 'button', class: 'secondary', id: 'audit-export' }, 'Export CSV')));
  const filtered = () => {
    const v = (n) => val(form, n);
    return rows.filter((x) => (!v('actor') || x.actor.includes(v('actor')))
      && (!v('patient') || x.entity_id.includes(v('patient')) || x.after.includes(v('patient')))
      && (!v('action') || x.action === v('action'))
      && (!v('from') || new Date(x.at) >= new Date(`${v('from')}T00:00`))
      && (!v('to') || new Date(x.at) < new Date(new Date(`${v('to')}T00:00`).getTime() + 86400000)));
  };
  const show = () => {
    const f = filtered();
    const shown = f.slice(-500).reverse();
    put(out, el('p', {}, `${f.length} of ${rows.length} entries match${f.length > 500 ? '; the newest 500 are shown (export has all)' : ''}.`),
      table('Audit entries', ['#', 'When', 'Who', 'Action', 'Record', 'Change'],
        shown.map((x) => [x.seq, localTime(x.at), x.actor, x.action, `${x.entity.replaceAll('_', ' ')} ${x.entity_id}`,
          el('pre', { style: 'white-space: pre-wrap; margin: 0' }, x.before ? `${x.before}→\n${x.after}` : x.after)])));
    announce(`${f.length} audit entries`);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); show(); });
  form.querySelector('#audit-export').addEventListener('click', () => {
    const head = ['seq', 'at', 'actor', 'action', 'entity', 'entity_id', 'before', 'after', 'hash'];
    download('audit-log.csv', [head.join(',')].concat(filtered().map((x) => head.map((k) => csvCell(x[k])).join(','))).join('\r\n') + '\r\n');
  });
  setMain(el('h1', {}, 'Audit log'), form, out);
  show();
}

export async function listingPage() {
  const r = await api('GET', '/api/v1/directory/mine');
  if (!r.ok) { setMain(el('h1', {}, 'Directory listing'), el('p', { class: 'form-error' }, errText(r))); return; }
  const l = r.data;
  const routes = (state.guideline.routes || [{ id: 'iv' }, { id: 'intranasal' }]).map((x) => x.id || x);
  const words = { iv: 'IV ketamine', intranasal: 'esketamine nasal spray' };
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'ls-h' },
    el('h1', { id: 'ls-h' }, 'Public directory listing'),
    el('p', {}, 'What the public clinic directory shows about this clinic. It never shows patient data.'),
    el('div', { class: 'fields' },
      field('ls', 'name', 'Clinic name', input({ value: l.name })),
      field('ls', 'city', 'City', input({ value: l.city || '' })),
      field('ls', 'region', 'Region', input({ value: l.region || '' })),
      field('ls', 'contact', 'Contact (phone or e-mail)', input({ value: l.contact || '' }))),
    el('fieldset', {}, el('legend', {}, 'Treatments offered'), el('div', { class: 'checks' },
      routes.map((id) => el('label', {}, el('input', { type: 'checkbox', name: 'routes', value: id, checked: (l.routes || []).includes(id) }), ' ', words[id] || id)))),
    el('label', {}, el('input', { type: 'checkbox', id: 'published', checked: !!l.published }), ' Show this clinic in the public directory'),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Save listing')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const body = { name: val(form, 'name'), city: val(form, 'city'), region: val(form, 'region'), contact: val(form, 'contact'),
                   routes: [...form.querySelectorAll('input[name="routes"]:checked')].map((c) => c.value), published: form.querySelector('#published').checked };
    const x = await api('POST', '/api/v1/directory/mine', body);
    if (!x.ok) return showError(form, x.data);
    announce(x.data.published ? 'Listing published' : 'Listing saved (not published)');
  });
  setMain(form);
}
