// Treatment plans tailored to response (clinical-reference.md 1.7, 2, 3).
//
// A series is "not given by rote" but tailored to the patient's response, and
// treatments are limited to 6-12 a year except in exceptional circumstances
// (grade C, low-to-moderate certainty, V [R1-seed]). Given the plan template
// for an indication, the history of sessions and scores, and "now", PlanNext
// recommends the next step and a dated schedule:
//
//   start_induction       no history: the template's induction, from the start date
//   continue_induction    fewer than the template's induction sessions so far
//   stop_no_response      N sessions (setting "evaluate_after_sessions") without
//                         a response on the template's instrument
//   move_to_maintenance   induction complete and the latest score is a response
//   continue_maintenance  in maintenance and still responding
//   reinduce              in maintenance, response lost (relapse), and the cap allows
//   cap_reached           the next session would exceed the rolling annual cap;
//                         needs a recorded exceptional-circumstance override
//   course_complete       the template has no maintenance phase
//   assessment_needed     the latest session has no score to tailor on
//
// Dates are civil dates (std::chrono::sys_days). Time zones: GCC 12's
// libstdc++ has no std::chrono::tzdb, so the caller supplies the clinic's UTC
// offset with "now" (PlanClock); "today" is the clinic's local date. A
// clinic whose offset changes with daylight saving passes the offset in force
// at `now`; plan dates themselves are zone-free calendar days.
#ifndef KIRA_ADVISOR_PLAN_H_
#define KIRA_ADVISOR_PLAN_H_

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/instruments/instrument.h"

namespace kira::advisor {

struct HistorySession {
  std::chrono::sys_days date;
  std::string phase = "induction";  // "induction" or "maintenance"
  bool completed = true;            // false: stopped early (counts toward the cap only)
  std::optional<double> score;      // response instrument total after this session
  std::optional<double> baseline_score;  // set on a series' first session: its baseline
};

struct PlanHistory {
  std::string instrument;               // one of the template's response_instruments ("" = its first)
  std::optional<double> baseline_score; // pre-treatment total
  std::vector<HistorySession> sessions; // REQUIRES: sorted by date (the JSON adapter checks)
};

struct PlanClock {
  std::chrono::sys_seconds now;
  std::chrono::minutes utc_offset{0};  // clinic's offset from UTC at `now`
  std::chrono::sys_days LocalToday() const;
};

struct PlanRequest {
  std::string indication;  // id in guidelines/kira.json, e.g. "trd"
  std::string route;       // "" = the indication's first template
  std::chrono::sys_days start;  // earliest date to schedule
  std::optional<domain::Override> cap_override;  // exceptional circumstances
  int maintenance_horizon = 3;  // how many maintenance dates to list (display only)
};

struct ScheduledSession {
  std::chrono::sys_days date;
  std::string phase;
  int number = 0;             // 1-based within the phase
  int counted_in_window = 0;  // sessions in the rolling window including this one
  bool exceeds_cap = false;   // needs the exceptional-circumstance override
};

struct PlanResult {
  domain::Decision decision;  // outcome: the next step (see above)
  std::string template_id;
  std::vector<ScheduledSession> schedule;
  int cap = 0;
  int used_in_window = 0;  // counted sessions in the window ending today
};

// The decision names the instrument it tailored on (inputs_used
// "response_instrument" and the info finding plan.instrument, with that
// instrument's response and remission rules and their sources).
// Errors: kNotFound "indication: ..." when no template matches;
// kInvalidArgument "history.instrument: ..." when the history's instrument is
// not one of the template's, "history.sessions[i].date: ..." when out of order.
StatusOr<PlanResult> PlanNext(const AdvisorLibrary& lib, const instruments::InstrumentLibrary& instruments,
                              const PlanRequest& request, const PlanHistory& history, const PlanClock& clock);

// The instrument a plan tailors on: the first of the template's
// response_instruments that the patient has scores for (`recorded`: the ids of
// the instruments recorded, any order), else the template's first.
const std::string& PickPlanInstrument(const PlanTemplate& t, std::span<const std::string> recorded);

// "YYYY-MM-DD".
std::string FormatDate(std::chrono::sys_days d);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_PLAN_H_
