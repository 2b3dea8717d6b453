// Compile-time proof that unit mistakes do not compile (style.md 3.5; fmt's
// compile-error tests). If any of these static_asserts fails, the build fails.
#include <type_traits>

#include "kira/units/units.h"

namespace kira::units {
namespace {

template <class A, class B>
concept Addable = requires(A a, B b) { a + b; };
template <class A, class B>
concept Multipliable = requires(A a, B b) { a * b; };
template <class A, class B>
concept Divisible = requires(A a, B b) { a / b; };
template <class A, class B>
concept Comparable = requires(A a, B b) { a < b; };

// Different dimensions never add, compare or convert.
static_assert(!Addable<Milligrams, Kilograms>);
static_assert(!Addable<Milligrams, MilligramsPerKilogram>);
static_assert(!Addable<MillilitresPerHour, MilligramsPerHour>);
static_assert(!Addable<Milligrams, double>);
static_assert(!Comparable<Milligrams, Millilitres>);
static_assert(!Comparable<MilligramsPerKilogram, double>);
static_assert(!std::is_convertible_v<double, Milligrams>);
static_assert(!std::is_convertible_v<Milligrams, double>);
static_assert(!std::is_constructible_v<Milligrams, double>);
static_assert(!std::is_convertible_v<Kilograms, Milligrams>);

// Meaningless products do not exist.
static_assert(!Multipliable<Milligrams, Kilograms>);
static_assert(!Multipliable<MilligramsPerKilogram, Milligrams>);
static_assert(!Multipliable<Milligrams, MilligramsPerMillilitre>);
static_assert(!Divisible<Kilograms, Milligrams>);
static_assert(!Divisible<Millilitres, MilligramsPerMillilitre>);

// The meaningful ones have the right result type.
static_assert(std::is_same_v<decltype(MgPerKg(0.5) * Kg(70.0)), Milligrams>);
static_assert(std::is_same_v<decltype(Mg(35.0) / Kg(70.0)), MilligramsPerKilogram>);
static_assert(std::is_same_v<decltype(Mg(35.0) / MgPerMl(1.0)), Millilitres>);
static_assert(std::is_same_v<decltype(Ml(35.0) / Minutes(40.0)), MillilitresPerHour>);
static_assert(std::is_same_v<decltype(MgPerH(52.5) / Kg(70.0)), MilligramsPerKilogramPerHour>);
static_assert(std::is_same_v<decltype(MgPerH(52.5) / MgPerMl(1.0)), MillilitresPerHour>);
static_assert(std::is_same_v<decltype(Mg(1.0) / Mg(2.0)), double>);

// Constant-evaluable: the reference worked example at compile time.
static_assert(ToMg(MgPerKg(0.5) * Kg(70.0)) == 35.0);

}  // namespace
}  // namespace kira::units
