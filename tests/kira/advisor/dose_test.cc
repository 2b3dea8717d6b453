// Dosing behaviour not covered by the data-driven cases: weight bases under
// overlays, the ideal-body-weight formula, request validation.
#include "kira/advisor/dose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace kira::advisor
