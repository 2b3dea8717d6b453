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
#include "kira/interop/export_dir.h"
#include "kira/interop/fhir_export.h"
#include "kira/interop/fhir_import.h"
#include "kira/interop/redcap.h"
#include "kira/interop/session_import.h"
#include "kira/registry/audit.h"
#include "kira/registry/canonical.h"
#include "kira/registry/clinical.h"
#include "kira/registry/demo.h"
#include "kira/storage/memory/memory_store.h"
#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "testing/advisor_fixtures.h"
#include "testing/failing_store.h"
#include "testing/status_matchers.h"

namespace kira::interop {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The shipped guideline, advisor and instrument libraries (facts are
// screened on them, assessments scored by them); loaded once.
const registry::Libraries& Libs() {
  static const registry::Libraries libs = [] {
    static auto g = api::ParseGuideline(kira::testing::ReadSourceFile("guidelines/kira.json"));
    static auto a = api::ParseAdvisorLibrary(kira::testing::ReadSourceFile("guidelines/advisor.json"));
    static auto i = api::ParseInstrumentLibrary(kira::testing::ReadSourceFile("guidelines/instruments.json"));
    if (!g.ok() || !a.ok() || !i.ok()) std::abort();
    return registry::Libraries{&*g, &*a, &*i};
  }();
  return libs;
}

registry::DoseCheck AcceptAll() {
  return [](const registry::DoseCheckInput& in) -> StatusOr<domain::Decision> {
    domain::Decision d;
    d.outcome = "ok";
    if (in.session.given_dose && units::ToMg(*in.session.given_dose) == 84 && !in.override_) {
      d.outcome = "soft_stop";
      d.findings.push_back({"dose.test.soft_max", domain::Severity::kSoftStop, "above the usual dose", "", "",
                            domain::Evidence::kDerived, "", ""});
    } else if (in.session.given_dose && units::ToMg(*in.session.given_dose) == 84) {
      d.outcome = "ok_with_override";
      d.findings.push_back({"dose.test.soft_max", domain::Severity::kSoftStop, "above the usual dose", "", "",
                            domain::Evidence::kDerived, "", ""});
    }
    if (in.session.given_dose && units::ToMg(*in.session.given_dose) > 1000) {
      d.outcome = "hard_stop";
      d.findings.push_back({"dose.test.hard_max", domain::Severity::kHardStop, "too much", "", "",
                            domain::Evidence::kDerived, "", ""});
    }
    return d;
  };
}

// Every column but the optional `state` and `height_cm`.
std::string Header() {
  std::vector<std::string> cols = SessionCsvColumns();
  cols.resize(16);
  return CsvLine(cols);
}
std::string Row(const std::string& session, const std::string& dose = "35", const std::string& start = "2026-03-01T09:00:00Z") {
  return "c1,p1,female,1980,trd," + session + ",iv-0.5-40min," + start + ",,70,35," + dose + ",1,52.5,u1,\n";
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

// Found by fuzz_import: a first field starting with U+FEFF was written bare, and
// the reader took it for the file's byte-order mark and dropped it.
TEST(Csv, FieldStartingWithByteOrderMarkRoundTrips) {
  const std::vector<std::string> fields = {"\xEF\xBB\xBF" "clinic", "x"};
  auto back = ParseCsv(CsvLine(fields));
  ASSERT_THAT(back, IsOk());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(back->front().fields, fields);
}

TEST(SessionCsv, MissingColumnsAreNamed) {
  ParsedFile f = ParseSessionCsv("clinic_id,patient_id\nc1,p1\n");

  EXPECT_TRUE(f.fatal);
  ASSERT_FALSE(f.errors.empty());
  EXPECT_EQ(f.errors[0].field, "sex");
  EXPECT_THAT(f.errors[0].reason, HasSubstr("required column is missing"));
}

class ImportTest : public ::testing::Test {
 protected:
  StatusOr<ImportReport> Import(const std::string& csv, storage::Store* store = nullptr,
                                ImportMode mode = ImportMode::kAllOrNothing, bool update = false) {
    ParsedFile parsed = ParseSessionCsv(csv);
    ImportOptions o;
    o.mode = mode;
    o.update = update;
    o.libraries = Libs();
    if (update) o.reason = "dose corrected from the pump log";
    return ImportRows(store ? *store : store_, clock_, AcceptAll(), parsed, o);
  }
  int Sessions() {
    auto tx = store_.Begin();
    auto s = (*tx)->ListSessions("c1", {"", 1000});
    return s.ok() ? static_cast<int>(s->size()) : -1;
  }
  int Patients() {
    auto tx = store_.Begin();
    auto s = (*tx)->ListPatients("c1", {"", 1000});
    return s.ok() ? static_cast<int>(s->size()) : -1;
  }
  static void ExpectCountsAddUp(const ImportReport& r) {
    EXPECT_EQ(r.rows_read, r.accepted + r.amended + r.refused + r.invalid + r.unchanged);
  }

  registry::FakeClock clock_{domain::FromUnixMicros(1'790'000'000'000'000)};
  storage::MemoryStore store_;
};

TEST_F(ImportTest, ABadRowOrARefusalWritesNothingByDefaultAndNamesLineAndColumn) {
  std::string csv = Header() + Row("s1") + Row("s2", "lots") + Row("s3", "5000") + Row("s4", "35", "tomorrow") + Row("s5");

  auto r = Import(csv);

  ASSERT_THAT(r, IsOk());
  ExpectCountsAddUp(*r);
  EXPECT_EQ(r->rows_read, 5);
  EXPECT_EQ(r->accepted, 2);
  EXPECT_EQ(r->refused, 1);
  EXPECT_EQ(r->invalid, 2);
  EXPECT_FALSE(r->committed);
  ASSERT_EQ(r->problems.size(), 3u);
  EXPECT_EQ(r->problems[0].line, 3);
  EXPECT_EQ(r->problems[0].column, 12);
  EXPECT_EQ(r->problems[0].field, "given_dose_mg");
  EXPECT_THAT(r->problems[0].reason, HasSubstr("not a number"));
  EXPECT_EQ(r->problems[1].line, 4);
  EXPECT_THAT(r->problems[1].reason, HasSubstr("refused by the Advisor"));
  EXPECT_EQ(r->problems[2].line, 5);
  EXPECT_EQ(r->problems[2].field, "started_at");
  EXPECT_EQ(Sessions(), 0);
  EXPECT_EQ(Patients(), 0);
}

TEST_F(ImportTest, PartialCommitsOnlyThePassingRowsAndNotTheRefusedRowsNewPatient) {
  std::string csv = Header() + Row("s1") + Row("s2", "5000");
  csv += "c1,p2,male,1970,trd,s3,iv-0.5-40min,2026-03-02T09:00:00Z,,80,40,5000,1,60,u1,\n";  // new patient, refused

  auto r = Import(csv, nullptr, ImportMode::kPartial);

  ASSERT_THAT(r, IsOk());
  ExpectCountsAddUp(*r);
  EXPECT_TRUE(r->committed);
  EXPECT_EQ(r->written, 1);
  EXPECT_EQ(r->refused, 2);
  EXPECT_EQ(Sessions(), 1);
  EXPECT_EQ(Patients(), 1);  // p2 came only with a refused row
}

TEST_F(ImportTest, DryRunWritesNothing) {
  auto r = Import(Header() + Row("s1") + Row("s2"), nullptr, ImportMode::kDryRun);

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->accepted, 2);
  EXPECT_FALSE(r->committed);
  EXPECT_EQ(Sessions(), 0);
}

TEST_F(ImportTest, ReRunningTheSameFileAddsNothing) {
  std::string csv = Header() + Row("s1") + Row("s2") + Row("s3");
  ASSERT_THAT(Import(csv), IsOk());

  auto again = Import(csv);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->accepted, 0);
  EXPECT_EQ(again->unchanged, 3);
  EXPECT_FALSE(again->committed);
  EXPECT_EQ(Sessions(), 3);
  auto v = registry::VerifyAudit(store_, "c1");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok);
}

TEST_F(ImportTest, ACorrectedDoseIsAConflictUntilAmendedWithAReason) {
  ASSERT_THAT(Import(Header() + Row("s1")), IsOk());

  auto conflict = Import(Header() + Row("s1", "30"));

  ASSERT_THAT(conflict, IsOk());
  EXPECT_EQ(conflict->invalid, 1);
  ASSERT_EQ(conflict->problems.size(), 1u);
  EXPECT_EQ(conflict->problems[0].field, "given_dose_mg");
  EXPECT_THAT(conflict->problems[0].reason, HasSubstr("stored 35, file 30"));

  auto amended = Import(Header() + Row("s1", "30"), nullptr, ImportMode::kAllOrNothing, /*update=*/true);

  ASSERT_THAT(amended, IsOk());
  EXPECT_EQ(amended->amended, 1);
  auto tx = store_.Begin();
  auto s = (*tx)->GetSession("c1", "s1");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(units::ToMg(*s->given_dose), 30);
  auto audit = (*tx)->ListAudit("c1", 0, 1000);
  ASSERT_THAT(audit, IsOk());
  EXPECT_EQ(audit->back().action, "amend");
  EXPECT_THAT(audit->back().after, HasSubstr("dose corrected from the pump log"));
}

TEST_F(ImportTest, ConflictingRowsInOneFileAndAContradictedPatientAreReported) {
  ASSERT_THAT(Import(Header() + Row("s1")), IsOk());
  std::string csv = Header() + Row("s2") + Row("s2", "30");
  csv += "c1,p1,male,1980,trd,s3,iv-0.5-40min,2026-03-03T09:00:00Z,,70,35,35,1,52.5,u1,\n";

  auto r = Import(csv, nullptr, ImportMode::kPartial);

  ASSERT_THAT(r, IsOk());
  ExpectCountsAddUp(*r);
  EXPECT_EQ(r->invalid, 3);
  EXPECT_FALSE(r->committed);
  ASSERT_EQ(r->problems.size(), 3u);
  EXPECT_EQ(r->problems[2].field, "sex");
  EXPECT_THAT(r->problems[2].reason, HasSubstr("'female' on line 2 but 'male' here"));
  EXPECT_EQ(Sessions(), 1);
}

TEST_F(ImportTest, APatientWhoseFactsContradictTheStoredOnesIsAConflict) {
  ASSERT_THAT(Import(Header() + Row("s1")), IsOk());
  std::string csv = Header() + "c1,p1,female,1981,trd,s2,iv-0.5-40min,2026-03-03T09:00:00Z,,70,35,35,1,52.5,u1,\n";

  auto r = Import(csv);

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->invalid, 1);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].field, "birth_year");
  EXPECT_EQ(r->problems[0].column, 4);
  EXPECT_THAT(r->problems[0].reason, HasSubstr("stored with birth_year 1980, the file says 1981"));
  EXPECT_EQ(Sessions(), 1);
}

TEST_F(ImportTest, DecisionsDoNotDependOnRowOrder) {
  // A check that refuses a patient's third session in time order.
  auto third_refused = [](const registry::DoseCheckInput& in) -> StatusOr<domain::Decision> {
    domain::Decision d;
    d.outcome = "ok";
    int earlier = 0;
    for (const auto& h : in.history) earlier += h.started_at < in.session.started_at ? 1 : 0;
    if (earlier >= 2) {
      d.outcome = "hard_stop";
      d.findings.push_back({"plan.test.cap", domain::Severity::kHardStop, "cap", "", "", domain::Evidence::kDerived, "", ""});
    }
    return d;
  };
  const std::string a = Row("s1", "35", "2026-03-01T09:00:00Z"), b = Row("s2", "35", "2026-03-03T09:00:00Z"),
                    c = Row("s3", "35", "2026-03-05T09:00:00Z");
  std::set<std::string> stored[2];
  int i = 0;
  for (const std::string& csv : {Header() + a + b + c, Header() + c + b + a}) {
    storage::MemoryStore store;
    ImportOptions o;
    o.mode = ImportMode::kPartial;
    auto r = ImportRows(store, clock_, third_refused, ParseSessionCsv(csv), o);
    ASSERT_THAT(r, IsOk());
    auto tx = store.Begin();
    auto sessions = (*tx)->ListSessions("c1", {"", 100});
    ASSERT_THAT(sessions, IsOk());
    for (const auto& s : *sessions) stored[i].insert(s.id);
    ++i;
  }
  EXPECT_EQ(stored[0], stored[1]);
  EXPECT_EQ(stored[0], (std::set<std::string>{"s1", "s2"}));
}

TEST_F(ImportTest, AStorageFailureLeavesNothingWritten) {
  std::string csv = Header() + Row("s1") + Row("s2") + Row("s3");
  testing::FailingStore failing(&store_);
  failing.FailNthWrite(5);

  auto r = Import(csv, &failing, ImportMode::kPartial);

  EXPECT_THAT(r, StatusIs(StatusCode::kInternal, HasSubstr("injected failure")));
  EXPECT_TRUE(failing.fired());
  EXPECT_EQ(Sessions(), 0);
  auto tx = store_.Begin();
  auto audit = (*tx)->ListAudit("c1", 0, 1000);
  ASSERT_THAT(audit, IsOk());
  EXPECT_TRUE(audit->empty());
}

TEST_F(ImportTest, AnUnknownProtocolIsNamedAndTheRestOfTheFileIsJudged) {
  ParseOptions po;
  po.protocols = {"iv-0.5-40min"};
  std::string csv = Header() + Row("s1") + "c1,p1,female,1980,trd,s2,iv-nope,2026-03-03T09:00:00Z,,70,35,35,1,52.5,u1,\n";

  ParsedFile f = ParseSessionCsv(csv, po);

  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].line, 3);
  EXPECT_EQ(f.errors[0].column, 7);
  EXPECT_THAT(f.errors[0].reason, HasSubstr("unknown protocol"));
  EXPECT_EQ(f.rows.size(), 1u);
}

// A demo registry plus every kind of record the demo does not make:
// esketamine nasal sessions, planned/running/stopped sessions, a
// life-threatening adverse event, a soft-limit override, an item-level
// assessment, ids that need hashing in FHIR ("C/1" next to "C-1", 100
// characters) and a non-UTF-8 byte that reached the registry before
// imports were strict (in a free-text field: ids are checked by the store).
Status AddEveryKindOfRecord(storage::Store& store, const registry::Clock& clock, const registry::DoseCheck& check,
                            bool with_bad_byte = true) {
  registry::SessionRecorder recorder(&store, &clock, check);
  return registry::RunInUnitOfWork(store, clock, "system:test", [&](registry::UnitOfWork& uow) -> Status {
    KIRA_RETURN_IF_ERROR(registry::AddPatient(uow, {"c1", "E1", "female", 1931, "trd"}, std::nullopt));
    if (with_bad_byte) {
      KIRA_RETURN_IF_ERROR(registry::AddPatient(uow, {"c1", "B1", "male", 1990, "trd"}, std::nullopt));
    }
    domain::Instant t{};
    domain::ParseInstant("2026-06-01T09:00:00Z", &t);
    auto session = [&](std::string id, std::string patient, std::string protocol, domain::SessionState state,
                       std::optional<double> given, double rate, int day) {
      domain::SessionRecord s;
      s.clinic_id = "c1";
      s.id = std::move(id);
      s.patient_id = std::move(patient);
      s.protocol_id = std::move(protocol);
      s.state = state;
      s.dosing_weight = units::Kg(61.5);
      s.planned_dose = units::Mg(given.value_or(56));
      if (given) s.given_dose = units::Mg(*given);
      // A nasal spray (rate 0 here) is not infused: no concentration or pump rate.
      if (rate > 0) {
        s.concentration = units::MgPerMl(1);
        s.rate = units::MlPerH(rate);
      }
      s.started_at = t + std::chrono::hours(24 * day);
      if (state == domain::SessionState::kDischarged || state == domain::SessionState::kStopped) {
        s.stopped_at = s.started_at + std::chrono::minutes(40);
      }
      s.recorded_by = "rn-demo";
      return s;
    };
    const std::vector<domain::SessionRecord> sessions = {
        session("E1-S1", "E1", "in-esketamine-trd", domain::SessionState::kDischarged, 56, 0, 0),
        session("E1-S2", "E1", "in-esketamine-trd", domain::SessionState::kDischarged, 84, 0, 3),
        session("C/1", "E1", "iv-0.5-40min", domain::SessionState::kStopped, 20, 46, 7),
        session("C-1", "E1", "iv-0.5-40min", domain::SessionState::kRunning, std::nullopt, 46, 9),
        session(std::string(100, 'L'), "E1", "iv-0.5-40min", domain::SessionState::kPlanned, std::nullopt, 46, 12),
    };
    std::vector<domain::SessionRecord> all = sessions;
    if (with_bad_byte) {
      all.push_back(session("B-1", "B1", "iv-0.5-40min", domain::SessionState::kDischarged, 35, 52.5, 1));
      all.back().recorded_by = "bad\xff" "byte";
    } else {
      all.push_back(session("B-1", "E1", "iv-0.5-40min", domain::SessionState::kDischarged, 35, 52.5, 1));
    }
    for (const auto& s : all) {
      std::optional<domain::Override> ov;
      if (s.id == "E1-S2") ov = domain::Override{"dr-demo", "2026-06-04T08:55:00Z", "label maximum after review", {}};
      KIRA_ASSIGN_OR_RETURN(auto r, recorder.RecordIn(uow, {s, "rn-demo", ov}));
      if (!r.stored) return InternalError("fixture session refused: " + r.refusal);
    }
    KIRA_RETURN_IF_ERROR(registry::AddAdverseEvent(
        uow, {"c1", "E1-S1/ae-1", "E1-S1", t + std::chrono::minutes(30), "respiratory depression",
              domain::AeSeverity::kLifeThreatening, "bag-mask ventilation"}));
    KIRA_RETURN_IF_ERROR(registry::AddAdverseEvent(
        uow, {"c1", "E1-S2/ae-1", "E1-S2", t + std::chrono::hours(72) + std::chrono::minutes(30),
              "called her sister Jane Roe at 555-0100, jane@example.org", domain::AeSeverity::kMild, ""}));
    for (auto [kind, value, minute] : {std::tuple{domain::VitalKind::kSystolicBp, 142.0, 10},
                                       {domain::VitalKind::kDiastolicBp, 91.0, 10},
                                       {domain::VitalKind::kSpO2, 95.0, 10},
                                       {domain::VitalKind::kSystolicBp, 150.0, 20}}) {
      KIRA_RETURN_IF_ERROR(registry::AddVital(
          uow, {"c1", "E1-S1/v-" + std::string(domain::VitalKindName(kind)) + std::to_string(minute), "E1-S1",
                t + std::chrono::minutes(minute), kind, value}));
    }
    return registry::RecordAssessment(uow, Libs(), {"c1", "E1/phq9-1", "E1", "E1-S1", t - std::chrono::hours(1),
                                                    "phq9", {3, 3, 2, 2, 1, 1, 2, 0, 0}, 14, ""})
        .status();
  });
}

std::map<std::string, std::string, std::less<>> TestRoutes() {
  return {{"iv-0.5-40min", "iv"}, {"in-esketamine-trd", "intranasal"}};
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry::DemoOptions o;
    o.patients = 12;
    o.clinic_id = "c1";
    auto sum = registry::GenerateDemo(store_, clock_, AcceptAll(), Libs(), o);
    ASSERT_THAT(sum, IsOk());
    summary_ = *sum;
    ASSERT_THAT(AddEveryKindOfRecord(store_, clock_, AcceptAll()), IsOk());
  }
  registry::FakeClock clock_{domain::FromUnixMicros(1'790'000'000'000'000)};
  storage::MemoryStore store_;
  registry::DemoSummary summary_;
};

std::map<std::string, nlohmann::json> ById(const std::vector<nlohmann::json>& resources) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& r : resources) out[r["id"].get<std::string>()] = r;
  return out;
}

bool ValidFhirId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; });
}

// Structural conformance to FHIR R4 (no R4 validator is available offline
// here): required elements, value-set codes, id syntax and uniqueness,
// references that resolve, and the vital-signs profiles' codes and units.
TEST_F(ExportTest, FhirExportIsStructurallyConformantR4) {
  auto dir = TempDir("fhir");

  auto n = ExportFhir(store_, "c1", dir.string(), {TestRoutes(), Libs().instruments});

  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->patients, 14);
  EXPECT_EQ(n->encounters, summary_.sessions + 6);
  std::map<std::string, std::map<std::string, nlohmann::json>> all;
  for (const char* type : {"Patient", "Encounter", "MedicationRequest", "MedicationAdministration", "Observation",
                           "AdverseEvent"}) {
    auto resources = ReadNdjson(dir / (std::string(type) + ".ndjson"));
    for (const auto& r : resources) {
      EXPECT_EQ(r["resourceType"], type);
      EXPECT_TRUE(ValidFhirId(r["id"])) << r["id"];
    }
    all[type] = ById(resources);
    EXPECT_EQ(all[type].size(), resources.size()) << type << ": ids must be unique";
  }
  auto resolves = [&](const nlohmann::json& ref) {
    const std::string s = ref["reference"];
    const auto slash = s.find('/');
    return all[s.substr(0, slash)].count(s.substr(slash + 1)) == 1;
  };
  for (const auto& [id, p] : all["Patient"]) {
    EXPECT_FALSE(p.contains("name")) << "direct identifiers must not be exported";
    EXPECT_THAT(p["gender"].get<std::string>(), ::testing::AnyOf("female", "male", "other", "unknown"));
  }
  // Ids: "C/1" and "C-1" stay apart, a 100-character id is hashed, and the
  // registry id is kept as an identifier.
  std::set<std::string> session_ids;
  for (const auto& [id, e] : all["Encounter"]) {
    EXPECT_TRUE(resolves(e["subject"]));
    EXPECT_EQ(e["class"]["code"], "AMB");
    session_ids.insert(e["identifier"][0]["value"].get<std::string>());
  }
  EXPECT_TRUE(session_ids.count("C/1") && session_ids.count("C-1") && session_ids.count(std::string(100, 'L')));
  EXPECT_EQ(all["Encounter"][FhirId("", "C/1")]["status"], "finished");
  EXPECT_EQ(all["Encounter"]["C-1"]["status"], "in-progress");
  EXPECT_EQ(all["Encounter"][FhirId("", std::string(100, 'L'))]["status"], "planned");
  EXPECT_NE(FhirId("", "C/1"), "C-1");
  EXPECT_LE(FhirId("", std::string(100, 'L')).size(), 64u);
  // Drug and route per protocol; statuses per session state.
  const auto& esk = all["MedicationAdministration"]["E1-S1"];
  EXPECT_EQ(esk["medicationCodeableConcept"]["coding"][0]["code"], "2201623");
  EXPECT_EQ(esk["dosage"]["route"]["coding"][0]["code"], "46713006");
  EXPECT_FALSE(esk["dosage"].contains("rateQuantity"));
  const auto& iv = all["MedicationAdministration"][FhirId("", "C/1")];
  EXPECT_EQ(iv["status"], "stopped");
  EXPECT_EQ(iv["medicationCodeableConcept"]["coding"][0]["code"], "6130");
  EXPECT_EQ(iv["dosage"]["route"]["coding"][0]["code"], "47625008");
  EXPECT_EQ(all["MedicationAdministration"].count("C-1"), 0u) << "no administration before a dose is given";
  EXPECT_EQ(all["MedicationRequest"]["C-1"]["status"], "active");
  for (const auto& [id, m] : all["MedicationAdministration"]) {
    EXPECT_TRUE(resolves(m["subject"]));
    EXPECT_TRUE(resolves(m["context"]));
    EXPECT_EQ(m["dosage"]["dose"]["code"], "mg");
    EXPECT_TRUE(m.contains("effectivePeriod") || m.contains("effectiveDateTime"));
  }
  // Vital signs: BP panel, SpO2 with both codes, units, profiles.
  int panels = 0, spo2 = 0, lone_sbp = 0, body_measures = 0;
  for (const auto& [id, o] : all["Observation"]) {
    EXPECT_EQ(o["status"], "final");
    EXPECT_TRUE(resolves(o["subject"]));
    const std::string code = o["code"]["coding"][0]["code"];
    if (code == "85354-9") {
      ++panels;
      EXPECT_EQ(o["meta"]["profile"][0], "http://hl7.org/fhir/StructureDefinition/bp");
      EXPECT_FALSE(o.contains("valueQuantity"));
      ASSERT_EQ(o["component"].size(), 2u);
      EXPECT_EQ(o["component"][0]["code"]["coding"][0]["code"], "8480-6");
      EXPECT_EQ(o["component"][1]["code"]["coding"][0]["code"], "8462-4");
      EXPECT_EQ(o["component"][0]["valueQuantity"]["code"], "mm[Hg]");
      EXPECT_EQ(o["component"][0]["valueQuantity"]["unit"], "mmHg");
    } else if (code == "2708-6") {
      ++spo2;
      EXPECT_EQ(o["code"]["coding"][1]["code"], "59408-5");
      EXPECT_EQ(o["valueQuantity"]["code"], "%");
      EXPECT_EQ(o["meta"]["profile"][0], "http://hl7.org/fhir/StructureDefinition/oxygensat");
    } else if (code == "8480-6") {
      ++lone_sbp;
    } else if (code == "8867-4") {
      EXPECT_EQ(o["valueQuantity"]["code"], "/min");
      EXPECT_EQ(o["meta"]["profile"][0], "http://hl7.org/fhir/StructureDefinition/heartrate");
    } else if (code == "29463-7" || code == "8302-2") {
      // A facts version's weight or height: the patient's, not a session's.
      ++body_measures;
      const bool weight = code == "29463-7";
      EXPECT_EQ(o["meta"]["profile"][0],
                std::string("http://hl7.org/fhir/StructureDefinition/") + (weight ? "bodyweight" : "bodyheight"));
      EXPECT_EQ(o["valueQuantity"]["code"], weight ? "kg" : "cm");
      EXPECT_EQ(o["identifier"][0]["system"], "urn:kira:patient-facts");
      EXPECT_FALSE(o.contains("encounter"));
      EXPECT_TRUE(o.contains("effectiveDateTime"));
      continue;
    }
    if (o["category"][0]["coding"][0]["code"] == "vital-signs") {
      EXPECT_TRUE(o.contains("effectiveDateTime"));
      EXPECT_TRUE(resolves(o["encounter"]));
    }
  }
  EXPECT_GE(panels, 1);
  EXPECT_GE(spo2, 1);
  EXPECT_EQ(lone_sbp, 1);  // the 20-minute systolic reading without a diastolic partner
  EXPECT_GE(body_measures, 1);
  // Scored instruments carry the instrument library's LOINC code.
  const auto& phq = all["Observation"][FhirId("a-", "E1/phq9-1")];
  EXPECT_EQ(phq["code"]["coding"][0]["code"], Libs().instruments->Find("phq9")->loinc_total);
  EXPECT_EQ(phq["component"].size(), 9u);
  // Adverse events keep their seriousness.
  const auto& ae = all["AdverseEvent"][FhirId("", "E1-S1/ae-1")];
  EXPECT_EQ(ae["actuality"], "actual");
  EXPECT_EQ(ae["seriousness"]["coding"][0]["code"], "serious");
  EXPECT_EQ(ae["seriousness"]["coding"][1]["code"], "442452003");
  EXPECT_EQ(ae["severity"]["coding"][0]["code"], "severe");
  EXPECT_TRUE(resolves(ae["suspectEntity"][0]["instance"]));
  // A byte that is not UTF-8 in stored text does not break the export.
  bool replaced = false;
  for (const auto& [id, m] : all["MedicationAdministration"]) {
    replaced |= m["performer"][0]["actor"]["identifier"]["value"] == "bad\xEF\xBF\xBD" "byte";
  }
  EXPECT_TRUE(replaced);
  // Nothing is left behind but the seven files.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) entries += e.is_regular_file() ? 1 : 100;
  EXPECT_EQ(entries, 7);
  std::filesystem::remove_all(dir);
}

TEST(StagedExport, AnExportThatDoesNotCompleteLeavesTheEarlierOneAndNoPartialFiles) {
  auto dir = TempDir("staged");
  {
    auto first = StagedExport::Begin(dir.string(), "--fhir");
    ASSERT_THAT(first, IsOk());
    auto f = first->Open("Patient.ndjson");
    ASSERT_THAT(f, IsOk());
    **f << "old\n";
    ASSERT_THAT(first->Commit(), IsOk());
  }
  {
    auto second = StagedExport::Begin(dir.string(), "--fhir");
    ASSERT_THAT(second, IsOk());
    auto f = second->Open("Patient.ndjson");
    ASSERT_THAT(f, IsOk());
    **f << "new, but the export fails before Commit\n";
    auto g = second->Open("Encounter.ndjson");
    ASSERT_THAT(g, IsOk());
  }  // destroyed without Commit

  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_THAT(names, ElementsAre("Patient.ndjson"));
  std::ifstream in(dir / "Patient.ndjson");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "old");
  std::filesystem::remove_all(dir);
}

// Every clinical table of a clinic, as canonical text (the audit log's form
// of each record), table by table.
std::map<std::string, std::vector<std::string>> Tables(storage::Store& store, const std::string& clinic) {
  std::map<std::string, std::vector<std::string>> t;
  auto tx = store.Begin();
  EXPECT_THAT(tx, IsOk());
  auto patients = (*tx)->ListPatients(clinic, {"", 100000});
  EXPECT_THAT(patients, IsOk());
  // Each listing is held in a named variable: iterating a temporary's
  // value() would dangle.
  for (const auto& p : *patients) {
    t["patients"].push_back(registry::Canonical(p));
    auto assessments = (*tx)->ListAssessments(clinic, p.id).value();
    for (const auto& a : assessments) t["assessments"].push_back(registry::Canonical(a));
    auto sessions = (*tx)->ListPatientSessions(clinic, p.id).value();
    for (const auto& s : sessions) {
      t["sessions"].push_back(registry::Canonical(s));
      auto vitals = (*tx)->ListVitals(clinic, s.id).value();
      for (const auto& v : vitals) t["vitals"].push_back(registry::Canonical(v));
      auto events = (*tx)->ListAdverseEvents(clinic, s.id).value();
      for (const auto& e : events) t["adverse_events"].push_back(registry::Canonical(e));
      auto overrides = (*tx)->ListOverrides(clinic, s.id).value();
      for (const auto& o : overrides) t["overrides"].push_back(registry::Canonical(o));
    }
  }
  for (const auto& p : *patients) {
    // Clinical content of each facts version (an import records it anew:
    // when and by whom are the import's own).
    auto facts = (*tx)->ListPatientFacts(clinic, p.id).value();
    for (auto f : facts) {
      f.recorded_at = {};
      f.recorded_by.clear();
      t["facts"].push_back(registry::Canonical(f));
    }
  }
  auto ledger = (*tx)->ListLedger(clinic, "").value();
  for (const auto& l : ledger) t["ledger"].push_back(registry::Canonical(l));
  return t;
}

class RoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry::DemoOptions o;
    o.patients = 15;
    o.clinic_id = "c1";
    ASSERT_THAT(registry::GenerateDemo(store_, clock_, AcceptAll(), Libs(), o), IsOk());
    ASSERT_THAT(AddEveryKindOfRecord(store_, clock_, AcceptAll(), /*with_bad_byte=*/false), IsOk());
  }
  registry::FakeClock clock_{domain::FromUnixMicros(1'790'000'000'000'123)};
  storage::MemoryStore store_;
};

TEST_F(RoundTripTest, RegistryToRedcapToAnEmptyRegistryIsEqualTableByTableAndReImportChangesNothing) {
  auto dir = TempDir("redcap_rt");
  auto n = ExportRedcap(store_, "c1", dir.string());
  ASSERT_THAT(n, IsOk());
  EXPECT_GT(n->vitals, 0);
  EXPECT_GT(n->adverse_events, 0);
  EXPECT_GT(n->overrides, 0);
  EXPECT_GT(n->ledger, 0);
  std::ifstream rec_in(dir / "kira_records.csv");
  std::stringstream rec;
  rec << rec_in.rdbuf();
  ASSERT_TRUE(LooksLikeRedcapRecords(rec.str()));
  ParsedFile parsed = ParseRedcapRecords(rec.str(), "c1");
  ASSERT_TRUE(parsed.errors.empty()) << FormatRowError(parsed.errors[0]);
  storage::MemoryStore copy;

  ImportOptions io;
  io.libraries = Libs();
  auto report = ImportRows(copy, clock_, AcceptAll(), parsed, io);

  ASSERT_THAT(report, IsOk());
  ASSERT_TRUE(report->problems.empty()) << FormatRowError(report->problems[0]);
  EXPECT_TRUE(report->committed);
  EXPECT_EQ(report->rows_read, report->accepted);
  const auto want = Tables(store_, "c1"), got = Tables(copy, "c1");
  for (const char* table :
       {"patients", "facts", "sessions", "overrides", "vitals", "assessments", "adverse_events", "ledger"}) {
    ASSERT_TRUE(want.count(table)) << table;
    EXPECT_EQ(got.count(table) ? got.at(table) : std::vector<std::string>{}, want.at(table)) << table;
  }

  auto again = ImportRows(copy, clock_, AcceptAll(), parsed, io);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->unchanged, again->rows_read);
  EXPECT_FALSE(again->committed);
  EXPECT_EQ(Tables(copy, "c1"), got);
  std::filesystem::remove_all(dir);
}

TEST_F(RoundTripTest, RegistryToFhirToAnEmptyRegistryIsEqualOnEverythingFhirCarriesAndReImportChangesNothing) {
  auto dir = TempDir("fhir_rt");
  ASSERT_THAT(ExportFhir(store_, "c1", dir.string(), {TestRoutes(), Libs().instruments}), IsOk());
  auto parsed = ReadFhirBulk(dir.string(), "c1");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_TRUE(parsed->errors.empty()) << FormatRowError(parsed->errors[0]);
  storage::MemoryStore copy;

  ImportOptions io;
  io.libraries = Libs();
  auto report = ImportRows(copy, clock_, AcceptAll(), *parsed, io);

  ASSERT_THAT(report, IsOk());
  ASSERT_TRUE(report->problems.empty()) << FormatRowError(report->problems[0]);
  EXPECT_EQ(report->rows_read, report->accepted);
  auto want = Tables(store_, "c1"), got = Tables(copy, "c1");
  want.erase("ledger");  // the controlled-substance ledger has no FHIR resource in this export
  for (const auto& [table, rows] : want) {
    EXPECT_EQ(got.count(table) ? got.at(table) : std::vector<std::string>{}, rows) << table;
  }

  auto again = ImportRows(copy, clock_, AcceptAll(), *parsed, io);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->unchanged, again->rows_read);
  EXPECT_FALSE(again->committed);
  std::filesystem::remove_all(dir);
}

TEST(FhirImport, ProblemsNameFileLineAndElement) {
  std::map<std::string, std::string> files = {
      {"Patient.ndjson", "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\"}\n{\"resourceType\":\"Pat"},
      {"Encounter.ndjson", ""}};

  ParsedFile f = ParseFhirBulk(files, "c1");

  ASSERT_EQ(f.errors.size(), 4u);
  EXPECT_EQ(f.errors[0].line, 2);
  EXPECT_EQ(f.errors[0].field, "Patient.ndjson");
  EXPECT_THAT(f.errors[0].reason, HasSubstr("not a JSON object"));
  EXPECT_EQ(f.errors[1].line, 1);
  EXPECT_EQ(f.errors[1].field, "Patient.ndjson identifier");
  EXPECT_EQ(f.invalid_rows, 2);
  EXPECT_TRUE(ParseFhirBulk({{"Medication.ndjson", ""}}, "c1").fatal);
}

TEST_F(RoundTripTest, ARedcapRowOfOneInstrumentWithAnotherInstrumentsFieldIsNamed) {
  auto dir = TempDir("redcap_bad");
  ASSERT_THAT(ExportRedcap(store_, "c1", dir.string()), IsOk());
  std::ifstream rec_in(dir / "kira_records.csv");
  std::stringstream rec;
  rec << rec_in.rdbuf();
  auto records = ParseCsv(rec.str());
  ASSERT_THAT(records, IsOk());
  // Move a vital's value into the session form's given_dose_mg column.
  std::string text = CsvLine((*records)[0].fields);
  std::size_t given = 0, value = 0, instrument = 1;
  for (std::size_t i = 0; i < (*records)[0].fields.size(); ++i) {
    if ((*records)[0].fields[i] == "given_dose_mg") given = i;
    if ((*records)[0].fields[i] == "vital_value") value = i;
  }
  int line = 0;
  for (std::size_t r = 1; r < records->size(); ++r) {
    auto fields = (*records)[r].fields;
    if (line == 0 && fields[instrument] == "vital") {
      std::swap(fields[given], fields[value]);
      line = (*records)[r].line;
    }
    text += CsvLine(fields);
  }

  ParsedFile parsed = ParseRedcapRecords(text, "c1");

  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_EQ(parsed.errors[0].line, line);
  EXPECT_EQ(parsed.errors[0].field, "given_dose_mg");
  EXPECT_THAT(parsed.errors[0].reason, HasSubstr("a session field has a value on a vital row"));
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

TEST_F(ExportTest, ALimitedDataSetIsAnExplicitOptionWithShiftedDates) {
  auto dir = TempDir("lds");
  const auto path = (dir / "lds.csv").string();
  DeidentifyOptions o;
  o.limited_data_set = true;

  ASSERT_THAT(ExportDeidentified(store_, "c1", "a-secret-of-enough-length", path, o), IsOk());

  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto rows = ParseCsv(text.str());
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].fields[7], "session_date_shifted");
  EXPECT_THAT((*rows)[1].fields[7], ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}"));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("Jane")));
  std::filesystem::remove_all(dir);
}

TEST_F(ExportTest, AggregateCountsSuppressSmallCells) {
  auto dir = TempDir("agg");
  DeidentifyOptions o;
  o.aggregate_path = (dir / "agg.csv").string();

  auto n = ExportDeidentified(store_, "c1", "a-secret-of-enough-length", (dir / "d.csv").string(), o);

  ASSERT_THAT(n, IsOk());
  EXPECT_GT(n->suppressed_cells, 0);
  std::ifstream in(o.aggregate_path);
  std::stringstream text;
  text << in.rdbuf();
  auto rows = ParseCsv(text.str());
  ASSERT_THAT(rows, IsOk());
  for (std::size_t i = 1; i < rows->size(); ++i) {
    for (std::size_t c = 3; c < 6; ++c) {
      const std::string& v = (*rows)[i].fields[c];
      if (v == "<11") continue;
      EXPECT_TRUE(v == "0" || std::stoi(v) >= 11) << v;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(Deidentify, AdverseEventsLeaveOnlyAsCodedTerms) {
  EXPECT_EQ(CodedAeTerm(DefaultAeVocabulary(), "nausea"), "Nausea");
  EXPECT_EQ(CodedAeTerm(DefaultAeVocabulary(), "Respiratory_depression "), "Respiratory depression");
  EXPECT_EQ(CodedAeTerm(DefaultAeVocabulary(), "patient's husband John, 555-0199"), "Other (not coded)");
  auto own = ParseAeVocabulary("type,term\nemergence,Emergence reaction\n");
  ASSERT_THAT(own, IsOk());
  EXPECT_EQ(CodedAeTerm(*own, "emergence"), "Emergence reaction");
  EXPECT_THAT(ParseAeVocabulary("type,trem\n"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("did you mean 'term'")));
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
  // Strict Safe Harbor: years only, no free text (the relative's name, phone
  // and e-mail typed into an adverse-event type), coded terms instead.
  EXPECT_THAT(text.str(), ::testing::Not(::testing::ContainsRegex("20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]")));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("Jane")));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("555-0100")));
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("example.org")));
  EXPECT_THAT(text.str(), HasSubstr("Other (not coded)"));
  EXPECT_THAT(text.str(), HasSubstr("Respiratory depression"));
  EXPECT_THAT(text.str(), HasSubstr(",90+,"));  // born 1931, treated 2026
  auto rows = ParseCsv(text.str());
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].fields[0], "subject");
  EXPECT_EQ((*rows)[0].fields[7], "session_year");
  EXPECT_THAT(ExportDeidentified(store_, "c1", "short", path),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("--secret")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kira::interop
