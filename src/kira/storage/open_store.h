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
#include <string>

#include "kira/storage/store.h"

namespace kira::storage {

inline constexpr char kDefaultDatabase[] = "./var/kira.db";

// InvalidArgument (naming "--db") for an empty URL; otherwise whatever the
// backend's Open returns.
StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace kira::storage

#endif  // KIRA_STORAGE_OPEN_STORE_H_
