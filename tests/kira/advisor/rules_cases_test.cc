// Runs the clinician-readable rule cases in tests/rules_cases/**/*.case
// (DuckDB .test style: a header naming the rule and its source, the inputs,
// then the expected decision). See tests/rules_cases/README.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kira/advisor/annual_cap.h"
#include "kira/advisor/monitor.h"
#include "kira/advisor/rescue.h"
#include "kira/api/advisor_json.h"
#include "kira/api/decision_json.h"
#include "kira/api/instruments_json.h"
#include "kira/instruments/scoring.h"
#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"

namespace kira {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kRoot = KIRA_SOURCE_DIR;

const guideline::Library& Lib() {
  static const guideline::Library* lib = [] {
    auto l = api::ParseGuideline(Slurp(kRoot / "guidelines/kira.json"));
    if (!l.ok()) {
      ADD_FAILURE() << l.status().ToString();
      std::abort();
    }
    return new guideline::Library(std::move(l).value());
  }();
  return *lib;
}

const advisor::AdvisorLibrary& Adv() {
  static const advisor::AdvisorLibrary* lib = [] {
    auto l = api::ParseAdvisorLibrary(Slurp(kRoot / "guidelines/advisor.json"));
    if (!l.ok()) {
      ADD_FAILURE() << l.status().ToString();
      std::abort();
    }
    return new advisor::AdvisorLibrary(std::move(l).value());
  }();
  return *lib;
}

const instruments::InstrumentLibrary& Ins() {
  static const instruments::InstrumentLibrary* lib = [] {
    auto l = api::ParseInstrumentLibrary(Slurp(kRoot / "guidelines/instruments.json"));
    if (!l.ok()) {
      ADD_FAILURE() << l.status().ToString();
      std::abort();
    }
    return new instruments::InstrumentLibrary(std::move(l).value());
  }();
  return *lib;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(part);
  return out;
}

std::chrono::sys_days Day(const std::string& iso) {
  auto d = api::ParseIsoDate(iso, "date");
  if (!d.ok()) {
    ADD_FAILURE() << d.status().ToString();
    return {};
  }
  return *d;
}

// A session replayed through the monitor: every pre-check present, the rescue
// plan from the patient's own screening, the patient's baseline vitals, start
// at t=0 and one observation (the case's vitals) at t=10 min.
Json MonitorCase(const domain::Patient& p, std::map<std::string, std::string> args) {
  advisor::SessionTimeline tl;
  tl.route = args.count("route") ? args["route"] : "iv";
  tl.indication = p.diagnoses.front();
  advisor::ScreenResult screening = advisor::Screen(Lib(), Adv(), p, tl.route);
  tl.screening = screening.decision;
  tl.screening_recorded = true;
  tl.precheck = {true, true, true, screening.rescue.preferred, true, true};
  if (p.baseline_vitals) {
    tl.baseline.sbp_mmhg = p.baseline_vitals->sbp_mmhg;
    tl.baseline.dbp_mmhg = p.baseline_vitals->dbp_mmhg;
    tl.baseline.hr_bpm = p.baseline_vitals->hr_bpm;
    tl.baseline.spo2_pct = p.baseline_vitals->spo2_pct;
    tl.baseline.rr_per_min = p.baseline_vitals->rr_per_min;
  }
  advisor::TimelineEvent start;
  start.type = advisor::EventType::kStart;
  tl.events.push_back(start);
  advisor::TimelineEvent obs;
  obs.t_min = 10;
  obs.type = advisor::EventType::kVitals;
  for (const auto& [k, v] : args) {
    advisor::Measure m;
    if (!advisor::ParseMeasure(k, &m)) continue;
    double x = std::stod(v);
    switch (m) {
      case advisor::Measure::kSbp: obs.vitals.sbp_mmhg = x; break;
      case advisor::Measure::kDbp: obs.vitals.dbp_mmhg = x; break;
      case advisor::Measure::kHr: obs.vitals.hr_bpm = x; break;
      case advisor::Measure::kSpo2: obs.vitals.spo2_pct = x; break;
      case advisor::Measure::kRr: obs.vitals.rr_per_min = x; break;
      case advisor::Measure::kSedation: obs.vitals.moaa_s = x; break;
      case advisor::Measure::kCadss: obs.vitals.cadss_total = x; break;
    }
  }
  tl.events.push_back(obs);
  advisor::MonitorResult r = advisor::Monitor(Adv(), tl);
  Json j = Json::parse(api::DecisionToJson(r.decision));
  j["gate"] = Json::parse(api::DecisionToJson(r.gate));
  return j;
}

struct Case {
  fs::path file;
  std::map<std::string, std::string> header;
  std::string base;     // examples/patients/<base>.json
  std::string patch;    // JSON merge patch
  std::string action;   // "screen iv" | "dose key=value ..."
  std::vector<std::string> expects;
};

Case ReadCase(const fs::path& p) {
  Case c;
  c.file = p;
  std::istringstream in(Slurp(p));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (key == "patient") c.base = value;
    else if (key == "patch") c.patch = value;
    else if (key == "action") c.action = value;
    else if (key.rfind("expect", 0) == 0) c.expects.push_back(key + " " + value);
    else c.header[key] = value;
  }
  return c;
}

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "tests/rules_cases"))
    if (e.path().extension() == ".case") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> Args(const std::string& action) {
  std::map<std::string, std::string> a;
  std::istringstream in(action);
  std::string tok;
  in >> tok;  // verb
  while (in >> tok) {
    auto q = tok.find("=\"");
    if (q != std::string::npos && (tok.size() == q + 2 || tok.back() != '"')) {  // quoted value with spaces
      std::string rest;
      std::getline(in, rest, '"');
      tok += rest;
    }
    if (!tok.empty() && tok.back() == '"') tok.pop_back();
    auto eq = tok.find('=');
    std::string v = eq == std::string::npos ? "true" : tok.substr(eq + 1);
    if (!v.empty() && v.front() == '"') v.erase(0, 1);
    a[tok.substr(0, eq)] = v;
  }
  return a;
}

class RuleCase : public ::testing::TestWithParam<fs::path> {};

TEST_P(RuleCase, MatchesExpectedDecision) {
  Case c = ReadCase(GetParam());
  ASSERT_TRUE(c.header.count("name")) << c.file << ": missing 'name:'";
  ASSERT_TRUE(c.header.count("source")) << c.file << ": missing 'source:' (every rule case cites its source)";
  ASSERT_FALSE(c.expects.empty()) << c.file << ": no expectations";
  SCOPED_TRACE(c.file.string() + ": " + c.header["name"]);

  Json patient = Json::parse(Slurp(kRoot / "examples/patients" / ((c.base.empty() ? std::string("trd-typical") : c.base) + ".json")));
  if (!c.patch.empty()) patient.merge_patch(Json::parse(c.patch));
  StatusOr<domain::Patient> p = api::ParsePatient(patient.dump(), Lib());

  Json result;
  std::string verb = c.action.substr(0, c.action.find(' '));
  auto args = Args(c.action);
  if (p.ok() && verb == "screen") {
    std::string route = args.count("route") ? args["route"] : "iv";
    result = Json::parse(api::ScreenResultToJson(advisor::Screen(Lib(), Adv(), *p, route)));
  } else if (p.ok() && verb == "record") {
    advisor::RecordedAdministration rec;
    rec.protocol_id = args["protocol"];
    rec.given_dose = units::Mg(std::stod(args["dose_mg"]));
    if (args.count("concentration")) rec.concentration = units::MgPerMl(std::stod(args["concentration"]));
    if (args.count("rate_ml_per_h")) rec.rate = units::MlPerH(std::stod(args["rate_ml_per_h"]));
    if (args.count("duration_min")) rec.duration = units::Minutes(std::stod(args["duration_min"]));
    if (args.count("session_number")) rec.session_number = std::stoi(args["session_number"]);
    if (args.count("devices")) rec.devices = std::stoi(args["devices"]);
    if (args.count("override")) rec.override_ = domain::Override{"test clinician", "2026-11-26T10:00:00Z", args["override"], {}};
    auto r = advisor::CheckRecordedSession(Lib(), *p, rec);
    if (r.ok()) result = Json::parse(api::DoseResultToJson(*r));
    else result = Json{{"error", std::string(r.status().message())}};
  } else if (p.ok() && verb == "cap") {
    // The other sessions' dates in the order given (any order), then the candidate.
    std::vector<std::chrono::sys_days> others;
    for (const std::string& d : SplitComma(args["others"])) others.push_back(Day(d));
    auto check = advisor::CheckAnnualCap(Adv().annual_cap, others, Day(args["candidate"]));
    if (!check.ok()) {
      result = Json{{"error", std::string(check.status().message())}};
    } else {
      domain::Decision d;
      d.outcome = "ok";
      std::optional<domain::Override> ov;
      if (args.count("override")) ov = domain::Override{"test clinician", "2026-11-26T10:00:00Z", args["override"], {}};
      advisor::ApplyAnnualCap(Adv().annual_cap, *check, ov, &d);
      result = Json::parse(api::DecisionToJson(d));
      result["counted"] = check->counted;
    }
  } else if (p.ok() && verb == "rescue") {
    // The rescue advice reads the patient's stored screening, never a default.
    std::string route = args.count("route") ? args["route"] : "iv";
    advisor::ScreenResult screening = advisor::Screen(Lib(), Adv(), *p, route);
    advisor::RescueRequest req{args["symptom"], std::nullopt};
    if (args.count("proposed")) req.proposed_agent = args["proposed"];
    auto r = advisor::AdviseRescue(Adv(), screening.decision, req);
    if (r.ok()) result = Json::parse(api::DecisionToJson(*r));
    else result = Json{{"error", std::string(r.status().message())}};
  } else if (p.ok() && verb == "monitor") {
    result = MonitorCase(*p, args);
  } else if (verb == "score") {
    const instruments::Instrument* ins = Ins().Find(args["instrument"]);
    ASSERT_NE(ins, nullptr) << args["instrument"];
    std::vector<std::optional<int>> items;
    for (const std::string& x : SplitComma(args["items"])) items.push_back(std::stoi(x));
    auto r = instruments::Score(Ins(), *ins, items);
    if (r.ok()) result = Json::parse(api::DecisionToJson(r->decision));
    else result = Json{{"error", std::string(r.status().message())}};
  } else if (p.ok() && verb == "dose") {
    advisor::DoseRequest req;
    req.protocol_id = args["protocol"];
    if (args.count("dose_mg")) req.ordered_dose = units::Mg(std::stod(args["dose_mg"]));
    if (args.count("duration_min")) req.ordered_duration = units::Minutes(std::stod(args["duration_min"]));
    if (args.count("concentration")) req.concentration = units::MgPerMl(std::stod(args["concentration"]));
    if (args.count("given_today_mg")) req.given_today = units::Mg(std::stod(args["given_today_mg"]));
    if (args.count("at_home")) req.self_administered_at_home = true;
    if (args.count("session_number")) req.session_number = std::stoi(args["session_number"]);
    if (args.count("session_date")) req.session_date = args["session_date"];
    if (args.count("override")) req.override_ = domain::Override{"test clinician", "2026-11-26T10:00:00Z", args["override"], {}};
    auto r = advisor::CheckDose(Lib(), *p, req);
    if (r.ok()) result = Json::parse(api::DoseResultToJson(*r));
    else result = Json{{"error", std::string(r.status().message())}};
  } else if (!p.ok()) {
    result = Json{{"error", std::string(p.status().message())}};
  } else {
    FAIL() << "unknown action '" << c.action << "'";
  }

  for (const std::string& e : c.expects) {
    std::istringstream in(e);
    std::string kind, a, b;
    in >> kind >> a;
    std::getline(in, b);
    while (!b.empty() && b.front() == ' ') b.erase(0, 1);
    if (kind == "expect_outcome") {
      EXPECT_EQ(result.value("outcome", std::string("<error: ") + result.value("error", "") + ">"), a);
    } else if (kind == "expect_finding" || kind == "expect_no_finding") {
      bool found = false;
      std::string severity;
      for (const auto& f : result.value("findings", Json::array()))
        if (f["rule_id"] == a) { found = true; severity = f["severity"]; }
      if (kind == "expect_no_finding") {
        EXPECT_FALSE(found) << "unexpected finding " << a;
      } else {
        EXPECT_TRUE(found) << "missing finding " << a << "\n" << result.dump(1);
        if (!b.empty()) {
          EXPECT_EQ(severity, b) << "severity of " << a;
        }
      }
    } else if (kind == "expect_value") {
      Json v = result.at(Json::json_pointer(a));
      if (v.is_number()) EXPECT_NEAR(v.get<double>(), std::stod(b), 1e-6 * std::max(1.0, std::fabs(std::stod(b)))) << a;
      else EXPECT_EQ(v.is_string() ? v.get<std::string>() : v.dump(), b) << a;
    } else if (kind == "expect_error") {
      ASSERT_TRUE(result.contains("error")) << "expected an input error naming " << a << ", got " << result.dump(1);
      EXPECT_THAT(result["error"].get<std::string>(), ::testing::HasSubstr(a));
      if (!b.empty()) {
        EXPECT_THAT(result["error"].get<std::string>(), ::testing::HasSubstr(b));
      }
    } else if (kind == "expect_scope") {
      bool found = false;
      for (const auto& f : result.value("findings", Json::array())) {
        if (f["rule_id"] != a) continue;
        found = true;
        EXPECT_EQ(f.value("scope", Json()).is_string() ? f["scope"].get<std::string>() : "", b) << "scope of " << a;
      }
      EXPECT_TRUE(found) << "missing finding " << a;
    } else if (kind == "expect_rescue") {
      EXPECT_EQ(result["rescue_plan"]["preferred"], a + (b.empty() ? "" : " " + b));
    } else {
      ADD_FAILURE() << "unknown expectation " << kind;
    }
  }
}

std::string CaseName(const ::testing::TestParamInfo<fs::path>& info) {
  std::string n = info.param.parent_path().filename().string() + "_" + info.param.stem().string();
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, RuleCase, ::testing::ValuesIn(CaseFiles()), CaseName);

// "Each guideline rule has a test that names its rule id": every screening
// rule, indication and protocol of the shipped library appears in a case.
TEST(RuleCoverage, EveryRuleIndicationAndProtocolHasACase) {
  std::string all;
  for (const auto& f : CaseFiles()) all += Slurp(f);
  for (const auto& r : Lib().rules) EXPECT_NE(all.find(r.id), std::string::npos) << "no case names rule " << r.id;
  for (const auto& p : Lib().protocols) EXPECT_NE(all.find("protocol=" + p.id), std::string::npos) << "no case doses protocol " << p.id;
  for (const auto& i : Lib().indications)
    EXPECT_NE(all.find("indication." + i.id + ".evidence"), std::string::npos) << "no case for indication " << i.id;
  EXPECT_GE(CaseFiles().size(), 30u);
}

}  // namespace
}  // namespace kira
