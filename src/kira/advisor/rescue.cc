#include "kira/advisor/rescue.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "kira/advisor/internal/finding.h"
#include "kira/advisor/internal/format.h"

namespace kira::advisor {
namespace {

using domain::Decision;
using domain::Finding;
using domain::Severity;

constexpr auto FromSource = internal::FindingFromSource;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The first screening finding that excludes `agent`, or nullptr.
const Finding* ExclusionFor(const RescueAgent& agent, const Decision& screening) {
  for (const std::string& rule : agent.excluded_by) {
    for (const Finding& f : screening.findings) {
      if (f.rule_id == rule) return &f;
    }
  }
  return nullptr;
}

}  // namespace

RescuePlan PlanRescue(const AdvisorLibrary& lib, const Decision& screening) {
  RescuePlan plan;
  plan.usable.reserve(lib.rescue.agents.size());
  plan.avoid.reserve(lib.rescue.agents.size() + 1);
  for (const RescueAgent& a : lib.rescue.agents) {
    if (const Finding* ex = ExclusionFor(a, screening)) {
      plan.avoid.push_back({a.id, ex->rule_id, ex->message});
    } else {
      plan.usable.push_back(a.id);
    }
  }
  if (!plan.usable.empty()) plan.preferred = plan.usable.front();
  const SettingSource& src = lib.rescue.antipsychotic_source;
  plan.avoid.push_back({"antipsychotics", "rescue.antipsychotic.not_recommended",
                        internal::JoinText("Antipsychotics are not the treatment for ketamine-induced hallucinations "
                                           "or dissociation (",
                                           src.citation, ").")});
  return plan;
}

bool IsAntipsychotic(const AdvisorLibrary& lib, const std::string& agent) {
  const std::string a = Lower(agent);
  const auto& list = lib.rescue.antipsychotics;
  return std::find(list.begin(), list.end(), a) != list.end();
}

StatusOr<Decision> AdviseRescue(const AdvisorLibrary& lib, const Decision& screening, const RescueRequest& req) {
  const RescueSettings& rs = lib.rescue;
  if (std::find(rs.symptoms.begin(), rs.symptoms.end(), req.symptom) == rs.symptoms.end()) {
    std::string known;
    for (const std::string& s : rs.symptoms) known += (known.empty() ? "" : ", ") + s;
    return InvalidArgumentError("symptom: '" + req.symptom + "' is not one of " + known);
  }
  Decision d;
  d.guideline = {lib.id, lib.version};
  d.inputs_used.push_back({"symptom", req.symptom});
  if (req.proposed_agent) d.inputs_used.push_back({"proposed_agent", *req.proposed_agent});
  std::string screening_ids;
  for (const Finding& f : screening.findings) {
    if (f.rule_id.rfind("rescue.", 0) == 0) screening_ids += (screening_ids.empty() ? "" : ",") + f.rule_id;
  }
  d.inputs_used.push_back({"screening_rescue_findings", screening_ids.empty() ? "none" : screening_ids});
  std::string order;
  for (const RescueAgent& a : rs.agents) order += (order.empty() ? "" : ",") + a.id;
  d.inputs_used.push_back({"rescue.preference_order",
                           order + " [" + std::string(domain::EvidenceName(rs.preference_source.evidence)) + "]"});

  const RescueAgent* pick = nullptr;
  for (const RescueAgent& a : rs.agents) {
    if (const Finding* ex = ExclusionFor(a, screening)) {
      Finding f = FromSource("rescue.agent_excluded", Severity::kCaution,
                             a.id + " excluded by the screening: " + ex->message, rs.preference_source);
      f.evidence = ex->evidence;
      f.citation = ex->citation;
      f.rationale = ex->message;
      d.findings.push_back(std::move(f));
      continue;
    }
    if (!pick) pick = &a;
  }

  if (req.proposed_agent) {
    const std::string proposed = Lower(*req.proposed_agent);
    if (IsAntipsychotic(lib, proposed)) {
      d.findings.push_back(FromSource("rescue.antipsychotic.not_recommended", Severity::kSoftStop,
                                      proposed + " is an antipsychotic; psychotomimetic effects are treated with a "
                                                 "low-dose benzodiazepine or clonidine, not antipsychotics",
                                      rs.antipsychotic_source));
    } else if (const RescueAgent* a = rs.Find(proposed)) {
      if (const Finding* ex = ExclusionFor(*a, screening)) {
        Finding f = FromSource("rescue.proposed_agent.excluded", Severity::kSoftStop,
                               proposed + " is excluded by the screening: " + ex->message +
                                   (pick ? "; use " + pick->id + " instead" : ""),
                               rs.choice_source);
        f.evidence = ex->evidence;
        f.citation = ex->citation;
        d.findings.push_back(std::move(f));
      } else {
        pick = a;  // the clinician's choice stands when it is safe
      }
    } else {
      d.findings.push_back(FromSource("rescue.proposed_agent.unknown", Severity::kCaution,
                                      proposed + " is not in the clinic's rescue list", rs.preference_source));
    }
  }

  if (!pick) {
    d.outcome = "no_safe_agent";
    d.findings.push_back(FromSource("rescue.no_safe_agent", Severity::kHardStop,
                                    "every rescue agent is excluded by screening; no benzodiazepine or "
                                    "clonidine is usable: seek senior review",
                                    rs.choice_source));
    return d;
  }
  d.outcome = pick->id;
  d.findings.push_back(FromSource("rescue.choice", Severity::kInfo,
                                  "for " + req.symptom + ": " + pick->id + " (" + pick->drug_class + ", " +
                                      pick->route + ")",
                                  rs.choice_source));
  d.findings.push_back(FromSource("rescue.dose.setting", Severity::kInfo,
                                  pick->id + " dose: " + RenderSetting(pick->dose_mg) +
                                      " (clinic setting; the reference gives no rescue dose)",
                                  pick->dose_mg.source));
  d.inputs_used.push_back({pick->dose_mg.id, RenderSetting(pick->dose_mg)});
  return d;
}

}  // namespace kira::advisor
