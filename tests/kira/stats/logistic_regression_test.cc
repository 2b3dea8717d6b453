// FitLogistic against R (tests/golden/logistic/logistic_reference.txt, made by
// scripts/golden/logistic.R: glm() with epsilon 1e-13 and a uniroot profile
// interval with tol 1e-13). Tolerance: relative 1e-6, the bar; both
// sides converge far tighter (R's deviance criterion 1e-13, kira's 1e-14), so
// the agreement seen is ~1e-10 or better.
#include "kira/stats/logistic_regression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace kira::stats {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

struct Case {
  std::vector<BinomialRow> rows;
  std::map<std::string, double> expected;
};

std::map<std::string, Case> LoadFixture() {
  const char* env = std::getenv("KIRA_SOURCE_DIR");
  const std::string root = env != nullptr ? env : KIRA_SOURCE_DIR;
  std::ifstream in(root + "/tests/golden/logistic/logistic_reference.txt");
  EXPECT_TRUE(in.good()) << "missing logistic fixture under " << root;
  std::map<std::string, Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    if (line.rfind("# ", 0) == 0) {
      std::string hash, name, kind;
      BinomialRow r;
      ss >> hash >> name >> kind;
      if (kind != "row") continue;
      ss >> r.x >> r.successes >> r.trials;
      cases[name].rows.push_back(r);
      continue;
    }
    std::string name, key;
    double value = 0;
    if (ss >> name >> key >> value) cases[name].expected[key] = value;
  }
  return cases;
}

void ExpectRel(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), 1e-6 * std::abs(expected))
      << what << ": kira " << std::setprecision(17) << actual << " R " << expected;
}

TEST(FitLogistic, MatchesRGlmAndProfileOnEveryFixtureCase) {
  auto cases = LoadFixture();
  ASSERT_EQ(cases.size(), 2u);

  for (const auto& [name, c] : cases) {
    auto fit = FitLogistic(c.rows);

    ASSERT_TRUE(fit.ok()) << name << ": " << fit.status().ToString();
    const auto& e = c.expected;
    ExpectRel(fit->intercept.estimate, e.at("b0"), name + " b0");
    ExpectRel(fit->intercept.std_error, e.at("se0"), name + " se0");
    ExpectRel(fit->slope.estimate, e.at("b1"), name + " b1");
    ExpectRel(fit->slope.std_error, e.at("se1"), name + " se1");
    ExpectRel(fit->slope.p_value, e.at("p1"), name + " p1");
    ExpectRel(fit->deviance, e.at("deviance"), name + " deviance");
    ExpectRel(fit->null_deviance, e.at("null_deviance"), name + " null_deviance");
    ExpectRel(fit->slope.wald_low, e.at("wald_low"), name + " wald_low");
    ExpectRel(fit->slope.wald_high, e.at("wald_high"), name + " wald_high");
    ASSERT_TRUE(fit->slope_profile_low.has_value()) << name;
    ASSERT_TRUE(fit->slope_profile_high.has_value()) << name;
    ExpectRel(*fit->slope_profile_low, e.at("profile_low"), name + " profile_low");
    ExpectRel(*fit->slope_profile_high, e.at("profile_high"), name + " profile_high");
  }
}

TEST(FitLogistic, GroupingRowsWithTheSameXGivesTheSameFit) {
  auto grouped = LoadFixture().at("grouped").rows;
  std::vector<BinomialRow> split;
  for (const BinomialRow& r : grouped) {
    split.push_back({r.x, std::floor(r.successes / 2), std::floor(r.trials / 2)});
    split.push_back({r.x, r.successes - std::floor(r.successes / 2), r.trials - std::floor(r.trials / 2)});
  }

  auto a = FitLogistic(grouped);
  auto b = FitLogistic(split);

  ASSERT_TRUE(a.ok() && b.ok());
  ExpectRel(b->slope.estimate, a->slope.estimate, "slope");
  ExpectRel(b->slope.std_error, a->slope.std_error, "se");
}

TEST(FitLogistic, NoEventsIsFailedPrecondition) {
  std::vector<BinomialRow> rows = {{0.5, 0, 10}, {1.0, 0, 10}};

  EXPECT_THAT(FitLogistic(rows), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("no events")));
}

TEST(FitLogistic, OneDistinctDoseIsFailedPrecondition) {
  std::vector<BinomialRow> rows = {{0.5, 3, 10}, {0.5, 4, 10}};

  EXPECT_THAT(FitLogistic(rows), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("two distinct x")));
}

TEST(FitLogistic, CompleteSeparationIsFailedPrecondition) {
  std::vector<BinomialRow> rows = {{0.2, 0, 5}, {0.4, 0, 5}, {0.8, 5, 5}, {1.0, 5, 5}};

  EXPECT_THAT(FitLogistic(rows), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("separation")));
}

TEST(FitLogistic, IllegalRowsAreInvalidArgumentNamingTheField) {
  std::vector<BinomialRow> more_than_trials = {{0.5, 11, 10}, {1.0, 1, 10}};
  std::vector<BinomialRow> nan_x = {{0.5, 1, 10}, {NAN, 1, 10}};
  std::vector<BinomialRow> negative = {{0.5, 1, -1}};

  EXPECT_THAT(FitLogistic(more_than_trials), StatusIs(StatusCode::kInvalidArgument, HasSubstr("rows.successes[0]")));
  EXPECT_THAT(FitLogistic(nan_x), StatusIs(StatusCode::kInvalidArgument, HasSubstr("rows.x[1]")));
  EXPECT_THAT(FitLogistic(negative), StatusIs(StatusCode::kInvalidArgument, HasSubstr("rows.trials[0]")));
}

}  // namespace
}  // namespace kira::stats
