// `kira serve`: the HTTP JSON API (/api/v1, OpenAPI 3 at /api/openapi.json),
// /healthz, Prometheus /metrics and the clinicians' web page, over the
// registry use cases and the Advisor. Thin by design (design.md): parse,
// authenticate, authorise, call a use case, render.
//
// Transport (server.cc, Boost.Beast over Asio): a few I/O threads, each
// with its own io_context, run every socket asynchronously, so an idle or
// slow connection costs a few KiB and no thread; handlers, which may wait on
// the database, run on a small worker pool. Threads: a few point reads by
// key (internal::AnswersOnIoThread) are answered on the connection's I/O
// thread when the session is already cached in memory; anything else, or a
// session that must be looked up, goes to a worker. Every limit below is
// enforced by the parser before anything is buffered past it.
//
// Request pipeline, in order:
//   1. per-address and total connection bounds at accept (excess: closed);
//   2. header read under a deadline; header size and field count limits (431);
//      Content-Length above the body limit, negative or malformed (413 / 400);
//   3. body read under a deadline, chunked or not, capped at the body limit
//      (413 as soon as the limit is crossed); JSON nesting depth checked by a
//      non-recursive scan before any parser sees the body (400);
//   4. request id (X-Request-Id), security headers on every response;
//   5. route match in the route table (server/routes.cc, one block);
//   6. authentication: a session cookie (browser) or a bearer token (API),
//      looked up in the registry's sessions table;
//   7. CSRF: a cookie-authenticated unsafe request must carry X-CSRF-Token
//      equal to the session's token, and a matching Origin if it sends one;
//   8. authorisation: the route's roles; the clinic always comes from the
//      session, never from the request;
//   9. the handler; reads of patient data, refusals and log-in events are
//      audited (access_audit.h) and the reply waits until that audit row is
//      committed (group commit), so no acknowledged read lacks its row;
//  10. Status -> HTTP in one place (http_status.h); a 500 carries only the
//      request id, and storage error text never reaches a client.
#ifndef KIRA_SERVER_SERVER_H_
#define KIRA_SERVER_SERVER_H_

#include <chrono>
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
  std::string tls_cert_file;       // both set: HTTPS only (TLS >= 1.2), cookies marked Secure
  std::string tls_key_file;
  // Optional second listener for GET /metrics without a log-in; must be a
  // loopback address ("127.0.0.1:9090"). Empty: /metrics needs an admin.
  std::string metrics_listen;
  // ---- Limits (docs/server.md, "Limits"; openapi.json info.x-limits) ----
  std::size_t max_body_bytes = 64 * 1024;        // larger bodies (chunked or not): 413
  std::size_t max_header_bytes = 8 * 1024;       // request line + all header fields: 431
  std::size_t max_header_fields = 64;            // more header fields: 431
  int max_json_depth = 32;                       // deeper JSON bodies: 400
  std::chrono::milliseconds header_timeout{10000};  // whole header (and TLS handshake) within
  std::chrono::milliseconds body_timeout{10000};    // whole body within, once the header is in
  std::chrono::milliseconds idle_timeout{30000};    // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10000};   // a reply must be taken within
  int max_connections_per_address = 512;
  int max_connections = 8192;
  // I/O threads run the sockets; worker threads run handlers (database, argon2).
  int io_threads = 2;
  int threads = 4;
  bool log_requests = false;       // one line per request on stderr
  // ---- Log-in ----
  std::size_t min_password_length = 12;  // password policy (auth.h)
  bool require_admin_mfa = true;         // admins must enrol TOTP before anything else
  std::chrono::minutes session_idle_timeout{30};
  std::chrono::hours session_absolute_timeout{12};
  // Researcher views show counts below this as suppressed (null).
  int min_cell_count = 5;
  // Signed audit checkpoints of every clinic's chain head (registry/audit.h)
  // are written this often while serving, and at shutdown, when the
  // registry's audit key is loaded.
  std::chrono::seconds checkpoint_interval{60};
  // Unauthenticated security events (failed log-ins of unknown logins,
  // throttled log-ins, 401s without a session) are coalesced per source
  // address per window of this length, for at most this many addresses per
  // window (security_audit.h; docs/server.md "What is audited").
  std::chrono::seconds security_audit_window{60};
  std::size_t security_audit_max_sources = 64;
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

  // Binds the listening socket(s). InvalidArgument for a bad TLS pair or a
  // non-loopback metrics listener, Unavailable if an address cannot be bound.
  Status Bind();
  // The bound port (after Bind()); metrics_port() is 0 without a metrics listener.
  int port() const;
  int metrics_port() const;
  // Serves until Stop() is called from another thread (or a signal handler's
  // thread). Writes the pending access-audit rows before returning.
  Status Run();
  void Stop();
  // Blocks until every access-audit row recorded so far is committed.
  Status FlushAccessAudit();

  static std::vector<RouteInfo> Routes();

  struct Impl;  // opaque: server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace kira::server

#endif  // KIRA_SERVER_SERVER_H_
