// Wire types of the log-in, account and audit-viewer routes of `kira serve`.
// Password hashes and TOTP secrets of stored credentials never appear in
// any of these documents.
#ifndef KIRA_API_AUTH_JSON_H_
#define KIRA_API_AUTH_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"

namespace kira::api {

// POST /api/v1/login: {"login", "password", "totp"?}
struct LoginAttempt {
  std::string login;
  std::string password;
  std::string totp;  // six digits; required when the user has a second factor
};
StatusOr<LoginAttempt> ParseLoginAttempt(std::string_view text);

// POST /api/v1/me/password: {"current_password", "new_password"}
struct PasswordChange {
  std::string current_password;
  std::string new_password;
};
StatusOr<PasswordChange> ParsePasswordChange(std::string_view text);

// POST /api/v1/me/totp/confirm: {"secret", "code"}
struct TotpConfirm {
  std::string secret;
  std::string code;
};
StatusOr<TotpConfirm> ParseTotpConfirm(std::string_view text);

// POST /api/v1/users/{id}/reset-password: {"new_password"}
StatusOr<std::string> ParseNewPassword(std::string_view text);
// POST /api/v1/users/{id}/role: {"role"}
StatusOr<domain::Role> ParseRoleChange(std::string_view text);

// The account flags a session carries (see server/auth.h Principal).
struct SessionFlags {
  bool must_change_password = false;
  bool must_enrol_mfa = false;
};

// {"token", "csrf_token", "user": UserJson, "must_change_password", "must_enrol_mfa"}
std::string LoginJson(std::string_view token, std::string_view csrf_token, const domain::User& user,
                      std::string_view login, SessionFlags flags);
// {"user": UserJson, "csrf_token", "must_change_password", "must_enrol_mfa"}
std::string MeJson(const domain::User& user, std::string_view login, std::string_view csrf_token,
                   SessionFlags flags);
// One account: the user plus its log-in state (never the hash or secret).
std::string AccountJson(const domain::User& user, const domain::Credential* credential);
// {"users": [AccountJson...]}
std::string AccountListJson(const std::vector<domain::User>& users, const std::vector<domain::Credential>& creds);
// {"secret", "otpauth_uri"}
std::string TotpEnrolmentJson(std::string_view secret, std::string_view uri);
// {"entries": [...], "next_after": seq or null}
std::string AuditPageJson(const std::vector<domain::AuditEntry>& entries, std::optional<std::int64_t> next_after);
// {"ok", "rows_checked", "head_seq", "head_hash", "bad_seq", "problem"}
std::string AuditVerificationJson(bool ok, std::int64_t rows_checked, std::int64_t head_seq,
                                  std::string_view head_hash, std::int64_t bad_seq, std::string_view problem);
// GET /api/v1/ledger: {"lots": [{"lot", "received_mg", "administered_mg", "wasted_mg", "returned_mg",
// "balance_mg"}], "discrepancies": [{"kind", "lot", "session_id", "message"}]}
struct LedgerLotRow {
  std::string lot;
  double received_mg, administered_mg, wasted_mg, returned_mg, balance_mg;
};
struct LedgerDiscrepancyRow {
  std::string kind, lot, session_id, message;
};
std::string LedgerJson(const std::vector<LedgerLotRow>& lots, const std::vector<LedgerDiscrepancyRow>& discrepancies);
// {"<key>": value} with an integer value, e.g. {"sessions_ended": 3}
std::string CountJson(std::string_view key, std::int64_t value);
// {"<key>": true}
std::string FlagJson(std::string_view key);

}  // namespace kira::api

#endif  // KIRA_API_AUTH_JSON_H_
