#include "kira/api/analytics_json.h"

#include <nlohmann/json.hpp>

namespace kira::api {

namespace {

using nlohmann::json;

json Rate(const analytics::Rate& r) {
  json j = {{"numerator", r.numerator}, {"denominator", r.denominator}};
  if (r.ci) {
    j["rate"] = r.ci->estimate;
    j["ci_low"] = r.ci->low;
    j["ci_high"] = r.ci->high;
  }
  return j;
}

json Coefficient(const stats::LogisticCoefficient& c) {
  return {{"estimate", c.estimate}, {"std_error", c.std_error}, {"z", c.z}, {"p_value", c.p_value},
          {"wald_low", c.wald_low},  {"wald_high", c.wald_high}};
}

json Group(const analytics::GroupReport& g) {
  json j;
  j["group"] = g.group;
  j["patients_started"] = g.patients_started;
  j["patients_with_baseline"] = g.patients_with_baseline;
  j["baseline_mean_total"] = g.baseline_mean_total;
  j["series_completion"] = Rate(g.series_completion);
  j["returned_after_series"] = Rate(g.returned);
  j["sessions"] = g.sessions;
  j["administered_sessions"] = g.administered_sessions;
  j["annual_cap_exceptions"] = Rate(g.cap_exceptions);
  json outcomes = json::array();
  for (const auto& o : g.outcomes) {
    outcomes.push_back({{"timepoint", analytics::TimepointName(o.timepoint)},
                        {"response", Rate(o.response)},
                        {"remission", Rate(o.remission)},
                        {"mean_day", o.mean_day},
                        {"mean_total", o.mean_total}});
  }
  j["outcomes"] = outcomes;
  json relapse = {{"responders", g.relapse.responders}};
  if (g.relapse.km) {
    const auto& km = *g.relapse.km;
    relapse["events"] = km.events;
    relapse["median_days"] = km.median_time ? json(*km.median_time) : json(nullptr);
    json steps = json::array();
    for (const auto& s : km.steps) {
      json st = {{"time_days", s.time}, {"at_risk", s.at_risk}, {"events", s.events}, {"censored", s.censored},
                 {"survival", s.survival}};
      st["ci_low"] = s.ci_low ? json(*s.ci_low) : json(nullptr);
      st["ci_high"] = s.ci_high ? json(*s.ci_high) : json(nullptr);
      steps.push_back(st);
    }
    relapse["steps"] = steps;
  }
  j["relapse"] = relapse;
  json aes = json::array();
  for (const auto& a : g.adverse_events) aes.push_back({{"class", a.ae_class}, {"per_session", Rate(a.per_session)}});
  j["adverse_events"] = aes;
  json dr = json::array();
  for (const auto& d : g.dose_response) {
    json x = {{"class", d.ae_class}, {"sessions", d.sessions}, {"events", d.events}};
    if (d.fit) {
      x["intercept"] = Coefficient(d.fit->intercept);
      x["slope_per_mg_per_kg"] = Coefficient(d.fit->slope);
      x["slope_profile_low"] = d.fit->slope_profile_low ? json(*d.fit->slope_profile_low) : json(nullptr);
      x["slope_profile_high"] = d.fit->slope_profile_high ? json(*d.fit->slope_profile_high) : json(nullptr);
      x["deviance"] = d.fit->deviance;
    } else {
      x["fit"] = nullptr;
      x["not_estimable"] = d.not_estimable_reason;
    }
    dr.push_back(x);
  }
  j["dose_response"] = dr;
  return j;
}

}  // namespace

std::string CohortReportToJson(const analytics::CohortReport& report) {
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
                  {"level", o.level}};
  json groups = json::array();
  for (const auto& g : report.groups) groups.push_back(Group(g));
  j["groups"] = groups;
  j["overall"] = Group(report.overall);
  return j.dump(2);
}

}  // namespace kira::api
