// Rescue choice for each combination of screening findings (rule ids from the
// main screening): rescue.midazolam.protease_inhibitor (V [R43, R44]),
// rescue.benzodiazepine.myasthenia_gravis and .prior_reaction (V [R1-seed]).
#include "kira/advisor/rescue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "advisor_test_util.h"
#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPi[] = "rescue.midazolam.protease_inhibitor";
constexpr char kMg[] = "rescue.benzodiazepine.myasthenia_gravis";
constexpr char kPrior[] = "rescue.benzodiazepine.prior_reaction";

class RescueTest : public ::testing::Test {
 protected:
  AdvisorLibrary lib_ = testutil::ShippedLibrary();

  domain::Decision Screening(std::initializer_list<const char*> ids) {
    domain::Decision d;
    for (const char* id : ids) d.findings.push_back(testutil::ScreeningFinding(id));
    return d;
  }
  std::string Pick(std::initializer_list<const char*> ids, std::optional<std::string> proposed = std::nullopt) {
    auto d = AdviseRescue(lib_, Screening(ids), RescueRequest{"agitation", proposed});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->outcome : "";
  }
};

TEST_F(RescueTest, NoFindingsPicksFirstPreference) { EXPECT_EQ(Pick({}), "midazolam"); }

// Benzodiazepines as a class are relatively contraindicated as rescue with
// "some HIV retroviral drugs" (Cohen 2018 [R1-seed], V); midazolam is the
// documented interaction [R43, R44]. Screening names clonidine; so does rescue.
TEST_F(RescueTest, ProteaseInhibitorPicksClonidine) { EXPECT_EQ(Pick({kPi}), "clonidine"); }

TEST_F(RescueTest, MyastheniaPicksClonidine) { EXPECT_EQ(Pick({kMg}), "clonidine"); }

TEST_F(RescueTest, PriorBenzodiazepineReactionPicksClonidine) { EXPECT_EQ(Pick({kPrior}), "clonidine"); }

TEST_F(RescueTest, ProteaseInhibitorAndMyastheniaPicksClonidine) { EXPECT_EQ(Pick({kPi, kMg}), "clonidine"); }

TEST_F(RescueTest, ProteaseInhibitorAndPriorReactionPicksClonidine) { EXPECT_EQ(Pick({kPi, kPrior}), "clonidine"); }

TEST_F(RescueTest, MyastheniaAndPriorReactionPicksClonidine) { EXPECT_EQ(Pick({kMg, kPrior}), "clonidine"); }

TEST_F(RescueTest, AllThreeFindingsPicksClonidine) { EXPECT_EQ(Pick({kPi, kMg, kPrior}), "clonidine"); }

// The exclusion is explained in the screening's own words and citation (the
// text a clinician reads names no rule id).
TEST_F(RescueTest, ExcludedAgentsAreExplainedWithTheScreeningRule) {
  domain::Decision screening = Screening({kPi});
  screening.findings[0].message = "HIV protease inhibitor or cobicistat: midazolam is a poor rescue choice.";
  screening.findings[0].citation = "Liverpool HIV interactions [R43]";

  auto d = AdviseRescue(lib_, screening, RescueRequest{"anxiety", std::nullopt});

  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->Has("rescue.agent_excluded"));
  EXPECT_THAT(d->findings[0].message, HasSubstr("midazolam is a poor rescue choice"));
  EXPECT_THAT(d->findings[0].message, ::testing::Not(HasSubstr(kPi)));
  EXPECT_EQ(d->findings[0].citation, "Liverpool HIV interactions [R43]");
}

// rescue.antipsychotic.not_recommended: soft_stop, V [R1-seed].
TEST_F(RescueTest, AntipsychoticProposalFlaggedAndAlternativeGiven) {
  auto d = AdviseRescue(lib_, Screening({}), RescueRequest{"hallucinations", "Haloperidol"});

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, "midazolam");
  ASSERT_TRUE(d->Has("rescue.antipsychotic.not_recommended"));
  EXPECT_EQ(d->MaxSeverity(), domain::Severity::kSoftStop);
}

TEST_F(RescueTest, ProposedMidazolamWithProteaseInhibitorIsRedirected) {
  auto d = AdviseRescue(lib_, Screening({kPi}), RescueRequest{"dissociation", "midazolam"});

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, "clonidine");
  EXPECT_TRUE(d->Has("rescue.proposed_agent.excluded"));
}

TEST_F(RescueTest, SafeProposalIsKept) { EXPECT_EQ(Pick({}, "clonidine"), "clonidine"); }

TEST_F(RescueTest, ProposedLorazepamWithMyastheniaIsRedirectedToClonidine) {
  auto d = AdviseRescue(lib_, Screening({kMg}), RescueRequest{"agitation", "lorazepam"});

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, "clonidine");
  EXPECT_TRUE(d->Has("rescue.proposed_agent.excluded"));
}

TEST_F(RescueTest, ProposedLorazepamWithProteaseInhibitorIsRedirectedToClonidine) {
  EXPECT_EQ(Pick({kPi}, "lorazepam"), "clonidine");
}

TEST_F(RescueTest, UnknownProposalIsCautioned) {
  auto d = AdviseRescue(lib_, Screening({}), RescueRequest{"anxiety", "diazepam"});

  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->Has("rescue.proposed_agent.unknown"));
}

TEST_F(RescueTest, UnknownSymptomIsInvalidArgument) {
  EXPECT_THAT(AdviseRescue(lib_, Screening({}), RescueRequest{"nausea", std::nullopt}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("symptom: 'nausea'")));
}

TEST_F(RescueTest, NoSafeAgentIsAHardStop) {
  lib_.rescue.agents.back().excluded_by.push_back("rescue.clonidine.test_only");
  auto d = AdviseRescue(lib_, Screening({kMg, "rescue.clonidine.test_only"}), RescueRequest{"agitation", std::nullopt});

  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, "no_safe_agent");
  EXPECT_EQ(d->MaxSeverity(), domain::Severity::kHardStop);
}

// Doses are not in the reference: the dose is a U setting, shipped unset.
TEST_F(RescueTest, DoseIsAnUnverifiedClinicSetting) {
  auto d = AdviseRescue(lib_, Screening({}), RescueRequest{"agitation", std::nullopt});

  ASSERT_TRUE(d.ok());
  const domain::Finding* dose = nullptr;
  for (const auto& f : d->findings) {
    if (f.rule_id == "rescue.dose.setting") dose = &f;
  }
  ASSERT_NE(dose, nullptr);
  EXPECT_EQ(dose->evidence, domain::Evidence::kUnverified);
  EXPECT_THAT(dose->message, HasSubstr("not configured [U]"));
}

}  // namespace
}  // namespace kira::advisor
