// Fuzzes kira::stats with effect sizes in a realistic range (|yi| <= 8,
// 1/64 <= vi <= 4): every estimator, test, Q-profile, Egger and trim-and-fill.
// Property: a call either returns an error Status or finite numbers (the
// "never NaN" contract in meta_analysis.h); anything else aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kira/stats/meta_analysis.h"
#include "kira/stats/publication_bias.h"

namespace {

void CheckFinite(double v) {
  if (!std::isfinite(v)) std::abort();
}

void CheckResult(const kira::stats::MetaAnalysisResult& r) {
  for (const auto& c : r.coefficients) {
    CheckFinite(c.estimate);
    CheckFinite(c.se);
    CheckFinite(c.p_value);
    CheckFinite(c.ci_low);
    CheckFinite(c.ci_high);
  }
  CheckFinite(r.tau2);
  CheckFinite(r.heterogeneity.q);
  CheckFinite(r.heterogeneity.i2_percent);
  CheckFinite(r.heterogeneity.h2);
  if (r.tau2 < 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int method = data[0] % 9;
  const bool knha = (data[1] & 1) != 0;
  std::vector<double> yi, vi;
  for (size_t i = 2; i + 1 < size && yi.size() < 200; i += 2) {
    yi.push_back((static_cast<double>(data[i]) - 128.0) / 16.0);
    vi.push_back((static_cast<double>(data[i + 1]) + 1.0) / 64.0);
  }
  kira::stats::MetaOptions o;
  o.method = static_cast<kira::stats::Tau2Estimator>(method);
  o.test = knha ? kira::stats::InferenceTest::kKnappHartung : kira::stats::InferenceTest::kZ;
  auto r = kira::stats::MetaAnalyze(yi, vi, o);
  if (r.ok()) CheckResult(*r);
  auto ci = kira::stats::QProfileTau2Interval(yi, vi);
  if (ci.ok()) {
    CheckFinite(ci->tau2_low);
    CheckFinite(ci->tau2_high);
    if (ci->tau2_low > ci->tau2_high) std::abort();
  }
  auto egger = kira::stats::EggerTest(yi, vi, o);
  if (egger.ok()) CheckFinite(egger->statistic);
  auto tf = kira::stats::TrimAndFill(yi, vi, o);
  if (tf.ok()) CheckResult(tf->adjusted);
  return 0;
}
