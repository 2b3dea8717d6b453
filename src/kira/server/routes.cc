// The route table of `kira serve` (one block, drogon's METHOD_LIST style) and
// its thin handlers: parse with api/, check the clinic scope, call a registry
// use case or the Advisor, render with api/. No handler picks an HTTP error
// code; they return Status and http_status.h maps it.
#include "kira/server/internal/routes.h"

#include <algorithm>
#include <set>
#include <string>

#include "kira/advisor/discharge.h"
#include "kira/advisor/monitor.h"
#include "kira/advisor/plan.h"
#include "kira/api/advisor_json.h"
#include "kira/api/auth_json.h"
#include "kira/api/decision_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "kira/api/server_advisor_json.h"
#include "kira/api/server_json.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/dashboard.h"
#include "kira/registry/ledger.h"
#include "kira/registry/unit_of_work.h"
#include "kira/registry/workflow.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"
#include "kira/server/accounts.h"
#include "kira/server/server.h"

namespace kira::server::internal {

namespace {

StatusOr<Reply> Health(Services& s, const Call& c);
StatusOr<Reply> PrometheusMetrics(Services& s, const Call& c);
StatusOr<Reply> OpenApi(Services& s, const Call& c);
StatusOr<Reply> Login(Services& s, const Call& c);
StatusOr<Reply> Logout(Services& s, const Call& c);
StatusOr<Reply> Me(Services& s, const Call& c);
StatusOr<Reply> GuidelineSummary(Services& s, const Call& c);
StatusOr<Reply> CreateUser(Services& s, const Call& c);
StatusOr<Reply> ChangePassword(Services& s, const Call& c);
StatusOr<Reply> BeginTotp(Services& s, const Call& c);
StatusOr<Reply> ConfirmTotp(Services& s, const Call& c);
StatusOr<Reply> EndMySessions(Services& s, const Call& c);
StatusOr<Reply> ListUsers(Services& s, const Call& c);
StatusOr<Reply> DisableUser(Services& s, const Call& c);
StatusOr<Reply> EnableUser(Services& s, const Call& c);
StatusOr<Reply> ResetPassword(Services& s, const Call& c);
StatusOr<Reply> EndUserSessions(Services& s, const Call& c);
StatusOr<Reply> ChangeRole(Services& s, const Call& c);
StatusOr<Reply> ReadAudit(Services& s, const Call& c);
StatusOr<Reply> VerifyAuditChain(Services& s, const Call& c);
StatusOr<Reply> Ledger(Services& s, const Call& c);
StatusOr<Reply> ListPatients(Services& s, const Call& c);
StatusOr<Reply> CreatePatient(Services& s, const Call& c);
StatusOr<Reply> GetPatient(Services& s, const Call& c);
StatusOr<Reply> ScreenPatient(Services& s, const Call& c);
StatusOr<Reply> GetFacts(Services& s, const Call& c);
StatusOr<Reply> PostFacts(Services& s, const Call& c);
StatusOr<Reply> ListPatientAlerts(Services& s, const Call& c);
StatusOr<Reply> ListOpenAlerts(Services& s, const Call& c);
StatusOr<Reply> AckAlert(Services& s, const Call& c);
StatusOr<Reply> EscalateAlert(Services& s, const Call& c);
StatusOr<Reply> DoseCheck(Services& s, const Call& c);
StatusOr<Reply> ListPatientSessions(Services& s, const Call& c);
StatusOr<Reply> RecordSession(Services& s, const Call& c);
StatusOr<Reply> ListAssessments(Services& s, const Call& c);
StatusOr<Reply> AddAssessment(Services& s, const Call& c);
StatusOr<Reply> GetSession(Services& s, const Call& c);
StatusOr<Reply> AddVital(Services& s, const Call& c);
StatusOr<Reply> AddAdverseEvent(Services& s, const Call& c);
StatusOr<Reply> RegistrySummary(Services& s, const Call& c);
StatusOr<Reply> PlanPatient(Services& s, const Call& c);
StatusOr<Reply> MonitorSession(Services& s, const Call& c);
StatusOr<Reply> DischargeSession(Services& s, const Call& c);
StatusOr<Reply> FinishSession(Services& s, const Call& c);

// clang-format off
constexpr Route kRoutes[] = {
  // method  path                                      roles                  handler              summary
  {"GET",  "/healthz",                                 kPublic,               Health,              "Liveness and database reachability"},
  {"GET",  "/metrics",                                 kAdmin,                PrometheusMetrics,   "Prometheus metrics (or without a log-in on the loopback metrics listener)"},
  {"GET",  "/api/openapi.json",                        kPublic,               OpenApi,             "This API's OpenAPI 3 document"},
  {"POST", "/api/v1/login",                            kPublic,               Login,               "Log in; returns a session token and sets the session cookie"},
  {"POST", "/api/v1/logout",                           kAnyRole | kSetup,     Logout,              "End the session"},
  {"GET",  "/api/v1/me",                               kAnyRole | kSetup,     Me,                  "The logged-in user and the CSRF token"},
  {"POST", "/api/v1/me/password",                      kAnyRole | kSetup,     ChangePassword,      "Change the caller's password"},
  {"POST", "/api/v1/me/totp",                          kAnyRole | kSetup,     BeginTotp,           "Start enrolling a TOTP second factor: a fresh secret"},
  {"POST", "/api/v1/me/totp/confirm",                  kAnyRole | kSetup,     ConfirmTotp,         "Turn the second factor on with a code from the new secret"},
  {"POST", "/api/v1/me/sessions/end",                  kAnyRole | kSetup,     EndMySessions,       "End every session of the caller (log out everywhere)"},
  {"GET",  "/api/v1/guideline",                        kAnyRole,              GuidelineSummary,    "The guideline library: indications, protocols, rules"},
  {"GET",  "/api/v1/users",                            kAdmin,                ListUsers,           "The clinic's users and their log-in state"},
  {"POST", "/api/v1/users",                            kAdmin,                CreateUser,          "Add a user to the caller's clinic"},
  {"POST", "/api/v1/users/{id}/disable",               kAdmin,                DisableUser,         "Disable a user's log-in and end their sessions"},
  {"POST", "/api/v1/users/{id}/enable",                kAdmin,                EnableUser,          "Enable a user's log-in again"},
  {"POST", "/api/v1/users/{id}/reset-password",        kAdmin,                ResetPassword,       "Set a temporary password, to be changed at the next log-in"},
  {"POST", "/api/v1/users/{id}/end-sessions",          kAdmin,                EndUserSessions,     "End every session of a user"},
  {"POST", "/api/v1/users/{id}/role",                  kAdmin,                ChangeRole,          "Change a user's role (ends their sessions)"},
  {"GET",  "/api/v1/audit",                            kAdmin | kAuditor,     ReadAudit,           "The clinic's audit log, oldest first, read-only"},
  {"GET",  "/api/v1/audit/verify",                     kAdmin | kAuditor,     VerifyAuditChain,    "Check the clinic's keyed audit chain and its signed checkpoints"},
  {"GET",  "/api/v1/ledger",                           kAdmin | kPharmacist,  Ledger,              "Controlled-substance ledger: balance per lot and discrepancies"},
  {"GET",  "/api/v1/patients",                         kCare,                 ListPatients,        "List or search the clinic's patients"},
  {"POST", "/api/v1/patients",                         kAdmin | kClinician,   CreatePatient,       "Enrol a patient"},
  {"GET",  "/api/v1/patients/{id}",                    kCare,                 GetPatient,          "One patient, with identifiers (audited)"},
  {"GET",  "/api/v1/patients/{id}/facts",              kCare,                 GetFacts,            "The patient's stored clinical facts (current version) and their screening"},
  {"POST", "/api/v1/patients/{id}/facts",              kClinician | kNurse,   PostFacts,            "Record the patient's clinical facts (a new audited version when changed; re-screens)"},
  {"POST", "/api/v1/patients/{id}/screen",             kClinician | kNurse,   ScreenPatient,       "Eligibility screening of the patient's stored clinical facts"},
  {"GET",  "/api/v1/patients/{id}/alerts",             kCare,                 ListPatientAlerts,   "The patient's suicidality alerts, open and acknowledged"},
  {"GET",  "/api/v1/alerts",                           kCare,                 ListOpenAlerts,      "The clinic's unacknowledged alerts"},
  {"POST", "/api/v1/alerts/{id}/ack",                  kClinician,            AckAlert,            "Acknowledge an alert (who, when and the reason are audited)"},
  {"POST", "/api/v1/alerts/{id}/escalate",             kClinician | kNurse,   EscalateAlert,       "Record that you told a clinician about the alert (who, whom and when are audited; the alert stays open)"},
  {"POST", "/api/v1/patients/{id}/dose-check",         kClinician | kNurse,   DoseCheck,           "Dose, pump settings and every limit check (override: clinician)"},
  {"POST", "/api/v1/patients/{id}/plan",               kClinician | kNurse,   PlanPatient,         "Dated schedule and next-step recommendation (cap override: clinician)"},
  {"GET",  "/api/v1/patients/{id}/sessions",           kCare,                 ListPatientSessions, "The patient's infusion sessions"},
  {"POST", "/api/v1/patients/{id}/sessions",           kClinician,            RecordSession,       "Record a session; the Advisor's dose check gates it"},
  {"GET",  "/api/v1/patients/{id}/assessments",        kCare,                 ListAssessments,     "The patient's outcome scores"},
  {"POST", "/api/v1/patients/{id}/assessments",        kClinician | kNurse,   AddAssessment,       "Record an outcome score"},
  {"GET",  "/api/v1/sessions/{id}",                    kCare,                 GetSession,          "A session with its vitals, adverse events and overrides"},
  {"POST", "/api/v1/sessions/{id}/finish",             kClinician,            FinishSession,       "End the dose: given dose and stop time, checked again by the Advisor"},
  {"POST", "/api/v1/sessions/{id}/vitals",             kClinician | kNurse,   AddVital,            "Record a vital sign"},
  {"POST", "/api/v1/sessions/{id}/adverse-events",     kClinician | kNurse,   AddAdverseEvent,     "Record an adverse event and any rescue given"},
  {"POST", "/api/v1/sessions/{id}/monitor",            kClinician | kNurse,   MonitorSession,      "Pre-session gate, action per observation and rescue advice"},
  {"POST", "/api/v1/sessions/{id}/discharge",          kClinician | kNurse,   DischargeSession,    "Discharge checklist: pass, or the missing items"},
  {"GET",  "/api/v1/registry/summary",                 kAnyRole,              RegistrySummary,     "De-identified aggregates of the clinic's registry"},
};
// clang-format on

Reply Json(std::string body, int status = 200) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string NewId(std::string_view prefix) { return std::string(prefix) + RandomToken().substr(0, 20); }

std::string Q(const Call& c, const char* key, std::string fallback = "") {
  auto it = c.query.find(key);
  return it == c.query.end() ? fallback : it->second;
}

void AuditRead(Services& s, const Call& c, std::string_view entity, std::string_view id, std::string_view what) {
  s.audit->Record(AccessEvent{c.who->clinic_id, c.who->user_id, std::string(entity), std::string(id),
                              std::string(what)});
}

// The patient, if it exists in the caller's clinic. Another clinic's patient
// is NotFound, exactly like a patient that does not exist, so ids cannot be
// probed across clinics.
StatusOr<domain::PatientRecord> OwnPatient(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  return tx->GetPatient(c.who->clinic_id, c.params.at(0));
}

StatusOr<Reply> Health(Services& s, const Call&) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_RETURN_IF_ERROR(tx->ListClinics().status());
  return Json("{\"status\":\"ok\",\"backend\":" + api::Escape(s.store->backend()) + "}");
}

StatusOr<Reply> PrometheusMetrics(Services& s, const Call&) {
  Reply r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = s.metrics->Render({{"kira_sessions_active", static_cast<double>(s.sessions->ActiveCount())},
                              {"kira_access_audit_rows_written_total", static_cast<double>(s.audit->written())},
                              {"kira_access_audit_failed_flushes_total",
                               static_cast<double>(s.audit->failed_flushes())}});
  return r;
}

StatusOr<Reply> OpenApi(Services&, const Call&) { return Json(std::string(FindAsset("openapi.json"))); }

std::string SessionCookie(std::string_view token, bool tls, int max_age_s) {
  std::string c = "kira_session=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age_s);
  if (tls) c += "; Secure";
  return c;
}

AccountContext AccountCtx(Services& s, const Call& c) {
  AccountContext a{s.store, s.clock, c.who ? c.who->user_id : "system:server"};
  a.min_password_length = s.options->min_password_length;
  return a;
}

void AuditAuth(Services& s, const std::string& clinic, const std::string& user, std::string_view action,
               std::string what) {
  s.audit->Record(AccessEvent{clinic, user, "user", user, std::move(what), std::string(action)});
}

Reply RateLimited(const Call& c, int wait) {
  // Rate limiting is the HTTP layer's own refusal, not a use-case status.
  Reply r = Json(api::ErrorJson("rate_limited", "too many failed log-ins; try again later", "", c.request_id), 429);
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  return r;
}

StatusOr<Reply> Login(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::LoginAttempt req, api::ParseLoginAttempt(c.body));
  const auto now = std::chrono::steady_clock::now();
  std::optional<domain::Credential> cred;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    StatusOr<domain::Credential> got = tx->GetCredential(req.login);
    if (got.ok()) {
      cred = std::move(*got);
    } else if (!got.status().IsNotFound()) {
      return got.status();
    }
  }
  const std::string from = "from " + c.remote_addr;
  if (int wait = s.limiter->RetryAfterSeconds(req.login, c.remote_addr, now); wait > 0) {
    // Coalesced per source and minute (security_audit.h): a flood of
    // throttled attempts cannot grow the audit without limit.
    s.security->LoginThrottled(c.remote_addr, req.login, cred ? cred->clinic_id : "", cred ? cred->user_id : "");
    return RateLimited(c, wait);
  }
  const Status bad = UnauthenticatedError("login or password is wrong");
  if (!cred) {
    VerifyDummy(req.password);
    s.limiter->RecordFailure(req.login, c.remote_addr, now);
    // No clinic to file an unknown login under: the registry's own chain
    // keeps it (a keyed digest of the login, never the text), coalesced.
    s.security->UnknownLoginFailed(c.remote_addr, req.login);
    return bad;
  }
  if (!VerifyPassword(cred->password_hash, req.password) || cred->disabled) {
    s.limiter->RecordFailure(req.login, c.remote_addr, now);
    AuditAuth(s, cred->clinic_id, cred->user_id, "login_failed",
              std::string(cred->disabled ? "disabled account " : "wrong password ") + from);
    return bad;
  }
  if (!cred->totp_secret.empty()) {
    if (req.totp.empty()) {
      return UnauthenticatedError("totp: this account needs the 6-digit code from its authenticator app");
    }
    if (Status t = AcceptTotpCode(AccountCtx(s, c), *cred, req.totp); !t.ok()) {
      if (t.code() != StatusCode::kUnauthenticated) return t;
      s.limiter->RecordFailure(req.login, c.remote_addr, now);
      const bool replay = t.message().find("used already") != std::string_view::npos;
      AuditAuth(s, cred->clinic_id, cred->user_id, "login_failed",
                std::string(replay ? "second-factor code replayed " : "wrong second-factor code ") + from);
      return t;
    }
  }
  domain::User user;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(user, tx->GetUser(cred->clinic_id, cred->user_id));
  }
  s.limiter->RecordSuccess(req.login, c.remote_addr);
  Principal p{user.clinic_id, user.id, cred->login, user.display_name, user.role, ""};
  KIRA_ASSIGN_OR_RETURN(const std::string token, s.sessions->Create(p));
  KIRA_ASSIGN_OR_RETURN(std::optional<Principal> created, s.sessions->Find(token));
  if (!created) return InternalError("session vanished after creation");
  AuditAuth(s, user.clinic_id, user.id, "login", "log-in " + from);
  Reply r = Json(api::LoginJson(token, created->csrf_token, user, cred->login,
                                {created->must_change_password, created->must_enrol_mfa}));
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(s.options->session_absolute_timeout).count();
  r.headers.emplace_back("Set-Cookie", SessionCookie(token, c.tls, static_cast<int>(max_age)));
  return r;
}

StatusOr<Reply> Logout(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(s.sessions->Remove(c.token));
  AuditAuth(s, c.who->clinic_id, c.who->user_id, "logout", "log-out from " + c.remote_addr);
  Reply r = Json(api::FlagJson("logged_out"));
  r.headers.emplace_back("Set-Cookie", SessionCookie("", c.tls, 0));
  return r;
}

StatusOr<Reply> Me(Services&, const Call& c) {
  domain::User u{c.who->clinic_id, c.who->user_id, c.who->display_name, c.who->role};
  return Json(api::MeJson(u, c.who->login, c.who->csrf_token, {c.who->must_change_password, c.who->must_enrol_mfa}));
}

StatusOr<Reply> GuidelineSummary(Services& s, const Call&) { return Json(api::GuidelineSummaryJson(*s.library)); }

StatusOr<Reply> ChangePassword(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::PasswordChange req, api::ParsePasswordChange(c.body));
  KIRA_RETURN_IF_ERROR(
      ChangeOwnPassword(AccountCtx(s, c), c.who->clinic_id, c.who->user_id, req.current_password, req.new_password));
  s.sessions->ForgetUser(c.who->clinic_id, c.who->user_id);
  return Json(api::FlagJson("password_changed"));
}

StatusOr<Reply> BeginTotp(Services&, const Call& c) {
  const std::string secret = NewTotpSecret();
  return Json(api::TotpEnrolmentJson(secret, TotpUri(secret, c.who->login)));
}

StatusOr<Reply> ConfirmTotp(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::TotpConfirm req, api::ParseTotpConfirm(c.body));
  KIRA_RETURN_IF_ERROR(EnrolTotp(AccountCtx(s, c), c.who->clinic_id, c.who->user_id, req.secret, req.code));
  s.sessions->ForgetUser(c.who->clinic_id, c.who->user_id);
  return Json(api::FlagJson("mfa_enrolled"));
}

StatusOr<Reply> EndMySessions(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(int n, EndAccountSessions(AccountCtx(s, c), c.who->clinic_id, c.who->user_id));
  s.sessions->ForgetUser(c.who->clinic_id, c.who->user_id);
  Reply r = Json(api::CountJson("sessions_ended", n));
  r.headers.emplace_back("Set-Cookie", SessionCookie("", c.tls, 0));
  return r;
}

StatusOr<Reply> ListUsers(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(Accounts a, ListAccounts(AccountCtx(s, c), c.who->clinic_id));
  return Json(api::AccountListJson(a.users, a.credentials));
}

StatusOr<Reply> AccountReply(Services& s, const Call& c) {
  s.sessions->ForgetUser(c.who->clinic_id, c.params.at(0));
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::User u, tx->GetUser(c.who->clinic_id, c.params.at(0)));
  StatusOr<domain::Credential> cred = tx->GetCredentialOfUser(c.who->clinic_id, u.id);
  return Json(api::AccountJson(u, cred.ok() ? &*cred : nullptr));
}

StatusOr<Reply> DisableUser(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(SetAccountDisabled(AccountCtx(s, c), c.who->clinic_id, c.params.at(0), true));
  return AccountReply(s, c);
}

StatusOr<Reply> EnableUser(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(SetAccountDisabled(AccountCtx(s, c), c.who->clinic_id, c.params.at(0), false));
  return AccountReply(s, c);
}

StatusOr<Reply> ResetPassword(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(std::string pw, api::ParseNewPassword(c.body));
  KIRA_RETURN_IF_ERROR(ResetAccountPassword(AccountCtx(s, c), c.who->clinic_id, c.params.at(0), pw));
  return AccountReply(s, c);
}

StatusOr<Reply> EndUserSessions(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(int n, EndAccountSessions(AccountCtx(s, c), c.who->clinic_id, c.params.at(0)));
  s.sessions->ForgetUser(c.who->clinic_id, c.params.at(0));
  return Json(api::CountJson("sessions_ended", n));
}

StatusOr<Reply> ChangeRole(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::Role role, api::ParseRoleChange(c.body));
  KIRA_RETURN_IF_ERROR(ChangeAccountRole(AccountCtx(s, c), c.who->clinic_id, c.params.at(0), role));
  return AccountReply(s, c);
}

StatusOr<Reply> ReadAudit(Services& s, const Call& c) {
  auto number = [&](const char* key, long long lo, long long hi, long long fallback) -> StatusOr<long long> {
    const std::string v = Q(c, key);
    if (v.empty()) return fallback;
    char* end = nullptr;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    if (*end != '\0' || x < lo || x > hi) {
      return InvalidArgumentError(std::string(key) + ": must be a whole number in " + std::to_string(lo) + ".." +
                                  std::to_string(hi));
    }
    return x;
  };
  KIRA_ASSIGN_OR_RETURN(const long long after, number("after", 0, 1LL << 53, 0));
  KIRA_ASSIGN_OR_RETURN(const long long limit_ll, number("limit", 1, 1000, 100));
  const int limit = static_cast<int>(limit_ll);
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto rows, tx->ListAudit(c.who->clinic_id, after, limit + 1));
  std::optional<std::int64_t> next;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    next = rows.back().seq;
  }
  AuditRead(s, c, "audit_log", c.who->clinic_id, "GET /api/v1/audit");
  return Json(api::AuditPageJson(rows, next));
}

StatusOr<Reply> VerifyAuditChain(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(registry::AuditVerification v, registry::VerifyAudit(*s.store, c.who->clinic_id));
  return Json(api::AuditVerificationJson(v.ok, v.rows_checked, v.head_seq, v.head_hash, v.bad_seq, v.problem));
}

StatusOr<Reply> Ledger(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(registry::LedgerReconciliation r, registry::ReconcileLedger(*s.store, c.who->clinic_id));
  std::vector<api::LedgerLotRow> lots;
  for (const auto& l : r.lots) {
    lots.push_back({l.lot, units::ToMg(l.received), units::ToMg(l.administered), units::ToMg(l.wasted),
                    units::ToMg(l.returned), units::ToMg(l.balance)});
  }
  std::vector<api::LedgerDiscrepancyRow> discrepancies;
  for (const auto& d : r.discrepancies) {
    discrepancies.push_back({std::string(registry::DiscrepancyKindName(d.kind)), d.lot, d.session_id, d.message});
  }
  AuditRead(s, c, "ledger", c.who->clinic_id, "GET /api/v1/ledger");
  return Json(api::LedgerJson(lots, discrepancies));
}

StatusOr<Reply> CreateUser(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::NewUserRequest req, api::ParseNewUserRequest(c.body));
  req.user.clinic_id = c.who->clinic_id;
  KIRA_RETURN_IF_ERROR(CreateAccount(AccountCtx(s, c), req.user, req.login, req.password));
  return Json(api::UserJson(req.user, req.login), 201);
}

StatusOr<Reply> ListPatients(Services& s, const Call& c) {
  const std::string q = Q(c, "q");
  int limit = 50;
  if (const std::string l = Q(c, "limit"); !l.empty()) {
    char* end = nullptr;
    const long v = std::strtol(l.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 500) return InvalidArgumentError("limit: must be a whole number in 1..500");
    limit = static_cast<int>(v);
  }
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  std::vector<domain::PatientRecord> out;
  storage::Page page{Q(c, "after"), 500};
  std::string next;
  // The search is a filter over pages of the clinic's own patients.
  for (;;) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(c.who->clinic_id, page));
    for (auto& p : batch) {
      if (static_cast<int>(out.size()) == limit) {
        next = out.back().id;
        break;
      }
      if (q.empty() || p.id.find(q) != std::string::npos || p.indication == q) out.push_back(std::move(p));
    }
    if (!next.empty() || static_cast<int>(batch.size()) < page.limit) break;
    page.after_id = batch.back().id;
  }
  AuditRead(s, c, "patient_list", c.who->clinic_id,
            "GET /api/v1/patients (" + std::to_string(out.size()) + " rows" + (q.empty() ? "" : ", search") + ")");
  return Json(api::PatientListJson(out, next));
}

StatusOr<Reply> CreatePatient(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::NewPatientRequest req, api::ParseNewPatientRequest(c.body));
  req.record.clinic_id = c.who->clinic_id;
  if (req.record.id.empty()) req.record.id = NewId("pt-");
  if (!s.library->FindIndication(req.record.indication)) {
    return InvalidArgumentError("indication: unknown indication '" + req.record.indication + "'");
  }
  if (req.identity) {
    req.identity->clinic_id = req.record.clinic_id;
    req.identity->patient_id = req.record.id;
  }
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(*s.store, *s.clock, c.who->user_id,
                                                 [&](registry::UnitOfWork& uow) {
                                                   return registry::AddPatient(uow, req.record, req.identity);
                                                 }));
  return Json(api::PatientJson(req.record, req.identity), 201);
}

StatusOr<Reply> GetPatient(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(storage::Transaction::PatientWithIdentity p,
                        tx->GetPatientWithIdentity(c.who->clinic_id, c.params.at(0)));
  AuditRead(s, c, "patient", p.record.id, "GET /api/v1/patients/{id}");
  return Json(api::PatientJson(p.record, p.identity));
}

registry::Libraries Libs(const Services& s) { return registry::Libraries{s.library, s.advisor, s.instruments}; }

// Records `facts` for the caller's patient {id} (a new version only when
// something changed) and returns the current version.
StatusOr<registry::RecordFactsResult> RecordFactsFor(Services& s, const Call& c, domain::PatientFacts facts) {
  facts.clinic_id = c.who->clinic_id;
  facts.patient_id = c.params.at(0);
  registry::RecordFactsResult out;
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(*s.store, *s.clock, c.who->user_id,
                                                 [&](registry::UnitOfWork& uow) -> Status {
                                                   KIRA_ASSIGN_OR_RETURN(out, registry::RecordFacts(uow, Libs(s), facts));
                                                   return Status::Ok();
                                                 }));
  return out;
}

// A body that is a patient document (the older screen / dose-check shape)
// records its facts before the decision reads them.
bool HasBody(const Call& c) { return c.body.find_first_not_of(" \t\r\n") != std::string::npos; }

StatusOr<Reply> GetFacts(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord p, tx->GetPatient(c.who->clinic_id, c.params.at(0)));
  KIRA_ASSIGN_OR_RETURN(auto versions, tx->ListPatientFacts(c.who->clinic_id, p.id));
  std::optional<domain::PatientFacts> current;
  if (!versions.empty()) current = versions.back();
  KIRA_ASSIGN_OR_RETURN(auto screening,
                        registry::CurrentScreening(*tx, Libs(s), c.who->clinic_id, p.id, Q(c, "route", "iv")));
  AuditRead(s, c, "patient", p.id, "GET /api/v1/patients/{id}/facts");
  return Json(api::FactsRecordJson(current, static_cast<int>(versions.size()), screening));
}

StatusOr<Reply> PostFacts(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(OwnPatient(s, c).status());
  KIRA_ASSIGN_OR_RETURN(domain::PatientFacts facts, api::ParseFactsRequest(c.body, *s.library));
  KIRA_ASSIGN_OR_RETURN(registry::RecordFactsResult r, RecordFactsFor(s, c, std::move(facts)));
  std::optional<domain::ScreeningRecord> iv;
  for (const auto& x : r.screenings) {
    if (x.route == "iv") iv = x;
  }
  return Json(api::FactsRecordJson(r.facts, r.facts.version, iv), r.new_version ? 201 : 200);
}

StatusOr<Reply> ScreenPatient(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord rec, OwnPatient(s, c));
  const std::string route = Q(c, "route", "iv");
  if (!s.library->FindRoute(route)) return InvalidArgumentError("route: unknown route '" + route + "'");
  if (HasBody(c)) {
    KIRA_ASSIGN_OR_RETURN(domain::Patient patient, api::ParsePatient(c.body, *s.library));
    KIRA_RETURN_IF_ERROR(RecordFactsFor(s, c, api::FactsFromPatientDocument(patient)).status());
  }
  registry::ScreenPatientResult r;
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(*s.store, *s.clock, c.who->user_id,
                                                 [&](registry::UnitOfWork& uow) -> Status {
                                                   KIRA_ASSIGN_OR_RETURN(r, registry::ScreenPatient(uow, Libs(s), rec.clinic_id,
                                                                                                    rec.id, route));
                                                   return Status::Ok();
                                                 }));
  AuditRead(s, c, "patient", rec.id, "POST /api/v1/patients/{id}/screen");
  return Json(api::ScreenResultToJson(r.screen, -1));
}

StatusOr<Reply> ListPatientAlerts(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord p, tx->GetPatient(c.who->clinic_id, c.params.at(0)));
  KIRA_ASSIGN_OR_RETURN(auto alerts, tx->ListAlerts(c.who->clinic_id, p.id, Q(c, "open") == "true"));
  AuditRead(s, c, "patient", p.id, "GET /api/v1/patients/{id}/alerts");
  return Json(api::AlertListJson(alerts));
}

StatusOr<Reply> ListOpenAlerts(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto alerts, tx->ListAlerts(c.who->clinic_id, "", true));
  AuditRead(s, c, "alert_list", c.who->clinic_id,
            "GET /api/v1/alerts (" + std::to_string(alerts.size()) + " open)");
  return Json(api::AlertListJson(alerts));
}

StatusOr<Reply> AckAlert(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(std::string reason, api::ParseAlertAckRequest(c.body));
  domain::AlertRecord a;
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(
      *s.store, *s.clock, c.who->user_id, [&](registry::UnitOfWork& uow) -> Status {
        KIRA_ASSIGN_OR_RETURN(a, registry::AcknowledgeAlert(uow, c.who->clinic_id, c.params.at(0), c.who->user_id,
                                                            reason));
        return Status::Ok();
      }));
  return Json(api::AlertJson(a));
}

StatusOr<Reply> EscalateAlert(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(std::string told, api::ParseAlertEscalateRequest(c.body));
  domain::AlertRecord a;
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(
      *s.store, *s.clock, c.who->user_id, [&](registry::UnitOfWork& uow) -> Status {
        KIRA_ASSIGN_OR_RETURN(a, registry::EscalateAlert(uow, c.who->clinic_id, c.params.at(0), c.who->user_id,
                                                         std::move(told)));
        return Status::Ok();
      }));
  return Json(api::AlertJson(a));
}

domain::Override MakeOverride(Services& s, const Call& c, std::string reason) {
  domain::Override o;
  o.who = c.who->display_name + " (" + c.who->user_id + ")";
  o.when = domain::FormatInstant(s.clock->Now());
  o.reason = std::move(reason);
  return o;
}

StatusOr<Reply> DoseCheck(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord rec, OwnPatient(s, c));
  KIRA_ASSIGN_OR_RETURN(api::DoseCheckRequest req, api::ParseDoseCheckRequest(c.body, *s.library));
  if (!req.override_reason.empty()) {
    if (c.who->role != domain::Role::kClinician) {
      return PermissionDeniedError("override_reason: only a clinician may override a soft limit");
    }
    req.dose.override_ = MakeOverride(s, c, req.override_reason);
  }
  if (req.patient) {
    KIRA_RETURN_IF_ERROR(RecordFactsFor(s, c, api::FactsFromPatientDocument(*req.patient)).status());
  }
  // The dose is decided on the stored clinical record, never on the form.
  domain::Patient patient;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(domain::PatientFacts facts, registry::CurrentFacts(*tx, rec.clinic_id, rec.id));
    if (!facts.weight_kg) return FailedPreconditionError("weight: the patient's recorded facts have no weight");
    patient = registry::AdvisorPatient(rec, facts, s.clock->Now());
  }
  KIRA_ASSIGN_OR_RETURN(advisor::DoseResult r, advisor::CheckDose(*s.library, patient, req.dose));
  AuditRead(s, c, "patient", rec.id, "POST /api/v1/patients/{id}/dose-check");
  return Json(api::DoseResultToJson(r, -1));
}

StatusOr<Reply> ListPatientSessions(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord p, tx->GetPatient(c.who->clinic_id, c.params.at(0)));
  KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(c.who->clinic_id, p.id));
  AuditRead(s, c, "patient", p.id, "GET /api/v1/patients/{id}/sessions");
  return Json(api::SessionListJson(sessions));
}

StatusOr<Reply> RecordSession(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord p, OwnPatient(s, c));
  KIRA_ASSIGN_OR_RETURN(api::NewSessionRequest req, api::ParseNewSessionRequest(c.body));
  registry::RecordSessionRequest rr;
  rr.session = std::move(req.session);
  rr.session.clinic_id = c.who->clinic_id;
  rr.session.id = NewId("ss-");
  rr.session.patient_id = p.id;
  rr.session.recorded_by = c.who->user_id;
  rr.actor = c.who->user_id;
  rr.devices = req.devices;
  if (units::ToKg(rr.session.dosing_weight) <= 0) {
    // Not given: the stored weight (the dose check reads the stored facts either way).
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(domain::PatientFacts facts, registry::CurrentFacts(*tx, p.clinic_id, p.id));
    if (!facts.weight_kg) return FailedPreconditionError("weight: the patient's recorded facts have no weight");
    rr.session.dosing_weight = units::Kg(*facts.weight_kg);
  }
  if (!req.override_reason.empty()) rr.override_ = MakeOverride(s, c, req.override_reason);
  KIRA_ASSIGN_OR_RETURN(registry::RecordSessionResult result, s.recorder->Record(rr));
  if (result.stored) {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(rr.session, tx->GetSession(c.who->clinic_id, rr.session.id));
  }
  // A refusal is a clinical result (200 with stored=false), not an error.
  return Json(api::RecordSessionResultJson(result.stored, rr.session, api::DecisionToJson(result.decision, -1),
                                           result.refusal),
              result.stored ? 201 : 200);
}

StatusOr<Reply> ListAssessments(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord p, tx->GetPatient(c.who->clinic_id, c.params.at(0)));
  KIRA_ASSIGN_OR_RETURN(auto items, tx->ListAssessments(c.who->clinic_id, p.id));
  AuditRead(s, c, "patient", p.id, "GET /api/v1/patients/{id}/assessments");
  // Response and remission lines from PHQ-9's rules in instruments.json.
  std::optional<api::OutcomeReference> ref;
  const instruments::Instrument* phq9 = s.instruments ? s.instruments->Find("phq9") : nullptr;
  if (phq9 && phq9->response && phq9->response->min_percent_fall && phq9->remission) {
    for (const auto& a : items) {
      if (a.instrument != phq9->id) continue;
      ref = api::OutcomeReference{phq9->id, a.total, a.total * (1.0 - *phq9->response->min_percent_fall / 100.0),
                                  static_cast<int>(phq9->remission->value),
                                  phq9->response->source.citation + "; " + phq9->remission->source.citation};
      break;
    }
  }
  return Json(api::AssessmentListJson(items, ref));
}

StatusOr<Reply> AddAssessment(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::Assessment a, api::ParseAssessmentRequest(c.body));
  a.clinic_id = c.who->clinic_id;
  a.patient_id = c.params.at(0);
  a.id = NewId("as-");
  KIRA_RETURN_IF_ERROR(OwnPatient(s, c).status());
  registry::RecordAssessmentResult r;
  KIRA_RETURN_IF_ERROR(registry::RunInUnitOfWork(
      *s.store, *s.clock, c.who->user_id, [&](registry::UnitOfWork& uow) -> Status {
        KIRA_ASSIGN_OR_RETURN(r, registry::RecordAssessment(uow, Libs(s), a));
        return Status::Ok();
      }));
  return Json(api::AssessmentJson(r.assessment, r.alerts), 201);
}

StatusOr<Reply> GetSession(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  const std::string& clinic = c.who->clinic_id;
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord ss, tx->GetSession(clinic, c.params.at(0)));
  KIRA_ASSIGN_OR_RETURN(auto vitals, tx->ListVitals(clinic, ss.id));
  KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic, ss.id));
  KIRA_ASSIGN_OR_RETURN(auto overrides, tx->ListOverrides(clinic, ss.id));
  AuditRead(s, c, "session", ss.id, "GET /api/v1/sessions/{id}");
  return Json(api::SessionDetailJson(ss, vitals, events, overrides));
}

StatusOr<Reply> FinishSession(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::FinishSessionRequest req, api::ParseFinishSessionRequest(c.body));
  registry::FinishSessionRequest fr;
  fr.clinic_id = c.who->clinic_id;
  fr.session_id = c.params.at(0);
  fr.state = req.state;
  fr.given_dose = req.given_dose;
  fr.stopped_at = req.stopped_at;
  fr.actor = c.who->user_id;
  if (!req.override_reason.empty()) fr.override_ = MakeOverride(s, c, req.override_reason);
  KIRA_ASSIGN_OR_RETURN(registry::RecordSessionResult result, s.recorder->Finish(fr));
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord ss, tx->GetSession(fr.clinic_id, fr.session_id));
  return Json(api::RecordSessionResultJson(result.stored, ss, api::DecisionToJson(result.decision, -1),
                                           result.refusal));
}

// Runs `add` for a record hanging off the caller's session {id}; a session of
// another clinic is NotFound.
template <class T, class Add>
Status AddToSession(Services& s, const Call& c, T& record, Add add) {
  record.clinic_id = c.who->clinic_id;
  record.session_id = c.params.at(0);
  return registry::RunInUnitOfWork(*s.store, *s.clock, c.who->user_id,
                                   [&](registry::UnitOfWork& uow) -> Status {
                                     KIRA_RETURN_IF_ERROR(
                                         uow.tx().GetSession(record.clinic_id, record.session_id).status());
                                     return add(uow, record);
                                   });
}

StatusOr<Reply> AddVital(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::VitalSign v, api::ParseVitalRequest(c.body));
  v.id = NewId("vs-");
  KIRA_RETURN_IF_ERROR(AddToSession(s, c, v, registry::AddVital));
  return Json(api::VitalJson(v), 201);
}

StatusOr<Reply> AddAdverseEvent(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::AdverseEvent e, api::ParseAdverseEventRequest(c.body));
  e.id = NewId("ae-");
  KIRA_RETURN_IF_ERROR(AddToSession(s, c, e, registry::AddAdverseEvent));
  return Json(api::AdverseEventJson(e), 201);
}

StatusOr<Reply> RegistrySummary(Services& s, const Call& c) {
  const instruments::Instrument* phq9 = s.instruments ? s.instruments->Find("phq9") : nullptr;
  if (!phq9 || !phq9->response || !phq9->response->min_percent_fall || !phq9->remission)
    return FailedPreconditionError("the instruments library (PHQ-9 rules) is not loaded in this server");
  KIRA_ASSIGN_OR_RETURN(registry::Dashboard d, registry::BuildDashboard(*s.store, c.who->clinic_id, *phq9));
  // A researcher sees small cells suppressed (below the min_cell_count
  // setting; null in the document) and adverse events only by coded type:
  // a type outside the advisor library's symptom vocabulary is free text a
  // nurse typed and is counted under "other (uncoded)".
  const bool researcher = c.who->role == domain::Role::kResearcher;
  const int k = s.options ? s.options->min_cell_count : 5;
  auto count = [&](int v) { return researcher && v > 0 && v < k ? std::string("null") : std::to_string(v); };
  if (researcher) {
    std::map<std::string, int> coded;
    for (const auto& [type, n] : d.adverse_events_by_type) {
      const bool known = s.advisor && std::find(s.advisor->rescue.symptoms.begin(), s.advisor->rescue.symptoms.end(),
                                                type) != s.advisor->rescue.symptoms.end();
      coded[known ? type : "other (uncoded)"] += n;
    }
    d.adverse_events_by_type = std::move(coded);
  }
  auto map_json = [&](const std::map<std::string, int>& m) {
    std::string out = "{";
    for (const auto& [key, v] : m) {
      if (out.size() > 1) out += ",";
      out += api::Escape(key) + ":" + count(v);
    }
    return out + "}";
  };
  std::string body = "{\"clinic_id\":" + api::Escape(c.who->clinic_id) +
                     ",\"patients\":" + count(d.patients) +
                     ",\"patients_by_indication\":" + map_json(d.patients_by_indication) +
                     ",\"sessions\":" + count(d.sessions) +
                     ",\"sessions_by_outcome\":" + map_json(d.sessions_by_outcome) +
                     ",\"adverse_events\":" + count(d.adverse_events) +
                     ",\"adverse_events_by_type\":" + map_json(d.adverse_events_by_type) +
                     ",\"overrides\":" + count(d.overrides) +
                     ",\"phq9\":{\"evaluable\":" + count(d.phq9_evaluable) +
                     ",\"responders\":" + count(d.phq9_responders) +
                     ",\"remitters\":" + count(d.phq9_remitters) +
                     ",\"response_fraction\":" + std::to_string(*phq9->response->min_percent_fall / 100.0) +
                     ",\"remission_below\":" + std::to_string(phq9->remission->value) + "}" +
                     ",\"suppressed_below\":" + (researcher ? std::to_string(k) : std::string("null")) + "}";
  AuditRead(s, c, "registry_summary", c.who->clinic_id, "GET /api/v1/registry/summary");
  return Json(std::move(body));
}

Status NeedAdvisor(const Services& s) {
  if (!s.advisor || !s.instruments) return FailedPreconditionError("the advisor library is not loaded in this server");
  return Status::Ok();
}

}  // namespace

// The timeline of a stored session of the caller's clinic plus the body
// (also used by workflow_routes.cc to record a discharge).
StatusOr<advisor::SessionTimeline> SessionTimelineOf(Services& s, const Call& c) {
  domain::SessionRecord ss;
  domain::PatientRecord p;
  std::vector<domain::VitalSign> vitals;
  std::vector<domain::AdverseEvent> events;
  std::optional<domain::PatientFacts> facts;
  std::optional<domain::ScreeningRecord> screening;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(ss, tx->GetSession(c.who->clinic_id, c.params.at(0)));
    KIRA_ASSIGN_OR_RETURN(p, tx->GetPatient(c.who->clinic_id, ss.patient_id));
    // Voided and corrected-away readings do not count (registry/workflow.h).
    KIRA_ASSIGN_OR_RETURN(vitals, registry::EffectiveVitals(*tx, c.who->clinic_id, ss.id));
    KIRA_ASSIGN_OR_RETURN(events, tx->ListAdverseEvents(c.who->clinic_id, ss.id));
    // The patient's own baseline and the stored screening, never a form default.
    auto f = tx->GetCurrentPatientFacts(c.who->clinic_id, p.id);
    if (f.ok()) {
      facts = std::move(*f);
    } else if (!f.status().IsNotFound()) {
      return f.status();
    }
    const guideline::Protocol* proto = s.library->FindProtocol(ss.protocol_id);
    KIRA_ASSIGN_OR_RETURN(screening, registry::CurrentScreening(*tx, Libs(s), c.who->clinic_id, p.id,
                                                                proto ? proto->route : "iv"));
  }
  const std::set<std::string> symptoms(s.advisor->rescue.symptoms.begin(), s.advisor->rescue.symptoms.end());
  AuditRead(s, c, "session", ss.id, "POST /api/v1/sessions/{id}/monitor|discharge");
  return api::ParseSessionCheckRequest(c.body, ss, p.indication, vitals, events, symptoms, facts, screening);
}

namespace {

StatusOr<Reply> MonitorSession(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(NeedAdvisor(s));
  KIRA_ASSIGN_OR_RETURN(advisor::SessionTimeline tl, SessionTimelineOf(s, c));
  return Json(api::MonitorResultToJson(advisor::Monitor(*s.advisor, tl)));
}

StatusOr<Reply> DischargeSession(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(NeedAdvisor(s));
  KIRA_ASSIGN_OR_RETURN(advisor::SessionTimeline tl, SessionTimelineOf(s, c));
  KIRA_ASSIGN_OR_RETURN(domain::Decision d, advisor::EvaluateDischarge(*s.advisor, tl));
  return Json(api::DecisionToJson(d, -1));
}

// The plan history as the registry holds it: one entry per stored session
// (completed unless stopped) and, for the template's response instrument,
// the baseline (the last score before the first session) and the latest
// score on or after each session's day and before the next session.
advisor::PlanHistory HistoryFromRecords(const std::string& instrument,
                                        const std::vector<domain::SessionRecord>& sessions,
                                        const std::vector<domain::Assessment>& scores) {
  advisor::PlanHistory h;
  h.instrument = instrument;
  using std::chrono::floor;
  using std::chrono::days;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    advisor::HistorySession hs;
    hs.date = floor<days>(sessions[i].started_at);
    hs.completed = sessions[i].state != domain::SessionState::kStopped;
    const domain::Instant from = sessions[i].started_at;
    const bool last = i + 1 == sessions.size();
    for (const auto& a : scores) {
      if (a.instrument != instrument) continue;
      if (a.at < sessions.front().started_at) h.baseline_score = a.total;
      if (a.at >= from && (last || a.at < sessions[i + 1].started_at)) hs.score = a.total;
    }
    h.sessions.push_back(hs);
  }
  return h;
}

StatusOr<Reply> PlanPatient(Services& s, const Call& c) {
  KIRA_RETURN_IF_ERROR(NeedAdvisor(s));
  KIRA_ASSIGN_OR_RETURN(api::PlanCall call, api::ParsePlanCallRequest(c.body));
  domain::PatientRecord p;
  std::vector<domain::SessionRecord> sessions;
  std::vector<domain::Assessment> scores;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(p, tx->GetPatient(c.who->clinic_id, c.params.at(0)));
    KIRA_ASSIGN_OR_RETURN(sessions, tx->ListPatientSessions(c.who->clinic_id, p.id));
    KIRA_ASSIGN_OR_RETURN(scores, tx->ListAssessments(c.who->clinic_id, p.id));
  }
  call.request.indication = p.indication;
  const advisor::PlanTemplate* t = s.advisor->TemplateFor(p.indication, call.request.route);
  if (!t) return InvalidArgumentError("route: no plan template for indication '" + p.indication + "' and route '" +
                                      call.request.route + "'");
  if (!call.override_reason.empty()) {
    if (c.who->role != domain::Role::kClinician) {
      return PermissionDeniedError("override_reason: only a clinician may pass the annual cap");
    }
    call.request.cap_override = MakeOverride(s, c, call.override_reason);
  }
  std::vector<std::string> recorded;
  for (const auto& a : scores) recorded.push_back(a.instrument);
  const advisor::PlanHistory history =
      call.history ? *call.history
                   : HistoryFromRecords(advisor::PickPlanInstrument(*t, recorded), sessions, scores);
  advisor::PlanClock clock;
  clock.now = std::chrono::floor<std::chrono::seconds>(s.clock->Now());
  KIRA_ASSIGN_OR_RETURN(advisor::PlanResult r, advisor::PlanNext(*s.advisor, *s.instruments, call.request, history, clock));
  AuditRead(s, c, "patient", p.id, "POST /api/v1/patients/{id}/plan");
  return Json(api::PlanResultToJson(r));
}

}  // namespace

unsigned RoleBitOf(domain::Role r) {
  switch (r) {
    case domain::Role::kAdmin: return kAdmin;
    case domain::Role::kClinician: return kClinician;
    case domain::Role::kNurse: return kNurse;
    case domain::Role::kResearcher: return kResearcher;
    case domain::Role::kPharmacist: return kPharmacist;
    case domain::Role::kAuditor: return kAuditor;
  }
  return 0;
}

std::string RolesText(unsigned roles) {
  if (roles == kPublic) return "public";
  roles &= ~kSetup;
  if (roles == kAnyRole) return "any";
  std::string out;
  for (auto [bit, name] : {std::pair{kAdmin, "admin"}, std::pair{kClinician, "clinician"},
                           std::pair{kNurse, "nurse"}, std::pair{kResearcher, "researcher"},
                           std::pair{kPharmacist, "pharmacist"}, std::pair{kAuditor, "auditor"}}) {
    if (roles & bit) out += (out.empty() ? "" : ",") + std::string(name);
  }
  return out;
}

bool AnswersOnIoThread(const Route& route) {
  // Point reads by key: a few index lookups on the read pool and no write
  // lock, so they never hold an I/O thread for long. Anything that scans,
  // writes, hashes a password or calls the Advisor stays on the workers, and
  // so does /healthz: a liveness check must go through the worker pool, or
  // it would answer "ok" while every worker is stuck.
  static constexpr std::pair<std::string_view, std::string_view> kQuick[] = {
      {"GET", "/api/v1/me"},
      {"GET", "/api/v1/patients/{id}"},
  };
  for (const auto& [method, path] : kQuick) {
    if (method == route.method && path == route.path) return true;
  }
  return false;
}

std::span<const Route> RouteTable() {
  // The clinic-day routes (workflow_routes.cc) follow this file's table.
  static const std::vector<Route> all = [] {
    std::vector<Route> v(std::begin(kRoutes), std::end(kRoutes));
    const std::span<const Route> w = WorkflowRoutes();
    v.insert(v.end(), w.begin(), w.end());
    const std::span<const Route> research = ResearchRoutes();
    v.insert(v.end(), research.begin(), research.end());
    return v;
  }();
  return all;
}

}  // namespace kira::server::internal
