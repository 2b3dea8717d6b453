#include "kira/cli/server_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "kira/api/advisor_json.h"
#include "kira/api/instruments_json.h"
#include "kira/cli/common.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clock.h"
#include "kira/registry/unit_of_work.h"
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
    std::string tls_cert;
    std::string tls_key;
    int threads = 16;
    bool log_requests = false;
    bool routes = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--db", a->db, "Registry database: a SQLite file path, or postgres://...")->capture_default_str();
  cmd->add_option("--listen", a->listen, "Address to listen on, HOST:PORT (port 0: any free port)")->capture_default_str();
  cmd->add_option("--tls-cert", a->tls_cert, "PEM certificate: serve HTTPS (needs --tls-key)");
  cmd->add_option("--tls-key", a->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--threads", a->threads, "Worker threads")->capture_default_str();
  cmd->add_flag("--log-requests", a->log_requests, "Log one line per request on stderr");
  cmd->add_flag("--routes", a->routes, "Print the route table and exit");
  cmd->callback([&ctx, a] {
    if (a->routes) {
      for (const auto& r : server::Server::Routes()) {
        *ctx.out << fmt::format("{:<5} {:<40} {:<24} {}\n", r.method, r.path, r.roles, r.summary);
      }
      return;
    }
    server::ServerOptions o;
    if (Status s = ParseListen(a->listen, &o.host, &o.port); !s.ok()) return ctx.BadInput(s);
    if (a->threads < 1 || a->threads > 256) return ctx.BadInput(InvalidArgumentError("--threads: must be in 1..256"));
    o.tls_cert_file = a->tls_cert;
    o.tls_key_file = a->tls_key;
    o.threads = a->threads;
    o.log_requests = a->log_requests;
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
    registry::SystemClock clock;
    server::Server srv(store->get(), *lib, &clock, o, &*advisor_lib, &*instruments_lib);
    if (Status s = srv.Bind(); !s.ok()) return ctx.BadInput(s);
    // SIGINT/SIGTERM end the server cleanly (the access audit is flushed):
    // the signals are blocked here and taken by a thread with sigwait, so no
    // work happens in a signal handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread waiter([&srv, set] {
      int sig = 0;
      sigwait(&set, &sig);
      srv.Stop();
    });
    *ctx.out << fmt::format("kira serve: listening on {}://{}:{} ({} backend)\n",
                            a->tls_cert.empty() ? "http" : "https", o.host, srv.port(), (*store)->backend());
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
    bool new_clinic = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--db", a->db, "Registry database")->capture_default_str();
  cmd->add_option("--clinic", a->clinic, "Clinic id")->required();
  cmd->add_option("--role", a->role, "admin, clinician, nurse or researcher")->required();
  cmd->add_option("--name", a->name, "Display name")->required();
  cmd->add_option("--login", a->login, "Log-in name (default: the user id)");
  cmd->add_option("--id", a->id, "User id (default: the login)");
  cmd->add_option("--password-file", a->password_file, "Read the password from this file's first line (default: stdin)");
  cmd->add_flag("--new-clinic", a->new_clinic, "Create the clinic too");
  cmd->callback([&ctx, a] {
    domain::User u;
    u.clinic_id = a->clinic;
    u.display_name = a->name;
    if (!domain::ParseRole(a->role, &u.role)) {
      return ctx.BadInput(InvalidArgumentError("--role: must be admin, clinician, nurse or researcher, got '" + a->role + "'"));
    }
    if (a->login.empty() && a->id.empty()) return ctx.BadInput(InvalidArgumentError("--login: required (or --id)"));
    const std::string login = a->login.empty() ? a->id : a->login;
    u.id = a->id.empty() ? login : a->id;
    auto pw = ReadPassword(a->password_file);
    if (!pw.ok()) return ctx.BadInput(pw.status());
    auto hash = server::HashPassword(*pw);
    if (!hash.ok()) return ctx.BadInput(hash.status());
    auto store = storage::OpenStore(a->db);
    if (!store.ok()) return ctx.BadInput(store.status().WithContext("--db " + a->db));
    registry::SystemClock clock;
    Status s = registry::RunInUnitOfWork(**store, clock, "system:cli", [&](registry::UnitOfWork& uow) -> Status {
      if (a->new_clinic) KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, domain::Clinic{u.clinic_id, u.clinic_id, "UTC"}));
      KIRA_RETURN_IF_ERROR(registry::AddUser(uow, u));
      KIRA_RETURN_IF_ERROR(uow.tx().InsertCredential({login, u.clinic_id, u.id, *hash}));
      return uow.Audit(u.clinic_id, "insert", "credential", u.id, "", "login=" + login);
    });
    if (!s.ok()) {
      if (s.IsFailedPrecondition()) {
        return ctx.BadInput(FailedPreconditionError("--clinic: no clinic '" + a->clinic +
                                                    "' (create it with --new-clinic, or run kira demo)"));
      }
      return ctx.BadInput(s);
    }
    *ctx.out << fmt::format("added {} '{}' ({}) to clinic {} with login '{}'\n", domain::RoleName(u.role), u.id,
                            u.display_name, u.clinic_id, login);
  });
}

}  // namespace kira::cli
