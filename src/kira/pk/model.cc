#include "kira/pk/model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>

#include "kira/pk/internal/checks.h"

namespace kira::pk {

namespace {

// Micrograms per mL in one mg per L is 1; ng/mL per mg/L is 1000.
constexpr double kNgPerMlPerMgPerL = 1000.0;
// Eigenvalues closer than this (relative to the largest) are treated as
// coinciding: the coefficients A_i would lose all precision.
constexpr double kMinEigenSeparation = 1e-9;

// Roots of the characteristic polynomial of the mammillary rate matrix
//   P(l) = l^3 - a2 l^2 + a1 l - a0   (three compartments; lower orders alike),
// found in closed form (quadratic formula, trigonometric cubic) and then
// polished by Newton's method on P. The matrix is similar to a symmetric one
// (diagonal scaling by sqrt(V_p)), so all roots are real and positive.
std::array<double, Model::kMaxModes> Eigenvalues(const ModelParameters& p, int n) {
  std::array<double, Model::kMaxModes> l{};
  const double k10 = p.k10_per_min, k12 = p.k12_per_min, k21 = p.k21_per_min;
  const double k13 = p.k13_per_min, k31 = p.k31_per_min;
  if (n == 1) {
    l[0] = k10;
    return l;
  }
  if (n == 2) {
    const double a = k10 + k12 + k21;
    const double b = k10 * k21;
    const double big = 0.5 * (a + std::sqrt(std::max(0.0, a * a - 4.0 * b)));
    l[0] = big;
    l[1] = b / big;  // product of roots; avoids cancellation in (a - sqrt)/2
    return l;
  }
  const double a2 = k10 + k12 + k13 + k21 + k31;
  const double a1 = k10 * k21 + k10 * k31 + k12 * k31 + k13 * k21 + k21 * k31;
  const double a0 = k10 * k21 * k31;
  // Depressed cubic t^3 + pp t + qq with l = t + a2/3.
  const double pp = a1 - a2 * a2 / 3.0;
  const double qq = -2.0 * a2 * a2 * a2 / 27.0 + a2 * a1 / 3.0 - a0;
  const double m = 2.0 * std::sqrt(std::max(0.0, -pp / 3.0));
  double arg = (pp == 0.0) ? 0.0 : (3.0 * qq / (2.0 * pp)) * std::sqrt(-3.0 / pp);
  arg = std::clamp(arg, -1.0, 1.0);
  const double theta = std::acos(arg) / 3.0;
  for (int k = 0; k < 3; ++k) {
    l[k] = m * std::cos(theta - 2.0 * std::numbers::pi * k / 3.0) + a2 / 3.0;
  }
  for (double& x : l) {
    for (int it = 0; it < 4; ++it) {
      const double f = ((x - a2) * x + a1) * x - a0;
      const double df = (3.0 * x - 2.0 * a2) * x + a1;
      if (df == 0.0) break;
      const double step = f / df;
      x -= step;
      if (std::abs(step) <= 1e-16 * std::abs(x)) break;
    }
  }
  return l;
}

// Eigenvalues, fastest first. They depend only on the rate constants, so for
// the published rows (kKetamineModels) they are computed once, at first use.
std::array<double, Model::kMaxModes> SortedEigenvalues(const ModelParameters& p, int n) {
  auto compute = [](const ModelParameters& q, int modes) {
    std::array<double, Model::kMaxModes> l = Eigenvalues(q, modes);
    // Descending (at most three values).
    for (std::size_t i = 1; i < static_cast<std::size_t>(modes) && i < l.size(); ++i) {
      for (std::size_t j = i; j > 0 && l[j - 1] < l[j]; --j) std::swap(l[j - 1], l[j]);
    }
    return l;
  };
  constexpr std::size_t kRows = kKetamineModels.size();
  static const std::array<std::array<double, Model::kMaxModes>, kRows> published = [&] {
    std::array<std::array<double, Model::kMaxModes>, kRows> t{};
    for (std::size_t i = 0; i < kRows; ++i) t[i] = compute(kKetamineModels[i], kKetamineModels[i].compartments);
    return t;
  }();
  for (std::size_t i = 0; i < kRows; ++i) {
    const ModelParameters& r = kKetamineModels[i];
    if (r.compartments == n && r.k10_per_min == p.k10_per_min && r.k12_per_min == p.k12_per_min &&
        r.k21_per_min == p.k21_per_min && r.k13_per_min == p.k13_per_min && r.k31_per_min == p.k31_per_min) {
      return published[i];
    }
  }
  return compute(p, n);
}

Status CheckRate(std::string_view model, std::string_view field, double v, bool present) {
  // The field name is built only on failure: this runs in every dose check.
  if (present ? (std::isfinite(v) && v > 0.0) : v == 0.0) return Status::Ok();
  std::string name = "model '" + std::string(model) + "'." + std::string(field);
  if (present) return internal::CheckPositiveFinite(name, v, "/min");
  return InvalidArgumentError(name + ": must be 0 for a model without that compartment");
}

}  // namespace

StatusOr<ModelParameters> FindModel(std::string_view name) {
  std::string known;
  for (const ModelParameters& m : kKetamineModels) {
    if (m.name == name) return m;
    if (!known.empty()) known += ", ";
    known += m.name;
  }
  return NotFoundError("pk model '" + std::string(name) + "' not found (known: " + known + ")");
}

StatusOr<Model> Model::Create(const ModelParameters& params, units::Kilograms weight) {
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("weight_kg", units::ToKg(weight), "kg"));
  const std::string_view id = params.name;
  if (params.compartments < 1 || params.compartments > kMaxModes) {
    return InvalidArgumentError("model '" + std::string(id) + "'.compartments: must be 1, 2 or 3 (got " +
                                std::to_string(params.compartments) + ")");
  }
  if (!(std::isfinite(params.v1_l_per_kg) && params.v1_l_per_kg > 0.0)) {
    return internal::CheckPositiveFinite("model '" + std::string(id) + "'.v1_l_per_kg", params.v1_l_per_kg, "L/kg");
  }
  KIRA_RETURN_IF_ERROR(CheckRate(id, "k10_per_min", params.k10_per_min, true));
  KIRA_RETURN_IF_ERROR(CheckRate(id, "k12_per_min", params.k12_per_min, params.compartments >= 2));
  KIRA_RETURN_IF_ERROR(CheckRate(id, "k21_per_min", params.k21_per_min, params.compartments >= 2));
  KIRA_RETURN_IF_ERROR(CheckRate(id, "k13_per_min", params.k13_per_min, params.compartments >= 3));
  KIRA_RETURN_IF_ERROR(CheckRate(id, "k31_per_min", params.k31_per_min, params.compartments >= 3));

  Model m;
  m.params_ = params;
  m.weight_ = weight;
  m.modes_ = params.compartments;
  m.lambda_ = SortedEigenvalues(params, m.modes_);
  for (int i = 0; i + 1 < m.modes_; ++i) {
    if (!(m.lambda_[i] - m.lambda_[i + 1] > kMinEigenSeparation * m.lambda_[0])) {
      return InvalidArgumentError("model '" + std::string(id) +
                                  "': rate constants give coinciding eigenvalues; the "
                                  "exponential-sum solution does not apply");
    }
  }
  const double v1_l = params.v1_l_per_kg * units::ToKg(weight);
  const std::array<double, 2> kp1 = {params.k21_per_min, params.k31_per_min};
  for (int i = 0; i < m.modes_; ++i) {
    double num = kNgPerMlPerMgPerL / v1_l;
    for (int p = 0; p + 1 < m.modes_; ++p) num *= kp1[p] - m.lambda_[i];
    double den = 1.0;
    for (int j = 0; j < m.modes_; ++j) {
      if (j != i) den *= m.lambda_[j] - m.lambda_[i];
    }
    m.coef_[i] = num / den;
  }
  return m;
}

units::Millilitres Model::central_volume() const {
  return units::Ml(params_.v1_l_per_kg * units::ToKg(weight_) * 1000.0);
}

units::MillilitresPerHour Model::clearance() const {
  // L/kg * kg * 1/min -> L/min; * 1000 mL/L * 60 min/h.
  return units::MlPerH(params_.v1_l_per_kg * units::ToKg(weight_) * params_.k10_per_min * 1000.0 * 60.0);
}

}  // namespace kira::pk
