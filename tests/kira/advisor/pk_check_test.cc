// The predicted-peak finding as the dose check sees it (rules/pk_check.h).
#include "kira/advisor/pk_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
namespace u = units;

guideline::Protocol SubAnaestheticIvProtocol() {
  guideline::Protocol p;
  p.id = "iv-test";
  p.route = "iv";
  p.intended_band_low_ng_per_ml = 70.0;
  p.intended_band_high_ng_per_ml = 250.0;
  p.meta.evidence = domain::Evidence::kVerified;
  p.meta.citation = "test band";
  return p;
}

domain::Patient PatientOf(double kg) {
  domain::Patient pt;
  pt.id = "t";
  pt.weight.value = u::Kg(kg);
  return pt;
}

DoseResult IvInfusion(double mg, double minutes) {
  DoseResult r;
  r.protocol_id = "iv-test";
  r.dose = u::Mg(mg);
  PumpSettings pump;
  pump.duration = u::Minutes(minutes);
  r.pump = pump;
  return r;
}

DoseResult Bolus(double mg) {
  DoseResult r;
  r.protocol_id = "iv-test";
  r.dose = u::Mg(mg);
  return r;
}

TEST(PkCheck, StandardAntidepressantInfusionIsInfoWithinBand) {
  KIRA_ASSERT_OK_AND_ASSIGN(PkPrediction p, PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0),
                                                           IvInfusion(35.0, 40.0), PkRequest{}));

  EXPECT_EQ(p.finding.rule_id, "pk.peak.within_band");
  EXPECT_EQ(p.finding.severity, domain::Severity::kInfo);
  EXPECT_EQ(p.model.name, "domino");
  EXPECT_NEAR(u::ToNgPerMl(p.analysis.peak.concentration), 240.33, 0.01);
  // Model parameters are S and nothing weaker was assumed.
  EXPECT_EQ(p.finding.evidence, domain::Evidence::kSecondary);
  EXPECT_THAT(p.finding.citation, HasSubstr("opentiva"));
}

// Reference §8.1: 500 mg IM at 64 kg under a sub-anaesthetic protocol.
TEST(PkCheck, FiveHundredMgImIsHardStopNamingModelAndUnverifiedKa) {
  for (const pk::ModelParameters& m : pk::kKetamineModels) {
    SCOPED_TRACE(std::string(m.name));
    PkRequest req;
    req.model = std::string(m.name);
    req.route = "im";

    KIRA_ASSERT_OK_AND_ASSIGN(PkPrediction p,
                              PredictForDose(SubAnaestheticIvProtocol(), PatientOf(64.0), Bolus(500.0), req));

    EXPECT_EQ(p.finding.rule_id, "pk.peak.anaesthetic");
    EXPECT_EQ(p.finding.severity, domain::Severity::kHardStop);
    EXPECT_GE(u::ToNgPerMl(p.analysis.peak.concentration), 1200.0);
    EXPECT_THAT(p.finding.message, HasSubstr(std::string(m.display_name)));
    EXPECT_THAT(p.finding.message, HasSubstr("ka = 0.1 /min (U: not a published value)"));
    EXPECT_EQ(p.finding.evidence, domain::Evidence::kUnverified);
  }
}

TEST(PkCheck, PeakAboveBandButBelowAnaestheticIsSoftStop) {
  // 1 mg/kg over 40 min: Domino peak approx. 481 ng/mL.
  KIRA_ASSERT_OK_AND_ASSIGN(PkPrediction p, PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0),
                                                           IvInfusion(70.0, 40.0), PkRequest{}));

  EXPECT_EQ(p.finding.rule_id, "pk.peak.outside_band");
  EXPECT_EQ(p.finding.severity, domain::Severity::kSoftStop);
}

TEST(PkCheck, DischargeConcentrationIsReported) {
  PkRequest req;
  req.discharge_after = u::Minutes(120.0);

  KIRA_ASSERT_OK_AND_ASSIGN(PkPrediction p,
                            PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), IvInfusion(35.0, 40.0), req));

  ASSERT_TRUE(p.at_discharge.has_value());
  EXPECT_NEAR(u::ToNgPerMl(*p.at_discharge), 35.83, 0.01);
}

// The plan view: a series of sessions; the finding judges the highest peak,
// so accumulation counts (Clements: terminal half-life 183 min).
TEST(PkCheck, SeriesReportsEverySessionAndAccumulates) {
  PkRequest req;
  req.model = "clements";
  req.sessions = 5;
  req.interval = u::Hours(4.0);

  KIRA_ASSERT_OK_AND_ASSIGN(PkPrediction p,
                            PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), IvInfusion(35.0, 40.0), req));

  ASSERT_EQ(p.analysis.sessions.size(), 5u);
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_GT(p.analysis.sessions[i].peak.concentration, p.analysis.sessions[i - 1].peak.concentration);
    EXPECT_NEAR(u::ToMinutes(p.analysis.sessions[i].start), 240.0 * static_cast<double>(i), 1e-9);
  }
  EXPECT_NEAR(u::ToNgPerMl(p.analysis.sessions[0].peak.concentration), 177.31, 0.01);
  EXPECT_EQ(p.analysis.peak.concentration, p.analysis.sessions[4].peak.concentration);
  // The finding judges the series' highest peak, not the first session's.
  const double last = u::ToNgPerMl(p.analysis.sessions[4].peak.concentration);
  EXPECT_EQ(p.finding.rule_id, last > 250.0 ? "pk.peak.outside_band" : "pk.peak.within_band");
  EXPECT_THAT(p.finding.message, HasSubstr("predicted peak " + std::to_string(static_cast<int>(std::lround(last)))));
}

TEST(PkCheck, MalformedSeriesIsRejectedNamingTheField) {
  PkRequest none;
  none.sessions = 0;
  PkRequest overlapping;
  overlapping.sessions = 2;
  overlapping.interval = u::Minutes(30.0);

  EXPECT_THAT(PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), IvInfusion(35.0, 40.0), none),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("sessions")));
  EXPECT_THAT(PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), IvInfusion(35.0, 40.0), overlapping),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("interval_h")));
}

TEST(PkCheck, TargetModeIsCappedByTheProtocolsSoftLimits) {
  guideline::Protocol p = SubAnaestheticIvProtocol();
  p.session.mg_per_kg_per_h.soft_max = u::MgPerKgPerH(1.125);
  p.session.mg_per_kg_per_h.hard_max = u::MgPerKgPerH(2.46);
  p.session.mg_per_kg.soft_max = u::MgPerKg(0.75);

  KIRA_ASSERT_OK_AND_ASSIGN(TargetPlan t, PlanTargetForProtocol(p, PatientOf(70.0), u::Kg(70.0), u::NgPerMl(200.0),
                                                                u::Minutes(40.0), "domino"));

  EXPECT_THAT(t.rate_cap_source, HasSubstr("soft_max 1.125"));
  EXPECT_THAT(t.total_cap_source, HasSubstr("soft_max 0.750 mg/kg x 70.0 kg"));
  ASSERT_TRUE(t.plan.time_to_target.has_value());
  for (const pk::Infusion& i : t.plan.schedule) EXPECT_LE(u::ToMgPerH(i.rate), 1.125 * 70.0 * (1 + 1e-12));
  EXPECT_LE(u::ToMg(t.plan.total_dose), 0.75 * 70.0 + 1e-9);
}

TEST(PkCheck, TargetModeNeedsARateLimit) {
  EXPECT_THAT(PlanTargetForProtocol(SubAnaestheticIvProtocol(), PatientOf(70.0), u::Kg(70.0), u::NgPerMl(200.0),
                                    u::Minutes(40.0), ""),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("mg_per_kg_per_h")));
}

TEST(PkCheck, EsketamineAndBandlessProtocolsAreNotChecked) {
  guideline::Protocol esk = SubAnaestheticIvProtocol();
  esk.id = "in-esketamine-trd";
  esk.route = "intranasal";
  guideline::Protocol bandless = SubAnaestheticIvProtocol();
  bandless.intended_band_low_ng_per_ml.reset();

  EXPECT_FALSE(PkCheckApplies(esk));
  EXPECT_FALSE(PkCheckApplies(bandless));
  EXPECT_TRUE(PkCheckApplies(SubAnaestheticIvProtocol()));
  EXPECT_THAT(PredictForDose(esk, PatientOf(70.0), Bolus(56.0), PkRequest{}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("racemic ketamine")));
  EXPECT_THAT(PredictForDose(bandless, PatientOf(70.0), Bolus(56.0), PkRequest{}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("intended_band_ng_per_ml")));
}

TEST(PkCheck, UnknownModelOrRouteIsAnError) {
  PkRequest bad_model;
  bad_model.model = "marsh";
  PkRequest bad_route;
  bad_route.route = "oral";

  EXPECT_THAT(PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), Bolus(10.0), bad_model),
              StatusIs(StatusCode::kNotFound, HasSubstr("marsh")));
  EXPECT_THAT(PredictForDose(SubAnaestheticIvProtocol(), PatientOf(70.0), Bolus(10.0), bad_route),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("route")));
}

}  // namespace
}  // namespace kira::advisor
