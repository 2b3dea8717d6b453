#include "kira/pk/internal/checks.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kira::pk::internal {

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string FormatFixed(double v, int decimals) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) return FormatNumber(v);
  return std::string(buf, r.ptr);
}

namespace {
Status Reject(std::string_view field, std::string_view rule, double v, std::string_view unit) {
  std::string msg(field);
  msg += ": must be a finite number ";
  msg += rule;
  msg += " (got ";
  msg += FormatNumber(v);
  if (!unit.empty()) {
    msg += ' ';
    msg += unit;
  }
  msg += ')';
  return InvalidArgumentError(msg);
}
}  // namespace

Status CheckPositiveFinite(std::string_view field, double v, std::string_view unit) {
  if (std::isfinite(v) && v > 0.0) return Status::Ok();
  return Reject(field, "> 0", v, unit);
}

Status CheckNonNegativeFinite(std::string_view field, double v, std::string_view unit) {
  if (std::isfinite(v) && v >= 0.0) return Status::Ok();
  return Reject(field, ">= 0", v, unit);
}

}  // namespace kira::pk::internal
