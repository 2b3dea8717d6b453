#include "kira/interop/deidentify.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "kira/interop/csv.h"
#include "kira/interop/export_dir.h"

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

const AeVocabulary& DefaultAeVocabulary() {
  static const AeVocabulary kTerms = [] {
    AeVocabulary v;
    for (const char* term :
         {"Nausea", "Vomiting", "Hypertension", "Hypotension", "Tachycardia", "Bradycardia", "Dissociation",
          "Dizziness", "Headache", "Sedation", "Somnolence", "Anxiety", "Agitation", "Hallucination",
          "Confusional state", "Diplopia", "Vision blurred", "Dysgeusia", "Paraesthesia", "Euphoric mood",
          "Feeling abnormal", "Hypoxia", "Oxygen saturation decreased", "Respiratory depression"}) {
      std::string key;
      for (char c : std::string_view(term)) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      v[key] = term;
    }
    return v;
  }();
  return kTerms;
}

namespace {
std::string NormalizedType(std::string_view type) {
  std::string key;
  for (char c : type) {
    key += c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  while (!key.empty() && key.back() == ' ') key.pop_back();
  while (!key.empty() && key.front() == ' ') key.erase(key.begin());
  return key;
}
}  // namespace

std::string CodedAeTerm(const AeVocabulary& vocabulary, std::string_view type) {
  auto it = vocabulary.find(NormalizedType(type));
  return it == vocabulary.end() ? "Other (not coded)" : it->second;
}

StatusOr<AeVocabulary> ParseAeVocabulary(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(auto records, ParseCsv(text));
  if (records.empty()) return InvalidArgumentError("line 1: empty file (expected the header type,term)");
  std::vector<RowError> errors;
  const auto cols = CheckHeader(records[0], {"type", "term"}, {"type", "term"}, &errors);
  AeVocabulary v;
  for (std::size_t i = 1; i < records.size() && errors.empty(); ++i) {
    if (!CheckWidth(records[i], records[0], &errors)) break;
    const std::string& type = records[i].fields[cols.at("type")];
    const std::string& term = records[i].fields[cols.at("term")];
    if (type.empty() || term.empty()) {
      errors.push_back({records[i].line, static_cast<int>((type.empty() ? cols.at("type") : cols.at("term")) + 1),
                        type.empty() ? "type" : "term", "required"});
      break;
    }
    v[NormalizedType(type)] = term;
  }
  if (!errors.empty()) return InvalidArgumentError(FormatRowError(errors[0]));
  return v;
}

StatusOr<DeidentifiedCounts> ExportDeidentified(storage::Store& store, std::string_view clinic_id,
                                                std::string_view secret, const std::string& path,
                                                const DeidentifyOptions& options) {
  if (secret.size() < 16) {
    return InvalidArgumentError("--secret: the de-identification secret must be at least 16 characters");
  }
  if (options.min_cell < 1) return InvalidArgumentError("--min-cell: must be >= 1");
  const bool lds = options.limited_data_set;
  struct Row {
    std::string order_key;
    std::vector<std::string> fields;  // fields[0]: subject, filled in at the end
  };
  struct Cell {
    std::set<std::string> patients;
    int sessions = 0, adverse_events = 0;
  };
  std::vector<Row> rows;
  std::map<std::tuple<std::string, std::string, std::string>, Cell> cells;
  DeidentifiedCounts n;
  {
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
          std::string when;
          if (lds) {
            const year_month_day shifted(floor<days>(s.started_at) + days(shift));
            char date[16];
            std::snprintf(date, sizeof date, "%04d-%02u-%02u", int(shifted.year()), unsigned(shifted.month()),
                          unsigned(shifted.day()));
            when = date;
          } else {
            when = std::to_string(int(ymd.year()));
          }
          std::string minutes_text;
          if (s.stopped_at) minutes_text = Fmt(duration<double, std::ratio<60>>(*s.stopped_at - s.started_at).count(), 0);
          KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
          std::set<std::string> terms;
          for (const auto& e : events) terms.insert(CodedAeTerm(options.ae_terms, e.type));
          std::string ae;
          for (const auto& t : terms) ae += (ae.empty() ? "" : ";") + t;
          char order[16];
          std::snprintf(order, sizeof order, "%08d", number);
          rows.push_back({did + "/" + order,
                          {lds ? did : "", p.sex, AgeGroup(age), zip3, p.indication, std::to_string(number),
                           s.protocol_id, when, minutes_text, s.given_dose ? Fmt(units::ToMg(*s.given_dose), 1) : "",
                           s.given_dose ? Fmt(units::ToMg(*s.given_dose) / units::ToKg(s.dosing_weight), 3) : "", ae,
                           phq_first, phq_last}});
          const std::string band = age >= 90 ? "90+" : age >= 65 ? "65-89" : age >= 45 ? "45-64" : age >= 30 ? "30-44" : "<30";
          Cell& c = cells[{p.indication, p.sex, band}];
          c.patients.insert(p.id);
          ++c.sessions;
          c.adverse_events += static_cast<int>(events.size());
        }
      }
      page.after_id = batch.back().id;
    }
  }
  // Strict mode: per-export subject numbers, in an order keyed by the secret.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.order_key < b.order_key; });
  if (!lds) {
    std::map<std::string, int> subject;
    for (auto& r : rows) {
      const std::string patient = r.order_key.substr(0, r.order_key.find('/'));
      auto [it, fresh] = subject.emplace(patient, static_cast<int>(subject.size()) + 1);
      char buf[16];
      std::snprintf(buf, sizeof buf, "S%04d", it->second);
      r.fields[0] = buf;
    }
  }
  KIRA_RETURN_IF_ERROR(WriteFileAtomically(path, "--deidentified", [&](std::ostream& out) -> Status {
    out << CsvLine({lds ? "deid_patient_id" : "subject", "sex", "age_at_session", "zip3", "indication",
                    "session_number", "protocol_id", lds ? "session_date_shifted" : "session_year", "duration_min",
                    "given_dose_mg", "dose_mg_per_kg", "adverse_events", "phq9_baseline", "phq9_last"});
    for (const auto& r : rows) out << CsvLine(r.fields);
    return Status::Ok();
  }));
  if (!options.aggregate_path.empty()) {
    const std::string small = "<" + std::to_string(options.min_cell);
    auto count = [&](int v) {
      if (v > 0 && v < options.min_cell) {
        ++n.suppressed_cells;
        return small;
      }
      return std::to_string(v);
    };
    KIRA_RETURN_IF_ERROR(WriteFileAtomically(options.aggregate_path, "--aggregate", [&](std::ostream& out) -> Status {
      out << CsvLine({"indication", "sex", "age_band", "patients", "sessions", "adverse_events"});
      for (const auto& [key, c] : cells) {
        out << CsvLine({std::get<0>(key), std::get<1>(key), std::get<2>(key),
                        count(static_cast<int>(c.patients.size())), count(c.sessions), count(c.adverse_events)});
      }
      return Status::Ok();
    }));
  }
  return n;
}

}  // namespace kira::interop
