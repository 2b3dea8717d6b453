#include "kira/storage/open_store.h"

#include <filesystem>
#include <system_error>

#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace kira::storage {

StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  if (url.empty()) return InvalidArgumentError("--db: must not be empty");
  const bool pg_uri = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
  const bool pg_dsn = url.find("dbname=") != std::string::npos || url.rfind("host=", 0) == 0;
  if (pg_uri || pg_dsn) {
    PostgresOptions o;
    o.dsn = url;
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
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return UnavailableError("--db: cannot create directory '" + parent.string() + "': " + ec.message());
  }
  KIRA_ASSIGN_OR_RETURN(auto lite, SqliteStore::Open({.path = path}));
  return std::unique_ptr<Store>(std::move(lite));
}

}  // namespace kira::storage
