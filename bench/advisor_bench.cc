// Advisor part 1: screen + dose of one patient (goal <= 2 us median).
// Run: make bench (or build/bench/advisor_bench --benchmark_repetitions=10).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"

namespace {

std::string Slurp(const std::string& rel) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture {
  kira::guideline::Library lib = std::move(kira::api::ParseGuideline(Slurp("guidelines/kira.json"))).value();
  kira::advisor::AdvisorLibrary advisor =
      std::move(kira::api::ParseAdvisorLibrary(Slurp("guidelines/advisor.json"))).value();
  kira::domain::Patient typical = std::move(kira::api::ParsePatient(Slurp("examples/patients/trd-typical.json"), lib)).value();
  kira::domain::Patient complex =
      std::move(kira::api::ParsePatient(Slurp("examples/patients/hiv-protease-inhibitor.json"), lib)).value();
};

const Fixture& F() {
  static Fixture f;
  return f;
}

void BM_ScreenAndDose(benchmark::State& state, const kira::domain::Patient& p) {
  kira::advisor::DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  for (auto _ : state) {
    // The clinical flow: screen for the route, then check the dose, which
    // carries over the screening's hard stops rather than screening again.
    auto s = kira::advisor::Screen(F().lib, F().advisor, p, "iv");
    auto d = kira::advisor::CheckDose(F().lib, p, req, s);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(d);
  }
}

// The dose check alone (it evaluates the screening rules itself).
void BM_DoseOnly(benchmark::State& state) {
  kira::advisor::DoseRequest req;
  req.protocol_id = "iv-0.5-40min";
  for (auto _ : state) benchmark::DoNotOptimize(kira::advisor::CheckDose(F().lib, F().typical, req));
}

void BM_ScreenOnly(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(kira::advisor::Screen(F().lib, F().advisor, F().typical, "iv"));
}

void BM_ParsePatientJson(benchmark::State& state) {
  std::string text = Slurp("examples/patients/trd-typical.json");
  for (auto _ : state) benchmark::DoNotOptimize(kira::api::ParsePatient(text, F().lib));
}

BENCHMARK_CAPTURE(BM_ScreenAndDose, typical, F().typical);
BENCHMARK_CAPTURE(BM_ScreenAndDose, protease_inhibitor, F().complex);
BENCHMARK(BM_ScreenOnly);
BENCHMARK(BM_DoseOnly);
BENCHMARK(BM_ParsePatientJson);

}  // namespace

BENCHMARK_MAIN();
