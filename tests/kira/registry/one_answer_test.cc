// One answer from every path (issue "One clinical truth", done-when): over
// thousands of generated patients and sessions, the decision stored by every
// write path equals the Advisor's decision on the same stored facts, and
// importing a shuffled file gives the same accepted set and decisions as
// entering the sessions in date order.
//
// The reference is the registry's one dose entry point (AdvisorDoseCheck over
// advisor::CheckDose and the rolling annual cap) called directly on the
// generated facts, with the sessions taken in date order and the accepted
// ones as history; no store is involved. The paths are:
//   use case  SessionRecorder::Record, sessions in date order
//   HTTP      the route handlers of `kira serve` (POST .../facts, POST
//             .../sessions) with the API's JSON bodies, in date order
//   web       the same handlers with the bodies web/app.js sends (facts form,
//             "Record this session"), in date order
//   CSV       kira session CSV, rows shuffled, through interop::ImportRows
//   REDCap    a REDCap records export (written by ExportRedcap), data rows
//             shuffled, through ParseRedcapRecords + ImportRows
//   CLI       `kira import` on a SQLite registry, rows shuffled
//   FHIR      a FHIR R4 Bulk export (written by ExportFhir), the lines of
//             every NDJSON file shuffled, through ParseFhirBulk + ImportRows,
//             and `kira import --fhir DIR` on a SQLite registry
// And directly: the registry a shuffled import leaves (CSV and FHIR) holds
// the same accepted sessions with the same stored decisions as one where the
// use case entered every session in date order.
//
// Patients: weights including 700 kg and 7 kg typos, missing heights,
// pregnancies, cobicistat, random history; sessions: doses from 0.2 to
// 1.6 mg/kg, rates right or ten times too fast, overrides on a third, and
// one patient in ten with 13-16 sessions in a year (the annual cap).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "kira/advisor/screen.h"
#include "kira/interop/fhir_export.h"
#include "kira/interop/fhir_import.h"
#include "kira/interop/redcap.h"
#include "kira/interop/session_import.h"
#include "kira/registry/advisor.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/record_session.h"
#include "kira/server/internal/routes.h"
#include "kira/storage/memory/memory_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "testing/libraries.h"
#include "testing/run_command.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using Json = nlohmann::json;
using ::kira::testing::IsOk;

// KIRA_ONE_ANSWER_PATIENTS overrides the number of generated patients.
int Patients() {
  const char* e = std::getenv("KIRA_ONE_ANSWER_PATIENTS");
  return e ? std::max(1, std::atoi(e)) : 1000;
}
constexpr char kClinic[] = "c1";
constexpr char kProtocol[] = "iv-0.5-40min";

domain::Instant At(const char* s) {
  domain::Instant t{};
  EXPECT_TRUE(domain::ParseInstant(s, &t));
  return t;
}

struct GenSession {
  domain::SessionRecord record;  // as entered
  std::string override_reason;
};

struct GenPatient {
  domain::PatientRecord record;
  domain::PatientFacts facts;
  std::vector<GenSession> sessions;  // in date order
};

// What a path stored for one session (nothing when refused).
struct Stored {
  std::string outcome;
  int facts_version = 0;
  std::string screening_outcome;
  bool operator==(const Stored&) const = default;
};
using Outcomes = std::map<std::string, Stored>;  // session id -> stored decision

std::ostream& operator<<(std::ostream& os, const Stored& s) {
  return os << s.outcome << "/v" << s.facts_version << "/" << s.screening_outcome;
}

double Round(double v, double step) { return std::round(v / step) * step; }

std::vector<GenPatient> Generate(std::uint32_t seed, const guideline::Library& lib) {
  std::mt19937 rng(seed);
  auto u = [&] { return std::uniform_real_distribution<double>(0, 1)(rng); };
  auto ri = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const domain::Instant base = At("2025-01-06T09:00:00Z");  // + up to 400 days: all in the past
  std::vector<GenPatient> out;
  for (int i = 0, n_patients = Patients(); i < n_patients; ++i) {
    GenPatient p;
    const std::string id = "P" + std::to_string(100000 + i);
    const bool female = u() < 0.6;
    p.record = {kClinic, id, female ? "female" : "male", ri(1940, 2004), "trd"};
    domain::PatientFacts& f = p.facts;
    f.clinic_id = kClinic;
    f.patient_id = id;
    const double r = u();
    f.weight_kg = r < 0.03 ? 700.0 : r < 0.06 ? 7.0 : Round(45 + 105 * u(), 0.1);
    f.weight_method = u() < 0.85 ? "measured" : "estimated";
    if (u() < 0.9) f.height_cm = Round(150 + 45 * u(), 1);
    f.pregnancy = female && u() < 0.05 ? domain::PregnancyStatus::kPregnant : domain::PregnancyStatus::kNotPregnant;
    if (u() < 0.1) f.medications.push_back("cobicistat");
    if (u() < 0.1) f.medications.push_back("sertraline");
    for (const auto& c : lib.conditions) {
      if (u() < 0.01) f.conditions.push_back(c.id);
    }
    std::sort(f.conditions.begin(), f.conditions.end());
    f.baseline_sbp_mmhg = Round(105 + 40 * u(), 1);
    f.baseline_dbp_mmhg = Round(60 + 30 * u(), 1);
    f.baseline_hr_bpm = Round(55 + 40 * u(), 1);
    f.baseline_spo2_pct = Round(94 + 6 * u(), 1);
    f.baseline_rr_per_min = 14;

    const bool many = u() < 0.1;
    const int n = many ? ri(13, 16) : ri(1, 4);
    std::vector<int> days;
    for (int k = 0; k < n; ++k) days.push_back(many ? ri(0, 300) : ri(0, 400));
    std::sort(days.begin(), days.end());
    for (int k = 0; k < n; ++k) {
      GenSession g;
      domain::SessionRecord& s = g.record;
      s.clinic_id = kClinic;
      s.id = id + "-S" + std::to_string(k + 1);
      s.patient_id = id;
      s.protocol_id = kProtocol;
      s.state = domain::SessionState::kDischarged;
      const double w = *f.weight_kg;
      // Mostly around the protocol's 0.5 mg/kg, some well above it.
      const double mg_per_kg = u() < 0.8 ? 0.3 + 0.4 * u() : 0.7 + 0.9 * u();
      const double dose = std::max(1.0, Round(mg_per_kg * std::min(w, 150.0), 0.5));
      const double conc = u() < 0.8 ? 1.0 : 10.0;
      const double rate = Round(dose / conc / (40.0 / 60.0) * (u() < 0.1 ? 10.0 : 1.0), 0.1);
      s.dosing_weight = units::Kg(w);
      s.planned_dose = units::Mg(dose);
      s.given_dose = units::Mg(dose);
      s.concentration = units::MgPerMl(conc);
      s.rate = units::MlPerH(std::max(0.1, rate));
      s.started_at = base + std::chrono::days(days[static_cast<std::size_t>(k)]) + std::chrono::minutes(30 * k % 300);
      s.stopped_at = s.started_at + std::chrono::minutes(40);
      s.recorded_by = "u1";
      if (u() < 0.33) g.override_reason = "clinical judgement: partial responder";
      p.sessions.push_back(std::move(g));
    }
    std::sort(p.sessions.begin(), p.sessions.end(), [](const GenSession& a, const GenSession& b) {
      return std::tie(a.record.started_at, a.record.id) < std::tie(b.record.started_at, b.record.id);
    });
    out.push_back(std::move(p));
  }
  return out;
}

class OneAnswer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { patients_ = new std::vector<GenPatient>(Generate(20261130, *Libs().guideline)); }
  static void TearDownTestSuite() { delete patients_; }
  static const Libraries& Libs() { return kira::testing::ShippedLibraries(); }
  static DoseCheck Check() { return AdvisorDoseCheck(*Libs().guideline, &Libs().advisor->annual_cap); }

  // The Advisor's decisions on the generated facts, sessions in date order.
  static Outcomes Reference() {
    Outcomes out;
    const DoseCheck check = Check();
    for (const auto& p : *patients_) {
      domain::PatientFacts facts = p.facts;
      facts.version = 1;
      const domain::Patient ap = AdvisorPatient(p.record, facts, kNow());
      domain::ScreeningRecord screening;
      screening.outcome = advisor::Screen(*Libs().guideline, *Libs().advisor, ap, "iv").decision.outcome;
      screening.facts_version = 1;
      std::vector<domain::SessionRecord> history;
      for (const auto& g : p.sessions) {
        std::optional<domain::Override> ov;
        if (!g.override_reason.empty()) ov = domain::Override{"u1", "", g.override_reason, {}};
        auto d = check(DoseCheckInput{p.record, &facts, &screening, nullptr, g.record, history, ov, std::nullopt});
        EXPECT_THAT(d, IsOk()) << g.record.id;
        if (!d.ok()) continue;
        const auto worst = d->MaxSeverity();
        const bool refused = worst == domain::Severity::kHardStop ||
                             (worst == domain::Severity::kSoftStop && g.override_reason.empty());
        if (refused && refusals_) {
          for (const auto& f : d->findings) {
            if (f.severity >= domain::Severity::kSoftStop) ++(*refusals_)[f.rule_id];
          }
        }
        if (refused) continue;
        out[g.record.id] = {d->outcome, 1, screening.outcome};
        history.push_back(g.record);
      }
    }
    return out;
  }

  static domain::Instant kNow() { return At("2027-06-01T08:00:00Z"); }

  // Clinic, clinician and (optionally) every patient with its facts, in one unit of work.
  static void Seed(storage::Store& store, const Clock& clock, bool with_patients) {
    ASSERT_THAT(RunInUnitOfWork(store, clock, "u1",
                                [&](UnitOfWork& uow) -> Status {
                                  KIRA_RETURN_IF_ERROR(AddClinic(uow, {kClinic, "Clinic", "UTC"}));
                                  KIRA_RETURN_IF_ERROR(AddUser(uow, {kClinic, "u1", "Dr One", domain::Role::kClinician}));
                                  if (!with_patients) return Status::Ok();
                                  for (const auto& p : *patients_) {
                                    KIRA_RETURN_IF_ERROR(AddPatient(uow, p.record, std::nullopt));
                                    KIRA_RETURN_IF_ERROR(RecordFacts(uow, Libs(), p.facts).status());
                                  }
                                  return Status::Ok();
                                }),
                IsOk());
  }

  static Outcomes ReadBack(storage::Store& store) {
    Outcomes out;
    auto tx = store.Begin();
    EXPECT_THAT(tx, IsOk());
    storage::Page page{"", 1000};
    for (;;) {
      auto batch = (*tx)->ListSessions(kClinic, page);
      EXPECT_THAT(batch, IsOk());
      if (!batch.ok() || batch->empty()) break;
      for (const auto& s : *batch) out[s.id] = {s.decision_outcome, s.facts_version, s.screening_outcome};
      page.after_id = batch->back().id;
    }
    return out;
  }

  // kira session CSV of every generated session, rows shuffled.
  static std::string ShuffledCsv(std::uint32_t seed) {
    std::vector<std::string> rows;
    for (const auto& p : *patients_) {
      for (const auto& g : p.sessions) {
        const auto& s = g.record;
        std::ostringstream os;
        os << kClinic << ',' << p.record.id << ',' << p.record.sex << ',' << p.record.birth_year << ','
           << p.record.indication << ',' << s.id << ',' << s.protocol_id << ','
           << domain::FormatInstant(s.started_at) << ',' << domain::FormatInstant(*s.stopped_at) << ','
           << Json(units::ToKg(s.dosing_weight)).dump() << ',' << Json(units::ToMg(s.planned_dose)).dump() << ','
           << Json(units::ToMg(*s.given_dose)).dump() << ',' << Json(units::ToMgPerMl(*s.concentration)).dump()
           << ',' << Json(units::ToMlPerH(*s.rate)).dump() << ',' << s.recorded_by << ',' << g.override_reason;
        rows.push_back(os.str());
      }
    }
    std::shuffle(rows.begin(), rows.end(), std::mt19937(seed));
    std::string text;
    // The 16 columns the rows fill (the optional state and height_cm are
    // left out: the patients' facts are seeded).
    const auto& columns = interop::SessionCsvColumns();
    for (std::size_t i = 0; i < 16; ++i) text += (text.empty() ? "" : ",") + columns[i];
    text += "\n";
    for (const auto& r : rows) text += r + "\n";
    return text;
  }

  // A registry holding every generated session as entered (no Advisor
  // involved), with the override each was entered with: the source the
  // exporters write files from.
  static void FillAsEntered(storage::Store& scratch, const Clock& clock) {
    Seed(scratch, clock, true);
    auto tx = scratch.Begin();
    ASSERT_THAT(tx, IsOk());
    for (const auto& p : *patients_) {
      for (const auto& g : p.sessions) {
        ASSERT_THAT((*tx)->InsertSession(g.record), IsOk());
        if (!g.override_reason.empty()) {
          // The id the registry gives the override a session is recorded with.
          ASSERT_THAT((*tx)->InsertOverride({kClinic, g.record.id + "/override", g.record.id, "u1", g.record.started_at,
                                             {"x"}, g.override_reason}),
                      IsOk());
        }
      }
    }
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }

  // A FHIR Bulk export of every generated session (as entered), the lines of
  // each NDJSON file shuffled: file name -> text.
  static std::map<std::string, std::string> ShuffledFhir(std::uint32_t seed) {
    FakeClock clock(kNow());
    storage::MemoryStore scratch;
    FillAsEntered(scratch, clock);
    const auto dir = std::filesystem::temp_directory_path() / ("kira_one_answer_fhir_" + std::to_string(::getpid()));
    interop::FhirExportOptions fo;
    for (const auto& p : Libs().guideline->protocols) fo.protocol_routes[p.id] = p.route;
    fo.instruments = Libs().instruments;
    EXPECT_THAT(interop::ExportFhir(scratch, kClinic, dir.string(), fo), IsOk());
    std::map<std::string, std::string> files;
    std::mt19937 rng(seed);
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".ndjson") continue;
      std::ifstream in(e.path());
      std::vector<std::string> lines;
      for (std::string l; std::getline(in, l);) {
        if (!l.empty()) lines.push_back(l);
      }
      std::shuffle(lines.begin(), lines.end(), rng);
      std::string text;
      for (const auto& l : lines) text += l + "\n";
      files[e.path().filename().string()] = std::move(text);
    }
    std::filesystem::remove_all(dir);
    EXPECT_TRUE(files.count("Encounter.ndjson") && files.count("MedicationRequest.ndjson") &&
                files.count("MedicationAdministration.ndjson"));
    return files;
  }

  static std::vector<GenPatient>* patients_;
  static std::map<std::string, int>* refusals_;  // rule id -> refusals it caused, when counting
};

std::vector<GenPatient>* OneAnswer::patients_ = nullptr;
std::map<std::string, int>* OneAnswer::refusals_ = nullptr;

void ExpectSame(const Outcomes& reference, const Outcomes& path, const char* name) {
  int mismatches = 0;
  for (const auto& [id, want] : reference) {
    auto it = path.find(id);
    if (it == path.end()) {
      if (++mismatches <= 5) ADD_FAILURE() << name << ": " << id << " accepted by the Advisor, refused by the path";
    } else if (!(it->second == want)) {
      if (++mismatches <= 5) ADD_FAILURE() << name << ": " << id << " Advisor " << want << ", stored " << it->second;
    }
  }
  for (const auto& [id, got] : path) {
    if (!reference.count(id) && ++mismatches <= 5) {
      ADD_FAILURE() << name << ": " << id << " refused by the Advisor, stored by the path as " << got;
    }
  }
  EXPECT_EQ(mismatches, 0) << name;
}

TEST_F(OneAnswer, TheGeneratedCasesCoverRefusalsOverridesAndTheCap) {
  std::map<std::string, int> refusals;
  refusals_ = &refusals;
  const Outcomes ref = Reference();
  refusals_ = nullptr;
  for (const auto& [rule, n] : refusals) std::cout << "  stopped by " << rule << ": " << n << "\n";
  int sessions = 0, overridden = 0;
  for (const auto& p : *patients_) sessions += static_cast<int>(p.sessions.size());
  for (const auto& [id, s] : ref) overridden += s.outcome == "ok_with_override" ? 1 : 0;
  const int refused = sessions - static_cast<int>(ref.size());
  std::cout << patients_->size() << " patients, " << sessions << " sessions: " << ref.size() << " accepted (" << overridden
            << " with an override), " << refused << " refused\n";
  // Not a vacuous property: every kind of answer occurs.
  EXPECT_GT(refused, sessions / 10);
  EXPECT_GT(overridden, 50);
  EXPECT_GT(static_cast<int>(ref.size()), sessions / 5);
}

// Every generated session entered through the use case in date order (one
// registry per patient: decisions are per patient).
Outcomes EnteredInDateOrder(const std::vector<GenPatient>& patients, const Libraries& libs, const DoseCheck& check,
                            const domain::Instant now) {
  FakeClock clock(now);
  Outcomes got;
  for (const auto& p : patients) {
    storage::MemoryStore store;
    SessionRecorder rec(&store, &clock, check, libs.guideline);
    EXPECT_THAT(RunInUnitOfWork(store, clock, "u1",
                                [&](UnitOfWork& uow) -> Status {
                                  KIRA_RETURN_IF_ERROR(AddClinic(uow, {kClinic, "Clinic", "UTC"}));
                                  KIRA_RETURN_IF_ERROR(
                                      AddUser(uow, {kClinic, "u1", "Dr One", domain::Role::kClinician}));
                                  KIRA_RETURN_IF_ERROR(AddPatient(uow, p.record, std::nullopt));
                                  return RecordFacts(uow, libs, p.facts).status();
                                }),
                IsOk());
    for (const auto& g : p.sessions) {
      std::optional<domain::Override> ov;
      if (!g.override_reason.empty()) ov = domain::Override{"", "", g.override_reason, {}};
      EXPECT_THAT(rec.Record({g.record, "u1", ov}), IsOk());
    }
    auto tx = store.Begin();
    EXPECT_THAT(tx, IsOk());
    if (!tx.ok()) continue;
    auto sessions = (*tx)->ListSessions(kClinic, storage::Page{"", 1000});
    EXPECT_THAT(sessions, IsOk());
    if (!sessions.ok()) continue;
    for (const auto& x : *sessions) got[x.id] = {x.decision_outcome, x.facts_version, x.screening_outcome};
  }
  return got;
}

TEST_F(OneAnswer, UseCaseInDateOrderStoresTheAdvisorsDecision) {
  ExpectSame(Reference(), EnteredInDateOrder(*patients_, Libs(), Check(), kNow()), "use case");
}

// POST .../facts and POST .../sessions through the route handlers, with the
// bodies of an API client (`web` false) or of web/app.js (`web` true).
Outcomes ThroughHandlers(const std::vector<GenPatient>& patients, const Libraries& libs, const DoseCheck& check,
                         bool web) {
  using server::internal::Call;
  using server::internal::Route;
  using server::internal::Services;
  auto handler = [](const char* method, const char* path) {
    for (const Route& r : server::internal::RouteTable()) {
      if (std::string(r.method) == method && std::string(r.path) == path) return r.handler;
    }
    ADD_FAILURE() << "no route " << method << " " << path;
    return static_cast<server::internal::Handler>(nullptr);
  };
  const auto post_facts = handler("POST", "/api/v1/patients/{id}/facts");
  const auto post_session = handler("POST", "/api/v1/patients/{id}/sessions");
  const auto post_patient = handler("POST", "/api/v1/patients");
  server::Principal who{kClinic, "u1", "dr", "Dr One", domain::Role::kClinician, ""};
  FakeClock clock(At("2027-06-01T08:00:00Z"));
  Outcomes got;
  for (const auto& p : patients) {
    storage::MemoryStore store;
    SessionRecorder rec(&store, &clock, check, libs.guideline);
    EXPECT_THAT(RunInUnitOfWork(store, clock, "u1",
                                [&](UnitOfWork& uow) -> Status {
                                  KIRA_RETURN_IF_ERROR(AddClinic(uow, {kClinic, "Clinic", "UTC"}));
                                  return AddUser(uow, {kClinic, "u1", "Dr One", domain::Role::kClinician});
                                }),
                IsOk());
    Services svc{&store, libs.guideline, &clock, &rec, nullptr, nullptr, nullptr, nullptr, libs.advisor, libs.instruments};
    auto call = [&](server::internal::Handler h, const std::string& body, std::vector<std::string> params) {
      Call c;
      c.who = &who;
      c.body = body;
      c.params = std::move(params);
      auto r = h(svc, c);
      EXPECT_THAT(r, IsOk()) << body;
      return r.ok() ? Json::parse(r->body) : Json();
    };
    call(post_patient,
         Json{{"id", p.record.id}, {"sex", p.record.sex}, {"birth_year", p.record.birth_year},
              {"indication", p.record.indication}}.dump(),
         {});
    const auto& f = p.facts;
    Json facts{{"weight", {{"value", *f.weight_kg}, {"unit", "kg"}, {"method", f.weight_method}}},
               {"pregnancy", {{"status", domain::PregnancyStatusName(f.pregnancy)}}},
               {"medications", f.medications},
               {"baseline_vitals",
                {{"sbp_mmhg", *f.baseline_sbp_mmhg}, {"dbp_mmhg", *f.baseline_dbp_mmhg}, {"hr_bpm", *f.baseline_hr_bpm},
                 {"spo2_pct", *f.baseline_spo2_pct}, {"rr_per_min", *f.baseline_rr_per_min}}}};
    if (f.height_cm) facts["height"] = {{"value", *f.height_cm}, {"unit", "cm"}};
    Json history = Json::object();
    if (web) {
      // The facts form sends every condition of the guideline, ticked or not.
      for (const auto& c : libs.guideline->conditions) {
        history[c.id] = std::find(f.conditions.begin(), f.conditions.end(), c.id) != f.conditions.end();
      }
    } else {
      for (const auto& c : f.conditions) history[c] = true;
    }
    facts["history"] = history;
    call(post_facts, facts.dump(), {p.record.id});
    for (const auto& g : p.sessions) {
      const auto& s = g.record;
      Json body{{"protocol_id", s.protocol_id},
                {"planned_dose_mg", units::ToMg(s.planned_dose)},
                {"given_dose_mg", units::ToMg(*s.given_dose)},
                {"concentration_mg_per_ml", units::ToMgPerMl(*s.concentration)},
                {"rate_ml_per_h", units::ToMlPerH(*s.rate)},
                {"started_at", domain::FormatInstant(s.started_at)}};
      if (web) {
        // "Record this session": running, with the dosing weight the dose check showed.
        body["state"] = "running";
        body["dosing_weight_kg"] = units::ToKg(s.dosing_weight);
      } else {
        body["state"] = "completed";
        body["stopped_at"] = domain::FormatInstant(*s.stopped_at);
      }
      if (!g.override_reason.empty()) body["override_reason"] = g.override_reason;
      Json r = call(post_session, body.dump(), {p.record.id});
      if (r.value("stored", false)) {
        const Json& ss = r["session"];
        got[s.id] = {ss["decision_outcome"], ss["facts_version"], ss["screening_outcome"]};
      }
    }
  }
  return got;
}

TEST_F(OneAnswer, HttpHandlersStoreTheAdvisorsDecision) {
  ExpectSame(Reference(), ThroughHandlers(*patients_, Libs(), Check(), false), "HTTP");
}

TEST_F(OneAnswer, WebFormPayloadsStoreTheAdvisorsDecision) {
  ExpectSame(Reference(), ThroughHandlers(*patients_, Libs(), Check(), true), "web");
}

TEST_F(OneAnswer, ShuffledCsvImportGivesTheDateOrderAnswers) {
  FakeClock clock(kNow());
  storage::MemoryStore store;
  Seed(store, clock, true);
  interop::ParsedFile rows = interop::ParseSessionCsv(ShuffledCsv(7));
  ASSERT_TRUE(rows.errors.empty()) << interop::FormatRowError(rows.errors.front());
  interop::ImportOptions o;
  o.libraries = Libs();
  o.mode = interop::ImportMode::kPartial;  // the refused rows are left out, the others stored
  ASSERT_THAT(interop::ImportRows(store, clock, Check(), rows, o), IsOk());
  ExpectSame(Reference(), ReadBack(store), "CSV");
}

TEST_F(OneAnswer, ShuffledRedcapImportGivesTheDateOrderAnswers) {
  FakeClock clock(kNow());
  // The REDCap file: every generated session, written by the exporter from a
  // scratch registry that holds them as entered (no Advisor involved).
  storage::MemoryStore scratch;
  FillAsEntered(scratch, clock);
  const auto dir = std::filesystem::temp_directory_path() / ("kira_one_answer_" + std::to_string(::getpid()));
  ASSERT_THAT(interop::ExportRedcap(scratch, kClinic, dir.string()), IsOk());
  std::ifstream in(dir / "kira_records.csv");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::filesystem::remove_all(dir);
  ASSERT_GT(lines.size(), 2u);
  std::shuffle(lines.begin() + 1, lines.end(), std::mt19937(11));
  std::string text;
  for (const auto& l : lines) text += l + "\n";

  storage::MemoryStore store;
  Seed(store, clock, true);
  interop::ParsedFile rows = interop::ParseRedcapRecords(text, kClinic);
  ASSERT_TRUE(rows.errors.empty()) << interop::FormatRowError(rows.errors.front());
  interop::ImportOptions o;
  o.libraries = Libs();
  // The refused rows are left out, the others stored. (An override row of a
  // session the Advisor now judges differently is reported as a conflict.)
  o.mode = interop::ImportMode::kPartial;
  ASSERT_THAT(interop::ImportRows(store, clock, Check(), rows, o), IsOk());
  ExpectSame(Reference(), ReadBack(store), "REDCap");
}

// The exit code `kira import` owes for the counts its summary line reports:
// 2 when any row was invalid (bad input or a conflict), else 1 when the
// Advisor refused any, else 0. -1 when there is no summary line.
int ExitCodeTheSummaryImplies(const std::string& out) {
  static const std::regex kSummary(R"((\d+) refused by the Advisor \+ (\d+) invalid)");
  std::smatch m;
  if (!std::regex_search(out, m, kSummary)) return -1;
  if (std::stoi(m[2].str()) > 0) return 2;
  return std::stoi(m[1].str()) > 0 ? 1 : 0;
}

TEST_F(OneAnswer, CliImportOfAShuffledFileGivesTheDateOrderAnswers) {
  const auto dir = std::filesystem::temp_directory_path() / ("kira_one_answer_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "kira.db").string();
  {
    auto store = storage::SqliteStore::Open({.path = db});
    ASSERT_THAT(store, IsOk());
    FakeClock clock(kNow());
    Seed(**store, clock, true);
  }
  std::ofstream(dir / "sessions.csv") << ShuffledCsv(13);
  const auto run = kira::testing::RunCommand(std::string(KIRA_BINARY) + " import --partial --db " + db + " --clinic " + kClinic +
                                             " " + (dir / "sessions.csv").string() + " 2>/dev/null");
  // 1: some rows refused by the Advisor; 2: some rows contradict themselves
  // (a ten-fold rate: the Advisor's record.inconsistent finding, reported as
  // bad input). --partial keeps the rest either way.
  EXPECT_EQ(run.code, ExitCodeTheSummaryImplies(run.out)) << run.out;
  EXPECT_NE(run.code, 0) << "the shuffled file holds refusals and self-contradicting rows: " << run.out;
  auto store = storage::SqliteStore::Open({.path = db});
  ASSERT_THAT(store, IsOk());
  ExpectSame(Reference(), ReadBack(**store), "CLI import");
  store->reset();
  std::filesystem::remove_all(dir);
}

// FHIR: `kira export --fhir` of the sessions as entered, every NDJSON file's
// lines shuffled, imported into a fresh registry holding the patients' facts.
TEST_F(OneAnswer, ShuffledFhirImportGivesTheDateOrderAnswers) {
  FakeClock clock(kNow());
  storage::MemoryStore store;
  Seed(store, clock, true);
  interop::ParseOptions po;
  for (const auto& p : Libs().guideline->protocols) po.protocols.insert(p.id);
  interop::ParsedFile rows = interop::ParseFhirBulk(ShuffledFhir(17), kClinic, po);
  ASSERT_TRUE(rows.errors.empty()) << interop::FormatRowError(rows.errors.front());
  interop::ImportOptions o;
  o.libraries = Libs();
  o.mode = interop::ImportMode::kPartial;  // the refused sessions are left out, the others stored
  ASSERT_THAT(interop::ImportRows(store, clock, Check(), rows, o), IsOk());
  ExpectSame(Reference(), ReadBack(store), "FHIR");
}

TEST_F(OneAnswer, CliFhirImportOfAShuffledExportGivesTheDateOrderAnswers) {
  const auto dir = std::filesystem::temp_directory_path() / ("kira_one_answer_cli_fhir_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "bulk");
  const std::string db = (dir / "kira.db").string();
  {
    auto store = storage::SqliteStore::Open({.path = db});
    ASSERT_THAT(store, IsOk());
    FakeClock clock(kNow());
    Seed(**store, clock, true);
  }
  for (const auto& [name, text] : ShuffledFhir(19)) std::ofstream(dir / "bulk" / name) << text;
  const auto run = kira::testing::RunCommand(std::string(KIRA_BINARY) + " import --partial --db " + db + " --clinic " +
                                             kClinic + " --fhir " + (dir / "bulk").string() + " 2>/dev/null");
  // 1: some sessions refused by the Advisor; 2: besides, the export's override
  // records (entered with placeholder rule ids) differ from the ones the
  // Advisor's decisions stored, and are reported as conflicts, never applied.
  EXPECT_EQ(run.code, ExitCodeTheSummaryImplies(run.out)) << run.out;
  const Outcomes reference = Reference();
  EXPECT_THAT(run.out, ::testing::HasSubstr(" = " + std::to_string(reference.size()) + " accepted"));
  auto store = storage::SqliteStore::Open({.path = db});
  ASSERT_THAT(store, IsOk());
  ExpectSame(reference, ReadBack(**store), "CLI FHIR import");
  store->reset();
  std::filesystem::remove_all(dir);
}

// Order independence, stated directly: the registry left by a shuffled import
// (CSV and FHIR) holds the same accepted set with the same stored decisions
// as a registry where the use case entered every session in date order.
TEST_F(OneAnswer, ShuffledImportsEqualEntryInDateOrder) {
  const Outcomes entered = EnteredInDateOrder(*patients_, Libs(), Check(), kNow());
  ASSERT_FALSE(entered.empty());
  FakeClock clock(kNow());
  interop::ParseOptions po;
  for (const auto& p : Libs().guideline->protocols) po.protocols.insert(p.id);
  interop::ImportOptions o;
  o.libraries = Libs();
  o.mode = interop::ImportMode::kPartial;
  storage::MemoryStore csv;
  Seed(csv, clock, true);
  ASSERT_THAT(interop::ImportRows(csv, clock, Check(), interop::ParseSessionCsv(ShuffledCsv(23)), o), IsOk());
  EXPECT_EQ(ReadBack(csv), entered) << "shuffled CSV";
  storage::MemoryStore fhir;
  Seed(fhir, clock, true);
  ASSERT_THAT(interop::ImportRows(fhir, clock, Check(), interop::ParseFhirBulk(ShuffledFhir(31), kClinic, po), o), IsOk());
  EXPECT_EQ(ReadBack(fhir), entered) << "shuffled FHIR";
}

}  // namespace
}  // namespace kira::registry
