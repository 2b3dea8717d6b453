#include "kira/api/patient_json.h"

#include <algorithm>
#include <cctype>

#include "kira/api/internal/json_reader.h"

namespace kira::api {

using internal::FieldError;
using internal::Index;
using internal::Json;
using internal::ObjectReader;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Status ReadWeight(ObjectReader& root, domain::Patient* p) {
  const Json* j = root.Get("weight");
  if (!j) return FieldError("weight", "is required: {\"value\": 70, \"unit\": \"kg\", \"method\": \"measured\"}");
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, "weight"));
  KIRA_ASSIGN_OR_RETURN(std::string unit, r.String("unit"));
  // Bounds here are input sanity (a parse rule), not clinical limits: the
  // clinical plausibility check is done by the dosing rules with BMI.
  KIRA_ASSIGN_OR_RETURN(double value, r.Number("value"));
  if (!(value > 0)) return FieldError("weight.value", "must be > 0");
  if (value >= 1000) return FieldError("weight.value", "must be < 1000");
  if (unit == "kg") {
    p->weight.value = units::Kg(value);
  } else if (unit == "lb") {
    p->weight.value = units::Pounds(value);  // converted once, here
  } else {
    return FieldError("weight.unit", "must be \"kg\" or \"lb\"; got '" + unit + "'");
  }
  p->weight.entered_unit = unit;
  p->weight.entered_value = value;
  KIRA_ASSIGN_OR_RETURN(std::string method, r.String("method"));
  if (method == "measured") p->weight.method = domain::WeightMethod::kMeasured;
  else if (method == "stated") p->weight.method = domain::WeightMethod::kStated;
  else if (method == "estimated") p->weight.method = domain::WeightMethod::kEstimated;
  else return FieldError("weight.method", "must be measured, stated or estimated; got '" + method + "'");
  KIRA_ASSIGN_OR_RETURN(p->weight.measured_at, r.String("measured_at", false));
  KIRA_ASSIGN_OR_RETURN(p->weight.measured_by, r.String("measured_by", false));
  if (const Json* c = r.Get("confirm_implausible")) {
    // {"value": <the weight re-entered, same unit>, "by": "<who measured it>"}
    KIRA_ASSIGN_OR_RETURN(ObjectReader cr, ObjectReader::Make(*c, "weight.confirm_implausible"));
    KIRA_ASSIGN_OR_RETURN(double again, cr.Number("value"));
    KIRA_ASSIGN_OR_RETURN(p->weight.implausible_confirmed_by, cr.String("by"));
    if (p->weight.implausible_confirmed_by.empty())
      return FieldError("weight.confirm_implausible.by", "must name who measured the weight");
    KIRA_RETURN_IF_ERROR(cr.NoUnknownKeys());
    p->weight.implausible_confirmed_value = again;
  }
  return r.NoUnknownKeys();
}

Status ReadPreviousWeight(ObjectReader& root, domain::Patient* p) {
  const Json* j = root.Get("previous_weight");
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, "previous_weight"));
  KIRA_ASSIGN_OR_RETURN(double value, r.Number("value"));
  if (!(value > 0) || value >= 1000) return FieldError("previous_weight.value", "must be > 0 and < 1000");
  KIRA_ASSIGN_OR_RETURN(std::string unit, r.String("unit"));
  domain::PreviousWeight w;
  if (unit == "kg") w.value = units::Kg(value);
  else if (unit == "lb") w.value = units::Pounds(value);
  else return FieldError("previous_weight.unit", "must be \"kg\" or \"lb\"; got '" + unit + "'");
  KIRA_ASSIGN_OR_RETURN(w.measured_at, r.String("measured_at", false));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  p->previous_weight = std::move(w);
  return Status();
}

bool IsIsoDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Status ReadHeight(ObjectReader& root, domain::Patient* p) {
  const Json* j = root.Get("height");
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, "height"));
  KIRA_ASSIGN_OR_RETURN(double value, r.Number("value"));
  KIRA_ASSIGN_OR_RETURN(std::string unit, r.String("unit"));
  units::Centimetres h;
  if (unit == "cm") h = units::Cm(value);
  else if (unit == "in") h = units::Inches(value);
  else return FieldError("height.unit", "must be \"cm\" or \"in\"; got '" + unit + "'");
  if (!(units::ToCm(h) >= 30 && units::ToCm(h) <= 272))
    return FieldError("height.value", "must be between 30 and 272 cm");
  p->height = h;
  return r.NoUnknownKeys();
}

}  // namespace

StatusOr<domain::Patient> ParsePatient(std::string_view json_text, const guideline::Library& lib) {
  KIRA_ASSIGN_OR_RETURN(Json doc, internal::ParseJson(json_text, "patient"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader root, ObjectReader::Make(doc, ""));
  domain::Patient p;
  KIRA_ASSIGN_OR_RETURN(p.id, root.String("id", false));
  KIRA_ASSIGN_OR_RETURN(p.age_years, root.Number("age_years", 0.0, 130.0));
  KIRA_ASSIGN_OR_RETURN(std::string sex, root.String("sex"));
  if (sex == "female") p.sex = domain::Sex::kFemale;
  else if (sex == "male") p.sex = domain::Sex::kMale;
  else if (sex == "other") p.sex = domain::Sex::kOther;
  else if (sex == "unknown") p.sex = domain::Sex::kUnknown;
  else return FieldError("sex", "must be female, male, other or unknown; got '" + sex + "'");
  KIRA_ASSIGN_OR_RETURN(p.pregnant, root.Bool("pregnant", false, false));
  KIRA_RETURN_IF_ERROR(ReadWeight(root, &p));
  KIRA_RETURN_IF_ERROR(ReadHeight(root, &p));
  KIRA_RETURN_IF_ERROR(ReadPreviousWeight(root, &p));
  KIRA_ASSIGN_OR_RETURN(p.birth_date, root.String("birth_date", false));
  if (!p.birth_date.empty() && !IsIsoDate(p.birth_date))
    return FieldError("birth_date", "must be a date YYYY-MM-DD; got '" + p.birth_date + "'");

  KIRA_ASSIGN_OR_RETURN(p.diagnoses, root.StringList("diagnoses", true));
  if (p.diagnoses.empty()) return FieldError("diagnoses", "must list at least one indication");
  for (size_t i = 0; i < p.diagnoses.size(); ++i) {
    if (!lib.FindIndication(p.diagnoses[i])) {
      std::string known;
      for (const auto& ind : lib.indications) known += (known.empty() ? "" : ", ") + ind.id;
      return FieldError(Index("diagnoses", i), "unknown indication '" + p.diagnoses[i] + "' (known: " + known + ")");
    }
  }

  if (const Json* h = root.Get("history")) {
    if (!h->is_object()) return FieldError("history", "must be an object of condition: true|false");
    for (auto it = h->begin(); it != h->end(); ++it) {
      std::string path = "history." + it.key();
      if (!lib.HasConditionTerm(it.key())) {
        std::string known;
        for (const auto& c : lib.conditions) known += (known.empty() ? "" : ", ") + c.id;
        return FieldError(path, "unknown condition (known: " + known + ")");
      }
      if (!it.value().is_boolean()) return FieldError(path, "must be true or false");
      p.history[it.key()] = it.value().get<bool>();
    }
  }

  if (const Json* meds = root.Get("medications")) {
    if (!meds->is_array()) return FieldError("medications", "must be a list");
    for (size_t i = 0; i < meds->size(); ++i) {
      std::string path = Index("medications", i);
      const Json& m = (*meds)[i];
      domain::Medication med;
      if (m.is_string()) {
        med.name = Lower(m.get<std::string>());
      } else {
        KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(m, path));
        KIRA_ASSIGN_OR_RETURN(std::string name, r.String("name"));
        med.name = Lower(name);
        KIRA_ASSIGN_OR_RETURN(med.diazepam_equivalent_mg_per_day,
                              r.OptNumber("diazepam_equivalent_mg_per_day", 0.0, 1000.0));
        KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
      }
      if (med.name.empty()) return FieldError(path, "medication name must not be empty");
      p.medications.push_back(std::move(med));
    }
  }

  KIRA_ASSIGN_OR_RETURN(std::optional<double> trials, root.OptNumber("failed_antidepressant_trials", 0.0, 100.0));
  if (trials) {
    if (*trials != static_cast<double>(static_cast<int>(*trials)))
      return FieldError("failed_antidepressant_trials", "must be a whole number");
    p.failed_antidepressant_trials = static_cast<int>(*trials);
  }

  if (const Json* v = root.Get("baseline_vitals")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*v, "baseline_vitals"));
    domain::BaselineVitals b;
    KIRA_ASSIGN_OR_RETURN(b.sbp_mmhg, r.OptNumber("sbp_mmhg", 20.0, 350.0));
    KIRA_ASSIGN_OR_RETURN(b.dbp_mmhg, r.OptNumber("dbp_mmhg", 10.0, 250.0));
    KIRA_ASSIGN_OR_RETURN(b.hr_bpm, r.OptNumber("hr_bpm", 10.0, 300.0));
    KIRA_ASSIGN_OR_RETURN(b.spo2_pct, r.OptNumber("spo2_pct", 0.0, 100.0));
    KIRA_ASSIGN_OR_RETURN(b.rr_per_min, r.OptNumber("rr_per_min", 0.0, 80.0));
    KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
    p.baseline_vitals = b;
  }
  KIRA_RETURN_IF_ERROR(root.NoUnknownKeys({"name", "notes"}));
  return p;
}

}  // namespace kira::api
