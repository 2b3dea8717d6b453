// Plausibility runs on every path: screening, the dose at order time and the
// recorded session give the same answer on the same facts (a property over
// generated patients), and an implausible adult weight never doses.
#include "kira/advisor/plausibility.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"
#include "kira/api/advisor_json.h"
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

const AdvisorLibrary& Adv() {
  static AdvisorLibrary lib = std::move(api::ParseAdvisorLibrary(Slurp("guidelines/advisor.json"))).value();
  return lib;
}

domain::Patient Typical() {
  return std::move(api::ParsePatient(Slurp("examples/patients/trd-typical.json"), Lib())).value();
}

bool HasWeightStop(const domain::Decision& d) {
  for (const auto& f : d.findings)
    if (f.rule_id == "weight.implausible" && f.severity == domain::Severity::kHardStop) return true;
  return false;
}

// Property: for weights from 1 to 900 kg, with and without a height, the
// screening, the order-time dose and the recorded session agree on the
// weight stop, and whenever it fires neither dose path is "ok".
TEST(Plausibility, EveryPathAgreesOnGeneratedWeights) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> weight(1.0, 900.0);
  std::uniform_real_distribution<double> height(140.0, 205.0);
  for (int i = 0; i < 2000; ++i) {
    domain::Patient p = Typical();
    const double kg = weight(rng);
    p.weight.value = units::Kg(kg);
    p.weight.entered_value = kg;
    if (i % 3 == 0) {
      p.height.reset();
    } else {
      p.height = units::Cm(height(rng));
    }

    const ScreenResult s = Screen(Lib(), Adv(), p, "iv");
    DoseRequest req;
    req.protocol_id = "iv-0.5-40min";
    auto order = CheckDose(Lib(), p, req);
    ASSERT_TRUE(order.ok()) << order.status().ToString();
    RecordedAdministration given;
    given.protocol_id = "iv-0.5-40min";
    given.given_dose = order->dose;
    given.concentration = units::MgPerMl(1.0);
    given.duration = units::Minutes(40.0);
    given.rate = order->pump->rate;
    auto recorded = CheckRecordedSession(Lib(), p, given);
    ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();

    const bool stop = HasWeightStop(s.decision);
    EXPECT_EQ(HasWeightStop(order->decision), stop) << kg << " kg";
    EXPECT_EQ(HasWeightStop(recorded->decision), stop) << kg << " kg";
    if (stop || !p.height) {
      EXPECT_EQ(order->decision.outcome, kDoseHardStop) << kg << " kg";
      EXPECT_EQ(recorded->decision.outcome, kDoseHardStop) << kg << " kg";
    }
    if (kg < 30.0 || kg > 250.0) {
      EXPECT_TRUE(stop) << kg << " kg";
    }
  }
}

TEST(Plausibility, ConfirmationNeedsTheSameValueMeasuredAndNamed) {
  domain::Patient p = Typical();
  p.weight.value = units::Kg(700);
  p.weight.entered_value = 700;
  p.weight.implausible_confirmed_value = 700;
  p.weight.implausible_confirmed_by = "RN Okafor";
  std::vector<domain::Finding> out;
  CheckPlausibility(Lib(), p, {}, std::nullopt, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule_id, "weight.implausible_confirmed");

  p.weight.implausible_confirmed_by.clear();  // nobody named: not a confirmation
  out.clear();
  CheckPlausibility(Lib(), p, {}, std::nullopt, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule_id, "weight.implausible");
}

TEST(Plausibility, ChildrenAreNotHeldToAdultWeightBounds) {
  domain::Patient p = Typical();
  p.age_years = 9;
  p.weight.value = units::Kg(25);
  p.weight.entered_value = 25;
  p.height = units::Cm(130);
  std::vector<domain::Finding> out;
  CheckPlausibility(Lib(), p, {}, 25.0 / (1.3 * 1.3), &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace kira::advisor
