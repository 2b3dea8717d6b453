#include "kira/pk/tci.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kira/pk/simulate.h"
#include "testing/status_matchers.h"

namespace kira::pk {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using units::Hours;
using units::Kg;
using units::Mg;
using units::MgPerKgPerH;
using units::Minutes;
using units::NgPerMl;
using units::ToMgPerKgPerH;
using units::ToMinutes;
using units::ToNgPerMl;

Model MakeModel(const ModelParameters& p, double weight_kg) {
  auto m = Model::Create(p, Kg(weight_kg));
  EXPECT_THAT(m, IsOk());
  return *m;
}

// With a generous cap the pump lands on the target at every interval end from
// the first on, checked by simulating the returned schedule independently.
TEST(TargetControl, HitsTargetAtEveryIntervalEndWhenUncapped) {
  for (const ModelParameters& p : kKetamineModels) {
    SCOPED_TRACE(std::string(p.name));
    Model m = MakeModel(p, 70.0);
    TargetControlOptions o{NgPerMl(200.0), Minutes(60.0), MgPerKgPerH(1000.0), std::nullopt};

    KIRA_ASSERT_OK_AND_ASSIGN(TargetControlPlan plan, PlanTargetConcentration(m, o));

    ASSERT_TRUE(plan.time_to_target.has_value());
    EXPECT_NEAR(ToMinutes(*plan.time_to_target), 10.0 / 60.0, 1e-9);
    EXPECT_FALSE(plan.rate_cap_binding);
    EXPECT_TRUE(plan.notes.empty());
    const Regimen r = plan.AsRegimen();
    for (int i = 1; i <= 360; ++i) {
      KIRA_ASSERT_OK_AND_ASSIGN(auto c, ConcentrationAt(m, r, Minutes(i * 10.0 / 60.0)));
      EXPECT_NEAR(ToNgPerMl(c), 200.0, 1e-9 * 200.0) << "interval " << i;
    }
  }
}

TEST(TargetControl, RateCapDelaysTargetAndIsNeverExceeded) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  TargetControlOptions o{NgPerMl(200.0), Minutes(60.0), MgPerKgPerH(1.0), std::nullopt};

  KIRA_ASSERT_OK_AND_ASSIGN(TargetControlPlan plan, PlanTargetConcentration(m, o));

  EXPECT_TRUE(plan.rate_cap_binding);
  ASSERT_TRUE(plan.time_to_target.has_value());
  EXPECT_GT(ToMinutes(*plan.time_to_target), 1.0);
  for (const Infusion& inf : plan.schedule) {
    EXPECT_LE(ToMgPerKgPerH(inf.rate / Kg(70.0)), 1.0 * (1 + 1e-12));
  }
  // The first step is the loading phase at the cap.
  EXPECT_NEAR(ToMgPerKgPerH(plan.schedule.front().rate / Kg(70.0)), 1.0, 1e-12);
  KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, plan.AsRegimen(), Minutes(60.0)));
  EXPECT_LT(ToNgPerMl(peak.concentration), 200.0 * 1.01);
}

// Long enough for the peripheral compartments to fill: the rate tends to
// target x CL (Domino: slowest half-life 115 min; 40 h is 21 half-lives).
TEST(TargetControl, RateTendsToTargetTimesClearance) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  TargetControlOptions o{NgPerMl(150.0), Hours(40.0), MgPerKgPerH(100.0), std::nullopt};

  KIRA_ASSERT_OK_AND_ASSIGN(TargetControlPlan plan, PlanTargetConcentration(m, o));

  // 150 ng/mL x 27.6 mL/kg/min = 4.14 ug/kg/min = 0.248 mg/kg/h.
  EXPECT_NEAR(ToMgPerKgPerH(plan.maintenance_rate_steady_state), 150e-6 * 0.063 * 0.4381 * 1000 * 60, 1e-12);
  EXPECT_NEAR(ToMgPerKgPerH(plan.final_rate), ToMgPerKgPerH(plan.maintenance_rate_steady_state),
              1e-6 * ToMgPerKgPerH(plan.maintenance_rate_steady_state));
  EXPECT_FALSE(plan.rate_cap_prevents_holding);
}

TEST(TargetControl, CapBelowMaintenanceRateIsReported) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  // Needs about 0.248 mg/kg/h at steady state; the cap is 0.2.
  TargetControlOptions o{NgPerMl(150.0), Hours(8.0), MgPerKgPerH(0.2), std::nullopt};

  KIRA_ASSERT_OK_AND_ASSIGN(TargetControlPlan plan, PlanTargetConcentration(m, o));

  EXPECT_TRUE(plan.rate_cap_prevents_holding);
  EXPECT_FALSE(plan.time_to_target.has_value());
  EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("not reached")));
  EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("above the max rate 0.200 mg/kg/h")));
}

TEST(TargetControl, CumulativeCapStopsThePump) {
  Model m = MakeModel(kKetamineModels[1], 70.0);
  TargetControlOptions o{NgPerMl(200.0), Hours(4.0), MgPerKgPerH(10.0), Mg(35.0)};

  KIRA_ASSERT_OK_AND_ASSIGN(TargetControlPlan plan, PlanTargetConcentration(m, o));

  EXPECT_NEAR(units::ToMg(plan.total_dose), 35.0, 1e-9);
  ASSERT_TRUE(plan.total_cap_reached_at.has_value());
  EXPECT_TRUE(plan.target_lost);
  EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("cumulative cap 35.0 mg")));
}

TEST(TargetControl, MalformedOptionsAreRejectedNamingTheField) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TargetControlOptions ok{NgPerMl(200.0), Minutes(60.0), MgPerKgPerH(1.0), std::nullopt};
  TargetControlOptions o = ok;
  o.target = NgPerMl(-1.0);
  EXPECT_THAT(PlanTargetConcentration(m, o), StatusIs(StatusCode::kInvalidArgument, HasSubstr("target_ng_per_ml")));
  o = ok;
  o.duration = Minutes(nan);
  EXPECT_THAT(PlanTargetConcentration(m, o), StatusIs(StatusCode::kInvalidArgument, HasSubstr("duration_min")));
  o = ok;
  o.max_rate = MgPerKgPerH(0.0);
  EXPECT_THAT(PlanTargetConcentration(m, o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("max_rate_mg_per_kg_per_h")));
  o = ok;
  o.max_total = Mg(-3.0);
  EXPECT_THAT(PlanTargetConcentration(m, o), StatusIs(StatusCode::kInvalidArgument, HasSubstr("max_total_mg")));
  o = ok;
  o.update_interval = Minutes(0.0);
  EXPECT_THAT(PlanTargetConcentration(m, o), StatusIs(StatusCode::kInvalidArgument, HasSubstr("update_interval_min")));
}

}  // namespace
}  // namespace kira::pk
