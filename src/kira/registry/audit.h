// The audit trail: an append-only, hash-chained log per clinic.
//
// Chain rule (one chain per clinic):
//   entry[1].prev_hash = 64 zeros
//   entry[n].prev_hash = entry[n-1].hash
//   entry[n].hash      = hex(SHA-256(AuditPayload(entry[n])))
// where AuditPayload is a length-prefixed encoding of every field except
// hash (including prev_hash), so changing any byte of any row, removing a
// row or swapping two rows breaks the chain at that row. SHA-256 is FIPS
// 180-4; the implementation is OpenSSL's.
//
// What it does not detect on its own: removal of the newest rows (the chain
// is still consistent, only shorter) or a rewrite of the whole chain from
// some row on by someone who recomputes every later hash. Both are caught
// by comparing the head that VerifyAudit reports with a copy kept elsewhere
// (printed by `kira audit verify`, to be filed with the clinic's records).
#ifndef KIRA_REGISTRY_AUDIT_H_
#define KIRA_REGISTRY_AUDIT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/storage/store.h"

namespace kira::registry {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The bytes hashed for `e` (every field but e.hash).
std::string AuditPayload(const domain::AuditEntry& e);
// hex(SHA-256(AuditPayload(e))).
std::string AuditHash(const domain::AuditEntry& e);
// hex(SHA-256(bytes)), lower case.
std::string Sha256Hex(std::string_view bytes);

struct AuditVerification {
  bool ok = true;
  std::int64_t rows_checked = 0;
  std::int64_t head_seq = 0;   // seq of the newest row checked (0 for an empty chain)
  std::string head_hash;       // its hash; kGenesisHash for an empty chain
  std::int64_t bad_seq = 0;    // when !ok: the first row that does not verify
  std::string problem;         // when !ok: what is wrong with it, in words
};

// Reads the clinic's whole chain in seq order (in pages, inside one
// transaction) and checks it. A broken chain is a result (ok == false
// naming the first bad row), not an error; errors are storage failures.
StatusOr<AuditVerification> VerifyAudit(storage::Store& store, std::string_view clinic_id);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_AUDIT_H_
