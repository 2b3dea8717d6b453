// CSV ingest throughput into SQLite, with every Advisor check (issue 12,
// item 5), next to the raw SQLite baseline in the same run:
//   Ingest/<rows>     kira session CSV text -> ParseSessionCsv -> ImportRows
//                     into a fresh SQLite registry: each row validated,
//                     judged by the Advisor's dose check (guideline library
//                     and annual cap as shipped), stored with its patient and
//                     hash-chained audit rows, one transaction per file.
//   RawInsert/<rows>  the baseline: one prepared INSERT per row of the same
//                     values into a table of the same width, one transaction,
//                     same pragmas (WAL, synchronous=FULL).
//   KiraRows/<rows>   the floor for this schema: every row an Ingest/<rows>
//                     run stores (patients, facts, screenings, sessions,
//                     audit rows; read back from a finished import) inserted
//                     again with one prepared single-row INSERT per row into
//                     a fresh registry (same tables, indexes, constraints,
//                     pragmas), one transaction, connection closed. No
//                     parsing, no Advisor, no hashing: SQLite's own price for
//                     the rows kira must write.
// items_per_second is rows/s; the ratio Ingest/RawInsert is the price of
// validation, the Advisor and the audit trail.
//
// Run: build/bench/ingest_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/interop/csv.h"
#include "kira/interop/session_import.h"
#include "kira/registry/advisor.h"
#include "kira/registry/audit.h"
#include "kira/registry/clock.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace {

using namespace kira;  // NOLINT: benchmark file

constexpr int kSessionsPerPatient = 10;

void Die(const std::string& what) {
  std::fprintf(stderr, "ingest_bench: %s\n", what.c_str());
  std::abort();
}

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + rel, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `rows` sessions of rows/10 patients, one a week, in a realistic file: a
// 0.5 mg/kg 40-minute IV infusion at 1 mg/mL for weights 50..79 kg.
std::string MakeCsv(int rows) {
  std::vector<std::string> cols = interop::SessionCsvColumns();
  cols.resize(16);  // no state column: derived from the given dose
  cols.push_back("height_cm");
  std::string out = interop::CsvLine(cols);
  char buf[512];
  for (int i = 0; i < rows; ++i) {
    const int patient = i / kSessionsPerPatient, k = i % kSessionsPerPatient;
    const int weight = 50 + patient % 30;  // with height 165..194 cm: BMI below 30
    const double dose = 0.5 * weight;
    const double rate = dose * 1.5;  // mL/h at 1 mg/mL over 40 min
    std::snprintf(buf, sizeof buf,
                  "c1,P%07d,%s,%d,trd,P%07d-S%02d,iv-0.5-40min,2026-%02d-%02dT09:00:00Z,2026-%02d-%02dT09:40:00Z,"
                  "%d,%.1f,%.1f,1,%.2f,rn-%d,,%d\n",
                  patient, patient % 2 ? "female" : "male", 1950 + patient % 50, patient, k, 1 + k, 1 + patient % 28,
                  1 + k, 1 + patient % 28, weight, dose, dose, rate, patient % 7, 165 + patient % 30);
    out += buf;
  }
  return out;
}

struct Libraries {
  guideline::Library guideline;
  advisor::AdvisorLibrary advisor;
  instruments::InstrumentLibrary instruments;
};
const Libraries& Libs() {
  static const Libraries* libs = [] {
    auto g = api::ParseGuideline(ReadSource("guidelines/kira.json"));
    if (!g.ok()) Die(g.status().ToString());
    auto a = api::ParseAdvisorLibrary(ReadSource("guidelines/advisor.json"));
    if (!a.ok()) Die(a.status().ToString());
    auto i = api::ParseInstrumentLibrary(ReadSource("guidelines/instruments.json"));
    if (!i.ok()) Die(i.status().ToString());
    return new Libraries{std::move(g).value(), std::move(a).value(), std::move(i).value()};
  }();
  return *libs;
}

std::string TempDb(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("kira_ingest_") + name + "_" + std::to_string(getpid()) + ".db"))
      .string();
}
void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void BM_Ingest(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const std::string csv = MakeCsv(rows);
  const registry::DoseCheck check = registry::AdvisorDoseCheck(Libs().guideline, &Libs().advisor.annual_cap);
  interop::ParseOptions po;
  for (const auto& p : Libs().guideline.protocols) po.protocols.insert(p.id);
  registry::SystemClock clock;
  // The audit chain keyed as in production (HMAC-SHA-256 with the registry's key).
  registry::SetAuditKeys(registry::AuditKeys{std::string(32, 'k'), std::string(32, 's')});
  const std::string path = TempDb("kira");
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(path);
    storage::SqliteOptions so;
    so.path = path;
    so.page_cache_mib = 256;  // as `kira import` opens it (storage::OpenOptions::bulk_load)
    auto store = storage::SqliteStore::Open(so);
    if (!store.ok()) Die(store.status().ToString());
    state.ResumeTiming();
    interop::ParsedFile parsed = interop::ParseSessionCsv(csv, po);
    interop::ImportOptions io;
    io.libraries = registry::Libraries{&Libs().guideline, &Libs().advisor, &Libs().instruments};
    auto report = interop::ImportRows(**store, clock, check, parsed, io);
    if (!report.ok()) Die(report.status().ToString());
    if (report->accepted != rows) {
      Die("expected every row accepted, got " + std::to_string(report->accepted) + "; first problem: " +
          (report->problems.empty() ? "" : interop::FormatRowError(report->problems[0])));
    }
  }
  RemoveDb(path);
  state.SetItemsProcessed(state.iterations() * rows);
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) Die(err ? err : sql);
}

void BM_RawInsert(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const std::string path = TempDb("raw");
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(path);
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open");
    Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
             "CREATE TABLE s(clinic_id TEXT, id TEXT, patient_id TEXT, sex TEXT, birth_year INTEGER, indication TEXT,"
             " protocol_id TEXT, started_at INTEGER, stopped_at INTEGER, weight REAL, planned REAL, given REAL,"
             " conc REAL, rate REAL, recorded_by TEXT, PRIMARY KEY (clinic_id, id))");
    state.ResumeTiming();
    sqlite3_stmt* st = nullptr;
    Exec(db, "BEGIN");
    if (sqlite3_prepare_v2(db, "INSERT INTO s VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, nullptr) != SQLITE_OK) {
      Die("prepare");
    }
    char id[32], pid[32];
    for (int i = 0; i < rows; ++i) {
      const int patient = i / kSessionsPerPatient;
      std::snprintf(id, sizeof id, "P%07d-S%02d", patient, i % kSessionsPerPatient);
      std::snprintf(pid, sizeof pid, "P%07d", patient);
      sqlite3_bind_text(st, 1, "c1", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, pid, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 4, "female", -1, SQLITE_STATIC);
      sqlite3_bind_int(st, 5, 1970);
      sqlite3_bind_text(st, 6, "trd", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 7, "iv-0.5-40min", -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 8, 1'770'000'000'000'000 + i);
      sqlite3_bind_int64(st, 9, 1'770'000'002'400'000 + i);
      sqlite3_bind_double(st, 10, 70);
      sqlite3_bind_double(st, 11, 35);
      sqlite3_bind_double(st, 12, 35);
      sqlite3_bind_double(st, 13, 1);
      sqlite3_bind_double(st, 14, 52.5);
      sqlite3_bind_text(st, 15, "rn-1", -1, SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE) Die("step");
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    Exec(db, "COMMIT");
    state.PauseTiming();
    sqlite3_close(db);
    state.ResumeTiming();
  }
  RemoveDb(path);
  state.SetItemsProcessed(state.iterations() * rows);
}

// --- KiraRows: SQLite's own insert + commit time for the rows kira stores ---
using Cell = std::variant<std::monostate, sqlite3_int64, double, std::string>;
struct TableRows {
  std::string name;
  int columns = 0;
  std::vector<Cell> cells;  // row-major
};

// The rows an import of `rows` CSV rows stores, table by table (tables the
// fresh registry fills itself -- schema versions -- are left out).
const std::vector<TableRows>& KiraRowsOf(int rows) {
  static std::map<int, std::vector<TableRows>> cache;
  if (auto it = cache.find(rows); it != cache.end()) return it->second;
  const std::string src = TempDb("floor_src"), empty = TempDb("floor_empty");
  RemoveDb(src);
  RemoveDb(empty);
  {
    storage::SqliteOptions so;
    so.path = src;
    so.page_cache_mib = 256;
    auto store = storage::SqliteStore::Open(so);
    if (!store.ok()) Die(store.status().ToString());
    interop::ParseOptions po;
    for (const auto& p : Libs().guideline.protocols) po.protocols.insert(p.id);
    registry::SystemClock clock;
    registry::SetAuditKeys(registry::AuditKeys{std::string(32, 'k'), std::string(32, 's')});
    interop::ImportOptions io;
    io.libraries = registry::Libraries{&Libs().guideline, &Libs().advisor, &Libs().instruments};
    auto report = interop::ImportRows(**store, clock, registry::AdvisorDoseCheck(Libs().guideline, &Libs().advisor.annual_cap),
                                      interop::ParseSessionCsv(MakeCsv(rows), po), io);
    if (!report.ok() || report->accepted != rows) Die("floor: import failed");
    storage::SqliteOptions eo;
    eo.path = empty;
    if (!storage::SqliteStore::Open(eo).ok()) Die("floor: empty registry");
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(src.c_str(), &db) != SQLITE_OK) Die("floor: open");
  const std::string attach = "ATTACH '" + empty + "' AS e";
  Exec(db, attach.c_str());
  std::vector<TableRows> out;
  sqlite3_stmt* tables = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid", -1,
                     &tables, nullptr);
  while (sqlite3_step(tables) == SQLITE_ROW) {
    TableRows t;
    t.name = reinterpret_cast<const char*>(sqlite3_column_text(tables, 0));
    // Skip a table the fresh registry already holds rows of.
    sqlite3_stmt* q = nullptr;
    const std::string count = "SELECT (SELECT count(*) FROM e.\"" + t.name + "\"), (SELECT count(*) FROM main.\"" + t.name + "\")";
    if (sqlite3_prepare_v2(db, count.c_str(), -1, &q, nullptr) != SQLITE_OK) Die("floor: count");
    sqlite3_step(q);
    const bool skip = sqlite3_column_int64(q, 0) > 0 || sqlite3_column_int64(q, 1) == 0;
    sqlite3_finalize(q);
    if (skip) continue;
    const std::string sel = "SELECT * FROM main.\"" + t.name + "\" ORDER BY rowid";
    if (sqlite3_prepare_v2(db, sel.c_str(), -1, &q, nullptr) != SQLITE_OK) Die("floor: select " + t.name);
    t.columns = sqlite3_column_count(q);
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int c = 0; c < t.columns; ++c) {
        switch (sqlite3_column_type(q, c)) {
          case SQLITE_INTEGER: t.cells.emplace_back(sqlite3_column_int64(q, c)); break;
          case SQLITE_FLOAT: t.cells.emplace_back(sqlite3_column_double(q, c)); break;
          case SQLITE_NULL: t.cells.emplace_back(std::monostate{}); break;
          default:
            t.cells.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, c)),
                                             static_cast<std::size_t>(sqlite3_column_bytes(q, c))));
        }
      }
    }
    sqlite3_finalize(q);
    out.push_back(std::move(t));
  }
  sqlite3_finalize(tables);
  sqlite3_close(db);
  RemoveDb(src);
  RemoveDb(empty);
  return cache.emplace(rows, std::move(out)).first->second;
}

void BM_KiraRows(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const std::vector<TableRows>& tables = KiraRowsOf(rows);
  std::int64_t stored = 0;
  for (const auto& t : tables) {
    stored += static_cast<std::int64_t>(t.cells.size()) / t.columns;
    state.counters["rows_" + t.name] = static_cast<double>(t.cells.size() / static_cast<std::size_t>(t.columns));
  }
  const std::string path = TempDb("floor");
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(path);
    {
      storage::SqliteOptions so;
      so.path = path;
      if (!storage::SqliteStore::Open(so).ok()) Die("floor: fresh registry");
    }
    state.ResumeTiming();
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open");
    Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144;");
    Exec(db, "BEGIN IMMEDIATE");
    for (const auto& t : tables) {
      std::string sql = "INSERT INTO \"" + t.name + "\" VALUES (?";
      for (int c = 1; c < t.columns; ++c) sql += ",?";
      sql += ")";
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) Die("prepare " + sql);
      for (std::size_t r = 0; r < t.cells.size(); r += static_cast<std::size_t>(t.columns)) {
        for (int c = 0; c < t.columns; ++c) {
          const Cell& v = t.cells[r + static_cast<std::size_t>(c)];
          if (const auto* i = std::get_if<sqlite3_int64>(&v)) {
            sqlite3_bind_int64(st, c + 1, *i);
          } else if (const auto* d = std::get_if<double>(&v)) {
            sqlite3_bind_double(st, c + 1, *d);
          } else if (const auto* s = std::get_if<std::string>(&v)) {
            sqlite3_bind_text(st, c + 1, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
          } else {
            sqlite3_bind_null(st, c + 1);
          }
        }
        if (sqlite3_step(st) != SQLITE_DONE) Die(std::string("step ") + t.name + ": " + sqlite3_errmsg(db));
        sqlite3_reset(st);
      }
      sqlite3_finalize(st);
    }
    Exec(db, "COMMIT");
    sqlite3_close(db);
  }
  RemoveDb(path);
  state.counters["rows_stored"] = static_cast<double>(stored);
  state.SetItemsProcessed(state.iterations() * rows);
}

BENCHMARK(BM_Ingest)->Name("Ingest")->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_RawInsert)->Name("RawInsert")->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_KiraRows)->Name("KiraRows")->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
