#include "kira/interop/redcap.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "kira/interop/csv.h"

namespace kira::interop {

namespace {

const std::vector<std::string> kDictionaryHeader = {
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation"};

struct Field {
  const char* name;
  const char* form;
  const char* type;
  const char* label;
  const char* choices;
  const char* validation;
  const char* min;
  const char* max;
  const char* required;
  const char* note;
};

// Sex codes: frozen (1 female, 2 male, 3 other, 4 unknown).
constexpr const char* kSexCodes[] = {"female", "male", "other", "unknown"};

constexpr Field kFields[] = {
    {"record_id", "patient", "text", "Pseudonymous patient id", "", "", "", "", "y", ""},
    {"sex", "patient", "dropdown", "Sex", "1, Female | 2, Male | 3, Other | 4, Unknown", "", "", "", "y", ""},
    {"birth_year", "patient", "text", "Year of birth", "", "integer", "1900", "2200", "y", ""},
    {"indication", "patient", "text", "Indication (guideline id, e.g. trd)", "", "", "", "", "y", ""},
    {"session_id", "session", "text", "Session id", "", "", "", "", "y", ""},
    {"protocol_id", "session", "text", "Protocol id", "", "", "", "", "y", ""},
    {"started_at", "session", "text", "Start (UTC)", "", "datetime_seconds_ymd", "", "", "y", ""},
    {"stopped_at", "session", "text", "Stop (UTC)", "", "datetime_seconds_ymd", "", "", "", ""},
    {"dosing_weight_kg", "session", "text", "Dosing weight", "", "number", "1", "400", "y", "kg"},
    {"planned_dose_mg", "session", "text", "Planned dose", "", "number", "0", "2000", "y", "mg"},
    {"given_dose_mg", "session", "text", "Dose given", "", "number", "0", "2000", "", "mg"},
    {"concentration_mg_per_ml", "session", "text", "Concentration", "", "number", "0", "100", "y", "mg/mL"},
    {"rate_ml_per_h", "session", "text", "Pump rate", "", "number", "0", "2000", "y", "mL/h"},
    {"recorded_by", "session", "text", "Recorded by (user id)", "", "", "", "", "y", ""},
    {"override_reason", "session", "notes", "Override reason (soft limit)", "", "", "", "", "", ""},
    {"state", "session", "dropdown", "Session state",
     "planned, Planned | running, Running | completed, Completed | stopped, Stopped", "", "", "", "y", ""},
    {"phq9_date", "phq9", "text", "PHQ-9 date (UTC)", "", "datetime_seconds_ymd", "", "", "y", ""},
    {"phq9_total", "phq9", "text", "PHQ-9 total score", "", "integer", "0", "27", "y", "0-27"},
};

// REDCap's datetime_seconds_ymd: "YYYY-MM-DD HH:MM:SS".
std::string RedcapTime(domain::Instant t) {
  std::string iso = domain::FormatInstant(t);  // 2026-03-01T09:00:00.000000Z
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}
bool ParseRedcapTime(const std::string& s, domain::Instant* out) {
  if (s.size() == 19 && s[10] == ' ') return domain::ParseInstant(s.substr(0, 10) + "T" + s.substr(11) + "Z", out);
  return domain::ParseInstant(s, out);
}
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::vector<std::string> RecordsHeader() {
  std::vector<std::string> h = {"record_id", "redcap_repeat_instrument", "redcap_repeat_instance"};
  const char* form = "patient";
  for (const Field& f : kFields) {
    if (std::string(f.name) == "record_id") continue;
    if (std::string(f.form) != form) {
      h.push_back(std::string(form) + "_complete");
      form = f.form;
    }
    h.push_back(f.name);
  }
  h.push_back(std::string(form) + "_complete");
  return h;
}

}  // namespace

std::string RedcapDataDictionary() {
  std::string out = CsvLine(kDictionaryHeader);
  for (const Field& f : kFields) {
    out += CsvLine({f.name, f.form, "", f.type, f.label, f.choices, f.note, f.validation, f.min, f.max, "", "",
                    f.required, "", "", "", "", ""});
  }
  return out;
}

StatusOr<RedcapExportCounts> ExportRedcap(storage::Store& store, std::string_view clinic_id, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgumentError("--redcap: cannot create directory '" + dir + "': " + ec.message());
  {
    std::ofstream dict(std::filesystem::path(dir) / "kira_data_dictionary.csv", std::ios::binary | std::ios::trunc);
    if (!dict) return InvalidArgumentError("--redcap: cannot write in '" + dir + "'");
    dict << RedcapDataDictionary();
  }
  std::ofstream out(std::filesystem::path(dir) / "kira_records.csv", std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgumentError("--redcap: cannot write in '" + dir + "'");
  const std::vector<std::string> header = RecordsHeader();
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  out << CsvLine(header);

  RedcapExportCounts n;
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& p : batch) {
      ++n.records;
      std::vector<std::string> row(header.size());
      row[col["record_id"]] = p.id;
      std::string sex_code = "4";
      for (int i = 0; i < 4; ++i) {
        if (p.sex == kSexCodes[i]) sex_code = std::to_string(i + 1);
      }
      row[col["sex"]] = sex_code;
      row[col["birth_year"]] = std::to_string(p.birth_year);
      row[col["indication"]] = p.indication;
      row[col["patient_complete"]] = "2";
      out << CsvLine(row);
      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      int instance = 0;
      for (const auto& s : sessions) {
        std::vector<std::string> r(header.size());
        r[col["record_id"]] = p.id;
        r[col["redcap_repeat_instrument"]] = "session";
        r[col["redcap_repeat_instance"]] = std::to_string(++instance);
        r[col["session_id"]] = s.id;
        r[col["protocol_id"]] = s.protocol_id;
        r[col["started_at"]] = RedcapTime(s.started_at);
        if (s.stopped_at) r[col["stopped_at"]] = RedcapTime(*s.stopped_at);
        r[col["dosing_weight_kg"]] = Num(units::ToKg(s.dosing_weight));
        r[col["planned_dose_mg"]] = Num(units::ToMg(s.planned_dose));
        if (s.given_dose) r[col["given_dose_mg"]] = Num(units::ToMg(*s.given_dose));
        r[col["concentration_mg_per_ml"]] = Num(units::ToMgPerMl(s.concentration));
        r[col["rate_ml_per_h"]] = Num(units::ToMlPerH(s.rate));
        r[col["recorded_by"]] = s.recorded_by;
        r[col["state"]] = std::string(domain::SessionStateName(s.state));
        KIRA_ASSIGN_OR_RETURN(auto overrides, tx->ListOverrides(clinic_id, s.id));
        if (!overrides.empty()) r[col["override_reason"]] = overrides.front().reason;
        r[col["session_complete"]] = "2";
        out << CsvLine(r);
        ++n.sessions;
      }
      KIRA_ASSIGN_OR_RETURN(auto assessments, tx->ListAssessments(clinic_id, p.id));
      instance = 0;
      for (const auto& a : assessments) {
        if (a.instrument != "phq9") continue;
        std::vector<std::string> r(header.size());
        r[col["record_id"]] = p.id;
        r[col["redcap_repeat_instrument"]] = "phq9";
        r[col["redcap_repeat_instance"]] = std::to_string(++instance);
        r[col["phq9_date"]] = RedcapTime(a.at);
        r[col["phq9_total"]] = std::to_string(a.total);
        r[col["phq9_complete"]] = "2";
        out << CsvLine(r);
        ++n.phq9;
      }
    }
    page.after_id = batch.back().id;
  }
  out.close();
  if (!out) return InternalError("writing REDCap records failed");
  return n;
}

bool LooksLikeRedcapRecords(std::string_view text) {
  auto nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  return first.find("record_id") != std::string_view::npos &&
         first.find("redcap_repeat_instrument") != std::string_view::npos;
}

ParsedFile ParseRedcapRecords(std::string_view text, std::string_view clinic_id, const ParseOptions& options) {
  ParsedFile out;
  out.format = "REDCap records";
  RowError structural;
  auto records = ParseCsv(text, &structural);
  if (!records.ok()) {
    out.errors.push_back(structural);
    out.fatal = true;
    return out;
  }
  if (records->empty()) {
    out.errors.push_back({1, 0, "", "empty file (expected a header row)"});
    out.fatal = true;
    return out;
  }
  const CsvRecord& header = (*records)[0];
  std::vector<std::string> known = RecordsHeader();
  known.push_back("redcap_event_name");  // longitudinal projects
  std::vector<std::string> required;
  for (const Field& f : kFields) {
    if (std::string(f.form) == "patient" || std::string(f.form) == "session") required.push_back(f.name);
  }
  required.push_back("redcap_repeat_instrument");
  required.push_back("redcap_repeat_instance");
  const auto cols = CheckHeader(header, known, required, &out.errors);
  if (!out.errors.empty()) {
    out.fatal = true;
    return out;
  }
  auto column_of = [&](const std::string& name) {
    auto it = cols.find(name);
    return it == cols.end() ? 0 : static_cast<int>(it->second) + 1;
  };
  auto get = [&](const CsvRecord& r, const char* name) -> std::string {
    auto it = cols.find(name);
    return it != cols.end() ? r.fields[it->second] : std::string();
  };
  struct PatientFacts {
    std::string sex, indication;
    int birth_year = 0, line = 0;
  };
  std::map<std::string, PatientFacts> patients;
  std::vector<const CsvRecord*> data;
  for (std::size_t i = 1; i < records->size(); ++i) {
    const CsvRecord& r = (*records)[i];
    if (!CheckWidth(r, header, &out.errors)) {
      ++out.invalid_rows;
      continue;
    }
    data.push_back(&r);
  }
  for (const CsvRecord* rp : data) {
    const CsvRecord& r = *rp;
    if (!get(r, "redcap_repeat_instrument").empty()) continue;
    PatientFacts f;
    f.line = r.line;
    int code = 0;
    std::size_t before = out.errors.size();
    if (!internal::ParseInt(get(r, "sex"), &code) || code < 1 || code > 4) {
      out.errors.push_back({r.line, column_of("sex"), "sex", "expected a code 1-4, got '" + get(r, "sex") + "'"});
    } else {
      f.sex = kSexCodes[code - 1];
    }
    if (!internal::ParseInt(get(r, "birth_year"), &f.birth_year)) {
      out.errors.push_back(
          {r.line, column_of("birth_year"), "birth_year", "not a whole year: '" + get(r, "birth_year") + "'"});
    }
    f.indication = get(r, "indication");
    if (get(r, "record_id").empty()) out.errors.push_back({r.line, column_of("record_id"), "record_id", "required"});
    if (out.errors.size() != before) {
      ++out.invalid_rows;
      continue;
    }
    if (auto [it, fresh] = patients.emplace(get(r, "record_id"), f); !fresh) {
      out.errors.push_back({r.line, column_of("record_id"), "record_id",
                            "record '" + get(r, "record_id") + "' already has a patient row on line " +
                                std::to_string(it->second.line)});
      ++out.invalid_rows;
    }
  }
  // Re-express each session row as kira's own CSV row and reuse its parser,
  // so both formats are validated by the same code.
  std::string kira_csv = CsvLine(SessionCsvColumns());
  std::vector<const CsvRecord*> lines;
  std::vector<int> patient_lines;
  for (const CsvRecord* rp : data) {
    const CsvRecord& r = *rp;
    if (get(r, "redcap_repeat_instrument") != "session") continue;
    const std::string rid = get(r, "record_id");
    auto p = patients.find(rid);
    if (p == patients.end()) {
      out.errors.push_back({r.line, column_of("record_id"), "record_id", "no valid patient row for record '" + rid + "'"});
      ++out.invalid_rows;
      continue;
    }
    auto iso = [&](const char* field) -> std::string {
      std::string v = get(r, field);
      domain::Instant t{};
      if (v.empty() || !ParseRedcapTime(v, &t)) return v;  // the kira parser reports it
      return domain::FormatInstant(t);
    };
    kira_csv += CsvLine({std::string(clinic_id), rid, p->second.sex, std::to_string(p->second.birth_year),
                         p->second.indication, get(r, "session_id"), get(r, "protocol_id"), iso("started_at"),
                         iso("stopped_at"), get(r, "dosing_weight_kg"), get(r, "planned_dose_mg"),
                         get(r, "given_dose_mg"), get(r, "concentration_mg_per_ml"), get(r, "rate_ml_per_h"),
                         get(r, "recorded_by"), get(r, "override_reason"), get(r, "state")});
    lines.push_back(&r);
    patient_lines.push_back(p->second.line);
  }
  ParsedFile inner = ParseSessionCsv(kira_csv, options);
  // Map lines and columns of the re-expressed file (header = line 1) back to
  // the REDCap file: patient facts to the patient row, the rest by name.
  auto at = [&](int line) -> std::size_t { return static_cast<std::size_t>(line - 2); };
  auto map_error = [&](const RowError& e) {
    RowError m = e;
    if (e.line >= 2 && at(e.line) < lines.size()) {
      const bool patient_fact = e.field == "sex" || e.field == "birth_year" || e.field == "indication";
      m.line = patient_fact && e.reason.find("after the session") == std::string::npos ? patient_lines[at(e.line)]
                                                                                     : lines[at(e.line)]->line;
      const std::string name = e.field == "patient_id" ? "record_id" : e.field;
      m.column = column_of(name);
      m.field = m.column ? name : e.field;
    }
    return m;
  };
  for (const auto& e : inner.errors) out.errors.push_back(map_error(e));
  out.invalid_rows += inner.invalid_rows;
  for (auto& row : inner.rows) {
    row.patient_line = patient_lines[at(row.line)];
    row.line = lines[at(row.line)]->line;
    out.rows.push_back(std::move(row));
  }
  for (const auto& name : SessionCsvColumns()) {
    const std::string rc = name == "patient_id" ? "record_id" : name;
    if (int c = column_of(rc)) out.columns[name] = {c, rc};
  }
  return out;
}

}  // namespace kira::interop
