#include "kira/storage/memory/memory_store.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kira/storage/validate.h"

namespace kira::storage {

using Key = std::pair<std::string, std::string>;  // (clinic_id, id)

struct MemoryStore::State {
  std::map<std::string, domain::Clinic> clinics;
  std::map<Key, domain::User> users;
  std::map<std::string, domain::Credential, std::less<>> credentials;  // by login
  std::map<std::string, std::int64_t, std::less<>> totp_last_step;     // by login
  std::map<std::string, domain::AuthSession, std::less<>> auth_sessions;  // by token hash
  std::vector<domain::AuditCheckpoint> checkpoints;
  std::map<Key, domain::PatientRecord> patients;
  std::map<Key, domain::PatientIdentity> identities;
  std::map<Key, domain::SessionRecord> sessions;
  std::map<Key, domain::VitalSign> vitals;
  std::map<Key, domain::AdverseEvent> adverse_events;
  std::map<Key, domain::OverrideRecord> overrides;
  std::map<Key, domain::Assessment> assessments;
  std::map<Key, domain::LedgerEntry> ledger;
  std::map<std::string, std::vector<domain::AuditEntry>> audit;  // by clinic, seq order
  std::map<std::tuple<std::string, std::string, std::string>, IdempotencyRecord> idempotency;
  // (clinic, patient) -> versions in order (index = version - 1).
  std::map<Key, std::vector<domain::PatientFacts>> facts;
  std::map<std::tuple<std::string, std::string, int, std::string>, domain::ScreeningRecord> screenings;
  std::map<Key, domain::AlertRecord> alerts;
  // The clinic day (domain/workflow.h).
  std::map<Key, domain::VitalAmendment> vital_amendments;
  std::map<Key, domain::Appointment> appointments;
  std::map<Key, domain::ConsentRecord> consents;
  std::map<Key, domain::RemsForm> rems_forms;
  std::map<std::string, domain::ClinicListing> listings;
};

namespace {

Key K(std::string_view clinic, std::string_view id) { return {std::string(clinic), std::string(id)}; }

template <class Map>
auto ListClinicPage(const Map& m, std::string_view clinic, const Page& page) {
  std::vector<typename Map::mapped_type> out;
  for (auto it = m.upper_bound(K(clinic, page.after_id));
       it != m.end() && it->first.first == clinic && static_cast<int>(out.size()) < page.limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

template <class T, class Pred>
std::vector<T> Filter(const std::map<Key, T>& m, std::string_view clinic, Pred pred) {
  std::vector<T> out;
  for (auto it = m.lower_bound(K(clinic, "")); it != m.end() && it->first.first == clinic; ++it) {
    if (pred(it->second)) out.push_back(it->second);
  }
  return out;
}

template <class T>
void SortByAt(std::vector<T>& v) {
  std::sort(v.begin(), v.end(), [](const T& a, const T& b) {
    return std::tie(a.at, a.id) < std::tie(b.at, b.id);
  });
}

}  // namespace

class MemoryStore::Tx : public Transaction {
 public:
  Tx(MemoryStore* store, std::unique_lock<std::mutex> lock) : store_(store), lock_(std::move(lock)) {}

  Status InsertClinic(const domain::Clinic& c) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateClinic(c)));
    State& s = W();
    if (s.clinics.count(c.id)) return Fail(AlreadyExistsError("clinic '" + c.id + "' exists"));
    s.clinics[c.id] = c;
    return Status::Ok();
  }
  StatusOr<domain::Clinic> GetClinic(std::string_view id) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().clinics.find(std::string(id));
    if (it == R().clinics.end()) return NotFoundError("clinic '" + std::string(id) + "'");
    return it->second;
  }
  StatusOr<std::vector<domain::Clinic>> ListClinics() override {
    KIRA_RETURN_IF_ERROR(Usable());
    std::vector<domain::Clinic> out;
    for (const auto& [id, c] : R().clinics) out.push_back(c);
    return out;
  }
  Status InsertUser(const domain::User& u) override {
    return Put(&State::users, u, ValidateUser(u), K(u.clinic_id, u.id), "user",
               HasClinic(u.clinic_id));
  }
  StatusOr<domain::User> GetUser(std::string_view clinic, std::string_view id) override {
    return Get(&State::users, K(clinic, id), "user");
  }

  Status InsertCredential(const domain::Credential& c) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateCredential(c)));
    if (!R().users.count(K(c.clinic_id, c.user_id))) {
      return Fail(FailedPreconditionError("credential: no user '" + c.user_id + "' in clinic '" +
                                          c.clinic_id + "'"));
    }
    State& s = W();
    if (s.credentials.count(c.login)) return Fail(AlreadyExistsError("login '" + c.login + "' exists"));
    s.credentials[c.login] = c;
    return Status::Ok();
  }
  StatusOr<domain::Credential> GetCredential(std::string_view login) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().credentials.find(login);
    if (it == R().credentials.end()) return NotFoundError("login '" + std::string(login) + "'");
    return it->second;
  }

  StatusOr<domain::Credential> GetCredentialOfUser(std::string_view clinic, std::string_view user) override {
    KIRA_RETURN_IF_ERROR(Usable());
    for (const auto& [login, c] : R().credentials) {
      if (c.clinic_id == clinic && c.user_id == user) return c;
    }
    return NotFoundError("no log-in for user '" + std::string(user) + "'");
  }
  StatusOr<std::vector<domain::Credential>> ListCredentials(std::string_view clinic) override {
    KIRA_RETURN_IF_ERROR(Usable());
    std::vector<domain::Credential> out;
    for (const auto& [login, c] : R().credentials) {
      if (c.clinic_id == clinic) out.push_back(c);
    }
    return out;
  }
  StatusOr<bool> ClaimTotpStep(std::string_view login, std::int64_t step) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (!R().credentials.count(login)) return NotFoundError("login '" + std::string(login) + "'");
    auto it = R().totp_last_step.find(login);
    if (it != R().totp_last_step.end() && it->second >= step) return false;
    W().totp_last_step[std::string(login)] = step;
    return true;
  }
  Status UpdateCredential(const domain::Credential& c) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateStoredCredential(c)));
    if (!R().credentials.count(c.login)) return NotFoundError("login '" + c.login + "'");
    domain::Credential& stored = W().credentials[c.login];
    stored.password_hash = c.password_hash;
    stored.disabled = c.disabled;
    stored.must_change_password = c.must_change_password;
    stored.totp_secret = c.totp_secret;
    return Status::Ok();
  }
  StatusOr<std::vector<domain::User>> ListUsers(std::string_view clinic) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return Filter(R().users, clinic, [](const domain::User&) { return true; });
  }
  Status UpdateUser(const domain::User& u) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateStoredUser(u)));
    if (!R().users.count(K(u.clinic_id, u.id))) return NotFoundError("user '" + u.id + "'");
    W().users[K(u.clinic_id, u.id)] = u;
    return Status::Ok();
  }

  Status InsertAuthSession(const domain::AuthSession& a) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (a.token_hash.empty() || a.clinic_id.empty() || a.user_id.empty()) {
      return Fail(InvalidArgumentError("auth session: token_hash, clinic_id and user_id are required"));
    }
    if (!R().users.count(K(a.clinic_id, a.user_id))) {
      return Fail(FailedPreconditionError("auth session: no user '" + a.user_id + "'"));
    }
    if (R().auth_sessions.count(a.token_hash)) return Fail(AlreadyExistsError("auth session exists"));
    W().auth_sessions[a.token_hash] = a;
    return Status::Ok();
  }
  StatusOr<domain::AuthSession> GetAuthSession(std::string_view token_hash) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().auth_sessions.find(token_hash);
    if (it == R().auth_sessions.end()) return NotFoundError("session");
    return it->second;
  }
  Status TouchAuthSession(std::string_view token_hash, domain::Instant at) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (!R().auth_sessions.count(token_hash)) return NotFoundError("session");
    W().auth_sessions[std::string(token_hash)].last_used_at = at;
    return Status::Ok();
  }
  Status DeleteAuthSession(std::string_view token_hash) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (R().auth_sessions.count(token_hash)) W().auth_sessions.erase(std::string(token_hash));
    return Status::Ok();
  }
  StatusOr<int> DeleteUserAuthSessions(std::string_view clinic, std::string_view user) override {
    return EraseSessionsIf([&](const domain::AuthSession& a) { return a.clinic_id == clinic && a.user_id == user; });
  }
  StatusOr<int> PurgeAuthSessions(domain::Instant idle_before, domain::Instant now) override {
    return EraseSessionsIf(
        [&](const domain::AuthSession& a) { return a.last_used_at < idle_before || a.expires_at <= now; });
  }
  Status InsertAuditCheckpoint(const domain::AuditCheckpoint& c) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (c.clinic_id.empty() || c.seq < 1 || c.signature.empty()) {
      return Fail(InvalidArgumentError("audit checkpoint: clinic_id, seq and signature are required"));
    }
    W().checkpoints.push_back(c);
    return Status::Ok();
  }
  StatusOr<std::vector<domain::AuditCheckpoint>> ListAuditCheckpoints(std::string_view clinic) override {
    KIRA_RETURN_IF_ERROR(Usable());
    std::vector<domain::AuditCheckpoint> out;
    for (const auto& c : R().checkpoints) {
      if (clinic.empty() || c.clinic_id == clinic) out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.clinic_id, a.seq, a.at) < std::tie(b.clinic_id, b.seq, b.at);
    });
    return out;
  }
  StatusOr<std::int64_t> CountAuthSessions() override {
    KIRA_RETURN_IF_ERROR(Usable());
    return static_cast<std::int64_t>(R().auth_sessions.size());
  }

  Status InsertPatient(const domain::PatientRecord& p) override {
    return Put(&State::patients, p, ValidatePatient(p), K(p.clinic_id, p.id), "patient",
               HasClinic(p.clinic_id));
  }
  Status InsertPatientIdentity(const domain::PatientIdentity& p) override {
    return Put(&State::identities, p, ValidatePatientIdentity(p), K(p.clinic_id, p.patient_id),
               "patient identity", R().patients.count(K(p.clinic_id, p.patient_id)) > 0);
  }
  StatusOr<domain::PatientRecord> GetPatient(std::string_view clinic, std::string_view id) override {
    return Get(&State::patients, K(clinic, id), "patient");
  }
  StatusOr<domain::PatientIdentity> GetPatientIdentity(std::string_view clinic,
                                                       std::string_view id) override {
    return Get(&State::identities, K(clinic, id), "patient identity");
  }
  StatusOr<std::vector<domain::PatientRecord>> ListPatients(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return ListClinicPage(R().patients, clinic, page);
  }

  Status InsertSession(const domain::SessionRecord& x) override {
    return Put(&State::sessions, x, ValidateSession(x), K(x.clinic_id, x.id), "session",
               R().patients.count(K(x.clinic_id, x.patient_id)) > 0);
  }
  Status UpdateSession(const domain::SessionRecord& x) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateStoredSession(x)));
    State& s = W();
    auto it = s.sessions.find(K(x.clinic_id, x.id));
    if (it == s.sessions.end()) return Fail(NotFoundError("session '" + x.id + "'"));
    domain::SessionRecord updated = x;
    updated.patient_id = it->second.patient_id;
    it->second = updated;
    return Status::Ok();
  }
  StatusOr<domain::SessionRecord> GetSession(std::string_view clinic, std::string_view id) override {
    return Get(&State::sessions, K(clinic, id), "session");
  }
  StatusOr<std::vector<domain::SessionRecord>> ListSessions(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return ListClinicPage(R().sessions, clinic, page);
  }
  StatusOr<std::vector<domain::SessionRecord>> ListPatientSessions(
      std::string_view clinic, std::string_view patient) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().sessions, clinic,
                    [&](const domain::SessionRecord& x) { return x.patient_id == patient; });
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
    });
    return v;
  }

  Status InsertVital(const domain::VitalSign& v) override {
    return Put(&State::vitals, v, ValidateVital(v), K(v.clinic_id, v.id), "vital",
               HasSession(v.clinic_id, v.session_id));
  }
  StatusOr<std::vector<domain::VitalSign>> ListVitals(std::string_view clinic,
                                                      std::string_view session) override {
    return BySession(&State::vitals, clinic, session);
  }
  Status InsertAdverseEvent(const domain::AdverseEvent& e) override {
    return Put(&State::adverse_events, e, ValidateAdverseEvent(e), K(e.clinic_id, e.id),
               "adverse event", HasSession(e.clinic_id, e.session_id));
  }
  StatusOr<std::vector<domain::AdverseEvent>> ListAdverseEvents(std::string_view clinic,
                                                                std::string_view session) override {
    return BySession(&State::adverse_events, clinic, session);
  }
  Status InsertOverride(const domain::OverrideRecord& o) override {
    return Put(&State::overrides, o, ValidateOverride(o), K(o.clinic_id, o.id), "override",
               HasSession(o.clinic_id, o.session_id));
  }
  StatusOr<std::vector<domain::OverrideRecord>> ListOverrides(std::string_view clinic,
                                                              std::string_view session) override {
    return BySession(&State::overrides, clinic, session);
  }

  Status InsertAssessment(const domain::Assessment& a) override {
    bool parents = R().patients.count(K(a.clinic_id, a.patient_id)) > 0 &&
                   (a.session_id.empty() || HasSession(a.clinic_id, a.session_id));
    return Put(&State::assessments, a, ValidateAssessment(a), K(a.clinic_id, a.id), "assessment",
               parents);
  }
  StatusOr<std::vector<domain::Assessment>> ListAssessments(std::string_view clinic,
                                                            std::string_view patient) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().assessments, clinic,
                    [&](const domain::Assessment& a) { return a.patient_id == patient; });
    SortByAt(v);
    return v;
  }

  StatusOr<std::vector<domain::AdverseEvent>> ScanAdverseEvents(std::string_view clinic,
                                                                const Page& page) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return ListClinicPage(R().adverse_events, clinic, page);
  }
  StatusOr<std::vector<domain::OverrideRecord>> ScanOverrides(std::string_view clinic,
                                                              const Page& page) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return ListClinicPage(R().overrides, clinic, page);
  }
  StatusOr<std::vector<domain::Assessment>> ScanAssessments(std::string_view clinic,
                                                            const Page& page) override {
    KIRA_RETURN_IF_ERROR(Usable());
    return ListClinicPage(R().assessments, clinic, page);
  }

  Status InsertLedgerEntry(const domain::LedgerEntry& e) override {
    return Put(&State::ledger, e, ValidateLedgerEntry(e), K(e.clinic_id, e.id), "ledger entry",
               HasClinic(e.clinic_id) && (e.session_id.empty() || HasSession(e.clinic_id, e.session_id)));
  }
  StatusOr<std::vector<domain::LedgerEntry>> ListLedger(std::string_view clinic,
                                                        std::string_view lot) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().ledger, clinic,
                    [&](const domain::LedgerEntry& e) { return lot.empty() || e.lot == lot; });
    SortByAt(v);
    return v;
  }

  StatusOr<std::optional<domain::AuditEntry>> LastAuditEntry(std::string_view clinic) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().audit.find(std::string(clinic));
    if (it == R().audit.end() || it->second.empty()) return std::optional<domain::AuditEntry>();
    return std::optional<domain::AuditEntry>(it->second.back());
  }
  Status AppendAudit(const domain::AuditEntry& e) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateAuditEntry(e)));
    if (!IsRegistryAuditChain(e.clinic_id) && !HasClinic(e.clinic_id)) {
      return Fail(FailedPreconditionError("clinic '" + e.clinic_id + "' does not exist"));
    }
    auto& chain = W().audit[e.clinic_id];
    // The chain stays in seq order; appends at the end are the common case.
    auto at = std::lower_bound(chain.begin(), chain.end(), e.seq,
                               [](const domain::AuditEntry& x, std::int64_t seq) { return x.seq < seq; });
    if (at != chain.end() && at->seq == e.seq) {
      return Fail(AlreadyExistsError("audit seq " + std::to_string(e.seq)));
    }
    chain.insert(at, e);
    return Status::Ok();
  }
  StatusOr<std::vector<domain::AuditEntry>> ListAudit(std::string_view clinic, std::int64_t after_seq,
                                                      int limit) override {
    KIRA_RETURN_IF_ERROR(Usable());
    std::vector<domain::AuditEntry> out;
    auto it = R().audit.find(std::string(clinic));
    if (it == R().audit.end()) return out;
    for (const auto& e : it->second) {
      if (e.seq > after_seq && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }

  Status InsertIdempotencyKey(const IdempotencyRecord& r) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateIdempotencyRecord(r)));
    if (!HasClinic(r.clinic_id)) return Fail(FailedPreconditionError("idempotency key: no clinic '" + r.clinic_id + "'"));
    auto key = std::make_tuple(r.clinic_id, r.principal, r.key);
    State& s = W();
    if (s.idempotency.count(key)) return Fail(AlreadyExistsError("idempotency key '" + r.key + "' exists"));
    s.idempotency[key] = r;
    return Status::Ok();
  }
  StatusOr<IdempotencyRecord> GetIdempotencyKey(std::string_view clinic, std::string_view principal,
                                                std::string_view key) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().idempotency.find(std::make_tuple(std::string(clinic), std::string(principal), std::string(key)));
    if (it == R().idempotency.end()) return NotFoundError("idempotency key '" + std::string(key) + "'");
    return it->second;
  }
  Status SetIdempotencyResponse(std::string_view clinic, std::string_view principal, std::string_view key,
                                int status, std::string_view body) override {
    KIRA_RETURN_IF_ERROR(Writable());
    auto k = std::make_tuple(std::string(clinic), std::string(principal), std::string(key));
    if (!R().idempotency.count(k)) return Fail(NotFoundError("idempotency key '" + std::string(key) + "'"));
    IdempotencyRecord& r = W().idempotency[k];
    r.response_status = status;
    r.response_body = std::string(body);
    return Status::Ok();
  }
  StatusOr<int> PurgeIdempotencyKeys(std::string_view clinic, domain::Instant before) override {
    KIRA_RETURN_IF_ERROR(Writable());
    int n = 0;
    auto& m = W().idempotency;
    for (auto it = m.begin(); it != m.end();) {
      if (std::get<0>(it->first) == clinic && it->second.created_at < before) {
        it = m.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  Status InsertPatientFacts(const domain::PatientFacts& f) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidatePatientFacts(f)));
    if (!R().patients.count(K(f.clinic_id, f.patient_id))) {
      return Fail(FailedPreconditionError("patient facts: patient '" + f.patient_id + "' does not exist"));
    }
    auto& versions = W().facts[K(f.clinic_id, f.patient_id)];
    if (f.version <= static_cast<int>(versions.size())) {
      return Fail(AlreadyExistsError("patient facts version " + std::to_string(f.version) + " of '" +
                                     f.patient_id + "' exists"));
    }
    if (f.version != static_cast<int>(versions.size()) + 1) {
      return Fail(InvalidArgumentError("version: must be " + std::to_string(versions.size() + 1) +
                                       " (versions have no gaps), got " + std::to_string(f.version)));
    }
    versions.push_back(f);
    return Status::Ok();
  }
  StatusOr<domain::PatientFacts> GetCurrentPatientFacts(std::string_view clinic,
                                                        std::string_view patient) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().facts.find(K(clinic, patient));
    if (it == R().facts.end() || it->second.empty()) {
      return NotFoundError("patient facts of '" + std::string(patient) + "'");
    }
    return it->second.back();
  }
  StatusOr<std::vector<domain::PatientFacts>> ListPatientFacts(std::string_view clinic,
                                                               std::string_view patient) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().facts.find(K(clinic, patient));
    if (it == R().facts.end()) return std::vector<domain::PatientFacts>{};
    return it->second;
  }
  Status InsertScreening(const domain::ScreeningRecord& x) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateScreening(x)));
    auto it = R().facts.find(K(x.clinic_id, x.patient_id));
    if (it == R().facts.end() || x.facts_version > static_cast<int>(it->second.size())) {
      return Fail(FailedPreconditionError("screening: facts version " + std::to_string(x.facts_version) +
                                          " of '" + x.patient_id + "' does not exist"));
    }
    auto key = std::make_tuple(x.clinic_id, x.patient_id, x.facts_version, x.route);
    auto& m = W().screenings;
    if (m.count(key)) return Fail(AlreadyExistsError("screening of '" + x.patient_id + "' exists"));
    m.emplace(std::move(key), x);
    return Status::Ok();
  }
  StatusOr<domain::ScreeningRecord> GetScreening(std::string_view clinic, std::string_view patient,
                                                 int facts_version, std::string_view route) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto it = R().screenings.find(
        std::make_tuple(std::string(clinic), std::string(patient), facts_version, std::string(route)));
    if (it == R().screenings.end()) return NotFoundError("screening of '" + std::string(patient) + "'");
    return it->second;
  }
  Status InsertAlert(const domain::AlertRecord& a) override {
    return Put(&State::alerts, a, ValidateAlert(a), K(a.clinic_id, a.id), "alert",
               R().patients.count(K(a.clinic_id, a.patient_id)) > 0);
  }
  Status UpdateAlert(const domain::AlertRecord& a) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateAlert(a)));
    State& s = W();
    auto it = s.alerts.find(K(a.clinic_id, a.id));
    if (it == s.alerts.end()) return Fail(NotFoundError("alert '" + a.id + "'"));
    it->second.acknowledged_at = a.acknowledged_at;
    it->second.acknowledged_by = a.acknowledged_by;
    it->second.ack_reason = a.ack_reason;
    it->second.escalated_at = a.escalated_at;
    it->second.escalated_by = a.escalated_by;
    it->second.escalated_to = a.escalated_to;
    return Status::Ok();
  }
  StatusOr<domain::AlertRecord> GetAlert(std::string_view clinic, std::string_view id) override {
    return Get(&State::alerts, K(clinic, id), "alert");
  }
  StatusOr<std::vector<domain::AlertRecord>> ListAlerts(std::string_view clinic, std::string_view patient,
                                                        bool open_only) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().alerts, clinic, [&](const domain::AlertRecord& a) {
      return (patient.empty() || a.patient_id == patient) && (!open_only || a.open());
    });
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(a.raised_at, a.id) < std::tie(b.raised_at, b.id);
    });
    return v;
  }

  // ---- The clinic day ----
  Status UpdatePatient(const domain::PatientRecord& p) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidateStoredPatient(p)));
    auto& m = W().patients;
    auto it = m.find(K(p.clinic_id, p.id));
    if (it == m.end()) return Fail(NotFoundError("patient '" + p.id + "'"));
    it->second = p;
    return Status::Ok();
  }
  Status PutPatientIdentity(const domain::PatientIdentity& p) override {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(ValidatePatientIdentity(p)));
    if (!R().patients.count(K(p.clinic_id, p.patient_id))) {
      return Fail(FailedPreconditionError("patient identity '" + p.patient_id + "': referenced record does not exist"));
    }
    W().identities[K(p.clinic_id, p.patient_id)] = p;
    return Status::Ok();
  }
  Status InsertVitalAmendment(const domain::VitalAmendment& a) override {
    const bool parents = HasSession(a.clinic_id, a.session_id) && R().vitals.count(K(a.clinic_id, a.vital_id)) &&
                         (a.replacement_id.empty() || R().vitals.count(K(a.clinic_id, a.replacement_id)));
    return Put(&State::vital_amendments, a,
               a.reason.empty() ? InvalidArgumentError("reason: required") : Status::Ok(), K(a.clinic_id, a.id),
               "vital amendment", parents);
  }
  StatusOr<std::vector<domain::VitalAmendment>> ListVitalAmendments(std::string_view clinic,
                                                                    std::string_view session) override {
    return BySession(&State::vital_amendments, clinic, session);
  }
  Status InsertAppointment(const domain::Appointment& a) override {
    return Put(&State::appointments, a, Status::Ok(), K(a.clinic_id, a.id), "appointment",
               R().patients.count(K(a.clinic_id, a.patient_id)) > 0);
  }
  Status UpdateAppointment(const domain::Appointment& a) override {
    KIRA_RETURN_IF_ERROR(Writable());
    auto& m = W().appointments;
    auto it = m.find(K(a.clinic_id, a.id));
    if (it == m.end() || it->second.patient_id != a.patient_id) {
      return Fail(NotFoundError("appointment '" + a.id + "'"));
    }
    it->second = a;
    return Status::Ok();
  }
  StatusOr<domain::Appointment> GetAppointment(std::string_view clinic, std::string_view id) override {
    return Get(&State::appointments, K(clinic, id), "appointment");
  }
  StatusOr<std::vector<domain::Appointment>> ListAppointments(std::string_view clinic, domain::Instant from,
                                                              domain::Instant to) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().appointments, clinic,
                    [&](const domain::Appointment& a) { return a.scheduled_at >= from && a.scheduled_at < to; });
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(a.scheduled_at, a.id) < std::tie(b.scheduled_at, b.id);
    });
    return v;
  }
  Status InsertConsent(const domain::ConsentRecord& c) override {
    return Put(&State::consents, c,
               c.witness.empty() || c.form_version.empty()
                   ? InvalidArgumentError("consent: form version and witness are required")
                   : Status::Ok(),
               K(c.clinic_id, c.id), "consent", R().patients.count(K(c.clinic_id, c.patient_id)) > 0);
  }
  StatusOr<std::vector<domain::ConsentRecord>> ListConsents(std::string_view clinic,
                                                            std::string_view patient) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().consents, clinic, [&](const domain::ConsentRecord& c) { return c.patient_id == patient; });
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(a.recorded_at, a.id) < std::tie(b.recorded_at, b.id);
    });
    return v;
  }
  Status PutRemsForm(const domain::RemsForm& f) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (!HasSession(f.clinic_id, f.session_id)) {
      return Fail(FailedPreconditionError("REMS form '" + f.id + "': referenced record does not exist"));
    }
    for (const auto& [k, x] : R().rems_forms) {
      if (k.first == f.clinic_id && x.session_id == f.session_id && x.id != f.id) {
        return Fail(AlreadyExistsError("REMS form for session '" + f.session_id + "' exists"));
      }
    }
    W().rems_forms[K(f.clinic_id, f.id)] = f;
    return Status::Ok();
  }
  StatusOr<domain::RemsForm> GetRemsForm(std::string_view clinic, std::string_view id) override {
    return Get(&State::rems_forms, K(clinic, id), "REMS form");
  }
  StatusOr<std::vector<domain::RemsForm>> ListRemsForms(std::string_view clinic) override {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().rems_forms, clinic, [](const domain::RemsForm&) { return true; });
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(a.session_at, a.id) < std::tie(b.session_at, b.id);
    });
    return v;
  }
  Status PutClinicListing(const domain::ClinicListing& l) override {
    KIRA_RETURN_IF_ERROR(Writable());
    if (!HasClinic(l.clinic_id)) {
      return Fail(FailedPreconditionError("clinic listing '" + l.clinic_id + "': referenced record does not exist"));
    }
    W().listings[l.clinic_id] = l;
    return Status::Ok();
  }
  StatusOr<std::vector<domain::ClinicListing>> ListClinicListings() override {
    KIRA_RETURN_IF_ERROR(Usable());
    std::vector<domain::ClinicListing> out;
    for (const auto& [k, l] : R().listings) out.push_back(l);
    return out;
  }

  Status Commit() override {
    KIRA_RETURN_IF_ERROR(Usable());
    if (pending_) *store_->state_ = std::move(*pending_);
    done_ = true;
    return Status::Ok();
  }

 private:
  template <class Pred>
  StatusOr<int> EraseSessionsIf(Pred pred) {
    KIRA_RETURN_IF_ERROR(Writable());
    int n = 0;
    for (const auto& [h, a] : R().auth_sessions) n += pred(a) ? 1 : 0;
    if (n == 0) return 0;
    auto& m = W().auth_sessions;
    for (auto it = m.begin(); it != m.end();) it = pred(it->second) ? m.erase(it) : std::next(it);
    return n;
  }
  const State& R() const { return pending_ ? *pending_ : *store_->state_; }
  State& W() {
    if (!pending_) pending_ = std::make_unique<State>(*store_->state_);
    return *pending_;
  }
  Status Usable() const {
    if (done_) return FailedPreconditionError("transaction already committed");
    if (failed_) return FailedPreconditionError("transaction failed earlier; roll back");
    return Status::Ok();
  }
  Status Writable() { return Usable(); }
  Status Fail(Status s) {
    if (!s.ok()) failed_ = true;
    return s;
  }
  bool HasClinic(const std::string& clinic) const { return R().clinics.count(clinic) > 0; }
  bool HasSession(const std::string& clinic, const std::string& id) const {
    return R().sessions.count(K(clinic, id)) > 0;
  }

  template <class T>
  Status Put(std::map<Key, T> State::*table, const T& value, Status valid, const Key& key,
             const char* what, bool parent_exists) {
    KIRA_RETURN_IF_ERROR(Writable());
    KIRA_RETURN_IF_ERROR(Fail(std::move(valid)));
    if (!parent_exists) {
      return Fail(FailedPreconditionError(std::string(what) + " '" + key.second +
                                          "': referenced record does not exist"));
    }
    auto& m = W().*table;
    if (m.count(key)) return Fail(AlreadyExistsError(std::string(what) + " '" + key.second + "' exists"));
    m.emplace(key, value);
    return Status::Ok();
  }

  template <class T>
  StatusOr<T> Get(std::map<Key, T> State::*table, const Key& key, const char* what) {
    KIRA_RETURN_IF_ERROR(Usable());
    const auto& m = R().*table;
    auto it = m.find(key);
    if (it == m.end()) return NotFoundError(std::string(what) + " '" + key.second + "'");
    return it->second;
  }

  template <class T>
  StatusOr<std::vector<T>> BySession(std::map<Key, T> State::*table, std::string_view clinic,
                                     std::string_view session) {
    KIRA_RETURN_IF_ERROR(Usable());
    auto v = Filter(R().*table, clinic, [&](const T& x) { return x.session_id == session; });
    SortByAt(v);
    return v;
  }

  MemoryStore* store_;
  std::unique_lock<std::mutex> lock_;
  std::unique_ptr<State> pending_;
  bool failed_ = false;
  bool done_ = false;
};

MemoryStore::MemoryStore() : state_(std::make_unique<State>()) {}
MemoryStore::~MemoryStore() = default;

StatusOr<std::unique_ptr<Transaction>> MemoryStore::Begin() {
  std::unique_lock<std::mutex> lock(tx_mu_);
  return std::unique_ptr<Transaction>(std::make_unique<Tx>(this, std::move(lock)));
}

void MemoryStore::TamperWithAuditForTesting(
    std::string_view clinic_id, const std::function<void(std::vector<domain::AuditEntry>&)>& edit) {
  std::lock_guard<std::mutex> lock(tx_mu_);
  edit(state_->audit[std::string(clinic_id)]);
}

}  // namespace kira::storage
