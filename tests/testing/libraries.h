// The guideline, advisor and instrument libraries shipped with kira (as
// embedded in the binary), loaded once per test process, as a
// registry::Libraries for tests that drive the registry's use cases.
#ifndef KIRA_TESTING_LIBRARIES_H_
#define KIRA_TESTING_LIBRARIES_H_

#include <cstdlib>
#include <iostream>
#include <memory>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/data/embedded.h"
#include "kira/registry/clinical_record.h"

namespace kira::testing {

inline const registry::Libraries& ShippedLibraries() {
  static const registry::Libraries libs = [] {
    auto need = [](const char* name) {
      auto text = data::EmbeddedFile(name);
      if (!text) {
        std::cerr << "embedded " << name << " missing\n";
        std::abort();
      }
      return std::string(*text);
    };
    auto g = api::ParseGuideline(need("kira.json"));
    auto a = api::ParseAdvisorLibrary(need("advisor.json"));
    auto i = api::ParseInstrumentLibrary(need("instruments.json"));
    if (!g.ok() || !a.ok() || !i.ok()) {
      std::cerr << "shipped libraries do not load\n";
      std::abort();
    }
    return registry::Libraries{new guideline::Library(std::move(g).value()),
                               new advisor::AdvisorLibrary(std::move(a).value()),
                               new instruments::InstrumentLibrary(std::move(i).value())};
  }();
  return libs;
}

}  // namespace kira::testing

#endif  // KIRA_TESTING_LIBRARIES_H_
