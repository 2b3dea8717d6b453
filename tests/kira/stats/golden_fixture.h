// Access to tests/golden/metafor/metafor_reference.json for the stats tests.
#ifndef KIRA_TESTS_STATS_GOLDEN_FIXTURE_H_
#define KIRA_TESTS_STATS_GOLDEN_FIXTURE_H_

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kira::stats::testing {

inline const nlohmann::json& MetaforFixture() {
  static const nlohmann::json fixture = [] {
    const char* env = std::getenv("KIRA_SOURCE_DIR");
    const std::string root = env != nullptr ? env : KIRA_SOURCE_DIR;
    std::ifstream in(root + "/tests/golden/metafor/metafor_reference.json");
    EXPECT_TRUE(in.good()) << "cannot open the metafor fixture under " << root;
    return nlohmann::json::parse(in);
  }();
  return fixture;
}

// jsonlite writes length-1 vectors as scalars; accept both.
inline std::vector<double> AsVector(const nlohmann::json& j) {
  std::vector<double> out;
  if (j.is_array()) {
    for (const auto& e : j) out.push_back(e.is_null() ? NAN : e.get<double>());
  } else if (!j.is_null()) {
    out.push_back(j.get<double>());
  }
  return out;
}

// The tolerance the issue sets: relative 1e-6, with an absolute floor of
// 1e-10 so that values metafor reports as 0 up to rounding (tau2 at the
// boundary, p-values near 0) compare sensibly.
constexpr double kRelTol = 1e-6;
constexpr double kAbsTol = 1e-10;

inline ::testing::AssertionResult CloseWithin(const char* actual_expr, const char* expected_expr,
                                              double actual, double expected, double rel) {
  const double diff = std::fabs(actual - expected);
  if (diff <= rel * std::fabs(expected) + kAbsTol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actual_expr << " = " << std::setprecision(17) << actual << " but metafor's "
         << expected_expr << " = " << expected << " (relative error "
         << diff / std::max(std::fabs(expected), 1e-300) << ")";
}

inline ::testing::AssertionResult Close(const char* actual_expr, const char* expected_expr,
                                        double actual, double expected) {
  return CloseWithin(actual_expr, expected_expr, actual, expected, kRelTol);
}

#define EXPECT_METAFOR(actual, expected) EXPECT_PRED_FORMAT2(::kira::stats::testing::Close, actual, expected)

}  // namespace kira::stats::testing

#endif  // KIRA_TESTS_STATS_GOLDEN_FIXTURE_H_
