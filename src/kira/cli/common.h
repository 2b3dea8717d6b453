// Shared plumbing for kira's subcommands: exit codes, input files, the
// guideline library, and the error convention (a message naming the field on
// stderr, exit 2). Each subcommand lives in its own <name>_command.cc and is
// registered from main.cc with an Add<Name>Command(CLI::App&, Context&).
#ifndef KIRA_CLI_COMMON_H_
#define KIRA_CLI_COMMON_H_

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/advisor/library.h"
#include "kira/guideline/library.h"

namespace CLI {
class App;
}

namespace kira::cli {

// Exit codes. Frozen: scripts depend on them (README "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitDecision = 1;     // not eligible, hard stop, soft limit without a reason
inline constexpr int kExitBadInput = 2;     // malformed or missing input; nothing was decided
inline constexpr int kExitInternal = 3;     // a broken invariant (a bug)
inline constexpr int kExitUnavailable = 4;  // the database or a service cannot be reached, or a
                                            // transaction conflict: nothing was written; retry

// The one table from a failed Status to an exit code (as server/http_status.cc
// maps it to an HTTP status).
int ExitCodeFor(StatusCode code);

struct Context {
  std::string guideline_path;  // empty: the library embedded at build time
  std::string overlay_path;    // optional clinic overlay
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  int exit_code = kExitOk;

  // Loads (once) the library with the overlay applied.
  StatusOr<const guideline::Library*> Library();
  // Loads (once) the advisor library (plans, monitoring, rescue, discharge):
  // `advisor_path` if set, else the embedded advisor.json.
  StatusOr<const advisor::AdvisorLibrary*> Advisor();
  std::string advisor_path;

  // Reports a failed `s`: "kira: <message>" on stderr, exit code from
  // ExitCodeFor (2 for bad input, 4 for an unreachable database, 3 internal).
  void BadInput(const Status& s);

 private:
  std::unique_ptr<guideline::Library> library_;
  std::unique_ptr<advisor::AdvisorLibrary> advisor_;
};

// Reads a whole file, or standard input for "-". Errors name the path.
StatusOr<std::string> ReadInput(const std::string& path);

// Loads a guideline data file: `path` if given, else guidelines/<name> as
// embedded in the binary.
StatusOr<std::string> ReadDataFile(const std::string& path, std::string_view embedded_name);

// The current UTC time as ISO 8601 (the CLI reads the clock; rules never do).
std::string NowUtcIso8601();

}  // namespace kira::cli

#endif  // KIRA_CLI_COMMON_H_
