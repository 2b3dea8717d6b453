#include "kira/registry/advisor.h"

#include <chrono>
#include <tuple>
#include <vector>

#include "kira/registry/clinical_record.h"
#include "kira/advisor/annual_cap.h"
#include "kira/advisor/dose.h"

namespace kira::registry {


DoseCheck AdvisorDoseCheck(const guideline::Library& library, const advisor::AnnualCap* annual_cap) {
  return [&library, annual_cap](const DoseCheckInput& in) -> StatusOr<domain::Decision> {
    using std::chrono::floor;
    using std::chrono::days;
    const domain::SessionRecord& s = in.session;
    if (!in.facts) {
      return FailedPreconditionError("patient '" + s.patient_id +
                                     "' has no recorded clinical facts: record weight, height, pregnancy status, "
                                     "history, medications and baseline vitals before a session");
    }
    if (!in.facts->weight_kg) {
      return FailedPreconditionError("weight: patient '" + s.patient_id +
                                     "' has no recorded weight; record it before a session");
    }
    // The dose is judged on the stored facts, not on what the caller says.
    const domain::Patient p = AdvisorPatient(in.patient, *in.facts, s.started_at, in.previous_facts);

    // What was actually given, as recorded: the Advisor's recorded-session
    // check judges the dose, the pump rate that ran and the duration, and
    // their consistency (a rate that is a hard stop at order time is one
    // here too).
    advisor::RecordedAdministration given;
    given.protocol_id = s.protocol_id;
    given.given_dose = s.given_dose ? *s.given_dose : s.planned_dose;
    given.concentration = s.concentration;
    given.rate = s.rate;
    given.devices = in.devices;
    if (s.stopped_at && *s.stopped_at > s.started_at) {
      given.duration = units::Minutes(
          std::chrono::duration<double, std::ratio<60>>(*s.stopped_at - s.started_at).count());
    }
    // The cumulative limit and the series position are judged from what the
    // registry holds (sessions before and after this one), not from what
    // the caller says.
    const auto day = floor<days>(s.started_at);
    int before = 0;
    std::vector<std::chrono::sys_days> others;
    for (const auto& h : in.history) {
      if (h.id == s.id) continue;
      if (h.given_dose && floor<days>(h.started_at) == day) given.given_today += *h.given_dose;
      if (std::tie(h.started_at, h.id) < std::tie(s.started_at, s.id)) ++before;
      if (h.given_dose) others.push_back(floor<days>(h.started_at));
    }
    given.session_number = before + 1;
    given.session_date = domain::FormatInstant(s.started_at).substr(0, 10);
    given.override_ = in.override_;
    KIRA_ASSIGN_OR_RETURN(advisor::DoseResult r, advisor::CheckRecordedSession(library, p, given));
    domain::Decision d = std::move(r.decision);
    d.inputs_used.push_back({"facts_version", std::to_string(in.facts->version)});
    if (in.screening) d.inputs_used.push_back({"screening_outcome", in.screening->outcome});
    // The one annual-cap rule (advisor/annual_cap.h), against every rolling
    // window containing this session's date.
    if (annual_cap) {
      KIRA_ASSIGN_OR_RETURN(advisor::CapCheck cap, advisor::CheckAnnualCap(*annual_cap, others, day));
      advisor::ApplyAnnualCap(*annual_cap, cap, in.override_, &d);
    }
    return d;
  };
}

}  // namespace kira::registry
