// Published and derived values from clinical-reference.md §7.1 and §8.1.
//
// The reference's "derived" columns were computed by its author from the
// opentiva parameter rows and are printed rounded to whole ng/mL (half-lives
// to 0.1 min or whole minutes), so the tolerances here are the rounding of
// the printed figure plus 0.5: the test checks that kira reproduces the same
// arithmetic, not that the models are right.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "kira/pk/model.h"
#include "kira/pk/simulate.h"
#include "testing/status_matchers.h"

namespace kira::pk {
namespace {

using units::Hours;
using units::Kg;
using units::Mg;
using units::MgPerH;
using units::MgPerKg;
using units::Minutes;
using units::ToMinutes;
using units::ToNgPerMl;

Model MakeModel(std::string_view name, double weight_kg) {
  auto params = FindModel(name);
  EXPECT_TRUE(params.ok()) << params.status().ToString();
  auto m = Model::Create(*params, Kg(weight_kg));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

// 0.5 mg/kg over 40 min (the antidepressant infusion, reference §2/§7.1).
Regimen AntidepressantInfusion(double weight_kg) {
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerKg(0.5) * Kg(weight_kg) / Minutes(40.0)});
  return r;
}

// 500 mg IM (reference §8.1), default absorption (ka tagged U).
Regimen ImBolus500() {
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(500.0), Route::kIntramuscular});
  return r;
}

struct DerivedRow {
  const char* model;
  double cl_ml_per_kg_min;
  double vss_l_per_kg;
  double half_lives_min[3];  // fastest first; 0 if absent
  double peak_ng_per_ml;     // at 40 min
  double c120, c240;
};
// clinical-reference.md §7.1, "Derived values" table.
constexpr DerivedRow kDerived[] = {
    {"domino", 27.6, 2.76, {0.4, 4.6, 115.0}, 240.0, 36.0, 17.0},
    {"clements", 19.1, 4.13, {17.6, 183.0, 0.0}, 177.0, 59.0, 35.0},
    {"hijazi", 36.0, 4.25, {16.2, 297.0, 0.0}, 225.0, 13.0, 5.0},
};

TEST(ReferenceValues, ClearanceVolumeAndHalfLivesMatchSection7_1) {
  for (const DerivedRow& row : kDerived) {
    SCOPED_TRACE(row.model);
    Model m = MakeModel(row.model, 70.0);
    const ModelParameters& p = m.parameters();

    const double cl = p.v1_l_per_kg * p.k10_per_min * 1000.0;
    double vss = p.v1_l_per_kg;
    if (p.compartments >= 2) vss += p.v1_l_per_kg * p.k12_per_min / p.k21_per_min;
    if (p.compartments >= 3) vss += p.v1_l_per_kg * p.k13_per_min / p.k31_per_min;

    EXPECT_NEAR(cl, row.cl_ml_per_kg_min, 0.05);
    EXPECT_NEAR(vss, row.vss_l_per_kg, 0.005);
    for (int i = 0; i < m.modes(); ++i) {
      const double t_half = std::log(2.0) / m.lambda_per_min(i);
      // Printed to 0.1 min below 100 min, whole minutes above.
      EXPECT_NEAR(t_half, row.half_lives_min[i], row.half_lives_min[i] < 100 ? 0.05 : 0.5) << "mode " << i;
    }
    // Clearance through the unit types: 70 kg * CL mL/kg/min * 60 min/h.
    EXPECT_NEAR(units::ToMlPerH(m.clearance()), cl * 70.0 * 60.0, 1e-9 * cl * 70.0 * 60.0);
  }
}

TEST(ReferenceValues, HalfMgPerKgOver40MinMatchesDerivedPeakAndDecline) {
  for (const DerivedRow& row : kDerived) {
    SCOPED_TRACE(row.model);
    Model m = MakeModel(row.model, 70.0);
    Regimen r = AntidepressantInfusion(70.0);

    KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, r, Hours(6.0)));
    KIRA_ASSERT_OK_AND_ASSIGN(auto c120, ConcentrationAt(m, r, Minutes(120.0)));
    KIRA_ASSERT_OK_AND_ASSIGN(auto c240, ConcentrationAt(m, r, Minutes(240.0)));

    EXPECT_NEAR(ToNgPerMl(peak.concentration), row.peak_ng_per_ml, 1.0);
    EXPECT_NEAR(ToMinutes(peak.time), 40.0, 1e-9);
    EXPECT_NEAR(ToNgPerMl(c120), row.c120, 1.0);
    EXPECT_NEAR(ToNgPerMl(c240), row.c240, 1.0);
  }
}

// Reference §8.1: 500 mg IM in a man of about 64 kg (140 lb = 63.5 kg). The
// issue requires a predicted peak in the anaesthetic range (>= 1200 ng/mL,
// §7.2 [R30]). The result depends on the absorption rate constant, which the
// reference does not give (default tagged U), so the check is repeated across
// a wide range of ka: it must hold for every model and every ka tried.
TEST(ReferenceValues, FiveHundredMgImAt64KgPeaksInAnaestheticRangeForEveryModel) {
  for (const ModelParameters& p : kKetamineModels) {
    for (double ka : {0.02, 0.05, 0.1, 0.2, 0.5}) {
      SCOPED_TRACE(std::string(p.name) + " ka=" + std::to_string(ka));
      KIRA_ASSERT_OK_AND_ASSIGN(Model m, Model::Create(p, Kg(64.0)));
      Regimen r = ImBolus500();
      r.intramuscular.ka_per_min = ka;

      KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, r, Hours(12.0)));

      EXPECT_GE(ToNgPerMl(peak.concentration), 1200.0);
    }
  }
}

// Not a check: prints the model comparison quoted in docs/pk.md, so the
// figures there can be regenerated with
//   build/tests/kira/pk/pk_test --gtest_filter='ReferenceValues.PrintComparison'
TEST(ReferenceValues, PrintComparison) {
  std::printf("\n%-9s | %9s | %8s | %8s | %8s || %s\n", "model", "peak", "Tmax", "C120", "C240",
              "500 mg IM / 64 kg: peak (Tmax) for ka = 0.02 / 0.05 / 0.1 (default, U) / 0.2 / 0.5 per min");
  for (const ModelParameters& p : kKetamineModels) {
    Model m = MakeModel(p.name, 70.0);
    Regimen r = AntidepressantInfusion(70.0);
    KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, r, Hours(6.0)));
    KIRA_ASSERT_OK_AND_ASSIGN(auto c120, ConcentrationAt(m, r, Minutes(120.0)));
    KIRA_ASSERT_OK_AND_ASSIGN(auto c240, ConcentrationAt(m, r, Minutes(240.0)));
    std::printf("%-9s | %9.2f | %8.3f | %8.3f | %8.3f ||", std::string(p.name).c_str(),
                ToNgPerMl(peak.concentration), ToMinutes(peak.time), ToNgPerMl(c120), ToNgPerMl(c240));
    KIRA_ASSERT_OK_AND_ASSIGN(Model m64, Model::Create(p, Kg(64.0)));
    for (double ka : {0.02, 0.05, 0.1, 0.2, 0.5}) {
      Regimen im = ImBolus500();
      im.intramuscular.ka_per_min = ka;
      KIRA_ASSERT_OK_AND_ASSIGN(Peak ip, FindPeak(m64, im, Hours(12.0)));
      std::printf(" %.0f (%.1f min)", ToNgPerMl(ip.concentration), ToMinutes(ip.time));
    }
    std::printf("\n");
  }
}

}  // namespace
}  // namespace kira::pk
