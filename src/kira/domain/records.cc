#include "kira/domain/records.h"

#include <charconv>
#include <cstdio>

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

std::string_view SessionStateName(SessionState s) {
  switch (s) {
    case SessionState::kPlanned: return "planned";
    case SessionState::kRunning: return "running";
    case SessionState::kCompleted: return "completed";
    case SessionState::kStopped: return "stopped";
  }
  return "planned";
}
bool ParseSessionState(std::string_view s, SessionState* out) {
  static constexpr SessionState kAll[] = {SessionState::kPlanned, SessionState::kRunning,
                                          SessionState::kCompleted, SessionState::kStopped};
  return ParseByName(s, kAll, SessionStateName, out);
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
