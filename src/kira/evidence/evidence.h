// The bundled evidence base (guidelines/evidence.json): published randomized
// trials of ketamine and pooled reference figures, transcribed from
// ../shared/clinical-reference.md sections 9-10. Plain value types; the JSON
// adapter is evidence_json.h, pooling is query.h.
//
// Every count carries the clinical reference's tag (V verified, S secondary,
// U unverified, derived = percentage x arm size). A count the reference does
// not give is absent (std::nullopt), never guessed.
#ifndef KIRA_EVIDENCE_EVIDENCE_H_
#define KIRA_EVIDENCE_EVIDENCE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kira::evidence {

// Frozen: written as "V", "S", "U", "derived" in JSON.
enum class SourceTag { kVerified = 0, kSecondary = 1, kUnverified = 2, kDerived = 3 };
std::string_view SourceTagName(SourceTag tag);

// Outcomes of different classes are never pooled together (a suicidal-ideation
// outcome is not a depression response). Frozen JSON names in the comments.
enum class OutcomeClass {
  kDepressionResponse = 0,        // "depression-response"
  kDepressionRemission = 1,       // "depression-remission"
  kDepressionSeverityChange = 2,  // "depression-severity-change" (continuous)
  kSuicidalIdeation = 3,          // "suicidal-ideation"
};
std::string_view OutcomeClassName(OutcomeClass c);

struct OutcomeDefinition {
  std::string id;  // e.g. "response-24h"
  OutcomeClass outcome_class = OutcomeClass::kDepressionResponse;
  std::string label;
};

// Frozen JSON names: "parallel", "crossover".
enum class TrialDesign { kParallel = 0, kCrossover = 1 };
std::string_view TrialDesignName(TrialDesign d);

struct ArmCounts {
  std::optional<int> responders;
  std::optional<int> n;
  std::optional<double> percent;  // as reported, 0-100
  SourceTag tag = SourceTag::kUnverified;

  bool HasCounts() const { return responders.has_value() && n.has_value(); }
};

struct ReportedEffect {
  std::string measure;  // e.g. "OR"
  double estimate = 0;
  double ci_low = 0;
  double ci_high = 0;
  SourceTag tag = SourceTag::kVerified;
};

struct TrialOutcome {
  std::string outcome_id;
  std::string definition;
  std::string timepoint;
  std::optional<ArmCounts> ketamine;
  std::optional<ArmCounts> control;
  // False when the reference's counts cannot be pooled; exclusion_reason
  // then says why.
  bool poolable = false;
  std::string exclusion_reason;
  std::optional<ReportedEffect> reported_effect;
  std::string note;
};

struct Trial {
  std::string id;
  std::string reference;  // clinical-reference.md tag, e.g. "R65"
  std::string citation;
  std::string doi, pmid, pmcid;  // at least one non-empty
  TrialDesign design = TrialDesign::kParallel;
  std::string population;
  std::string route;        // "iv", "im", "intranasal", "oral", "sublingual"
  std::string route_basis;  // where the route comes from
  std::optional<std::string> dose;
  std::string comparator;
  std::vector<TrialOutcome> outcomes;
  std::string note;
};

// A published pooled figure (e.g. the Cochrane OR 2.48) to show beside a
// pooled estimate of the bundled trials.
struct PooledReference {
  std::string id;
  std::string reference;
  std::string outcome_id;
  std::string comparator;
  std::string citation;
  std::string doi, pmid, pmcid;
  std::optional<int> studies;
  std::optional<int> participants;
  std::optional<std::string> measure;
  std::optional<double> estimate, ci_low, ci_high;
  std::string summary;
  SourceTag tag = SourceTag::kVerified;
};

// A registry-dashboard benchmark rate (clinical-reference.md section 9).
struct Benchmark {
  std::string id;
  std::string reference;
  std::string metric;
  std::string value;  // as printed in the reference, e.g. "53.6 %"
  std::optional<int> n;
  std::string note;
  SourceTag tag = SourceTag::kVerified;
};

struct EvidenceBase {
  std::string id;
  std::string version;
  std::string effective_date;
  std::string description;
  std::vector<OutcomeDefinition> outcomes;
  std::vector<Trial> trials;
  std::vector<PooledReference> pooled_references;
  std::vector<Benchmark> benchmarks;

  // nullptr when there is no such outcome.
  const OutcomeDefinition* FindOutcome(std::string_view outcome_id) const;
};

}  // namespace kira::evidence

#endif  // KIRA_EVIDENCE_EVIDENCE_H_
