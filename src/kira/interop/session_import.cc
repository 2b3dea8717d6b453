#include "kira/interop/session_import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "kira/registry/canonical.h"
#include "kira/registry/clinical.h"
#include "kira/registry/ledger.h"
#include "kira/registry/unit_of_work.h"

namespace kira::interop {

namespace internal {

std::string NumberText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)}); }

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
    "override_reason",  "state",           "height_cm"};
// Optional columns: override_reason, state, height_cm.
constexpr std::size_t kRequiredColumns = 15;

const char* const kSexes[] = {"female", "male", "other", "unknown"};

// The unit a numeric column is in, for "70 kg" in a _kg column.
std::string_view UnitOf(std::string_view column) {
  for (auto [suffix, unit] : {std::pair{"_kg", "kg"}, {"_mg", "mg"}, {"_mg_per_ml", "mg/mL"}, {"_ml_per_h", "mL/h"}, {"_cm", "cm"}}) {
    std::string_view s(suffix);
    if (column.size() > s.size() && column.substr(column.size() - s.size()) == s) return unit;
  }
  return "";
}

}  // namespace

const std::vector<std::string>& SessionCsvColumns() { return kColumns; }

ColumnRef ParsedFile::Where(std::string_view canonical) const {
  auto it = columns.find(canonical);
  return it == columns.end() ? ColumnRef{0, std::string(canonical)} : it->second;
}

namespace {
using Columns = std::map<std::string, std::size_t, std::less<>>;
void ParseSessionRow(const CsvRowView& rec, const CsvRecord& header, const Columns& cols,
                     const ParseOptions& options, std::vector<RowError>* errors, ParsedFile* file);
}  // namespace

// From this size a file without quotes is read in two halves at once.
constexpr std::size_t kParallelParseFrom = std::size_t{1} << 20;

ParsedFile ParseSessionCsv(std::string_view text, const ParseOptions& options) {
  ParsedFile out;
  out.format = "kira session CSV";
  RowError structural;
  // Record by record, fields as views of the text (csv.h): no copy of the
  // file's fields beyond what a row stores.
  std::optional<CsvRecord> header;
  Columns cols;
  std::vector<RowError> row_errors;
  bool header_bad = false;
  out.rows.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  // A large file without quotes is read in two halves at once, the second
  // on another thread once the header is known: without quotes every line
  // end ends a record, so the halves meet at a record boundary; its lines
  // and errors are numbered as in the whole file.
  std::string_view first = text, second;
  if (text.size() >= kParallelParseFrom && static_cast<unsigned char>(text[0]) < 0x80 &&
      text[0] != '\0' && text.find('"') == std::string_view::npos) {
    const std::size_t header_end = text.find('\n');
    const std::size_t mid =
        header_end == std::string_view::npos ? header_end : text.find('\n', header_end + 1 + (text.size() - header_end) / 2);
    if (mid != std::string_view::npos && mid + 1 < text.size()) {
      first = text.substr(0, mid + 1);
      second = text.substr(mid + 1);
    }
  }
  ParsedFile second_out;
  RowError second_structural;
  Status second_read;
  std::thread second_reader;
  Status read = ForEachCsvRecord(
      first,
      [&](const CsvRowView& rec) -> bool {
        if (!header) {
          header = CsvRecord{rec.line, std::vector<std::string>(rec.fields.begin(), rec.fields.end())};
          std::vector<std::string> required(kColumns.begin(), kColumns.begin() + kRequiredColumns);
          for (auto& [name, index] : CheckHeader(*header, kColumns, required, &out.errors)) cols.emplace(name, index);
          if (!out.errors.empty()) {
            header_bad = true;
            return false;
          }
          for (const auto& [name, index] : cols) out.columns[name] = {static_cast<int>(index) + 1, name};
          if (!second.empty()) {
            second_reader = std::thread([&] {
              std::vector<RowError> errors;
              second_out.rows.reserve(static_cast<std::size_t>(std::count(second.begin(), second.end(), '\n')));
              second_read = ForEachCsvRecord(
                  second,
                  [&](const CsvRowView& r) -> bool {
                    ParseSessionRow(r, *header, cols, options, &errors, &second_out);
                    return true;
                  },
                  &second_structural);
            });
          }
          return true;
        }
        ParseSessionRow(rec, *header, cols, options, &row_errors, &out);
        return true;
      },
      &structural);
  if (second_reader.joinable()) {
    second_reader.join();
    const int offset = static_cast<int>(std::count(first.begin(), first.end(), '\n'));
    if (read.ok() && !second_read.ok()) {
      read = second_read;
      structural = second_structural;
      structural.line += offset;
    } else if (read.ok()) {
      for (ImportRow& r : second_out.rows) {
        r.line += offset;
        if (r.patient_line) r.patient_line += offset;
        out.rows.push_back(std::move(r));
      }
      for (RowError& e : second_out.errors) {
        if (e.line) e.line += offset;
        out.errors.push_back(std::move(e));
      }
      out.invalid_rows += second_out.invalid_rows;
    }
  }
  if (!read.ok()) {
    out.errors.clear();
    out.rows.clear();
    out.invalid_rows = 0;
    out.errors.push_back(structural);
    out.fatal = true;
    return out;
  }
  if (!header) {
    out.errors.push_back({1, 0, "", "empty file (expected a header row)"});
    out.fatal = true;
    return out;
  }
  if (header_bad) out.fatal = true;
  return out;
}

namespace {
std::string Str(std::string_view v) { return std::string(v); }

void ParseSessionRow(const CsvRowView& rec, const CsvRecord& header, const Columns& cols,
                     const ParseOptions& options, std::vector<RowError>* errors, ParsedFile* file) {
  ParsedFile& out = *file;
  std::vector<RowError>& row_errors = *errors;
  {
    row_errors.clear();
    if (!CheckWidth(rec.line, rec.fields.size(), header, &row_errors)) {
      out.errors.insert(out.errors.end(), row_errors.begin(), row_errors.end());
      ++out.invalid_rows;
      return;
    }
    auto get = [&](std::string_view name) -> std::string_view {
      auto it = cols.find(name);
      return it != cols.end() ? rec.fields[it->second] : std::string_view();
    };
    auto bad = [&](std::string_view name, std::string reason) {
      auto it = cols.find(name);
      row_errors.push_back(
          {rec.line, it != cols.end() ? static_cast<int>(it->second) + 1 : 0, std::string(name), std::move(reason)});
    };
    // A quantity: `min_exclusive` true means > 0, false means >= 0.
    auto num = [&](std::string_view field, bool required_field, bool positive) -> std::optional<double> {
      const std::string_view v = get(field);
      if (v.empty()) {
        if (required_field) bad(field, "required");
        return std::nullopt;
      }
      double d = 0;
      if (!ParseDouble(v, &d)) {
        const std::string_view unit = UnitOf(field);
        bad(field, "not a number: '" + Str(v) + "'" +
                       (unit.empty() ? "" : " (give the number only; the unit is " + std::string(unit) + ")"));
        return std::nullopt;
      }
      if (positive ? d <= 0 : d < 0) {
        bad(field, "must be " + std::string(positive ? "greater than 0" : "0 or more") + ", got " + Str(v));
        return std::nullopt;
      }
      return d;
    };
    auto instant = [&](std::string_view field, bool required_field) -> std::optional<domain::Instant> {
      const std::string_view v = get(field);
      if (v.empty()) {
        if (required_field) bad(field, "required");
        return std::nullopt;
      }
      domain::Instant t{};
      if (!domain::ParseInstant(v, &t)) {
        bad(field, "not a valid ISO 8601 UTC date-time (YYYY-MM-DDTHH:MM:SSZ, a real calendar date): '" + Str(v) + "'");
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
    domain::SessionRecord& s = row.session;
    s.clinic_id = row.patient.clinic_id;
    s.id = get("session_id");
    s.patient_id = row.patient.id;
    s.protocol_id = get("protocol_id");
    for (const char* f : {"clinic_id", "patient_id", "indication", "session_id", "protocol_id", "recorded_by"}) {
      if (get(f).empty()) bad(f, "required");
    }
    for (const char* f : {"clinic_id", "patient_id", "session_id"}) {
      if (std::string why = domain::IdProblem(get(f)); !get(f).empty() && !why.empty()) bad(f, why);
    }
    if (!row.patient.sex.empty() &&
        std::find(std::begin(kSexes), std::end(kSexes), row.patient.sex) == std::end(kSexes)) {
      bad("sex", "must be female, male, other or unknown, got '" + row.patient.sex + "'");
    } else if (row.patient.sex.empty()) {
      bad("sex", "required");
    }
    if (!s.protocol_id.empty() && !options.protocols.empty() && !options.protocols.count(s.protocol_id)) {
      bad("protocol_id", "unknown protocol '" + s.protocol_id + "' (not in the guideline library)");
    }
    const auto started = instant("started_at", true);
    if (started) s.started_at = *started;
    s.stopped_at = instant("stopped_at", false);
    if (started && s.stopped_at && *s.stopped_at < *started) bad("stopped_at", "is before started_at");
    if (!ParseInt(get("birth_year"), &row.patient.birth_year)) {
      bad("birth_year", get("birth_year").empty() ? "required" : "not a whole year: '" + Str(get("birth_year")) + "'");
    } else if (row.patient.birth_year < 1900) {
      bad("birth_year", "before 1900: " + Str(get("birth_year")));
    } else if (started) {
      const int session_year = int(std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(*started)).year());
      if (row.patient.birth_year > session_year) {
        bad("birth_year", "birth year " + Str(get("birth_year")) + " is after the session (started_at " +
                              Str(get("started_at")) + ")");
      }
    }
    if (auto v = num("dosing_weight_kg", true, true)) s.dosing_weight = units::Kg(*v);
    if (auto v = num("planned_dose_mg", true, false)) s.planned_dose = units::Mg(*v);
    if (auto v = num("given_dose_mg", false, false)) s.given_dose = units::Mg(*v);
    // Infusions only (empty for esketamine nasal spray): the Advisor's
    // recorded-session check decides what the protocol's route needs.
    if (auto v = num("concentration_mg_per_ml", false, true)) s.concentration = units::MgPerMl(*v);
    if (auto v = num("rate_ml_per_h", false, true)) s.rate = units::MlPerH(*v);
    s.recorded_by = get("recorded_by");
    row.override_reason = get("override_reason");
    if (auto v = num("height_cm", false, true)) row.height_cm = *v;
    const std::string_view state = get("state");
    if (state.empty()) {
      s.state = s.given_dose ? domain::SessionState::kDischarged : domain::SessionState::kPlanned;
    } else if (!domain::ParseSessionState(state, &s.state)) {
      bad("state", "must be planned, pre_checked, running, paused, observation, discharged (or completed) or stopped, "
                   "got '" + Str(state) + "'");
    } else if (s.given_dose && (s.state == domain::SessionState::kPlanned)) {
      bad("state", "a planned session has no given dose (given_dose_mg is " + Str(get("given_dose_mg")) + ")");
    } else if (!s.given_dose && domain::IsTerminal(s.state)) {
      bad("given_dose_mg", "required for a " + Str(state) + " session");
    }
    if (row_errors.empty()) {
      out.rows.push_back(std::move(row));
    } else {
      out.errors.insert(out.errors.end(), row_errors.begin(), row_errors.end());
      ++out.invalid_rows;
    }
  }
}

}  // namespace

namespace {

// The first column whose stored value differs from the row's, with both
// values; "" when they agree on everything the file carries.
struct Difference {
  std::string column;
  std::string stored, file;
};

using internal::Near;
using internal::NumberText;
std::string Opt(const std::optional<domain::Instant>& t) { return t ? domain::FormatInstant(*t) : "(empty)"; }

std::optional<Difference> DiffSession(const domain::SessionRecord& a, const domain::SessionRecord& b) {
  if (a.patient_id != b.patient_id) return Difference{"patient_id", a.patient_id, b.patient_id};
  if (a.protocol_id != b.protocol_id) return Difference{"protocol_id", a.protocol_id, b.protocol_id};
  if (a.started_at != b.started_at) return Difference{"started_at", Opt(a.started_at), Opt(b.started_at)};
  if (a.stopped_at != b.stopped_at) return Difference{"stopped_at", Opt(a.stopped_at), Opt(b.stopped_at)};
  if (!Near(units::ToKg(a.dosing_weight), units::ToKg(b.dosing_weight))) {
    return Difference{"dosing_weight_kg", NumberText(units::ToKg(a.dosing_weight)), NumberText(units::ToKg(b.dosing_weight))};
  }
  if (!Near(units::ToMg(a.planned_dose), units::ToMg(b.planned_dose))) {
    return Difference{"planned_dose_mg", NumberText(units::ToMg(a.planned_dose)), NumberText(units::ToMg(b.planned_dose))};
  }
  if (a.given_dose.has_value() != b.given_dose.has_value() ||
      (a.given_dose && !Near(units::ToMg(*a.given_dose), units::ToMg(*b.given_dose)))) {
    return Difference{"given_dose_mg", a.given_dose ? NumberText(units::ToMg(*a.given_dose)) : "(empty)",
                      b.given_dose ? NumberText(units::ToMg(*b.given_dose)) : "(empty)"};
  }
  if (a.concentration.has_value() != b.concentration.has_value() ||
      (a.concentration && !Near(units::ToMgPerMl(*a.concentration), units::ToMgPerMl(*b.concentration)))) {
    return Difference{"concentration_mg_per_ml", a.concentration ? NumberText(units::ToMgPerMl(*a.concentration)) : "(empty)",
                      b.concentration ? NumberText(units::ToMgPerMl(*b.concentration)) : "(empty)"};
  }
  if (a.rate.has_value() != b.rate.has_value() || (a.rate && !Near(units::ToMlPerH(*a.rate), units::ToMlPerH(*b.rate)))) {
    return Difference{"rate_ml_per_h", a.rate ? NumberText(units::ToMlPerH(*a.rate)) : "(empty)",
                      b.rate ? NumberText(units::ToMlPerH(*b.rate)) : "(empty)"};
  }
  if (a.state != b.state) {
    return Difference{"state", std::string(domain::SessionStateName(a.state)),
                      std::string(domain::SessionStateName(b.state))};
  }
  if (a.recorded_by != b.recorded_by) return Difference{"recorded_by", a.recorded_by, b.recorded_by};
  return std::nullopt;
}

std::optional<Difference> DiffPatient(const domain::PatientRecord& a, const domain::PatientRecord& b) {
  if (a.sex != b.sex) return Difference{"sex", a.sex, b.sex};
  if (a.birth_year != b.birth_year) {
    return Difference{"birth_year", std::to_string(a.birth_year), std::to_string(b.birth_year)};
  }
  if (a.indication != b.indication) return Difference{"indication", a.indication, b.indication};
  return std::nullopt;
}

enum class Outcome { kPending, kAccepted, kAmended, kRefused, kInvalid, kUnchanged };

// Sessions recorded per call of the registry's batch use case: small
// enough that each chunk's decisions and rows reuse the memory of the one
// before (each patient is read once per file all the same: BatchCache).
constexpr std::size_t kBatchChunk = 8192;

// The Advisor's recorded-session check found the row's own values in
// contradiction (rate x concentration x duration does not deliver the
// recorded dose): the row is bad input, not a clinical refusal. The
// finding is the Advisor's (rule record.inconsistent); the importer only
// maps it to a report naming the row's pump-rate column.
const domain::Finding* InconsistentRecord(const domain::Decision& d) {
  for (const auto& f : d.findings) {
    if (f.rule_id == "record.inconsistent") return &f;
  }
  return nullptr;
}

// The Advisor's refusal as a person reads it: each finding that stopped the
// session, in the Advisor's words and with its source (the rule ids stay in
// the audit row and the --json report).
std::string ReadableRefusal(const registry::RecordSessionResult& result) {
  const domain::Severity worst = result.decision.MaxSeverity();
  std::string out = worst == domain::Severity::kHardStop ? "hard stop: " : "soft stop without an override reason: ";
  std::vector<std::string> seen;
  for (const auto& f : result.decision.findings) {
    if (f.severity != worst) continue;
    std::string one = f.message.str();
    const std::string citation = f.citation.str();
    if (!citation.empty()) one += " (" + citation + ")";
    if (std::find(seen.begin(), seen.end(), one) != seen.end()) continue;
    if (!seen.empty()) out += "; ";
    out += one;
    seen.push_back(std::move(one));
  }
  if (seen.empty()) return result.refusal;  // no finding text: the registry's summary
  return out;
}

// The outcome of a session the registry did not store (recorded or
// amended): a row that contradicts itself is bad input reported on its
// pump-rate column; anything else is the Advisor's refusal, reported on its
// dose column after `refused_by`.
template <class Problem>
Outcome NotStoredOutcome(const ImportRow& row, const registry::RecordSessionResult& result,
                         std::string_view refused_by, Problem&& row_problem) {
  if (const domain::Finding* f = InconsistentRecord(result.decision)) {
    row_problem("rate_ml_per_h", "the row contradicts itself: " + f->message);
    return Outcome::kInvalid;
  }
  row_problem(row.session.given_dose ? "given_dose_mg" : "planned_dose_mg",
              std::string(refused_by) + ReadableRefusal(result));
  return Outcome::kRefused;
}

using Key = std::pair<std::string, std::string>;
struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    const std::size_t a = std::hash<std::string>()(k.first);
    return a ^ (std::hash<std::string>()(k.second) + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
  }
};

// The first field whose canonical text (the audit log's form of a record)
// differs, as "field: stored X, file Y"; "" when the records are equal.
std::string CanonicalDifference(const std::string& stored, const std::string& file) {
  std::size_t a = 0, b = 0;
  while (a < stored.size() || b < file.size()) {
    const std::size_t ea = std::min(stored.find('\n', a), stored.size());
    const std::size_t eb = std::min(file.find('\n', b), file.size());
    const std::string_view la(stored.data() + a, ea - a), lb(file.data() + b, eb - b);
    if (la != lb) {
      const auto name = la.substr(0, la.find('='));
      auto value = [](std::string_view l) { auto eq = l.find('='); return std::string(eq == std::string_view::npos ? l : l.substr(eq + 1)); };
      return std::string(name) + ": stored '" + value(la) + "', file '" + value(lb) + "'";
    }
    a = ea + 1;
    b = eb + 1;
  }
  return "";
}

std::string RecordId(const ClinicalRecord& r) {
  return std::visit(
      [](const auto& x) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, domain::PatientFacts>) {
          return x.patient_id + " v" + std::to_string(x.version);
        } else {
          return x.id;
        }
      },
      r);
}
// The clinical content of a facts version: what the registry records when
// it is recorded again (not when or by whom).
std::string FactsContent(domain::PatientFacts f) {
  f.recorded_at = {};
  f.recorded_by.clear();
  return registry::Canonical(f);
}
std::string_view RecordClinic(const ClinicalRecord& r) {
  return std::visit([](const auto& x) -> std::string_view { return x.clinic_id; }, r);
}
std::string CanonicalOf(const ClinicalRecord& r) {
  return std::visit(
      [](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, domain::PatientFacts>) {
          return FactsContent(x);
        } else {
          return registry::Canonical(x);
        }
      },
      r);
}
// Order of the other records within a pass: patients first (sessions need
// them), ledger receipts and then movements by time (a movement out needs
// its lot received), then the rest by line.
int Rank(const ClinicalRecord& r) {
  if (std::holds_alternative<domain::PatientRecord>(r)) return 0;
  if (std::holds_alternative<domain::PatientFacts>(r)) return 1;
  if (std::holds_alternative<domain::LedgerEntry>(r)) return 2;
  return 3;
}

}  // namespace

namespace {

// Frees, on another thread, what the importer's thread is done with (a
// chunk's decisions and results are some 10^5 small allocations), one
// hand-over at a time.
class BackgroundFree {
 public:
  BackgroundFree() = default;
  BackgroundFree(const BackgroundFree&) = delete;
  BackgroundFree& operator=(const BackgroundFree&) = delete;
  ~BackgroundFree() { Wait(); }
  template <typename... T>
  void Free(T&&... objects) {
    Wait();
    worker_ = std::thread([held = std::make_tuple(std::forward<T>(objects)...)]() mutable {
      auto gone = std::move(held);
    });
  }
  void Wait() {
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::thread worker_;
};

// Runs a job that writes with the pass's transaction on another thread
// while the importer's thread goes on with what needs no store (parsing
// results, the Advisor's screening, audit rows kept in memory). The
// transaction is used by one thread at a time: the importer Wait()s before
// it touches the store again.
class WriteBehind {
 public:
  WriteBehind() = default;
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;
  ~WriteBehind() { static_cast<void>(Wait()); }
  // REQUIRES: no job running (Wait() first).
  template <typename Job>
  void Start(Job job) {
    worker_ = std::thread([this, job = std::move(job)]() mutable { status_ = job(); });
  }
  // The job's status (Ok when none ran).
  Status Wait() {
    if (worker_.joinable()) worker_.join();
    return std::exchange(status_, Status::Ok());
  }

 private:
  std::thread worker_;
  Status status_;
};

}  // namespace

StatusOr<ImportReport> ImportRows(storage::Store& store, const registry::Clock& clock,
                                  const registry::DoseCheck& check, const ParsedFile& file,
                                  const ImportOptions& options) {
  if (options.update && options.reason.empty()) {
    return InvalidArgumentError("--reason: an amendment (--update) must say why the stored records are corrected");
  }
  ImportReport report;
  const auto& rows = file.rows;
  const auto& records = file.records;
  const std::size_t nrows = rows.size(), total = rows.size() + records.size();
  report.rows_read = static_cast<int>(total) + file.invalid_rows;
  report.invalid = file.invalid_rows;
  report.problems = file.errors;
  auto problem = [&](const ImportRow& row, std::string_view canonical, std::string reason, int line = 0) {
    const ColumnRef c = file.Where(canonical);
    report.problems.push_back({line ? line : row.line, c.column, c.name, std::move(reason)});
  };

  // Outcomes: [0, nrows) sessions, [nrows, total) other records.
  std::vector<Outcome> outcome(total, Outcome::kPending);
  if (!file.fatal) {
    // Conflicts inside the file: the same session twice with other values,
    // the same patient with other facts. Both rows of a session conflict are
    // refused (the file does not say which is right); a patient row is
    // checked against the first row naming that patient.
    std::unordered_map<Key, std::size_t, KeyHash> first_session, first_patient;
    first_session.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const ImportRow& r = rows[i];
      auto [ps, pnew] = first_patient.emplace(Key{r.patient.clinic_id, r.patient.id}, i);
      if (!pnew) {
        if (auto d = DiffPatient(rows[ps->second].patient, r.patient)) {
          problem(r, d->column,
                  "patient '" + r.patient.id + "' has " + d->column + " '" + d->stored + "' on line " +
                      std::to_string(rows[ps->second].patient_line ? rows[ps->second].patient_line : rows[ps->second].line) +
                      " but '" + d->file + "' here",
                  r.patient_line);
          outcome[i] = Outcome::kInvalid;
          continue;
        }
      }
      auto [ss, snew] = first_session.emplace(Key{r.session.clinic_id, r.session.id}, i);
      if (snew) continue;
      const std::size_t j = ss->second;
      if (auto d = DiffSession(rows[j].session, r.session)) {
        problem(r, d->column,
                "session '" + r.session.id + "' appears on line " + std::to_string(rows[j].line) + " with " +
                    d->column + " " + d->stored + " and here with " + d->file + "; the file contradicts itself");
        outcome[i] = Outcome::kInvalid;
        if (outcome[j] != Outcome::kInvalid) {
          problem(rows[j], d->column, "session '" + r.session.id + "' conflicts with line " + std::to_string(r.line));
          outcome[j] = Outcome::kInvalid;
        }
      } else {
        outcome[i] = Outcome::kUnchanged;  // an exact repeat of line rows[j].line
      }
    }
    // Other records: an id twice in one file is a conflict unless identical.
    std::map<std::tuple<std::size_t, std::string, std::string>, std::size_t> first_record;
    for (std::size_t k = 0; k < records.size(); ++k) {
      const auto& r = records[k];
      auto [it, fresh] = first_record.emplace(
          std::tuple{r.record.index(), std::string(RecordClinic(r.record)), std::string(RecordId(r.record))}, k);
      if (fresh) continue;
      const std::string d = CanonicalDifference(CanonicalOf(records[it->second].record), CanonicalOf(r.record));
      if (d.empty()) {
        outcome[nrows + k] = Outcome::kUnchanged;
      } else {
        report.problems.push_back({r.line, 0, "", r.form + " '" + RecordId(r.record) + "' appears on line " +
                                                      std::to_string(records[it->second].line) + " with other values (" + d + ")"});
        outcome[nrows + k] = Outcome::kInvalid;
      }
    }
  }

  // Session-time order, whatever the order of the file.
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = rows[a].session;
    const auto& y = rows[b].session;
    return std::tie(x.started_at, x.clinic_id, x.id, rows[a].line) <
           std::tie(y.started_at, y.clinic_id, y.id, rows[b].line);
  });
  std::vector<std::size_t> record_order(records.size());
  for (std::size_t k = 0; k < records.size(); ++k) record_order[k] = k;
  std::stable_sort(record_order.begin(), record_order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = records[a].record;
    const auto& y = records[b].record;
    if (Rank(x) != Rank(y)) return Rank(x) < Rank(y);
    if (Rank(x) == 1) {
      const auto& f = std::get<domain::PatientFacts>(x);
      const auto& g = std::get<domain::PatientFacts>(y);
      return std::tie(f.patient_id, f.version) < std::tie(g.patient_id, g.version);
    }
    if (Rank(x) == 2) {
      const auto& l = std::get<domain::LedgerEntry>(x);
      const auto& m = std::get<domain::LedgerEntry>(y);
      return std::tuple(l.kind != domain::LedgerKind::kReceived, l.at, l.id) <
             std::tuple(m.kind != domain::LedgerKind::kReceived, m.at, m.id);
    }
    return records[a].line < records[b].line;
  });
  // The override given when a session was recorded travels with it.
  std::map<Key, const domain::OverrideRecord*> recorded_overrides;
  for (const auto& r : records) {
    if (const auto* o = std::get_if<domain::OverrideRecord>(&r.record)) {
      if (o->id == o->session_id + "/override") recorded_overrides[{o->clinic_id, o->session_id}] = o;
    }
  }

  registry::SessionRecorder recorder(&store, &clock, check, options.libraries.guideline);
  // One pass over the pending rows in one transaction. `only_accepted`:
  // the second pass of a partial import, writing just the rows the first
  // pass accepted or amended. Returns the UnitOfWork (uncommitted), or an
  // error; a row whose write fails (a value the store rejects) is marked
  // invalid and the pass is run again without it (*retry = true).
  std::vector<RowError> pass_problems;
  std::set<std::size_t> failed_in_storage;
  BackgroundFree background_free;
  bool use_batch = true;  // false after a batch write the store refused
  auto run_pass = [&](std::vector<Outcome>& out, bool only_accepted,
                      bool* retry) -> StatusOr<std::unique_ptr<registry::UnitOfWork>> {
    *retry = false;
    pass_problems.clear();
    KIRA_ASSIGN_OR_RETURN(auto uow, registry::UnitOfWork::Begin(store, clock, options.actor));
    // The pass's audit rows are chained as they happen and written in
    // multi-row batches at the commit (nothing in the pass reads them back).
    uow->DeferAuditWrites();
    storage::Transaction& tx = uow->tx();
    std::set<std::string, std::less<>> clinics;
    std::unordered_map<Key, domain::PatientRecord, KeyHash> patients;
    std::unordered_set<Key, KeyHash> sessions_written;  // sessions stored by this pass
    std::unordered_set<Key, KeyHash> facts_checked;     // patients whose clinical facts were looked up
    std::map<std::string, std::pair<bool, bool>, std::less<>> fresh;  // clinic -> {no sessions, no patients} stored
    int done = 0;
    auto selected = [&](Outcome o) {
      return only_accepted ? (o == Outcome::kAccepted || o == Outcome::kAmended) : o == Outcome::kPending;
    };
    auto tick = [&] {
      if (options.progress && ++done % 4096 == 0) options.progress(done, static_cast<int>(total));
    };
    // A write the store refused for this row: the row is invalid, and the
    // pass starts again without it (the transaction may be spoiled).
    auto fail_row = [&](std::size_t index, int line, const Status& s) -> Status {
      if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kInternal ||
          s.code() == StatusCode::kAborted) {
        return s;
      }
      out[index] = Outcome::kInvalid;
      // "started_at: ..." from the use case or the store names a kira field:
      // point at that column as written in this file when there is one.
      std::string_view message = s.message();
      const std::size_t colon = message.find(": ");
      const ColumnRef c = colon == std::string_view::npos ? ColumnRef{} : file.Where(message.substr(0, colon));
      if (c.column > 0) message.remove_prefix(colon + 2);
      report.problems.push_back({line, c.column, c.column > 0 ? c.name : std::string(), std::string(message)});
      failed_in_storage.insert(index);
      *retry = true;
      return Status::Ok();
    };
    auto ensure_clinic = [&](std::string_view clinic_id) -> Status {
      if (clinics.count(clinic_id)) return Status::Ok();
      auto clinic = tx.GetClinic(clinic_id);
      if (!clinic.ok()) {
        if (!clinic.status().IsNotFound()) return clinic.status();
        // A file for a clinic this registry has not seen yet: register it
        // (audited like every write) rather than reject every row.
        KIRA_RETURN_IF_ERROR(registry::AddClinic(*uow, {std::string(clinic_id), std::string(clinic_id), "UTC"}));
      }
      // The chain head read now: later audit rows of the clinic need no read
      // (the store may be busy with a write-behind job then).
      KIRA_RETURN_IF_ERROR(uow->LockClinic(clinic_id));
      clinics.insert(std::string(clinic_id));
      auto [it, first_time] = fresh.emplace(std::string(clinic_id), std::pair<bool, bool>{false, false});
      if (first_time) {
        KIRA_ASSIGN_OR_RETURN(auto any_session, tx.ListSessions(clinic_id, {"", 1}));
        KIRA_ASSIGN_OR_RETURN(auto any_patient, tx.ListPatients(clinic_id, {"", 1}));
        it->second = {any_session.empty(), any_patient.empty()};
      }
      return Status::Ok();
    };
    // The stored patient, through the pass's cache; nullopt when absent.
    // (A pointer into `patients`, whose nodes stay put.)
    auto stored_patient = [&](const std::string& clinic_id,
                              const std::string& id) -> StatusOr<const domain::PatientRecord*> {
      Key key{clinic_id, id};
      if (auto it = patients.find(key); it != patients.end()) return &it->second;
      if (fresh[clinic_id].second) return static_cast<const domain::PatientRecord*>(nullptr);
      auto p = tx.GetPatient(clinic_id, id);
      if (p.ok()) return &patients.emplace(std::move(key), std::move(*p)).first->second;
      if (!p.status().IsNotFound()) return p.status();
      return static_cast<const domain::PatientRecord*>(nullptr);
    };

    // 1. Patients of the file's patient rows (REDCap), so that a patient
    //    without sessions is imported too.
    for (std::size_t k : record_order) {
      const auto* p = std::get_if<domain::PatientRecord>(&records[k].record);
      if (!p) continue;
      Outcome& o = out[nrows + k];
      if (!selected(o)) continue;
      tick();
      if (Status s = ensure_clinic(p->clinic_id); !s.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(nrows + k, records[k].line, s));
        return uow;
      }
      KIRA_ASSIGN_OR_RETURN(auto stored, stored_patient(p->clinic_id, p->id));
      if (stored) {
        const std::string d = CanonicalDifference(registry::Canonical(*stored), registry::Canonical(*p));
        if (d.empty()) {
          o = only_accepted ? Outcome::kAccepted : Outcome::kUnchanged;
        } else {
          pass_problems.push_back({records[k].line, 0, "", "patient '" + p->id + "' conflicts with the stored patient (" + d +
                                                               "; patient facts are not changed by an import)"});
          o = Outcome::kInvalid;
        }
        continue;
      }
      if (Status s = registry::AddPatient(*uow, *p, std::nullopt); !s.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(nrows + k, records[k].line, s));
        return uow;
      }
      patients.emplace(Key{p->clinic_id, p->id}, *p);
      o = Outcome::kAccepted;
    }

    // 1b. Clinical facts, version by version, through the registry's use
    //     case (which re-screens): a stored version must have the same
    //     clinical content; a new one must be the next version.
    for (std::size_t k : record_order) {
      const auto* f = std::get_if<domain::PatientFacts>(&records[k].record);
      if (!f) continue;
      Outcome& o = out[nrows + k];
      if (!selected(o)) continue;
      tick();
      auto fail = [&](std::string reason) {
        pass_problems.push_back({records[k].line, 0, "", "facts of patient '" + f->patient_id + "' version " +
                                                             std::to_string(f->version) + ": " + std::move(reason)});
        o = Outcome::kInvalid;
      };
      KIRA_ASSIGN_OR_RETURN(auto versions, tx.ListPatientFacts(f->clinic_id, f->patient_id));
      const domain::PatientFacts* stored = nullptr;
      for (const auto& v : versions) stored = v.version == f->version ? &v : stored;
      if (stored) {
        const std::string d = CanonicalDifference(FactsContent(*stored), FactsContent(*f));
        if (d.empty()) {
          o = only_accepted ? Outcome::kAccepted : Outcome::kUnchanged;
        } else {
          fail("conflicts with the stored version (" + d + ")");
        }
        continue;
      }
      if (f->version != static_cast<int>(versions.size()) + 1) {
        fail("the registry holds " + std::to_string(versions.size()) + " versions; versions are recorded in order");
        continue;
      }
      if (!options.libraries.guideline) {
        fail("clinical facts are recorded with the guideline library, which is not loaded");
        continue;
      }
      domain::PatientFacts in = *f;
      in.version = 0;
      auto r = registry::RecordFacts(*uow, options.libraries, in);
      if (!r.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(nrows + k, records[k].line, r.status()));
        return uow;
      }
      if (r->facts.version != f->version) {
        fail("recorded as version " + std::to_string(r->facts.version) + " (it repeats the version before it)");
        continue;
      }
      facts_checked.insert({f->clinic_id, f->patient_id});
      o = Outcome::kAccepted;
    }

    // 2. Sessions, in session-time order. New sessions go through the
    //    registry's batch form of the record-session use case (the same
    //    Advisor check and decision as one by one), recorded when the loop
    //    ends or before an amendment; everything before the dose check
    //    (patients, their first facts) is written as the loop meets it.
    std::vector<std::size_t> batch_rows;
    std::vector<registry::RecordSessionRequest> batch;
    // What the batch read for each patient, kept from chunk to chunk.
    auto batch_cache_held = std::make_unique<registry::SessionRecorder::BatchCache>();
    registry::SessionRecorder::BatchCache& batch_cache = *batch_cache_held;
    // The outcome of rows[i] from its RecordIn/RecordBatchIn result; true:
    // stop the pass (a row failed and the pass is run again without it).
    auto settle = [&](std::size_t i, const StatusOr<registry::RecordSessionResult>& result) -> StatusOr<bool> {
      const ImportRow& row = rows[i];
      Outcome& o = out[i];
      if (!result.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(i, row.line, result.status()));
        return true;
      }
      auto row_problem = [&](std::string_view canonical, std::string reason) {
        const ColumnRef c = file.Where(canonical);
        pass_problems.push_back({row.line, c.column, c.name, std::move(reason)});
      };
      if (result->stored) {
        o = Outcome::kAccepted;
        // (Only the file's other records -- vitals, events, overrides -- ask.)
        if (!records.empty()) sessions_written.insert({row.session.clinic_id, row.session.id});
      } else {
        o = NotStoredOutcome(row, *result, "refused by the Advisor: ", row_problem);
      }
      return false;
    };
    // New patients' first facts and screenings (RecordFacts), written in
    // multi-row INSERTs before the chunk that needs them is decided.
    registry::DeferredFactsWrites deferred_facts;
    // How many of the patients in deferred_facts a batch would read from the
    // store (the others' reads are kept in batch_cache): while none, their
    // rows may be written behind with the chunk before theirs.
    int deferred_read_back = 0;
    std::unique_ptr<registry::DeferredFactsWrites> facts_behind;
    // A batch call the store refused (a read or write error): run the pass
    // again one session at a time, which names the row.
    auto batch_failed = [&](const Status& st) -> StatusOr<bool> {
      const StatusCode code = st.code();
      if (code == StatusCode::kUnavailable || code == StatusCode::kInternal || code == StatusCode::kAborted) {
        return st;
      }
      use_batch = false;
      *retry = true;
      return true;
    };
    // A chunk's rows and audit rows are written by `writer` while the loop
    // collects the chunk after next; `sync` before the loop's thread uses
    // the store again (true: a write failed, stop the pass).
    WriteBehind writer;
    auto sync = [&]() -> StatusOr<bool> {
      Status s = writer.Wait();
      if (s.ok()) return false;
      return batch_failed(s);
    };
    // The chunk whose decisions are being made while the loop reads the
    // next one (and registers its new patients), and its rows. Declared
    // after batch_cache: destroyed first (it waits for its decisions).
    std::unique_ptr<registry::SessionRecorder::PendingBatch> in_flight;
    std::vector<std::size_t> in_flight_rows;
    // Writes the chunk in flight and settles its rows.
    auto finish_in_flight = [&]() -> StatusOr<bool> {
      if (!in_flight) return false;
      std::unique_ptr<registry::SessionRecorder::PendingBatch> finished = std::move(in_flight);
      registry::SessionRecorder::BatchWrites writes;
      auto results = recorder.FinishBatchIn(*uow, *finished, &writes);
      if (!results.ok()) return batch_failed(results.status());
      bool stop = false;
      for (std::size_t k = 0; k < in_flight_rows.size(); ++k) {
        KIRA_ASSIGN_OR_RETURN(const bool s, settle(in_flight_rows[k], (*results)[k]));
        stop = stop || s;
      }
      in_flight_rows.clear();
      // (Decided already: nothing waits for it.)
      background_free.Free(std::move(finished), std::move(results));
      // The chunk's rows, then the audit rows kept so far (chained and
      // hashed already), written behind (after the chunk before it).
      KIRA_ASSIGN_OR_RETURN(const bool failed, sync());
      if (failed) return true;
      writer.Start([&tx, facts = std::move(facts_behind), rows = std::move(writes),
                    audit = uow->TakeKeptAudit()]() -> Status {
        if (facts) KIRA_RETURN_IF_ERROR(facts->Flush(tx));
        KIRA_RETURN_IF_ERROR(rows.Write(tx));
        return tx.AppendAudits(audit);
      });
      return stop;
    };
    // Starts the decisions of the collected chunk, then writes the chunk
    // before it (decided already) while they run. The new chunk is started
    // after the one before it is decided (its decisions read the history
    // those made, through batch_cache) and before that one is written
    // (nothing it reads changes: a patient of both is in batch_cache).
    auto launch = [&]() -> StatusOr<bool> {
      // The store is busy with the chunk before while nothing below reads
      // it: when the batch holds the reads of every patient of the chunk
      // and the new patients' rows go behind too.
      if (deferred_read_back > 0 || !batch_cache.HoldsAll(batch, options.libraries.guideline)) {
        KIRA_ASSIGN_OR_RETURN(const bool failed, sync());
        if (failed) return true;
      }
      // The chunk's dose checks read its new patients' first facts: from
      // the store (written now), or from batch_cache (written behind, before
      // the chunk's sessions).
      if (!deferred_facts.empty()) {
        if (deferred_read_back > 0) {
          if (Status s = deferred_facts.Flush(tx); !s.ok()) return batch_failed(s);
        } else {
          if (!facts_behind) facts_behind = std::make_unique<registry::DeferredFactsWrites>();
          facts_behind->Take(deferred_facts);
        }
        deferred_read_back = 0;
      }
      if (in_flight) in_flight->WaitForDecisions();
      std::unique_ptr<registry::SessionRecorder::PendingBatch> next;
      std::vector<std::size_t> next_rows = std::move(batch_rows);
      batch_rows.clear();
      if (!batch.empty()) {
        auto started = recorder.StartBatchIn(*uow, std::move(batch), batch_cache,
                                             registry::SessionRecorder::BatchOptions{.keep_stored_decisions = false});
        batch.clear();
        if (!started.ok()) return batch_failed(started.status());
        next = std::move(started).value();
      }
      KIRA_ASSIGN_OR_RETURN(const bool stop, finish_in_flight());
      if (stop) return true;
      in_flight = std::move(next);
      in_flight_rows = std::move(next_rows);
      return false;
    };
    // Every collected session decided and written.
    auto flush = [&]() -> StatusOr<bool> {
      KIRA_ASSIGN_OR_RETURN(const bool stop, launch());
      if (stop) return true;
      KIRA_ASSIGN_OR_RETURN(const bool stopped, finish_in_flight());
      if (stopped) return true;
      KIRA_ASSIGN_OR_RETURN(const bool failed, sync());
      if (failed) return true;
      if (facts_behind) {  // (no chunk after them)
        Status s = facts_behind->Flush(tx);
        facts_behind.reset();
        if (!s.ok()) return batch_failed(s);
      }
      return false;
    };
    for (std::size_t i : order) {
      Outcome& o = out[i];
      if (!selected(o)) continue;
      tick();
      const ImportRow& row = rows[i];
      auto row_problem = [&](std::string_view canonical, std::string reason, int line = 0) {
        const ColumnRef c = file.Where(canonical);
        pass_problems.push_back({line ? line : row.line, c.column, c.name, std::move(reason)});
      };
      // (The loop's thread reads the store only for a registry that holds
      // sessions or patients of the clinic already: then it waits for the
      // write-behind job.)
      const bool known_clinic = clinics.count(row.patient.clinic_id) > 0;
      if (!known_clinic || !fresh[row.patient.clinic_id].first || !fresh[row.patient.clinic_id].second) {
        KIRA_ASSIGN_OR_RETURN(const bool failed, sync());
        if (failed) return uow;
      }
      if (Status s = ensure_clinic(row.patient.clinic_id); !s.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(i, row.line, s));
        return uow;
      }
      const bool no_sessions = fresh[row.patient.clinic_id].first;
      // Stored session with this id?
      auto existing = no_sessions ? StatusOr<domain::SessionRecord>(NotFoundError(""))
                                  : tx.GetSession(row.session.clinic_id, row.session.id);
      if (existing.ok()) {
        auto d = DiffSession(*existing, row.session);
        if (!d) {
          o = Outcome::kUnchanged;
          continue;
        }
        if (!options.update) {
          row_problem(d->column, "conflicts with the stored session '" + row.session.id + "': stored " + d->stored +
                                     ", file " + d->file + " (to correct it, import with --update --reason)");
          o = Outcome::kInvalid;
          continue;
        }
        // An amendment changes what later sessions are judged against:
        // the sessions before it are recorded first.
        KIRA_ASSIGN_OR_RETURN(const bool stop, flush());
        if (stop) return uow;
        registry::AmendSessionRequest amend{row.session, options.actor, options.reason, std::nullopt};
        if (!row.override_reason.empty()) amend.override_ = domain::Override{"", "", row.override_reason, {}};
        batch_cache.Clear();  // the amendment changes what the patient's later sessions are judged on
        auto result = recorder.AmendIn(*uow, amend);
        if (!result.ok()) {
          KIRA_RETURN_IF_ERROR(fail_row(i, row.line, result.status()));
          return uow;
        }
        if (result->stored) {
          o = Outcome::kAmended;
        } else {
          o = NotStoredOutcome(row, *result, "amendment refused by the Advisor: ", row_problem);
        }
        continue;
      }
      if (!existing.status().IsNotFound()) return existing.status();

      KIRA_ASSIGN_OR_RETURN(auto known, stored_patient(row.patient.clinic_id, row.patient.id));
      const bool added_now = !known;  // registered just below: it cannot have facts yet
      if (known) {
        if (auto d = DiffPatient(*known, row.patient)) {
          row_problem(d->column,
                      "patient '" + row.patient.id + "' is stored with " + d->column + " " + d->stored +
                          ", the file says " + d->file +
                          " (patient facts are not changed by an import; correct them in the registry)",
                      row.patient_line);
          o = Outcome::kInvalid;
          continue;
        }
      } else {
        // (Its row written with its facts, before the chunk is decided.)
        if (Status s = registry::AddPatient(*uow, row.patient, use_batch ? &deferred_facts : nullptr); !s.ok()) {
          KIRA_RETURN_IF_ERROR(fail_row(i, row.line, s));
          return uow;
        }
        ++deferred_read_back;  // unless its first facts are kept below
        patients.emplace(Key{row.patient.clinic_id, row.patient.id}, row.patient);
      }
      // A patient with no clinical facts gets the row's dosing weight as its
      // first version (stated, dated on the session), recorded and screened
      // by the registry like facts entered by hand.
      if (options.libraries.guideline && !file.carries_facts &&
          !facts_checked.count({row.patient.clinic_id, row.patient.id})) {
        facts_checked.insert({row.patient.clinic_id, row.patient.id});
        auto facts = added_now ? StatusOr<domain::PatientFacts>(NotFoundError(""))
                               : tx.GetCurrentPatientFacts(row.patient.clinic_id, row.patient.id);
        if (!facts.ok()) {
          if (!facts.status().IsNotFound()) return facts.status();
          domain::PatientFacts f;
          f.clinic_id = row.patient.clinic_id;
          f.patient_id = row.patient.id;
          f.recorded_by = options.actor;
          f.weight_kg = units::ToKg(row.session.dosing_weight);
          f.weight_method = "stated";
          f.weight_date = domain::FormatInstant(row.session.started_at).substr(0, 10);
          f.height_cm = row.height_cm;
          f.reason = "import: dosing_weight_kg of session " + row.session.id;
          // (A patient registered just above: its record is the row's, and it
          // has no facts to read back.)
          auto r = added_now ? registry::RecordFirstFacts(*uow, options.libraries, row.patient, f,
                                                          use_batch ? &deferred_facts : nullptr)
                             : registry::RecordFacts(*uow, options.libraries, f, use_batch ? &deferred_facts : nullptr);
          if (!r.ok()) {
            KIRA_RETURN_IF_ERROR(fail_row(i, row.line, r.status()));
            return uow;
          }
          // What the batch would read back for the new patient, kept.
          if (added_now && use_batch) {
            batch_cache.AddRegistered(row.patient, r->facts, r->screenings);
            --deferred_read_back;
          } else {
            ++deferred_read_back;
          }
        }
      }
      std::optional<domain::Override> ov;
      if (auto it = recorded_overrides.find({row.session.clinic_id, row.session.id}); it != recorded_overrides.end()) {
        ov = domain::Override{it->second->who, domain::FormatInstant(it->second->at), it->second->reason, {}};
      } else if (!row.override_reason.empty()) {
        ov = domain::Override{"", "", row.override_reason, {}};
      }
      if (use_batch) {
        batch_rows.push_back(i);
        batch.push_back({row.session, options.actor, std::move(ov)});
        // Chunks bound the memory a large file needs (each chunk's decisions
        // and rows are released once written); the decisions are the same
        // for any split, since a chunk reads what the ones before it stored.
        if (batch.size() >= kBatchChunk) {
          KIRA_ASSIGN_OR_RETURN(const bool stop, launch());
          if (stop) return uow;
        }
        continue;
      }
      {
        KIRA_ASSIGN_OR_RETURN(const bool failed, sync());
        if (failed) return uow;
      }
      auto result = recorder.RecordIn(*uow, {row.session, options.actor, ov});
      KIRA_ASSIGN_OR_RETURN(const bool stop, settle(i, result));
      if (stop) return uow;
    }
    KIRA_ASSIGN_OR_RETURN(const bool stop, flush());
    if (stop) return uow;
    background_free.Free(std::move(batch_cache_held));

    // 3. What hangs off sessions and patients, and the ledger: stored as
    //    they are when new, compared when stored.
    std::map<Key, std::vector<domain::VitalSign>> vitals;
    std::map<Key, std::vector<domain::AdverseEvent>> events;
    std::map<Key, std::vector<domain::OverrideRecord>> overrides;
    std::map<Key, std::vector<domain::Assessment>> assessments;
    std::map<Key, std::vector<domain::LedgerEntry>> ledger;
    auto find_in = [](const auto& list, std::string_view id) -> const auto* {
      using T = std::remove_reference_t<decltype(list.front())>;
      for (const auto& x : list) {
        if (x.id == id) return &x;
      }
      return static_cast<T*>(nullptr);
    };
    for (std::size_t k : record_order) {
      const RecordRow& rr = records[k];
      if (std::holds_alternative<domain::PatientRecord>(rr.record) ||
          std::holds_alternative<domain::PatientFacts>(rr.record)) {
        continue;
      }
      Outcome& o = out[nrows + k];
      if (!selected(o)) continue;
      tick();
      if (Status s = ensure_clinic(RecordClinic(rr.record)); !s.ok()) {
        KIRA_RETURN_IF_ERROR(fail_row(nrows + k, rr.line, s));
        return uow;
      }
      // The stored version, if any.
      std::optional<std::string> stored;
      bool parent_new = false;
      Status lookup = std::visit(
          [&](const auto& x) -> Status {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, domain::VitalSign>) {
              Key key{x.clinic_id, x.session_id};
              if (!vitals.count(key)) { KIRA_ASSIGN_OR_RETURN(vitals[key], tx.ListVitals(x.clinic_id, x.session_id)); }
              if (const auto* f = find_in(vitals[key], x.id)) stored = registry::Canonical(*f);
              parent_new = sessions_written.count(key) > 0;
            } else if constexpr (std::is_same_v<T, domain::AdverseEvent>) {
              Key key{x.clinic_id, x.session_id};
              if (!events.count(key)) { KIRA_ASSIGN_OR_RETURN(events[key], tx.ListAdverseEvents(x.clinic_id, x.session_id)); }
              if (const auto* f = find_in(events[key], x.id)) stored = registry::Canonical(*f);
              parent_new = sessions_written.count(key) > 0;
            } else if constexpr (std::is_same_v<T, domain::OverrideRecord>) {
              Key key{x.clinic_id, x.session_id};
              KIRA_ASSIGN_OR_RETURN(overrides[key], tx.ListOverrides(x.clinic_id, x.session_id));
              if (const auto* f = find_in(overrides[key], x.id)) stored = registry::Canonical(*f);
              parent_new = sessions_written.count(key) > 0;
            } else if constexpr (std::is_same_v<T, domain::Assessment>) {
              Key key{x.clinic_id, x.patient_id};
              if (!assessments.count(key)) { KIRA_ASSIGN_OR_RETURN(assessments[key], tx.ListAssessments(x.clinic_id, x.patient_id)); }
              if (const auto* f = find_in(assessments[key], x.id)) stored = registry::Canonical(*f);
            } else if constexpr (std::is_same_v<T, domain::LedgerEntry>) {
              Key key{x.clinic_id, x.lot};
              if (!ledger.count(key)) { KIRA_ASSIGN_OR_RETURN(ledger[key], tx.ListLedger(x.clinic_id, x.lot)); }
              if (const auto* f = find_in(ledger[key], x.id)) stored = registry::Canonical(*f);
            }
            return Status::Ok();
          },
          rr.record);
      KIRA_RETURN_IF_ERROR(lookup);
      if (stored) {
        const std::string d = CanonicalDifference(*stored, CanonicalOf(rr.record));
        if (d.empty()) {
          // An override written with its session in this pass is new.
          o = parent_new || only_accepted ? Outcome::kAccepted : Outcome::kUnchanged;
        } else {
          pass_problems.push_back({rr.line, 0, "", rr.form + " '" + RecordId(rr.record) +
                                                       "' conflicts with the stored one (" + d + ")"});
          o = Outcome::kInvalid;
        }
        continue;
      }
      Status write = std::visit(
          [&](const auto& x) -> Status {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, domain::VitalSign>) {
              KIRA_RETURN_IF_ERROR(registry::AddVital(*uow, x));
              vitals[{x.clinic_id, x.session_id}].push_back(x);
            } else if constexpr (std::is_same_v<T, domain::AdverseEvent>) {
              KIRA_RETURN_IF_ERROR(registry::AddAdverseEvent(*uow, x));
              events[{x.clinic_id, x.session_id}].push_back(x);
            } else if constexpr (std::is_same_v<T, domain::Assessment>) {
              // Scored (and any alert raised) by the registry's use case.
              KIRA_ASSIGN_OR_RETURN(auto scored, registry::RecordAssessment(*uow, options.libraries, x));
              assessments[{x.clinic_id, x.patient_id}].push_back(scored.assessment);
            } else if constexpr (std::is_same_v<T, domain::LedgerEntry>) {
              KIRA_RETURN_IF_ERROR(registry::AddLedgerEntry(*uow, x));
              ledger[{x.clinic_id, x.lot}].push_back(x);
            } else if constexpr (std::is_same_v<T, domain::OverrideRecord>) {
              // Overrides are made by the Advisor's gate when a session is
              // recorded or amended, never written on their own.
              return FailedPreconditionError(
                  "override '" + x.id + "': only the override given when its session is recorded can be imported, "
                  "and session '" + x.session_id + "' " +
                  (sessions_written.count({x.clinic_id, x.session_id}) ? "was recorded without it" : "is not imported"));
            }
            return Status::Ok();
          },
          rr.record);
      if (!write.ok()) {
        if (write.code() == StatusCode::kFailedPrecondition && std::holds_alternative<domain::OverrideRecord>(rr.record)) {
          pass_problems.push_back({rr.line, 0, "", std::string(write.message())});
          o = Outcome::kInvalid;
          continue;
        }
        // The problem names the record it is about, not only the line.
        KIRA_RETURN_IF_ERROR(fail_row(
            nrows + k, rr.line,
            Status(write.code(), rr.form + " '" + RecordId(rr.record) + "': " + std::string(write.message()))));
        return uow;
      }
      o = Outcome::kAccepted;
    }
    if (options.progress) options.progress(static_cast<int>(total), static_cast<int>(total));
    return uow;
  };

  auto tally = [&](const std::vector<Outcome>& out) {
    report.accepted = report.amended = report.refused = report.unchanged = 0;
    int invalid = 0;
    for (Outcome o : out) {
      switch (o) {
        case Outcome::kAccepted: ++report.accepted; break;
        case Outcome::kAmended: ++report.amended; break;
        case Outcome::kRefused: ++report.refused; break;
        case Outcome::kUnchanged: ++report.unchanged; break;
        case Outcome::kInvalid: ++invalid; break;
        case Outcome::kPending: break;
      }
    }
    report.invalid = file.invalid_rows + invalid;
  };
  auto finish = [&] {
    std::stable_sort(report.problems.begin(), report.problems.end(), [](const RowError& a, const RowError& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
  };

  if (file.fatal) {
    report.invalid = report.rows_read;
    finish();
    return report;
  }
  std::unique_ptr<registry::UnitOfWork> uow;
  for (bool retry = true; retry;) {
    uow.reset();
    std::vector<Outcome> attempt = outcome;
    KIRA_ASSIGN_OR_RETURN(uow, run_pass(attempt, false, &retry));
    if (retry) {
      // Keep what the failed row taught (it is now invalid); every other
      // row is judged again in a fresh transaction.
      for (std::size_t i : failed_in_storage) outcome[i] = Outcome::kInvalid;
      continue;
    }
    outcome = attempt;
  }
  report.problems.insert(report.problems.end(), pass_problems.begin(), pass_problems.end());
  tally(outcome);
  const bool clean = report.refused == 0 && report.invalid == 0;
  const bool anything = report.accepted + report.amended > 0;
  if (options.mode == ImportMode::kDryRun || !anything || (!clean && options.mode == ImportMode::kAllOrNothing)) {
    finish();
    return report;  // uow rolls back
  }
  if (clean) {
    KIRA_RETURN_IF_ERROR(uow->Commit());
  } else {
    // Partial: redo, writing only what passed, so that nothing of a refused
    // or invalid row (its new patient included) is stored.
    uow.reset();
    std::vector<Outcome> second = outcome;
    bool retry = false;
    KIRA_ASSIGN_OR_RETURN(uow, run_pass(second, true, &retry));
    if (retry || !pass_problems.empty()) {
      return InternalError("partial import: the second pass did not reproduce the first (nothing was written)");
    }
    KIRA_RETURN_IF_ERROR(uow->Commit());
  }
  report.committed = true;
  report.written = report.accepted + report.amended;
  finish();
  return report;
}

}  // namespace kira::interop
