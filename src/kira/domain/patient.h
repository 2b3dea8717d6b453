// Patient facts as the Advisor sees them. Built by the API/JSON layer, which
// validates every field; the rules trust these values (finite, in range).
#ifndef KIRA_DOMAIN_PATIENT_H_
#define KIRA_DOMAIN_PATIENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/units/units.h"

namespace kira::domain {

// Frozen: "female", "male", "other", "unknown".
enum class Sex { kFemale = 0, kMale = 1, kOther = 2, kUnknown = 3 };
std::string_view SexName(Sex s);

// How a weight was obtained (clinical-reference.md 8.1, lesson 3).
// Frozen: "measured", "stated", "estimated".
enum class WeightMethod { kMeasured = 0, kStated = 1, kEstimated = 2 };
std::string_view WeightMethodName(WeightMethod m);

struct BodyWeight {
  units::Kilograms value;          // converted once at the edge if entered in lb
  WeightMethod method = WeightMethod::kMeasured;
  std::string entered_unit = "kg"; // "kg" or "lb", as the user typed it
  double entered_value = 0.0;      // the number the user typed, in entered_unit
  std::string measured_at;         // ISO date/time, optional
  std::string measured_by;         // optional
  // The clinician's attestation that an implausible weight was measured on a
  // scale: the weight re-entered (in entered_unit) and who confirms it. It
  // lifts the plausibility hard stop only when the method is "measured" and
  // the re-entered value equals entered_value, so a typo cannot pass by a
  // ticked box.
  std::optional<double> implausible_confirmed_value;
  std::string implausible_confirmed_by;
};

// The weight recorded at the previous visit (for the change-since-last-visit check).
struct PreviousWeight {
  units::Kilograms value;
  std::string measured_at;  // ISO date, optional
};

struct Medication {
  std::string name;  // lower-case generic name, matched against the guideline's catalogue
  std::optional<double> diazepam_equivalent_mg_per_day;  // benzodiazepines only
};

struct BaselineVitals {
  std::optional<double> sbp_mmhg;
  std::optional<double> dbp_mmhg;
  std::optional<double> hr_bpm;
  std::optional<double> spo2_pct;
  std::optional<double> rr_per_min;
};

struct Patient {
  std::string id;  // pseudonymous id
  double age_years = 0.0;
  Sex sex = Sex::kUnknown;
  bool pregnant = false;
  BodyWeight weight;
  std::optional<PreviousWeight> previous_weight;
  std::optional<units::Centimetres> height;
  std::string birth_date;  // ISO "YYYY-MM-DD", optional (plausibility: birth before session)
  std::vector<std::string> diagnoses;    // indication ids from the guideline library
  std::map<std::string, bool, std::less<>> history;  // condition id -> present (vocabulary in the library)
  std::vector<Medication> medications;
  std::optional<int> failed_antidepressant_trials;
  std::optional<BaselineVitals> baseline_vitals;

  bool HasCondition(std::string_view condition_id) const;
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_PATIENT_H_
