// Clinical quantities as strong types (after absl::Duration).
//
// Each dimension has its own type. Values are built only through factories
// named for a unit (Kg(70.0), Mg(35.0), MgPerKg(0.5), Minutes(40.0)) and read
// back only through accessors named for a unit (.kg(), .mg(), .min()). There is
// no implicit conversion from or to double, and only the physically meaningful
// operators exist:
//
//   mg/kg x kg        -> mg           mg / kg            -> mg/kg
//   mg / (mg/mL)      -> mL           mL / duration      -> mL/h
//   mg / duration     -> mg/h         mg/h / kg          -> mg/kg/h
//   mg/kg/h x kg      -> mg/h         mg/h / (mg/mL)     -> mL/h
//   mg/kg / duration  -> mg/kg/h      mg/kg/h x duration -> mg/kg
//   mg/h x duration   -> mg           mL/h x duration    -> mL
//   same / same       -> double (a ratio)
//
// Mixing dimensions without an explicit conversion does not compile; see
// tests/kira/units/units_compile_test.cc. Unit conversions from other units
// (pounds, micrograms, inches) are named functions used only at the edges
// (parsers), never inside rules/.
//
// These types do not check finiteness or sign: that is done once where a value
// enters the system (the JSON and CLI parsers), as Stan's check_positive_finite.
#ifndef KIRA_UNITS_UNITS_H_
#define KIRA_UNITS_UNITS_H_

#include <compare>

namespace kira::units {

namespace internal {

// A value of dimension Tag stored in Tag's canonical unit.
template <class Tag>
class Quantity {
 public:
  constexpr Quantity() = default;

  // Raw access in the canonical unit, for the named accessors of the derived
  // aliases and for serialisation code. Prefer the named accessors.
  constexpr double canonical() const { return v_; }
  static constexpr Quantity FromCanonical(double v) { return Quantity(v); }

  constexpr Quantity operator+(Quantity o) const { return Quantity(v_ + o.v_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v_ - o.v_); }
  constexpr Quantity& operator+=(Quantity o) { v_ += o.v_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { v_ -= o.v_; return *this; }
  constexpr Quantity operator-() const { return Quantity(-v_); }
  constexpr Quantity operator*(double k) const { return Quantity(v_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(v_ / k); }
  friend constexpr Quantity operator*(double k, Quantity q) { return Quantity(k * q.v_); }
  // A ratio of two values of the same dimension is a plain number.
  constexpr double operator/(Quantity o) const { return v_ / o.v_; }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  constexpr explicit Quantity(double v) : v_(v) {}
  double v_ = 0.0;
};

struct MassTag {};            // canonical: mg
struct BodyWeightTag {};      // canonical: kg
struct LengthTag {};          // canonical: cm
struct VolumeTag {};          // canonical: mL
struct DoseTag {};            // canonical: mg/kg
struct ConcentrationTag {};   // canonical: mg/mL
struct VolumeRateTag {};      // canonical: mL/h
struct MassRateTag {};        // canonical: mg/h
struct DoseRateTag {};        // canonical: mg/kg/h
struct DurationTag {};        // canonical: min
struct PlasmaConcTag {};      // canonical: ng/mL

}  // namespace internal

using Milligrams = internal::Quantity<internal::MassTag>;
using Kilograms = internal::Quantity<internal::BodyWeightTag>;
using Centimetres = internal::Quantity<internal::LengthTag>;
using Millilitres = internal::Quantity<internal::VolumeTag>;
using MilligramsPerKilogram = internal::Quantity<internal::DoseTag>;
using MilligramsPerMillilitre = internal::Quantity<internal::ConcentrationTag>;
using MillilitresPerHour = internal::Quantity<internal::VolumeRateTag>;
using MilligramsPerHour = internal::Quantity<internal::MassRateTag>;
using MilligramsPerKilogramPerHour = internal::Quantity<internal::DoseRateTag>;
using Duration = internal::Quantity<internal::DurationTag>;
using NanogramsPerMillilitre = internal::Quantity<internal::PlasmaConcTag>;

// ---- Factories (the only way to make a value) ----
constexpr Milligrams Mg(double v) { return Milligrams::FromCanonical(v); }
constexpr Kilograms Kg(double v) { return Kilograms::FromCanonical(v); }
constexpr Centimetres Cm(double v) { return Centimetres::FromCanonical(v); }
constexpr Millilitres Ml(double v) { return Millilitres::FromCanonical(v); }
constexpr MilligramsPerKilogram MgPerKg(double v) { return MilligramsPerKilogram::FromCanonical(v); }
constexpr MilligramsPerMillilitre MgPerMl(double v) { return MilligramsPerMillilitre::FromCanonical(v); }
constexpr MillilitresPerHour MlPerH(double v) { return MillilitresPerHour::FromCanonical(v); }
constexpr MilligramsPerHour MgPerH(double v) { return MilligramsPerHour::FromCanonical(v); }
constexpr MilligramsPerKilogramPerHour MgPerKgPerH(double v) {
  return MilligramsPerKilogramPerHour::FromCanonical(v);
}
constexpr Duration Minutes(double v) { return Duration::FromCanonical(v); }
constexpr Duration Hours(double v) { return Duration::FromCanonical(v * 60.0); }
constexpr NanogramsPerMillilitre NgPerMl(double v) { return NanogramsPerMillilitre::FromCanonical(v); }

// ---- Named conversions at the edges ----
// 1 lb = 0.45359237 kg exactly (international avoirdupois pound, 1959).
inline constexpr double kKgPerPound = 0.45359237;
constexpr Kilograms Pounds(double lb) { return Kg(lb * kKgPerPound); }
// 1 in = 2.54 cm exactly.
constexpr Centimetres Inches(double in) { return Cm(in * 2.54); }
constexpr Milligrams Micrograms(double ug) { return Mg(ug / 1000.0); }

// ---- Named accessors ----
constexpr double ToMg(Milligrams m) { return m.canonical(); }
constexpr double ToKg(Kilograms w) { return w.canonical(); }
constexpr double ToPounds(Kilograms w) { return w.canonical() / kKgPerPound; }
constexpr double ToCm(Centimetres l) { return l.canonical(); }
constexpr double ToMl(Millilitres v) { return v.canonical(); }
constexpr double ToMgPerKg(MilligramsPerKilogram d) { return d.canonical(); }
constexpr double ToMgPerMl(MilligramsPerMillilitre c) { return c.canonical(); }
constexpr double ToMlPerH(MillilitresPerHour r) { return r.canonical(); }
constexpr double ToMgPerH(MilligramsPerHour r) { return r.canonical(); }
constexpr double ToMgPerKgPerH(MilligramsPerKilogramPerHour r) { return r.canonical(); }
constexpr double ToMinutes(Duration d) { return d.canonical(); }
constexpr double ToHours(Duration d) { return d.canonical() / 60.0; }
constexpr double ToNgPerMl(NanogramsPerMillilitre c) { return c.canonical(); }

// ---- Cross-dimension arithmetic (only what is physically meaningful) ----
// Declared in namespace internal so argument-dependent lookup finds them from
// any namespace.
namespace internal {
constexpr Milligrams operator*(MilligramsPerKilogram d, Kilograms w) { return Mg(d.canonical() * w.canonical()); }
constexpr Milligrams operator*(Kilograms w, MilligramsPerKilogram d) { return d * w; }
constexpr MilligramsPerKilogram operator/(Milligrams m, Kilograms w) { return MgPerKg(m.canonical() / w.canonical()); }
constexpr Millilitres operator/(Milligrams m, MilligramsPerMillilitre c) { return Ml(m.canonical() / c.canonical()); }
constexpr Milligrams operator*(Millilitres v, MilligramsPerMillilitre c) { return Mg(v.canonical() * c.canonical()); }
constexpr Milligrams operator*(MilligramsPerMillilitre c, Millilitres v) { return v * c; }
constexpr MillilitresPerHour operator/(Millilitres v, Duration t) { return MlPerH(v.canonical() / ToHours(t)); }
constexpr MilligramsPerHour operator/(Milligrams m, Duration t) { return MgPerH(m.canonical() / ToHours(t)); }
constexpr MilligramsPerKilogramPerHour operator/(MilligramsPerHour r, Kilograms w) {
  return MgPerKgPerH(r.canonical() / w.canonical());
}
constexpr MilligramsPerHour operator*(MilligramsPerKilogramPerHour r, Kilograms w) {
  return MgPerH(r.canonical() * w.canonical());
}
constexpr MilligramsPerHour operator*(Kilograms w, MilligramsPerKilogramPerHour r) { return r * w; }
constexpr MillilitresPerHour operator/(MilligramsPerHour r, MilligramsPerMillilitre c) {
  return MlPerH(r.canonical() / c.canonical());
}
constexpr MilligramsPerHour operator*(MillilitresPerHour r, MilligramsPerMillilitre c) {
  return MgPerH(r.canonical() * c.canonical());
}
constexpr MilligramsPerKilogramPerHour operator/(MilligramsPerKilogram d, Duration t) {
  return MgPerKgPerH(d.canonical() / ToHours(t));
}
constexpr MilligramsPerKilogram operator*(MilligramsPerKilogramPerHour r, Duration t) {
  return MgPerKg(r.canonical() * ToHours(t));
}
constexpr MilligramsPerKilogram operator*(Duration t, MilligramsPerKilogramPerHour r) { return r * t; }
constexpr Milligrams operator*(MilligramsPerHour r, Duration t) { return Mg(r.canonical() * ToHours(t)); }
constexpr Milligrams operator*(Duration t, MilligramsPerHour r) { return r * t; }
constexpr Millilitres operator*(MillilitresPerHour r, Duration t) { return Ml(r.canonical() * ToHours(t)); }
constexpr Millilitres operator*(Duration t, MillilitresPerHour r) { return r * t; }

}  // namespace internal

}  // namespace kira::units

#endif  // KIRA_UNITS_UNITS_H_
