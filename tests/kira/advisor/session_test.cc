// The session state machine (session.h design notes): every legal transition,
// illegal ones fail with kFailedPrecondition and change nothing.
#include "kira/advisor/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

TEST(InfusionSession, HappyPathReachesDischarged) {
  InfusionSession s;

  EXPECT_THAT(s.PassPreChecks(-5), IsOk());
  EXPECT_THAT(s.Start(0), IsOk());
  EXPECT_THAT(s.Pause(10), IsOk());
  EXPECT_THAT(s.Resume(15), IsOk());
  EXPECT_THAT(s.EndDose(45), IsOk());
  EXPECT_THAT(s.Discharge(140), IsOk());

  EXPECT_EQ(s.state(), SessionState::kDischarged);
  EXPECT_EQ(*s.started_at(), 0);
  EXPECT_EQ(*s.dose_ended_at(), 45);
  EXPECT_DOUBLE_EQ(s.paused_minutes(), 5);
}

TEST(InfusionSession, CannotStartWithoutPreChecks) {
  InfusionSession s;

  EXPECT_THAT(s.Start(0), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'planned'")));
  EXPECT_EQ(s.state(), SessionState::kPlanned);
  EXPECT_FALSE(s.started_at().has_value());
}

TEST(InfusionSession, ResumeWhileRunningFailsAndChangesNothing) {
  InfusionSession s;
  ASSERT_THAT(s.PassPreChecks(0), IsOk());
  ASSERT_THAT(s.Start(0), IsOk());

  EXPECT_THAT(s.Resume(5), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("resume")));
  EXPECT_EQ(s.state(), SessionState::kRunning);
}

TEST(InfusionSession, TimeCannotGoBackwards) {
  InfusionSession s;
  ASSERT_THAT(s.PassPreChecks(0), IsOk());
  ASSERT_THAT(s.Start(10), IsOk());

  EXPECT_THAT(s.Pause(9), StatusIs(StatusCode::kInvalidArgument, HasSubstr("earlier")));
  EXPECT_EQ(s.state(), SessionState::kRunning);
}

TEST(InfusionSession, StopFromPausedIsTerminal) {
  InfusionSession s;
  ASSERT_THAT(s.PassPreChecks(0), IsOk());
  ASSERT_THAT(s.Start(0), IsOk());
  ASSERT_THAT(s.Pause(20), IsOk());

  EXPECT_THAT(s.Stop(25), IsOk());

  EXPECT_EQ(s.state(), SessionState::kStopped);
  EXPECT_TRUE(s.terminal());
  EXPECT_FALSE(s.dose_ended_at().has_value());  // invariant 3
  EXPECT_DOUBLE_EQ(s.paused_minutes(), 5);
  EXPECT_THAT(s.Resume(30), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'stopped'")));
  EXPECT_THAT(s.Discharge(30), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'stopped'")));
}

TEST(InfusionSession, EndDoseWhilePausedClosesThePause) {
  InfusionSession s;
  ASSERT_THAT(s.PassPreChecks(0), IsOk());
  ASSERT_THAT(s.Start(0), IsOk());
  ASSERT_THAT(s.Pause(30), IsOk());

  EXPECT_THAT(s.EndDose(38), IsOk());

  EXPECT_EQ(s.state(), SessionState::kObservation);
  EXPECT_DOUBLE_EQ(s.paused_minutes(), 8);
}

TEST(InfusionSession, DischargedIsTerminal) {
  InfusionSession s;
  ASSERT_THAT(s.PassPreChecks(0), IsOk());
  ASSERT_THAT(s.Start(0), IsOk());
  ASSERT_THAT(s.EndDose(40), IsOk());
  ASSERT_THAT(s.Discharge(130), IsOk());

  EXPECT_THAT(s.Stop(131), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'discharged'")));
}

TEST(InfusionSession, NonFiniteTimeRejected) {
  InfusionSession s;

  EXPECT_THAT(s.PassPreChecks(std::numeric_limits<double>::quiet_NaN()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not finite")));
}

}  // namespace
}  // namespace kira::advisor
