// The full cohort report (analytics::ComputeCohortReport) over a synthetic
// registry, against the same report computed as SQL inside SQLite, in one
// run (issue 6: goal <= 1 s at 10 M sessions and >= 20x faster than SQL).
//
//   build/bench/analytics_bench [--sessions N] [--reps R] [--sql-reps S] [--dir D] [--load]
//
// 1. Generates a deterministic registry (splitmix64, fixed seed): patients
//    with indication trd / crps / suicidal_ideation, series of 6 / 5 / 1
//    sessions, ~10 % stopping early, maintenance sessions, PHQ-9 scores at
//    baseline, 24 h, after induction, 3 and 6 months plus monthly follow-up,
//    three adverse-event classes (dissociation rising with mg/kg) and ~1 %
//    annual-cap overrides.
// 2. Writes it into a temporary SQLite file with kira's schema (created by
//    SqliteStore's migrations) using prepared INSERTs in one transaction.
// 3. Builds the columnar analytics::Cohort directly from the generated rows
//    (the same rows; the Store read path is timed separately with --load)
//    and times ComputeCohortReport: median of --reps runs.
// 4. Times the same report as SQL in SQLite (temporary tables, window
//    functions; the Wilson intervals, the KM product and the logistic fits
//    on the SQL's dose bins are done in C++ on the tiny aggregated result),
//    median of --sql-reps runs, and cross-checks every count against (3).
// This file includes sqlite3.h for the raw baseline, as registry_bench does.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/resource.h>
#include <unistd.h>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "kira/analytics/cohort_report.h"
#include "kira/api/analytics_json.h"
#include "kira/registry/analytics_source.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Rng {
  std::uint64_t s;
  std::uint64_t Next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double U() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int I(int lo, int hi) { return lo + static_cast<int>(U() * (hi - lo + 1)); }
};

constexpr const char* kIndications[] = {"trd", "crps", "suicidal_ideation"};
constexpr std::uint32_t kSeries[] = {6, 5, 1};
constexpr const char* kAeClasses[] = {"dissociation", "hypertension", "nausea"};  // name order
constexpr double kUsPerDay = 86400.0 * 1e6;
constexpr double kEpochDay = 20454;  // 2026-01-01

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite error in %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

struct Generated {
  kira::analytics::Cohort cohort;
  std::vector<std::string> patient_group;
};

std::string Id(char prefix, std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%c%010llu", prefix, static_cast<unsigned long long>(n));
  return buf;
}

// Generates the registry, inserting it into `db` and building the cohort.
Generated Generate(std::int64_t target_sessions, sqlite3* db) {
  Generated g;
  auto& c = g.cohort;
  c.dimension = "indication";
  c.group_names = {"crps", "suicidal_ideation", "trd"};  // name order, as LoadCohort
  c.ae_classes = {kAeClasses[0], kAeClasses[1], kAeClasses[2]};
  const std::uint32_t group_of_ind[] = {2, 0, 1};

  auto prep = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    Check(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql);
    return st;
  };
  Check(sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr), db, "begin");
  Check(sqlite3_exec(db, "INSERT INTO clinics (clinic_id, name, time_zone) VALUES ('bench', 'Bench', 'UTC')", nullptr,
                     nullptr, nullptr),
        db, "clinic");
  sqlite3_stmt* ins_p = prep("INSERT INTO patients VALUES ('bench', ?1, 'female', 1980, ?2)");
  sqlite3_stmt* ins_s = prep(
      "INSERT INTO sessions (clinic_id, id, patient_id, protocol_id, state, dosing_weight_kg, planned_dose_mg, "
      "given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, started_at_us, stopped_at_us, recorded_by, "
      "decision_outcome) VALUES ('bench', ?1, ?2, 'iv-0.5-40min', ?3, ?4, ?5, ?6, 1.0, 50.0, ?7, ?8, 'u', 'ok')");
  sqlite3_stmt* ins_a = prep("INSERT INTO assessments VALUES ('bench', ?1, ?2, NULL, ?3, 'phq9', '', ?4, 'phq9-v1')");
  sqlite3_stmt* ins_e = prep("INSERT INTO adverse_events VALUES ('bench', ?1, ?2, ?3, ?4, 'mild', '')");
  sqlite3_stmt* ins_o = prep("INSERT INTO overrides VALUES ('bench', ?1, ?2, 'u', ?3, ?4, 'exceptional')");
  auto text = [](sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  };
  auto step = [&](sqlite3_stmt* st) {
    Check(sqlite3_step(st), db, "insert");
    sqlite3_reset(st);
  };

  Rng rng{20261126};
  std::uint64_t n_sessions = 0, n_scores = 0, n_events = 0, n_overrides = 0, pid = 0;
  while (static_cast<std::int64_t>(n_sessions) < target_sessions) {
    const int ind = rng.U() < 0.6 ? 0 : (rng.U() < 0.5 ? 1 : 2);
    const std::uint32_t series = kSeries[ind];
    int count = static_cast<int>(series) + (rng.U() < 0.4 ? rng.I(1, 4) : 0);
    if (series > 1 && rng.U() < 0.1) count = rng.I(1, static_cast<int>(series) - 1);
    const std::string p = Id('p', pid);
    text(ins_p, 1, p);
    sqlite3_bind_text(ins_p, 2, kIndications[ind], -1, SQLITE_STATIC);
    step(ins_p);

    kira::analytics::CohortPatient cp;
    cp.group = group_of_ind[ind];
    cp.first_session = static_cast<std::uint32_t>(c.sessions.size());
    cp.first_score = static_cast<std::uint32_t>(c.scores.size());
    cp.series_length = series;
    const double first = kEpochDay + rng.I(0, 364) + rng.I(16, 36) / 48.0;
    const double weight = 50 + rng.U() * 70;
    double last_induction = first;
    std::vector<double> days;
    for (int k = 0; k < count; ++k) {
      const double day = k < static_cast<int>(series) ? first + k * 2.5 : first + 30.0 * (k - series + 2);
      days.push_back(day);
      if (k < static_cast<int>(series)) last_induction = day;
    }
    for (int k = 0; k < count; ++k) {
      kira::analytics::CohortSession cs;
      cs.start_day = days[k];
      cs.completed = rng.U() < 0.96;
      cs.administered = true;
      const double given = std::round(weight * (0.35 + 0.35 * rng.U()) * 10) / 10;
      cs.mg_per_kg = given / weight;
      const double p_dis = 1 / (1 + std::exp(-(-4.5 + 4.0 * cs.mg_per_kg)));
      const double p_ae[] = {p_dis, 0.03, 0.08};
      cs.cap_override = rng.U() < 0.01;
      const std::string s = Id('s', n_sessions++);
      const auto at_us = static_cast<std::int64_t>(days[k] * kUsPerDay);
      text(ins_s, 1, s);
      text(ins_s, 2, p);
      sqlite3_bind_text(ins_s, 3, cs.completed ? "discharged" : "stopped", -1, SQLITE_STATIC);
      sqlite3_bind_double(ins_s, 4, weight);
      sqlite3_bind_double(ins_s, 5, given);
      sqlite3_bind_double(ins_s, 6, given);
      sqlite3_bind_int64(ins_s, 7, at_us);
      sqlite3_bind_int64(ins_s, 8, at_us + 2400LL * 1000000);
      step(ins_s);
      for (int a = 0; a < 3; ++a) {
        if (rng.U() >= p_ae[a]) continue;
        cs.ae_mask |= std::uint64_t{1} << a;
        text(ins_e, 1, Id('e', n_events++));
        text(ins_e, 2, s);
        sqlite3_bind_int64(ins_e, 3, at_us + 600LL * 1000000);
        sqlite3_bind_text(ins_e, 4, kAeClasses[a], -1, SQLITE_STATIC);
        step(ins_e);
      }
      if (cs.cap_override || rng.U() < 0.01) {
        text(ins_o, 1, Id('o', n_overrides++));
        text(ins_o, 2, s);
        sqlite3_bind_int64(ins_o, 3, at_us);
        sqlite3_bind_text(ins_o, 4, cs.cap_override ? "plan.cap.annual" : "dose.iv-0.5-40min.session.mg_per_kg.soft_max",
                          -1, SQLITE_STATIC);
        step(ins_o);
      }
      c.sessions.push_back(cs);
    }
    cp.session_count = static_cast<std::uint32_t>(count);

    // Scores: baseline, 24 h, after induction, monthly to 7 months (some missing).
    const int baseline = rng.I(10, 27);
    const double benefit = rng.U();
    std::vector<std::pair<double, int>> sc;
    sc.push_back({first - 1.0 / 48, baseline});
    auto score = [&](double fraction) {
      return std::max(0, static_cast<int>(std::lround(baseline * fraction)));
    };
    if (rng.U() < 0.8) sc.push_back({first + 1 + rng.I(-4, 4) / 24.0, score(1 - 0.7 * benefit * rng.U() - 0.1)});
    if (count >= static_cast<int>(series) && rng.U() < 0.85) sc.push_back({last_induction + 1.5, score(1 - 0.8 * benefit)});
    for (int m = 1; m <= 7; ++m) {
      if (rng.U() < 0.5) continue;
      const double day = first + 30.4 * m + rng.I(-5, 5);
      if (day <= sc.back().first) continue;
      sc.push_back({day, score(1 - 0.8 * benefit + 0.08 * m * rng.U())});
    }
    for (const auto& [day, total] : sc) {
      text(ins_a, 1, Id('a', n_scores++));
      text(ins_a, 2, p);
      sqlite3_bind_int64(ins_a, 3, static_cast<std::int64_t>(day * kUsPerDay));
      sqlite3_bind_int(ins_a, 4, total);
      step(ins_a);
      // The cohort sees the day as stored (microsecond resolution).
      c.scores.push_back({static_cast<double>(static_cast<std::int64_t>(day * kUsPerDay)) / kUsPerDay, double(total)});
    }
    cp.score_count = static_cast<std::uint32_t>(sc.size());
    c.patients.push_back(cp);
    ++pid;
  }
  // Sessions as stored, too.
  for (auto& s : c.sessions) s.start_day = static_cast<double>(static_cast<std::int64_t>(s.start_day * kUsPerDay)) / kUsPerDay;
  for (sqlite3_stmt* st : {ins_p, ins_s, ins_a, ins_e, ins_o}) sqlite3_finalize(st);
  Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  std::printf("generated: %llu patients, %llu sessions, %llu PHQ-9 scores, %llu adverse events, %llu overrides\n",
              static_cast<unsigned long long>(pid), static_cast<unsigned long long>(n_sessions),
              static_cast<unsigned long long>(n_scores), static_cast<unsigned long long>(n_events),
              static_cast<unsigned long long>(n_overrides));
  return g;
}

// ---- The same report as SQL ----

struct SqlReport {
  std::map<std::string, std::vector<std::int64_t>> counts;  // key -> values
  std::map<std::string, std::vector<kira::stats::BinomialRow>> bins;  // "group/class"
  std::map<std::string, std::vector<std::pair<double, std::pair<std::int64_t, std::int64_t>>>> km;  // group -> (t, (n, d))
};

void Rows(sqlite3* db, const std::string& sql, const std::function<void(sqlite3_stmt*)>& each) {
  sqlite3_stmt* st = nullptr;
  Check(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), db, sql.c_str());
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) each(st);
  Check(rc, db, sql.c_str());
  sqlite3_finalize(st);
}

void Exec(sqlite3* db, const char* sql) { Check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

SqlReport RunSqlReport(sqlite3* db) {
  SqlReport r;
  Exec(db,
       "DROP TABLE IF EXISTS temp.proto; DROP TABLE IF EXISTS temp.rp; DROP TABLE IF EXISTS temp.sc;"
       "DROP TABLE IF EXISTS temp.ends; DROP TABLE IF EXISTS temp.tp;"
       "CREATE TEMP TABLE proto (indication TEXT PRIMARY KEY, series INTEGER);"
       "INSERT INTO proto VALUES ('trd', 6), ('crps', 5), ('suicidal_ideation', 1);"
       // Per patient: group, series length, first session day.
       "CREATE TEMP TABLE rp AS SELECT p.id AS pid, p.indication AS grp, pr.series AS L,"
       "  MIN(s.started_at_us) / 86400e6 AS first_day, COUNT(*) AS n_sessions"
       "  FROM patients p JOIN sessions s ON s.clinic_id = p.clinic_id AND s.patient_id = p.id"
       "  JOIN proto pr ON pr.indication = p.indication GROUP BY p.id;"
       "CREATE UNIQUE INDEX temp.rp_pid ON rp (pid);"
       // The session that completes the series within 28 days.
       "CREATE TEMP TABLE ends AS SELECT pid, d AS end_day FROM ("
       "  SELECT s.patient_id AS pid, s.started_at_us / 86400e6 AS d, rp.L AS L,"
       "    ROW_NUMBER() OVER (PARTITION BY s.patient_id ORDER BY s.started_at_us) AS rn"
       "  FROM sessions s JOIN rp ON rp.pid = s.patient_id"
       "  WHERE s.state = 'discharged' AND s.started_at_us / 86400e6 - rp.first_day <= 28) WHERE rn = L;"
       "CREATE UNIQUE INDEX temp.ends_pid ON ends (pid);"
       // PHQ-9 scores relative to the first session, and the baseline.
       "CREATE TEMP TABLE sc AS SELECT a.patient_id AS pid, a.at_us / 86400e6 AS d,"
       "  a.at_us / 86400e6 - rp.first_day AS r, a.total AS t"
       "  FROM assessments a JOIN rp ON rp.pid = a.patient_id WHERE a.instrument = 'phq9';"
       "CREATE INDEX temp.sc_pid ON sc (pid, d);"
       // One row per (patient, time point) picked, with the baseline beside it.
       "CREATE TEMP TABLE tp AS WITH base AS (SELECT pid, t AS b FROM ("
       "    SELECT pid, t, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY r DESC) AS k FROM sc"
       "    WHERE r BETWEEN -30 AND 0) WHERE k = 1),"
       " pick AS ("
       "  SELECT pid, 0 AS tp, d, t FROM (SELECT pid, d, t, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY abs(r - 1), r) k"
       "    FROM sc WHERE r BETWEEN 0.5 AND 2) WHERE k = 1"
       "  UNION ALL SELECT pid, 1, d, t FROM (SELECT sc.pid, sc.d, sc.t,"
       "    ROW_NUMBER() OVER (PARTITION BY sc.pid ORDER BY sc.d DESC) k FROM sc JOIN ends e ON e.pid = sc.pid"
       "    WHERE sc.d > e.end_day AND sc.d <= e.end_day + 14) WHERE k = 1"
       "  UNION ALL SELECT pid, 2, d, t FROM (SELECT pid, d, t, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY abs(r - 91), r) k"
       "    FROM sc WHERE r BETWEEN 70 AND 112) WHERE k = 1"
       "  UNION ALL SELECT pid, 3, d, t FROM (SELECT pid, d, t, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY abs(r - 182), r) k"
       "    FROM sc WHERE r BETWEEN 152 AND 212) WHERE k = 1)"
       " SELECT pick.pid, pick.tp, pick.d, pick.t, base.b,"
       "  (base.b > 0 AND (base.b - pick.t) * 100.0 / base.b >= 50) AS resp, (pick.t < 5) AS rem"
       " FROM pick JOIN base ON base.pid = pick.pid;");
  auto key = [](const unsigned char* g, const char* what) { return std::string(reinterpret_cast<const char*>(g)) + "/" + what; };
  Rows(db,
       "SELECT rp.grp, COUNT(*), COUNT(e.pid), SUM(e.pid IS NOT NULL AND EXISTS (SELECT 1 FROM sessions s"
       "  WHERE s.clinic_id = 'bench' AND s.patient_id = rp.pid AND s.started_at_us / 86400e6 > e.end_day)),"
       "  SUM(rp.n_sessions) FROM rp LEFT JOIN ends e ON e.pid = rp.pid GROUP BY rp.grp",
       [&](sqlite3_stmt* st) {
         const auto* g = sqlite3_column_text(st, 0);
         r.counts[key(g, "patients")] = {sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                                         sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
       });
  Rows(db, "SELECT rp.grp, tp.tp, COUNT(*), SUM(resp), SUM(rem) FROM tp JOIN rp ON rp.pid = tp.pid GROUP BY 1, 2",
       [&](sqlite3_stmt* st) {
         r.counts[key(sqlite3_column_text(st, 0), ("tp" + std::to_string(sqlite3_column_int(st, 1))).c_str())] = {
             sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
       });
  Rows(db,
       "SELECT rp.grp, ae.type, COUNT(DISTINCT ae.session_id) FROM adverse_events ae"
       " JOIN sessions s ON s.clinic_id = ae.clinic_id AND s.id = ae.session_id JOIN rp ON rp.pid = s.patient_id"
       " WHERE s.given_dose_mg IS NOT NULL GROUP BY 1, 2",
       [&](sqlite3_stmt* st) {
         r.counts[key(sqlite3_column_text(st, 0), reinterpret_cast<const char*>(sqlite3_column_text(st, 1)))] = {
             sqlite3_column_int64(st, 2)};
       });
  Rows(db,
       "SELECT rp.grp, COUNT(DISTINCT o.session_id) FROM overrides o"
       " JOIN sessions s ON s.clinic_id = o.clinic_id AND s.id = o.session_id JOIN rp ON rp.pid = s.patient_id"
       " WHERE s.given_dose_mg IS NOT NULL"
       "  AND instr(char(10) || o.rule_ids || char(10), char(10) || 'plan.cap.annual' || char(10)) > 0 GROUP BY 1",
       [&](sqlite3_stmt* st) { r.counts[key(sqlite3_column_text(st, 0), "cap")] = {sqlite3_column_int64(st, 1)}; });
  // Dose bins per class for the logistic fits.
  std::string bins_sql = "SELECT rp.grp, CAST(round(s.given_dose_mg / s.dosing_weight_kg * 1000) AS INTEGER) AS bin, COUNT(*)";
  for (const char* cls : kAeClasses) {
    bins_sql += std::string(", SUM(EXISTS (SELECT 1 FROM adverse_events e WHERE e.clinic_id = s.clinic_id AND "
                            "e.session_id = s.id AND e.type = '") + cls + "'))";
  }
  bins_sql += " FROM sessions s JOIN rp ON rp.pid = s.patient_id WHERE s.given_dose_mg IS NOT NULL GROUP BY 1, 2";
  Rows(db, bins_sql, [&](sqlite3_stmt* st) {
    const auto* g = sqlite3_column_text(st, 0);
    const double x = static_cast<double>(sqlite3_column_int64(st, 1)) * kira::analytics::kMgPerKgResolution;
    const auto n = static_cast<double>(sqlite3_column_int64(st, 2));
    for (int c = 0; c < 3; ++c) {
      r.bins[key(g, kAeClasses[c])].push_back({x, static_cast<double>(sqlite3_column_int64(st, 3 + c)), n});
    }
  });
  // Relapse: responders after induction; the first later non-response is the
  // event, else censored at the last later score (0 when none).
  Rows(db,
       "WITH resp AS (SELECT tp.pid, tp.d AS origin, tp.b FROM tp WHERE tp.tp = 1 AND tp.resp),"
       " obs AS (SELECT resp.pid,"
       "   (SELECT MIN(sc.d) FROM sc WHERE sc.pid = resp.pid AND sc.d > resp.origin"
       "      AND NOT (resp.b > 0 AND (resp.b - sc.t) * 100.0 / resp.b >= 50)) AS ev,"
       "   (SELECT MAX(sc.d) FROM sc WHERE sc.pid = resp.pid AND sc.d > resp.origin) AS last, resp.origin FROM resp)"
       " SELECT rp.grp, CASE WHEN ev IS NOT NULL THEN ev - origin ELSE COALESCE(last - origin, 0) END AS time,"
       "  SUM(ev IS NOT NULL), COUNT(*) FROM obs JOIN rp ON rp.pid = obs.pid GROUP BY 1, 2 ORDER BY 1, 2",
       [&](sqlite3_stmt* st) {
         r.km[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))].push_back(
             {sqlite3_column_double(st, 1), {sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 2)}});
       });
  return r;
}

// The C++ tail of the SQL report: Wilson intervals on every count, the KM
// product with Greenwood sums, and the logistic fits on the SQL's bins.
double FinishSqlReport(const SqlReport& r) {
  double sink = 0;
  for (const auto& [k, v] : r.counts) {
    for (std::size_t i = 1; i < v.size(); ++i) {
      auto w = kira::stats::WilsonInterval(static_cast<double>(v[i]), std::max<double>(1, static_cast<double>(v[0])));
      if (w.ok()) sink += w->low;
    }
  }
  for (const auto& [g, rows] : r.km) {
    std::int64_t at_risk = 0;
    for (const auto& row : rows) at_risk += row.second.first;
    double s = 1, greenwood = 0;
    for (const auto& [t, nd] : rows) {
      const auto [n_here, d] = nd;
      if (d > 0 && at_risk > d) {
        s *= 1 - static_cast<double>(d) / static_cast<double>(at_risk);
        greenwood += static_cast<double>(d) / (static_cast<double>(at_risk) * static_cast<double>(at_risk - d));
      }
      at_risk -= n_here;
    }
    sink += s + greenwood;
  }
  for (const auto& [k, rows] : r.bins) {
    auto fit = kira::stats::FitLogistic(rows);
    if (fit.ok()) sink += fit->slope.estimate;
  }
  return sink;
}

int CrossCheck(const kira::analytics::CohortReport& rep, const SqlReport& sql) {
  int bad = 0;
  auto expect = [&](const std::string& what, std::int64_t a, std::int64_t b) {
    if (a != b) {
      ++bad;
      std::printf("  MISMATCH %s: analytics %lld, SQL %lld\n", what.c_str(), static_cast<long long>(a),
                  static_cast<long long>(b));
    }
  };
  auto get = [&](const std::string& k, std::size_t i) -> std::int64_t {
    auto it = sql.counts.find(k);
    return it == sql.counts.end() || i >= it->second.size() ? 0 : it->second[i];
  };
  for (const auto& g : rep.groups) {
    expect(g.group + " started", g.patients_started, get(g.group + "/patients", 0));
    expect(g.group + " completed", g.series_completion.numerator, get(g.group + "/patients", 1));
    expect(g.group + " returned", g.returned.numerator, get(g.group + "/patients", 2));
    expect(g.group + " sessions", g.sessions, get(g.group + "/patients", 3));
    for (int t = 0; t < kira::analytics::kTimepoints; ++t) {
      const std::string k = g.group + "/tp" + std::to_string(t);
      expect(k + " assessed", g.outcomes[t].response.denominator, get(k, 0));
      expect(k + " response", g.outcomes[t].response.numerator, get(k, 1));
      expect(k + " remission", g.outcomes[t].remission.numerator, get(k, 2));
    }
    for (const auto& ae : g.adverse_events) expect(g.group + " " + ae.ae_class, ae.per_session.numerator, get(g.group + "/" + ae.ae_class, 0));
    expect(g.group + " cap", g.cap_exceptions.numerator, get(g.group + "/cap", 0));
    std::int64_t n = 0, d = 0;
    auto it = sql.km.find(g.group);
    if (it != sql.km.end()) {
      for (const auto& row : it->second) {
        n += row.second.first;
        d += row.second.second;
      }
    }
    expect(g.group + " relapse responders", g.relapse.responders, n);
    expect(g.group + " relapse events", g.relapse.km ? g.relapse.km->events : 0, d);
    for (const auto& dr : g.dose_response) {
      auto b = sql.bins.find(g.group + "/" + dr.ae_class);
      if (b == sql.bins.end() || !dr.fit) continue;
      auto fit = kira::stats::FitLogistic(b->second);
      if (!fit.ok() || std::abs(fit->slope.estimate - dr.fit->slope.estimate) > 1e-9 * (1 + std::abs(dr.fit->slope.estimate))) {
        ++bad;
        std::printf("  MISMATCH %s %s dose-response slope\n", g.group.c_str(), dr.ae_class.c_str());
      }
    }
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t sessions = 1'000'000;
  int reps = 5, sql_reps = 3;
  bool load = false, keep = false;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string existing;  // --db: time --load on this registry (no generation, no in-memory or SQL runs)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sessions" && i + 1 < argc) sessions = std::atoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--sql-reps" && i + 1 < argc) sql_reps = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--load") load = true;
    else if (a == "--keep") keep = true;
    else if (a == "--db" && i + 1 < argc) existing = argv[++i], load = true, keep = true;
    else {
      std::fprintf(stderr, "usage: %s [--sessions N] [--reps R] [--sql-reps S] [--dir D] [--load] [--keep] [--db FILE]\n", argv[0]);
      return 2;
    }
  }
  const auto path = !existing.empty() ? std::filesystem::path(existing)
                                      : dir / ("kira_analytics_bench_" + std::to_string(::getpid()) + ".db");
  kira::analytics::OutcomeRule rule;
  rule.instrument = "phq9";
  rule.version = "bench";
  rule.response_min_percent_fall = 50;
  rule.remission_value = 5;
  Generated g;
  int bad = 0;
  if (existing.empty()) {
  {
    auto store = kira::storage::SqliteStore::Open({.path = path.string()});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
  }
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db), db, "open");
  auto t0 = Clock::now();
  g = Generate(sessions, db);
  auto t1 = Clock::now();
  std::printf("generate + insert into %s: %.1f s\n", path.c_str(), Seconds(t0, t1));
  Exec(db, "ANALYZE");

  std::vector<double> times;
  kira::analytics::CohortReport report;
  for (int i = 0; i < reps; ++i) {
    auto a = Clock::now();
    auto rep = kira::analytics::ComputeCohortReport(g.cohort, rule);
    auto b = Clock::now();
    if (!rep.ok()) {
      std::fprintf(stderr, "%s\n", rep.status().ToString().c_str());
      return 1;
    }
    times.push_back(Seconds(a, b));
    report = std::move(rep).value();
  }
  const double kira_s = Median(times);
  std::printf("kira analytics report (in memory, %zu sessions): median %.3f s over %d runs\n", g.cohort.sessions.size(),
              kira_s, reps);

  if (sql_reps > 0) {  // --sql-reps 0 skips the SQL baseline
    std::vector<double> sql_times;
    SqlReport sql;
    double sink = 0;
    for (int i = 0; i < sql_reps; ++i) {
      auto a = Clock::now();
      sql = RunSqlReport(db);
      sink += FinishSqlReport(sql);
      auto b = Clock::now();
      sql_times.push_back(Seconds(a, b));
    }
    const double sql_s = Median(sql_times);
    std::printf("same report as SQL in SQLite %s: median %.3f s over %d runs (sink %.3g)\n", sqlite3_libversion(), sql_s,
                sql_reps, sink);
    std::printf("ratio SQL / kira: %.1fx\n", sql_s / kira_s);
    bad = CrossCheck(report, sql);
    std::printf("cross-check of every count, and the dose-response slopes, against the SQL: %s\n",
                bad == 0 ? "all equal" : "MISMATCHES (above)");
  }
  sqlite3_close(db);
  }  // generation

  if (load) {
    // End to end from the database, interleaved (the order rotates each
    // round so drift on this shared machine hits every variant alike):
    //  * report: Begin, LoadCohort (the columnar read: ScanCohortColumns),
    //    ComputeCohortReport and the JSON text, as `kira report --json` does;
    //  * columnar read only: ScanCohortColumns into a sink that sums the values;
    //  * paged read only: the portable default (ListPatients / ListSessions /
    //    Scan* in pages of 5000, one record object per row), same sink;
    //  * raw scan: the same five SELECTs with sqlite3_step, summing the
    //    columns (the floor for reading these columns from this file).
    auto store = kira::storage::SqliteStore::Open({.path = path.string()});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    kira::guideline::Library lib;
    struct SumSink : kira::storage::CohortColumnsSink {
      double sum = 0;
      std::int64_t rows = 0;
      void Patient(std::string_view id, std::string_view ind) override { sum += static_cast<double>(id.size() + ind.size()); ++rows; }
      void Session(std::int64_t key, std::string_view pid, std::string_view proto, std::int64_t at,
                   std::optional<double> mg, double kg, kira::domain::SessionState st) override {
        sum += static_cast<double>(key) + static_cast<double>(pid.size() + proto.size()) + static_cast<double>(at) * 1e-12 +
               mg.value_or(0) + kg + static_cast<double>(st);
        ++rows;
      }
      void AdverseEvent(std::int64_t key, std::string_view type) override { sum += static_cast<double>(key) + static_cast<double>(type.size()); ++rows; }
      void Override(std::int64_t key) override { sum += static_cast<double>(key); ++rows; }
      void Assessment(std::string_view pid, std::int64_t at, double total) override {
        sum += static_cast<double>(pid.size()) + static_cast<double>(at) * 1e-12 + total;
        ++rows;
      }
    };
    std::size_t loaded_sessions = 0;
    auto report_once = [&](bool overlap) -> double {
      kira::registry::CohortQuery q;
      q.clinic_id = "bench";
      q.overlap_read = overlap;
      auto cohort = kira::registry::LoadCohort(**store, lib, q);
      if (!cohort.ok()) {
        std::fprintf(stderr, "%s\n", cohort.status().ToString().c_str());
        std::exit(1);
      }
      loaded_sessions = cohort->sessions.size();
      auto rep = kira::analytics::ComputeCohortReport(*cohort, rule);
      if (!rep.ok()) std::exit(1);
      return static_cast<double>(kira::api::CohortReportToJson(*rep).size());
    };
    auto columnar_once = [&](bool paged) -> double {
      auto tx = (*store)->BeginRead();
      if (!tx.ok()) std::exit(1);
      SumSink sink;
      kira::Status st = paged ? (*tx)->kira::storage::Transaction::ScanCohortColumns("bench", "phq9", "plan.cap.annual", sink, 5000)
                              : (*tx)->ScanCohortColumns("bench", "phq9", "plan.cap.annual", sink, 5000);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        std::exit(1);
      }
      return sink.sum + static_cast<double>(sink.rows);
    };
    sqlite3* raw = nullptr;
    Check(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), raw, "open raw");
    auto raw_once = [&]() -> double {
      const char* sqls[] = {
          "SELECT id, indication FROM patients WHERE clinic_id = 'bench'",
          "SELECT rowid, patient_id, protocol_id, started_at_us, given_dose_mg, dosing_weight_kg, state FROM sessions WHERE clinic_id = 'bench'",
          "SELECT s.rowid, a.type FROM adverse_events a JOIN sessions s ON s.clinic_id = a.clinic_id AND s.id = a.session_id WHERE a.clinic_id = 'bench'",
          "SELECT s.rowid, o.rule_ids FROM overrides o JOIN sessions s ON s.clinic_id = o.clinic_id AND s.id = o.session_id WHERE o.clinic_id = 'bench'",
          "SELECT patient_id, at_us, total FROM assessments WHERE clinic_id = 'bench' AND instrument = 'phq9'"};
      double sum = 0;
      Exec(raw, "BEGIN");
      for (const char* sql : sqls) {
        sqlite3_stmt* st = nullptr;
        Check(sqlite3_prepare_v2(raw, sql, -1, &st, nullptr), raw, sql);
        const int n = sqlite3_column_count(st);
        while (sqlite3_step(st) == SQLITE_ROW) {
          for (int i = 0; i < n; ++i) {
            if (sqlite3_column_type(st, i) == SQLITE_TEXT) sum += sqlite3_column_bytes(st, i);
            else sum += sqlite3_column_double(st, i);
          }
        }
        sqlite3_finalize(st);
      }
      Exec(raw, "COMMIT");
      return sum;
    };
    // Wall time, and this process's CPU time (user + system, every thread),
    // which waits less on the other processes of a shared machine.
    auto cpu_now = [] {
      rusage u{};
      getrusage(RUSAGE_SELF, &u);
      return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    };
    // Disk reads (major faults, blocks read) and involuntary context
    // switches (time-sliced away by other processes): what wall time spends
    // beyond CPU time.
    auto usage_now = [] {
      rusage u{};
      getrusage(RUSAGE_SELF, &u);
      return u;
    };
    constexpr int kVariants = 5;
    std::vector<double> wall[kVariants], cpu[kVariants], majflt[kVariants], inblock[kVariants], nivcsw[kVariants];
    double sink_all = 0;
    for (int r = 0; r < reps; ++r) {
      for (int k = 0; k < kVariants; ++k) {
        const int which = (k + r) % kVariants;
        const auto a = Clock::now();
        const double c0 = cpu_now();
        const rusage u0 = usage_now();
        if (which == 0) sink_all += report_once(true);
        if (which == 1) sink_all += report_once(false);
        if (which == 2) sink_all += columnar_once(false);
        if (which == 3) sink_all += columnar_once(true);
        if (which == 4) sink_all += raw_once();
        const rusage u1 = usage_now();
        cpu[which].push_back(cpu_now() - c0);
        wall[which].push_back(Seconds(a, Clock::now()));
        majflt[which].push_back(static_cast<double>(u1.ru_majflt - u0.ru_majflt));
        inblock[which].push_back(static_cast<double>(u1.ru_inblock - u0.ru_inblock));
        nivcsw[which].push_back(static_cast<double>(u1.ru_nivcsw - u0.ru_nivcsw));
      }
    }
    sqlite3_close(raw);
    std::printf("end to end from SQLite, %zu sessions, medians of %d interleaved rounds (sink %.3g):\n",
                loaded_sessions, reps, sink_all);
    const char* names[kVariants] = {"report (LoadCohort + ComputeCohortReport + JSON)",
                                    "report, read and collect on one thread",
                                    "columnar read only (ScanCohortColumns, SQLite)",
                                    "paged read only (portable default, record objects)",
                                    "raw columnar scan (sqlite3_step, same SELECTs)"};
    for (int w = 0; w < kVariants; ++w) {
      std::printf("  %-52s wall %.3f s  cpu %.3f s  (major faults %.0f, blocks read %.0f, preempted %.0f times)\n",
                  names[w], Median(wall[w]), Median(cpu[w]), Median(majflt[w]), Median(inblock[w]), Median(nivcsw[w]));
    }
    std::printf("  ratios (wall | cpu): report / raw scan %.2f | %.2f; one-thread report / report %.2f | %.2f; "
                "columnar read / raw scan %.2f | %.2f; paged / columnar read %.1fx | %.1fx\n",
                Median(wall[0]) / Median(wall[4]), Median(cpu[0]) / Median(cpu[4]), Median(wall[1]) / Median(wall[0]),
                Median(cpu[1]) / Median(cpu[0]), Median(wall[2]) / Median(wall[4]), Median(cpu[2]) / Median(cpu[4]),
                Median(wall[3]) / Median(wall[2]), Median(cpu[3]) / Median(cpu[2]));
  }
  if (keep) std::printf("kept %s\n", path.c_str());
  else std::filesystem::remove(path);
  return bad == 0 ? 0 : 1;
}
