// The rolling annual cap (Cohen 2018 [R1-seed]: 6-12 treatments a year):
// one order-independent rule. Property: CheckAnnualCap equals a brute-force
// count over every window that contains the candidate, for random histories
// given in random order.
#include "kira/advisor/annual_cap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "advisor_test_util.h"

namespace kira::advisor {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

int BruteForce(const std::vector<sys_days>& others, sys_days c, int window) {
  int best = 0;
  for (int start = -(window - 1); start <= 0; ++start) {
    const sys_days from = c + days(start), to = from + days(window - 1);
    int n = 1;
    for (sys_days d : others) n += (d >= from && d <= to) ? 1 : 0;
    best = std::max(best, n);
  }
  return best;
}

TEST(AnnualCap, EqualsBruteForceOverEveryWindowInAnyOrder) {
  const AdvisorLibrary lib = testutil::ShippedLibrary();
  std::mt19937 rng(20261130);
  const sys_days base = sys_days(std::chrono::year(2026) / 1 / 1);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<sys_days> others;
    const int n = std::uniform_int_distribution<int>(0, 20)(rng);
    for (int i = 0; i < n; ++i) others.push_back(base + days(std::uniform_int_distribution<int>(0, 800)(rng)));
    const sys_days c = base + days(std::uniform_int_distribution<int>(0, 800)(rng));
    std::shuffle(others.begin(), others.end(), rng);

    auto got = CheckAnnualCap(lib.annual_cap, others, c);

    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const int expect = BruteForce(others, c, 365);
    EXPECT_EQ(got->counted, expect) << "trial " << trial;
    EXPECT_EQ(got->exceeds, expect > 12) << "trial " << trial;
    EXPECT_LE(got->window_from, c);
    EXPECT_GE(got->window_to, c);
  }
}

// The defect: thirteen sessions in one rolling year are refused
// whichever of them is entered last.
TEST(AnnualCap, ThirteenthIsRefusedWhicheverIsEnteredLast) {
  const AdvisorLibrary lib = testutil::ShippedLibrary();
  const sys_days base = sys_days(std::chrono::year(2026) / 1 / 5);
  std::vector<sys_days> all;
  for (int i = 0; i < 13; ++i) all.push_back(base + days(28 * i));
  for (size_t last = 0; last < all.size(); ++last) {
    std::vector<sys_days> others = all;
    others.erase(others.begin() + static_cast<long>(last));
    auto got = CheckAnnualCap(lib.annual_cap, others, all[last]);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->exceeds) << "session " << last;
    EXPECT_EQ(got->counted, 13);
  }
}

TEST(AnnualCap, UnsetCapIsAnError) {
  AdvisorLibrary lib = testutil::ShippedLibrary();
  lib.annual_cap.cap.value.reset();
  EXPECT_FALSE(CheckAnnualCap(lib.annual_cap, {}, sys_days(std::chrono::year(2026) / 1 / 1)).ok());
}

}  // namespace
}  // namespace kira::advisor
