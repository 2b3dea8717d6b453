// Log-in (no navigation or log-out shown), the forced password change and
// the second-factor enrolment the server may require first.
import { state, el, setMain, api, field, input, formError, clearErrors, showError, announce } from './lib.js';

export function loginPage(after) {
  document.getElementById('nav').hidden = true;
  state.timers.forEach(clearInterval); state.timers = [];
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'login-h' },
    el('h1', { id: 'login-h' }, 'Log in'),
    el('div', { class: 'fields' },
      field('login', 'login', 'Login', input({ autocomplete: 'username', required: true })),
      field('login', 'password', 'Password', input({ type: 'password', autocomplete: 'current-password', required: true })),
      field('login', 'totp', 'Authenticator code (if your account has one)', input({ inputmode: 'numeric', autocomplete: 'one-time-code' }))),
    formError(),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const body = { login: form.login.value, password: form.password.value };
    if (form.totp.value.trim()) body.totp = form.totp.value.trim();
    const r = await api('POST', '/api/v1/login', body);
    if (!r.ok) return showError(form, r.data);
    state.csrf = r.data.csrf_token; state.me = r.data.user;
    await after({ must_change_password: r.data.must_change_password, must_enrol_mfa: r.data.must_enrol_mfa });
  });
  setMain(form, el('p', {}, el('a', { href: '#/directory' }, 'Find a clinic (public directory)')));
  form.login.focus();
}

export function passwordChangePage(after) {
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'pw-h' },
    el('h1', { id: 'pw-h' }, 'Choose a new password'),
    el('p', {}, 'Your password was set by an administrator. Choose your own before you continue.'),
    el('div', { class: 'fields' },
      field('pw', 'current_password', 'Current password', input({ type: 'password', autocomplete: 'current-password' })),
      field('pw', 'new_password', 'New password', input({ type: 'password', autocomplete: 'new-password' }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Change password')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const r = await api('POST', '/api/v1/me/password', { current_password: form.current_password.value, new_password: form.new_password.value });
    if (!r.ok) return showError(form, r.data);
    announce('Password changed; log in again');
    state.me = null; state.csrf = '';
    loginPage(after);
  });
  setMain(form);
}

export async function totpEnrolPage(after) {
  const r = await api('POST', '/api/v1/me/totp', {});
  if (!r.ok) { setMain(el('h1', {}, 'Second factor'), el('p', { class: 'form-error' }, r.data?.error?.message || 'failed')); return; }
  const { secret, otpauth_uri: uri } = r.data;
  const form = el('form', { class: 'card', novalidate: true, 'aria-labelledby': 'totp-h' },
    el('h1', { id: 'totp-h' }, 'Set up your authenticator'),
    el('p', {}, 'Administrators need a second factor. Add this key to an authenticator app, then type the 6-digit code it shows.'),
    el('p', {}, 'Key: ', el('code', { id: 'totp-secret' }, secret)),
    el('p', { class: 'muted' }, uri),
    el('div', { class: 'fields' }, field('totp', 'code', 'Code from the app', input({ inputmode: 'numeric', autocomplete: 'one-time-code' }))),
    formError(), el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Confirm')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const c = await api('POST', '/api/v1/me/totp/confirm', { secret, code: form.code.value.trim() });
    if (!c.ok) return showError(form, c.data);
    announce('Second factor on; log in again with a code');
    state.me = null; state.csrf = '';
    loginPage(after);
  });
  setMain(form);
}
