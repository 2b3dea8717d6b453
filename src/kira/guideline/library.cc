#include "kira/guideline/library.h"

#include <algorithm>

namespace kira::guideline {

namespace {
template <class T>
const T* FindById(const std::vector<T>& v, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
  return it == v.end() ? nullptr : &*it;
}
}  // namespace

const Indication* Library::FindIndication(const std::string& i) const { return FindById(indications, i); }
const Route* Library::FindRoute(const std::string& i) const { return FindById(routes, i); }
const Protocol* Library::FindProtocol(const std::string& i) const { return FindById(protocols, i); }

const MedicationEntry* Library::FindMedication(const std::string& name) const {
  // Length and first letter first: the catalogue is scanned for every
  // medication of every screening.
  auto it = std::find_if(medications.begin(), medications.end(), [&](const MedicationEntry& m) {
    return m.name.size() == name.size() && (name.empty() || m.name[0] == name[0]) && m.name == name;
  });
  return it == medications.end() ? nullptr : &*it;
}

const Setting* Library::FindSetting(const std::string& i) const {
  auto it = settings.find(i);
  return it == settings.end() ? nullptr : &it->second;
}

bool Library::HasConditionTerm(const std::string& i) const { return FindById(conditions, i) != nullptr; }

domain::GuidelineRef Library::Ref() const {
  domain::GuidelineRef r{id, version};
  if (!overlay.empty()) r.version += "+" + overlay;
  return r;
}

bool ResolveFact(Condition* c) {
  static const std::pair<const char*, FactCode> kExact[] = {
      {"pregnant", FactCode::kPregnant},
      {"med.unknown", FactCode::kMedUnknown},
      {"failed_antidepressant_trials.known", FactCode::kTrialsKnown},
      {"med.benzodiazepine_dze_mg_per_day.known", FactCode::kBenzoDoseKnown},
      {"weight.estimated", FactCode::kWeightEstimated},
      {"age_years", FactCode::kAgeYears},
      {"bmi", FactCode::kBmi},
      {"weight_kg", FactCode::kWeightKg},
      {"failed_antidepressant_trials", FactCode::kFailedTrials},
      {"med.benzodiazepine_dze_mg_per_day", FactCode::kBenzoDoseDze},
      {"baseline.sbp_mmhg", FactCode::kSbp},
      {"baseline.dbp_mmhg", FactCode::kDbp},
      {"baseline.hr_bpm", FactCode::kHr},
      {"baseline.spo2_pct", FactCode::kSpo2},
  };
  for (const auto& [name, code] : kExact) {
    if (c->fact == name) {
      c->code = code;
      c->key.clear();
      return true;
    }
  }
  static const std::pair<const char*, FactCode> kPrefix[] = {
      {"history.", FactCode::kHistory}, {"med.class.", FactCode::kMedClass}, {"diagnosis.", FactCode::kDiagnosis}};
  for (const auto& [prefix, code] : kPrefix) {
    std::string_view p(prefix);
    if (c->fact.size() > p.size() && c->fact.compare(0, p.size(), p) == 0) {
      c->code = code;
      c->key = c->fact.substr(p.size());
      return true;
    }
  }
  c->code = FactCode::kUnresolved;
  return false;
}

bool IsNumericFact(FactCode code) { return code >= FactCode::kAgeYears; }

}  // namespace kira::guideline
