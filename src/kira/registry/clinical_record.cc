#include "kira/registry/clinical_record.h"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

#include "kira/instruments/scoring.h"
#include "kira/registry/audit.h"
#include "kira/registry/canonical.h"
#include "kira/registry/clock.h"

namespace kira::registry {

namespace {

domain::Sex SexOf(std::string_view s) {
  for (domain::Sex x : {domain::Sex::kFemale, domain::Sex::kMale, domain::Sex::kOther}) {
    if (domain::SexName(x) == s) return x;
  }
  return domain::Sex::kUnknown;
}

domain::WeightMethod MethodOf(std::string_view s) {
  if (s == "stated") return domain::WeightMethod::kStated;
  if (s == "estimated") return domain::WeightMethod::kEstimated;
  return domain::WeightMethod::kMeasured;
}

// The facts themselves, without the version metadata: what decides whether
// a RecordFacts call is a change.
auto Clinical(const domain::PatientFacts& f) {
  return std::tie(f.weight_kg, f.weight_method, f.weight_date, f.weight_confirmed_by, f.height_cm, f.pregnancy, f.pregnancy_date,
                  f.conditions, f.medications, f.failed_antidepressant_trials, f.baseline_sbp_mmhg,
                  f.baseline_dbp_mmhg, f.baseline_hr_bpm, f.baseline_spo2_pct, f.baseline_rr_per_min);
}

domain::ScreeningRecord ToStored(const domain::PatientFacts& facts, std::string_view route, domain::Instant at,
                                 const advisor::ScreenResult& r, const guideline::Library& lib) {
  domain::ScreeningRecord s;
  s.clinic_id = facts.clinic_id;
  s.patient_id = facts.patient_id;
  s.facts_version = facts.version;
  s.route = std::string(route);
  s.screened_at = at;
  s.outcome = r.decision.outcome;
  for (const auto& f : r.decision.findings) {
    s.findings.push_back({f.rule_id, std::string(domain::SeverityName(f.severity))});
  }
  s.rescue_preferred = r.rescue.preferred;
  for (const auto& a : r.rescue.avoid) {
    if (std::find(s.rescue_avoid.begin(), s.rescue_avoid.end(), a.agent) == s.rescue_avoid.end()) {
      s.rescue_avoid.push_back(a.agent);
    }
  }
  s.guideline_version = lib.id + " " + lib.version;
  return s;
}

Status NeedGuideline(const Libraries& libs) {
  if (!libs.guideline || !libs.advisor) {
    return FailedPreconditionError("the guideline and advisor libraries are not loaded");
  }
  return Status::Ok();
}

Status StoreScreening(UnitOfWork& uow, const domain::ScreeningRecord& s,
                      std::vector<domain::ScreeningRecord>* deferred = nullptr) {
  if (deferred) {
    deferred->push_back(s);
  } else {
    KIRA_RETURN_IF_ERROR(uow.tx().InsertScreening(s));
  }
  return uow.Audit(s.clinic_id, "insert", "screening", s.patient_id + "/" + std::to_string(s.facts_version) + "/" +
                                                            s.route,
                   "", Canonical(s));
}

}  // namespace

domain::Patient AdvisorPatient(const domain::PatientRecord& record, const domain::PatientFacts& facts,
                               domain::Instant at, const domain::PatientFacts* previous) {
  domain::Patient p;
  p.id = record.id;
  const std::chrono::year_month_day ymd(std::chrono::floor<std::chrono::days>(at));
  p.age_years = static_cast<double>(int(ymd.year()) - record.birth_year);
  p.sex = SexOf(record.sex);
  p.pregnant = facts.pregnancy == domain::PregnancyStatus::kPregnant;
  if (facts.weight_kg) {
    p.weight.value = units::Kg(*facts.weight_kg);
    p.weight.entered_value = *facts.weight_kg;
  }
  p.weight.method = MethodOf(facts.weight_method);
  p.weight.entered_unit = "kg";
  p.weight.measured_at = facts.weight_date;
  if (facts.weight_kg && !facts.weight_confirmed_by.empty()) {
    p.weight.implausible_confirmed_value = *facts.weight_kg;
    p.weight.implausible_confirmed_by = facts.weight_confirmed_by;
  }
  if (previous && previous->weight_kg) {
    p.previous_weight = domain::PreviousWeight{units::Kg(*previous->weight_kg), previous->weight_date};
  }
  if (facts.height_cm) p.height = units::Cm(*facts.height_cm);
  p.diagnoses = {record.indication};
  for (const auto& c : facts.conditions) p.history[c] = true;
  for (const auto& m : facts.medications) p.medications.push_back({m, std::nullopt});
  p.failed_antidepressant_trials = facts.failed_antidepressant_trials;
  if (facts.baseline_sbp_mmhg || facts.baseline_dbp_mmhg || facts.baseline_hr_bpm || facts.baseline_spo2_pct ||
      facts.baseline_rr_per_min) {
    p.baseline_vitals = domain::BaselineVitals{facts.baseline_sbp_mmhg, facts.baseline_dbp_mmhg, facts.baseline_hr_bpm,
                                               facts.baseline_spo2_pct, facts.baseline_rr_per_min};
  }
  return p;
}

StatusOr<domain::PatientFacts> CurrentFacts(storage::Transaction& tx, std::string_view clinic_id,
                                            std::string_view patient_id) {
  auto f = tx.GetCurrentPatientFacts(clinic_id, patient_id);
  if (f.ok() || !f.status().IsNotFound()) return f;
  return FailedPreconditionError("patient '" + std::string(patient_id) +
                                 "' has no recorded clinical facts: record weight, height, pregnancy status, "
                                 "history, medications and baseline vitals first");
}

namespace {
// (clinic, patient) as one set key: the clinic id's length, ':', both ids.
std::string FactsKey(std::string_view clinic_id, std::string_view patient_id) {
  std::string key = std::to_string(clinic_id.size());
  key += ':';
  key += clinic_id;
  key += patient_id;
  return key;
}
}  // namespace

void DeferredFactsWrites::Keep(const domain::PatientRecord& patient) {
  registered_.push_back(patient);
  patients_.insert(FactsKey(patient.clinic_id, patient.id));
}

bool DeferredFactsWrites::Holds(std::string_view clinic_id, std::string_view patient_id) const {
  return patients_.count(FactsKey(clinic_id, patient_id)) > 0;
}

void DeferredFactsWrites::Take(DeferredFactsWrites& other) {
  auto append = [](auto& to, auto& from) {
    if (to.empty()) {
      to.swap(from);
    } else {
      to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    }
    from.clear();
  };
  append(registered_, other.registered_);
  append(facts_, other.facts_);
  append(screenings_, other.screenings_);
  patients_.merge(other.patients_);
  other.patients_.clear();
}

Status DeferredFactsWrites::Flush(storage::Transaction& tx) {
  // The patients first, then the facts: a screening references its facts
  // version, which references its patient.
  Status s = Status::Ok();
  for (const auto& p : registered_) {
    s = tx.InsertPatient(p);
    if (!s.ok()) break;
  }
  if (s.ok()) s = tx.InsertPatientFactsMany(facts_);
  if (s.ok()) s = tx.InsertScreenings(screenings_);
  registered_.clear();
  facts_.clear();
  screenings_.clear();
  patients_.clear();
  return s;
}

StatusOr<RecordFactsResult> RecordFacts(UnitOfWork& uow, const Libraries& libs, domain::PatientFacts facts) {
  return RecordFacts(uow, libs, std::move(facts), nullptr);
}

// RecordFacts after its reads (a friend of DeferredFactsWrites): `current` is the patient's newest stored
// facts version (nullopt: none).
StatusOr<RecordFactsResult> RecordFactsOn(UnitOfWork& uow, const Libraries& libs, const domain::PatientRecord& patient,
                                          std::optional<domain::PatientFacts> current, domain::PatientFacts facts,
                                          DeferredFactsWrites* deferred) {
  storage::Transaction& tx = uow.tx();
  std::sort(facts.conditions.begin(), facts.conditions.end());
  facts.conditions.erase(std::unique(facts.conditions.begin(), facts.conditions.end()), facts.conditions.end());
  for (const auto& c : facts.conditions) {
    if (!libs.guideline->HasConditionTerm(c)) {
      return InvalidArgumentError("history." + c + ": not a condition the guideline library knows");
    }
  }
  RecordFactsResult result;
  std::string before;
  if (current) {
    if (Clinical(*current) == Clinical(facts)) {
      result.facts = std::move(*current);
      return result;
    }
    facts.version = current->version + 1;
    before = Canonical(*current);
  } else {
    facts.version = 1;
  }
  facts.recorded_at = uow.now();
  facts.recorded_by = uow.actor();
  if (deferred) {
    deferred->facts_.push_back(facts);
    deferred->patients_.insert(FactsKey(facts.clinic_id, facts.patient_id));
  } else {
    KIRA_RETURN_IF_ERROR(tx.InsertPatientFacts(facts));
  }
  const char* action = before.empty() ? "insert" : "update";  // before std::move(before) below
  KIRA_RETURN_IF_ERROR(
      uow.Audit(facts.clinic_id, action, "patient_facts", facts.patient_id, std::move(before), Canonical(facts)));
  // A change re-screens: every route, so that whatever is given next reads
  // a screening made on these facts.
  const domain::PatientFacts* previous = current ? &*current : nullptr;
  const domain::Patient p = AdvisorPatient(patient, facts, facts.recorded_at, previous);
  for (const auto& route : libs.guideline->routes) {
    domain::ScreeningRecord s = ToStored(facts, route.id, facts.recorded_at,
                                         advisor::Screen(*libs.guideline, *libs.advisor, p, route.id), *libs.guideline);
    KIRA_RETURN_IF_ERROR(StoreScreening(uow, s, deferred ? &deferred->screenings_ : nullptr));
    result.screenings.push_back(std::move(s));
  }
  result.facts = std::move(facts);
  result.new_version = true;
  return result;
}

StatusOr<RecordFactsResult> RecordFacts(UnitOfWork& uow, const Libraries& libs, domain::PatientFacts facts,
                                        DeferredFactsWrites* deferred) {
  KIRA_RETURN_IF_ERROR(NeedGuideline(libs));
  storage::Transaction& tx = uow.tx();
  // What is read below must include the patient's deferred rows.
  if (deferred && deferred->Holds(facts.clinic_id, facts.patient_id)) KIRA_RETURN_IF_ERROR(deferred->Flush(tx));
  auto patient = tx.GetPatient(facts.clinic_id, facts.patient_id);
  if (!patient.ok()) {
    if (!patient.status().IsNotFound()) return patient.status();
    return FailedPreconditionError("patient '" + facts.patient_id + "' is not registered in clinic '" +
                                   facts.clinic_id + "'");
  }
  std::optional<domain::PatientFacts> current;
  if (auto c = tx.GetCurrentPatientFacts(facts.clinic_id, facts.patient_id); c.ok()) {
    current = std::move(*c);
  } else if (!c.status().IsNotFound()) {
    return c.status();
  }
  return RecordFactsOn(uow, libs, *patient, std::move(current), std::move(facts), deferred);
}

StatusOr<RecordFactsResult> RecordFirstFacts(UnitOfWork& uow, const Libraries& libs,
                                             const domain::PatientRecord& registered, domain::PatientFacts facts,
                                             DeferredFactsWrites* deferred) {
  KIRA_RETURN_IF_ERROR(NeedGuideline(libs));
  if (registered.clinic_id != facts.clinic_id || registered.id != facts.patient_id) {
    return InvalidArgumentError("patient_id: the facts are not of patient '" + registered.id + "'");
  }
  return RecordFactsOn(uow, libs, registered, std::nullopt, std::move(facts), deferred);
}

StatusOr<ScreenPatientResult> ScreenPatient(UnitOfWork& uow, const Libraries& libs, std::string_view clinic_id,
                                            std::string_view patient_id, std::string_view route) {
  KIRA_RETURN_IF_ERROR(NeedGuideline(libs));
  if (!libs.guideline->FindRoute(std::string(route))) {
    return InvalidArgumentError("route: unknown route '" + std::string(route) + "'");
  }
  storage::Transaction& tx = uow.tx();
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord record, tx.GetPatient(clinic_id, patient_id));
  ScreenPatientResult out;
  KIRA_ASSIGN_OR_RETURN(out.facts, CurrentFacts(tx, clinic_id, patient_id));
  const domain::Instant now = uow.now();
  std::optional<domain::PatientFacts> previous;
  if (out.facts.version > 1) {
    KIRA_ASSIGN_OR_RETURN(auto versions, tx.ListPatientFacts(clinic_id, patient_id));
    if (versions.size() >= 2) previous = versions[versions.size() - 2];
  }
  out.screen = advisor::Screen(*libs.guideline, *libs.advisor,
                               AdvisorPatient(record, out.facts, now, previous ? &*previous : nullptr), route);
  auto stored = tx.GetScreening(clinic_id, patient_id, out.facts.version, route);
  if (stored.ok()) {
    out.stored = std::move(*stored);
  } else if (stored.status().IsNotFound()) {
    out.stored = ToStored(out.facts, route, now, out.screen, *libs.guideline);
    KIRA_RETURN_IF_ERROR(StoreScreening(uow, out.stored));
  } else {
    return stored.status();
  }
  return out;
}

domain::Decision ScreeningDecision(const domain::ScreeningRecord& screening) {
  domain::Decision d;
  d.outcome = screening.outcome;
  for (const auto& f : screening.findings) {
    domain::Finding x;
    x.rule_id = f.rule_id;
    domain::ParseSeverity(f.severity, &x.severity);
    x.message = "stored screening finding (facts version " + std::to_string(screening.facts_version) + ")";
    d.findings.push_back(std::move(x));
  }
  return d;
}

StatusOr<std::optional<domain::ScreeningRecord>> CurrentScreening(storage::Transaction& tx, const Libraries& libs,
                                                                   std::string_view clinic_id,
                                                                   std::string_view patient_id,
                                                                   std::string_view route) {
  (void)libs;
  auto facts = tx.GetCurrentPatientFacts(clinic_id, patient_id);
  if (!facts.ok()) {
    if (facts.status().IsNotFound()) return std::optional<domain::ScreeningRecord>();
    return facts.status();
  }
  auto s = tx.GetScreening(clinic_id, patient_id, facts->version, route);
  if (!s.ok()) {
    if (s.status().IsNotFound()) return std::optional<domain::ScreeningRecord>();
    return s.status();
  }
  return std::optional<domain::ScreeningRecord>(std::move(*s));
}

StatusOr<RecordAssessmentResult> RecordAssessment(UnitOfWork& uow, const Libraries& libs, domain::Assessment a) {
  if (!libs.instruments) return FailedPreconditionError("the instruments library is not loaded");
  const instruments::Instrument* ins = libs.instruments->Find(a.instrument);
  if (!ins) return InvalidArgumentError("instrument: unknown instrument '" + a.instrument + "'");
  storage::Transaction& tx = uow.tx();
  {
    auto p = tx.GetPatient(a.clinic_id, a.patient_id);
    if (!p.ok()) {
      if (!p.status().IsNotFound()) return p.status();
      return FailedPreconditionError("patient '" + a.patient_id + "' is not registered");
    }
  }
  if (!a.session_id.empty()) {
    auto ss = tx.GetSession(a.clinic_id, a.session_id);
    if (!ss.ok()) {
      if (!ss.status().IsNotFound()) return ss.status();
      return InvalidArgumentError("session_id: no session '" + a.session_id + "'");
    }
    if (ss->patient_id != a.patient_id) return InvalidArgumentError("session_id: a session of another patient");
  }
  KIRA_RETURN_IF_ERROR(NotInFuture("at", a.at, uow.now()));
  std::vector<std::optional<int>> items(a.item_scores.begin(), a.item_scores.end());
  auto scored = instruments::Score(*libs.instruments, *ins, items);
  if (!scored.ok()) {
    // The scorer names "items"/"items[i]"; the stored field is item_scores.
    std::string m(scored.status().message());
    if (m.rfind("items", 0) == 0) m = "item_scores" + m.substr(5);
    return InvalidArgumentError(m);
  }
  const int total = static_cast<int>(scored->total);
  if (a.total != 0 && a.total != total) {
    return InvalidArgumentError("total: " + std::to_string(a.total) + " is not the instrument's total of the items (" +
                                std::to_string(total) + ")");
  }
  a.total = total;
  a.scoring_version = libs.instruments->id + " " + libs.instruments->version;
  KIRA_RETURN_IF_ERROR(tx.InsertAssessment(a));
  KIRA_RETURN_IF_ERROR(uow.Audit(a.clinic_id, "insert", "assessment", a.id, "", Canonical(a)));
  RecordAssessmentResult out;
  out.score = scored->decision;
  if (scored->alert_pending()) {
    int n = 0;
    for (const auto& f : scored->decision.findings) {
      if (f.severity != domain::Severity::kSoftStop) continue;
      domain::AlertRecord alert;
      alert.clinic_id = a.clinic_id;
      // Ids go into URLs (/api/v1/alerts/{id}/ack): derived from the
      // assessment id, but free of '/' and other path characters.
      alert.id = "al-" + Sha256Hex(a.clinic_id + "\n" + a.id).substr(0, 20) + "-" + std::to_string(++n);
      alert.patient_id = a.patient_id;
      alert.assessment_id = a.id;
      alert.rule_id = f.rule_id;
      alert.message = f.message;
      alert.raised_at = uow.now();
      alert.raised_by = uow.actor();
      KIRA_RETURN_IF_ERROR(tx.InsertAlert(alert));
      KIRA_RETURN_IF_ERROR(uow.Audit(a.clinic_id, "insert", "alert", alert.id, "", Canonical(alert)));
      out.alerts.push_back(std::move(alert));
    }
  }
  out.assessment = std::move(a);
  return out;
}

StatusOr<domain::AlertRecord> AcknowledgeAlert(UnitOfWork& uow, std::string_view clinic_id,
                                               std::string_view alert_id, std::string who, std::string reason) {
  if (who.empty()) return InvalidArgumentError("acknowledged_by: who acknowledges the alert is required");
  if (reason.empty()) return InvalidArgumentError("reason: the acknowledgement needs a reason");
  KIRA_RETURN_IF_ERROR(uow.LockClinic(clinic_id));
  KIRA_ASSIGN_OR_RETURN(domain::AlertRecord alert, uow.tx().GetAlert(clinic_id, alert_id));
  if (!alert.open()) {
    return FailedPreconditionError("alert '" + alert.id + "' was already acknowledged by " + alert.acknowledged_by +
                                   " at " + domain::FormatInstant(*alert.acknowledged_at));
  }
  const std::string before = Canonical(alert);
  alert.acknowledged_at = uow.now();
  alert.acknowledged_by = std::move(who);
  alert.ack_reason = std::move(reason);
  KIRA_RETURN_IF_ERROR(uow.tx().UpdateAlert(alert));
  KIRA_RETURN_IF_ERROR(uow.Audit(alert.clinic_id, "acknowledge", "alert", alert.id, before, Canonical(alert)));
  return alert;
}

StatusOr<domain::AlertRecord> EscalateAlert(UnitOfWork& uow, std::string_view clinic_id, std::string_view alert_id,
                                            std::string who, std::string told) {
  if (who.empty()) return InvalidArgumentError("escalated_by: who told the clinician is required");
  const auto first = told.find_first_not_of(" \t");
  if (first == std::string::npos) return InvalidArgumentError("told: name the clinician you told");
  told = told.substr(first, told.find_last_not_of(" \t") - first + 1);
  if (told.size() > 200) return InvalidArgumentError("told: must be at most 200 characters");
  KIRA_RETURN_IF_ERROR(uow.LockClinic(clinic_id));
  KIRA_ASSIGN_OR_RETURN(domain::AlertRecord alert, uow.tx().GetAlert(clinic_id, alert_id));
  const std::string before = Canonical(alert);
  alert.escalated_at = uow.now();
  alert.escalated_by = std::move(who);
  alert.escalated_to = std::move(told);
  KIRA_RETURN_IF_ERROR(uow.tx().UpdateAlert(alert));
  KIRA_RETURN_IF_ERROR(uow.Audit(alert.clinic_id, "escalate", "alert", alert.id, before, Canonical(alert)));
  return alert;
}

Status RequireNoOpenAlert(storage::Transaction& tx, std::string_view clinic_id, std::string_view patient_id) {
  KIRA_ASSIGN_OR_RETURN(auto open, tx.ListAlerts(clinic_id, patient_id, true));
  if (open.empty()) return Status::Ok();
  const auto& a = open.front();
  return FailedPreconditionError("patient '" + std::string(patient_id) + "' has an unacknowledged alert '" + a.id +
                                 "' (" + a.message + ", raised " + domain::FormatInstant(a.raised_at) +
                                 "): a clinician must acknowledge it first");
}

}  // namespace kira::registry
