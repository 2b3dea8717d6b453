// kira web UI: plain ES modules, no build step. Talks only to /api/v1 and
// shows what the API decided; it never computes a dose, a limit, an
// outcome threshold, a discharge readiness or a rescue choice itself.
import { put, state, el, setMain, announce, api, errText, main } from './lib.js';
import { refreshAlertBanner } from './alerts.js';
import { loginPage, passwordChangePage, totpEnrolPage } from './login.js';
import { patientsPage, patientPage } from './patient.js';
import { sessionPage } from './session.js';
import { todayPage } from './today.js';
import { ledgerPage } from './ledger.js';
import { remsTrackerPage, remsFormPage } from './rems.js';
import { usersPage, auditPage, listingPage } from './admin.js';
import { directoryPage, handoutsPage, dischargeSheetPage, consentPrintPage } from './docs.js';
import { dashboardPage } from './dashboard.js';
import { researchPage } from './research.js';

// Which pages each role may open (the API enforces the same; links a role
// may not use are never shown).
const LINKS = [
  ['#/today', 'Today', ['admin', 'clinician', 'nurse']],
  ['#/patients', 'Patients', ['admin', 'clinician', 'nurse']],
  ['#/rems', 'REMS forms', ['admin', 'clinician', 'nurse']],
  ['#/ledger', 'Controlled substances', ['admin', 'clinician', 'nurse', 'pharmacist']],
  ['#/handouts', 'Patient hand-outs', ['admin', 'clinician', 'nurse']],
  ['#/dashboard', 'Registry dashboard', ['admin', 'clinician', 'nurse', 'researcher', 'pharmacist']],
  ['#/research', 'Research dashboard', ['admin', 'researcher']],
  ['#/users', 'Users', ['admin']],
  ['#/audit', 'Audit log', ['admin', 'auditor']],
  ['#/listing', 'Directory listing', ['admin']],
];
const HOME = { admin: '#/today', clinician: '#/today', nurse: '#/today', pharmacist: '#/ledger', auditor: '#/audit', researcher: '#/research' };
const allowed = (hash) => {
  const base = hash.split('/').slice(0, 2).join('/');
  const entry = LINKS.find(([h]) => h === base);
  const extra = { '#/patient': ['admin', 'clinician', 'nurse'], '#/session': ['admin', 'clinician', 'nurse'],
                  '#/print': ['admin', 'clinician', 'nurse'] }[base];
  const roles = entry ? entry[2] : extra;
  return !roles || roles.includes(state.me.role);
};

function renderNav() {
  const nav = document.getElementById('nav');
  const links = document.getElementById('nav-links');
  put(links, ...LINKS.filter(([, , roles]) => roles.includes(state.me.role))
    .map(([href, text]) => el('a', { href }, text)));
  document.getElementById('who').textContent = `${state.me.display_name} · ${state.me.role} · ${state.me.clinic_id}`;
  nav.hidden = false;
  markCurrent();
}
function markCurrent() {
  const base = (location.hash || '').split('/').slice(0, 2).join('/');
  document.querySelectorAll('#nav-links a').forEach((a) => {
    if (a.getAttribute('href') === base) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
}

export function logOutView() {
  state.me = null; state.csrf = '';
  document.getElementById('nav').hidden = true;
  document.getElementById('alert-banner').hidden = true;
}

async function afterLogin(flags = {}) {
  if (flags.must_change_password) return passwordChangePage(afterLogin);
  if (flags.must_enrol_mfa) return totpEnrolPage(afterLogin);
  const g = await api('GET', '/api/v1/guideline');
  state.guideline = g.ok ? g.data : { indications: [], protocols: [], conditions: [], routes: [] };
  renderNav();
  refreshAlertBanner();
  state.bannerTimer = state.bannerTimer || setInterval(() => { if (state.me) refreshAlertBanner(); }, 30000);
  const target = location.hash;
  if (!target || target === '#/login' || target === '#/' || !allowed(target)) location.hash = HOME[state.me.role] || '#/dashboard';
  else await route();
}
state.afterLogin = afterLogin;
state.onUnauthenticated = () => { logOutView(); loginPage(afterLogin); };

async function route() {
  state.timers.forEach(clearInterval); state.timers = [];
  const h = location.hash || '';
  // Public pages: no log-in, no navigation, no patient data.
  if (h.startsWith('#/directory')) { document.getElementById('nav').hidden = true; await directoryPage(); main().focus(); return; }
  if (!state.me) { loginPage(afterLogin); return; }
  markCurrent();
  if (!allowed(h)) { setMain(el('h1', {}, 'Not available'), el('p', {}, 'Your role cannot open this page.')); main().focus(); return; }
  let m;
  try {
    if ((m = h.match(/^#\/patient\/([^/]+)$/))) await patientPage(decodeURIComponent(m[1]));
    else if ((m = h.match(/^#\/session\/([^/]+)$/))) await sessionPage(decodeURIComponent(m[1]));
    else if ((m = h.match(/^#\/print\/discharge\/([^/]+)$/))) await dischargeSheetPage(decodeURIComponent(m[1]));
    else if ((m = h.match(/^#\/print\/consent\/([^/]+)\/([^/]+)$/))) await consentPrintPage(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    else if ((m = h.match(/^#\/rems\/([^/]+)$/))) await remsFormPage(decodeURIComponent(m[1]));
    else if (h === '#/rems') await remsTrackerPage();
    else if (h === '#/today' || h.startsWith('#/today?')) await todayPage();
    else if (h === '#/ledger') await ledgerPage();
    else if (h === '#/handouts') await handoutsPage();
    else if (h === '#/users') await usersPage();
    else if (h === '#/audit') await auditPage();
    else if (h === '#/listing') await listingPage();
    else if (h === '#/dashboard') await dashboardPage();
    else if (h === '#/research') await researchPage();
    else if (h === '#/patients') await patientsPage();
    else location.hash = HOME[state.me.role] || '#/dashboard';
  } catch (e) {
    setMain(el('h1', {}, 'Something went wrong'), el('p', { class: 'form-error' }, String(e && e.message ? e.message : e)));
  }
  main().focus({ preventScroll: true });
}
state.route = route;

window.addEventListener('hashchange', route);
document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/logout');
  logOutView();
  location.hash = '#/login';
  loginPage(afterLogin);
  announce('Logged out');
});
(async () => {
  if ((location.hash || '').startsWith('#/directory')) { await route(); return; }
  const r = await api('GET', '/api/v1/me');
  if (r.ok) {
    state.me = r.data.user; state.csrf = r.data.csrf_token;
    await afterLogin({ must_change_password: r.data.must_change_password, must_enrol_mfa: r.data.must_enrol_mfa });
  } else {
    logOutView();
    loginPage(afterLogin);
  }
})();
export { errText };
