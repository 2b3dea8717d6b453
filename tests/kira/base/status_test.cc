#include "kira/base/status.h"

#include <gtest/gtest.h>

#include "kira/base/statusor.h"
#include "testing/status_matchers.h"

namespace kira {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Status, DefaultIsOkAndCostsNoAllocation) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(sizeof(Status), sizeof(void*));
}

TEST(Status, FactoriesCarryCodeAndMessage) {
  Status s = InvalidArgumentError("weight.value: must be > 0");
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr("weight.value")));
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: weight.value: must be > 0");
}

TEST(Status, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("no protocol 'x'").WithContext("dose");
  EXPECT_THAT(s, StatusIs(StatusCode::kNotFound, "dose: no protocol 'x'"));
  EXPECT_THAT(Status().WithContext("ignored"), IsOk());
}

TEST(Status, CopyIsDeep) {
  Status a = InternalError("a");
  Status b = a;
  a = Status();
  EXPECT_TRUE(a.ok());
  EXPECT_THAT(b, StatusIs(StatusCode::kInternal, "a"));
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("x: must be even");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  KIRA_ASSIGN_OR_RETURN(int h, Half(x));
  KIRA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusOr, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument, HasSubstr("even")));
}

TEST(StatusOr, OkStatusWithoutValueBecomesInternal) {
  StatusOr<int> s{Status()};
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, HasSubstr("without a value")));
}

}  // namespace
}  // namespace kira
