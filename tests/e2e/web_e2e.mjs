// A full clinic day in the web UI, in a real browser: Debian's
// /usr/bin/chromium, headless, driven by playwright-core (no browser
// download), against `kira serve` on loopback with a fresh SQLite registry.
//
//   node tests/e2e/web_e2e.mjs BUILD/kira OUT_DIR
//
// The day: the admin enrols a second factor and creates the staff; the
// clinician enrols three patients, records their facts and books them from
// their plans; the nurse checks the three in from today's list; the clinician
// screens (one pregnant: refused), doses (one 700 kg typo: hard stop, no pump
// settings; then a soft limit overridden with a reason) and records the
// session; the nurse records paired blood pressure and SpO2, corrects a
// mistyped reading, records a PHQ-9 whose item 9 raises the suicidality alert
// (a modal that Escape cannot close), the clinician acknowledges it; the
// dose ends, the nurse records the rescue the screening advises (the patient
// on cobicistat: never midazolam) and discharges with a printed sheet; an
// esketamine nasal-spray session is recorded as whole devices (no pump), its
// REMS form is due on the tracker, cannot be signed until complete, is
// signed, exported as CSV and leaves the tracker; the pharmacist logs vials,
// the dose and witnessed waste. Every page is checked with axe-core (no
// serious or critical violation) and for horizontal scroll, at 1280 px and
// at 390 px. Screenshots, the discharge sheet as PDF and the REMS CSV go to
// OUT_DIR.
// Exit 0 pass, 1 fail, 77 skipped (chromium absent).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [kira, outDir = path.join(process.cwd(), 'e2e-screenshots')] = process.argv.slice(2);
const CHROMIUM = process.env.KIRA_CHROMIUM || '/usr/bin/chromium';
if (!kira) { console.error('usage: web_e2e.mjs KIRA_BINARY [OUT_DIR]'); process.exit(2); }
if (!fs.existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} is not installed (scripts/install-deps installs Debian's chromium)`);
  process.exit(77);
}
const require = createRequire(path.join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kira-e2e-'));
const db = path.join(tmp, 'kira.db');
const pwFile = path.join(tmp, 'pw');
const PW = 'e2e clinic day 2026';
fs.writeFileSync(pwFile, `${PW}\n`);
fs.mkdirSync(outDir, { recursive: true });
const run = (args) => execFileSync(kira, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
run(['user', 'add', '--db', db, '--clinic', 'e2e-clinic', '--new-clinic', '--role', 'admin',
     '--name', 'Ada Admin', '--login', 'admin.e2e', '--password-file', pwFile]);

const server = spawn(kira, ['serve', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const m = buf.match(/listening on (http:\/\/[0-9.]+:\d+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`kira serve exited ${code}`)));
  setTimeout(() => reject(new Error('kira serve did not start in 15 s')), 15000);
});

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) from a base32 secret, as an authenticator app computes it.
function totp(secretB32, t = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretB32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 1000 / 30)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String(((h.readUInt32BE(o) & 0x7fffffff) % 1000000)).padStart(6, '0');
}

// The server accepts each code once (replay refused) within one step either side:
// hand out a code for a step not used yet, waiting for the next step when needed.
let lastTotpStep = -1;
async function freshTotp(secretB32) {
  for (;;) {
    const cur = Math.floor(Date.now() / 1000 / 30);
    for (const step of [cur, cur + 1]) {
      if (step > lastTotpStep) {
        lastTotpStep = step;
        return totp(secretB32, step * 30000);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

let ctx;
let failed = false;
let width = 1280;
const checked = [];
const shot = async (page, name) => {
  const file = path.join(outDir, `${width}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
};
// axe-core on the page as it is: no serious or critical violation; no horizontal scroll.
async function checkPage(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  if (res.length) throw new Error(`axe-core on ${name} at ${width} px:\n  ${res.join('\n  ')}`);
  const scroll = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
  if (scroll.sw > scroll.w) throw new Error(`${name} scrolls sideways at ${width} px: ${scroll.sw} > ${scroll.w}`);
  checked.push(`${width}:${name}`);
  await shot(page, name);
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
// datetime-local value in the browser's zone (Europe/Berlin, set below).
const berlin = (ms) => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
};

async function login(page, who, pw = PW, code, home = /^Today/) {
  await page.goto(base + '/#/login');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  if (!(await page.locator('#nav').isHidden())) throw new Error('navigation shows on the log-in page');
  await page.getByLabel('Login', { exact: true }).fill(who);
  await page.getByLabel('Password', { exact: true }).fill(pw);
  if (code) await page.getByLabel(/Authenticator code/).fill(code);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  if (home) await page.getByRole('heading', { name: home }).waitFor();
}
async function logout(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
}
const status = (page, text) => page.locator('#status').filter({ hasText: text }).waitFor();

try {
  ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin',
    acceptDownloads: true, bypassCSP: true,  // lets the test inject axe-core; the app itself runs under the server's CSP
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.setDefaultTimeout(15000);

  // ---- 1. Admin: second factor, staff accounts, directory listing, audit log ----
  await page.goto(base + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await checkPage(page, '00-login');
  await login(page, 'admin.e2e', PW, undefined, null);
  await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.getByLabel('Code from the app').fill(await freshTotp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  // The enrolment code is spent (a TOTP code is accepted once): log in with the next one.
  await login(page, 'admin.e2e', PW, await freshTotp(secret));
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  for (const link of ['Users', 'Audit log', 'Directory listing']) await page.getByRole('link', { name: link }).waitFor();
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  const staff = [['Nina Nurse', 'nurse.e2e', 'nurse'], ['Dr Carl Clinician', 'dr.e2e', 'clinician'],
                 ['Paul Pharmacist', 'pharm.e2e', 'pharmacist'], ['Wendy Witness', 'nurse2.e2e', 'nurse']];
  for (const [name, loginName, role] of staff) {
    await page.getByLabel('Full name').fill(name);
    await page.getByLabel('Login', { exact: true }).fill(loginName);
    await page.getByLabel('Role', { exact: true }).selectOption(role);
    await page.getByLabel('Temporary password', { exact: true }).fill(PW);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('#users').getByText(loginName, { exact: true }).waitFor();
  }
  await checkPage(page, '01-admin-users');
  await page.getByRole('link', { name: 'Directory listing' }).click();
  await page.getByLabel('City', { exact: true }).fill('Munich');
  await page.getByLabel('Region', { exact: true }).fill('Bavaria');
  await page.getByLabel('Contact (phone or e-mail)').fill('+49 89 555 0100');
  await page.getByLabel('IV ketamine').check();
  await page.getByLabel('Show this clinic in the public directory').check();
  await page.getByRole('button', { name: 'Save listing' }).click();
  await status(page, 'Listing published');
  await checkPage(page, '02-admin-listing');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByLabel('Action').selectOption('insert');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('#audit-rows').getByText(/entries match/).waitFor();
  const auditDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const auditCsv = fs.readFileSync(await (await auditDownload).path(), 'utf8');
  if (!auditCsv.includes('credential')) throw new Error('audit export lacks the created accounts');
  await checkPage(page, '03-admin-audit');
  await logout(page);

  // The public directory: no log-in, searchable by region.
  await page.goto(base + '/#/directory');
  await page.getByRole('heading', { name: 'Find a ketamine clinic' }).waitFor();
  await page.getByLabel('Region', { exact: true }).fill('bav');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('#directory-results').getByText('+49 89 555 0100').waitFor();
  await checkPage(page, '04-public-directory');

  // ---- 2. Clinician: enrol three patients, facts, book today's appointments ----
  await login(page, 'dr.e2e');
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  if (await page.getByRole('link', { name: 'Users' }).count()) throw new Error('a clinician sees the Users link');
  const now = Date.now();
  const patients = [
    { given: 'Anna', family: 'Alpha', mrn: 'MRN-1001', year: '1990', sex: 'female' },
    { given: 'Ben', family: 'Beta', mrn: 'MRN-1002', year: '1975', sex: 'male' },
    { given: 'Cleo', family: 'Gamma', mrn: 'MRN-1003', year: '1968', sex: 'female' },
  ];
  for (const [i, pt] of patients.entries()) {
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByRole('heading', { name: 'Enrol a patient' }).waitFor();
    await page.getByLabel('Given name').fill(pt.given);
    await page.getByLabel('Family name').fill(pt.family);
    await page.getByLabel('MRN', { exact: true }).fill(pt.mrn);
    await page.getByLabel('Sex').selectOption(pt.sex);
    await page.getByLabel('Birth year').fill(i === 0 ? 'nineteen' : pt.year);
    await page.getByLabel('Indication').selectOption('trd');
    await page.getByRole('button', { name: 'Enrol' }).click();
    if (i === 0) {  // a bad birth year is reported next to its field
      await page.locator('#np-birth_year-err').filter({ hasText: 'birth_year' }).waitFor();
      await page.getByLabel('Birth year').fill(pt.year);
      await page.getByRole('button', { name: 'Enrol' }).click();
    }
    await page.getByRole('heading', { name: `${pt.given} ${pt.family}` }).waitFor();
    pt.id = decodeURIComponent(page.url().split('#/patient/')[1]);
    // Facts: weight, height, baseline vitals; Anna pregnant; Ben's weight mistyped 700 kg; Ben on cobicistat.
    await page.getByLabel('Weight (kg)').fill(i === 1 ? '700' : '64');
    await page.getByLabel('Height (cm)').fill(i === 1 ? '178' : '166');
    await page.getByLabel('Pregnancy', { exact: true }).selectOption(i === 0 ? 'pregnant' : 'not_pregnant');
    await page.getByLabel('Failed adequate antidepressant trials').fill('3');
    if (i === 1) await page.getByLabel('Current medications (comma-separated)').fill('cobicistat');
    await page.getByLabel('Blood pressure, systolic (mmHg)').fill('124');
    await page.getByLabel('Blood pressure, diastolic (mmHg)').fill('78');
    await page.getByLabel('Heart rate (/min)').fill('72');
    await page.getByLabel('SpO₂ (%)').fill('98');
    await page.getByLabel('Breathing rate (/min)').fill('14');
    await page.getByLabel('Screen for').selectOption(i === 2 ? 'intranasal' : 'iv');
    await page.getByRole('button', { name: 'Save facts and screen' }).click();
    await page.locator('#screen-result .outcome').first().waitFor();
    if (i === 0) await page.locator('#screen-result .outcome').filter({ hasText: 'NOT ELIGIBLE' }).waitFor();
    // Book today's appointment from the plan.
    await page.getByLabel('Route', { exact: true }).selectOption(i === 2 ? 'intranasal' : 'iv');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('#plan-result .outcome').first().waitFor();
    await page.getByLabel(/^Date and time/).fill(berlin(now - (3 - i) * 60000));
    await page.getByLabel('Chair').fill(`Chair ${i + 1}`);
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    await status(page, 'Booked for');
    if (i === 0) await checkPage(page, '05-patient-pregnant-refused');
  }
  const [anna, ben, cleo] = patients;
  // Consent for Ben, and its printable form stating the protocol and its usual dose.
  await page.goto(`${base}/#/patient/${encodeURIComponent(ben.id)}`);
  await page.getByRole('heading', { name: 'Ben Beta' }).waitFor();
  await page.getByLabel('Protocol consented to').selectOption('iv-0.5-40min');
  await page.getByLabel('Consent form version').fill('2026-1');
  await page.getByLabel('Witness (name)').fill('Nina Nurse');
  await page.getByRole('button', { name: 'Record consent' }).click();
  await page.locator('#consents').getByText('2026-1', { exact: true }).waitFor();
  await page.locator('#consents').getByRole('link', { name: 'Printable form' }).click();
  await page.locator('#consent-dose').getByText('0.5 mg per kg').waitFor();
  const consentUrl = page.url();
  await checkPage(page, '06-consent-form');
  await logout(page);

  // ---- 3. Nurse: check the three in from today's list ----
  await login(page, 'nurse.e2e');
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  for (const pt of patients) {
    await page.getByRole('button', { name: `Check in ${pt.given} ${pt.family}` }).click();
    await page.locator(`tr[data-patient="${pt.id}"] .outcome`).filter({ hasNotText: 'BOOKED' }).waitFor();
  }
  await page.locator(`tr[data-patient="${anna.id}"] .blockers`).getByText('not eligible').waitFor();
  await checkPage(page, '07-today-checked-in');
  await logout(page);

  // ---- 4. Clinician: 700 kg typo stopped, corrected; soft limit overridden; session recorded ----
  await login(page, 'dr.e2e');
  await page.goto(`${base}/#/patient/${encodeURIComponent(ben.id)}`);
  await page.getByRole('heading', { name: 'Ben Beta' }).waitFor();
  await page.getByLabel('Protocol', { exact: true }).selectOption('iv-0.5-40min');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').filter({ hasText: 'HARD STOP' }).waitFor();
  if (!(await page.locator('#pump').textContent()).includes('no pump settings')) throw new Error('a hard stop shows pump settings');
  if (await page.locator('#dose-result').getByText('mL/h').count()) throw new Error('a hard stop shows a pump rate');
  await checkPage(page, '08-dose-700kg-hard-stop');
  await page.getByLabel('Weight (kg)').fill('70');
  await page.getByLabel('Reason for this change').fill('700 was a typo for 70 kg');
  await page.getByRole('button', { name: 'Save facts and screen' }).click();
  await page.locator('#facts-version').getByText('Version 2,').waitFor();
  await page.locator('#screen-result .outcome').first().waitFor();
  const rescueText = await page.locator('#rescue-plan').textContent();
  await page.getByLabel('Ordered dose (mg, optional)').fill('56');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').filter({ hasText: 'SOFT LIMIT' }).waitFor();
  if (await page.locator('#dose-result').getByText('HARD STOP').count()) throw new Error('a stale hard stop stayed on screen');
  await page.getByLabel('Reason to override a soft limit').fill('partial responder at 0.5 mg/kg');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').filter({ hasText: 'OK WITH OVERRIDE' }).waitFor();
  await page.locator('#pump').getByText('mL/h').waitFor();
  const started = now - 160 * 60000;
  await page.getByLabel(/^Session start/).fill(berlin(started));
  await page.getByRole('button', { name: 'Record this session' }).click();
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  const benSession = decodeURIComponent(page.url().split('#/session/')[1]);
  await logout(page);

  // ---- 5. Nurse at the chair: paired BP, SpO2, a corrected reading, an item-9 alert ----
  await login(page, 'nurse.e2e');
  await page.goto(`${base}/#/session/${encodeURIComponent(benSession)}`);
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  await page.locator('#baseline').getByText('124/78').waitFor();
  // A systolic without its diastolic is refused: blood pressure is a pair.
  await page.getByLabel('Systolic').fill('128');
  await page.getByRole('button', { name: 'Save readings' }).click();
  await page.getByText('blood pressure is a pair').first().waitFor();
  const sets = [[5, '128', '80', '76', '98'], [20, '146', '88', '84', '9'], [35, '138', '84', '80', '97'],
                [55, '130', '80', '74', '98'], [100, '126', '78', '72', '98']];
  for (const [min, sbp, dbp, hr, spo2] of sets) {
    await page.getByLabel('Systolic').fill(sbp);
    await page.getByLabel('Diastolic').fill(dbp);
    await page.getByLabel('Heart rate (/min)').fill(hr);
    await page.getByLabel('SpO₂ (%)').fill(spo2);
    await page.getByLabel(/^Taken at/).fill(berlin(started + min * 60000));
    await page.getByRole('button', { name: 'Save readings' }).click();
    await status(page, `Systolic BP ${sbp}`);
  }
  // SpO2 9 was a typo for 97: corrected with a reason (the old reading stays, struck through).
  const typo = page.locator('#vitals-table tr').filter({ hasText: 'SpO₂' }).filter({ hasText: /^.*\b9 %/ }).first();
  await typo.getByRole('button', { name: 'Correct' }).click();
  await page.getByLabel(/^Correct value/).fill('97');
  await page.getByLabel('Reason', { exact: true }).fill('typed 9 for 97');
  await page.getByRole('button', { name: 'Save correction' }).click();
  await page.locator('#vitals-table tr.voided').getByText('typed 9 for 97').waitFor();
  await checkPage(page, '09-session-readings-corrected');
  // PHQ-9 with item 9 = 2: the alert dialog; Escape does not close it.
  await page.goto(`${base}/#/patient/${encodeURIComponent(ben.id)}`);
  await page.getByRole('heading', { name: 'Ben Beta' }).waitFor();
  await page.getByLabel('Item scores (comma-separated)').fill('2,2,1,2,1,1,1,1,2');
  await page.getByRole('button', { name: 'Save score' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  if (!(await dialog.isVisible())) throw new Error('Escape closed the suicidality alert');
  await checkPage(page, '10-item9-alert-nurse');
  // Telling the clinician is recorded: a name is required, then who told whom is stored (the alert stays open).
  await dialog.getByRole('button', { name: 'I have told the clinician' }).click();
  await dialog.getByText(/told: /).waitFor();
  await dialog.getByLabel('Clinician you told').fill('Dr E2E, by phone');
  await dialog.getByRole('button', { name: 'I have told the clinician' }).click();
  await page.locator('#alert-banner').getByText('open suicidality alert').waitFor();
  await logout(page);

  // ---- 6. Clinician acknowledges; ends the dose (soft limit again, with its reason) ----
  await login(page, 'dr.e2e');
  await page.goto(`${base}/#/patient/${encodeURIComponent(ben.id)}`);
  await page.getByRole('alertdialog').waitFor();
  await page.getByRole('alertdialog').getByText(/^Told Dr E2E, by phone at .* \(recorded by /).waitFor();
  await page.getByRole('button', { name: 'Acknowledge alert' }).click();
  await page.getByRole('alertdialog').getByText('reason').first().waitFor();  // empty reason refused
  await page.getByLabel(/^What you did/).fill('assessed in person: passive thoughts, no plan; safety plan updated');
  await page.getByRole('button', { name: 'Acknowledge alert' }).click();
  await status(page, 'Alert acknowledged');
  await page.goto(`${base}/#/session/${encodeURIComponent(benSession)}`);
  await page.getByRole('heading', { name: 'End the dose' }).waitFor();
  await page.getByLabel(/^Dose ended at/).fill(berlin(started + 40 * 60000));
  // The dose given passes a soft limit: without a reason it is not recorded, and the page says why in words.
  await page.getByRole('button', { name: 'End dose' }).click();
  await page.locator('#finish-result').getByText('Not recorded: beyond a soft limit of the Advisor').waitFor();
  if (/\b[a-z]+\.[a-z0-9_.-]+\.(soft|hard)_max\b/.test(await page.locator('#finish-result .form-error').textContent())) {
    throw new Error('the refusal names rule ids');
  }
  await page.getByLabel(/^Reason to override a soft limit/).fill('partial responder at 0.5 mg/kg');
  await page.getByRole('button', { name: 'End dose' }).click();
  await page.locator('#session-state').filter({ hasNotText: 'running' }).waitFor();
  await logout(page);

  // ---- 7. Nurse: rescue per screening, monitor, discharge, printed sheet ----
  await login(page, 'nurse.e2e');
  await page.goto(`${base}/#/session/${encodeURIComponent(benSession)}`);
  await page.locator('#countdown').getByText('Minimum observation complete').waitFor();
  const advice = await page.locator('#rescue-advice').textContent();
  const agent = (advice.match(/screening \([^)]*\): ([a-z]+)/) || [])[1] || 'lorazepam';
  if (!rescueText.toLowerCase().includes(agent)) throw new Error(`rescue advice (${agent}) disagrees with screening (${rescueText})`);
  // Ben takes cobicistat: the screening said to avoid midazolam, and the monitor's advice agrees.
  if (agent === 'midazolam' || !/avoid[^.]*midazolam/i.test(advice) || !/avoid[^.]*midazolam/i.test(rescueText)) {
    throw new Error(`cobicistat: the rescue advice must avoid midazolam (screening: ${rescueText}; monitor: ${advice})`);
  }
  await page.getByLabel('Event', { exact: true }).selectOption('agitation');
  await page.getByLabel('Severity', { exact: true }).selectOption('moderate');
  await page.getByLabel('Rescue given').fill(`${agent} 1 mg`);
  await page.getByLabel(/^When \(/).fill(berlin(started + 22 * 60000));
  await page.getByRole('button', { name: 'Record event' }).click();
  await page.getByRole('cell', { name: `${agent} 1 mg` }).waitFor();
  await page.getByLabel('Resuscitation-trained staff present').check();
  await page.getByLabel('Resuscitation equipment present').check();
  await page.getByLabel('Pulse oximeter on').check();
  await page.getByLabel('Rescue medicine ready').selectOption(agent);
  await page.getByRole('button', { name: 'Run monitor' }).click();
  await page.locator('#monitor-result .outcome').first().waitFor();
  for (const label of ['Readings back near baseline', 'Dissociation resolved', 'Oriented', 'Responsible adult present to take the patient home',
                       'Told not to drive until the next day after sleep', 'Next visit booked', 'Readiness to leave assessed']) {
    await page.getByLabel(label).check();
  }
  await page.getByRole('button', { name: 'Check and record discharge' }).click();
  await page.locator('#discharge-result .outcome').first().waitFor();
  const dischargeOutcome = await page.locator('#discharge-result .outcome').first().textContent();
  await checkPage(page, '11-session-monitor-discharge');
  if (dischargeOutcome !== 'READY') throw new Error(`discharge was ${dischargeOutcome}: ${await page.locator('#discharge-result').textContent()}`);
  await page.getByRole('link', { name: 'Print the discharge sheet' }).click();
  await page.getByRole('heading', { name: 'Going home after your treatment' }).waitFor();
  // The clinic's phone comes from its published directory listing.
  await page.locator('#sheet-contact').getByText('+49 89 555 0100').waitFor();
  await checkPage(page, '12-discharge-sheet');
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: path.join(outDir, 'discharge-sheet.pdf'), format: 'A4' });
  await shot(page, '12b-discharge-sheet-print');
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('link', { name: 'Today' }).click();
  await page.locator(`tr[data-patient="${ben.id}"] .outcome`).filter({ hasText: 'DISCHARGED' }).waitFor();
  await page.getByRole('link', { name: 'Patient hand-outs' }).click();
  await page.getByRole('heading', { name: 'Patient hand-outs' }).waitFor();
  await checkPage(page, '13-handouts');
  await logout(page);

  // ---- 8. Esketamine session: REMS form incomplete, then complete, signed, exported ----
  await login(page, 'dr.e2e');
  await page.goto(`${base}/#/patient/${encodeURIComponent(cleo.id)}`);
  await page.getByRole('heading', { name: 'Cleo Gamma' }).waitFor();
  await page.getByLabel('Protocol consented to').selectOption('in-esketamine-trd');
  await page.getByLabel('Consent form version').fill('2026-1');
  await page.getByLabel('Witness (name)').fill('Nina Nurse');
  await page.getByRole('button', { name: 'Record consent' }).click();
  await page.locator('#consents').getByText('2026-1', { exact: true }).waitFor();
  await page.getByLabel('Protocol', { exact: true }).selectOption('in-esketamine-trd');
  if (await page.getByLabel('Concentration (mg/mL)').isVisible()) throw new Error('a nasal spray dose asks for a concentration');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').first().waitFor();
  await page.getByLabel(/^Session start/).fill(berlin(now - 130 * 60000));
  // A nasal spray is not infused: the dose is whole devices (28 mg each, per the label), no pump.
  await page.locator('#pump').getByText('2 nasal spray devices').waitFor();
  if (await page.locator('#dose-result').getByText('mL/h').count()) throw new Error('a nasal spray dose shows a pump rate');
  await checkPage(page, '13b-esketamine-dose-devices');
  await page.getByRole('button', { name: 'Record this session' }).click();
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  const cleoSession = decodeURIComponent(page.url().split('#/session/')[1]);
  await page.getByText('56 mg by nasal spray').waitFor();
  // The dose ends with the last device (the Advisor checks the dose given again; no pump).
  await page.getByLabel(/^Last device given at/).fill(berlin(now - 120 * 60000));
  await page.getByRole('button', { name: 'End dose' }).click();
  await page.locator('#session-state').filter({ hasNotText: 'running' }).waitFor();
  // The tracker lists the new session's form as due within 7 days, not started.
  await page.getByRole('link', { name: 'REMS forms' }).click();
  await page.getByRole('heading', { name: /REMS Patient Monitoring Forms/ }).waitFor();
  const dueRow = page.locator('#rems-due tr').filter({ hasText: cleoSession });
  await dueRow.getByText('not started').waitFor();
  await checkPage(page, '14-rems-tracker-due');
  await dueRow.getByRole('link', { name: cleoSession }).click();
  await page.getByRole('heading', { name: 'SPRAVATO REMS Patient Monitoring Form' }).waitFor();
  if (!(await page.locator('#rems-sign').isDisabled())) throw new Error('an empty REMS form can be signed');
  await page.getByLabel('Benzodiazepines').check();
  await page.getByLabel('Before the dose — systolic').fill('128');
  await page.getByLabel('Before the dose — diastolic').fill('82');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await status(page, 'REMS form saved');
  await page.locator('#rems-missing').getByText(/lot number/i).waitFor();
  if (!(await page.locator('#rems-sign').isDisabled())) throw new Error('an incomplete REMS form can be signed');
  await checkPage(page, '15-rems-incomplete');
  await page.getByLabel('About 40 min after — systolic').fill('142');
  await page.getByLabel('About 40 min after — diastolic').fill('88');
  await page.getByLabel('Before the end of monitoring — systolic').fill('126');
  await page.getByLabel('Before the end of monitoring — diastolic').fill('80');
  await page.getByLabel('Monitoring duration (minutes)').fill('125');
  await page.getByLabel('Sedation', { exact: true }).selectOption('yes');
  await page.getByLabel('Dissociation', { exact: true }).selectOption('yes');
  await page.getByLabel('Respiratory depression', { exact: true }).selectOption('no');
  await page.getByLabel('Lot number of the devices').fill('ESK-2026-07');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await status(page, 'REMS form saved');
  await page.locator('#rems-missing').getByText('the form can be signed').waitFor();
  await page.getByRole('button', { name: 'Sign form' }).click();
  await page.locator('#rems-signed').waitFor();
  await status(page, 'REMS form signed');
  if (await page.getByRole('button', { name: 'Save', exact: true }).count()) throw new Error('a signed REMS form can still be changed');
  // Export from the form's own link: the CSV row has the session, its lot, the monitoring time and the signature time.
  const remsDownload = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const csv = fs.readFileSync(await (await remsDownload).path(), 'utf8');
  const row = (csv.split('\r\n').find((l) => l.startsWith(cleoSession)) || '').split(',');
  if (!row.includes('ESK-2026-07') || !row.at(-1) || !row.includes('125')) throw new Error(`REMS CSV export: ${csv.slice(0, 400)}`);
  fs.writeFileSync(path.join(outDir, 'rems-export.csv'), csv);
  await checkPage(page, '16-rems-signed');
  // Signed: no longer due on the tracker.
  await page.getByRole('link', { name: 'REMS forms' }).click();
  await page.getByRole('heading', { name: /REMS Patient Monitoring Forms/ }).waitFor();
  await page.locator('#rems-due').waitFor();
  if (await page.locator('#rems-due').getByText(cleoSession).count()) throw new Error('a signed REMS form is still listed as due');
  await checkPage(page, '16b-rems-tracker-after');
  await logout(page);

  // ---- 9. Pharmacist: vials received, the dose drawn and given, waste witnessed ----
  await login(page, 'pharm.e2e', PW, undefined, 'Controlled substances');
  await page.getByRole('heading', { name: 'Controlled substances' }).waitFor();
  const move = async (kind, amount, extra = {}) => {
    await page.getByLabel('Movement', { exact: true }).selectOption(kind);
    await page.getByLabel('Lot number', { exact: true }).fill('KET-LOT-42');
    await page.getByLabel('Amount (mg)').fill(String(amount));
    await page.getByLabel('Concentration (mg/mL)').fill('10');
    await page.getByLabel('Expiry date').fill(extra.expiry || '');
    await page.getByLabel('Session (for drawn, given or wasted)').fill(extra.session || '');
    await page.getByLabel('Witness login (for waste)').fill(extra.witness || '');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
  };
  await move('received', 500, { expiry: '2027-06-30' });
  await status(page, 'Recorded received 500 mg');
  await move('drawn', 60, { session: benSession });
  await status(page, 'Recorded drawn 60 mg');
  await move('administered', 56, { session: benSession });
  await status(page, 'Recorded administered 56 mg');
  await move('wasted', 4, { session: benSession });
  await page.locator('#lg-witness_login-err').filter({ hasText: 'witness' }).waitFor();
  await move('wasted', 4, { session: benSession, witness: 'nurse2.e2e' });
  await status(page, 'Recorded wasted 4 mg');
  await page.locator('#lots').getByText('440 mg').waitFor();
  await checkPage(page, '17-ledger');
  await page.getByRole('link', { name: 'Registry dashboard' }).click();
  await page.locator('#dash-discrepancies').waitFor();
  await checkPage(page, '18-dashboard');
  await logout(page);

  // ---- 10. Phone width: the pages a nurse uses at the chair ----
  width = 390;
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page, 'nurse.e2e');
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await checkPage(page, '20-today');
  await page.goto(`${base}/#/patient/${encodeURIComponent(ben.id)}`);
  await page.getByRole('heading', { name: 'Ben Beta' }).waitFor();
  await page.locator('#outcome-chart canvas').waitFor();
  await checkPage(page, '21-patient');
  await page.goto(`${base}/#/session/${encodeURIComponent(benSession)}`);
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  await page.locator('#vitals-chart canvas').waitFor();
  await checkPage(page, '22-session');
  await page.goto(`${base}/#/rems/${encodeURIComponent(cleoSession)}`);
  await page.locator('#rems-signed').waitFor();
  await checkPage(page, '23-rems');
  await page.goto(`${base}/#/rems`);
  await page.getByRole('heading', { name: /REMS Patient Monitoring Forms/ }).waitFor();
  await checkPage(page, '23b-rems-tracker');
  await page.goto(`${base}/#/patients`);
  await page.getByLabel('Search by name, MRN or id').fill('MRN-100');
  await page.locator('#patient-list').getByText('Cleo Gamma').waitFor();
  await checkPage(page, '23c-patients-search');
  await page.goto(consentUrl);
  await page.locator('#consent-dose').getByText('0.5 mg per kg').waitFor();
  await checkPage(page, '23d-consent-form');
  await page.goto(`${base}/#/ledger`);
  await page.getByRole('heading', { name: 'Controlled substances' }).waitFor();
  await checkPage(page, '24-ledger');
  await page.goto(`${base}/#/dashboard`);
  await page.locator('#dash-discrepancies').waitFor();
  await checkPage(page, '24b-dashboard');
  await page.goto(`${base}/#/handouts`);
  await page.getByRole('heading', { name: 'Patient hand-outs' }).waitFor();
  await checkPage(page, '25-handouts');
  await page.goto(`${base}/#/print/discharge/${encodeURIComponent(benSession)}`);
  await page.getByRole('heading', { name: 'Going home after your treatment' }).waitFor();
  await checkPage(page, '26-discharge-sheet');
  await logout(page);
  // The admin pages at phone width.
  await login(page, 'admin.e2e', PW, await freshTotp(secret));
  for (const [link, heading, name] of [['Users', 'Users', '26b-admin-users'], ['Audit log', 'Audit log', '26c-admin-audit'],
                                        ['Directory listing', null, '26d-admin-listing']]) {
    await page.goto(`${base}/#/${{ 'Users': 'users', 'Audit log': 'audit', 'Directory listing': 'listing' }[link]}`);
    if (heading) await page.getByRole('heading', { name: heading }).waitFor();
    else await page.getByRole('button', { name: 'Save listing' }).waitFor();
    await checkPage(page, name);
  }
  await logout(page);
  await checkPage(page, '27-login');
  await page.goto(base + '/#/directory');
  await page.getByRole('heading', { name: 'Find a ketamine clinic' }).waitFor();
  await checkPage(page, '28-directory');

  if (errors.length) throw new Error('browser console errors:\n' + errors.join('\n'));
  console.log(`PASS: clinic day in the web UI (${checked.length} page checks with axe-core and no sideways scroll: ${checked.join(', ')})`);
} catch (e) {
  failed = true;
  console.error('FAIL:', e && e.stack ? e.stack : e);
  try { const p = ctx && ctx.pages()[0]; if (p) await p.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }); } catch (_) { /* best effort */ }
} finally {
  if (ctx) await ctx.close();
  server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
