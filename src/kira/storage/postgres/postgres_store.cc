#include "kira/storage/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kira/storage/sql/sql_connection.h"

namespace kira::storage {

namespace internal {
std::span<const Migration> PostgresMigrations();  // generated from migrations/*.sql
}  // namespace internal

namespace {

using internal::SqlRow;
using internal::SqlValue;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

void IgnoreNotice(void*, const char*) {}

// SQLSTATEs after which this connection must not be reused: the server is
// going away or has gone (admin/crash shutdown, connection exceptions), or
// it is no longer the primary (a standby answers writes with 25006
// read_only_sql_transaction, e.g. the old primary rejoined as a standby
// behind a DSN without target_session_attrs=read-write). All of them are
// Unavailable: nothing was written, the next Begin() reconnects, and a
// multi-host DSN then finds the new primary.
bool IsConnectionLevelState(const std::string& code) {
  return code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" || code == "57P03" ||
         code == "25006";
}

Status MapError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = std::string(what) + ": " +
                    (res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (PQstatus(conn) == CONNECTION_BAD) return UnavailableError(msg);
  const std::string code = state ? state : "";
  if (code == "23505") return AlreadyExistsError(msg);
  if (code == "23503") {
    return FailedPreconditionError("referenced record does not exist (its patient, session or clinic is not in the "
                                   "registry)");
  }
  if (code == "23514" || code == "23502" || code.rfind("22", 0) == 0) return InvalidArgumentError(msg);
  if (code == "40001" || code == "40P01" || code == "55P03") return AbortedError(msg);
  if (IsConnectionLevelState(code)) return UnavailableError(msg);
  if (code == "P0001") return FailedPreconditionError(msg);  // raised by a trigger
  return InternalError(msg);
}

class PgConnection : public internal::SqlConnection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  Status Exec(std::string_view sql, std::span<const SqlValue> params) override {
    KIRA_ASSIGN_OR_RETURN(Result r, Run(sql, params));
    (void)r;
    return Status::Ok();
  }

  StatusOr<std::vector<SqlRow>> Query(std::string_view sql, std::span<const SqlValue> params) override {
    KIRA_ASSIGN_OR_RETURN(Result r, Run(sql, params));
    std::vector<SqlRow> rows;
    const int n = PQntuples(r.get());
    const int ncol = PQnfields(r.get());
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      std::vector<SqlValue> cells;
      cells.reserve(static_cast<std::size_t>(ncol));
      for (int c = 0; c < ncol; ++c) {
        if (PQgetisnull(r.get(), i, c)) {
          cells.emplace_back();
        } else {
          cells.emplace_back(std::string(PQgetvalue(r.get(), i, c),
                                         static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  // Streams through a server-side cursor, FETCH kFetchRows rows at a time,
  // when inside a transaction (a cursor lives in one); otherwise one result.
  // Values are read in place from libpq's result (no per-row allocation).
  // The cursor's query is sent with its parameters as quoted literals
  // (DECLARE takes no bind parameters).
  Status QueryEach(std::string_view sql, std::span<const SqlValue> params,
                   const std::function<void(const internal::SqlCursor&)>& each) override {
    if (PQtransactionStatus(conn_) != PQTRANS_INTRANS) {
      KIRA_ASSIGN_OR_RETURN(Result r, Run(sql, params));
      return EachRow(r.get(), each);
    }
    KIRA_ASSIGN_OR_RETURN(std::string inlined, Inline(sql, params));
    KIRA_RETURN_IF_ERROR(Exec("DECLARE kira_each NO SCROLL CURSOR FOR " + inlined, {}));
    constexpr int kFetchRows = 50000;
    const std::string fetch = "FETCH FORWARD " + std::to_string(kFetchRows) + " FROM kira_each";
    while (true) {
      KIRA_ASSIGN_OR_RETURN(Result r, Run(fetch, {}));
      KIRA_RETURN_IF_ERROR(EachRow(r.get(), each));
      if (PQntuples(r.get()) < kFetchRows) break;
    }
    return Exec("CLOSE kira_each", {});
  }

  Status ExecScript(std::string_view sql) override {
    Result r(PQexec(conn_, std::string(sql).c_str()));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(r.get(), "postgres");
    return Status::Ok();
  }

  // False once the connection is lost or answered with a connection-level
  // error (IsConnectionLevelState): the pool then drops it.
  bool healthy() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

 private:
  StatusOr<Result> Run(std::string_view sql, std::span<const SqlValue> params) {
    Result r;
    if (params.empty()) {
      // Transaction control and parameterless statements go through the
      // simple protocol; everything else is prepared once per connection.
      r.reset(PQexec(conn_, std::string(sql).c_str()));
    } else {
      KIRA_ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
      std::vector<std::string> text(params.size());
      std::vector<const char*> values(params.size(), nullptr);
      for (std::size_t i = 0; i < params.size(); ++i) {
        const SqlValue& v = params[i];
        if (std::holds_alternative<internal::SqlNull>(v)) continue;
        if (auto* n = std::get_if<std::int64_t>(&v)) {
          text[i] = std::to_string(*n);
        } else if (auto* d = std::get_if<double>(&v)) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", *d);  // round-trips every double
          text[i] = buf;
        } else {
          text[i] = std::get<std::string>(v);
        }
        values[i] = text[i].c_str();
      }
      r.reset(PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()), values.data(),
                             nullptr, nullptr, 0));
    }
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(r.get(), "postgres");
    return r;
  }

  // The current row of a result, read in place (text format).
  class Cursor : public internal::SqlCursor {
   public:
    explicit Cursor(const PGresult* r) : r_(r) {}
    void At(int row) { row_ = row; }
    bool IsNull(int i) const override { return PQgetisnull(r_, row_, i) != 0; }
    std::int64_t Int(int i) const override { return std::strtoll(PQgetvalue(r_, row_, i), nullptr, 10); }
    double Real(int i) const override { return std::strtod(PQgetvalue(r_, row_, i), nullptr); }
    std::string_view Text(int i) const override {
      return std::string_view(PQgetvalue(r_, row_, i), static_cast<std::size_t>(PQgetlength(r_, row_, i)));
    }

   private:
    const PGresult* r_;
    int row_ = 0;
  };

  static Status EachRow(const PGresult* r, const std::function<void(const internal::SqlCursor&)>& each) {
    Cursor c(r);
    const int n = PQntuples(r);
    for (int i = 0; i < n; ++i) {
      c.At(i);
      each(c);
    }
    return Status::Ok();
  }

  // `sql` with each $n replaced by params[n - 1] as a literal.
  StatusOr<std::string> Inline(std::string_view sql, std::span<const SqlValue> params) {
    std::string out;
    for (std::size_t i = 0; i < sql.size(); ++i) {
      if (sql[i] != '$' || i + 1 >= sql.size() || sql[i + 1] < '0' || sql[i + 1] > '9') {
        out += sql[i];
        continue;
      }
      std::size_t n = 0;
      while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') n = n * 10 + static_cast<std::size_t>(sql[++i] - '0');
      if (n < 1 || n > params.size()) return InternalError("postgres: no value for $" + std::to_string(n));
      const SqlValue& v = params[n - 1];
      if (std::holds_alternative<internal::SqlNull>(v)) {
        out += "NULL";
      } else if (auto* k = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*k);
      } else if (auto* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        out += buf;
      } else {
        const std::string& text = std::get<std::string>(v);
        char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
        if (quoted == nullptr) return Fail(nullptr, "postgres escape");
        out += quoted;
        PQfreemem(quoted);
      }
    }
    return out;
  }

  Status Fail(const PGresult* r, std::string_view what) {
    Status s = MapError(conn_, r, what);
    if (s.code() == StatusCode::kUnavailable) broken_ = true;
    return s;
  }

  StatusOr<const std::string*> Prepared(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    std::string name = "kira_" + std::to_string(cache_.size());
    Result r(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Fail(r.get(), "postgres prepare");
    return &cache_.emplace(std::move(key), std::move(name)).first->second;
  }

  PGconn* conn_;
  bool broken_ = false;
  std::unordered_map<std::string, std::string> cache_;  // sql -> prepared statement name
};

std::string QuoteIdent(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

class PostgresStore::Impl {
 public:
  PostgresOptions options;
  internal::SqlDialect dialect{"BEGIN", true, "SELECT pg_advisory_xact_lock(72657)"};
  std::mutex mu;
  std::condition_variable freed;
  std::vector<std::unique_ptr<PgConnection>> idle;  // GUARDED_BY(mu)
  int open = 0;                                     // GUARDED_BY(mu): idle + lent out

  StatusOr<std::unique_ptr<PgConnection>> Connect() {
    // A connect timeout unless the DSN sets its own (later keywords win, and
    // the DSN is expanded after this default): without one, a connection
    // attempt to a host that vanished waits for the kernel's TCP timeout
    // instead of moving on to the next host of a multi-host DSN.
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {"5", options.dsn.c_str(), nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (PQstatus(raw) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(raw);
      PQfinish(raw);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return UnavailableError("connecting to postgres: " + msg);
    }
    PQsetNoticeProcessor(raw, IgnoreNotice, nullptr);
    auto conn = std::make_unique<PgConnection>(raw);
    if (!options.schema.empty()) {
      // CREATE SCHEMA IF NOT EXISTS can race with another connection doing
      // the same; losing that race (unique violation) is harmless.
      Status s = conn->ExecScript("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(options.schema));
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
      KIRA_RETURN_IF_ERROR(conn->ExecScript("SET search_path TO " + QuoteIdent(options.schema)));
    }
    return conn;
  }

  // `reused` (optional) tells whether the connection came from the idle
  // pool, where it may have gone stale (a failover since it was last used).
  StatusOr<std::unique_ptr<PgConnection>> Acquire(bool* reused = nullptr) {
    if (reused) *reused = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      freed.wait(lock, [&] { return !idle.empty() || open < options.pool_size; });
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        if (reused) *reused = true;
        return c;
      }
      ++open;  // reserve a slot, connect without holding the lock
    }
    auto c = Connect();
    if (!c.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      --open;
      freed.notify_one();
    }
    return c;
  }

  void Release(std::unique_ptr<PgConnection> c, bool healthy) {
    std::lock_guard<std::mutex> lock(mu);
    if (healthy && c->healthy()) {
      idle.push_back(std::move(c));
    } else {
      --open;  // a broken connection is dropped; the next Acquire reconnects
    }
    freed.notify_one();
  }
};

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

int PostgresStore::LatestSchemaVersion() { return internal::PostgresMigrations().back().version; }

StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresOptions& options) {
  if (options.dsn.empty()) return InvalidArgumentError("postgres dsn: must not be empty");
  if (options.pool_size < 1) return InvalidArgumentError("pool_size: must be >= 1");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.read_only) {
    // The audit chain is never written here, so no row lock (a standby
    // refuses SELECT ... FOR UPDATE).
    impl->dialect = internal::SqlDialect{"BEGIN READ ONLY", false, ""};
  }
  KIRA_ASSIGN_OR_RETURN(auto conn, impl->Acquire());
  Status s;
  if (options.read_only) {
    auto rows = conn->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
    if (!rows.ok()) {
      s = rows.status();
    } else if (const int v = static_cast<int>(rows->at(0).Int(0)); v != LatestSchemaVersion()) {
      s = FailedPreconditionError("database schema version " + std::to_string(v) + ", this kira reads version " +
                                  std::to_string(LatestSchemaVersion()) +
                                  "; open the primary once with this kira to migrate it");
    }
  } else {
    s = internal::ApplyMigrations(*conn, impl->dialect, internal::PostgresMigrations());
  }
  impl->Release(std::move(conn), s.ok());
  if (!s.ok()) return s.WithContext("opening postgres registry");
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

StatusOr<ReadPosition> PostgresStore::CurrentReadPosition() {
  KIRA_ASSIGN_OR_RETURN(auto conn, impl_->Acquire());
  auto rows = conn->Query(
      "SELECT pg_is_in_recovery()::int, "
      "COALESCE((EXTRACT(EPOCH FROM pg_last_xact_replay_timestamp()) * 1000000)::bigint, 0), "
      "COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8, 0), "
      "COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint, 0)",
      {});
  impl_->Release(std::move(conn), rows.ok());
  if (!rows.ok()) return rows.status();
  const internal::SqlRow& r = rows->at(0);
  ReadPosition p;
  p.standby = r.Int(0) != 0;
  if (p.standby) {
    p.last_replayed_commit_us = r.Int(1);
    p.seconds_since_last_replayed_commit = r.Real(2);
    p.replay_backlog_bytes = r.Int(3) > 0 ? r.Int(3) : 0;
  }
  return p;
}

StatusOr<std::unique_ptr<Transaction>> PostgresStore::Begin() {
  // After a failover every idle connection may point at a dead or demoted
  // server. Such a connection fails at BEGIN, before anything was sent that
  // could have written, so it is dropped and the next one tried; only a
  // fresh connection's failure is reported (Unavailable).
  std::unique_ptr<PgConnection> conn;
  for (;;) {
    bool reused = false;
    KIRA_ASSIGN_OR_RETURN(conn, impl_->Acquire(&reused));
    Status s = conn->Exec(impl_->dialect.begin_sql, {});
    if (s.ok()) break;
    impl_->Release(std::move(conn), false);
    if (!reused || s.code() != StatusCode::kUnavailable) return s;
  }
  PgConnection* raw = conn.get();
  auto owned = std::make_shared<std::unique_ptr<PgConnection>>(std::move(conn));
  Impl* impl = impl_.get();
  return internal::MakeSqlTransaction(raw, &impl_->dialect, [impl, owned](bool healthy) {
    impl->Release(std::move(*owned), healthy);
  });
}

StatusOr<int> PostgresStore::SchemaVersion() {
  KIRA_ASSIGN_OR_RETURN(auto conn, impl_->Acquire());
  auto v = internal::SchemaVersion(*conn);
  impl_->Release(std::move(conn), v.ok());
  return v;
}

Status PostgresStore::ExecForTesting(const std::string& sql) {
  KIRA_ASSIGN_OR_RETURN(auto conn, impl_->Acquire());
  Status s = conn->ExecScript(sql);
  impl_->Release(std::move(conn), true);
  return s;
}

}  // namespace kira::storage
