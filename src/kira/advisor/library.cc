#include "kira/advisor/library.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace kira::advisor {

std::string_view MeasureName(Measure m) {
  switch (m) {
    case Measure::kSbp: return "sbp_mmhg";
    case Measure::kDbp: return "dbp_mmhg";
    case Measure::kHr: return "hr_bpm";
    case Measure::kSpo2: return "spo2_pct";
    case Measure::kRr: return "rr_per_min";
    case Measure::kSedation: return "moaa_s";
    case Measure::kCadss: return "cadss_total";
  }
  return "sbp_mmhg";
}

bool ParseMeasure(std::string_view s, Measure* out) {
  for (Measure m : {Measure::kSbp, Measure::kDbp, Measure::kHr, Measure::kSpo2, Measure::kRr,
                    Measure::kSedation, Measure::kCadss}) {
    if (MeasureName(m) == s) {
      *out = m;
      return true;
    }
  }
  return false;
}

std::string_view ComparisonText(Comparison c) {
  switch (c) {
    case Comparison::kAtLeast: return ">=";
    case Comparison::kAtMost: return "<=";
    case Comparison::kAbove: return ">";
    case Comparison::kBelow: return "<";
  }
  return ">=";
}

bool ParseComparison(std::string_view s, Comparison* out) {
  for (Comparison c : {Comparison::kAtLeast, Comparison::kAtMost, Comparison::kAbove, Comparison::kBelow}) {
    if (ComparisonText(c) == s) {
      *out = c;
      return true;
    }
  }
  return false;
}

bool Compare(Comparison op, double v, double threshold) {
  switch (op) {
    case Comparison::kAtLeast: return v >= threshold;
    case Comparison::kAtMost: return v <= threshold;
    case Comparison::kAbove: return v > threshold;
    case Comparison::kBelow: return v < threshold;
  }
  return false;
}

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kContinue: return "continue";
    case Action::kSlow: return "slow";
    case Action::kPause: return "pause";
    case Action::kStop: return "stop";
  }
  return "continue";
}

int PlanTemplate::InductionSessions() const {
  int n = 0;
  for (const PlanPhase& p : induction) n += p.sessions;
  return n;
}

const RescueAgent* RescueSettings::Find(std::string_view agent_id) const {
  for (const RescueAgent& a : agents) {
    if (a.id == agent_id) return &a;
  }
  return nullptr;
}

const PlanTemplate* AdvisorLibrary::FindTemplate(std::string_view template_id) const {
  for (const PlanTemplate& t : templates) {
    if (t.id == template_id) return &t;
  }
  return nullptr;
}

const PlanTemplate* AdvisorLibrary::TemplateFor(std::string_view indication, std::string_view route) const {
  for (const PlanTemplate& t : templates) {
    if (!route.empty() && t.route != route) continue;
    for (const std::string& i : t.indications) {
      if (i == indication) return &t;
    }
  }
  return nullptr;
}

std::string RenderSetting(const NumericSetting& s) {
  const std::string tag = std::string(domain::EvidenceName(s.source.evidence));
  if (!s.value) return "not configured [" + tag + "]";
  char buf[48];
  if (std::abs(*s.value - std::round(*s.value)) < 1e-9) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::round(*s.value)));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", *s.value);
  }
  return std::string(buf) + (s.unit.empty() ? "" : " " + s.unit) + " [" + tag + "]";
}

}  // namespace kira::advisor
