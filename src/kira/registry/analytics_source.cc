#include "kira/registry/analytics_source.h"

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kira::registry {

namespace {

constexpr double kMicrosPerDay = 86400.0 * 1e6;

double Day(domain::Instant t) { return static_cast<double>(domain::ToUnixMicros(t)) / kMicrosPerDay; }

// Calls fetch(page) until it returns an empty page; `each` sees every row.
template <class Fetch, class Each>
Status ForEachPage(int page_size, Fetch fetch, Each each) {
  storage::Page page{"", page_size};
  while (true) {
    auto rows = fetch(page);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    for (const auto& r : *rows) each(r);
    page.after_id = rows->back().id;
    if (static_cast<int>(rows->size()) < page_size) return Status::Ok();
  }
}

struct PendingSession {
  std::uint32_t patient = 0;
  std::string protocol_id;
  analytics::CohortSession s;
};

}  // namespace

StatusOr<analytics::Cohort> LoadCohort(storage::Store& store, const guideline::Library& library,
                                       const CohortQuery& q) {
  if (q.dimension != "indication" && q.dimension != "protocol" && q.dimension != "route" &&
      q.dimension != "clinic") {
    return InvalidArgumentError("dimension: '" + q.dimension + "' is not indication, protocol, route or clinic");
  }
  if (q.page_size <= 0) return InvalidArgumentError("page_size: must be > 0");
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  std::vector<domain::Clinic> clinics;
  if (q.clinic_id.empty()) {
    KIRA_ASSIGN_OR_RETURN(clinics, tx->ListClinics());
  } else {
    KIRA_ASSIGN_OR_RETURN(auto c, tx->GetClinic(q.clinic_id));
    clinics.push_back(std::move(c));
  }

  analytics::Cohort cohort;
  cohort.dimension = q.dimension;
  std::map<std::string, std::uint32_t> group_index;
  std::map<std::string, std::uint32_t> ae_index;
  std::vector<std::string> patient_indication;
  std::vector<std::string> patient_clinic;
  std::vector<PendingSession> sessions;
  std::vector<std::pair<std::uint32_t, analytics::CohortScore>> scores;

  for (const domain::Clinic& clinic : clinics) {
    const std::string& cid = clinic.id;
    std::unordered_map<std::string, std::uint32_t> patient_of;
    Status s = ForEachPage(
        q.page_size, [&](const storage::Page& p) { return tx->ListPatients(cid, p); },
        [&](const domain::PatientRecord& r) {
          patient_of.emplace(r.id, static_cast<std::uint32_t>(patient_indication.size()));
          patient_indication.push_back(r.indication);
          patient_clinic.push_back(cid);
        });
    if (!s.ok()) return s.WithContext("reading patients of clinic '" + cid + "'");

    std::unordered_map<std::string, std::size_t> session_of;
    s = ForEachPage(
        q.page_size, [&](const storage::Page& p) { return tx->ListSessions(cid, p); },
        [&](const domain::SessionRecord& r) {
          auto it = patient_of.find(r.patient_id);
          if (it == patient_of.end()) return;  // unreachable with foreign keys
          PendingSession ps;
          ps.patient = it->second;
          ps.protocol_id = r.protocol_id;
          ps.s.start_day = Day(r.started_at);
          ps.s.administered = r.given_dose.has_value();
          if (ps.s.administered && units::ToKg(r.dosing_weight) > 0) {
            ps.s.mg_per_kg = units::ToMg(*r.given_dose) / units::ToKg(r.dosing_weight);
          }
          ps.s.completed = r.state == domain::SessionState::kDischarged;
          session_of.emplace(r.id, sessions.size());
          sessions.push_back(std::move(ps));
        });
    if (!s.ok()) return s.WithContext("reading sessions of clinic '" + cid + "'");

    Status bad = Status::Ok();
    s = ForEachPage(
        q.page_size, [&](const storage::Page& p) { return tx->ScanAdverseEvents(cid, p); },
        [&](const domain::AdverseEvent& e) {
          auto it = session_of.find(e.session_id);
          if (it == session_of.end()) return;
          auto [cls, added] = ae_index.emplace(e.type, static_cast<std::uint32_t>(ae_index.size()));
          if (cls->second >= static_cast<std::uint32_t>(analytics::kMaxAeClasses)) {
            bad = FailedPreconditionError("more than " + std::to_string(analytics::kMaxAeClasses) +
                                          " adverse-event classes");
            return;
          }
          sessions[it->second].s.ae_mask |= std::uint64_t{1} << cls->second;
        });
    if (!s.ok()) return s.WithContext("reading adverse events of clinic '" + cid + "'");
    KIRA_RETURN_IF_ERROR(bad);

    s = ForEachPage(
        q.page_size, [&](const storage::Page& p) { return tx->ScanOverrides(cid, p); },
        [&](const domain::OverrideRecord& o) {
          auto it = session_of.find(o.session_id);
          if (it == session_of.end()) return;
          if (std::find(o.rule_ids.begin(), o.rule_ids.end(), q.cap_rule_id) != o.rule_ids.end()) {
            sessions[it->second].s.cap_override = true;
          }
        });
    if (!s.ok()) return s.WithContext("reading overrides of clinic '" + cid + "'");

    s = ForEachPage(
        q.page_size, [&](const storage::Page& p) { return tx->ScanAssessments(cid, p); },
        [&](const domain::Assessment& a) {
          if (a.instrument != q.instrument) return;
          auto it = patient_of.find(a.patient_id);
          if (it == patient_of.end()) return;
          scores.push_back({it->second, {Day(a.at), static_cast<double>(a.total)}});
        });
    if (!s.ok()) return s.WithContext("reading assessments of clinic '" + cid + "'");
  }

  // AE classes in name order, so reports are stable; remap the masks.
  std::vector<std::uint32_t> remap(ae_index.size());
  for (const auto& [name, idx] : ae_index) {
    remap[idx] = static_cast<std::uint32_t>(cohort.ae_classes.size());
    cohort.ae_classes.push_back(name);
  }
  std::stable_sort(sessions.begin(), sessions.end(), [](const PendingSession& a, const PendingSession& b) {
    return a.patient != b.patient ? a.patient < b.patient : a.s.start_day < b.s.start_day;
  });
  std::stable_sort(scores.begin(), scores.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.day < b.second.day;
  });

  // Filters: decided on the patient's indication and first session, then the
  // kept patients are renumbered in order (sessions and scores stay sorted).
  const bool session_filter = !q.protocol.empty() || !q.route.empty() || q.from_day || q.to_day;
  if (session_filter || !q.indication.empty()) {
    const std::size_t all = patient_indication.size();
    std::vector<const PendingSession*> first(all, nullptr);
    for (const PendingSession& ps : sessions) {
      if (first[ps.patient] == nullptr) first[ps.patient] = &ps;
    }
    constexpr std::uint32_t kDropped = ~std::uint32_t{0};
    std::vector<std::uint32_t> renumber(all, kDropped);
    std::uint32_t kept = 0;
    for (std::size_t i = 0; i < all; ++i) {
      bool keep = q.indication.empty() || patient_indication[i] == q.indication;
      if (keep && session_filter) {
        const PendingSession* f = first[i];
        if (f == nullptr) {
          keep = false;
        } else {
          const guideline::Protocol* proto = library.FindProtocol(f->protocol_id);
          const std::string route = proto != nullptr ? proto->route : "unknown";
          keep = (q.protocol.empty() || f->protocol_id == q.protocol) && (q.route.empty() || route == q.route) &&
                 (!q.from_day || f->s.start_day >= *q.from_day) && (!q.to_day || f->s.start_day < *q.to_day);
        }
      }
      if (!keep) continue;
      renumber[i] = kept;
      if (kept != i) {
        patient_indication[kept] = std::move(patient_indication[i]);
        patient_clinic[kept] = std::move(patient_clinic[i]);
      }
      ++kept;
    }
    patient_indication.resize(kept);
    patient_clinic.resize(kept);
    std::erase_if(sessions, [&](PendingSession& ps) {
      ps.patient = renumber[ps.patient];
      return ps.patient == kDropped;
    });
    std::erase_if(scores, [&](auto& sc) {
      sc.first = renumber[sc.first];
      return sc.first == kDropped;
    });
  }

  const std::size_t n = patient_indication.size();
  cohort.patients.resize(n);
  std::vector<std::string> group_of(n);
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    PendingSession& ps = sessions[i];
    analytics::CohortPatient& p = cohort.patients[ps.patient];
    if (p.session_count == 0) {
      p.first_session = static_cast<std::uint32_t>(i);
      const guideline::Protocol* proto = library.FindProtocol(ps.protocol_id);
      p.series_length = proto != nullptr && proto->sessions_in_series > 0
                            ? static_cast<std::uint32_t>(proto->sessions_in_series)
                            : 1;
      if (q.plans != nullptr && proto != nullptr) {
        const advisor::PlanTemplate* plan = q.plans->TemplateFor(patient_indication[ps.patient], proto->route);
        if (plan != nullptr && plan->InductionSessions() > 0) {
          p.series_length = static_cast<std::uint32_t>(plan->InductionSessions());
        }
      }
      if (q.dimension == "protocol") group_of[ps.patient] = ps.protocol_id;
      if (q.dimension == "route") group_of[ps.patient] = proto != nullptr ? proto->route : "unknown";
    }
    ++p.session_count;
    std::uint64_t mask = 0;
    for (std::uint64_t m = ps.s.ae_mask; m != 0; m &= m - 1) {
      mask |= std::uint64_t{1} << remap[static_cast<std::size_t>(std::countr_zero(m))];
    }
    ps.s.ae_mask = mask;
    cohort.sessions.push_back(ps.s);
  }
  for (std::size_t i = 0; i < scores.size(); ++i) {
    analytics::CohortPatient& p = cohort.patients[scores[i].first];
    if (p.score_count == 0) p.first_score = static_cast<std::uint32_t>(i);
    ++p.score_count;
    cohort.scores.push_back(scores[i].second);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (q.dimension == "indication") group_of[i] = patient_indication[i];
    if (q.dimension == "clinic") group_of[i] = patient_clinic[i];
    if (group_of[i].empty()) group_of[i] = "(no sessions)";
    group_index.emplace(group_of[i], 0);
  }
  for (auto& [name, idx] : group_index) {
    idx = static_cast<std::uint32_t>(cohort.group_names.size());
    cohort.group_names.push_back(name);
  }
  for (std::size_t i = 0; i < n; ++i) cohort.patients[i].group = group_index[group_of[i]];
  return cohort;
}

}  // namespace kira::registry
