// Benchmarks for kira::stats: REML and DL random-effects fits on synthetic
// data (fixed seed) at k = 10^3, 10^4 and 10^6 studies.
//
//   build/bench/stats_bench --benchmark_filter='REML|DL'
//
// To compare with metafor on identical data, run scripts/bench-metafor.R,
// which writes CSV files (yi,vi) and times rma(); then point this binary at
// one file with KIRA_BENCH_CSV=/tmp/kira-bench/k1000.csv: it adds
// BM_FromCsv/{REML,DL} and prints the estimates for the side-by-side check.
// Results and commands are recorded in docs/bench-stats.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kira/stats/meta_analysis.h"

namespace {

struct Data {
  std::vector<double> yi, vi;
};

// yi ~ N(0.3, vi + 0.1), vi ~ U(0.01, 0.5): a heterogeneous meta-analysis.
const Data& Synthetic(std::size_t k) {
  static std::map<std::size_t, Data> cache;
  auto it = cache.find(k);
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(20261126);
  std::uniform_real_distribution<double> u(0.01, 0.5);
  std::normal_distribution<double> z(0.0, 1.0);
  Data d;
  d.yi.resize(k);
  d.vi.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    d.vi[i] = u(rng);
    d.yi[i] = 0.3 + std::sqrt(d.vi[i] + 0.1) * z(rng);
  }
  return cache.emplace(k, std::move(d)).first->second;
}

void Fit(benchmark::State& state, const Data& d, kira::stats::Tau2Estimator method) {
  kira::stats::MetaOptions options;
  options.method = method;
  double tau2 = 0, beta = 0;
  int iterations = 0;
  for (auto _ : state) {
    auto r = kira::stats::MetaAnalyze(d.yi, d.vi, options);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
    tau2 = r->tau2;
    beta = r->pooled().estimate;
    iterations = r->iterations;
  }
  state.counters["k"] = static_cast<double>(d.yi.size());
  state.counters["tau2"] = tau2;
  state.counters["beta"] = beta;
  state.counters["iter"] = iterations;
}

void BM_REML(benchmark::State& state) {
  Fit(state, Synthetic(static_cast<std::size_t>(state.range(0))),
      kira::stats::Tau2Estimator::kRestrictedMaximumLikelihood);
}
void BM_DL(benchmark::State& state) {
  Fit(state, Synthetic(static_cast<std::size_t>(state.range(0))), kira::stats::Tau2Estimator::kDerSimonianLaird);
}

BENCHMARK(BM_REML)->Arg(1000)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DL)->Arg(1000)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);

Data ReadCsv(const std::string& path) {
  Data d;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header "yi,vi"
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    double y = 0, v = 0;
    char comma = 0;
    if (ls >> y >> comma >> v) {
      d.yi.push_back(y);
      d.vi.push_back(v);
    }
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  static Data csv;
  if (const char* path = std::getenv("KIRA_BENCH_CSV")) {
    csv = ReadCsv(path);
    std::fprintf(stderr, "KIRA_BENCH_CSV %s: k = %zu\n", path, csv.yi.size());
    for (auto [name, method] : {std::pair{"REML", kira::stats::Tau2Estimator::kRestrictedMaximumLikelihood},
                                std::pair{"DL", kira::stats::Tau2Estimator::kDerSimonianLaird}}) {
      kira::stats::MetaOptions o;
      o.method = method;
      auto r = kira::stats::MetaAnalyze(csv.yi, csv.vi, o);
      if (r.ok()) {
        std::fprintf(stderr, "  %-4s beta = %.10f  se = %.10f  tau2 = %.10f\n", name, r->pooled().estimate,
                     r->pooled().se, r->tau2);
      } else {
        std::fprintf(stderr, "  %s: %s\n", name, r.status().ToString().c_str());
      }
      benchmark::RegisterBenchmark((std::string("BM_FromCsv/") + name).c_str(),
                                   [method](benchmark::State& s) { Fit(s, csv, method); })
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
