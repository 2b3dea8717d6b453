#include "kira/advisor/internal/format.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kira::advisor::internal {
namespace {

TEST(Fixed, RoundsAndTrims) {
  EXPECT_EQ(Fixed(0.5, 2), "0.5");
  EXPECT_EQ(Fixed(35.0, 2), "35");
  EXPECT_EQ(Fixed(7.874015748, 3), "7.874");
  EXPECT_EQ(Fixed(0.0, 3), "0");
  EXPECT_EQ(Fixed(-1.25, 1), "-1.3");  // llround rounds half away from zero
  EXPECT_EQ(Fixed(-0.0001, 2), "0");
  EXPECT_EQ(Fixed(52.5, 1, false), "52.5");
  EXPECT_EQ(Fixed(3.0, 2, false), "3.00");
  EXPECT_EQ(Fixed(1e13, 0), "10000000000000");
  EXPECT_EQ(Fixed(std::nan(""), 2), "nan");
  EXPECT_EQ(Fixed(-HUGE_VAL, 1), "-inf");
}

TEST(Fixed, AgreesWithPrintfOnManyValues) {
  for (int i = 0; i < 20000; ++i) {
    double v = (i * 7919 % 100003) / 37.0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string expect(buf);
    while (expect.back() == '0') expect.pop_back();
    if (expect.back() == '.') expect.pop_back();
    std::string got = Fixed(v, 3);
    // printf rounds the binary value half-to-even; llround half-away. They may
    // differ only when the 4th decimal is exactly 5 in binary, never here.
    EXPECT_EQ(got, expect) << v;
  }
}

}  // namespace
}  // namespace kira::advisor::internal
