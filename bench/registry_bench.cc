// Registry write throughput and size on disk (issue 4, item 9).
//
// For each backend (SQLite always; PostgreSQL when KIRA_PG_DSN is set), in
// the same run and on the same database:
//   Store/<backend>/<batch>   sessions recorded through the Store interface
//                             (Begin, InsertSession x batch, Commit)
//   Raw/<backend>/<batch>     the baseline: a raw prepared INSERT of the same
//                             row (BEGIN, INSERT x batch, COMMIT) on the
//                             backend's own API
//   Registry/<backend>/<batch> the full use case: Advisor callable (accept),
//                             session + hash-chained audit row
// batch = sessions per transaction (1: one durable commit per session).
// Disk/<backend>: bytes per 1M sessions, extrapolated linearly from 100,000
// sessions recorded through the registry use case (session + audit row).
//
// Run: build/registry_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// This benchmark includes sqlite3.h and libpq-fe.h for the raw baselines
// only; kira's own code reaches them solely through storage/.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "kira/registry/clinical.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace {

using namespace kira;  // NOLINT: benchmark file

std::atomic<long> g_id{0};
constexpr long kPatients = 10'000;

domain::SessionRecord MakeSession(long n) {
  domain::SessionRecord s;
  s.clinic_id = "c1";
  s.id = "s" + std::to_string(n);
  // Realistic history sizes: the use case loads the patient's stored
  // sessions for the dose check, so sessions are spread over patients.
  s.patient_id = "p" + std::to_string(n % kPatients);
  s.protocol_id = "iv-0.5-40min";
  s.state = domain::SessionState::kDischarged;
  s.dosing_weight = units::Kg(70);
  s.planned_dose = units::Mg(35);
  s.given_dose = units::Mg(35);
  s.concentration = units::MgPerMl(1);
  s.rate = units::MlPerH(52.5);
  s.started_at = domain::FromUnixMicros(1'770'000'000'000'000 + n * 60'000'000);
  s.stopped_at = s.started_at + std::chrono::minutes(40);
  s.recorded_by = "u1";
  s.decision_outcome = "ok";
  return s;
}

registry::DoseCheck Accept() {
  return [](const registry::DoseCheckInput&) -> StatusOr<domain::Decision> {
    return domain::Decision{"ok", {}, {}, {}, std::nullopt};
  };
}

void Check(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "registry_bench: %s\n", s.ToString().c_str());
    std::abort();
  }
}

void Seed(storage::Store& store) {
  registry::SystemClock clock;
  Check(registry::RunInUnitOfWork(store, clock, "bench", [](registry::UnitOfWork& uow) -> Status {
    if (uow.tx().GetClinic("c1").ok()) return Status::Ok();
    KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, {"c1", "Bench", "UTC"}));
    for (long p = 0; p < kPatients; ++p) {
      KIRA_RETURN_IF_ERROR(registry::AddPatient(uow, {"c1", "p" + std::to_string(p), "female", 1980, "trd"}, std::nullopt));
    }
    return Status::Ok();
  }));
}

std::string BenchDir() {
  auto d = std::filesystem::temp_directory_path() / ("kira_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

// ---- SQLite ----

struct SqliteFixture {
  std::string path;
  std::unique_ptr<storage::SqliteStore> store;
  sqlite3* raw = nullptr;
  sqlite3_stmt* insert = nullptr;

  static SqliteFixture& Get() {
    static SqliteFixture f;
    if (!f.store) {
      f.path = BenchDir() + "/bench.db";
      auto s = storage::SqliteStore::Open({.path = f.path});
      Check(s.status());
      f.store = std::move(s).value();
      Seed(*f.store);
      sqlite3_open(f.path.c_str(), &f.raw);
      sqlite3_exec(f.raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", nullptr,
                   nullptr, nullptr);
      sqlite3_busy_timeout(f.raw, 5000);
      sqlite3_prepare_v2(f.raw,
                         "INSERT INTO sessions (clinic_id, id, patient_id, protocol_id, state, dosing_weight_kg, "
                         "planned_dose_mg, given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, started_at_us, "
                         "stopped_at_us, recorded_by, decision_outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                         "?10, ?11, ?12, ?13, ?14)",
                         -1, &f.insert, nullptr);
    }
    return f;
  }
};

void StoreBatch(storage::Store& store, int batch) {
  auto tx = store.Begin();
  Check(tx.status());
  for (int i = 0; i < batch; ++i) Check((*tx)->InsertSession(MakeSession(g_id++)));
  Check((*tx)->Commit());
}

void RegistryBatch(storage::Store& store, int batch) {
  static registry::SystemClock clock;
  registry::SessionRecorder rec(&store, &clock, Accept());
  Check(registry::RunInUnitOfWork(store, clock, "u1", [&](registry::UnitOfWork& uow) -> Status {
    for (int i = 0; i < batch; ++i) {
      KIRA_ASSIGN_OR_RETURN(auto r, rec.RecordIn(uow, {MakeSession(g_id++), "u1", std::nullopt}));
      (void)r;
    }
    return Status::Ok();
  }));
}

void BM_Store_Sqlite(benchmark::State& state) {
  auto& f = SqliteFixture::Get();
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) StoreBatch(*f.store, batch);
  state.SetItemsProcessed(state.iterations() * batch);
}

void RawSqliteBatch(SqliteFixture& f, int batch) {
  {
    sqlite3_exec(f.raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int i = 0; i < batch; ++i) {
      const auto s = MakeSession(g_id++);
      sqlite3_stmt* st = f.insert;
      sqlite3_bind_text(st, 1, s.clinic_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, s.id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, s.patient_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, s.protocol_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, "completed", -1, SQLITE_STATIC);
      sqlite3_bind_double(st, 6, units::ToKg(s.dosing_weight));
      sqlite3_bind_double(st, 7, units::ToMg(s.planned_dose));
      sqlite3_bind_double(st, 8, units::ToMg(*s.given_dose));
      sqlite3_bind_double(st, 9, units::ToMgPerMl(*s.concentration));
      sqlite3_bind_double(st, 10, units::ToMlPerH(*s.rate));
      sqlite3_bind_int64(st, 11, domain::ToUnixMicros(s.started_at));
      sqlite3_bind_int64(st, 12, domain::ToUnixMicros(*s.stopped_at));
      sqlite3_bind_text(st, 13, s.recorded_by.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 14, s.decision_outcome.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(st) != SQLITE_DONE) {
        std::fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(f.raw));
        std::abort();
      }
      sqlite3_reset(st);
    }
    sqlite3_exec(f.raw, "COMMIT", nullptr, nullptr, nullptr);
  }
}

void BM_Raw_Sqlite(benchmark::State& state) {
  auto& f = SqliteFixture::Get();
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) RawSqliteBatch(f, batch);
  state.SetItemsProcessed(state.iterations() * batch);
}

// Store and Raw alternately, timed separately, in the same iterations: the
// fsync latency of a shared disk drifts by a factor of ten over minutes, so
// only interleaved timings give a fair ratio. The order alternates too.
template <class A, class B>
void Interleave(benchmark::State& state, A store_batch, B raw_batch) {
  using Clock = std::chrono::steady_clock;
  const int batch = static_cast<int>(state.range(0));
  double store_s = 0, raw_s = 0;
  long rounds = 0;
  for (auto _ : state) {
    auto time = [](auto&& fn) {
      const auto t0 = Clock::now();
      fn();
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    if (rounds % 2 == 0) {
      store_s += time([&] { store_batch(batch); });
      raw_s += time([&] { raw_batch(batch); });
    } else {
      raw_s += time([&] { raw_batch(batch); });
      store_s += time([&] { store_batch(batch); });
    }
    ++rounds;
  }
  const double n = static_cast<double>(rounds) * batch;
  state.counters["store_per_s"] = n / store_s;
  state.counters["raw_per_s"] = n / raw_s;
  state.counters["store_over_raw"] = raw_s / store_s;
}

void BM_Interleaved_Sqlite(benchmark::State& state) {
  auto& f = SqliteFixture::Get();
  Interleave(state, [&](int b) { StoreBatch(*f.store, b); }, [&](int b) { RawSqliteBatch(f, b); });
}

// The same, with the whole registry use case in place of the Store call.
void BM_InterleavedRegistry_Sqlite(benchmark::State& state) {
  auto& f = SqliteFixture::Get();
  Interleave(state, [&](int b) { RegistryBatch(*f.store, b); }, [&](int b) { RawSqliteBatch(f, b); });
}

void RegistryLoop(benchmark::State& state, storage::Store& store) {
  registry::SystemClock clock;
  registry::SessionRecorder rec(&store, &clock, Accept());
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Check(registry::RunInUnitOfWork(store, clock, "u1", [&](registry::UnitOfWork& uow) -> Status {
      for (int i = 0; i < batch; ++i) {
        KIRA_ASSIGN_OR_RETURN(auto r, rec.RecordIn(uow, {MakeSession(g_id++), "u1", std::nullopt}));
        (void)r;
      }
      return Status::Ok();
    }));
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_Registry_Sqlite(benchmark::State& state) { RegistryLoop(state, *SqliteFixture::Get().store); }

constexpr long kDiskSessions = 100'000;
constexpr int kDiskBatch = 1000;

void BM_Disk_Sqlite(benchmark::State& state) {
  for (auto _ : state) {
    const std::string path = BenchDir() + "/disk.db";
    std::filesystem::remove(path);
    auto s = storage::SqliteStore::Open({.path = path});
    Check(s.status());
    Seed(**s);
    Check((*s)->ExecForTesting("PRAGMA wal_checkpoint(TRUNCATE)"));
    const auto empty = std::filesystem::file_size(path);
    registry::SystemClock clock;
    registry::SessionRecorder rec(s->get(), &clock, Accept());
    for (long done = 0; done < kDiskSessions; done += kDiskBatch) {
      Check(registry::RunInUnitOfWork(**s, clock, "u1", [&](registry::UnitOfWork& uow) -> Status {
        for (int i = 0; i < kDiskBatch; ++i) {
          KIRA_ASSIGN_OR_RETURN(auto r, rec.RecordIn(uow, {MakeSession(done + i), "u1", std::nullopt}));
          (void)r;
        }
        return Status::Ok();
      }));
    }
    Check((*s)->ExecForTesting("PRAGMA wal_checkpoint(TRUNCATE)"));
    const auto bytes = std::filesystem::file_size(path) - empty;
    state.counters["sessions_measured"] = static_cast<double>(kDiskSessions);
    state.counters["bytes_per_session"] = static_cast<double>(bytes) / kDiskSessions;
    state.counters["MB_per_1M_sessions"] = static_cast<double>(bytes) / kDiskSessions * 1e6 / 1e6;
    s->reset();
    std::filesystem::remove(path);
  }
}

// ---- PostgreSQL (only with KIRA_PG_DSN) ----

const char* PgDsn() {
  const char* d = std::getenv("KIRA_PG_DSN");
  return d && *d ? d : nullptr;
}

struct PgFixture {
  std::unique_ptr<storage::PostgresStore> store;
  PGconn* raw = nullptr;

  static PgFixture* Get() {
    static PgFixture f;
    if (!PgDsn()) return nullptr;
    if (!f.store) {
      const std::string schema = "bench_" + std::to_string(::getpid());
      auto s = storage::PostgresStore::Open({.dsn = PgDsn(), .schema = schema, .pool_size = 2});
      Check(s.status());
      f.store = std::move(s).value();
      Seed(*f.store);
      f.raw = PQconnectdb(PgDsn());
      PQclear(PQexec(f.raw, ("SET search_path TO " + schema).c_str()));
      PQclear(PQprepare(f.raw, "raw_insert",
                        "INSERT INTO sessions (clinic_id, id, patient_id, protocol_id, state, dosing_weight_kg, "
                        "planned_dose_mg, given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, started_at_us, "
                        "stopped_at_us, recorded_by, decision_outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                        "$10, $11, $12, $13, $14)",
                        14, nullptr));
    }
    return &f;
  }
};

void BM_Store_Postgres(benchmark::State& state) {
  auto* f = PgFixture::Get();
  if (!f) return state.SkipWithError("KIRA_PG_DSN not set");
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) StoreBatch(*f->store, batch);
  state.SetItemsProcessed(state.iterations() * batch);
}

void RawPostgresBatch(PgFixture* f, int batch) {
  {
    PQclear(PQexec(f->raw, "BEGIN"));
    for (int i = 0; i < batch; ++i) {
      const auto s = MakeSession(g_id++);
      char buf[6][32];
      std::snprintf(buf[0], 32, "%.17g", units::ToKg(s.dosing_weight));
      std::snprintf(buf[1], 32, "%.17g", units::ToMg(s.planned_dose));
      std::snprintf(buf[2], 32, "%.17g", units::ToMg(*s.given_dose));
      std::snprintf(buf[3], 32, "%.17g", units::ToMgPerMl(*s.concentration));
      std::snprintf(buf[4], 32, "%.17g", units::ToMlPerH(*s.rate));
      const std::string start = std::to_string(domain::ToUnixMicros(s.started_at));
      const std::string stop = std::to_string(domain::ToUnixMicros(*s.stopped_at));
      const char* values[14] = {s.clinic_id.c_str(), s.id.c_str(), s.patient_id.c_str(), s.protocol_id.c_str(),
                                "completed", buf[0], buf[1], buf[2], buf[3], buf[4], start.c_str(), stop.c_str(),
                                s.recorded_by.c_str(), s.decision_outcome.c_str()};
      PGresult* r = PQexecPrepared(f->raw, "raw_insert", 14, values, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        std::fprintf(stderr, "raw insert: %s\n", PQresultErrorMessage(r));
        std::abort();
      }
      PQclear(r);
    }
    PQclear(PQexec(f->raw, "COMMIT"));
  }
}

void BM_Raw_Postgres(benchmark::State& state) {
  auto* f = PgFixture::Get();
  if (!f) return state.SkipWithError("KIRA_PG_DSN not set");
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) RawPostgresBatch(f, batch);
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_Interleaved_Postgres(benchmark::State& state) {
  auto* f = PgFixture::Get();
  if (!f) return state.SkipWithError("KIRA_PG_DSN not set");
  Interleave(state, [&](int b) { StoreBatch(*f->store, b); }, [&](int b) { RawPostgresBatch(f, b); });
}

void BM_InterleavedRegistry_Postgres(benchmark::State& state) {
  auto* f = PgFixture::Get();
  if (!f) return state.SkipWithError("KIRA_PG_DSN not set");
  Interleave(state, [&](int b) { RegistryBatch(*f->store, b); }, [&](int b) { RawPostgresBatch(f, b); });
}

void BM_Registry_Postgres(benchmark::State& state) {
  auto* f = PgFixture::Get();
  if (!f) return state.SkipWithError("KIRA_PG_DSN not set");
  RegistryLoop(state, *f->store);
}

void BM_Disk_Postgres(benchmark::State& state) {
  if (!PgDsn()) return state.SkipWithError("KIRA_PG_DSN not set");
  for (auto _ : state) {
    const std::string schema = "disk_" + std::to_string(::getpid());
    auto s = storage::PostgresStore::Open({.dsn = PgDsn(), .schema = schema, .pool_size = 1});
    Check(s.status());
    Seed(**s);
    registry::SystemClock clock;
    registry::SessionRecorder rec(s->get(), &clock, Accept());
    for (long done = 0; done < kDiskSessions; done += kDiskBatch) {
      Check(registry::RunInUnitOfWork(**s, clock, "u1", [&](registry::UnitOfWork& uow) -> Status {
        for (int i = 0; i < kDiskBatch; ++i) {
          KIRA_ASSIGN_OR_RETURN(auto r, rec.RecordIn(uow, {MakeSession(done + i), "u1", std::nullopt}));
          (void)r;
        }
        return Status::Ok();
      }));
    }
    PGconn* c = PQconnectdb(PgDsn());
    PQclear(PQexec(c, ("SET search_path TO " + schema + "; VACUUM ANALYZE").c_str()));
    PQclear(PQexec(c, ("SET search_path TO " + schema).c_str()));
    PGresult* r = PQexec(c,
                         "SELECT pg_total_relation_size('sessions') + pg_total_relation_size('audit_log')");
    const double bytes = std::strtod(PQgetvalue(r, 0, 0), nullptr);
    PQclear(r);
    PQclear(PQexec(c, ("DROP SCHEMA " + schema + " CASCADE").c_str()));
    PQfinish(c);
    state.counters["sessions_measured"] = static_cast<double>(kDiskSessions);
    state.counters["bytes_per_session"] = bytes / kDiskSessions;
    state.counters["MB_per_1M_sessions"] = bytes / kDiskSessions;
  }
}

BENCHMARK(BM_Interleaved_Sqlite)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Interleaved_Postgres)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_InterleavedRegistry_Sqlite)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_InterleavedRegistry_Postgres)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Store_Sqlite)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Raw_Sqlite)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Registry_Sqlite)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Disk_Sqlite)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_Store_Postgres)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Raw_Postgres)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Registry_Postgres)->Arg(1)->Arg(100)->UseRealTime();
BENCHMARK(BM_Disk_Postgres)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
