#include "kira/advisor/plan.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "kira/advisor/annual_cap.h"
#include "kira/advisor/internal/finding.h"
#include "kira/base/format.h"
#include "kira/instruments/scoring.h"

namespace kira::advisor {
namespace {

using domain::Decision;
using domain::Finding;
using domain::Severity;
using std::chrono::days;
using std::chrono::sys_days;

constexpr auto Make = internal::FindingFromSource;

std::string Num(double v) { return FormatNumber(v, 3); }

int IntSetting(const NumericSetting& s, int fallback) {
  return s.value ? static_cast<int>(*s.value) : fallback;
}

// Counts sessions toward the cap. "session": every session; "series": each
// induction run counts once and each maintenance session once (U, 1.7).
std::vector<sys_days> CountedDates(const PlanHistory& h, const std::string& unit) {
  std::vector<sys_days> out;
  out.reserve(h.sessions.size());
  for (size_t i = 0; i < h.sessions.size(); ++i) {
    const HistorySession& s = h.sessions[i];
    if (unit == "series" && s.phase == "induction" && i > 0 && h.sessions[i - 1].phase == "induction" &&
        !s.baseline_score) {
      continue;
    }
    out.push_back(s.date);
  }
  return out;
}

// Whether a planned session counts toward the cap: in "series" mode only the
// first session of an induction run counts (U, 1.7).
bool PlannedCounts(const ScheduledSession& p, const std::string& unit) {
  return unit != "series" || p.phase == "maintenance" || p.number == 1;
}

}  // namespace

const std::string& PickPlanInstrument(const PlanTemplate& t, std::span<const std::string> recorded) {
  for (const std::string& id : t.response_instruments)
    if (std::find(recorded.begin(), recorded.end(), id) != recorded.end()) return id;
  return t.response_instruments.front();
}

sys_days PlanClock::LocalToday() const {
  return std::chrono::floor<days>(now + utc_offset);
}

std::string FormatDate(sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

StatusOr<PlanResult> PlanNext(const AdvisorLibrary& lib, const instruments::InstrumentLibrary& ilib,
                              const PlanRequest& req, const PlanHistory& h, const PlanClock& clock) {
  const PlanTemplate* t = lib.TemplateFor(req.indication, req.route);
  if (!t) {
    return NotFoundError("indication: no plan template for '" + req.indication + "'" +
                         (req.route.empty() ? "" : " route '" + req.route + "'"));
  }
  const std::string& chosen = h.instrument.empty() ? t->response_instruments.front() : h.instrument;
  if (std::find(t->response_instruments.begin(), t->response_instruments.end(), chosen) ==
      t->response_instruments.end()) {
    std::string list;
    for (const std::string& i : t->response_instruments) list += (list.empty() ? "" : " or ") + i;
    return InvalidArgumentError("history.instrument: '" + h.instrument + "' but template " + t->id +
                                " tailors on " + list);
  }
  const instruments::Instrument* ins = ilib.Find(chosen);
  if (!ins || !ins->response) {
    return FailedPreconditionError("template " + t->id + ": response instrument '" + chosen +
                                   "' is missing or has no response rule");
  }
  for (size_t i = 1; i < h.sessions.size(); ++i) {
    if (h.sessions[i].date < h.sessions[i - 1].date) {
      return InvalidArgumentError("history.sessions[" + std::to_string(i) + "].date: earlier than the session before");
    }
  }

  PlanResult res;
  res.template_id = t->id;
  Decision& d = res.decision;
  d.guideline = {lib.id, lib.version};
  const AnnualCap& capset = lib.annual_cap;
  if (!capset.cap.value || !capset.window_days.value)
    return FailedPreconditionError("annual cap: the clinic setting " + capset.cap.id + " or " + capset.window_days.id +
                                   " is not configured");
  const int cap = static_cast<int>(*capset.cap.value);
  const int window = static_cast<int>(*capset.window_days.value);
  const int min_gap = IntSetting(t->min_interval_days, 1);
  const int n_eval = IntSetting(t->evaluate_after_sessions, t->InductionSessions());
  const sys_days today = clock.LocalToday();
  res.cap = cap;

  d.inputs_used.reserve(16);
  d.inputs_used.push_back({"template", t->id});
  d.inputs_used.push_back({"today_local", FormatDate(today)});
  d.inputs_used.push_back({"utc_offset_min", std::to_string(clock.utc_offset.count())});
  d.inputs_used.push_back({capset.cap.id, RenderSetting(capset.cap)});
  d.inputs_used.push_back({capset.window_days.id, RenderSetting(capset.window_days)});
  d.inputs_used.push_back({"annual_cap.counting_unit", capset.counting_unit + " [U]"});
  d.inputs_used.push_back({t->min_interval_days.id, RenderSetting(t->min_interval_days)});
  d.inputs_used.push_back({t->maintenance_default_days.id, RenderSetting(t->maintenance_default_days)});
  d.inputs_used.push_back({t->evaluate_after_sessions.id, RenderSetting(t->evaluate_after_sessions)});
  d.inputs_used.push_back({"response_instrument", ins->id});
  {
    const instruments::ResponseRule& rr = *ins->response;
    std::string rule;
    if (rr.min_percent_fall) rule += "response = a fall of at least " + Num(*rr.min_percent_fall) + " % from baseline";
    if (rr.min_point_fall)
      rule += (rule.empty() ? "response = a fall of at least " : " or at least ") + Num(*rr.min_point_fall) + " points";
    if (ins->remission)
      rule += std::string("; remission = a total ") +
              (ins->remission->op == instruments::RemissionOp::kBelow ? "below " : "of at most ") +
              Num(ins->remission->value);
    const SettingSource& src = rr.source;
    d.findings.push_back(Make("plan.instrument", Severity::kInfo, "tailored on " + ins->name + ": " + rule, src));
  }
  d.inputs_used.push_back({"instruments_library", ilib.id + " " + ilib.version});

  // Counted dates: history, then each planned session that counts as it is
  // scheduled; every check goes through the one cap rule (annual_cap.h).
  std::vector<sys_days> counted = CountedDates(h, capset.counting_unit);
  KIRA_ASSIGN_OR_RETURN(CapCheck today_check, CheckAnnualCap(capset, counted, today));
  res.used_in_window = today_check.counted - 1;  // "today" itself is not a session
  d.inputs_used.push_back({"sessions_in_window_today", std::to_string(res.used_in_window)});

  sys_days earliest = std::max(req.start, today);
  if (req.start < today) {
    d.findings.push_back(Make("plan.start_in_past", Severity::kInfo,
                              "requested start " + FormatDate(req.start) + " is before today " + FormatDate(today) +
                                  "; scheduling from today",
                              SettingSource{}));
  }
  std::optional<sys_days> prev;
  if (!h.sessions.empty()) prev = h.sessions.back().date;

  // Adds `n` sessions of `phase` with the gap sequence `gaps` (cycled),
  // starting after `prev` (or at `earliest`), honouring the minimum interval
  // and the cap.
  auto schedule = [&](const std::string& phase, int n, const std::vector<int>& gaps, int number_from) {
    for (int i = 0; i < n; ++i) {
      sys_days date;
      const std::optional<sys_days> before = res.schedule.empty() ? prev : std::optional(res.schedule.back().date);
      if (!before) {
        date = earliest;
      } else {
        // Session k of a phase follows gap k-2 (cycled); a phase's first
        // session after an earlier one uses the last gap of the cycle.
        const int gap = gaps.empty() ? min_gap
                                     : gaps[static_cast<size_t>(number_from + i + static_cast<int>(gaps.size()) - 2) %
                                            gaps.size()];
        date = *before + days(std::max(gap, min_gap));
        if (date < earliest) date = earliest;
      }
      ScheduledSession s;
      s.date = date;
      s.phase = phase;
      s.number = number_from + i;
      const bool counts = PlannedCounts(s, capset.counting_unit);
      StatusOr<CapCheck> c = CheckAnnualCap(capset, counted, date);  // settings checked above: cannot fail
      const int with = c.ok() ? c->counted : 0;
      s.counted_in_window = counts ? with : with - 1;
      s.exceeds_cap = counts && c.ok() && c->exceeds;
      if (counts) counted.push_back(date);
      res.schedule.push_back(std::move(s));
    }
  };
  auto schedule_induction = [&](int already_done) {
    int index = 0;
    for (const PlanPhase& p : t->induction) {
      for (int k = 0; k < p.sessions; ++k, ++index) {
        if (index < already_done) continue;
        schedule(p.name, 1, p.gaps_days, k + 1);
      }
    }
  };
  auto schedule_maintenance = [&]() {
    schedule("maintenance", req.maintenance_horizon, {IntSetting(t->maintenance_default_days, min_gap)}, 1);
  };
  const bool has_maintenance = t->maintenance_default_days.value.has_value();

  // The current run: trailing sessions of the same phase.
  std::string step;
  if (h.sessions.empty()) {
    step = "start_induction";
    d.findings.push_back(Make("plan.induction.start", Severity::kInfo,
                              t->id + ": " + std::to_string(t->InductionSessions()) + " induction sessions",
                              t->induction.front().source));
    schedule_induction(0);
  } else {
    const HistorySession& last = h.sessions.back();
    size_t run_start = h.sessions.size() - 1;
    while (run_start > 0 && h.sessions[run_start - 1].phase == last.phase && !h.sessions[run_start].baseline_score) {
      --run_start;
    }
    // The baseline of the current series: the newest series baseline at or
    // before the run, else the history's pre-treatment baseline.
    std::optional<double> baseline = h.baseline_score;
    for (size_t i = 0; i < h.sessions.size(); ++i) {
      if (h.sessions[i].baseline_score) baseline = h.sessions[i].baseline_score;
    }
    int done = 0;
    for (size_t i = run_start; i < h.sessions.size(); ++i) done += h.sessions[i].completed ? 1 : 0;
    std::optional<double> latest;
    for (size_t i = run_start; i < h.sessions.size(); ++i) {
      if (h.sessions[i].score) latest = h.sessions[i].score;
    }
    d.inputs_used.push_back({"current_phase", last.phase});
    d.inputs_used.push_back({"completed_in_run", std::to_string(done)});
    d.inputs_used.push_back({"baseline_score", baseline ? Num(*baseline) : "none"});
    d.inputs_used.push_back({"latest_score", latest ? Num(*latest) : "none"});

    const bool responding = baseline && latest && instruments::MeetsResponse(*ins, *baseline, *latest);
    if (baseline && latest) {
      auto rr = instruments::AssessResponse(*ins, *baseline, *latest);
      if (rr.ok()) instruments::ExplainResponse(*ins, *rr, &d);
    }
    const SettingSource& rote = t->evaluate_after_sessions.source;
    if (last.phase == "induction") {
      if (!latest && done >= n_eval) {
        step = "assessment_needed";
        d.findings.push_back(Make("plan.assessment_needed", Severity::kCaution,
                                  "no " + ins->name + " score in this series; score before deciding", rote));
      } else if (done >= n_eval && !responding) {
        step = "stop_no_response";
        d.findings.push_back(Make("plan.tailor.stop_no_response", Severity::kSoftStop,
                                  std::to_string(done) + " sessions without a response on " + ins->name +
                                      " (evaluate after " + RenderSetting(t->evaluate_after_sessions) +
                                      "); a series is not given by rote",
                                  rote));
      } else if (done < t->InductionSessions()) {
        step = "continue_induction";
        d.findings.push_back(Make("plan.tailor.continue_induction", Severity::kInfo,
                                  std::to_string(done) + " of " + std::to_string(t->InductionSessions()) +
                                      " induction sessions done" + (responding ? "; responding" : ""),
                                  t->induction.front().source));
        schedule_induction(done);
      } else if (!has_maintenance) {
        step = "course_complete";
        d.findings.push_back(Make("plan.course_complete", Severity::kInfo,
                                  t->id + " defines no maintenance phase; evaluate benefit before any further course",
                                  t->maintenance_default_days.source));
      } else {
        step = "move_to_maintenance";
        d.findings.push_back(Make("plan.tailor.responder_to_maintenance", Severity::kInfo,
                                  "induction complete with a response: maintenance every " +
                                      RenderSetting(t->maintenance_default_days),
                                  t->maintenance_default_days.source));
        schedule_maintenance();
      }
    } else {  // maintenance
      if (!latest || !h.sessions.back().score) {
        step = "assessment_needed";
        d.findings.push_back(Make("plan.assessment_needed", Severity::kCaution,
                                  "the latest maintenance session has no " + ins->name + " score", rote));
      } else if (responding) {
        step = "continue_maintenance";
        d.findings.push_back(Make("plan.tailor.continue_maintenance", Severity::kInfo,
                                  "still responding; next maintenance after " + RenderSetting(t->maintenance_default_days),
                                  t->maintenance_default_days.source));
        schedule_maintenance();
      } else {
        step = "reinduce";
        d.findings.push_back(Make("plan.tailor.relapse_reinduce", Severity::kCaution,
                                  "response lost on " + ins->name + " (relapse = latest score no longer meets the "
                                  "response rule against the series baseline; definition U): re-induce if the cap allows",
                                  SettingSource{"", "", domain::Evidence::kUnverified,
                                                "Clinic setting (U): relapse definition",
                                                "no reference defines relapse during maintenance"}));
        schedule_induction(0);
      }
    }
  }

  // Rolling annual cap (grade C, low-to-moderate certainty, V [R1-seed]).
  int over = 0;
  for (const ScheduledSession& s : res.schedule) over += s.exceeds_cap ? 1 : 0;
  if (over > 0) {
    const ScheduledSession* first = nullptr;
    for (const ScheduledSession& s : res.schedule) {
      if (s.exceeds_cap) {
        first = &s;
        break;
      }
    }
    const std::string msg = std::to_string(over) + " planned session(s) from " + FormatDate(first->date) +
                            " would exceed the annual cap of " + RenderSetting(capset.cap) + " in a rolling " +
                            std::to_string(window) + "-day window (" + std::to_string(first->counted_in_window) +
                            " counted)";
    if (req.cap_override && !req.cap_override->reason.empty()) {
      d.findings.push_back(Make("plan.cap.annual_overridden", Severity::kCaution,
                                msg + "; exceptional-circumstance override recorded", capset.cap.source));
      domain::Override o = *req.cap_override;
      o.rule_ids = {"plan.cap.annual"};
      d.override_ = std::move(o);
    } else {
      d.findings.push_back(Make("plan.cap.annual", Severity::kSoftStop,
                                msg + "; exceeding it needs a recorded exceptional-circumstance override",
                                capset.cap.source));
      // An induction is only worth starting whole, so any induction session
      // over the cap blocks it; maintenance is blocked when the next one is.
      const bool induction = step == "reinduce" || step == "continue_induction" || step == "start_induction";
      if ((induction && over > 0) || res.schedule.front().exceeds_cap) step = "cap_reached";
    }
  }
  d.outcome = step;
  return res;
}

}  // namespace kira::advisor
