// Plasma concentration predicted by a Model for a Regimen, in closed form.
//
// Every function here first validates its inputs (ValidateRegimenForModel and
// its own arguments) and returns kInvalidArgument naming the field otherwise;
// it never reads a clock or a file. Results are exact up to floating-point
// rounding: the concentration is a sum of exponentials obtained by
// superposing the model's unit responses (see model.h and
// internal/kernel.h). Peaks and threshold crossings are solved for, not read
// off a grid.
//
// Thread safety: all functions are pure; safe to call concurrently.
#ifndef KIRA_PK_SIMULATE_H_
#define KIRA_PK_SIMULATE_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/pk/model.h"
#include "kira/pk/regimen.h"
#include "kira/units/units.h"

namespace kira::pk {

// C(t) by direct superposition of every infusion and dose (one closed-form
// term per input). A dose at exactly t is included. REQUIRES: t finite, >= 0.
StatusOr<units::NanogramsPerMillilitre> ConcentrationAt(const Model& model, const Regimen& regimen,
                                                        units::Duration t);

// C on the grid 0, step, 2*step, ..., up to and including `end` (within
// 1e-9 step). Values at a grid time include doses given at that time.
// Errors: kInvalidArgument for step <= 0 or end < 0 (fields "step_min",
// "end_min"); kOutOfRange if the grid would exceed kMaxCurvePoints.
struct Curve {
  units::Duration step;
  std::vector<units::NanogramsPerMillilitre> values;  // values[i] = C(i * step)
  units::Duration TimeAt(size_t i) const { return step * static_cast<double>(i); }
};
inline constexpr size_t kMaxCurvePoints = 10'000'000;
StatusOr<Curve> SimulateCurve(const Model& model, const Regimen& regimen, units::Duration end,
                              units::Duration step);

struct Peak {
  units::NanogramsPerMillilitre concentration;
  units::Duration time;  // the earliest time at which the maximum is attained
};

struct ThresholdCrossings {
  units::NanogramsPerMillilitre threshold;
  units::Duration time_above;                 // total time with C > threshold
  std::optional<units::Duration> first_above;  // when C first exceeds it
  std::optional<units::Duration> last_above;   // when C last falls to it (or the window end)
};

// One session: it starts at an infusion start that does not follow directly on
// another infusion, or at a dose given while no infusion runs, and lasts until
// the next session starts (or the end of the window).
struct SessionSummary {
  units::Duration start;
  Peak peak;
  // C just before the next session starts (or at the window end): with no
  // absorption pending, the lowest value since the session's input stopped.
  units::NanogramsPerMillilitre before_next;
};

// A named input whose value is assumed, with its evidence tag: the model's
// parameter set and, for each extravascular route used, F and ka.
struct Assumption {
  std::string what;    // "intramuscular ka = 0.1 /min"
  Evidence evidence;
  std::string source;  // citation, or why it is unverified
};

struct AnalysisOptions {
  // Analyse [0, end]. REQUIRES: finite, > 0.
  units::Duration end;
  // If set, also report crossings of this concentration. REQUIRES: finite, > 0.
  std::optional<units::NanogramsPerMillilitre> threshold;
  // If true, fill Analysis::sessions.
  bool per_session = false;
  // If false, leave Analysis::assumptions empty (the dose check reads their
  // evidence tags with AssumptionEvidence instead of building their text).
  bool list_assumptions = true;
};

struct Analysis {
  std::string model_name;
  Peak peak;
  units::NanogramsPerMillilitre at_end;
  std::optional<ThresholdCrossings> crossings;
  std::vector<SessionSummary> sessions;
  std::vector<Assumption> assumptions;
};

// Walks the regimen segment by segment. In each segment C is an exponential
// sum; its maxima are the sign changes of dC/dt, found exactly (see
// internal::FindSignChanges); the peak is the largest of those, the values
// just after each breakpoint and just before each one.
StatusOr<Analysis> Analyse(const Model& model, const Regimen& regimen, const AnalysisOptions& options);

// Convenience wrappers around Analyse.
StatusOr<Peak> FindPeak(const Model& model, const Regimen& regimen, units::Duration end);
StatusOr<ThresholdCrossings> TimeAbove(const Model& model, const Regimen& regimen,
                                       units::NanogramsPerMillilitre threshold, units::Duration end);

// The assumptions behind a prediction for this model and regimen.
std::vector<Assumption> ListAssumptions(const Model& model, const Regimen& regimen);

// The evidence tags of the assumptions ListAssumptions lists, in its order,
// without their text. Returns how many were written to `out`.
inline constexpr int kMaxAssumptions = 5;
int AssumptionEvidence(const Model& model, const Regimen& regimen, Evidence out[kMaxAssumptions]);

}  // namespace kira::pk

#endif  // KIRA_PK_SIMULATE_H_
