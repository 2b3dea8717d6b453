#include "kira/units/units.h"

#include <gtest/gtest.h>

namespace kira::units {
namespace {

// Derived example from clinical-reference.md section 8.2: 0.5 mg/kg for 70 kg
// = 35 mg over 40 min = 52.5 mg/h = 52.5 mL/h at 1 mg/mL.
TEST(Units, ReferenceWorkedExampleSection8_2) {
  Milligrams dose = MgPerKg(0.5) * Kg(70.0);
  EXPECT_DOUBLE_EQ(ToMg(dose), 35.0);
  MilligramsPerHour mg_rate = dose / Minutes(40.0);
  EXPECT_DOUBLE_EQ(ToMgPerH(mg_rate), 52.5);
  EXPECT_DOUBLE_EQ(ToMlPerH(mg_rate / MgPerMl(1.0)), 52.5);
  EXPECT_DOUBLE_EQ(ToMl(dose / MgPerMl(1.0)), 35.0);
}

// Derived example from section 1.3: CRPS 0.35 mg/kg/h over 4 h at 70 kg = 98 mg;
// 22 mg/h over 24 h = 528 mg.
TEST(Units, ReferenceWorkedExampleSection1_3) {
  EXPECT_NEAR(ToMg(MgPerKgPerH(0.35) * Kg(70.0) * Hours(4.0)), 98.0, 1e-12);
  EXPECT_NEAR(ToMg(MgPerH(22.0) * Hours(24.0)), 528.0, 1e-12);
}

TEST(Units, PoundsConvertOnceByTheExactFactor) {
  // 140 lb (clinical-reference.md section 8.1) = 63.5029318 kg.
  EXPECT_NEAR(ToKg(Pounds(140.0)), 63.5029318, 1e-7);
  EXPECT_NEAR(ToPounds(Kg(63.5029318)), 140.0, 1e-6);
  EXPECT_DOUBLE_EQ(ToCm(Inches(67.0)), 170.18);
}

TEST(Units, SameDimensionRatioIsPlainDouble) {
  double r = Mg(500.0) / Mg(50.0);
  EXPECT_DOUBLE_EQ(r, 10.0);
}

TEST(Units, DoseRateTimesDurationGivesDose) {
  EXPECT_NEAR(ToMgPerKg(MgPerKgPerH(0.75) * Minutes(40.0)), 0.5, 1e-12);
  EXPECT_NEAR(ToMgPerKgPerH(MgPerKg(0.5) / Minutes(40.0)), 0.75, 1e-12);
}

TEST(Units, ComparisonAndArithmetic) {
  EXPECT_LT(Mg(10.0), Mg(11.0));
  EXPECT_EQ(Mg(10.0) + Mg(5.0), Mg(15.0));
  EXPECT_EQ(Kg(70.0) * 2.0, Kg(140.0));
  EXPECT_DOUBLE_EQ(ToMg(Micrograms(250.0)), 0.25);
}

}  // namespace
}  // namespace kira::units
