#include "kira/advisor/monitor.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "kira/advisor/discharge.h"
#include "kira/advisor/internal/finding.h"
#include "kira/base/format.h"
#include "kira/advisor/rescue.h"

namespace kira::advisor {
namespace {

using domain::Decision;
using domain::Finding;
using domain::Severity;

std::string Num(double v) { return FormatNumber(v, 1); }

constexpr auto Make = internal::FindingFromSource;

std::string OpText(Comparison op) { return std::string(ComparisonText(op)); }

Severity ActionSeverity(Action a) {
  switch (a) {
    case Action::kContinue: return Severity::kInfo;
    case Action::kSlow: return Severity::kCaution;
    case Action::kPause: return Severity::kSoftStop;
    case Action::kStop: return Severity::kHardStop;
  }
  return Severity::kInfo;
}

const SettingSource kMachineSource{"", "", domain::Evidence::kDerived, "Session workflow order",
                                   "planned, pre-checked, running or paused, observation, then discharged or stopped; "
                                   "an order rule, not a clinical value"};

}  // namespace

std::string_view MeasureLabel(Measure m) {
  switch (m) {
    case Measure::kSbp: return "systolic BP";
    case Measure::kDbp: return "diastolic BP";
    case Measure::kHr: return "heart rate";
    case Measure::kSpo2: return "SpO2";
    case Measure::kRr: return "respiratory rate";
    case Measure::kSedation: return "sedation (MOAA/S)";
    case Measure::kCadss: return "dissociation (CADSS)";
  }
  return "vital sign";
}


const std::optional<double>& Vitals::Get(Measure m) const {
  switch (m) {
    case Measure::kSbp: return sbp_mmhg;
    case Measure::kDbp: return dbp_mmhg;
    case Measure::kHr: return hr_bpm;
    case Measure::kSpo2: return spo2_pct;
    case Measure::kRr: return rr_per_min;
    case Measure::kSedation: return moaa_s;
    case Measure::kCadss: return cadss_total;
  }
  return sbp_mmhg;
}

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kStart: return "start";
    case EventType::kVitals: return "vitals";
    case EventType::kSymptom: return "symptom";
    case EventType::kRescue: return "rescue";
    case EventType::kPause: return "pause";
    case EventType::kResume: return "resume";
    case EventType::kEndDose: return "end_dose";
    case EventType::kStop: return "stop";
  }
  return "vitals";
}

bool ParseEventType(std::string_view s, EventType* out) {
  for (EventType t : {EventType::kStart, EventType::kVitals, EventType::kSymptom, EventType::kRescue,
                      EventType::kPause, EventType::kResume, EventType::kEndDose, EventType::kStop}) {
    if (EventTypeName(t) == s) {
      *out = t;
      return true;
    }
  }
  return false;
}

Decision PreSessionGate(const AdvisorLibrary& lib, const SessionTimeline& tl) {
  const MonitoringSettings& m = lib.monitoring;
  const PreCheck& pc = tl.precheck;
  Decision d;
  d.guideline = {lib.id, lib.version};
  d.inputs_used.push_back({"route", tl.route});
  d.inputs_used.push_back({"resuscitation_staff_present", pc.resuscitation_staff_present ? "true" : "false"});
  d.inputs_used.push_back({"resuscitation_equipment_present", pc.resuscitation_equipment_present ? "true" : "false"});
  d.inputs_used.push_back({"pulse_oximeter_present", pc.pulse_oximeter_present ? "true" : "false"});
  d.inputs_used.push_back({"rescue_plan", pc.rescue_plan.empty() ? "none" : pc.rescue_plan});

  if (!pc.resuscitation_staff_present) {
    d.findings.push_back(Make("gate.resuscitation.staff", Severity::kHardStop,
                              "resuscitation personnel must be available at all times, whatever the dose",
                              m.resuscitation_source));
  }
  if (!pc.resuscitation_equipment_present) {
    d.findings.push_back(Make("gate.resuscitation.equipment", Severity::kHardStop,
                              "resuscitation equipment must be available at all times, whatever the dose",
                              m.resuscitation_source));
  }
  if (!pc.pulse_oximeter_present) {
    SettingSource src = m.pulse_oximetry_source;
    if (!tl.esketamine()) {
      src.evidence = domain::Evidence::kUnverified;
      src.rationale = "required by the esketamine REMS [R10, R11]; for IV ketamine a clinic setting (U)";
    }
    d.findings.push_back(Make("gate.pulse_oximeter", Severity::kHardStop, "no pulse oximeter recorded", src));
  }
  if (tl.esketamine()) {
    if (!pc.rems_setting_certified.value_or(false)) {
      d.findings.push_back(Make("gate.rems.setting", Severity::kHardStop,
                                "esketamine: healthcare setting REMS certification not recorded", m.rems_source));
    }
    if (!pc.rems_patient_enrolled.value_or(false)) {
      d.findings.push_back(Make("gate.rems.enrolment", Severity::kHardStop,
                                "esketamine: patient REMS enrolment before first treatment not recorded",
                                m.rems_source));
    }
  }
  if (!tl.baseline.HasBp()) {
    d.findings.push_back(Make("gate.baseline_bp", Severity::kHardStop,
                              "blood pressure must be measured before the start", m.bp_schedule_source));
  }
  for (const StartRule& r : m.start_rules) {
    d.inputs_used.push_back({r.rule_id, r.value ? OpText(r.op) + " " + Num(*r.value) + " [" +
                                                      std::string(domain::EvidenceName(r.source.evidence)) + "]"
                                                : "not configured [U]"});
    const auto& v = tl.baseline.Get(r.measure);
    if (!r.value || !v) continue;
    if (Compare(r.op, *v, *r.value)) {
      d.findings.push_back(Make(r.rule_id, r.severity,
                                "baseline " + std::string(MeasureLabel(r.measure)) + " " + Num(*v) + " " +
                                    OpText(r.op) + " " + Num(*r.value) + " (clinic setting)",
                                r.source));
    }
  }
  if (!tl.screening_recorded) {
    d.findings.push_back(Make("gate.screening.missing", Severity::kHardStop,
                              "no stored screening for this patient: screen before the session (rescue advice and "
                              "monitoring depend on it)",
                              lib.rescue.choice_source));
  } else if (tl.screening.outcome == "not_eligible") {
    d.findings.push_back(Make("gate.screening.not_eligible", Severity::kHardStop,
                              "the patient's screening is 'not eligible': do not start", lib.rescue.choice_source));
  }
  // Every stop/slow threshold must be set (a clinic may remove one, never
  // silently): an unset threshold blocks the start.
  {
    std::string unset;
    for (const ThresholdRule& r : m.thresholds)
      if (!r.value)
        unset += (unset.empty() ? "" : ", ") + std::string(MeasureLabel(r.measure)) + " (" +
                 std::string(ActionName(r.action)) + ")";
    for (Measure required : {Measure::kSbp, Measure::kDbp, Measure::kHr, Measure::kSpo2, Measure::kRr,
                             Measure::kSedation, Measure::kCadss}) {
      bool any = false;
      for (const ThresholdRule& r : m.thresholds) any = any || (r.measure == required && r.value);
      if (!any) unset += (unset.empty() ? "" : ", ") + std::string("any ") + std::string(MeasureLabel(required)) + " threshold";
    }
    // The BP schedule and the observation time are safety settings too.
    const NumericSetting& min_obs = MinimumObservationFor(m, tl.route).setting;
    for (const NumericSetting* st : {&m.bp_check_at_min, &m.bp_check_window_min, &min_obs}) {
      if (!st->value) unset += (unset.empty() ? "" : ", ") + st->id;
    }
    if (!unset.empty()) {
      d.findings.push_back(Make("gate.threshold_unset", Severity::kHardStop,
                                "monitoring thresholds not configured: " + unset +
                                    "; the clinic must set them before a session can start",
                                SettingSource{"", "", domain::Evidence::kUnverified, "Clinic monitoring settings",
                                              "no guideline supplies numeric stop thresholds; each is a clinic "
                                              "setting that must be set and signed"}));
    }
  }
  if (pc.rescue_plan.empty()) {
    d.findings.push_back(Make("gate.rescue_plan.missing", Severity::kHardStop,
                              "no rescue agent chosen before the session (is a benzodiazepine usable? if not, "
                              "clonidine?)",
                              lib.rescue.choice_source));
  } else {
    auto advice = AdviseRescue(lib, tl.screening, RescueRequest{lib.rescue.symptoms.empty() ? "" : lib.rescue.symptoms.front(), pc.rescue_plan});
    if (advice.ok()) {
      for (const Finding& f : advice->findings) {
        if (f.rule_id == "rescue.antipsychotic.not_recommended") {
          Finding g = f;
          g.rule_id = "gate.rescue_plan.antipsychotic";
          d.findings.push_back(std::move(g));
        } else if (f.rule_id == "rescue.proposed_agent.excluded" || f.rule_id == "rescue.no_safe_agent") {
          Finding g = f;
          g.rule_id = f.rule_id == "rescue.no_safe_agent" ? "gate.rescue_plan.no_safe_agent" : "gate.rescue_plan.excluded";
          d.findings.push_back(std::move(g));
        }
      }
    }
  }
  d.outcome = d.MaxSeverity() >= Severity::kSoftStop ? "fail" : "pass";
  return d;
}

std::optional<double> ThresholdTriggered(const ThresholdRule& r, const Vitals& baseline, const Vitals& v) {
  if (!r.value) return std::nullopt;
  const auto& x = v.Get(r.measure);
  if (!x) return std::nullopt;
  double compared = *x;
  if (r.rise_from_baseline) {
    const auto& b = baseline.Get(r.measure);
    if (!b) return std::nullopt;
    compared = *x - *b;
  }
  if (!Compare(r.op, compared, *r.value)) return std::nullopt;
  return compared;
}

ObservationAction EvaluateObservation(const MonitoringSettings& m, const Vitals& baseline, const Vitals& v,
                                      double t_min) {
  ObservationAction out;
  out.t_min = t_min;
  for (const ThresholdRule& r : m.thresholds) {
    const std::optional<double> compared = ThresholdTriggered(r, baseline, v);
    if (compared && r.action > out.action) {
      out.action = r.action;
      out.rule = &r;
      out.value = *compared;
    }
  }
  return out;
}

MonitorResult Monitor(const AdvisorLibrary& lib, const SessionTimeline& tl) {
  const MonitoringSettings& m = lib.monitoring;
  MonitorResult res;
  res.gate = PreSessionGate(lib, tl);
  Decision& d = res.decision;
  d.guideline = {lib.id, lib.version};
  d.inputs_used.push_back({"session_id", tl.session_id});
  d.inputs_used.push_back({"route", tl.route});
  d.inputs_used.push_back({"gate", res.gate.outcome});
  for (const ThresholdRule& r : m.thresholds) {
    d.inputs_used.push_back({r.rule_id, r.value ? std::string(r.rise_from_baseline ? "rise " : "") + OpText(r.op) + " " +
                                                      Num(*r.value) + " -> " + std::string(ActionName(r.action)) +
                                                      " [" + std::string(domain::EvidenceName(r.source.evidence)) + "]"
                                                : "not configured [U]"});
  }
  d.inputs_used.push_back({m.bp_check_at_min.id, RenderSetting(m.bp_check_at_min)});
  d.inputs_used.push_back({m.bp_check_window_min.id, RenderSetting(m.bp_check_window_min)});
  d.inputs_used.push_back({m.bp_interval_during_min.id, RenderSetting(m.bp_interval_during_min)});

  InfusionSession& s = res.session;
  const bool gate_ok = res.gate.outcome == "pass";
  if (gate_ok) (void)s.PassPreChecks(tl.events.empty() ? 0.0 : tl.events.front().t_min);
  res.observations.reserve(tl.events.size());

  Action worst = Action::kContinue;
  std::optional<double> last_bp_running;  // last BP time while running (or the start)
  int interval_gaps = 0;
  double worst_gap = 0;
  bool have_40min_bp = false;
  bool pending_stop_unfollowed = false;
  std::string last_symptom;
  // Unset schedule settings block the gate (above); the check then has no
  // time to test against and is skipped rather than given an invented one.
  const bool bp_schedule_set = m.bp_check_at_min.value && m.bp_check_window_min.value;
  const double bp_at = m.bp_check_at_min.value ? *m.bp_check_at_min.value : 0.0;
  const double bp_window = m.bp_check_window_min.value ? *m.bp_check_window_min.value : 0.0;
  double last_t = 0;

  auto transition_failed = [&](const Status& st, const TimelineEvent& e) {
    d.findings.push_back(Make(st.code() == StatusCode::kFailedPrecondition ? "session.illegal_transition"
                                                                          : "session.bad_time",
                              Severity::kCaution,
                              "t=" + Num(e.t_min) + " min: " + std::string(st.message()), kMachineSource));
  };

  for (const TimelineEvent& e : tl.events) {
    last_t = e.t_min;
    switch (e.type) {
      case EventType::kStart: {
        if (!gate_ok) {
          d.findings.push_back(Make("session.start_without_gate", Severity::kHardStop,
                                    "t=" + Num(e.t_min) + " min: session started although the pre-session gate failed",
                                    kMachineSource));
          (void)s.PassPreChecks(e.t_min);  // record what happened, so the replay can go on
        }
        Status st = s.Start(e.t_min);
        if (!st.ok()) transition_failed(st, e);
        if (st.ok()) last_bp_running = e.t_min;
        break;
      }
      case EventType::kVitals: {
        ObservationAction a = EvaluateObservation(m, tl.baseline, e.vitals, e.t_min);
        if (s.started_at() && e.vitals.HasBp()) {
          const double since = e.t_min - *s.started_at();
          if (std::abs(since - bp_at) <= bp_window) have_40min_bp = true;
          if (s.state() == SessionState::kRunning && last_bp_running) {
            const double gap = e.t_min - *last_bp_running;
            if (m.bp_interval_during_min.value && gap > *m.bp_interval_during_min.value) {
              ++interval_gaps;
              worst_gap = std::max(worst_gap, gap);
            }
          }
          if (s.state() == SessionState::kRunning) last_bp_running = e.t_min;
        }
        if (pending_stop_unfollowed && s.state() == SessionState::kRunning) {
          d.findings.push_back(Make("monitor.action_not_followed", Severity::kCaution,
                                    "t=" + Num(e.t_min) + " min: the session is still running after a "
                                                          "recommended pause/stop",
                                    kMachineSource));
          pending_stop_unfollowed = false;
        }
        if (a.rule) {
          const ThresholdRule& r = *a.rule;
          d.findings.push_back(Make(r.rule_id, ActionSeverity(a.action),
                                    "t=" + Num(e.t_min) + " min: " + std::string(MeasureLabel(r.measure)) +
                                        (r.rise_from_baseline ? " rise " : " ") + Num(a.value) + " " + OpText(r.op) +
                                        " " + Num(*r.value) + " (clinic setting) -> " +
                                        std::string(ActionName(a.action)),
                                    r.source));
          if (a.action > worst) worst = a.action;
          if (a.action >= Action::kPause && s.state() == SessionState::kRunning) pending_stop_unfollowed = true;
        }
        res.observations.push_back(a);
        break;
      }
      case EventType::kSymptom:
      case EventType::kRescue: {
        const std::string symptom = e.symptom.empty() ? last_symptom : e.symptom;
        if (e.type == EventType::kSymptom) last_symptom = e.symptom;
        RescueRequest req{symptom, std::nullopt};
        if (e.type == EventType::kRescue) req.proposed_agent = e.agent;
        auto advice = AdviseRescue(lib, tl.screening, req);
        if (!advice.ok()) {
          d.findings.push_back(Make("monitor.symptom.unknown", Severity::kCaution,
                                    "t=" + Num(e.t_min) + " min: " + std::string(advice.status().message()),
                                    lib.rescue.choice_source));
          break;
        }
        if (e.type == EventType::kSymptom) {
          d.findings.push_back(Make("monitor.symptom", Severity::kCaution,
                                    "t=" + Num(e.t_min) + " min: " + symptom + "; rescue advice: " + advice->outcome,
                                    lib.rescue.choice_source));
        } else {
          for (const Finding& f : advice->findings) {
            if (f.severity >= Severity::kSoftStop) {
              Finding g = f;
              g.message = "t=" + Num(e.t_min) + " min: rescue given: " + f.message;
              d.findings.push_back(std::move(g));
            }
          }
          d.findings.push_back(Make("monitor.rescue_given", Severity::kInfo,
                                    "t=" + Num(e.t_min) + " min: " + e.agent + " given for " + symptom,
                                    lib.rescue.choice_source));
        }
        res.rescues.push_back(std::move(advice).value());
        break;
      }
      case EventType::kPause: {
        Status st = s.Pause(e.t_min);
        if (!st.ok()) transition_failed(st, e);
        pending_stop_unfollowed = false;
        break;
      }
      case EventType::kResume: {
        Status st = s.Resume(e.t_min);
        if (!st.ok()) transition_failed(st, e);
        if (st.ok()) last_bp_running = e.t_min;
        break;
      }
      case EventType::kEndDose: {
        Status st = s.EndDose(e.t_min);
        if (!st.ok()) transition_failed(st, e);
        pending_stop_unfollowed = false;
        break;
      }
      case EventType::kStop: {
        Status st = s.Stop(e.t_min);
        if (!st.ok()) transition_failed(st, e);
        pending_stop_unfollowed = false;
        break;
      }
    }
  }

  if (bp_schedule_set && s.started_at() && !have_40min_bp && last_t - *s.started_at() > bp_at + bp_window) {
    d.findings.push_back(Make("monitor.bp.check_40min_missing", Severity::kCaution,
                              "no blood pressure recorded " + Num(bp_at - bp_window) + "-" + Num(bp_at + bp_window) +
                                  " min after the start",
                              m.bp_check_at_min.source));
  }
  if (interval_gaps > 0) {
    d.findings.push_back(Make("monitor.bp.interval_exceeded", Severity::kCaution,
                              std::to_string(interval_gaps) + " gap(s) between BP readings while running exceeded " +
                                  RenderSetting(m.bp_interval_during_min) + "; longest " + Num(worst_gap) + " min",
                              m.bp_interval_during_min.source));
  }
  res.final_state = s.state();
  d.inputs_used.push_back({"final_state", std::string(SessionStateName(s.state()))});
  d.outcome = std::string(ActionName(worst));
  return res;
}

}  // namespace kira::advisor
