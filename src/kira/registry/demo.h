// Synthetic demo registry (`kira demo --patients N`): a realistic-looking
// clinic whose numbers resemble published figures, for trying kira out and
// for benchmarks. Every record goes through the same use cases (and so the
// same Advisor checks and audit trail) as real data. Deterministic for a
// given seed. All people are invented; nothing is drawn from real records.
//
// What is drawn, and from where (clinical-reference.md):
//  * indication mix: 70 % TRD, 15 % acute suicidal ideation, 15 % CRPS
//    (a demo choice, not a published figure);
//  * TRD/SI: an induction series of 6 infusions of 0.5 mg/kg over 40 min
//    (protocol iv-0.5-40min), twice weekly; CRPS: 0.35 mg/kg/h over 4 h on
//    5 consecutive days (protocol iv-crps-0.35-4h-10day);
//  * PHQ-9 at baseline, after infusion 3 and after the series, with
//    response (>= 50 % fall) in 53.6 % and remission (< 5) in 28.9 % of
//    depression patients: McInnes 2022, 178 US community practices [R84];
//  * vitals every 10 min during a session; a transient rise in systolic BP;
//  * adverse events per session: nausea 8 %, dissociation needing attention
//    4 %, hypertension > 180 mmHg 2 % (illustrative rates, U);
//  * about 2 % of sessions ordered above the soft dose band with an override
//    reason, so overrides appear in the record;
//  * the clinical record first: measured weight and height, pregnancy status,
//    baseline vitals; sessions are judged on it like any other path's;
//  * a controlled-substance ledger: 500 mg lots received, each dose drawn,
//    administered and the remainder wasted with a witness.
#ifndef KIRA_REGISTRY_DEMO_H_
#define KIRA_REGISTRY_DEMO_H_

#include <cstdint>
#include <string>

#include "kira/base/statusor.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/store.h"

namespace kira::registry {

struct DemoOptions {
  int patients = 50;                  // REQUIRES: >= 1
  std::uint32_t seed = 20260301;
  std::string clinic_id = "demo-clinic";
  domain::Instant start{};            // first baseline visit; default 400 days before the clock's now, 09:00 UTC
};

struct DemoSummary {
  int patients = 0;
  int sessions = 0;
  int refused = 0;       // sessions the Advisor refused (should be 0)
  int overrides = 0;
  int vitals = 0;
  int assessments = 0;
  int adverse_events = 0;
  int ledger_entries = 0;
  int depression_patients = 0;
  int responders = 0;    // PHQ-9 fall >= 50 %
  int remitters = 0;     // final PHQ-9 < 5
  int alerts = 0;        // suicidality alerts raised (and acknowledged by the demo clinician)
};

// Creates the clinic (AlreadyExists if it is there) and its patients, one
// UnitOfWork per patient, so a failure leaves whole patients only.
StatusOr<DemoSummary> GenerateDemo(storage::Store& store, const Clock& clock, const DoseCheck& check,
                                   const Libraries& libs, const DemoOptions& options);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_DEMO_H_
