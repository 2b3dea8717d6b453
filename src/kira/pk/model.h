// Racemic ketamine mammillary pharmacokinetic models (clinical-reference.md §7.1).
//
// A ModelParameters row is a published parameter set, weight-normalised as
// published: V1 in L/kg of the patient's weight, first-order rate constants
// (k10, k12, k21, k13, k31) in min^-1 and independent of weight. A Model is
// one row scaled to one patient: it holds the eigenvalues of the compartment
// matrix and the unit-bolus coefficients, so that the plasma concentration
// after an IV bolus of D mg given at time 0 is
//
//   C(t) = D * sum_i A_i * exp(-lambda_i * t)                    [ng/mL]
//
// with, for a mammillary model with peripheral compartments p (Gibaldi &
// Perrier, Pharmacokinetics, 2nd ed., ch. 3; the same decomposition STANPUMP
// and every TCI pump use):
//
//   lambda_i = roots of det(lambda*I - K)   (K = the rate-constant matrix)
//   A_i      = (1/V1) * prod_p (k_p1 - lambda_i) / prod_{j != i} (lambda_j - lambda_i)
//
// Every other input (infusions, first-order absorption) is superposed from
// this response in closed form; see simulate.h.
//
// WHY a constexpr table and not guidelines/pk-models.json: kira_pk is pure (no
// I/O), the parameter sets are few and frozen, and each row carries its
// citation and evidence tag beside the numbers. A guideline adapter may later
// load rows from JSON into ModelParameters and call Model::Create; nothing in
// kira_pk depends on the rows being compiled in. See docs/pk.md.
//
// Thread safety: ModelParameters and Model are immutable values; safe to share.
#ifndef KIRA_PK_MODEL_H_
#define KIRA_PK_MODEL_H_

#include <array>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/units/units.h"

namespace kira::pk {

// The one evidence tag (domain/decision.h): V, S, U or derived.
using Evidence = domain::Evidence;
inline std::string_view EvidenceTag(Evidence e) { return domain::EvidenceName(e); }

// One published parameter set. Rate constants that a model does not have
// (k13, k31 for two compartments) are 0.
struct ModelParameters {
  std::string_view name;          // stable id used on the CLI: "domino", "clements", "hijazi"
  std::string_view display_name;  // "Domino (3-compartment)"
  std::string_view citation;      // source of the numbers, as the reference gives it
  Evidence evidence;              // tag for the numbers themselves
  int compartments;               // 1, 2 or 3
  double v1_l_per_kg;             // central volume per kg of patient weight
  double k10_per_min;             // elimination from the central compartment
  double k12_per_min;
  double k21_per_min;
  double k13_per_min;
  double k31_per_min;
};

// clinical-reference.md §7.1: racemic ketamine, parameters as implemented in
// the open-source opentiva library (module ketamine.py) [R35]. The original
// Domino 1984 and Clements tables were not retrieved (reference §11 item 4),
// so every row is tagged S (secondary: third-party code), not V.
inline constexpr std::array<ModelParameters, 3> kKetamineModels = {{
    {"domino", "Domino (3-compartment)",
     "Domino EF et al. 1984, PMID 7198883 (paper not retrieved); as implemented in "
     "opentiva ketamine.py [R35]",
     Evidence::kSecondary, 3, 0.063, 0.4381, 0.5921, 0.2470, 0.5900, 0.0146},
    {"clements", "Clements 250 ug/kg (2-compartment)",
     "Clements JA, Nimmo WS. Br J Anaesth 1981;53:27-30, PMID 7459184 [R33]; as "
     "implemented in opentiva ketamine.py [R35]",
     Evidence::kSecondary, 2, 1.7522, 0.0109, 0.0186, 0.0137, 0.0, 0.0},
    {"hijazi", "Hijazi (2-compartment)",
     "Hijazi Y et al. Br J Anaesth 2003;90(2):155-160, PMID 12538370 [R32]; as "
     "implemented in opentiva ketamine.py [R35]",
     Evidence::kSecondary, 2, 1.08, 0.0333, 0.0088, 0.0030, 0.0, 0.0},
}};

// The id used when a caller names none. Domino is the only three-compartment
// set the reference gives; the issue asks for a three-compartment model.
inline constexpr std::string_view kDefaultModelName = "domino";

// Returns the row named `name` (case-sensitive, as in kKetamineModels).
// Errors: kNotFound naming the unknown id and listing the known ones.
StatusOr<ModelParameters> FindModel(std::string_view name);

// A parameter set scaled to one patient.
class Model {
 public:
  static constexpr int kMaxModes = 3;

  // Checks `params` and scales it to `weight`.
  // Errors (kInvalidArgument, message names the field):
  //   weight_kg not finite or <= 0; v1_l_per_kg or k10_per_min not finite or
  //   <= 0; a rate constant of a present peripheral compartment not finite or
  //   <= 0, or of an absent one not 0; compartments outside 1..3; eigenvalues
  //   that coincide (relative separation < 1e-9), for which the exponential-sum
  //   form used here does not exist.
  static StatusOr<Model> Create(const ModelParameters& params, units::Kilograms weight);

  const ModelParameters& parameters() const { return params_; }
  units::Kilograms weight() const { return weight_; }
  units::Millilitres central_volume() const;
  // CL = V1 * k10, as a volume flow.
  units::MillilitresPerHour clearance() const;

  // Number of exponential modes (= compartments).
  int modes() const { return modes_; }
  // Disposition rate constants lambda_i [min^-1], in decreasing order (fastest first).
  double lambda_per_min(int i) const { return lambda_[i]; }
  // A_i: plasma concentration [ng/mL] per mg of IV bolus, mode i, at t = 0.
  double unit_coefficient_ng_per_ml_per_mg(int i) const { return coef_[i]; }

 private:
  Model() = default;
  ModelParameters params_{};
  units::Kilograms weight_{};
  int modes_ = 0;
  std::array<double, kMaxModes> lambda_{};
  std::array<double, kMaxModes> coef_{};
};

}  // namespace kira::pk

#endif  // KIRA_PK_MODEL_H_
