// Fuzzes the researcher's data-file reader (`kira meta --data`: CSV or JSON,
// kira/evidence/study_data.h) and, for files that load, the pooled fit.
// Properties: no crash or sanitizer report; a loaded file has finite yi and
// vi > 0 for every row; a pooled result is finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kira/evidence/study_data.h"
#include "kira/stats/meta_analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto table = kira::evidence::ParseStudyTable(text);
  if (!table.ok()) return 0;
  kira::evidence::StudyDataOptions o;
  static const char* kMeasures[] = {"", "OR", "RR", "RD", "PETO", "MD", "SMD", "PR", "PLO", "GEN"};
  o.measure = kMeasures[data[0] % 10];
  if ((data[0] & 0x80) != 0) o.correction.scope = kira::stats::CorrectionScope::kNone;
  if ((data[0] & 0x40) != 0) o.moderators = {"x"};
  auto d = kira::evidence::PrepareStudyData(*table, o);
  if (!d.ok()) return 0;
  for (std::size_t i = 0; i < d->yi.size(); ++i) {
    if (!std::isfinite(d->yi[i]) || !(d->vi[i] > 0) || !std::isfinite(d->vi[i])) std::abort();
  }
  auto r = d->moderators.empty() ? kira::stats::MetaAnalyze(d->yi, d->vi)
                                 : kira::stats::MetaRegress(d->yi, d->vi, d->moderators);
  if (r.ok() && (!std::isfinite(r->pooled().estimate) || !std::isfinite(r->tau2))) std::abort();
  return 0;
}
