#include "kira/registry/advisor.h"

#include <chrono>

#include "kira/advisor/dose.h"

namespace kira::registry {

namespace {

domain::Sex ToSex(const std::string& s) {
  for (domain::Sex x : {domain::Sex::kFemale, domain::Sex::kMale, domain::Sex::kOther}) {
    if (domain::SexName(x) == s) return x;
  }
  return domain::Sex::kUnknown;
}

}  // namespace

DoseCheck AdvisorDoseCheck(const guideline::Library& library, const advisor::AnnualCap* annual_cap) {
  return [&library, annual_cap](const DoseCheckInput& in) -> StatusOr<domain::Decision> {
    using std::chrono::floor;
    using std::chrono::days;
    const domain::SessionRecord& s = in.session;
    domain::Patient p;
    p.id = in.patient.id;
    const std::chrono::year_month_day ymd(floor<days>(s.started_at));
    p.age_years = static_cast<double>(int(ymd.year()) - in.patient.birth_year);
    p.sex = ToSex(in.patient.sex);
    p.weight.value = s.dosing_weight;
    p.weight.method = domain::WeightMethod::kMeasured;
    p.weight.entered_unit = "kg";
    p.weight.entered_value = units::ToKg(s.dosing_weight);
    p.diagnoses = {in.patient.indication};

    advisor::DoseRequest req;
    req.protocol_id = s.protocol_id;
    req.concentration = s.concentration;
    req.ordered_dose = s.given_dose ? *s.given_dose : s.planned_dose;
    if (s.stopped_at) {
      req.ordered_duration = units::Minutes(
          std::chrono::duration<double, std::ratio<60>>(*s.stopped_at - s.started_at).count());
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
                              src.grade, src.certainty, src.evidence, src.citation, src.rationale});
        if (d.outcome == "ok") d.outcome = overridden ? "ok_with_override" : "soft_limit";
      }
    }
    return d;
  };
}

}  // namespace kira::registry
