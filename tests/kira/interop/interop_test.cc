// Import/export adapters: CSV parsing, session import (per-row errors,
// batches, idempotent re-run, all-or-nothing rows), FHIR R4 NDJSON structure,
// REDCap dictionary and round trip, de-identification rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kira/interop/csv.h"
#include "kira/interop/deidentify.h"
#include "kira/interop/fhir_export.h"
#include "kira/interop/redcap.h"
#include "kira/interop/session_import.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical.h"
#include "kira/registry/demo.h"
#include "kira/storage/memory/memory_store.h"
#include "testing/failing_store.h"
#include "testing/libraries.h"
#include "testing/status_matchers.h"

namespace kira::interop {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

registry::DoseCheck AcceptAll() {
  return [](const registry::DoseCheckInput& in) -> StatusOr<domain::Decision> {
    domain::Decision d;
    d.outcome = "ok";
    if (in.session.given_dose && units::ToMg(*in.session.given_dose) > 1000) {
      d.outcome = "hard_stop";
      d.findings.push_back({"dose.test.hard_max", domain::Severity::kHardStop, "too much", "", "",
                            domain::Evidence::kDerived, "", ""});
    }
    return d;
  };
}

std::string Header() { return CsvLine(SessionCsvColumns()); }
std::string Row(const std::string& session, const std::string& dose = "35", const std::string& start = "2026-03-01T09:00:00Z") {
  return "c1,p1,female,1980,trd," + session + ",iv-0.5-40min," + start + ",2026-03-01T09:40:00Z,70,35," + dose +
         ",1,52.5,u1,\n";
}

std::filesystem::path TempDir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("kira_interop_" + std::to_string(getpid()) + "_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

std::vector<nlohmann::json> ReadNdjson(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Csv, ParsesQuotesCommasNewlinesAndLineNumbers) {
  auto r = ParseCsv("a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n\nlast,\n");

  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_THAT((*r)[1].fields, ElementsAre("x, \"y\"", "multi\nline"));
  EXPECT_EQ((*r)[1].line, 2);
  EXPECT_EQ((*r)[2].line, 5);
  EXPECT_THAT((*r)[2].fields, ElementsAre("last", ""));
}

TEST(Csv, UnterminatedQuoteNamesTheLine) {
  EXPECT_THAT(ParseCsv("a\n\"open\n"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(Csv, WriterQuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvLine({"plain", "a,b", "say \"hi\""}), "plain,\"a,b\",\"say \"\"hi\"\"\"\n");
}

TEST(SessionCsv, MissingColumnsAreNamed) {
  std::vector<RowError> errors;

  EXPECT_THAT(ParseSessionCsv("clinic_id,patient_id\nc1,p1\n", &errors),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing column(s) sex, birth_year")));
}

class ImportTest : public ::testing::Test {
 protected:
  StatusOr<ImportReport> Import(const std::string& csv, storage::Store* store = nullptr, int batch = 2) {
    std::vector<RowError> parse_errors;
    auto rows = ParseSessionCsv(csv, &parse_errors);
    if (!rows.ok()) return rows.status();
    ImportOptions o;
    o.batch_rows = batch;
    auto r = ImportRows(store ? *store : store_, clock_, AcceptAll(), *rows, o);
    if (r.ok()) {
      r->errors.insert(r->errors.begin(), parse_errors.begin(), parse_errors.end());
      std::stable_sort(r->errors.begin(), r->errors.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    }
    return r;
  }
  int Sessions() {
    auto tx = store_.Begin();
    auto s = (*tx)->ListSessions("c1", {"", 1000});
    return s.ok() ? static_cast<int>(s->size()) : -1;
  }

  registry::FakeClock clock_{domain::FromUnixMicros(1'770'000'000'000'000)};
  storage::MemoryStore store_;
};

TEST_F(ImportTest, ReportsEachBadRowByLineAndFieldAndKeepsTheGoodOnes) {
  std::string csv = Header() + Row("s1") + Row("s2", "lots") + Row("s3", "5000") + Row("s4", "35", "tomorrow") + Row("s5");

  auto r = Import(csv);

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->imported, 2);
  EXPECT_EQ(r->refused, 1);
  ASSERT_EQ(r->errors.size(), 3u);
  EXPECT_EQ(r->errors[0].line, 3);
  EXPECT_EQ(r->errors[0].field, "given_dose_mg");
  EXPECT_THAT(r->errors[0].reason, HasSubstr("not a number"));
  EXPECT_EQ(r->errors[1].line, 4);
  EXPECT_THAT(r->errors[1].reason, HasSubstr("refused by the Advisor"));
  EXPECT_EQ(r->errors[2].line, 5);
  EXPECT_EQ(r->errors[2].field, "started_at");
  EXPECT_EQ(Sessions(), 2);
}

TEST_F(ImportTest, ReRunningTheSameFileAddsNothing) {
  std::string csv = Header() + Row("s1") + Row("s2") + Row("s3");
  ASSERT_THAT(Import(csv), IsOk());

  auto again = Import(csv);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->imported, 0);
  EXPECT_EQ(again->already_present, 3);
  EXPECT_EQ(Sessions(), 3);
  auto v = registry::VerifyAudit(store_, "c1");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok);
}

TEST_F(ImportTest, ARowThatFailsInStorageSpoilsNeitherItsBatchNorItself) {
  // A write fails inside the second batch's transaction; the batch is
  // rolled back and redone row by row.
  std::string csv = Header() + Row("s1") + Row("s2") + Row("s3");
  testing::FailingStore failing(&store_);
  failing.FailNthWrite(9);  // somewhere inside the second batch

  auto r = Import(csv, &failing);

  ASSERT_THAT(r, IsOk());
  // The injected failure hits one attempt; the row-by-row redo stores every row.
  EXPECT_TRUE(failing.fired());
  EXPECT_EQ(r->imported + static_cast<int>(r->errors.size()), 3);
  auto tx = store_.Begin();
  for (const char* id : {"s1", "s2", "s3"}) {
    auto s = (*tx)->GetSession("c1", id);
    auto audit = (*tx)->ListAudit("c1", 0, 1000);
    ASSERT_THAT(audit, IsOk());
    int rows_for_id = 0;
    for (const auto& e : *audit) rows_for_id += e.entity_id == id ? 1 : 0;
    // Either the session and its audit row, or neither.
    EXPECT_EQ(s.ok() ? 1 : 0, rows_for_id) << id;
  }
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry::DemoOptions o;
    o.patients = 12;
    o.clinic_id = "c1";
    auto sum = registry::GenerateDemo(store_, clock_, AcceptAll(), kira::testing::ShippedLibraries(), o);
    ASSERT_THAT(sum, IsOk());
    summary_ = *sum;
  }
  registry::FakeClock clock_{domain::FromUnixMicros(1'770'000'000'000'000)};
  storage::MemoryStore store_;
  registry::DemoSummary summary_;
};

TEST_F(ExportTest, FhirResourcesCarryTheirRequiredElements) {
  auto dir = TempDir("fhir");

  auto n = ExportFhir(store_, "c1", dir.string());

  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->patients, 12);
  EXPECT_EQ(n->encounters, summary_.sessions);
  std::set<std::string> ids;
  for (const auto& p : ReadNdjson(dir / "Patient.ndjson")) {
    EXPECT_EQ(p["resourceType"], "Patient");
    EXPECT_TRUE(p.contains("gender"));
    EXPECT_FALSE(p.contains("name")) << "direct identifiers must not be exported";
    ids.insert(p["id"].get<std::string>());
  }
  for (const auto& e : ReadNdjson(dir / "Encounter.ndjson")) {
    EXPECT_EQ(e["status"], "finished");  // R4: status 1..1
    EXPECT_EQ(e["class"]["code"], "AMB");  // R4: class 1..1
    EXPECT_TRUE(ids.count(e["subject"]["reference"].get<std::string>().substr(8)));
  }
  auto meds = ReadNdjson(dir / "MedicationAdministration.ndjson");
  ASSERT_FALSE(meds.empty());
  for (const auto& m : meds) {
    EXPECT_EQ(m["status"], "completed");
    EXPECT_EQ(m["medicationCodeableConcept"]["coding"][0]["system"], "http://www.nlm.nih.gov/research/umls/rxnorm");
    EXPECT_EQ(m["medicationCodeableConcept"]["coding"][0]["code"], "6130");
    EXPECT_TRUE(m.contains("subject"));
    EXPECT_TRUE(m["effectivePeriod"].contains("start"));
    EXPECT_EQ(m["dosage"]["dose"]["code"], "mg");
  }
  int phq9 = 0, sbp = 0;
  for (const auto& o : ReadNdjson(dir / "Observation.ndjson")) {
    EXPECT_EQ(o["status"], "final");
    EXPECT_EQ(o["code"]["coding"][0]["system"], "http://loinc.org");
    const std::string code = o["code"]["coding"][0]["code"];
    phq9 += code == "44261-6";
    sbp += code == "8480-6";
    if (code == "8480-6") {
      EXPECT_EQ(o["valueQuantity"]["code"], "mm[Hg]");
    }
    EXPECT_TRUE(o.contains("effectiveDateTime"));
  }
  EXPECT_EQ(phq9, summary_.assessments);
  EXPECT_GT(sbp, 0);
  for (const auto& a : ReadNdjson(dir / "AdverseEvent.ndjson")) {
    EXPECT_EQ(a["actuality"], "actual");  // R4: actuality 1..1
    EXPECT_TRUE(a.contains("subject"));   // R4: subject 1..1
  }
  std::filesystem::remove_all(dir);
}

TEST_F(ExportTest, RedcapDictionaryHasTheStandardColumnsAndRecordsRoundTrip) {
  auto dir = TempDir("redcap");
  auto n = ExportRedcap(store_, "c1", dir.string());
  ASSERT_THAT(n, IsOk());
  std::ifstream dict_in(dir / "kira_data_dictionary.csv");
  std::stringstream dict;
  dict << dict_in.rdbuf();
  auto dict_rows = ParseCsv(dict.str());
  ASSERT_THAT(dict_rows, IsOk());
  ASSERT_EQ((*dict_rows)[0].fields.size(), 18u);
  EXPECT_EQ((*dict_rows)[0].fields[0], "Variable / Field Name");
  EXPECT_EQ((*dict_rows)[1].fields[0], "record_id");  // REDCap: the first field is the record id
  std::ifstream rec_in(dir / "kira_records.csv");
  std::stringstream rec;
  rec << rec_in.rdbuf();
  ASSERT_TRUE(LooksLikeRedcapRecords(rec.str()));

  std::vector<RowError> errors;
  auto rows = ParseRedcapRecords(rec.str(), "copy", &errors);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(errors.empty()) << errors[0].reason;
  storage::MemoryStore copy;
  auto report = ImportRows(copy, clock_, AcceptAll(), *rows, ImportOptions{});

  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->imported, summary_.sessions);
  auto tx = copy.Begin();
  auto a = (*tx)->GetSession("copy", "P000001-S1");
  auto b = store_.Begin();
  auto original = (*b)->GetSession("c1", "P000001-S1");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(original, IsOk());
  EXPECT_EQ(a->given_dose, original->given_dose);
  EXPECT_EQ(a->started_at, original->started_at);
  std::filesystem::remove_all(dir);
}

TEST(Deidentify, SafeHarborRules) {
  EXPECT_EQ(Zip3("02139"), "021");
  EXPECT_EQ(Zip3("03601"), "000");  // restricted 3-digit area
  EXPECT_EQ(Zip3("9"), "000");
  EXPECT_EQ(AgeGroup(89), "89");
  EXPECT_EQ(AgeGroup(90), "90+");
  EXPECT_EQ(AgeGroup(104), "90+");
}

TEST(Deidentify, DateShiftIsStablePerPatientAndBounded) {
  const std::string secret = "a-secret-of-enough-length";
  const int a = DateShiftDays(secret, "c1", "p1");

  EXPECT_EQ(DateShiftDays(secret, "c1", "p1"), a);
  EXPECT_GE(a, -182);
  EXPECT_LE(a, 182);
  EXPECT_NE(DeidentifiedId(secret, "c1", "p1"), DeidentifiedId("another-secret-of-length", "c1", "p1"));
}

TEST_F(ExportTest, DeidentifiedExportHasNoDirectIdentifiers) {
  auto dir = TempDir("deid");
  const auto path = (dir / "deid.csv").string();

  auto n = ExportDeidentified(store_, "c1", "a-secret-of-enough-length", path);

  ASSERT_THAT(n, IsOk());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto tx = store_.Begin();
  auto identity = (*tx)->GetPatientIdentity("c1", "P000001");
  ASSERT_THAT(identity, IsOk());
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr(identity->mrn)));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr(identity->email)));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr(identity->birth_date)));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("P000001")));
  EXPECT_THAT(ExportDeidentified(store_, "c1", "short", path),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("--secret")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kira::interop
