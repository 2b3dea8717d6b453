// libFuzzer target: decoding of `kira serve` request bodies (api/server_json.h).
// The first byte picks the decoder, the rest is the body. Whatever the bytes,
// a decoder returns a value or kInvalidArgument (never another code, never a
// crash), an error's field path is a prefix of its message, and an accepted
// dose check always gets a decision.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kira/api/guideline_json.h"
#include "kira/api/server_json.h"
#include "kira/data/embedded.h"
#include "kira/advisor/dose.h"

namespace {

void CheckError(const kira::Status& s) {
  if (s.ok()) return;
  if (s.code() != kira::StatusCode::kInvalidArgument) __builtin_trap();
  const std::string message(s.message());
  const std::string field = kira::api::FieldOfMessage(message);
  if (!field.empty() && message.rfind(field, 0) != 0) __builtin_trap();
  // The error body must always be valid to build (request ids are ours).
  if (kira::api::ErrorJson("invalid_argument", message, field, "fuzz-1").empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kira::guideline::Library* lib = [] {
    auto l = kira::api::ParseGuideline(*kira::data::EmbeddedFile("kira.json"));
    if (!l.ok()) __builtin_trap();
    return new kira::guideline::Library(std::move(l).value());
  }();
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: CheckError(kira::api::ParseLoginRequest(body).status()); break;
    case 1: {
      auto r = kira::api::ParseNewPatientRequest(body);
      CheckError(r.status());
      if (r.ok()) (void)kira::api::PatientJson(r->record, r->identity);
      break;
    }
    case 2: {
      auto r = kira::api::ParseDoseCheckRequest(body, *lib);
      CheckError(r.status());
      if (r.ok() && r->patient) {  // without a patient document the route reads the stored facts
        auto d = kira::advisor::CheckDose(*lib, *r->patient, r->dose);
        if (d.ok() && d->decision.outcome.empty()) __builtin_trap();
      }
      break;
    }
    case 3: {
      auto r = kira::api::ParseNewSessionRequest(body);
      CheckError(r.status());
      if (r.ok()) (void)kira::api::SessionJson(r->session);
      break;
    }
    case 4: {
      auto r = kira::api::ParseVitalRequest(body);
      CheckError(r.status());
      if (r.ok()) (void)kira::api::VitalJson(*r);
      break;
    }
    case 5: {
      auto r = kira::api::ParseAdverseEventRequest(body);
      CheckError(r.status());
      if (r.ok()) (void)kira::api::AdverseEventJson(*r);
      break;
    }
    case 6: {
      auto r = kira::api::ParseAssessmentRequest(body);
      CheckError(r.status());
      if (r.ok()) (void)kira::api::AssessmentJson(*r);
      break;
    }
    default: CheckError(kira::api::ParseNewUserRequest(body).status()); break;
  }
  return 0;
}
