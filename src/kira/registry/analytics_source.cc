#include "kira/registry/analytics_source.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kira::registry {

namespace {

constexpr double kMicrosPerDay = 86400.0 * 1e6;
constexpr std::uint32_t kNone = ~std::uint32_t{0};

struct PendingSession {
  std::uint32_t patient = 0;
  std::uint32_t protocol = 0;  // index into Collector::protocol_names
  analytics::CohortSession s;
};

struct PendingScore {
  std::uint32_t patient = 0;
  analytics::CohortScore s;
};

// Receives one clinic at a time from Transaction::ScanCohortColumns and
// keeps only numbers and small indices: patient and protocol ids are
// interned, session keys mapped to positions without string keys.
class Collector : public storage::CohortColumnsSink {
 public:
  void BeginClinic(std::string clinic) {
    clinic_ = std::move(clinic);
    ids_.clear();
    id_end_.clear();
    id_hash_.clear();
    slots_.assign(1024, 0);
    clinic_patients_begin_ = static_cast<std::uint32_t>(patient_indication.size());
    clinic_sessions_begin_ = sessions.size();
    keys_.clear();
    dense_.clear();
    sorted_.clear();
    lookup_built_ = false;
    last_patient_ = kNone;
  }

  void Patient(std::string_view id, std::string_view indication) override {
    if (PatientIndex(id) != kNone) return;  // unreachable: ids are unique per clinic
    const auto local = static_cast<std::uint32_t>(id_end_.size());
    ids_.append(id);
    id_end_.push_back(static_cast<std::uint32_t>(ids_.size()));
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    id_hash_.push_back(h);
    if (2 * (id_end_.size() + 1) > slots_.size()) Rehash(2 * slots_.size());
    Place(h, local);
    patient_indication.emplace_back(indication);
    patient_clinic.push_back(clinic_);
  }

  void Session(std::int64_t key, std::string_view patient_id, std::string_view protocol_id, std::int64_t started_at_us,
               std::optional<double> given_dose_mg, double dosing_weight_kg, domain::SessionState state) override {
    const std::uint32_t patient = PatientIndex(patient_id);
    if (patient == kNone) return;  // unreachable with foreign keys
    PendingSession ps;
    ps.patient = patient;
    ps.protocol = Protocol(protocol_id);
    ps.s.start_day = static_cast<double>(started_at_us) / kMicrosPerDay;
    ps.s.administered = given_dose_mg.has_value();
    if (ps.s.administered && dosing_weight_kg > 0) ps.s.mg_per_kg = *given_dose_mg / dosing_weight_kg;
    ps.s.completed = state == domain::SessionState::kDischarged;
    keys_.push_back(key);
    sessions.push_back(ps);
  }

  void AdverseEvent(std::int64_t session_key, std::string_view type) override {
    const std::size_t i = Find(session_key);
    if (i == kNone) return;
    auto cls = ae_index.find(type);
    if (cls == ae_index.end()) cls = ae_index.emplace(std::string(type), static_cast<std::uint32_t>(ae_index.size())).first;
    if (cls->second >= static_cast<std::uint32_t>(analytics::kMaxAeClasses)) {
      too_many_classes = true;
      return;
    }
    sessions[i].s.ae_mask |= std::uint64_t{1} << cls->second;
  }

  void Override(std::int64_t session_key) override {
    const std::size_t i = Find(session_key);
    if (i != kNone) sessions[i].s.cap_override = true;
  }

  void Assessment(std::string_view patient_id, std::int64_t at_us, double total) override {
    const std::uint32_t patient = PatientIndex(patient_id);
    if (patient == kNone) return;
    scores.push_back({patient, {static_cast<double>(at_us) / kMicrosPerDay, total}});
  }

  std::vector<std::string> patient_indication;
  std::vector<std::string> patient_clinic;
  std::vector<std::string> protocol_names;
  std::vector<PendingSession> sessions;
  std::vector<PendingScore> scores;
  std::map<std::string, std::uint32_t, std::less<>> ae_index;
  bool too_many_classes = false;

 private:
  // Rows of one patient often come together (rowid order follows entry
  // order): the last lookup is checked before the hash table.
  std::uint32_t PatientIndex(std::string_view id) {
    if (last_patient_ != kNone && id == IdOf(last_patient_ - clinic_patients_begin_)) return last_patient_;
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    const std::uint64_t tag = h >> 32;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
      const std::uint64_t slot = slots_[i];
      if (slot == 0) return kNone;
      if ((slot >> 32) == tag) {
        const auto local = static_cast<std::uint32_t>(slot) - 1;
        if (IdOf(local) == id) return last_patient_ = clinic_patients_begin_ + local;
      }
    }
  }

  // Patient ids of the clinic: one arena, and an open-addressing table of
  // (hash tag, index + 1) slots: one probe and one key compare per lookup.
  std::string_view IdOf(std::uint32_t local) const {
    const std::uint32_t begin = local == 0 ? 0 : id_end_[local - 1];
    return std::string_view(ids_).substr(begin, id_end_[local] - begin);
  }
  void Place(std::uint64_t h, std::uint32_t local) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = ((h >> 32) << 32) | (local + 1);
  }
  void Rehash(std::size_t size) {
    slots_.assign(size, 0);
    for (std::uint32_t j = 0; j + 1 < id_end_.size(); ++j) Place(id_hash_[j], j);  // the newest is placed by the caller
  }

  std::uint32_t Protocol(std::string_view id) {
    if (last_protocol_ != kNone && protocol_names[last_protocol_] == id) return last_protocol_;
    auto it = protocol_index_.find(id);
    if (it == protocol_index_.end()) {
      it = protocol_index_.emplace(std::string(id), static_cast<std::uint32_t>(protocol_names.size())).first;
      protocol_names.emplace_back(id);
    }
    return last_protocol_ = it->second;
  }

  // Position in `sessions` of this clinic's session `key`, or kNone. Dense
  // keys (SQLite rowids, the default scan's ordinals) index a vector;
  // sparse ones are binary-searched.
  std::size_t Find(std::int64_t key) {
    if (!lookup_built_) BuildLookup();
    if (!dense_.empty() || sorted_.empty()) {
      if (key < min_key_ || key - min_key_ >= static_cast<std::int64_t>(dense_.size())) return kNone;
      const std::uint32_t i = dense_[static_cast<std::size_t>(key - min_key_)];
      return i == kNone ? kNone : clinic_sessions_begin_ + i;
    }
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::pair{key, std::uint32_t{0}});
    if (it == sorted_.end() || it->first != key) return kNone;
    return clinic_sessions_begin_ + it->second;
  }

  void BuildLookup() {
    lookup_built_ = true;
    if (keys_.empty()) return;
    const auto [lo, hi] = std::minmax_element(keys_.begin(), keys_.end());
    min_key_ = *lo;
    const auto span = static_cast<std::uint64_t>(*hi - *lo) + 1;
    if (span <= 4 * keys_.size() + 1024) {
      dense_.assign(span, kNone);
      for (std::size_t i = 0; i < keys_.size(); ++i) dense_[static_cast<std::size_t>(keys_[i] - min_key_)] = static_cast<std::uint32_t>(i);
    } else {
      sorted_.reserve(keys_.size());
      for (std::size_t i = 0; i < keys_.size(); ++i) sorted_.emplace_back(keys_[i], static_cast<std::uint32_t>(i));
      std::sort(sorted_.begin(), sorted_.end());
    }
  }

  std::string clinic_;
  std::string ids_;                    // this clinic's patient ids, back to back
  std::vector<std::uint32_t> id_end_;  // end of each id in ids_
  std::vector<std::uint64_t> id_hash_;
  std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(1024, 0);  // size: a power of two
  std::uint32_t clinic_patients_begin_ = 0;
  std::uint32_t last_patient_ = kNone;
  std::map<std::string, std::uint32_t, std::less<>> protocol_index_;
  std::uint32_t last_protocol_ = kNone;
  std::size_t clinic_sessions_begin_ = 0;
  std::vector<std::int64_t> keys_;  // per session of this clinic, in arrival order
  bool lookup_built_ = false;
  std::int64_t min_key_ = 0;
  std::vector<std::uint32_t> dense_;
  std::vector<std::pair<std::int64_t, std::uint32_t>> sorted_;
};

// Groups `items` by patient (a counting sort, O(n)) and orders each
// patient's run by time (insertion sort: runs are short and mostly in
// order); stable. first[p] is where patient p's run starts; first[n] = size.
template <class T, class Time>
std::vector<T> ByPatient(std::vector<T>& items, std::size_t patients, std::vector<std::uint32_t>& first, Time time) {
  first.assign(patients + 1, 0);
  for (const T& x : items) ++first[x.patient + 1];
  for (std::size_t p = 0; p < patients; ++p) first[p + 1] += first[p];
  std::vector<T> out(items.size());
  std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
  for (T& x : items) out[next[x.patient]++] = x;
  items.clear();
  items.shrink_to_fit();
  for (std::size_t p = 0; p < patients; ++p) {
    for (std::uint32_t i = first[p] + 1; i < first[p + 1]; ++i) {
      T x = out[i];
      std::uint32_t j = i;
      for (; j > first[p] && time(out[j - 1]) > time(x); --j) out[j] = out[j - 1];
      out[j] = x;
    }
  }
  return out;
}

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

  Collector col;
  for (const domain::Clinic& clinic : clinics) {
    col.BeginClinic(clinic.id);
    Status s = tx->ScanCohortColumns(clinic.id, q.instrument, q.cap_rule_id, col, q.page_size);
    if (!s.ok()) return s.WithContext("reading clinic '" + clinic.id + "'");
    if (col.too_many_classes) {
      return FailedPreconditionError("more than " + std::to_string(analytics::kMaxAeClasses) +
                                     " adverse-event classes");
    }
  }

  analytics::Cohort cohort;
  cohort.dimension = q.dimension;
  // AE classes in name order, so reports are stable; remap the masks.
  std::vector<std::uint32_t> remap(col.ae_index.size());
  for (const auto& [name, idx] : col.ae_index) {
    remap[idx] = static_cast<std::uint32_t>(cohort.ae_classes.size());
    cohort.ae_classes.push_back(name);
  }
  // Per protocol: the guideline's protocol (route, series length), looked up once.
  std::vector<const guideline::Protocol*> proto(col.protocol_names.size());
  for (std::size_t i = 0; i < proto.size(); ++i) proto[i] = library.FindProtocol(col.protocol_names[i]);
  auto route_of = [&](std::uint32_t p) { return proto[p] != nullptr ? proto[p]->route : std::string("unknown"); };

  const std::size_t all = col.patient_indication.size();
  std::vector<std::uint32_t> sfirst, cfirst;
  std::vector<PendingSession> sessions =
      ByPatient(col.sessions, all, sfirst, [](const PendingSession& x) { return x.s.start_day; });
  std::vector<PendingScore> scores =
      ByPatient(col.scores, all, cfirst, [](const PendingScore& x) { return x.s.day; });

  // Filters: decided on the patient's indication and first session.
  const bool session_filter = !q.protocol.empty() || !q.route.empty() || q.from_day || q.to_day;
  std::vector<char> keep(all, 1);
  for (std::size_t i = 0; i < all; ++i) {
    if (!q.indication.empty() && col.patient_indication[i] != q.indication) keep[i] = 0;
    if (!keep[i] || !session_filter) continue;
    if (sfirst[i] == sfirst[i + 1]) {
      keep[i] = 0;
      continue;
    }
    const PendingSession& f = sessions[sfirst[i]];
    keep[i] = (q.protocol.empty() || col.protocol_names[f.protocol] == q.protocol) &&
              (q.route.empty() || route_of(f.protocol) == q.route) && (!q.from_day || f.s.start_day >= *q.from_day) &&
              (!q.to_day || f.s.start_day < *q.to_day);
  }

  cohort.sessions.reserve(sessions.size());
  cohort.scores.reserve(scores.size());
  std::map<std::string, std::uint32_t> group_index;
  std::vector<std::string> group_of;
  for (std::size_t i = 0; i < all; ++i) {
    if (!keep[i]) continue;
    analytics::CohortPatient p;
    p.first_session = static_cast<std::uint32_t>(cohort.sessions.size());
    p.session_count = sfirst[i + 1] - sfirst[i];
    p.first_score = static_cast<std::uint32_t>(cohort.scores.size());
    p.score_count = cfirst[i + 1] - cfirst[i];
    std::string group;
    if (p.session_count > 0) {
      const std::uint32_t fp = sessions[sfirst[i]].protocol;
      const guideline::Protocol* pr = proto[fp];
      p.series_length = pr != nullptr && pr->sessions_in_series > 0 ? static_cast<std::uint32_t>(pr->sessions_in_series) : 1;
      if (q.plans != nullptr && pr != nullptr) {
        const advisor::PlanTemplate* plan = q.plans->TemplateFor(col.patient_indication[i], pr->route);
        if (plan != nullptr && plan->InductionSessions() > 0) {
          p.series_length = static_cast<std::uint32_t>(plan->InductionSessions());
        }
      }
      if (q.dimension == "protocol") group = col.protocol_names[fp];
      if (q.dimension == "route") group = route_of(fp);
    }
    if (q.dimension == "indication") group = col.patient_indication[i];
    if (q.dimension == "clinic") group = col.patient_clinic[i];
    if (group.empty()) group = "(no sessions)";
    group_index.emplace(group, 0);
    group_of.push_back(std::move(group));
    for (std::uint32_t j = sfirst[i]; j < sfirst[i + 1]; ++j) {
      analytics::CohortSession x = sessions[j].s;
      std::uint64_t mask = 0;
      for (std::uint64_t m = x.ae_mask; m != 0; m &= m - 1) {
        mask |= std::uint64_t{1} << remap[static_cast<std::size_t>(std::countr_zero(m))];
      }
      x.ae_mask = mask;
      cohort.sessions.push_back(x);
    }
    for (std::uint32_t j = cfirst[i]; j < cfirst[i + 1]; ++j) cohort.scores.push_back(scores[j].s);
    cohort.patients.push_back(p);
  }
  for (auto& [name, idx] : group_index) {
    idx = static_cast<std::uint32_t>(cohort.group_names.size());
    cohort.group_names.push_back(name);
  }
  for (std::size_t i = 0; i < cohort.patients.size(); ++i) cohort.patients[i].group = group_index[group_of[i]];
  return cohort;
}

}  // namespace kira::registry
