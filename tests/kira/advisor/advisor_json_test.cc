// JSON adapters: the shipped library and examples load; each malformed field
// is reported with its JSON path.
#include "kira/api/advisor_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kira/advisor/discharge.h"
#include "kira/advisor/monitor.h"
#include "advisor_test_util.h"
#include "testing/status_matchers.h"

namespace kira::api {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMinimal[] = R"({
  "session_id": "x", "route": "iv",
  "precheck": {"resuscitation_staff_present": true, "resuscitation_equipment_present": true,
               "pulse_oximeter_present": true, "rescue_plan": "midazolam"},
  "baseline": {"sbp_mmhg": 120, "dbp_mmhg": 80},
  "events": [{"t_min": 0, "type": "start"}, {"t_min": 10, "type": "vitals", "sbp_mmhg": 130}]
})";

std::string With(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(AdvisorJson, ShippedLibraryLoads) {
  auto lib = ParseAdvisorLibrary(kira::testing::ReadSourceFile("guidelines/advisor.json"));

  ASSERT_THAT(lib, IsOk());
  EXPECT_EQ(*lib->annual_cap.cap.value, 12);
  EXPECT_EQ(lib->annual_cap.cap.source.grade, "C");
  EXPECT_NE(lib->TemplateFor("trd", "iv"), nullptr);
  EXPECT_NE(lib->TemplateFor("trd", "intranasal"), nullptr);
}

TEST(AdvisorJson, MinimalTimelineParses) {
  auto tl = ParseSessionTimeline(kMinimal);

  ASSERT_THAT(tl, IsOk());
  EXPECT_EQ(tl->events.size(), 2u);
  EXPECT_EQ(*tl->events[1].vitals.sbp_mmhg, 130);
}

TEST(AdvisorJson, OutOfOrderEventsNamePath) {
  EXPECT_THAT(ParseSessionTimeline(With(kMinimal, "\"t_min\": 10", "\"t_min\": -1")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("events[1].t_min: earlier")));
}

TEST(AdvisorJson, ImplausibleVitalNamesPath) {
  EXPECT_THAT(ParseSessionTimeline(With(kMinimal, "\"sbp_mmhg\": 130", "\"sbp_mmhg\": 1300")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("events[1].sbp_mmhg: must be <= 350, got 1300")));
}

TEST(AdvisorJson, WrongTypeNamesPath) {
  EXPECT_THAT(ParseSessionTimeline(With(kMinimal, "\"resuscitation_staff_present\": true",
                                        "\"resuscitation_staff_present\": \"yes\"")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("precheck.resuscitation_staff_present: must be true or false, got string")));
}

TEST(AdvisorJson, UnknownEventTypeNamesPath) {
  EXPECT_THAT(ParseSessionTimeline(With(kMinimal, "\"type\": \"start\"", "\"type\": \"begin\"")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("events[0].type: 'begin'")));
}

TEST(AdvisorJson, UnknownRouteRejected) {
  EXPECT_THAT(ParseSessionTimeline(With(kMinimal, "\"route\": \"iv\"", "\"route\": \"im\"")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("route: 'im'")));
}

TEST(AdvisorJson, MissingPrecheckRejected) {
  EXPECT_THAT(ParseSessionTimeline(R"({"session_id": "x", "route": "iv", "baseline": {}, "events": []})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("precheck: is required (an object)")));
}

TEST(AdvisorJson, IsoDates) {
  EXPECT_THAT(ParseIsoDate("2028-02-29", "start"), IsOk());
  EXPECT_THAT(ParseIsoDate("2027-02-29", "start"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("start: '2027-02-29'")));
  EXPECT_THAT(ParseIsoDate("2027-1-5", "start"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("YYYY-MM-DD")));
}

TEST(AdvisorJson, HistoryOutOfOrderNamesPath) {
  EXPECT_THAT(ParsePlanHistory(R"({"instrument": "madrs", "sessions": [
                  {"date": "2027-01-05"}, {"date": "2027-01-04"}]})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("history.sessions[1].date: earlier")));
}

TEST(AdvisorJson, HistoryBadPhaseNamesPath) {
  EXPECT_THAT(ParsePlanHistory(R"({"instrument": "madrs", "sessions": [{"date": "2027-01-05", "phase": "booster"}]})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("history.sessions[0].phase")));
}

TEST(AdvisorJson, LibraryThresholdBadActionNamesPath) {
  std::string text = kira::testing::ReadSourceFile("guidelines/advisor.json");
  text = With(text, "\"action\": \"stop\"", "\"action\": \"halt\"");

  EXPECT_THAT(ParseAdvisorLibrary(text),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("monitoring.thresholds[2].action: 'halt'")));
}

TEST(AdvisorJson, LibraryFractionalSessionsNamesPath) {
  std::string text = kira::testing::ReadSourceFile("guidelines/advisor.json");
  text = With(text, "\"sessions\": 6,", "\"sessions\": 6.5,");

  EXPECT_THAT(ParseAdvisorLibrary(text),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("templates[0].induction[0].sessions: must be a whole number, got 6.5")));
}

TEST(AdvisorJson, LibraryGapOutOfRangeNamesPath) {
  std::string text = kira::testing::ReadSourceFile("guidelines/advisor.json");
  text = With(text, "\"gaps_days\": [\n      2,", "\"gaps_days\": [\n      0,");

  EXPECT_THAT(ParseAdvisorLibrary(text),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("templates[0].induction[0].gaps_days[0]: must be a whole number of days 1..366")));
}

TEST(AdvisorJson, HistoryMissingInstrumentNamesPath) {
  EXPECT_THAT(ParsePlanHistory(R"({"sessions": []})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("history.instrument: is required (a string)")));
}

TEST(AdvisorJson, DischargeAttestationMustBeBoolean) {
  std::string text = kira::testing::ReadSourceFile("examples/session-esketamine-early-discharge.json");
  auto tl = ParseSessionTimeline(text);
  ASSERT_THAT(tl, IsOk());
  ASSERT_TRUE(tl->discharge.has_value());
  ASSERT_FALSE(tl->discharge->attestations.empty());
  const std::string key = tl->discharge->attestations.begin()->first;
  const std::string from = "\"" + key + "\": ";
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  const size_t end = text.find_first_of(",\n}", at + from.size());
  text.replace(at + from.size(), end - at - from.size(), "\"yes\"");

  EXPECT_THAT(ParseSessionTimeline(text),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("discharge.attestations." + key + ": must be true or false, got string")));
}

TEST(AdvisorJson, ExampleRescueSessionRunsEndToEnd) {
  advisor::AdvisorLibrary lib = advisor::testutil::ShippedLibrary();
  auto tl = ParseSessionTimeline(kira::testing::ReadSourceFile("examples/session-iv-rescue.json"));
  ASSERT_THAT(tl, IsOk());

  advisor::MonitorResult m = advisor::Monitor(lib, *tl);
  auto d = advisor::EvaluateDischarge(lib, *tl);

  EXPECT_EQ(m.gate.outcome, "pass");
  EXPECT_EQ(m.decision.outcome, "pause");
  ASSERT_FALSE(m.rescues.empty());
  EXPECT_EQ(m.rescues[0].outcome, "clonidine");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->outcome, "ready");
  EXPECT_THAT(MonitorResultToJson(m), HasSubstr("\"rule_id\": \"monitor.sbp.rise_pause\""));
}

TEST(AdvisorJson, ExampleEsketamineEarlyDischargeIsBlocked) {
  advisor::AdvisorLibrary lib = advisor::testutil::ShippedLibrary();
  auto tl = ParseSessionTimeline(kira::testing::ReadSourceFile("examples/session-esketamine-early-discharge.json"));
  ASSERT_THAT(tl, IsOk());

  auto d = advisor::EvaluateDischarge(lib, *tl);

  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->outcome, "not_ready");
  EXPECT_TRUE(d->Has("discharge.min_observation"));
  EXPECT_TRUE(d->Has("discharge.no_driving_advised"));
}

TEST(AdvisorJson, ExampleHistoryParses) {
  auto h = ParsePlanHistory(kira::testing::ReadSourceFile("examples/history-trd-relapse.json"));

  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->sessions.size(), 10u);
  EXPECT_EQ(*h->sessions.front().baseline_score, 32);
}

}  // namespace
}  // namespace kira::api
