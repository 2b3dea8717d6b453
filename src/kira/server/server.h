// `kira serve`: the HTTP JSON API (/api/v1, OpenAPI 3 at /api/openapi.json),
// /healthz, Prometheus /metrics and the clinicians' web page, over the
// registry use cases and the Advisor. Thin by design (design.md): parse,
// authenticate, authorise, call a use case, render.
//
// Request pipeline (server.cc), in order:
//   1. request id (X-Request-Id), security headers on every response;
//   2. body size limit (413 before the body is read);
//   3. route match in the route table (server/routes.cc, one block);
//   4. authentication: a session cookie (browser) or a bearer token (API);
//   5. CSRF: a cookie-authenticated unsafe request must carry X-CSRF-Token
//      equal to the session's token, and a matching Origin if it sends one;
//   6. authorisation: the route's roles; the clinic always comes from the
//      session, never from the request;
//   7. the handler; patient-record reads are audited (access_audit.h);
//   8. Status -> HTTP in one place (http_status.h); a 500 carries only the
//      request id.
#ifndef KIRA_SERVER_SERVER_H_
#define KIRA_SERVER_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/base/status.h"
#include "kira/instruments/instrument.h"
#include "kira/guideline/library.h"
#include "kira/registry/clock.h"
#include "kira/storage/store.h"

namespace kira::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: pick a free port (tests); see Server::port()
  std::string tls_cert_file;       // both set: HTTPS only, cookies marked Secure
  std::string tls_key_file;
  std::size_t max_body_bytes = 64 * 1024;  // larger bodies get 413
  // Worker threads. cpp-httplib keeps a keep-alive connection on one worker
  // for its life, so this bounds the connections served at once.
  int threads = 16;
  bool log_requests = false;       // one line per request on stderr
};

// One row of the route table, as the OpenAPI test and `kira serve --routes` see it.
struct RouteInfo {
  std::string method;  // "GET", "POST"
  std::string path;    // OpenAPI template, e.g. "/api/v1/patients/{id}"
  std::string roles;   // "public", "any", or a comma list such as "admin,clinician"
  std::string summary;
};

class Server {
 public:
  // REQUIRES: store, the libraries and clock outlive the Server. Without the
  // advisor and instrument libraries the plan/monitor/discharge routes answer
  // 422 (FailedPrecondition).
  Server(storage::Store* store, const guideline::Library* library, const registry::Clock* clock,
         ServerOptions options, const advisor::AdvisorLibrary* advisor = nullptr,
         const instruments::InstrumentLibrary* instruments = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket. InvalidArgument for a bad TLS pair,
  // Unavailable if the address cannot be bound.
  Status Bind();
  // The bound port (after Bind()).
  int port() const;
  // Serves until Stop() is called from another thread (or a signal handler's
  // thread). Flushes the access audit before returning.
  Status Run();
  void Stop();
  // Writes the queued read-audit rows now (tests; Run() also does it on exit).
  Status FlushAccessAudit();

  static std::vector<RouteInfo> Routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kira::server

#endif  // KIRA_SERVER_SERVER_H_
