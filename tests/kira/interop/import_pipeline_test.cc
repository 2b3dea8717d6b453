// A large CSV import (several chunks: the decisions of one chunk made while
// the chunk before it is written behind on another thread, new patients'
// rows and first facts kept for multi-row writes) stores exactly what the
// same rows store when imported a few hundred at a time (one chunk per file,
// nothing overlapping): the same report counts, patients, facts versions,
// screenings, sessions with their decisions, and the same audit content
// record by record (a batch audit row stands for the rows it holds); both
// chains verify. On SQLite, in memory, and on PostgreSQL when KIRA_PG_DSN
// is set. A second file into the now non-empty registry (known patients,
// new ones, repeats) checks the path that reads the store row by row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/interop/csv.h"
#include "kira/interop/session_import.h"
#include "kira/registry/advisor.h"
#include "kira/registry/audit.h"
#include "kira/registry/canonical.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/memory/memory_store.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "testing/advisor_fixtures.h"

namespace kira::interop {
namespace {

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

// Session rows `first`..`last` of patients with 10 sessions each (a dose
// above the limit now and then: refused), in a shuffled order.
std::vector<std::string> Rows(int first, int last, bool refusals) {
  std::vector<std::string> rows;
  char buf[512];
  for (int i = first; i < last; ++i) {
    const int patient = i / 10, k = i % 10;
    const int weight = 50 + patient % 30;
    const double dose = (refusals && i % 97 == 5 ? 2.5 : 0.5) * weight;
    std::snprintf(buf, sizeof buf,
                  "c1,P%06d,%s,%d,trd,P%06d-S%02d,iv-0.5-40min,2025-%02d-%02dT09:00:00Z,2025-%02d-%02dT09:40:00Z,"
                  "%d,%.1f,%.1f,1,%.2f,rn-%d,,%d\n",
                  patient, patient % 2 ? "female" : "male", 1950 + patient % 50, patient, k, 1 + k,
                  1 + patient % 28, 1 + k, 1 + patient % 28, weight, dose, dose, dose * 1.5, patient % 7,
                  165 + patient % 30);
    rows.emplace_back(buf);
  }
  std::reverse(rows.begin(), rows.end());
  return rows;
}

std::string Csv(const std::vector<std::string>& rows, std::size_t from, std::size_t to) {
  std::vector<std::string> cols = SessionCsvColumns();
  cols.resize(16);
  cols.push_back("height_cm");
  std::string out = CsvLine(cols);
  for (std::size_t i = from; i < to && i < rows.size(); ++i) out += rows[i];
  return out;
}

struct Totals {
  int accepted = 0, refused = 0, invalid = 0, unchanged = 0;
  bool operator==(const Totals&) const = default;
};

Totals Import(storage::Store& store, const registry::Clock& clock, const std::vector<std::string>& rows,
              std::size_t per_file, ImportMode mode) {
  ParseOptions po;
  for (const auto& p : Libs().guideline->protocols) po.protocols.insert(p.id);
  ImportOptions io;
  io.libraries = Libs();
  io.mode = mode;
  Totals t;
  for (std::size_t from = 0; from < rows.size(); from += per_file) {
    auto report = ImportRows(store, clock, registry::AdvisorDoseCheck(*Libs().guideline, &Libs().advisor->annual_cap),
                             ParseSessionCsv(Csv(rows, from, from + per_file), po), io);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return t;
    EXPECT_TRUE(report->committed);
    t.accepted += report->accepted;
    t.refused += report->refused;
    t.invalid += report->invalid;
    t.unchanged += report->unchanged;
  }
  return t;
}

// Everything the registry holds for clinic c1, as comparable text.
struct Content {
  std::vector<std::string> records;  // patients, facts, screenings, sessions
  std::vector<std::string> audit;    // one entry per record audited, sorted
  bool operator==(const Content&) const = default;
};

Content Read(storage::Store& store) {
  Content out;
  auto tx = store.Begin();
  EXPECT_TRUE(tx.ok());
  if (!tx.ok()) return out;
  auto patients = (*tx)->ListPatients("c1", {"", 1000000});
  EXPECT_TRUE(patients.ok());
  for (const auto& p : *patients) {
    out.records.push_back(registry::Canonical(p));
    auto facts = (*tx)->ListPatientFacts("c1", p.id);
    EXPECT_TRUE(facts.ok());
    for (const auto& f : *facts) {
      out.records.push_back(registry::Canonical(f));
      for (const auto& route : Libs().guideline->routes) {
        auto s = (*tx)->GetScreening("c1", p.id, f.version, route.id);
        EXPECT_TRUE(s.ok()) << p.id << " " << route.id;
        if (s.ok()) out.records.push_back(registry::Canonical(*s));
      }
    }
  }
  auto sessions = (*tx)->ListSessions("c1", {"", 1000000});
  EXPECT_TRUE(sessions.ok());
  for (const auto& s : *sessions) {
    out.records.push_back(registry::Canonical(s));
    // Decided on the patient's stored facts and screening.
    auto facts = (*tx)->GetCurrentPatientFacts("c1", s.patient_id);
    EXPECT_TRUE(facts.ok());
    if (facts.ok()) {
      EXPECT_EQ(s.facts_version, facts->version) << s.id;
    }
    auto screening = (*tx)->GetScreening("c1", s.patient_id, s.facts_version, "iv");
    EXPECT_TRUE(screening.ok()) << s.id;
    if (screening.ok()) {
      EXPECT_EQ(s.screening_outcome, screening->outcome) << s.id;
    }
  }
  std::sort(out.records.begin(), out.records.end());
  auto audit = (*tx)->ListAudit("c1", 0, 10000000);
  EXPECT_TRUE(audit.ok());
  for (const auto& e : *audit) {
    if (e.entity != registry::kAuditBatchEntity) {
      out.audit.push_back(e.action + " " + e.entity + " " + e.entity_id + "\n" + e.before + "\n" + e.after);
      continue;
    }
    // "record=KIND\n<canonical text>" one after the other.
    std::size_t at = 0;
    while (at < e.after.size()) {
      const std::size_t line_end = e.after.find('\n', at);
      std::size_t next = e.after.find("\nrecord=", line_end);
      next = next == std::string::npos ? e.after.size() : next + 1;
      out.audit.push_back(e.action + " " + e.after.substr(at + 7, line_end - at - 7) + "\n" +
                          e.after.substr(line_end + 1, next - line_end - 1));
      at = next;
    }
  }
  std::sort(out.audit.begin(), out.audit.end());
  tx->reset();
  auto verified = registry::VerifyAudit(store, "c1");
  EXPECT_TRUE(verified.ok() && verified->ok) << (verified.ok() ? verified->problem : verified.status().ToString());
  return out;
}

std::string UniqueName(const char* prefix) {
  static std::atomic<int> n{0};
  return std::string(prefix) + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

class ImportPipelineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { registry::SetAuditKeys(registry::AuditKeys{std::string(32, 'k'), std::string(32, 's')}); }
  void TearDown() override {
    registry::SetAuditKeys(std::nullopt);
    for (const auto& d : dirs_) std::filesystem::remove_all(d);
  }
  std::unique_ptr<storage::Store> Open() {
    if (GetParam() == "memory") return std::make_unique<storage::MemoryStore>();
    if (GetParam() == "sqlite") {
      const auto dir = std::filesystem::temp_directory_path() / UniqueName("kira_pipeline_");
      std::filesystem::create_directories(dir);
      dirs_.push_back(dir);
      auto s = storage::SqliteStore::Open({.path = (dir / "kira.db").string()});
      if (!s.ok()) std::abort();
      return std::move(s).value();
    }
    const char* dsn = std::getenv("KIRA_PG_DSN");
    auto s = storage::PostgresStore::Open({.dsn = dsn, .schema = UniqueName("pipe_"), .pool_size = 2});
    if (!s.ok()) std::abort();
    return std::move(s).value();
  }
  std::vector<std::filesystem::path> dirs_;
};

TEST_P(ImportPipelineTest, OneLargeFileStoresWhatSmallFilesStore) {
  if (GetParam() == "postgres" && (std::getenv("KIRA_PG_DSN") == nullptr || *std::getenv("KIRA_PG_DSN") == '\0')) {
    GTEST_SKIP() << "KIRA_PG_DSN not set";
  }
  const registry::FakeClock clock(std::chrono::sys_days{std::chrono::year{2026} / 1 / 15});
  // Three chunks of the import; refusals among them (a partial import:
  // a first pass decides, a second writes the accepted rows).
  const std::vector<std::string> first = Rows(0, 17'500, true);
  // Known patients (more sessions, and repeats of stored rows) and new ones,
  // all acceptable (all or nothing: one pass).
  std::vector<std::string> second = Rows(17'000, 18'500, false);
  const std::vector<std::string> repeats = Rows(16'900, 17'000, false);
  second.insert(second.end(), repeats.begin(), repeats.end());

  auto large = Open();
  auto small = Open();
  const Totals a1 = Import(*large, clock, first, first.size(), ImportMode::kPartial);
  const Totals b1 = Import(*small, clock, first, 700, ImportMode::kPartial);
  EXPECT_EQ(a1, b1);
  EXPECT_GT(a1.accepted, 17'000);
  EXPECT_GT(a1.refused, 100);
  const Totals a2 = Import(*large, clock, second, second.size(), ImportMode::kAllOrNothing);
  const Totals b2 = Import(*small, clock, second, 700, ImportMode::kAllOrNothing);
  EXPECT_EQ(a2, b2);
  EXPECT_GT(a2.unchanged, 590);  // rows 16,900..17,499 were stored by the first file (but for refusals)
  EXPECT_GT(a2.accepted, 1'000);
  const Content x = Read(*large), y = Read(*small);
  EXPECT_EQ(x.records.size(), y.records.size());
  EXPECT_TRUE(x.records == y.records);
  EXPECT_EQ(x.audit.size(), y.audit.size());
  EXPECT_TRUE(x.audit == y.audit);
  EXPECT_GT(x.records.size(), 18'500u);
}

// A large file is read in two halves at once when it has no quotes: what it
// reads -- rows, problems with their line and column, the count of bad rows,
// an encoding error and its line -- is what the one-pass reader reads (the
// same file with its header's first name quoted is read in one pass).
TEST(ParseSessionCsvTest, ALargeFileReadInTwoHalvesReadsWhatOnePassReads) {
  ParseOptions po;
  for (const auto& p : Libs().guideline->protocols) po.protocols.insert(p.id);
  std::vector<std::string> rows = Rows(0, 12'000, false);
  std::reverse(rows.begin(), rows.end());
  // Problems all over the file: a bad number, a short row, a blank line, a
  // CRLF line end, a missing dose.
  for (std::size_t i = 7; i < rows.size(); i += 1'777) {
    std::string& r = rows[i];
    switch (i % 5) {
      case 0: r.replace(r.find(",rn-"), 4, ",rn-x,"); break;  // one field too many
      case 1: r = r.substr(0, r.find(",iv-")) + "\n"; break;  // short
      case 2: r = "\n" + r; break;                                   // blank line before
      case 3: r.insert(r.size() - 1, "\r"); break;                   // CRLF
      default: r.replace(r.find(",1,"), 3, ",one,"); break;          // not a number
    }
  }
  const std::string plain = Csv(rows, 0, rows.size());
  ASSERT_GT(plain.size(), std::size_t{1} << 20);
  const std::string quoted = "\"" + plain.substr(0, plain.find(',')) + "\"" + plain.substr(plain.find(','));
  auto same = [&](const std::string& a, const std::string& b) -> ParsedFile {
    ParsedFile x = ParseSessionCsv(a, po);
    const ParsedFile y = ParseSessionCsv(b, po);
    EXPECT_EQ(x.fatal, y.fatal);
    EXPECT_EQ(x.invalid_rows, y.invalid_rows);
    EXPECT_EQ(x.rows.size(), y.rows.size());
    for (std::size_t i = 0; i < x.rows.size() && i < y.rows.size(); ++i) {
      EXPECT_EQ(x.rows[i].line, y.rows[i].line) << i;
      EXPECT_EQ(registry::Canonical(x.rows[i].session), registry::Canonical(y.rows[i].session)) << i;
      EXPECT_EQ(registry::Canonical(x.rows[i].patient), registry::Canonical(y.rows[i].patient)) << i;
    }
    EXPECT_EQ(x.errors.size(), y.errors.size());
    for (std::size_t i = 0; i < x.errors.size() && i < y.errors.size(); ++i) EXPECT_EQ(FormatRowError(x.errors[i]), FormatRowError(y.errors[i]));
    return x;
  };
  const ParsedFile parsed = same(plain, quoted);
  EXPECT_GT(parsed.rows.size(), 11'990u);
  EXPECT_GE(parsed.invalid_rows, 4);
  EXPECT_GT(parsed.rows.back().line, 12'000);
  // A byte that is not UTF-8 near the end: the whole file is refused, naming its line.
  std::string bad = plain, bad_quoted = quoted;
  bad[bad.size() - 30] = '\xff';
  bad_quoted[bad_quoted.size() - 30] = '\xff';
  const ParsedFile refused = same(bad, bad_quoted);
  EXPECT_TRUE(refused.fatal);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_GT(refused.errors[0].line, 12'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportPipelineTest, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace kira::interop
