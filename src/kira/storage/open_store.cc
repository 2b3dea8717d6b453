#include "kira/storage/open_store.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace kira::storage {

namespace {

bool IsPostgresUri(const std::string& url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

StatusOr<std::unique_ptr<Store>> Open(const std::string& url, bool read_only, const OpenOptions& options = {}) {
  if (url.empty()) return InvalidArgumentError("--db: must not be empty");
  const bool pg_uri = IsPostgresUri(url);
  if (IsPostgresUrl(url)) {
    PostgresOptions o;
    o.dsn = url;
    o.read_only = read_only;
    // "?schema=x" is kira's own parameter; libpq would reject it.
    if (auto q = o.dsn.find("schema="); pg_uri && q != std::string::npos) {
      auto end = o.dsn.find('&', q);
      o.schema = o.dsn.substr(q + 7, end == std::string::npos ? std::string::npos : end - q - 7);
      o.dsn.erase(q, end == std::string::npos ? std::string::npos : end - q + 1);
      while (!o.dsn.empty() && (o.dsn.back() == '?' || o.dsn.back() == '&')) o.dsn.pop_back();
    }
    KIRA_ASSIGN_OR_RETURN(auto pg, PostgresStore::Open(o));
    return std::unique_ptr<Store>(std::move(pg));
  }
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  if (read_only && !std::filesystem::exists(path)) return InvalidArgumentError("--db: no registry at '" + path + "'");
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return UnavailableError("--db: cannot create directory '" + parent.string() + "': " + ec.message());
  }
  SqliteOptions so;
  so.path = path;
  if (options.bulk_load) so.page_cache_mib = 256;
  KIRA_ASSIGN_OR_RETURN(auto lite, SqliteStore::Open(so));
  return std::unique_ptr<Store>(std::move(lite));
}

}  // namespace

bool IsPostgresUrl(const std::string& url) {
  return IsPostgresUri(url) || url.find("dbname=") != std::string::npos || url.rfind("host=", 0) == 0;
}

StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const OpenOptions& options) {
  return Open(url, false, options);
}

StatusOr<std::unique_ptr<Store>> OpenReadOnlyStore(const std::string& url) { return Open(url, true); }

StatusOr<std::optional<ReadPosition>> ReadPositionOf(Store& store) {
  auto* pg = dynamic_cast<PostgresStore*>(&store);
  if (pg == nullptr) return std::optional<ReadPosition>();
  KIRA_ASSIGN_OR_RETURN(ReadPosition p, pg->CurrentReadPosition());
  return std::optional<ReadPosition>(p);
}

std::string DescribeReadPosition(const ReadPosition& p) {
  if (!p.standby) return "primary (current data)";
  if (p.last_replayed_commit_us == 0) return "standby: no transaction replayed yet since it started";
  const std::time_t secs = static_cast<std::time_t>(p.last_replayed_commit_us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "standby: data as of %s (last replayed commit %.1f s ago; %lld bytes of received WAL not yet applied)",
                when, p.seconds_since_last_replayed_commit, static_cast<long long>(p.replay_backlog_bytes));
  return buf;
}

}  // namespace kira::storage
