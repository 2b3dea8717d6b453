#include "kira/cli/common.h"

#include "kira/api/advisor_json.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "kira/api/guideline_json.h"
#include "kira/data/embedded.h"

namespace kira::cli {

StatusOr<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(path + ": cannot open file");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return InvalidArgumentError(path + ": read error");
  return s;
}

StatusOr<std::string> ReadDataFile(const std::string& path, std::string_view embedded_name) {
  if (!path.empty()) return ReadInput(path);
  std::optional<std::string_view> e = data::EmbeddedFile(embedded_name);
  if (!e) return InternalError("no embedded data file " + std::string(embedded_name));
  return std::string(*e);
}

StatusOr<const guideline::Library*> Context::Library() {
  if (library_) return library_.get();
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile(guideline_path, "kira.json"));
  StatusOr<guideline::Library> lib = api::ParseGuideline(text);
  if (!lib.ok())
    return lib.status().WithContext("guideline " + (guideline_path.empty() ? std::string("(embedded kira.json)") : guideline_path));
  guideline::Library loaded = std::move(lib).value();
  if (!overlay_path.empty()) {
    KIRA_ASSIGN_OR_RETURN(std::string otext, ReadInput(overlay_path));
    StatusOr<guideline::Library> with = api::ApplyOverlay(loaded, otext);
    if (!with.ok()) return with.status().WithContext("overlay " + overlay_path);
    loaded = std::move(with).value();
  }
  library_ = std::make_unique<guideline::Library>(std::move(loaded));
  return library_.get();
}

StatusOr<const advisor::AdvisorLibrary*> Context::Advisor() {
  if (advisor_) return advisor_.get();
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile(advisor_path, "advisor.json"));
  StatusOr<advisor::AdvisorLibrary> lib = api::ParseAdvisorLibrary(text);
  if (!lib.ok())
    return lib.status().WithContext("advisor library " +
                                    (advisor_path.empty() ? std::string("(embedded advisor.json)") : advisor_path));
  advisor_ = std::make_unique<advisor::AdvisorLibrary>(std::move(lib).value());
  return advisor_.get();
}

void Context::BadInput(const Status& s) {
  *err << "kira: " << (s.code() == StatusCode::kInternal ? s.ToString() : std::string(s.message())) << "\n";
  exit_code = ExitCodeFor(s.code());
}

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
    case StatusCode::kFailedPrecondition: return kExitBadInput;
    case StatusCode::kUnavailable:
    case StatusCode::kAborted: return kExitUnavailable;
    case StatusCode::kInternal: break;
  }
  return kExitInternal;
}

std::string NowUtcIso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace kira::cli
