#include "kira/stats/effect_size.h"

#include <cmath>
#include <string>

#include "kira/stats/internal/checks.h"

namespace kira::stats {
namespace {

using internal::ArgName;

// True when table i gets the constant added, per escalc's `to` argument.
bool NeedsCorrection(CorrectionScope scope, bool has_zero, bool any_has_zero) {
  switch (scope) {
    case CorrectionScope::kOnlyZero: return has_zero;
    case CorrectionScope::kAll: return true;
    case CorrectionScope::kIfAnyZero: return any_has_zero;
    case CorrectionScope::kNone: return false;
  }
  return false;
}

Status CheckCorrection(std::string_view fn, const ContinuityCorrection& c) {
  if (!std::isfinite(c.add) || c.add < 0.0) {
    return InvalidArgumentError(ArgName(fn, "correction.add") + ": must be finite and >= 0");
  }
  return Status::Ok();
}

// exp(lgamma(m/2) - log(sqrt(m/2)) - lgamma((m-1)/2)), m > 1 (metafor .cmicalc).
double HedgesCorrection(double m) {
  return std::exp(std::lgamma(m / 2.0) - std::log(std::sqrt(m / 2.0)) - std::lgamma((m - 1.0) / 2.0));
}

}  // namespace

std::string_view EffectMeasureName(EffectMeasure measure) {
  switch (measure) {
    case EffectMeasure::kLogOddsRatio: return "OR";
    case EffectMeasure::kLogRiskRatio: return "RR";
    case EffectMeasure::kRiskDifference: return "RD";
    case EffectMeasure::kMeanDifference: return "MD";
    case EffectMeasure::kStandardizedMeanDifference: return "SMD";
    case EffectMeasure::kRawProportion: return "PR";
    case EffectMeasure::kLogitProportion: return "PLO";
    case EffectMeasure::kPetoLogOddsRatio: return "PETO";
  }
  return "?";
}

StatusOr<EffectMeasure> ParseEffectMeasure(std::string_view name) {
  for (EffectMeasure m :
       {EffectMeasure::kLogOddsRatio, EffectMeasure::kLogRiskRatio,
        EffectMeasure::kRiskDifference, EffectMeasure::kMeanDifference,
        EffectMeasure::kStandardizedMeanDifference, EffectMeasure::kRawProportion,
        EffectMeasure::kLogitProportion, EffectMeasure::kPetoLogOddsRatio}) {
    if (EffectMeasureName(m) == name) return m;
  }
  return InvalidArgumentError("measure: unknown effect measure '" + std::string(name) +
                              "' (expected OR, RR, RD, PETO, MD, SMD, PR or PLO)");
}

bool IsLogScale(EffectMeasure measure) {
  return measure == EffectMeasure::kLogOddsRatio || measure == EffectMeasure::kLogRiskRatio ||
         measure == EffectMeasure::kPetoLogOddsRatio;
}

StatusOr<EffectSizes> EffectSizesFromTables(std::span<const TwoByTwoTable> tables,
                                            EffectMeasure measure,
                                            const ContinuityCorrection& correction) {
  constexpr std::string_view kFn = "EffectSizesFromTables";
  if (measure != EffectMeasure::kLogOddsRatio && measure != EffectMeasure::kLogRiskRatio &&
      measure != EffectMeasure::kRiskDifference && measure != EffectMeasure::kPetoLogOddsRatio) {
    return InvalidArgumentError(ArgName(kFn, "measure") + ": must be OR, RR, RD or PETO, got " +
                                std::string(EffectMeasureName(measure)));
  }
  KIRA_RETURN_IF_ERROR(CheckCorrection(kFn, correction));
  bool any_zero = false;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const TwoByTwoTable& t = tables[i];
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "tables.events_treated", t.events_treated, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "tables.non_events_treated", t.non_events_treated, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "tables.events_control", t.events_control, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "tables.non_events_control", t.non_events_control, i));
    if (t.events_treated + t.non_events_treated <= 0.0) {
      return InvalidArgumentError(ArgName(kFn, "tables", i) + ": treated arm has no participants");
    }
    if (t.events_control + t.non_events_control <= 0.0) {
      return InvalidArgumentError(ArgName(kFn, "tables", i) + ": control arm has no participants");
    }
    if (t.events_treated == 0 || t.non_events_treated == 0 || t.events_control == 0 ||
        t.non_events_control == 0) {
      any_zero = true;
    }
  }

  EffectSizes out;
  out.measure = measure;
  out.yi.reserve(tables.size());
  out.vi.reserve(tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    double ai = tables[i].events_treated, bi = tables[i].non_events_treated;
    double ci = tables[i].events_control, di = tables[i].non_events_control;
    const bool has_zero = ai == 0 || bi == 0 || ci == 0 || di == 0;
    if (NeedsCorrection(correction.scope, has_zero, any_zero)) {
      ai += correction.add;
      bi += correction.add;
      ci += correction.add;
      di += correction.add;
    }
    const double n1 = ai + bi, n2 = ci + di;
    const double p1 = ai / n1, p2 = ci / n2;
    double yi = 0, vi = 0;
    switch (measure) {
      case EffectMeasure::kLogOddsRatio:
        if (ai == 0 || bi == 0 || ci == 0 || di == 0) {
          return InvalidArgumentError(ArgName(kFn, "tables", i) +
                                      ": zero cell without continuity correction; log odds ratio "
                                      "is infinite (use correction.add > 0)");
        }
        yi = std::log(p1 / (1 - p1)) - std::log(p2 / (1 - p2));
        vi = 1 / ai + 1 / bi + 1 / ci + 1 / di;
        break;
      case EffectMeasure::kLogRiskRatio:
        if (ai == 0 || ci == 0) {
          return InvalidArgumentError(ArgName(kFn, "tables", i) +
                                      ": zero events in an arm without continuity correction; log "
                                      "risk ratio is infinite (use correction.add > 0)");
        }
        yi = std::log(p1) - std::log(p2);
        vi = 1 / ai - 1 / n1 + 1 / ci - 1 / n2;
        break;
      case EffectMeasure::kPetoLogOddsRatio: {
        const double n = n1 + n2, xt = ai + ci, yt = bi + di;
        const double v = n > 1 ? xt * yt * (n1 / n) * (n2 / n) / (n - 1) : 0.0;
        if (!(v > 0.0)) {
          return InvalidArgumentError(ArgName(kFn, "tables", i) +
                                      ": Peto variance is 0 (no events or no non-events in both "
                                      "arms and no continuity correction applied)");
        }
        yi = (ai - xt * n1 / n) / v;
        vi = 1 / v;
        break;
      }
      default:  // kRiskDifference
        yi = p1 - p2;
        vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2;
        break;
    }
    if (!(vi > 0.0)) {
      return InvalidArgumentError(ArgName(kFn, "tables", i) +
                                  ": sampling variance is 0 (every participant had the same "
                                  "outcome and no continuity correction applied)");
    }
    out.yi.push_back(yi);
    out.vi.push_back(vi);
  }
  return out;
}

StatusOr<EffectSizes> EffectSizesFromMeans(std::span<const MeansComparison> studies,
                                           EffectMeasure measure) {
  constexpr std::string_view kFn = "EffectSizesFromMeans";
  if (measure != EffectMeasure::kMeanDifference &&
      measure != EffectMeasure::kStandardizedMeanDifference) {
    return InvalidArgumentError(ArgName(kFn, "measure") + ": must be MD or SMD, got " +
                                std::string(EffectMeasureName(measure)));
  }
  EffectSizes out;
  out.measure = measure;
  for (std::size_t i = 0; i < studies.size(); ++i) {
    const ArmSummary& t = studies[i].treated;
    const ArmSummary& c = studies[i].control;
    KIRA_RETURN_IF_ERROR(internal::CheckFiniteAt(kFn, "studies.treated.mean", t.mean, i));
    KIRA_RETURN_IF_ERROR(internal::CheckFiniteAt(kFn, "studies.control.mean", c.mean, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "studies.treated.sd", t.sd, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "studies.control.sd", c.sd, i));
    if (!std::isfinite(t.n) || t.n <= 0) {
      return InvalidArgumentError(ArgName(kFn, "studies.treated.n", i) + ": must be finite and > 0");
    }
    if (!std::isfinite(c.n) || c.n <= 0) {
      return InvalidArgumentError(ArgName(kFn, "studies.control.n", i) + ": must be finite and > 0");
    }
    double yi = 0, vi = 0;
    if (measure == EffectMeasure::kMeanDifference) {
      yi = t.mean - c.mean;
      vi = t.sd * t.sd / t.n + c.sd * c.sd / c.n;
    } else {
      const double m = t.n + c.n - 2;
      if (m <= 1) {
        return InvalidArgumentError(ArgName(kFn, "studies", i) +
                                    ": SMD needs n1 + n2 - 2 > 1 for Hedges' correction");
      }
      const double sdp = std::sqrt(((t.n - 1) * t.sd * t.sd + (c.n - 1) * c.sd * c.sd) / m);
      if (!(sdp > 0)) {
        return InvalidArgumentError(ArgName(kFn, "studies", i) + ": pooled sd is 0");
      }
      yi = HedgesCorrection(m) * (t.mean - c.mean) / sdp;
      vi = 1 / t.n + 1 / c.n + yi * yi / (2 * (t.n + c.n));
    }
    if (!(vi > 0.0)) {
      return InvalidArgumentError(ArgName(kFn, "studies", i) + ": sampling variance is 0 (sd 0 in both arms)");
    }
    out.yi.push_back(yi);
    out.vi.push_back(vi);
  }
  return out;
}

StatusOr<EffectSizes> EffectSizesFromProportions(std::span<const Proportion> groups,
                                                 EffectMeasure measure,
                                                 const ContinuityCorrection& correction) {
  constexpr std::string_view kFn = "EffectSizesFromProportions";
  if (measure != EffectMeasure::kRawProportion && measure != EffectMeasure::kLogitProportion) {
    return InvalidArgumentError(ArgName(kFn, "measure") + ": must be PR or PLO, got " +
                                std::string(EffectMeasureName(measure)));
  }
  KIRA_RETURN_IF_ERROR(CheckCorrection(kFn, correction));
  bool any_zero = false;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "groups.events", groups[i].events, i));
    if (!std::isfinite(groups[i].n) || groups[i].n <= 0) {
      return InvalidArgumentError(ArgName(kFn, "groups.n", i) + ": must be finite and > 0");
    }
    if (groups[i].events > groups[i].n) {
      return InvalidArgumentError(ArgName(kFn, "groups.events", i) + ": exceeds groups.n");
    }
    if (groups[i].events == 0 || groups[i].events == groups[i].n) any_zero = true;
  }
  EffectSizes out;
  out.measure = measure;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    double xi = groups[i].events;
    double mi = groups[i].n - groups[i].events;
    if (NeedsCorrection(correction.scope, xi == 0 || mi == 0, any_zero)) {
      xi += correction.add;
      mi += correction.add;
    }
    const double ni = xi + mi;
    const double p = xi / ni;
    double yi = 0, vi = 0;
    if (measure == EffectMeasure::kRawProportion) {
      yi = p;
      vi = p * (1 - p) / ni;
    } else {
      if (xi == 0 || mi == 0) {
        return InvalidArgumentError(ArgName(kFn, "groups", i) +
                                    ": 0 or n events without continuity correction; logit is infinite");
      }
      yi = std::log(p / (1 - p));
      vi = 1 / xi + 1 / mi;
    }
    if (!(vi > 0.0)) {
      return InvalidArgumentError(ArgName(kFn, "groups", i) +
                                  ": sampling variance is 0 (0 or n events, no correction)");
    }
    out.yi.push_back(yi);
    out.vi.push_back(vi);
  }
  return out;
}

}  // namespace kira::stats
