#include "kira/evidence/query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

#include "kira/stats/meta_analysis.h"

namespace kira::evidence {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ComparatorMatches(const std::string& comparator, const std::optional<std::string>& filter) {
  if (!filter) return true;
  return Lower(comparator).find(Lower(*filter)) != std::string::npos;
}

}  // namespace

double InverseLogit(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::string TrialLabel(const std::string& trial_id) {
  std::string out = trial_id;
  const std::size_t dash = out.rfind('-');
  if (dash != std::string::npos) out[dash] = ' ';
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

StatusOr<EvidencePool> PoolEvidence(const EvidenceBase& base, const EvidenceQuery& query) {
  const OutcomeDefinition* outcome = base.FindOutcome(query.outcome);
  if (outcome == nullptr) {
    std::string known;
    for (const OutcomeDefinition& o : base.outcomes) known += (known.empty() ? "" : ", ") + o.id;
    return NotFoundError("outcome: unknown outcome '" + query.outcome + "' (known: " + known + ")");
  }
  if (outcome->outcome_class == OutcomeClass::kDepressionSeverityChange) {
    return InvalidArgumentError("outcome: '" + query.outcome +
                                "' is a continuous outcome with no counts in the evidence base; nothing to pool");
  }
  if (query.measure != stats::EffectMeasure::kLogOddsRatio && query.measure != stats::EffectMeasure::kLogRiskRatio &&
      query.measure != stats::EffectMeasure::kRiskDifference) {
    return InvalidArgumentError("measure: must be OR, RR or RD for responder counts");
  }

  EvidencePool pool;
  pool.outcome = *outcome;
  for (const Trial& t : base.trials) {
    if (query.route && t.route != *query.route) continue;
    if (!ComparatorMatches(t.comparator, query.comparator)) continue;
    for (const TrialOutcome& o : t.outcomes) {
      if (o.outcome_id != query.outcome) continue;
      if (!o.poolable) {
        pool.excluded.push_back({t.id, o.exclusion_reason});
        continue;
      }
      if (t.design == TrialDesign::kCrossover && !query.include_crossover) {
        pool.excluded.push_back({t.id, "crossover design (not pooled with parallel trials without adjustment)"});
        continue;
      }
      if (query.verified_only &&
          (o.ketamine->tag != SourceTag::kVerified || o.control->tag != SourceTag::kVerified)) {
        pool.excluded.push_back({t.id, "counts are " + std::string(SourceTagName(o.ketamine->tag)) + "/" +
                                           std::string(SourceTagName(o.control->tag)) +
                                           ", not verified (V); excluded by verified_only"});
        continue;
      }
      IncludedTrial inc;
      inc.trial_id = t.id;
      inc.label = TrialLabel(t.id);
      inc.comparator = t.comparator;
      inc.design = t.design;
      const double a = *o.ketamine->responders, n1 = *o.ketamine->n;
      const double c = *o.control->responders, n2 = *o.control->n;
      inc.table = {a, n1 - a, c, n2 - c};
      inc.ketamine_tag = o.ketamine->tag;
      inc.control_tag = o.control->tag;
      pool.included.push_back(std::move(inc));
    }
  }
  for (const PooledReference& r : base.pooled_references) {
    if (r.outcome_id != query.outcome) continue;
    if (!ComparatorMatches(r.comparator, query.comparator)) continue;
    pool.references.push_back(r);
  }
  if (pool.included.empty()) {
    pool.notes.push_back("no trial with poolable counts matches this query");
    return pool;
  }

  {
    // clinical-reference.md section 9: midazolam- and saline-controlled
    // trials give different effect sizes; say so when both are pooled.
    bool midazolam = false, other = false;
    for (const IncludedTrial& i : pool.included) {
      (Lower(i.comparator).find("midazolam") != std::string::npos ? midazolam : other) = true;
    }
    if (midazolam && other) {
      pool.notes.push_back(
          "pools midazolam-controlled with saline/placebo-controlled trials, whose effect sizes differ "
          "(clinical reference section 9); use --comparator to separate them");
    }
  }
  std::vector<stats::TwoByTwoTable> tables;
  for (const IncludedTrial& i : pool.included) tables.push_back(i.table);
  auto effects = stats::EffectSizesFromTables(tables, query.measure);
  if (!effects.ok()) return effects.status().WithContext("pooling " + query.outcome);
  pool.effects = std::move(effects).value();

  stats::MetaOptions options = query.options;
  if (pool.included.size() < 2 && options.test == stats::InferenceTest::kKnappHartung) {
    options.test = stats::InferenceTest::kZ;
    pool.notes.push_back("one trial: Knapp-Hartung needs k >= 2, so the z test is used");
  }
  auto result = stats::MetaAnalyze(pool.effects.yi, pool.effects.vi, options);
  if (!result.ok()) return result.status().WithContext("pooling " + query.outcome);
  pool.result = std::move(result).value();

  std::vector<stats::Proportion> arms;
  for (const IncludedTrial& i : pool.included) {
    arms.push_back({i.table.events_treated, i.table.events_treated + i.table.non_events_treated});
  }
  auto arm_effects = stats::EffectSizesFromProportions(arms, stats::EffectMeasure::kLogitProportion);
  if (!arm_effects.ok()) return arm_effects.status().WithContext("pooling ketamine-arm rates");
  auto arm_fit = stats::MetaAnalyze(arm_effects->yi, arm_effects->vi, options);
  if (!arm_fit.ok()) return arm_fit.status().WithContext("pooling ketamine-arm rates");
  pool.ketamine_arm_logit = std::move(arm_fit).value();
  return pool;
}

}  // namespace kira::evidence
