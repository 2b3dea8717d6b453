#include "kira/stats/internal/checks.h"

#include <sstream>

namespace kira::stats::internal {
namespace {

std::string Num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

}  // namespace

std::string ArgName(std::string_view function, std::string_view name) {
  std::string s(function);
  s += ": ";
  s += name;
  return s;
}

std::string ArgName(std::string_view function, std::string_view name, std::size_t index) {
  return ArgName(function, name) + "[" + std::to_string(index) + "]";
}

Status CheckFinite(std::string_view function, std::string_view name, double value) {
  if (std::isfinite(value)) return Status::Ok();
  return InvalidArgumentError(ArgName(function, name) + ": must be finite, got " + Num(value));
}

Status CheckFinite(std::string_view function, std::string_view name, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      return InvalidArgumentError(ArgName(function, name, i) + ": must be finite, got " +
                                  Num(v[i]));
    }
  }
  return Status::Ok();
}

Status CheckPositive(std::string_view function, std::string_view name, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]) || !(v[i] > 0.0)) {
      return InvalidArgumentError(ArgName(function, name, i) +
                                  ": must be finite and > 0, got " + Num(v[i]));
    }
  }
  return Status::Ok();
}

Status CheckFiniteAt(std::string_view function, std::string_view name, double value,
                     std::size_t index) {
  if (std::isfinite(value)) return Status::Ok();
  return InvalidArgumentError(ArgName(function, name, index) + ": must be finite, got " + Num(value));
}

Status CheckNonNegative(std::string_view function, std::string_view name, double value,
                        std::size_t index) {
  if (std::isfinite(value) && value >= 0.0) return Status::Ok();
  return InvalidArgumentError(ArgName(function, name, index) +
                              ": must be finite and >= 0, got " + Num(value));
}

Status CheckSameSize(std::string_view function, std::string_view name_a, std::size_t a,
                     std::string_view name_b, std::size_t b) {
  if (a == b) return Status::Ok();
  return InvalidArgumentError(ArgName(function, name_b) + ": has " + std::to_string(b) +
                              " elements but " + std::string(name_a) + " has " +
                              std::to_string(a));
}

Status CheckMinSize(std::string_view function, std::string_view name, std::size_t size,
                    std::size_t minimum) {
  if (size >= minimum) return Status::Ok();
  return InvalidArgumentError(ArgName(function, name) + ": needs at least " +
                              std::to_string(minimum) + " element(s), got " +
                              std::to_string(size));
}

Status CheckLevel(std::string_view function, double level) {
  if (std::isfinite(level) && level > 0.0 && level < 1.0) return Status::Ok();
  return InvalidArgumentError(ArgName(function, "level") + ": must be in (0, 1), got " +
                              Num(level));
}

}  // namespace kira::stats::internal
