// Pools the bundled trials that match a query (outcome, route, comparator)
// with kira::stats. A query names one outcome id, so outcomes of different
// classes (suicidal ideation vs depression response) are never mixed.
#ifndef KIRA_EVIDENCE_QUERY_H_
#define KIRA_EVIDENCE_QUERY_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/evidence/evidence.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/meta_analysis.h"

namespace kira::evidence {

struct EvidenceQuery {
  std::string outcome;                    // required, an outcomes[].id
  std::optional<std::string> route;       // exact match, e.g. "iv"
  std::optional<std::string> comparator;  // case-insensitive substring, e.g. "midazolam"
  // Crossover trials are excluded by default: the clinical reference says not
  // to pool them with parallel designs without adjustment.
  bool include_crossover = false;
  // Exclude counts tagged "derived" or "S" (keep only V).
  bool verified_only = false;
  // OR, RR or RD.
  stats::EffectMeasure measure = stats::EffectMeasure::kLogOddsRatio;
  stats::MetaOptions options = DefaultOptions();

  static stats::MetaOptions DefaultOptions() {
    stats::MetaOptions o;
    o.method = stats::Tau2Estimator::kRestrictedMaximumLikelihood;
    o.test = stats::InferenceTest::kKnappHartung;
    return o;
  }
};

struct IncludedTrial {
  std::string trial_id;
  std::string label;  // e.g. "Murrough 2013"
  std::string comparator;
  TrialDesign design = TrialDesign::kParallel;
  stats::TwoByTwoTable table;
  SourceTag ketamine_tag = SourceTag::kVerified;
  SourceTag control_tag = SourceTag::kVerified;
};

struct ExcludedTrial {
  std::string trial_id;
  std::string reason;
};

struct EvidencePool {
  OutcomeDefinition outcome;
  std::vector<IncludedTrial> included;  // in evidence-file order
  std::vector<ExcludedTrial> excluded;  // matched the filters but not pooled
  stats::EffectSizes effects;           // one per included trial
  // Absent when no trial could be pooled.
  std::optional<stats::MetaAnalysisResult> result;
  // The ketamine arms' response rates pooled on the logit scale (PLO, same
  // estimator and test), for a clinic to compare its own rate with; absent
  // when no trial could be pooled. Back-transform with InverseLogit.
  std::optional<stats::MetaAnalysisResult> ketamine_arm_logit;
  // Published pooled figures for the same outcome (and comparator, if given).
  std::vector<PooledReference> references;
  // Decisions the query made, e.g. falling back from Knapp-Hartung to z.
  std::vector<std::string> notes;
};

// Errors: kNotFound for an unknown outcome id (the message lists the known
// ones); kInvalidArgument for a measure other than OR/RR/RD or an outcome of
// class depression-severity-change (no counts to pool); errors from
// kira::stats pass through with context. With one included trial and
// Knapp-Hartung requested, the z test is used and a note says so.
StatusOr<EvidencePool> PoolEvidence(const EvidenceBase& base, const EvidenceQuery& query);

// 1 / (1 + exp(-x)).
double InverseLogit(double x);

// "Murrough 2013" from "murrough-2013".
std::string TrialLabel(const std::string& trial_id);

}  // namespace kira::evidence

#endif  // KIRA_EVIDENCE_QUERY_H_
