#include "kira/registry/audit.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace kira::registry {

namespace {

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
  out += ';';
}

constexpr int kVerifyPageRows = 1000;

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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string AuditHash(const domain::AuditEntry& e) { return Sha256Hex(AuditPayload(e)); }

StatusOr<AuditVerification> VerifyAudit(storage::Store& store, std::string_view clinic_id) {
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  AuditVerification v;
  v.head_hash = std::string(kGenesisHash);
  std::int64_t expected_seq = 1;
  std::string prev_hash(kGenesisHash);
  std::int64_t after = 0;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto rows, tx->ListAudit(clinic_id, after, kVerifyPageRows));
    if (rows.empty()) break;
    for (const domain::AuditEntry& e : rows) {
      auto fail = [&](std::int64_t seq, std::string problem) {
        v.ok = false;
        v.bad_seq = seq;
        v.problem = std::move(problem);
      };
      if (e.seq != expected_seq) {
        fail(expected_seq, "row seq " + std::to_string(expected_seq) +
                               " is missing (deleted or renumbered); the next row is seq " +
                               std::to_string(e.seq));
      } else if (AuditHash(e) != e.hash) {
        fail(e.seq, "row seq " + std::to_string(e.seq) + " (" + e.entity + " '" + e.entity_id +
                        "') was edited: its content does not match its hash");
      } else if (e.prev_hash != prev_hash) {
        fail(e.seq, "row seq " + std::to_string(e.seq) + " (" + e.entity + " '" + e.entity_id +
                        "') does not follow row seq " + std::to_string(e.seq - 1) +
                        ": rows were reordered, inserted or rewritten");
      }
      if (!v.ok) return v;
      ++v.rows_checked;
      v.head_seq = e.seq;
      v.head_hash = e.hash;
      prev_hash = e.hash;
      ++expected_seq;
    }
    after = rows.back().seq;
  }
  return v;
}

}  // namespace kira::registry
