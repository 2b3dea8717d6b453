#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kira/evidence/evidence.h"
#include "kira/evidence/evidence_json.h"
#include "kira/evidence/query.h"
#include "testing/status_matchers.h"

namespace kira::evidence {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string BundledText() {
  const char* env = std::getenv("KIRA_SOURCE_DIR");
  std::ifstream in(std::string(env != nullptr ? env : KIRA_SOURCE_DIR) + "/guidelines/evidence.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const EvidenceBase& Bundled() {
  static const EvidenceBase base = [] {
    auto b = ParseEvidenceBase(BundledText());
    EXPECT_THAT(b, IsOk());
    return b.ok() ? *b : EvidenceBase{};
  }();
  return base;
}

std::vector<std::string> Ids(const std::vector<IncludedTrial>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.trial_id);
  return out;
}

TEST(EvidenceBase, BundledFileLoadsWithVersionAndAllSection10Trials) {
  const EvidenceBase& b = Bundled();

  EXPECT_EQ(b.id, "kira-evidence");
  EXPECT_FALSE(b.version.empty());
  EXPECT_EQ(b.trials.size(), 14u);  // section 10 rows 1-15; rows 8 and 9 are one trial (Su 2023)
  EXPECT_GE(b.pooled_references.size(), 3u);
}

TEST(EvidenceBase, EveryPoolableCountIsTaggedAndNeverUnverified) {
  for (const Trial& t : Bundled().trials) {
    for (const TrialOutcome& o : t.outcomes) {
      if (!o.poolable) {
        EXPECT_FALSE(o.exclusion_reason.empty()) << t.id;
        continue;
      }
      EXPECT_NE(o.ketamine->tag, SourceTag::kUnverified) << t.id;
      EXPECT_NE(o.control->tag, SourceTag::kUnverified) << t.id;
    }
  }
}

TEST(PoolEvidence, Response24hIvPoolsTheParallelTrialsWithCountsAndListsTheRest) {
  EvidenceQuery q;
  q.outcome = "response-24h";
  q.route = "iv";

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  EXPECT_THAT(Ids(pool.included), ElementsAre("murrough-2013", "lii-2023"));
  ASSERT_EQ(pool.excluded.size(), 2u);
  EXPECT_EQ(pool.excluded[0].trial_id, "zarate-2006");
  EXPECT_THAT(pool.excluded[0].reason, HasSubstr("(U)"));
  EXPECT_EQ(pool.excluded[1].trial_id, "phillips-2019");
  ASSERT_TRUE(pool.result.has_value());
  EXPECT_EQ(pool.result->k, 2);
  EXPECT_EQ(pool.result->test, stats::InferenceTest::kKnappHartung);
  // Murrough 30/47 vs 7/25 and Lii 12/20 vs 10/20 both favour ketamine.
  EXPECT_GT(pool.result->pooled().estimate, 0.0);
  EXPECT_FALSE(pool.references.empty());
}

TEST(PoolEvidence, KetamineArmRatesArePooledOnTheLogitScaleForClinicComparison) {
  EvidenceQuery q;
  q.outcome = "response-24h";

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  // metafor 3.8-1: rma(measure = "PLO", xi = c(30, 12), ni = c(47, 20),
  // method = "REML", test = "knha") -> 0.6267130525 [0.3931552096, 0.8131107788].
  ASSERT_TRUE(pool.ketamine_arm_logit.has_value());
  EXPECT_NEAR(InverseLogit(pool.ketamine_arm_logit->pooled().estimate), 0.6267130525, 1e-9);
  EXPECT_NEAR(InverseLogit(pool.ketamine_arm_logit->pooled().ci_low), 0.3931552096, 1e-9);
  EXPECT_NEAR(InverseLogit(pool.ketamine_arm_logit->pooled().ci_high), 0.8131107788, 1e-9);
}

TEST(PoolEvidence, SuicidalIdeationIsNeverPooledWithDepressionResponse) {
  for (const OutcomeDefinition& o : Bundled().outcomes) {
    if (o.outcome_class == OutcomeClass::kDepressionSeverityChange) continue;
    EvidenceQuery q;
    q.outcome = o.id;
    KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));
    for (const IncludedTrial& inc : pool.included) {
      for (const Trial& t : Bundled().trials) {
        if (t.id != inc.trial_id) continue;
        bool has_outcome = false;
        for (const TrialOutcome& to : t.outcomes) has_outcome = has_outcome || to.outcome_id == o.id;
        EXPECT_TRUE(has_outcome) << o.id << " pooled " << t.id;
      }
    }
  }
}

TEST(PoolEvidence, PoolingMidazolamAndSalineControlledTrialsSaysSo) {
  EvidenceQuery q;
  q.outcome = "response-24h";

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  EXPECT_THAT(pool.notes, ElementsAre(HasSubstr("midazolam-controlled with saline")));
}

TEST(PoolEvidence, OneTrialFallsBackToTheZTestWithANote) {
  EvidenceQuery q;
  q.outcome = "response-24h";
  q.comparator = "midazolam";

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  EXPECT_THAT(Ids(pool.included), ElementsAre("murrough-2013"));
  ASSERT_TRUE(pool.result.has_value());
  EXPECT_EQ(pool.result->test, stats::InferenceTest::kZ);
  EXPECT_THAT(pool.notes, ElementsAre(HasSubstr("z test")));
}

TEST(PoolEvidence, VerifiedOnlyDropsDerivedCounts) {
  EvidenceQuery q;
  q.outcome = "response-24h";
  q.verified_only = true;

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  EXPECT_THAT(Ids(pool.included), ElementsAre("lii-2023"));
}

TEST(PoolEvidence, UnknownOutcomeIsNotFoundAndListsTheKnownOnes) {
  EvidenceQuery q;
  q.outcome = "response-1y";

  EXPECT_THAT(PoolEvidence(Bundled(), q), StatusIs(StatusCode::kNotFound, HasSubstr("response-24h")));
}

TEST(PoolEvidence, ContinuousOutcomeHasNothingToPool) {
  EvidenceQuery q;
  q.outcome = "madrs-change-day15";

  EXPECT_THAT(PoolEvidence(Bundled(), q), StatusIs(StatusCode::kInvalidArgument, HasSubstr("continuous")));
}

TEST(PoolEvidence, RouteWithNoTrialsReturnsAnEmptyPoolWithANote) {
  EvidenceQuery q;
  q.outcome = "response-24h";
  q.route = "oral";

  KIRA_ASSERT_OK_AND_ASSIGN(EvidencePool pool, PoolEvidence(Bundled(), q));

  EXPECT_TRUE(pool.included.empty());
  EXPECT_FALSE(pool.result.has_value());
  EXPECT_FALSE(pool.notes.empty());
}

// Each case edits the bundled document and names the JSON path the error
// must report.
struct BadEdit {
  const char* name;
  std::function<void(Json&)> edit;
  const char* message;
};

TEST(ParseEvidenceBase, ErrorsNameTheJsonPathOfTheBadField) {
  const BadEdit cases[] = {
      {"responders > n", [](Json& j) { j["trials"][1]["outcomes"][0]["ketamine"]["responders"] = 48; },
       "trials[1].outcomes[0].ketamine.responders: must be <= n (47)"},
      {"percent disagrees", [](Json& j) { j["trials"][1]["outcomes"][0]["ketamine"]["percent"] = 70; },
       "trials[1].outcomes[0].ketamine.percent"},
      {"fractional count", [](Json& j) { j["trials"][1]["outcomes"][0]["control"]["responders"] = 7.5; },
       "trials[1].outcomes[0].control.responders: must be a whole number"},
      {"bad tag", [](Json& j) { j["trials"][1]["outcomes"][0]["control"]["tag"] = "verified"; },
       "trials[1].outcomes[0].control.tag: must be one of V, S, U, derived"},
      {"pooling U counts", [](Json& j) { j["trials"][1]["outcomes"][0]["control"]["tag"] = "U"; },
       "trials[1].outcomes[0].control.tag: U counts cannot be pooled"},
      {"no reason", [](Json& j) { j["trials"][0]["outcomes"][0].erase("exclusion_reason"); },
       "trials[0].outcomes[0].exclusion_reason: is required"},
      {"unknown outcome", [](Json& j) { j["trials"][1]["outcomes"][0]["outcome"] = "response-2h"; },
       "trials[1].outcomes[0].outcome: unknown outcome id 'response-2h'"},
      {"unknown field", [](Json& j) { j["trials"][2]["ketamin"] = 1; }, "trials[2].ketamin: unknown field"},
      {"no identifier", [](Json& j) { j["trials"][1].erase("pmid"); }, "trials[1]: needs at least one of doi"},
      {"bad design", [](Json& j) { j["trials"][1]["design"] = "cluster"; }, "trials[1].design"},
      {"bad route", [](Json& j) { j["trials"][1]["route"] = "IV"; }, "trials[1].route"},
      {"duplicate id", [](Json& j) { j["trials"][2]["id"] = "zarate-2006"; }, "trials[2].id: duplicate"},
      {"missing version", [](Json& j) { j.erase("version"); }, "version: is required"},
      {"CI excludes estimate", [](Json& j) { j["pooled_references"][0]["estimate"] = 9.0; },
       "pooled_references[0].estimate"},
      {"bad class", [](Json& j) { j["outcomes"][0]["class"] = "mood"; }, "outcomes[0].class"},
  };
  const Json original = Json::parse(BundledText());
  for (const BadEdit& c : cases) {
    SCOPED_TRACE(c.name);
    Json j = original;
    c.edit(j);
    EXPECT_THAT(ParseEvidenceBase(j.dump()), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(ParseEvidenceBase, MalformedJsonNamesTheByte) {
  EXPECT_THAT(ParseEvidenceBase("{\"id\": }"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("at byte")));
}

TEST(TrialLabel, CapitalisesAndSplitsTheYear) { EXPECT_EQ(TrialLabel("murrough-2013"), "Murrough 2013"); }

}  // namespace
}  // namespace kira::evidence
