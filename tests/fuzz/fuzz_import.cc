// libFuzzer target for the importers (interop/): arbitrary bytes as kira
// session CSV, as a REDCap records export, as FHIR Bulk NDJSON files and as
// an adverse-event vocabulary. Nothing may crash, hang or trip a sanitizer;
// a file that parses is imported into an in-memory registry (dry run and
// all-or-nothing) and its counts must add up. Also checked: CSV writing and
// reading round-trip any fields, and SanitizeUtf8 always yields UTF-8.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "kira/interop/csv.h"
#include "kira/interop/deidentify.h"
#include "kira/interop/fhir_import.h"
#include "kira/interop/redcap.h"
#include "kira/interop/session_import.h"
#include "kira/registry/clock.h"
#include "kira/storage/memory/memory_store.h"

namespace {

using namespace kira;  // NOLINT: fuzz target

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_import: invariant failed: %s\n", what);
    std::abort();
  }
}

void ImportBoth(const interop::ParsedFile& parsed) {
  registry::FakeClock clock(domain::FromUnixMicros(1'770'000'000'000'000));
  const registry::DoseCheck check = [](const registry::DoseCheckInput& in) -> StatusOr<domain::Decision> {
    domain::Decision d;
    d.outcome = in.session.given_dose && units::ToMg(*in.session.given_dose) > 500 ? "hard_stop" : "ok";
    if (d.outcome == "hard_stop") {
      d.findings.push_back({"fuzz.hard_max", domain::Severity::kHardStop, "", "", "", domain::Evidence::kDerived, "", ""});
    }
    return d;
  };
  for (auto mode : {interop::ImportMode::kDryRun, interop::ImportMode::kPartial}) {
    storage::MemoryStore store;
    interop::ImportOptions o;
    o.mode = mode;
    auto r = interop::ImportRows(store, clock, check, parsed, o);
    if (!r.ok()) continue;
    Require(r->rows_read == r->accepted + r->amended + r->refused + r->invalid + r->unchanged, "counts add up");
    Require(mode != interop::ImportMode::kDryRun || !r->committed, "a dry run writes nothing");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  interop::ParseOptions po;
  po.protocols = {"iv-0.5-40min", "in-esketamine-trd"};
  ImportBoth(interop::ParseSessionCsv(text, po));
  ImportBoth(interop::ParseRedcapRecords(text, "c1", po));
  // One input split into the seven Bulk files at NUL bytes.
  std::map<std::string, std::string> files;
  const char* names[] = {"Patient.ndjson", "Encounter.ndjson", "MedicationRequest.ndjson",
                         "MedicationAdministration.ndjson", "Observation.ndjson", "AdverseEvent.ndjson",
                         "Basic.ndjson"};
  std::size_t begin = 0;
  for (int i = 0; i < 7 && begin <= text.size(); ++i) {
    const std::size_t end = std::min(text.find('\0', begin), text.size());
    files[names[i]] = text.substr(begin, end - begin);
    begin = end + 1;
  }
  ImportBoth(interop::ParseFhirBulk(files, "c1", po));
  (void)interop::ParseAeVocabulary(text);

  interop::Utf8Problem p;
  Require(!interop::FindUtf8Problem(interop::SanitizeUtf8(text), &p), "SanitizeUtf8 yields UTF-8");

  FuzzedDataProvider in(data, size);
  std::vector<std::string> fields;
  const int n = in.ConsumeIntegralInRange<int>(1, 8);
  for (int i = 0; i < n; ++i) fields.push_back(interop::SanitizeUtf8(in.ConsumeRandomLengthString(64)));
  auto back = interop::ParseCsv(interop::CsvLine(fields));
  const bool blank = fields.size() == 1 && fields[0].empty();
  Require(back.ok(), "a written line parses");
  if (!blank) {
    Require(back->size() == 1 && back->front().fields == fields, "CSV round trip");
  }
  return 0;
}
