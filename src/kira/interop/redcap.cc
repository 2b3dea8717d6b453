#include "kira/interop/redcap.h"

#include <cstdio>
#include <map>
#include <set>

#include "kira/domain/records.h"
#include "kira/interop/csv.h"
#include "kira/interop/export_dir.h"

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

// The ledger belongs to the clinic, not to a patient: its movements are
// repeating instances of this one record.
constexpr const char* kLedgerRecord = "kira-ledger";

constexpr const char* kTime = "datetime_seconds_ymd";

constexpr Field kFields[] = {
    {"record_id", "patient", "text", "Pseudonymous patient id", "", "", "", "", "y", ""},
    {"sex", "patient", "dropdown", "Sex", "1, Female | 2, Male | 3, Other | 4, Unknown", "", "", "", "y", ""},
    {"birth_year", "patient", "text", "Year of birth", "", "integer", "1900", "2200", "y", ""},
    {"indication", "patient", "text", "Indication (guideline id, e.g. trd)", "", "", "", "", "y", ""},
    {"facts_version", "facts", "text", "Facts version", "", "integer", "1", "", "y", ""},
    {"facts_recorded_at", "facts", "text", "Recorded at (UTC, ISO 8601)", "", "", "", "", "", ""},
    {"facts_recorded_by", "facts", "text", "Recorded by (user id)", "", "", "", "", "", ""},
    {"facts_reason", "facts", "notes", "Why the facts changed", "", "", "", "", "", ""},
    {"weight_kg", "facts", "text", "Weight", "", "number", "", "", "", "kg"},
    {"weight_method", "facts", "dropdown", "Weight method", "measured, Measured | stated, Stated | estimated, Estimated",
     "", "", "", "", ""},
    {"weight_date", "facts", "text", "Weighed on", "", "date_ymd", "", "", "", ""},
    {"height_cm", "facts", "text", "Height", "", "number", "", "", "", "cm"},
    {"pregnancy", "facts", "dropdown", "Pregnancy",
     "unknown, Unknown | not_pregnant, Not pregnant | pregnant, Pregnant", "", "", "", "y", ""},
    {"pregnancy_date", "facts", "text", "Pregnancy status established on", "", "date_ymd", "", "", "", ""},
    {"conditions", "facts", "text", "History and conditions (guideline ids, ';'-separated)", "", "", "", "", "", ""},
    {"medications", "facts", "text", "Current medications (';'-separated)", "", "", "", "", "", ""},
    {"failed_trials", "facts", "text", "Failed adequate antidepressant trials", "", "integer", "0", "", "", ""},
    {"baseline_sbp_mmhg", "facts", "text", "Baseline systolic BP", "", "number", "", "", "", "mmHg"},
    {"baseline_dbp_mmhg", "facts", "text", "Baseline diastolic BP", "", "number", "", "", "", "mmHg"},
    {"baseline_hr_bpm", "facts", "text", "Baseline heart rate", "", "number", "", "", "", "/min"},
    {"baseline_spo2_pct", "facts", "text", "Baseline SpO2", "", "number", "", "", "", "%"},
    {"baseline_rr_per_min", "facts", "text", "Baseline respiratory rate", "", "number", "", "", "", "/min"},
    {"session_id", "session", "text", "Session id", "", "", "", "", "y", ""},
    {"protocol_id", "session", "text", "Protocol id", "", "", "", "", "y", ""},
    {"started_at", "session", "text", "Start (UTC)", "", kTime, "", "", "y", ""},
    {"stopped_at", "session", "text", "Stop (UTC)", "", kTime, "", "", "", ""},
    {"dosing_weight_kg", "session", "text", "Dosing weight", "", "number", "1", "400", "y", "kg"},
    {"planned_dose_mg", "session", "text", "Planned dose", "", "number", "0", "2000", "y", "mg"},
    {"given_dose_mg", "session", "text", "Dose given", "", "number", "0", "2000", "", "mg"},
    {"concentration_mg_per_ml", "session", "text", "Concentration (infusions)", "", "number", "0", "100", "", "mg/mL"},
    {"rate_ml_per_h", "session", "text", "Pump rate (infusions)", "", "number", "0", "2000", "", "mL/h"},
    {"recorded_by", "session", "text", "Recorded by (user id)", "", "", "", "", "y", ""},
    {"state", "session", "dropdown", "Session state",
     "planned, Planned | pre_checked, Pre-checked | running, Running | paused, Paused | observation, Observation | "
     "discharged, Discharged | stopped, Stopped",
     "", "", "", "y", ""},
    {"override_id", "override", "text", "Override id", "", "", "", "", "y", ""},
    {"override_session_id", "override", "text", "Session of the override", "", "", "", "", "y", ""},
    {"override_by", "override", "text", "Given by (user id)", "", "", "", "", "y", ""},
    {"override_at", "override", "text", "Given at (UTC, ISO 8601)", "", "", "", "", "y", ""},
    {"override_rules", "override", "text", "Soft limits passed (rule ids, ';'-separated)", "", "", "", "", "", ""},
    {"override_reason", "override", "notes", "Reason", "", "", "", "", "y", ""},
    {"vital_id", "vital", "text", "Vital sign id", "", "", "", "", "y", ""},
    {"vital_session_id", "vital", "text", "Session", "", "", "", "", "y", ""},
    {"vital_at", "vital", "text", "Taken at (UTC)", "", kTime, "", "", "y", ""},
    {"vital_kind", "vital", "dropdown", "Vital sign",
     "sbp, Systolic BP (mmHg) | dbp, Diastolic BP (mmHg) | hr, Heart rate (/min) | spo2, SpO2 (%) | rr, "
     "Respiratory rate (/min)",
     "", "", "", "y", ""},
    {"vital_value", "vital", "text", "Value", "", "number", "", "", "y", "in the unit of the vital sign"},
    {"assessment_id", "assessment", "text", "Assessment id", "", "", "", "", "y", ""},
    {"assessment_session_id", "assessment", "text", "Session (empty when not tied to one)", "", "", "", "", "", ""},
    {"assessment_at", "assessment", "text", "Date (UTC)", "", kTime, "", "", "y", ""},
    {"instrument", "assessment", "text", "Instrument (phq9, madrs, ...)", "", "", "", "", "y", ""},
    {"item_scores", "assessment", "text", "Item scores (';'-separated)", "", "", "", "", "", ""},
    {"assessment_total", "assessment", "text", "Total score", "", "integer", "0", "", "y", ""},
    {"scoring_version", "assessment", "text", "Scoring version", "", "", "", "", "y", ""},
    {"ae_id", "adverse_event", "text", "Adverse event id", "", "", "", "", "y", ""},
    {"ae_session_id", "adverse_event", "text", "Session", "", "", "", "", "y", ""},
    {"ae_at", "adverse_event", "text", "Onset (UTC)", "", kTime, "", "", "y", ""},
    {"ae_type", "adverse_event", "text", "Type", "", "", "", "", "y", ""},
    {"ae_severity", "adverse_event", "dropdown", "Severity",
     "mild, Mild | moderate, Moderate | severe, Severe | life_threatening, Life-threatening", "", "", "", "y", ""},
    {"ae_rescue", "adverse_event", "text", "Rescue given", "", "", "", "", "", ""},
    {"ledger_id", "ledger", "text", "Ledger entry id", "", "", "", "", "y", ""},
    {"ledger_lot", "ledger", "text", "Lot", "", "", "", "", "y", ""},
    {"ledger_kind", "ledger", "dropdown", "Movement",
     "received, Received | drawn, Drawn | administered, Administered | wasted, Wasted | returned, Returned", "", "",
     "", "y", ""},
    {"ledger_at", "ledger", "text", "At (UTC)", "", kTime, "", "", "y", ""},
    {"ledger_amount_mg", "ledger", "text", "Amount", "", "number", "0", "", "y", "mg"},
    {"ledger_concentration", "ledger", "text", "Concentration", "", "number", "0", "", "y", "mg/mL"},
    {"ledger_expiry", "ledger", "text", "Expiry (received)", "", "date_ymd", "", "", "", ""},
    {"ledger_session_id", "ledger", "text", "Session", "", "", "", "", "", ""},
    {"ledger_actor", "ledger", "text", "By (user id)", "", "", "", "", "y", ""},
    {"ledger_witness", "ledger", "text", "Witness (user id)", "", "", "", "", "", ""},
};

// REDCap's datetime_seconds_ymd: "YYYY-MM-DD HH:MM:SS". An instant with
// a fraction of a second is written in full ISO 8601 (kira reads both) so
// nothing is lost.
std::string RedcapTime(domain::Instant t) {
  std::string iso = domain::FormatInstant(t);  // 2026-03-01T09:00:00.000000Z
  if (iso.substr(19, 7) != ".000000") return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}
bool ParseRedcapTime(const std::string& s, domain::Instant* out) {
  if (s.size() == 19 && s[10] == ' ') return domain::ParseInstant(s.substr(0, 10) + "T" + s.substr(11) + "Z", out);
  if (s.size() == 16 && s[10] == ' ') return domain::ParseInstant(s.substr(0, 10) + "T" + s.substr(11) + ":00Z", out);
  return domain::ParseInstant(s, out);
}
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Shortest text that reads back to the same double.
  for (int p = 1; p <= 17; ++p) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", p, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}
std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ";") + s;
  return out;
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

const char* FormOf(std::string_view field) {
  for (const Field& f : kFields) {
    if (field == f.name) return f.form;
  }
  return nullptr;
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
  KIRA_ASSIGN_OR_RETURN(StagedExport staged, StagedExport::Begin(dir, "--redcap"));
  KIRA_ASSIGN_OR_RETURN(std::ofstream * dict, staged.Open("kira_data_dictionary.csv"));
  *dict << RedcapDataDictionary();
  KIRA_ASSIGN_OR_RETURN(std::ofstream * out, staged.Open("kira_records.csv"));
  const std::vector<std::string> header = RecordsHeader();
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  *out << CsvLine(header);

  RedcapExportCounts n;
  std::map<std::string, int> instances;  // per record and form
  auto row = [&](const std::string& record, const std::string& form) {
    std::vector<std::string> r(header.size());
    r[col["record_id"]] = record;
    if (form != "patient") {
      r[col["redcap_repeat_instrument"]] = form;
      r[col["redcap_repeat_instance"]] = std::to_string(++instances[record + "\n" + form]);
    }
    r[col[form + "_complete"]] = "2";
    return r;
  };
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& p : batch) {
      if (p.id == kLedgerRecord) {
        return FailedPreconditionError("--redcap: patient id '" + p.id + "' is the record that carries the ledger");
      }
      ++n.records;
      auto r = row(p.id, "patient");
      std::string sex_code = "4";
      for (int i = 0; i < 4; ++i) {
        if (p.sex == kSexCodes[i]) sex_code = std::to_string(i + 1);
      }
      r[col["sex"]] = sex_code;
      r[col["birth_year"]] = std::to_string(p.birth_year);
      r[col["indication"]] = p.indication;
      *out << CsvLine(r);
      KIRA_ASSIGN_OR_RETURN(auto facts, tx->ListPatientFacts(clinic_id, p.id));
      for (const auto& f : facts) {
        auto y = row(p.id, "facts");
        auto opt = [](const std::optional<double>& v) { return v ? Num(*v) : std::string(); };
        y[col["facts_version"]] = std::to_string(f.version);
        y[col["facts_recorded_at"]] = domain::FormatInstant(f.recorded_at);
        y[col["facts_recorded_by"]] = f.recorded_by;
        y[col["facts_reason"]] = f.reason;
        y[col["weight_kg"]] = opt(f.weight_kg);
        y[col["weight_method"]] = f.weight_method;
        y[col["weight_date"]] = f.weight_date;
        y[col["height_cm"]] = opt(f.height_cm);
        y[col["pregnancy"]] = std::string(domain::PregnancyStatusName(f.pregnancy));
        y[col["pregnancy_date"]] = f.pregnancy_date;
        y[col["conditions"]] = Join(f.conditions);
        y[col["medications"]] = Join(f.medications);
        y[col["failed_trials"]] = f.failed_antidepressant_trials ? std::to_string(*f.failed_antidepressant_trials) : "";
        y[col["baseline_sbp_mmhg"]] = opt(f.baseline_sbp_mmhg);
        y[col["baseline_dbp_mmhg"]] = opt(f.baseline_dbp_mmhg);
        y[col["baseline_hr_bpm"]] = opt(f.baseline_hr_bpm);
        y[col["baseline_spo2_pct"]] = opt(f.baseline_spo2_pct);
        y[col["baseline_rr_per_min"]] = opt(f.baseline_rr_per_min);
        *out << CsvLine(y);
        ++n.facts;
      }
      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      for (const auto& s : sessions) {
        auto x = row(p.id, "session");
        x[col["session_id"]] = s.id;
        x[col["protocol_id"]] = s.protocol_id;
        x[col["started_at"]] = RedcapTime(s.started_at);
        if (s.stopped_at) x[col["stopped_at"]] = RedcapTime(*s.stopped_at);
        x[col["dosing_weight_kg"]] = Num(units::ToKg(s.dosing_weight));
        x[col["planned_dose_mg"]] = Num(units::ToMg(s.planned_dose));
        if (s.given_dose) x[col["given_dose_mg"]] = Num(units::ToMg(*s.given_dose));
        if (s.concentration) x[col["concentration_mg_per_ml"]] = Num(units::ToMgPerMl(*s.concentration));
        if (s.rate) x[col["rate_ml_per_h"]] = Num(units::ToMlPerH(*s.rate));
        x[col["recorded_by"]] = s.recorded_by;
        x[col["state"]] = std::string(domain::SessionStateName(s.state));
        *out << CsvLine(x);
        ++n.sessions;
        KIRA_ASSIGN_OR_RETURN(auto overrides, tx->ListOverrides(clinic_id, s.id));
        for (const auto& o : overrides) {
          auto y = row(p.id, "override");
          y[col["override_id"]] = o.id;
          y[col["override_session_id"]] = o.session_id;
          y[col["override_by"]] = o.who;
          y[col["override_at"]] = domain::FormatInstant(o.at);
          y[col["override_rules"]] = Join(o.rule_ids);
          y[col["override_reason"]] = o.reason;
          *out << CsvLine(y);
          ++n.overrides;
        }
        KIRA_ASSIGN_OR_RETURN(auto vitals, tx->ListVitals(clinic_id, s.id));
        for (const auto& v : vitals) {
          auto y = row(p.id, "vital");
          y[col["vital_id"]] = v.id;
          y[col["vital_session_id"]] = v.session_id;
          y[col["vital_at"]] = RedcapTime(v.at);
          y[col["vital_kind"]] = std::string(domain::VitalKindName(v.kind));
          y[col["vital_value"]] = Num(v.value);
          *out << CsvLine(y);
          ++n.vitals;
        }
        KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
        for (const auto& e : events) {
          auto y = row(p.id, "adverse_event");
          y[col["ae_id"]] = e.id;
          y[col["ae_session_id"]] = e.session_id;
          y[col["ae_at"]] = RedcapTime(e.at);
          y[col["ae_type"]] = e.type;
          y[col["ae_severity"]] = std::string(domain::AeSeverityName(e.severity));
          y[col["ae_rescue"]] = e.rescue_given;
          *out << CsvLine(y);
          ++n.adverse_events;
        }
      }
      KIRA_ASSIGN_OR_RETURN(auto assessments, tx->ListAssessments(clinic_id, p.id));
      for (const auto& a : assessments) {
        auto y = row(p.id, "assessment");
        y[col["assessment_id"]] = a.id;
        y[col["assessment_session_id"]] = a.session_id;
        y[col["assessment_at"]] = RedcapTime(a.at);
        y[col["instrument"]] = a.instrument;
        std::vector<std::string> items;
        for (int v : a.item_scores) items.push_back(std::to_string(v));
        y[col["item_scores"]] = Join(items);
        y[col["assessment_total"]] = std::to_string(a.total);
        y[col["scoring_version"]] = a.scoring_version;
        *out << CsvLine(y);
        ++n.assessments;
      }
    }
    page.after_id = batch.back().id;
  }
  KIRA_ASSIGN_OR_RETURN(auto ledger, tx->ListLedger(clinic_id, ""));
  for (const auto& e : ledger) {
    auto y = row(kLedgerRecord, "ledger");
    y[col["ledger_id"]] = e.id;
    y[col["ledger_lot"]] = e.lot;
    y[col["ledger_kind"]] = std::string(domain::LedgerKindName(e.kind));
    y[col["ledger_at"]] = RedcapTime(e.at);
    y[col["ledger_amount_mg"]] = Num(units::ToMg(e.amount));
    y[col["ledger_concentration"]] = Num(units::ToMgPerMl(e.concentration));
    y[col["ledger_expiry"]] = e.expiry;
    y[col["ledger_session_id"]] = e.session_id;
    y[col["ledger_actor"]] = e.actor;
    y[col["ledger_witness"]] = e.witness;
    *out << CsvLine(y);
    ++n.ledger;
  }
  KIRA_RETURN_IF_ERROR(staged.Commit());
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
  out.carries_facts = true;
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
  for (const Field& f : kFields) required.push_back(f.name);
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
  static const std::set<std::string> kForms = {"facts", "session", "override", "vital", "assessment", "adverse_event", "ledger"};
  struct PatientFacts {
    std::string sex, indication;
    int birth_year = 0, line = 0;
  };
  std::map<std::string, PatientFacts> patients;
  std::vector<const CsvRecord*> data;
  std::set<std::pair<std::string, std::string>> keys;  // (record, instrument/instance): REDCap's row key
  for (std::size_t i = 1; i < records->size(); ++i) {
    const CsvRecord& r = (*records)[i];
    if (!CheckWidth(r, header, &out.errors)) {
      ++out.invalid_rows;
      continue;
    }
    const std::string form = get(r, "redcap_repeat_instrument");
    std::size_t before = out.errors.size();
    if (get(r, "record_id").empty()) out.errors.push_back({r.line, column_of("record_id"), "record_id", "required"});
    // Ids follow the registry's one identifier rule (the store applies it
    // too); checked here to name the line and column.
    for (const char* id_col : {"record_id", "session_id", "override_session_id", "vital_session_id",
                               "assessment_session_id", "ae_session_id", "ledger_session_id"}) {
      const std::string v(get(r, id_col));
      if (v.empty()) continue;
      if (std::string why = domain::IdProblem(v); !why.empty()) out.errors.push_back({r.line, column_of(id_col), id_col, why});
    }
    if (!form.empty() && !kForms.count(form)) {
      out.errors.push_back({r.line, column_of("redcap_repeat_instrument"), "redcap_repeat_instrument",
                            "unknown instrument '" + form + "'"});
    }
    const std::string key = form.empty() ? "patient" : form + "#" + get(r, "redcap_repeat_instance");
    if (!keys.insert({get(r, "record_id") + "/" + get(r, "redcap_event_name"), key}).second) {
      out.errors.push_back({r.line, column_of("redcap_repeat_instance"), "redcap_repeat_instance",
                            "record '" + get(r, "record_id") + "' has this instrument and instance twice"});
    }
    // A value in a field of another instrument is a misplaced column.
    const std::string own = form.empty() ? "patient" : form;
    for (const auto& [name, index] : cols) {
      const char* f = FormOf(name);
      if (f && own != f && name != "record_id" && !r.fields[index].empty()) {
        out.errors.push_back({r.line, static_cast<int>(index) + 1, name,
                              "a " + std::string(f) + " field has a value on a " + own + " row"});
        break;
      }
    }
    if (out.errors.size() != before) {
      ++out.invalid_rows;
      continue;
    }
    data.push_back(&r);
  }
  for (const CsvRecord* rp : data) {
    const CsvRecord& r = *rp;
    if (!get(r, "redcap_repeat_instrument").empty() || get(r, "record_id") == kLedgerRecord) continue;
    PatientFacts f;
    f.line = r.line;
    int code = 0;
    std::size_t before = out.errors.size();
    if (!internal::ParseInt(get(r, "sex"), &code) || code < 1 || code > 4) {
      out.errors.push_back({r.line, column_of("sex"), "sex", "expected a code 1-4, got '" + get(r, "sex") + "'"});
    } else {
      f.sex = kSexCodes[code - 1];
    }
    if (!internal::ParseInt(get(r, "birth_year"), &f.birth_year) || f.birth_year < 1900) {
      out.errors.push_back(
          {r.line, column_of("birth_year"), "birth_year", "not a year from 1900 on: '" + get(r, "birth_year") + "'"});
    }
    f.indication = get(r, "indication");
    if (f.indication.empty()) out.errors.push_back({r.line, column_of("indication"), "indication", "required"});
    if (out.errors.size() != before) {
      ++out.invalid_rows;
      continue;
    }
    patients[get(r, "record_id")] = f;
    out.records.push_back({r.line, domain::PatientRecord{std::string(clinic_id), get(r, "record_id"), f.sex,
                                                         f.birth_year, f.indication},
                           "patient"});
  }
  // Re-express each session row as kira's own CSV row and reuse its parser,
  // so both formats are validated by the same code.
  std::string kira_csv = CsvLine(SessionCsvColumns());
  std::vector<const CsvRecord*> lines;
  std::vector<int> patient_lines;
  for (const CsvRecord* rp : data) {
    const CsvRecord& r = *rp;
    const std::string form = get(r, "redcap_repeat_instrument");
    if (form.empty()) continue;
    const std::string rid = get(r, "record_id");
    auto p = patients.find(rid);
    if (form != "ledger" && p == patients.end()) {
      out.errors.push_back({r.line, column_of("record_id"), "record_id", "no valid patient row for record '" + rid + "'"});
      ++out.invalid_rows;
      continue;
    }
    if (form == "ledger" && rid != kLedgerRecord) {
      out.errors.push_back({r.line, column_of("record_id"), "record_id",
                            std::string("ledger rows belong to record '") + kLedgerRecord + "'"});
      ++out.invalid_rows;
      continue;
    }
    if (form != "session") continue;
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
                         get(r, "recorded_by"), "", get(r, "state"), ""});
    lines.push_back(&r);
    patient_lines.push_back(p->second.line);
  }
  ParsedFile inner = ParseSessionCsv(kira_csv, options);
  // Map lines and columns of the re-expressed file (header = line 1) back to
  // the REDCap file: patient facts to the patient row, the rest by name.
  auto at = [&](int line) -> std::size_t { return static_cast<std::size_t>(line - 2); };
  for (const auto& e : inner.errors) {
    RowError m = e;
    if (e.line >= 2 && at(e.line) < lines.size()) {
      const bool patient_fact = e.field == "sex" || e.field == "birth_year" || e.field == "indication";
      m.line = patient_fact && e.reason.find("after the session") == std::string::npos ? patient_lines[at(e.line)]
                                                                                     : lines[at(e.line)]->line;
      const std::string name = e.field == "patient_id" ? "record_id" : e.field;
      m.column = column_of(name);
      m.field = m.column ? name : e.field;
    }
    out.errors.push_back(m);
  }
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

  // The other instruments.
  for (const CsvRecord* rp : data) {
    const CsvRecord& r = *rp;
    const std::string form = get(r, "redcap_repeat_instrument");
    if (form.empty() || form == "session") continue;
    if (form != "ledger" && !patients.count(get(r, "record_id"))) continue;  // reported above
    std::vector<RowError> errs;
    auto bad = [&](const char* field, std::string reason) {
      errs.push_back({r.line, column_of(field), field, std::move(reason)});
    };
    auto text_of = [&](const char* field, bool required_field) {
      std::string v = get(r, field);
      if (v.empty() && required_field) bad(field, "required");
      return v;
    };
    auto time_of = [&](const char* field) {
      domain::Instant t{};
      const std::string v = get(r, field);
      if (v.empty()) {
        bad(field, "required");
      } else if (!ParseRedcapTime(v, &t)) {
        bad(field, "not a valid date-time (YYYY-MM-DD HH:MM:SS, a real calendar date): '" + v + "'");
      }
      return t;
    };
    auto number_of = [&](const char* field, bool positive) {
      double d = 0;
      const std::string v = get(r, field);
      if (v.empty()) {
        bad(field, "required");
      } else if (!internal::ParseDouble(v, &d)) {
        bad(field, "not a number: '" + v + "'");
      } else if (positive && d <= 0) {
        bad(field, "must be greater than 0, got " + v);
      }
      return d;
    };
    const std::string cid(clinic_id);
    const std::string rid = get(r, "record_id");
    RecordRow out_row{r.line, domain::PatientRecord{}, form};
    auto list_of = [&](const char* field) {
      std::vector<std::string> v;
      const std::string joined = get(r, field);
      for (std::size_t b = 0; b <= joined.size() && !joined.empty();) {
        const std::size_t e = std::min(joined.find(';', b), joined.size());
        v.push_back(joined.substr(b, e - b));
        b = e + 1;
      }
      return v;
    };
    auto optional_number = [&](const char* field) -> std::optional<double> {
      const std::string v = get(r, field);
      if (v.empty()) return std::nullopt;
      double d = 0;
      if (!internal::ParseDouble(v, &d) || d <= 0) {
        bad(field, "not a number greater than 0: '" + v + "'");
        return std::nullopt;
      }
      return d;
    };
    if (form == "facts") {
      domain::PatientFacts f;
      f.clinic_id = cid;
      f.patient_id = rid;
      if (!internal::ParseInt(get(r, "facts_version"), &f.version) || f.version < 1) {
        bad("facts_version", "not a version number from 1 on: '" + get(r, "facts_version") + "'");
      }
      f.reason = get(r, "facts_reason");
      f.weight_kg = optional_number("weight_kg");
      f.weight_method = get(r, "weight_method").empty() ? "measured" : get(r, "weight_method");
      f.weight_date = get(r, "weight_date");
      f.height_cm = optional_number("height_cm");
      if (!domain::ParsePregnancyStatus(get(r, "pregnancy"), &f.pregnancy)) {
        bad("pregnancy", "must be unknown, not_pregnant or pregnant, got '" + get(r, "pregnancy") + "'");
      }
      f.pregnancy_date = get(r, "pregnancy_date");
      f.conditions = list_of("conditions");
      f.medications = list_of("medications");
      if (!get(r, "failed_trials").empty()) {
        int t = 0;
        if (!internal::ParseInt(get(r, "failed_trials"), &t) || t < 0) {
          bad("failed_trials", "not a whole number: '" + get(r, "failed_trials") + "'");
        }
        f.failed_antidepressant_trials = t;
      }
      f.baseline_sbp_mmhg = optional_number("baseline_sbp_mmhg");
      f.baseline_dbp_mmhg = optional_number("baseline_dbp_mmhg");
      f.baseline_hr_bpm = optional_number("baseline_hr_bpm");
      f.baseline_spo2_pct = optional_number("baseline_spo2_pct");
      f.baseline_rr_per_min = optional_number("baseline_rr_per_min");
      out_row.record = f;
    } else if (form == "override") {
      domain::OverrideRecord o{cid, text_of("override_id", true), text_of("override_session_id", true),
                               text_of("override_by", true), time_of("override_at"), {}, text_of("override_reason", true)};
      const std::string rules = get(r, "override_rules");
      for (std::size_t b = 0; b <= rules.size() && !rules.empty();) {
        const std::size_t e = std::min(rules.find(';', b), rules.size());
        o.rule_ids.push_back(rules.substr(b, e - b));
        b = e + 1;
      }
      out_row.record = o;
    } else if (form == "vital") {
      domain::VitalSign v{cid, text_of("vital_id", true), text_of("vital_session_id", true), time_of("vital_at"), {}, 0};
      if (!domain::ParseVitalKind(get(r, "vital_kind"), &v.kind)) {
        bad("vital_kind", "must be sbp, dbp, hr, spo2 or rr, got '" + get(r, "vital_kind") + "'");
      }
      v.value = number_of("vital_value", false);
      out_row.record = v;
    } else if (form == "assessment") {
      domain::Assessment a{cid, text_of("assessment_id", true), rid, get(r, "assessment_session_id"),
                           time_of("assessment_at"), text_of("instrument", true), {}, 0,
                           text_of("scoring_version", true)};
      const std::string items = get(r, "item_scores");
      for (std::size_t b = 0; b <= items.size() && !items.empty();) {
        const std::size_t e = std::min(items.find(';', b), items.size());
        int v = 0;
        if (!internal::ParseInt(items.substr(b, e - b), &v)) {
          bad("item_scores", "not a ';'-separated list of whole numbers: '" + items + "'");
          break;
        }
        a.item_scores.push_back(v);
        b = e + 1;
      }
      if (!internal::ParseInt(get(r, "assessment_total"), &a.total)) {
        bad("assessment_total", "not a whole number: '" + get(r, "assessment_total") + "'");
      }
      out_row.record = a;
    } else if (form == "adverse_event") {
      domain::AdverseEvent e{cid, text_of("ae_id", true), text_of("ae_session_id", true), time_of("ae_at"),
                             text_of("ae_type", true), {}, get(r, "ae_rescue")};
      if (!domain::ParseAeSeverity(get(r, "ae_severity"), &e.severity)) {
        bad("ae_severity", "must be mild, moderate, severe or life_threatening, got '" + get(r, "ae_severity") + "'");
      }
      out_row.record = e;
    } else if (form == "ledger") {
      domain::LedgerEntry l;
      l.clinic_id = cid;
      l.id = text_of("ledger_id", true);
      l.lot = text_of("ledger_lot", true);
      if (!domain::ParseLedgerKind(get(r, "ledger_kind"), &l.kind)) {
        bad("ledger_kind", "must be received, drawn, administered, wasted or returned, got '" + get(r, "ledger_kind") + "'");
      }
      l.at = time_of("ledger_at");
      l.amount = units::Mg(number_of("ledger_amount_mg", true));
      l.concentration = units::MgPerMl(number_of("ledger_concentration", true));
      l.expiry = get(r, "ledger_expiry");
      l.session_id = get(r, "ledger_session_id");
      l.actor = text_of("ledger_actor", true);
      l.witness = get(r, "ledger_witness");
      out_row.record = l;
    }
    if (errs.empty()) {
      out.records.push_back(std::move(out_row));
    } else {
      out.errors.insert(out.errors.end(), errs.begin(), errs.end());
      ++out.invalid_rows;
    }
  }
  return out;
}

}  // namespace kira::interop
