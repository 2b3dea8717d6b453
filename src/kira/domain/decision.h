// The decision record: one shape for every clinical answer kira gives
// (design.md, "The decision record"). Screening, dosing, planning, monitoring
// and discharge all return a Decision; JSON, the database and the UI render
// this same structure.
#ifndef KIRA_DOMAIN_DECISION_H_
#define KIRA_DOMAIN_DECISION_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kira/domain/text.h"

namespace kira::domain {

// How strongly a finding bears on the decision. Frozen: rendered as strings
// ("info", "caution", "soft_stop", "hard_stop") in JSON and the database.
enum class Severity {
  kInfo = 0,
  kCaution = 1,
  kSoftStop = 2,  // proceed only with a recorded override reason
  kHardStop = 3,  // cannot be overridden
};
std::string_view SeverityName(Severity s);
bool ParseSeverity(std::string_view s, Severity* out);

// Where the fact behind a rule was seen (clinical-reference.md section 0).
// Frozen: rendered as "V", "S", "U", "derived".
enum class Evidence {
  kVerified = 0,    // V: primary source
  kSecondary = 1,   // S: secondary source only
  kUnverified = 2,  // U: not found; a clinic setting with a documented default
  kDerived = 3,     // arithmetic from cited inputs
};
std::string_view EvidenceName(Evidence e);
bool ParseEvidence(std::string_view s, Evidence* out);

// Where a rule, limit or setting comes from: the one provenance/citation
// type (guideline rules, advisor settings and instrument definitions all use
// it). `citation` names literature, a label or a clinic setting, never a file.
struct Provenance {
  std::string grade;      // guideline letter grade or "" when none was given
  std::string certainty;  // guideline level of certainty or ""
  Evidence evidence = Evidence::kUnverified;
  std::string citation;   // e.g. "Cohen 2018 [R1]"
  std::string rationale;  // why the rule exists; for U settings the documented default and its basis
  // Where the rule applies: drug, route, indications and population of the
  // source (e.g. "esketamine, intranasal, trd, adults"); "" = no restriction.
  std::string scope = {};
};

// One reason behind a decision. Its text is rendered at the edge (text.h):
// the Advisor fills `message` with the numbers that triggered the rule and a
// render function, and citation/rationale/scope with views of the library's
// provenance; callers that show or store a finding call str().
struct Finding {
  std::string rule_id;   // stable id, e.g. "contra.psychosis.active"
  Severity severity = Severity::kInfo;
  Text message;          // what was found, with the numbers that triggered it
  std::string grade;     // guideline letter grade ("A", "B", "C") or "" for none
  std::string certainty; // guideline level of certainty or "" for none
  Evidence evidence = Evidence::kUnverified;
  Text citation;         // e.g. "Cohen 2018 [R1]"
  Text rationale;        // why the rule exists
  Text scope = {};       // drug, route, indications, population the rule comes from ("" = any)
};

// A fact a rule read, so a reviewer can replay the decision.
struct InputUsed {
  InputUsed() = default;
  // A constructor, not aggregate initialisation, so emplace_back(name, value)
  // also compiles where parenthesised aggregate init is missing (clang 14).
  // Forwarding, so each Text is built in place rather than moved twice.
  template <class N, class V>
  InputUsed(N&& name_in, V&& value_in) : name(std::forward<N>(name_in)), value(std::forward<V>(value_in)) {}
  Text name;   // e.g. "dosing_weight_kg"
  Text value;  // rendered value, e.g. "64.0 (actual, measured)"
};

// Present only when a soft stop was passed with a reason.
struct Override {
  std::string who;
  std::string when;    // ISO 8601 instant, supplied by the caller (rules read no clock)
  std::string reason;
  std::vector<std::string> rule_ids;  // the soft stops it covers
};

struct GuidelineRef {
  std::string id;
  std::string version;
};

// The one finding builder: a finding carrying (a copy of) its provenance.
Finding MakeFinding(std::string rule_id, Severity severity, Text message, const Provenance& source);
// The same, viewing the provenance instead of copying it. REQUIRES: `source`
// outlives the decision: it belongs to a loaded library (immutable for the
// life of the process) or is a static.
Finding LibraryFinding(std::string rule_id, Severity severity, Text message, const Provenance& source);

struct Decision {
  std::string outcome;  // decision-specific vocabulary, see each use case
  std::vector<Finding> findings;
  std::vector<InputUsed> inputs_used;
  GuidelineRef guideline;
  std::optional<Override> override_;

  // The most severe finding's severity, or kInfo when there are none.
  Severity MaxSeverity() const;
  bool Has(std::string_view rule_id) const;
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_DECISION_H_
