// End-to-end test of the clinicians' web UI in a real browser: Debian's
// /usr/bin/chromium, headless, driven by playwright-core (no browser
// download), against `kira serve` on loopback with a fresh SQLite registry.
//
//   node tests/e2e/web_e2e.mjs BUILD/kira OUT_DIR
//
// Flow: log in, enrol a patient, record the clinical facts and screen, plan,
// check a dose above the soft limit, override it with a reason, record the
// session, enter vitals, record an adverse event with the rescue given, run
// the monitor, evaluate discharge, record outcome scores (PHQ-9 item 9 > 0
// opens the alert dialog, which must be acknowledged before anything else),
// see the outcome chart, open the registry dashboard. Then three more
// patients walk the clinical-record paths: cobicistat (screening says avoid
// midazolam, so the monitor's rescue advice never names it), pregnancy
// (refused) and a 700 kg weight (hard stop). Screenshots go to OUT_DIR.
// Exit 0 pass, 1 fail, 77 skipped (chromium absent).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
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

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kira-e2e-'));
const db = path.join(tmp, 'kira.db');
const pwFile = path.join(tmp, 'pw');
fs.writeFileSync(pwFile, 'e2e password 1\n');
fs.mkdirSync(outDir, { recursive: true });
const run = (args) => execFileSync(kira, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
run(['user', 'add', '--db', db, '--clinic', 'e2e-clinic', '--new-clinic', '--role', 'clinician',
     '--name', 'Dr E2E', '--login', 'dr.e2e', '--password-file', pwFile]);

const server = spawn(kira, ['serve', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const m = buf.match(/listening on (http:\/\/[0-9.]+:\d+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`kira serve exited ${code}`)));
  setTimeout(() => reject(new Error('kira serve did not start in 10 s')), 10000);
});

let ctx;
let failed = false;
const shot = async (page, name) => {
  const file = path.join(outDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
};
try {
  ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // HTTP 4xx answers we provoke on purpose show up as "Failed to load resource"; any other console error fails.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.setDefaultTimeout(10000);

  // 1. Log in (keyboard: type and press Enter). A wrong password shows its error by the form.
  await page.goto(base + '/');
  await page.getByLabel('Login').fill('dr.e2e');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByLabel('Password').press('Enter');
  await page.locator('main .form-error').filter({ hasText: 'login or password is wrong' }).waitFor();
  await page.getByLabel('Password').fill('e2e password 1');
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Patients' }).waitFor();

  // 2. Enrol a patient; a bad birth year is reported next to its field.
  await page.getByLabel('Pseudonymous id (optional)').fill('e2e-patient-1');
  await page.getByLabel('Birth year').fill('nineteen');
  await page.getByRole('button', { name: 'Enrol' }).click();
  await page.locator('#np-birth_year-err').filter({ hasText: 'birth_year' }).waitFor();
  await page.getByLabel('Birth year').fill('1984');
  await page.getByLabel('Indication').selectOption('trd');
  await page.getByRole('button', { name: 'Enrol' }).click();
  await page.getByRole('heading', { name: 'Patient e2e-patient-1' }).waitFor();

  // 3. The clinical facts (stored, versioned), then screening on them.
  await page.getByLabel('Weight (kg)').fill('70');
  await page.getByLabel('Height (cm)').fill('168');
  await page.getByLabel('Pregnancy', { exact: true }).selectOption('not_pregnant');
  await page.getByLabel('Baseline SBP (mmHg)').fill('124');
  await page.getByLabel('Baseline DBP (mmHg)').fill('78');
  await page.getByLabel('Baseline HR (/min)').fill('72');
  await page.getByLabel('Baseline SpO₂ (%)').fill('98');
  await page.getByLabel('Baseline RR (/min)').fill('14');
  await page.getByRole('button', { name: 'Save facts and screen' }).click();
  await page.locator('#facts-version').getByText('Stored version 1').waitFor();
  await page.getByRole('heading', { name: 'Screening result' }).waitFor();
  await page.locator('#screen-result .outcome').filter({ hasText: 'ELIGIBLE' }).waitFor();

  // 3b. Plan: the dated schedule and the next step.
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  await page.locator('#plan-result .outcome').first().waitFor();

  // 4. Dose: 56 mg (0.8 mg/kg) is a soft limit; override with a reason.
  await page.getByLabel('Protocol').selectOption('iv-0.5-40min');
  await page.getByLabel('Ordered dose (mg, optional)').fill('56');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').filter({ hasText: 'SOFT LIMIT' }).waitFor();
  await shot(page, '01-patient-screen-dose-soft-limit.png');
  await page.getByLabel('Override reason (soft limits only)').fill('partial responder at 0.5 mg/kg');
  await page.getByRole('button', { name: 'Check dose' }).click();
  await page.locator('#dose-result .outcome').filter({ hasText: 'OK WITH OVERRIDE' }).waitFor();
  await page.locator('#pump').getByText('mL/h').waitFor();

  // 5. Record the session (the server runs the dose check again and stores the override),
  //    charted after the fact: it started two hours ago.
  const started = Date.now() - 2 * 3600 * 1000;
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await page.getByLabel('Session start (UTC)').fill(iso(started));
  await page.getByRole('button', { name: 'Record this session' }).click();
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  await page.getByText('partial responder at 0.5 mg/kg').first().waitFor();

  // 6. Vitals (a live timeline) and an adverse event with the rescue given.
  const vitals = [['sbp', '128'], ['hr', '76'], ['spo2', '98'], ['sbp', '146'], ['hr', '88'], ['sbp', '134']];
  for (const [i, [kind, value]] of vitals.entries()) {
    await page.getByLabel('Measurement').selectOption(kind);
    await page.getByLabel('Value', { exact: true }).fill(value);
    // Five minutes apart from the session's start, as a nurse would chart them.
    const at = iso(started + (i + 1) * 5 * 60000);
    await page.locator('[data-field="at"]').first().fill(at);
    await page.getByRole('button', { name: 'Save vital' }).click();
    await page.locator('#status').filter({ hasText: `Saved ${kind} ${value}` }).waitFor();
  }
  await page.getByLabel('Value', { exact: true }).fill('400.5');
  await page.getByRole('button', { name: 'Save vital' }).click();
  await page.locator('[id$="-value-err"]').filter({ hasText: 'value' }).waitFor();
  await page.getByLabel('Event', { exact: true }).selectOption('agitation');
  await page.getByLabel('Severity', { exact: true }).selectOption('moderate');
  await page.getByLabel('Rescue given').fill('midazolam 1 mg IV');
  await page.locator('[data-field="at"]').nth(1).fill(iso(started + 22 * 60000));
  await page.getByRole('button', { name: 'Record event' }).click();
  await page.getByRole('cell', { name: 'midazolam 1 mg IV' }).waitFor();
  await page.locator('#vitals-chart canvas').waitFor();

  // 6b. End the dose (checked again by the Advisor), then monitoring (gate, action per
  //     observation, rescue advice) and the discharge checklist.
  await page.getByLabel('Stopped at (UTC)').fill(iso(started + 40 * 60000));
  await page.getByRole('button', { name: 'End dose' }).click();
  // 56 mg given is still above the soft limit: refused until the reason is given again.
  await page.locator('#finish-result').getByText('Not recorded').waitFor();
  await page.getByLabel('Override reason (if the given dose passes a soft limit)').fill('partial responder at 0.5 mg/kg');
  await page.getByRole('button', { name: 'End dose' }).click();
  await page.locator('dd').filter({ hasText: /^completed$/ }).waitFor();
  await page.getByLabel('Resuscitation-trained staff present').check();
  await page.getByLabel('Resuscitation equipment present').check();
  await page.getByLabel('Pulse oximeter on').check();
  await page.getByLabel('Rescue plan chosen').selectOption('midazolam');
  await page.getByRole('button', { name: 'Run monitor' }).click();
  await page.locator('#monitor-result .outcome').first().waitFor();
  for (const label of ['Vitals back near baseline', 'Dissociation resolved', 'Oriented', 'Responsible adult present',
                       'Told not to drive until the next day', 'Next visit booked', 'Readiness for discharge assessed']) {
    await page.getByLabel(label).check();
  }
  await page.getByRole('button', { name: 'Evaluate discharge' }).click();
  await page.locator('#discharge-result .outcome').first().waitFor();
  await shot(page, '02-session-vitals-rescue.png');

  // 7. Outcome scores and the trajectory chart with response/remission lines.
  await page.getByRole('link', { name: /patient e2e-patient-1/ }).click();
  await page.getByRole('heading', { name: 'Patient e2e-patient-1' }).waitFor();
  const scores = [['2026-11-01T09:00:00Z', '3,3,2,3,2,2,2,2,1'], ['2026-11-10T09:00:00Z', '2,2,1,2,1,1,1,1,0'],
                  ['2026-11-24T09:00:00Z', '1,0,1,0,1,0,0,1,0']];
  for (const [i, [at, items]] of scores.entries()) {
    const total = items.split(',').map(Number).reduce((a, b) => a + b, 0);
    await page.getByLabel('Item scores (comma-separated)').fill(items);
    await page.getByLabel('When (UTC)').fill(at);
    await page.getByRole('button', { name: 'Save score' }).click();
    await page.locator('#status').filter({ hasText: `Saved: total ${total}` }).waitFor();
    if (i === 0) {
      // Item 9 = 1: a modal alert dialog that Escape does not dismiss; the
      // clinician acknowledges it with a reason (stored and audited).
      const dialog = page.getByRole('dialog', { name: /Suicidality alert/ });
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor();
      await shot(page, '03a-suicidality-alert-dialog.png');
      await dialog.getByLabel('Acknowledgement (assessment made, plan)').fill('seen today: passive thoughts, no plan; safety plan reviewed');
      await dialog.getByRole('button', { name: 'Acknowledge' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('#status').filter({ hasText: 'Alert acknowledged' }).waitFor();
    }
  }
  await page.locator('#outcome-chart canvas').waitFor();
  await page.locator('#outcome-legend').getByText('remission below 5').waitFor();
  await page.locator('#outcome-chart').scrollIntoViewIfNeeded();
  await shot(page, '03-patient-outcome-chart.png');

  // 8. The registry dashboard; then the tablet width.
  await page.getByRole('link', { name: 'Registry dashboard' }).click();
  await page.getByRole('heading', { name: /Registry dashboard/ }).waitFor();
  await page.locator('#summary').getByText('1 of 1').first().waitFor();
  await shot(page, '04-dashboard.png');
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.goto(base + '/#/patient/e2e-patient-1');
  await page.getByRole('heading', { name: 'Patient e2e-patient-1' }).waitFor();
  await shot(page, '05-patient-tablet.png');

  // 9. The clinical-record paths, each on a patient of its own.
  await page.setViewportSize({ width: 1280, height: 900 });
  const enrol = async (id, sex, facts) => {
    await page.goto(base + '/#/patients');
    await page.getByRole('heading', { name: 'Patients' }).waitFor();
    await page.getByLabel('Pseudonymous id (optional)').fill(id);
    await page.getByLabel('Sex').selectOption(sex);
    await page.getByLabel('Birth year').fill('1988');
    await page.getByLabel('Indication').selectOption('trd');
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page.getByRole('heading', { name: `Patient ${id}` }).waitFor();
    for (const [label, value] of Object.entries(facts)) {
      if (label === 'Pregnancy' || label === 'Weight method') await page.getByLabel(label, { exact: true }).selectOption(value);
      else await page.getByLabel(label, { exact: true }).fill(value);
    }
    await page.getByRole('button', { name: 'Save facts and screen' }).click();
    await page.getByRole('heading', { name: 'Screening result' }).waitFor();
  };
  const baseline = { 'Baseline SBP (mmHg)': '122', 'Baseline DBP (mmHg)': '76', 'Baseline HR (/min)': '70',
                     'Baseline SpO₂ (%)': '98', 'Baseline RR (/min)': '14' };
  const checkDose = async (mg) => {
    await page.getByLabel('Protocol').selectOption('iv-0.5-40min');
    await page.getByLabel('Ordered dose (mg, optional)').fill(mg);
    await page.getByRole('button', { name: 'Check dose' }).click();
    await page.getByRole('heading', { name: 'Dose check' }).waitFor();
  };

  // 9a. Cobicistat: screening says avoid midazolam; the rescue advice of the
  //     monitor (read from the stored screening) never names midazolam.
  await enrol('e2e-cobicistat', 'male', { 'Weight (kg)': '80', 'Height (cm)': '178', 'Pregnancy': 'not_pregnant',
                                          'Current medications (comma-separated)': 'cobicistat', ...baseline });
  await page.locator('#screen-result').getByText(/avoid .*midazolam/).waitFor();
  await checkDose('40');
  await page.locator('#dose-result .outcome').filter({ hasText: /^OK$/ }).waitFor();
  const cobiStart = Date.now() - 90 * 60000;
  await page.getByLabel('Session start (UTC)').fill(iso(cobiStart));
  await page.getByRole('button', { name: 'Record this session' }).click();
  await page.getByRole('heading', { name: /^Session / }).waitFor();
  await page.locator('#rescue-advice').getByText(/avoid .*midazolam/).waitFor();
  await page.getByLabel('Event', { exact: true }).selectOption('agitation');
  await page.getByLabel('Severity', { exact: true }).selectOption('moderate');
  await page.locator('[data-field="at"]').nth(1).fill(iso(cobiStart + 15 * 60000));
  await page.getByRole('button', { name: 'Record event' }).click();
  await page.getByRole('cell', { name: 'agitation' }).waitFor();
  await page.getByLabel('Resuscitation-trained staff present').check();
  await page.getByLabel('Resuscitation equipment present').check();
  await page.getByLabel('Pulse oximeter on').check();
  await page.getByLabel('Rescue plan chosen').selectOption('clonidine');
  await page.getByRole('button', { name: 'Run monitor' }).click();
  await page.getByRole('heading', { name: 'Rescue advice' }).waitFor();
  const rescueOutcomes = await page.locator('#monitor-result .decision .outcome').allTextContents();
  if (rescueOutcomes.some((t) => /MIDAZOLAM/.test(t))) throw new Error(`rescue advice named midazolam: ${rescueOutcomes}`);
  await shot(page, '06-cobicistat-rescue-advice.png');

  // 9b. Pregnancy: screening refuses; the dose check is a hard stop and the
  //     session cannot be recorded.
  await enrol('e2e-pregnant', 'female', { 'Weight (kg)': '64', 'Height (cm)': '165', 'Pregnancy': 'pregnant', ...baseline });
  await page.locator('#screen-result .outcome').filter({ hasText: 'NOT ELIGIBLE' }).waitFor();
  await checkDose('32');
  await page.locator('#dose-result .outcome').filter({ hasText: 'HARD STOP' }).first().waitFor();
  if (!await page.locator('#record-btn').isDisabled()) throw new Error('a refused dose could be recorded');
  await shot(page, '07-pregnancy-refused.png');

  // 9c. A 700 kg typo: a hard stop in the dose check (weight plausibility).
  await enrol('e2e-700kg', 'male', { 'Weight (kg)': '700', 'Height (cm)': '175', 'Pregnancy': 'not_pregnant', ...baseline });
  await checkDose('');
  await page.locator('#dose-result .outcome').filter({ hasText: 'HARD STOP' }).first().waitFor();
  await page.locator('#dose-result').getByText('weight.implausible').first().waitFor();
  if (!await page.locator('#record-btn').isDisabled()) throw new Error('a 700 kg dose could be recorded');
  await shot(page, '08-700kg-hard-stop.png');

  if (errors.length) throw new Error('browser console errors:\n' + errors.join('\n'));
  console.log('PASS: web UI end to end (login, enrol, facts, screen, plan, dose override, session, vitals, rescue, monitor, discharge, outcomes with the suicidality alert dialog, dashboard; cobicistat, pregnancy and 700 kg paths)');
} catch (e) {
  failed = true;
  console.error('FAIL:', e && e.stack ? e.stack : e);
  try { const p = ctx && ctx.pages()[0]; if (p) await shot(p, 'failure.png'); } catch (_) { /* best effort */ }
} finally {
  if (ctx) await ctx.close();
  server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
