#include "kira/api/analytics_json.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace kira::api {

namespace {

using nlohmann::json;

json Count(std::int64_t n, const analytics::SmallCellRule& cells) { return cells.Hidden(n) ? json(nullptr) : json(n); }

json Rate(const analytics::Rate& r, const analytics::SmallCellRule& cells) {
  if (cells.Hidden(r)) {
    return {{"numerator", nullptr}, {"denominator", Count(r.denominator, cells)}, {"rate", nullptr},
            {"ci_low", nullptr},    {"ci_high", nullptr},                         {"suppressed", true}};
  }
  json j = {{"numerator", r.numerator}, {"denominator", r.denominator}};
  if (r.ci) {
    j["rate"] = r.ci->estimate;
    j["ci_low"] = r.ci->low;
    j["ci_high"] = r.ci->high;
  }
  if (cells.min_cell > 1) j["suppressed"] = false;
  return j;
}

json Mean(double mean, std::int64_t n, const analytics::SmallCellRule& cells) {
  return cells.Hidden(n) ? json(nullptr) : json(mean);
}

json Coefficient(const stats::LogisticCoefficient& c) {
  return {{"estimate", c.estimate}, {"std_error", c.std_error}, {"z", c.z}, {"p_value", c.p_value},
          {"wald_low", c.wald_low},  {"wald_high", c.wald_high}};
}

json Relapse(const analytics::RelapseSurvival& r, const analytics::SmallCellRule& cells) {
  json relapse = {{"responders", Count(r.responders, cells)}};
  if (!r.km) return relapse;
  if (cells.Hidden(r.responders)) {
    relapse["suppressed"] = true;
    return relapse;
  }
  const auto& km = *r.km;
  relapse["events"] = Count(km.events, cells);
  relapse["median_days"] = km.median_time ? json(*km.median_time) : json(nullptr);
  json steps = json::array();
  for (const auto& s : km.steps) {
    if (cells.Hidden(s.at_risk)) break;  // the tail, where few remain at risk, is not shown
    json st = {{"time_days", s.time},
               {"at_risk", s.at_risk},
               {"events", Count(s.events, cells)},
               {"censored", Count(s.censored, cells)},
               {"survival", s.survival}};
    st["ci_low"] = s.ci_low ? json(*s.ci_low) : json(nullptr);
    st["ci_high"] = s.ci_high ? json(*s.ci_high) : json(nullptr);
    steps.push_back(st);
  }
  relapse["steps"] = steps;
  if (cells.min_cell > 1) relapse["suppressed"] = steps.size() < km.steps.size();
  return relapse;
}

json Group(const analytics::GroupReport& g, const std::vector<std::string>& classes,
           const analytics::SmallCellRule& cells) {
  json j;
  j["group"] = g.group;
  j["patients_started"] = Count(g.patients_started, cells);
  j["patients_with_baseline"] = Count(g.patients_with_baseline, cells);
  j["baseline_mean_total"] = Mean(g.baseline_mean_total, g.patients_with_baseline, cells);
  j["series_completion"] = Rate(g.series_completion, cells);
  j["returned_after_series"] = Rate(g.returned, cells);
  j["sessions"] = Count(g.sessions, cells);
  j["administered_sessions"] = Count(g.administered_sessions, cells);
  j["annual_cap_exceptions"] = Rate(g.cap_exceptions, cells);
  json outcomes = json::array();
  for (const auto& o : g.outcomes) {
    outcomes.push_back({{"timepoint", analytics::TimepointName(o.timepoint)},
                        {"response", Rate(o.response, cells)},
                        {"remission", Rate(o.remission, cells)},
                        {"mean_day", Mean(o.mean_day, o.response.denominator, cells)},
                        {"mean_total", Mean(o.mean_total, o.response.denominator, cells)}});
  }
  j["outcomes"] = outcomes;
  j["relapse"] = Relapse(g.relapse, cells);
  json aes = json::array();
  for (const auto& a : g.adverse_events) {
    aes.push_back({{"class", a.ae_class}, {"per_session", Rate(a.per_session, cells)}});
  }
  j["adverse_events"] = aes;
  json dr = json::array();
  for (const auto& d : g.dose_response) {
    json x = {{"class", d.ae_class}, {"sessions", Count(d.sessions, cells)}, {"events", Count(d.events, cells)}};
    if (d.fit && (cells.Hidden(d.events) || cells.Hidden(d.sessions - d.events))) {
      x["fit"] = nullptr;
      x["not_estimable"] = "suppressed: fewer than " + std::to_string(cells.min_cell) + " sessions with or without the event";
    } else if (d.fit) {
      x["intercept"] = Coefficient(d.fit->intercept);
      x["slope_per_mg_per_kg"] = Coefficient(d.fit->slope);
      x["slope_profile_low"] = d.fit->slope_profile_low ? json(*d.fit->slope_profile_low) : json(nullptr);
      x["slope_profile_high"] = d.fit->slope_profile_high ? json(*d.fit->slope_profile_high) : json(nullptr);
      x["deviance"] = d.fit->deviance;
      // The odds ratio per +0.1 mg/kg (exp(0.1 * slope)), the unit the report reads in.
      const auto or01 = [](double b) { return std::exp(0.1 * b); };
      x["odds_ratio_per_0_1_mg_per_kg"] = {
          {"estimate", or01(d.fit->slope.estimate)},
          {"wald_low", or01(d.fit->slope.wald_low)},
          {"wald_high", or01(d.fit->slope.wald_high)},
          {"profile_low", d.fit->slope_profile_low ? json(or01(*d.fit->slope_profile_low)) : json(nullptr)},
          {"profile_high", d.fit->slope_profile_high ? json(or01(*d.fit->slope_profile_high)) : json(nullptr)}};
    } else {
      x["fit"] = nullptr;
      x["not_estimable"] = d.not_estimable_reason;
    }
    dr.push_back(x);
  }
  j["dose_response"] = dr;
  json bands = json::array();
  for (const auto& b : g.ae_by_dose) {
    if (cells.Hidden(b.sessions)) continue;
    json events = json::object();
    for (std::size_t c = 0; c < b.events.size() && c < classes.size(); ++c) {
      const bool hidden = cells.Hidden(b.events[c]) || cells.Hidden(b.sessions - b.events[c]);
      events[classes[c]] = hidden ? json(nullptr) : json(b.events[c]);
    }
    bands.push_back({{"low_mg_per_kg", b.low_mg_per_kg},
                     {"high_mg_per_kg", b.high_mg_per_kg},
                     {"sessions", b.sessions},
                     {"events", events}});
  }
  j["ae_by_dose"] = bands;
  return j;
}

json Report(const analytics::CohortReport& report, const analytics::SmallCellRule& cells) {
  json j;
  j["dimension"] = report.dimension;
  json rule = {{"instrument", report.rule.instrument}, {"library_version", report.rule.version}};
  rule["response_min_percent_fall"] =
      report.rule.response_min_percent_fall ? json(*report.rule.response_min_percent_fall) : json(nullptr);
  rule["response_min_point_fall"] =
      report.rule.response_min_point_fall ? json(*report.rule.response_min_point_fall) : json(nullptr);
  rule["remission"] = {{"op", report.rule.remission_inclusive ? "<=" : "<"}, {"value", report.rule.remission_value}};
  j["outcome_rule"] = rule;
  const auto& o = report.options;
  j["options"] = {{"baseline_window_days", o.baseline_window_days},
                  {"h24_window_days", {o.h24_low_days, o.h24_high_days}},
                  {"induction_window_days", o.induction_window_days},
                  {"after_induction_days", o.after_induction_days},
                  {"month3_day", o.month3_day},
                  {"month3_halfwidth_days", o.month3_halfwidth_days},
                  {"month6_day", o.month6_day},
                  {"month6_halfwidth_days", o.month6_halfwidth_days},
                  {"dose_band_mg_per_kg", o.dose_band_mg_per_kg},
                  {"level", o.level}};
  std::vector<std::string> classes;
  for (const auto& a : report.overall.adverse_events) classes.push_back(a.ae_class);
  json groups = json::array();
  for (const auto& g : report.groups) groups.push_back(Group(g, classes, cells));
  j["groups"] = groups;
  j["overall"] = Group(report.overall, classes, cells);
  if (cells.min_cell > 1) j["suppressed_below"] = cells.min_cell;
  return j;
}

}  // namespace

std::string CohortReportToJson(const analytics::CohortReport& report, const analytics::SmallCellRule& cells) {
  return Report(report, cells).dump(2);
}

std::string CohortReportToCompactJson(const analytics::CohortReport& report, const analytics::SmallCellRule& cells) {
  return Report(report, cells).dump();
}

}  // namespace kira::api
