// The guideline loader: the shipped library is valid, and each kind of bad
// field is refused with its JSON path. Overlays tighten, never loosen.
#include "kira/api/guideline_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "testing/status_matchers.h"

namespace kira::api {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string Slurp(const std::string& rel) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json Shipped() { return Json::parse(Slurp("guidelines/kira.json")); }

TEST(GuidelineJson, ShippedLibraryLoads) {
  auto lib = ParseGuideline(Slurp("guidelines/kira.json"));
  ASSERT_THAT(lib, IsOk());
  EXPECT_EQ(lib->id, "kira-core");
  EXPECT_EQ(lib->indications.size(), 10u);
  EXPECT_EQ(lib->routes.size(), 4u);
  EXPECT_GE(lib->protocols.size(), 6u);
}

// Every U-tagged fact in the library is a clinic setting or a rule marked U,
// never silently a hard fact: all evidence tags are one of V/S/U/derived and
// every setting names its tag.
TEST(GuidelineJson, EverySettingCarriesAnEvidenceTagAndCitation) {
  auto lib = ParseGuideline(Slurp("guidelines/kira.json"));
  ASSERT_THAT(lib, IsOk());
  for (const auto& [id, s] : lib->settings) {
    EXPECT_FALSE(s.meta.citation.empty()) << id;
    EXPECT_FALSE(s.description.empty()) << id;
  }
}

struct BadField {
  const char* pointer;  // JSON pointer to replace
  Json value;
  const char* expected_path;
  const char* expected_message;
};

class GuidelineBadField : public ::testing::TestWithParam<BadField> {};

TEST_P(GuidelineBadField, IsRefusedNamingThePath) {
  Json doc = Shipped();
  doc[Json::json_pointer(GetParam().pointer)] = GetParam().value;

  auto lib = ParseGuideline(doc.dump());

  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr(GetParam().expected_path)));
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr(GetParam().expected_message)));
}

INSTANTIATE_TEST_SUITE_P(
    Table, GuidelineBadField,
    ::testing::Values(
        BadField{"/version", "one", "version", "1.2.3"},
        BadField{"/effective_date", "26/11/2026", "effective_date", "ISO date"},
        BadField{"/protocols/0/dose", -0.5, "protocols[0].dose", ">= 0"},
        BadField{"/protocols/0/route", "rectal", "protocols[0].route", "unknown route"},
        BadField{"/protocols/0/mode", "mg", "protocols[0].mode", "must be"},
        BadField{"/protocols/0/indications/0", "flu", "protocols[0].indications[0]", "unknown indication"},
        BadField{"/protocols/0/session/mg_per_kg/soft_max", 1.5, "protocols[0].session.mg_per_kg", "soft_max must not exceed hard_max"},
        BadField{"/protocols/0/session/mg_per_kg/hard_max", 0.4, "protocols[0].session.mg_per_kg", "soft_max must not exceed hard_max"},
        BadField{"/protocols/0/session/mg_per_kg/evidence", "X", "protocols[0].session.mg_per_kg.evidence", "V, S, U"},
        BadField{"/protocols/0/session/mg_per_kg/citation", "", "protocols[0].session.mg_per_kg.citation", "must not be empty"},
        BadField{"/protocols/0/duration_min", nullptr, "protocols[0].duration_min", "required"},
        BadField{"/rules/0/severity", "stop", "rules[0].severity", "must be one of"},
        BadField{"/rules/0/kind", "relative", "rules[0].severity", "must be a soft_stop"},
        BadField{"/rules/0/when", Json{{"fact", "history.nope"}}, "rules[0].when", "unknown boolean fact"},
        BadField{"/rules/0/when", Json{{"fact", "age_years"}, {"op", "~"}, {"value", 1}}, "rules[0].when.op", "must be one of"},
        BadField{"/rules/0/when", Json{{"fact", "age_years"}, {"op", "<"}, {"setting", "nope"}}, "rules[0].when", "missing numeric setting"},
        BadField{"/rules/1/id", "contra.pregnancy", "rules[1].id", "duplicate rule id"},
        BadField{"/routes/0/supervised_only", false, "routes[0].supervised_only", "medical supervision"},
        BadField{"/settings/dosing.obesity_weight_basis/text", "guess", "settings.dosing.obesity_weight_basis.text", "choices"},
        BadField{"/settings/screen.min_age_years/number", 500, "settings.screen.min_age_years.number", "allowed range"},
        BadField{"/indications/0/kind", "mood", "indications[0].kind", "depression, suicidality or pain"},
        BadField{"/surprise", 1, "surprise", "unknown field"}));

TEST(GuidelineJson, MalformedJsonNamesTheByteOffset) {
  EXPECT_THAT(ParseGuideline("{\"id\": "), StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed JSON at byte")));
}

TEST(GuidelineJson, MissingSectionIsNamed) {
  Json doc = Shipped();
  doc.erase("protocols");
  EXPECT_THAT(ParseGuideline(doc.dump()), StatusIs(StatusCode::kInvalidArgument, HasSubstr("protocols: is required")));
}

TEST(GuidelineJson, ProtocolDoseOutsideItsOwnSoftBandIsRefused) {
  Json doc = Shipped();
  doc["protocols"][0]["dose"] = 0.9;  // above its 0.75 soft max
  EXPECT_THAT(ParseGuideline(doc.dump()), StatusIs(StatusCode::kInvalidArgument, HasSubstr("protocols[0].dose")));
}

class Overlay : public ::testing::Test {
 protected:
  guideline::Library base_ = std::move(ParseGuideline(Slurp("guidelines/kira.json"))).value();
  StatusOr<guideline::Library> Apply(const Json& body) {
    Json o{{"clinic", "Test Clinic"}, {"base", "kira-core"}, {"base_version", "1.0.0"}};
    o.update(body);
    return ApplyOverlay(base_, o.dump());
  }
};

TEST_F(Overlay, MayTightenASoftLimit) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"mg_per_kg", {{"soft_max", 0.6}}}}}}}}}});
  ASSERT_THAT(lib, IsOk());
  EXPECT_DOUBLE_EQ(units::ToMgPerKg(*lib->FindProtocol("iv-0.5-40min")->session.mg_per_kg.soft_max), 0.6);
  EXPECT_EQ(lib->Ref().version, "1.0.0+Test Clinic");
}

TEST_F(Overlay, MayTightenAHardLimitAndAddATotalMgLimit) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"mg_per_kg", {{"hard_max", 0.9}}}, {"total_mg", {{"hard_max", 100}}}}}}}}}});
  ASSERT_THAT(lib, IsOk());
  EXPECT_DOUBLE_EQ(units::ToMg(*lib->FindProtocol("iv-0.5-40min")->session.total_mg.hard_max), 100);
}

TEST_F(Overlay, NeverLoosensAHardLimit) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"mg_per_kg", {{"hard_max", 1.5}}}}}}}}}});
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("would loosen the hard limit")));
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("overlay.protocols.iv-0.5-40min.session.mg_per_kg.hard_max")));
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("Zanos 2018")));
}

TEST_F(Overlay, NeverLoosensAHardMinimum) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"duration", {{"hard_min", 0.2}}}}}}}}}});
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("would loosen the hard limit")));
}

TEST_F(Overlay, DoesNotLoosenASoftLimitEither) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"mg_per_kg", {{"soft_max", 0.8}}}}}}}}}});
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("would loosen the soft limit")));
}

TEST_F(Overlay, SoftTightenedBelowTheProtocolDoseIsInconsistent) {
  auto lib = Apply({{"protocols", {{"iv-0.5-40min", {{"session", {{"mg_per_kg", {{"soft_max", 0.4}}}}}}}}}});
  EXPECT_THAT(lib, StatusIs(StatusCode::kInvalidArgument, HasSubstr("after applying overlay")));
}

TEST_F(Overlay, SettingsChangeWithinTheirRange) {
  auto lib = Apply({{"settings", {{"screen.trd_min_failed_trials", 3}}}});
  ASSERT_THAT(lib, IsOk());
  EXPECT_EQ(*lib->FindSetting("screen.trd_min_failed_trials")->number, 3);
  // The typed view the rules read follows the overlay.
  auto tighter = Apply({{"settings", {{"plausibility.adult_weight_max_kg", 200}}}});
  ASSERT_THAT(tighter, IsOk());
  EXPECT_EQ(tighter->config.adult_weight_max_kg.value, 200);
  EXPECT_EQ(tighter->config.adult_weight_max_kg.meta.evidence, domain::Evidence::kUnverified);
  EXPECT_THAT(Apply({{"settings", {{"screen.trd_min_failed_trials", 99}}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("overlay.settings.screen.trd_min_failed_trials")));
  EXPECT_THAT(Apply({{"settings", {{"nope", 1}}}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown setting")));
}

// A setting the engine reads is required: a library without it does not load.
TEST(Guideline, MissingEngineSettingIsALoadErrorNamingIt) {
  Json doc = Json::parse(Slurp("guidelines/kira.json"));
  doc["settings"].erase("plausibility.adult_weight_max_kg");

  EXPECT_THAT(ParseGuideline(doc.dump()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("settings.plausibility.adult_weight_max_kg")));
}

TEST_F(Overlay, MustTargetThisLibraryVersion) {
  Json o{{"clinic", "x"}, {"base", "kira-core"}, {"base_version", "0.9.0"}};
  EXPECT_THAT(ApplyOverlay(base_, o.dump()), StatusIs(StatusCode::kInvalidArgument, HasSubstr("overlay.base_version")));
}

TEST(GuidelineItems, ShowFindsProtocolsRulesAndSettings) {
  auto lib = ParseGuideline(Slurp("guidelines/kira.json"));
  ASSERT_THAT(lib, IsOk());
  EXPECT_THAT(GuidelineItemJson(*lib, "iv-0.5-40min"), IsOk());
  EXPECT_THAT(GuidelineItemJson(*lib, "contra.pregnancy"), IsOk());
  EXPECT_THAT(GuidelineItemJson(*lib, "dosing.obesity_bmi"), IsOk());
  EXPECT_THAT(GuidelineItemJson(*lib, "nope"), StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
}

}  // namespace
}  // namespace kira::api
