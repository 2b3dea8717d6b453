// Account management use cases shared by the API (server/routes.cc) and the
// CLI (`kira user ...`): each is one UnitOfWork that changes the credential
// or user and appends its audit row (which names flags and roles, never a
// hash or a secret). Ending sessions deletes their rows in the same
// transaction; the calling process also drops them from its SessionTable
// cache (SessionTable::ForgetUser).
#ifndef KIRA_SERVER_ACCOUNTS_H_
#define KIRA_SERVER_ACCOUNTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/registry/clock.h"
#include "kira/server/auth.h"
#include "kira/storage/store.h"

namespace kira::server {

struct AccountContext {
  storage::Store* store;
  const registry::Clock* clock;
  std::string actor;  // user id or "system:cli"
  std::size_t min_password_length = 12;
  PasswordCost cost{};
};

struct Accounts {
  std::vector<domain::User> users;
  std::vector<domain::Credential> credentials;  // callers must not render hashes or secrets
};
StatusOr<Accounts> ListAccounts(const AccountContext& ctx, std::string_view clinic_id);

// Adds a user with a log-in; the password must pass the policy.
// "login: not available" (AlreadyExists) when the login is taken anywhere in
// the registry, whichever clinic holds it.
Status CreateAccount(const AccountContext& ctx, const domain::User& user, std::string_view login,
                     std::string_view password, bool create_clinic = false);
// Disables (ending every session) or re-enables a user's log-in.
Status SetAccountDisabled(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                          bool disabled);
// Sets a temporary password (policy-checked) that must be changed at the
// next log-in, and ends every session.
Status ResetAccountPassword(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                            std::string_view temporary_password);
// Ends every session of a user; returns how many.
StatusOr<int> EndAccountSessions(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id);
// Changes a user's role and ends their sessions (so the new role applies
// at once). An admin may not demote themself (the clinic keeps an admin).
Status ChangeAccountRole(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                         domain::Role role);
// The user's own password change: the current password must match; clears
// must_change_password.
Status ChangeOwnPassword(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                         std::string_view current_password, std::string_view new_password);
// Accepts a log-in's TOTP `code` at most once: Unauthenticated naming
// "totp" when it does not match the credential's secret now, or when its
// time step (or a later one) was used before (a replay, within the code's
// window, through this process or another on the registry).
Status AcceptTotpCode(const AccountContext& ctx, const domain::Credential& credential, std::string_view code);
// Turns on the second factor with `secret` once `code` matches it (the
// code's step counts as used).
Status EnrolTotp(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                 std::string_view secret, std::string_view code);

}  // namespace kira::server

#endif  // KIRA_SERVER_ACCOUNTS_H_
