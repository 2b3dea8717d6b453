#include "kira/storage/validate.h"

#include <cmath>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::storage {

namespace {

Status NonEmpty(std::string_view value, std::string_view field) {
  if (value.empty()) return InvalidArgumentError(std::string(field) + ": must not be empty");
  return Status::Ok();
}

Status PositiveFinite(double value, std::string_view field) {
  if (!std::isfinite(value) || value <= 0.0) {
    return InvalidArgumentError(std::string(field) + ": must be a finite number > 0, got " +
                                std::to_string(value));
  }
  return Status::Ok();
}

// An identifier the caller chose (domain::IdProblem: length, UTF-8, no control
// characters). Ids kira derives from one (an override's "<session>/override")
// only need to be non-empty and free of control characters, which they
// inherit.
Status Id(std::string_view value, std::string_view field) {
  if (std::string why = domain::IdProblem(value); !why.empty()) {
    return InvalidArgumentError(std::string(field) + ": " + why);
  }
  return Status::Ok();
}

Status Keys(std::string_view clinic_id, std::string_view id) {
  KIRA_RETURN_IF_ERROR(Id(clinic_id, "clinic_id"));
  return NonEmpty(id, "id");
}

// Whether a write creates the record's identifiers (the identifier rule
// applies) or updates a stored record under the identifiers it has (they
// were checked when created, or predate the rule, and are not re-judged).
enum class KeyRule { kNew, kStored };

Status KeysAs(std::string_view clinic_id, std::string_view id, KeyRule rule) {
  if (rule == KeyRule::kNew) return Keys(clinic_id, id);
  KIRA_RETURN_IF_ERROR(NonEmpty(clinic_id, "clinic_id"));
  return NonEmpty(id, "id");
}

Status UserAs(const domain::User& u, KeyRule rule) {
  KIRA_RETURN_IF_ERROR(KeysAs(u.clinic_id, u.id, rule));
  return rule == KeyRule::kNew ? Id(u.id, "id") : Status::Ok();
}

Status CredentialAs(const domain::Credential& c, KeyRule rule) {
  KIRA_RETURN_IF_ERROR(KeysAs(c.clinic_id, c.user_id, rule));
  KIRA_RETURN_IF_ERROR(rule == KeyRule::kNew ? Id(c.login, "login") : NonEmpty(c.login, "login"));
  if (c.password_hash.rfind("$argon2id$", 0) != 0) {
    return InvalidArgumentError("password_hash: must be an argon2id PHC string");
  }
  return Status::Ok();
}

Status PatientAs(const domain::PatientRecord& p, KeyRule rule) {
  KIRA_RETURN_IF_ERROR(KeysAs(p.clinic_id, p.id, rule));
  if (rule == KeyRule::kNew) KIRA_RETURN_IF_ERROR(Id(p.id, "id"));
  if (p.birth_year < 1900 || p.birth_year > 2200) {
    return InvalidArgumentError("birth_year: must be in [1900, 2200], got " +
                                std::to_string(p.birth_year));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateClinic(const domain::Clinic& c) {
  KIRA_RETURN_IF_ERROR(Id(c.id, "clinic_id"));
  // '*' starts the ids of registry-level audit chains (store.h).
  if (c.id.front() == '*') return InvalidArgumentError("clinic_id: must not start with '*' (reserved)");
  return NonEmpty(c.name, "name");
}

Status ValidateUser(const domain::User& u) { return UserAs(u, KeyRule::kNew); }
Status ValidateStoredUser(const domain::User& u) { return UserAs(u, KeyRule::kStored); }

Status ValidateCredential(const domain::Credential& c) { return CredentialAs(c, KeyRule::kNew); }
Status ValidateStoredCredential(const domain::Credential& c) { return CredentialAs(c, KeyRule::kStored); }

Status ValidatePatient(const domain::PatientRecord& p) { return PatientAs(p, KeyRule::kNew); }
Status ValidateStoredPatient(const domain::PatientRecord& p) { return PatientAs(p, KeyRule::kStored); }

Status ValidatePatientIdentity(const domain::PatientIdentity& p) {
  return Keys(p.clinic_id, p.patient_id);
}

namespace {
Status SessionAs(const domain::SessionRecord& s, KeyRule rule) {
  KIRA_RETURN_IF_ERROR(KeysAs(s.clinic_id, s.id, rule));
  if (rule == KeyRule::kNew) KIRA_RETURN_IF_ERROR(Id(s.id, "id"));
  // A reference to a stored patient (the store checks it exists).
  KIRA_RETURN_IF_ERROR(NonEmpty(s.patient_id, "patient_id"));
  KIRA_RETURN_IF_ERROR(NonEmpty(s.protocol_id, "protocol_id"));
  KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToKg(s.dosing_weight), "dosing_weight_kg"));
  KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToMg(s.planned_dose), "planned_dose_mg"));
  if (s.given_dose) {
    double mg = units::ToMg(*s.given_dose);
    if (!std::isfinite(mg) || mg < 0.0) {
      return InvalidArgumentError("given_dose_mg: must be a finite number >= 0");
    }
  }
  // Absent for a route that is not infused (esketamine nasal spray).
  if (s.concentration) {
    KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToMgPerMl(*s.concentration), "concentration_mg_per_ml"));
  }
  if (s.rate) KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToMlPerH(*s.rate), "rate_ml_per_h"));
  if (s.stopped_at && *s.stopped_at < s.started_at) {
    return InvalidArgumentError("stopped_at: must not be before started_at");
  }
  return Status::Ok();
}
}  // namespace

Status ValidateSession(const domain::SessionRecord& s) { return SessionAs(s, KeyRule::kNew); }
Status ValidateStoredSession(const domain::SessionRecord& s) { return SessionAs(s, KeyRule::kStored); }

Status ValidateVital(const domain::VitalSign& v) {
  KIRA_RETURN_IF_ERROR(Keys(v.clinic_id, v.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(v.session_id, "session_id"));
  if (!std::isfinite(v.value) || v.value < 0.0) {
    return InvalidArgumentError("value: must be a finite number >= 0");
  }
  // A saturation is a share of the haemoglobin: above 100 % is a typing or
  // unit error (a pulse rate in the SpO2 field), never a reading.
  if (v.kind == domain::VitalKind::kSpO2 && v.value > 100.0) {
    return InvalidArgumentError("value: SpO2 is a percentage and cannot be above 100, got " + std::to_string(v.value));
  }
  return Status::Ok();
}

Status ValidateAssessment(const domain::Assessment& a) {
  KIRA_RETURN_IF_ERROR(Keys(a.clinic_id, a.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(a.patient_id, "patient_id"));
  KIRA_RETURN_IF_ERROR(NonEmpty(a.instrument, "instrument"));
  KIRA_RETURN_IF_ERROR(NonEmpty(a.scoring_version, "scoring_version"));
  for (int s : a.item_scores) {
    if (s < 0) return InvalidArgumentError("item_scores: must be >= 0");
  }
  if (a.total < 0) return InvalidArgumentError("total: must be >= 0");
  return Status::Ok();
}

Status ValidateAdverseEvent(const domain::AdverseEvent& e) {
  KIRA_RETURN_IF_ERROR(Keys(e.clinic_id, e.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(e.session_id, "session_id"));
  return NonEmpty(e.type, "type");
}

Status ValidateOverride(const domain::OverrideRecord& o) {
  KIRA_RETURN_IF_ERROR(Keys(o.clinic_id, o.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(o.session_id, "session_id"));
  KIRA_RETURN_IF_ERROR(NonEmpty(o.who, "who"));
  return NonEmpty(o.reason, "reason");
}

Status ValidateLedgerEntry(const domain::LedgerEntry& e) {
  KIRA_RETURN_IF_ERROR(Keys(e.clinic_id, e.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(e.lot, "lot"));
  KIRA_RETURN_IF_ERROR(NonEmpty(e.actor, "actor"));
  KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToMg(e.amount), "amount_mg"));
  KIRA_RETURN_IF_ERROR(PositiveFinite(units::ToMgPerMl(e.concentration), "concentration_mg_per_ml"));
  if (e.kind == domain::LedgerKind::kWasted && e.witness.empty()) {
    return InvalidArgumentError("witness: required when kind is wasted");
  }
  if (e.kind == domain::LedgerKind::kWasted && e.witness == e.actor) {
    return InvalidArgumentError("witness: must be a different user from actor");
  }
  return Status::Ok();
}

Status ValidateAuditEntry(const domain::AuditEntry& e) {
  KIRA_RETURN_IF_ERROR(NonEmpty(e.clinic_id, "clinic_id"));
  if (e.seq < 1) return InvalidArgumentError("seq: must be >= 1");
  KIRA_RETURN_IF_ERROR(NonEmpty(e.hash, "hash"));
  return NonEmpty(e.action, "action");
}

Status ValidateIdempotencyRecord(const IdempotencyRecord& r) {
  KIRA_RETURN_IF_ERROR(NonEmpty(r.clinic_id, "clinic_id"));
  KIRA_RETURN_IF_ERROR(NonEmpty(r.principal, "principal"));
  KIRA_RETURN_IF_ERROR(NonEmpty(r.key, "key"));
  return NonEmpty(r.request_hash, "request_hash");
}

namespace {

Status OptPositive(const std::optional<double>& v, std::string_view field) {
  return v ? PositiveFinite(*v, field) : Status::Ok();
}

// List items are stored newline-separated.
Status ListItems(const std::vector<std::string>& items, std::string_view field) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].empty() || items[i].find('\n') != std::string::npos) {
      return InvalidArgumentError(std::string(field) + "[" + std::to_string(i) +
                                  "]: must be non-empty and on one line");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidatePatientFacts(const domain::PatientFacts& f) {
  KIRA_RETURN_IF_ERROR(Keys(f.clinic_id, f.patient_id));
  if (f.version < 1) return InvalidArgumentError("version: must be >= 1, got " + std::to_string(f.version));
  KIRA_RETURN_IF_ERROR(NonEmpty(f.recorded_by, "recorded_by"));
  if (f.weight_method != "measured" && f.weight_method != "stated" && f.weight_method != "estimated") {
    return InvalidArgumentError("weight.method: must be measured, stated or estimated, got '" + f.weight_method + "'");
  }
  KIRA_RETURN_IF_ERROR(OptPositive(f.weight_kg, "weight.value"));
  KIRA_RETURN_IF_ERROR(OptPositive(f.height_cm, "height.value"));
  if (f.failed_antidepressant_trials && *f.failed_antidepressant_trials < 0) {
    return InvalidArgumentError("failed_antidepressant_trials: must be >= 0");
  }
  KIRA_RETURN_IF_ERROR(OptPositive(f.baseline_sbp_mmhg, "baseline_vitals.sbp_mmhg"));
  KIRA_RETURN_IF_ERROR(OptPositive(f.baseline_dbp_mmhg, "baseline_vitals.dbp_mmhg"));
  KIRA_RETURN_IF_ERROR(OptPositive(f.baseline_hr_bpm, "baseline_vitals.hr_bpm"));
  KIRA_RETURN_IF_ERROR(OptPositive(f.baseline_spo2_pct, "baseline_vitals.spo2_pct"));
  KIRA_RETURN_IF_ERROR(OptPositive(f.baseline_rr_per_min, "baseline_vitals.rr_per_min"));
  KIRA_RETURN_IF_ERROR(ListItems(f.conditions, "conditions"));
  return ListItems(f.medications, "medications");
}

Status ValidateScreening(const domain::ScreeningRecord& s) {
  KIRA_RETURN_IF_ERROR(Keys(s.clinic_id, s.patient_id));
  if (s.facts_version < 1) return InvalidArgumentError("facts_version: must be >= 1");
  KIRA_RETURN_IF_ERROR(NonEmpty(s.route, "route"));
  KIRA_RETURN_IF_ERROR(NonEmpty(s.outcome, "outcome"));
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const auto& f = s.findings[i];
    domain::Severity sev;
    if (f.rule_id.empty() || f.rule_id.find_first_of(" \n") != std::string::npos ||
        !domain::ParseSeverity(f.severity, &sev)) {
      return InvalidArgumentError("findings[" + std::to_string(i) + "]: needs a rule id and a severity");
    }
  }
  return ListItems(s.rescue_avoid, "rescue_avoid");
}

Status ValidateAlert(const domain::AlertRecord& a) {
  KIRA_RETURN_IF_ERROR(Keys(a.clinic_id, a.id));
  KIRA_RETURN_IF_ERROR(NonEmpty(a.patient_id, "patient_id"));
  KIRA_RETURN_IF_ERROR(NonEmpty(a.rule_id, "rule_id"));
  if (a.acknowledged_at) {
    KIRA_RETURN_IF_ERROR(NonEmpty(a.acknowledged_by, "acknowledged_by"));
    KIRA_RETURN_IF_ERROR(NonEmpty(a.ack_reason, "ack_reason"));
  }
  if (a.escalated_at) {
    KIRA_RETURN_IF_ERROR(NonEmpty(a.escalated_by, "escalated_by"));
    KIRA_RETURN_IF_ERROR(NonEmpty(a.escalated_to, "told"));
  }
  return Status::Ok();
}

}  // namespace kira::storage
