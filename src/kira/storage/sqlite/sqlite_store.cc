#include "kira/storage/sqlite/sqlite_store.h"

#include <algorithm>

#include <sqlite3.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kira/storage/sql/sql_connection.h"

namespace kira::storage {

namespace internal {
std::span<const Migration> SqliteMigrations();  // generated from migrations/*.sql
}  // namespace internal

namespace {

using internal::SqlRow;
using internal::SqlValue;

// Opens a handle on the registry file with extended result codes and the
// busy timeout; `purpose` goes into the message (" for reading").
StatusOr<sqlite3*> OpenHandle(const SqliteOptions& options, int flags, std::string_view purpose) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "opening sqlite database '" + options.path + "'" + std::string(purpose) + ": " +
                      (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return UnavailableError(msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  return db;
}

Status MapError(sqlite3* db, int rc, std::string_view what) {
  const int ext = sqlite3_extended_errcode(db);
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  switch (ext) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return AlreadyExistsError(msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      // Said without the engine's words: the caller names the record.
      return FailedPreconditionError("referenced record does not exist (its patient, session or clinic is not in "
                                     "the registry)");
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
      return InvalidArgumentError(msg);
    case SQLITE_CONSTRAINT_TRIGGER:
      return FailedPreconditionError(msg);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return AbortedError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
      return UnavailableError(msg);
    default:
      return InternalError(msg);
  }
}


// The current row of a stepping statement, read in place.
class Cursor : public internal::SqlCursor {
 public:
  explicit Cursor(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool IsNull(int i) const override { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::int64_t Int(int i) const override { return sqlite3_column_int64(stmt_, i); }
  double Real(int i) const override { return sqlite3_column_double(stmt_, i); }
  std::string_view Text(int i) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
  }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteConnection : public internal::SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
    sqlite3_close_v2(db_);
  }

  Status Exec(std::string_view sql, std::span<const SqlValue> params) override {
    KIRA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    Status s = rc == SQLITE_DONE ? Status::Ok() : MapError(db_, rc, "sqlite");
    sqlite3_reset(stmt);
    return s;
  }

  StatusOr<std::vector<SqlRow>> Query(std::string_view sql, std::span<const SqlValue> params) override {
    KIRA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<SqlRow> rows;
    int rc;
    const int ncol = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<SqlValue> cells;
      cells.reserve(static_cast<std::size_t>(ncol));
      for (int i = 0; i < ncol; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL: cells.emplace_back(); break;
          case SQLITE_INTEGER: cells.emplace_back(std::int64_t{sqlite3_column_int64(stmt, i)}); break;
          case SQLITE_FLOAT: cells.emplace_back(sqlite3_column_double(stmt, i)); break;
          default: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            cells.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
          }
        }
      }
      rows.emplace_back(std::move(cells));
    }
    Status s = rc == SQLITE_DONE ? Status::Ok() : MapError(db_, rc, "sqlite");
    sqlite3_reset(stmt);
    if (!s.ok()) return s;
    return rows;
  }

  Status QueryEach(std::string_view sql, std::span<const SqlValue> params,
                   const std::function<void(const internal::SqlCursor&)>& each) override {
    KIRA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    const Cursor cursor(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) each(cursor);
    Status s = rc == SQLITE_DONE ? Status::Ok() : MapError(db_, rc, "sqlite");
    sqlite3_reset(stmt);
    return s;
  }

  const char* RowKeyColumn() const override { return "rowid"; }

  Status ExecScript(std::string_view sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      sqlite3_free(err);
      return MapError(db_, rc, "sqlite script");
    }
    return Status::Ok();
  }

 private:
  // Statements are prepared once and reused: the Store issues a small fixed
  // set of SQL texts, and re-preparing each call would dominate the cost of
  // a small INSERT. With each statement its parameter slots are kept
  // ($n -> SQLite's index), so binding needs no name lookup; texts are bound
  // without a copy (SQLITE_STATIC: `params` outlives the step, and every
  // binding is cleared before the statement is used again).
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int> slot;  // slot[n - 1]: SQLite's index of "$n", 0 when unused
  };
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  StatusOr<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const SqlValue> params) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      std::string key(sql);
      Cached c;
      int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &c.stmt,
                                  nullptr);
      if (rc != SQLITE_OK) return MapError(db_, rc, "sqlite prepare");
      const int count = sqlite3_bind_parameter_count(c.stmt);
      for (int k = 1; k <= count; ++k) {
        const char* name = sqlite3_bind_parameter_name(c.stmt, k);
        if (!name || name[0] != '$') continue;
        const int n = std::atoi(name + 1);
        if (n < 1) continue;
        if (c.slot.size() < static_cast<std::size_t>(n)) c.slot.resize(static_cast<std::size_t>(n), 0);
        c.slot[static_cast<std::size_t>(n - 1)] = k;
      }
      it = cache_.emplace(std::move(key), std::move(c)).first;
    }
    sqlite3_stmt* stmt = it->second.stmt;
    const std::vector<int>& slot = it->second.slot;
    sqlite3_clear_bindings(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = i < slot.size() ? slot[i] : 0;
      if (idx == 0) continue;  // parameter not used by this statement
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<internal::SqlNull>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return MapError(db_, rc, "sqlite bind");
    }
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, Cached, SqlHash, std::equal_to<>> cache_;
};

}  // namespace

class SqliteStore::Impl {
 public:
  std::mutex mu;  // held by the live transaction for its whole life
  std::unique_ptr<SqliteConnection> conn;
  internal::SqlDialect dialect{"BEGIN IMMEDIATE", false, ""};

  // Read-only connections for BeginRead().
  SqliteOptions options;
  internal::SqlDialect read_dialect{"BEGIN", false, ""};
  std::mutex read_mu;
  std::condition_variable read_cv;
  std::vector<std::unique_ptr<SqliteConnection>> readers;  // GUARDED_BY(read_mu)
  std::vector<SqliteConnection*> idle_readers;            // GUARDED_BY(read_mu)
  int opening = 0;                                         // GUARDED_BY(read_mu)

  StatusOr<std::unique_ptr<SqliteConnection>> OpenReader() {
    KIRA_ASSIGN_OR_RETURN(sqlite3 * db, OpenHandle(options, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, " for reading"));
    auto reader = std::make_unique<SqliteConnection>(db);
    // Readers map the file (up to SQLite's compile-time cap, 2 GiB on
    // Debian) instead of copying each page through pread into a private
    // cache: a registry report scans whole tables. Pages in the WAL are
    // still read through the cache.
    Status s = reader->ExecScript("PRAGMA mmap_size=2147418112;");
    if (!s.ok()) return s.WithContext("configuring a reader of '" + options.path + "'");
    return reader;
  }
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::LatestSchemaVersion() { return internal::SqliteMigrations().back().version; }

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("sqlite path: must not be empty");
  if (!options.create_if_missing && !std::filesystem::exists(options.path)) {
    return NotFoundError("sqlite database '" + options.path + "' does not exist");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  KIRA_ASSIGN_OR_RETURN(sqlite3 * db, OpenHandle(options, flags, ""));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->conn = std::make_unique<SqliteConnection>(db);
  Status s = impl->conn->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      // The page cache bound (SqliteOptions::page_cache_mib; SQLite's own
      // default is 2 MiB).
      "PRAGMA cache_size=-" + std::to_string(std::clamp(options.page_cache_mib, 2, 4096) * 1024) + ";");
  if (!s.ok()) return s.WithContext("configuring '" + options.path + "'");
  s = internal::ApplyMigrations(*impl->conn, impl->dialect, internal::SqliteMigrations());
  if (!s.ok()) return s.WithContext("opening '" + options.path + "'");
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

StatusOr<std::unique_ptr<Transaction>> SqliteStore::Begin() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  KIRA_RETURN_IF_ERROR(impl_->conn->Exec(impl_->dialect.begin_sql, {}));
  // The lock moves into the transaction and is released when it ends.
  auto held = std::make_shared<std::unique_lock<std::mutex>>(std::move(lock));
  return internal::MakeSqlTransaction(impl_->conn.get(), &impl_->dialect,
                                      [held](bool) { held->unlock(); });
}

StatusOr<std::unique_ptr<Transaction>> SqliteStore::BeginRead() {
  Impl& i = *impl_;
  // An in-memory database is private to its connection: no readers there.
  if (i.options.max_readers <= 0 || i.options.path == ":memory:" || i.options.path.rfind("file:", 0) == 0) {
    return Begin();
  }
  SqliteConnection* conn = nullptr;
  {
    std::unique_lock<std::mutex> lock(i.read_mu);
    i.read_cv.wait(lock, [&i] {
      return !i.idle_readers.empty() || static_cast<int>(i.readers.size()) + i.opening < i.options.max_readers;
    });
    if (!i.idle_readers.empty()) {
      conn = i.idle_readers.back();
      i.idle_readers.pop_back();
    } else {
      ++i.opening;  // the slot is ours while the file is opened without the lock
      lock.unlock();
      StatusOr<std::unique_ptr<SqliteConnection>> fresh = i.OpenReader();
      lock.lock();
      --i.opening;
      if (!fresh.ok()) {
        i.read_cv.notify_one();
        return fresh.status();
      }
      conn = fresh->get();
      i.readers.push_back(std::move(*fresh));
    }
  }
  Status s = conn->Exec(i.read_dialect.begin_sql, {});
  auto give_back = [&i, conn](bool) {
    {
      std::lock_guard<std::mutex> lock(i.read_mu);
      i.idle_readers.push_back(conn);
    }
    i.read_cv.notify_one();
  };
  if (!s.ok()) {
    give_back(false);
    return s;
  }
  return internal::MakeSqlTransaction(conn, &i.read_dialect, give_back);
}

StatusOr<int> SqliteStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return internal::SchemaVersion(*impl_->conn);
}

Status SqliteStore::ExecForTesting(const std::string& sql) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->conn->ExecScript(sql);
}

}  // namespace kira::storage
