#include "kira/interop/deidentify.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include "kira/interop/csv.h"

namespace kira::interop {

namespace {

std::string HmacHex(std::string_view key, std::string_view msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// 3-digit ZIP areas with 20,000 or fewer people (2000 census), per HHS
// guidance on the Safe Harbor method (S).
const std::set<std::string, std::less<>> kRestrictedZip3 = {"036", "059", "063", "102", "203", "556",
                                                            "692", "790", "821", "823", "830", "831",
                                                            "878", "879", "884", "890", "893"};

std::string Fmt(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

int DateShiftDays(std::string_view secret, std::string_view clinic_id, std::string_view patient_id) {
  const std::string h = HmacHex(secret, "shift:" + std::string(clinic_id) + "/" + std::string(patient_id));
  const unsigned long v = std::stoul(h.substr(0, 8), nullptr, 16);
  return static_cast<int>(v % 365) - 182;
}

std::string DeidentifiedId(std::string_view secret, std::string_view clinic_id, std::string_view patient_id) {
  return HmacHex(secret, "id:" + std::string(clinic_id) + "/" + std::string(patient_id)).substr(0, 16);
}

std::string Zip3(std::string_view zip) {
  if (zip.size() < 3) return "000";
  std::string z(zip.substr(0, 3));
  for (char c : z) {
    if (c < '0' || c > '9') return "000";
  }
  return kRestrictedZip3.count(z) ? "000" : z;
}

std::string AgeGroup(int age_years) { return age_years >= 90 ? "90+" : std::to_string(age_years); }

StatusOr<DeidentifiedCounts> ExportDeidentified(storage::Store& store, std::string_view clinic_id,
                                                std::string_view secret, const std::string& path) {
  if (secret.size() < 16) {
    return InvalidArgumentError("--secret: the de-identification secret must be at least 16 characters");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgumentError("--deidentified: cannot write '" + path + "'");
  out << CsvLine({"deid_patient_id", "sex", "age_at_session", "zip3", "indication", "session_number", "protocol_id",
                  "session_date_shifted", "duration_min", "given_dose_mg", "dose_mg_per_kg", "adverse_events",
                  "phq9_baseline", "phq9_last"});
  DeidentifiedCounts n;
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& p : batch) {
      ++n.patients;
      auto identity = tx->GetPatientIdentity(clinic_id, p.id);
      std::string zip3 = "000";
      if (identity.ok()) {
        zip3 = Zip3(identity->zip);
      } else if (!identity.status().IsNotFound()) {
        return identity.status();
      }
      const int shift = DateShiftDays(secret, clinic_id, p.id);
      const std::string did = DeidentifiedId(secret, clinic_id, p.id);
      KIRA_ASSIGN_OR_RETURN(auto assessments, tx->ListAssessments(clinic_id, p.id));
      std::string phq_first, phq_last;
      for (const auto& a : assessments) {
        if (a.instrument != "phq9") continue;
        if (phq_first.empty()) phq_first = std::to_string(a.total);
        phq_last = std::to_string(a.total);
      }
      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      int number = 0;
      for (const auto& s : sessions) {
        ++number;
        ++n.sessions;
        using namespace std::chrono;
        const year_month_day ymd(floor<days>(s.started_at));
        // Age from birth year only (the full date is an identifier): the
        // age reached during that calendar year.
        const int age = int(ymd.year()) - p.birth_year;
        const year_month_day shifted(floor<days>(s.started_at) + days(shift));
        char date[16];
        std::snprintf(date, sizeof date, "%04d-%02u-%02u", int(shifted.year()), unsigned(shifted.month()),
                      unsigned(shifted.day()));
        std::string minutes_text;
        if (s.stopped_at) minutes_text = Fmt(duration<double, std::ratio<60>>(*s.stopped_at - s.started_at).count(), 0);
        KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
        std::string ae;
        for (const auto& e : events) ae += (ae.empty() ? "" : ";") + e.type;
        out << CsvLine({did, p.sex, AgeGroup(age), zip3, p.indication, std::to_string(number), s.protocol_id, date,
                        minutes_text, s.given_dose ? Fmt(units::ToMg(*s.given_dose), 1) : "",
                        s.given_dose ? Fmt(units::ToMg(*s.given_dose) / units::ToKg(s.dosing_weight), 3) : "", ae,
                        phq_first, phq_last});
      }
    }
    page.after_id = batch.back().id;
  }
  out.close();
  if (!out) return InternalError("writing '" + path + "' failed");
  return n;
}

}  // namespace kira::interop
