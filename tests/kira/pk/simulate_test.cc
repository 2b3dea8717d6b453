#include "kira/pk/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kira/pk/model.h"
#include "kira/pk/regimen.h"
#include "testing/status_matchers.h"
#include "ode_reference.h"

namespace kira::pk {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using units::Hours;
using units::Kg;
using units::Mg;
using units::MgPerH;
using units::Minutes;
using units::NgPerMl;
using units::ToMinutes;
using units::ToNgPerMl;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Model MakeModel(const ModelParameters& p, double weight_kg) {
  auto m = Model::Create(p, Kg(weight_kg));
  EXPECT_THAT(m, IsOk());
  return *m;
}

// A one-compartment test model (not clinical): C = D/V e^{-k t} exactly.
constexpr ModelParameters kOneCompartment = {"one", "test 1-compartment", "test only", Evidence::kUnverified,
                                             1, 1.0, 0.1, 0.0, 0.0, 0.0, 0.0};

// Random regimens for the property tests. Fixed seed: the same regimens on
// every run and machine with this standard library.
struct RandomCase {
  ModelParameters params;
  double weight_kg;
  Regimen regimen;
  double horizon_min;
};

RandomCase MakeRandomCase(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  RandomCase rc;
  rc.params = kKetamineModels[rng() % kKetamineModels.size()];
  rc.weight_kg = 40.0 + 80.0 * u(rng);
  double t = 0.0;
  const int n_inf = static_cast<int>(rng() % 4);
  for (int i = 0; i < n_inf; ++i) {
    t += (u(rng) < 0.3) ? 0.0 : 300.0 * u(rng);  // sometimes back to back
    const double dur = 1.0 + 120.0 * u(rng);
    rc.regimen.infusions.push_back({Minutes(t), Minutes(dur), MgPerH(100.0 * u(rng))});
    t += dur;
  }
  const int n_dose = static_cast<int>(rng() % 4);
  std::vector<double> times;
  for (int i = 0; i < n_dose; ++i) times.push_back(600.0 * u(rng));
  std::sort(times.begin(), times.end());
  for (double dt : times) {
    const Route route = static_cast<Route>(rng() % 3);
    rc.regimen.doses.push_back({Minutes(dt), Mg(5.0 + 300.0 * u(rng)), route});
  }
  rc.regimen.intramuscular.ka_per_min = 0.01 + 0.5 * u(rng);
  rc.regimen.intranasal.ka_per_min = 0.01 + 0.5 * u(rng);
  rc.horizon_min = std::max(t, 600.0) + 600.0;
  return rc;
}

// The closed form against an independent Dormand-Prince 5(4) integration of
// the compartment ODE at rtol 1e-13. Tolerance: relative 1e-9 of the value,
// with an absolute floor of 1e-9 of the regimen's peak so that values that
// have decayed to ~0 compare on the scale that matters.
TEST(Simulate, ClosedFormMatchesAdaptiveRungeKuttaOnRandomRegimens) {
  std::mt19937_64 rng(20261126);
  int compared = 0;
  for (int c = 0; c < 200; ++c) {
    RandomCase rc = MakeRandomCase(rng);
    if (rc.regimen.infusions.empty() && rc.regimen.doses.empty()) continue;
    SCOPED_TRACE("case " + std::to_string(c) + " model " + std::string(rc.params.name));
    Model m = MakeModel(rc.params, rc.weight_kg);
    std::vector<double> times;
    std::uniform_real_distribution<double> u(0.0, rc.horizon_min);
    for (int i = 0; i < 40; ++i) times.push_back(u(rng));
    std::sort(times.begin(), times.end());
    testing::OdeReference ode(rc.params, rc.weight_kg, rc.regimen);

    const std::vector<double> expected = ode.Concentrations(times);
    KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, rc.regimen, Minutes(rc.horizon_min)));

    const double floor = 1e-9 * ToNgPerMl(peak.concentration);
    for (size_t i = 0; i < times.size(); ++i) {
      KIRA_ASSERT_OK_AND_ASSIGN(auto got, ConcentrationAt(m, rc.regimen, Minutes(times[i])));
      EXPECT_NEAR(ToNgPerMl(got), expected[i], 1e-9 * std::abs(expected[i]) + floor)
          << "t=" << times[i];
      ++compared;
    }
  }
  EXPECT_GT(compared, 5000);
}

// The fixed-step curve (modal propagation) agrees with direct superposition at
// every grid point, including steps that contain breakpoints.
TEST(Simulate, CurveAgreesWithPointwiseSuperposition) {
  std::mt19937_64 rng(7);
  for (int c = 0; c < 50; ++c) {
    RandomCase rc = MakeRandomCase(rng);
    Model m = MakeModel(rc.params, rc.weight_kg);

    KIRA_ASSERT_OK_AND_ASSIGN(Curve curve, SimulateCurve(m, rc.regimen, Minutes(rc.horizon_min), Minutes(0.7)));

    for (size_t i = 0; i < curve.values.size(); i += 7) {
      KIRA_ASSERT_OK_AND_ASSIGN(auto direct, ConcentrationAt(m, rc.regimen, curve.TimeAt(i)));
      EXPECT_NEAR(ToNgPerMl(curve.values[i]), ToNgPerMl(direct), 1e-11 * std::max(1.0, ToNgPerMl(direct)))
          << "case " << c << " i=" << i;
    }
  }
}

TEST(Simulate, CurveGridIncludesEndAndDoseAtGridTime) {
  Model m = MakeModel(kOneCompartment, 10.0);  // V = 10 L
  Regimen r;
  r.doses.push_back({Minutes(2.0), Mg(10.0), Route::kIntravenous});  // 1000 ng/mL at t = 2

  KIRA_ASSERT_OK_AND_ASSIGN(Curve curve, SimulateCurve(m, r, Minutes(4.0), Minutes(1.0)));

  ASSERT_EQ(curve.values.size(), 5u);
  EXPECT_EQ(ToNgPerMl(curve.values[1]), 0.0);
  EXPECT_NEAR(ToNgPerMl(curve.values[2]), 1000.0, 1e-9);
  EXPECT_NEAR(ToNgPerMl(curve.values[4]), 1000.0 * std::exp(-0.2), 1e-9);
}

// Superposition: the response to two regimens given together is the sum of
// the responses (the model is linear).
TEST(Simulate, ResponseToCombinedRegimenIsSumOfResponses) {
  std::mt19937_64 rng(11);
  for (int c = 0; c < 50; ++c) {
    RandomCase a = MakeRandomCase(rng);
    RandomCase b = MakeRandomCase(rng);
    // b's inputs after a's last infusion so the union stays non-overlapping.
    double shift = 0.0;
    for (const Infusion& inf : a.regimen.infusions) shift = std::max(shift, ToMinutes(inf.start + inf.duration));
    Regimen both = a.regimen;
    Regimen b_shifted;
    b_shifted.intramuscular = both.intramuscular;
    b_shifted.intranasal = both.intranasal;
    double prev_end = shift;
    for (Infusion inf : b.regimen.infusions) {
      // max(): shifting back-to-back infusions must not create a rounding overlap.
      inf.start = Minutes(std::max(ToMinutes(inf.start) + shift, prev_end));
      prev_end = ToMinutes(inf.start + inf.duration);
      b_shifted.infusions.push_back(inf);
      both.infusions.push_back(inf);
    }
    for (const Dose& d : b.regimen.doses) {
      b_shifted.doses.push_back(d);
      both.doses.push_back(d);
    }
    std::stable_sort(both.doses.begin(), both.doses.end(),
                     [](const Dose& x, const Dose& y) { return x.time < y.time; });
    Model m = MakeModel(a.params, a.weight_kg);

    for (double t : {1.0, 37.0, 200.0, 777.0, 1500.0}) {
      KIRA_ASSERT_OK_AND_ASSIGN(auto ca, ConcentrationAt(m, a.regimen, Minutes(t)));
      KIRA_ASSERT_OK_AND_ASSIGN(auto cb, ConcentrationAt(m, b_shifted, Minutes(t)));
      KIRA_ASSERT_OK_AND_ASSIGN(auto cab, ConcentrationAt(m, both, Minutes(t)));
      const double sum = ToNgPerMl(ca) + ToNgPerMl(cb);
      EXPECT_NEAR(ToNgPerMl(cab), sum, 1e-12 * std::max(1.0, sum)) << "case " << c << " t=" << t;
    }
  }
}

// At steady state the infusion rate equals elimination: C = rate / CL.
TEST(Simulate, LongInfusionReachesRateOverClearance) {
  for (const ModelParameters& p : kKetamineModels) {
    SCOPED_TRACE(std::string(p.name));
    Model m = MakeModel(p, 70.0);
    Regimen r;
    // 400 h: more than 80 terminal half-lives for every model (longest 297 min).
    r.infusions.push_back({Minutes(0.0), Hours(400.0), MgPerH(30.0)});

    KIRA_ASSERT_OK_AND_ASSIGN(auto c, ConcentrationAt(m, r, Hours(400.0)));

    // mg/h / (mL/h) = mg/mL = 1e6 ng/mL.
    const double expected = units::ToMgPerH(MgPerH(30.0)) / units::ToMlPerH(m.clearance()) * 1e6;
    EXPECT_NEAR(ToNgPerMl(c), expected, 1e-9 * expected);
  }
}

TEST(Simulate, ConcentrationScalesInverselyWithWeightForFixedMg) {
  for (const ModelParameters& p : kKetamineModels) {
    Regimen r;
    r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerH(50.0)});
    KIRA_ASSERT_OK_AND_ASSIGN(auto c50, ConcentrationAt(MakeModel(p, 50.0), r, Minutes(60.0)));
    KIRA_ASSERT_OK_AND_ASSIGN(auto c100, ConcentrationAt(MakeModel(p, 100.0), r, Minutes(60.0)));

    EXPECT_NEAR(ToNgPerMl(c50), 2.0 * ToNgPerMl(c100), 1e-12 * ToNgPerMl(c50)) << p.name;
  }
}

// One compartment, IV bolus: C = C0 e^{-kt}; above theta for ln(C0/theta)/k.
TEST(Simulate, TimeAboveThresholdMatchesAnalyticOneCompartment) {
  Model m = MakeModel(kOneCompartment, 10.0);
  Regimen r;
  r.doses.push_back({Minutes(5.0), Mg(10.0), Route::kIntravenous});  // C0 = 1000 ng/mL

  KIRA_ASSERT_OK_AND_ASSIGN(ThresholdCrossings x, TimeAbove(m, r, NgPerMl(250.0), Hours(2.0)));

  const double expected = std::log(4.0) / 0.1;
  EXPECT_NEAR(ToMinutes(x.time_above), expected, 1e-9);
  ASSERT_TRUE(x.first_above.has_value());
  ASSERT_TRUE(x.last_above.has_value());
  EXPECT_NEAR(ToMinutes(*x.first_above), 5.0, 1e-12);
  EXPECT_NEAR(ToMinutes(*x.last_above), 5.0 + expected, 1e-9);
}

// Time above a threshold against a dense scan of the closed form, with two
// separate excursions (two sessions).
TEST(Simulate, TimeAboveThresholdMatchesDenseScanAcrossTwoSessions) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerH(52.5)});
  r.infusions.push_back({Hours(24.0), Minutes(40.0), MgPerH(52.5)});
  const double theta = 100.0;

  KIRA_ASSERT_OK_AND_ASSIGN(ThresholdCrossings x, TimeAbove(m, r, NgPerMl(theta), Hours(30.0)));

  const double h = 0.001;
  double scanned = 0.0;
  for (double t = 0.5 * h; t < 30.0 * 60.0; t += h) {
    KIRA_ASSERT_OK_AND_ASSIGN(auto c, ConcentrationAt(m, r, Minutes(t)));
    if (ToNgPerMl(c) > theta) scanned += h;
  }
  EXPECT_NEAR(ToMinutes(x.time_above), scanned, 4 * h);
  EXPECT_GT(ToMinutes(*x.last_above), 24.0 * 60.0);
}

// The peak is solved, not read off a grid: it is never below the maximum of a
// fine grid, and dC/dt vanishes there unless it sits on a breakpoint.
TEST(Simulate, PeakIsAtLeastDenseGridMaximumAndStationary) {
  std::mt19937_64 rng(99);
  for (int c = 0; c < 100; ++c) {
    RandomCase rc = MakeRandomCase(rng);
    Model m = MakeModel(rc.params, rc.weight_kg);
    KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, rc.regimen, Minutes(rc.horizon_min)));
    KIRA_ASSERT_OK_AND_ASSIGN(Curve curve, SimulateCurve(m, rc.regimen, Minutes(rc.horizon_min), Minutes(0.05)));
    double grid_max = 0.0;
    for (auto v : curve.values) grid_max = std::max(grid_max, ToNgPerMl(v));

    EXPECT_GE(ToNgPerMl(peak.concentration), grid_max * (1.0 - 1e-12)) << "case " << c;
    // The grid misses at most 0.05 min of decay after an IV bolus; the fastest
    // disposition rate (Domino, 1.7 /min) loses 8.2 % in that time.
    EXPECT_LE(ToNgPerMl(peak.concentration), grid_max * 1.10 + 1e-9) << "case " << c;

    const double t = ToMinutes(peak.time);
    const double eps = 1e-4;
    if (t > eps) {
      KIRA_ASSERT_OK_AND_ASSIGN(auto before, ConcentrationAt(m, rc.regimen, Minutes(t - eps)));
      EXPECT_LE(ToNgPerMl(before), ToNgPerMl(peak.concentration) * (1.0 + 1e-12)) << "case " << c;
    }
    KIRA_ASSERT_OK_AND_ASSIGN(auto after, ConcentrationAt(m, rc.regimen, Minutes(t + eps)));
    EXPECT_LE(ToNgPerMl(after), ToNgPerMl(peak.concentration) * (1.0 + 1e-12)) << "case " << c;
  }
}

// An IM dose: the peak of C = F D ka/V/(ka-k) (e^{-kt} - e^{-ka t}) is at
// t* = ln(ka/k)/(ka-k) (one compartment).
TEST(Simulate, ImPeakMatchesAnalyticOneCompartment) {
  Model m = MakeModel(kOneCompartment, 10.0);
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(100.0), Route::kIntramuscular});
  r.intramuscular.ka_per_min = 0.3;
  r.intramuscular.bioavailability = 0.9;

  KIRA_ASSERT_OK_AND_ASSIGN(Peak peak, FindPeak(m, r, Hours(4.0)));

  const double k = 0.1, ka = 0.3;
  const double tstar = std::log(ka / k) / (ka - k);
  const double cstar = 0.9 * 100.0 / 10.0 * 1000.0 * ka / (ka - k) * (std::exp(-k * tstar) - std::exp(-ka * tstar));
  EXPECT_NEAR(ToMinutes(peak.time), tstar, 1e-9);
  EXPECT_NEAR(ToNgPerMl(peak.concentration), cstar, 1e-9 * cstar);
}

TEST(Simulate, SessionsReportPeakAndValueBeforeNext) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  Regimen r;
  for (int week = 0; week < 4; ++week) {
    r.infusions.push_back({Hours(24.0 * 7 * week), Minutes(40.0), MgPerH(52.5)});
  }

  KIRA_ASSERT_OK_AND_ASSIGN(Analysis a, Analyse(m, r, {Hours(24.0 * 28), std::nullopt, true}));

  ASSERT_EQ(a.sessions.size(), 4u);
  for (size_t i = 0; i < a.sessions.size(); ++i) {
    EXPECT_NEAR(ToMinutes(a.sessions[i].start), 7 * 24 * 60.0 * static_cast<double>(i), 1e-9);
    EXPECT_NEAR(ToMinutes(a.sessions[i].peak.time - a.sessions[i].start), 40.0, 1e-9);
    EXPECT_NEAR(ToNgPerMl(a.sessions[i].peak.concentration), 240.33, 0.01);
    EXPECT_LT(ToNgPerMl(a.sessions[i].before_next), 1e-3);
  }
}

TEST(Simulate, AssumptionsLabelDefaultAbsorptionRateUnverified) {
  Model m = MakeModel(kKetamineModels[0], 64.0);
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(500.0), Route::kIntramuscular});

  std::vector<Assumption> as = ListAssumptions(m, r);

  ASSERT_EQ(as.size(), 3u);
  EXPECT_EQ(as[0].evidence, Evidence::kSecondary);
  EXPECT_THAT(as[0].source, HasSubstr("opentiva"));
  EXPECT_THAT(as[1].what, HasSubstr("bioavailability F = 0.9"));
  EXPECT_THAT(as[1].source, HasSubstr("[R51]"));
  EXPECT_THAT(as[2].what, HasSubstr("ka = 0.1 /min"));
  EXPECT_EQ(as[2].evidence, Evidence::kUnverified);
  EXPECT_THAT(as[2].source, HasSubstr("not a published value"));
}

// ---- Malformed input: each rejected with kInvalidArgument naming the field ----

struct BadRegimen {
  const char* name;
  Regimen regimen;
  const char* field;
};

std::vector<BadRegimen> BadRegimens() {
  std::vector<BadRegimen> v;
  auto inf = [](double s, double d, double r) { return Infusion{Minutes(s), Minutes(d), MgPerH(r)}; };
  auto dose = [](double t, double mg, Route route = Route::kIntravenous) { return Dose{Minutes(t), Mg(mg), route}; };
  Regimen r;
  r = {}; r.doses = {dose(0, -5)};                    v.push_back({"negative dose", r, "doses[0].amount_mg"});
  r = {}; r.doses = {dose(0, kNaN)};                  v.push_back({"NaN dose", r, "doses[0].amount_mg"});
  r = {}; r.doses = {dose(0, 0)};                     v.push_back({"zero dose", r, "doses[0].amount_mg"});
  r = {}; r.doses = {dose(-1, 5)};                    v.push_back({"negative time", r, "doses[0].time_min"});
  r = {}; r.doses = {dose(10, 5), dose(5, 5)};        v.push_back({"unsorted doses", r, "doses[1].time_min"});
  r = {}; r.infusions = {inf(0, 40, -1)};             v.push_back({"negative rate", r, "infusions[0].rate_mg_per_h"});
  r = {}; r.infusions = {inf(0, 40, kNaN)};           v.push_back({"NaN rate", r, "infusions[0].rate_mg_per_h"});
  r = {}; r.infusions = {inf(0, 0, 10)};              v.push_back({"zero duration", r, "infusions[0].duration_min"});
  r = {}; r.infusions = {inf(0, kNaN, 10)};           v.push_back({"NaN duration", r, "infusions[0].duration_min"});
  r = {}; r.infusions = {inf(kNaN, 10, 10)};          v.push_back({"NaN start", r, "infusions[0].start_min"});
  r = {}; r.infusions = {inf(0, 40, 10), inf(30, 10, 10)};  v.push_back({"overlap", r, "infusions[1].start_min: overlaps"});
  r = {}; r.infusions = {inf(50, 10, 10), inf(0, 10, 10)};  v.push_back({"unsorted", r, "infusions[1].start_min: infusions must be sorted"});
  r = {}; r.doses = {dose(0, 5, Route::kIntramuscular)}; r.intramuscular.ka_per_min = 0;
  v.push_back({"zero ka", r, "intramuscular.ka_per_min"});
  r = {}; r.doses = {dose(0, 5, Route::kIntranasal)}; r.intranasal.bioavailability = 1.5;
  v.push_back({"F > 1", r, "intranasal.bioavailability"});
  return v;
}

TEST(Simulate, MalformedRegimensAreRejectedNamingTheField) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  for (const BadRegimen& bad : BadRegimens()) {
    SCOPED_TRACE(bad.name);
    EXPECT_THAT(ValidateRegimen(bad.regimen), StatusIs(StatusCode::kInvalidArgument, HasSubstr(bad.field)));
    EXPECT_THAT(ConcentrationAt(m, bad.regimen, Minutes(1.0)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(bad.field)));
    EXPECT_THAT(FindPeak(m, bad.regimen, Hours(1.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr(bad.field)));
    EXPECT_THAT(SimulateCurve(m, bad.regimen, Hours(1.0), Minutes(1.0)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(bad.field)));
  }
}

TEST(Simulate, BackToBackInfusionsAreNotAnOverlap) {
  Regimen r;
  r.infusions = {{Minutes(0.0), Minutes(10.0), MgPerH(5.0)}, {Minutes(10.0), Minutes(10.0), MgPerH(7.0)}};

  EXPECT_THAT(ValidateRegimen(r), IsOk());
}

TEST(Simulate, NonPositiveOrNaNWeightIsRejected) {
  for (double w : {0.0, -70.0, kNaN, std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(Model::Create(kKetamineModels[0], Kg(w)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("weight_kg")));
  }
}

TEST(Simulate, MalformedModelParametersAreRejected) {
  ModelParameters p = kKetamineModels[1];
  p.k21_per_min = -0.1;
  EXPECT_THAT(Model::Create(p, Kg(70.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("k21_per_min")));
  p = kKetamineModels[1];
  p.k13_per_min = 0.1;  // a two-compartment model with a third rate constant
  EXPECT_THAT(Model::Create(p, Kg(70.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("k13_per_min")));
  p = kKetamineModels[0];
  p.v1_l_per_kg = 0.0;
  EXPECT_THAT(Model::Create(p, Kg(70.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("v1_l_per_kg")));
}

TEST(Simulate, UnknownModelIsNotFound) {
  EXPECT_THAT(FindModel("schnider"), StatusIs(StatusCode::kNotFound, HasSubstr("domino, clements, hijazi")));
}

TEST(Simulate, AbsorptionRateOnAnEigenvalueIsRejected) {
  Model m = MakeModel(kKetamineModels[2], 70.0);
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(100.0), Route::kIntramuscular});
  r.intramuscular.ka_per_min = m.lambda_per_min(1);

  EXPECT_THAT(FindPeak(m, r, Hours(1.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("intramuscular.ka_per_min")));
}

TEST(Simulate, BadGridAndWindowAreRejected) {
  Model m = MakeModel(kKetamineModels[0], 70.0);
  Regimen r;
  EXPECT_THAT(SimulateCurve(m, r, Hours(1.0), Minutes(0.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("step_min")));
  EXPECT_THAT(SimulateCurve(m, r, Minutes(-1.0), Minutes(1.0)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("end_min")));
  EXPECT_THAT(SimulateCurve(m, r, Hours(1e6), Minutes(1e-3)), StatusIs(StatusCode::kOutOfRange, HasSubstr("points")));
  EXPECT_THAT(FindPeak(m, r, Minutes(kNaN)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("end_min")));
  EXPECT_THAT(TimeAbove(m, r, NgPerMl(-1.0), Hours(1.0)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("threshold_ng_per_ml")));
  EXPECT_THAT(ConcentrationAt(m, r, Minutes(kNaN)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("t_min")));
}

}  // namespace
}  // namespace kira::pk
