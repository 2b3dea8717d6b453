// Picks and opens a backend from a database URL: the one place outside
// main.cc that names concrete backends (style.md 2), kept here so that every
// front end (CLI, server, benchmarks) selects backends the same way.
//
//   postgres://... or postgresql://...   PostgresStore (libpq URI; the
//                                        optional `schema` query parameter
//                                        is kira's, see PostgresOptions)
//   host=... dbname=...                  PostgresStore (libpq key=value DSN)
//   sqlite:PATH or PATH                  SqliteStore; PATH's directory is
//                                        created if missing
#ifndef KIRA_STORAGE_OPEN_STORE_H_
#define KIRA_STORAGE_OPEN_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/store.h"

namespace kira::storage {

inline constexpr char kDefaultDatabase[] = "./var/kira.db";

struct OpenOptions {
  // The store will take one large write transaction (`kira import`): SQLite
  // gets a 256 MiB page cache bound instead of 32 MiB (SqliteOptions).
  bool bulk_load = false;
};

// InvalidArgument (naming "--db") for an empty URL; otherwise whatever the
// backend's Open returns.
StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const OpenOptions& options = {});

// True for a PostgreSQL URI or key=value DSN (the forms listed above).
bool IsPostgresUrl(const std::string& url);

// For reports and dashboards that only read, possibly from a hot standby
// ("host=a,b port=5432,5432 dbname=kira target_session_attrs=prefer-standby"):
// PostgreSQL opens read-only (PostgresOptions::read_only); a SQLite path
// must already exist (opening a missing one would create an empty registry
// and report zeros as if they were data).
StatusOr<std::unique_ptr<Store>> OpenReadOnlyStore(const std::string& url);

// Where the data behind `store` stands: nullopt for a backend without
// replication (memory, SQLite), else the server's ReadPosition.
StatusOr<std::optional<ReadPosition>> ReadPositionOf(Store& store);

// "as-fresh" text for report headers: "primary (current data)" or
// "standby: data as of <UTC time> (last replayed commit 0.4 s ago; 0 bytes of WAL not yet applied)".
std::string DescribeReadPosition(const ReadPosition& p);

}  // namespace kira::storage

#endif  // KIRA_STORAGE_OPEN_STORE_H_
