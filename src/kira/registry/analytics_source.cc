#include "kira/registry/analytics_source.h"

#include <algorithm>
#include <array>
#include <bit>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kira::registry {

namespace {

constexpr double kMicrosPerDay = 86400.0 * 1e6;
constexpr std::uint32_t kNone = ~std::uint32_t{0};

// Receives one clinic at a time from Transaction::ScanCohortColumns and
// keeps only numbers and small indices, column by column: patient and
// protocol ids are interned, session keys mapped to positions without
// string keys.
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
    keys_contiguous_ = true;
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
    if (indication != last_indication_) {
      last_indication_.assign(indication);
      indication_ref_ = std::make_shared<const std::string>(last_indication_);
    }
    patient_indication.push_back(indication_ref_);
    patient_clinic.push_back(clinic_);
  }

  void Session(std::int64_t key, std::string_view patient_id, std::string_view protocol_id, std::int64_t started_at_us,
               std::optional<double> given_dose_mg, double dosing_weight_kg, domain::SessionState state) override {
    SessionOf(key, PatientIndex(patient_id), protocol_id, started_at_us, given_dose_mg, dosing_weight_kg, state);
  }
  // Session() with the patient already resolved (kNone: unknown patient).
  void SessionOf(std::int64_t key, std::uint32_t patient, std::string_view protocol_id, std::int64_t started_at_us,
                 std::optional<double> given_dose_mg, double dosing_weight_kg, domain::SessionState state) {
    if (patient == kNone) return;  // unreachable with foreign keys
    analytics::CohortSession x;
    x.start_day = static_cast<double>(started_at_us) / kMicrosPerDay;
    x.administered = given_dose_mg.has_value();
    if (x.administered && dosing_weight_kg > 0) x.mg_per_kg = *given_dose_mg / dosing_weight_kg;
    x.completed = state == domain::SessionState::kDischarged;
    // Keys usually arrive ascending by one (SQLite rowids of rows entered
    // in order, the default scan's ordinals): then position = key - first.
    const std::size_t n = sessions.size() - clinic_sessions_begin_;
    if (keys_contiguous_ && n > 0 && key != first_key_ + static_cast<std::int64_t>(n)) {
      keys_contiguous_ = false;
      keys_.reserve(n + 1);
      for (std::size_t i = 0; i < n; ++i) keys_.push_back(first_key_ + static_cast<std::int64_t>(i));
    }
    if (n == 0) first_key_ = key;
    if (!keys_contiguous_) keys_.push_back(key);
    sessions.push_back(x);
    session_patient.push_back(patient);
    session_protocol.push_back(Protocol(protocol_id));
  }

  void AdverseEvent(std::int64_t session_key, std::string_view type) override {
    const std::size_t i = Find(session_key);
    if (i == kNone) return;
    if (last_ae_class_ == kNone || ae_names_[last_ae_class_] != type) {
      auto cls = ae_index.find(type);
      if (cls == ae_index.end()) {
        cls = ae_index.emplace(std::string(type), static_cast<std::uint32_t>(ae_index.size())).first;
        ae_names_.emplace_back(type);
      }
      last_ae_class_ = cls->second;
    }
    if (last_ae_class_ >= static_cast<std::uint32_t>(analytics::kMaxAeClasses)) {
      too_many_classes = true;
      return;
    }
    sessions[i].ae_mask |= std::uint64_t{1} << last_ae_class_;
  }

  void Override(std::int64_t session_key) override {
    const std::size_t i = Find(session_key);
    if (i != kNone) sessions[i].cap_override = true;
  }

  void Assessment(std::string_view patient_id, std::int64_t at_us, double total) override {
    AssessmentOf(PatientIndex(patient_id), at_us, total);
  }
  void AssessmentOf(std::uint32_t patient, std::int64_t at_us, double total) {
    if (patient == kNone) return;
    scores.push_back({static_cast<double>(at_us) / kMicrosPerDay, total});
    score_patient.push_back(patient);
  }

  // The patient of `id` (global index), or kNone.
  std::uint32_t PatientIndex(std::string_view id) {
    // Rows of one patient usually come together, and patients in the order
    // they were entered (rowid order follows entry order): the last patient
    // and the next one are checked before the hash table.
    if (last_patient_ != kNone) {
      const std::uint32_t local = last_patient_ - clinic_patients_begin_;
      if (id == IdOf(local)) return last_patient_;
      if (local + 1 < id_end_.size() && id == IdOf(local + 1)) return ++last_patient_;
    }
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

  // Per patient (global index): the indication (shared between patients
  // with the same one) and the clinic.
  std::vector<std::shared_ptr<const std::string>> patient_indication;
  std::vector<std::string> patient_clinic;
  std::vector<std::string> protocol_names;
  // Per session, in arrival order: the numbers, the patient and the protocol.
  std::vector<analytics::CohortSession> sessions;
  std::vector<std::uint32_t> session_patient;
  std::vector<std::uint32_t> session_protocol;
  // Per score, in arrival order.
  std::vector<analytics::CohortScore> scores;
  std::vector<std::uint32_t> score_patient;
  std::map<std::string, std::uint32_t, std::less<>> ae_index;
  bool too_many_classes = false;

 private:
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

  // Position in `sessions` of this clinic's session `key`, or kNone.
  // Contiguous keys: an offset; dense ones (SQLite rowids with gaps) index
  // a vector; sparse ones are binary-searched.
  std::size_t Find(std::int64_t key) {
    const std::size_t n = sessions.size() - clinic_sessions_begin_;
    if (keys_contiguous_) {
      if (key < first_key_ || key - first_key_ >= static_cast<std::int64_t>(n)) return kNone;
      return clinic_sessions_begin_ + static_cast<std::size_t>(key - first_key_);
    }
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
  std::string last_indication_;
  std::shared_ptr<const std::string> indication_ref_;
  std::string ids_;                    // this clinic's patient ids, back to back
  std::vector<std::uint32_t> id_end_;  // end of each id in ids_
  std::vector<std::uint64_t> id_hash_;
  std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(1024, 0);  // size: a power of two
  std::uint32_t clinic_patients_begin_ = 0;
  std::uint32_t last_patient_ = kNone;
  std::map<std::string, std::uint32_t, std::less<>> protocol_index_;
  std::uint32_t last_protocol_ = kNone;
  std::vector<std::string> ae_names_;  // by class index
  std::uint32_t last_ae_class_ = kNone;
  std::size_t clinic_sessions_begin_ = 0;
  bool keys_contiguous_ = true;
  std::int64_t first_key_ = 0;
  std::vector<std::int64_t> keys_;  // per session of this clinic, in arrival order, once not contiguous
  bool lookup_built_ = false;
  std::int64_t min_key_ = 0;
  std::vector<std::uint32_t> dense_;
  std::vector<std::pair<std::int64_t, std::uint32_t>> sorted_;
};

// ---- Reading on a second thread while collecting (overlap) ----
//
// The store's scan (SQLite stepping and decoding) runs on a reader thread
// into batches of plain rows; this thread replays them into the Collector.
// Batches are recycled (a few in flight), so the rows stay in cache. A
// patient or protocol id equal to the previous row's is not copied: the
// row says "same as before" and the Collector reuses its last answer.
struct Row {
  enum Kind : std::uint8_t { kClinic, kPatient, kSession, kAdverseEvent, kOverride, kAssessment };
  Kind kind = kClinic;
  bool same_patient = false;
  bool same_protocol = false;
  bool has_dose = false;
  domain::SessionState state = domain::SessionState::kPlanned;
  std::uint32_t s1 = 0, n1 = 0, s2 = 0, n2 = 0;  // strings: [s, s + n) of the batch's arena
  std::int64_t key = 0;
  std::int64_t at_us = 0;
  double x = 0, y = 0;  // session: dose, weight; assessment: total
};

struct Batch {
  std::vector<Row> rows;
  std::string arena;
  std::string_view Str(std::uint32_t s, std::uint32_t n) const { return std::string_view(arena).substr(s, n); }
};

class Pipe {
 public:
  static constexpr std::size_t kRows = 4096;
  static constexpr int kBatches = 8;

  Pipe() {
    for (auto& b : pool_) {
      b.rows.reserve(kRows);
      free_.push_back(&b);
    }
  }
  Batch* TakeFree() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !free_.empty(); });
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }
  void PushFull(Batch* b) {
    {
      std::lock_guard<std::mutex> l(mu_);
      full_.push_back(b);
    }
    cv_.notify_all();
  }
  void Close() {
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // The next full batch, or nullptr once closed and drained.
  Batch* TakeFull() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !full_.empty() || closed_; });
    if (full_.empty()) return nullptr;
    Batch* b = full_.front();
    full_.erase(full_.begin());
    return b;
  }
  void GiveBack(Batch* b) {
    b->rows.clear();
    b->arena.clear();
    {
      std::lock_guard<std::mutex> l(mu_);
      free_.push_back(b);
    }
    cv_.notify_all();
  }

 private:
  std::array<Batch, kBatches> pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch*> free_;
  std::vector<Batch*> full_;
  bool closed_ = false;
};

// The reader thread's sink: rows into batches.
class BatchingSink : public storage::CohortColumnsSink {
 public:
  explicit BatchingSink(Pipe& pipe) : pipe_(pipe) {}

  void Clinic(std::string_view id) {
    Row& r = Next(Row::kClinic);
    Put(id, r.s1, r.n1);
    last_patient_.clear();
    last_protocol_.clear();
    have_patient_ = have_protocol_ = false;
  }
  void Patient(std::string_view id, std::string_view indication) override {
    Row& r = Next(Row::kPatient);
    Put(id, r.s1, r.n1);
    Put(indication, r.s2, r.n2);
  }
  void Session(std::int64_t key, std::string_view patient_id, std::string_view protocol_id, std::int64_t started_at_us,
               std::optional<double> given_dose_mg, double dosing_weight_kg, domain::SessionState state) override {
    Row& r = Next(Row::kSession);
    PatientRef(r, patient_id);
    if (have_protocol_ && protocol_id == last_protocol_) {
      r.same_protocol = true;
    } else {
      Put(protocol_id, r.s2, r.n2);
      last_protocol_.assign(protocol_id);
      have_protocol_ = true;
    }
    r.key = key;
    r.at_us = started_at_us;
    r.has_dose = given_dose_mg.has_value();
    r.x = given_dose_mg.value_or(0);
    r.y = dosing_weight_kg;
    r.state = state;
  }
  void AdverseEvent(std::int64_t session_key, std::string_view type) override {
    Row& r = Next(Row::kAdverseEvent);
    r.key = session_key;
    Put(type, r.s1, r.n1);
  }
  void Override(std::int64_t session_key) override { Next(Row::kOverride).key = session_key; }
  void Assessment(std::string_view patient_id, std::int64_t at_us, double total) override {
    Row& r = Next(Row::kAssessment);
    PatientRef(r, patient_id);
    r.at_us = at_us;
    r.x = total;
  }
  void Flush() {
    if (cur_ != nullptr && !cur_->rows.empty()) pipe_.PushFull(cur_);
    else if (cur_ != nullptr) pipe_.GiveBack(cur_);
    cur_ = nullptr;
  }

 private:
  Row& Next(Row::Kind kind) {
    if (cur_ == nullptr || cur_->rows.size() == Pipe::kRows) {
      Flush();
      cur_ = pipe_.TakeFree();
    }
    Row& r = cur_->rows.emplace_back();
    r.kind = kind;
    return r;
  }
  void Put(std::string_view s, std::uint32_t& at, std::uint32_t& n) {
    at = static_cast<std::uint32_t>(cur_->arena.size());
    n = static_cast<std::uint32_t>(s.size());
    cur_->arena.append(s);
  }
  void PatientRef(Row& r, std::string_view id) {
    if (have_patient_ && id == last_patient_) {
      r.same_patient = true;
      return;
    }
    Put(id, r.s1, r.n1);
    last_patient_.assign(id);
    have_patient_ = true;
  }

  Pipe& pipe_;
  Batch* cur_ = nullptr;
  std::string last_patient_, last_protocol_;
  bool have_patient_ = false, have_protocol_ = false;
};

// Reads `clinics` through `tx` into `col`: on a reader thread when
// `overlap`, else directly. Stops at the first error.
Status ScanInto(storage::Transaction& tx, const std::vector<std::string>& clinics, const CohortQuery& q, Collector& col,
                bool overlap) {
  if (!overlap) {
    for (const std::string& clinic : clinics) {
      col.BeginClinic(clinic);
      Status s = tx.ScanCohortColumns(clinic, q.instrument, q.cap_rule_id, col, q.page_size);
      if (!s.ok()) return s.WithContext("reading clinic '" + clinic + "'");
      if (col.too_many_classes) break;
    }
    return Status::Ok();
  }
  Pipe pipe;
  Status read_status = Status::Ok();
  std::thread reader([&] {
    try {
      BatchingSink sink(pipe);
      for (const std::string& clinic : clinics) {
        sink.Clinic(clinic);
        Status s = tx.ScanCohortColumns(clinic, q.instrument, q.cap_rule_id, sink, q.page_size);
        if (!s.ok()) {
          read_status = s.WithContext("reading clinic '" + clinic + "'");
          break;
        }
      }
      sink.Flush();
    } catch (const std::exception& e) {
      read_status = InternalError(std::string("reading the registry: ") + e.what());
    }
    pipe.Close();
  });
  // If collecting fails (out of memory), the reader is still drained and
  // joined before the error goes on: it never waits on a batch forever.
  std::exception_ptr failure;
  try {
    std::uint32_t patient = kNone, protocol_row = 0;
    const Batch* protocol_batch = nullptr;
    std::string protocol;  // the last protocol id, when its batch is gone
    while (Batch* b = pipe.TakeFull()) {
      for (const Row& r : b->rows) {
        switch (r.kind) {
          case Row::kClinic:
            col.BeginClinic(std::string(b->Str(r.s1, r.n1)));
            patient = kNone;
            protocol_batch = nullptr;
            break;
          case Row::kPatient:
            col.Patient(b->Str(r.s1, r.n1), b->Str(r.s2, r.n2));
            break;
          case Row::kSession: {
            if (!r.same_patient) patient = col.PatientIndex(b->Str(r.s1, r.n1));
            if (!r.same_protocol) {
              protocol_batch = b;
              protocol_row = static_cast<std::uint32_t>(&r - b->rows.data());
            }
            std::string_view proto = protocol_batch == b ? b->Str(b->rows[protocol_row].s2, b->rows[protocol_row].n2)
                                                         : std::string_view(protocol);
            col.SessionOf(r.key, patient, proto, r.at_us, r.has_dose ? std::optional<double>(r.x) : std::nullopt, r.y,
                          r.state);
            break;
          }
          case Row::kAdverseEvent:
            col.AdverseEvent(r.key, b->Str(r.s1, r.n1));
            break;
          case Row::kOverride:
            col.Override(r.key);
            break;
          case Row::kAssessment:
            if (!r.same_patient) patient = col.PatientIndex(b->Str(r.s1, r.n1));
            col.AssessmentOf(patient, r.at_us, r.x);
            break;
        }
      }
      if (protocol_batch == b) {
        protocol.assign(b->Str(b->rows[protocol_row].s2, b->rows[protocol_row].n2));
        protocol_batch = nullptr;
      }
      pipe.GiveBack(b);
    }
  } catch (...) {
    failure = std::current_exception();
    while (Batch* b = pipe.TakeFull()) pipe.GiveBack(b);
  }
  reader.join();
  if (failure) std::rethrow_exception(failure);
  return read_status;
}

// Groups rows by patient, each patient's run in time order (ties: arrival
// order). Returns the order (indices into the rows), or an empty vector
// when the rows already are in that order; first[p] is where patient p's
// run starts, first[patients] = rows.
template <class Time>
std::vector<std::uint32_t> PatientOrder(const std::vector<std::uint32_t>& patient_of, std::size_t patients,
                                        std::vector<std::uint32_t>& first, Time time) {
  const std::size_t n = patient_of.size();
  first.assign(patients + 1, 0);
  bool ordered = true;
  for (std::uint32_t i = 0; i < n; ++i) {
    ++first[patient_of[i] + 1];
    if (i > 0 && (patient_of[i] < patient_of[i - 1] || (patient_of[i] == patient_of[i - 1] && time(i) < time(i - 1)))) {
      ordered = false;
    }
  }
  for (std::size_t p = 0; p < patients; ++p) first[p + 1] += first[p];
  if (ordered) return {};
  // Counting sort by patient (stable), then insertion sort of each run by
  // time (runs are short and mostly in order).
  std::vector<std::uint32_t> order(n);
  std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
  for (std::size_t i = 0; i < n; ++i) order[next[patient_of[i]]++] = static_cast<std::uint32_t>(i);
  for (std::size_t p = 0; p < patients; ++p) {
    for (std::uint32_t i = first[p] + 1; i < first[p + 1]; ++i) {
      const std::uint32_t x = order[i];
      std::uint32_t j = i;
      for (; j > first[p] && time(order[j - 1]) > time(x); --j) order[j] = order[j - 1];
      order[j] = x;
    }
  }
  return order;
}

}  // namespace

StatusOr<analytics::Cohort> LoadCohort(storage::Store& store, const guideline::Library& library,
                                       const CohortQuery& q) {
  if (q.dimension != "indication" && q.dimension != "protocol" && q.dimension != "route" &&
      q.dimension != "clinic") {
    return InvalidArgumentError("dimension: '" + q.dimension + "' is not indication, protocol, route or clinic");
  }
  if (q.page_size <= 0) return InvalidArgumentError("page_size: must be > 0");
  // A read transaction: no write lock is held while the registry is read
  // (SQLite: a reader connection on the WAL snapshot).
  KIRA_ASSIGN_OR_RETURN(auto tx, store.BeginRead());
  std::vector<domain::Clinic> clinics;
  if (q.clinic_id.empty()) {
    KIRA_ASSIGN_OR_RETURN(clinics, tx->ListClinics());
  } else {
    KIRA_ASSIGN_OR_RETURN(auto c, tx->GetClinic(q.clinic_id));
    clinics.push_back(std::move(c));
  }

  std::vector<std::string> clinic_ids;
  clinic_ids.reserve(clinics.size());
  for (domain::Clinic& c : clinics) clinic_ids.push_back(std::move(c.id));

  Collector col;
  KIRA_RETURN_IF_ERROR(ScanInto(*tx, clinic_ids, q, col, q.overlap_read && std::thread::hardware_concurrency() > 1));
  tx.reset();  // the snapshot is no longer needed
  if (col.too_many_classes) {
    return FailedPreconditionError("more than " + std::to_string(analytics::kMaxAeClasses) + " adverse-event classes");
  }

  analytics::Cohort cohort;
  cohort.dimension = q.dimension;
  // AE classes in name order, so reports are stable; remap the masks.
  std::vector<std::uint32_t> remap(col.ae_index.size());
  bool remap_identity = true;
  for (const auto& [name, idx] : col.ae_index) {
    remap[idx] = static_cast<std::uint32_t>(cohort.ae_classes.size());
    remap_identity = remap_identity && remap[idx] == idx;
    cohort.ae_classes.push_back(name);
  }
  // Per protocol: the guideline's protocol (route, series length), looked up once.
  std::vector<const guideline::Protocol*> proto(col.protocol_names.size());
  for (std::size_t i = 0; i < proto.size(); ++i) proto[i] = library.FindProtocol(col.protocol_names[i]);
  auto route_of = [&](std::uint32_t p) { return proto[p] != nullptr ? proto[p]->route : std::string("unknown"); };

  const std::size_t all = col.patient_indication.size();
  std::vector<std::uint32_t> sfirst, cfirst;
  const std::vector<std::uint32_t> sorder = PatientOrder(
      col.session_patient, all, sfirst, [&](std::uint32_t i) { return col.sessions[i].start_day; });
  const std::vector<std::uint32_t> corder =
      PatientOrder(col.score_patient, all, cfirst, [&](std::uint32_t i) { return col.scores[i].day; });
  // Position j of the patient-ordered sessions / scores -> arrival index.
  auto sat = [&](std::uint32_t j) { return sorder.empty() ? j : sorder[j]; };
  auto cat = [&](std::uint32_t j) { return corder.empty() ? j : corder[j]; };

  // Filters: decided on the patient's indication and first session.
  const bool session_filter = !q.protocol.empty() || !q.route.empty() || q.from_day || q.to_day;
  std::vector<char> keep(all, 1);
  bool keep_all = true;
  for (std::size_t i = 0; i < all; ++i) {
    if (!q.indication.empty() && *col.patient_indication[i] != q.indication) keep[i] = 0;
    if (keep[i] && session_filter) {
      if (sfirst[i] == sfirst[i + 1]) {
        keep[i] = 0;
      } else {
        const std::uint32_t f = sat(sfirst[i]);
        const std::uint32_t fp = col.session_protocol[f];
        const double day = col.sessions[f].start_day;
        keep[i] = (q.protocol.empty() || col.protocol_names[fp] == q.protocol) &&
                  (q.route.empty() || route_of(fp) == q.route) && (!q.from_day || day >= *q.from_day) &&
                  (!q.to_day || day < *q.to_day);
      }
    }
    keep_all = keep_all && keep[i];
  }

  // Sessions and scores in patient order: when every patient is kept and
  // the rows arrived in that order (the usual case), the collected columns
  // are the cohort's as they are.
  if (keep_all && sorder.empty()) {
    cohort.sessions = std::move(col.sessions);
  } else {
    cohort.sessions.reserve(col.sessions.size());
    for (std::size_t i = 0; i < all; ++i) {
      if (!keep[i]) continue;
      for (std::uint32_t j = sfirst[i]; j < sfirst[i + 1]; ++j) cohort.sessions.push_back(col.sessions[sat(j)]);
    }
  }
  if (keep_all && corder.empty()) {
    cohort.scores = std::move(col.scores);
  } else {
    cohort.scores.reserve(col.scores.size());
    for (std::size_t i = 0; i < all; ++i) {
      if (!keep[i]) continue;
      for (std::uint32_t j = cfirst[i]; j < cfirst[i + 1]; ++j) cohort.scores.push_back(col.scores[cat(j)]);
    }
  }
  if (!remap_identity) {
    for (analytics::CohortSession& x : cohort.sessions) {
      std::uint64_t mask = 0;
      for (std::uint64_t m = x.ae_mask; m != 0; m &= m - 1) {
        mask |= std::uint64_t{1} << remap[static_cast<std::size_t>(std::countr_zero(m))];
      }
      x.ae_mask = mask;
    }
  }

  // Patients, with their group; group names in name order.
  std::map<std::string, std::uint32_t> group_index;
  std::vector<std::uint32_t> group_of;  // per kept patient: a provisional group number
  std::vector<const std::string*> provisional;
  std::uint32_t next_session = 0, next_score = 0;
  for (std::size_t i = 0; i < all; ++i) {
    if (!keep[i]) continue;
    analytics::CohortPatient p;
    p.first_session = next_session;
    p.session_count = sfirst[i + 1] - sfirst[i];
    p.first_score = next_score;
    p.score_count = cfirst[i + 1] - cfirst[i];
    next_session += p.session_count;
    next_score += p.score_count;
    std::string group;
    if (p.session_count > 0) {
      const std::uint32_t fp = col.session_protocol[sat(sfirst[i])];
      const guideline::Protocol* pr = proto[fp];
      p.series_length = pr != nullptr && pr->sessions_in_series > 0 ? static_cast<std::uint32_t>(pr->sessions_in_series) : 1;
      if (q.plans != nullptr && pr != nullptr) {
        const advisor::PlanTemplate* plan = q.plans->TemplateFor(*col.patient_indication[i], pr->route);
        if (plan != nullptr && plan->InductionSessions() > 0) {
          p.series_length = static_cast<std::uint32_t>(plan->InductionSessions());
        }
      }
      if (q.dimension == "protocol") group = col.protocol_names[fp];
      if (q.dimension == "route") group = route_of(fp);
    }
    if (q.dimension == "indication") group = *col.patient_indication[i];
    if (q.dimension == "clinic") group = col.patient_clinic[i];
    if (group.empty()) group = "(no sessions)";
    auto [it, added] = group_index.emplace(std::move(group), static_cast<std::uint32_t>(provisional.size()));
    if (added) provisional.push_back(&it->first);
    group_of.push_back(it->second);
    cohort.patients.push_back(p);
  }
  std::vector<std::uint32_t> final_group(provisional.size());
  for (auto& [name, idx] : group_index) {
    final_group[idx] = static_cast<std::uint32_t>(cohort.group_names.size());
    cohort.group_names.push_back(name);
  }
  for (std::size_t i = 0; i < cohort.patients.size(); ++i) cohort.patients[i].group = final_group[group_of[i]];
  return cohort;
}

}  // namespace kira::registry
