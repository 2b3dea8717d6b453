// Benchmarks for kira_pk (issue 7, part 6). Goals:
//   - a 24-hour curve at 1-minute resolution for one regimen: <= 20 us;
//   - a year-long maintenance plan for 100 000 simulated patients: <= 1 s.
// Results and the command that produced them: docs/bench-pk.md.
#include <benchmark/benchmark.h>

#include <random>

#include "kira/pk/model.h"
#include "kira/pk/simulate.h"
#include "kira/pk/tci.h"

namespace kira::pk {
namespace {

using units::Hours;
using units::Kg;
using units::Mg;
using units::MgPerKg;
using units::Minutes;

Model MakeModel(const ModelParameters& p, double weight_kg) { return *Model::Create(p, Kg(weight_kg)); }

// 0.5 mg/kg over 40 min at 70 kg, curve over 24 h at 1 min (1441 points),
// including validation and the allocation of the result.
void BM_Curve24hAt1Min(benchmark::State& state) {
  const Model m = MakeModel(kKetamineModels[static_cast<size_t>(state.range(0))], 70.0);
  Regimen r;
  r.infusions.push_back({Minutes(0.0), Minutes(40.0), MgPerKg(0.5) * Kg(70.0) / Minutes(40.0)});
  for (auto _ : state) {
    auto curve = SimulateCurve(m, r, Hours(24.0), Minutes(1.0));
    benchmark::DoNotOptimize(curve.value().values.data());
  }
  state.SetLabel(std::string(m.parameters().name));
}
BENCHMARK(BM_Curve24hAt1Min)->DenseRange(0, 2);

// The same with a 500 mg IM dose (absorption depot path).
void BM_Curve24hAt1MinIm(benchmark::State& state) {
  const Model m = MakeModel(kKetamineModels[0], 64.0);
  Regimen r;
  r.doses.push_back({Minutes(0.0), Mg(500.0), Route::kIntramuscular});
  for (auto _ : state) {
    auto curve = SimulateCurve(m, r, Hours(24.0), Minutes(1.0));
    benchmark::DoNotOptimize(curve.value().values.data());
  }
}
BENCHMARK(BM_Curve24hAt1MinIm);

// One simulated patient's year: an induction series of six 40-min infusions
// (days 0, 2, 4, 7, 9, 11) then one every 14 days to day 365 (32 sessions),
// 0.5 mg/kg each, with the patient's weight and model drawn at random. The
// plan analysis builds the patient's model, checks the regimen, solves the peak
// of every session and the time above 1200 ng/mL over the year.
double AnalysePatient(std::mt19937_64& rng, Regimen& r) {
  std::uniform_real_distribution<double> weight(45.0, 120.0);
  std::uniform_real_distribution<double> dose(0.4, 0.6);
  const double w = weight(rng);
  const Model m = MakeModel(kKetamineModels[rng() % kKetamineModels.size()], w);
  r.infusions.clear();
  auto add = [&](double day) {
    r.infusions.push_back({Hours(24.0 * day), Minutes(40.0), MgPerKg(dose(rng)) * Kg(w) / Minutes(40.0)});
  };
  for (double day : {0.0, 2.0, 4.0, 7.0, 9.0, 11.0}) add(day);
  for (double day = 25.0; day < 365.0; day += 14.0) add(day);
  auto a = Analyse(m, r, {Hours(24.0 * 365), units::NgPerMl(1200.0), true});
  return units::ToNgPerMl(a.value().peak.concentration) + units::ToMinutes(a.value().crossings->time_above);
}

void BM_YearPlan100kPatients(benchmark::State& state) {
  Regimen r;
  r.infusions.reserve(64);
  for (auto _ : state) {
    std::mt19937_64 rng(42);
    double sink = 0.0;
    for (int p = 0; p < 100'000; ++p) sink += AnalysePatient(rng, r);
    benchmark::DoNotOptimize(sink);
  }
}
BENCHMARK(BM_YearPlan100kPatients)->Unit(benchmark::kMillisecond);

// Target-concentration planning: hold 200 ng/mL for 40 min at 10-s pump updates.
void BM_TargetControl40Min(benchmark::State& state) {
  const Model m = MakeModel(kKetamineModels[0], 70.0);
  TargetControlOptions o{units::NgPerMl(200.0), Minutes(40.0), units::MgPerKgPerH(2.0), std::nullopt};
  for (auto _ : state) {
    auto plan = PlanTargetConcentration(m, o);
    benchmark::DoNotOptimize(plan.value().schedule.data());
  }
}
BENCHMARK(BM_TargetControl40Min);

}  // namespace
}  // namespace kira::pk

BENCHMARK_MAIN();
