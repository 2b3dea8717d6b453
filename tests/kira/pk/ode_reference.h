// An independent numerical reference for the closed-form solution: the
// compartment model written as an ODE in amounts (mg) and integrated with an
// adaptive Dormand-Prince 5(4) Runge-Kutta method (Dormand & Prince, J Comput
// Appl Math 1980;6:19-26; coefficients as in Hairer, Norsett & Wanner, Solving
// ODEs I, table 5.2) at a tight tolerance. It shares no code with kira_pk
// beyond reading the model's published rate constants: no eigenvalues, no
// modal coordinates, no closed forms. Test-only.
#ifndef KIRA_TESTS_PK_ODE_REFERENCE_H_
#define KIRA_TESTS_PK_ODE_REFERENCE_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "kira/pk/model.h"
#include "kira/pk/regimen.h"

namespace kira::pk::testing {

class OdeReference {
 public:
  // y = {A1, A2, A3, depot_im, depot_in} in mg.
  using Vec = std::array<double, 5>;

  OdeReference(const ModelParameters& p, double weight_kg, const Regimen& r, double rtol = 1e-13)
      : p_(p), v1_l_(p.v1_l_per_kg * weight_kg), reg_(r), rtol_(rtol) {}

  // C [ng/mL] at each of `times` (ascending, >= 0). A dose at exactly t is
  // included in C(t), as in kira_pk.
  std::vector<double> Concentrations(const std::vector<double>& times) {
    // Breakpoints: every input change.
    struct Bp {
      double t;
      int kind;  // 0 rate change, 1 dose
      double value;
      int route;
    };
    std::vector<Bp> bps;
    for (const Infusion& inf : reg_.infusions) {
      const double s = units::ToMinutes(inf.start);
      bps.push_back({s, 0, units::ToMgPerH(inf.rate) / 60.0, 0});
      bps.push_back({s + units::ToMinutes(inf.duration), 0, 0.0, 0});
    }
    for (const Dose& d : reg_.doses) {
      bps.push_back({units::ToMinutes(d.time), 1, units::ToMg(d.amount), static_cast<int>(d.route)});
    }
    std::stable_sort(bps.begin(), bps.end(), [](const Bp& a, const Bp& b) { return a.t < b.t; });
    Vec y{};
    double t = 0.0, rate = 0.0;
    size_t bi = 0;
    std::vector<double> out;
    auto apply_until = [&](double at) {
      while (bi < bps.size() && bps[bi].t <= at) {
        const Bp& b = bps[bi++];
        if (b.t > t) {
          Integrate(y, t, b.t, rate);
          t = b.t;
        }
        if (b.kind == 0) {
          rate = b.value;
        } else if (b.route == 0) {
          y[0] += b.value;
        } else if (b.route == 1) {
          y[3] += b.value * reg_.intramuscular.bioavailability;
        } else {
          y[4] += b.value * reg_.intranasal.bioavailability;
        }
      }
    };
    for (double at : times) {
      apply_until(at);
      if (at > t) {
        Integrate(y, t, at, rate);
        t = at;
      }
      out.push_back(y[0] / v1_l_ * 1000.0);
    }
    return out;
  }

  long steps() const { return steps_; }

 private:
  Vec Deriv(const Vec& y, double rate) const {
    const double ka_im = reg_.intramuscular.ka_per_min, ka_in = reg_.intranasal.ka_per_min;
    Vec d{};
    const double in_im = ka_im * y[3], in_in = ka_in * y[4];
    d[0] = -(p_.k10_per_min + p_.k12_per_min + p_.k13_per_min) * y[0] + p_.k21_per_min * y[1] +
           p_.k31_per_min * y[2] + rate + in_im + in_in;
    d[1] = p_.k12_per_min * y[0] - p_.k21_per_min * y[1];
    d[2] = p_.k13_per_min * y[0] - p_.k31_per_min * y[2];
    d[3] = -in_im;
    d[4] = -in_in;
    return d;
  }

  void Integrate(Vec& y, double t0, double t1, double rate) {
    static constexpr double a21 = 1.0 / 5;
    static constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
    static constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
    static constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                            a54 = -212.0 / 729;
    static constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247,
                            a64 = 49.0 / 176, a65 = -5103.0 / 18656;
    static constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784,
                            b6 = 11.0 / 84;
    // Differences between the 5th- and embedded 4th-order weights.
    static constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920,
                            e5 = -17253.0 / 339200, e6 = 22.0 / 525, e7 = -1.0 / 40;
    double t = t0;
    double h = std::min(h_, t1 - t0);
    while (t < t1) {
      if (t + h > t1) h = t1 - t;
      Vec k1 = Deriv(y, rate), k2, k3, k4, k5, k6, k7, yt, y5;
      for (int i = 0; i < 5; ++i) yt[i] = y[i] + h * a21 * k1[i];
      k2 = Deriv(yt, rate);
      for (int i = 0; i < 5; ++i) yt[i] = y[i] + h * (a31 * k1[i] + a32 * k2[i]);
      k3 = Deriv(yt, rate);
      for (int i = 0; i < 5; ++i) yt[i] = y[i] + h * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i]);
      k4 = Deriv(yt, rate);
      for (int i = 0; i < 5; ++i) yt[i] = y[i] + h * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i]);
      k5 = Deriv(yt, rate);
      for (int i = 0; i < 5; ++i)
        yt[i] = y[i] + h * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i]);
      k6 = Deriv(yt, rate);
      for (int i = 0; i < 5; ++i)
        y5[i] = y[i] + h * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i]);
      k7 = Deriv(y5, rate);
      double err = 0.0;
      for (int i = 0; i < 5; ++i) {
        const double e = h * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]);
        const double scale = 1e-18 + rtol_ * std::max(std::abs(y[i]), std::abs(y5[i]));
        err = std::max(err, std::abs(e) / scale);
      }
      if (err <= 1.0) {
        t += h;
        y = y5;
        ++steps_;
      }
      const double factor = err == 0.0 ? 5.0 : std::clamp(0.9 * std::pow(err, -0.2), 0.2, 5.0);
      h *= factor;
      h_ = h;
    }
  }

  ModelParameters p_;
  double v1_l_;
  Regimen reg_;
  double rtol_;
  double h_ = 1e-3;
  long steps_ = 0;
};

}  // namespace kira::pk::testing

#endif  // KIRA_TESTS_PK_ODE_REFERENCE_H_
