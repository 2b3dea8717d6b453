// The patient reply is written directly (api/server_json.cc) rather than
// through a Json object: it must be byte for byte what the Json object of
// the same fields renders, escapes included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kira/api/server_json.h"

namespace kira::api {
namespace {

std::string ViaJsonObject(const domain::PatientRecord& p, const std::optional<domain::PatientIdentity>& id) {
  nlohmann::json j{{"id", p.id}, {"sex", p.sex}, {"birth_year", p.birth_year}, {"indication", p.indication}};
  if (id) {
    j["identity"] = nlohmann::json{{"given_name", id->given_name}, {"family_name", id->family_name},
                                   {"birth_date", id->birth_date}, {"mrn", id->mrn},
                                   {"zip", id->zip},               {"phone", id->phone},
                                   {"email", id->email}};
  }
  return j.dump();
}

domain::PatientRecord Record(std::string id) {
  domain::PatientRecord p;
  p.clinic_id = "c1";
  p.id = std::move(id);
  p.sex = "female";
  p.birth_year = 1980;
  p.indication = "trd";
  return p;
}

TEST(PatientReplyJson, MatchesTheJsonObjectWithAndWithoutIdentity) {
  domain::PatientIdentity id;
  id.given_name = "Alex";
  id.family_name = "Testperson";
  id.birth_date = "1980-07-15";
  id.mrn = "MRN0100000";
  id.zip = "52395";
  id.phone = "555-0164";
  id.email = "alex@example.org";
  EXPECT_EQ(PatientJson(Record("P1"), std::nullopt), ViaJsonObject(Record("P1"), std::nullopt));
  EXPECT_EQ(PatientJson(Record("P1"), id), ViaJsonObject(Record("P1"), id));
}

TEST(PatientReplyJson, EscapesEveryCharacterAsTheJsonObjectDoes) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  domain::PatientIdentity id;
  id.given_name = all;
  id.family_name = "O'Brien \"Junior\" \\ / \t\n";
  id.mrn = "Zoë Øster 患者";  // non-ASCII UTF-8 is kept as is
  domain::PatientRecord p = Record(all);
  p.birth_year = -1;
  EXPECT_EQ(PatientJson(p, id), ViaJsonObject(p, id));
}

TEST(PatientReplyJson, InvalidUtf8FailsAsTheJsonObjectDoes) {
  domain::PatientIdentity id;
  id.given_name = std::string("\xff\xfe");
  EXPECT_THROW(ViaJsonObject(Record("P1"), id), nlohmann::json::type_error);
  EXPECT_THROW(PatientJson(Record("P1"), id), nlohmann::json::type_error);
}

}  // namespace
}  // namespace kira::api
