#include "kira/interop/fhir_export.h"

#include <openssl/evp.h>

#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "kira/domain/records.h"
#include "kira/interop/csv.h"
#include "kira/interop/export_dir.h"

namespace kira::interop {

namespace fhir {

namespace {
// RxNorm: 2201623 "esketamine Nasal Spray" (SCDF) was read on an RxNorm
// concept page during development (S). 6130 (ketamine, ingredient) could not
// be confirmed from this workplace (U): confirm locally before relying on
// it. SNOMED CT routes (47625008, 78421000, 46713006) are the codes of the
// FHIR R4 SNOMEDCTRouteCodes value set (S).
constexpr Drug kDrugs[] = {
    {"iv", "6130", "ketamine", "U: not confirmed; confirm locally", "47625008", "Intravenous route"},
    {"im", "6130", "ketamine", "U: not confirmed; confirm locally", "78421000", "Intramuscular route"},
    {"intranasal", "2201623", "esketamine Nasal Spray", "S: RxNorm concept page", "46713006", "Nasal route"},
};
}  // namespace

std::string FactsKey(std::string_view patient_id, int version) {
  return std::string(patient_id) + "/facts-" + std::to_string(version);
}

const Drug* DrugForRoute(std::string_view route_id) {
  for (const Drug& d : kDrugs) {
    if (d.route_id == route_id) return &d;
  }
  return nullptr;
}

}  // namespace fhir

namespace {

using nlohmann::json;
using namespace fhir;

std::string Sha256Hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string S(std::string_view v) { return SanitizeUtf8(v); }

json Coding(std::string_view system, std::string_view code, std::string_view display = {}) {
  json c{{"system", system}, {"code", S(code)}};
  if (!display.empty()) c["display"] = S(display);
  return c;
}
json Ref(const char* type, const std::string& id) { return json{{"reference", std::string(type) + "/" + id}}; }
json Ident(std::string_view kind, std::string_view value) {
  return json{{"system", std::string(kIdentifierBase) + std::string(kind)}, {"value", S(value)}};
}
json UserRef(std::string_view user) { return json{{"identifier", Ident("user", user)}}; }
std::string Ext(std::string_view name) { return std::string(kExtensionBase) + std::string(name); }
std::string Time(domain::Instant t) { return domain::FormatInstant(t); }
json Qty(double value, std::string_view unit, std::string_view code) {
  return json{{"value", value}, {"unit", unit}, {"system", kUcum}, {"code", code}};
}

struct VitalCode {
  domain::VitalKind kind;
  const char* loinc;
  const char* display;
  const char* profile;  // R4 vital-signs profile, "" for a code with none of its own
  const char* unit_display;
};
constexpr VitalCode kVitalCodes[] = {
    {domain::VitalKind::kSystolicBp, "8480-6", "Systolic blood pressure", "", "mmHg"},
    {domain::VitalKind::kDiastolicBp, "8462-4", "Diastolic blood pressure", "", "mmHg"},
    {domain::VitalKind::kHeartRate, "8867-4", "Heart rate", "heartrate", "/min"},
    {domain::VitalKind::kSpO2, "2708-6", "Oxygen saturation in Arterial blood", "oxygensat", "%"},
    {domain::VitalKind::kRespRate, "9279-1", "Respiratory rate", "resprate", "/min"},
};
const VitalCode& CodeOf(domain::VitalKind k) {
  for (const auto& c : kVitalCodes) {
    if (c.kind == k) return c;
  }
  return kVitalCodes[2];
}

json VitalCategory() {
  return json::array({{{"coding", json::array({Coding("http://terminology.hl7.org/CodeSystem/observation-category",
                                                      "vital-signs", "Vital Signs")})}}});
}
std::string Profile(std::string_view name) { return "http://hl7.org/fhir/StructureDefinition/" + std::string(name); }

json MedicationConcept(const Drug* drug, const std::string& protocol_id) {
  if (!drug) {
    return json{{"text", S("unknown drug (protocol '" + protocol_id + "' is not in the guideline library)")}};
  }
  return json{{"coding", json::array({Coding(kRxNorm, drug->rxnorm, drug->rxnorm_display)})},
              {"text", drug->rxnorm_display}};
}
json RouteConcept(const Drug* drug) {
  return json{{"coding", json::array({Coding(kSnomed, drug->route_snomed, drug->route_display)})},
              {"text", drug->route_display}};
}

const char* EncounterStatus(domain::SessionState s) {
  switch (s) {
    case domain::SessionState::kPlanned: return "planned";
    case domain::SessionState::kPreChecked: return "arrived";
    case domain::SessionState::kRunning:
    case domain::SessionState::kPaused:
    case domain::SessionState::kObservation: return "in-progress";
    case domain::SessionState::kDischarged:
    case domain::SessionState::kStopped: return "finished";
  }
  return "unknown";
}
const char* RequestStatus(domain::SessionState s) {
  switch (s) {
    case domain::SessionState::kDischarged: return "completed";
    case domain::SessionState::kStopped: return "stopped";
    default: return "active";
  }
}
const char* AdministrationStatus(domain::SessionState s) {
  switch (s) {
    case domain::SessionState::kRunning: return "in-progress";
    case domain::SessionState::kPaused: return "on-hold";
    case domain::SessionState::kStopped: return "stopped";
    default: return "completed";  // observation, discharged: the dose is given
  }
}

// One version of a patient's clinical facts as a Basic resource (FHIR R4
// has no resource for "the facts a decision was made on"): code
// urn:kira:resource|clinical-facts, the patient as subject, the author, and
// every fact in one complex extension (docs/interop.md lists its parts).
json FactsResource(const domain::PatientFacts& f, const std::string& patient_fhir_id) {
  json parts = json::array();
  auto add = [&](const char* url, const char* type, json value) {
    parts.push_back({{"url", url}, {type, std::move(value)}});
  };
  add("version", "valueInteger", f.version);
  add("recorded-at", "valueDateTime", Time(f.recorded_at));
  if (!f.reason.empty()) add("reason", "valueString", S(f.reason));
  if (f.weight_kg) add("weight", "valueQuantity", Qty(*f.weight_kg, "kg", "kg"));
  add("weight-method", "valueCode", S(f.weight_method));
  if (!f.weight_date.empty()) add("weight-date", "valueDate", S(f.weight_date));
  if (!f.weight_confirmed_by.empty()) add("weight-confirmed-by", "valueString", S(f.weight_confirmed_by));
  if (f.height_cm) add("height", "valueQuantity", Qty(*f.height_cm, "cm", "cm"));
  add("pregnancy", "valueCode", std::string(domain::PregnancyStatusName(f.pregnancy)));
  if (!f.pregnancy_date.empty()) add("pregnancy-date", "valueDate", S(f.pregnancy_date));
  for (const auto& c : f.conditions) add("condition", "valueCode", S(c));
  for (const auto& m : f.medications) add("medication", "valueString", S(m));
  if (f.failed_antidepressant_trials) add("failed-trials", "valueInteger", *f.failed_antidepressant_trials);
  if (f.baseline_sbp_mmhg) add("baseline-sbp", "valueQuantity", Qty(*f.baseline_sbp_mmhg, "mmHg", "mm[Hg]"));
  if (f.baseline_dbp_mmhg) add("baseline-dbp", "valueQuantity", Qty(*f.baseline_dbp_mmhg, "mmHg", "mm[Hg]"));
  if (f.baseline_hr_bpm) add("baseline-hr", "valueQuantity", Qty(*f.baseline_hr_bpm, "/min", "/min"));
  if (f.baseline_spo2_pct) add("baseline-spo2", "valueQuantity", Qty(*f.baseline_spo2_pct, "%", "%"));
  if (f.baseline_rr_per_min) add("baseline-rr", "valueQuantity", Qty(*f.baseline_rr_per_min, "/min", "/min"));
  const std::string key = fhir::FactsKey(f.patient_id, f.version);
  return {{"resourceType", "Basic"},
          {"id", FhirId("f-", key)},
          {"extension", json::array({{{"url", Ext("clinical-facts")}, {"extension", parts}}})},
          {"identifier", json::array({Ident("patient-facts", key)})},
          {"code", {{"coding", json::array({Coding("urn:kira:resource", "clinical-facts", "Clinical facts version")})},
                    {"text", "clinical facts a ketamine treatment decision is made on"}}},
          {"subject", Ref("Patient", patient_fhir_id)},
          {"created", Time(f.recorded_at).substr(0, 10)},
          {"author", UserRef(f.recorded_by)}};
}

// The weight and height of a facts version as standard R4 body-weight
// (LOINC 29463-7) and body-height (8302-2) Observations, so a system that
// does not read kira's facts resource still sees them. The facts resource
// stays the record: these carry its identifier, and an import checks that
// they agree with it (fhir_import.cc).
std::vector<json> BodyMeasureObservations(const domain::PatientFacts& f, const std::string& patient_fhir_id) {
  const std::string key = fhir::FactsKey(f.patient_id, f.version);
  // The day the weight was taken when the facts say so, else when the
  // version was recorded.
  const std::string weighed = f.weight_date.empty() ? Time(f.recorded_at) : S(f.weight_date);
  std::vector<json> out;
  auto add = [&](const char* prefix, const char* profile, std::string_view loinc, const char* display, json value,
                 std::string when) {
    out.push_back({{"resourceType", "Observation"},
                   {"id", FhirId(prefix, key)},
                   {"meta", {{"profile", json::array({Profile(profile)})}}},
                   {"identifier", json::array({Ident("patient-facts", key)})},
                   {"status", "final"},
                   {"category", VitalCategory()},
                   {"code", {{"coding", json::array({Coding(kLoinc, loinc, display)})}, {"text", display}}},
                   {"subject", Ref("Patient", patient_fhir_id)},
                   {"effectiveDateTime", std::move(when)},
                   {"valueQuantity", std::move(value)}});
  };
  if (f.weight_kg) add("bw-", "bodyweight", fhir::kLoincBodyWeight, "Body weight", Qty(*f.weight_kg, "kg", "kg"), weighed);
  if (f.height_cm) add("bh-", "bodyheight", fhir::kLoincBodyHeight, "Body height", Qty(*f.height_cm, "cm", "cm"), Time(f.recorded_at));
  return out;
}

class Ndjson {
 public:
  explicit Ndjson(std::ostream* out) : out_(out) {}
  // Invalid UTF-8 that reached the registry by an older path is replaced,
  // never allowed to abort the export.
  void Put(const json& j) { *out_ << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n'; }

 private:
  std::ostream* out_;
};

}  // namespace

std::string FhirId(std::string_view prefix, std::string_view id) {
  std::string candidate = std::string(prefix) + std::string(id);
  bool ok = !candidate.empty() && candidate.size() <= 64 && candidate.rfind("x-", 0) != 0;
  for (char c : candidate) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  }
  if (ok) return candidate;
  return "x-" + Sha256Hex(candidate).substr(0, 40);
}

StatusOr<FhirExportCounts> ExportFhir(storage::Store& store, std::string_view clinic_id, const std::string& dir,
                                      const FhirExportOptions& options) {
  KIRA_ASSIGN_OR_RETURN(StagedExport staged, StagedExport::Begin(dir, "--fhir"));
  const char* kTypes[] = {"Patient", "Encounter", "MedicationRequest", "MedicationAdministration", "Observation",
                          "AdverseEvent", "Basic"};
  std::vector<Ndjson> w;
  for (const char* t : kTypes) {
    KIRA_ASSIGN_OR_RETURN(std::ofstream * f, staged.Open(std::string(t) + ".ndjson"));
    w.emplace_back(f);
  }
  Ndjson& patients = w[0];
  Ndjson& encounters = w[1];
  Ndjson& requests = w[2];
  Ndjson& administrations = w[3];
  Ndjson& observations = w[4];
  Ndjson& aes = w[5];
  Ndjson& facts_out = w[6];

  FhirExportCounts n;
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& p : batch) {
      const std::string pid = FhirId("", p.id);
      char year[16];
      std::snprintf(year, sizeof year, "%04d", std::clamp(p.birth_year, 0, 9999));
      patients.Put({{"resourceType", "Patient"},
                    {"id", pid},
                    {"extension", json::array({{{"url", Ext("indication")}, {"valueCode", S(p.indication)}}})},
                    {"identifier", json::array({Ident("patient", p.id)})},
                    {"gender", p.sex == "female" || p.sex == "male" || p.sex == "other" ? p.sex : "unknown"},
                    {"birthDate", year}});
      ++n.patients;

      // Each version of the patient's clinical facts (the record every
      // decision was made on), so that an import decides on the same facts.
      KIRA_ASSIGN_OR_RETURN(auto versions, tx->ListPatientFacts(clinic_id, p.id));
      for (const auto& f : versions) {
        facts_out.Put(FactsResource(f, pid));
        ++n.facts_versions;
        for (const json& o : BodyMeasureObservations(f, pid)) {
          observations.Put(o);
          ++n.observations;
        }
      }

      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      for (const auto& s : sessions) {
        const std::string eid = FhirId("", s.id);
        auto route = options.protocol_routes.find(s.protocol_id);
        const Drug* drug = route == options.protocol_routes.end() ? nullptr : DrugForRoute(route->second);
        json period{{"start", Time(s.started_at)}};
        if (s.stopped_at) period["end"] = Time(*s.stopped_at);
        encounters.Put(
            {{"resourceType", "Encounter"},
             {"id", eid},
             {"extension", json::array({{{"url", Ext("session-state")},
                                         {"valueCode", domain::SessionStateName(s.state)}}})},
             {"identifier", json::array({Ident("session", s.id)})},
             {"status", EncounterStatus(s.state)},
             {"class", Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")},
             {"type", json::array({{{"coding", json::array({Coding("urn:kira:protocol", s.protocol_id)})},
                                    {"text", S("ketamine clinic protocol " + s.protocol_id)}}})},
             {"subject", Ref("Patient", pid)},
             {"period", period}});
        ++n.encounters;

        // The order: what was planned, for whom and how it is given.
        json dose_and_rate{{"doseQuantity", Qty(units::ToMg(s.planned_dose), "mg", "mg")}};
        // Infusions only: a nasal spray has no pump rate or concentration.
        if (s.rate) dose_and_rate["rateQuantity"] = Qty(units::ToMlPerH(*s.rate), "mL/h", "mL/h");
        json instruction{{"doseAndRate", json::array({dose_and_rate})}};
        if (drug) instruction["route"] = RouteConcept(drug);
        json extensions = json::array(
            {{{"url", Ext("dosing-weight")}, {"valueQuantity", Qty(units::ToKg(s.dosing_weight), "kg", "kg")}}});
        if (s.concentration) {
          extensions.push_back({{"url", Ext("concentration")},
                                {"valueQuantity", Qty(units::ToMgPerMl(*s.concentration), "mg/mL", "mg/mL")}});
        }
        KIRA_ASSIGN_OR_RETURN(auto overrides, tx->ListOverrides(clinic_id, s.id));
        for (const auto& o : overrides) {
          json rules = json::array();
          for (const auto& r : o.rule_ids) rules.push_back({{"url", "rule"}, {"valueString", S(r)}});
          json ext{{"url", Ext("override")},
                   {"extension", json::array({{{"url", "id"}, {"valueString", S(o.id)}},
                                              {{"url", "reason"}, {"valueString", S(o.reason)}},
                                              {{"url", "who"}, {"valueString", S(o.who)}},
                                              {{"url", "when"}, {"valueDateTime", Time(o.at)}}})}};
          for (auto& r : rules) ext["extension"].push_back(r);
          extensions.push_back(ext);
        }
        requests.Put({{"resourceType", "MedicationRequest"},
                      {"id", eid},
                      {"extension", extensions},
                      {"identifier", json::array({Ident("session", s.id)})},
                      {"status", RequestStatus(s.state)},
                      {"intent", "order"},
                      {"medicationCodeableConcept", MedicationConcept(drug, s.protocol_id)},
                      {"subject", Ref("Patient", pid)},
                      {"encounter", Ref("Encounter", eid)},
                      {"authoredOn", Time(s.started_at)},
                      {"requester", UserRef(s.recorded_by)},
                      {"dosageInstruction", json::array({instruction})}});
        ++n.medication_requests;

        if (s.given_dose) {
          json dosage{{"dose", Qty(units::ToMg(*s.given_dose), "mg", "mg")}};
          if (drug) dosage["route"] = RouteConcept(drug);
          if (s.rate && (!drug || drug->route_id == "iv")) {
            dosage["rateQuantity"] = Qty(units::ToMlPerH(*s.rate), "mL/h", "mL/h");
          }
          json ma{{"resourceType", "MedicationAdministration"},
                  {"id", eid},
                  {"identifier", json::array({Ident("session", s.id)})},
                  {"status", AdministrationStatus(s.state)},
                  {"medicationCodeableConcept", MedicationConcept(drug, s.protocol_id)},
                  {"subject", Ref("Patient", pid)},
                  {"context", Ref("Encounter", eid)},
                  {"performer", json::array({{{"actor", UserRef(s.recorded_by)}}})},
                  {"request", Ref("MedicationRequest", eid)},
                  {"dosage", dosage}};
          if (s.stopped_at) {
            ma["effectivePeriod"] = period;
          } else {
            ma["effectiveDateTime"] = Time(s.started_at);
          }
          administrations.Put(ma);
          ++n.medication_administrations;
        }

        KIRA_ASSIGN_OR_RETURN(auto vitals, tx->ListVitals(clinic_id, s.id));
        std::vector<bool> used(vitals.size(), false);
        for (std::size_t i = 0; i < vitals.size(); ++i) {
          if (used[i]) continue;
          const auto& v = vitals[i];
          json obs{{"resourceType", "Observation"},
                   {"status", "final"},
                   {"category", VitalCategory()},
                   {"subject", Ref("Patient", pid)},
                   {"encounter", Ref("Encounter", eid)},
                   {"effectiveDateTime", Time(v.at)}};
          // A systolic and a diastolic reading taken together form the R4
          // blood-pressure panel.
          std::optional<std::size_t> partner;
          if (v.kind == domain::VitalKind::kSystolicBp || v.kind == domain::VitalKind::kDiastolicBp) {
            const auto other = v.kind == domain::VitalKind::kSystolicBp ? domain::VitalKind::kDiastolicBp
                                                                        : domain::VitalKind::kSystolicBp;
            for (std::size_t j = i + 1; j < vitals.size() && vitals[j].at == v.at; ++j) {
              if (!used[j] && vitals[j].kind == other) {
                partner = j;
                break;
              }
            }
          }
          if (partner) {
            used[*partner] = true;
            const auto& sbp = v.kind == domain::VitalKind::kSystolicBp ? v : vitals[*partner];
            const auto& dbp = v.kind == domain::VitalKind::kSystolicBp ? vitals[*partner] : v;
            obs["id"] = FhirId("bp-", sbp.id);
            obs["meta"] = {{"profile", json::array({Profile("bp")})}};
            obs["identifier"] = json::array({Ident("vital:sbp", sbp.id), Ident("vital:dbp", dbp.id)});
            obs["code"] = {{"coding", json::array({Coding(kLoinc, "85354-9",
                                                          "Blood pressure panel with all children optional")})},
                           {"text", "Blood pressure"}};
            json components = json::array();
            for (const auto* x : {&sbp, &dbp}) {
              const VitalCode& c = CodeOf(x->kind);
              components.push_back({{"code", {{"coding", json::array({Coding(kLoinc, c.loinc, c.display)})}}},
                                    {"valueQuantity", Qty(x->value, c.unit_display, "mm[Hg]")}});
            }
            obs["component"] = components;
          } else {
            const VitalCode& c = CodeOf(v.kind);
            obs["id"] = FhirId("v-", v.id);
            obs["meta"] = {{"profile", json::array({Profile(*c.profile ? c.profile : "vitalsigns")})}};
            obs["identifier"] = json::array({Ident("vital", v.id)});
            json codings = json::array({Coding(kLoinc, c.loinc, c.display)});
            if (v.kind == domain::VitalKind::kSpO2) {
              codings.push_back(Coding(kLoinc, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"));
            }
            obs["code"] = {{"coding", codings}, {"text", c.display}};
            obs["valueQuantity"] = Qty(v.value, c.unit_display, domain::VitalKindUnit(v.kind));
          }
          observations.Put(obs);
          ++n.observations;
        }

        KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
        for (const auto& e : events) {
          // R4 AdverseEvent.severity is mild | moderate | severe; a
          // life-threatening event is "severe" and serious, with the SNOMED
          // CT "life threatening severity" concept in seriousness.
          const bool life = e.severity == domain::AeSeverity::kLifeThreatening;
          const std::string sev = life ? "severe" : std::string(domain::AeSeverityName(e.severity));
          json seriousness = json::array(
              {Coding("http://terminology.hl7.org/CodeSystem/adverse-event-seriousness", life ? "serious" : "non-serious",
                      life ? "Serious" : "Non-serious")});
          if (life) seriousness.push_back(Coding(kSnomed, "442452003", "Life threatening severity"));
          json ae{{"resourceType", "AdverseEvent"},
                  {"id", FhirId("", e.id)},
                  {"identifier", Ident("adverse-event", e.id)},
                  {"actuality", "actual"},
                  {"event", {{"coding", json::array({Coding("urn:kira:adverse-event-type", e.type)})}, {"text", S(e.type)}}},
                  {"subject", Ref("Patient", pid)},
                  {"encounter", Ref("Encounter", eid)},
                  {"date", Time(e.at)},
                  {"seriousness", {{"coding", seriousness}}},
                  {"severity",
                   {{"coding", json::array({Coding("http://terminology.hl7.org/CodeSystem/adverse-event-severity", sev,
                                                   sev == "mild" ? "Mild" : sev == "moderate" ? "Moderate" : "Severe")})}}}};
          ae["suspectEntity"] = json::array(
              {{{"instance", s.given_dose ? Ref("MedicationAdministration", eid)
                                          : json{{"display", drug ? std::string(drug->rxnorm_display) : "ketamine"}}}}});
          if (!e.rescue_given.empty()) {
            ae["extension"] = json::array({{{"url", Ext("rescue-given")}, {"valueString", S(e.rescue_given)}}});
          }
          aes.Put(ae);
          ++n.adverse_events;
        }
      }
      KIRA_ASSIGN_OR_RETURN(auto assessments, tx->ListAssessments(clinic_id, p.id));
      for (const auto& a : assessments) {
        json codings = json::array();
        const instruments::Instrument* ins = options.instruments ? options.instruments->Find(a.instrument) : nullptr;
        if (ins && !ins->loinc_total.empty()) codings.push_back(Coding(kLoinc, ins->loinc_total, ins->name + " total score"));
        codings.push_back(Coding("urn:kira:instrument", a.instrument));
        json obs{{"resourceType", "Observation"},
                 {"id", FhirId("a-", a.id)},
                 {"identifier", json::array({Ident("assessment", a.id)})},
                 {"status", "final"},
                 {"category", json::array({{{"coding", json::array({Coding(
                                                            "http://terminology.hl7.org/CodeSystem/observation-category",
                                                            "survey", "Survey")})}}})},
                 {"code", {{"coding", codings}}},
                 {"subject", Ref("Patient", pid)},
                 {"effectiveDateTime", Time(a.at)},
                 {"valueQuantity", Qty(a.total, "{score}", "{score}")}};
        if (!a.scoring_version.empty()) {
          obs["extension"] = json::array({{{"url", Ext("scoring-version")}, {"valueString", S(a.scoring_version)}}});
        }
        if (!a.session_id.empty()) obs["encounter"] = Ref("Encounter", FhirId("", a.session_id));
        json items = json::array();
        for (std::size_t i = 0; i < a.item_scores.size(); ++i) {
          json item_codes = json::array();
          if (ins && i < ins->items.size() && !ins->items[i].loinc.empty()) {
            item_codes.push_back(Coding(kLoinc, ins->items[i].loinc));
          }
          item_codes.push_back(Coding("urn:kira:instrument-item", a.instrument + "." + std::to_string(i + 1)));
          items.push_back({{"code", {{"coding", item_codes}}}, {"valueInteger", a.item_scores[i]}});
        }
        if (!items.empty()) obs["component"] = items;
        observations.Put(obs);
        ++n.observations;
      }
    }
    page.after_id = batch.back().id;
  }
  KIRA_RETURN_IF_ERROR(staged.Commit());
  return n;
}

}  // namespace kira::interop
