#include "kira/stats/network.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"

namespace kira::stats {
namespace {

struct Study {
  std::string name;
  std::vector<std::size_t> arms;  // indexes into the input, in input order
};

}  // namespace

StatusOr<NetworkResult> NetworkMetaAnalysis(const std::vector<NetworkArm>& arms, const NetworkOptions& options) {
  constexpr std::string_view kFn = "NetworkMetaAnalysis";
  if (!(options.correction.add >= 0) || !std::isfinite(options.correction.add)) {
    return InvalidArgumentError(internal::ArgName(kFn, "options.correction.add") + ": must be finite and >= 0");
  }
  std::vector<Study> studies;
  std::map<std::string, std::size_t> study_index;
  std::set<std::string> treatment_set;
  for (std::size_t i = 0; i < arms.size(); ++i) {
    const NetworkArm& a = arms[i];
    if (a.study.empty()) return InvalidArgumentError(internal::ArgName(kFn, "arms", i) + ": empty study");
    if (a.treatment.empty()) return InvalidArgumentError(internal::ArgName(kFn, "arms", i) + ": empty treatment");
    if (!std::isfinite(a.n) || !(a.n > 0)) return InvalidArgumentError(internal::ArgName(kFn, "arms", i) + ": n must be > 0");
    if (!std::isfinite(a.events) || a.events < 0 || a.events > a.n) {
      return InvalidArgumentError(internal::ArgName(kFn, "arms", i) + ": events must lie in [0, n]");
    }
    auto [it, inserted] = study_index.emplace(a.study, studies.size());
    if (inserted) studies.push_back({a.study, {}});
    for (std::size_t j : studies[it->second].arms) {
      if (arms[j].treatment == a.treatment) {
        return InvalidArgumentError(internal::ArgName(kFn, "arms", i) + ": treatment '" + a.treatment +
                                    "' appears twice in study '" + a.study + "'");
      }
    }
    studies[it->second].arms.push_back(i);
    treatment_set.insert(a.treatment);
  }
  for (const Study& s : studies) {
    if (s.arms.size() < 2) {
      return InvalidArgumentError(internal::ArgName(kFn, "arms") + ": study '" + s.name + "' has only one arm");
    }
  }
  if (treatment_set.size() < 2) return InvalidArgumentError(internal::ArgName(kFn, "arms") + ": fewer than 2 treatments");
  NetworkResult out;
  out.reference = options.reference.empty() ? *treatment_set.begin() : options.reference;
  if (treatment_set.count(out.reference) == 0) {
    return InvalidArgumentError(internal::ArgName(kFn, "options.reference") + ": treatment '" + out.reference +
                                "' is not in the network");
  }
  out.treatments.push_back(out.reference);
  for (const std::string& t : treatment_set) {
    if (t != out.reference) out.treatments.push_back(t);
  }
  std::map<std::string, std::size_t> tindex;
  for (std::size_t t = 0; t < out.treatments.size(); ++t) tindex[out.treatments[t]] = t;
  const std::size_t n_treat = out.treatments.size();

  // Connectedness (union-find over treatments).
  std::vector<std::size_t> parent(n_treat);
  for (std::size_t t = 0; t < n_treat; ++t) parent[t] = t;
  auto root = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const Study& s : studies) {
    for (std::size_t j = 1; j < s.arms.size(); ++j) {
      parent[root(tindex[arms[s.arms[j]].treatment])] = root(tindex[arms[s.arms[0]].treatment]);
    }
  }
  for (std::size_t t = 1; t < n_treat; ++t) {
    if (root(t) != root(0)) {
      return InvalidArgumentError(internal::ArgName(kFn, "arms") + ": the network is disconnected ('" +
                                  out.treatments[t] + "' has no path to '" + out.reference + "')");
    }
  }

  // Contrasts against each study's baseline arm.
  MultivariateInput in;
  std::vector<std::size_t> row_treatment, row_baseline;
  std::vector<std::string> row_design;
  std::map<std::pair<std::size_t, std::size_t>, int> direct;
  const bool any_zero_anywhere = std::any_of(arms.begin(), arms.end(), [](const NetworkArm& a) {
    return a.events == 0 || a.events == a.n;
  });
  for (const Study& s : studies) {
    std::vector<std::size_t> order = s.arms;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const bool ra = arms[a].treatment == out.reference, rb = arms[b].treatment == out.reference;
      if (ra != rb) return ra;
      return arms[a].treatment < arms[b].treatment;
    });
    bool study_zero = false;
    for (std::size_t a : order) study_zero = study_zero || arms[a].events == 0 || arms[a].events == arms[a].n;
    bool correct = false;
    switch (options.correction.scope) {
      case CorrectionScope::kOnlyZero: correct = study_zero; break;
      case CorrectionScope::kAll: correct = true; break;
      case CorrectionScope::kIfAnyZero: correct = any_zero_anywhere; break;
      case CorrectionScope::kNone: correct = false; break;
    }
    const double add = correct ? options.correction.add : 0.0;
    auto logit_var = [&](std::size_t a, double& logit, double& var) -> Status {
      const double x = arms[a].events + add, y = arms[a].n - arms[a].events + add;
      if (!(x > 0) || !(y > 0)) {
        return InvalidArgumentError(internal::ArgName(kFn, "arms", a) +
                                    ": 0 or all events with no continuity correction (the log odds is infinite)");
      }
      logit = std::log(x / y);
      var = 1 / x + 1 / y;
      return Status::Ok();
    };
    double base_logit = 0, base_var = 0;
    KIRA_RETURN_IF_ERROR(logit_var(order[0], base_logit, base_var));
    std::string design;
    for (std::size_t a : order) design += arms[a].treatment + ":";
    const std::size_t first_row = in.yi.size();
    for (std::size_t j = 1; j < order.size(); ++j) {
      double lg = 0, var = 0;
      KIRA_RETURN_IF_ERROR(logit_var(order[j], lg, var));
      in.yi.push_back(lg - base_logit);
      in.vi.push_back(var + base_var);
      in.study.push_back(s.name);
      const std::string& t = arms[order[j]].treatment;
      const std::string& b = arms[order[0]].treatment;
      in.outcome.push_back(t + " vs " + b);
      row_treatment.push_back(tindex[t]);
      row_baseline.push_back(tindex[b]);
      row_design.push_back(design);
    }
    for (std::size_t r = first_row; r < in.yi.size(); ++r) {
      for (std::size_t r2 = r + 1; r2 < in.yi.size(); ++r2) in.covariances.push_back({r, r2, base_var});
    }
    for (std::size_t a = 0; a < order.size(); ++a) {
      for (std::size_t b = a + 1; b < order.size(); ++b) {
        const std::size_t ta = tindex[arms[order[a]].treatment], tb = tindex[arms[order[b]].treatment];
        ++direct[{std::min(ta, tb), std::max(ta, tb)}];
      }
    }
  }
  const std::size_t k = in.yi.size();
  std::vector<Moderator> columns;
  for (std::size_t t = 1; t < n_treat; ++t) {
    Moderator c{out.treatments[t], std::vector<double>(k, 0.0)};
    for (std::size_t r = 0; r < k; ++r) {
      if (row_treatment[r] == t) c.values[r] += 1;
      if (row_baseline[r] == t) c.values[r] -= 1;
    }
    columns.push_back(std::move(c));
  }
  if (k <= columns.size()) {
    return InvalidArgumentError(internal::ArgName(kFn, "arms") + ": " + std::to_string(k) +
                                " contrasts cannot estimate " + std::to_string(columns.size()) +
                                " treatment effects and a heterogeneity variance");
  }
  auto fit = FitMultivariateModel(in, columns, CovarianceStructure::kCompoundSymmetric, 0.5, options.model);
  if (!fit.ok()) return fit.status().WithContext(std::string(kFn));
  out.fit = std::move(fit).value();
  out.studies = static_cast<int>(studies.size());

  // Every pairwise contrast from d (reference 0) and vcov.
  const std::size_t p = columns.size();
  auto d = [&](std::size_t t) { return t == 0 ? 0.0 : out.fit.coefficients[t - 1].estimate; };
  auto cov = [&](std::size_t a, std::size_t b) { return (a == 0 || b == 0) ? 0.0 : out.fit.vcov[(a - 1) * p + (b - 1)]; };
  const bool t_test = out.fit.t_df.has_value();
  const double alpha = 1 - options.model.level;
  const double crit = t_test ? StudentTQuantile(1 - alpha / 2, *out.fit.t_df) : NormalQuantile(1 - alpha / 2);
  out.p_scores.assign(n_treat, 0.0);
  for (std::size_t a = 0; a < n_treat; ++a) {
    for (std::size_t b = 0; b < n_treat; ++b) {
      if (a == b) continue;
      PairwiseContrast c;
      c.treatment = out.treatments[a];
      c.comparator = out.treatments[b];
      c.estimate = d(a) - d(b);
      c.se = std::sqrt(std::max(0.0, cov(a, a) + cov(b, b) - 2 * cov(a, b)));
      c.ci_low = c.estimate - crit * c.se;
      c.ci_high = c.estimate + crit * c.se;
      const double z = c.estimate / c.se;
      c.p_value = t_test ? StudentTTwoSidedP(z, *out.fit.t_df) : NormalTwoSidedP(z);
      auto it = direct.find({std::min(a, b), std::max(a, b)});
      c.direct_studies = it == direct.end() ? 0 : it->second;
      out.contrasts.push_back(c);
      // P-score: certainty that a is better than b (normal approximation, as
      // netmeta's P-scores).
      const double diff = options.larger_is_better ? c.estimate : -c.estimate;
      out.p_scores[a] += NormalCdf(diff / c.se) / static_cast<double>(n_treat - 1);
    }
  }

  // Design-by-treatment interaction: Q within designs from design-specific
  // fixed-effect fits (each design its own treatment effects).
  std::map<std::string, std::vector<std::size_t>> design_rows;
  for (std::size_t r = 0; r < k; ++r) design_rows[row_design[r]].push_back(r);
  out.designs = static_cast<int>(design_rows.size());
  out.q_total = out.fit.qe;
  out.q_total_df = out.fit.qe_df;
  std::vector<Moderator> design_columns;
  for (const auto& [design, rows] : design_rows) {
    std::set<std::size_t> ts;
    for (std::size_t r : rows) ts.insert(row_treatment[r]);
    for (std::size_t t : ts) {
      Moderator c{design + out.treatments[t], std::vector<double>(k, 0.0)};
      for (std::size_t r : rows) c.values[r] = row_treatment[r] == t ? 1.0 : 0.0;
      design_columns.push_back(std::move(c));
    }
  }
  KIRA_ASSIGN_OR_RETURN(out.q_within, FixedEffectQ(in, design_columns));
  out.q_within_df = static_cast<int>(k - design_columns.size());
  out.q_between_df = static_cast<int>(design_columns.size() - p);
  if (out.q_between_df > 0) {
    out.q_between = std::max(0.0, out.q_total - out.q_within);
    out.q_between_p_value = ChiSquareUpperTail(*out.q_between, out.q_between_df);
  }
  out.contrast_study = in.study;
  out.contrast_label = in.outcome;
  out.yi = in.yi;
  out.vi = in.vi;
  return out;
}

}  // namespace kira::stats
