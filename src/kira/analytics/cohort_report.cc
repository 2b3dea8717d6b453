#include "kira/analytics/cohort_report.h"
#include "kira/instruments/outcome_rule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace kira::analytics {

namespace {

// mg/kg above this is not a ketamine dose but a data error; it also bounds
// the dense dose-bin arrays.
constexpr double kMaxMgPerKg = 100.0;

struct Accumulator {
  std::int64_t started = 0, with_baseline = 0, completed = 0, returned = 0;
  std::int64_t sessions = 0, administered = 0, cap = 0;
  std::int64_t response[kTimepoints] = {}, remission[kTimepoints] = {}, assessed[kTimepoints] = {};
  double day_sum[kTimepoints] = {}, total_sum[kTimepoints] = {};
  double baseline_sum = 0;
  std::vector<std::int64_t> ae;  // per class
  std::vector<stats::SurvivalObservation> relapse;
  // Dose bins: trials[b] administered sessions at mg/kg = b * resolution;
  // events[b * classes + c] of them with class c.
  std::vector<std::int64_t> bin_trials;
  std::vector<std::int64_t> bin_events;

  explicit Accumulator(std::size_t classes) : ae(classes, 0) {}

  void Merge(const Accumulator& o, std::size_t classes) {
    started += o.started;
    with_baseline += o.with_baseline;
    completed += o.completed;
    returned += o.returned;
    sessions += o.sessions;
    administered += o.administered;
    cap += o.cap;
    for (int t = 0; t < kTimepoints; ++t) {
      response[t] += o.response[t];
      remission[t] += o.remission[t];
      assessed[t] += o.assessed[t];
      day_sum[t] += o.day_sum[t];
      total_sum[t] += o.total_sum[t];
    }
    baseline_sum += o.baseline_sum;
    for (std::size_t c = 0; c < classes; ++c) ae[c] += o.ae[c];
    relapse.insert(relapse.end(), o.relapse.begin(), o.relapse.end());
    if (bin_trials.size() < o.bin_trials.size()) {
      bin_trials.resize(o.bin_trials.size(), 0);
      bin_events.resize(o.bin_trials.size() * classes, 0);
    }
    for (std::size_t b = 0; b < o.bin_trials.size(); ++b) bin_trials[b] += o.bin_trials[b];
    for (std::size_t i = 0; i < o.bin_events.size(); ++i) bin_events[i] += o.bin_events[i];
  }
};

Rate MakeRate(std::int64_t num, std::int64_t den, double level) {
  Rate r;
  r.numerator = num;
  r.denominator = den;
  if (den > 0) {
    auto ci = stats::WilsonInterval(static_cast<double>(num), static_cast<double>(den), level);
    if (ci.ok()) r.ci = *ci;
  }
  return r;
}

// The instrument library's response and remission rule (instruments/outcome_rule.h).
bool Responds(const OutcomeRule& rule, double baseline, double score) {
  return instruments::FallMeetsResponse(rule.response_min_percent_fall, rule.response_min_point_fall, baseline, score);
}

bool Remits(const OutcomeRule& rule, double score) {
  return instruments::ScoreMeetsRemission(rule.remission_inclusive, rule.remission_value, score);
}

// Index of the score nearest `target` (relative day) within +/- halfwidth,
// the earlier on a tie; -1 if none.
std::int64_t Nearest(const CohortScore* s, std::uint32_t n, double first_day, double low, double high,
                     double target) {
  std::int64_t best = -1;
  double best_gap = std::numeric_limits<double>::infinity();
  for (std::uint32_t j = 0; j < n; ++j) {
    const double r = s[j].day - first_day;
    if (r < low) continue;
    if (r > high) break;
    const double gap = std::abs(r - target);
    if (gap < best_gap) {
      best_gap = gap;
      best = j;
    }
  }
  return best;
}

GroupReport Finish(std::string name, const Accumulator& a, const Cohort& cohort, const AnalysisOptions& options) {
  const double level = options.level;
  const std::size_t classes = cohort.ae_classes.size();
  GroupReport g;
  g.group = std::move(name);
  g.patients_started = a.started;
  g.patients_with_baseline = a.with_baseline;
  g.baseline_mean_total = a.with_baseline ? a.baseline_sum / static_cast<double>(a.with_baseline) : 0.0;
  g.series_completion = MakeRate(a.completed, a.started, level);
  g.returned = MakeRate(a.returned, a.completed, level);
  g.sessions = a.sessions;
  g.administered_sessions = a.administered;
  for (int t = 0; t < kTimepoints; ++t) {
    const double n = static_cast<double>(a.assessed[t]);
    g.outcomes.push_back({static_cast<Timepoint>(t), MakeRate(a.response[t], a.assessed[t], level),
                          MakeRate(a.remission[t], a.assessed[t], level), n > 0 ? a.day_sum[t] / n : 0.0,
                          n > 0 ? a.total_sum[t] / n : 0.0});
  }
  g.relapse.responders = static_cast<std::int64_t>(a.relapse.size());
  if (!a.relapse.empty()) {
    auto km = stats::KaplanMeier(a.relapse, level);
    if (km.ok()) g.relapse.km = std::move(km).value();
  }
  for (std::size_t c = 0; c < classes; ++c) {
    g.adverse_events.push_back({cohort.ae_classes[c], MakeRate(a.ae[c], a.administered, level)});
    DoseResponse d;
    d.ae_class = cohort.ae_classes[c];
    d.sessions = a.administered;
    d.events = a.ae[c];
    std::vector<stats::BinomialRow> rows;
    for (std::size_t b = 0; b < a.bin_trials.size(); ++b) {
      if (a.bin_trials[b] == 0) continue;
      rows.push_back({static_cast<double>(b) * kMgPerKgResolution,
                      static_cast<double>(a.bin_events[b * classes + c]),
                      static_cast<double>(a.bin_trials[b])});
    }
    // The odds ratio is reported per +0.1 mg/kg; observed doses spanning less
    // than that would be extrapolated far outside the data (ORs like 1e40).
    double x_lo = HUGE_VAL, x_hi = -HUGE_VAL;
    for (const auto& row : rows) {
      x_lo = std::min(x_lo, row.x);
      x_hi = std::max(x_hi, row.x);
    }
    if (!rows.empty() && x_hi - x_lo < kMinDoseSpanMgPerKg) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "observed doses span only %.3f-%.3f mg/kg, less than the 0.1 mg/kg the odds ratio is reported per",
                    x_lo, x_hi);
      d.not_estimable_reason = buf;
      g.dose_response.push_back(std::move(d));
      continue;
    }
    auto fit = stats::FitLogistic(rows, level);
    if (fit.ok()) {
      d.fit = *fit;
    } else {
      d.not_estimable_reason = fit.status().message();
    }
    g.dose_response.push_back(std::move(d));
  }
  // Dose bands from the fine bins (bin b holds mg/kg = b * resolution).
  for (std::size_t b = 0; b < a.bin_trials.size(); ++b) {
    if (a.bin_trials[b] == 0) continue;
    const double x = static_cast<double>(b) * kMgPerKgResolution;
    // Band edges rounded to the bin resolution (0.7, not 0.7000000000000001).
    const double low = std::round(std::floor(x / options.dose_band_mg_per_kg + 1e-9) * options.dose_band_mg_per_kg /
                                  kMgPerKgResolution) *
                       kMgPerKgResolution;
    if (g.ae_by_dose.empty() || g.ae_by_dose.back().low_mg_per_kg < low - 1e-12) {
      g.ae_by_dose.push_back({low, std::round((low + options.dose_band_mg_per_kg) / kMgPerKgResolution) * kMgPerKgResolution, 0, std::vector<std::int64_t>(classes, 0)});
    }
    DoseBand& band = g.ae_by_dose.back();
    band.sessions += a.bin_trials[b];
    for (std::size_t c = 0; c < classes; ++c) band.events[c] += a.bin_events[b * classes + c];
  }
  g.cap_exceptions = MakeRate(a.cap, a.administered, level);
  return g;
}

Status Invalid(const std::string& field, std::size_t i, const std::string& why) {
  return InvalidArgumentError("cohort." + field + "[" + std::to_string(i) + "]: " + why);
}

}  // namespace

const char* TimepointName(Timepoint t) {
  switch (t) {
    case Timepoint::k24h: return "24h";
    case Timepoint::kAfterInduction: return "after_induction";
    case Timepoint::kMonth3: return "3_months";
    case Timepoint::kMonth6: return "6_months";
  }
  return "?";
}

StatusOr<CohortReport> ComputeCohortReport(const Cohort& cohort, const OutcomeRule& rule,
                                           const AnalysisOptions& options) {
  if (!rule.response_min_percent_fall && !rule.response_min_point_fall) {
    return InvalidArgumentError("rule: instrument '" + rule.instrument + "' has no response criterion");
  }
  if (!(options.level > 0 && options.level < 1)) return InvalidArgumentError("options.level: must be in (0, 1)");
  if (!(options.dose_band_mg_per_kg >= kMgPerKgResolution && options.dose_band_mg_per_kg <= kMaxMgPerKg)) {
    return InvalidArgumentError("options.dose_band_mg_per_kg: must be in [0.001, 100]");
  }
  if (cohort.ae_classes.size() > static_cast<std::size_t>(kMaxAeClasses)) {
    return InvalidArgumentError("cohort.ae_classes: at most " + std::to_string(kMaxAeClasses) + " classes");
  }
  const std::size_t classes = cohort.ae_classes.size();
  std::vector<Accumulator> acc(cohort.group_names.size(), Accumulator(classes));

  for (std::size_t p = 0; p < cohort.patients.size(); ++p) {
    const CohortPatient& pt = cohort.patients[p];
    if (pt.group >= acc.size()) return Invalid("patients", p, "group out of range");
    if (static_cast<std::uint64_t>(pt.first_session) + pt.session_count > cohort.sessions.size()) {
      return Invalid("patients", p, "sessions out of range");
    }
    if (static_cast<std::uint64_t>(pt.first_score) + pt.score_count > cohort.scores.size()) {
      return Invalid("patients", p, "scores out of range");
    }
    if (pt.session_count == 0) continue;
    Accumulator& a = acc[pt.group];
    const CohortSession* s = cohort.sessions.data() + pt.first_session;
    const CohortScore* sc = cohort.scores.data() + pt.first_score;
    const double first_day = s[0].start_day;
    const std::uint32_t series = pt.series_length == 0 ? 1 : pt.series_length;

    ++a.started;
    a.sessions += pt.session_count;
    std::uint32_t completed_in_window = 0;
    std::int64_t end_index = -1;  // the session that completed the series
    for (std::uint32_t i = 0; i < pt.session_count; ++i) {
      const CohortSession& x = s[i];
      if (!std::isfinite(x.start_day) || (i > 0 && x.start_day < s[i - 1].start_day)) {
        return Invalid("sessions", pt.first_session + i, "start_day not finite or out of order");
      }
      if (end_index < 0 && x.completed && x.start_day - first_day <= options.induction_window_days &&
          ++completed_in_window == series) {
        end_index = i;
      }
      if (!x.administered) continue;
      ++a.administered;
      if (x.cap_override) ++a.cap;
      if (!(x.mg_per_kg >= 0 && x.mg_per_kg <= kMaxMgPerKg)) {
        return Invalid("sessions", pt.first_session + i, "mg_per_kg not in [0, 100]");
      }
      const auto bin = static_cast<std::size_t>(std::lround(x.mg_per_kg / kMgPerKgResolution));
      if (bin >= a.bin_trials.size()) {
        a.bin_trials.resize(bin + 1, 0);
        a.bin_events.resize((bin + 1) * classes, 0);
      }
      ++a.bin_trials[bin];
      for (std::uint64_t m = x.ae_mask; m != 0; m &= m - 1) {
        const auto c = static_cast<std::size_t>(std::countr_zero(m));
        if (c >= classes) return Invalid("sessions", pt.first_session + i, "ae_mask names an unknown class");
        ++a.ae[c];
        ++a.bin_events[bin * classes + c];
      }
    }
    const bool completed = end_index >= 0;
    if (completed) {
      ++a.completed;
      if (end_index + 1 < static_cast<std::int64_t>(pt.session_count)) ++a.returned;
    }

    // Baseline: the latest score in [-window, 0] days.
    std::int64_t base = -1;
    for (std::uint32_t j = 0; j < pt.score_count; ++j) {
      if (!std::isfinite(sc[j].day) || !std::isfinite(sc[j].total) || (j > 0 && sc[j].day < sc[j - 1].day)) {
        return Invalid("scores", pt.first_score + j, "not finite or out of order");
      }
      const double r = sc[j].day - first_day;
      if (r > 0) break;
      if (r >= -options.baseline_window_days) base = j;
    }
    if (base < 0) continue;
    ++a.with_baseline;
    const double b = sc[base].total;
    a.baseline_sum += b;

    std::int64_t at[kTimepoints] = {-1, -1, -1, -1};
    at[0] = Nearest(sc, pt.score_count, first_day, options.h24_low_days, options.h24_high_days, 1.0);
    if (completed) {
      const double end = s[end_index].start_day;
      for (std::uint32_t j = 0; j < pt.score_count; ++j) {
        if (sc[j].day <= end) continue;
        if (sc[j].day > end + options.after_induction_days) break;
        at[1] = j;
      }
    }
    at[2] = Nearest(sc, pt.score_count, first_day, options.month3_day - options.month3_halfwidth_days,
                    options.month3_day + options.month3_halfwidth_days, options.month3_day);
    at[3] = Nearest(sc, pt.score_count, first_day, options.month6_day - options.month6_halfwidth_days,
                    options.month6_day + options.month6_halfwidth_days, options.month6_day);
    for (int t = 0; t < kTimepoints; ++t) {
      if (at[t] < 0) continue;
      ++a.assessed[t];
      const double v = sc[at[t]].total;
      a.day_sum[t] += sc[at[t]].day - first_day;
      a.total_sum[t] += v;
      if (Responds(rule, b, v)) ++a.response[t];
      if (Remits(rule, v)) ++a.remission[t];
    }

    // Relapse among responders after induction.
    if (at[1] >= 0 && Responds(rule, b, sc[at[1]].total)) {
      const double origin = sc[at[1]].day;
      stats::SurvivalObservation obs{0.0, false};
      for (auto j = static_cast<std::uint32_t>(at[1] + 1); j < pt.score_count; ++j) {
        obs.time = sc[j].day - origin;
        if (!Responds(rule, b, sc[j].total)) {
          obs.event = true;
          break;
        }
      }
      a.relapse.push_back(obs);
    }
  }

  CohortReport report;
  report.dimension = cohort.dimension;
  report.rule = rule;
  report.options = options;
  Accumulator all(classes);
  for (std::size_t g = 0; g < acc.size(); ++g) {
    all.Merge(acc[g], classes);
    report.groups.push_back(Finish(cohort.group_names[g], acc[g], cohort, options));
  }
  report.overall = Finish("all", all, cohort, options);
  return report;
}

}  // namespace kira::analytics
