#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kira/storage/sql/sql_connection.h"
#include "kira/storage/validate.h"

namespace kira::storage::internal {

std::int64_t SqlRow::Int(std::size_t i) const {
  const SqlValue& v = cells_.at(i);
  if (auto* p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto* p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto* p = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    std::from_chars(p->data(), p->data() + p->size(), out);
    return out;
  }
  return 0;
}

double SqlRow::Real(std::size_t i) const {
  const SqlValue& v = cells_.at(i);
  if (auto* p = std::get_if<double>(&v)) return *p;
  if (auto* p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto* p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
  return 0.0;
}

std::string SqlRow::Text(std::size_t i) const {
  const SqlValue& v = cells_.at(i);
  if (auto* p = std::get_if<std::string>(&v)) return *p;
  if (auto* p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto* p = std::get_if<double>(&v)) return std::to_string(*p);
  return "";
}

namespace {

class RowCursor : public SqlCursor {
 public:
  explicit RowCursor(const SqlRow* row) : row_(row) {}
  bool IsNull(int i) const override { return row_->IsNull(static_cast<std::size_t>(i)); }
  std::int64_t Int(int i) const override { return row_->Int(static_cast<std::size_t>(i)); }
  double Real(int i) const override { return row_->Real(static_cast<std::size_t>(i)); }
  std::string_view Text(int i) const override {
    text_ = row_->Text(static_cast<std::size_t>(i));
    return text_;
  }

 private:
  const SqlRow* row_;
  mutable std::string text_;
};

}  // namespace

Status SqlConnection::QueryEach(std::string_view sql, std::span<const SqlValue> params,
                                const std::function<void(const SqlCursor&)>& each) {
  KIRA_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(sql, params));
  for (const SqlRow& r : rows) each(RowCursor(&r));
  return Status::Ok();
}

namespace {

using domain::FromUnixMicros;
using domain::ToUnixMicros;

SqlValue S(std::string_view s) { return SqlValue(std::string(s)); }
SqlValue I(std::int64_t v) { return SqlValue(v); }
SqlValue D(double v) { return SqlValue(v); }
SqlValue OptS(std::string_view s) { return s.empty() ? SqlValue() : S(s); }

std::string JoinInts(const std::vector<int>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out;
}
std::vector<int> SplitInts(const std::string& s) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    int x = 0;
    std::from_chars(s.data() + pos, s.data() + end, x);
    out.push_back(x);
    pos = end + 1;
  }
  return out;
}
// Rule ids contain no commas or newlines (stable dotted strings), so a
// newline-separated list is unambiguous.
std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += '\n';
    out += v[i];
  }
  return out;
}
std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find('\n', pos);
    out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

template <class E>
E ParseEnum(const std::string& s, bool (*parse)(std::string_view, E*)) {
  E out{};
  parse(s, &out);
  return out;
}

constexpr char kSessionCols[] =
    "clinic_id, id, patient_id, protocol_id, state, dosing_weight_kg, planned_dose_mg, "
    "given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, started_at_us, stopped_at_us, "
    "recorded_by, decision_outcome, facts_version, screening_outcome";

domain::SessionRecord SessionFromRow(const SqlRow& r) {
  domain::SessionRecord s;
  s.clinic_id = r.Text(0);
  s.id = r.Text(1);
  s.patient_id = r.Text(2);
  s.protocol_id = r.Text(3);
  s.state = ParseEnum(r.Text(4), &domain::ParseSessionState);
  s.dosing_weight = units::Kg(r.Real(5));
  s.planned_dose = units::Mg(r.Real(6));
  if (!r.IsNull(7)) s.given_dose = units::Mg(r.Real(7));
  if (!r.IsNull(8)) s.concentration = units::MgPerMl(r.Real(8));
  if (!r.IsNull(9)) s.rate = units::MlPerH(r.Real(9));
  s.started_at = FromUnixMicros(r.Int(10));
  if (!r.IsNull(11)) s.stopped_at = FromUnixMicros(r.Int(11));
  s.recorded_by = r.Text(12);
  s.decision_outcome = r.Text(13);
  s.facts_version = static_cast<int>(r.Int(14));
  s.screening_outcome = r.Text(15);
  return s;
}

std::vector<SqlValue> SessionParams(const domain::SessionRecord& s) {
  return {S(s.clinic_id),
          S(s.id),
          S(s.patient_id),
          S(s.protocol_id),
          S(domain::SessionStateName(s.state)),
          D(units::ToKg(s.dosing_weight)),
          D(units::ToMg(s.planned_dose)),
          s.given_dose ? D(units::ToMg(*s.given_dose)) : SqlValue(),
          s.concentration ? D(units::ToMgPerMl(*s.concentration)) : SqlValue(),
          s.rate ? D(units::ToMlPerH(*s.rate)) : SqlValue(),
          I(ToUnixMicros(s.started_at)),
          s.stopped_at ? I(ToUnixMicros(*s.stopped_at)) : SqlValue(),
          S(s.recorded_by),
          S(s.decision_outcome),
          I(s.facts_version),
          S(s.screening_outcome)};
}

std::vector<SqlValue> AuditParams(const domain::AuditEntry& e) {
  return {S(e.clinic_id), I(e.seq), I(ToUnixMicros(e.at)), S(e.actor), S(e.action), S(e.entity),
          S(e.entity_id), S(e.before), S(e.after), S(e.prev_hash), S(e.hash)};
}

constexpr char kLedgerCols[] =
    "clinic_id, id, lot, kind, at_us, amount_mg, concentration_mg_per_ml, expiry, session_id, "
    "actor, witness";

domain::LedgerEntry LedgerFromRow(const SqlRow& r) {
  domain::LedgerEntry e;
  e.clinic_id = r.Text(0);
  e.id = r.Text(1);
  e.lot = r.Text(2);
  e.kind = ParseEnum(r.Text(3), &domain::ParseLedgerKind);
  e.at = FromUnixMicros(r.Int(4));
  e.amount = units::Mg(r.Real(5));
  e.concentration = units::MgPerMl(r.Real(6));
  e.expiry = r.Text(7);
  e.session_id = r.Text(8);
  e.actor = r.Text(9);
  e.witness = r.Text(10);
  return e;
}

constexpr char kCredentialCols[] =
    "login, clinic_id, user_id, password_hash, CASE WHEN disabled THEN 1 ELSE 0 END, "
    "CASE WHEN must_change_password THEN 1 ELSE 0 END, totp_secret";

domain::Credential CredentialFromRow(const SqlRow& r) {
  domain::Credential c{r.Text(0), r.Text(1), r.Text(2), r.Text(3)};
  c.disabled = r.Int(4) != 0;
  c.must_change_password = r.Int(5) != 0;
  c.totp_secret = r.Text(6);
  return c;
}

// A boolean literal both SQLite (integers 0/1) and PostgreSQL (BOOLEAN) accept.
const char* Bool(bool b) { return b ? "(1 = 1)" : "(1 = 0)"; }

constexpr char kAuditCols[] =
    "clinic_id, seq, at_us, actor, action, entity, entity_id, before_text, after_text, prev_hash, "
    "hash";

// The table holding a chain's rows / checkpoints (store.h: the registry
// chain is kept apart from the clinics').
const char* AuditTable(std::string_view chain) {
  return IsRegistryAuditChain(chain) ? "registry_audit_log" : "audit_log";
}
const char* CheckpointTable(std::string_view chain) {
  return IsRegistryAuditChain(chain) ? "registry_audit_checkpoints" : "audit_checkpoints";
}
// PostgreSQL advisory lock key of the registry chain's head ("kira-reg").
constexpr std::int64_t kRegistryChainLockKey = 0x6b6972612d726567;

domain::AuditEntry AuditFromRow(const SqlRow& r) {
  domain::AuditEntry e;
  e.clinic_id = r.Text(0);
  e.seq = r.Int(1);
  e.at = FromUnixMicros(r.Int(2));
  e.actor = r.Text(3);
  e.action = r.Text(4);
  e.entity = r.Text(5);
  e.entity_id = r.Text(6);
  e.before = r.Text(7);
  e.after = r.Text(8);
  e.prev_hash = r.Text(9);
  e.hash = r.Text(10);
  return e;
}

template <class F>
auto Map(const std::vector<SqlRow>& rows, F f) {
  std::vector<std::invoke_result_t<F, const SqlRow&>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(f(r));
  return out;
}

constexpr char kFactsCols[] =
    "clinic_id, patient_id, version, recorded_at_us, recorded_by, reason, weight_kg, weight_method, "
    "weight_date, height_cm, pregnancy, pregnancy_date, conditions, medications, "
    "failed_antidepressant_trials, baseline_sbp_mmhg, baseline_dbp_mmhg, baseline_hr_bpm, "
    "baseline_spo2_pct, baseline_rr_per_min, weight_confirmed_by";

SqlValue OptD(const std::optional<double>& v) { return v ? D(*v) : SqlValue(); }
std::optional<double> RealOrNull(const SqlRow& r, std::size_t i) {
  return r.IsNull(i) ? std::nullopt : std::optional<double>(r.Real(i));
}

domain::PatientFacts FactsFromRow(const SqlRow& r) {
  domain::PatientFacts f;
  f.clinic_id = r.Text(0);
  f.patient_id = r.Text(1);
  f.version = static_cast<int>(r.Int(2));
  f.recorded_at = FromUnixMicros(r.Int(3));
  f.recorded_by = r.Text(4);
  f.reason = r.Text(5);
  f.weight_kg = RealOrNull(r, 6);
  f.weight_method = r.Text(7);
  f.weight_date = r.Text(8);
  f.height_cm = RealOrNull(r, 9);
  f.pregnancy = ParseEnum(r.Text(10), &domain::ParsePregnancyStatus);
  f.pregnancy_date = r.Text(11);
  f.conditions = SplitLines(r.Text(12));
  f.medications = SplitLines(r.Text(13));
  if (!r.IsNull(14)) f.failed_antidepressant_trials = static_cast<int>(r.Int(14));
  f.baseline_sbp_mmhg = RealOrNull(r, 15);
  f.baseline_dbp_mmhg = RealOrNull(r, 16);
  f.baseline_hr_bpm = RealOrNull(r, 17);
  f.baseline_spo2_pct = RealOrNull(r, 18);
  f.baseline_rr_per_min = RealOrNull(r, 19);
  f.weight_confirmed_by = r.Text(20);
  return f;
}

// Findings as "severity rule_id" lines (rule ids contain no spaces).
std::string JoinFindings(const std::vector<domain::StoredFinding>& v) {
  std::vector<std::string> lines;
  for (const auto& f : v) lines.push_back(f.severity + " " + f.rule_id);
  return JoinLines(lines);
}
std::vector<domain::StoredFinding> SplitFindings(const std::string& s) {
  std::vector<domain::StoredFinding> out;
  for (const auto& line : SplitLines(s)) {
    const auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    out.push_back({line.substr(sp + 1), line.substr(0, sp)});
  }
  return out;
}

constexpr char kScreeningCols[] =
    "clinic_id, patient_id, facts_version, route, screened_at_us, outcome, findings, rescue_preferred, "
    "rescue_avoid, guideline_version";

domain::ScreeningRecord ScreeningFromRow(const SqlRow& r) {
  domain::ScreeningRecord x;
  x.clinic_id = r.Text(0);
  x.patient_id = r.Text(1);
  x.facts_version = static_cast<int>(r.Int(2));
  x.route = r.Text(3);
  x.screened_at = FromUnixMicros(r.Int(4));
  x.outcome = r.Text(5);
  x.findings = SplitFindings(r.Text(6));
  x.rescue_preferred = r.Text(7);
  x.rescue_avoid = SplitLines(r.Text(8));
  x.guideline_version = r.Text(9);
  return x;
}

constexpr char kAlertCols[] =
    "clinic_id, id, patient_id, assessment_id, rule_id, message, raised_at_us, raised_by, "
    "acknowledged_at_us, acknowledged_by, ack_reason, escalated_at_us, escalated_by, escalated_to";

std::vector<SqlValue> FactsParams(const domain::PatientFacts& f) {
  return {S(f.clinic_id), S(f.patient_id), I(f.version), I(ToUnixMicros(f.recorded_at)), S(f.recorded_by),
          S(f.reason), OptD(f.weight_kg), S(f.weight_method), S(f.weight_date), OptD(f.height_cm),
          S(domain::PregnancyStatusName(f.pregnancy)), S(f.pregnancy_date), S(JoinLines(f.conditions)),
          S(JoinLines(f.medications)),
          f.failed_antidepressant_trials ? I(*f.failed_antidepressant_trials) : SqlValue(),
          OptD(f.baseline_sbp_mmhg), OptD(f.baseline_dbp_mmhg), OptD(f.baseline_hr_bpm),
          OptD(f.baseline_spo2_pct), OptD(f.baseline_rr_per_min), S(f.weight_confirmed_by)};
}

std::vector<SqlValue> ScreeningParams(const domain::ScreeningRecord& x) {
  return {S(x.clinic_id), S(x.patient_id), I(x.facts_version), S(x.route), I(ToUnixMicros(x.screened_at)),
          S(x.outcome), S(JoinFindings(x.findings)), S(x.rescue_preferred), S(JoinLines(x.rescue_avoid)),
          S(x.guideline_version)};
}

domain::AlertRecord AlertFromRow(const SqlRow& r) {
  domain::AlertRecord a;
  a.clinic_id = r.Text(0);
  a.id = r.Text(1);
  a.patient_id = r.Text(2);
  a.assessment_id = r.Text(3);
  a.rule_id = r.Text(4);
  a.message = r.Text(5);
  a.raised_at = FromUnixMicros(r.Int(6));
  a.raised_by = r.Text(7);
  if (!r.IsNull(8)) a.acknowledged_at = FromUnixMicros(r.Int(8));
  a.acknowledged_by = r.Text(9);
  a.ack_reason = r.Text(10);
  if (!r.IsNull(11)) a.escalated_at = FromUnixMicros(r.Int(11));
  a.escalated_by = r.Text(12);
  a.escalated_to = r.Text(13);
  return a;
}

// ---- The clinic day (domain/workflow.h) ----
constexpr char kAmendmentCols[] = "clinic_id, id, session_id, vital_id, kind, replacement_id, reason, actor, at_us";
domain::VitalAmendment AmendmentFromRow(const SqlRow& r) {
  domain::VitalAmendment a;
  a.clinic_id = r.Text(0);
  a.id = r.Text(1);
  a.session_id = r.Text(2);
  a.vital_id = r.Text(3);
  a.kind = ParseEnum(r.Text(4), &domain::ParseVitalAmendmentKind);
  a.replacement_id = r.Text(5);
  a.reason = r.Text(6);
  a.actor = r.Text(7);
  a.at = FromUnixMicros(r.Int(8));
  return a;
}
constexpr char kAppointmentCols[] =
    "clinic_id, id, patient_id, protocol_id, chair, scheduled_at_us, state, session_id, created_by, updated_at_us, "
    "discharged_at_us, discharged_by";
domain::Appointment AppointmentFromRow(const SqlRow& r) {
  domain::Appointment a;
  a.clinic_id = r.Text(0);
  a.id = r.Text(1);
  a.patient_id = r.Text(2);
  a.protocol_id = r.Text(3);
  a.chair = r.Text(4);
  a.scheduled_at = FromUnixMicros(r.Int(5));
  a.state = ParseEnum(r.Text(6), &domain::ParseAppointmentState);
  a.session_id = r.Text(7);
  a.created_by = r.Text(8);
  a.updated_at = FromUnixMicros(r.Int(9));
  if (!r.IsNull(10)) a.discharged_at = FromUnixMicros(r.Int(10));
  a.discharged_by = r.Text(11);
  return a;
}
constexpr char kConsentCols[] =
    "clinic_id, id, patient_id, protocol_id, form_version, signed_on, witness, recorded_by, recorded_at_us";
domain::ConsentRecord ConsentFromRow(const SqlRow& r) {
  return domain::ConsentRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                               r.Text(5), r.Text(6), r.Text(7), FromUnixMicros(r.Int(8))};
}
constexpr char kRemsCols[] =
    "clinic_id, id, session_id, patient_id, session_at_us, lot, concomitant_classes, bp_pre_sbp, bp_pre_dbp, "
    "bp_40_sbp, bp_40_dbp, bp_end_sbp, bp_end_dbp, monitoring_minutes, sedation, dissociation, "
    "respiratory_depression, notes, created_by, updated_at_us, signed_by, signed_at_us";
std::optional<double> OptReal(const SqlRow& r, std::size_t i) {
  return r.IsNull(i) ? std::nullopt : std::optional<double>(r.Real(i));
}
domain::RemsForm RemsFromRow(const SqlRow& r) {
  domain::RemsForm f;
  f.clinic_id = r.Text(0);
  f.id = r.Text(1);
  f.session_id = r.Text(2);
  f.patient_id = r.Text(3);
  f.session_at = FromUnixMicros(r.Int(4));
  f.lot = r.Text(5);
  f.concomitant_classes = SplitLines(r.Text(6));
  f.bp_pre_sbp = OptReal(r, 7);
  f.bp_pre_dbp = OptReal(r, 8);
  f.bp_40_sbp = OptReal(r, 9);
  f.bp_40_dbp = OptReal(r, 10);
  f.bp_end_sbp = OptReal(r, 11);
  f.bp_end_dbp = OptReal(r, 12);
  if (!r.IsNull(13)) f.monitoring_minutes = static_cast<int>(r.Int(13));
  f.sedation = r.Text(14);
  f.dissociation = r.Text(15);
  f.respiratory_depression = r.Text(16);
  f.notes = r.Text(17);
  f.created_by = r.Text(18);
  f.updated_at = FromUnixMicros(r.Int(19));
  f.signed_by = r.Text(20);
  if (!r.IsNull(21)) f.signed_at = FromUnixMicros(r.Int(21));
  return f;
}
constexpr char kListingCols[] = "clinic_id, name, city, region, routes, contact, published, updated_at_us";
domain::ClinicListing ListingFromRow(const SqlRow& r) {
  domain::ClinicListing l;
  l.clinic_id = r.Text(0);
  l.name = r.Text(1);
  l.city = r.Text(2);
  l.region = r.Text(3);
  l.routes = SplitLines(r.Text(4));
  l.contact = r.Text(5);
  l.published = r.Int(6) != 0;
  l.updated_at = FromUnixMicros(r.Int(7));
  return l;
}

class SqlTransaction : public Transaction {
 public:
  SqlTransaction(SqlConnection* conn, const SqlDialect* dialect, std::function<void(bool)> release)
      : conn_(conn), dialect_(dialect), release_(std::move(release)) {}

  ~SqlTransaction() override {
    bool healthy = true;
    if (!committed_) {
      // Rolling back is what makes an abandoned use case leave no trace; if
      // even that fails the connection's state is unknown, so the pool must
      // not hand it out again.
      healthy = conn_->Exec("ROLLBACK", {}).ok();
    }
    release_(healthy);
  }

  Status InsertClinic(const domain::Clinic& c) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateClinic(c)));
    return W("INSERT INTO clinics (clinic_id, name, time_zone) VALUES ($1, $2, $3)",
             {S(c.id), S(c.name), S(c.time_zone)});
  }
  StatusOr<domain::Clinic> GetClinic(std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, name, time_zone FROM clinics WHERE clinic_id = $1",
                                       {S(id)}));
    if (rows.empty()) return NotFoundError("clinic '" + std::string(id) + "'");
    return domain::Clinic{rows[0].Text(0), rows[0].Text(1), rows[0].Text(2)};
  }
  StatusOr<std::vector<domain::Clinic>> ListClinics() override {
    KIRA_ASSIGN_OR_RETURN(auto rows,
                          Q("SELECT clinic_id, name, time_zone FROM clinics ORDER BY clinic_id", {}));
    std::vector<domain::Clinic> out;
    for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1), r.Text(2)});
    return out;
  }
  Status InsertUser(const domain::User& u) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateUser(u)));
    return W("INSERT INTO users (clinic_id, id, display_name, role) VALUES ($1, $2, $3, $4)",
             {S(u.clinic_id), S(u.id), S(u.display_name), S(domain::RoleName(u.role))});
  }
  StatusOr<domain::User> GetUser(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(
        auto rows, Q("SELECT clinic_id, id, display_name, role FROM users WHERE clinic_id = $1 AND id = $2",
                     {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("user '" + std::string(id) + "'");
    const auto& r = rows[0];
    return domain::User{r.Text(0), r.Text(1), r.Text(2), ParseEnum(r.Text(3), &domain::ParseRole)};
  }

  Status InsertCredential(const domain::Credential& c) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateCredential(c)));
    return W("INSERT INTO credentials (login, clinic_id, user_id, password_hash) VALUES ($1, $2, $3, $4)",
             {S(c.login), S(c.clinic_id), S(c.user_id), S(c.password_hash)});
  }
  StatusOr<domain::Credential> GetCredential(std::string_view login) override {
    KIRA_ASSIGN_OR_RETURN(
        auto rows, Q(std::string("SELECT ") + kCredentialCols + " FROM credentials WHERE login = $1", {S(login)}));
    if (rows.empty()) return NotFoundError("login '" + std::string(login) + "'");
    const auto& r = rows[0];
    return CredentialFromRow(r);
  }
  StatusOr<domain::Credential> GetCredentialOfUser(std::string_view clinic, std::string_view user) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kCredentialCols +
                                           " FROM credentials WHERE clinic_id = $1 AND user_id = $2",
                                       {S(clinic), S(user)}));
    if (rows.empty()) return NotFoundError("no log-in for user '" + std::string(user) + "'");
    return CredentialFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::Credential>> ListCredentials(std::string_view clinic) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kCredentialCols +
                                           " FROM credentials WHERE clinic_id = $1 ORDER BY login",
                                       {S(clinic)}));
    return Map(rows, CredentialFromRow);
  }
  Status UpdateCredential(const domain::Credential& c) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateStoredCredential(c)));
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT login FROM credentials WHERE login = $1", {S(c.login)}));
    if (rows.empty()) return NotFoundError("login '" + c.login + "'");
    return W(std::string("UPDATE credentials SET password_hash = $2, disabled = ") + Bool(c.disabled) +
                 ", must_change_password = " + Bool(c.must_change_password) +
                 ", totp_secret = $3 WHERE login = $1",
             {S(c.login), S(c.password_hash), S(c.totp_secret)});
  }
  StatusOr<bool> ClaimTotpStep(std::string_view login, std::int64_t step) override {
    // One statement: a concurrent claim of the same step waits for the row
    // lock and then finds the condition false.
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("UPDATE credentials SET totp_last_step = $2 WHERE login = $1 AND "
                                       "totp_last_step < $2 RETURNING login",
                                       {S(login), I(step)}));
    if (!rows.empty()) return true;
    KIRA_ASSIGN_OR_RETURN(auto exists, Q("SELECT login FROM credentials WHERE login = $1", {S(login)}));
    if (exists.empty()) return NotFoundError("login '" + std::string(login) + "'");
    return false;
  }
  StatusOr<std::vector<domain::User>> ListUsers(std::string_view clinic) override {
    KIRA_ASSIGN_OR_RETURN(
        auto rows, Q("SELECT clinic_id, id, display_name, role FROM users WHERE clinic_id = $1 ORDER BY id",
                     {S(clinic)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::User{r.Text(0), r.Text(1), r.Text(2), ParseEnum(r.Text(3), &domain::ParseRole)};
    });
  }
  Status UpdateUser(const domain::User& u) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateStoredUser(u)));
    KIRA_RETURN_IF_ERROR(GetUser(u.clinic_id, u.id).status());
    return W("UPDATE users SET display_name = $3, role = $4 WHERE clinic_id = $1 AND id = $2",
             {S(u.clinic_id), S(u.id), S(u.display_name), S(domain::RoleName(u.role))});
  }

  Status InsertAuthSession(const domain::AuthSession& a) override {
    if (a.token_hash.empty() || a.clinic_id.empty() || a.user_id.empty()) {
      return Check(InvalidArgumentError("auth session: token_hash, clinic_id and user_id are required"));
    }
    return W("INSERT INTO auth_sessions (token_hash, clinic_id, user_id, login, csrf_token, created_us, "
             "last_used_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
             {S(a.token_hash), S(a.clinic_id), S(a.user_id), S(a.login), S(a.csrf_token),
              I(ToUnixMicros(a.created_at)), I(ToUnixMicros(a.last_used_at)), I(ToUnixMicros(a.expires_at))});
  }
  StatusOr<domain::AuthSession> GetAuthSession(std::string_view token_hash) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT token_hash, clinic_id, user_id, login, csrf_token, created_us, "
                                       "last_used_us, expires_us FROM auth_sessions WHERE token_hash = $1",
                                       {S(token_hash)}));
    if (rows.empty()) return NotFoundError("session");
    const auto& r = rows[0];
    return domain::AuthSession{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                               FromUnixMicros(r.Int(5)), FromUnixMicros(r.Int(6)), FromUnixMicros(r.Int(7))};
  }
  Status TouchAuthSession(std::string_view token_hash, domain::Instant at) override {
    KIRA_RETURN_IF_ERROR(GetAuthSession(token_hash).status());
    return W("UPDATE auth_sessions SET last_used_us = $2 WHERE token_hash = $1",
             {S(token_hash), I(ToUnixMicros(at))});
  }
  Status DeleteAuthSession(std::string_view token_hash) override {
    return W("DELETE FROM auth_sessions WHERE token_hash = $1", {S(token_hash)});
  }
  StatusOr<int> DeleteUserAuthSessions(std::string_view clinic, std::string_view user) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT COUNT(*) FROM auth_sessions WHERE clinic_id = $1 AND user_id = $2",
                                       {S(clinic), S(user)}));
    KIRA_RETURN_IF_ERROR(W("DELETE FROM auth_sessions WHERE clinic_id = $1 AND user_id = $2", {S(clinic), S(user)}));
    return static_cast<int>(rows.at(0).Int(0));
  }
  StatusOr<int> PurgeAuthSessions(domain::Instant idle_before, domain::Instant now) override {
    const std::vector<SqlValue> p = {I(ToUnixMicros(idle_before)), I(ToUnixMicros(now))};
    KIRA_ASSIGN_OR_RETURN(auto rows,
                          Q("SELECT COUNT(*) FROM auth_sessions WHERE last_used_us < $1 OR expires_us <= $2", p));
    KIRA_RETURN_IF_ERROR(W("DELETE FROM auth_sessions WHERE last_used_us < $1 OR expires_us <= $2", p));
    return static_cast<int>(rows.at(0).Int(0));
  }
  Status InsertAuditCheckpoint(const domain::AuditCheckpoint& c) override {
    if (c.clinic_id.empty() || c.seq < 1 || c.signature.empty()) {
      return Check(InvalidArgumentError("audit checkpoint: clinic_id, seq and signature are required"));
    }
    return W(std::string("INSERT INTO ") + CheckpointTable(c.clinic_id) +
                 " (clinic_id, seq, hash, at_us, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6)",
             {S(c.clinic_id), I(c.seq), S(c.hash), I(ToUnixMicros(c.at)), S(c.public_key), S(c.signature)});
  }
  StatusOr<std::vector<domain::AuditCheckpoint>> ListAuditCheckpoints(std::string_view clinic) override {
    auto of = [](const SqlRow& r) {
      return domain::AuditCheckpoint{r.Text(0), r.Int(1), r.Text(2), FromUnixMicros(r.Int(3)), r.Text(4), r.Text(5)};
    };
    std::vector<domain::AuditCheckpoint> out;
    for (const char* table : {"audit_checkpoints", "registry_audit_checkpoints"}) {
      const bool registry_table = std::string_view(table) == "registry_audit_checkpoints";
      if (!clinic.empty() && registry_table != IsRegistryAuditChain(clinic)) continue;
      KIRA_ASSIGN_OR_RETURN(
          auto rows, Q(std::string("SELECT clinic_id, seq, hash, at_us, public_key, signature FROM ") + table +
                           " WHERE $1 = '' OR clinic_id = $1 ORDER BY clinic_id, seq, at_us",
                       {S(clinic)}));
      for (const SqlRow& r : rows) out.push_back(of(r));
    }
    return out;
  }
  StatusOr<std::int64_t> CountAuthSessions() override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT COUNT(*) FROM auth_sessions", {}));
    return rows.at(0).Int(0);
  }

  Status InsertPatient(const domain::PatientRecord& p) override {
    KIRA_RETURN_IF_ERROR(Check(ValidatePatient(p)));
    return W("INSERT INTO patients (clinic_id, id, sex, birth_year, indication) VALUES ($1, $2, $3, $4, $5)",
             {S(p.clinic_id), S(p.id), S(p.sex), I(p.birth_year), S(p.indication)});
  }
  Status InsertPatientIdentity(const domain::PatientIdentity& p) override {
    KIRA_RETURN_IF_ERROR(Check(ValidatePatientIdentity(p)));
    return W("INSERT INTO patient_identities (clinic_id, patient_id, given_name, family_name, "
             "birth_date, mrn, zip, phone, email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
             {S(p.clinic_id), S(p.patient_id), S(p.given_name), S(p.family_name), S(p.birth_date),
              S(p.mrn), S(p.zip), S(p.phone), S(p.email)});
  }
  StatusOr<domain::PatientRecord> GetPatient(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, sex, birth_year, indication FROM patients "
                                       "WHERE clinic_id = $1 AND id = $2",
                                       {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("patient '" + std::string(id) + "'");
    return PatientFromRow(rows[0]);
  }
  StatusOr<PatientWithIdentity> GetPatientWithIdentity(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(
        auto rows, Q("SELECT p.clinic_id, p.id, p.sex, p.birth_year, p.indication, i.clinic_id, i.patient_id, "
                     "i.given_name, i.family_name, i.birth_date, i.mrn, i.zip, i.phone, i.email "
                     "FROM patients p LEFT JOIN patient_identities i "
                     "ON i.clinic_id = p.clinic_id AND i.patient_id = p.id WHERE p.clinic_id = $1 AND p.id = $2",
                     {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("patient '" + std::string(id) + "'");
    const auto& r = rows[0];
    PatientWithIdentity out{PatientFromRow(r), std::nullopt};
    if (!r.IsNull(6)) {
      out.identity = domain::PatientIdentity{r.Text(5),  r.Text(6),  r.Text(7),  r.Text(8), r.Text(9),
                                             r.Text(10), r.Text(11), r.Text(12), r.Text(13)};
    }
    return out;
  }
  StatusOr<domain::PatientIdentity> GetPatientIdentity(std::string_view clinic,
                                                       std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(
        auto rows, Q("SELECT clinic_id, patient_id, given_name, family_name, birth_date, mrn, zip, "
                     "phone, email FROM patient_identities WHERE clinic_id = $1 AND patient_id = $2",
                     {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("patient identity '" + std::string(id) + "'");
    const auto& r = rows[0];
    return domain::PatientIdentity{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                                   r.Text(5), r.Text(6), r.Text(7), r.Text(8)};
  }
  StatusOr<std::vector<domain::PatientRecord>> ListPatients(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, sex, birth_year, indication FROM patients "
                                       "WHERE clinic_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                       {S(clinic), S(page.after_id), I(page.limit)}));
    std::vector<domain::PatientRecord> out;
    for (const auto& r : rows) out.push_back(PatientFromRow(r));
    return out;
  }

  Status InsertSession(const domain::SessionRecord& s) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateSession(s)));
    auto params = SessionParams(s);
    return W(std::string("INSERT INTO sessions (") + kSessionCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
             params);
  }
  // Multi-row INSERTs of kBatchRows rows (the per-statement work -- the
  // statement journal, the CHECK constraints' IN lists -- is then paid once
  // per chunk), then of kSmallBatchRows (a group commit of a few dozen
  // access-audit rows); the rest one row at a time, so only three statement
  // texts per table are ever prepared.
  static constexpr std::size_t kBatchRows = 64;
  static constexpr std::size_t kSmallBatchRows = 8;
  template <typename T, typename Params>
  Status InsertMany(std::span<const T> rows, std::string_view head, std::size_t width, Status (*validate)(const T&),
                    Params params_of) {
    for (const T& r : rows) KIRA_RETURN_IF_ERROR(Check(validate(r)));
    std::size_t i = 0;
    for (const std::size_t chunk : {kBatchRows, kSmallBatchRows}) {
      if (rows.size() - i < chunk) continue;
      std::string sql(head);
      for (std::size_t r = 0; r < chunk; ++r) {
        sql += r ? ", (" : " (";
        for (std::size_t c = 0; c < width; ++c) {
          if (c) sql += ", ";
          sql += "$" + std::to_string(r * width + c + 1);
        }
        sql += ")";
      }
      std::vector<SqlValue> params;
      for (; i + chunk <= rows.size(); i += chunk) {
        params.clear();
        params.reserve(chunk * width);
        for (std::size_t r = 0; r < chunk; ++r) {
          for (auto& v : params_of(rows[i + r])) params.push_back(std::move(v));
        }
        KIRA_RETURN_IF_ERROR(W(sql, std::move(params)));
      }
    }
    std::string one(head);
    one += " (";
    for (std::size_t c = 0; c < width; ++c) one += (c ? ", $" : "$") + std::to_string(c + 1);
    one += ")";
    for (; i < rows.size(); ++i) KIRA_RETURN_IF_ERROR(W(one, params_of(rows[i])));
    return Status::Ok();
  }
  Status InsertSessions(std::span<const domain::SessionRecord> sessions) override {
    return InsertMany<domain::SessionRecord>(sessions, std::string("INSERT INTO sessions (") + kSessionCols + ") VALUES",
                                             16, &ValidateSession, SessionParams);
  }
  Status AppendAudits(std::span<const domain::AuditEntry> entries) override {
    const auto is_registry = [](const domain::AuditEntry& e) { return IsRegistryAuditChain(e.clinic_id); };
    if (std::none_of(entries.begin(), entries.end(), is_registry)) {
      return InsertMany<domain::AuditEntry>(entries, std::string("INSERT INTO audit_log (") + kAuditCols + ") VALUES",
                                            11, &ValidateAuditEntry, AuditParams);
    }
    // A batch holding rows of the registry chain (the access audit's group
    // commit): each table's rows in their order.
    std::vector<domain::AuditEntry> clinic_rows, registry_rows;
    for (const auto& e : entries) (is_registry(e) ? registry_rows : clinic_rows).push_back(e);
    KIRA_RETURN_IF_ERROR(InsertMany<domain::AuditEntry>(
        std::span<const domain::AuditEntry>(clinic_rows), std::string("INSERT INTO audit_log (") + kAuditCols + ") VALUES",
        11, &ValidateAuditEntry, AuditParams));
    return InsertMany<domain::AuditEntry>(std::span<const domain::AuditEntry>(registry_rows),
                                          std::string("INSERT INTO registry_audit_log (") + kAuditCols + ") VALUES", 11,
                                          &ValidateAuditEntry, AuditParams);
  }
  Status UpdateSession(const domain::SessionRecord& s) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateStoredSession(s)));
    auto params = SessionParams(s);
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT 1 FROM sessions WHERE clinic_id = $1 AND id = $2",
                                       {S(s.clinic_id), S(s.id)}));
    if (rows.empty()) return Check(NotFoundError("session '" + s.id + "'"));
    // The patient of a session never changes: drop it from the parameters
    // (every $n must be used, or PostgreSQL cannot type it).
    params.erase(params.begin() + 2);
    return W("UPDATE sessions SET protocol_id = $3, state = $4, dosing_weight_kg = $5, "
             "planned_dose_mg = $6, given_dose_mg = $7, concentration_mg_per_ml = $8, "
             "rate_ml_per_h = $9, started_at_us = $10, stopped_at_us = $11, recorded_by = $12, "
             "decision_outcome = $13, facts_version = $14, screening_outcome = $15 "
             "WHERE clinic_id = $1 AND id = $2",
             params);
  }
  StatusOr<domain::SessionRecord> GetSession(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kSessionCols +
                                           " FROM sessions WHERE clinic_id = $1 AND id = $2",
                                       {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("session '" + std::string(id) + "'");
    return SessionFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::SessionRecord>> ListSessions(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kSessionCols +
                                           " FROM sessions WHERE clinic_id = $1 AND id > $2 "
                                           "ORDER BY id LIMIT $3",
                                       {S(clinic), S(page.after_id), I(page.limit)}));
    return Map(rows, SessionFromRow);
  }
  StatusOr<std::vector<domain::SessionRecord>> ListPatientSessions(std::string_view clinic,
                                                                   std::string_view patient) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kSessionCols +
                                           " FROM sessions WHERE clinic_id = $1 AND patient_id = $2 "
                                           "ORDER BY started_at_us, id",
                                       {S(clinic), S(patient)}));
    return Map(rows, SessionFromRow);
  }

  Status InsertVital(const domain::VitalSign& v) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateVital(v)));
    return W("INSERT INTO vitals (clinic_id, id, session_id, at_us, kind, value) "
             "VALUES ($1, $2, $3, $4, $5, $6)",
             {S(v.clinic_id), S(v.id), S(v.session_id), I(ToUnixMicros(v.at)),
              S(domain::VitalKindName(v.kind)), D(v.value)});
  }
  StatusOr<std::vector<domain::VitalSign>> ListVitals(std::string_view clinic,
                                                      std::string_view session) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, session_id, at_us, kind, value FROM vitals "
                                       "WHERE clinic_id = $1 AND session_id = $2 ORDER BY at_us, id",
                                       {S(clinic), S(session)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::VitalSign{r.Text(0), r.Text(1), r.Text(2), FromUnixMicros(r.Int(3)),
                               ParseEnum(r.Text(4), &domain::ParseVitalKind), r.Real(5)};
    });
  }
  Status InsertAdverseEvent(const domain::AdverseEvent& e) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateAdverseEvent(e)));
    return W("INSERT INTO adverse_events (clinic_id, id, session_id, at_us, type, severity, "
             "rescue_given) VALUES ($1, $2, $3, $4, $5, $6, $7)",
             {S(e.clinic_id), S(e.id), S(e.session_id), I(ToUnixMicros(e.at)), S(e.type),
              S(domain::AeSeverityName(e.severity)), S(e.rescue_given)});
  }
  StatusOr<std::vector<domain::AdverseEvent>> ListAdverseEvents(std::string_view clinic,
                                                                std::string_view session) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, session_id, at_us, type, severity, "
                                       "rescue_given FROM adverse_events WHERE clinic_id = $1 AND "
                                       "session_id = $2 ORDER BY at_us, id",
                                       {S(clinic), S(session)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::AdverseEvent{r.Text(0), r.Text(1), r.Text(2), FromUnixMicros(r.Int(3)),
                                  r.Text(4), ParseEnum(r.Text(5), &domain::ParseAeSeverity), r.Text(6)};
    });
  }
  Status InsertOverride(const domain::OverrideRecord& o) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateOverride(o)));
    return W("INSERT INTO overrides (clinic_id, id, session_id, who, at_us, rule_ids, reason) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7)",
             {S(o.clinic_id), S(o.id), S(o.session_id), S(o.who), I(ToUnixMicros(o.at)),
              S(JoinLines(o.rule_ids)), S(o.reason)});
  }
  StatusOr<std::vector<domain::OverrideRecord>> ListOverrides(std::string_view clinic,
                                                              std::string_view session) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, session_id, who, at_us, rule_ids, reason "
                                       "FROM overrides WHERE clinic_id = $1 AND session_id = $2 "
                                       "ORDER BY at_us, id",
                                       {S(clinic), S(session)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::OverrideRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                                    FromUnixMicros(r.Int(4)), SplitLines(r.Text(5)), r.Text(6)};
    });
  }

  Status InsertAssessment(const domain::Assessment& a) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateAssessment(a)));
    return W("INSERT INTO assessments (clinic_id, id, patient_id, session_id, at_us, instrument, "
             "item_scores, total, scoring_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
             {S(a.clinic_id), S(a.id), S(a.patient_id), OptS(a.session_id), I(ToUnixMicros(a.at)),
              S(a.instrument), S(JoinInts(a.item_scores)), I(a.total), S(a.scoring_version)});
  }
  StatusOr<std::vector<domain::Assessment>> ListAssessments(std::string_view clinic,
                                                            std::string_view patient) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, patient_id, session_id, at_us, instrument, "
                                       "item_scores, total, scoring_version FROM assessments "
                                       "WHERE clinic_id = $1 AND patient_id = $2 ORDER BY at_us, id",
                                       {S(clinic), S(patient)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::Assessment{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                                FromUnixMicros(r.Int(4)), r.Text(5), SplitInts(r.Text(6)),
                                static_cast<int>(r.Int(7)), r.Text(8)};
    });
  }

  StatusOr<std::vector<domain::AdverseEvent>> ScanAdverseEvents(std::string_view clinic,
                                                                const Page& page) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, session_id, at_us, type, severity, "
                                       "rescue_given FROM adverse_events WHERE clinic_id = $1 AND "
                                       "id > $2 ORDER BY id LIMIT $3",
                                       {S(clinic), S(page.after_id), I(page.limit)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::AdverseEvent{r.Text(0), r.Text(1), r.Text(2), FromUnixMicros(r.Int(3)),
                                  r.Text(4), ParseEnum(r.Text(5), &domain::ParseAeSeverity), r.Text(6)};
    });
  }
  StatusOr<std::vector<domain::OverrideRecord>> ScanOverrides(std::string_view clinic,
                                                              const Page& page) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, session_id, who, at_us, rule_ids, reason "
                                       "FROM overrides WHERE clinic_id = $1 AND id > $2 "
                                       "ORDER BY id LIMIT $3",
                                       {S(clinic), S(page.after_id), I(page.limit)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::OverrideRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                                    FromUnixMicros(r.Int(4)), SplitLines(r.Text(5)), r.Text(6)};
    });
  }
  StatusOr<std::vector<domain::Assessment>> ScanAssessments(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT clinic_id, id, patient_id, session_id, at_us, instrument, "
                                       "item_scores, total, scoring_version FROM assessments "
                                       "WHERE clinic_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                       {S(clinic), S(page.after_id), I(page.limit)}));
    return Map(rows, [](const SqlRow& r) {
      return domain::Assessment{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                                FromUnixMicros(r.Int(4)), r.Text(5), SplitInts(r.Text(6)),
                                static_cast<int>(r.Int(7)), r.Text(8)};
    });
  }

  // The columnar read (store.h): only the columns the cohort report needs,
  // streamed. With a row key (SQLite's rowid) one statement per table: the
  // key names the session, adverse events and overrides reach it through
  // the sessions' primary-key index. Without one (PostgreSQL) the session's
  // adverse-event types and override rule lists come on its own row, each
  // aggregated as "<bytes>:<text>" pieces (hash joins on the server), and
  // the key is the row's position; they are handed on after the sessions.
  Status ScanCohortColumns(std::string_view clinic, std::string_view instrument, std::string_view rule_id,
                           CohortColumnsSink& sink, int page_size) override {
    if (page_size <= 0) return InvalidArgumentError("page_size: must be > 0");
    KIRA_RETURN_IF_ERROR(Usable());
    const char* row_key = conn_->RowKeyColumn();
    auto each = [&](std::string_view sql, std::vector<SqlValue> params, auto&& f) -> Status {
      Status s = conn_->QueryEach(sql, params, f);
      if (!s.ok()) failed_ = true;
      return s;
    };
    // Whether a newline-separated rule-id list (JoinLines) names rule_id.
    auto names_rule = [&](std::string_view ids) {
      while (!ids.empty()) {
        const std::size_t nl = ids.find('\n');
        if (ids.substr(0, nl) == rule_id) return true;
        if (nl == std::string_view::npos) break;
        ids.remove_prefix(nl + 1);
      }
      return false;
    };
    // Patients in id order, as the paged read lists them (the cohort's
    // patient order; SQLite walks the primary key for it anyway).
    KIRA_RETURN_IF_ERROR(each("SELECT id, indication FROM patients WHERE clinic_id = $1 ORDER BY id", {S(clinic)},
                              [&](const SqlCursor& c) { sink.Patient(c.Text(0), c.Text(1)); }));
    auto session = [&](std::int64_t key, const SqlCursor& c) {
      domain::SessionState state = domain::SessionState::kPlanned;
      domain::ParseSessionState(c.Text(5), &state);
      sink.Session(key, c.Text(0), c.Text(1), c.Int(2), c.IsNull(3) ? std::nullopt : std::optional<double>(c.Real(3)),
                   c.Real(4), state);
    };
    constexpr const char* kCohortSessionCols =
        "s.patient_id, s.protocol_id, s.started_at_us, s.given_dose_mg, s.dosing_weight_kg, s.state";
    if (row_key != nullptr) {
      const std::string key(row_key);
      KIRA_RETURN_IF_ERROR(each(std::string("SELECT ") + kCohortSessionCols + ", s." + key +
                                    " FROM sessions s WHERE s.clinic_id = $1",
                                {S(clinic)}, [&](const SqlCursor& c) { session(c.Int(6), c); }));
      KIRA_RETURN_IF_ERROR(each("SELECT s." + key + ", x.type FROM adverse_events x JOIN sessions s "
                                "ON s.clinic_id = x.clinic_id AND s.id = x.session_id WHERE x.clinic_id = $1",
                                {S(clinic)}, [&](const SqlCursor& c) { sink.AdverseEvent(c.Int(0), c.Text(1)); }));
      KIRA_RETURN_IF_ERROR(each("SELECT s." + key + ", x.rule_ids FROM overrides x JOIN sessions s "
                                "ON s.clinic_id = x.clinic_id AND s.id = x.session_id WHERE x.clinic_id = $1",
                                {S(clinic)}, [&](const SqlCursor& c) {
                                  if (names_rule(c.Text(1))) sink.Override(c.Int(0));
                                }));
    } else {
      std::int64_t next_key = 0;
      std::vector<std::string> ae_types;                      // distinct, in first-seen order
      std::vector<std::pair<std::int64_t, std::uint32_t>> aes;  // (session key, type)
      std::vector<std::int64_t> overridden;
      // Calls f(piece) for each "<bytes>:<text>" piece of `packed`.
      auto pieces = [](std::string_view packed, auto&& f) {
        while (!packed.empty()) {
          const std::size_t colon = packed.find(':');
          if (colon == std::string_view::npos) return;
          std::size_t n = 0;
          for (char d : packed.substr(0, colon)) n = n * 10 + static_cast<std::size_t>(d - '0');
          f(packed.substr(colon + 1, n));
          packed.remove_prefix(std::min(packed.size(), colon + 1 + n));
        }
      };
      KIRA_RETURN_IF_ERROR(each(
          std::string("SELECT ") + kCohortSessionCols + ", a.types, o.rules FROM sessions s "
              "LEFT JOIN (SELECT session_id, string_agg(octet_length(type) || ':' || type, '') AS types "
              "FROM adverse_events WHERE clinic_id = $1 GROUP BY session_id) a ON a.session_id = s.id "
              "LEFT JOIN (SELECT session_id, string_agg(octet_length(rule_ids) || ':' || rule_ids, '') AS rules "
              "FROM overrides WHERE clinic_id = $1 GROUP BY session_id) o ON o.session_id = s.id "
              "WHERE s.clinic_id = $1",
          {S(clinic)}, [&](const SqlCursor& c) {
            const std::int64_t key = next_key++;
            session(key, c);
            pieces(c.Text(6), [&](std::string_view type) {
              std::uint32_t t = 0;
              while (t < ae_types.size() && ae_types[t] != type) ++t;
              if (t == ae_types.size()) ae_types.emplace_back(type);
              aes.emplace_back(key, t);
            });
            bool named = false;
            pieces(c.Text(7), [&](std::string_view ids) { named = named || names_rule(ids); });
            if (named) overridden.push_back(key);
          }));
      for (const auto& [key, t] : aes) sink.AdverseEvent(key, ae_types[t]);
      for (std::int64_t key : overridden) sink.Override(key);
    }
    return each("SELECT patient_id, at_us, total FROM assessments WHERE clinic_id = $1 AND instrument = $2",
                {S(clinic), S(instrument)},
                [&](const SqlCursor& c) { sink.Assessment(c.Text(0), c.Int(1), static_cast<double>(c.Int(2))); });
  }

  Status InsertLedgerEntry(const domain::LedgerEntry& e) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateLedgerEntry(e)));
    return W(std::string("INSERT INTO ledger (") + kLedgerCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
             {S(e.clinic_id), S(e.id), S(e.lot), S(domain::LedgerKindName(e.kind)),
              I(ToUnixMicros(e.at)), D(units::ToMg(e.amount)), D(units::ToMgPerMl(e.concentration)),
              S(e.expiry), OptS(e.session_id), S(e.actor), S(e.witness)});
  }
  StatusOr<std::vector<domain::LedgerEntry>> ListLedger(std::string_view clinic,
                                                        std::string_view lot) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kLedgerCols +
                                           " FROM ledger WHERE clinic_id = $1 AND ($2 = '' OR lot = $2) "
                                           "ORDER BY at_us, id",
                                       {S(clinic), S(lot)}));
    return Map(rows, LedgerFromRow);
  }

  StatusOr<std::optional<domain::AuditEntry>> LastAuditEntry(std::string_view clinic) override {
    if (dialect_->lock_clinic_row_for_audit) {
      // Two transactions reading the same chain head would both append seq
      // N+1; locking the clinic row makes the second wait for the first.
      // FOR NO KEY UPDATE, not FOR UPDATE: it conflicts with itself but not
      // with the FOR KEY SHARE lock every foreign-key check on clinic_id
      // takes, so two use cases that inserted a patient (or any row
      // referencing the clinic) before reaching the audit do not deadlock
      // (they did under load: 40P01 after deadlock_timeout, then a retry).
      // The registry chain has no clinic row: a transaction-scoped advisory
      // lock on a fixed key serialises its writers instead.
      KIRA_ASSIGN_OR_RETURN(auto lock, IsRegistryAuditChain(clinic)
                                           ? Q("SELECT pg_advisory_xact_lock(" + std::to_string(kRegistryChainLockKey) + ")", {})
                                           : Q("SELECT clinic_id FROM clinics WHERE clinic_id = $1 FOR NO KEY UPDATE",
                                               {S(clinic)}));
      (void)lock;
    }
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAuditCols + " FROM " + AuditTable(clinic) +
                                           " WHERE clinic_id = $1 ORDER BY seq DESC LIMIT 1",
                                       {S(clinic)}));
    if (rows.empty()) return std::optional<domain::AuditEntry>();
    return std::optional<domain::AuditEntry>(AuditFromRow(rows[0]));
  }
  Status AppendAudit(const domain::AuditEntry& e) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateAuditEntry(e)));
    return W(std::string("INSERT INTO ") + AuditTable(e.clinic_id) + " (" + kAuditCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
             AuditParams(e));
  }
  StatusOr<std::vector<domain::AuditEntry>> ListAudit(std::string_view clinic, std::int64_t after_seq,
                                                      int limit) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAuditCols + " FROM " + AuditTable(clinic) +
                                           " WHERE clinic_id = $1 AND seq > $2 "
                                           "ORDER BY seq LIMIT $3",
                                       {S(clinic), I(after_seq), I(limit)}));
    return Map(rows, AuditFromRow);
  }

  Status InsertIdempotencyKey(const IdempotencyRecord& r) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateIdempotencyRecord(r)));
    return W("INSERT INTO idempotency_keys (clinic_id, principal, key, request_hash, created_at_us, "
             "response_status, response_body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
             {S(r.clinic_id), S(r.principal), S(r.key), S(r.request_hash), I(ToUnixMicros(r.created_at)),
              r.response_status ? I(r.response_status) : SqlValue(), OptS(r.response_body)});
  }
  StatusOr<IdempotencyRecord> GetIdempotencyKey(std::string_view clinic, std::string_view principal,
                                                std::string_view key) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT request_hash, created_at_us, response_status, response_body "
                                       "FROM idempotency_keys WHERE clinic_id = $1 AND principal = $2 AND key = $3",
                                       {S(clinic), S(principal), S(key)}));
    if (rows.empty()) return NotFoundError("idempotency key '" + std::string(key) + "'");
    const auto& row = rows[0];
    IdempotencyRecord r{std::string(clinic), std::string(principal), std::string(key), row.Text(0),
                        FromUnixMicros(row.Int(1)), static_cast<int>(row.Int(2)), row.Text(3)};
    return r;
  }
  Status SetIdempotencyResponse(std::string_view clinic, std::string_view principal, std::string_view key,
                                int status, std::string_view body) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("UPDATE idempotency_keys SET response_status = $4, response_body = $5 "
                                       "WHERE clinic_id = $1 AND principal = $2 AND key = $3 RETURNING key",
                                       {S(clinic), S(principal), S(key), I(status), S(body)}));
    if (rows.empty()) return Check(NotFoundError("idempotency key '" + std::string(key) + "'"));
    return Status::Ok();
  }
  StatusOr<int> PurgeIdempotencyKeys(std::string_view clinic, domain::Instant before) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("DELETE FROM idempotency_keys WHERE clinic_id = $1 AND created_at_us < $2 "
                                       "RETURNING key",
                                       {S(clinic), I(ToUnixMicros(before))}));
    return static_cast<int>(rows.size());
  }

  Status InsertPatientFacts(const domain::PatientFacts& f) override {
    KIRA_RETURN_IF_ERROR(Check(ValidatePatientFacts(f)));
    // Versions have no gaps: the next one is max + 1 (a taken one is
    // AlreadyExists through the primary key).
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT COALESCE(MAX(version), 0) FROM patient_facts "
                                       "WHERE clinic_id = $1 AND patient_id = $2",
                                       {S(f.clinic_id), S(f.patient_id)}));
    const auto next = rows.at(0).Int(0) + 1;
    if (f.version > next) {
      return Check(InvalidArgumentError("version: must be " + std::to_string(next) +
                                        " (versions have no gaps), got " + std::to_string(f.version)));
    }
    return W(std::string("INSERT INTO patient_facts (") + kFactsCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
                 "$19, $20, $21)",
             FactsParams(f));
  }
  // First versions in multi-row INSERTs: a version 1 leaves no gap, and a
  // taken one is AlreadyExists through the primary key, as one by one. Any
  // later version goes through InsertPatientFacts (its gap check).
  Status InsertPatientFactsMany(std::span<const domain::PatientFacts> facts) override {
    if (!std::all_of(facts.begin(), facts.end(), [](const domain::PatientFacts& f) { return f.version == 1; })) {
      return Transaction::InsertPatientFactsMany(facts);
    }
    return InsertMany<domain::PatientFacts>(facts, std::string("INSERT INTO patient_facts (") + kFactsCols + ") VALUES",
                                            21, &ValidatePatientFacts, FactsParams);
  }
  StatusOr<domain::PatientFacts> GetCurrentPatientFacts(std::string_view clinic,
                                                        std::string_view patient) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kFactsCols +
                                           " FROM patient_facts WHERE clinic_id = $1 AND patient_id = $2 "
                                           "ORDER BY version DESC LIMIT 1",
                                       {S(clinic), S(patient)}));
    if (rows.empty()) return NotFoundError("patient facts of '" + std::string(patient) + "'");
    return FactsFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::PatientFacts>> ListPatientFacts(std::string_view clinic,
                                                               std::string_view patient) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kFactsCols +
                                           " FROM patient_facts WHERE clinic_id = $1 AND patient_id = $2 "
                                           "ORDER BY version",
                                       {S(clinic), S(patient)}));
    return Map(rows, FactsFromRow);
  }
  Status InsertScreening(const domain::ScreeningRecord& x) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateScreening(x)));
    return W(std::string("INSERT INTO patient_screenings (") + kScreeningCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
             ScreeningParams(x));
  }
  Status InsertScreenings(std::span<const domain::ScreeningRecord> screenings) override {
    return InsertMany<domain::ScreeningRecord>(screenings,
                                               std::string("INSERT INTO patient_screenings (") + kScreeningCols +
                                                   ") VALUES",
                                               10, &ValidateScreening, ScreeningParams);
  }
  StatusOr<domain::ScreeningRecord> GetScreening(std::string_view clinic, std::string_view patient,
                                                 int facts_version, std::string_view route) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kScreeningCols +
                                           " FROM patient_screenings WHERE clinic_id = $1 AND patient_id = $2 "
                                           "AND facts_version = $3 AND route = $4",
                                       {S(clinic), S(patient), I(facts_version), S(route)}));
    if (rows.empty()) return NotFoundError("screening of '" + std::string(patient) + "'");
    return ScreeningFromRow(rows[0]);
  }
  Status InsertAlert(const domain::AlertRecord& a) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateAlert(a)));
    return W(std::string("INSERT INTO alerts (") + kAlertCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
             {S(a.clinic_id), S(a.id), S(a.patient_id), S(a.assessment_id), S(a.rule_id), S(a.message),
              I(ToUnixMicros(a.raised_at)), S(a.raised_by),
              a.acknowledged_at ? I(ToUnixMicros(*a.acknowledged_at)) : SqlValue(), S(a.acknowledged_by),
              S(a.ack_reason), a.escalated_at ? I(ToUnixMicros(*a.escalated_at)) : SqlValue(), S(a.escalated_by),
              S(a.escalated_to)});
  }
  Status UpdateAlert(const domain::AlertRecord& a) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateAlert(a)));
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT 1 FROM alerts WHERE clinic_id = $1 AND id = $2",
                                       {S(a.clinic_id), S(a.id)}));
    if (rows.empty()) return Check(NotFoundError("alert '" + a.id + "'"));
    return W("UPDATE alerts SET acknowledged_at_us = $3, acknowledged_by = $4, ack_reason = $5, "
             "escalated_at_us = $6, escalated_by = $7, escalated_to = $8 WHERE clinic_id = $1 AND id = $2",
             {S(a.clinic_id), S(a.id), a.acknowledged_at ? I(ToUnixMicros(*a.acknowledged_at)) : SqlValue(),
              S(a.acknowledged_by), S(a.ack_reason), a.escalated_at ? I(ToUnixMicros(*a.escalated_at)) : SqlValue(),
              S(a.escalated_by), S(a.escalated_to)});
  }
  StatusOr<domain::AlertRecord> GetAlert(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAlertCols +
                                           " FROM alerts WHERE clinic_id = $1 AND id = $2",
                                       {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("alert '" + std::string(id) + "'");
    return AlertFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::AlertRecord>> ListAlerts(std::string_view clinic, std::string_view patient,
                                                        bool open_only) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAlertCols +
                                           " FROM alerts WHERE clinic_id = $1 AND ($2 = '' OR patient_id = $2) "
                                           "AND ($3 = 0 OR acknowledged_at_us IS NULL) ORDER BY raised_at_us, id",
                                       {S(clinic), S(patient), I(open_only ? 1 : 0)}));
    return Map(rows, AlertFromRow);
  }

  // ---- The clinic day ----
  Status UpdatePatient(const domain::PatientRecord& p) override {
    KIRA_RETURN_IF_ERROR(Check(ValidateStoredPatient(p)));
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT 1 FROM patients WHERE clinic_id = $1 AND id = $2",
                                       {S(p.clinic_id), S(p.id)}));
    if (rows.empty()) return Check(NotFoundError("patient '" + p.id + "'"));
    return W("UPDATE patients SET sex = $3, birth_year = $4, indication = $5 WHERE clinic_id = $1 AND id = $2",
             {S(p.clinic_id), S(p.id), S(p.sex), I(p.birth_year), S(p.indication)});
  }
  Status PutPatientIdentity(const domain::PatientIdentity& p) override {
    KIRA_RETURN_IF_ERROR(Check(ValidatePatientIdentity(p)));
    return W("INSERT INTO patient_identities (clinic_id, patient_id, given_name, family_name, "
             "birth_date, mrn, zip, phone, email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
             "ON CONFLICT (clinic_id, patient_id) DO UPDATE SET given_name = excluded.given_name, "
             "family_name = excluded.family_name, birth_date = excluded.birth_date, mrn = excluded.mrn, "
             "zip = excluded.zip, phone = excluded.phone, email = excluded.email",
             {S(p.clinic_id), S(p.patient_id), S(p.given_name), S(p.family_name), S(p.birth_date),
              S(p.mrn), S(p.zip), S(p.phone), S(p.email)});
  }
  Status InsertVitalAmendment(const domain::VitalAmendment& a) override {
    if (a.reason.empty()) return Check(InvalidArgumentError("reason: required"));
    return W(std::string("INSERT INTO vital_amendments (") + kAmendmentCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
             {S(a.clinic_id), S(a.id), S(a.session_id), S(a.vital_id),
              S(domain::VitalAmendmentKindName(a.kind)), OptS(a.replacement_id), S(a.reason), S(a.actor),
              I(ToUnixMicros(a.at))});
  }
  StatusOr<std::vector<domain::VitalAmendment>> ListVitalAmendments(std::string_view clinic,
                                                                    std::string_view session) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAmendmentCols +
                                           " FROM vital_amendments WHERE clinic_id = $1 AND session_id = $2 "
                                           "ORDER BY at_us, id",
                                       {S(clinic), S(session)}));
    return Map(rows, AmendmentFromRow);
  }
  static std::vector<SqlValue> AppointmentParams(const domain::Appointment& a) {
    return {S(a.clinic_id), S(a.id), S(a.patient_id), S(a.protocol_id), S(a.chair),
            I(ToUnixMicros(a.scheduled_at)), S(domain::AppointmentStateName(a.state)), S(a.session_id),
            S(a.created_by), I(ToUnixMicros(a.updated_at)),
            a.discharged_at ? I(ToUnixMicros(*a.discharged_at)) : SqlValue(), S(a.discharged_by)};
  }
  Status InsertAppointment(const domain::Appointment& a) override {
    return W(std::string("INSERT INTO appointments (") + kAppointmentCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
             AppointmentParams(a));
  }
  Status UpdateAppointment(const domain::Appointment& a) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q("SELECT 1 FROM appointments WHERE clinic_id = $1 AND id = $2",
                                       {S(a.clinic_id), S(a.id)}));
    if (rows.empty()) return Check(NotFoundError("appointment '" + a.id + "'"));
    return W("UPDATE appointments SET protocol_id = $4, chair = $5, scheduled_at_us = $6, state = $7, "
             "session_id = $8, created_by = $9, updated_at_us = $10, discharged_at_us = $11, discharged_by = $12 WHERE clinic_id = $1 AND id = $2 "
             "AND patient_id = $3",
             AppointmentParams(a));
  }
  StatusOr<domain::Appointment> GetAppointment(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAppointmentCols +
                                           " FROM appointments WHERE clinic_id = $1 AND id = $2",
                                       {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("appointment '" + std::string(id) + "'");
    return AppointmentFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::Appointment>> ListAppointments(std::string_view clinic, domain::Instant from,
                                                              domain::Instant to) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kAppointmentCols +
                                           " FROM appointments WHERE clinic_id = $1 AND scheduled_at_us >= $2 "
                                           "AND scheduled_at_us < $3 ORDER BY scheduled_at_us, id",
                                       {S(clinic), I(ToUnixMicros(from)), I(ToUnixMicros(to))}));
    return Map(rows, AppointmentFromRow);
  }
  Status InsertConsent(const domain::ConsentRecord& c) override {
    return W(std::string("INSERT INTO consents (") + kConsentCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
             {S(c.clinic_id), S(c.id), S(c.patient_id), S(c.protocol_id), S(c.form_version), S(c.signed_on),
              S(c.witness), S(c.recorded_by), I(ToUnixMicros(c.recorded_at))});
  }
  StatusOr<std::vector<domain::ConsentRecord>> ListConsents(std::string_view clinic,
                                                            std::string_view patient) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kConsentCols +
                                           " FROM consents WHERE clinic_id = $1 AND patient_id = $2 "
                                           "ORDER BY recorded_at_us, id",
                                       {S(clinic), S(patient)}));
    return Map(rows, ConsentFromRow);
  }
  Status PutRemsForm(const domain::RemsForm& f) override {
    return W(std::string("INSERT INTO rems_forms (") + kRemsCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
                 "$20, $21, $22) ON CONFLICT (clinic_id, id) DO UPDATE SET lot = excluded.lot, "
                 "concomitant_classes = excluded.concomitant_classes, bp_pre_sbp = excluded.bp_pre_sbp, "
                 "bp_pre_dbp = excluded.bp_pre_dbp, bp_40_sbp = excluded.bp_40_sbp, bp_40_dbp = excluded.bp_40_dbp, "
                 "bp_end_sbp = excluded.bp_end_sbp, bp_end_dbp = excluded.bp_end_dbp, "
                 "monitoring_minutes = excluded.monitoring_minutes, sedation = excluded.sedation, "
                 "dissociation = excluded.dissociation, respiratory_depression = excluded.respiratory_depression, "
                 "notes = excluded.notes, updated_at_us = excluded.updated_at_us, signed_by = excluded.signed_by, "
                 "signed_at_us = excluded.signed_at_us",
             {S(f.clinic_id), S(f.id), S(f.session_id), S(f.patient_id), I(ToUnixMicros(f.session_at)), S(f.lot),
              S(JoinLines(f.concomitant_classes)), OptD(f.bp_pre_sbp), OptD(f.bp_pre_dbp), OptD(f.bp_40_sbp),
              OptD(f.bp_40_dbp), OptD(f.bp_end_sbp), OptD(f.bp_end_dbp),
              f.monitoring_minutes ? I(*f.monitoring_minutes) : SqlValue(), S(f.sedation), S(f.dissociation),
              S(f.respiratory_depression), S(f.notes), S(f.created_by), I(ToUnixMicros(f.updated_at)),
              S(f.signed_by), f.signed_at ? I(ToUnixMicros(*f.signed_at)) : SqlValue()});
  }
  StatusOr<domain::RemsForm> GetRemsForm(std::string_view clinic, std::string_view id) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kRemsCols +
                                           " FROM rems_forms WHERE clinic_id = $1 AND id = $2",
                                       {S(clinic), S(id)}));
    if (rows.empty()) return NotFoundError("REMS form '" + std::string(id) + "'");
    return RemsFromRow(rows[0]);
  }
  StatusOr<std::vector<domain::RemsForm>> ListRemsForms(std::string_view clinic) override {
    KIRA_ASSIGN_OR_RETURN(auto rows, Q(std::string("SELECT ") + kRemsCols +
                                           " FROM rems_forms WHERE clinic_id = $1 ORDER BY session_at_us, id",
                                       {S(clinic)}));
    return Map(rows, RemsFromRow);
  }
  Status PutClinicListing(const domain::ClinicListing& l) override {
    return W(std::string("INSERT INTO clinic_listings (") + kListingCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (clinic_id) DO UPDATE SET "
                 "name = excluded.name, city = excluded.city, region = excluded.region, routes = excluded.routes, "
                 "contact = excluded.contact, published = excluded.published, updated_at_us = excluded.updated_at_us",
             {S(l.clinic_id), S(l.name), S(l.city), S(l.region), S(JoinLines(l.routes)), S(l.contact),
              I(l.published ? 1 : 0), I(ToUnixMicros(l.updated_at))});
  }
  StatusOr<std::vector<domain::ClinicListing>> ListClinicListings() override {
    KIRA_ASSIGN_OR_RETURN(auto rows,
                          Q(std::string("SELECT ") + kListingCols + " FROM clinic_listings ORDER BY clinic_id", {}));
    return Map(rows, ListingFromRow);
  }

  Status Commit() override {
    KIRA_RETURN_IF_ERROR(Usable());
    Status s = conn_->Exec("COMMIT", {});
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  static domain::PatientRecord PatientFromRow(const SqlRow& r) {
    return domain::PatientRecord{r.Text(0), r.Text(1), r.Text(2), static_cast<int>(r.Int(3)),
                                 r.Text(4)};
  }

  Status Usable() const {
    if (committed_) return FailedPreconditionError("transaction already committed");
    if (failed_) return FailedPreconditionError("transaction failed earlier; roll back");
    return Status::Ok();
  }
  Status Check(Status s) {
    KIRA_RETURN_IF_ERROR(Usable());
    if (!s.ok()) failed_ = true;
    return s;
  }
  Status W(std::string_view sql, std::vector<SqlValue> params) {
    KIRA_RETURN_IF_ERROR(Usable());
    return Check(conn_->Exec(sql, params));
  }
  StatusOr<std::vector<SqlRow>> Q(std::string_view sql, std::vector<SqlValue> params) {
    KIRA_RETURN_IF_ERROR(Usable());
    auto rows = conn_->Query(sql, params);
    if (!rows.ok()) failed_ = true;
    return rows;
  }

  SqlConnection* conn_;
  const SqlDialect* dialect_;
  std::function<void(bool)> release_;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<Transaction> MakeSqlTransaction(SqlConnection* conn, const SqlDialect* dialect,
                                                std::function<void(bool)> release) {
  return std::make_unique<SqlTransaction>(conn, dialect, std::move(release));
}

StatusOr<int> SchemaVersion(SqlConnection& conn) {
  KIRA_RETURN_IF_ERROR(conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)"));
  KIRA_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
  return static_cast<int>(rows.at(0).Int(0));
}

Status ApplyMigrations(SqlConnection& conn, const SqlDialect& dialect,
                       std::span<const Migration> migrations) {
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;
  KIRA_RETURN_IF_ERROR(conn.Exec(dialect.begin_sql, {}));
  auto body = [&]() -> Status {
    // Two processes starting at once must not both apply migration N: the
    // lock (SQLite's write lock, or a PostgreSQL advisory lock) makes the
    // second wait and then find nothing left to do.
    if (!dialect.migration_lock_sql.empty()) {
      KIRA_RETURN_IF_ERROR(conn.Exec(dialect.migration_lock_sql, {}));
    }
    KIRA_RETURN_IF_ERROR(conn.ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)"));
    KIRA_ASSIGN_OR_RETURN(auto rows,
                          conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
    const int current = static_cast<int>(rows.at(0).Int(0));
    if (current > newest_known) {
      return FailedPreconditionError(
          "database schema version " + std::to_string(current) +
          " is newer than this kira binary supports (" + std::to_string(newest_known) +
          "); refusing to open it. Use a kira release that knows schema version " +
          std::to_string(current) + " or later");
    }
    KIRA_ASSIGN_OR_RETURN(auto applied_rows, conn.Query("SELECT version FROM schema_migrations", {}));
    std::set<int> applied;
    for (const auto& r : applied_rows) applied.insert(static_cast<int>(r.Int(0)));
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const Migration& m : migrations) {
      if (applied.count(m.version)) continue;
      Status s = conn.ExecScript(m.sql);
      if (!s.ok()) {
        return s.WithContext("migration " + std::to_string(m.version) + " (" + std::string(m.name) + ")");
      }
      SqlValue params[] = {SqlValue(std::int64_t{m.version}), SqlValue(std::string(m.name)),
                           SqlValue(std::int64_t{now_us})};
      KIRA_RETURN_IF_ERROR(conn.Exec(
          "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES ($1, $2, $3)", params));
    }
    return conn.Exec("COMMIT", {});
  };
  Status s = body();
  if (!s.ok()) (void)conn.Exec("ROLLBACK", {});
  return s;
}

}  // namespace kira::storage::internal
