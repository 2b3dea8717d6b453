#include "kira/api/auth_json.h"

#include "kira/api/internal/json_reader.h"
#include "kira/api/server_json.h"

namespace kira::api {

using internal::FieldError;
using internal::Json;
using internal::ObjectReader;

namespace {

StatusOr<std::string> Text(ObjectReader& r, const char* key, bool required, std::size_t max_len = 1024) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key, required));
  if (required && s.empty()) return FieldError(r.PathOf(key), "must not be empty");
  if (s.size() > max_len) {
    return FieldError(r.PathOf(key), "must be at most " + std::to_string(max_len) + " characters");
  }
  return s;
}

StatusOr<ObjectReader> Root(const Json& j) { return ObjectReader::Make(j, ""); }

Json UserObj(const domain::User& u, std::string_view login) {
  return Json{{"id", u.id},
              {"clinic_id", u.clinic_id},
              {"display_name", u.display_name},
              {"role", domain::RoleName(u.role)},
              {"login", std::string(login)}};
}

}  // namespace

StatusOr<LoginAttempt> ParseLoginAttempt(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  LoginAttempt out;
  KIRA_ASSIGN_OR_RETURN(out.login, Text(r, "login", true, 200));
  KIRA_ASSIGN_OR_RETURN(out.password, Text(r, "password", true));
  KIRA_ASSIGN_OR_RETURN(out.totp, Text(r, "totp", false, 16));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<PasswordChange> ParsePasswordChange(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  PasswordChange out;
  KIRA_ASSIGN_OR_RETURN(out.current_password, Text(r, "current_password", true));
  KIRA_ASSIGN_OR_RETURN(out.new_password, Text(r, "new_password", true));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<TotpConfirm> ParseTotpConfirm(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  TotpConfirm out;
  KIRA_ASSIGN_OR_RETURN(out.secret, Text(r, "secret", true, 128));
  KIRA_ASSIGN_OR_RETURN(out.code, Text(r, "code", true, 16));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<std::string> ParseNewPassword(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  KIRA_ASSIGN_OR_RETURN(std::string pw, Text(r, "new_password", true));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return pw;
}

StatusOr<domain::Role> ParseRoleChange(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  KIRA_ASSIGN_OR_RETURN(std::string s, Text(r, "role", true, 32));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  domain::Role role{};
  if (!domain::ParseRole(s, &role)) {
    return FieldError("role", "must be admin, clinician, nurse, pharmacist, auditor or researcher, got '" + s + "'");
  }
  return role;
}

std::string LoginJson(std::string_view token, std::string_view csrf_token, const domain::User& user,
                      std::string_view login, SessionFlags flags) {
  return Json{{"token", std::string(token)},
              {"csrf_token", std::string(csrf_token)},
              {"user", UserObj(user, login)},
              {"must_change_password", flags.must_change_password},
              {"must_enrol_mfa", flags.must_enrol_mfa}}
      .dump();
}

std::string MeJson(const domain::User& user, std::string_view login, std::string_view csrf_token,
                   SessionFlags flags) {
  return Json{{"user", UserObj(user, login)},
              {"csrf_token", std::string(csrf_token)},
              {"must_change_password", flags.must_change_password},
              {"must_enrol_mfa", flags.must_enrol_mfa}}
      .dump();
}

namespace {
Json AccountObj(const domain::User& u, const domain::Credential* c) {
  Json j = UserObj(u, c ? c->login : "");
  j["can_log_in"] = c != nullptr && !c->disabled;
  j["disabled"] = c != nullptr && c->disabled;
  j["must_change_password"] = c != nullptr && c->must_change_password;
  j["mfa_enrolled"] = c != nullptr && !c->totp_secret.empty();
  return j;
}
}  // namespace

std::string AccountJson(const domain::User& user, const domain::Credential* credential) {
  return AccountObj(user, credential).dump();
}

std::string AccountListJson(const std::vector<domain::User>& users, const std::vector<domain::Credential>& creds) {
  Json arr = Json::array();
  for (const auto& u : users) {
    const domain::Credential* c = nullptr;
    for (const auto& x : creds) {
      if (x.user_id == u.id) c = &x;
    }
    arr.push_back(AccountObj(u, c));
  }
  return Json{{"users", arr}}.dump();
}

std::string TotpEnrolmentJson(std::string_view secret, std::string_view uri) {
  return Json{{"secret", std::string(secret)}, {"otpauth_uri", std::string(uri)}}.dump();
}

std::string AuditPageJson(const std::vector<domain::AuditEntry>& entries, std::optional<std::int64_t> next_after) {
  Json arr = Json::array();
  for (const auto& e : entries) {
    arr.push_back(Json{{"seq", e.seq},
                       {"at", domain::FormatInstant(e.at)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"entity", e.entity},
                       {"entity_id", e.entity_id},
                       {"before", e.before},
                       {"after", e.after},
                       {"prev_hash", e.prev_hash},
                       {"hash", e.hash}});
  }
  Json j{{"entries", arr}};
  j["next_after"] = next_after ? Json(*next_after) : Json(nullptr);
  return j.dump();
}

std::string AuditVerificationJson(bool ok, std::int64_t rows_checked, std::int64_t head_seq,
                                  std::string_view head_hash, std::int64_t bad_seq, std::string_view problem) {
  return Json{{"ok", ok},
              {"rows_checked", rows_checked},
              {"head_seq", head_seq},
              {"head_hash", std::string(head_hash)},
              {"bad_seq", bad_seq},
              {"problem", std::string(problem)}}
      .dump();
}

std::string LedgerJson(const std::vector<LedgerLotRow>& lots, const std::vector<LedgerDiscrepancyRow>& discrepancies) {
  Json l = Json::array(), d = Json::array();
  for (const auto& x : lots) {
    l.push_back(Json{{"lot", x.lot},
                     {"received_mg", x.received_mg},
                     {"administered_mg", x.administered_mg},
                     {"wasted_mg", x.wasted_mg},
                     {"returned_mg", x.returned_mg},
                     {"balance_mg", x.balance_mg}});
  }
  for (const auto& x : discrepancies) {
    d.push_back(Json{{"kind", x.kind}, {"lot", x.lot}, {"session_id", x.session_id}, {"message", x.message}});
  }
  return Json{{"lots", l}, {"discrepancies", d}}.dump();
}

std::string CountJson(std::string_view key, std::int64_t value) { return Json{{std::string(key), value}}.dump(); }
std::string FlagJson(std::string_view key) { return Json{{std::string(key), true}}.dump(); }

}  // namespace kira::api
