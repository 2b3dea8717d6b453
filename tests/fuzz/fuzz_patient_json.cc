// libFuzzer target: the patient JSON parser, then screening and dosing on
// whatever it accepts. Nothing may crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "kira/data/embedded.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kira::guideline::Library* lib = [] {
    auto l = kira::api::ParseGuideline(*kira::data::EmbeddedFile("kira.json"));
    if (!l.ok()) __builtin_trap();
    return new kira::guideline::Library(std::move(l).value());
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = kira::api::ParsePatient(text, *lib);
  if (!p.ok()) return 0;
  for (const char* route : {"iv", "intranasal"}) (void)kira::advisor::Screen(*lib, *p, route);
  for (const auto& proto : lib->protocols) {
    kira::advisor::DoseRequest req;
    req.protocol_id = proto.id;
    auto r = kira::advisor::CheckDose(*lib, *p, req);
    if (!r.ok()) __builtin_trap();  // a parsed patient must always get a decision
    if (r->decision.outcome.empty()) __builtin_trap();
  }
  return 0;
}
