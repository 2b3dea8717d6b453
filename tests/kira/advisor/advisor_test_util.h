// Shared loading and builders for advisor tests.
#ifndef KIRA_TESTS_ADVISOR_ADVISOR_TEST_UTIL_H_
#define KIRA_TESTS_ADVISOR_ADVISOR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "kira/advisor/library.h"
#include "kira/advisor/timeline.h"
#include "kira/api/advisor_json.h"
#include "kira/api/instruments_json.h"
#include "testing/advisor_fixtures.h"

namespace kira::advisor::testutil {

inline AdvisorLibrary ShippedLibrary() {
  auto lib = api::ParseAdvisorLibrary(kira::testing::ReadSourceFile("guidelines/advisor.json"));
  EXPECT_TRUE(lib.ok()) << lib.status().ToString();
  return lib.ok() ? std::move(lib).value() : AdvisorLibrary{};
}

inline instruments::InstrumentLibrary ShippedInstruments() {
  auto lib = api::ParseInstrumentLibrary(kira::testing::ReadSourceFile("guidelines/instruments.json"));
  EXPECT_TRUE(lib.ok()) << lib.status().ToString();
  return lib.ok() ? std::move(lib).value() : instruments::InstrumentLibrary{};
}

inline domain::Finding ScreeningFinding(const std::string& rule_id) {
  domain::Finding f;
  f.rule_id = rule_id;
  f.severity = domain::Severity::kCaution;
  f.evidence = domain::Evidence::kVerified;
  f.citation = "screening";
  return f;
}

// A well-formed IV session with the gate passing and baseline 120/80.
inline SessionTimeline IvSession() {
  SessionTimeline tl;
  tl.session_id = "s1";
  tl.route = "iv";
  tl.indication = "trd";
  tl.precheck.resuscitation_staff_present = true;
  tl.precheck.resuscitation_equipment_present = true;
  tl.precheck.pulse_oximeter_present = true;
  tl.precheck.rescue_plan = "midazolam";
  tl.screening.outcome = "eligible";
  tl.screening_recorded = true;
  tl.baseline.sbp_mmhg = 120;
  tl.baseline.dbp_mmhg = 80;
  tl.baseline.hr_bpm = 70;
  tl.baseline.spo2_pct = 98;
  return tl;
}

inline TimelineEvent At(double t, EventType type) {
  TimelineEvent e;
  e.t_min = t;
  e.type = type;
  return e;
}

inline TimelineEvent Bp(double t, double sbp, double dbp) {
  TimelineEvent e = At(t, EventType::kVitals);
  e.vitals.sbp_mmhg = sbp;
  e.vitals.dbp_mmhg = dbp;
  return e;
}

}  // namespace kira::advisor::testutil

#endif  // KIRA_TESTS_ADVISOR_ADVISOR_TEST_UTIL_H_
