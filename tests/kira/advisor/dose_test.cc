// Dosing behaviour not covered by the data-driven cases: weight bases under
// overlays, the ideal-body-weight formula, request validation.
#include "kira/advisor/dose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "kira/advisor/library.h"
#include "kira/api/advisor_json.h"
#include "kira/api/decision_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

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

domain::Patient Obese() { return std::move(api::ParsePatient(Slurp("examples/patients/obese-crps.json"), Lib())).value(); }

// Devine formula (setting, U): female 45.5 kg + 2.3 kg per inch over 60 in.
// 165 cm = 64.96 in -> 45.5 + 2.3 * 4.9606 = 56.909 kg (independent arithmetic).
TEST(IdealBodyWeight, DevineDefaultFemale165cm) {
  EXPECT_NEAR(units::ToKg(IdealBodyWeight(Lib(), Obese())), 56.9094, 1e-3);
}

TEST(IdealBodyWeight, MaleUsesTheMaleBase) {
  domain::Patient p = Obese();
  p.sex = domain::Sex::kMale;
  EXPECT_NEAR(units::ToKg(IdealBodyWeight(Lib(), p)), 56.9094 + 4.5, 1e-3);
}

TEST(DoseWeightBasis, AdjustedBodyWeightWhenTheClinicChoosesIt) {
  auto lib = api::ApplyOverlay(Lib(), R"({"clinic": "Adjusted", "base": "kira-core", "base_version": "1.0.0",
                                        "settings": {"dosing.obesity_weight_basis": "adjusted"}})");
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min-5day";

  auto r = CheckDose(*lib, Obese(), req);

  ASSERT_TRUE(r.ok());
  // 56.909 + 0.4 * (112 - 56.909) = 78.946 kg
  EXPECT_EQ(r->weight_basis, "adjusted");
  EXPECT_NEAR(units::ToKg(r->dosing_weight), 78.9456, 1e-3);
  EXPECT_NEAR(units::ToMg(r->dose), 0.5 * 78.9456, 1e-3);
}

TEST(DoseWeightBasis, ActualWhenTheClinicChoosesIt) {
  auto lib = api::ApplyOverlay(Lib(), R"({"clinic": "Actual", "base": "kira-core", "base_version": "1.0.0",
                                        "settings": {"dosing.obesity_weight_basis": "actual"}})");
  ASSERT_TRUE(lib.ok());
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min-5day";

  auto r = CheckDose(*lib, Obese(), req);

  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->weight_basis, "actual");
  EXPECT_NEAR(units::ToMg(r->dose), 56.0, 1e-9);
  EXPECT_TRUE(r->decision.Has("dose.weight_basis.obesity"));
}

TEST(DoseWeightBasis, BelowTheObesityBmiUsesActualWeight) {
  domain::Patient p = Obese();
  p.weight.value = units::Kg(81.0);  // BMI 29.75 at 165 cm
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min-5day";

  auto r = CheckDose(Lib(), p, req);

  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->weight_basis, "actual");
  EXPECT_FALSE(r->decision.Has("dose.weight_basis.obesity"));
}

TEST(DoseRequestValidation, RejectsNonPositiveConcentrationNamingTheField) {
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  req.concentration = units::MgPerMl(0.0);

  EXPECT_THAT(CheckDose(Lib(), Obese(), req), StatusIs(StatusCode::kInvalidArgument, HasSubstr("concentration")));
}

TEST(DoseRequestValidation, RejectsNaNDose) {
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  req.ordered_dose = units::Mg(std::nan(""));

  EXPECT_THAT(CheckDose(Lib(), Obese(), req), StatusIs(StatusCode::kInvalidArgument, HasSubstr("dose_mg")));
}

TEST(DoseRequestValidation, UnknownProtocolIsNotFound) {
  DoseRequest req;
  req.protocol_id = "nope";

  EXPECT_THAT(CheckDose(Lib(), Obese(), req), StatusIs(StatusCode::kNotFound, HasSubstr("protocol")));
}

TEST(DoseOverride, OverrideWithoutSoftStopIsNotRecorded) {
  auto p = api::ParsePatient(Slurp("examples/patients/trd-typical.json"), Lib());
  ASSERT_TRUE(p.ok());
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  req.override_ = domain::Override{"x", "2026-01-01T00:00:00Z", "just because", {}};

  auto r = CheckDose(Lib(), *p, req);

  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision.outcome, "ok");
  EXPECT_FALSE(r->decision.override_.has_value());
}

TEST(DoseOverride, EmptyReasonDoesNotPassASoftStop) {
  auto p = api::ParsePatient(Slurp("examples/patients/trd-typical.json"), Lib());
  ASSERT_TRUE(p.ok());
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  req.ordered_dose = units::Mg(56);
  req.override_ = domain::Override{"x", "2026-01-01T00:00:00Z", "", {}};

  auto r = CheckDose(Lib(), *p, req);

  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision.outcome, "soft_limit");
}

// Ten-fold guard: the classic 41.7 vs 4.17 keying error [R55b]. At 70 kg the
// protocol gives 35 mg; 350 mg is exactly 10x and must be a hard stop even if
// a clinic's hard limits were looser.
TEST(DoseTenfold, ExactlyTenTimesIsAHardStop) {
  auto p = api::ParsePatient(Slurp("examples/patients/trd-typical.json"), Lib());
  ASSERT_TRUE(p.ok());
  DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  req.ordered_dose = units::Mg(350);

  auto r = CheckDose(Lib(), *p, req);

  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->decision.Has("dose.tenfold_error.high"));
  EXPECT_EQ(r->decision.outcome, "hard_stop");
}

// Property (one answer): a dose check that carries over the screening just
// made gives the same decision, finding for finding, as one that evaluates
// the screening rules itself, on generated patients (conditions, catalogue
// and unknown medications, diagnoses, pregnancy, age, weight, height,
// baseline vitals) for every protocol. A screening of another route or
// another patient is never carried over.
TEST(DoseCarryOver, SameDecisionAsScreeningAgainOnGeneratedPatients) {
  static const AdvisorLibrary adv = std::move(api::ParseAdvisorLibrary(Slurp("guidelines/advisor.json"))).value();
  const guideline::Library& lib = Lib();
  std::mt19937 rng(20261130);
  auto coin = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  const domain::Patient base = Obese();
  int carried_hard_stops = 0;
  for (int i = 0; i < 1500; ++i) {
    domain::Patient p = base;
    p.age_years = uniform(12, 95);
    p.pregnant = coin(0.05);
    const double kg = uniform(25, 260);
    p.weight.value = units::Kg(kg);
    p.weight.entered_value = kg;
    if (coin(0.2)) p.height.reset(); else p.height = units::Cm(uniform(140, 205));
    p.history.clear();
    for (const auto& c : lib.conditions) if (coin(0.08)) p.history[c.id] = true;
    p.medications.clear();
    for (const auto& m : lib.medications) {
      if (!coin(0.06)) continue;
      domain::Medication med;
      med.name = m.name;
      p.medications.push_back(med);
    }
    if (coin(0.05)) {
      domain::Medication med;
      med.name = "not-in-any-catalogue";
      p.medications.push_back(med);
    }
    p.diagnoses.clear();
    for (const auto& ind : lib.indications) if (coin(0.3)) p.diagnoses.push_back(ind.id);
    if (p.diagnoses.empty()) p.diagnoses.push_back(lib.indications.front().id);
    if (coin(0.5)) {
      domain::BaselineVitals v;
      v.sbp_mmhg = uniform(80, 200);
      v.dbp_mmhg = uniform(40, 120);
      v.hr_bpm = uniform(40, 140);
      v.spo2_pct = uniform(85, 100);
      p.baseline_vitals = v;
    } else {
      p.baseline_vitals.reset();
    }
    for (const auto& proto : lib.protocols) {
      DoseRequest req;
      req.protocol_id = proto.id;
      const ScreenResult same_route = Screen(lib, adv, p, proto.route);
      auto fresh = CheckDose(lib, p, req);
      auto carried = CheckDose(lib, p, req, same_route);
      ASSERT_EQ(fresh.ok(), carried.ok()) << proto.id;
      if (!fresh.ok()) continue;
      ASSERT_EQ(api::DoseResultToJson(*fresh), api::DoseResultToJson(*carried)) << proto.id << " patient " << i;
      carried_hard_stops += static_cast<int>(same_route.carry_over.hard_stops.size());
      // Another route's screening is not carried over.
      for (const auto& route : lib.routes) {
        if (route.id == proto.route) continue;
        auto other = CheckDose(lib, p, req, Screen(lib, adv, p, route.id));
        ASSERT_TRUE(other.ok());
        ASSERT_EQ(api::DoseResultToJson(*fresh), api::DoseResultToJson(*other)) << proto.id << " via " << route.id;
        break;
      }
    }
  }
  EXPECT_GT(carried_hard_stops, 100);  // the generator reaches the screening hard stops
}

}  // namespace
}  // namespace kira::advisor
