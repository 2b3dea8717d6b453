#include "kira/storage/store.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace kira::storage {

namespace {

// Calls fetch(page) until a short page; `each` sees every row.
template <class Fetch, class Each>
Status ForEachPage(int page_size, Fetch fetch, Each each) {
  Page page{"", page_size};
  while (true) {
    auto rows = fetch(page);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    for (const auto& r : *rows) each(r);
    page.after_id = rows->back().id;
    if (static_cast<int>(rows->size()) < page_size) return Status::Ok();
  }
}

}  // namespace

StatusOr<Transaction::PatientWithIdentity> Transaction::GetPatientWithIdentity(std::string_view clinic_id,
                                                                              std::string_view id) {
  PatientWithIdentity out;
  KIRA_ASSIGN_OR_RETURN(out.record, GetPatient(clinic_id, id));
  StatusOr<domain::PatientIdentity> identity = GetPatientIdentity(clinic_id, id);
  if (identity.ok()) {
    out.identity = std::move(*identity);
  } else if (!identity.status().IsNotFound()) {
    return identity.status();
  }
  return out;
}

Status Transaction::ScanCohortColumns(std::string_view clinic_id, std::string_view instrument,
                                      std::string_view override_rule_id, CohortColumnsSink& sink, int page_size) {
  if (page_size <= 0) return InvalidArgumentError("page_size: must be > 0");
  Status s = ForEachPage(
      page_size, [&](const Page& p) { return ListPatients(clinic_id, p); },
      [&](const domain::PatientRecord& r) { sink.Patient(r.id, r.indication); });
  if (!s.ok()) return s.WithContext("reading patients of clinic '" + std::string(clinic_id) + "'");
  std::unordered_map<std::string, std::int64_t> key_of;
  s = ForEachPage(
      page_size, [&](const Page& p) { return ListSessions(clinic_id, p); },
      [&](const domain::SessionRecord& r) {
        const auto key = static_cast<std::int64_t>(key_of.size());
        key_of.emplace(r.id, key);
        sink.Session(key, r.patient_id, r.protocol_id, domain::ToUnixMicros(r.started_at),
                     r.given_dose ? std::optional<double>(units::ToMg(*r.given_dose)) : std::nullopt,
                     units::ToKg(r.dosing_weight), r.state);
      });
  if (!s.ok()) return s.WithContext("reading sessions of clinic '" + std::string(clinic_id) + "'");
  s = ForEachPage(
      page_size, [&](const Page& p) { return ScanAdverseEvents(clinic_id, p); },
      [&](const domain::AdverseEvent& e) {
        auto it = key_of.find(e.session_id);
        if (it != key_of.end()) sink.AdverseEvent(it->second, e.type);
      });
  if (!s.ok()) return s.WithContext("reading adverse events of clinic '" + std::string(clinic_id) + "'");
  s = ForEachPage(
      page_size, [&](const Page& p) { return ScanOverrides(clinic_id, p); },
      [&](const domain::OverrideRecord& o) {
        auto it = key_of.find(o.session_id);
        if (it != key_of.end() &&
            std::find(o.rule_ids.begin(), o.rule_ids.end(), override_rule_id) != o.rule_ids.end()) {
          sink.Override(it->second);
        }
      });
  if (!s.ok()) return s.WithContext("reading overrides of clinic '" + std::string(clinic_id) + "'");
  s = ForEachPage(
      page_size, [&](const Page& p) { return ScanAssessments(clinic_id, p); },
      [&](const domain::Assessment& a) {
        if (a.instrument == instrument) sink.Assessment(a.patient_id, domain::ToUnixMicros(a.at), a.total);
      });
  if (!s.ok()) return s.WithContext("reading assessments of clinic '" + std::string(clinic_id) + "'");
  return Status::Ok();
}

}  // namespace kira::storage
