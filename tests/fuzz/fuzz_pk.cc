// libFuzzer target for kira_pk: arbitrary regimens (including NaN, infinities,
// negative and unsorted values) and model parameters must either be rejected
// with a Status or give finite, non-negative results; nothing may crash, hang
// or trip a sanitizer. Checked invariants on success: the solved peak is at
// least every value of a curve over the same window, and C >= 0.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "kira/pk/bands.h"
#include "kira/pk/simulate.h"
#include "kira/pk/svg.h"
#include "kira/pk/tci.h"

namespace {

namespace pk = kira::pk;
namespace units = kira::units;

double AnyDouble(FuzzedDataProvider& in, double lo, double hi) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0: return std::nan("");
    case 1: return INFINITY;
    case 2: return -in.ConsumeFloatingPointInRange<double>(0.0, hi);
    case 3: return 0.0;
    default: return in.ConsumeFloatingPointInRange<double>(lo, hi);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  pk::ModelParameters params = pk::kKetamineModels[in.ConsumeIntegralInRange<size_t>(0, 2)];
  if (in.ConsumeBool()) params.k10_per_min = AnyDouble(in, 1e-4, 2.0);
  auto model = pk::Model::Create(params, units::Kg(AnyDouble(in, 1.0, 300.0)));
  if (!model.ok()) return 0;

  pk::Regimen r;
  const int n_inf = in.ConsumeIntegralInRange<int>(0, 6);
  double t = 0.0;
  for (int i = 0; i < n_inf; ++i) {
    t += in.ConsumeBool() ? 0.0 : AnyDouble(in, 0.0, 2000.0);
    const double dur = AnyDouble(in, 0.01, 600.0);
    r.infusions.push_back({units::Minutes(t), units::Minutes(dur), units::MgPerH(AnyDouble(in, 0.0, 500.0))});
    t += dur;
  }
  const int n_dose = in.ConsumeIntegralInRange<int>(0, 6);
  double td = 0.0;
  for (int i = 0; i < n_dose; ++i) {
    td += AnyDouble(in, 0.0, 600.0);
    r.doses.push_back({units::Minutes(td), units::Mg(AnyDouble(in, 0.1, 1000.0)),
                       static_cast<pk::Route>(in.ConsumeIntegralInRange<int>(0, 2))});
  }
  r.intramuscular.ka_per_min = AnyDouble(in, 1e-3, 5.0);
  r.intranasal.ka_per_min = AnyDouble(in, 1e-3, 5.0);
  r.intranasal.bioavailability = AnyDouble(in, 0.01, 1.2);
  const double end = AnyDouble(in, 1.0, 20000.0);

  auto a = pk::Analyse(*model, r, {units::Minutes(end), units::NgPerMl(AnyDouble(in, 1.0, 3000.0)), true});
  if (!a.ok()) return 0;
  const double peak = units::ToNgPerMl(a->peak.concentration);
  if (!std::isfinite(peak) || peak < 0.0) std::abort();
  auto curve = pk::SimulateCurve(*model, r, units::Minutes(end), units::Minutes(end / 500.0));
  if (!curve.ok()) std::abort();  // the same inputs were valid for Analyse
  for (auto c : curve->values) {
    const double v = units::ToNgPerMl(c);
    if (!(v >= -1e-9 * peak) || v > peak * (1.0 + 1e-9) + 1e-9) std::abort();
  }
  (void)pk::RenderCurveSvg(*curve, pk::kReferenceBands, {});
  (void)pk::ClassifyPeak(*a, *model, pk::kDissociationBand, pk::ProtocolIntent::kSubAnaesthetic);

  pk::TargetControlOptions o{units::NgPerMl(AnyDouble(in, 1.0, 3000.0)), units::Minutes(AnyDouble(in, 0.1, 600.0)),
                             units::MgPerKgPerH(AnyDouble(in, 0.01, 20.0)), std::nullopt};
  (void)pk::PlanTargetConcentration(*model, o);
  return 0;
}
