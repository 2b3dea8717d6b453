// Internal to storage/: the few operations the SQL backends share, so that the
// DML behind the Store interface is written once (sql_transaction.cc) and
// each backend adapter only moves values in and out of its driver.
//
// SQL text uses $1, $2, ... placeholders, which PostgreSQL understands
// natively and SQLite accepts as named parameters ("$1"). Only portable SQL
// goes through here; what differs lives in SqlDialect.
#ifndef KIRA_STORAGE_SQL_SQL_CONNECTION_H_
#define KIRA_STORAGE_SQL_SQL_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/storage/store.h"

namespace kira::storage::internal {

using SqlNull = std::monostate;
using SqlValue = std::variant<SqlNull, std::int64_t, double, std::string>;

// One result row. SQLite hands back typed values; libpq hands back text,
// which the accessors parse. Accessors on a NULL return 0 / "".
class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> cells) : cells_(std::move(cells)) {}
  bool IsNull(std::size_t i) const { return std::holds_alternative<SqlNull>(cells_.at(i)); }
  std::int64_t Int(std::size_t i) const;
  double Real(std::size_t i) const;
  std::string Text(std::size_t i) const;
  std::size_t size() const { return cells_.size(); }

 private:
  std::vector<SqlValue> cells_;
};

// One row of a streamed result (SqlConnection::QueryEach), valid only during
// the callback: no per-row allocation. Accessors on a NULL return 0 / "".
class SqlCursor {
 public:
  virtual ~SqlCursor() = default;
  virtual bool IsNull(int i) const = 0;
  virtual std::int64_t Int(int i) const = 0;
  virtual double Real(int i) const = 0;
  virtual std::string_view Text(int i) const = 0;
};

// A single database connection. Not thread-safe; owned by one transaction
// at a time. Errors are already mapped to the Store vocabulary (store.h):
// unique violation -> AlreadyExists, foreign-key violation ->
// FailedPrecondition, check violation -> InvalidArgument, serialization
// failure or deadlock -> Aborted, lost connection -> Unavailable.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Status Exec(std::string_view sql, std::span<const SqlValue> params) = 0;
  virtual StatusOr<std::vector<SqlRow>> Query(std::string_view sql,
                                              std::span<const SqlValue> params) = 0;
  // Several ;-separated statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // Streams the result row by row. The default runs Query() and hands over
  // its rows; a driver that can step through a result overrides it.
  virtual Status QueryEach(std::string_view sql, std::span<const SqlValue> params,
                           const std::function<void(const SqlCursor&)>& each);
  // A column naming a row of any table within one statement and
  // transaction as an integer (SQLite: "rowid"), or nullptr when the backend
  // has none; the columnar analytics read uses it as the session key.
  virtual const char* RowKeyColumn() const { return nullptr; }
};

struct SqlDialect {
  std::string begin_sql;           // "BEGIN IMMEDIATE" (SQLite) or "BEGIN" (PostgreSQL)
  bool lock_clinic_row_for_audit;  // SELECT ... FOR NO KEY UPDATE before reading the chain head
  std::string migration_lock_sql;  // run after begin_sql while migrating; may be empty
};

// A Transaction over `conn`, which must already be inside BEGIN. Commit()
// runs COMMIT; destruction without a successful Commit() runs ROLLBACK.
// `release` runs last, in either case (returns the connection to its pool,
// or unlocks the SQLite store).
std::unique_ptr<Transaction> MakeSqlTransaction(SqlConnection* conn, const SqlDialect* dialect,
                                                std::function<void(bool healthy)> release);

// One numbered, forward-only schema migration embedded in the binary.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Applies, in one transaction and in version order, every migration the
// database has not recorded in schema_migrations (versions are reserved per
// area, so one merged later can be older than the newest applied). FailedPrecondition, naming both versions, if the database
// is newer than the newest migration this binary knows: an old binary must
// not write to a schema it does not understand.
// REQUIRES: migrations sorted by version, strictly increasing.
Status ApplyMigrations(SqlConnection& conn, const SqlDialect& dialect,
                       std::span<const Migration> migrations);

// The database's schema version (0 when no migration has run).
StatusOr<int> SchemaVersion(SqlConnection& conn);

}  // namespace kira::storage::internal

#endif  // KIRA_STORAGE_SQL_SQL_CONNECTION_H_
