// Authentication for `kira serve`: argon2id password hashes, the password
// policy, TOTP second factor (RFC 6238), sessions kept in the registry
// database and log-in throttling. No HTTP type appears here; server.cc moves
// tokens between these objects and cookies or Authorization headers.
//
// Sessions live in the registry (table auth_sessions), so a restart keeps
// users logged in and several `kira serve` processes on one registry serve
// the same users. A session token is 256 random bits (OpenSSL's CSPRNG); the
// database holds only its SHA-256, so a copy of the table cannot be replayed
// as a cookie. Each session has an idle and an absolute expiry; expired rows
// are purged. Revocation (log-out, "end all sessions", disabling a user)
// deletes rows; another process sees it within SessionTable's cache time.
#ifndef KIRA_SERVER_AUTH_H_
#define KIRA_SERVER_AUTH_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/registry/clock.h"
#include "kira/storage/store.h"

namespace kira::server {

// argon2id cost (RFC 9106 section 4 allows memory-constrained choices; this
// is the OWASP Password Storage Cheat Sheet's first option, m = 19 MiB,
// t = 2, p = 1), about 30 ms per hash on the 2-core CI machine.
struct PasswordCost {
  std::uint32_t time_cost = 2;
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t parallelism = 1;
};

// The password policy: at least `min_length` characters (a server setting,
// default 12, per NIST SP 800-63B section 5.1.1.2's advice to allow long
// passphrases and refuse known ones), at most 1024 bytes, not on the bundled
// list of common passwords (compared case-insensitively), and not the login
// itself. InvalidArgument naming "password" and the rule.
Status CheckPasswordPolicy(std::string_view password, std::string_view login, std::size_t min_length);
// True when `password` is on the bundled common-password list.
bool IsCommonPassword(std::string_view password);

// Returns the PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash" with a
// fresh 16-byte salt. InvalidArgument for a password shorter than 8 or
// longer than 1024 bytes (the floor below any policy); Internal if the
// library fails.
StatusOr<std::string> HashPassword(std::string_view password, const PasswordCost& cost = {});
// True when `password` matches `phc`. Constant time in the password.
bool VerifyPassword(std::string_view phc, std::string_view password);
// Burns the same time as a real verification, so that an unknown login and
// a wrong password cannot be told apart by timing.
void VerifyDummy(std::string_view password);

// 32 random bytes as 64 hex digits.
std::string RandomToken();
// hex(SHA-256(s)).
std::string Sha256Hex(std::string_view s);

// ---- TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 30 s steps) ----
// A fresh 160-bit secret, base32 (RFC 4648) without padding.
std::string NewTotpSecret();
// The code for `secret_base32` at `unix_seconds`; nullopt for a secret that
// is not valid base32.
std::optional<std::string> TotpCode(std::string_view secret_base32, std::int64_t unix_seconds, int digits = 6,
                                    int step_seconds = 30);
// The code for raw key bytes (RFC 6238 appendix B uses the ASCII key).
std::string TotpCodeForKey(std::string_view key, std::int64_t unix_seconds, int digits, int step_seconds = 30);
// True when `code` matches the current step or one step either side.
bool VerifyTotp(std::string_view secret_base32, std::string_view code, std::int64_t unix_seconds);
// The time step (unix time / 30) whose code `code` is, among the current
// step and one either side; nullopt when none matches. A caller accepting
// the code records the step (storage ClaimTotpStep) so it is not replayed.
std::optional<std::int64_t> MatchTotpStep(std::string_view secret_base32, std::string_view code,
                                          std::int64_t unix_seconds);
// The otpauth:// URI authenticator apps read (Key Uri Format).
std::string TotpUri(std::string_view secret_base32, std::string_view login);

// Who is calling: what a valid session token resolves to.
struct Principal {
  std::string clinic_id;
  std::string user_id;
  std::string login;
  std::string display_name;
  domain::Role role = domain::Role::kClinician;
  std::string csrf_token;  // the double-submit token of this session
  // A restricted session may only log out, read /me, change its password
  // and enrol a second factor.
  bool must_change_password = false;
  bool must_enrol_mfa = false;
};

// Server-side sessions in the registry database. Thread-safe.
class SessionTable {
 public:
  struct Options {
    std::chrono::minutes idle_timeout{30};
    std::chrono::hours absolute_timeout{12};
    // A looked-up session is trusted this long without asking the database
    // again; a revocation by another process takes effect within it.
    std::chrono::milliseconds cache_time{1000};
    // last_used is written back at most this often (idle expiry granularity).
    std::chrono::seconds touch_interval{60};
    // An admin without a second factor gets a restricted session that may
    // only enrol one.
    bool require_admin_mfa = true;
  };
  // REQUIRES: store and clock outlive the table.
  SessionTable(storage::Store* store, const registry::Clock* clock) : SessionTable(store, clock, Options{}) {}
  SessionTable(storage::Store* store, const registry::Clock* clock, Options options)
      : store_(store), clock_(clock), options_(options) {}

  // Starts a session; returns its token (the only copy).
  StatusOr<std::string> Create(const Principal& principal);
  // The session's principal; nullopt when the token is unknown, expired,
  // revoked, or its user is disabled.
  StatusOr<std::optional<Principal>> Find(std::string_view token);
  // The principal of `token` when this process looked it up less than
  // `cache_time` ago; nullopt otherwise (unknown, stale or never seen). Never
  // touches the database, so it may run on an I/O thread; a miss goes to
  // Find() on a worker.
  std::shared_ptr<const Principal> FindCached(std::string_view token);
  // Ends one session (log-out).
  Status Remove(std::string_view token);
  // Ends every session of a user; returns how many.
  StatusOr<int> RemoveAllOf(std::string_view clinic_id, std::string_view user_id);
  // Drops a user's sessions from this process's cache (after a use case in
  // accounts.h deleted their rows).
  void ForgetUser(std::string_view clinic_id, std::string_view user_id);
  // Deletes expired sessions; returns how many.
  StatusOr<int> Purge();
  // Live sessions in the registry (for /metrics).
  std::int64_t ActiveCount();
  const Options& options() const { return options_; }

 private:
  struct Cached {
    std::shared_ptr<const Principal> principal;  // shared with FindCached's callers
    std::chrono::steady_clock::time_point fetched;
  };
  void Forget(const std::string& key);
  storage::Store* store_;
  const registry::Clock* clock_;
  Options options_;
  std::mutex mu_;
  std::map<std::string, Cached, std::less<>> cache_;  // by token hash; GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_purge_{};  // GUARDED_BY(mu_)
};

// Log-in throttling with exponential backoff, never a lock-out. Three
// counters: (login, address), address alone and login alone. Past a
// counter's free attempts each further failure doubles the wait before the
// next attempt is considered, up to the counter's cap; a success clears
// (login, address) and login. The login-only counter has a short cap, so
// failures sent by someone else can delay the real user by at most that cap
// and never lock them out. Thread-safe.
class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Rule {
    int free_failures;
    std::chrono::seconds cap;
  };
  struct Options {
    Rule pair{3, std::chrono::seconds(900)};
    Rule address{20, std::chrono::seconds(900)};
    Rule login{10, std::chrono::seconds(30)};
    std::chrono::seconds first_wait{1};
    std::chrono::hours forget_after{1};
  };
  LoginLimiter() : LoginLimiter(Options{}) {}
  explicit LoginLimiter(Options options) : options_(options) {}

  // Seconds until another attempt is allowed, or 0 when allowed now.
  int RetryAfterSeconds(std::string_view login, std::string_view address, Clock::time_point now);
  void RecordFailure(std::string_view login, std::string_view address, Clock::time_point now);
  void RecordSuccess(std::string_view login, std::string_view address);

 private:
  struct Counter {
    int failures = 0;
    Clock::time_point last;
  };
  int Wait(const std::map<std::string, Counter, std::less<>>& m, const std::string& key, const Rule& rule,
           Clock::time_point now) const;
  Options options_;
  std::mutex mu_;
  std::map<std::string, Counter, std::less<>> counters_;  // "p|login|addr", "a|addr", "l|login"; GUARDED_BY(mu_)
};

}  // namespace kira::server

#endif  // KIRA_SERVER_AUTH_H_
