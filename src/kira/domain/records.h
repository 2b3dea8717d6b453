// Registry records: the durable facts a clinic keeps (design.md, "Core
// entities"). Plain value types with no I/O; storage/ persists them and
// registry/ writes them inside audited transactions.
//
// Conventions:
//  * Every record carries clinic_id: the registry is partitioned by clinic
//    (one SQLite file per clinic, or a PostgreSQL table distributed by clinic).
//  * Ids are opaque strings chosen by the caller (UUIDs or import keys), never
//    row numbers, so an import can be re-run idempotently.
//  * Instants are UTC, microseconds since the Unix epoch (Instant). The
//    clinic's time zone is kept on Clinic for display only.
//  * Enums stored in the database are written as their names (frozen strings),
//    never as ordinals.
#ifndef KIRA_DOMAIN_RECORDS_H_
#define KIRA_DOMAIN_RECORDS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/session_state.h"
#include "kira/units/units.h"

namespace kira::domain {

// A UTC instant with microsecond resolution.
using Instant = std::chrono::sys_time<std::chrono::microseconds>;

// Microseconds since 1970-01-01T00:00:00Z, the form stored in `*_at_us` columns.
constexpr std::int64_t ToUnixMicros(Instant t) { return t.time_since_epoch().count(); }
constexpr Instant FromUnixMicros(std::int64_t us) { return Instant(std::chrono::microseconds(us)); }
// "2026-11-26T02:03:04.000005Z" (always 6 fractional digits, always Z).
std::string FormatInstant(Instant t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" and "YYYY-MM-DD" (midnight UTC).
// Returns false on anything else.
bool ParseInstant(std::string_view s, Instant* out);

// Identifiers (clinic, patient, session, user, ...): at most kMaxIdBytes bytes
// of UTF-8 text, with no control character and no leading or trailing space,
// so that an id prints safely on a terminal or a page and " P1" can never be
// a second patient beside "P1". Every write path applies this rule through
// storage/validate; importers apply it per field to name the line and column.
inline constexpr std::size_t kMaxIdBytes = 200;
// Why `id` is not a valid identifier ("must not be empty", ...), or empty
// when it is one.
std::string IdProblem(std::string_view id);

struct Clinic {
  std::string id;
  std::string name;
  std::string time_zone = "UTC";  // IANA name, for display only
};

// Frozen: "clinician", "nurse", "pharmacist", "admin", "auditor", "researcher".
// A researcher sees de-identified aggregates only (server/ enforces this).
enum class Role {
  kClinician = 0,
  kNurse = 1,
  kPharmacist = 2,
  kAdmin = 3,
  kAuditor = 4,
  kResearcher = 5,
};
std::string_view RoleName(Role r);
bool ParseRole(std::string_view s, Role* out);

struct User {
  std::string clinic_id;
  std::string id;
  std::string display_name;
  Role role = Role::kClinician;
};

// A login secret for `kira serve` (server/auth.h), kept apart from User so
// that nothing which reads, lists or exports users can carry a password hash.
struct Credential {
  std::string login;          // what the user types; unique across the registry
  std::string clinic_id;
  std::string user_id;        // REQUIRES: an existing User of clinic_id
  std::string password_hash;  // argon2id PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash"
  bool disabled = false;              // may not log in; its sessions are ended
  bool must_change_password = false;  // set by a reset: the next log-in may only change it
  std::string totp_secret{};          // base32 TOTP secret (RFC 6238); empty: no second factor
};

// A log-in session of `kira serve` (server/auth.h). Only the SHA-256 of the
// token is stored.
struct AuthSession {
  std::string token_hash;  // hex SHA-256 of the bearer/cookie token
  std::string clinic_id;
  std::string user_id;
  std::string login;
  std::string csrf_token;
  Instant created_at{};
  Instant last_used_at{};
  Instant expires_at{};  // absolute expiry
};

// The pseudonymous part of a patient: everything analytics may read.
struct PatientRecord {
  std::string clinic_id;
  std::string id;            // pseudonymous id; carries no identifying information
  std::string sex;           // "female", "male", "other", "unknown" (domain::SexName)
  int birth_year = 0;        // year only; the full date lives in PatientIdentity
  std::string indication;    // indication id from the guideline library, e.g. "trd"
};

// Direct identifiers, stored apart (separate table) so that a de-identified
// export or an analytics query never has to touch them.
struct PatientIdentity {
  std::string clinic_id;
  std::string patient_id;
  std::string given_name;
  std::string family_name;
  std::string birth_date;  // civil date "YYYY-MM-DD"
  std::string mrn;         // medical record number
  std::string zip;         // 5-digit US ZIP or local postcode
  std::string phone;
  std::string email;
};


// One infusion session (the administration of ketamine at one visit).
struct SessionRecord {
  std::string clinic_id;
  std::string id;
  std::string patient_id;
  std::string protocol_id;  // e.g. "trd-0.5mgkg-40min"
  SessionState state = SessionState::kPlanned;
  units::Kilograms dosing_weight;
  units::Milligrams planned_dose;
  std::optional<units::Milligrams> given_dose;  // absent until administered
  // Infusions only: the concentration and the pump rate that ran. Absent for
  // a route that is not infused (esketamine nasal spray); the Advisor's
  // recorded-session check decides whether their presence or absence fits
  // the protocol's route.
  std::optional<units::MilligramsPerMillilitre> concentration;
  std::optional<units::MillilitresPerHour> rate;
  Instant started_at{};
  std::optional<Instant> stopped_at;
  std::string recorded_by;  // user id
  std::string decision_outcome;  // the dose check's Decision::outcome at recording
  // The clinical record the session was given under (0 / "" for sessions
  // stored before the record existed): the patient's facts version and the
  // screening outcome stored for it.
  int facts_version = 0;
  std::string screening_outcome;
};

// Frozen: "sbp", "dbp", "hr", "spo2", "rr". Units: mmHg, mmHg, /min, %, /min.
enum class VitalKind { kSystolicBp = 0, kDiastolicBp = 1, kHeartRate = 2, kSpO2 = 3, kRespRate = 4 };
std::string_view VitalKindName(VitalKind k);
bool ParseVitalKind(std::string_view s, VitalKind* out);
std::string_view VitalKindUnit(VitalKind k);  // UCUM: "mm[Hg]", "/min", "%"

struct VitalSign {
  std::string clinic_id;
  std::string id;
  std::string session_id;
  Instant at{};
  VitalKind kind = VitalKind::kHeartRate;
  double value = 0.0;  // in VitalKindUnit(kind)
};

struct Assessment {
  std::string clinic_id;
  std::string id;
  std::string patient_id;
  std::string session_id;       // empty when not tied to a session
  Instant at{};
  std::string instrument;       // "phq9", "madrs", ...
  std::vector<int> item_scores;
  int total = 0;
  std::string scoring_version;  // version of the scoring rule that produced total
};

// Frozen: "mild", "moderate", "severe", "life_threatening".
enum class AeSeverity { kMild = 0, kModerate = 1, kSevere = 2, kLifeThreatening = 3 };
std::string_view AeSeverityName(AeSeverity s);
bool ParseAeSeverity(std::string_view s, AeSeverity* out);

struct AdverseEvent {
  std::string clinic_id;
  std::string id;
  std::string session_id;
  Instant at{};
  std::string type;          // "hypertension", "nausea", "dissociation", "emergence", ...
  AeSeverity severity = AeSeverity::kMild;
  std::string rescue_given;  // e.g. "ondansetron 4 mg IV"; empty when none
};

// A soft limit passed with a reason (the stored form of domain::Override).
struct OverrideRecord {
  std::string clinic_id;
  std::string id;
  std::string session_id;
  std::string who;
  Instant at{};
  std::vector<std::string> rule_ids;
  std::string reason;
};

// Frozen: "received", "drawn", "administered", "wasted", "returned".
enum class LedgerKind { kReceived = 0, kDrawn = 1, kAdministered = 2, kWasted = 3, kReturned = 4 };
std::string_view LedgerKindName(LedgerKind k);
bool ParseLedgerKind(std::string_view s, LedgerKind* out);

// One movement of controlled substance (ketamine is DEA Schedule III). The
// running balance of a lot is the sum of `received` minus `administered`,
// `wasted` and `returned`; `drawn` moves stock from the vial to a syringe
// and does not change the lot's accountable total.
struct LedgerEntry {
  std::string clinic_id;
  std::string id;
  std::string lot;
  LedgerKind kind = LedgerKind::kReceived;
  Instant at{};
  units::Milligrams amount;                 // > 0
  units::MilligramsPerMillilitre concentration;
  std::string expiry;                       // civil date "YYYY-MM-DD"; for received
  std::string session_id;                   // for drawn/administered/wasted
  std::string actor;                        // user id
  std::string witness;                      // user id; required for wasted
};

// One row of the hash-chained audit log. seq starts at 1 per clinic and has
// no gaps; hash = SHA-256 over the canonical encoding of every other field,
// including prev_hash (see registry/audit.h).
struct AuditEntry {
  std::string clinic_id;
  std::int64_t seq = 0;
  Instant at{};
  std::string actor;
  std::string action;     // "insert", "update"
  std::string entity;     // "session", "vital", ...
  std::string entity_id;
  std::string before;     // canonical text of the record before, "" for insert
  std::string after;      // canonical text after
  std::string prev_hash;  // hex; 64 zeros for seq 1
  std::string hash;       // hex
};

// A signed statement that clinic_id's audit chain had row `seq` with
// `hash` at `at` (registry/audit.h). Ed25519 over CheckpointMessage.
struct AuditCheckpoint {
  std::string clinic_id;
  std::int64_t seq = 0;
  std::string hash;
  Instant at{};
  std::string public_key;  // hex, 32 bytes raw Ed25519
  std::string signature;   // hex, 64 bytes
};

// ---- The stored clinical record ----

// Frozen: "unknown", "not_pregnant", "pregnant".
enum class PregnancyStatus { kUnknown = 0, kNotPregnant = 1, kPregnant = 2 };
std::string_view PregnancyStatusName(PregnancyStatus s);
bool ParsePregnancyStatus(std::string_view s, PregnancyStatus* out);

// One version of a patient's clinical facts. Versions are 1, 2, 3, ... per
// patient with no gaps; a change is a new version (earlier ones stay, and
// the audit row of the change carries old and new). The newest version is
// what every decision about the patient reads.
struct PatientFacts {
  std::string clinic_id;
  std::string patient_id;
  int version = 0;
  Instant recorded_at{};
  std::string recorded_by;  // user id
  std::string reason;       // why it changed ("" for the first version)

  std::optional<double> weight_kg;
  std::string weight_method = "measured";  // domain::WeightMethodName: measured, stated, estimated
  std::string weight_date;                 // civil date "YYYY-MM-DD" of the weighing; may be empty
  // Who confirmed an implausible weight as measured on a scale (re-entered
  // value equal to weight_kg); empty when not confirmed.
  std::string weight_confirmed_by;
  std::optional<double> height_cm;
  PregnancyStatus pregnancy = PregnancyStatus::kUnknown;
  std::string pregnancy_date;              // civil date the status was established; may be empty
  std::vector<std::string> conditions;     // history/condition ids present (guideline vocabulary)
  std::vector<std::string> medications;    // current medications, lower-case generic names
  std::optional<int> failed_antidepressant_trials;  // failed adequate trials
  // Baseline vitals (the patient's own, used by monitoring and discharge).
  std::optional<double> baseline_sbp_mmhg;
  std::optional<double> baseline_dbp_mmhg;
  std::optional<double> baseline_hr_bpm;
  std::optional<double> baseline_spo2_pct;
  std::optional<double> baseline_rr_per_min;
};

// A finding of a stored decision, as far as later decisions need it.
struct StoredFinding {
  std::string rule_id;
  std::string severity;  // domain::SeverityName
};

// The screening decision made on one facts version for one route, and the
// rescue plan it named. Valid until the facts change (a new version is
// screened again); monitoring and rescue advice read it.
struct ScreeningRecord {
  std::string clinic_id;
  std::string patient_id;
  int facts_version = 0;
  std::string route;              // "iv", "intranasal", ...
  Instant screened_at{};
  std::string outcome;            // eligible, eligible_with_cautions, not_eligible
  std::vector<StoredFinding> findings;
  std::string rescue_preferred;   // the rescue plan's preferred choice, as the Advisor worded it
  std::vector<std::string> rescue_avoid;  // agents to avoid ("midazolam", "antipsychotics", ...)
  std::string guideline_version;  // "<id> <version>" of the library that screened
};

// A clinical alert a clinician must acknowledge (a positive suicidality
// item or screen). Open until acknowledged; writes that depend on it (a new
// session for the patient) are refused while it is open.
struct AlertRecord {
  std::string clinic_id;
  std::string id;
  std::string patient_id;
  std::string assessment_id;  // the assessment that raised it
  std::string rule_id;        // the instrument rule, e.g. "instrument.phq9.item9_positive"
  std::string message;        // what was found, as the instrument rule words it
  Instant raised_at{};
  std::string raised_by;      // user id (or "system:import")
  std::optional<Instant> acknowledged_at;
  std::string acknowledged_by;  // user id
  std::string ack_reason;
  // A care-team member who may not acknowledge (a nurse) records that they
  // told a clinician: who told whom, and when. It does not close the alert;
  // a later escalation replaces the stored one (the audit log keeps each).
  std::optional<Instant> escalated_at;
  std::string escalated_by;  // user id
  std::string escalated_to;  // the clinician told, as the nurse names them
  bool open() const { return !acknowledged_at.has_value(); }
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_RECORDS_H_
