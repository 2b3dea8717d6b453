// Patient facts as the rule conditions see them, and the evaluator for the
// guideline's condition trees. Internal to rules/.
#ifndef KIRA_ADVISOR_FACTS_H_
#define KIRA_ADVISOR_FACTS_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/patient.h"
#include "kira/guideline/library.h"

namespace kira::advisor {

// Boolean facts are names ("pregnant", "history.psychosis_active",
// "med.class.benzodiazepine", "diagnosis.trd", ...); numeric facts are the
// fixed list validated by the guideline loader. A missing numeric fact makes
// every comparison on it false (rules that need it use a ".known" fact).
class Facts {
 public:
  Facts(const guideline::Library& lib, const domain::Patient& patient);

  bool Flag(std::string_view name) const;
  bool Flag(guideline::FactCode code, std::string_view key) const;
  std::optional<double> Number(guideline::FactCode code) const;
  std::optional<double> Number(std::string_view name) const;
  bool Eval(const guideline::Condition& c, const guideline::Library& lib) const;
  // Eval, with the commonest conditions (a single history condition or
  // medication class) answered inline.
  [[gnu::always_inline]] bool Test(const guideline::Condition& c, const guideline::Library& lib) const {
    if (c.kind == guideline::Condition::Kind::kFact) {
      if (c.code == guideline::FactCode::kHistory) return HasCondition(c.key);
      if (c.code == guideline::FactCode::kMedClass) return HasMedClass(c.key);
    }
    return Eval(c, lib);
  }

  // Medications not found in the library's catalogue.
  const std::vector<std::string>& unknown_medications() const { return unknown_meds_; }
  std::optional<double> bmi() const { return bmi_; }

 private:
  [[gnu::always_inline]] bool HasCondition(std::string_view id) const {
    if (n_conditions_ == 0) return false;  // the usual case: no condition present
    if (more_conditions_) return patient_.HasCondition(id);
    for (std::size_t i = 0; i < n_conditions_; ++i) {
      if (conditions_[i] == id) return true;
    }
    return false;
  }
  [[gnu::always_inline]] bool HasMedClass(std::string_view cls) const {
    for (std::size_t i = 0; i < n_med_classes_; ++i) {
      if (med_classes_[i].size() == cls.size() && med_classes_[i] == cls) return true;
    }
    for (std::string_view c : more_med_classes_) {
      if (c == cls) return true;
    }
    return false;
  }

  const domain::Patient& patient_;
  // Small inline sets (no allocation for a typical patient): the catalogue
  // classes of the patient's medications and the conditions present.
  static constexpr std::size_t kInline = 16;
  std::array<std::string_view, kInline> med_classes_{};
  std::size_t n_med_classes_ = 0;
  std::vector<std::string_view> more_med_classes_;  // beyond kInline
  std::array<std::string_view, kInline> conditions_{};
  std::size_t n_conditions_ = 0;
  bool more_conditions_ = false;  // beyond kInline: ask the patient record
  std::vector<std::string> unknown_meds_;
  std::optional<double> bmi_;
  std::optional<double> benzo_dze_;
  bool has_benzo_ = false;
};

// Body-mass index in kg/m2, or nullopt without a height.
std::optional<double> BodyMassIndex(const domain::Patient& patient);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_FACTS_H_
