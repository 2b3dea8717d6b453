// HTTP plumbing of `kira serve` over cpp-httplib: the only file that names an
// HTTP library type. The pipeline is described in server.h.
#include "kira/server/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <regex>

#include "kira/api/server_json.h"
#include "kira/registry/advisor.h"
#include "kira/server/http_status.h"
#include "kira/server/internal/routes.h"

namespace kira::server {

using internal::Call;
using internal::Reply;
using internal::Route;

namespace {

// Content-Security-Policy for the web UI: only our own scripts, styles and
// XHR; no inline script, no framing, no plugins.
constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

std::string PathRegex(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char ch = path[i];
    if (ch == '{') {
      i = path.find('}', i);
      out += "([^/]+)";
    } else if (ch == '.') {
      out += "\\.";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string CookieValue(const std::string& header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view item(header.data() + pos, end - pos);
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

}  // namespace

struct Server::Impl {
  ServerOptions options;
  storage::Store* store;
  const guideline::Library* library;
  const registry::Clock* clock;
  std::unique_ptr<httplib::Server> http;
  SessionTable sessions;
  LoginLimiter limiter;
  Metrics metrics;
  std::unique_ptr<AccessAuditor> audit;
  std::unique_ptr<registry::SessionRecorder> recorder;
  internal::Services services;
  int port = 0;
  std::string request_prefix = RandomToken().substr(0, 8);
  std::atomic<std::uint64_t> request_seq{0};

  bool tls() const { return !options.tls_cert_file.empty(); }
  std::string NextRequestId() { return request_prefix + "-" + std::to_string(++request_seq); }

  void WriteError(httplib::Response& res, const Status& s, const std::string& request_id) {
    const HttpError e = HttpErrorFor(s.code());
    res.status = e.http_status;
    if (!e.expose_message) {
      // The details (SQL, file names, driver text) go to the log with the
      // request id, never to the client.
      std::fprintf(stderr, "kira serve: request %s: %s\n", request_id.c_str(), s.ToString().c_str());
      res.set_content(api::ErrorJson(e.code, e.http_status == 503 ? "service unavailable" : "internal error", "",
                                     request_id),
                      "application/json");
      return;
    }
    const std::string message(s.message());
    res.set_content(api::ErrorJson(e.code, message, api::FieldOfMessage(message), request_id), "application/json");
  }

  // Steps 4-6 of the pipeline. Returns the principal, or the error to send.
  StatusOr<Principal> Authenticate(const httplib::Request& req, const Route& route, std::string* token) {
    const std::string auth = req.get_header_value("Authorization");
    bool via_cookie = false;
    if (auth.rfind("Bearer ", 0) == 0) {
      *token = auth.substr(7);
    } else {
      *token = CookieValue(req.get_header_value("Cookie"), "kira_session");
      via_cookie = true;
    }
    if (token->empty()) return UnauthenticatedError("log in first (session cookie or bearer token)");
    std::optional<Principal> p = sessions.Find(*token, std::chrono::steady_clock::now());
    if (!p) return UnauthenticatedError("the session has expired or was ended; log in again");
    if (via_cookie && req.method != "GET" && req.method != "HEAD") {
      // Double-submit: a cross-site page can make the browser send the
      // cookie but cannot read the CSRF token to put it in a header.
      if (req.get_header_value("X-CSRF-Token") != p->csrf_token) {
        return PermissionDeniedError("csrf: missing or wrong X-CSRF-Token header");
      }
      const std::string origin = req.get_header_value("Origin");
      const std::string expected = std::string(tls() ? "https://" : "http://") + req.get_header_value("Host");
      if (!origin.empty() && origin != expected) return PermissionDeniedError("csrf: cross-origin request refused");
    }
    if (!(internal::RoleBitOf(p->role) & route.roles)) {
      return PermissionDeniedError("role '" + std::string(domain::RoleName(p->role)) + "' may not " +
                                   route.summary);
    }
    return *p;
  }

  void Dispatch(const Route& route, const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const std::string request_id = NextRequestId();
    res.set_header("X-Request-Id", request_id);
    Call call;
    call.body = req.body;
    call.request_id = request_id;
    call.remote_addr = req.remote_addr;
    call.tls = tls();
    for (std::size_t i = 1; i < req.matches.size(); ++i) call.params.push_back(req.matches[i].str());
    for (const auto& [k, v] : req.params) call.query.emplace(k, v);
    std::optional<Principal> who;
    Status error;
    if (route.roles != internal::kPublic) {
      StatusOr<Principal> p = Authenticate(req, route, &call.token);
      if (p.ok()) {
        who = std::move(*p);
        call.who = &*who;
      } else {
        error = p.status();
      }
    }
    if (error.ok()) {
      if (req.method == "POST" && !req.body.empty() &&
          req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
        error = InvalidArgumentError("Content-Type: must be application/json");
      }
    }
    if (error.ok()) {
      StatusOr<Reply> reply = InvalidArgumentError("unreachable");
      try {
        reply = route.handler(services, call);
      } catch (const std::exception& e) {
        reply = InternalError(std::string("uncaught exception: ") + e.what());
      }
      if (reply.ok()) {
        res.status = reply->status;
        for (const auto& [k, v] : reply->headers) res.set_header(k.c_str(), v);
        res.set_content(std::move(reply->body), reply->content_type.c_str());
      } else {
        error = reply.status();
      }
    }
    if (!error.ok()) WriteError(res, error, request_id);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.Observe(route.path, route.method, res.status, secs);
    if (options.log_requests) {
      std::fprintf(stderr, "%s %s %s %d %.3fms %s\n", request_id.c_str(), req.method.c_str(), req.path.c_str(),
                   res.status, secs * 1e3, who ? who->user_id.c_str() : "-");
    }
  }

  void Serve(const std::string& name, httplib::Response& res) {
    const std::string_view body = internal::FindAsset(name);
    if (body.empty()) {
      res.status = 404;
      return;
    }
    res.set_content(std::string(body), MimeOf(name));
  }

  void Setup() {
    if (tls()) {
      http = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    } else {
      http = std::make_unique<httplib::Server>();
    }
    const int threads = options.threads;
    http->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    http->set_payload_max_length(options.max_body_bytes);
    http->set_keep_alive_max_count(10000);
    // Headers and body go out in separate writes; with Nagle's algorithm the
    // second waits for the client's delayed ACK (~40 ms on Linux).
    http->set_tcp_nodelay(true);
    http->set_read_timeout(10, 0);
    httplib::Headers headers = {
        {"Content-Security-Policy", kCsp},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
        {"Cache-Control", "no-store"},
    };
    if (tls()) headers.emplace("Strict-Transport-Security", "max-age=31536000");
    http->set_default_headers(headers);

    for (const Route& route : internal::RouteTable()) {
      const std::string pattern = PathRegex(route.path);
      auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
        Dispatch(route, req, res);
      };
      if (std::string_view(route.method) == "GET") {
        http->Get(pattern, handler);
      } else {
        http->Post(pattern, handler);
      }
    }
    http->Get("/", [this](const httplib::Request&, httplib::Response& res) { Serve("index.html", res); });
    http->Get(R"(/assets/([A-Za-z0-9_.-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req.matches[1].str(), res);
    });
    // 404 (no route), 413 (body too large), 400 (unparsable request) from the
    // library itself get the same JSON error shape as ours.
    http->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      const std::string id = NextRequestId();
      std::string_view code = "not_found";
      std::string message = "no such route";
      if (res.status == 413) {
        code = "payload_too_large";
        message = "body larger than " + std::to_string(options.max_body_bytes) + " bytes";
      } else if (res.status != 404) {
        code = "bad_request";
        message = "malformed HTTP request";
      }
      res.set_content(api::ErrorJson(code, message, "", id), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }));
    http->set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      WriteError(res, InternalError("uncaught exception"), NextRequestId());
    });
  }
};

Server::Server(storage::Store* store, const guideline::Library* library, const registry::Clock* clock,
               ServerOptions options, const advisor::AdvisorLibrary* advisor,
               const instruments::InstrumentLibrary* instruments)
    : impl_(std::make_unique<Impl>()) {
  Impl& i = *impl_;
  i.options = std::move(options);
  i.store = store;
  i.library = library;
  i.clock = clock;
  i.audit = std::make_unique<AccessAuditor>(store, clock);
  // With the advisor library, recording also enforces the rolling annual cap.
  i.recorder = std::make_unique<registry::SessionRecorder>(
      store, clock, registry::AdvisorDoseCheck(*library, advisor ? &advisor->annual_cap : nullptr), library);
  i.services = internal::Services{store, library, clock, i.recorder.get(), i.audit.get(), &i.sessions, &i.limiter,
                                  &i.metrics, advisor, instruments};
}

Server::~Server() = default;

Status Server::Bind() {
  Impl& i = *impl_;
  if (i.options.tls_cert_file.empty() != i.options.tls_key_file.empty()) {
    return InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  i.Setup();
  if (!i.http->is_valid()) return InvalidArgumentError("--tls-cert/--tls-key: cannot load the certificate or key");
  if (i.options.port == 0) {
    i.port = i.http->bind_to_any_port(i.options.host);
    if (i.port < 0) return UnavailableError("cannot bind " + i.options.host);
  } else {
    if (!i.http->bind_to_port(i.options.host, i.options.port)) {
      return UnavailableError("cannot bind " + i.options.host + ":" + std::to_string(i.options.port));
    }
    i.port = i.options.port;
  }
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

Status Server::Run() {
  const bool ok = impl_->http->listen_after_bind();
  Status flushed = impl_->audit->Flush();
  if (!ok) return UnavailableError("the listening socket failed");
  return flushed;
}

void Server::Stop() {
  if (impl_->http) impl_->http->stop();
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
