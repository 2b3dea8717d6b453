// The audit trail: an append-only, hash-chained log per clinic, plus the
// registry's own chain (storage::kRegistryAuditChain) of security events
// that belong to no clinic (failed log-ins for unknown logins, refusals
// without a session); it follows the same rules, keys and checkpoints.
//
// Chain rule (one chain per clinic, and the registry chain):
//   entry[1].prev_hash = 64 zeros
//   entry[n].prev_hash = entry[n-1].hash
//   entry[n].hash      = "hmac-sha256:" + hex(HMAC-SHA-256(key, AuditPayload(entry[n])))
//                        with the registry's audit key (keyed chain), or
//                        hex(SHA-256(AuditPayload(entry[n]))) for rows written
//                        without a key (registries from before the key existed)
// where AuditPayload is a length-prefixed encoding of every field except
// hash (including prev_hash), so changing any byte of any row, removing a
// row or swapping two rows breaks the chain at that row. SHA-256 is FIPS
// 180-4; the implementation is OpenSSL's.
//
// With the key, someone who can write the database but not read the key
// file cannot recompute the chain after editing a row; once a keyed row
// exists, an unkeyed row after it is reported (no downgrade).
//
// The newest rows could still be deleted leaving a consistent, shorter
// chain. Signed checkpoints catch that: `kira serve` periodically (and
// `kira audit checkpoint create` on demand) signs (clinic, seq, hash, time)
// of each chain head with the registry's Ed25519 key and stores it;
// `kira audit checkpoint export` copies them (with the public key) to a file
// kept elsewhere, and `kira audit verify --checkpoints FILE` reports a chain
// that no longer reaches, or no longer matches, a signed checkpoint.
//
// The key file (KIRA_AUDIT_KEY_FILE, else "<sqlite file>.audit-key", else
// ./var/kira-audit.key for PostgreSQL) holds both keys; it is created with
// mode 0600 at first use. Every process writing one registry must use the
// same key file.
#ifndef KIRA_REGISTRY_AUDIT_H_
#define KIRA_REGISTRY_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
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
// The row hash of `e` under the process's audit key (see above); the plain
// SHA-256 form when no key is loaded.
std::string AuditHash(const domain::AuditEntry& e);

// A keyed digest of a log-in name someone typed ("hmac-sha256:" + hex of
// HMAC-SHA-256 over a domain-separated encoding, with the audit key): what
// the registry chain stores for a failed log-in of an unknown login, never
// the text itself (people type passwords into the login field). The host
// operator, who holds the key, can recompute it for a login to search the
// chain (`kira audit list --registry --login NAME`). Without a loaded key a
// per-process random key is used ("hmac-sha256-unkeyed:", not matchable).
std::string LoginDigest(std::string_view login);

// ---- Keys ----
struct AuditKeys {
  std::string hmac_key;      // 32 random bytes
  std::string ed25519_seed;  // 32 bytes: the Ed25519 private key
};
// The key file for a registry URL (see above).
std::string AuditKeyFileFor(std::string_view db_url);
// Loads (creating with mode 0600 if absent) the key file for `db_url` and
// makes it the process's audit key. InvalidArgument naming the file when it
// is malformed or readable by others; Unavailable when it cannot be written.
Status UseAuditKeyFor(std::string_view db_url);
// Sets (or, with nullopt, clears) the process's audit key directly (tests).
void SetAuditKeys(std::optional<AuditKeys> keys);
// hex of the Ed25519 public key; "" without keys.
std::string AuditPublicKeyHex();

// ---- Signed checkpoints ----
// The signed bytes of a checkpoint.
std::string CheckpointMessage(const domain::AuditCheckpoint& c);
// True when c.signature is a valid Ed25519 signature by c.public_key.
bool CheckpointSignatureValid(const domain::AuditCheckpoint& c);
// Signs and stores a checkpoint of every clinic's chain head, and of the
// registry chain's head, that moved since its last checkpoint; returns how
// many were written.
// FailedPrecondition without a loaded key.
StatusOr<int> WriteAuditCheckpoints(storage::Store& store, domain::Instant now);
// One checkpoint per line, tab-separated:
//   kira-audit-checkpoint-v1 clinic seq hash at_us public_key signature
std::string CheckpointLine(const domain::AuditCheckpoint& c);
// Parses a file of CheckpointLine()s; InvalidArgument naming the line.
StatusOr<std::vector<domain::AuditCheckpoint>> ParseCheckpointLines(std::string_view text);
// hex(SHA-256(bytes)), lower case.
std::string Sha256Hex(std::string_view bytes);

struct AuditVerification {
  bool ok = true;
  std::int64_t rows_checked = 0;
  std::int64_t head_seq = 0;   // seq of the newest row checked (0 for an empty chain)
  std::string head_hash;       // its hash; kGenesisHash for an empty chain
  std::int64_t bad_seq = 0;    // when !ok: the first row that does not verify
  std::string problem;         // when !ok: what is wrong with it, in words
  std::int64_t keyed_rows = 0;         // rows with a keyed (HMAC) hash
  std::int64_t checkpoints_checked = 0;
};

// Reads the clinic's whole chain in seq order (in pages, inside one
// transaction) and checks it, then checks it against every signed
// checkpoint of the clinic stored in the registry and in `extra` (an
// exported file): each must carry a valid signature (by the registry's own
// key when one is loaded) and name a row the chain still has, with the same
// hash. A broken chain is a result (ok == false naming the first bad row or
// the checkpoint), not an error; errors are storage failures.
StatusOr<AuditVerification> VerifyAudit(storage::Store& store, std::string_view clinic_id,
                                        const std::vector<domain::AuditCheckpoint>& extra = {});

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_AUDIT_H_
