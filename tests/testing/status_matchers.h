// GoogleTest matchers for Status and StatusOr (after absl/status/status_matchers.h).
// There is deliberately no "is not OK" matcher: a test names the error it expects.
#ifndef KIRA_TESTING_STATUS_MATCHERS_H_
#define KIRA_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kira/base/status.h"
#include "kira/base/statusor.h"

namespace kira::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <class T>
const Status& GetStatus(const StatusOr<T>& s) { return s.status(); }

MATCHER(IsOk, "is OK") {
  const Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << s.ToString();
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + std::string(StatusCodeName(code))) {
  const Status& s = GetStatus(arg);
  *result_listener << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace kira::testing

#define KIRA_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  KIRA_ASSERT_OK_AND_ASSIGN_IMPL_(KIRA_STATUS_CONCAT_(kira_test_so_, __LINE__), lhs, expr)
#define KIRA_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();     \
  lhs = std::move(tmp).value()

#endif  // KIRA_TESTING_STATUS_MATCHERS_H_
