#include "kira/advisor/screen.h"

#include <algorithm>
#include <charconv>

#include "kira/advisor/facts.h"
#include "kira/advisor/internal/format.h"

namespace kira::advisor {

using domain::Finding;
using domain::Severity;

Finding MakeFinding(std::string rule_id, Severity severity, std::string message, const guideline::RuleMeta& meta) {
  Finding f;
  f.rule_id = std::move(rule_id);
  f.severity = severity;
  f.message = std::move(message);
  f.grade = meta.grade;
  f.certainty = meta.certainty;
  f.evidence = meta.evidence;
  f.citation = meta.citation;
  f.rationale = meta.rationale;
  return f;
}

namespace {

using internal::Fixed;

bool InScope(const guideline::ScreeningRule& r, const domain::Patient& p, std::string_view route) {
  if (!r.routes.empty() && std::find(r.routes.begin(), r.routes.end(), route) == r.routes.end()) return false;
  if (r.indications.empty()) return true;
  for (const std::string& d : p.diagnoses)
    if (std::find(r.indications.begin(), r.indications.end(), d) != r.indications.end()) return true;
  return false;
}

// Rescue rules name what to avoid; the mapping from rule to agent is part of
// the rule id vocabulary shared with the in-session rescue advice.
RescuePlan PlanRescue(const std::vector<Finding>& findings) {
  RescuePlan plan;
  bool benzo_problem = false;
  for (const Finding& f : findings) {
    if (f.rule_id == "rescue.midazolam.protease_inhibitor") {
      plan.avoid.push_back({"midazolam", f.rule_id, f.message});
      benzo_problem = true;
    } else if (f.rule_id == "rescue.benzodiazepine.myasthenia_gravis" ||
               f.rule_id == "rescue.benzodiazepine.prior_reaction") {
      plan.avoid.push_back({"benzodiazepines", f.rule_id, f.message});
      benzo_problem = true;
    }
  }
  plan.avoid.push_back({"antipsychotics", "rescue.antipsychotic.not_recommended",
                        "Antipsychotics are not the treatment to prevent or abort ketamine-induced hallucinations or "
                        "dissociation (Cohen 2018 [R1-seed], V)."});
  plan.preferred = benzo_problem ? "clonidine"
                                 : "low-dose benzodiazepine (IV midazolam or lorazepam) or clonidine";
  return plan;
}

}  // namespace

ScreenResult Screen(const guideline::Library& lib, const domain::Patient& patient, std::string_view route) {
  ScreenResult out;
  domain::Decision& d = out.decision;
  d.guideline = lib.Ref();
  Facts facts(lib, patient);

  for (const std::string& dx : patient.diagnoses) {
    const guideline::Indication* ind = lib.FindIndication(dx);
    if (!ind) continue;  // the parser rejects unknown diagnoses
    d.findings.push_back(MakeFinding("indication." + ind->id + ".evidence", ind->evidence_severity,
                                     ind->name + ": " + ind->evidence_summary, ind->meta));
  }
  for (const guideline::ScreeningRule& r : lib.rules) {
    if (!InScope(r, patient, route)) continue;
    if (!facts.Eval(r.when, lib)) continue;
    std::string message = r.message;
    if (r.id == "med.unknown") {
      message += " Not in catalogue: ";
      for (size_t i = 0; i < facts.unknown_medications().size(); ++i) {
        if (i) message += ", ";
        message += facts.unknown_medications()[i];
      }
      message += ".";
    }
    d.findings.push_back(MakeFinding(r.id, r.severity, std::move(message), r.meta));
  }
  // Most severe first, stable within a severity so the library order is kept.
  std::stable_sort(d.findings.begin(), d.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });

  Severity worst = d.MaxSeverity();
  d.outcome = std::string(worst == Severity::kHardStop ? kNotEligible
                          : worst >= Severity::kCaution ? kEligibleWithCautions
                                                        : kEligible);
  out.rescue = PlanRescue(d.findings);

  d.inputs_used.push_back({"route", std::string(route)});
  d.inputs_used.push_back({"age_years", Fixed(patient.age_years, 1)});
  if (facts.bmi()) d.inputs_used.push_back({"bmi", Fixed(*facts.bmi(), 1)});
  std::string dx;
  for (const std::string& s : patient.diagnoses) dx += (dx.empty() ? "" : ",") + s;
  d.inputs_used.push_back({"diagnoses", dx});
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
  for (const guideline::ScreeningRule& r : lib.rules) {
    if (r.severity < min_severity && r.severity <= worst) continue;  // cannot change anything
    if (!InScope(r, patient, route) || !facts.Eval(r.when, lib)) continue;
    worst = std::max(worst, r.severity);
    if (r.severity >= min_severity) out->push_back(MakeFinding(r.id, r.severity, r.message, r.meta));
  }
  return worst == Severity::kHardStop ? kNotEligible : worst >= Severity::kCaution ? kEligibleWithCautions : kEligible;
}

}  // namespace kira::advisor
