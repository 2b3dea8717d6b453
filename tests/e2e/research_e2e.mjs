// The research dashboard in a real browser: Debian's /usr/bin/chromium,
// headless, driven by playwright-core, against `kira serve` on loopback with
// a synthetic registry of two clinics (`kira demo`).
//
//   node tests/e2e/research_e2e.mjs BUILD/kira OUT_DIR
//
// A researcher logs in and lands on the dashboard; the rates carry their
// denominators and Wilson intervals; the filters (route, protocol, period,
// clinics, grouping) re-run the report on the server, by mouse and by
// keyboard; a period that ends before it starts is refused naming the field;
// the Kaplan-Meier relapse curves are shown as the server's SVG and one is
// downloaded; every other figure downloads as SVG; the de-identified export
// downloads as CSV without identifiers; pooling every clinic shows a small
// clinic's counts suppressed. Every page is checked with axe-core (no
// serious or critical violation) and for horizontal scroll at 1280 and 390 px.
// A clinician sees no research link and the API refuses the route.
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
if (!kira) { console.error('usage: research_e2e.mjs KIRA_BINARY [OUT_DIR]'); process.exit(2); }
if (!fs.existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} is not installed (scripts/install-deps installs Debian's chromium)`);
  process.exit(77);
}
const require = createRequire(path.join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kira-research-e2e-'));
const db = path.join(tmp, 'kira.db');
const pwFile = path.join(tmp, 'pw');
const PW = 'e2e research day 2026';
fs.writeFileSync(pwFile, `${PW}\n`);
fs.mkdirSync(outDir, { recursive: true });
const run = (args) => execFileSync(kira, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
// Two clinics: a larger one (the researcher's) and a small one whose counts
// fall under the small-cell rule when pooled.
run(['demo', '--db', db, '--clinic', 'north-clinic', '--patients', '80']);
run(['demo', '--db', db, '--clinic', 'south-clinic', '--patients', '3', '--seed', '7']);
run(['user', 'add', '--db', db, '--clinic', 'north-clinic', '--role', 'researcher', '--name', 'Rita Researcher',
     '--login', 'rita.e2e', '--password-file', pwFile]);
run(['user', 'add', '--db', db, '--clinic', 'north-clinic', '--role', 'clinician', '--name', 'Dr Carl Clinician',
     '--login', 'dr.e2e', '--password-file', pwFile]);

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

let ctx;
let failed = false;
let width = 1280;
const checked = [];
const shot = async (page, name) => {
  const file = path.join(outDir, `research-${width}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
};
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
const expect = (cond, msg) => { if (!cond) throw new Error(msg); };

async function login(page, who, home) {
  await page.goto(base + '/#/login');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Login', { exact: true }).fill(who);
  await page.getByLabel('Password', { exact: true }).fill(PW);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await page.getByRole('heading', { name: home }).waitFor();
}
async function logout(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
}
// Every image of the dashboard has loaded and is the server's SVG.
async function figuresLoaded(page) {
  const imgs = page.locator('#research-results figure img');
  const n = await imgs.count();
  for (let i = 0; i < n; ++i) {
    await imgs.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await imgs.nth(i).elementHandle());
  }
  return n;
}
async function download(page, locator) {
  const d = page.waitForEvent('download');
  await locator.click();
  const dl = await d;
  return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
}
const rateRe = /\d+\/\d+ = \d+\.\d % \[\d+\.\d, \d+\.\d\]/;

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
  page.setDefaultTimeout(20000);

  // ---- A clinician has no research dashboard ----
  await login(page, 'dr.e2e', /^Today/);
  expect(!(await page.getByRole('link', { name: 'Research dashboard' }).count()), 'a clinician sees the research link');
  const refused = await page.evaluate(async () => (await fetch('/api/v1/research/report')).status);
  expect(refused === 403, `a clinician's research report answered ${refused}, not 403`);
  await logout(page);

  // ---- The researcher lands on the dashboard ----
  await login(page, 'rita.e2e', 'Research dashboard');
  await page.locator('#research-results-h').waitFor();
  const series = page.locator('#research-series');
  await series.getByText('All patients').waitFor();
  const seriesText = await series.textContent();
  expect(rateRe.test(seriesText), `series table lacks numerator/denominator with a Wilson interval: ${seriesText.slice(0, 300)}`);
  expect((await page.locator('#research-outcomes').textContent()).includes('After induction'), 'no after-induction outcome row');
  expect(await figuresLoaded(page) >= 4, 'fewer than four figures shown');
  await checkPage(page, '01-dashboard');

  // ---- The Kaplan-Meier relapse curves: shown, and downloaded as SVG ----
  const km = page.locator('#research-km');
  await km.scrollIntoViewIfNeeded();
  const kmImgs = km.locator('figure img');
  expect(await kmImgs.count() >= 1, 'no Kaplan-Meier curve shown');
  const kmSrc = decodeURIComponent(await kmImgs.first().getAttribute('src'));
  expect(kmSrc.startsWith('data:image/svg+xml') && kmSrc.includes('km-curve'), `the curve is not the server's KM figure: ${kmSrc.slice(0, 120)}`);
  const kmHref = await km.locator('a.svg-download').first().getAttribute('href');
  expect(kmHref.startsWith('/api/v1/research/figures/relapse-km'), `the KM download is not the server's figure route: ${kmHref}`);
  const kmSvg = await download(page, km.locator('a.svg-download').first());
  expect(kmSvg.name.endsWith('.svg'), `KM download named ${kmSvg.name}`);
  expect(/<svg[\s>]/.test(kmSvg.text) && kmSvg.text.includes('km-curve'), 'the KM download is not an SVG with a curve');
  // Every other figure downloads as SVG too.
  const links = page.locator('#research-results a.svg-download');
  const nLinks = await links.count();
  for (let i = 0; i < nLinks; ++i) {
    const f = await download(page, links.nth(i));
    expect(f.name.endsWith('.svg') && /<svg[\s>]/.test(f.text), `figure download ${i} (${f.name}) is not SVG`);
  }
  console.log(`downloaded ${nLinks} figures as SVG`);

  // ---- The de-identified export ----
  const csv = await download(page, page.locator('#research-export'));
  const header = csv.text.split('\n')[0];
  expect(header.startsWith('subject,'), `export header: ${header}`);
  for (const forbidden of ['name', 'mrn', 'birth', 'address', 'phone', 'email']) {
    expect(!header.toLowerCase().includes(forbidden), `the export has an identifying column (${forbidden}): ${header}`);
  }
  expect(csv.text.split('\n').length > 80, 'the export has fewer rows than the registry has patients');

  // ---- Filters: route and grouping by protocol, with the mouse ----
  await page.getByLabel('Route', { exact: true }).selectOption('iv');
  await page.getByLabel('Group by').selectOption('protocol');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#research-summary').filter({ hasText: 'route iv, grouped by protocol' }).waitFor();
  const protoRows = await page.locator('#research-series tbody tr').count();
  expect(protoRows >= 2, 'grouping by protocol shows no protocol row');
  expect((await page.locator('#research-series thead').textContent()).includes('Protocol'), 'the group column is not the protocol');
  await figuresLoaded(page);
  await checkPage(page, '02-filtered-route-protocol');

  // ---- A period that ends before it starts: refused, naming the field ----
  await page.getByLabel('First session from').fill('2026-06-01');
  await page.getByLabel('First session to').fill('2026-01-01');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#research-filters .form-error').filter({ hasText: /from/ }).waitFor();
  expect(await page.getByLabel('First session from').getAttribute('aria-invalid') === 'true', 'the bad period is not marked on its field');

  // ---- By keyboard: a period that excludes everyone, applied with Enter ----
  await page.getByLabel('First session from').fill('2000-01-01');
  await page.getByLabel('First session to').fill('2000-12-31');
  await page.getByLabel('Group by').focus();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'rf-apply',
    'Tab from the last filter does not reach Apply');
  await page.keyboard.press('Enter');
  await page.locator('#research-results-h').filter({ hasText: 'Report: 0 patients' }).waitFor();
  expect(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'research-results-h',
    'focus does not move to the results after applying');

  // ---- Every clinic, grouped by clinic: the small clinic is suppressed ----
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.locator('#research-summary').filter({ hasText: 'Selection: clinic north-clinic, grouped by indication' }).waitFor();
  await page.getByLabel('Clinics').selectOption('all');
  await page.getByLabel('Group by').selectOption('clinic');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#research-summary').filter({ hasText: 'every clinic' }).waitFor();
  const south = page.locator('#research-series tbody tr').filter({ hasText: 'south-clinic' });
  await south.waitFor();
  // Three patients: the patient count and every rate over them are suppressed.
  const southPatients = await south.locator('td[data-label="Patients started"]').textContent();
  expect(southPatients === '<5', `the small clinic's patient count is shown: ${southPatients}`);
  const southSeries = await south.locator('td[data-label="Series completed"]').textContent();
  expect(southSeries.includes('suppressed') && !rateRe.test(southSeries), `the small clinic's completion rate is shown: ${southSeries}`);
  await page.locator('#research-series tbody tr').filter({ hasText: 'north-clinic' }).waitFor();
  await figuresLoaded(page);
  await checkPage(page, '03-all-clinics');

  // ---- Small screen: 390 px ----
  width = 390;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.locator('#research-summary').filter({ hasText: 'Selection: clinic north-clinic, grouped by indication' }).waitFor();
  await figuresLoaded(page);
  await checkPage(page, '04-dashboard');
  await logout(page);

  if (errors.length) throw new Error('browser console errors:\n' + errors.join('\n'));
  console.log(`PASS: research dashboard in the web UI (${checked.length} page checks with axe-core and no sideways scroll: ${checked.join(', ')})`);
} catch (e) {
  failed = true;
  console.error('FAIL:', e && e.stack ? e.stack : e);
  try { const p = ctx && ctx.pages()[0]; if (p) await p.screenshot({ path: path.join(outDir, 'research-failure.png'), fullPage: true }); } catch (_) { /* best effort */ }
} finally {
  if (ctx) await ctx.close();
  server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
