// The research dashboard (issue 14, researcher role, de-identified data
// only): one use case that the server's research routes call.
//
//  * BuildResearchReport: the registry's cohort report (analytics/) for the
//    caller's clinic, or pooled over every clinic of the registry with the
//    clinics shown only as aggregate groups, filtered by the period of the
//    first session, protocol, route and indication; beside it the overall
//    24-h response and remission next to the bundled trials' ketamine arms
//    pooled by the meta-analysis engine (evidence/).
//  * FigureSvg: each figure of the report as a standalone SVG (plot/), drawn
//    from exactly the numbers the JSON reply shows: the small-cell rule hides
//    the same cells in both.
//  * DeidentifiedCsv: the clinic's HIPAA Safe Harbor export (interop/).
//
// Nothing here decides a clinical question; the outcome rules come from the
// versioned instrument library.
#ifndef KIRA_RESEARCH_RESEARCH_H_
#define KIRA_RESEARCH_RESEARCH_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/analytics/cohort_report.h"
#include "kira/base/statusor.h"
#include "kira/instruments/instrument.h"
#include "kira/registry/analytics_source.h"
#include "kira/registry/clinical_record.h"
#include "kira/stats/descriptive.h"
#include "kira/storage/store.h"

namespace kira::research {

struct ResearchQuery {
  std::string clinic_id;     // the caller's clinic
  bool all_clinics = false;  // pool every clinic of the registry (clinics only as aggregate groups)
  std::string dimension = "indication";  // indication, protocol, route or clinic
  std::string instrument = "phq9";
  std::string indication, protocol, route;  // empty: any
  // First session on or after `from` and on or before `to` (UTC dates).
  std::optional<std::chrono::sys_days> from, to;
  int min_cell = 5;  // SmallCellRule; REQUIRES >= 1
};

// One bundled trial's ketamine arm for the comparison.
struct TrialArm {
  std::string trial_id;
  std::string label;  // e.g. "Murrough 2013"
  std::int64_t responders = 0;
  std::int64_t n = 0;
  stats::ProportionInterval wilson;
  double weight_percent = 0;  // in the pooled ketamine-arm rate
};

struct TrialsComparison {
  std::string outcome_id;  // evidence outcome, e.g. "response-24h"
  std::string outcome_label;
  std::string registry_measure;  // which registry rate is compared, e.g. "response at 24 h"
  analytics::Rate clinic;        // the registry's rate (overall)
  std::vector<TrialArm> arms;
  std::string method;  // tau^2 estimator of the pooled ketamine-arm rate
  std::optional<stats::ProportionInterval> pooled;  // logit scale, back-transformed
  std::optional<double> prediction_low, prediction_high;
  std::vector<std::string> notes;  // e.g. no trial with this route
};

struct ResearchReport {
  ResearchQuery query;
  analytics::SmallCellRule cells;
  analytics::CohortReport report;
  std::vector<TrialsComparison> trials;
};

// The instrument's response and remission rule as the analytics need it.
// Errors: kInvalidArgument naming "instrument" (unknown, or no rule).
StatusOr<analytics::OutcomeRule> OutcomeRuleFor(const instruments::InstrumentLibrary& library, std::string_view id);

// Errors: kInvalidArgument naming the field for a bad query (dimension,
// instrument, from after to, min_cell < 1); the Store's errors otherwise.
StatusOr<ResearchReport> BuildResearchReport(storage::Store& store, const registry::Libraries& libs,
                                             const ResearchQuery& query);

struct FigureInfo {
  std::string name;   // "relapse-km", "trajectories", "ae-by-dose", "trials-<outcome id>"
  std::string group;  // relapse-km only: the group ("all" for the overall curve)
  std::string title;
  bool available = false;
  std::string reason;  // why not, when not available
  std::string svg;     // the figure (FigureSvg), when available
};

// Every figure the report has, available or not, in display order.
std::vector<FigureInfo> Figures(const ResearchReport& r);

// Errors: kNotFound for an unknown figure or group, or a figure with nothing
// to draw (the message says why, e.g. every cell suppressed).
StatusOr<std::string> FigureSvg(const ResearchReport& r, std::string_view name, std::string_view group = "all");

// The clinic's de-identified export (HIPAA Safe Harbor: years only, ZIP3,
// 90+, coded adverse events, no free text), as CSV text. Subjects are
// numbered in an order keyed by `secret`; a fresh secret per download makes
// the numbers unlinkable across downloads. REQUIRES secret.size() >= 16.
StatusOr<std::string> DeidentifiedCsv(storage::Store& store, std::string_view clinic_id, std::string_view secret);

}  // namespace kira::research

#endif  // KIRA_RESEARCH_RESEARCH_H_
