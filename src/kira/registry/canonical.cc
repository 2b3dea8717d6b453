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
      .F("concentration_mg_per_ml", units::ToMgPerMl(x.concentration))
      .F("rate_ml_per_h", units::ToMlPerH(x.rate))
      .T("started_at", x.started_at)
      .F("stopped_at", x.stopped_at ? domain::FormatInstant(*x.stopped_at) : std::string())
      .F("recorded_by", x.recorded_by)
      .F("decision_outcome", x.decision_outcome);
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

}  // namespace kira::registry
