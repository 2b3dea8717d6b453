// Fuzzes the evidence-base loader (guidelines/evidence.json format) and, for
// documents that load, the pooling query on every outcome. Property: no
// crash, no sanitizer report; a pooled result is finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kira/evidence/evidence_json.h"
#include "kira/evidence/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto base = kira::evidence::ParseEvidenceBase(text);
  if (!base.ok()) return 0;
  (void)kira::evidence::EvidenceListToJson(*base);
  for (const auto& outcome : base->outcomes) {
    kira::evidence::EvidenceQuery q;
    q.outcome = outcome.id;
    auto pool = kira::evidence::PoolEvidence(*base, q);
    if (!pool.ok() || !pool->result) continue;
    if (!std::isfinite(pool->result->pooled().estimate) || !std::isfinite(pool->result->tau2)) std::abort();
    (void)kira::evidence::EvidencePoolToJson(*base, q, *pool);
  }
  return 0;
}
