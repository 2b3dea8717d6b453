// Loader validation for guidelines/instruments.json: every error names the
// JSON path of the bad field.
#include "kira/api/instruments_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/advisor_fixtures.h"
#include "testing/status_matchers.h"

namespace kira::api {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

std::string Shipped() { return kira::testing::ReadSourceFile("guidelines/instruments.json"); }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(InstrumentsJson, ShippedLibraryLoadsWithVersion) {
  auto lib = ParseInstrumentLibrary(Shipped());

  ASSERT_THAT(lib, IsOk());
  EXPECT_FALSE(lib->version.empty());
  EXPECT_EQ(lib->effective_date, "2026-11-26");
  for (const char* id : {"phq9", "madrs", "qids_sr16", "gad7", "cssrs_screen", "cadss", "bprs_positive",
                         "pain_nrs", "bpi_severity", "bpi_interference"}) {
    EXPECT_NE(lib->Find(id), nullptr) << id;
  }
  EXPECT_EQ(lib->Find("phq9")->items[8].loinc, "44260-8");
  EXPECT_EQ(lib->Find("phq9")->loinc_total, "44261-6");
}

TEST(InstrumentsJson, SyntaxErrorNamesByte) {
  EXPECT_THAT(ParseInstrumentLibrary("{\"id\": "),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments: malformed JSON at byte")));
}

TEST(InstrumentsJson, MissingItemMaxNamesPath) {
  std::string bad = Replace(Shipped(), "\"min\": 0,\n     \"max\": 3,", "\"min\": 0,");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].items[0].max: is required (an integer)")));
}

TEST(InstrumentsJson, BadEvidenceTagNamesPath) {
  std::string bad = Replace(Shipped(), "\"evidence\": \"V\"", "\"evidence\": \"maybe\"");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].item_source.evidence")));
}

TEST(InstrumentsJson, OverlappingBandsRejected) {
  std::string bad = Replace(Shipped(), "\"min\": 5,\n     \"max\": 9,", "\"min\": 4,\n     \"max\": 9,");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].bands[1]: overlaps")));
}

TEST(InstrumentsJson, AlertOnUnknownItemRejected) {
  std::string bad = Replace(Shipped(), "\"items\": [\n      \"item9\"", "\"items\": [\n      \"item99\"");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].alerts[0].items[0]: unknown item")));
}

TEST(InstrumentsJson, WrongTypeNamesPath) {
  std::string bad = Replace(Shipped(), "\"total_max\": 27", "\"total_max\": \"27\"");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].total_max: must be a number, got string")));
}

TEST(InstrumentsJson, FractionalItemMaxRejected) {
  std::string bad = Replace(Shipped(), "\"min\": 0,\n     \"max\": 3,", "\"min\": 0,\n     \"max\": 2.5,");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].items[0].max: must be a whole number, got 2.5")));
}

TEST(InstrumentsJson, WholeFloatItemMaxAccepted) {
  std::string ok = Replace(Shipped(), "\"min\": 0,\n     \"max\": 3,", "\"min\": 0,\n     \"max\": 3.0,");

  EXPECT_THAT(ParseInstrumentLibrary(ok), IsOk());
}

TEST(InstrumentsJson, ItemMaxAboveBoundNamesPath) {
  std::string bad = Replace(Shipped(), "\"min\": 0,\n     \"max\": 3,", "\"min\": 0,\n     \"max\": 1001,");

  EXPECT_THAT(ParseInstrumentLibrary(bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("instruments[0].items[0].max: must be <= 1000, got 1001")));
}

}  // namespace
}  // namespace kira::api
