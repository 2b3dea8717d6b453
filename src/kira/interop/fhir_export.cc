#include "kira/interop/fhir_export.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "kira/domain/records.h"

namespace kira::interop {

namespace {

using nlohmann::json;

constexpr char kLoinc[] = "http://loinc.org";
constexpr char kUcum[] = "http://unitsofmeasure.org";
constexpr char kRxNorm[] = "http://www.nlm.nih.gov/research/umls/rxnorm";

struct VitalCode {
  domain::VitalKind kind;
  const char* loinc;
  const char* display;
};
// FHIR R4 vital-signs value set (observation-vitalsignresult): 8480-6,
// 8462-4 and 9279-1 seen in the spec page (V); 8867-4 and 59408-5 from the
// same value set, not re-read during development (S).
constexpr VitalCode kVitalCodes[] = {
    {domain::VitalKind::kSystolicBp, "8480-6", "Systolic blood pressure"},
    {domain::VitalKind::kDiastolicBp, "8462-4", "Diastolic blood pressure"},
    {domain::VitalKind::kHeartRate, "8867-4", "Heart rate"},
    {domain::VitalKind::kSpO2, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"},
    {domain::VitalKind::kRespRate, "9279-1", "Respiratory rate"},
};

json Coding(const char* system, std::string_view code, std::string_view display) {
  return json{{"system", system}, {"code", code}, {"display", display}};
}
json Ref(const char* type, const std::string& id) { return json{{"reference", std::string(type) + "/" + id}}; }
// FHIR resource ids allow [A-Za-z0-9\-.]{1,64}; kira ids may contain '/'.
std::string FhirId(const std::string& id) {
  std::string out;
  for (char c : id) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '-';
  return out.substr(0, 64);
}
std::string Time(domain::Instant t) { return domain::FormatInstant(t); }

class Writer {
 public:
  Status Open(const std::filesystem::path& path) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) return InvalidArgumentError("--fhir: cannot write '" + path.string() + "'");
    return Status::Ok();
  }
  void Put(const json& j) { out_ << j.dump() << '\n'; }
  Status Close(const std::filesystem::path& path) {
    out_.close();
    if (!out_) return InternalError("writing '" + path.string() + "' failed");
    return Status::Ok();
  }

 private:
  std::ofstream out_;
};

}  // namespace

StatusOr<FhirExportCounts> ExportFhir(storage::Store& store, std::string_view clinic_id, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgumentError("--fhir: cannot create directory '" + dir + "': " + ec.message());
  const std::filesystem::path base(dir);
  const char* kTypes[] = {"Patient", "Encounter", "MedicationAdministration", "Observation", "AdverseEvent"};
  Writer w[5];
  for (int i = 0; i < 5; ++i) KIRA_RETURN_IF_ERROR(w[i].Open(base / (std::string(kTypes[i]) + ".ndjson")));
  Writer& patients = w[0];
  Writer& encounters = w[1];
  Writer& meds = w[2];
  Writer& observations = w[3];
  Writer& aes = w[4];

  FhirExportCounts n;
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListPatients(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& p : batch) {
      const std::string pid = FhirId(p.id);
      patients.Put({{"resourceType", "Patient"},
                    {"id", pid},
                    {"identifier", json::array({{{"system", "urn:kira:clinic:" + std::string(clinic_id) + ":patient"},
                                                 {"value", p.id}}})},
                    {"gender", p.sex},
                    {"birthDate", std::to_string(p.birth_year)}});
      ++n.patients;

      KIRA_ASSIGN_OR_RETURN(auto sessions, tx->ListPatientSessions(clinic_id, p.id));
      for (const auto& s : sessions) {
        const std::string eid = FhirId(s.id);
        json period{{"start", Time(s.started_at)}};
        if (s.stopped_at) period["end"] = Time(*s.stopped_at);
        const bool done = s.state == domain::SessionState::kDischarged || s.state == domain::SessionState::kStopped;
        encounters.Put({{"resourceType", "Encounter"},
                        {"id", eid},
                        {"status", done ? "finished" : "in-progress"},
                        {"class", Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")},
                        {"type", json::array({{{"text", "ketamine infusion session (protocol " + s.protocol_id + ")"}}})},
                        {"subject", Ref("Patient", pid)},
                        {"period", period}});
        ++n.encounters;
        if (s.given_dose) {
          meds.Put({{"resourceType", "MedicationAdministration"},
                    {"id", eid + "-ketamine"},
                    {"status", s.state == domain::SessionState::kStopped ? "stopped" : "completed"},
                    {"medicationCodeableConcept",
                     {{"coding", json::array({Coding(kRxNorm, kRxNormKetamine, "ketamine")})}, {"text", "ketamine"}}},
                    {"subject", Ref("Patient", pid)},
                    {"context", Ref("Encounter", eid)},
                    {"effectivePeriod", period},
                    {"dosage",
                     {{"route", {{"text", "intravenous"}}},
                      {"dose", {{"value", units::ToMg(*s.given_dose)}, {"unit", "mg"}, {"system", kUcum}, {"code", "mg"}}},
                      {"rateQuantity",
                       {{"value", units::ToMlPerH(s.rate)}, {"unit", "mL/h"}, {"system", kUcum}, {"code", "mL/h"}}}}}});
          ++n.medication_administrations;
        }
        KIRA_ASSIGN_OR_RETURN(auto vitals, tx->ListVitals(clinic_id, s.id));
        for (const auto& v : vitals) {
          const VitalCode* code = nullptr;
          for (const auto& c : kVitalCodes) code = c.kind == v.kind ? &c : code;
          if (!code) continue;
          const std::string unit(domain::VitalKindUnit(v.kind));
          observations.Put(
              {{"resourceType", "Observation"},
               {"id", FhirId(v.id)},
               {"status", "final"},
               {"category", json::array({{{"coding", json::array({Coding(
                                                          "http://terminology.hl7.org/CodeSystem/observation-category",
                                                          "vital-signs", "Vital Signs")})}}})},
               {"code", {{"coding", json::array({Coding(kLoinc, code->loinc, code->display)})}}},
               {"subject", Ref("Patient", pid)},
               {"encounter", Ref("Encounter", eid)},
               {"effectiveDateTime", Time(v.at)},
               {"valueQuantity", {{"value", v.value}, {"unit", unit}, {"system", kUcum}, {"code", unit}}}});
          ++n.observations;
        }
        KIRA_ASSIGN_OR_RETURN(auto events, tx->ListAdverseEvents(clinic_id, s.id));
        for (const auto& e : events) {
          // R4 AdverseEvent.severity is mild | moderate | severe; a
          // life-threatening event is "severe" plus seriousness.
          const std::string sev = e.severity == domain::AeSeverity::kLifeThreatening
                                      ? "severe"
                                      : std::string(domain::AeSeverityName(e.severity));
          json ae{{"resourceType", "AdverseEvent"},
                  {"id", FhirId(e.id)},
                  {"actuality", "actual"},
                  {"event", {{"text", e.type}}},
                  {"subject", Ref("Patient", pid)},
                  {"encounter", Ref("Encounter", eid)},
                  {"date", Time(e.at)},
                  {"severity",
                   {{"coding", json::array({Coding("http://terminology.hl7.org/CodeSystem/adverse-event-severity", sev, sev)})}}},
                  {"suspectEntity", json::array({{{"instance", {{"display", "ketamine"}}}}})}};
          if (!e.rescue_given.empty()) ae["extension"] = json::array({{{"url", "urn:kira:rescue-given"}, {"valueString", e.rescue_given}}});
          aes.Put(ae);
          ++n.adverse_events;
        }
      }
      KIRA_ASSIGN_OR_RETURN(auto assessments, tx->ListAssessments(clinic_id, p.id));
      for (const auto& a : assessments) {
        if (a.instrument != "phq9") continue;  // only PHQ-9 has a LOINC code in clinical-reference.md
        json obs{{"resourceType", "Observation"},
                 {"id", FhirId(a.id)},
                 {"status", "final"},
                 {"category", json::array({{{"coding", json::array({Coding(
                                                            "http://terminology.hl7.org/CodeSystem/observation-category",
                                                            "survey", "Survey")})}}})},
                 {"code", {{"coding", json::array({Coding(kLoinc, "44261-6",
                                                          "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]")})}}},
                 {"subject", Ref("Patient", pid)},
                 {"effectiveDateTime", Time(a.at)},
                 {"valueQuantity", {{"value", a.total}, {"unit", "{score}"}, {"system", kUcum}, {"code", "{score}"}}}};
        if (!a.session_id.empty()) obs["encounter"] = Ref("Encounter", FhirId(a.session_id));
        observations.Put(obs);
        ++n.observations;
      }
    }
    page.after_id = batch.back().id;
  }
  for (int i = 0; i < 5; ++i) KIRA_RETURN_IF_ERROR(w[i].Close(base / (std::string(kTypes[i]) + ".ndjson")));
  return n;
}

}  // namespace kira::interop
