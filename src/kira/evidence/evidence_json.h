// Loads guidelines/evidence.json into an EvidenceBase. The only code in
// kira/evidence that sees the JSON library.
#ifndef KIRA_EVIDENCE_EVIDENCE_JSON_H_
#define KIRA_EVIDENCE_EVIDENCE_JSON_H_

#include <string_view>

#include "kira/base/statusor.h"
#include "kira/evidence/evidence.h"
#include "kira/evidence/query.h"

namespace kira::evidence {

// Parses and validates the evidence base. Errors are kInvalidArgument with
// the JSON path of the bad field first, e.g.
//   "trials[3].outcomes[0].ketamine.responders: must be <= n (47), got 49"
// Checks: required fields and their types; no unknown fields; unique ids;
// tags in {V, S, U, derived}; outcome ids referenced by trials and pooled
// references exist; 0 <= responders <= n, n > 0; a reported percentage agrees
// with responders / n to within rounding (0.55 points); a poolable outcome has
// counts in both arms, none tagged U; a non-poolable one states its reason;
// each trial has a DOI, PMID or PMCID; reference CIs contain the estimate.
StatusOr<EvidenceBase> ParseEvidenceBase(std::string_view json_text);

// `kira evidence list --json`: id, version, outcomes, trials (with counts and
// tags) and pooled references, as one JSON document (pretty-printed).
std::string EvidenceListToJson(const EvidenceBase& base);

// `kira meta --json`: the query, included/excluded trials with their 2x2
// tables and per-study effects, the pooled model (on the analysis scale and,
// for OR/RR, exponentiated), notes and the published reference figures.
std::string EvidencePoolToJson(const EvidenceBase& base, const EvidenceQuery& query, const EvidencePool& pool);

}  // namespace kira::evidence

#endif  // KIRA_EVIDENCE_EVIDENCE_JSON_H_
