#include "kira/pk/bands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kira/pk/svg.h"
#include "testing/status_matchers.h"

namespace kira::pk {
namespace {

using ::testing::HasSubstr;
using units::Hours;
using units::Kg;
using units::Mg;
using units::MgPerH;
using units::Minutes;
using units::NgPerMl;

Analysis AnalyseOrDie(const Model& m, const Regimen& r) {
  auto a = Analyse(m, r, {Hours(12.0), std::nullopt, false});
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return *a;
}

TEST(Bands, ConstantsMatchSection7_2) {
  EXPECT_EQ(units::ToNgPerMl(kAnalgesiaBand.low), 70.0);
  EXPECT_EQ(units::ToNgPerMl(kAnalgesiaBand.high), 160.0);
  EXPECT_EQ(units::ToNgPerMl(kDissociationBand.low), 100.0);
  EXPECT_EQ(units::ToNgPerMl(kDissociationBand.high), 250.0);
  EXPECT_EQ(units::ToNgPerMl(kGeneralAnaesthesiaBand.low), 1200.0);
  EXPECT_EQ(units::ToNgPerMl(kGeneralAnaesthesiaBand.high), 2400.0);
  for (const ConcentrationBand& b : kReferenceBands) {
    EXPECT_THAT(std::string(b.citation), HasSubstr("[R30]"));
    EXPECT_EQ(b.evidence, Evidence::kVerified);
  }
  // 2.7 umol/L x 237.7 g/mol = 641.8 ng/mL, rounded in the reference.
  EXPECT_NEAR(units::ToNgPerMl(kAwakeningConcentration), 2.7 * 237.7, 2.0);
  EXPECT_EQ(kAwakeningEvidence, Evidence::kDerived);
}

// Reference §8.1: 500 mg IM at about 64 kg, checked as if given under a
// sub-anaesthetic protocol: every model predicts an anaesthetic peak (hard).
TEST(Bands, FiveHundredMgImIsHardFindingUnderEveryModel) {
  for (const ModelParameters& p : kKetamineModels) {
    SCOPED_TRACE(std::string(p.name));
    auto m = Model::Create(p, Kg(64.0));
    ASSERT_TRUE(m.ok());
    Regimen r;
    r.doses.push_back({Minutes(0.0), Mg(500.0), Route::kIntramuscular});

    PeakFinding f = ClassifyPeak(AnalyseOrDie(*m, r), *m, kDissociationBand, ProtocolIntent::kSubAnaesthetic);

    EXPECT_EQ(f.severity, FindingSeverity::kHard);
    EXPECT_EQ(f.rule_id, "pk.peak.anaesthetic");
    EXPECT_EQ(f.position, BandPosition::kAbove);
    EXPECT_THAT(f.message, HasSubstr(std::string(p.display_name)));
    EXPECT_THAT(f.message, HasSubstr("reaches the anaesthetic range (1200-2400 ng/mL, General anaesthesia)"));
    EXPECT_THAT(f.band_citation, HasSubstr("[R30]"));
    EXPECT_EQ(f.model_evidence, Evidence::kSecondary);
    // The default IM absorption rate is an assumption tagged U and travels with the finding.
    ASSERT_EQ(f.assumptions.size(), 3u);
    EXPECT_EQ(f.assumptions[2].evidence, Evidence::kUnverified);
  }
}

TEST(Bands, AntidepressantInfusionIsWithinDissociationBand) {
  auto m = Model::Create(kKetamineModels[0], Kg(70.0));
  ASSERT_TRUE(m.ok());
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerH(52.5)});  // 0.5 mg/kg / 40 min

  PeakFinding f = ClassifyPeak(AnalyseOrDie(*m, r), *m, kDissociationBand, ProtocolIntent::kSubAnaesthetic);

  EXPECT_EQ(f.severity, FindingSeverity::kNone);
  EXPECT_EQ(f.rule_id, "pk.peak.within_band");
}

TEST(Bands, LeavingTheIntendedBandIsSoft) {
  auto m = Model::Create(kKetamineModels[0], Kg(70.0));
  ASSERT_TRUE(m.ok());
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerH(52.5)});  // peak approx. 240

  PeakFinding above = ClassifyPeak(AnalyseOrDie(*m, r), *m, kAnalgesiaBand, ProtocolIntent::kSubAnaesthetic);
  PeakFinding below = ClassifyPeak(AnalyseOrDie(*m, r), *m, kGeneralAnaesthesiaBand, ProtocolIntent::kAnaesthetic);

  EXPECT_EQ(above.severity, FindingSeverity::kSoft);
  EXPECT_EQ(above.rule_id, "pk.peak.outside_band");
  EXPECT_EQ(above.position, BandPosition::kAbove);
  EXPECT_THAT(above.message, HasSubstr("above the intended band (70-160 ng/mL, Analgesia)"));
  EXPECT_EQ(below.severity, FindingSeverity::kSoft);
  EXPECT_EQ(below.position, BandPosition::kBelow);
}

TEST(Bands, AnaestheticProtocolReachingAnaestheticRangeIsNotHard) {
  auto m = Model::Create(kKetamineModels[0], Kg(64.0));
  ASSERT_TRUE(m.ok());
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(128.0), Route::kIntravenous});  // 2 mg/kg bolus

  PeakFinding f = ClassifyPeak(AnalyseOrDie(*m, r), *m, kGeneralAnaesthesiaBand, ProtocolIntent::kAnaesthetic);

  EXPECT_NE(f.severity, FindingSeverity::kHard);
}

TEST(Svg, DrawsCurveBandsAndPeakAndEscapesTitle) {
  auto m = Model::Create(kKetamineModels[0], Kg(70.0));
  ASSERT_TRUE(m.ok());
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerH(52.5)});
  auto curve = SimulateCurve(*m, r, Hours(4.0), Minutes(1.0));
  ASSERT_TRUE(curve.ok());
  auto peak = FindPeak(*m, r, Hours(4.0));
  ASSERT_TRUE(peak.ok());

  std::string svg = RenderCurveSvg(*curve, kReferenceBands, {760, 380, "0.5 mg/kg <40 min>", *peak, Hours(2.0)});

  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("0.5 mg/kg &lt;40 min&gt;"));
  EXPECT_THAT(svg, HasSubstr("data-band=\"analgesia\""));
  EXPECT_THAT(svg, HasSubstr("data-band=\"dissociation\""));
  // The anaesthetic band is far above a 240 ng/mL curve: named, not drawn.
  EXPECT_THAT(svg, ::testing::Not(HasSubstr("data-band=\"general_anaesthesia\"")));
  EXPECT_THAT(svg, HasSubstr("above this scale: General anaesthesia 1200-2400 ng/mL"));
  EXPECT_THAT(svg, HasSubstr("class=\"curve\""));
  EXPECT_THAT(svg, HasSubstr("peak 240 ng/mL"));
  EXPECT_THAT(svg, HasSubstr("class=\"discharge\""));
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

TEST(Svg, DenseCurveIsReducedButKeepsItsMaximum) {
  auto m = Model::Create(kKetamineModels[0], Kg(70.0));
  ASSERT_TRUE(m.ok());
  Regimen r;
  r.doses.push_back({Minutes(600.0), Mg(35.0), Route::kIntravenous});
  auto curve = SimulateCurve(*m, r, Hours(24.0), Minutes(0.01));
  ASSERT_TRUE(curve.ok());

  std::string svg = RenderCurveSvg(*curve, kReferenceBands, {});

  EXPECT_LT(svg.size(), 60'000u);
  // The bolus spike survives the reduction: the highest point drawn is the
  // curve's maximum. Plot area: top 30 px, height 380 - 30 - 46 = 304 px; the
  // y axis runs to 10000 ng/mL for this curve.
  ASSERT_THAT(svg, HasSubstr(">10000</text>"));
  double c_max = 0.0;
  for (auto v : curve->values) c_max = std::max(c_max, units::ToNgPerMl(v));
  const size_t from = svg.find("points=\"") + 8;
  const std::string points = svg.substr(from, svg.find('"', from) - from);
  double y_min = 1e9;
  for (size_t at = points.find(','); at != std::string::npos; at = points.find(',', at + 1)) {
    y_min = std::min(y_min, std::stod(points.substr(at + 1)));
  }
  EXPECT_NEAR(y_min, 30.0 + 304.0 * (1.0 - c_max / 10000.0), 0.01);
}

TEST(Svg, EmptyCurveGivesAxesOnly) {
  std::string svg = RenderCurveSvg(Curve{Minutes(1.0), {}}, kReferenceBands, {});
  EXPECT_THAT(svg, HasSubstr("</svg>"));
  EXPECT_THAT(svg, ::testing::Not(HasSubstr("class=\"curve\"")));
}

}  // namespace
}  // namespace kira::pk
