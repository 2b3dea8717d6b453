// PostgresStore: the backend for networks of clinics, over libpq. The only
// code in kira that includes libpq-fe.h.
//
// Layout: every table's primary key starts with clinic_id, and every query
// the Store issues filters on one clinic_id. That is what lets the schema be
// distributed by clinic without changing a query; see docs/postgres-layout.md
// (Citus: create_distributed_table('<table>', 'clinic_id') on every table,
// colocated, with `clinics` distributed too rather than a reference table,
// because the audit writer locks the clinic row).
//
// Concurrency: a small pool of connections (PostgresOptions::pool_size).
// Begin() takes a free connection, waiting while all are in use, and the
// Transaction returns it when destroyed. Thread-safe. Transactions run at
// READ COMMITTED; writers of one clinic's audit chain are serialised by a
// row lock on the clinic (Transaction::LastAuditEntry).
#ifndef KIRA_STORAGE_POSTGRES_POSTGRES_STORE_H_
#define KIRA_STORAGE_POSTGRES_POSTGRES_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "kira/storage/store.h"

namespace kira::storage {

struct PostgresOptions {
  // libpq connection string or URI ("postgres://user@host:5432/db",
  // "host=/tmp/x port=5432 dbname=kira"). Default: none.
  std::string dsn;
  // Schema holding kira's tables; created if missing. Empty means the
  // server's default search_path (usually "public"). Tests use one schema
  // each so they do not share state. Default: "".
  std::string schema;
  // Most connections held at once. REQUIRES: pool_size >= 1. Default: 4.
  int pool_size = 4;
  // Reads only, e.g. from a hot standby (reports, the research dashboard):
  // no migrations are applied (a standby refuses DDL), the schema must
  // already be at LatestSchemaVersion(), and every transaction is
  // BEGIN READ ONLY. Default: false.
  bool read_only = false;
};

// How current the data behind a connection is. On a primary everything is
// current; on a standby the data is as of the last transaction it replayed.
struct ReadPosition {
  bool standby = false;
  // Standby only: when the newest replayed transaction committed on the
  // primary (microseconds since the epoch; 0 if none replayed yet), and how
  // long ago that was by the standby's clock. While the primary is idle this
  // age grows although nothing is missing, so also:
  std::int64_t last_replayed_commit_us = 0;
  double seconds_since_last_replayed_commit = 0;
  // WAL received but not yet applied, in bytes (0: everything received is visible).
  std::int64_t replay_backlog_bytes = 0;
};

class PostgresStore : public Store {
 public:
  // Connects, applies pending migrations (under an advisory lock, so several
  // processes may start at once). Unavailable when the server cannot be
  // reached; FailedPrecondition when its schema is newer than this binary.
  static StatusOr<std::unique_ptr<PostgresStore>> Open(const PostgresOptions& options);
  ~PostgresStore() override;

  StatusOr<std::unique_ptr<Transaction>> Begin() override;
  std::string_view backend() const override { return "postgres"; }

  StatusOr<int> SchemaVersion();
  // Where the server behind this store stands (primary or standby, and how
  // far a standby's visible data lags).
  StatusOr<ReadPosition> CurrentReadPosition();
  static int LatestSchemaVersion();

  // Runs `sql` on a pooled connection outside any Store transaction. For
  // tests and benchmarks only (see SqliteStore::ExecForTesting).
  Status ExecForTesting(const std::string& sql);

  class Impl;

 private:
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kira::storage

#endif  // KIRA_STORAGE_POSTGRES_POSTGRES_STORE_H_
