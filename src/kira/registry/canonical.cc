#include "kira/registry/canonical.h"

#include <charconv>
#include <string>
#include <string_view>
#include <utility>

namespace kira::registry {

namespace {

std::string Num(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return std::string(buf, static_cast<std::size_t>(p - buf));
}

class Writer {
 public:
  Writer& F(std::string_view name, std::string_view value) {
    out_.append(name);
    out_ += '=';
    for (char c : value) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += '\n';
    return *this;
  }
  Writer& F(std::string_view name, double v) { return F(name, std::string_view(Num(v))); }
  Writer& F(std::string_view name, std::int64_t v) { return F(name, std::string_view(std::to_string(v))); }
  Writer& F(std::string_view name, int v) { return F(name, static_cast<std::int64_t>(v)); }
  Writer& T(std::string_view name, domain::Instant t) { return F(name, domain::FormatInstant(t)); }
  std::string str() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string Canonical(const domain::Clinic& x) {
  return Writer().F("clinic_id", x.id).F("name", x.name).F("time_zone", x.time_zone).str();
}

std::string Canonical(const domain::User& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("display_name", x.display_name)
      .F("role", domain::RoleName(x.role))
      .str();
}

std::string Canonical(const domain::PatientRecord& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("sex", x.sex)
      .F("birth_year", x.birth_year)
      .F("indication", x.indication)
      .str();
}

std::string Canonical(const domain::PatientIdentity& x) {
  std::string present;
  auto add = [&](std::string_view name, const std::string& v) {
    if (v.empty()) return;
    if (!present.empty()) present += ',';
    present.append(name);
  };
  add("given_name", x.given_name);
  add("family_name", x.family_name);
  add("birth_date", x.birth_date);
  add("mrn", x.mrn);
  add("zip", x.zip);
  add("phone", x.phone);
  add("email", x.email);
  return Writer().F("clinic_id", x.clinic_id).F("patient_id", x.patient_id).F("fields", present).str();
}

std::string Canonical(const domain::SessionRecord& x) {
  Writer w;
  w.F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("patient_id", x.patient_id)
      .F("protocol_id", x.protocol_id)
      .F("state", domain::SessionStateName(x.state))
      .F("dosing_weight_kg", units::ToKg(x.dosing_weight))
      .F("planned_dose_mg", units::ToMg(x.planned_dose))
      .F("given_dose_mg", x.given_dose ? Num(units::ToMg(*x.given_dose)) : std::string())
      .F("concentration_mg_per_ml", x.concentration ? Num(units::ToMgPerMl(*x.concentration)) : std::string())
      .F("rate_ml_per_h", x.rate ? Num(units::ToMlPerH(*x.rate)) : std::string())
      .T("started_at", x.started_at)
      .F("stopped_at", x.stopped_at ? domain::FormatInstant(*x.stopped_at) : std::string())
      .F("recorded_by", x.recorded_by)
      .F("decision_outcome", x.decision_outcome);
  // Added with the stored clinical record; absent (0) on older rows.
  if (x.facts_version != 0) w.F("facts_version", x.facts_version).F("screening_outcome", x.screening_outcome);
  return w.str();
}

std::string Canonical(const domain::VitalSign& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("session_id", x.session_id)
      .T("at", x.at)
      .F("kind", domain::VitalKindName(x.kind))
      .F("value", x.value)
      .str();
}

std::string Canonical(const domain::Assessment& x) {
  std::string items;
  for (std::size_t i = 0; i < x.item_scores.size(); ++i) {
    if (i) items += ',';
    items += std::to_string(x.item_scores[i]);
  }
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("patient_id", x.patient_id)
      .F("session_id", x.session_id)
      .T("at", x.at)
      .F("instrument", x.instrument)
      .F("item_scores", items)
      .F("total", x.total)
      .F("scoring_version", x.scoring_version)
      .str();
}

std::string Canonical(const domain::AdverseEvent& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("session_id", x.session_id)
      .T("at", x.at)
      .F("type", x.type)
      .F("severity", domain::AeSeverityName(x.severity))
      .F("rescue_given", x.rescue_given)
      .str();
}

std::string Canonical(const domain::OverrideRecord& x) {
  std::string rules;
  for (std::size_t i = 0; i < x.rule_ids.size(); ++i) {
    if (i) rules += ',';
    rules += x.rule_ids[i];
  }
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("session_id", x.session_id)
      .F("who", x.who)
      .T("at", x.at)
      .F("rule_ids", rules)
      .F("reason", x.reason)
      .str();
}

std::string Canonical(const domain::LedgerEntry& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("lot", x.lot)
      .F("kind", domain::LedgerKindName(x.kind))
      .T("at", x.at)
      .F("amount_mg", units::ToMg(x.amount))
      .F("concentration_mg_per_ml", units::ToMgPerMl(x.concentration))
      .F("expiry", x.expiry)
      .F("session_id", x.session_id)
      .F("actor", x.actor)
      .F("witness", x.witness)
      .str();
}

namespace {

std::string Opt(const std::optional<double>& v) { return v ? Num(*v) : std::string(); }

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

}  // namespace

std::string Canonical(const domain::PatientFacts& x) {
  return Writer()
      .F("clinic_id", x.clinic_id)
      .F("patient_id", x.patient_id)
      .F("version", x.version)
      .T("recorded_at", x.recorded_at)
      .F("recorded_by", x.recorded_by)
      .F("reason", x.reason)
      .F("weight_kg", Opt(x.weight_kg))
      .F("weight_method", x.weight_method)
      .F("weight_date", x.weight_date)
      .F("height_cm", Opt(x.height_cm))
      .F("pregnancy", domain::PregnancyStatusName(x.pregnancy))
      .F("pregnancy_date", x.pregnancy_date)
      .F("conditions", Lines(x.conditions))
      .F("medications", Lines(x.medications))
      .F("failed_antidepressant_trials",
         x.failed_antidepressant_trials ? std::to_string(*x.failed_antidepressant_trials) : std::string())
      .F("baseline_sbp_mmhg", Opt(x.baseline_sbp_mmhg))
      .F("baseline_dbp_mmhg", Opt(x.baseline_dbp_mmhg))
      .F("baseline_hr_bpm", Opt(x.baseline_hr_bpm))
      .F("baseline_spo2_pct", Opt(x.baseline_spo2_pct))
      .F("baseline_rr_per_min", Opt(x.baseline_rr_per_min))
      .F("weight_confirmed_by", x.weight_confirmed_by)
      .str();
}

std::string Canonical(const domain::ScreeningRecord& x) {
  Writer w;
  w.F("clinic_id", x.clinic_id)
      .F("patient_id", x.patient_id)
      .F("facts_version", x.facts_version)
      .F("route", x.route)
      .T("screened_at", x.screened_at)
      .F("outcome", x.outcome);
  std::string findings;
  for (const auto& f : x.findings) findings += (findings.empty() ? "" : ",") + f.severity + ":" + f.rule_id;
  return w.F("findings", findings)
      .F("rescue_preferred", x.rescue_preferred)
      .F("rescue_avoid", Lines(x.rescue_avoid))
      .F("guideline_version", x.guideline_version)
      .str();
}

std::string Canonical(const domain::AlertRecord& x) {
  Writer w;
  w.F("clinic_id", x.clinic_id)
      .F("id", x.id)
      .F("patient_id", x.patient_id)
      .F("assessment_id", x.assessment_id)
      .F("rule_id", x.rule_id)
      .F("message", x.message)
      .T("raised_at", x.raised_at)
      .F("raised_by", x.raised_by)
      .F("acknowledged_at", x.acknowledged_at ? domain::FormatInstant(*x.acknowledged_at) : std::string())
      .F("acknowledged_by", x.acknowledged_by)
      .F("ack_reason", x.ack_reason);
  // Only once escalated, so an alert's canonical text is unchanged until then.
  if (x.escalated_at) {
    w.F("escalated_at", domain::FormatInstant(*x.escalated_at)).F("escalated_by", x.escalated_by).F("escalated_to", x.escalated_to);
  }
  return w.str();
}

}  // namespace kira::registry
