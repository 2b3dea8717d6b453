#include "kira/registry/dashboard.h"

#include <vector>

#include "kira/instruments/scoring.h"

namespace kira::registry {

StatusOr<Dashboard> BuildDashboard(storage::Store& store, const std::string& clinic_id,
                                   const instruments::Instrument& phq9) {
  if (!phq9.response || !phq9.remission)
    return FailedPreconditionError("dashboard: instrument '" + phq9.id + "' has no response or remission rule");
  KIRA_ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> tx, store.Begin());
  Dashboard d;
  storage::Page page;
  for (;;) {
    KIRA_ASSIGN_OR_RETURN(std::vector<domain::PatientRecord> batch, tx->ListPatients(clinic_id, page));
    for (const auto& p : batch) {
      ++d.patients;
      ++d.patients_by_indication[p.indication];
      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      for (const auto& s : sessions) {
        ++d.sessions;
        ++d.sessions_by_outcome[s.decision_outcome];
        KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
        for (const auto& e : events) {
          ++d.adverse_events;
          ++d.adverse_events_by_type[e.type];
        }
        KIRA_ASSIGN_OR_RETURN(auto overrides, tx->ListOverrides(clinic_id, s.id));
        d.overrides += static_cast<int>(overrides.size());
      }
      KIRA_ASSIGN_OR_RETURN(auto scores, tx->ListAssessments(clinic_id, p.id));
      const domain::Assessment* first = nullptr;
      const domain::Assessment* last = nullptr;
      for (const auto& a : scores) {
        if (a.instrument != phq9.id) continue;
        if (!first) first = &a;
        last = &a;
      }
      if (first && last != first && first->total > 0) {
        KIRA_ASSIGN_OR_RETURN(instruments::ResponseResult r,
                              instruments::AssessResponse(phq9, first->total, last->total));
        ++d.phq9_evaluable;
        if (r.response) ++d.phq9_responders;
        if (r.remission.value_or(false)) ++d.phq9_remitters;
      }
    }
    if (static_cast<int>(batch.size()) < page.limit) break;
    page.after_id = batch.back().id;
  }
  return d;
}

}  // namespace kira::registry
