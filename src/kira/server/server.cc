// HTTP plumbing of `kira serve` over Boost.Beast/Asio: the only file that
// names an HTTP library type. The pipeline and the limits are described in
// server.h.
#include "kira/server/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "kira/api/server_json.h"
#include "kira/registry/advisor.h"
#include "kira/registry/audit.h"
#include "kira/server/http_status.h"
#include "kira/server/internal/idempotent_call.h"
#include "kira/server/internal/routes.h"

namespace kira::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

using internal::Call;
// Streams bound to their I/O thread's io_context by type (not through a
// type-erased executor, which every asynchronous step would pay for).
using TcpStream = beast::basic_stream<tcp, asio::io_context::executor_type, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<TcpStream>;
using internal::Reply;
using internal::Route;

namespace {

// Content-Security-Policy for the web UI: only our own scripts, styles and
// XHR; no inline script, no framing, no plugins.
constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

std::string CookieValue(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

const char* MimeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; `plus_is_space` for query strings. nullopt when malformed.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Depth of the deepest array/object nesting in `body`, scanning iteratively
// (strings and escapes skipped) and stopping as soon as `limit` is passed,
// so a hostile body costs one pass and no recursion.
bool JsonDeeperThan(std::string_view body, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 1;  // path starts with '/'
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The request as the pipeline sees it, independent of the HTTP library.
struct Incoming {
  std::string method;
  std::string path;   // decoded later, per segment
  std::string query;  // raw
  std::string authorization, cookie, csrf, origin, host, content_type;
  std::string idempotency_key;  // [H15] Idempotency-Key header of a write (idempotent_call.h)
  std::string body;
  std::string remote_addr;
};

struct Outgoing {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;
};

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(std::string(host), ec);
  return !ec && a.is_loopback();
}

struct Server::Impl {
  ServerOptions options;
  storage::Store* store = nullptr;
  const guideline::Library* library = nullptr;
  const registry::Clock* clock = nullptr;
  std::unique_ptr<SessionTable> sessions;
  LoginLimiter limiter;
  Metrics metrics;
  std::unique_ptr<AccessAuditor> audit;
  std::unique_ptr<SecurityAudit> security;  // queues into `audit`
  std::unique_ptr<registry::SessionRecorder> recorder;
  internal::Services services;
  std::string request_prefix = RandomToken().substr(0, 8);
  std::atomic<std::uint64_t> request_seq{0};

  // Route table split into path segments once.
  struct CompiledRoute {
    const Route* route;
    std::vector<std::string> segments;  // "{}" for a parameter
    bool quick = false;                 // may be answered on the I/O thread (AnswersOnIoThread)
  };
  std::vector<CompiledRoute> routes;

  // Transport: one single-threaded io_context per I/O thread; a connection
  // lives on one of them for its whole life (no strand, no cross-thread
  // wake-ups between its steps). iocs[0] also runs the acceptors.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::atomic<unsigned> next_ioc{0};
  // Replies released by the audit thread reach each I/O thread in batches:
  // one post per group commit and thread, not one per reply. Parallel to iocs.
  struct Mailbox {
    asio::io_context* ioc = nullptr;
    std::mutex mu;
    std::vector<std::function<void()>> items;  // GUARDED_BY(mu)
    bool scheduled = false;                    // GUARDED_BY(mu)
  };
  std::vector<std::unique_ptr<Mailbox>> mailboxes;
  // Runs `f` on I/O thread `io` (from any thread).
  void Deliver(std::size_t io, std::function<void()> f) {
    Mailbox& m = *mailboxes[io];
    bool post = false;
    {
      std::lock_guard<std::mutex> lock(m.mu);
      m.items.push_back(std::move(f));
      post = !std::exchange(m.scheduled, true);
    }
    if (!post) return;
    asio::post(*m.ioc, [&m] {
      std::vector<std::function<void()>> batch;
      {
        std::lock_guard<std::mutex> lock(m.mu);
        batch.swap(m.items);
        m.scheduled = false;
      }
      for (auto& fn : batch) fn();
    });
  }
  std::optional<asio::thread_pool> workers;
  std::optional<ssl::context> tls_ctx;
  std::optional<tcp::acceptor> acceptor;
  std::optional<tcp::acceptor> metrics_acceptor;
  int port = 0;
  int metrics_port = 0;
  std::atomic<bool> stopping{false};
  std::mutex conn_mu;
  std::map<std::string, int> conns_by_addr;  // GUARDED_BY(conn_mu)
  int conns_total = 0;                        // GUARDED_BY(conn_mu)
  std::atomic<std::uint64_t> refused_connections{0};
  // Requests read and not yet answered; a graceful stop waits for them.
  std::atomic<int> inflight{0};
  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  bool checkpoint_stop = false;  // GUARDED_BY(checkpoint_mu)

  void WriteCheckpoints() {
    security->Sweep();  // close the security audit's ended windows first
    if (registry::AuditPublicKeyHex().empty()) return;
    StatusOr<int> n = registry::WriteAuditCheckpoints(*store, clock->Now());
    if (!n.ok()) std::fprintf(stderr, "kira serve: audit checkpoint not written: %s\n", n.status().ToString().c_str());
  }
  void CheckpointLoop() {
    std::unique_lock<std::mutex> lock(checkpoint_mu);
    while (!checkpoint_cv.wait_for(lock, options.checkpoint_interval, [this] { return checkpoint_stop; })) {
      lock.unlock();
      WriteCheckpoints();
      lock.lock();
    }
  }

  bool tls() const { return !options.tls_cert_file.empty(); }
  std::string NextRequestId() { return request_prefix + "-" + std::to_string(++request_seq); }

  void CompileRoutes() {
    for (const Route& r : internal::RouteTable()) {
      // Only on SQLite, whose read pool never waits behind a writer: a round
      // trip to PostgreSQL, or the in-memory store's one lock, must not hold
      // an I/O thread.
      CompiledRoute c{&r, {}, internal::AnswersOnIoThread(r) && store->backend() == "sqlite"};
      for (std::string_view seg : Segments(r.path)) {
        c.segments.push_back(!seg.empty() && seg.front() == '{' ? "{}" : std::string(seg));
      }
      routes.push_back(std::move(c));
    }
  }

  // ---- Connection accounting ----
  bool Admit(const std::string& addr) {
    std::lock_guard<std::mutex> lock(conn_mu);
    int& n = conns_by_addr[addr];
    if (n >= options.max_connections_per_address || conns_total >= options.max_connections) {
      if (n == 0) conns_by_addr.erase(addr);
      ++refused_connections;
      return false;
    }
    ++n;
    ++conns_total;
    return true;
  }
  void Release(const std::string& addr) {
    std::lock_guard<std::mutex> lock(conn_mu);
    auto it = conns_by_addr.find(addr);
    if (it != conns_by_addr.end() && --it->second <= 0) conns_by_addr.erase(it);
    --conns_total;
  }
  int OpenConnections() {
    std::lock_guard<std::mutex> lock(conn_mu);
    return conns_total;
  }

  // ---- Errors ----
  Outgoing ErrorReply(const Status& s, const std::string& request_id) {
    const HttpError e = HttpErrorFor(s.code());
    Outgoing out;
    out.status = e.http_status;
    std::string message(s.message());
    // Storage errors carry driver text (SQL, table and constraint names):
    // logged with the request id, replaced by a fixed sentence per code.
    const bool from_storage = message.rfind("sqlite", 0) == 0 || message.rfind("postgres", 0) == 0;
    if (!e.expose_message || from_storage) {
      std::fprintf(stderr, "kira serve: request %s: %s\n", request_id.c_str(), s.ToString().c_str());
      std::string_view generic = "internal error";
      switch (e.http_status) {
        case 400: generic = "the request breaks a rule of the registry"; break;
        case 409: generic = "the record conflicts with an existing one"; break;
        case 422: generic = "a record it refers to does not exist or may not change"; break;
        case 503: generic = "service unavailable"; break;
        default: break;
      }
      out.body = api::ErrorJson(e.code, std::string(generic), "", request_id);
      return out;
    }
    out.body = api::ErrorJson(e.code, message, api::FieldOfMessage(message), request_id);
    return out;
  }

  Outgoing PlainError(int status, std::string_view code, const std::string& message) {
    Outgoing out;
    out.status = status;
    out.body = api::ErrorJson(code, message, "", NextRequestId());
    out.close = true;
    return out;
  }

  // Steps 6-8 of the pipeline. Returns the principal, or the error to send.
  // On an I/O thread (`io_thread`) only a session already in memory is
  // accepted; otherwise `*deferred` is set and the request goes to a worker.
  StatusOr<std::shared_ptr<const Principal>> Authenticate(const Incoming& req, const Route& route, std::string* token,
                                                          bool io_thread, bool* deferred) {
    bool via_cookie = false;
    if (req.authorization.rfind("Bearer ", 0) == 0) {
      *token = req.authorization.substr(7);
    } else {
      *token = CookieValue(req.cookie, "kira_session");
      via_cookie = true;
    }
    if (token->empty()) return UnauthenticatedError("log in first (session cookie or bearer token)");
    std::shared_ptr<const Principal> p;
    if (io_thread) {
      p = sessions->FindCached(*token);
      if (!p) {
        *deferred = true;
        return UnavailableError("deferred to a worker");
      }
    } else {
      KIRA_ASSIGN_OR_RETURN(std::optional<Principal> found, sessions->Find(*token));
      if (found) p = std::make_shared<const Principal>(std::move(*found));
    }
    if (!p) return UnauthenticatedError("the session has expired or was ended; log in again");
    if (via_cookie && req.method != "GET" && req.method != "HEAD") {
      // Double-submit: a cross-site page can make the browser send the
      // cookie but cannot read the CSRF token to put it in a header.
      if (req.csrf != p->csrf_token) return PermissionDeniedError("csrf: missing or wrong X-CSRF-Token header");
      const std::string expected = std::string(tls() ? "https://" : "http://") + req.host;
      if (!req.origin.empty() && req.origin != expected) {
        return PermissionDeniedError("csrf: cross-origin request refused");
      }
    }
    if (p->must_change_password && !(route.roles & internal::kSetup)) {
      return PermissionDeniedError("password: must be changed before anything else (POST /api/v1/me/password)");
    }
    if (p->must_enrol_mfa && !(route.roles & internal::kSetup)) {
      return PermissionDeniedError("totp: an admin must enrol a second factor first (POST /api/v1/me/totp)");
    }
    if (!(internal::RoleBitOf(p->role) & route.roles)) {
      return PermissionDeniedError("role '" + std::string(domain::RoleName(p->role)) + "' may not " + route.summary);
    }
    return p;
  }

  const CompiledRoute* Match(const std::vector<std::string_view>& segs, const std::string& method,
                             bool* path_known) {
    for (const CompiledRoute& r : routes) {
      if (r.segments.size() != segs.size()) continue;
      bool ok = true;
      for (std::size_t i = 0; i < segs.size() && ok; ++i) {
        ok = r.segments[i] == "{}" ? !segs[i].empty() : r.segments[i] == segs[i];
      }
      if (!ok) continue;
      *path_known = true;
      if (method == r.route->method) return &r;
    }
    return nullptr;
  }

  // Everything from route match to the reply. On a worker thread, or on
  // the I/O thread (`io_thread`) for a quick route whose session is in
  // memory; nullopt when the request must go to a worker instead (decided
  // before anything is recorded or audited).
  std::optional<Outgoing> Process(Incoming& req, bool metrics_listener, bool io_thread) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::string_view> segs = Segments(req.path);
    bool path_known = false;
    const CompiledRoute* cr = Match(segs, req.method, &path_known);
    if (io_thread && (metrics_listener || !cr || !cr->quick)) return std::nullopt;
    const std::string request_id = NextRequestId();
    Outgoing out;
    std::string_view route_label = "unmatched";
    if (metrics_listener) {
      if (req.path == "/metrics" && req.method == "GET") {
        out.body = RenderMetrics();
        out.content_type = "text/plain; version=0.0.4";
      } else {
        out = ErrorReply(NotFoundError("this listener serves only GET /metrics"), request_id);
      }
    } else if (cr) {
      route_label = cr->route->path;
      std::optional<Outgoing> o = Dispatch(*cr, segs, req, request_id, io_thread);
      if (!o) return std::nullopt;
      out = std::move(*o);
    } else if (req.method == "GET" && (req.path == "/" || req.path.rfind("/assets/", 0) == 0)) {
      const std::string name = req.path == "/" ? "index.html" : req.path.substr(8);
      const std::string_view body = name.find('/') == std::string::npos ? internal::FindAsset(name) : "";
      if (body.empty()) {
        out = ErrorReply(NotFoundError("no such file"), request_id);
      } else {
        out.body = std::string(body);
        out.content_type = MimeOf(name);
        route_label = "asset";
      }
    } else if (path_known) {
      out = ErrorReply(NotFoundError("method " + req.method + " not allowed on this path"), request_id);
      out.status = 405;
      out.body = api::ErrorJson("method_not_allowed", "method " + req.method + " not allowed on this path", "",
                                request_id);
    } else {
      out = ErrorReply(NotFoundError("no such route"), request_id);
    }
    out.headers.emplace_back("X-Request-Id", request_id);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.Observe(route_label, req.method, out.status, secs);
    if (options.log_requests) {
      std::fprintf(stderr, "%s %s %s %d %.3fms %s\n", request_id.c_str(), req.method.c_str(), req.path.c_str(),
                   out.status, secs * 1e3, req.remote_addr.c_str());
    }
    return out;
  }

  std::optional<Outgoing> Dispatch(const CompiledRoute& cr, const std::vector<std::string_view>& segs,
                                   Incoming& req, const std::string& request_id, bool io_thread) {
    const Route& route = *cr.route;
    Call call;
    call.body = req.body;
    call.request_id = request_id;
    call.remote_addr = req.remote_addr;
    call.tls = tls();
    Status error;
    for (std::size_t i = 0; i < segs.size() && error.ok(); ++i) {
      if (cr.segments[i] != "{}") continue;
      std::optional<std::string> v = PercentDecode(segs[i], false);
      if (!v) {
        error = InvalidArgumentError("path: malformed percent-encoding");
      } else {
        call.params.push_back(std::move(*v));
      }
    }
    std::string_view q = req.query;
    while (!q.empty() && error.ok()) {
      const std::size_t amp = q.find('&');
      std::string_view item = q.substr(0, amp);
      q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      if (item.empty()) continue;
      const std::size_t eq = item.find('=');
      auto k = PercentDecode(item.substr(0, eq), true);
      auto v = PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true);
      if (!k || !v) {
        error = InvalidArgumentError("query: malformed percent-encoding");
      } else {
        call.query.emplace(std::move(*k), std::move(*v));
      }
    }
    std::shared_ptr<const Principal> who;
    if (error.ok() && route.roles != internal::kPublic) {
      bool deferred = false;
      StatusOr<std::shared_ptr<const Principal>> p = Authenticate(req, route, &call.token, io_thread, &deferred);
      if (deferred) return std::nullopt;
      if (p.ok()) {
        who = std::move(*p);
        call.who = who.get();
      } else {
        error = p.status();
      }
    }
    if (error.ok() && req.method == "POST" && !req.body.empty()) {
      if (req.content_type.rfind("application/json", 0) != 0) {
        error = InvalidArgumentError("Content-Type: must be application/json");
      } else if (JsonDeeperThan(req.body, options.max_json_depth)) {
        error = InvalidArgumentError("body: JSON nested deeper than " + std::to_string(options.max_json_depth) +
                                     " levels");
      }
    }
    Outgoing out;
    if (error.ok()) {
      StatusOr<Reply> reply = InvalidArgumentError("unreachable");
      try {
        // [H15 idempotency] a write with an Idempotency-Key header is applied
        // at most once and a retry gets the first answer (keep when merging).
        reply = internal::RunIdempotent(services, call, req.method, req.path,
                                        req.idempotency_key,
                                        [&] { return route.handler(services, call); });
      } catch (const std::exception& e) {
        reply = InternalError(std::string("uncaught exception: ") + e.what());
      }
      if (reply.ok()) {
        out.status = reply->status;
        out.headers = std::move(reply->headers);
        out.body = std::move(reply->body);
        out.content_type = std::move(reply->content_type);
      } else {
        error = reply.status();
      }
    }
    if (!error.ok()) {
      out = ErrorReply(error, request_id);
      // Refused accesses of a logged-in user are audited in their clinic;
      // a refusal without a session has no clinic and goes to the log.
      if (out.status == 401 || out.status == 403 || out.status == 404) {
        const std::string what = std::to_string(out.status) + " " + req.method + " " + route.path;
        if (who) {
          audit->Record(AccessEvent{who->clinic_id, who->user_id, "route", call.params.empty() ? "" : call.params[0],
                                    what, "refused"});
        } else if (route.roles != internal::kPublic) {
          // No session, no clinic: the registry's own chain, coalesced.
          security->RefusedWithoutSession(req.remote_addr, out.status, req.method, route.path);
        }
      }
    }
    return out;
  }

  std::string RenderMetrics() {
    return metrics.Render({{"kira_sessions_active", static_cast<double>(sessions->ActiveCount())},
                           {"kira_http_connections_open", static_cast<double>(OpenConnections())},
                           {"kira_http_connections_refused_total", static_cast<double>(refused_connections.load())},
                           {"kira_access_audit_rows_written_total", static_cast<double>(audit->written())},
                           {"kira_access_audit_failed_flushes_total", static_cast<double>(audit->failed_flushes())},
                           {"kira_security_events_coalesced_total", static_cast<double>(security->coalesced())}});
  }

  // The header lines every reply carries, rendered once.
  std::string fixed_headers;
  void RenderFixedHeaders() {
    fixed_headers = std::string("Content-Security-Policy: ") + kCsp + "\r\n" +
                    "X-Content-Type-Options: nosniff\r\n"
                    "X-Frame-Options: DENY\r\n"
                    "Referrer-Policy: no-referrer\r\n"
                    "Cross-Origin-Opener-Policy: same-origin\r\n"
                    "Cross-Origin-Resource-Policy: same-origin\r\n"
                    "Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n"
                    "Cache-Control: no-store\r\n";
    if (tls()) fixed_headers += "Strict-Transport-Security: max-age=31536000\r\n";
  }

  // The whole reply (status line, headers, body) as one buffer: one
  // allocation and one write, instead of a header container per reply.
  // Into `wire` (cleared first; a connection reuses its buffer).
  void Render(Outgoing& out, bool keep, std::string& wire) {
    const auto r = http::obsolete_reason(static_cast<http::status>(out.status));
    const std::string_view reason(r.data(), r.size());
    wire.clear();
    wire.reserve(fixed_headers.size() + 160 + out.body.size());
    wire += "HTTP/1.1 ";
    wire += std::to_string(out.status);
    wire += ' ';
    wire += reason;
    wire += "\r\n";
    wire += fixed_headers;
    auto line = [&wire](std::string_view k, std::string_view v) {
      // Values are the server's own, but a CR or LF must never split a header.
      if (k.find_first_of("\r\n:") != std::string_view::npos || v.find_first_of("\r\n") != std::string_view::npos) {
        return;
      }
      wire += k;
      wire += ": ";
      wire += v;
      wire += "\r\n";
    };
    for (const auto& [k, v] : out.headers) line(k, v);
    const bool no_body = out.status == 204 || out.status == 304 || (out.status >= 100 && out.status < 200);
    if (!no_body) {
      line("Content-Type", out.content_type);
      line("Content-Length", std::to_string(out.body.size()));
    }
    if (!keep) wire += "Connection: close\r\n";
    wire += "\r\n";
    if (!no_body) wire += out.body;
  }

  void Accept(tcp::acceptor& acc, bool metrics_listener);
};

namespace {

// One HTTP/1.1 connection. Every operation runs on the connection's strand;
// handlers run on the worker pool and post their reply back.
template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  // `io`: the index of the I/O thread (io_context) the stream lives on.
  Connection(Server::Impl& server, Stream stream, std::size_t io, std::string addr, bool metrics_listener)
      : server_(server),
        stream_(std::move(stream)),
        io_(io),
        addr_(std::move(addr)),
        metrics_listener_(metrics_listener) {}
  ~Connection() { server_.Release(addr_); }

  void Start() {
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      ReadHeader();
    } else {
      beast::get_lowest_layer(stream_).expires_after(server_.options.header_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->ReadHeader();
                              });
    }
  }

 private:
  void ReadHeader() {
    const ServerOptions& o = server_.options;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(o.max_body_bytes));
    // Between requests the connection holds no buffer memory.
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    beast::get_lowest_layer(stream_).expires_after(first_ ? o.header_timeout : o.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    first_ = false;
    if (ec) return Fail(ec);
    const ServerOptions& o = server_.options;
    const auto& req = parser_->get();
    if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > o.max_header_fields) {
      return Send(server_.PlainError(431, "headers_too_large",
                                     "more than " + std::to_string(o.max_header_fields) + " header fields"));
    }
    // A request without a body is complete with its header: no body read
    // (and no second pass through the event loop).
    if (parser_->is_done()) return OnBody({});
    // The whole header is in; from now the body has its own deadline (a
    // keep-alive wait reset above would otherwise apply).
    beast::get_lowest_layer(stream_).expires_after(o.body_timeout);
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_ = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*continue_),
                        [self = this->shared_from_this()](beast::error_code ec2, std::size_t) {
                          if (ec2) return self->Fail(ec2);
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnBody(ec); });
  }

  // Parse errors that deserve an answer get one, then the connection closes.
  void Fail(beast::error_code ec) {
    const ServerOptions& o = server_.options;
    if (ec == http::error::body_limit) {
      return Send(server_.PlainError(413, "payload_too_large",
                                     "body larger than " + std::to_string(o.max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Send(server_.PlainError(431, "headers_too_large",
                                     "request header larger than " + std::to_string(o.max_header_bytes) + " bytes"));
    }
    if (ec == http::error::buffer_overflow) {
      return Send(server_.PlainError(431, "headers_too_large", "request larger than the read buffer"));
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return Send(server_.PlainError(400, "bad_request", "malformed HTTP request: " + ec.message()));
    }
    // Timeouts, resets, end of stream: just close.
    Close();
  }

  void OnBody(beast::error_code ec) {
    if (ec) return Fail(ec);
    Incoming in;
    auto req = parser_->release();
    parser_.reset();
    in.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const std::size_t qpos = target.find('?');
    in.path = std::string(target.substr(0, qpos));
    if (qpos != std::string_view::npos) in.query = std::string(target.substr(qpos + 1));
    in.authorization = std::string(req[http::field::authorization]);
    in.cookie = std::string(req[http::field::cookie]);
    in.csrf = std::string(req["X-CSRF-Token"]);
    in.origin = std::string(req[http::field::origin]);
    in.host = std::string(req[http::field::host]);
    in.content_type = std::string(req[http::field::content_type]);
    in.idempotency_key = std::string(req["Idempotency-Key"]);
    in.body = std::move(req.body());
    in.remote_addr = addr_;
    keep_alive_ = req.keep_alive();
    if (in.path.empty() || in.path.front() != '/') {
      return Send(server_.PlainError(400, "bad_request", "request target must be an absolute path"));
    }
    // No read while the handler runs; the write deadline starts when the
    // reply is sent.
    beast::get_lowest_layer(stream_).expires_never();
    ++server_.inflight;
    answering_ = true;
    Handle(in, true);
  }

  // Runs the request and sends its reply (on the connection's I/O thread)
  // once its audit row is durable. `io_thread`: called there, which answers
  // a quick route at once and hands anything else to a worker.
  void Handle(Incoming& in, bool io_thread) {
    auto self = this->shared_from_this();
    AccessAuditor::TakeThreadTicket();
    std::optional<Outgoing> answered = server_.Process(in, metrics_listener_, io_thread);
    if (!answered) {
      asio::post(*server_.workers, [self, in = std::move(in)]() mutable { self->Handle(in, false); });
      return;
    }
    Outgoing& out = *answered;
    const std::uint64_t ticket = AccessAuditor::TakeThreadTicket();
    if (ticket == 0) {
      if (io_thread) return Send(std::move(out));
      return asio::post(stream_.get_executor(), [self, out = std::move(out)]() mutable { self->Send(std::move(out)); });
    }
    {
      auto shared = std::make_shared<Outgoing>(std::move(out));
      self->server_.audit->WhenDurable(ticket, [self, shared](const Status& s) {
        if (!s.ok()) {
          std::string id;
          for (const auto& [k, v] : shared->headers) {
            if (k == "X-Request-Id") id = v;
          }
          *shared = self->server_.ErrorReply(s, id);
          shared->headers.emplace_back("X-Request-Id", id);
        }
        self->server_.Deliver(self->io_, [self, shared] { self->Send(std::move(*shared)); });
      });
    }
  }

  void Send(Outgoing out) {
    const bool keep = keep_alive_ && !out.close && !server_.stopping.load();
    // One reply in flight per connection: its buffer is reused (a large
    // reply's is released once written).
    server_.Render(out, keep, wire_);
    beast::get_lowest_layer(stream_).expires_after(server_.options.write_timeout);
    asio::async_write(stream_, asio::buffer(wire_), [self = this->shared_from_this(), keep](beast::error_code ec, std::size_t) {
      if (self->wire_.capacity() > 16 * 1024) std::string().swap(self->wire_);
      if (self->answering_) {
        self->answering_ = false;
        --self->server_.inflight;
      }
      if (ec) return;
      if (!keep) return self->Close();
      self->ReadHeader();
    });
  }

  void Close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  Server::Impl& server_;
  Stream stream_;
  std::size_t io_;
  std::string addr_;
  bool metrics_listener_;
  bool first_ = true;
  bool keep_alive_ = false;
  bool answering_ = false;  // counted in server_.inflight
  beast::flat_buffer buffer_{64 * 1024};  // upper bound; grows only as needed
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<std::string> continue_;
  std::string wire_;  // the reply being written
};

}  // namespace

void Server::Impl::Accept(tcp::acceptor& acc, bool metrics_listener) {
  // Connections are dealt round-robin to the I/O threads' contexts.
  const std::size_t io = next_ioc++ % iocs.size();
  asio::io_context& target = *iocs[io];
  acc.async_accept(target.get_executor(), [this, &acc, &target, io, metrics_listener](beast::error_code ec,
                                                                                      TcpStream::socket_type sock) {
    if (ec == asio::error::operation_aborted || stopping.load()) return;
    if (!ec) {
      beast::error_code ec2;
      const auto ep = sock.remote_endpoint(ec2);
      const std::string addr = ec2 ? std::string("?") : ep.address().to_string();
      if (!Admit(addr)) {
        sock.close(ec2);
      } else {
        sock.set_option(tcp::no_delay(true), ec2);
        // Started on its own I/O thread.
        if (tls() && !metrics_listener) {
          auto c = std::make_shared<Connection<TlsStream>>(
              *this, TlsStream(TcpStream(std::move(sock)), *tls_ctx), io, addr,
              false);
          asio::post(target, [c] { c->Start(); });
        } else {
          auto c = std::make_shared<Connection<TcpStream>>(*this, TcpStream(std::move(sock)), io,
                                                                   addr, metrics_listener);
          asio::post(target, [c] { c->Start(); });
        }
      }
    } else if (ec == asio::error::no_descriptors) {
      // Out of file descriptors: back off briefly rather than spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Accept(acc, metrics_listener);
  });
}

Server::Server(storage::Store* store, const guideline::Library* library, const registry::Clock* clock,
               ServerOptions options, const advisor::AdvisorLibrary* advisor,
               const instruments::InstrumentLibrary* instruments)
    : impl_(std::make_unique<Impl>()) {
  Impl& i = *impl_;
  i.options = std::move(options);
  for (int n = 0; n < std::max(1, i.options.io_threads); ++n) {
    i.iocs.push_back(std::make_unique<asio::io_context>(1));  // one thread runs each
    i.mailboxes.push_back(std::make_unique<Impl::Mailbox>());
    i.mailboxes.back()->ioc = i.iocs.back().get();
  }
  i.store = store;
  i.library = library;
  i.clock = clock;
  SessionTable::Options so;
  so.idle_timeout = i.options.session_idle_timeout;
  so.absolute_timeout = i.options.session_absolute_timeout;
  so.require_admin_mfa = i.options.require_admin_mfa;
  i.sessions = std::make_unique<SessionTable>(store, clock, so);
  i.audit = std::make_unique<AccessAuditor>(store, clock);
  SecurityAudit::Options sa;
  sa.window = i.options.security_audit_window;
  sa.max_sources = i.options.security_audit_max_sources;
  i.security = std::make_unique<SecurityAudit>(i.audit.get(), clock, sa);
  // With the advisor library, recording also enforces the rolling annual cap.
  i.recorder = std::make_unique<registry::SessionRecorder>(
      store, clock, registry::AdvisorDoseCheck(*library, advisor ? &advisor->annual_cap : nullptr), library);
  i.services = internal::Services{store,      library,   clock,   i.recorder.get(), i.audit.get(), i.sessions.get(),
                                  &i.limiter, &i.metrics, advisor, instruments,      &i.options,
                                  i.security.get()};
  i.CompileRoutes();
  i.RenderFixedHeaders();
}

Server::~Server() {
  Impl& i = *impl_;
  Stop();
  // Order matters: no handler may run once the audit is gone, and every
  // connection (owned by handlers queued in the io_context) must be
  // destroyed while the accounting it updates still exists.
  if (i.workers) i.workers->join();
  i.security->Sweep(/*all=*/true);
  i.security.reset();
  i.audit.reset();
  i.acceptor.reset();
  i.metrics_acceptor.reset();
  // Replies never delivered hold connections, whose sockets must close
  // while their io_context still exists.
  i.mailboxes.clear();
  i.iocs.clear();
}

namespace {

Status BindAcceptor(asio::io_context& ioc, std::optional<tcp::acceptor>& acc, const std::string& host, int port,
                    int* bound) {
  boost::system::error_code ec;
  std::string h = host == "localhost" ? "127.0.0.1" : host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const auto addr = asio::ip::make_address(h, ec);
  if (ec) return InvalidArgumentError("--listen: '" + host + "' is not an IP address");
  const tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  acc.emplace(ioc);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  *bound = acc->local_endpoint().port();
  return Status::Ok();
}

}  // namespace

Status Server::Bind() {
  Impl& i = *impl_;
  const ServerOptions& o = i.options;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (o.threads < 1 || o.io_threads < 1) return InvalidArgumentError("--threads: must be at least 1");
  if (i.tls()) {
    i.tls_ctx.emplace(ssl::context::tls_server);
    i.tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(i.tls_ctx->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    i.tls_ctx->use_certificate_chain_file(o.tls_cert_file, ec);
    if (!ec) i.tls_ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return InvalidArgumentError("--tls-cert/--tls-key: cannot load the certificate or key");
  }
  KIRA_RETURN_IF_ERROR(BindAcceptor(*i.iocs[0], i.acceptor, o.host, o.port, &i.port));
  if (!o.metrics_listen.empty()) {
    const std::size_t colon = o.metrics_listen.rfind(':');
    const std::string host = colon == std::string::npos ? "" : o.metrics_listen.substr(0, colon);
    if (!IsLoopbackHost(host)) {
      return InvalidArgumentError("--metrics-listen: must be a loopback address (127.0.0.1:PORT)");
    }
    char* end = nullptr;
    const long port = std::strtol(o.metrics_listen.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) return InvalidArgumentError("--metrics-listen: bad port");
    KIRA_RETURN_IF_ERROR(BindAcceptor(*i.iocs[0], i.metrics_acceptor, host, static_cast<int>(port), &i.metrics_port));
  }
  return Status::Ok();
}

int Server::port() const { return impl_->port; }
int Server::metrics_port() const { return impl_->metrics_port; }

Status Server::Run() {
  Impl& i = *impl_;
  if (!i.acceptor) return FailedPreconditionError("Bind() first");
  i.workers.emplace(static_cast<std::size_t>(i.options.threads));
  i.Accept(*i.acceptor, false);
  if (i.metrics_acceptor) i.Accept(*i.metrics_acceptor, true);
  std::thread checkpointer([&i] { i.CheckpointLoop(); });
  // Each context keeps running while idle (its connections come and go);
  // Stop() ends them all.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& c : i.iocs) guards.push_back(asio::make_work_guard(*c));
  std::vector<std::thread> io;
  for (std::size_t n = 1; n < i.iocs.size(); ++n) {
    io.emplace_back([&i, n] {
      pthread_setname_np(pthread_self(), ("kira-io-" + std::to_string(n)).c_str());
      i.iocs[n]->run();
    });
  }
  i.iocs[0]->run();
  for (auto& t : io) t.join();
  i.workers->join();
  {
    std::lock_guard<std::mutex> lock(i.checkpoint_mu);
    i.checkpoint_stop = true;
  }
  i.checkpoint_cv.notify_all();
  checkpointer.join();
  i.security->Sweep(/*all=*/true);  // the open windows' counts
  Status flushed = i.audit->Flush();
  i.WriteCheckpoints();
  return flushed;
}

void Server::Stop() {
  Impl& i = *impl_;
  if (i.stopping.exchange(true)) return;
  // Graceful: stop accepting, let the requests already read get their
  // answers (at most 10 s), then stop; Run() then commits the audit.
  asio::post(*i.iocs[0], [&i] {
    boost::system::error_code ec;
    if (i.acceptor) i.acceptor->close(ec);
    if (i.metrics_acceptor) i.metrics_acceptor->close(ec);
    auto timer = std::make_shared<asio::steady_timer>(*i.iocs[0]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto poll = std::make_shared<std::function<void()>>();
    // The function holds itself only weakly; the pending wait holds it.
    *poll = [&i, timer, deadline, weak = std::weak_ptr<std::function<void()>>(poll)] {
      if (i.inflight.load() <= 0 || std::chrono::steady_clock::now() >= deadline) {
        for (auto& c : i.iocs) c->stop();
        return;
      }
      auto self = weak.lock();
      timer->expires_after(std::chrono::milliseconds(10));
      timer->async_wait([self](beast::error_code) { (*self)(); });
    };
    (*poll)();
  });
}

Status Server::FlushAccessAudit() { return impl_->audit->Flush(); }

std::vector<RouteInfo> Server::Routes() {
  std::vector<RouteInfo> out;
  for (const Route& r : internal::RouteTable()) {
    out.push_back({r.method, r.path, internal::RolesText(r.roles), r.summary});
  }
  return out;
}

}  // namespace kira::server
