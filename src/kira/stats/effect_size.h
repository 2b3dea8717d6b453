// Per-study effect sizes and their sampling variances, computed as R's
// metafor::escalc() does (Viechtbauer 2010, J Stat Softw 36(3); metafor
// documentation of escalc, "Outcome Measures for Two-Group Comparisons" and
// "Outcome Measures for Individual Groups"). Numbers in, numbers out: no I/O.
//
// Conventions follow escalc: "treated" is group 1 (metafor's ai/bi, m1i...)
// and "control" group 2 (ci/di, m2i...), so a log odds ratio below 0 means
// fewer events under treatment.
#ifndef KIRA_STATS_EFFECT_SIZE_H_
#define KIRA_STATS_EFFECT_SIZE_H_

#include <span>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::stats {

// The outcome measure of a set of effect sizes. Frozen: the names returned by
// EffectMeasureName() are metafor's and are written to JSON and fixtures.
enum class EffectMeasure {
  kLogOddsRatio = 0,                // "OR"  (log scale)
  kLogRiskRatio = 1,                // "RR"  (log scale)
  kRiskDifference = 2,              // "RD"
  kMeanDifference = 3,              // "MD"
  kStandardizedMeanDifference = 4,  // "SMD" (Hedges' g, exact correction)
  kRawProportion = 5,               // "PR"
  kLogitProportion = 6,             // "PLO"
  kPetoLogOddsRatio = 7,            // "PETO" (log scale; Peto's one-step log OR per study)
};

std::string_view EffectMeasureName(EffectMeasure measure);
// Parses "OR", "RR", "RD", "MD", "SMD", "PR", "PLO", "PETO". kInvalidArgument otherwise.
StatusOr<EffectMeasure> ParseEffectMeasure(std::string_view name);
// True for measures analysed on the log scale (OR, RR, PETO), whose pooled values
// are exponentiated for display.
bool IsLogScale(EffectMeasure measure);

// One study's 2x2 table (metafor's ai, bi, ci, di). Counts may be
// non-integer (e.g. already corrected) but must be finite and >= 0, and each
// arm must have a positive total.
struct TwoByTwoTable {
  double events_treated = 0;      // ai
  double non_events_treated = 0;  // bi
  double events_control = 0;      // ci
  double non_events_control = 0;  // di
};

// When a constant is added to the cells of a table (escalc `add`, `to`).
enum class CorrectionScope {
  kOnlyZero = 0,   // to = "only0": tables with at least one zero cell (default)
  kAll = 1,        // to = "all": every table
  kIfAnyZero = 2,  // to = "if0all": every table, if any table has a zero cell
  kNone = 3,       // to = "none"
};

struct ContinuityCorrection {
  double add = 0.5;                                // metafor default 1/2; REQUIRES >= 0
  CorrectionScope scope = CorrectionScope::kOnlyZero;
};

// Effect sizes yi and sampling variances vi, one element per study, in the
// order given.
struct EffectSizes {
  EffectMeasure measure = EffectMeasure::kLogOddsRatio;
  std::vector<double> yi;
  std::vector<double> vi;
};

// OR, RR, RD or PETO from 2x2 tables (large-sample variances, escalc vtype
// "LS"). RD and PETO tables are corrected too, as escalc does by default.
// PETO (Yusuf et al. 1985; escalc measure "PETO"): yi = (ai - E) / V,
// vi = 1 / V with E = (ai + ci) n1 / n and the hypergeometric variance
// V = (ai + ci)(bi + di) n1 n2 / (n^2 (n - 1)).
// Errors (kInvalidArgument, message names the argument and index):
//   measure not OR/RR/RD/PETO; a negative or non-finite count; an arm of size 0;
//   a zero cell left uncorrected (scope kNone or add 0) for OR/RR, whose log
//   would be infinite; RD/OR with a variance of 0 (both arms all-or-none and
//   no correction).
StatusOr<EffectSizes> EffectSizesFromTables(std::span<const TwoByTwoTable> tables,
                                            EffectMeasure measure,
                                            const ContinuityCorrection& correction = {});

// One arm's summary statistics.
struct ArmSummary {
  double mean = 0;
  double sd = 0;  // REQUIRES >= 0
  double n = 0;   // REQUIRES > 0
};

struct MeansComparison {
  ArmSummary treated;
  ArmSummary control;
};

// MD (variance sd1^2/n1 + sd2^2/n2) or SMD: Hedges' g with the exact bias
// correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), m = n1 + n2 - 2,
// and variance 1/n1 + 1/n2 + g^2 / (2 (n1 + n2)) (escalc vtype "LS").
// Errors: measure not MD/SMD; non-finite mean; sd < 0; n <= 0; for SMD,
// n1 + n2 - 2 <= 1 (correction undefined) or a pooled sd of 0; for MD, a
// variance of 0 (both sds 0).
StatusOr<EffectSizes> EffectSizesFromMeans(std::span<const MeansComparison> studies,
                                           EffectMeasure measure);

// One group's event count out of n.
struct Proportion {
  double events = 0;  // REQUIRES 0 <= events <= n
  double n = 0;       // REQUIRES > 0
};

// PR (p, variance p(1-p)/n) or PLO (logit p, variance 1/x + 1/(n-x)). Studies
// with 0 or n events are corrected as `correction` says (escalc default: add
// 1/2 to events and non-events of those studies).
// Errors: measure not PR/PLO; events < 0 or > n; n <= 0; an uncorrected 0
// or n (variance 0 for PR, infinite logit for PLO).
StatusOr<EffectSizes> EffectSizesFromProportions(std::span<const Proportion> groups,
                                                 EffectMeasure measure,
                                                 const ContinuityCorrection& correction = {});

}  // namespace kira::stats

#endif  // KIRA_STATS_EFFECT_SIZE_H_
