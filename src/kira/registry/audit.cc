#include "kira/registry/audit.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace kira::registry {

namespace {

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
  out += ';';
}

constexpr int kVerifyPageRows = 1000;
constexpr std::string_view kKeyedPrefix = "hmac-sha256:";
constexpr char kKeyFileMagic[] = "kira-audit-key-v1";
constexpr char kCheckpointMagic[] = "kira-audit-checkpoint-v1";

std::string Hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xf];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view h) {
  if (h.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = v(h[i]), lo = v(h[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::mutex& KeyMutex() {
  static std::mutex mu;
  return mu;
}
std::optional<AuditKeys>& KeySlot() {
  static std::optional<AuditKeys> keys;
  return keys;
}
std::optional<AuditKeys> CurrentKeys() {
  std::lock_guard<std::mutex> lock(KeyMutex());
  return KeySlot();
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string PublicKeyOf(const std::string& seed) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return "";
  unsigned char pub[32];
  std::size_t len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(key.get(), pub, &len) != 1) return "";
  return Hex(pub, len);
}

std::optional<std::string> Sign(const std::string& seed, std::string_view msg) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return std::nullopt;
  unsigned char sig[64];
  std::size_t len = sizeof sig;
  if (EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1) {
    return std::nullopt;
  }
  return Hex(sig, len);
}

std::string Random32() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // no randomness: nothing safe to do
  return std::string(reinterpret_cast<const char*>(b), sizeof b);
}

}  // namespace

std::string AuditPayload(const domain::AuditEntry& e) {
  std::string out = "kira-audit-v1;";
  Field(out, e.clinic_id);
  Field(out, std::to_string(e.seq));
  Field(out, std::to_string(domain::ToUnixMicros(e.at)));
  Field(out, e.actor);
  Field(out, e.action);
  Field(out, e.entity);
  Field(out, e.entity_id);
  Field(out, e.before);
  Field(out, e.after);
  Field(out, e.prev_hash);
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest is one-shot and allocates its own context; it fails only on
  // allocation failure, which may terminate (style.md 3.1).
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return Hex(digest, len);
}

namespace {
std::string KeyedHash(const std::string& key, const domain::AuditEntry& e) {
  const std::string payload = AuditPayload(e);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len)) {
    std::abort();
  }
  return std::string(kKeyedPrefix) + Hex(mac, len);
}
}  // namespace

namespace {
// Bumped by every SetAuditKeys, so a thread can keep a ready HMAC context
// for the current key (below) and notice when the key changes.
std::atomic<std::uint64_t>& KeyGeneration() {
  static std::atomic<std::uint64_t> generation{1};
  return generation;
}
struct MacDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
// The HMAC-SHA-256 of `payload` under the process's key, from a per-thread
// context initialised once per key (EVP_MAC_CTX_dup of it per row): the same
// value as HMAC() in KeyedHash, without fetching the algorithm and setting
// the key for every audit row. nullopt when no key is loaded.
std::optional<std::string> FastKeyedHash(const std::string& payload) {
  struct Cache {
    std::uint64_t generation = 0;
    bool keyed = false;
    std::unique_ptr<EVP_MAC_CTX, MacDeleter> ready;
  };
  thread_local Cache cache;
  const std::uint64_t generation = KeyGeneration().load(std::memory_order_acquire);
  if (cache.generation != generation) {
    const std::optional<AuditKeys> keys = CurrentKeys();
    cache.ready.reset();
    cache.keyed = keys.has_value();
    if (keys) {
      EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      if (!mac) std::abort();
      cache.ready.reset(EVP_MAC_CTX_new(mac));
      EVP_MAC_free(mac);
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
      if (!cache.ready ||
          EVP_MAC_init(cache.ready.get(), reinterpret_cast<const unsigned char*>(keys->hmac_key.data()),
                       keys->hmac_key.size(), params) != 1) {
        std::abort();
      }
    }
    cache.generation = generation;
  }
  if (!cache.keyed) return std::nullopt;
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_dup(cache.ready.get()));
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1) {
    std::abort();  // allocation failure (style.md 3.1)
  }
  return std::string(kKeyedPrefix) + Hex(out, len);
}
}  // namespace

std::string LoginDigest(std::string_view login) {
  // Domain-separated from the row hashes: a login digest can never be
  // mistaken for (or collide with) a row's hash.
  std::string message = "kira-login-v1;";
  Field(message, login);
  std::optional<AuditKeys> keys = CurrentKeys();
  std::string_view prefix = kKeyedPrefix;
  if (!keys) {
    // No key loaded: a random key for this process, so the text still never
    // appears in clear (such digests cannot be matched later; say so).
    static const std::string ephemeral = Random32();
    keys = AuditKeys{ephemeral, ""};
    prefix = "hmac-sha256-unkeyed:";
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), keys->hmac_key.data(), static_cast<int>(keys->hmac_key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len)) {
    std::abort();
  }
  return std::string(prefix) + Hex(mac, len);
}

std::string AuditHash(const domain::AuditEntry& e) {
  std::string payload = AuditPayload(e);
  if (auto keyed = FastKeyedHash(payload)) return std::move(*keyed);
  return Sha256Hex(payload);
}

// ---- Keys ----

std::string AuditKeyFileFor(std::string_view db_url) {
  if (const char* env = std::getenv("KIRA_AUDIT_KEY_FILE"); env && *env) return env;
  // A PostgreSQL registry (URL or key=value DSN, as storage/open_store.cc
  // tells them apart) has no file of its own to sit beside.
  if (db_url.rfind("postgres://", 0) == 0 || db_url.rfind("postgresql://", 0) == 0 ||
      db_url.find("dbname=") != std::string_view::npos || db_url.rfind("host=", 0) == 0) {
    return "./var/kira-audit.key";
  }
  return std::string(db_url) + ".audit-key";
}

void SetAuditKeys(std::optional<AuditKeys> keys) {
  std::lock_guard<std::mutex> lock(KeyMutex());
  KeySlot() = std::move(keys);
  KeyGeneration().fetch_add(1, std::memory_order_release);
}

Status UseAuditKeyFor(std::string_view db_url) {
  if (db_url == ":memory:" || db_url.rfind("memory:", 0) == 0) {
    SetAuditKeys(AuditKeys{Random32(), Random32()});
    return Status::Ok();
  }
  const std::string path = AuditKeyFileFor(db_url);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    const std::string tmp = path + ".tmp";
    {
      const mode_t old = umask(077);
      std::ofstream out(tmp, std::ios::trunc);
      umask(old);
      if (!out) return UnavailableError("audit key file " + path + ": cannot be created");
      const std::string h = Random32(), seed = Random32();
      out << kKeyFileMagic << "\nhmac-sha256 "
          << Hex(reinterpret_cast<const unsigned char*>(h.data()), h.size()) << "\ned25519 "
          << Hex(reinterpret_cast<const unsigned char*>(seed.data()), seed.size()) << "\n";
      if (!out.flush()) return UnavailableError("audit key file " + path + ": cannot be written");
    }
    chmod(tmp.c_str(), 0600);
    // A concurrent first start may have won; keep whichever file is there.
    if (link(tmp.c_str(), path.c_str()) != 0 && !std::filesystem::exists(path, ec)) {
      std::filesystem::remove(tmp, ec);
      return UnavailableError("audit key file " + path + ": cannot be created");
    }
    std::filesystem::remove(tmp, ec);
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return UnavailableError("audit key file " + path + ": cannot be read");
  if ((st.st_mode & 077) != 0) {
    return InvalidArgumentError("audit key file " + path + ": must be readable by its owner only (chmod 600)");
  }
  std::ifstream in(path);
  std::string magic, kind1, v1, kind2, v2;
  in >> magic >> kind1 >> v1 >> kind2 >> v2;
  auto h = Unhex(v1), seed = Unhex(v2);
  if (magic != kKeyFileMagic || kind1 != "hmac-sha256" || kind2 != "ed25519" || !h || !seed || h->size() != 32 ||
      seed->size() != 32) {
    return InvalidArgumentError("audit key file " + path + ": not a kira audit key file");
  }
  SetAuditKeys(AuditKeys{*h, *seed});
  return Status::Ok();
}

std::string AuditPublicKeyHex() {
  const std::optional<AuditKeys> keys = CurrentKeys();
  return keys ? PublicKeyOf(keys->ed25519_seed) : std::string();
}

// ---- Checkpoints ----

std::string CheckpointMessage(const domain::AuditCheckpoint& c) {
  std::string out = std::string(kCheckpointMagic) + ";";
  Field(out, c.clinic_id);
  Field(out, std::to_string(c.seq));
  Field(out, c.hash);
  Field(out, std::to_string(domain::ToUnixMicros(c.at)));
  return out;
}

bool CheckpointSignatureValid(const domain::AuditCheckpoint& c) {
  auto pub = Unhex(c.public_key), sig = Unhex(c.signature);
  if (!pub || !sig || pub->size() != 32 || sig->size() != 64) return false;
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pub->data()), pub->size()));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  const std::string msg = CheckpointMessage(c);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

StatusOr<int> WriteAuditCheckpoints(storage::Store& store, domain::Instant now) {
  const std::optional<AuditKeys> keys = CurrentKeys();
  if (!keys) return FailedPreconditionError("audit checkpoints need the registry's audit key");
  const std::string pub = PublicKeyOf(keys->ed25519_seed);
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  KIRA_ASSIGN_OR_RETURN(auto clinics, tx->ListClinics());
  KIRA_ASSIGN_OR_RETURN(auto existing, tx->ListAuditCheckpoints(""));
  std::map<std::string, std::int64_t> last_seq;
  for (const auto& c : existing) last_seq[c.clinic_id] = std::max(last_seq[c.clinic_id], c.seq);
  int written = 0;
  // Every clinic's chain and the registry's own (storage::kRegistryAuditChain).
  std::vector<std::string> chains;
  for (const auto& clinic : clinics) chains.push_back(clinic.id);
  chains.emplace_back(storage::kRegistryAuditChain);
  for (const std::string& chain : chains) {
    KIRA_ASSIGN_OR_RETURN(auto head, tx->LastAuditEntry(chain));
    if (!head || head->seq <= last_seq[chain]) continue;
    domain::AuditCheckpoint c{chain, head->seq, head->hash, now, pub, ""};
    std::optional<std::string> sig = Sign(keys->ed25519_seed, CheckpointMessage(c));
    if (!sig) return InternalError("audit checkpoint: Ed25519 signing failed");
    c.signature = *sig;
    KIRA_RETURN_IF_ERROR(tx->InsertAuditCheckpoint(c));
    ++written;
  }
  KIRA_RETURN_IF_ERROR(tx->Commit());
  return written;
}

std::string CheckpointLine(const domain::AuditCheckpoint& c) {
  std::ostringstream out;
  out << kCheckpointMagic << '\t' << c.clinic_id << '\t' << c.seq << '\t' << c.hash << '\t'
      << domain::ToUnixMicros(c.at) << '\t' << c.public_key << '\t' << c.signature << '\n';
  return out.str();
}

StatusOr<std::vector<domain::AuditCheckpoint>> ParseCheckpointLines(std::string_view text) {
  std::vector<domain::AuditCheckpoint> out;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> f;
    std::size_t pos = 0;
    while (true) {
      const std::size_t tab = line.find('\t', pos);
      f.emplace_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
      if (tab == std::string_view::npos) break;
      pos = tab + 1;
    }
    auto bad = [&](const std::string& what) {
      return InvalidArgumentError("checkpoints line " + std::to_string(line_no) + ": " + what);
    };
    if (f.size() != 7 || f[0] != kCheckpointMagic) return bad("expected 7 tab-separated fields starting " +
                                                               std::string(kCheckpointMagic));
    char* end = nullptr;
    const long long seq = std::strtoll(f[2].c_str(), &end, 10);
    if (*end != '\0' || seq < 1) return bad("seq must be a positive whole number");
    const long long at = std::strtoll(f[4].c_str(), &end, 10);
    if (*end != '\0') return bad("time must be whole microseconds");
    out.push_back(domain::AuditCheckpoint{f[1], seq, f[3], domain::FromUnixMicros(at), f[5], f[6]});
  }
  return out;
}

// ---- Verification ----

StatusOr<AuditVerification> VerifyAudit(storage::Store& store, std::string_view clinic_id,
                                        const std::vector<domain::AuditCheckpoint>& extra) {
  const std::optional<AuditKeys> keys = CurrentKeys();
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  AuditVerification v;
  v.head_hash = std::string(kGenesisHash);
  std::int64_t expected_seq = 1;
  std::string prev_hash(kGenesisHash);
  std::int64_t after = 0;
  // Hashes of the rows a checkpoint names, looked up as the chain is read.
  std::vector<domain::AuditCheckpoint> checkpoints;
  KIRA_ASSIGN_OR_RETURN(auto stored, tx->ListAuditCheckpoints(clinic_id));
  checkpoints.insert(checkpoints.end(), stored.begin(), stored.end());
  for (const auto& c : extra) {
    if (c.clinic_id == clinic_id) checkpoints.push_back(c);
  }
  std::map<std::int64_t, std::string> wanted;  // seq -> hash of the chain row
  for (const auto& c : checkpoints) wanted[c.seq] = "";
  auto fail = [&](std::int64_t seq, std::string problem) {
    v.ok = false;
    v.bad_seq = seq;
    v.problem = std::move(problem);
  };
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto rows, tx->ListAudit(clinic_id, after, kVerifyPageRows));
    if (rows.empty()) break;
    for (const domain::AuditEntry& e : rows) {
      const bool keyed = e.hash.rfind(kKeyedPrefix, 0) == 0;
      std::string want;
      if (keyed && !keys) {
        fail(e.seq, "row seq " + std::to_string(e.seq) +
                        " has a keyed hash but the registry's audit key is not available (KIRA_AUDIT_KEY_FILE)");
        return v;
      }
      if (keyed) {
        want = KeyedHash(keys->hmac_key, e);
      } else {
        want = Sha256Hex(AuditPayload(e));
      }
      if (e.seq != expected_seq) {
        fail(expected_seq, "row seq " + std::to_string(expected_seq) +
                               " is missing (deleted or renumbered); the next row is seq " + std::to_string(e.seq));
      } else if (!keyed && v.keyed_rows > 0) {
        fail(e.seq, "row seq " + std::to_string(e.seq) + " (" + e.entity + " '" + e.entity_id +
                        "') has an unkeyed hash after keyed rows: it was written or rewritten without the audit key");
      } else if (want.size() != e.hash.size() || CRYPTO_memcmp(want.data(), e.hash.data(), want.size()) != 0) {
        fail(e.seq, "row seq " + std::to_string(e.seq) + " (" + e.entity + " '" + e.entity_id +
                        "') was edited: its content does not match its hash" +
                        (keyed ? " (or the audit key is not this registry's)" : ""));
      } else if (e.prev_hash != prev_hash) {
        fail(e.seq, "row seq " + std::to_string(e.seq) + " (" + e.entity + " '" + e.entity_id +
                        "') does not follow row seq " + std::to_string(e.seq - 1) +
                        ": rows were reordered, inserted or rewritten");
      }
      if (!v.ok) return v;
      if (keyed) ++v.keyed_rows;
      ++v.rows_checked;
      v.head_seq = e.seq;
      v.head_hash = e.hash;
      prev_hash = e.hash;
      if (auto it = wanted.find(e.seq); it != wanted.end()) it->second = e.hash;
      ++expected_seq;
    }
    after = rows.back().seq;
  }
  const std::string own_key = keys ? PublicKeyOf(keys->ed25519_seed) : "";
  for (const auto& c : checkpoints) {
    const std::string at = domain::FormatInstant(c.at);
    if (!CheckpointSignatureValid(c)) {
      fail(c.seq, "the checkpoint of row seq " + std::to_string(c.seq) + " made " + at +
                      " has no valid signature: it was forged or altered");
      return v;
    }
    if (!own_key.empty() && c.public_key != own_key) {
      fail(c.seq, "the checkpoint of row seq " + std::to_string(c.seq) + " made " + at +
                      " was signed by another key than this registry's");
      return v;
    }
    if (c.seq > v.head_seq) {
      fail(c.seq, "the newest rows were deleted: a signed checkpoint made " + at + " records row seq " +
                      std::to_string(c.seq) + ", but the chain now ends at seq " + std::to_string(v.head_seq));
      return v;
    }
    if (wanted[c.seq] != c.hash) {
      fail(c.seq, "row seq " + std::to_string(c.seq) + " does not match the signed checkpoint made " + at +
                      ": the chain was rewritten");
      return v;
    }
    ++v.checkpoints_checked;
  }
  return v;
}

}  // namespace kira::registry
