#include "kira/pk/simulate.h"

#include <cmath>
#include <string>
#include <utility>

#include "kira/pk/internal/checks.h"
#include "kira/pk/internal/kernel.h"

namespace kira::pk {

namespace {

using internal::Event;
using internal::Kernel;
using internal::State;

// Grid times within this fraction of a step of `end` still belong to the grid.
constexpr double kGridSlack = 1e-9;

}  // namespace

StatusOr<units::NanogramsPerMillilitre> ConcentrationAt(const Model& model, const Regimen& regimen,
                                                        units::Duration at) {
  KIRA_RETURN_IF_ERROR(ValidateRegimenForModel(model, regimen));
  const double t = units::ToMinutes(at);
  KIRA_RETURN_IF_ERROR(internal::CheckNonNegativeFinite("t_min", t, "min"));
  const Kernel k(model, regimen);
  double c = 0.0;
  for (const Infusion& inf : regimen.infusions) {
    const double s = units::ToMinutes(inf.start);
    if (t <= s) continue;
    const double e = std::min(t, s + units::ToMinutes(inf.duration));
    const double r = units::ToMgPerH(inf.rate) / 60.0;
    for (int i = 0; i < k.modes(); ++i) {
      const double l = k.lambda(i);
      c += k.coef(i) * r * (-std::expm1(-l * (e - s))) / l * std::exp(-l * (t - e));
    }
  }
  for (const Dose& d : regimen.doses) {
    const double t0 = units::ToMinutes(d.time);
    if (t0 > t) continue;
    const double tau = t - t0;
    const double mg = units::ToMg(d.amount);
    if (d.route == Route::kIntravenous) {
      for (int i = 0; i < k.modes(); ++i) c += k.coef(i) * mg * std::exp(-k.lambda(i) * tau);
      continue;
    }
    const AbsorptionParameters& a =
        d.route == Route::kIntramuscular ? regimen.intramuscular : regimen.intranasal;
    for (int i = 0; i < k.modes(); ++i) {
      c += k.coef(i) * a.ka_per_min * a.bioavailability * mg * internal::Phi(k.lambda(i), a.ka_per_min, tau);
    }
  }
  return units::NgPerMl(c);
}

StatusOr<Curve> SimulateCurve(const Model& model, const Regimen& regimen, units::Duration end,
                              units::Duration step) {
  KIRA_RETURN_IF_ERROR(ValidateRegimenForModel(model, regimen));
  const double h = units::ToMinutes(step);
  const double end_min = units::ToMinutes(end);
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("step_min", h, "min"));
  KIRA_RETURN_IF_ERROR(internal::CheckNonNegativeFinite("end_min", end_min, "min"));
  const double steps = std::floor(end_min / h + kGridSlack);
  if (!(steps + 1.0 <= static_cast<double>(kMaxCurvePoints))) {
    return OutOfRangeError("curve: end_min / step_min gives more than " + std::to_string(kMaxCurvePoints) +
                           " points");
  }
  const size_t n = static_cast<size_t>(steps) + 1;

  const std::vector<Event> events = internal::CompileEvents(regimen);
  const Kernel k(model, regimen);
  const internal::StepPropagator fixed_step(k, h);
  Curve curve{step, {}};
  curve.values.resize(n);
  State s;
  size_t idx = 0;
  while (idx < events.size() && events[idx].t_min <= 0.0) k.Apply(events[idx++], s);
  curve.values[0] = units::NgPerMl(k.Concentration(s));
  for (size_t g = 1; g < n; ++g) {
    const double t = h * static_cast<double>(g);
    if (idx < events.size() && events[idx].t_min <= t) {
      // A breakpoint inside this step: advance exactly to each one.
      double cur = h * static_cast<double>(g - 1);
      while (idx < events.size() && events[idx].t_min <= t) {
        const double te = events[idx].t_min;
        if (te > cur) {
          k.Advance(s, te - cur);
          cur = te;
        }
        k.Apply(events[idx++], s);
      }
      if (t > cur) k.Advance(s, t - cur);
    } else {
      fixed_step.Step(s);
    }
    curve.values[g] = units::NgPerMl(k.Concentration(s));
  }
  return curve;
}

namespace {

// Calls visit(evidence, what, source) for each assumption behind a prediction;
// `what` and `source` are callables that build the text only when asked.
template <class Visit>
void VisitAssumptions(const Model& model, const Regimen& regimen, Visit visit) {
  const ModelParameters& p = model.parameters();
  visit(p.evidence, [&] { return "pharmacokinetic parameter set: " + std::string(p.display_name); },
        [&] { return std::string(p.citation); });
  bool uses_im = false, uses_in = false;
  for (const Dose& d : regimen.doses) {
    uses_im |= d.route == Route::kIntramuscular;
    uses_in |= d.route == Route::kIntranasal;
  }
  auto add_route = [&](std::string_view route, const AbsorptionParameters& a) {
    visit(a.bioavailability_evidence,
          [&] { return std::string(route) + " bioavailability F = " + internal::FormatNumber(a.bioavailability); },
          [&] { return std::string(a.bioavailability_source); });
    visit(a.ka_evidence,
          [&] {
            return std::string(route) + " absorption rate constant ka = " + internal::FormatNumber(a.ka_per_min) +
                   " /min";
          },
          [&] { return std::string(a.ka_source); });
  };
  if (uses_im) add_route("intramuscular", regimen.intramuscular);
  if (uses_in) add_route("intranasal", regimen.intranasal);
}

}  // namespace

std::vector<Assumption> ListAssumptions(const Model& model, const Regimen& regimen) {
  std::vector<Assumption> out;
  VisitAssumptions(model, regimen, [&](Evidence e, auto what, auto source) { out.push_back({what(), e, source()}); });
  return out;
}

int AssumptionEvidence(const Model& model, const Regimen& regimen, Evidence out[kMaxAssumptions]) {
  int n = 0;
  VisitAssumptions(model, regimen, [&](Evidence e, auto, auto) {
    if (n < kMaxAssumptions) out[n++] = e;
  });
  return n;
}

StatusOr<Analysis> Analyse(const Model& model, const Regimen& regimen, const AnalysisOptions& options) {
  KIRA_RETURN_IF_ERROR(ValidateRegimenForModel(model, regimen));
  const double end = units::ToMinutes(options.end);
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("end_min", end, "min"));
  double threshold = 0.0;
  if (options.threshold) {
    threshold = units::ToNgPerMl(*options.threshold);
    KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("threshold_ng_per_ml", threshold, "ng/mL"));
  }

  Analysis out;
  out.model_name = std::string(model.parameters().name);
  if (options.list_assumptions) out.assumptions = ListAssumptions(model, regimen);
  double best_c = 0.0, best_t = 0.0;
  double above = 0.0;
  std::optional<double> first_above, last_above;

  const std::vector<Event> events = internal::CompileEvents(regimen);
  const Kernel k(model, regimen);
  State s;
  size_t idx = 0;
  double t = 0.0;
  double c_left = 0.0;  // C just before the events at t
  auto candidate = [&](double at, double c) {
    if (c > best_c) {
      best_c = c;
      best_t = at;
    }
    if (options.per_session && !out.sessions.empty()) {
      SessionSummary& cur = out.sessions.back();
      if (c > units::ToNgPerMl(cur.peak.concentration)) cur.peak = {units::NgPerMl(c), units::Minutes(at)};
    }
  };
  while (true) {
    bool new_session = false;
    while (idx < events.size() && events[idx].t_min <= t) {
      new_session |= events[idx].starts_session;
      k.Apply(events[idx++], s);
    }
    const double c0 = k.Concentration(s);
    if (options.per_session && new_session) {
      if (!out.sessions.empty()) out.sessions.back().before_next = units::NgPerMl(c_left);
      out.sessions.push_back({units::Minutes(t), {units::NgPerMl(c0), units::Minutes(t)}, units::NgPerMl(0.0)});
    }
    candidate(t, c0);
    if (t >= end) break;
    const double t_next = idx < events.size() ? std::min(events[idx].t_min, end) : end;
    const double length = t_next - t;
    const internal::ExpSum f = k.Segment(s);
    const internal::Roots stationary = internal::FindSignChanges(f.Derivative(), length);
    for (int r = 0; r < stationary.n; ++r) {
      State at = s;
      k.Advance(at, stationary.t[r]);
      candidate(t + stationary.t[r], k.Concentration(at));
    }
    if (options.threshold) {
      internal::ExpSum g = f;
      g.constant -= threshold;
      const internal::Roots cross = internal::FindSignChanges(g, length);
      double a = 0.0;
      for (int r = 0; r <= cross.n; ++r) {
        const double b = r < cross.n ? cross.t[r] : length;
        if (b > a && g.Value(0.5 * (a + b)) > 0.0) {
          above += b - a;
          if (!first_above) first_above = t + a;
          last_above = t + b;
        }
        a = b;
      }
    }
    k.Advance(s, length);
    c_left = k.Concentration(s);
    candidate(t_next, c_left);
    t = t_next;
  }
  out.peak = {units::NgPerMl(best_c), units::Minutes(best_t)};
  out.at_end = units::NgPerMl(k.Concentration(s));
  if (options.per_session && !out.sessions.empty()) out.sessions.back().before_next = out.at_end;
  if (options.threshold) {
    ThresholdCrossings x{units::NgPerMl(threshold), units::Minutes(above), std::nullopt, std::nullopt};
    if (first_above) x.first_above = units::Minutes(*first_above);
    if (last_above) x.last_above = units::Minutes(*last_above);
    out.crossings = x;
  }
  return out;
}

StatusOr<Peak> FindPeak(const Model& model, const Regimen& regimen, units::Duration end) {
  KIRA_ASSIGN_OR_RETURN(Analysis a, Analyse(model, regimen, {end, std::nullopt, false}));
  return a.peak;
}

StatusOr<ThresholdCrossings> TimeAbove(const Model& model, const Regimen& regimen,
                                       units::NanogramsPerMillilitre threshold, units::Duration end) {
  KIRA_ASSIGN_OR_RETURN(Analysis a, Analyse(model, regimen, {end, threshold, false}));
  return *a.crossings;
}

}  // namespace kira::pk
