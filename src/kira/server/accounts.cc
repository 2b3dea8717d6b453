#include "kira/server/accounts.h"

#include "kira/registry/clinical.h"
#include "kira/registry/unit_of_work.h"

namespace kira::server {

namespace {

std::string Flags(const domain::Credential& c) {
  return "login=" + c.login + ";disabled=" + (c.disabled ? "1" : "0") +
         ";must_change_password=" + (c.must_change_password ? "1" : "0") +
         ";mfa=" + (c.totp_secret.empty() ? "0" : "1");
}

// Loads the user's credential inside `uow`; a user of another clinic is
// NotFound, like one that does not exist.
StatusOr<domain::Credential> CredentialOf(registry::UnitOfWork& uow, std::string_view clinic_id,
                                          std::string_view user_id) {
  KIRA_RETURN_IF_ERROR(uow.tx().GetUser(clinic_id, user_id).status());
  StatusOr<domain::Credential> c = uow.tx().GetCredentialOfUser(clinic_id, user_id);
  if (!c.ok() && c.status().IsNotFound()) return NotFoundError("user '" + std::string(user_id) + "' has no log-in");
  return c;
}

Status UpdateCredential(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                        std::string_view what, bool end_sessions,
                        const std::function<Status(domain::Credential&)>& change) {
  return registry::RunInUnitOfWork(*ctx.store, *ctx.clock, ctx.actor, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(domain::Credential c, CredentialOf(uow, clinic_id, user_id));
    const std::string before = Flags(c);
    KIRA_RETURN_IF_ERROR(change(c));
    KIRA_RETURN_IF_ERROR(uow.tx().UpdateCredential(c));
    std::string after = Flags(c) + ";" + std::string(what);
    if (end_sessions) {
      KIRA_ASSIGN_OR_RETURN(int n, uow.tx().DeleteUserAuthSessions(clinic_id, user_id));
      after += ";sessions_ended=" + std::to_string(n);
    }
    return uow.Audit(clinic_id, "update", "credential", user_id, before, after);
  });
}

// Marks TOTP time step `step` of `login` used; false when it (or a later
// one) was used already.
StatusOr<bool> ClaimStep(const AccountContext& ctx, std::string_view login, std::int64_t step) {
  KIRA_ASSIGN_OR_RETURN(auto tx, ctx.store->Begin());
  KIRA_ASSIGN_OR_RETURN(bool fresh, tx->ClaimTotpStep(login, step));
  if (fresh) KIRA_RETURN_IF_ERROR(tx->Commit());
  return fresh;
}

}  // namespace

StatusOr<Accounts> ListAccounts(const AccountContext& ctx, std::string_view clinic_id) {
  KIRA_ASSIGN_OR_RETURN(auto tx, ctx.store->BeginRead());
  Accounts out;
  KIRA_ASSIGN_OR_RETURN(out.users, tx->ListUsers(clinic_id));
  KIRA_ASSIGN_OR_RETURN(out.credentials, tx->ListCredentials(clinic_id));
  return out;
}

Status CreateAccount(const AccountContext& ctx, const domain::User& user, std::string_view login,
                     std::string_view password, bool create_clinic) {
  if (login.empty()) return InvalidArgumentError("login: must not be empty");
  KIRA_RETURN_IF_ERROR(CheckPasswordPolicy(password, login, ctx.min_password_length));
  KIRA_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, ctx.cost));
  Status s = registry::RunInUnitOfWork(*ctx.store, *ctx.clock, ctx.actor, [&](registry::UnitOfWork& uow) -> Status {
    if (create_clinic) {
      KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, domain::Clinic{user.clinic_id, user.clinic_id, "UTC"}));
    }
    // The login namespace is registry-wide; a taken login gets the same
    // answer whichever clinic holds it, and nothing about that clinic.
    StatusOr<domain::Credential> taken = uow.tx().GetCredential(login);
    if (taken.ok()) return AlreadyExistsError("login: not available; choose another");
    if (!taken.status().IsNotFound()) return taken.status();
    StatusOr<domain::User> existing = uow.tx().GetUser(user.clinic_id, user.id);
    if (existing.ok()) return AlreadyExistsError("id: a user with this id already exists in the clinic");
    if (!existing.status().IsNotFound()) return existing.status();
    KIRA_RETURN_IF_ERROR(registry::AddUser(uow, user));
    KIRA_RETURN_IF_ERROR(uow.tx().InsertCredential({std::string(login), user.clinic_id, user.id, hash}));
    // The audit row names the login, never the hash.
    return uow.Audit(user.clinic_id, "insert", "credential", user.id, "", "login=" + std::string(login));
  });
  if (s.code() == StatusCode::kAlreadyExists && s.message().rfind("login:", 0) != 0 && s.message().rfind("id:", 0) != 0) {
    // A concurrent insert of the same login or id won the race.
    return AlreadyExistsError("login: not available; choose another");
  }
  return s;
}

Status SetAccountDisabled(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                          bool disabled) {
  if (disabled && ctx.actor == user_id) return InvalidArgumentError("id: you may not disable your own log-in");
  return UpdateCredential(ctx, clinic_id, user_id, disabled ? "disabled" : "enabled", disabled,
                          [&](domain::Credential& c) {
                            c.disabled = disabled;
                            return Status::Ok();
                          });
}

Status ResetAccountPassword(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                            std::string_view temporary_password) {
  KIRA_ASSIGN_OR_RETURN(std::string hash, HashPassword(temporary_password, ctx.cost));
  return UpdateCredential(ctx, clinic_id, user_id, "password reset", true, [&](domain::Credential& c) {
    KIRA_RETURN_IF_ERROR(CheckPasswordPolicy(temporary_password, c.login, ctx.min_password_length)
                             .WithContext("new_password"));
    c.password_hash = hash;
    c.must_change_password = true;
    return Status::Ok();
  });
}

StatusOr<int> EndAccountSessions(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id) {
  int ended = 0;
  KIRA_RETURN_IF_ERROR(
      registry::RunInUnitOfWork(*ctx.store, *ctx.clock, ctx.actor, [&](registry::UnitOfWork& uow) -> Status {
        KIRA_RETURN_IF_ERROR(uow.tx().GetUser(clinic_id, user_id).status());
        KIRA_ASSIGN_OR_RETURN(ended, uow.tx().DeleteUserAuthSessions(clinic_id, user_id));
        return uow.Audit(clinic_id, "end_sessions", "user", user_id, "", "sessions_ended=" + std::to_string(ended));
      }));
  return ended;
}

Status ChangeAccountRole(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                         domain::Role role) {
  if (ctx.actor == user_id && role != domain::Role::kAdmin) {
    return InvalidArgumentError("role: an admin may not change their own role (ask another admin)");
  }
  return registry::RunInUnitOfWork(*ctx.store, *ctx.clock, ctx.actor, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(domain::User u, uow.tx().GetUser(clinic_id, user_id));
    const std::string before = "role=" + std::string(domain::RoleName(u.role));
    u.role = role;
    KIRA_RETURN_IF_ERROR(uow.tx().UpdateUser(u));
    KIRA_ASSIGN_OR_RETURN(int n, uow.tx().DeleteUserAuthSessions(clinic_id, user_id));
    return uow.Audit(clinic_id, "update", "user", user_id, before,
                     "role=" + std::string(domain::RoleName(role)) + ";sessions_ended=" + std::to_string(n));
  });
}

Status ChangeOwnPassword(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                         std::string_view current_password, std::string_view new_password) {
  KIRA_ASSIGN_OR_RETURN(std::string hash, HashPassword(new_password, ctx.cost));
  return UpdateCredential(ctx, clinic_id, user_id, "password changed", false, [&](domain::Credential& c) {
    if (!VerifyPassword(c.password_hash, current_password)) {
      return InvalidArgumentError("current_password: does not match");
    }
    KIRA_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, c.login, ctx.min_password_length).WithContext("new_password"));
    if (VerifyPassword(c.password_hash, new_password)) {
      return InvalidArgumentError("new_password: must differ from the current password");
    }
    c.password_hash = hash;
    c.must_change_password = false;
    return Status::Ok();
  });
}

Status EnrolTotp(const AccountContext& ctx, std::string_view clinic_id, std::string_view user_id,
                 std::string_view secret, std::string_view code) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               ctx.clock->Now().time_since_epoch()).count();
  if (!TotpCode(secret, now)) return InvalidArgumentError("secret: must be the base32 secret from POST /api/v1/me/totp");
  if (secret.size() < 32) return InvalidArgumentError("secret: must be at least 160 bits (32 base32 characters)");
  const std::optional<std::int64_t> step = MatchTotpStep(secret, code, now);
  if (!step) return InvalidArgumentError("code: does not match the secret at this time");
  std::string login;
  KIRA_RETURN_IF_ERROR(UpdateCredential(ctx, clinic_id, user_id, "mfa enrolled", false, [&](domain::Credential& c) {
    c.totp_secret = std::string(secret);
    login = c.login;
    return Status::Ok();
  }));
  // The enrolment code cannot then log in a second time.
  return ClaimStep(ctx, login, *step).status();
}

Status AcceptTotpCode(const AccountContext& ctx, const domain::Credential& credential, std::string_view code) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               ctx.clock->Now().time_since_epoch()).count();
  const std::optional<std::int64_t> step = MatchTotpStep(credential.totp_secret, code, now);
  if (!step) return UnauthenticatedError("totp: the code is wrong or expired");
  KIRA_ASSIGN_OR_RETURN(bool fresh, ClaimStep(ctx, credential.login, *step));
  if (!fresh) return UnauthenticatedError("totp: this code was used already; wait for the next one");
  return Status::Ok();
}

}  // namespace kira::server
