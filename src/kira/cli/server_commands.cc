#include "kira/cli/server_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "kira/api/advisor_json.h"
#include "kira/api/instruments_json.h"
#include "kira/cli/common.h"
#include "kira/cli/registry_commands.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clock.h"
#include "kira/registry/unit_of_work.h"
#include "kira/server/accounts.h"
#include "kira/server/auth.h"
#include "kira/server/server.h"
#include "kira/storage/open_store.h"

namespace kira::cli {

namespace {

// "127.0.0.1:8080" -> host, port. InvalidArgument naming --listen.
Status ParseListen(const std::string& s, std::string* host, int* port) {
  const std::size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return InvalidArgumentError("--listen: expected HOST:PORT, got '" + s + "'");
  *host = s.substr(0, colon);
  const std::string p = s.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) return InvalidArgumentError("--listen: bad port '" + p + "'");
  *port = static_cast<int>(v);
  return Status::Ok();
}

StatusOr<std::string> ReadPassword(const std::string& file) {
  std::string pw;
  if (file.empty()) {
    std::getline(std::cin, pw);
  } else {
    std::ifstream in(file);
    if (!in) return InvalidArgumentError("--password-file: cannot read '" + file + "'");
    std::getline(in, pw);
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP JSON API (/api/v1, OpenAPI at /api/openapi.json) and the web UI");
  struct Args {
    std::string db = storage::kDefaultDatabase;
    std::string listen = "127.0.0.1:8080";
    std::string metrics_listen;
    std::string tls_cert;
    std::string tls_key;
    server::ServerOptions o;
    int header_timeout_ms = 10000;
    int body_timeout_ms = 10000;
    int idle_timeout_ms = 30000;
    bool no_admin_mfa = false;
    bool routes = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--db", a->db, "Registry database: a SQLite file path, or postgres://...")->capture_default_str();
  cmd->add_option("--listen", a->listen, "Address to listen on, HOST:PORT (port 0: any free port)")->capture_default_str();
  cmd->add_option("--metrics-listen", a->metrics_listen,
                  "Loopback HOST:PORT serving GET /metrics without a log-in (default: /metrics needs an admin)");
  cmd->add_option("--tls-cert", a->tls_cert, "PEM certificate chain: serve HTTPS, TLS 1.2 or later (needs --tls-key)");
  cmd->add_option("--tls-key", a->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--threads", a->o.threads, "Worker threads running handlers (database, password hashing)")
      ->capture_default_str();
  cmd->add_option("--io-threads", a->o.io_threads, "Threads running the sockets")->capture_default_str();
  cmd->add_option("--max-body-bytes", a->o.max_body_bytes, "Largest request body, chunked or not (413)")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", a->o.max_header_bytes, "Largest request header block (431)")
      ->capture_default_str();
  cmd->add_option("--max-header-fields", a->o.max_header_fields, "Most request header fields (431)")
      ->capture_default_str();
  cmd->add_option("--max-json-depth", a->o.max_json_depth, "Deepest JSON nesting in a body (400)")
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", a->header_timeout_ms, "The whole request header within (ms)")
      ->capture_default_str();
  cmd->add_option("--body-timeout-ms", a->body_timeout_ms, "The whole body within, once the header is in (ms)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", a->idle_timeout_ms, "Keep-alive wait for the next request (ms)")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-address", a->o.max_connections_per_address,
                  "Open connections one client address may hold")
      ->capture_default_str();
  cmd->add_option("--max-connections", a->o.max_connections, "Open connections in all")->capture_default_str();
  cmd->add_option("--min-password-length", a->o.min_password_length, "Password policy: minimum length")
      ->capture_default_str();
  cmd->add_option("--min-cell-count", a->o.min_cell_count,
                  "Researcher views suppress counts below this")->capture_default_str();
  cmd->add_flag("--no-admin-mfa", a->no_admin_mfa,
                "Do not require admins to enrol a second factor (test and demo registries only)");
  cmd->add_flag("--log-requests", a->o.log_requests, "Log one line per request on stderr");
  cmd->add_flag("--routes", a->routes, "Print the route table and exit");
  cmd->callback([&ctx, a] {
    if (a->routes) {
      for (const auto& r : server::Server::Routes()) {
        *ctx.out << fmt::format("{:<5} {:<40} {:<24} {}\n", r.method, r.path, r.roles, r.summary);
      }
      return;
    }
    // SIGINT/SIGTERM end the server cleanly (in-flight requests answered,
    // the access audit committed, exit 0): the signals are blocked before
    // any thread starts (every thread inherits the mask) and taken by one
    // thread with sigwait, so no work happens in a signal handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    server::ServerOptions o = a->o;
    if (Status s = ParseListen(a->listen, &o.host, &o.port); !s.ok()) return ctx.BadInput(s);
    if (o.threads < 1 || o.threads > 256) return ctx.BadInput(InvalidArgumentError("--threads: must be in 1..256"));
    if (o.io_threads < 1 || o.io_threads > 64) return ctx.BadInput(InvalidArgumentError("--io-threads: must be in 1..64"));
    if (o.max_body_bytes < 1024 || o.max_body_bytes > (64u << 20)) {
      return ctx.BadInput(InvalidArgumentError("--max-body-bytes: must be in 1024..67108864"));
    }
    if (o.max_header_bytes < 1024 || o.max_header_bytes > (1u << 20)) {
      return ctx.BadInput(InvalidArgumentError("--max-header-bytes: must be in 1024..1048576"));
    }
    if (o.max_header_fields < 8) return ctx.BadInput(InvalidArgumentError("--max-header-fields: must be at least 8"));
    if (o.max_json_depth < 4 || o.max_json_depth > 512) {
      return ctx.BadInput(InvalidArgumentError("--max-json-depth: must be in 4..512"));
    }
    for (auto [v, name] : {std::pair{a->header_timeout_ms, "--header-timeout-ms"},
                           std::pair{a->body_timeout_ms, "--body-timeout-ms"},
                           std::pair{a->idle_timeout_ms, "--idle-timeout-ms"}}) {
      if (v < 100 || v > 3600000) return ctx.BadInput(InvalidArgumentError(std::string(name) + ": must be in 100..3600000"));
    }
    if (o.max_connections_per_address < 1 || o.max_connections < 1) {
      return ctx.BadInput(InvalidArgumentError("--max-connections-per-address: must be at least 1"));
    }
    if (o.min_password_length < 8 || o.min_password_length > 128) {
      return ctx.BadInput(InvalidArgumentError("--min-password-length: must be in 8..128"));
    }
    if (o.min_cell_count < 1) return ctx.BadInput(InvalidArgumentError("--min-cell-count: must be at least 1"));
    o.header_timeout = std::chrono::milliseconds(a->header_timeout_ms);
    o.body_timeout = std::chrono::milliseconds(a->body_timeout_ms);
    o.idle_timeout = std::chrono::milliseconds(a->idle_timeout_ms);
    o.require_admin_mfa = !a->no_admin_mfa;
    o.tls_cert_file = a->tls_cert;
    o.tls_key_file = a->tls_key;
    o.metrics_listen = a->metrics_listen;
    if (a->tls_cert.empty() && !server::IsLoopbackHost(o.host)) {
      *ctx.err << "kira serve: WARNING: listening on " << o.host
               << " without TLS: passwords, session tokens and patient data cross the network in clear text. "
                  "Give --tls-cert/--tls-key, or bind 127.0.0.1 behind a TLS-terminating reverse proxy.\n";
    }
    // Every connection is a file descriptor: take the hard limit.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    auto lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    auto advisor_text = ReadDataFile("", "advisor.json");
    if (!advisor_text.ok()) return ctx.BadInput(advisor_text.status());
    auto advisor_lib = api::ParseAdvisorLibrary(*advisor_text);
    if (!advisor_lib.ok()) return ctx.BadInput(advisor_lib.status().WithContext("advisor library (embedded advisor.json)"));
    auto instruments_text = ReadDataFile("", "instruments.json");
    if (!instruments_text.ok()) return ctx.BadInput(instruments_text.status());
    auto instruments_lib = api::ParseInstrumentLibrary(*instruments_text);
    if (!instruments_lib.ok()) {
      return ctx.BadInput(instruments_lib.status().WithContext("instrument library (embedded instruments.json)"));
    }
    auto store = storage::OpenStore(a->db);
    if (!store.ok()) return ctx.BadInput(store.status().WithContext("--db " + a->db));
    if (Status k = registry::UseAuditKeyFor(a->db); !k.ok()) return ctx.BadInput(k);
    registry::SystemClock clock;
    server::Server srv(store->get(), *lib, &clock, o, &*advisor_lib, &*instruments_lib);
    if (Status s = srv.Bind(); !s.ok()) return ctx.BadInput(s);
    std::thread waiter([&srv, set] {
      int sig = 0;
      sigwait(&set, &sig);
      srv.Stop();
    });
    *ctx.out << fmt::format("kira serve: listening on {}://{}:{} ({} backend)\n",
                            a->tls_cert.empty() ? "http" : "https", o.host, srv.port(), (*store)->backend());
    if (srv.metrics_port() != 0) {
      *ctx.out << fmt::format("kira serve: metrics on http://127.0.0.1:{}/metrics\n", srv.metrics_port());
    }
    ctx.out->flush();
    Status run = srv.Run();
    // Wake the waiter if Run ended for another reason.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    if (!run.ok()) {
      *ctx.err << "kira serve: " << run.ToString() << "\n";
      ctx.exit_code = 3;
    }
  });
}

void AddUserCommand(CLI::App& app, Context& ctx) {
  auto* user = app.add_subcommand("user", "Manage log-ins for kira serve");
  user->require_subcommand(1);
  auto* cmd = user->add_subcommand("add", "Add a user with an argon2id-hashed password (read from stdin or --password-file)");
  struct Args {
    std::string db = storage::kDefaultDatabase;
    std::string clinic;
    std::string role;
    std::string name;
    std::string login;
    std::string id;
    std::string password_file;
    std::size_t min_password_length = 12;
    bool new_clinic = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--db", a->db, "Registry database")->capture_default_str();
  cmd->add_option("--clinic", a->clinic, "Clinic id")->required();
  cmd->add_option("--role", a->role, "admin, clinician, nurse, pharmacist, auditor or researcher")->required();
  cmd->add_option("--name", a->name, "Display name")->required();
  cmd->add_option("--login", a->login, "Log-in name (default: the user id)");
  cmd->add_option("--id", a->id, "User id (default: the login)");
  cmd->add_option("--password-file", a->password_file, "Read the password from this file's first line (default: stdin)");
  cmd->add_option("--min-password-length", a->min_password_length, "Password policy: minimum length")
      ->capture_default_str();
  cmd->add_flag("--new-clinic", a->new_clinic, "Create the clinic too");
  cmd->callback([&ctx, a] {
    domain::User u;
    u.clinic_id = a->clinic;
    u.display_name = a->name;
    if (!domain::ParseRole(a->role, &u.role)) {
      return ctx.BadInput(InvalidArgumentError(
          "--role: must be admin, clinician, nurse, pharmacist, auditor or researcher, got '" + a->role + "'"));
    }
    if (a->login.empty() && a->id.empty()) return ctx.BadInput(InvalidArgumentError("--login: required (or --id)"));
    const std::string login = a->login.empty() ? a->id : a->login;
    u.id = a->id.empty() ? login : a->id;
    auto pw = ReadPassword(a->password_file);
    if (!pw.ok()) return ctx.BadInput(pw.status());
    auto store = storage::OpenStore(a->db);
    if (!store.ok()) return ctx.BadInput(store.status().WithContext("--db " + a->db));
    if (Status k = registry::UseAuditKeyFor(a->db); !k.ok()) return ctx.BadInput(k);
    registry::SystemClock clock;
    server::AccountContext actx{store->get(), &clock, "system:cli"};
    actx.min_password_length = a->min_password_length;
    Status s = server::CreateAccount(actx, u, login, *pw, a->new_clinic);
    if (!s.ok()) {
      if (s.IsFailedPrecondition() && !a->new_clinic) {
        return ctx.BadInput(FailedPreconditionError("--clinic: no clinic '" + a->clinic +
                                                    "' (create it with --new-clinic, or run kira demo)"));
      }
      return ctx.BadInput(s);
    }
    *ctx.out << fmt::format("added {} '{}' ({}) to clinic {} with login '{}'\n", domain::RoleName(u.role), u.id,
                            u.display_name, u.clinic_id, login);
  });

  // The account commands act as "system:cli" (the audit rows say so) on one
  // user of one clinic.
  struct Target {
    std::string db = storage::kDefaultDatabase;
    std::string clinic;
    std::string id;
    std::string role;
    std::string password_file;
    std::size_t min_password_length = 12;
  };
  auto add = [&](const char* name, const char* help, bool needs_id,
                 std::function<Status(Context&, Target&, const server::AccountContext&)> run) {
    auto t = std::make_shared<Target>();
    auto* c = user->add_subcommand(name, help);
    c->add_option("--db", t->db, "Registry database")->capture_default_str();
    c->add_option("--clinic", t->clinic, "Clinic id")->required();
    if (needs_id) c->add_option("--id", t->id, "User id")->required();
    if (std::string_view(name) == "role") c->add_option("--role", t->role, "The new role")->required();
    if (std::string_view(name) == "reset-password") {
      c->add_option("--password-file", t->password_file,
                    "Read the temporary password from this file's first line (default: stdin)");
      c->add_option("--min-password-length", t->min_password_length, "Password policy: minimum length")
          ->capture_default_str();
    }
    c->callback([&ctx, t, run] {
      auto store = storage::OpenStore(t->db);
      if (!store.ok()) return ctx.BadInput(store.status().WithContext("--db " + t->db));
      if (Status k = registry::UseAuditKeyFor(t->db); !k.ok()) return ctx.BadInput(k);
      registry::SystemClock clock;
      server::AccountContext actx{store->get(), &clock, "system:cli"};
      actx.min_password_length = t->min_password_length;
      Status s = run(ctx, *t, actx);
      if (!s.ok()) return ctx.BadInput(s);
    });
  };
  add("list", "List a clinic's users and their log-in state", false,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        KIRA_ASSIGN_OR_RETURN(server::Accounts accts, server::ListAccounts(actx, t.clinic));
        *cx.out << fmt::format("{:<20} {:<20} {:<11} {:<8} {:<11} {}\n", "id", "login", "role", "state", "password",
                                "mfa");
        for (const auto& u : accts.users) {
          const domain::Credential* c = nullptr;
          for (const auto& x : accts.credentials) {
            if (x.user_id == u.id) c = &x;
          }
          *cx.out << fmt::format("{:<20} {:<20} {:<11} {:<8} {:<11} {}\n", u.id, c ? c->login : "-",
                                  domain::RoleName(u.role), !c ? "no-login" : c->disabled ? "disabled" : "enabled",
                                  c && c->must_change_password ? "must-change" : "ok",
                                  c && !c->totp_secret.empty() ? "enrolled" : "-");
        }
        return Status::Ok();
      });
  add("disable", "Disable a user's log-in and end their sessions", true,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        KIRA_RETURN_IF_ERROR(server::SetAccountDisabled(actx, t.clinic, t.id, true));
        *cx.out << "disabled '" << t.id << "'; their sessions are ended\n";
        return Status::Ok();
      });
  add("enable", "Enable a user's log-in again", true,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        KIRA_RETURN_IF_ERROR(server::SetAccountDisabled(actx, t.clinic, t.id, false));
        *cx.out << "enabled '" << t.id << "'\n";
        return Status::Ok();
      });
  add("reset-password", "Set a temporary password (stdin or --password-file) to be changed at next log-in", true,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        KIRA_ASSIGN_OR_RETURN(std::string pw, ReadPassword(t.password_file));
        KIRA_RETURN_IF_ERROR(server::ResetAccountPassword(actx, t.clinic, t.id, pw));
        *cx.out << "reset the password of '" << t.id << "'; it must be changed at the next log-in\n";
        return Status::Ok();
      });
  add("end-sessions", "End every log-in session of a user", true,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        KIRA_ASSIGN_OR_RETURN(int n, server::EndAccountSessions(actx, t.clinic, t.id));
        *cx.out << "ended " << n << " session(s) of '" << t.id << "'\n";
        return Status::Ok();
      });
  add("role", "Change a user's role (ends their sessions)", true,
      [](Context& cx, Target& t, const server::AccountContext& actx) -> Status {
        domain::Role role{};
        if (!domain::ParseRole(t.role, &role)) {
          return InvalidArgumentError("--role: must be admin, clinician, nurse, pharmacist, auditor or researcher");
        }
        KIRA_RETURN_IF_ERROR(server::ChangeAccountRole(actx, t.clinic, t.id, role));
        *cx.out << "'" << t.id << "' is now " << domain::RoleName(role) << "\n";
        return Status::Ok();
      });
}

void AddAuditCommand(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "Audit trail: verify the keyed hash chain, signed checkpoints");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "Check every clinic's keyed audit chain and signed checkpoints; name the first bad row");
  struct Args {
    std::string db = storage::kDefaultDatabase;
    std::string clinic;
    std::string checkpoints;
    std::string out;
    bool registry_only = false;
    std::string login;
    std::int64_t after = 0;
    int limit = 1000;
  };
  auto a = std::make_shared<Args>();
  verify->add_option("--db", a->db, "Registry database: a SQLite file path, or postgres://...")->capture_default_str();
  verify->add_option("--clinic", a->clinic, "Only this clinic (default: all)");
  verify->add_flag("--registry", a->registry_only,
                   "Only the registry's own chain (failed log-ins of unknown logins, refusals without a session)");
  verify->add_option("--checkpoints", a->checkpoints,
                     "Also check against the signed checkpoints in this file (from `kira audit checkpoint export`)");
  auto open = [&ctx](const std::string& db) -> std::unique_ptr<storage::Store> {
    auto store = storage::OpenStore(db);
    if (!store.ok()) {
      ctx.BadInput(store.status().WithContext("--db " + db));
      return nullptr;
    }
    if (Status k = registry::UseAuditKeyFor(db); !k.ok()) {
      ctx.BadInput(k);
      return nullptr;
    }
    return std::move(store).value();
  };
  verify->callback([&ctx, a, open] {
    auto store = open(a->db);
    if (!store) return;
    std::vector<domain::AuditCheckpoint> extra;
    if (!a->checkpoints.empty()) {
      std::ifstream in(a->checkpoints);
      if (!in) return ctx.BadInput(InvalidArgumentError("--checkpoints: cannot read '" + a->checkpoints + "'"));
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = registry::ParseCheckpointLines(ss.str());
      if (!parsed.ok()) return ctx.BadInput(parsed.status().WithContext("--checkpoints " + a->checkpoints));
      extra = std::move(parsed).value();
    }
    std::vector<std::string> clinics;
    if (a->registry_only) {
      clinics.emplace_back(storage::kRegistryAuditChain);
    } else if (!a->clinic.empty()) {
      clinics.push_back(a->clinic);
    } else {
      auto tx = store->Begin();
      if (!tx.ok()) return ctx.BadInput(tx.status());
      auto all = (*tx)->ListClinics();
      if (!all.ok()) return ctx.BadInput(all.status());
      for (const auto& c : *all) clinics.push_back(c.id);
      // The registry's own chain of security events with no clinic.
      clinics.emplace_back(storage::kRegistryAuditChain);
    }
    bool broken = false;
    for (const auto& c : clinics) {
      auto v = registry::VerifyAudit(*store, c, extra);
      const std::string label = storage::IsRegistryAuditChain(c) ? std::string("registry chain") : "clinic " + c;
      if (!v.ok()) return ctx.BadInput(v.status().WithContext(label));
      if (v->ok) {
        *ctx.out << fmt::format("{}: OK, {} rows verified ({} keyed), {} signed checkpoints matched; head seq {} hash {}\n",
                                label, v->rows_checked, v->keyed_rows, v->checkpoints_checked, v->head_seq, v->head_hash);
      } else {
        broken = true;
        *ctx.out << fmt::format("{}: BROKEN at row seq {}: {} ({} rows before it verified)\n", label, v->bad_seq,
                                v->problem, v->rows_checked);
      }
    }
    ctx.exit_code = broken ? kExitDecision : kExitOk;
  });

  auto* list = audit->add_subcommand(
      "list", "Print audit rows, oldest first: a clinic's chain, or the registry's own chain (host operator only)");
  list->add_option("--db", a->db, "Registry database")->capture_default_str();
  list->add_option("--clinic", a->clinic, "The clinic whose chain to print");
  list->add_flag("--registry", a->registry_only,
                 "The registry's chain: failed log-ins of unknown logins, throttled log-ins, refusals without a session");
  list->add_option("--login", a->login,
                   "Only rows naming this login (matched through its keyed digest; the text itself is never stored)");
  list->add_option("--after", a->after, "Only rows after this seq")->capture_default_str();
  list->add_option("--limit", a->limit, "At most this many rows")->capture_default_str();
  list->callback([&ctx, a, open] {
    if (a->registry_only == !a->clinic.empty()) {
      return ctx.BadInput(InvalidArgumentError("--clinic or --registry: give exactly one"));
    }
    if (a->limit < 1) return ctx.BadInput(InvalidArgumentError("--limit: must be at least 1"));
    auto store = open(a->db);
    if (!store) return;
    const std::string chain = a->registry_only ? std::string(storage::kRegistryAuditChain) : a->clinic;
    const std::string digest = a->login.empty() ? "" : registry::LoginDigest(a->login);
    auto tx = store->Begin();
    if (!tx.ok()) return ctx.BadInput(tx.status());
    std::int64_t after = a->after;
    int printed = 0;
    while (printed < a->limit) {
      auto rows = (*tx)->ListAudit(chain, after, 1000);
      if (!rows.ok()) return ctx.BadInput(rows.status());
      if (rows->empty()) break;
      for (const auto& e : *rows) {
        after = e.seq;
        if (!digest.empty() && e.entity_id != digest) continue;
        *ctx.out << fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", e.seq, domain::FormatInstant(e.at), e.actor,
                                e.action, e.entity, e.entity_id, e.after);
        if (++printed >= a->limit) break;
      }
    }
    ctx.exit_code = kExitOk;
  });

  auto* cp = audit->add_subcommand("checkpoint", "Signed checkpoints of the audit chain heads");
  cp->require_subcommand(1);
  auto* create = cp->add_subcommand("create", "Sign and store a checkpoint of every clinic's chain head now");
  create->add_option("--db", a->db, "Registry database")->capture_default_str();
  create->callback([&ctx, a, open] {
    auto store = open(a->db);
    if (!store) return;
    registry::SystemClock clock;
    auto n = registry::WriteAuditCheckpoints(*store, clock.Now());
    if (!n.ok()) return ctx.BadInput(n.status());
    *ctx.out << fmt::format("{} checkpoint(s) written; public key {}\n", *n, registry::AuditPublicKeyHex());
  });
  auto* exp = cp->add_subcommand("export", "Write every signed checkpoint (with its public key) to a file to keep elsewhere");
  exp->add_option("--db", a->db, "Registry database")->capture_default_str();
  exp->add_option("--out", a->out, "Output file (default: standard output)");
  exp->callback([&ctx, a, open] {
    auto store = open(a->db);
    if (!store) return;
    // A checkpoint of the current heads first, so the export covers them.
    registry::SystemClock clock;
    if (auto n = registry::WriteAuditCheckpoints(*store, clock.Now()); !n.ok()) return ctx.BadInput(n.status());
    auto tx = store->Begin();
    if (!tx.ok()) return ctx.BadInput(tx.status());
    auto all = (*tx)->ListAuditCheckpoints("");
    if (!all.ok()) return ctx.BadInput(all.status());
    std::string text = "# kira signed audit checkpoints; public key " + registry::AuditPublicKeyHex() + "\n";
    for (const auto& c : *all) text += registry::CheckpointLine(c);
    if (a->out.empty()) {
      *ctx.out << text;
    } else {
      std::ofstream out(a->out, std::ios::trunc);
      if (!(out << text)) return ctx.BadInput(InvalidArgumentError("--out: cannot write '" + a->out + "'"));
      *ctx.out << fmt::format("{} checkpoint(s) written to {}\n", all->size(), a->out);
    }
  });
}

}  // namespace kira::cli
