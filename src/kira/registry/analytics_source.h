// Adapts registry rows to the columnar analytics::Cohort (design.md
// "Evidence": the registry layer turns rows into numbers). Reads each clinic
// through Transaction::ScanCohortColumns: only the columns the report needs,
// with no record object per row (SQLite: one streaming statement per table;
// other backends: the paged List*/Scan* reads, O(rows / page_size) round
// trips), on a reader thread that hands rows over in batches while this
// thread collects them. Patient and protocol ids are interned; sessions and
// scores are grouped per patient by a counting sort (nothing to do when the
// rows come in patient order, as entered).
#ifndef KIRA_REGISTRY_ANALYTICS_SOURCE_H_
#define KIRA_REGISTRY_ANALYTICS_SOURCE_H_

#include <optional>
#include <string>

#include "kira/advisor/library.h"
#include "kira/analytics/cohort_report.h"
#include "kira/base/statusor.h"
#include "kira/guideline/library.h"
#include "kira/storage/store.h"

namespace kira::registry {

struct CohortQuery {
  // "indication", "protocol", "route" or "clinic". Protocol and route are
  // the patient's first session's (route from the guideline library's
  // protocol; "unknown" when the protocol is not in the library).
  std::string dimension = "indication";
  std::string instrument = "phq9";             // scores read for outcomes
  std::string cap_rule_id = "plan.cap.annual";  // override rule id counted as an annual-cap exception
  std::string clinic_id;                        // empty: every clinic in the store
  int page_size = 5000;                         // REQUIRES > 0
  // Filters (empty / absent: no filter). A patient is in the cohort when the
  // patient's indication, and the protocol, route and start of the patient's
  // first session, match; with a protocol, route or period filter a patient
  // without sessions is left out. The period is half-open: first session
  // start in [from_day, to_day), days since the Unix epoch (UTC).
  std::string indication;
  std::string protocol;
  std::string route;
  std::optional<double> from_day;
  std::optional<double> to_day;
  // Series length: the induction sessions of the advisor plan template for
  // the patient's indication and first route, when `plans` is given and has
  // one; otherwise the protocol's sessions_in_series; otherwise 1.
  const advisor::AdvisorLibrary* plans = nullptr;  // not owned; may be null
  // Read the store on a second thread while this one collects the rows
  // (when the machine has more than one core). The cohort is the same
  // either way.
  bool overlap_read = true;
};

// Reads one read-only transaction's snapshot of the registry. Errors:
// kInvalidArgument for an unknown dimension or page_size <= 0; whatever the
// Store returns otherwise (Unavailable, Internal), with context.
StatusOr<analytics::Cohort> LoadCohort(storage::Store& store, const guideline::Library& library,
                                       const CohortQuery& query);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_ANALYTICS_SOURCE_H_
