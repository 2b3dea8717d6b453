#include "kira/registry/demo.h"

#include <algorithm>
#include <numeric>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kira/instruments/scoring.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/ledger.h"

namespace kira::registry {

namespace {

// McInnes 2022 [R84]: 53.6 % response, 28.9 % remission (PHQ-9).
constexpr double kResponseRate = 0.536;
constexpr double kRemissionRate = 0.289;
constexpr double kNauseaRate = 0.08;
constexpr double kDissociationRate = 0.04;
constexpr double kHypertensionRate = 0.02;
constexpr double kOverrideRate = 0.02;
constexpr double kLotMg = 500.0;

constexpr const char* kGiven[] = {"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
                                  "Avery", "Quinn", "Robin", "Drew", "Kim", "Lee", "Pat", "Chris"};
constexpr const char* kFamily[] = {"Example", "Sample", "Testperson", "Placeholder", "Fictional",
                                   "Synthetic", "Madeup", "Demo"};

class Generator {
 public:
  Generator(const DemoOptions& o, std::uint32_t seed) : opt_(o), rng_(seed) {}

  double U() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  double N(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(rng_); }
  int I(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Item scores of `ins` (its item count and ranges, from the instrument
  // library) summing to total. REQUIRES: total within the items' range.
  std::vector<int> Items(const instruments::Instrument& ins, int total) {
    std::vector<int> items;
    for (const auto& it : ins.items) items.push_back(it.min);
    for (int left = total - std::accumulate(items.begin(), items.end(), 0); left > 0;) {
      const auto i = static_cast<std::size_t>(I(0, static_cast<int>(ins.items.size()) - 1));
      if (items[i] < ins.items[i].max) {
        ++items[i];
        --left;
      }
    }
    return items;
  }

  const DemoOptions& opt_;
  std::mt19937 rng_;
};

std::string Pad(int n, int width) {
  std::string s = std::to_string(n);
  return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

double Round(double v, double step) { return std::floor(v / step) * step; }

}  // namespace

StatusOr<DemoSummary> GenerateDemo(storage::Store& store, const Clock& clock, const DoseCheck& check,
                                   const Libraries& libs, const DemoOptions& options) {
  if (options.patients < 1) return InvalidArgumentError("--patients: must be >= 1");
  domain::Instant start = options.start;
  if (start == domain::Instant{}) {
    // Every visit in the past: first visits spread over 330 days, each series
    // and its follow-up within a few weeks; a session that has begun cannot be
    // recorded ahead of the clock.
    start = std::chrono::floor<std::chrono::days>(clock.Now() - std::chrono::days(400)) + std::chrono::hours(9);
  }
  const std::string& c = options.clinic_id;
  SessionRecorder recorder(&store, &clock, check, libs.guideline);
  DemoSummary sum;

  KIRA_RETURN_IF_ERROR(RunInUnitOfWork(store, clock, "system:demo", [&](UnitOfWork& uow) -> Status {
    KIRA_RETURN_IF_ERROR(AddClinic(uow, {c, "Demo Ketamine Clinic", "America/New_York"}));
    KIRA_RETURN_IF_ERROR(AddUser(uow, {c, "dr-demo", "Dr Demo", domain::Role::kClinician}));
    KIRA_RETURN_IF_ERROR(AddUser(uow, {c, "rn-demo", "Nurse Demo", domain::Role::kNurse}));
    return AddUser(uow, {c, "rph-demo", "Pharmacist Demo", domain::Role::kPharmacist});
  }));

  Generator g(options, options.seed);
  int lot_number = 0;
  double lot_left_mg = 0.0;
  std::string lot;

  for (int pi = 0; pi < options.patients; ++pi) {
    const std::string pid = "P" + Pad(pi + 1, 6);
    const double r = g.U();
    const std::string indication = r < 0.70 ? "trd" : r < 0.85 ? "suicidal_ideation" : "crps";
    const bool crps = indication == "crps";
    const std::string sex = g.U() < 0.58 ? "female" : "male";
    const int age = std::clamp(static_cast<int>(g.N(44, 13)), 19, 92);
    const double weight_kg =
        Round(std::clamp(g.N(sex == "female" ? 72 : 85, 14), 45.0, 150.0), 0.1);
    const domain::Instant first = start + std::chrono::hours(24 * g.I(0, 330)) + std::chrono::minutes(30 * g.I(0, 14));
    const int birth_year = int(std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(first)).year()) - age;

    DemoSummary add;
    Status s = RunInUnitOfWork(store, clock, "system:demo", [&](UnitOfWork& uow) -> Status {
      add = DemoSummary{};
      Generator& gen = g;
      domain::PatientIdentity id{c,
                                 pid,
                                 kGiven[gen.I(0, 15)],
                                 kFamily[gen.I(0, 7)],
                                 std::to_string(birth_year) + "-" + Pad(gen.I(1, 12), 2) + "-" + Pad(gen.I(1, 28), 2),
                                 "MRN" + Pad(100000 + pi, 7),
                                 Pad(gen.I(1000, 99950), 5),
                                 "555-01" + Pad(gen.I(0, 99), 2),
                                 "patient" + std::to_string(pi + 1) + "@example.org"};
      KIRA_RETURN_IF_ERROR(AddPatient(uow, {c, pid, sex, birth_year, indication}, id));
      // The clinical record every decision reads: a measured weight and
      // height (BMI in the usual range), not pregnant, baseline vitals.
      domain::PatientFacts facts;
      facts.clinic_id = c;
      facts.patient_id = pid;
      facts.weight_kg = weight_kg;
      facts.weight_method = "measured";
      facts.weight_date = domain::FormatInstant(first).substr(0, 10);
      facts.height_cm = std::round(std::clamp(std::sqrt(weight_kg / gen.N(26.0, 3.0)) * 100.0, 150.0, 200.0));
      facts.pregnancy = domain::PregnancyStatus::kNotPregnant;
      facts.pregnancy_date = facts.weight_date;
      facts.baseline_sbp_mmhg = std::round(gen.N(124, 10));
      facts.baseline_dbp_mmhg = std::round(gen.N(78, 7));
      facts.baseline_hr_bpm = std::round(gen.N(74, 8));
      facts.baseline_spo2_pct = 98;
      facts.baseline_rr_per_min = 14;
      if (!crps) facts.failed_antidepressant_trials = gen.I(2, 5);
      KIRA_RETURN_IF_ERROR(RecordFacts(uow, libs, facts).status());

      // A PHQ-9 with a positive item 9 raises an alert; the demo clinician
      // acknowledges it at the visit, as the record requires before dosing.
      auto score = [&](domain::Assessment a) -> Status {
        KIRA_ASSIGN_OR_RETURN(RecordAssessmentResult scored, RecordAssessment(uow, libs, std::move(a)));
        for (const auto& alert : scored.alerts) {
          KIRA_RETURN_IF_ERROR(AcknowledgeAlert(uow, c, alert.id, "dr-demo",
                                                "reviewed at the visit: passive thoughts, no plan or intent; "
                                                "safety plan in place")
                                   .status());
          ++add.alerts;
        }
        return Status::Ok();
      };
      // PHQ-9 trajectory (depression only): baseline, mid-series, end.
      int baseline = 0, final_total = 0;
      // Counted and generated by the instrument's own rules (instruments.json), not a copy.
      const instruments::Instrument* phq9 = libs.instruments ? libs.instruments->Find("phq9") : nullptr;
      if (!crps) {
        if (!phq9) return FailedPreconditionError("the instrument library has no PHQ-9");
        baseline = std::clamp(static_cast<int>(std::lround(gen.N(19, 3.5))), 10, static_cast<int>(phq9->total_max));
        const double u = gen.U();
        if (u < kRemissionRate) {
          final_total = gen.I(0, std::min(4, baseline / 2));
        } else if (u < kResponseRate) {
          final_total = gen.I(5, std::max(5, baseline / 2));
        } else {
          final_total = gen.I(baseline / 2 + 1, baseline);
        }
        add.depression_patients = 1;
        auto outcome = instruments::AssessResponse(*phq9, baseline, final_total);
        if (!outcome.ok()) return outcome.status();
        add.responders = outcome->response ? 1 : 0;
        add.remitters = outcome->remission.value_or(false) ? 1 : 0;
        KIRA_RETURN_IF_ERROR(score({c, pid + "/phq9-0", pid, "", first - std::chrono::minutes(30), "phq9",
                                    gen.Items(*phq9, baseline), baseline, ""}));
        ++add.assessments;
      }

      const int n_sessions = crps ? 5 : 6;
      const double minutes = crps ? 240.0 : 40.0;
      for (int k = 0; k < n_sessions; ++k) {
        const int day_offset = crps ? k : (k / 2) * 7 + (k % 2) * 3;  // twice weekly
        const domain::Instant at = first + std::chrono::hours(24 * day_offset);
        const std::string sid = pid + "-S" + std::to_string(k + 1);
        const bool over = gen.U() < kOverrideRate;
        double dose_mg = crps ? Round(0.35 * weight_kg * minutes / 60.0, 0.5)
                              : Round((over ? 0.8 : 0.5) * weight_kg, 0.5);
        domain::SessionRecord rec;
        rec.clinic_id = c;
        rec.id = sid;
        rec.patient_id = pid;
        rec.protocol_id = crps ? "iv-crps-0.35-4h-10day" : "iv-0.5-40min";
        rec.state = domain::SessionState::kDischarged;
        rec.dosing_weight = units::Kg(weight_kg);
        rec.planned_dose = units::Mg(dose_mg);
        rec.given_dose = units::Mg(dose_mg);
        rec.concentration = units::MgPerMl(1.0);
        rec.rate = units::MlPerH(dose_mg / (minutes / 60.0));
        rec.started_at = at;
        rec.stopped_at = at + std::chrono::minutes(static_cast<int>(minutes));
        rec.recorded_by = "dr-demo";
        std::optional<domain::Override> ov;
        if (over) ov = domain::Override{"dr-demo", "", "partial response at 0.5 mg/kg; titrated per plan", {}};
        KIRA_ASSIGN_OR_RETURN(RecordSessionResult res, recorder.RecordIn(uow, {rec, "dr-demo", ov}));
        if (!res.stored) {
          ++add.refused;
          continue;
        }
        ++add.sessions;
        if (res.decision.override_) ++add.overrides;

        // Vitals every 10 min, with the usual transient pressor response.
        const bool hypertensive = gen.U() < kHypertensionRate;
        const double sbp0 = gen.N(124, 12), dbp0 = gen.N(78, 8), hr0 = gen.N(74, 9);
        for (int m = 0, j = 0; m <= static_cast<int>(minutes); m += crps ? 30 : 10, ++j) {
          const double rise = std::sin(3.14159 * m / minutes) * (hypertensive ? 60 : 14);
          const domain::Instant vt = at + std::chrono::minutes(m);
          const std::pair<domain::VitalKind, double> vs[] = {
              {domain::VitalKind::kSystolicBp, std::round(sbp0 + rise + gen.N(0, 4))},
              {domain::VitalKind::kDiastolicBp, std::round(dbp0 + rise / 2 + gen.N(0, 3))},
              {domain::VitalKind::kHeartRate, std::round(hr0 + rise / 3 + gen.N(0, 3))},
              {domain::VitalKind::kSpO2, std::round(std::clamp(gen.N(97.5, 1.0), 92.0, 100.0))}};
          for (const auto& [kind, value] : vs) {
            KIRA_RETURN_IF_ERROR(AddVital(uow, {c, sid + "/v" + std::to_string(j) + std::string(domain::VitalKindName(kind)),
                                                sid, vt, kind, std::max(0.0, value)}));
            ++add.vitals;
          }
        }
        auto ae = [&](const char* type, domain::AeSeverity sev, const char* rescue) -> Status {
          ++add.adverse_events;
          return AddAdverseEvent(uow, {c, sid + "/ae-" + type, sid, at + std::chrono::minutes(20), type, sev, rescue});
        };
        if (gen.U() < kNauseaRate) KIRA_RETURN_IF_ERROR(ae("nausea", domain::AeSeverity::kMild, "ondansetron 4 mg IV"));
        if (gen.U() < kDissociationRate)
          KIRA_RETURN_IF_ERROR(ae("dissociation", domain::AeSeverity::kModerate, "reassurance; infusion paused 5 min"));
        if (hypertensive)
          KIRA_RETURN_IF_ERROR(ae("hypertension", domain::AeSeverity::kModerate, "labetalol 10 mg IV"));

        // Ledger: draw from the current lot (a new 500 mg lot when short),
        // administer the dose, waste the remainder of the drawn amount.
        const double drawn = std::ceil(dose_mg / 10.0) * 10.0;
        auto ledger = [&](const std::string& lid, domain::LedgerKind kind, double mg, std::string sess,
                          std::string witness, std::string expiry) -> Status {
          ++add.ledger_entries;
          return AddLedgerEntry(uow, {c, lid, lot, kind, at, units::Mg(mg), units::MgPerMl(50.0),
                                      std::move(expiry), std::move(sess), "rn-demo", std::move(witness)});
        };
        if (lot_left_mg < drawn) {
          lot = "LOT-" + Pad(++lot_number, 5);
          lot_left_mg = kLotMg;
          KIRA_RETURN_IF_ERROR(ledger(lot + "/received", domain::LedgerKind::kReceived, kLotMg, "", "", "2027-12-31"));
        }
        lot_left_mg -= drawn;
        KIRA_RETURN_IF_ERROR(ledger(sid + "/drawn", domain::LedgerKind::kDrawn, drawn, sid, "", ""));
        KIRA_RETURN_IF_ERROR(ledger(sid + "/administered", domain::LedgerKind::kAdministered, dose_mg, sid, "", ""));
        if (drawn - dose_mg > 0.0) {
          KIRA_RETURN_IF_ERROR(ledger(sid + "/wasted", domain::LedgerKind::kWasted, drawn - dose_mg, sid, "rph-demo", ""));
        }

        if (!crps && (k == 2 || k == n_sessions - 1)) {
          const int total = k == 2 ? (baseline + final_total + 1) / 2 : final_total;
          KIRA_RETURN_IF_ERROR(score({c, pid + "/phq9-" + std::to_string(k + 1), pid, sid,
                                      at + std::chrono::hours(20), "phq9", gen.Items(*phq9, total), total, ""}));
          ++add.assessments;
        }
      }
      return Status::Ok();
    });
    if (!s.ok()) return s.WithContext("demo patient " + pid);
    ++sum.patients;
    sum.sessions += add.sessions;
    sum.refused += add.refused;
    sum.overrides += add.overrides;
    sum.vitals += add.vitals;
    sum.assessments += add.assessments;
    sum.adverse_events += add.adverse_events;
    sum.ledger_entries += add.ledger_entries;
    sum.depression_patients += add.depression_patients;
    sum.responders += add.responders;
    sum.remitters += add.remitters;
    sum.alerts += add.alerts;
  }
  return sum;
}

}  // namespace kira::registry
