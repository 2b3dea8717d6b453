// The registry dashboard: de-identified aggregates of one clinic (counts by
// indication, sessions, adverse events by type, overrides, PHQ-9 response and
// remission). Nothing in the result names or identifies a patient, so it is
// what a researcher may see.
#ifndef KIRA_REGISTRY_DASHBOARD_H_
#define KIRA_REGISTRY_DASHBOARD_H_

#include <map>
#include <string>

#include "kira/base/statusor.h"
#include "kira/instruments/instrument.h"
#include "kira/storage/store.h"

namespace kira::registry {

struct Dashboard {
  int patients = 0;
  std::map<std::string, int> patients_by_indication;
  int sessions = 0;
  std::map<std::string, int> sessions_by_outcome;   // decision_outcome at recording
  int adverse_events = 0;
  std::map<std::string, int> adverse_events_by_type;
  int overrides = 0;
  int phq9_evaluable = 0;  // patients with a baseline and a later PHQ-9
  int phq9_responders = 0;
  int phq9_remitters = 0;
};

// Reads the clinic's records in one read-only transaction. PHQ-9 response and
// remission use `phq9`'s rules from guidelines/instruments.json (the same
// definitions as scoring and plans). Unavailable or Internal from the store;
// FailedPrecondition when `phq9` has no response or remission rule.
StatusOr<Dashboard> BuildDashboard(storage::Store& store, const std::string& clinic_id,
                                   const instruments::Instrument& phq9);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_DASHBOARD_H_
