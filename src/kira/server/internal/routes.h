// Internal to server/: the route table and the types its handlers see.
// Handlers never see an HTTP library type; server.cc adapts.
#ifndef KIRA_SERVER_INTERNAL_ROUTES_H_
#define KIRA_SERVER_INTERNAL_ROUTES_H_

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/advisor/monitor.h"
#include "kira/base/statusor.h"
#include "kira/instruments/instrument.h"
#include "kira/guideline/library.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/server/access_audit.h"
#include "kira/server/auth.h"
#include "kira/server/metrics.h"
#include "kira/server/security_audit.h"
#include "kira/storage/store.h"

namespace kira::server {
struct ServerOptions;
}  // namespace kira::server

namespace kira::server::internal {

struct Call {
  const Principal* who = nullptr;  // null on public routes
  std::string_view body;
  std::vector<std::string> params;  // path parameters, in order
  std::map<std::string, std::string> query;
  std::string request_id;
  std::string remote_addr;
  std::string token;  // the session token that authenticated this call
  bool tls = false;
};

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Services {
  storage::Store* store = nullptr;
  const guideline::Library* library = nullptr;
  const registry::Clock* clock = nullptr;
  registry::SessionRecorder* recorder = nullptr;
  AccessAuditor* audit = nullptr;
  SessionTable* sessions = nullptr;
  LoginLimiter* limiter = nullptr;
  Metrics* metrics = nullptr;
  const advisor::AdvisorLibrary* advisor = nullptr;            // null: advisor routes answer 422
  const instruments::InstrumentLibrary* instruments = nullptr;
  const ServerOptions* options = nullptr;  // limits and log-in settings
  SecurityAudit* security = nullptr;       // unauthenticated events, coalesced (security_audit.h)
};

using Handler = StatusOr<Reply> (*)(Services&, const Call&);

// Role sets of the route table.
enum RoleBit : unsigned {
  kAdmin = 1,
  kClinician = 2,
  kNurse = 4,
  kResearcher = 8,
  kPharmacist = 16,  // the controlled-substance ledger
  kAuditor = 32,     // the audit log, read-only
};
inline constexpr unsigned kPublic = 0;
inline constexpr unsigned kAnyRole = kAdmin | kClinician | kNurse | kResearcher | kPharmacist | kAuditor;
inline constexpr unsigned kCare = kAdmin | kClinician | kNurse;  // may read patient records
// Not a role: marks the routes a restricted session (a password to change,
// a second factor to enrol) may still call.
inline constexpr unsigned kSetup = 1u << 16;
unsigned RoleBitOf(domain::Role r);
std::string RolesText(unsigned roles);

struct Route {
  const char* method;
  const char* path;  // OpenAPI path template; "{x}" matches one path segment
  unsigned roles;    // kPublic: no authentication
  Handler handler;
  const char* summary;
};

std::span<const Route> RouteTable();
// True for the few cheap routes (point reads by key) the transport may answer
// on an I/O thread, without a hand-off to a worker, when the caller's
// session is already in memory (server.h, "Threads").
bool AnswersOnIoThread(const Route& route);
// The clinic-day routes (workflow_routes.cc); RouteTable() includes them.
std::span<const Route> WorkflowRoutes();
// The research dashboard's routes (research_routes.cc); RouteTable() includes them.
std::span<const Route> ResearchRoutes();
// The stored session {params[0]} of the caller's clinic as the Advisor's
// timeline, with the body's pre-checks and discharge attestations
// (routes.cc; the monitor, discharge and discharge-record routes share it).
StatusOr<advisor::SessionTimeline> SessionTimelineOf(Services& s, const Call& c);

// Embedded files (web UI, openapi.json); empty view when absent.
std::string_view FindAsset(std::string_view name);

}  // namespace kira::server::internal

#endif  // KIRA_SERVER_INTERNAL_ROUTES_H_
