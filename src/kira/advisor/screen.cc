#include "kira/advisor/screen.h"

#include <algorithm>
#include <charconv>

#include "kira/advisor/facts.h"
#include "kira/advisor/internal/finding.h"
#include "kira/advisor/internal/format.h"
#include "kira/advisor/plausibility.h"

namespace kira::advisor {

using domain::Finding;
using domain::Severity;

namespace {

bool InScopeSlow(const guideline::ScreeningRule& r, const domain::Patient& p, std::string_view route) {
  if (!r.routes.empty() && std::find(r.routes.begin(), r.routes.end(), route) == r.routes.end()) return false;
  if (r.indications.empty()) return true;
  for (const std::string& d : p.diagnoses)
    if (std::find(r.indications.begin(), r.indications.end(), d) != r.indications.end()) return true;
  return false;
}

// Most rules apply to every route and indication: answered inline.
[[gnu::always_inline]] inline bool InScope(const guideline::ScreeningRule& r, const domain::Patient& p,
                                           std::string_view route) {
  return (r.routes.empty() && r.indications.empty()) || InScopeSlow(r, p, route);
}

// The outcome vocabulary from the worst severity found.
std::string_view OutcomeFor(Severity worst) {
  return worst == Severity::kHardStop ? kNotEligible : worst >= Severity::kCaution ? kEligibleWithCautions : kEligible;
}

}  // namespace

ScreenResult Screen(const guideline::Library& lib, const AdvisorLibrary& advisor, const domain::Patient& patient,
                    std::string_view route) {
  ScreenResult out;
  domain::Decision& d = out.decision;
  d.guideline = lib.Ref();
  d.inputs_used.reserve(4);
  d.findings.reserve(4);  // a typical screening has a few
  Facts facts(lib, patient);

  // The text of each finding is the library's (viewed, not copied) or
  // rendered when read (domain/text.h).
  Severity rules_worst = Severity::kInfo;  // indications and rules, without plausibility
  for (const std::string& dx : patient.diagnoses) {
    const guideline::Indication* ind = lib.FindIndication(dx);
    if (!ind) continue;  // the parser rejects unknown diagnoses
    rules_worst = std::max(rules_worst, ind->evidence_severity);
    d.findings.push_back(domain::LibraryFinding("indication." + ind->id + ".evidence", ind->evidence_severity,
                                                internal::JoinText(ind->name, ": ", ind->evidence_summary),
                                                ind->meta));
  }
  for (const guideline::ScreeningRule& r : lib.rules) {
    if (!InScope(r, patient, route)) continue;
    if (!facts.Test(r.when, lib)) continue;
    rules_worst = std::max(rules_worst, r.severity);
    if (r.severity == Severity::kHardStop) out.carry_over.hard_stops.push_back(&r);
    if (r.id == "med.unknown") {
      std::string message = r.message;
      message += " Not in catalogue: ";
      for (size_t i = 0; i < facts.unknown_medications().size(); ++i) {
        if (i) message += ", ";
        message += facts.unknown_medications()[i];
      }
      message += ".";
      d.findings.push_back(domain::LibraryFinding(r.id, r.severity, std::move(message), r.meta));
    } else {
      d.findings.push_back(domain::LibraryFinding(r.id, r.severity, domain::Text::Borrow(r.message), r.meta));
    }
  }
  CheckPlausibility(lib, patient, PlausibilityContext{}, facts.bmi(), &d.findings);
  // Most severe first, stable within a severity so the library order is kept.
  internal::SortBySeverity(d.findings);

  d.outcome = std::string(OutcomeFor(d.MaxSeverity()));
  out.rescue = PlanRescue(advisor, d);
  out.carry_over.lib = &lib;
  out.carry_over.patient = &patient;
  out.carry_over.age_years = patient.age_years;
  out.carry_over.weight = patient.weight.value.canonical();
  out.carry_over.pregnant = patient.pregnant;
  out.carry_over.n_diagnoses = patient.diagnoses.size();
  out.carry_over.n_history = patient.history.size();
  out.carry_over.n_medications = patient.medications.size();
  out.carry_over.route = std::string(route);
  out.carry_over.rules_outcome = OutcomeFor(rules_worst);

  d.inputs_used.emplace_back(domain::Text::Borrow("route"), std::string(route));
  d.inputs_used.emplace_back(domain::Text::Borrow("age_years"), internal::NumberText(patient.age_years, 1));
  if (facts.bmi()) d.inputs_used.emplace_back(domain::Text::Borrow("bmi"), internal::NumberText(*facts.bmi(), 1));
  std::string dx;
  for (const std::string& s : patient.diagnoses) {
    if (!dx.empty()) dx += ',';
    dx += s;
  }
  d.inputs_used.emplace_back(domain::Text::Borrow("diagnoses"), std::move(dx));
  return out;
}

std::string_view ScreenOutcome(const guideline::Library& lib, const domain::Patient& patient, std::string_view route,
                               Severity min_severity, std::vector<Finding>* out) {
  Facts facts(lib, patient);
  Severity worst = Severity::kInfo;
  for (const std::string& dx : patient.diagnoses) {
    const guideline::Indication* ind = lib.FindIndication(dx);
    if (ind) worst = std::max(worst, ind->evidence_severity);
  }
  // One pass in library order: every rule that can add a finding of at least
  // `min_severity` is evaluated; below it, a rule matters only while no
  // caution is known (the outcome depends only on whether the worst is a hard
  // stop, at least a caution, or neither).
  for (const guideline::ScreeningRule& r : lib.rules) {
    const bool adds = r.severity >= min_severity;
    if (!adds && (worst >= Severity::kCaution || r.severity < Severity::kCaution)) continue;
    if (!InScope(r, patient, route) || !facts.Test(r.when, lib)) continue;
    worst = std::max(worst, r.severity);
    if (adds) out->push_back(domain::LibraryFinding(r.id, r.severity, domain::Text::Borrow(r.message), r.meta));
  }
  return OutcomeFor(worst);
}

}  // namespace kira::advisor
