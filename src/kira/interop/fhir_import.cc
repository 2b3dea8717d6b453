#include "kira/interop/fhir_import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kira/interop/csv.h"
#include "kira/interop/fhir_export.h"
#include "kira/interop/session_import.h"

namespace kira::interop {

namespace {

using nlohmann::json;

constexpr const char* kTypes[] = {"Patient", "Encounter", "MedicationRequest", "MedicationAdministration",
                                  "Observation", "AdverseEvent", "Basic"};

struct Resource {
  std::string file;
  int line = 0;
  json body;
};

// Reads typed values out of a resource, recording the first problem of
// each element as a RowError naming file, line and element.
class Reader {
 public:
  Reader(const Resource& r, std::vector<RowError>* errors) : r_(r), errors_(errors) {}

  const json* At(const json& j, std::string_view key) const {
    if (!j.is_object()) return nullptr;
    auto it = j.find(std::string(key));
    return it == j.end() ? nullptr : &*it;
  }
  const json* Path(std::initializer_list<std::string_view> keys) const {
    const json* j = &r_.body;
    for (auto k : keys) {
      if (j && j->is_array()) j = j->empty() ? nullptr : &(*j)[0];
      j = j ? At(*j, k) : nullptr;
    }
    if (j && j->is_array()) j = j->empty() ? nullptr : &(*j)[0];
    return j;
  }
  void Bad(std::string element, std::string reason) {
    errors_->push_back({r_.line, 0, r_.file + " " + element, std::move(reason)});
    ok_ = false;
  }
  std::string Text(std::initializer_list<std::string_view> keys, std::string element, bool required = true) {
    const json* j = Path(keys);
    if (j && j->is_string()) return j->get<std::string>();
    if (required) Bad(std::move(element), j ? "must be a string" : "required");
    return "";
  }
  double Number(std::initializer_list<std::string_view> keys, std::string element) {
    const json* j = Path(keys);
    if (j && j->is_number()) return j->get<double>();
    Bad(std::move(element), j ? "must be a number" : "required");
    return 0;
  }
  domain::Instant Time(std::initializer_list<std::string_view> keys, std::string element) {
    const std::string v = Text(keys, element);
    domain::Instant t{};
    if (!v.empty() && !domain::ParseInstant(v, &t)) Bad(std::move(element), "not an ISO 8601 UTC instant: '" + v + "'");
    return t;
  }
  // The value of the identifier with system urn:kira:<kind>.
  std::string Identifier(std::string_view kind, bool required = true) {
    const json* ids = At(r_.body, "identifier");
    const std::string system = std::string(fhir::kIdentifierBase) + std::string(kind);
    auto match = [&](const json& id) -> std::optional<std::string> {
      const json* s = At(id, "system");
      const json* v = At(id, "value");
      if (s && s->is_string() && *s == system && v && v->is_string()) return v->get<std::string>();
      return std::nullopt;
    };
    if (ids && ids->is_array()) {
      for (const auto& id : *ids) {
        if (auto v = match(id)) return *v;
      }
    } else if (ids && ids->is_object()) {
      if (auto v = match(*ids)) return *v;
    }
    if (required) Bad("identifier", "no identifier with system " + system);
    return "";
  }
  // "Patient/abc" -> "abc" when the reference names `type`.
  std::string Reference(std::initializer_list<std::string_view> keys, std::string_view type, std::string element,
                        bool required = true) {
    const std::string ref = Text(keys, element, required);
    if (ref.empty()) return "";
    const std::string prefix = std::string(type) + "/";
    if (ref.rfind(prefix, 0) != 0) {
      Bad(std::move(element), "must reference a " + std::string(type) + ", got '" + ref + "'");
      return "";
    }
    return ref.substr(prefix.size());
  }
  // The extension with url kira-base + name.
  const json* Extension(std::string_view name, const json* on = nullptr) const {
    const json* exts = At(on ? *on : r_.body, "extension");
    if (!exts || !exts->is_array()) return nullptr;
    const std::string url = std::string(fhir::kExtensionBase) + std::string(name);
    for (const auto& e : *exts) {
      const json* u = At(e, "url");
      if (u && u->is_string() && *u == url) return &e;
    }
    return nullptr;
  }
  // A code of `system` among the codings of the CodeableConcept at `keys`.
  std::string Code(const json* cc, std::string_view system) const {
    const json* codings = cc ? At(*cc, "coding") : nullptr;
    if (!codings || !codings->is_array()) return "";
    for (const auto& c : *codings) {
      const json* s = At(c, "system");
      const json* v = At(c, "code");
      if (s && s->is_string() && *s == system && v && v->is_string()) return v->get<std::string>();
    }
    return "";
  }
  // The value of the Quantity `q` in the UCUM unit kira writes (`ucum`): a
  // quantity in another unit, or without one, is refused, never converted or
  // assumed (36.5 "g" is not 36.5 mg).
  std::optional<double> Quantity(const json* q, std::string_view ucum, const std::string& element) {
    if (!q || !q->is_object()) {
      Bad(element, q ? "must be a Quantity" : "required");
      return std::nullopt;
    }
    const json* code = At(*q, "code");
    const json* system = At(*q, "system");
    const bool unit_ok = code && code->is_string() && *code == ucum &&
                         (!system || (system->is_string() && *system == fhir::kUcum));
    if (!unit_ok) {
      std::string got = "no UCUM code";
      if (code && code->is_string()) got = "'" + code->get<std::string>() + "'";
      if (system && system->is_string() && *system != fhir::kUcum) got += " of system " + system->get<std::string>();
      Bad(element, "must be in UCUM '" + std::string(ucum) + "' (kira does not convert units), got " + got);
      return std::nullopt;
    }
    const json* v = At(*q, "value");
    if (!v || !v->is_number()) {
      Bad(element + ".value", v ? "must be a number" : "required");
      return std::nullopt;
    }
    return v->get<double>();
  }
  bool ok() const { return ok_; }
  int line() const { return r_.line; }
  const json& body() const { return r_.body; }

 private:
  const Resource& r_;
  std::vector<RowError>* errors_;
  bool ok_ = true;
};

}  // namespace

ParsedFile ParseFhirBulk(const std::map<std::string, std::string>& files, std::string_view clinic_id,
                         const ParseOptions& options) {
  ParsedFile out;
  out.format = "FHIR R4 Bulk NDJSON";
  std::map<std::string, std::vector<Resource>> by_type;
  for (const auto& [name, text] : files) {
    std::string type = name.substr(0, name.rfind(".ndjson"));
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes) ||
        name.size() < 7 || name.substr(name.size() - 7) != ".ndjson") {
      out.errors.push_back({0, 0, name, "not a resource file kira reads (Patient, Encounter, MedicationRequest, "
                                        "MedicationAdministration, Observation, AdverseEvent, Basic .ndjson)"});
      out.fatal = true;
      continue;
    }
    Utf8Problem bad;
    if (FindUtf8Problem(text, &bad)) {
      int line = 1;
      for (std::size_t i = 0; i + 1 < bad.offset; ++i) line += text[i] == '\n';
      out.errors.push_back({line, 0, name, bad.reason});
      out.fatal = true;
      continue;
    }
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        out.errors.push_back({n, 0, name, "not a JSON object (one resource per line; is the line cut off?)"});
        ++out.invalid_rows;
        continue;
      }
      const auto rt = j.find("resourceType");
      if (rt == j.end() || !rt->is_string() || *rt != type) {
        out.errors.push_back({n, 0, name + " resourceType", "must be \"" + type + "\" in " + name});
        ++out.invalid_rows;
        continue;
      }
      by_type[type].push_back({name, n, std::move(j)});
    }
  }
  if (out.fatal) return out;
  const std::string cid(clinic_id);

  // Patients: FHIR id -> registry record.
  std::map<std::string, domain::PatientRecord> patients;
  for (const auto& r : by_type["Patient"]) {
    Reader x(r, &out.errors);
    domain::PatientRecord p{cid, x.Identifier("patient"), x.Text({"gender"}, "gender"), 0, ""};
    const std::string birth = x.Text({"birthDate"}, "birthDate");
    if (!birth.empty() && (birth.size() < 4 || !internal::ParseInt(birth.substr(0, 4), &p.birth_year))) {
      x.Bad("birthDate", "not a FHIR date: '" + birth + "'");
    }
    const json* ind = x.Extension("indication");
    if (ind && x.At(*ind, "valueCode") && x.At(*ind, "valueCode")->is_string()) {
      p.indication = x.At(*ind, "valueCode")->get<std::string>();
    } else {
      x.Bad("extension(indication)", "required (the indication the patient is treated for)");
    }
    const std::string fid = x.Text({"id"}, "id");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    patients[fid] = p;
    out.records.push_back({r.line, p, "Patient"});
  }
  // Clinical facts: each version of a patient's facts (Basic, code
  // urn:kira:resource|clinical-facts; fhir_export.cc FactsResource). When the
  // export carries them, the import records those and derives none.
  // Weight and height of each facts version read, by the version's key
  // ("PATIENT/facts-N"), for the body-weight and body-height Observations.
  struct BodyMeasures {
    std::string patient_ref;  // the FHIR Patient id of the version's subject
    std::optional<double> weight_kg, height_cm;
  };
  std::map<std::string, BodyMeasures> facts_measures;
  for (const auto& r : by_type["Basic"]) {
    Reader x(r, &out.errors);
    if (x.Code(x.At(r.body, "code"), "urn:kira:resource") != "clinical-facts") {
      x.Bad("code", "not a kira clinical-facts resource (coding urn:kira:resource|clinical-facts)");
      ++out.invalid_rows;
      continue;
    }
    const std::string patient_ref = x.Reference({"subject", "reference"}, "Patient", "subject");
    auto patient = patients.find(patient_ref);
    if (!patient_ref.empty() && patient == patients.end()) x.Bad("subject", "names no imported Patient");
    const json* ext = x.Extension("clinical-facts");
    const json* parts = ext ? x.At(*ext, "extension") : nullptr;
    if (!parts || !parts->is_array()) x.Bad("extension(clinical-facts)", "required (the facts of this version)");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    domain::PatientFacts f;
    f.clinic_id = cid;
    f.patient_id = patient->second.id;
    // When and by whom are the import's own (as for REDCap's facts form).
    bool have_version = false, have_pregnancy = false;
    for (const json& part : *parts) {
      const json* url = x.At(part, "url");
      const std::string name = url && url->is_string() ? url->get<std::string>() : "";
      const std::string element = "extension(clinical-facts)." + (name.empty() ? std::string("url") : name);
      auto value = [&](const char* type) -> const json* {
        const json* v = x.At(part, type);
        if (!v) x.Bad(element, std::string("needs ") + type);
        return v;
      };
      auto text = [&](const char* type) -> std::string {
        const json* v = value(type);
        if (v && v->is_string()) return v->get<std::string>();
        if (v) x.Bad(element, std::string(type) + " must be a string");
        return "";
      };
      auto whole = [&](int lo) -> std::optional<int> {
        const json* v = value("valueInteger");
        if (v && v->is_number_integer() && v->get<long long>() >= lo && v->get<long long>() <= 1000000)
          return static_cast<int>(v->get<long long>());
        if (v) x.Bad(element, "valueInteger must be a whole number from " + std::to_string(lo));
        return std::nullopt;
      };
      // A quantity in the unit kira writes (UCUM code), greater than 0.
      auto quantity = [&](const char* ucum) -> std::optional<double> {
        const json* q = value("valueQuantity");
        if (!q) return std::nullopt;
        const json* v = x.At(*q, "value");
        const json* code = x.At(*q, "code");
        if (!code || !code->is_string() || *code != ucum) {
          x.Bad(element, std::string("valueQuantity.code must be the UCUM unit '") + ucum + "'");
          return std::nullopt;
        }
        if (!v || !v->is_number() || !(v->get<double>() > 0)) {
          x.Bad(element, "valueQuantity.value must be a number greater than 0");
          return std::nullopt;
        }
        return v->get<double>();
      };
      if (name == "version") {
        if (auto v = whole(1)) f.version = *v, have_version = true;
      } else if (name == "recorded-at") {
        text("valueDateTime");  // the import's own time is recorded
      } else if (name == "reason") {
        f.reason = text("valueString");
      } else if (name == "weight") {
        f.weight_kg = quantity("kg");
      } else if (name == "weight-method") {
        f.weight_method = text("valueCode");
        if (f.weight_method != "measured" && f.weight_method != "stated" && f.weight_method != "estimated")
          x.Bad(element, "must be measured, stated or estimated, got '" + f.weight_method + "'");
      } else if (name == "weight-date") {
        f.weight_date = text("valueDate");
      } else if (name == "weight-confirmed-by") {
        f.weight_confirmed_by = text("valueString");
      } else if (name == "height") {
        f.height_cm = quantity("cm");
      } else if (name == "pregnancy") {
        const std::string v = text("valueCode");
        have_pregnancy = true;
        if (!domain::ParsePregnancyStatus(v, &f.pregnancy))
          x.Bad(element, "must be unknown, not_pregnant or pregnant, got '" + v + "'");
      } else if (name == "pregnancy-date") {
        f.pregnancy_date = text("valueDate");
      } else if (name == "condition") {
        f.conditions.push_back(text("valueCode"));
      } else if (name == "medication") {
        f.medications.push_back(text("valueString"));
      } else if (name == "failed-trials") {
        f.failed_antidepressant_trials = whole(0);
      } else if (name == "baseline-sbp") {
        f.baseline_sbp_mmhg = quantity("mm[Hg]");
      } else if (name == "baseline-dbp") {
        f.baseline_dbp_mmhg = quantity("mm[Hg]");
      } else if (name == "baseline-hr") {
        f.baseline_hr_bpm = quantity("/min");
      } else if (name == "baseline-spo2") {
        f.baseline_spo2_pct = quantity("%");
      } else if (name == "baseline-rr") {
        f.baseline_rr_per_min = quantity("/min");
      } else {
        x.Bad(element, "not a part of kira's clinical facts");
      }
    }
    if (!have_version) x.Bad("extension(clinical-facts).version", "required");
    if (!have_pregnancy) x.Bad("extension(clinical-facts).pregnancy", "required");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    out.carries_facts = true;
    facts_measures[fhir::FactsKey(f.patient_id, f.version)] = {patient_ref, f.weight_kg, f.height_cm};
    out.records.push_back({r.line, std::move(f), "Basic"});
  }
  // Orders and administrations by encounter.
  std::map<std::string, const Resource*> requests, administrations;
  for (const auto& r : by_type["MedicationRequest"]) {
    Reader x(r, &out.errors);
    const std::string enc = x.Reference({"encounter", "reference"}, "Encounter", "encounter");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    requests[enc] = &r;
  }
  for (const auto& r : by_type["MedicationAdministration"]) {
    Reader x(r, &out.errors);
    const std::string enc = x.Reference({"context", "reference"}, "Encounter", "context");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    administrations[enc] = &r;
  }
  // Sessions: one per Encounter, with its order and administration.
  std::map<std::string, std::string> sessions;  // FHIR encounter id -> session id
  std::string kira_csv = CsvLine(SessionCsvColumns());
  std::vector<int> lines;
  int consumed_requests = 0, consumed_administrations = 0;
  for (const auto& r : by_type["Encounter"]) {
    Reader x(r, &out.errors);
    const std::string fid = x.Text({"id"}, "id");
    const std::string sid = x.Identifier("session");
    const std::string patient_ref = x.Reference({"subject", "reference"}, "Patient", "subject");
    auto patient = patients.find(patient_ref);
    if (!patient_ref.empty() && patient == patients.end()) x.Bad("subject", "names no imported Patient");
    const std::string protocol = x.Code(x.Path({"type"}), "urn:kira:protocol");
    if (protocol.empty()) x.Bad("type", "no coding with system urn:kira:protocol");
    const std::string start = x.Text({"period", "start"}, "period.start");
    const std::string end = x.Text({"period", "end"}, "period.end", false);
    const std::string status = x.Text({"status"}, "status");
    auto req = requests.find(fid);
    if (req == requests.end()) x.Bad("id", "no MedicationRequest (the order) for this Encounter");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    ++consumed_requests;
    Reader m(*req->second, &out.errors);
    const double planned = m.Quantity(m.Path({"dosageInstruction", "doseAndRate", "doseQuantity"}), "mg",
                                      "dosageInstruction.doseAndRate.doseQuantity")
                               .value_or(0);
    // Infusions carry a pump rate and a concentration; a nasal spray has
    // neither. The Advisor's recorded-session check decides what the route needs.
    std::optional<double> rate;
    if (const json* q = m.Path({"dosageInstruction", "doseAndRate", "rateQuantity"})) {
      rate = m.Quantity(q, "mL/h", "dosageInstruction.doseAndRate.rateQuantity");
    }
    // The drug and route of the order must be those of the protocol the
    // Encounter names (ketamine IV or IM, esketamine nasal): a
    // MedicationRequest for another drug is not a ketamine session.
    const fhir::Drug* drug = nullptr;
    if (auto route = options.protocol_routes.find(protocol); route != options.protocol_routes.end()) {
      drug = fhir::DrugForRoute(route->second);
    }
    auto check_drug = [&](Reader& y, const char* med_element, std::initializer_list<std::string_view> route_keys,
                          const std::string& route_element) {
      if (!drug) return;
      const json* med = y.At(y.body(), "medicationCodeableConcept");
      const std::string rxnorm = y.Code(med, fhir::kRxNorm);
      if (rxnorm != drug->rxnorm) {
        y.Bad(med_element, "protocol '" + protocol + "' gives " + std::string(drug->rxnorm_display) + " (RxNorm " +
                               std::string(drug->rxnorm) + "), but this names " +
                               (rxnorm.empty() ? std::string("no RxNorm code") : "RxNorm " + rxnorm));
      }
      if (const json* route = y.Path(route_keys)) {
        const std::string snomed = y.Code(route, fhir::kSnomed);
        if (snomed != drug->route_snomed) {
          y.Bad(route_element, "protocol '" + protocol + "' is given by the " + std::string(drug->route_display) +
                                   " (SNOMED CT " + std::string(drug->route_snomed) + "), but this names " +
                                   (snomed.empty() ? std::string("no SNOMED CT route") : "SNOMED CT " + snomed));
        }
      }
    };
    check_drug(m, "medicationCodeableConcept", {"dosageInstruction", "route"}, "dosageInstruction.route");
    const std::string recorded_by = m.Identifier("user", false).empty()
                                        ? m.Text({"requester", "identifier", "value"}, "requester.identifier")
                                        : m.Identifier("user", false);
    double weight = 0;
    std::optional<double> concentration;
    if (const json* w = m.Extension("dosing-weight")) {
      weight = m.Quantity(m.At(*w, "valueQuantity"), "kg", "extension(dosing-weight).valueQuantity").value_or(0);
    } else {
      m.Bad("extension(dosing-weight)", "required");
    }
    if (const json* c = m.Extension("concentration")) {
      concentration = m.Quantity(m.At(*c, "valueQuantity"), "mg/mL", "extension(concentration).valueQuantity");
    }
    // The override given when the session was recorded.
    if (const json* exts = m.At(m.body(), "extension"); exts && exts->is_array()) {
      for (const auto& e : *exts) {
        if (e.value("url", "") != std::string(fhir::kExtensionBase) + "override") continue;
        domain::OverrideRecord o{cid, "", sid, "", {}, {}, ""};
        const json* subs = m.At(e, "extension");
        for (const auto& s : subs && subs->is_array() ? *subs : json::array()) {
          const std::string url = s.value("url", "");
          if (url == "id") o.id = s.value("valueString", "");
          if (url == "reason") o.reason = s.value("valueString", "");
          if (url == "who") o.who = s.value("valueString", "");
          if (url == "rule") o.rule_ids.push_back(s.value("valueString", ""));
          if (url == "when" && !domain::ParseInstant(s.value("valueDateTime", ""), &o.at)) {
            m.Bad("extension(override).when", "not an ISO 8601 UTC instant");
          }
        }
        if (o.id.empty() || o.reason.empty() || o.who.empty()) m.Bad("extension(override)", "needs id, reason and who");
        out.records.push_back({req->second->line, o, "MedicationRequest override"});
      }
    }
    std::string given, state;
    // kira's own session state (lossless); the FHIR statuses otherwise.
    std::string kira_state;
    if (const json* st = x.Extension("session-state"); st && x.At(*st, "valueCode") && x.At(*st, "valueCode")->is_string()) {
      kira_state = x.At(*st, "valueCode")->get<std::string>();
    }
    auto ma = administrations.find(fid);
    if (ma != administrations.end()) {
      ++consumed_administrations;
      Reader a(*ma->second, &out.errors);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", a.Quantity(a.Path({"dosage", "dose"}), "mg", "dosage.dose").value_or(0));
      given = buf;
      check_drug(a, "medicationCodeableConcept", {"dosage", "route"}, "dosage.route");
      const std::string ma_status = a.Text({"status"}, "status");
      // A record marked void, or a dose that was not given, is not a session
      // kira can store as given; "unknown" is not a state kira can judge.
      if (ma_status != "completed" && ma_status != "stopped" && ma_status != "in-progress" && ma_status != "on-hold" &&
          !ma_status.empty()) {
        a.Bad("status", "'" + ma_status +
                            "': kira imports administrations that were given (completed, stopped, in-progress or "
                            "on-hold); leave this one out of the file or correct its status");
      }
      if (!a.ok()) {
        ++out.invalid_rows;
        continue;
      }
      state = ma_status == "stopped"       ? "stopped"
              : ma_status == "in-progress" ? "running"
              : ma_status == "on-hold"     ? "paused"
                                           : "discharged";
    } else {
      state = status == "planned" ? "planned" : status == "arrived" ? "pre_checked" : status == "in-progress" ? "running" : "";
      if (state.empty() && kira_state.empty()) {
        x.Bad("status", "a '" + status + "' Encounter needs a MedicationAdministration");
      }
    }
    if (!kira_state.empty()) state = kira_state;
    if (!x.ok() || !m.ok()) {
      ++out.invalid_rows;
      continue;
    }
    char nums[160];
    std::snprintf(nums, sizeof nums, "%.17g|%.17g|%.17g|%.17g", weight, planned, concentration.value_or(0),
                  rate.value_or(0));
    std::vector<std::string> n;
    std::stringstream ss(nums);
    for (std::string part; std::getline(ss, part, '|');) n.push_back(part);
    if (!concentration) n[2].clear();  // absent, not 0
    if (!rate) n[3].clear();
    sessions[fid] = sid;
    kira_csv += CsvLine({cid, patient->second.id, patient->second.sex, std::to_string(patient->second.birth_year),
                         patient->second.indication, sid, protocol, start, end, n[0], n[1], given, n[2], n[3],
                         recorded_by, "", state, ""});
    lines.push_back(r.line);
  }
  ParsedFile inner = ParseSessionCsv(kira_csv, options);
  for (auto e : inner.errors) {
    if (e.line >= 2 && static_cast<std::size_t>(e.line - 2) < lines.size()) e.line = lines[static_cast<std::size_t>(e.line - 2)];
    e.field = "Encounter.ndjson (" + e.field + ")";
    e.column = 0;
    out.errors.push_back(e);
  }
  out.invalid_rows += inner.invalid_rows;
  for (auto& row : inner.rows) {
    row.line = lines[static_cast<std::size_t>(row.line - 2)];
    out.rows.push_back(std::move(row));
  }
  const std::map<std::string, std::string> where = {
      {"given_dose_mg", "MedicationAdministration dosage.dose"},
      {"planned_dose_mg", "MedicationRequest doseQuantity"},
      {"rate_ml_per_h", "MedicationRequest rateQuantity"},
      {"dosing_weight_kg", "MedicationRequest extension(dosing-weight)"},
      {"sex", "Patient gender"},
      {"birth_year", "Patient birthDate"},
      {"indication", "Patient extension(indication)"}};
  for (const auto& c : SessionCsvColumns()) {
    auto it = where.find(c);
    out.columns[c] = {0, "Encounter " + (it == where.end() ? c : it->second)};
  }
  // A resource kira reads only with its Encounter must have one.
  if (consumed_requests != static_cast<int>(requests.size()) ||
      consumed_administrations != static_cast<int>(administrations.size())) {
    for (const auto* group : {&requests, &administrations}) {
      for (const auto& [enc, res] : *group) {
        if (!sessions.count(enc)) {
          out.errors.push_back({res->line, 0, res->file + " encounter", "names no imported Encounter '" + enc + "'"});
          ++out.invalid_rows;
        }
      }
    }
  }

  // Observations: vital signs and scored instruments.
  auto vital_kind = [](std::string_view loinc, domain::VitalKind* k) {
    if (loinc == "8480-6") *k = domain::VitalKind::kSystolicBp;
    else if (loinc == "8462-4") *k = domain::VitalKind::kDiastolicBp;
    else if (loinc == "8867-4") *k = domain::VitalKind::kHeartRate;
    else if (loinc == "2708-6" || loinc == "59408-5") *k = domain::VitalKind::kSpO2;
    else if (loinc == "9279-1") *k = domain::VitalKind::kRespRate;
    else return false;
    return true;
  };
  for (const auto& r : by_type["Observation"]) {
    Reader x(r, &out.errors);
    const std::string category = x.Text({"category", "coding", "code"}, "category");
    const std::string loinc = x.Code(x.Path({"code"}), fhir::kLoinc);
    if (category == "vital-signs" && (loinc == fhir::kLoincBodyWeight || loinc == fhir::kLoincBodyHeight)) {
      // Body weight and height restate a facts version (kira writes them
      // beside its facts resource for systems that read only standard
      // vital signs): they must agree with it, and record nothing of their
      // own.
      const bool weight = loinc == fhir::kLoincBodyWeight;
      const std::string key = x.Identifier("patient-facts");
      const std::string subject = x.Reference({"subject", "reference"}, "Patient", "subject");
      const auto value = x.Quantity(x.Path({"valueQuantity"}), weight ? "kg" : "cm", "valueQuantity");
      if (!x.ok()) {
        ++out.invalid_rows;
        continue;
      }
      auto facts = facts_measures.find(key);
      const std::string what = weight ? "body weight" : "body height";
      if (facts == facts_measures.end()) {
        x.Bad("identifier", "names no clinical-facts version of this import ('" + key +
                                "'); kira reads weight and height from its clinical-facts resource");
      } else if (subject != facts->second.patient_ref) {
        x.Bad("subject", "clinical-facts version '" + key + "' is of Patient/" + facts->second.patient_ref +
                             ", not Patient/" + subject);
      } else {
        const std::optional<double>& stated = weight ? facts->second.weight_kg : facts->second.height_cm;
        if (!stated || !internal::Near(*stated, *value)) {
          x.Bad("valueQuantity", "the " + what + " (" + internal::NumberText(*value) + (weight ? " kg" : " cm") +
                                     ") disagrees with clinical-facts version '" + key + "' (" +
                                     (stated ? internal::NumberText(*stated) + (weight ? " kg" : " cm") : "none") + ")");
        }
      }
      if (!x.ok()) ++out.invalid_rows;
      continue;
    }
    const domain::Instant at = x.Time({"effectiveDateTime"}, "effectiveDateTime");
    if (category == "vital-signs") {
      const std::string session = sessions.count(x.Reference({"encounter", "reference"}, "Encounter", "encounter"))
                                      ? sessions[x.Reference({"encounter", "reference"}, "Encounter", "encounter")]
                                      : "";
      if (session.empty()) x.Bad("encounter", "names no imported Encounter");
      std::vector<domain::VitalSign> vitals;
      if (loinc == "85354-9") {
        const json* comps = x.At(x.body(), "component");
        const std::string ids[2] = {x.Identifier("vital:sbp"), x.Identifier("vital:dbp")};
        if (!comps || !comps->is_array() || comps->size() != 2) {
          x.Bad("component", "a blood-pressure panel has a systolic and a diastolic component");
        } else {
          for (std::size_t i = 0; i < 2; ++i) {
            domain::VitalSign v{cid, ids[i], session, at, {}, 0};
            const std::string code = x.Code(x.At((*comps)[i], "code"), fhir::kLoinc);
            if (!vital_kind(code, &v.kind)) {
              x.Bad("component", "each component needs the LOINC code of a systolic or diastolic pressure");
              break;
            }
            auto value = x.Quantity(x.At((*comps)[i], "valueQuantity"), domain::VitalKindUnit(v.kind),
                                    "component.valueQuantity");
            if (!value) break;
            v.value = *value;
            vitals.push_back(v);
          }
        }
      } else {
        domain::VitalSign v{cid, x.Identifier("vital"), session, at, {}, 0};
        if (!vital_kind(loinc, &v.kind)) {
          x.Bad("code", "not a vital sign kira records (LOINC '" + loinc + "')");
        } else {
          v.value = x.Quantity(x.Path({"valueQuantity"}), domain::VitalKindUnit(v.kind), "valueQuantity").value_or(0);
        }
        vitals.push_back(v);
      }
      if (!x.ok()) {
        ++out.invalid_rows;
        continue;
      }
      for (const auto& v : vitals) out.records.push_back({r.line, v, "Observation (vital sign)"});
    } else if (category == "survey") {
      domain::Assessment a;
      a.clinic_id = cid;
      a.id = x.Identifier("assessment");
      const std::string patient_ref = x.Reference({"subject", "reference"}, "Patient", "subject");
      if (!patients.count(patient_ref)) x.Bad("subject", "names no imported Patient");
      a.patient_id = patients.count(patient_ref) ? patients[patient_ref].id : "";
      const std::string enc = x.Reference({"encounter", "reference"}, "Encounter", "encounter", false);
      if (!enc.empty() && !sessions.count(enc)) x.Bad("encounter", "names no imported Encounter");
      a.session_id = enc.empty() ? "" : sessions[enc];
      a.at = at;
      a.instrument = x.Code(x.Path({"code"}), "urn:kira:instrument");
      if (a.instrument.empty()) x.Bad("code", "no coding with system urn:kira:instrument");
      a.total = static_cast<int>(x.Number({"valueQuantity", "value"}, "valueQuantity"));
      if (const json* sv = x.Extension("scoring-version"); sv) a.scoring_version = sv->value("valueString", "");
      if (const json* comps = x.At(x.body(), "component"); comps && comps->is_array()) {
        for (const auto& c : *comps) {
          const json* v = x.At(c, "valueInteger");
          if (!v || !v->is_number_integer()) {
            x.Bad("component", "item scores are valueInteger");
            break;
          }
          a.item_scores.push_back(v->get<int>());
        }
      }
      if (!x.ok()) {
        ++out.invalid_rows;
        continue;
      }
      out.records.push_back({r.line, a, "Observation (assessment)"});
    } else {
      x.Bad("category", "kira reads vital-signs and survey Observations, got '" + category + "'");
      ++out.invalid_rows;
    }
  }
  for (const auto& r : by_type["AdverseEvent"]) {
    Reader x(r, &out.errors);
    domain::AdverseEvent e;
    e.clinic_id = cid;
    e.id = x.Identifier("adverse-event");
    const std::string enc = x.Reference({"encounter", "reference"}, "Encounter", "encounter");
    if (!enc.empty() && !sessions.count(enc)) x.Bad("encounter", "names no imported Encounter");
    e.session_id = sessions.count(enc) ? sessions[enc] : "";
    e.at = x.Time({"date"}, "date");
    e.type = x.Text({"event", "text"}, "event.text");
    const std::string severity = x.Text({"severity", "coding", "code"}, "severity");
    const bool life = x.Code(x.Path({"seriousness"}), fhir::kSnomed) == "442452003";
    if (life) {
      e.severity = domain::AeSeverity::kLifeThreatening;
    } else if (!domain::ParseAeSeverity(severity, &e.severity)) {
      x.Bad("severity", "must be mild, moderate or severe, got '" + severity + "'");
    }
    if (const json* rescue = x.Extension("rescue-given"); rescue) e.rescue_given = rescue->value("valueString", "");
    if (!x.ok()) {
      ++out.invalid_rows;
      continue;
    }
    out.records.push_back({r.line, e, "AdverseEvent"});
  }
  return out;
}

StatusOr<ParsedFile> ReadFhirBulk(const std::string& dir, std::string_view clinic_id, const ParseOptions& options) {
  std::error_code ec;
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.empty() || name[0] == '.') continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    if (!in) return InvalidArgumentError("--fhir: cannot read '" + entry.path().string() + "'");
    files[name] = s.str();
  }
  if (ec) return InvalidArgumentError("--fhir: cannot read directory '" + dir + "': " + ec.message());
  if (files.empty()) return InvalidArgumentError("--fhir: no .ndjson files in '" + dir + "'");
  return ParseFhirBulk(files, clinic_id, options);
}

}  // namespace kira::interop
