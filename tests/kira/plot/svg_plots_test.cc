#include "kira/plot/svg_plots.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace kira::plot {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

// Minimal well-formedness check: tags balance, attributes are quoted, and
// every '&' starts an entity. Returns "" or a description of the problem.
std::string XmlProblem(const std::string& s) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      const std::size_t semi = s.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return "bare & at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      if (s[i] == '>') return "stray > at " + std::to_string(i);
      ++i;
      continue;
    }
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = s.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '?') continue;
    std::size_t quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    const std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return "";
}

std::size_t Count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

ForestPlotSpec ThreeStudies() {
  ForestPlotSpec spec;
  spec.title = "Response at 24 h: ketamine vs control";
  spec.effect_label = "Odds ratio";
  spec.exponentiate = true;
  spec.favours_left = "Favours control";
  spec.favours_right = "Favours ketamine";
  spec.rows = {{"Murrough 2013", 1.52, 0.5, 2.5, 45.0},
               {"Lii 2023 <masked> & \"day 1\"", 0.41, -0.84, 1.66, 35.0},
               {"Study C", 0.9, 0.1, 1.7, 20.0}};
  spec.summary = {"Pooled (REML, HK)", 1.0, 0.2, 1.8, -0.6, 2.6};
  return spec;
}

TEST(ForestPlotSvg, IsWellFormedWithOneRowPerStudyADiamondAndAPredictionInterval) {
  auto svg = ForestPlotSvg(ThreeStudies());

  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "<g class=\"study\""), 3u);
  EXPECT_EQ(Count(*svg, "<polygon class=\"diamond\""), 1u);
  EXPECT_EQ(Count(*svg, "class=\"prediction-interval\""), 1u);
  EXPECT_THAT(*svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(*svg, HasSubstr("Murrough 2013"));
  EXPECT_THAT(*svg, HasSubstr("45.0%"));
}

TEST(ForestPlotSvg, EscapesLabels) {
  auto svg = ForestPlotSvg(ThreeStudies());

  ASSERT_TRUE(svg.ok());
  EXPECT_THAT(*svg, HasSubstr("Lii 2023 &lt;masked&gt; &amp; &quot;day 1&quot;"));
  EXPECT_THAT(*svg, ::testing::Not(HasSubstr("<masked>")));
}

TEST(ForestPlotSvg, ShowsNaturalScaleNumbersWhenExponentiated) {
  auto svg = ForestPlotSvg(ThreeStudies());

  ASSERT_TRUE(svg.ok());
  // exp(1.52) = 4.57, exp(0.5) = 1.65, exp(2.5) = 12.18
  EXPECT_THAT(*svg, HasSubstr("4.57 [1.65, 12.18]"));
}

TEST(ForestPlotSvg, AVeryWidePooledIntervalIsClippedWithArrowsNotSqueezingTheStudies) {
  ForestPlotSpec spec = ThreeStudies();
  spec.summary.pi_low = -50;
  spec.summary.pi_high = 50;

  auto svg = ForestPlotSvg(spec);

  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "<polygon class=\"clipped\""), 2u);
  EXPECT_EQ(Count(*svg, "class=\"prediction-interval\""), 1u);
}

TEST(ForestPlotSvg, NoPredictionIntervalMeansNoLine) {
  ForestPlotSpec spec = ThreeStudies();
  spec.summary.pi_low.reset();
  spec.summary.pi_high.reset();

  auto svg = ForestPlotSvg(spec);

  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(Count(*svg, "prediction-interval"), 0u);
  EXPECT_EQ(XmlProblem(*svg), "");
}

TEST(ForestPlotSvg, RejectsBadInputNamingTheField) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    const char* name;
    void (*edit)(ForestPlotSpec&);
    const char* message;
  };
  const Case cases[] = {
      {"no rows", [](ForestPlotSpec& s) { s.rows.clear(); }, "rows: at least one"},
      {"NaN estimate", [](ForestPlotSpec& s) { s.rows[1].estimate = kNaN; }, "rows[1].estimate"},
      {"inverted CI", [](ForestPlotSpec& s) { s.rows[2].ci_low = 5; }, "rows[2]: needs ci_low <= estimate"},
      {"negative weight", [](ForestPlotSpec& s) { s.rows[0].weight_percent = -1; }, "rows[0].weight_percent"},
      {"half PI", [](ForestPlotSpec& s) { s.summary.pi_high.reset(); }, "pi_low and pi_high"},
      {"PI excludes estimate", [](ForestPlotSpec& s) { s.summary.pi_low = 1.5; }, "must contain the estimate"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ForestPlotSpec spec = ThreeStudies();
    c.edit(spec);
    EXPECT_THAT(ForestPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(FunnelPlotSvg, DrawsEveryStudyAndMarksFilledOnes) {
  FunnelPlotSpec spec;
  spec.title = "Funnel";
  spec.pooled_estimate = -0.7;
  spec.points = {{-0.9, 0.6, false}, {-1.6, 0.45, false}, {0.01, 0.06, false}, {0.5, 0.4, true}};

  auto svg = FunnelPlotSvg(spec);

  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "<circle class=\"study\""), 3u);
  EXPECT_EQ(Count(*svg, "<circle class=\"filled\""), 1u);
  EXPECT_EQ(Count(*svg, "class=\"funnel-region\""), 1u);
}

TEST(FunnelPlotSvg, RejectsNonPositiveStandardError) {
  FunnelPlotSpec spec;
  spec.points = {{0.1, 0.0, false}};

  EXPECT_THAT(FunnelPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("points[0].se")));
}

TEST(KaplanMeierSvg, DrawsAStepCurveWithBandAndNumbersAtRisk) {
  KaplanMeierSpec spec;
  spec.title = "Time to relapse";
  spec.points = {{0, 1.0, 1.0, 1.0, 24}, {7, 0.9, 0.78, 1.0, 20}, {18, 0.5, 0.3, 0.7, 10}, {40, 0.3, 0.12, 0.5, 3}};

  auto svg = KaplanMeierSvg(spec);

  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "class=\"km-curve\""), 1u);
  EXPECT_EQ(Count(*svg, "class=\"km-band\""), 1u);
  EXPECT_THAT(*svg, HasSubstr(">24</text>"));
}

TEST(KaplanMeierSvg, RejectsIncreasingSurvival) {
  KaplanMeierSpec spec;
  spec.points = {{0, 0.8, std::nullopt, std::nullopt, 10}, {5, 0.9, std::nullopt, std::nullopt, 8}};

  EXPECT_THAT(KaplanMeierSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("points[1].survival")));
}

TEST(TrajectoryPlotSvg, OnePolylinePerSeriesWithReferenceLines) {
  TrajectoryPlotSpec spec;
  spec.title = "MADRS during induction";
  spec.value_label = "MADRS total";
  spec.series = {{"patient A", {{0, 32}, {2, 24}, {5, 15}, {12, 9}}},
                 {"patient B & <C>", {{0, 28}, {3, 27}, {7, 26}}}};
  spec.references = {{"remission cut-off (from instrument data)", 10}};

  auto svg = TrajectoryPlotSvg(spec);

  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "<polyline class=\"trajectory\""), 2u);
  EXPECT_EQ(Count(*svg, "<line class=\"reference\""), 1u);
  EXPECT_THAT(*svg, HasSubstr("patient B &amp; &lt;C&gt;"));
}

TEST(TrajectoryPlotSvg, RejectsBadSeriesNamingTheField) {
  TrajectoryPlotSpec spec;
  EXPECT_THAT(TrajectoryPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("series")));
  spec.series = {{"a", {{0, 1}, {2, std::numeric_limits<double>::infinity()}}}};
  EXPECT_THAT(TrajectoryPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("series[0].points[1].value")));
  spec.series = {{"a", {{3, 1}, {2, 2}}}};
  EXPECT_THAT(TrajectoryPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("series[0].points[1].time")));
  spec.series = {{"a", {}}};
  EXPECT_THAT(TrajectoryPlotSvg(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("series[0].points")));
}

}  // namespace
}  // namespace kira::plot
