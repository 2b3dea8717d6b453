// Scoring of outcome instruments (clinical-reference.md section 4): validates
// every item (count, range, missing-item rule), computes the total, explains
// the band, and raises alerts (e.g. suicidality) that a clinician must
// acknowledge. Pure functions; no I/O, no clock.
#ifndef KIRA_INSTRUMENTS_SCORING_H_
#define KIRA_INSTRUMENTS_SCORING_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/instruments/instrument.h"

namespace kira::instruments {

// A clinician's acknowledgement of the alerts raised by one assessment.
struct Acknowledgement {
  std::string who;
  std::string when;  // ISO 8601 instant supplied by the caller
  std::string reason;
};

struct ScoreResult {
  std::string instrument_id;
  std::vector<std::optional<int>> items;  // as given; nullopt = missing
  double total = 0;
  std::string band;  // "" when the instrument has no bands
  // outcome: "scored" (no alert), "alert_unacknowledged" (an alert needs a
  // clinician) or "alert_acknowledged" (override_ records who and why).
  // findings: the band (info), each alert (soft_stop), and an info finding
  // for every U-tagged part of the definition that the score relied on.
  domain::Decision decision;

  bool alert_pending() const { return decision.outcome == "alert_unacknowledged"; }
};

// Scores `items` (one entry per item, in definition order; nullopt = not
// answered) against `instrument`.
// Errors (kInvalidArgument, message naming "items" or "items[i]"):
//   wrong item count; an item outside its range; more missing items than the
//   missing-item rule allows; a domain with every item missing.
ScoreResult ScoreUnchecked(const Instrument& instrument,
                           std::span<const std::optional<int>> items);  // REQUIRES: Validate ok
Status ValidateItems(const Instrument& instrument, std::span<const std::optional<int>> items);
StatusOr<ScoreResult> Score(const InstrumentLibrary& library, const Instrument& instrument,
                            std::span<const std::optional<int>> items,
                            const std::optional<Acknowledgement>& ack = std::nullopt);

struct ResponseResult {
  bool response = false;
  std::optional<bool> remission;  // nullopt when the instrument has no rule
  double percent_fall = 0;        // (baseline - current) / baseline * 100
  double point_fall = 0;
};

// Response/remission of `current` against `baseline` totals.
// Errors: kFailedPrecondition when the instrument has no response rule;
// kInvalidArgument when a total is outside the instrument's range.
StatusOr<ResponseResult> AssessResponse(const Instrument& instrument, double baseline,
                                        double current);

// Fast path for plan tailoring: no allocation. REQUIRES: instrument.response.
bool MeetsResponse(const Instrument& instrument, double baseline, double current);

// Adds the findings explaining a response assessment to `out`.
void ExplainResponse(const Instrument& instrument, const ResponseResult& r,
                     domain::Decision* out);

}  // namespace kira::instruments

#endif  // KIRA_INSTRUMENTS_SCORING_H_
