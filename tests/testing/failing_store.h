// FailingStore: wraps a Store and fails the Nth write (insert, update, audit
// append or commit) with Internal, like leveldb's SpecialEnv or SQLite's
// fault.c. Tests use it to show that a use case's writes are all-or-nothing.
#ifndef KIRA_TESTING_FAILING_STORE_H_
#define KIRA_TESTING_FAILING_STORE_H_

#include <memory>
#include <string>

#include "kira/storage/store.h"

namespace kira::testing {

class FailingStore : public storage::Store {
 public:
  explicit FailingStore(storage::Store* base) : base_(base) {}

  // Fail the n-th write from now on (1 = the next one); 0 disables.
  void FailNthWrite(int n) {
    fail_at_ = n;
    writes_ = 0;
  }
  int writes() const { return writes_; }
  bool fired() const { return fired_; }

  StatusOr<std::unique_ptr<storage::Transaction>> Begin() override;
  std::string_view backend() const override { return base_->backend(); }

  // Called by the wrapper transaction before each write.
  Status BeforeWrite(std::string_view what) {
    ++writes_;
    if (fail_at_ > 0 && writes_ == fail_at_) {
      fired_ = true;
      return InternalError("injected failure at write " + std::to_string(writes_) + " (" +
                           std::string(what) + ")");
    }
    return Status::Ok();
  }

 private:
  storage::Store* base_;
  int fail_at_ = 0;
  int writes_ = 0;
  bool fired_ = false;
};

namespace internal {

class FailingTransaction : public storage::Transaction {
 public:
  FailingTransaction(FailingStore* store, std::unique_ptr<storage::Transaction> base)
      : store_(store), base_(std::move(base)) {}

#define KIRA_FAILING_WRITE_(name, type)                        \
  Status name(const type& x) override {                        \
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite(#name));          \
    return base_->name(x);                                     \
  }
  KIRA_FAILING_WRITE_(InsertClinic, domain::Clinic)
  KIRA_FAILING_WRITE_(InsertUser, domain::User)
  KIRA_FAILING_WRITE_(InsertCredential, domain::Credential)
  KIRA_FAILING_WRITE_(InsertPatient, domain::PatientRecord)
  KIRA_FAILING_WRITE_(InsertPatientIdentity, domain::PatientIdentity)
  KIRA_FAILING_WRITE_(InsertSession, domain::SessionRecord)
  KIRA_FAILING_WRITE_(UpdateSession, domain::SessionRecord)
  KIRA_FAILING_WRITE_(InsertVital, domain::VitalSign)
  KIRA_FAILING_WRITE_(InsertAdverseEvent, domain::AdverseEvent)
  KIRA_FAILING_WRITE_(InsertOverride, domain::OverrideRecord)
  KIRA_FAILING_WRITE_(InsertAssessment, domain::Assessment)
  KIRA_FAILING_WRITE_(InsertLedgerEntry, domain::LedgerEntry)
  KIRA_FAILING_WRITE_(AppendAudit, domain::AuditEntry)
  KIRA_FAILING_WRITE_(UpdateCredential, domain::Credential)
  KIRA_FAILING_WRITE_(UpdateUser, domain::User)
  KIRA_FAILING_WRITE_(InsertAuthSession, domain::AuthSession)
  // The clinic day (W13).
  KIRA_FAILING_WRITE_(UpdatePatient, domain::PatientRecord)
  KIRA_FAILING_WRITE_(PutPatientIdentity, domain::PatientIdentity)
  KIRA_FAILING_WRITE_(InsertVitalAmendment, domain::VitalAmendment)
  KIRA_FAILING_WRITE_(InsertAppointment, domain::Appointment)
  KIRA_FAILING_WRITE_(UpdateAppointment, domain::Appointment)
  KIRA_FAILING_WRITE_(InsertConsent, domain::ConsentRecord)
  KIRA_FAILING_WRITE_(PutRemsForm, domain::RemsForm)
  KIRA_FAILING_WRITE_(PutClinicListing, domain::ClinicListing)
  KIRA_FAILING_WRITE_(InsertAuditCheckpoint, domain::AuditCheckpoint)
  KIRA_FAILING_WRITE_(InsertPatientFacts, domain::PatientFacts)
  KIRA_FAILING_WRITE_(InsertScreening, domain::ScreeningRecord)
  KIRA_FAILING_WRITE_(InsertAlert, domain::AlertRecord)
  KIRA_FAILING_WRITE_(UpdateAlert, domain::AlertRecord)
#undef KIRA_FAILING_WRITE_

  StatusOr<domain::Clinic> GetClinic(std::string_view id) override { return base_->GetClinic(id); }
  StatusOr<std::vector<domain::Clinic>> ListClinics() override { return base_->ListClinics(); }
  StatusOr<domain::User> GetUser(std::string_view c, std::string_view id) override {
    return base_->GetUser(c, id);
  }
  StatusOr<domain::Credential> GetCredential(std::string_view login) override {
    return base_->GetCredential(login);
  }
  StatusOr<domain::Credential> GetCredentialOfUser(std::string_view c, std::string_view u) override {
    return base_->GetCredentialOfUser(c, u);
  }
  StatusOr<std::vector<domain::Credential>> ListCredentials(std::string_view c) override {
    return base_->ListCredentials(c);
  }
  StatusOr<bool> ClaimTotpStep(std::string_view login, std::int64_t step) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("ClaimTotpStep"));
    return base_->ClaimTotpStep(login, step);
  }
  StatusOr<std::vector<domain::User>> ListUsers(std::string_view c) override { return base_->ListUsers(c); }
  StatusOr<domain::AuthSession> GetAuthSession(std::string_view h) override { return base_->GetAuthSession(h); }
  Status TouchAuthSession(std::string_view h, domain::Instant at) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("TouchAuthSession"));
    return base_->TouchAuthSession(h, at);
  }
  Status DeleteAuthSession(std::string_view h) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("DeleteAuthSession"));
    return base_->DeleteAuthSession(h);
  }
  StatusOr<int> DeleteUserAuthSessions(std::string_view c, std::string_view u) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("DeleteUserAuthSessions"));
    return base_->DeleteUserAuthSessions(c, u);
  }
  StatusOr<int> PurgeAuthSessions(domain::Instant idle_before, domain::Instant now) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("PurgeAuthSessions"));
    return base_->PurgeAuthSessions(idle_before, now);
  }
  StatusOr<std::int64_t> CountAuthSessions() override { return base_->CountAuthSessions(); }
  StatusOr<std::vector<domain::AuditCheckpoint>> ListAuditCheckpoints(std::string_view c) override {
    return base_->ListAuditCheckpoints(c);
  }
  StatusOr<domain::PatientRecord> GetPatient(std::string_view c, std::string_view id) override {
    return base_->GetPatient(c, id);
  }
  StatusOr<domain::PatientIdentity> GetPatientIdentity(std::string_view c, std::string_view id) override {
    return base_->GetPatientIdentity(c, id);
  }
  StatusOr<std::vector<domain::PatientRecord>> ListPatients(std::string_view c,
                                                            const storage::Page& p) override {
    return base_->ListPatients(c, p);
  }
  StatusOr<domain::SessionRecord> GetSession(std::string_view c, std::string_view id) override {
    return base_->GetSession(c, id);
  }
  StatusOr<std::vector<domain::SessionRecord>> ListSessions(std::string_view c,
                                                            const storage::Page& p) override {
    return base_->ListSessions(c, p);
  }
  StatusOr<std::vector<domain::SessionRecord>> ListPatientSessions(std::string_view c,
                                                                   std::string_view p) override {
    return base_->ListPatientSessions(c, p);
  }
  StatusOr<std::vector<domain::VitalSign>> ListVitals(std::string_view c, std::string_view s) override {
    return base_->ListVitals(c, s);
  }
  StatusOr<std::vector<domain::AdverseEvent>> ListAdverseEvents(std::string_view c,
                                                                std::string_view s) override {
    return base_->ListAdverseEvents(c, s);
  }
  StatusOr<std::vector<domain::OverrideRecord>> ListOverrides(std::string_view c,
                                                              std::string_view s) override {
    return base_->ListOverrides(c, s);
  }
  StatusOr<std::vector<domain::Assessment>> ListAssessments(std::string_view c,
                                                            std::string_view p) override {
    return base_->ListAssessments(c, p);
  }
  StatusOr<std::vector<domain::AdverseEvent>> ScanAdverseEvents(std::string_view c,
                                                                const storage::Page& p) override {
    return base_->ScanAdverseEvents(c, p);
  }
  StatusOr<std::vector<domain::OverrideRecord>> ScanOverrides(std::string_view c,
                                                              const storage::Page& p) override {
    return base_->ScanOverrides(c, p);
  }
  StatusOr<std::vector<domain::Assessment>> ScanAssessments(std::string_view c,
                                                            const storage::Page& p) override {
    return base_->ScanAssessments(c, p);
  }
  StatusOr<std::vector<domain::LedgerEntry>> ListLedger(std::string_view c, std::string_view lot) override {
    return base_->ListLedger(c, lot);
  }
  StatusOr<domain::PatientFacts> GetCurrentPatientFacts(std::string_view c, std::string_view p) override {
    return base_->GetCurrentPatientFacts(c, p);
  }
  StatusOr<std::vector<domain::PatientFacts>> ListPatientFacts(std::string_view c, std::string_view p) override {
    return base_->ListPatientFacts(c, p);
  }
  StatusOr<domain::ScreeningRecord> GetScreening(std::string_view c, std::string_view p, int v,
                                                 std::string_view route) override {
    return base_->GetScreening(c, p, v, route);
  }
  StatusOr<domain::AlertRecord> GetAlert(std::string_view c, std::string_view id) override {
    return base_->GetAlert(c, id);
  }
  StatusOr<std::vector<domain::AlertRecord>> ListAlerts(std::string_view c, std::string_view p,
                                                        bool open_only) override {
    return base_->ListAlerts(c, p, open_only);
  }
  StatusOr<std::optional<domain::AuditEntry>> LastAuditEntry(std::string_view c) override {
    return base_->LastAuditEntry(c);
  }
  StatusOr<std::vector<domain::AuditEntry>> ListAudit(std::string_view c, std::int64_t after,
                                                      int limit) override {
    return base_->ListAudit(c, after, limit);
  }
  Status InsertIdempotencyKey(const storage::IdempotencyRecord& r) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("InsertIdempotencyKey"));
    return base_->InsertIdempotencyKey(r);
  }
  StatusOr<storage::IdempotencyRecord> GetIdempotencyKey(std::string_view c, std::string_view p,
                                                         std::string_view k) override {
    return base_->GetIdempotencyKey(c, p, k);
  }
  Status SetIdempotencyResponse(std::string_view c, std::string_view p, std::string_view k, int status,
                                std::string_view body) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("SetIdempotencyResponse"));
    return base_->SetIdempotencyResponse(c, p, k, status, body);
  }
  StatusOr<int> PurgeIdempotencyKeys(std::string_view c, domain::Instant before) override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("PurgeIdempotencyKeys"));
    return base_->PurgeIdempotencyKeys(c, before);
  }
  StatusOr<std::vector<domain::VitalAmendment>> ListVitalAmendments(std::string_view c, std::string_view s) override {
    return base_->ListVitalAmendments(c, s);
  }
  StatusOr<domain::Appointment> GetAppointment(std::string_view c, std::string_view id) override {
    return base_->GetAppointment(c, id);
  }
  StatusOr<std::vector<domain::Appointment>> ListAppointments(std::string_view c, domain::Instant from,
                                                              domain::Instant to) override {
    return base_->ListAppointments(c, from, to);
  }
  StatusOr<std::vector<domain::ConsentRecord>> ListConsents(std::string_view c, std::string_view p) override {
    return base_->ListConsents(c, p);
  }
  StatusOr<domain::RemsForm> GetRemsForm(std::string_view c, std::string_view id) override {
    return base_->GetRemsForm(c, id);
  }
  StatusOr<std::vector<domain::RemsForm>> ListRemsForms(std::string_view c) override { return base_->ListRemsForms(c); }
  StatusOr<std::vector<domain::ClinicListing>> ListClinicListings() override { return base_->ListClinicListings(); }

  Status Commit() override {
    KIRA_RETURN_IF_ERROR(store_->BeforeWrite("Commit"));
    return base_->Commit();
  }

 private:
  FailingStore* store_;
  std::unique_ptr<storage::Transaction> base_;
};

}  // namespace internal

inline StatusOr<std::unique_ptr<storage::Transaction>> FailingStore::Begin() {
  KIRA_ASSIGN_OR_RETURN(auto tx, base_->Begin());
  return std::unique_ptr<storage::Transaction>(
      std::make_unique<internal::FailingTransaction>(this, std::move(tx)));
}

}  // namespace kira::testing

#endif  // KIRA_TESTING_FAILING_STORE_H_
