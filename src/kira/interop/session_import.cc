#include "kira/interop/session_import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <tuple>

#include "kira/interop/csv.h"
#include "kira/registry/clinical.h"
#include "kira/registry/unit_of_work.h"

namespace kira::interop {

namespace internal {

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*out);
}

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace internal

namespace {

using internal::ParseDouble;
using internal::ParseInt;

const std::vector<std::string> kColumns = {
    "clinic_id",        "patient_id",      "sex",           "birth_year",    "indication",
    "session_id",       "protocol_id",     "started_at",    "stopped_at",    "dosing_weight_kg",
    "planned_dose_mg",  "given_dose_mg",   "concentration_mg_per_ml", "rate_ml_per_h", "recorded_by",
    "override_reason"};

// "planned_dose_mg: must be ..." -> "planned_dose_mg"; "" when the message
// does not start with a field name.
std::string FieldOf(const Status& s) {
  // Context prefixes ("dose check for session 's5': ") contain spaces; the
  // first ": "-separated segment that is one bare word is the field.
  std::string_view m = s.message();
  while (true) {
    auto colon = m.find(": ");
    if (colon == std::string_view::npos) return "";
    std::string_view f = m.substr(0, colon);
    if (!f.empty() && f.find_first_of(" '\"") == std::string_view::npos) return std::string(f);
    m.remove_prefix(colon + 2);
  }
}

}  // namespace

const std::vector<std::string>& SessionCsvColumns() { return kColumns; }

StatusOr<std::vector<ImportRow>> ParseSessionCsv(std::string_view text, std::vector<RowError>* errors) {
  KIRA_ASSIGN_OR_RETURN(auto records, ParseCsv(text));
  if (records.empty()) return InvalidArgumentError("line 1: empty file (expected a header row)");
  std::vector<std::string> required(kColumns.begin(), kColumns.end() - 1);  // override_reason optional
  KIRA_ASSIGN_OR_RETURN(auto cols, CsvHeader(records[0], required));
  std::vector<ImportRow> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    auto get = [&](const std::string& name) -> std::string {
      auto it = cols.find(name);
      return it != cols.end() && it->second < rec.fields.size() ? rec.fields[it->second] : std::string();
    };
    std::vector<RowError> row_errors;
    auto bad = [&](const std::string& field, std::string reason) {
      row_errors.push_back({rec.line, field, std::move(reason)});
    };
    auto num = [&](const std::string& field, bool required_field) -> std::optional<double> {
      std::string v = get(field);
      if (v.empty() && !required_field) return std::nullopt;
      double d = 0;
      if (!ParseDouble(v, &d)) {
        bad(field, v.empty() ? "required" : "not a number: '" + v + "'");
        return std::nullopt;
      }
      return d;
    };
    auto instant = [&](const std::string& field, bool required_field) -> std::optional<domain::Instant> {
      std::string v = get(field);
      if (v.empty() && !required_field) return std::nullopt;
      domain::Instant t{};
      if (!domain::ParseInstant(v, &t)) {
        bad(field, v.empty() ? "required" : "not an ISO 8601 UTC instant: '" + v + "'");
        return std::nullopt;
      }
      return t;
    };

    ImportRow row;
    row.line = rec.line;
    row.patient.clinic_id = get("clinic_id");
    row.patient.id = get("patient_id");
    row.patient.sex = get("sex");
    row.patient.indication = get("indication");
    if (!ParseInt(get("birth_year"), &row.patient.birth_year)) bad("birth_year", "not an integer: '" + get("birth_year") + "'");
    static const std::vector<std::string> kSexes = {"female", "male", "other", "unknown"};
    if (std::find(kSexes.begin(), kSexes.end(), row.patient.sex) == kSexes.end()) {
      bad("sex", "must be female, male, other or unknown, got '" + row.patient.sex + "'");
    }
    domain::SessionRecord& s = row.session;
    s.clinic_id = row.patient.clinic_id;
    s.id = get("session_id");
    s.patient_id = row.patient.id;
    s.protocol_id = get("protocol_id");
    s.state = domain::SessionState::kCompleted;
    for (const char* f : {"clinic_id", "patient_id", "session_id", "protocol_id", "recorded_by"}) {
      if (get(f).empty()) bad(f, "required");
    }
    if (auto t = instant("started_at", true)) s.started_at = *t;
    s.stopped_at = instant("stopped_at", false);
    if (auto v = num("dosing_weight_kg", true)) s.dosing_weight = units::Kg(*v);
    if (auto v = num("planned_dose_mg", true)) s.planned_dose = units::Mg(*v);
    if (auto v = num("given_dose_mg", false)) s.given_dose = units::Mg(*v);
    if (auto v = num("concentration_mg_per_ml", true)) s.concentration = units::MgPerMl(*v);
    if (auto v = num("rate_ml_per_h", true)) s.rate = units::MlPerH(*v);
    s.recorded_by = get("recorded_by");
    row.override_reason = get("override_reason");
    if (!s.given_dose) s.state = domain::SessionState::kPlanned;
    if (row_errors.empty()) {
      rows.push_back(std::move(row));
    } else {
      errors->insert(errors->end(), row_errors.begin(), row_errors.end());
    }
  }
  return rows;
}

StatusOr<ImportReport> ImportRows(storage::Store& store, const registry::Clock& clock,
                                  const registry::DoseCheck& check, const std::vector<ImportRow>& rows,
                                  const ImportOptions& options) {
  if (options.batch_rows <= 0) return InvalidArgumentError("batch_rows: must be > 0");
  registry::SessionRecorder recorder(&store, &clock, check, options.libraries.guideline);
  ImportReport report;
  report.rows = static_cast<int>(rows.size());
  // Date order, not file order: decisions must not depend on row order.
  std::vector<const ImportRow*> ordered;
  ordered.reserve(rows.size());
  for (const auto& r : rows) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(), [](const ImportRow* a, const ImportRow* b) {
    return std::tie(a->session.started_at, a->session.id) < std::tie(b->session.started_at, b->session.id);
  });

  struct Tally {
    int imported = 0, already = 0, refused = 0;
    std::vector<RowError> errors;
  };
  // Writes one row inside `uow`. A returned error means the row (and so the
  // transaction) failed; refusals are results, tallied, not errors.
  auto write_row = [&](registry::UnitOfWork& uow, const ImportRow& row, Tally& t) -> Status {
    storage::Transaction& tx = uow.tx();
    auto existing = tx.GetSession(row.session.clinic_id, row.session.id);
    if (existing.ok()) {
      ++t.already;
      return Status::Ok();
    }
    if (!existing.status().IsNotFound()) return existing.status();
    auto clinic = tx.GetClinic(row.patient.clinic_id);
    if (!clinic.ok()) {
      if (!clinic.status().IsNotFound()) return clinic.status();
      // A file for a clinic this registry has not seen yet: register it
      // (audited like every write) rather than reject every row.
      KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, {row.patient.clinic_id, row.patient.clinic_id, "UTC"}));
    }
    auto patient = tx.GetPatient(row.patient.clinic_id, row.patient.id);
    if (!patient.ok()) {
      if (!patient.status().IsNotFound()) return patient.status();
      KIRA_RETURN_IF_ERROR(registry::AddPatient(uow, row.patient, std::nullopt));
    }
    auto facts = tx.GetCurrentPatientFacts(row.patient.clinic_id, row.patient.id);
    if (!facts.ok()) {
      if (!facts.status().IsNotFound()) return facts.status();
      if (options.libraries.guideline) {
        domain::PatientFacts f;
        f.clinic_id = row.patient.clinic_id;
        f.patient_id = row.patient.id;
        f.weight_kg = units::ToKg(row.session.dosing_weight);
        f.weight_method = "stated";
        f.weight_date = domain::FormatInstant(row.session.started_at).substr(0, 10);
        f.reason = "import line " + std::to_string(row.line) + ": dosing_weight_kg";
        KIRA_RETURN_IF_ERROR(registry::RecordFacts(uow, options.libraries, f).status());
      }
    }
    std::optional<domain::Override> ov;
    if (!row.override_reason.empty()) ov = domain::Override{"", "", row.override_reason, {}};
    KIRA_ASSIGN_OR_RETURN(auto result, recorder.RecordIn(uow, {row.session, uow.actor(), ov}));
    if (result.stored) {
      ++t.imported;
    } else {
      ++t.refused;
      t.errors.push_back({row.line, "given_dose_mg", "refused by the Advisor: " + result.refusal});
    }
    return Status::Ok();
  };

  for (std::size_t begin = 0; begin < rows.size(); begin += static_cast<std::size_t>(options.batch_rows)) {
    const std::size_t end = std::min(rows.size(), begin + static_cast<std::size_t>(options.batch_rows));
    Tally batch;
    Status s = registry::RunInUnitOfWork(store, clock, options.actor, [&](registry::UnitOfWork& uow) -> Status {
      batch = Tally{};
      for (std::size_t i = begin; i < end; ++i) KIRA_RETURN_IF_ERROR(write_row(uow, *ordered[i], batch));
      return Status::Ok();
    });
    if (!s.ok()) {
      if (s.code() == StatusCode::kUnavailable) return s;
      // One row spoiled the batch's transaction. Redo the batch a row per
      // transaction, so the good rows land and the bad one is named.
      batch = Tally{};
      for (std::size_t i = begin; i < end; ++i) {
        Tally one;
        Status rs = registry::RunInUnitOfWork(store, clock, options.actor,
                                              [&](registry::UnitOfWork& uow) -> Status {
                                                one = Tally{};
                                                return write_row(uow, *ordered[i], one);
                                              });
        if (rs.code() == StatusCode::kUnavailable) return rs;
        if (!rs.ok()) {
          batch.errors.push_back({ordered[i]->line, FieldOf(rs), std::string(rs.message())});
          continue;
        }
        batch.imported += one.imported;
        batch.already += one.already;
        batch.refused += one.refused;
        batch.errors.insert(batch.errors.end(), one.errors.begin(), one.errors.end());
      }
    }
    report.imported += batch.imported;
    report.already_present += batch.already;
    report.refused += batch.refused;
    report.errors.insert(report.errors.end(), batch.errors.begin(), batch.errors.end());
    if (options.progress) options.progress(static_cast<int>(end), report.rows);
  }
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
  return report;
}

}  // namespace kira::interop
