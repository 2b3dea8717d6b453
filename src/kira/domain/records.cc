#include "kira/domain/records.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

#include "kira/base/utf8.h"

namespace kira::domain {

namespace {

template <class E, std::size_t N>
bool ParseByName(std::string_view s, const E (&all)[N], std::string_view (*name)(E), E* out) {
  for (E v : all) {
    if (name(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string IdProblem(std::string_view id) {
  if (id.empty()) return "must not be empty";
  if (id.size() > kMaxIdBytes) {
    return "must be at most " + std::to_string(kMaxIdBytes) + " bytes, got " + std::to_string(id.size());
  }
  if (id.front() == ' ' || id.back() == ' ') return "must not begin or end with a space";
  // Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF);
  // refuse characters that are invisible or move the cursor: C0 and C1
  // controls, DEL, line/paragraph separators, bidirectional controls.
  for (std::size_t i = 0; i < id.size();) {
    const Utf8Char c = DecodeUtf8At(id, i);
    switch (c.error) {
      case Utf8Error::kNone: break;
      case Utf8Error::kTruncated: return "must be UTF-8 text (it ends inside a character)";
      case Utf8Error::kBadLeadByte: return "must be UTF-8 text (byte " + std::to_string(i + 1) + " is not)";
      case Utf8Error::kBadContinuation:
      case Utf8Error::kInvalidChar:
        return "must be UTF-8 text (byte " + std::to_string(i + 1) + " starts an invalid character)";
    }
    const char32_t cp = c.code_point;
    const std::size_t len = c.length;
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
                         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
                         cp == 0x200F || cp == 0xFEFF;
    if (control) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
      return std::string("must not contain a control or formatting character (") + hex + " at byte " +
             std::to_string(i + 1) + ")";
    }
    i += len;
  }
  return {};
}

std::string FormatInstant(Instant t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss<microseconds> tod(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                int(tod.minutes().count()), int(tod.seconds().count()),
                int(tod.subseconds().count()));
  return buf;
}

bool ParseInstant(std::string_view s, Instant* out) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, us = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!ParseInt(s.substr(0, 4), &y) || !ParseInt(s.substr(5, 2), &mo) ||
      !ParseInt(s.substr(8, 2), &d)) {
    return false;
  }
  if (s.size() > 10) {
    if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z') return false;
    if (!ParseInt(s.substr(11, 2), &h) || !ParseInt(s.substr(14, 2), &mi) ||
        !ParseInt(s.substr(17, 2), &sec)) {
      return false;
    }
    std::string_view frac = s.substr(19, s.size() - 20);
    if (!frac.empty()) {
      if (frac[0] != '.' || frac.size() < 2 || frac.size() > 7) return false;
      std::string digits(frac.substr(1));
      digits.resize(6, '0');
      if (!ParseInt(digits, &us)) return false;
    }
    if (h > 23 || mi > 59 || sec > 59) return false;
  }
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  *out = Instant(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(sec) + microseconds(us);
  return true;
}

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kClinician: return "clinician";
    case Role::kNurse: return "nurse";
    case Role::kPharmacist: return "pharmacist";
    case Role::kAdmin: return "admin";
    case Role::kAuditor: return "auditor";
    case Role::kResearcher: return "researcher";
  }
  return "clinician";
}
bool ParseRole(std::string_view s, Role* out) {
  static constexpr Role kAll[] = {Role::kClinician, Role::kNurse, Role::kPharmacist, Role::kAdmin,
                                  Role::kAuditor, Role::kResearcher};
  return ParseByName(s, kAll, RoleName, out);
}

std::string_view VitalKindName(VitalKind k) {
  switch (k) {
    case VitalKind::kSystolicBp: return "sbp";
    case VitalKind::kDiastolicBp: return "dbp";
    case VitalKind::kHeartRate: return "hr";
    case VitalKind::kSpO2: return "spo2";
    case VitalKind::kRespRate: return "rr";
  }
  return "hr";
}
bool ParseVitalKind(std::string_view s, VitalKind* out) {
  static constexpr VitalKind kAll[] = {VitalKind::kSystolicBp, VitalKind::kDiastolicBp,
                                       VitalKind::kHeartRate, VitalKind::kSpO2, VitalKind::kRespRate};
  return ParseByName(s, kAll, VitalKindName, out);
}
std::string_view VitalKindUnit(VitalKind k) {
  switch (k) {
    case VitalKind::kSystolicBp:
    case VitalKind::kDiastolicBp: return "mm[Hg]";
    case VitalKind::kHeartRate:
    case VitalKind::kRespRate: return "/min";
    case VitalKind::kSpO2: return "%";
  }
  return "";
}

std::string_view AeSeverityName(AeSeverity s) {
  switch (s) {
    case AeSeverity::kMild: return "mild";
    case AeSeverity::kModerate: return "moderate";
    case AeSeverity::kSevere: return "severe";
    case AeSeverity::kLifeThreatening: return "life_threatening";
  }
  return "mild";
}
bool ParseAeSeverity(std::string_view s, AeSeverity* out) {
  static constexpr AeSeverity kAll[] = {AeSeverity::kMild, AeSeverity::kModerate, AeSeverity::kSevere,
                                        AeSeverity::kLifeThreatening};
  return ParseByName(s, kAll, AeSeverityName, out);
}

std::string_view LedgerKindName(LedgerKind k) {
  switch (k) {
    case LedgerKind::kReceived: return "received";
    case LedgerKind::kDrawn: return "drawn";
    case LedgerKind::kAdministered: return "administered";
    case LedgerKind::kWasted: return "wasted";
    case LedgerKind::kReturned: return "returned";
  }
  return "received";
}
bool ParseLedgerKind(std::string_view s, LedgerKind* out) {
  static constexpr LedgerKind kAll[] = {LedgerKind::kReceived, LedgerKind::kDrawn,
                                        LedgerKind::kAdministered, LedgerKind::kWasted,
                                        LedgerKind::kReturned};
  return ParseByName(s, kAll, LedgerKindName, out);
}

std::string_view PregnancyStatusName(PregnancyStatus s) {
  switch (s) {
    case PregnancyStatus::kUnknown: return "unknown";
    case PregnancyStatus::kNotPregnant: return "not_pregnant";
    case PregnancyStatus::kPregnant: return "pregnant";
  }
  return "unknown";
}

bool ParsePregnancyStatus(std::string_view s, PregnancyStatus* out) {
  constexpr PregnancyStatus kAll[] = {PregnancyStatus::kUnknown, PregnancyStatus::kNotPregnant,
                                      PregnancyStatus::kPregnant};
  return ParseByName(s, kAll, &PregnancyStatusName, out);
}

}  // namespace kira::domain
