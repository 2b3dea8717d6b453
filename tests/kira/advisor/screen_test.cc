// Screening behaviour not covered by the data-driven cases.
#include "kira/advisor/screen.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"

namespace kira::advisor {
namespace {

std::string Slurp(const std::string& rel) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const guideline::Library& Lib() {
  static guideline::Library lib = std::move(api::ParseGuideline(Slurp("guidelines/kira.json"))).value();
  return lib;
}

TEST(Screen, FindingsAreOrderedMostSevereFirst) {
  auto p = api::ParsePatient(Slurp("examples/patients/hiv-protease-inhibitor.json"), Lib());
  ASSERT_TRUE(p.ok()) << p.status().ToString();

  ScreenResult r = Screen(Lib(), *p, "iv");

  for (size_t i = 1; i < r.decision.findings.size(); ++i)
    EXPECT_GE(r.decision.findings[i - 1].severity, r.decision.findings[i].severity);
}

TEST(Screen, EveryFindingCarriesItsCitationAndEvidenceTag) {
  auto p = api::ParsePatient(Slurp("examples/patients/hiv-protease-inhibitor.json"), Lib());
  ASSERT_TRUE(p.ok());

  ScreenResult r = Screen(Lib(), *p, "iv");

  ASSERT_FALSE(r.decision.findings.empty());
  for (const auto& f : r.decision.findings) {
    EXPECT_FALSE(f.citation.empty()) << f.rule_id;
    EXPECT_FALSE(f.rule_id.empty());
  }
  EXPECT_EQ(r.decision.guideline.id, "kira-core");
}

TEST(Screen, RescuePlanAlwaysExcludesAntipsychotics) {
  auto p = api::ParsePatient(Slurp("examples/patients/trd-typical.json"), Lib());
  ASSERT_TRUE(p.ok());

  ScreenResult r = Screen(Lib(), *p, "iv");

  ASSERT_FALSE(r.rescue.avoid.empty());
  EXPECT_EQ(r.rescue.avoid.back().agent, "antipsychotics");
  EXPECT_THAT(r.rescue.preferred, ::testing::HasSubstr("benzodiazepine"));
}

TEST(Screen, IsDeterministic) {
  auto p = api::ParsePatient(Slurp("examples/patients/hiv-protease-inhibitor.json"), Lib());
  ASSERT_TRUE(p.ok());

  ScreenResult a = Screen(Lib(), *p, "iv");
  ScreenResult b = Screen(Lib(), *p, "iv");

  ASSERT_EQ(a.decision.findings.size(), b.decision.findings.size());
  for (size_t i = 0; i < a.decision.findings.size(); ++i)
    EXPECT_EQ(a.decision.findings[i].rule_id, b.decision.findings[i].rule_id);
}

}  // namespace
}  // namespace kira::advisor
