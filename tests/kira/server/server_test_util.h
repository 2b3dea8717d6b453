// A `kira serve` on 127.0.0.1 (free port) over a fresh SQLite registry in a
// temporary directory, with two clinics and one log-in per role in each.
#ifndef KIRA_TESTS_SERVER_SERVER_TEST_UTIL_H_
#define KIRA_TESTS_SERVER_SERVER_TEST_UTIL_H_

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "kira/advisor/library.h"
#include "kira/guideline/library.h"
#include "kira/instruments/instrument.h"
#include "kira/registry/clock.h"
#include "kira/server/server.h"
#include "kira/storage/store.h"

namespace kira::testing {

using Json = nlohmann::json;

inline constexpr char kPassword[] = "correct horse battery";
inline constexpr const char* kRoles[] = {"admin", "clinician", "nurse", "researcher", "pharmacist", "auditor"};

class TestServer {
 public:
  // Clinics "clinic-a" and "clinic-b"; users "<a|b>-<role>" with kPassword,
  // plus a nurse "<a|b>-spare" for the account-management routes to act on.
  // With `tls_cert`/`tls_key` set, serves HTTPS. `tweak` adjusts the server
  // options (admins need no second factor unless it says so).
  explicit TestServer(const std::string& tls_cert = "", const std::string& tls_key = "",
                      std::function<void(server::ServerOptions&)> tweak = {});
  ~TestServer();

  httplib::Client Client() const;
  int port() const { return server_->port(); }
  // Logs in and returns the bearer token (fails the test on error).
  std::string Token(const std::string& login);
  // Forgets the cached token of `login` (after its sessions were ended).
  void Forget(const std::string& login) { tokens_.erase(login); }
  // Stops the server and starts a new one on a freshly opened registry
  // (what a process restart keeps is what the database keeps).
  void Restart();
  httplib::Headers Headers(const std::string& token) const;
  storage::Store& store() { return *store_; }
  const guideline::Library& library() const { return *library_; }
  // The trd-typical example patient document.
  static std::string PatientDoc();
  server::Server& server() { return *server_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<guideline::Library> library_;
  std::unique_ptr<advisor::AdvisorLibrary> advisor_;
  std::unique_ptr<instruments::InstrumentLibrary> instruments_;
  std::unique_ptr<storage::Store> store_;
  registry::SystemClock clock_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::map<std::string, std::string> tokens_;
  server::ServerOptions options_;
  void Start();
};

}  // namespace kira::testing

#endif  // KIRA_TESTS_SERVER_SERVER_TEST_UTIL_H_
