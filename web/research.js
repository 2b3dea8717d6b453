// The research dashboard (researcher and admin; de-identified data only).
// Every number, interval, curve and figure comes from the server's analytics
// and meta-analysis engines (GET /api/v1/research/report and
// /api/v1/research/figures/*.svg); this page only filters, lays out and
// offers downloads. Small counts arrive already suppressed (null).
import { state, el, put, setMain, announce, api, errText, field, select, table } from './lib.js';

const FILTER_KEYS = ['from', 'to', 'indication', 'protocol', 'route', 'clinics', 'by'];
let filters = { clinics: 'mine', by: 'indication' };

const TIMEPOINTS = { '24h': '24 h', after_induction: 'After induction', '3_months': '3 months', '6_months': '6 months' };
const BY_WORDS = { indication: 'Indication', protocol: 'Protocol (first session)', route: 'Route (first session)', clinic: 'Clinic' };

function query(extra = {}) {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (filters[k]) p.set(k, filters[k]);
  for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
  return p.toString();
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
let suppressedBelow = 5;
// "80/173 = 46.2 % [39.0, 53.7]"; the engine's Wilson interval, as sent.
function rateText(r) {
  if (!r) return '—';
  if (r.suppressed) return r.denominator === null ? `suppressed (fewer than ${suppressedBelow})` : `suppressed (of ${r.denominator})`;
  if (!r.denominator) return 'none assessed';
  return `${r.numerator}/${r.denominator} = ${pct(r.rate)} [${(100 * r.ci_low).toFixed(1)}, ${(100 * r.ci_high).toFixed(1)}]`;
}
const count = (n) => (n === null || n === undefined ? `<${suppressedBelow}` : String(n));
const num = (x, d = 1) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));
const groupName = (g) => (g === 'all' ? 'All patients' : g.replaceAll('_', ' '));

function figureUrl(f, download = false) {
  const extra = { group: f.name === 'relapse-km' && f.group && f.group !== 'all' ? f.group : '' };
  if (download) extra.download = '1';
  return `/api/v1/research/figures/${encodeURIComponent(f.name)}?${query(extra)}`;
}
function figureFile(f) {
  const g = f.name === 'relapse-km' && f.group && f.group !== 'all' ? `-${f.group.replace(/[^A-Za-z0-9-]/g, '_')}` : '';
  return `kira-${f.name}${g}.svg`;
}

// One figure: the server's SVG as an image, its title, and an SVG download.
function figureView(f, describedBy) {
  const id = `fig-${f.name}${f.group && f.group !== 'all' ? `-${f.group}` : ''}`.replace(/[^A-Za-z0-9-]/g, '_');
  if (!f.available) {
    return el('div', { class: 'research-figure', id, 'data-figure': f.name },
      el('h3', {}, f.title), el('p', { class: 'muted' }, `Not shown: ${f.reason}.`));
  }
  return el('figure', { class: 'research-figure', id, 'data-figure': f.name, 'data-group': f.group || '' },
    // The SVG came with the report (one registry read per view); the link
    // downloads the same figure from the server.
    el('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(f.svg)}`, alt: `${f.title}. The numbers are in the table of this section.`,
                'aria-describedby': describedBy || null, width: 760 }),
    el('figcaption', {}, f.title, ' · ',
      el('a', { href: figureUrl(f, true), download: figureFile(f), class: 'svg-download' }, `Download ${f.title} (SVG)`)));
}

function filterForm(onApply) {
  const g = state.guideline || { indications: [], protocols: [], routes: [] };
  const any = [['', 'Any']];
  const form = el('form', { class: 'card no-print', id: 'research-filters', 'aria-labelledby': 'rf-h', novalidate: true },
    el('h2', { id: 'rf-h' }, 'Filters'),
    el('div', { class: 'fields' },
      field('rf', 'from', 'First session from', el('input', { type: 'date', value: filters.from || '' }), 'UTC date, inclusive'),
      field('rf', 'to', 'First session to', el('input', { type: 'date', value: filters.to || '' }), 'UTC date, inclusive'),
      field('rf', 'indication', 'Indication', select(any.concat((g.indications || []).map((x) => [x.id, x.name || x.id])))),
      field('rf', 'protocol', 'Protocol', select(any.concat((g.protocols || []).map((x) => [x.id, x.name || x.id])))),
      field('rf', 'route', 'Route', select(any.concat((g.routes || []).map((x) => [x.id, x.name || x.id])))),
      field('rf', 'clinics', 'Clinics', select([['mine', `This clinic (${state.me.clinic_id})`], ['all', 'Every clinic in the registry (aggregates only)']])),
      field('rf', 'by', 'Group by', select(Object.entries(BY_WORDS)))),
    el('p', { class: 'form-error', role: 'alert' }),
    el('div', { class: 'actions' },
      el('button', { type: 'submit', id: 'rf-apply' }, 'Apply filters'),
      el('button', { type: 'button', class: 'secondary', id: 'rf-reset', onclick: () => {
        filters = { clinics: 'mine', by: 'indication' };
        for (const k of FILTER_KEYS) form.querySelector(`[data-field="${k}"]`).value = filters[k] || '';
        onApply(form);
      } }, 'Clear filters')));
  for (const k of FILTER_KEYS) {
    const input = form.querySelector(`[data-field="${k}"]`);
    if (input && filters[k]) input.value = filters[k];
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    for (const k of FILTER_KEYS) filters[k] = form.querySelector(`[data-field="${k}"]`).value;
    onApply(form);
  });
  return form;
}

function ratesSection(rep) {
  const groups = rep.groups.length > 1 ? [...rep.groups, rep.overall] : [rep.overall];
  const series = table('Series and safety by group (Wilson 95 % intervals)',
    [BY_WORDS[rep.dimension] || 'Group', 'Patients started', 'Series completed', 'Returned after the series', 'Sessions (administered)', 'Annual-cap exceptions'],
    groups.map((g) => [groupName(g.group), count(g.patients_started), rateText(g.series_completion), rateText(g.returned_after_series),
      `${count(g.sessions)} (${count(g.administered_sessions)})`, rateText(g.annual_cap_exceptions)]),
    { id: 'research-series', captionVisible: true });
  const rows = [];
  for (const g of groups) {
    for (const o of g.outcomes) {
      rows.push([groupName(g.group), TIMEPOINTS[o.timepoint] || o.timepoint, rateText(o.response), rateText(o.remission),
        o.mean_total === null || !o.response.denominator ? '—' : `${num(o.mean_total)} (day ${num(o.mean_day, 0)})`]);
    }
  }
  const rule = rep.outcome_rule;
  const ruleText = [rule.response_min_percent_fall !== null ? `response: a fall of at least ${rule.response_min_percent_fall} % from baseline` : null,
    rule.response_min_point_fall !== null ? `or of at least ${rule.response_min_point_fall} points` : null,
    `remission: total ${rule.remission.op} ${rule.remission.value}`].filter(Boolean).join('; ');
  return el('section', { 'aria-labelledby': 'rs-h' }, el('h2', { id: 'rs-h' }, 'Rates with their denominators'),
    el('p', { class: 'muted' }, `Outcome: ${rule.instrument} (instrument library ${rule.library_version}); ${ruleText}. `,
      'Each rate is numerator/denominator with its Wilson 95 % interval; the denominator is the patients assessed in the window.'),
    series,
    table('Response and remission by time point', [BY_WORDS[rep.dimension] || 'Group', 'Time point', 'Response', 'Remission', 'Mean score (mean day)'], rows,
      { id: 'research-outcomes', captionVisible: true }));
}

function relapseSection(rep, figs) {
  const o = rep.overall;
  const km = o.relapse;
  const steps = km.steps || [];
  const stepTable = steps.length
    ? table('Kaplan–Meier steps, all patients (Greenwood 95 % interval)', ['Day', 'At risk', 'Relapses', 'Relapse-free', '95 % interval'],
      steps.map((s) => [num(s.time_days), String(s.at_risk), count(s.events), pct(s.survival),
        s.ci_low === null ? '—' : `${pct(s.ci_low)} – ${pct(s.ci_high)}`]), { id: 'research-km-steps', captionVisible: true })
    : el('p', { class: 'muted', id: 'research-km-steps' }, 'No relapse observed among the responders followed (every curve stays at 100 %).');
  const median = km.median_days === null || km.median_days === undefined ? 'not reached' : `${num(km.median_days, 0)} days`;
  return el('section', { 'aria-labelledby': 'km-h', id: 'research-km' }, el('h2', { id: 'km-h' }, 'Relapse after response (Kaplan–Meier)'),
    el('p', {}, `Responders after induction followed: ${count(km.responders)}; relapses: ${count(km.events)}; median time to relapse: ${median}. `,
      el('span', { class: 'muted' }, `Curves stop where fewer than ${suppressedBelow} remain at risk.`)),
    el('div', { class: 'research-figures' }, figs.filter((f) => f.name === 'relapse-km').map((f) => figureView(f, 'research-km-steps'))),
    stepTable);
}

function trajectorySection(figs) {
  return el('section', { 'aria-labelledby': 'tr-h' }, el('h2', { id: 'tr-h' }, 'Outcome trajectories'),
    el('p', { class: 'muted' }, 'Mean score of the patients assessed at baseline and at each time point (numbers in the table “Response and remission by time point”).'),
    el('div', { class: 'research-figures' }, figs.filter((f) => f.name === 'trajectories').map((f) => figureView(f, 'research-outcomes'))));
}

function adverseSection(rep, figs) {
  const o = rep.overall;
  const classes = o.adverse_events.map((a) => a.class);
  const inc = table('Adverse events per administered session (Wilson 95 % intervals)', ['Event', 'Sessions with the event'],
    o.adverse_events.map((a) => [a.class.replaceAll('_', ' '), rateText(a.per_session)]), { id: 'research-ae', captionVisible: true });
  const dr = table('Dose–response (logistic regression on mg/kg)', ['Event', 'Events / sessions', 'Odds ratio per +0.1 mg/kg (Wald 95 %)', 'Profile 95 %', 'p'],
    o.dose_response.map((d) => {
      const r = d.odds_ratio_per_0_1_mg_per_kg;
      return [d.class.replaceAll('_', ' '), `${count(d.events)} / ${count(d.sessions)}`,
        r ? `${num(r.estimate, 3)} [${num(r.wald_low, 3)}, ${num(r.wald_high, 3)}]` : `not estimable: ${d.not_estimable}`,
        r && r.profile_low !== null ? `[${num(r.profile_low, 3)}, ${num(r.profile_high, 3)}]` : '—',
        d.slope_per_mg_per_kg ? Number(d.slope_per_mg_per_kg.p_value).toPrecision(3) : '—'];
    }), { id: 'research-dose-response', captionVisible: true });
  const bands = table(`Sessions and events per ${rep.options.dose_band_mg_per_kg} mg/kg dose band`, ['Dose (mg/kg)', 'Sessions', ...classes.map((c) => c.replaceAll('_', ' '))],
    o.ae_by_dose.map((b) => [`${num(b.low_mg_per_kg, 2)} – ${num(b.high_mg_per_kg, 2)}`, String(b.sessions), ...classes.map((c) => count(b.events[c]))]),
    { id: 'research-ae-bands', captionVisible: true });
  return el('section', { 'aria-labelledby': 'ae-h' }, el('h2', { id: 'ae-h' }, 'Adverse events by dose'),
    el('div', { class: 'research-figures' }, figs.filter((f) => f.name === 'ae-by-dose').map((f) => figureView(f, 'research-ae-bands'))),
    inc, bands, dr);
}

function trialsSection(data, figs) {
  return el('section', { 'aria-labelledby': 'tri-h', id: 'research-trials' }, el('h2', { id: 'tri-h' }, 'This registry beside the pooled trials'),
    el('p', { class: 'muted' }, 'The ketamine arms of the bundled randomised trials, pooled on the logit scale by the meta-analysis engine, with the registry’s own rate (not pooled). Trials used their own rating scales; the registry uses the outcome above.'),
    data.trials.map((t) => {
      const f = figs.find((x) => x.name === `trials-${t.outcome_id}`);
      const rows = t.trials.map((a) => [a.label, `${a.responders}/${a.n}`, `${pct(a.rate)} [${(100 * a.ci_low).toFixed(1)}, ${(100 * a.ci_high).toFixed(1)}]`, `${num(a.weight_percent)} %`]);
      if (t.pooled) {
        rows.push([`Pooled (${t.method}, logit)`, '—', `${pct(t.pooled.rate)} [${(100 * t.pooled.ci_low).toFixed(1)}, ${(100 * t.pooled.ci_high).toFixed(1)}]`,
          t.pooled.pi_low === null ? '—' : `prediction ${(100 * t.pooled.pi_low).toFixed(1)} – ${(100 * t.pooled.pi_high).toFixed(1)} %`]);
      }
      rows.push([`This registry: ${t.registry_measure}`, t.registry.suppressed ? 'suppressed' : `${t.registry.numerator}/${t.registry.denominator}`,
        rateText(t.registry), 'not pooled']);
      const where = { inside: 'inside', below: 'below', above: 'above' }[t.registry_vs_prediction_interval];
      const tid = `research-trials-${t.outcome_id}`;
      return el('div', { class: 'card' }, el('h3', {}, t.outcome_label || t.outcome_id),
        table(`${t.outcome_label || t.outcome_id}: trials and this registry`, ['Trial', 'Responders', 'Rate [95 %]', 'Weight'], rows, { id: tid }),
        where ? el('p', {}, `The registry’s rate lies ${where} the trials’ prediction interval.`) : null,
        t.registry.denominator === 0 ? el('p', { class: 'muted' }, 'No patient in this selection has a baseline and a score at this time point.') : null,
        t.notes.length ? el('ul', { class: 'muted' }, t.notes.map((n) => el('li', {}, n))) : null,
        f ? figureView(f, tid) : null);
    }));
}

async function load(results, form) {
  put(results, el('p', { role: 'status' }, 'Computing the report…'));
  const r = await api('GET', `/api/v1/research/report?${query()}`);
  if (!r.ok) {
    const msg = errText(r);
    const fe = form && form.querySelector('.form-error');
    if (fe) fe.textContent = msg;
    const bad = r.data?.error?.field && form ? form.querySelector(`[data-field="${CSS.escape(r.data.error.field)}"]`) : null;
    if (bad) { bad.setAttribute('aria-invalid', 'true'); bad.focus(); }
    put(results, el('p', { class: 'form-error' }, msg));
    announce(msg);
    return;
  }
  if (form) {
    form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
    form.querySelector('.form-error').textContent = '';
  }
  const d = r.data;
  suppressedBelow = d.suppressed_below;
  const rep = d.report;
  const f = d.filters;
  const summary = [f.clinics === 'all' ? 'every clinic' : `clinic ${f.clinic_id}`, f.indication && `indication ${f.indication}`,
    f.protocol && `protocol ${f.protocol}`, f.route && `route ${f.route}`, f.from && `from ${f.from}`, f.to && `to ${f.to}`,
    `grouped by ${(BY_WORDS[f.by] || f.by).toLowerCase()}`].filter(Boolean).join(', ');
  put(results,
    el('h2', { id: 'research-results-h', tabindex: '-1' }, `Report: ${count(rep.overall.patients_started)} patients`),
    el('p', { id: 'research-summary' }, `Selection: ${summary}. Counts from 1 to ${suppressedBelow - 1} are suppressed.`),
    ratesSection(rep), relapseSection(rep, d.figures), trajectorySection(d.figures), adverseSection(rep, d.figures), trialsSection(d, d.figures));
  announce(`Report updated: ${count(rep.overall.patients_started)} patients`);
}

export async function researchPage() {
  const results = el('div', { id: 'research-results' });
  const form = filterForm(async (fm) => { await load(results, fm); document.getElementById('research-results-h')?.focus(); });
  setMain(el('h1', {}, 'Research dashboard'),
    el('p', { class: 'muted' }, 'De-identified: aggregates of the registry only, computed by the server; no patient is named or identifiable here. Clinics appear only as aggregate groups.'),
    form,
    el('p', { class: 'actions no-print' },
      el('a', { href: '/api/v1/research/export', download: `kira-deidentified-${state.me.clinic_id}.csv`, id: 'research-export' },
        'Download the de-identified export (CSV, HIPAA Safe Harbor)')),
    results);
  await load(results, form);
}
