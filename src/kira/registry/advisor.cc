#include "kira/registry/advisor.h"

#include <chrono>

#include "kira/registry/clinical_record.h"
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
    const domain::Patient p = AdvisorPatient(in.patient, *in.facts, s.started_at);

    advisor::DoseRequest req;
    req.protocol_id = s.protocol_id;
    req.concentration = s.concentration;
    // What was actually given: the larger of the planned and given dose,
    // over the duration the recorded pump rate implies (volume / rate), so a
    // rate that would be a hard stop at order time is one here too.
    req.ordered_dose = s.given_dose && *s.given_dose > s.planned_dose ? *s.given_dose : s.planned_dose;
    if (units::ToMlPerH(s.rate) > 0 && units::ToMgPerMl(s.concentration) > 0) {
      const double hours = units::ToMg(s.planned_dose) / units::ToMgPerMl(s.concentration) / units::ToMlPerH(s.rate);
      req.ordered_duration = units::Minutes(hours * 60.0);
    }
    // The cumulative limit is judged from what the registry holds for the
    // same UTC day, not from what the caller says was given.
    const auto day = floor<days>(s.started_at);
    for (const auto& h : in.history) {
      if (h.id != s.id && h.given_dose && floor<days>(h.started_at) == day) req.given_today += *h.given_dose;
    }
    req.override_ = in.override_;
    KIRA_ASSIGN_OR_RETURN(advisor::DoseResult r, advisor::CheckDose(library, p, req));
    domain::Decision d = std::move(r.decision);
    d.inputs_used.push_back({"facts_version", std::to_string(in.facts->version)});
    if (in.screening) d.inputs_used.push_back({"screening_outcome", in.screening->outcome});
    if (annual_cap && annual_cap->cap.value && annual_cap->window_days.value) {
      const auto cap = static_cast<int>(*annual_cap->cap.value);
      const auto window = std::chrono::days(static_cast<int>(*annual_cap->window_days.value));
      const auto from = day - window + std::chrono::days(1);
      int counted = 1;  // this session
      for (const auto& h : in.history) {
        const auto hd = floor<days>(h.started_at);
        if (h.id != s.id && h.given_dose && hd >= from && hd <= day) ++counted;
      }
      d.inputs_used.push_back({"sessions_in_cap_window", std::to_string(counted)});
      if (counted > cap) {
        const auto& src = annual_cap->cap.source;
        const std::string msg = std::to_string(counted) + " sessions in the rolling " +
                                std::to_string(window.count()) + "-day window would exceed the annual cap of " +
                                std::to_string(cap);
        // A soft stop either way, so that RecordSession stores the override
        // reason (an OverrideRecord naming plan.cap.annual) when one is given.
        const bool overridden = in.override_ && !in.override_->reason.empty();
        d.findings.push_back({"plan.cap.annual", domain::Severity::kSoftStop,
                              msg + (overridden ? "; exceptional-circumstance override given"
                                                : "; exceeding it needs a recorded exceptional-circumstance override"),
                              src.grade, src.certainty, src.evidence, src.citation, src.note});
        if (d.outcome == "ok") d.outcome = overridden ? "ok_with_override" : "soft_limit";
      }
    }
    return d;
  };
}

}  // namespace kira::registry
