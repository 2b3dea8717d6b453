// SqliteStore: the embedded default backend, one database file per registry
// (e.g. ./var/kira.db). The only code in kira that includes sqlite3.h.
//
// Durability settings (applied on every open, not configurable):
//   journal_mode=WAL   readers do not block the writer
//   synchronous=FULL   a COMMIT is on stable storage before Commit() returns,
//                      which is what the crash test (tests/kira/registry/
//                      crash_test.cc) checks after SIGKILL
//   foreign_keys=ON    parent rows must exist (Store's FailedPrecondition)
// Tables are STRICT, so a value of the wrong type is rejected, not coerced.
//
// Concurrency: one connection, one transaction at a time. Begin() blocks
// until the previous transaction of this object ends, then takes SQLite's
// write lock (BEGIN IMMEDIATE), waiting up to `busy_timeout_ms` for other
// processes. BeginRead() uses a separate pool of read-only connections
// (at most `max_readers`, opened on first use) that start a deferred
// transaction: in WAL mode they read the last committed snapshot while a
// writer holds the write lock. Thread-safe.
#ifndef KIRA_STORAGE_SQLITE_SQLITE_STORE_H_
#define KIRA_STORAGE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "kira/storage/store.h"

namespace kira::storage {

struct SqliteOptions {
  // Path of the database file. Its directory must exist. Default: none.
  std::string path;
  // Create the file if it does not exist. Default: true.
  bool create_if_missing = true;
  // How long Begin() waits for another process's write lock. Default: 5000.
  int busy_timeout_ms = 5000;
  // Read-only connections BeginRead() may keep open. 0: BeginRead() is
  // Begin(). Default: 8 (`kira serve` answers some reads on its I/O threads
  // besides its 4 workers, and a read there must not wait for a connection).
  int max_readers = 8;
  // Upper bound of the write connection's page cache, in MiB (memory is
  // taken only as pages are used). Default: 32, what `kira serve` keeps
  // (its resident memory stays bounded while the audit inserts run). A bulk
  // import asks for more (storage::OpenOptions::bulk_load): a 100,000-session
  // transaction writes ~140 MB of pages and would otherwise spill dirty
  // pages to the WAL mid-transaction and write them again at the commit.
  int page_cache_mib = 32;
};

class SqliteStore : public Store {
 public:
  // Opens (creating if allowed) the database and applies every pending
  // migration. FailedPrecondition when the file's schema is newer than this
  // binary knows; NotFound when the file is missing and create_if_missing
  // is false; Unavailable when it cannot be opened.
  static StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  ~SqliteStore() override;

  StatusOr<std::unique_ptr<Transaction>> Begin() override;
  StatusOr<std::unique_ptr<Transaction>> BeginRead() override;
  std::string_view backend() const override { return "sqlite"; }

  // The schema version of the open file.
  StatusOr<int> SchemaVersion();
  // The newest schema version this binary knows.
  static int LatestSchemaVersion();

  // Runs `sql` outside any transaction. For tests and benchmarks that must
  // reach under the Store interface (tampering with the audit log, a raw
  // INSERT baseline); never used by kira itself.
  Status ExecForTesting(const std::string& sql);

  class Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kira::storage

#endif  // KIRA_STORAGE_SQLITE_SQLITE_STORE_H_
