// Advisor benchmarks (issue 3 goals): plan with 5 years of history (goal <= 10 us)
// and monitor a 4-hour session at 1-minute vitals (goal <= 50 us).
// Run: ./build/bench/plan_monitor_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Results are recorded in docs/bench-advisor.md.
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "kira/advisor/monitor.h"
#include "kira/advisor/plan.h"
#include "kira/api/advisor_json.h"
#include "kira/api/instruments_json.h"

namespace {

namespace chr = std::chrono;
using kira::advisor::AdvisorLibrary;

std::string ReadFile(const std::string& rel) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const AdvisorLibrary& Lib() {
  static const AdvisorLibrary lib = kira::api::ParseAdvisorLibrary(ReadFile("guidelines/advisor.json")).value();
  return lib;
}

const kira::instruments::InstrumentLibrary& Ins() {
  static const kira::instruments::InstrumentLibrary lib =
      kira::api::ParseInstrumentLibrary(ReadFile("guidelines/instruments.json")).value();
  return lib;
}

// Five years of TRD history: a 6-session induction each year, then monthly
// maintenance (about 13 sessions a year, 66 in all), scored on MADRS.
kira::advisor::PlanHistory FiveYears(chr::sys_days from) {
  kira::advisor::PlanHistory h;
  h.instrument = "madrs";
  h.baseline_score = 32;
  chr::sys_days d = from;
  for (int year = 0; year < 5; ++year) {
    for (int i = 0; i < 6; ++i) {
      kira::advisor::HistorySession s;
      s.date = d;
      s.phase = "induction";
      s.score = 30.0 - 3 * i;
      if (i == 0) s.baseline_score = 32;
      h.sessions.push_back(s);
      d += chr::days(i % 3 == 2 ? 3 : 2);
    }
    for (int m = 0; m < 7; ++m) {
      d += chr::days(28);
      kira::advisor::HistorySession s;
      s.date = d;
      s.phase = "maintenance";
      s.score = 13;
      h.sessions.push_back(s);
    }
    d += chr::days(150);
  }
  return h;
}

void BM_PlanFiveYearsHistory(benchmark::State& state) {
  const chr::sys_days start{chr::year{2021} / 1 / 4};
  const kira::advisor::PlanHistory h = FiveYears(start);
  kira::advisor::PlanRequest req;
  req.indication = "trd";
  req.start = h.sessions.back().date + chr::days(1);
  const kira::advisor::PlanClock clock{chr::sys_seconds{req.start} + chr::hours(12), chr::minutes(60)};
  for (auto _ : state) {
    auto r = kira::advisor::PlanNext(Lib(), Ins(), req, h, clock);
    benchmark::DoNotOptimize(r);
  }
  state.counters["history_sessions"] = static_cast<double>(h.sessions.size());
}
BENCHMARK(BM_PlanFiveYearsHistory);

// 4 h at 1-min vitals: 240 observations with BP, HR, SpO2, RR, sedation,
// a BP peak around 40 min, one pause/resume, end of dose at 40 min.
kira::advisor::SessionTimeline FourHours() {
  kira::advisor::SessionTimeline tl;
  tl.session_id = "bench";
  tl.route = "iv";
  tl.precheck = {true, true, true, "midazolam", std::nullopt, std::nullopt};
  tl.baseline.sbp_mmhg = 120;
  tl.baseline.dbp_mmhg = 80;
  tl.baseline.hr_bpm = 70;
  tl.baseline.spo2_pct = 98;
  using kira::advisor::EventType;
  auto ev = [](double t, EventType type) {
    kira::advisor::TimelineEvent e;
    e.t_min = t;
    e.type = type;
    return e;
  };
  tl.events.push_back(ev(0, EventType::kStart));
  for (int t = 1; t <= 240; ++t) {
    if (t == 36) tl.events.push_back(ev(35.5, EventType::kPause));
    if (t == 38) tl.events.push_back(ev(37.5, EventType::kResume));
    if (t == 41) tl.events.push_back(ev(40.5, EventType::kEndDose));
    kira::advisor::TimelineEvent e = ev(t, EventType::kVitals);
    const double bump = t <= 40 ? t : (t < 130 ? 40 - (t - 40) * 0.4 : 4);
    e.vitals.sbp_mmhg = 120 + bump;
    e.vitals.dbp_mmhg = 80 + bump / 2;
    e.vitals.hr_bpm = 72;
    e.vitals.spo2_pct = 97;
    e.vitals.rr_per_min = 14;
    e.vitals.moaa_s = 4;
    tl.events.push_back(e);
  }
  return tl;
}

void BM_MonitorFourHourSession(benchmark::State& state) {
  const kira::advisor::SessionTimeline tl = FourHours();
  for (auto _ : state) {
    auto r = kira::advisor::Monitor(Lib(), tl);
    benchmark::DoNotOptimize(r);
  }
  state.counters["events"] = static_cast<double>(tl.events.size());
}
BENCHMARK(BM_MonitorFourHourSession);

}  // namespace

BENCHMARK_MAIN();
