#include "kira/server/auth.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>

namespace kira::server {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMinPassword = 8;
constexpr std::size_t kMaxPassword = 1024;

std::string Hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return Hex(d.data(), d.size());
}

// A fixed hash of a random password, made once, for VerifyDummy.
const std::string& DummyHash() {
  static const std::string kHash = [] {
    StatusOr<std::string> h = HashPassword(RandomToken());
    return h.ok() ? *h : std::string();
  }();
  return kHash;
}

}  // namespace

StatusOr<std::string> HashPassword(std::string_view password, const PasswordCost& cost) {
  if (password.size() < kMinPassword) return InvalidArgumentError("password: must be at least 8 characters");
  if (password.size() > kMaxPassword) return InvalidArgumentError("password: must be at most 1024 characters");
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return InternalError("password hashing: no randomness available");
  }
  const std::size_t len = argon2_encodedlen(cost.time_cost, cost.memory_kib, cost.parallelism,
                                            kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  const int rc = argon2id_hash_encoded(cost.time_cost, cost.memory_kib, cost.parallelism, password.data(),
                                       password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(),
                                       encoded.size());
  if (rc != ARGON2_OK) return InternalError(std::string("password hashing: ") + argon2_error_message(rc));
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool VerifyPassword(std::string_view phc, std::string_view password) {
  if (password.size() > kMaxPassword) return false;
  const std::string encoded(phc);  // argon2 wants a NUL-terminated string
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void VerifyDummy(std::string_view password) { (void)VerifyPassword(DummyHash(), password); }

std::string RandomToken() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without randomness no token would be safe; this is not recoverable.
    std::fputs("kira: fatal: OpenSSL RAND_bytes failed\n", stderr);
    std::abort();
  }
  return Hex(bytes.data(), bytes.size());
}

std::string SessionTable::Create(Principal principal, Clock::time_point now) {
  std::string token = RandomToken();
  principal.csrf_token = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  by_token_hash_[Sha256Hex(token)] = Entry{std::move(principal), now, now};
  return token;
}

std::optional<Principal> SessionTable::Find(std::string_view token, Clock::time_point now) {
  if (token.size() != 64) return std::nullopt;
  const std::string key = Sha256Hex(token);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_token_hash_.find(key);
  if (it == by_token_hash_.end()) return std::nullopt;
  Entry& e = it->second;
  if (now - e.last_used > options_.idle_timeout || now - e.created > options_.absolute_timeout) {
    by_token_hash_.erase(it);
    return std::nullopt;
  }
  e.last_used = now;
  return e.principal;
}

void SessionTable::Remove(std::string_view token) {
  const std::string key = Sha256Hex(token);
  std::lock_guard<std::mutex> lock(mu_);
  by_token_hash_.erase(key);
}

std::size_t SessionTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_token_hash_.size();
}

int LoginLimiter::Check(std::map<std::string, Window, std::less<>>& m, std::string_view key, int limit,
                        Clock::time_point now) {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  const auto end = it->second.start + options_.window;
  if (now >= end) {
    m.erase(it);
    return 0;
  }
  if (it->second.failures < limit) return 0;
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(end - now).count();
  return static_cast<int>(secs) + 1;
}

int LoginLimiter::RetryAfterSeconds(std::string_view login, std::string_view address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  const int a = Check(by_login_, login, options_.max_failures_per_login, now);
  const int b = Check(by_address_, address, options_.max_failures_per_address, now);
  return a > b ? a : b;
}

void LoginLimiter::RecordFailure(std::string_view login, std::string_view address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto* m : {&by_login_, &by_address_}) {
    const std::string key(m == &by_login_ ? login : address);
    auto [it, inserted] = m->try_emplace(key, Window{now, 0});
    if (!inserted && now - it->second.start >= options_.window) it->second = Window{now, 0};
    ++it->second.failures;
  }
}

void LoginLimiter::RecordSuccess(std::string_view login) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_login_.find(login);
  if (it != by_login_.end()) by_login_.erase(it);
}

}  // namespace kira::server
