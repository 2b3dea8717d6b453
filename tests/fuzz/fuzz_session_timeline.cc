// Fuzzes the session-timeline JSON parser and, for every timeline it accepts,
// the monitor and discharge advisors that consume it. Any crash, sanitizer
// report or exception escaping api/ is a bug: malformed input must come back
// as kInvalidArgument naming a field.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "kira/advisor/discharge.h"
#include "kira/advisor/monitor.h"
#include "kira/api/advisor_json.h"

namespace {

const kira::advisor::AdvisorLibrary& Library() {
  static const kira::advisor::AdvisorLibrary lib = [] {
    std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/guidelines/advisor.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto parsed = kira::api::ParseAdvisorLibrary(ss.str());
    if (!parsed.ok()) __builtin_trap();  // the shipped library must load
    return std::move(parsed).value();
  }();
  return lib;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tl = kira::api::ParseSessionTimeline(text);
  if (!tl.ok()) {
    if (tl.status().code() != kira::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  kira::advisor::MonitorResult r = kira::advisor::Monitor(Library(), *tl);
  (void)kira::api::MonitorResultToJson(r);
  auto d = kira::advisor::EvaluateDischarge(Library(), *tl);
  (void)d;
  return 0;
}
