#include "kira/server/auth.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <semaphore>
#include <set>

namespace kira::server {

namespace internal {
extern const std::string_view kCommonPasswords;  // common_passwords.cc (generated)
}  // namespace internal

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

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::set<std::string, std::less<>>& CommonPasswords() {
  static const auto* kSet = [] {
    auto* set = new std::set<std::string, std::less<>>();
    std::string_view text = internal::kCommonPasswords;
    while (!text.empty()) {
      const std::size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (!line.empty() && line.front() != '#') set->insert(Lower(line));
    }
    return set;
  }();
  return *kSet;
}

// argon2id takes PasswordCost::memory_kib (19 MiB) per hash; at most two run
// at once, so a burst of log-ins cannot push the server's memory past its
// bound (docs/server.md, "Limits").
std::counting_semaphore<2>& HashSlots() {
  static std::counting_semaphore<2> slots(2);
  return slots;
}
struct HashSlot {
  HashSlot() { HashSlots().acquire(); }
  ~HashSlot() { HashSlots().release(); }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
};

// A fixed hash of a random password, made once, for VerifyDummy.
const std::string& DummyHash() {
  static const std::string kHash = [] {
    StatusOr<std::string> h = HashPassword(RandomToken());
    return h.ok() ? *h : std::string();
  }();
  return kHash;
}

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::optional<std::string> Base32Decode(std::string_view s) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=' || c == ' ') continue;
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const char* p = std::find(kBase32, kBase32 + 32, u);
    if (p == kBase32 + 32) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(p - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string Base32Encode(const unsigned char* p, std::size_t n) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | p[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

Status CheckPasswordPolicy(std::string_view password, std::string_view login, std::size_t min_length) {
  if (password.size() < min_length) {
    return InvalidArgumentError("password: must be at least " + std::to_string(min_length) + " characters");
  }
  if (password.size() > kMaxPassword) return InvalidArgumentError("password: must be at most 1024 characters");
  if (IsCommonPassword(password)) {
    return InvalidArgumentError("password: is on the list of common passwords; choose another");
  }
  if (!login.empty() && Lower(password).find(Lower(login)) != std::string::npos) {
    return InvalidArgumentError("password: must not contain the login");
  }
  return Status::Ok();
}

bool IsCommonPassword(std::string_view password) { return CommonPasswords().count(Lower(password)) > 0; }

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
  HashSlot slot;
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
  HashSlot slot;
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

std::string Sha256Hex(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  // Every authenticated request hashes its token: the algorithm is fetched
  // once and each thread reuses one context (OpenSSL 3's one-shot SHA256()
  // costs about 2.5 times as much).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned int len = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), s.data(), s.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), d.data(), &len) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  }
  return Hex(d.data(), d.size());
}

// ---- TOTP ----

std::string NewTotpSecret() {
  std::array<unsigned char, 20> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::fputs("kira: fatal: OpenSSL RAND_bytes failed\n", stderr);
    std::abort();
  }
  return Base32Encode(bytes.data(), bytes.size());
}

std::string TotpCodeForKey(std::string_view key, std::int64_t unix_seconds, int digits, int step_seconds) {
  // RFC 4226 section 5.3 over T = floor(time / step) (RFC 6238 section 4).
  const std::uint64_t counter = static_cast<std::uint64_t>(unix_seconds / step_seconds);
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) msg[7 - i] = static_cast<unsigned char>((counter >> (8 * i)) & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &mac_len)) std::abort();
  const int offset = mac[mac_len - 1] & 0x0f;
  const std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                            (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                            (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::string> TotpCode(std::string_view secret_base32, std::int64_t unix_seconds, int digits,
                                    int step_seconds) {
  std::optional<std::string> key = Base32Decode(secret_base32);
  if (!key) return std::nullopt;
  return TotpCodeForKey(*key, unix_seconds, digits, step_seconds);
}

std::optional<std::int64_t> MatchTotpStep(std::string_view secret_base32, std::string_view code,
                                          std::int64_t unix_seconds) {
  if (code.size() != 6) return std::nullopt;
  std::optional<std::string> key = Base32Decode(secret_base32);
  if (!key) return std::nullopt;
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared (no early exit on a match).
  for (int drift = -1; drift <= 1; ++drift) {
    const std::int64_t at = unix_seconds + drift * 30;
    const std::string want = TotpCodeForKey(*key, at, 6);
    if (CRYPTO_memcmp(want.data(), code.data(), 6) == 0 && !matched) matched = at / 30;
  }
  return matched;
}

bool VerifyTotp(std::string_view secret_base32, std::string_view code, std::int64_t unix_seconds) {
  return MatchTotpStep(secret_base32, code, unix_seconds).has_value();
}

std::string TotpUri(std::string_view secret_base32, std::string_view login) {
  std::string label;
  for (char c : login) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') {
      label += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      label += buf;
    }
  }
  return "otpauth://totp/kira:" + label + "?secret=" + std::string(secret_base32) +
         "&issuer=kira&algorithm=SHA1&digits=6&period=30";
}

// ---- Sessions ----

StatusOr<std::string> SessionTable::Create(const Principal& principal) {
  std::string token = RandomToken();
  const domain::Instant now = clock_->Now();
  domain::AuthSession a;
  a.token_hash = Sha256Hex(token);
  a.clinic_id = principal.clinic_id;
  a.user_id = principal.user_id;
  a.login = principal.login;
  a.csrf_token = RandomToken();
  a.created_at = now;
  a.last_used_at = now;
  a.expires_at = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.absolute_timeout);
  KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
  KIRA_RETURN_IF_ERROR(tx->InsertAuthSession(a));
  KIRA_RETURN_IF_ERROR(tx->Commit());
  return token;
}

void SessionTable::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.erase(key);
}

std::shared_ptr<const Principal> SessionTable::FindCached(std::string_view token) {
  if (token.size() != 64) return nullptr;
  const std::string key = Sha256Hex(token);
  const auto steady_now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end() && steady_now - it->second.fetched < options_.cache_time) return it->second.principal;
  return nullptr;
}

StatusOr<std::optional<Principal>> SessionTable::Find(std::string_view token) {
  if (token.size() != 64) return std::optional<Principal>();
  const std::string key = Sha256Hex(token);
  const auto steady_now = std::chrono::steady_clock::now();
  bool purge = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && steady_now - it->second.fetched < options_.cache_time) {
      return std::optional<Principal>(*it->second.principal);
    }
    if (steady_now - last_purge_ > std::chrono::minutes(1)) {
      last_purge_ = steady_now;
      purge = true;
    }
    if (cache_.size() > 100000) cache_.clear();  // bound memory under a token flood
  }
  if (purge) (void)Purge();
  const domain::Instant now = clock_->Now();
  std::optional<Principal> out;
  bool touch = false;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
    StatusOr<domain::AuthSession> a = tx->GetAuthSession(key);
    if (!a.ok()) {
      if (a.status().IsNotFound()) {
        Forget(key);
        return out;
      }
      return a.status();
    }
    if (now - a->last_used_at > options_.idle_timeout || now >= a->expires_at) {
      Forget(key);
      return out;
    }
    KIRA_ASSIGN_OR_RETURN(domain::Credential cred, tx->GetCredentialOfUser(a->clinic_id, a->user_id));
    if (cred.disabled) {
      Forget(key);
      return out;
    }
    KIRA_ASSIGN_OR_RETURN(domain::User user, tx->GetUser(a->clinic_id, a->user_id));
    Principal p{user.clinic_id, user.id, a->login, user.display_name, user.role, a->csrf_token};
    p.must_change_password = cred.must_change_password;
    p.must_enrol_mfa = options_.require_admin_mfa && user.role == domain::Role::kAdmin && cred.totp_secret.empty();
    out = std::move(p);
    touch = now - a->last_used_at > options_.touch_interval;
  }
  if (touch) {
    KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
    Status s = tx->TouchAuthSession(key, now);
    if (s.ok()) s = tx->Commit();
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = Cached{std::make_shared<const Principal>(*out), steady_now};
  return out;
}

Status SessionTable::Remove(std::string_view token) {
  const std::string key = Sha256Hex(token);
  Forget(key);
  KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
  KIRA_RETURN_IF_ERROR(tx->DeleteAuthSession(key));
  return tx->Commit();
}

void SessionTable::ForgetUser(std::string_view clinic_id, std::string_view user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    const bool match = it->second.principal->clinic_id == clinic_id && it->second.principal->user_id == user_id;
    it = match ? cache_.erase(it) : std::next(it);
  }
}

StatusOr<int> SessionTable::RemoveAllOf(std::string_view clinic_id, std::string_view user_id) {
  ForgetUser(clinic_id, user_id);
  KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
  KIRA_ASSIGN_OR_RETURN(int n, tx->DeleteUserAuthSessions(clinic_id, user_id));
  KIRA_RETURN_IF_ERROR(tx->Commit());
  return n;
}

StatusOr<int> SessionTable::Purge() {
  const domain::Instant now = clock_->Now();
  KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
  KIRA_ASSIGN_OR_RETURN(int n, tx->PurgeAuthSessions(
                                   now - std::chrono::duration_cast<std::chrono::microseconds>(options_.idle_timeout),
                                   now));
  KIRA_RETURN_IF_ERROR(tx->Commit());
  return n;
}

std::int64_t SessionTable::ActiveCount() {
  auto tx = store_->BeginRead();
  if (!tx.ok()) return -1;
  StatusOr<std::int64_t> n = (*tx)->CountAuthSessions();
  return n.ok() ? *n : -1;
}

// ---- Throttling ----

int LoginLimiter::Wait(const std::map<std::string, Counter, std::less<>>& m, const std::string& key,
                       const Rule& rule, Clock::time_point now) const {
  auto it = m.find(key);
  if (it == m.end() || it->second.failures <= rule.free_failures) return 0;
  const int over = std::min(it->second.failures - rule.free_failures - 1, 20);
  auto wait = options_.first_wait * (1LL << over);
  if (wait > rule.cap) wait = rule.cap;
  const auto until = it->second.last + wait;
  if (now >= until) return 0;
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(until - now).count()) + 1;
}

int LoginLimiter::RetryAfterSeconds(std::string_view login, std::string_view address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string l(login), a(address);
  return std::max({Wait(counters_, "p|" + l + "|" + a, options_.pair, now),
                   Wait(counters_, "a|" + a, options_.address, now), Wait(counters_, "l|" + l, options_.login, now)});
}

void LoginLimiter::RecordFailure(std::string_view login, std::string_view address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string l(login), a(address);
  for (const std::string& key : {"p|" + l + "|" + a, "a|" + a, "l|" + l}) {
    Counter& c = counters_[key];
    if (c.failures > 0 && now - c.last > options_.forget_after) c.failures = 0;
    ++c.failures;
    c.last = now;
  }
  // Bound the table: forget counters idle for longer than forget_after.
  if (counters_.size() > 100000) {
    for (auto it = counters_.begin(); it != counters_.end();) {
      it = now - it->second.last > options_.forget_after ? counters_.erase(it) : std::next(it);
    }
  }
}

void LoginLimiter::RecordSuccess(std::string_view login, std::string_view address) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.erase("p|" + std::string(login) + "|" + std::string(address));
  counters_.erase("l|" + std::string(login));
}

}  // namespace kira::server
