// Registry analytics (issue 6, part 1): response and remission at fixed
// time points, Kaplan-Meier time to relapse, adverse-event incidence per
// session, the dose-response of each adverse-event class, series completion
// and return, and annual-cap exceptions -- per group (indication, protocol,
// route or clinic) and overall. Every rate carries its numerator and
// denominator.
//
// Pure: numbers in, named results out (design.md "Evidence"). The input is a
// compact, columnar Cohort that registry/analytics_source.h builds from the
// Store in batches; nothing here knows a database row, a clinic's time zone
// or the guideline file. Thresholds (response/remission rules) arrive as data
// from guidelines/instruments.json; the time windows are AnalysisOptions with
// documented defaults.
//
// Definitions (per patient, times in days from the patient's first session):
//  * started: the patient has at least one session.
//  * induction series: the first `series_length` sessions (the protocol's
//    sessions_in_series) that start within induction_window_days of the
//    first; completed when that many sessions were completed in the window.
//  * baseline: the latest score in [-baseline_window_days, 0].
//  * 24 h: the score nearest +1 day within [0.5, 2] days.
//  * after induction: the latest score in (end, end + 14 days], end = start
//    of the last induction session (completers only).
//  * 3 / 6 months: the score nearest day 91 / 182, within +/- 21 / 30 days.
//  * response / remission: the instrument's rule applied to (baseline,
//    score); denominator = patients with a baseline and a score in the window.
//  * relapse: among responders after induction, time from that assessment to
//    the first later score that no longer meets the response rule; censored
//    at the last score.
//  * returned: completed the series and had at least one later session.
//  * AE incidence: administered sessions with >= 1 event of the class /
//    administered sessions. Dose-response: logistic regression of that
//    indicator on mg/kg (given dose / dosing weight), grouped exactly at
//    kMgPerKgResolution.
//  * annual-cap exceptions: administered sessions carrying an override of the
//    cap rule / administered sessions.
//  * AE by dose: administered sessions in bands of dose_band_mg_per_kg
//    ([low, high), by the session's mg/kg) and, per class, how many of them
//    had >= 1 event of the class.
//  * small cells: SmallCellRule says which counts a de-identified view hides
//    (a count from 1 to min_cell - 1, and every figure derived from it).
#ifndef KIRA_ANALYTICS_COHORT_REPORT_H_
#define KIRA_ANALYTICS_COHORT_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/descriptive.h"
#include "kira/stats/logistic_regression.h"

namespace kira::analytics {

// Dose is grouped to this resolution before the logistic fit: 0.001 mg/kg is
// finer than a recorded dose can be (0.1 mg at 100 kg), so the fit equals the
// per-session fit on the recorded data to that precision.
inline constexpr double kMgPerKgResolution = 0.001;
// A dose-response fit needs observed doses spanning at least the reporting unit.
inline constexpr double kMinDoseSpanMgPerKg = 0.1;
// At most this many adverse-event classes (a 64-bit mask per session).
inline constexpr int kMaxAeClasses = 64;

// The instrument's response and remission rule, copied from the versioned
// instrument library (instruments::Instrument) by the caller.
struct OutcomeRule {
  std::string instrument;  // e.g. "phq9"
  std::string version;     // instrument library version, shown in every report
  std::optional<double> response_min_percent_fall;
  std::optional<double> response_min_point_fall;
  double remission_value = 0;
  bool remission_inclusive = false;  // true: total <= value; false: total < value
};

struct AnalysisOptions {
  double baseline_window_days = 30;
  double h24_low_days = 0.5, h24_high_days = 2;
  double induction_window_days = 28;
  double after_induction_days = 14;
  double month3_day = 91, month3_halfwidth_days = 21;
  double month6_day = 182, month6_halfwidth_days = 30;
  double level = 0.95;
  // Width of the dose bands of GroupReport::ae_by_dose; REQUIRES >= kMgPerKgResolution.
  double dose_band_mg_per_kg = 0.1;
};

struct CohortPatient {
  std::uint32_t group = 0;         // index into Cohort::group_names
  std::uint32_t first_session = 0; // sessions[first_session, +session_count)
  std::uint32_t session_count = 0;
  std::uint32_t first_score = 0;   // scores[first_score, +score_count)
  std::uint32_t score_count = 0;
  std::uint32_t series_length = 1; // protocol's sessions_in_series (>= 1)
};

struct CohortSession {
  double start_day = 0;      // days since an arbitrary epoch (e.g. Unix)
  double mg_per_kg = 0;      // given dose / dosing weight; meaningful when administered
  bool administered = false; // a dose was given
  bool completed = false;
  bool cap_override = false;
  std::uint64_t ae_mask = 0; // bit c: >= 1 event of Cohort::ae_classes[c]
};

struct CohortScore {
  double day = 0;  // same epoch as CohortSession::start_day
  double total = 0;
};

// REQUIRES: each patient's sessions and scores contiguous and in time order;
// ae_classes.size() <= kMaxAeClasses.
struct Cohort {
  std::string dimension;  // "indication", "protocol", "route" or "clinic"
  std::vector<std::string> group_names;
  std::vector<std::string> ae_classes;
  std::vector<CohortPatient> patients;
  std::vector<CohortSession> sessions;
  std::vector<CohortScore> scores;  // totals of OutcomeRule::instrument only
};

struct Rate {
  std::int64_t numerator = 0;
  std::int64_t denominator = 0;
  std::optional<stats::ProportionInterval> ci;  // Wilson; absent when denominator = 0
};

// Frozen order: k24h, kAfterInduction, kMonth3, kMonth6.
enum class Timepoint { k24h = 0, kAfterInduction = 1, kMonth3 = 2, kMonth6 = 3 };
inline constexpr int kTimepoints = 4;
const char* TimepointName(Timepoint t);  // "24h", "after_induction", "3_months", "6_months"

struct TimepointOutcome {
  Timepoint timepoint = Timepoint::k24h;
  Rate response;   // denominator: patients with baseline and a score in the window
  Rate remission;
  // Means over the `response.denominator` patients assessed (0 when none),
  // for trajectory plots: day since the first session, and the total.
  double mean_day = 0;
  double mean_total = 0;
};

struct AeIncidence {
  std::string ae_class;
  Rate per_session;  // denominator: administered sessions
};

struct DoseResponse {
  std::string ae_class;
  std::optional<stats::LogisticFit> fit;  // absent when not estimable
  std::string not_estimable_reason;
  std::int64_t sessions = 0;  // administered sessions in the fit
  std::int64_t events = 0;
};

struct RelapseSurvival {
  std::int64_t responders = 0;  // the KM sample
  std::optional<stats::KaplanMeierResult> km;  // absent when there are no responders
};

struct DoseBand {
  double low_mg_per_kg = 0;   // the band is [low, high)
  double high_mg_per_kg = 0;
  std::int64_t sessions = 0;  // administered sessions with a dose in the band (>= 1)
  std::vector<std::int64_t> events;  // per Cohort::ae_classes: sessions with >= 1 event of the class
};

struct GroupReport {
  std::string group;  // "all" for the overall row
  std::int64_t patients_started = 0;
  std::int64_t patients_with_baseline = 0;
  double baseline_mean_total = 0;  // over patients_with_baseline (0 when none)
  Rate series_completion;  // completed / started
  Rate returned;           // returned / completed
  std::int64_t sessions = 0;
  std::int64_t administered_sessions = 0;
  std::vector<TimepointOutcome> outcomes;  // kTimepoints entries, in Timepoint order
  RelapseSurvival relapse;
  std::vector<AeIncidence> adverse_events;  // one per Cohort::ae_classes
  std::vector<DoseResponse> dose_response;  // one per Cohort::ae_classes
  std::vector<DoseBand> ae_by_dose;          // bands with >= 1 session, ascending
  Rate cap_exceptions;  // sessions with an annual-cap override / administered
};

struct CohortReport {
  std::string dimension;
  OutcomeRule rule;
  AnalysisOptions options;
  std::vector<GroupReport> groups;  // in Cohort::group_names order
  GroupReport overall;
};

// Small-cell suppression of a de-identified view (statistical disclosure
// control): a count from 1 to min_cell - 1 is hidden, and so is anything
// that would reveal it. min_cell = 1 hides nothing.
struct SmallCellRule {
  int min_cell = 1;
  bool Hidden(std::int64_t count) const { return count > 0 && count < min_cell; }
  // A rate is shown only when its numerator, its complement and its
  // denominator are all shown (a rate of 19/20 reveals a cell of 1).
  bool Hidden(const Rate& r) const {
    return Hidden(r.denominator) || Hidden(r.numerator) || Hidden(r.denominator - r.numerator);
  }
};

// Errors: kInvalidArgument naming the field when the cohort breaks its
// REQUIRES (index out of range, too many AE classes, unsorted times, a
// non-finite number) or the rule has neither response criterion.
StatusOr<CohortReport> ComputeCohortReport(const Cohort& cohort, const OutcomeRule& rule,
                                           const AnalysisOptions& options = {});

}  // namespace kira::analytics

#endif  // KIRA_ANALYTICS_COHORT_REPORT_H_
