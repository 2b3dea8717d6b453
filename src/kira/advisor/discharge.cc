#include "kira/advisor/discharge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "kira/advisor/internal/finding.h"
#include "kira/base/format.h"
#include "kira/advisor/monitor.h"

namespace kira::advisor {
namespace {

using domain::Decision;
using domain::Finding;
using domain::Severity;

std::string Num(double v) { return FormatNumber(v, 0); }

constexpr auto Make = internal::FindingFromSource;

}  // namespace

MinimumObservation MinimumObservationFor(const MonitoringSettings& monitoring, std::string_view route) {
  if (route == "intranasal") return {monitoring.min_observation_esketamine_min, true};
  return {monitoring.min_observation_iv_min, false};
}

StatusOr<Decision> EvaluateDischarge(const AdvisorLibrary& lib, const SessionTimeline& tl) {
  if (!tl.discharge) return InvalidArgumentError("discharge: missing (no discharge record in the session)");
  const DischargeRecord& rec = *tl.discharge;
  const DischargeSettings& ds = lib.discharge;
  MonitorResult mon = Monitor(lib, tl);
  const InfusionSession& s = mon.session;

  Decision d;
  d.guideline = {lib.id, lib.version};
  d.inputs_used.push_back({"session_id", tl.session_id});
  d.inputs_used.push_back({"route", tl.route});
  d.inputs_used.push_back({"discharge_t_min", Num(rec.t_min)});
  d.inputs_used.push_back({"session_state", std::string(SessionStateName(s.state()))});

  // Reference point for the minimum observation: esketamine counts from the
  // first device (the start, V [R10]); IV counts from the end of the infusion,
  // or from the stop when the session was abandoned.
  std::optional<double> ref;
  const MinimumObservation rule = MinimumObservationFor(lib.monitoring, tl.route);
  const NumericSetting& min_obs = rule.setting;
  d.inputs_used.push_back({min_obs.id, RenderSetting(min_obs)});
  if (rule.counts_from_start) {
    ref = s.started_at();
  } else {
    ref = s.dose_ended_at();
    if (!ref && s.state() == SessionState::kStopped) {
      for (const TimelineEvent& e : tl.events) {
        if (e.type == EventType::kStop) ref = e.t_min;
      }
    }
  }
  if (s.state() != SessionState::kObservation && s.state() != SessionState::kStopped) {
    d.findings.push_back(Make("discharge.session_state", Severity::kSoftStop,
                              "the session is '" + std::string(SessionStateName(s.state())) +
                                  "'; discharge follows the end of the dose",
                              SettingSource{"", "", domain::Evidence::kDerived, "Session workflow order", ""}));
  }
  if (!ref) {
    d.findings.push_back(Make("discharge.min_observation", Severity::kSoftStop,
                              "no start/end of dose recorded; observation time cannot be verified", min_obs.source));
  } else if (min_obs.value) {
    const double elapsed = rec.t_min - *ref;
    if (elapsed < *min_obs.value) {
      d.findings.push_back(Make("discharge.min_observation",
                                tl.esketamine() ? Severity::kHardStop : Severity::kSoftStop,
                                "observed " + Num(elapsed) + " min; minimum " + RenderSetting(min_obs),
                                min_obs.source));
    }
  } else {
    d.findings.push_back(Make("discharge.min_observation", Severity::kSoftStop,
                              "minimum observation time is not configured (clinic must set)", min_obs.source));
  }

  // The last BP at or before discharge, taken strictly after the dose ended
  // (a reading at the end of the infusion belongs to the infusion), or after
  // the ~40-min check for esketamine.
  const TimelineEvent* last_bp = nullptr;
  const double bp_after = ref.value_or(1e300);
  for (const TimelineEvent& e : tl.events) {
    if (e.type == EventType::kVitals && e.vitals.HasBp() && e.t_min <= rec.t_min && e.t_min > bp_after) last_bp = &e;
  }
  if (tl.esketamine() && s.started_at() && lib.monitoring.bp_check_at_min.value) {
    // For esketamine "before discharge" means after the ~40-min check window.
    const double after = *s.started_at() + *lib.monitoring.bp_check_at_min.value;
    if (last_bp && last_bp->t_min < after) last_bp = nullptr;
  }
  if (!last_bp) {
    d.findings.push_back(Make("discharge.bp_before_discharge", Severity::kSoftStop,
                              "no blood pressure recorded after the dose and before discharge",
                              lib.monitoring.bp_schedule_source));
  }

  d.inputs_used.push_back({ds.sbp_near_baseline_mmhg.id, RenderSetting(ds.sbp_near_baseline_mmhg)});
  d.inputs_used.push_back({ds.dbp_near_baseline_mmhg.id, RenderSetting(ds.dbp_near_baseline_mmhg)});
  const bool tolerance_set = ds.sbp_near_baseline_mmhg.value && ds.dbp_near_baseline_mmhg.value;
  if (tolerance_set && last_bp && tl.baseline.HasBp()) {
    const double dsbp = *last_bp->vitals.sbp_mmhg - *tl.baseline.sbp_mmhg;
    const double ddbp = *last_bp->vitals.dbp_mmhg - *tl.baseline.dbp_mmhg;
    if (dsbp > *ds.sbp_near_baseline_mmhg.value || ddbp > *ds.dbp_near_baseline_mmhg.value) {
      d.findings.push_back(Make("discharge.vitals_near_baseline", Severity::kSoftStop,
                                "last BP is +" + Num(dsbp) + "/+" + Num(ddbp) + " mmHg over baseline; tolerance +" +
                                    Num(*ds.sbp_near_baseline_mmhg.value) + "/+" +
                                    Num(*ds.dbp_near_baseline_mmhg.value),
                                ds.sbp_near_baseline_mmhg.source));
    }
  } else {
    auto it = rec.attestations.find("vitals_near_baseline");
    if (it == rec.attestations.end() || !it->second) {
      d.findings.push_back(Make("discharge.vitals_near_baseline", Severity::kSoftStop,
                                "vitals back near baseline not attested (no numeric tolerance configured)",
                                ds.sbp_near_baseline_mmhg.source));
    }
  }

  // The last reading of every vital at or before discharge must be inside
  // the monitoring thresholds: a patient is never "ready" on a reading that
  // would pause or stop a running session.
  {
    Vitals last;
    for (Measure m : {Measure::kSbp, Measure::kDbp, Measure::kHr, Measure::kSpo2, Measure::kRr, Measure::kSedation,
                      Measure::kCadss}) {
      for (const TimelineEvent& e : tl.events) {
        if (e.type != EventType::kVitals || e.t_min > rec.t_min) continue;
        const std::optional<double>& v = e.vitals.Get(m);
        if (!v) continue;
        switch (m) {
          case Measure::kSbp: last.sbp_mmhg = v; break;
          case Measure::kDbp: last.dbp_mmhg = v; break;
          case Measure::kHr: last.hr_bpm = v; break;
          case Measure::kSpo2: last.spo2_pct = v; break;
          case Measure::kRr: last.rr_per_min = v; break;
          case Measure::kSedation: last.moaa_s = v; break;
          case Measure::kCadss: last.cadss_total = v; break;
        }
      }
    }
    for (const ThresholdRule& r : lib.monitoring.thresholds) {
      // The one threshold rule (monitor.h), on the last readings.
      const std::optional<double> compared = ThresholdTriggered(r, tl.baseline, last);
      if (r.action != Action::kContinue && compared) {
        d.findings.push_back(Make("discharge.last_vitals_outside_thresholds", Severity::kHardStop,
                                  "the last " + std::string(MeasureLabel(r.measure)) + " reading " +
                                      (r.rise_from_baseline ? "(rise " + Num(*compared) + ")"
                                                            : Num(*last.Get(r.measure))) +
                                      " is outside the monitoring threshold (" +
                                      std::string(ComparisonText(r.op)) + " " + Num(*r.value) + " -> " +
                                      std::string(ActionName(r.action)) + "): not ready; re-assess and re-measure",
                                  r.source));
      }
    }
  }

  for (const DischargeItem& item : ds.attestations) {
    if (!item.routes.empty() && std::find(item.routes.begin(), item.routes.end(), tl.route) == item.routes.end()) {
      continue;
    }
    auto it = rec.attestations.find(item.id);
    const bool ok = it != rec.attestations.end() && it->second;
    d.inputs_used.push_back({"attested." + item.id, ok ? "true" : "false"});
    if (!ok) {
      d.findings.push_back(Make("discharge." + item.id, item.severity_if_missing,
                                "not attested: " + item.description, item.source));
    }
  }
  if (tl.esketamine() && ds.rems_form_due_days.value) {
    d.findings.push_back(Make("discharge.rems_form_due", Severity::kInfo,
                              "submit the REMS Patient Monitoring Form within " + RenderSetting(ds.rems_form_due_days),
                              ds.rems_form_due_days.source));
  }
  d.outcome = d.MaxSeverity() >= Severity::kSoftStop ? "not_ready" : "ready";
  return d;
}

}  // namespace kira::advisor
