// The closed-form machinery shared by simulate.cc and tci.cc. Internal.
//
// State in modal coordinates: x_i is the contribution of disposition mode i to
// the plasma concentration [ng/mL], so C = sum_i x_i. Between breakpoints the
// inputs are constant (IV rate R [mg/min]) or decay exponentially (depot d
// holding D_d mg of bioavailable drug, absorbed at ka_d), and each mode obeys
//   dx_i/dt = -lambda_i x_i + A_i * (R + sum_d ka_d D_d)
// whose exact solution over a step tau is (Advance):
//   x_i(tau) = x_i e^{-lambda_i tau} + A_i R (1 - e^{-lambda_i tau}) / lambda_i
//            + sum_d A_i ka_d D_d phi(lambda_i, ka_d, tau)
//   phi(l, k, tau) = (e^{-l tau} - e^{-k tau}) / (k - l)
// This is the superposition of the unit responses in closed form; nothing is
// integrated numerically.
#ifndef KIRA_PK_INTERNAL_KERNEL_H_
#define KIRA_PK_INTERNAL_KERNEL_H_

#include <array>
#include <cstdint>
#include <vector>

#include "kira/pk/model.h"
#include "kira/pk/regimen.h"

namespace kira::pk::internal {

inline constexpr int kDepots = 2;  // 0: intramuscular, 1: intranasal
inline constexpr int kMaxTerms = 1 + Model::kMaxModes + kDepots;

// phi(l, k, tau) above, computed without cancellation or overflow for any
// l != k (and continuous as k -> l, where it tends to tau e^{-l tau}).
double Phi(double l, double k, double tau);

struct Event {
  enum class Kind : std::uint8_t { kInfusionStart, kInfusionEnd, kIvBolus, kDepot };
  double t_min;
  Kind kind;
  int depot;     // kDepot only
  double value;  // kInfusionStart: mg/min; kIvBolus, kDepot: bioavailable mg
  bool starts_session;  // an infusion start or a dose with no infusion running
};

// The regimen as one time-ordered list of events. REQUIRES: ValidateRegimen OK.
std::vector<Event> CompileEvents(const Regimen& regimen);

struct State {
  std::array<double, Model::kMaxModes> x{};
  std::array<double, kDepots> depot{};
  double rate_mg_per_min = 0.0;
};

// C(t0 + tau) = constant + sum_j c[j] e^{-mu[j] tau}, mu >= 0, for tau within
// one segment (no event inside).
struct ExpSum {
  double constant = 0.0;
  int n = 0;
  std::array<double, kMaxTerms> c{};
  std::array<double, kMaxTerms> mu{};
  double Value(double tau) const;
  // The exponential sum of d/dtau (constant 0).
  ExpSum Derivative() const;
};

// Up to kMaxTerms - 1 roots where `f` changes sign inside (0, length), sorted.
struct Roots {
  int n = 0;
  std::array<double, kMaxTerms> t{};
};
// Exact up to the solver tolerance (relative 1e-14 in tau): the sum is split
// into intervals on which it is monotone by recursion on the number of terms
// (Rolle: between two roots of e^{mu_min tau} f lies a root of its derivative,
// a sum with one term fewer), and each sign change is then solved by
// safeguarded Newton iteration.
Roots FindSignChanges(const ExpSum& f, double length);

class Kernel {
 public:
  Kernel(const Model& model, const Regimen& regimen);

  int modes() const { return modes_; }
  void Apply(const Event& e, State& s) const;
  void Advance(State& s, double tau) const;
  double Concentration(const State& s) const {
    double c = 0.0;
    for (int i = 0; i < modes_; ++i) c += s.x[i];
    return c;
  }
  // Exponential-sum form of C over the segment that starts in state `s`.
  ExpSum Segment(const State& s) const;
  // Concentration at tau after a unit rate (1 mg/min) from zero, and the free
  // decay of `s` over tau: C(tau) = Free(s, tau) + R * UnitRateResponse(tau).
  double UnitRateResponse(double tau) const;

  double lambda(int i) const { return lambda_[i]; }
  double coef(int i) const { return coef_[i]; }
  double ka(int d) const { return ka_[d]; }

 private:
  friend class StepPropagator;
  int modes_;
  std::array<double, Model::kMaxModes> lambda_{};
  std::array<double, Model::kMaxModes> coef_{};
  std::array<double, kDepots> ka_{};
};

// Advance by one fixed step h with precomputed factors (the curve fast path).
class StepPropagator {
 public:
  StepPropagator(const Kernel& k, double h);
  void Step(State& s) const;

 private:
  int modes_;
  std::array<double, Model::kMaxModes> decay_{};
  std::array<double, Model::kMaxModes> per_rate_{};
  std::array<double, kDepots> depot_decay_{};
  std::array<std::array<double, Model::kMaxModes>, kDepots> per_depot_{};
};

}  // namespace kira::pk::internal

#endif  // KIRA_PK_INTERNAL_KERNEL_H_
