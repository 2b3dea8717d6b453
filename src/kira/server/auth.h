// Authentication for `kira serve`: argon2id password hashes, server-side
// sessions and log-in rate limiting. No HTTP type appears here; server.cc
// moves tokens between these objects and cookies or Authorization headers.
//
// Sessions are held in memory only: restarting the server logs everyone out,
// which is the safe direction. A session token is 256 random bits (OpenSSL's
// CSPRNG); the table stores only its SHA-256, so a memory dump of the table
// cannot be replayed as a cookie.
#ifndef KIRA_SERVER_AUTH_H_
#define KIRA_SERVER_AUTH_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"

namespace kira::server {

// argon2id cost (RFC 9106 section 4 allows memory-constrained choices; this
// is the OWASP Password Storage Cheat Sheet's first option, m = 19 MiB,
// t = 2, p = 1), about 30 ms per hash on the 2-core CI machine.
struct PasswordCost {
  std::uint32_t time_cost = 2;
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t parallelism = 1;
};

// Returns the PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash" with a
// fresh 16-byte salt. InvalidArgument for a password shorter than 8 or
// longer than 1024 bytes; Internal if the library fails.
StatusOr<std::string> HashPassword(std::string_view password, const PasswordCost& cost = {});
// True when `password` matches `phc`. Constant time in the password.
bool VerifyPassword(std::string_view phc, std::string_view password);
// Burns the same time as a real verification, so that an unknown login and
// a wrong password cannot be told apart by timing.
void VerifyDummy(std::string_view password);

// 32 random bytes as 64 hex digits.
std::string RandomToken();

// Who is calling: what a valid session token resolves to.
struct Principal {
  std::string clinic_id;
  std::string user_id;
  std::string login;
  std::string display_name;
  domain::Role role = domain::Role::kClinician;
  std::string csrf_token;  // the double-submit token of this session
};

// Server-side sessions. Thread-safe.
class SessionTable {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::minutes idle_timeout{30};
    std::chrono::hours absolute_timeout{12};
  };
  SessionTable() : SessionTable(Options{}) {}
  explicit SessionTable(Options options) : options_(options) {}

  // Starts a session; returns its token (the only copy).
  std::string Create(Principal principal, Clock::time_point now);
  // The session's principal, refreshing its idle timer; nullopt when the
  // token is unknown or expired (an expired session is removed).
  std::optional<Principal> Find(std::string_view token, Clock::time_point now);
  void Remove(std::string_view token);
  std::size_t size() const;

 private:
  struct Entry {
    Principal principal;
    Clock::time_point created;
    Clock::time_point last_used;
  };
  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> by_token_hash_;  // GUARDED_BY(mu_)
};

// Failed log-ins per (login) and per client address within a window; once
// either reaches its limit, further attempts are refused until the window
// has passed, whatever the password. Thread-safe.
class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int max_failures_per_login = 5;
    int max_failures_per_address = 20;
    std::chrono::minutes window{15};
  };
  LoginLimiter() : LoginLimiter(Options{}) {}
  explicit LoginLimiter(Options options) : options_(options) {}

  // Seconds until another attempt is allowed, or 0 when allowed now.
  int RetryAfterSeconds(std::string_view login, std::string_view address, Clock::time_point now);
  void RecordFailure(std::string_view login, std::string_view address, Clock::time_point now);
  void RecordSuccess(std::string_view login);

 private:
  struct Window {
    Clock::time_point start;
    int failures = 0;
  };
  int Check(std::map<std::string, Window, std::less<>>& m, std::string_view key, int limit,
            Clock::time_point now);
  Options options_;
  std::mutex mu_;
  std::map<std::string, Window, std::less<>> by_login_;    // GUARDED_BY(mu_)
  std::map<std::string, Window, std::less<>> by_address_;  // GUARDED_BY(mu_)
};

}  // namespace kira::server

#endif  // KIRA_SERVER_AUTH_H_
