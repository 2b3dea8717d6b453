#include "kira/stats/mantel_haenszel.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"

namespace kira::stats {
namespace {

Status ValidateTables(std::string_view fn, std::span<const TwoByTwoTable> tables, double level) {
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize(fn, "tables", tables.size(), 1));
  KIRA_RETURN_IF_ERROR(internal::CheckLevel(fn, level));
  // Reuse the escalc validation (counts >= 0, arms non-empty).
  auto es = EffectSizesFromTables(tables, EffectMeasure::kRiskDifference);
  if (!es.ok()) return es.status().WithContext(std::string(fn));
  return Status::Ok();
}

bool DoubleZero(const TwoByTwoTable& t) {
  return (t.events_treated == 0 && t.events_control == 0) ||
         (t.non_events_treated == 0 && t.non_events_control == 0);
}

// Q around `beta` with escalc yi/vi of the non-double-zero tables.
StatusOr<Heterogeneity> TableHeterogeneity(std::span<const TwoByTwoTable> tables, EffectMeasure measure,
                                 double beta) {
  std::vector<TwoByTwoTable> kept;
  for (const TwoByTwoTable& t : tables) {
    if (!DoubleZero(t)) kept.push_back(t);
  }
  Heterogeneity h;
  if (kept.size() <= 1) return h;
  auto es = EffectSizesFromTables(kept, measure);
  if (!es.ok()) return es.status().WithContext("heterogeneity");
  double q = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    q += (es->yi[i] - beta) * (es->yi[i] - beta) / es->vi[i];
  }
  const double df = static_cast<double>(kept.size() - 1);
  h.q = std::max(0.0, q);
  h.df = static_cast<int>(kept.size() - 1);
  h.p_value = ChiSquareUpperTail(h.q, df);
  h.i2_percent = h.q > 0 ? std::max(0.0, 100 * (h.q - df) / h.q) : 0.0;
  h.h2 = h.q / df;
  return h;
}

// Breslow-Day and Tarone statistics around the MH odds ratio `psi`
// (Tarone 1985, Biometrika 72:91): N11 is the treated-events cell expected
// under a common odds ratio psi given the margins.
void BreslowDayTarone(std::span<const TwoByTwoTable> tables, double psi, TablePoolingResult& r) {
  double bd = 0, sum_dev = 0, sum_var = 0;
  int k_pos = 0;
  for (const TwoByTwoTable& t : tables) {
    const double ai = t.events_treated, bi = t.non_events_treated;
    const double ci = t.events_control, di = t.non_events_control;
    const double n = ai + bi + ci + di, n1 = ai + bi, n2 = ci + di;
    const double xt = ai + ci, yt = bi + di;
    double n11 = 0;
    if (psi == 1) {
      n11 = n1 / n * xt;
    } else {
      const double a = psi * (n1 + xt) + (n2 - xt);
      const double b = std::sqrt(a * a - 4 * n1 * xt * psi * (psi - 1));
      n11 = (a - b) / (2 * (psi - 1));
    }
    if (!(n11 > 0) || !(xt > 0) || !(yt > 0)) continue;
    ++k_pos;
    const double n12 = n1 - n11, n21 = xt - n11, n22 = n11 - n1 - xt + n;
    const double inv = 1 / n11 + 1 / n12 + 1 / n21 + 1 / n22;
    bd += (ai - n11) * (ai - n11) * inv;
    sum_dev += ai - n11;
    sum_var += 1 / inv;
  }
  if (k_pos == 0) return;
  r.breslow_day_statistic = std::max(0.0, bd);
  r.tarone_statistic = std::max(0.0, bd - sum_dev * sum_dev / sum_var);
  r.tarone_df = k_pos - 1;
  if (k_pos > 1) {
    r.breslow_day_p_value = ChiSquareUpperTail(*r.breslow_day_statistic, k_pos - 1.0);
    r.tarone_p_value = ChiSquareUpperTail(*r.tarone_statistic, k_pos - 1.0);
  }
}

void FillInference(TablePoolingResult& r, double level) {
  r.z = r.estimate / r.se;
  r.p_value = NormalTwoSidedP(r.z);
  const double crit = NormalQuantile(1 - (1 - level) / 2);
  r.ci_low = r.estimate - crit * r.se;
  r.ci_high = r.estimate + crit * r.se;
}

}  // namespace

StatusOr<TablePoolingResult> MantelHaenszel(std::span<const TwoByTwoTable> tables,
                                            EffectMeasure measure, double level) {
  constexpr std::string_view kFn = "MantelHaenszel";
  if (measure != EffectMeasure::kLogOddsRatio && measure != EffectMeasure::kLogRiskRatio &&
      measure != EffectMeasure::kRiskDifference) {
    return InvalidArgumentError(internal::ArgName(kFn, "measure") + ": must be OR, RR or RD, got " +
                                std::string(EffectMeasureName(measure)));
  }
  KIRA_RETURN_IF_ERROR(ValidateTables(kFn, tables, level));
  TablePoolingResult r;
  r.measure = measure;
  r.k = static_cast<int>(tables.size());
  if (measure == EffectMeasure::kLogOddsRatio) {
    double big_r = 0, big_s = 0, pr = 0, ps_qr = 0, qs = 0;
    double o_minus_e = 0, var_cmh = 0, sum_xt = 0, sum_yt = 0;
    for (const TwoByTwoTable& t : tables) {
      const double ai = t.events_treated, bi = t.non_events_treated;
      const double ci = t.events_control, di = t.non_events_control;
      const double n = ai + bi + ci + di, n1 = ai + bi, n2 = ci + di;
      const double pi = (ai + di) / n, qi = (bi + ci) / n;
      const double ri = ai * di / n, si = bi * ci / n;
      big_r += ri;
      big_s += si;
      pr += pi * ri;
      ps_qr += pi * si + qi * ri;
      qs += qi * si;
      const double xt = ai + ci, yt = bi + di;
      o_minus_e += ai - n1 / n * xt;
      var_cmh += (n1 / n) * (n2 / n) * (xt * (yt / (n - 1)));
      sum_xt += xt;
      sum_yt += yt;
    }
    if (big_r == 0 || big_s == 0) {
      return FailedPreconditionError(std::string(kFn) +
                                     ": the Mantel-Haenszel odds ratio is 0 or infinite (no "
                                     "discordant information in the tables)");
    }
    r.estimate = std::log(big_r / big_s);
    r.se = std::sqrt(0.5 * (pr / (big_r * big_r) + ps_qr / (big_r * big_s) + qs / (big_s * big_s)));
    if (sum_xt > 0 && sum_yt > 0) {
      const double num = std::fabs(o_minus_e) - 0.5;
      r.cmh_statistic = num * num / var_cmh;
      r.cmh_p_value = ChiSquareUpperTail(*r.cmh_statistic, 1.0);
    }
    BreslowDayTarone(tables, big_r / big_s, r);
  } else if (measure == EffectMeasure::kRiskDifference) {
    double num = 0, den = 0, var_a = 0, var_b = 0;
    for (const TwoByTwoTable& t : tables) {
      const double ai = t.events_treated, ci = t.events_control;
      const double n1 = ai + t.non_events_treated, n2 = ci + t.non_events_control, n = n1 + n2;
      num += ai * (n2 / n) - ci * (n1 / n);
      den += n1 * (n2 / n);
      var_a += ci * (n1 / n) * (n1 / n) - ai * (n2 / n) * (n2 / n) + (n1 / n) * (n2 / n) * (n2 - n1) / 2;
      var_b += ai * (n2 - ci) / n + ci * (n1 - ai) / n;
    }
    r.estimate = num / den;
    const double var = (r.estimate * var_a + var_b / 2) / (den * den);
    if (!(var > 0)) {
      return FailedPreconditionError(std::string(kFn) +
                                     ": the Mantel-Haenszel risk difference has variance 0 (every "
                                     "participant had the same outcome)");
    }
    r.se = std::sqrt(var);
  } else {
    double big_r = 0, big_s = 0, num = 0, sum_a = 0, sum_c = 0;
    for (const TwoByTwoTable& t : tables) {
      const double ai = t.events_treated, bi = t.non_events_treated;
      const double ci = t.events_control, di = t.non_events_control;
      const double n = ai + bi + ci + di, n1 = ai + bi, n2 = ci + di;
      big_r += ai * n2 / n;
      big_s += ci * n1 / n;
      num += (n1 / n) * (n2 / n) * (ai + ci) - (ai / n) * ci;
      sum_a += ai;
      sum_c += ci;
    }
    if (sum_a == 0 || sum_c == 0) {
      return FailedPreconditionError(std::string(kFn) +
                                     ": the Mantel-Haenszel risk ratio is 0 or infinite (no events "
                                     "in one arm of every table)");
    }
    r.estimate = std::log(big_r / big_s);
    r.se = std::sqrt(num / (big_r * big_s));
  }
  FillInference(r, level);
  KIRA_ASSIGN_OR_RETURN(r.heterogeneity, TableHeterogeneity(tables, measure, r.estimate));
  return r;
}

StatusOr<TablePoolingResult> PetoOddsRatio(std::span<const TwoByTwoTable> tables, double level) {
  constexpr std::string_view kFn = "PetoOddsRatio";
  KIRA_RETURN_IF_ERROR(ValidateTables(kFn, tables, level));
  TablePoolingResult r;
  r.measure = EffectMeasure::kLogOddsRatio;
  r.k = static_cast<int>(tables.size());
  double sum_oe = 0, sum_v = 0, sum_oe2_v = 0;
  int informative = 0;
  for (const TwoByTwoTable& t : tables) {
    const double ai = t.events_treated, bi = t.non_events_treated;
    const double ci = t.events_control, di = t.non_events_control;
    const double n = ai + bi + ci + di, n1 = ai + bi, n2 = ci + di;
    const double xt = ai + ci, yt = bi + di;
    const double e = xt * n1 / n;
    const double v = xt * yt * (n1 / n) * (n2 / n) / (n - 1);
    sum_oe += ai - e;
    sum_v += v;
    if (v > 0) {
      sum_oe2_v += (ai - e) * (ai - e) / v;
      ++informative;
    }
  }
  if (sum_v == 0) {
    return FailedPreconditionError(std::string(kFn) +
                                   ": every table has zero variance (no events or no non-events)");
  }
  r.estimate = sum_oe / sum_v;
  r.se = std::sqrt(1 / sum_v);
  FillInference(r, level);
  Heterogeneity& h = r.heterogeneity;
  if (informative > 1) {
    const double df = static_cast<double>(informative - 1);
    h.q = std::max(0.0, sum_oe2_v - sum_oe * sum_oe / sum_v);
    h.df = informative - 1;
    h.p_value = ChiSquareUpperTail(h.q, df);
    h.i2_percent = h.q > 0 ? std::max(0.0, 100 * (h.q - df) / h.q) : 0.0;
    h.h2 = h.q / df;
  }
  return r;
}

}  // namespace kira::stats
