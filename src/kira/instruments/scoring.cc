#include "kira/instruments/scoring.h"

#include "kira/instruments/outcome_rule.h"

#include "kira/base/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace kira::instruments {
namespace {

using domain::Decision;
using domain::Evidence;
using domain::Finding;
using domain::Severity;

std::string FormatNumber(double v) { return kira::FormatNumber(v, 2); }

using domain::MakeFinding;

}  // namespace

Status ValidateItems(const Instrument& ins, std::span<const std::optional<int>> items) {
  if (items.size() != ins.items.size()) {
    return InvalidArgumentError("items: " + ins.name + " expects " + std::to_string(ins.items.size()) +
                                " values, got " + std::to_string(items.size()));
  }
  int missing = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& def = ins.items[i];
    if (!items[i].has_value()) {
      ++missing;
      continue;
    }
    const int v = *items[i];
    if (v < def.min || v > def.max) {
      return InvalidArgumentError("items[" + std::to_string(i) + "]: " + ins.name + " " + def.id + " = " +
                                  std::to_string(v) + " is outside " + std::to_string(def.min) + "-" +
                                  std::to_string(def.max));
    }
  }
  if (missing > ins.max_missing_items) {
    return InvalidArgumentError("items: " + std::to_string(missing) + " missing; " + ins.name +
                                " allows at most " + std::to_string(ins.max_missing_items) +
                                " (missing-item rule)");
  }
  if (ins.scoring == Scoring::kDomainMaxSum) {
    // Every domain needs at least one answered item, or its maximum is undefined.
    for (size_t i = 0; i < ins.items.size(); ++i) {
      const std::string& d = ins.items[i].domain;
      bool answered = false;
      for (size_t j = 0; j < ins.items.size(); ++j) {
        if (ins.items[j].domain == d && items[j].has_value()) answered = true;
      }
      if (!answered) return InvalidArgumentError("items: every item of domain '" + d + "' is missing");
    }
  }
  return Status::Ok();
}

ScoreResult ScoreUnchecked(const Instrument& ins, std::span<const std::optional<int>> items) {
  ScoreResult r;
  r.instrument_id = ins.id;
  r.items.assign(items.begin(), items.end());
  double total = 0;
  switch (ins.scoring) {
    case Scoring::kSum:
      for (const auto& v : items) total += v.value_or(0);
      break;
    case Scoring::kMean: {
      int n = 0;
      for (const auto& v : items) {
        if (v) {
          total += *v;
          ++n;
        }
      }
      total = n > 0 ? total / n : 0;
      break;
    }
    case Scoring::kDomainMaxSum: {
      // Items of one domain need not be adjacent; take each domain once, at
      // its first item, as the highest answered item of that domain.
      for (size_t i = 0; i < ins.items.size(); ++i) {
        bool first = true;
        for (size_t j = 0; j < i; ++j) {
          if (ins.items[j].domain == ins.items[i].domain) first = false;
        }
        if (!first) continue;
        int best = 0;
        for (size_t j = i; j < ins.items.size(); ++j) {
          if (ins.items[j].domain == ins.items[i].domain && items[j]) best = std::max(best, *items[j]);
        }
        total += best;
      }
      break;
    }
  }
  r.total = total;
  if (const Band* b = ins.BandFor(total)) r.band = b->label;
  return r;
}

StatusOr<ScoreResult> Score(const InstrumentLibrary& lib, const Instrument& ins,
                            std::span<const std::optional<int>> items,
                            const std::optional<Acknowledgement>& ack) {
  KIRA_RETURN_IF_ERROR(ValidateItems(ins, items));
  ScoreResult r = ScoreUnchecked(ins, items);
  Decision& d = r.decision;
  d.guideline = {lib.id, lib.version};
  d.inputs_used.push_back({"instrument", ins.id});
  std::string rendered;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) rendered += ',';
    rendered += items[i] ? std::to_string(*items[i]) : std::string("-");
  }
  d.inputs_used.push_back({"items", rendered});
  d.inputs_used.push_back({"scoring", std::string(ScoringName(ins.scoring))});
  d.inputs_used.push_back({"max_missing_items", std::to_string(ins.max_missing_items)});

  if (const Band* b = ins.BandFor(r.total)) {
    d.findings.push_back(MakeFinding("instrument." + ins.id + ".band", Severity::kInfo,
                                     ins.name + " total " + FormatNumber(r.total) + " is in band '" +
                                         b->label + "' (" + FormatNumber(b->min) + "-" +
                                         FormatNumber(b->max) + ")",
                                     ins.bands_source));
  } else {
    d.findings.push_back(MakeFinding("instrument." + ins.id + ".no_bands", Severity::kInfo,
                                     ins.name + " total " + FormatNumber(r.total) +
                                         "; the reference gives no severity bands for this instrument",
                                     ins.bands_source));
  }
  if (ins.item_source.evidence == Evidence::kUnverified) {
    std::string ranges;
    for (const Item& it : ins.items) {
      const std::string range = std::to_string(it.min) + "-" + std::to_string(it.max);
      if (ranges.find(range) == std::string::npos) ranges += (ranges.empty() ? "" : ", ") + range;
    }
    d.findings.push_back(MakeFinding("instrument." + ins.id + ".item_range_setting", Severity::kInfo,
                                     ins.name + " item count/range is a clinic setting (U): " +
                                         std::to_string(ins.items.size()) + " items, " + ranges,
                                     ins.item_source));
  }

  bool any_alert = false;
  for (const AlertRule& a : ins.alerts) {
    for (int idx : a.item_indices) {
      const auto& v = items[static_cast<size_t>(idx)];
      if (v && *v >= a.at_least) {
        any_alert = true;
        d.findings.push_back(MakeFinding(a.rule_id, a.severity,
                                         a.message + " (" + ins.items[static_cast<size_t>(idx)].id + " = " +
                                             std::to_string(*v) + ", alert at >= " +
                                             std::to_string(a.at_least) + ")",
                                         a.source));
        break;
      }
    }
  }
  if (!any_alert) {
    d.outcome = "scored";
  } else if (ack && !ack->who.empty()) {
    d.outcome = "alert_acknowledged";
    domain::Override o{ack->who, ack->when, ack->reason, {}};
    for (const Finding& f : d.findings) {
      if (f.severity >= Severity::kSoftStop) o.rule_ids.push_back(f.rule_id);
    }
    d.override_ = std::move(o);
  } else {
    d.outcome = "alert_unacknowledged";
  }
  return r;
}

bool MeetsResponse(const Instrument& ins, double baseline, double current) {
  const ResponseRule& rule = *ins.response;
  return FallMeetsResponse(rule.min_percent_fall, rule.min_point_fall, baseline, current);
}

StatusOr<ResponseResult> AssessResponse(const Instrument& ins, double baseline, double current) {
  if (!ins.response) {
    return FailedPreconditionError(ins.name + " has no response rule in the reference");
  }
  for (double v : {baseline, current}) {
    if (!std::isfinite(v) || v < ins.total_min || v > ins.total_max) {
      return InvalidArgumentError("total " + FormatNumber(v) + " is outside " + ins.name + " range " +
                                  FormatNumber(ins.total_min) + "-" + FormatNumber(ins.total_max));
    }
  }
  ResponseResult r;
  r.point_fall = baseline - current;
  r.percent_fall = baseline > 0 ? r.point_fall / baseline * 100.0 : 0.0;
  r.response = MeetsResponse(ins, baseline, current);
  if (ins.remission) {
    r.remission = ScoreMeetsRemission(ins.remission->op == RemissionOp::kAtMost, ins.remission->value, current);
  }
  return r;
}

void ExplainResponse(const Instrument& ins, const ResponseResult& r, Decision* out) {
  const ResponseRule& rule = *ins.response;
  std::string crit;
  if (rule.min_percent_fall) crit = "a fall >= " + FormatNumber(*rule.min_percent_fall) + "%";
  if (rule.min_point_fall) {
    crit += (crit.empty() ? "a fall >= " : " or >= ") + FormatNumber(*rule.min_point_fall) + " points";
  }
  out->findings.push_back(MakeFinding(
      "instrument." + ins.id + (r.response ? ".response" : ".no_response"), Severity::kInfo,
      ins.name + " fell " + FormatNumber(r.point_fall) + " points (" + FormatNumber(r.percent_fall) +
          "%); response is " + crit + ": " + (r.response ? "met" : "not met"),
      rule.source));
  if (r.remission && ins.remission) {
    const RemissionRule& rem = *ins.remission;
    out->findings.push_back(MakeFinding(
        "instrument." + ins.id + (*r.remission ? ".remission" : ".no_remission"), Severity::kInfo,
        ins.name + std::string(" remission is total ") + (rem.op == RemissionOp::kBelow ? "< " : "<= ") +
            FormatNumber(rem.value) + ": " + (*r.remission ? "met" : "not met"),
        rem.source));
  }
}

}  // namespace kira::instruments
