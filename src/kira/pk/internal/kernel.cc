#include "kira/pk/internal/kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace kira::pk::internal {

namespace {
// e^{-x} for x >= 0, without entering libm's slow underflow path for the
// long gaps between sessions (e^{-745} is below the smallest denormal).
inline double ExpNeg(double x) { return x > 745.0 ? 0.0 : std::exp(-x); }
}  // namespace

double Phi(double l, double k, double tau) {
  // Factor out the slower exponential so that nothing overflows for large tau,
  // and use expm1 so that nothing cancels when k is close to l.
  const double lo = std::min(l, k);
  const double d = std::abs(k - l);
  if (d == 0.0) return tau * std::exp(-lo * tau);
  return std::exp(-lo * tau) * (-std::expm1(-d * tau)) / d;
}

std::vector<Event> CompileEvents(const Regimen& regimen) {
  std::vector<Event> infusion_events;
  infusion_events.reserve(2 * regimen.infusions.size());
  for (const Infusion& inf : regimen.infusions) {
    const double s = units::ToMinutes(inf.start);
    const double e = s + units::ToMinutes(inf.duration);
    infusion_events.push_back({s, Event::Kind::kInfusionStart, 0, units::ToMgPerH(inf.rate) / 60.0, false});
    infusion_events.push_back({e, Event::Kind::kInfusionEnd, 0, 0.0, false});
  }
  std::vector<Event> dose_events;
  dose_events.reserve(regimen.doses.size());
  for (const Dose& d : regimen.doses) {
    const double t = units::ToMinutes(d.time);
    const double mg = units::ToMg(d.amount);
    switch (d.route) {
      case Route::kIntravenous:
        dose_events.push_back({t, Event::Kind::kIvBolus, 0, mg, false});
        break;
      case Route::kIntramuscular:
        dose_events.push_back({t, Event::Kind::kDepot, 0, mg * regimen.intramuscular.bioavailability, false});
        break;
      case Route::kIntranasal:
        dose_events.push_back({t, Event::Kind::kDepot, 1, mg * regimen.intranasal.bioavailability, false});
        break;
    }
  }
  std::vector<Event> events;
  if (dose_events.empty()) {
    events = std::move(infusion_events);  // nothing to merge (an infusion-only regimen)
  } else if (infusion_events.empty()) {
    events = std::move(dose_events);
  } else {
    events.resize(infusion_events.size() + dose_events.size());
    // std::merge is stable: at equal times an infusion's end precedes the next
    // start (both come from the sorted infusion list) and rate changes precede doses.
    std::merge(infusion_events.begin(), infusion_events.end(), dose_events.begin(), dose_events.end(),
               events.begin(), [](const Event& a, const Event& b) { return a.t_min < b.t_min; });
  }
  bool in_infusion = false;
  double last_end = -std::numeric_limits<double>::infinity();
  for (Event& e : events) {
    switch (e.kind) {
      case Event::Kind::kInfusionStart:
        // A pump schedule of back-to-back rates (as TCI produces) is one session.
        e.starts_session = e.t_min != last_end;
        in_infusion = true;
        break;
      case Event::Kind::kInfusionEnd:
        in_infusion = false;
        last_end = e.t_min;
        break;
      default:
        e.starts_session = !in_infusion;
        break;
    }
  }
  return events;
}

double ExpSum::Value(double tau) const {
  double v = constant;
  for (int j = 0; j < n; ++j) v += c[j] * ExpNeg(mu[j] * tau);
  return v;
}

ExpSum ExpSum::Derivative() const {
  ExpSum d;
  d.n = n;
  for (int j = 0; j < n; ++j) {
    d.c[j] = -mu[j] * c[j];
    d.mu[j] = mu[j];
  }
  return d;
}

namespace {

// A sum sum_j c[j] e^{-mu[j] tau} with distinct mu >= 0 (the constant is the
// term with mu = 0), scaled by e^{mu_min tau} so that its slowest term is
// constant: no term then under- or overflows on long segments, and the sign
// is that of the unscaled sum.
struct Scaled {
  int n = 0;
  std::array<double, kMaxTerms> c{};
  std::array<double, kMaxTerms> nu{};  // mu - mu_min >= 0
  double Value(double tau) const {
    double v = 0.0;
    for (int j = 0; j < n; ++j) v += c[j] * ExpNeg(nu[j] * tau);
    return v;
  }
  double Slope(double tau) const {
    double v = 0.0;
    for (int j = 0; j < n; ++j) v -= nu[j] * c[j] * ExpNeg(nu[j] * tau);
    return v;
  }
};

// Root of h in (a, b) where h(a) and h(b) have opposite signs and h is
// monotone: Newton's method, falling back to bisection whenever a step leaves
// the bracket.
double SolveBracketed(const Scaled& h, double a, double b, double ha) {
  double x = 0.5 * (a + b);
  for (int it = 0; it < 200; ++it) {
    const double hx = h.Value(x);
    if (hx == 0.0) return x;
    if ((hx > 0.0) == (ha > 0.0)) {
      a = x;
      ha = hx;
    } else {
      b = x;
    }
    const double slope = h.Slope(x);
    double next = (slope != 0.0) ? x - hx / slope : 0.5 * (a + b);
    if (!(next > a && next < b)) next = 0.5 * (a + b);
    const double tol = 1e-14 * std::max(1.0, std::abs(next));
    if (std::abs(next - x) <= tol || b - a <= tol) return next;
    x = next;
  }
  return x;
}

void RootsRec(std::array<double, kMaxTerms> c, std::array<double, kMaxTerms> mu, int n, double length,
              Roots& out) {
  // Drop vanishing terms; a sum with fewer than two terms has no sign change.
  int m = 0;
  for (int j = 0; j < n; ++j) {
    if (c[j] != 0.0) {
      c[m] = c[j];
      mu[m] = mu[j];
      ++m;
    }
  }
  if (m < 2) return;
  // Order by rate (insertion sort; m <= kMaxTerms) for the sign-change count.
  for (int j = 1; j < m; ++j) {
    for (int i = j; i > 0 && mu[i] < mu[i - 1]; --i) {
      std::swap(mu[i], mu[i - 1]);
      std::swap(c[i], c[i - 1]);
    }
  }
  // Descartes' rule of signs for exponential sums (Laguerre; Polya & Szego,
  // Problems and Theorems in Analysis II, part V, problem 75): the number of
  // real zeros is at most the number of sign changes of the coefficients
  // ordered by rate. Most segments have none or one, which needs no recursion.
  int changes = 0;
  for (int j = 1; j < m; ++j) changes += (c[j] > 0.0) != (c[j - 1] > 0.0);
  if (changes == 0) return;
  const int s = 0;  // the slowest term
  Scaled h;
  h.n = m;
  for (int j = 0; j < m; ++j) {
    h.c[j] = c[j];
    h.nu[j] = mu[j] - mu[s];
  }
  if (changes == 1 && m > 2) {
    // At most one zero: it exists iff the ends differ in sign.
    const double ha = h.Value(0.0), hb = h.Value(length);
    if ((ha < 0.0 && hb > 0.0) || (ha > 0.0 && hb < 0.0)) out.t[out.n++] = SolveBracketed(h, 0.0, length, ha);
    return;
  }
  if (m == 2) {
    const int o = 1;
    const double ratio = -c[s] / c[o];  // e^{-nu tau} = ratio
    if (ratio > 0.0 && ratio < 1.0 && h.nu[o] > 0.0) {
      const double tau = -std::log(ratio) / h.nu[o];
      if (tau > 0.0 && tau < length) out.t[out.n++] = tau;
    }
    return;
  }
  // Critical points of h: the sign changes of h', one term fewer.
  std::array<double, kMaxTerms> dc{}, dmu{};
  int k = 0;
  for (int j = 0; j < m; ++j) {
    if (j == s) continue;
    dc[k] = -h.nu[j] * c[j];
    dmu[k] = h.nu[j];
    ++k;
  }
  Roots crit;
  RootsRec(dc, dmu, k, length, crit);
  double a = 0.0;
  double ha = h.Value(a);
  for (int i = 0; i <= crit.n; ++i) {
    const double b = (i < crit.n) ? crit.t[i] : length;
    const double hb = h.Value(b);
    if ((ha < 0.0 && hb > 0.0) || (ha > 0.0 && hb < 0.0)) {
      out.t[out.n++] = SolveBracketed(h, a, b, ha);
    }
    a = b;
    ha = hb;
  }
}

}  // namespace

Roots FindSignChanges(const ExpSum& f, double length) {
  Roots r;
  if (!(length > 0.0)) return r;
  // Fast exits (most segments): all coefficients of one sign, or bounds that
  // keep f on one side of zero (every e^{-mu tau} lies in (0, 1]).
  double hi = f.constant, lo = f.constant;
  for (int j = 0; j < f.n; ++j) {
    hi += std::max(f.c[j], 0.0);
    lo += std::min(f.c[j], 0.0);
  }
  if (hi <= 0.0 || lo >= 0.0) return r;
  std::array<double, kMaxTerms> c{}, mu{};
  int n = 0;
  // Merge terms with equal rates (the constant is rate 0; two depots may share ka).
  auto add = [&](double coef, double rate) {
    for (int j = 0; j < n; ++j) {
      if (mu[j] == rate) {
        c[j] += coef;
        return;
      }
    }
    c[n] = coef;
    mu[n] = rate;
    ++n;
  };
  if (f.constant != 0.0) add(f.constant, 0.0);
  for (int j = 0; j < f.n; ++j) add(f.c[j], f.mu[j]);
  // RootsRec emits roots left to right, so they are already sorted.
  RootsRec(c, mu, n, length, r);
  return r;
}

Kernel::Kernel(const Model& model, const Regimen& regimen) : modes_(model.modes()) {
  for (int i = 0; i < modes_; ++i) {
    lambda_[i] = model.lambda_per_min(i);
    coef_[i] = model.unit_coefficient_ng_per_ml_per_mg(i);
  }
  ka_[0] = regimen.intramuscular.ka_per_min;
  ka_[1] = regimen.intranasal.ka_per_min;
}

void Kernel::Apply(const Event& e, State& s) const {
  switch (e.kind) {
    case Event::Kind::kInfusionStart:
      s.rate_mg_per_min = e.value;
      break;
    case Event::Kind::kInfusionEnd:
      s.rate_mg_per_min = 0.0;
      break;
    case Event::Kind::kIvBolus:
      for (int i = 0; i < modes_; ++i) s.x[i] += coef_[i] * e.value;
      break;
    case Event::Kind::kDepot:
      s.depot[e.depot] += e.value;
      break;
  }
}

void Kernel::Advance(State& s, double tau) const {
  const double r = s.rate_mg_per_min;
  if (r == 0.0) {
    for (int i = 0; i < modes_; ++i) s.x[i] *= ExpNeg(lambda_[i] * tau);
  } else {
    for (int i = 0; i < modes_; ++i) {
      const double l = lambda_[i];
      s.x[i] = s.x[i] * ExpNeg(l * tau) + coef_[i] * r * (-std::expm1(-l * tau)) / l;
    }
  }
  for (int d = 0; d < kDepots; ++d) {
    const double amount = s.depot[d];
    if (amount == 0.0) continue;
    const double k = ka_[d];
    for (int i = 0; i < modes_; ++i) s.x[i] += coef_[i] * k * amount * Phi(lambda_[i], k, tau);
    s.depot[d] = amount * ExpNeg(k * tau);
  }
}

ExpSum Kernel::Segment(const State& s) const {
  ExpSum f;
  const double r = s.rate_mg_per_min;
  std::array<double, Model::kMaxModes> b{};
  for (int i = 0; i < modes_; ++i) {
    const double plateau = coef_[i] * r / lambda_[i];
    f.constant += plateau;
    b[i] = s.x[i] - plateau;
  }
  for (int d = 0; d < kDepots; ++d) {
    const double amount = s.depot[d];
    if (amount == 0.0) continue;
    double g = 0.0;
    for (int i = 0; i < modes_; ++i) {
      const double t = coef_[i] * ka_[d] * amount / (ka_[d] - lambda_[i]);
      b[i] += t;
      g -= t;
    }
    f.c[f.n] = g;
    f.mu[f.n] = ka_[d];
    ++f.n;
  }
  for (int i = 0; i < modes_; ++i) {
    f.c[f.n] = b[i];
    f.mu[f.n] = lambda_[i];
    ++f.n;
  }
  return f;
}

double Kernel::UnitRateResponse(double tau) const {
  double c = 0.0;
  for (int i = 0; i < modes_; ++i) c += coef_[i] * (-std::expm1(-lambda_[i] * tau)) / lambda_[i];
  return c;
}

StepPropagator::StepPropagator(const Kernel& k, double h) : modes_(k.modes_) {
  for (int i = 0; i < modes_; ++i) {
    const double l = k.lambda_[i];
    decay_[i] = std::exp(-l * h);
    per_rate_[i] = k.coef_[i] * (-std::expm1(-l * h)) / l;
  }
  for (int d = 0; d < kDepots; ++d) {
    depot_decay_[d] = std::exp(-k.ka_[d] * h);
    for (int i = 0; i < modes_; ++i) {
      per_depot_[d][i] = k.coef_[i] * k.ka_[d] * Phi(k.lambda_[i], k.ka_[d], h);
    }
  }
}

void StepPropagator::Step(State& s) const {
  const double r = s.rate_mg_per_min;
  for (int i = 0; i < modes_; ++i) s.x[i] = s.x[i] * decay_[i] + r * per_rate_[i];
  for (int d = 0; d < kDepots; ++d) {
    const double amount = s.depot[d];
    if (amount == 0.0) continue;
    for (int i = 0; i < modes_; ++i) s.x[i] += amount * per_depot_[d][i];
    s.depot[d] = amount * depot_decay_[d];
  }
}

}  // namespace kira::pk::internal
