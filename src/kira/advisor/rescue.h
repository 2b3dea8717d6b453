// Rescue advice for psychotomimetic effects (clinical-reference.md 1.6, 6):
// a low-dose benzodiazepine (midazolam or lorazepam) or clonidine, never an
// antipsychotic (V, Cohen 2018 [R1-seed]). Agents excluded by the main
// screening's findings (e.g. "rescue.midazolam.protease_inhibitor") are
// skipped in favour of the next agent. Doses are clinic settings (U): the
// reference gives none.
#ifndef KIRA_ADVISOR_RESCUE_H_
#define KIRA_ADVISOR_RESCUE_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::advisor {

struct RescueAvoid {
  std::string agent;    // "midazolam", "lorazepam", "antipsychotics"
  std::string rule_id;  // the screening finding behind it
  domain::Text reason;  // rendered when read (domain/text.h)
};

// The rescue plan a screening implies, stored with it: the usable agents in
// the clinic's order of preference and what to avoid (always antipsychotics).
struct RescuePlan {
  std::string preferred;             // first usable agent id, or "" when none is usable
  std::vector<std::string> usable;   // usable agent ids, in order of preference
  std::vector<RescueAvoid> avoid;
};

// The one rescue rule: agents excluded by the screening's findings (each
// agent's excluded_by) are avoided, the rest are usable in order.
RescuePlan PlanRescue(const AdvisorLibrary& lib, const domain::Decision& screening);

struct RescueRequest {
  std::string symptom;                        // one of RescueSettings::symptoms
  std::optional<std::string> proposed_agent;  // drug the clinician proposes, if any
};

// outcome: the recommended agent id ("midazolam", "lorazepam", "clonidine")
// or "no_safe_agent" (hard_stop: seek senior review). Findings:
//   rescue.choice                        info; the pick and why (V [R1-seed])
//   rescue.agent_excluded                caution; each agent skipped, naming the screening rule
//   rescue.antipsychotic.not_recommended soft_stop; an antipsychotic was proposed (V [R1-seed])
//   rescue.proposed_agent.excluded       soft_stop; the proposed agent is excluded by screening
//   rescue.proposed_agent.unknown        caution; proposed agent not in the rescue list
//   rescue.dose.setting                  info (U); the dose setting or "not configured"
// Errors: kInvalidArgument "symptom: ..." for an unknown symptom.
StatusOr<domain::Decision> AdviseRescue(const AdvisorLibrary& lib, const domain::Decision& screening,
                                        const RescueRequest& request);

// True when an agent name is in the library's antipsychotic list.
bool IsAntipsychotic(const AdvisorLibrary& lib, const std::string& agent);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_RESCUE_H_
