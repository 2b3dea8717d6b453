// libFuzzer target: the guideline loader and the overlay loader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kira/api/guideline_json.h"
#include "kira/data/embedded.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kira::guideline::Library* base = [] {
    auto l = kira::api::ParseGuideline(*kira::data::EmbeddedFile("kira.json"));
    if (!l.ok()) __builtin_trap();
    return new kira::guideline::Library(std::move(l).value());
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kira::api::ParseGuideline(text);
  (void)kira::api::ApplyOverlay(*base, text);
  return 0;
}
