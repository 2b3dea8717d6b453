#include "kira/api/research_json.h"

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "kira/api/analytics_json.h"

namespace kira::api {

namespace {

using nlohmann::json;

StatusOr<std::chrono::sys_days> ParseDate(const std::string& key, const std::string& v) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (v.size() != 10 || std::sscanf(v.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return InvalidArgumentError(key + ": must be a date like 2026-01-31");
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok() || y < 1900 || y > 2200) return InvalidArgumentError(key + ": '" + v + "' is not a calendar date");
  return std::chrono::sys_days{ymd};
}

std::string DateText(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

json Interval(const stats::ProportionInterval& p) {
  return {{"rate", p.estimate}, {"ci_low", p.low}, {"ci_high", p.high}};
}

json ClinicRate(const analytics::Rate& r, const analytics::SmallCellRule& cells) {
  if (cells.Hidden(r)) {
    return {{"numerator", nullptr}, {"denominator", cells.Hidden(r.denominator) ? json(nullptr) : json(r.denominator)},
            {"rate", nullptr},      {"ci_low", nullptr},
            {"ci_high", nullptr},   {"suppressed", true}};
  }
  json j = {{"numerator", r.numerator}, {"denominator", r.denominator}, {"suppressed", false}};
  j["rate"] = r.ci ? json(r.ci->estimate) : json(nullptr);
  j["ci_low"] = r.ci ? json(r.ci->low) : json(nullptr);
  j["ci_high"] = r.ci ? json(r.ci->high) : json(nullptr);
  return j;
}

}  // namespace

StatusOr<research::ResearchQuery> ParseResearchQuery(const std::map<std::string, std::string>& params,
                                                     const std::set<std::string>& also) {
  static const std::set<std::string> kKnown = {"clinics", "by",    "instrument", "indication",
                                               "protocol", "route", "from",       "to"};
  research::ResearchQuery q;
  for (const auto& [key, value] : params) {
    if (!kKnown.count(key) && !also.count(key)) return InvalidArgumentError(key + ": unknown parameter");
    if (value.size() > 200) return InvalidArgumentError(key + ": longer than 200 characters");
  }
  auto get = [&](const char* k) {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  };
  const std::string clinics = get("clinics");
  if (clinics == "all") {
    q.all_clinics = true;
  } else if (!clinics.empty() && clinics != "mine") {
    return InvalidArgumentError("clinics: must be 'mine' or 'all'");
  }
  if (std::string by = get("by"); !by.empty()) {
    if (by != "indication" && by != "protocol" && by != "route" && by != "clinic") {
      return InvalidArgumentError("by: must be indication, protocol, route or clinic");
    }
    q.dimension = by;
  }
  if (std::string ins = get("instrument"); !ins.empty()) q.instrument = ins;
  q.indication = get("indication");
  q.protocol = get("protocol");
  q.route = get("route");
  if (std::string f = get("from"); !f.empty()) {
    KIRA_ASSIGN_OR_RETURN(q.from, ParseDate("from", f));
  }
  if (std::string t = get("to"); !t.empty()) {
    KIRA_ASSIGN_OR_RETURN(q.to, ParseDate("to", t));
  }
  if (q.from && q.to && *q.from > *q.to) return InvalidArgumentError("from: is after 'to'");
  return q;
}

std::string ResearchReportToJson(const research::ResearchReport& r) {
  const auto& q = r.query;
  json j;
  j["filters"] = {{"clinics", q.all_clinics ? "all" : "mine"},
                  {"clinic_id", q.clinic_id},
                  {"by", q.dimension},
                  {"instrument", q.instrument},
                  {"indication", q.indication.empty() ? json(nullptr) : json(q.indication)},
                  {"protocol", q.protocol.empty() ? json(nullptr) : json(q.protocol)},
                  {"route", q.route.empty() ? json(nullptr) : json(q.route)},
                  {"from", q.from ? json(DateText(*q.from)) : json(nullptr)},
                  {"to", q.to ? json(DateText(*q.to)) : json(nullptr)}};
  j["suppressed_below"] = r.cells.min_cell;
  j["report"] = json::parse(CohortReportToCompactJson(r.report, r.cells));
  json trials = json::array();
  for (const auto& t : r.trials) {
    json x = {{"outcome_id", t.outcome_id},
              {"outcome_label", t.outcome_label},
              {"registry_measure", t.registry_measure},
              {"registry", ClinicRate(t.clinic, r.cells)},
              {"method", t.method},
              {"notes", t.notes}};
    json arms = json::array();
    for (const auto& a : t.arms) {
      json arm = {{"trial_id", a.trial_id}, {"label", a.label},       {"responders", a.responders},
                  {"n", a.n},               {"weight_percent", a.weight_percent}};
      arm.update(Interval(a.wilson));
      arms.push_back(arm);
    }
    x["trials"] = arms;
    x["pooled"] = t.pooled ? Interval(*t.pooled) : json(nullptr);
    if (t.pooled) {
      x["pooled"]["pi_low"] = t.prediction_low ? json(*t.prediction_low) : json(nullptr);
      x["pooled"]["pi_high"] = t.prediction_high ? json(*t.prediction_high) : json(nullptr);
    }
    // Where the registry's rate lies against the trials' prediction interval.
    json where = nullptr;
    if (t.prediction_low && t.prediction_high && t.clinic.ci && !r.cells.Hidden(t.clinic)) {
      const double e = t.clinic.ci->estimate;
      where = e < *t.prediction_low ? "below" : e > *t.prediction_high ? "above" : "inside";
    }
    x["registry_vs_prediction_interval"] = where;
    trials.push_back(x);
  }
  j["trials"] = trials;
  json figures = json::array();
  for (const auto& f : research::Figures(r)) {
    figures.push_back({{"name", f.name},
                       {"group", f.group.empty() ? json(nullptr) : json(f.group)},
                       {"title", f.title},
                       {"available", f.available},
                       {"reason", f.available ? json(nullptr) : json(f.reason)},
                       {"svg", f.available ? json(f.svg) : json(nullptr)}});
  }
  j["figures"] = figures;
  return j.dump();
}

}  // namespace kira::api
