// The batch form of the record-session use case (SessionRecorder::
// RecordBatchIn, what an import uses) against the one-by-one form (RecordIn,
// what the CLI, the API and the web use), on the shipped Advisor: for the
// same requests on the same registry, every result (stored or not, the
// decision's outcome and findings, the refusal, the override, the error of a
// request that cannot be recorded) and everything stored -- sessions with
// their decision, overrides, and the audit content record by record (the
// batch audits its stored sessions in batch rows; both chains verify) --
// must be the same. Property test over
// random sessions around the dose limits, same-day repeats, the annual cap,
// inconsistent pump rates, overrides, esketamine, planned sessions, a
// patient without facts, one with an open suicidality alert and one not
// registered; on SQLite (the multi-row writes) and the in-memory store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/registry/advisor.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/memory/memory_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "testing/advisor_fixtures.h"

namespace kira::registry {
namespace {

const Libraries& Libs() {
  static const Libraries libs = [] {
    static auto g = api::ParseGuideline(kira::testing::ReadSourceFile("guidelines/kira.json"));
    static auto a = api::ParseAdvisorLibrary(kira::testing::ReadSourceFile("guidelines/advisor.json"));
    static auto i = api::ParseInstrumentLibrary(kira::testing::ReadSourceFile("guidelines/instruments.json"));
    if (!g.ok() || !a.ok() || !i.ok()) std::abort();
    return Libraries{&*g, &*a, &*i};
  }();
  return libs;
}

domain::Instant At(const char* iso) {
  domain::Instant t{};
  if (!domain::ParseInstant(iso, &t)) std::abort();
  return t;
}

constexpr int kPatients = 24;

// The registry both paths start from: patients with facts (one pregnant,
// one with a PHQ-9 item 9 > 0 alert left open, one without facts).
Status Seed(storage::Store& store, const Clock& clock) {
  return RunInUnitOfWork(store, clock, "system:test", [&](UnitOfWork& uow) -> Status {
    KIRA_RETURN_IF_ERROR(AddClinic(uow, {"c1", "c1", "UTC"}));
    for (int p = 0; p < kPatients; ++p) {
      const std::string id = "P" + std::to_string(p);
      KIRA_RETURN_IF_ERROR(AddPatient(uow, {"c1", id, p % 2 ? "female" : "male", 1950 + 2 * p, "trd"}, std::nullopt));
      if (p == 1) continue;  // no facts: the dose check cannot run
      domain::PatientFacts f;
      f.clinic_id = "c1";
      f.patient_id = id;
      f.weight_kg = 50 + 2 * p;
      f.weight_method = "measured";
      f.weight_date = "2026-01-02";
      f.height_cm = 160 + p;
      f.pregnancy = p == 3 ? domain::PregnancyStatus::kPregnant : domain::PregnancyStatus::kNotPregnant;
      KIRA_RETURN_IF_ERROR(RecordFacts(uow, Libs(), f).status());
    }
    return RecordAssessment(uow, Libs(), {"c1", "P5/phq9", "P5", "", At("2026-01-02T08:00:00Z"), "phq9",
                                          {1, 1, 1, 1, 1, 1, 1, 1, 2}, 0, ""})
        .status();
  });
}

std::vector<RecordSessionRequest> RandomRequests(std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<RecordSessionRequest> out;
  const domain::Instant start = At("2026-01-05T09:00:00Z");
  for (int k = 0; k < 1200; ++k) {  // more than the batch decides on one thread
    // Two patients get many sessions (the annual cap); kPatients is not registered.
    const int p = pick(5) < 2 ? 6 + pick(2) : pick(kPatients + 1);
    domain::SessionRecord s;
    s.clinic_id = "c1";
    s.id = "S" + std::to_string(k);
    s.patient_id = "P" + std::to_string(p);
    s.recorded_by = "rn-1";
    // Days over a bit more than a year (the annual cap), some on the same day.
    s.started_at = start + std::chrono::hours(24 * pick(420)) + std::chrono::minutes(30 * pick(3));
    const double weight = 50 + 2 * p;
    s.dosing_weight = units::Kg(weight);
    if (pick(6) == 0) {
      s.protocol_id = "in-esketamine-trd";
      const double dose = 28.0 * (1 + pick(4));
      s.planned_dose = units::Mg(dose);
      s.given_dose = units::Mg(dose);
      // A nasal spray: no pump fields (the Advisor refuses them on this route).
      s.stopped_at = s.started_at + std::chrono::minutes(120);
      s.state = domain::SessionState::kDischarged;
    } else {
      s.protocol_id = "iv-0.5-40min";
      const double per_kg = uniform(0.2, 1.3);
      const double dose = std::round(per_kg * weight * 10) / 10;
      const double minutes = pick(4) == 0 ? uniform(20, 70) : 40;
      s.planned_dose = units::Mg(dose);
      s.concentration = units::MgPerMl(pick(5) == 0 ? 2 : 1);
      double rate = dose / units::ToMgPerMl(*s.concentration) * 60 / minutes;
      if (pick(10) == 0) rate *= uniform(1.5, 20);  // disagrees with dose and duration
      s.rate = units::MlPerH(std::round(rate * 100) / 100);
      if (pick(8) == 0) {
        s.state = domain::SessionState::kPlanned;
      } else {
        s.given_dose = s.planned_dose;
        s.stopped_at = s.started_at + std::chrono::microseconds(static_cast<std::int64_t>(minutes * 60e6));
        s.state = domain::SessionState::kDischarged;
      }
    }
    std::optional<domain::Override> ov;
    if (pick(3) == 0) ov = domain::Override{"", "", "reviewed with the prescriber", {}};
    if (pick(25) == 0) s.recorded_by.clear();
    out.push_back({std::move(s), "rn-1", std::move(ov)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.session.started_at, a.session.id) < std::tie(b.session.started_at, b.session.id);
  });
  return out;
}

std::string Describe(const StatusOr<RecordSessionResult>& r) {
  if (!r.ok()) return "error " + r.status().ToString();
  std::string out = std::string(r->stored ? "stored " : "not stored ") + r->decision.outcome + " [" + r->refusal + "]";
  for (const auto& f : r->decision.findings) {
    out += "\n  " + f.rule_id + " " + std::string(domain::SeverityName(f.severity)) + " " + f.message;
  }
  for (const auto& [k, v] : r->decision.inputs_used) out += "\n  input " + k + "=" + v;
  if (r->decision.override_) {
    out += "\n  override " + r->decision.override_->who + " " + r->decision.override_->when + " " +
           r->decision.override_->reason;
    for (const auto& id : r->decision.override_->rule_ids) out += " " + id;
  }
  return out;
}

struct Outcome {
  std::vector<std::string> results;
  std::vector<std::string> sessions, overrides, audit;
  int batch_rows = 0;
};

// batch: 0 one by one (RecordIn); else RecordBatchIn on chunks of `batch`
// requests sharing one BatchCache (an import's chunks).
Outcome RecordAll(storage::Store& store, const std::vector<RecordSessionRequest>& requests, std::size_t batch) {
  FakeClock clock(At("2027-03-01T12:00:00Z"));
  EXPECT_TRUE(Seed(store, clock).ok());
  SessionRecorder recorder(&store, &clock, AdvisorDoseCheck(*Libs().guideline, &Libs().advisor->annual_cap),
                           Libs().guideline);
  Outcome out;
  Status s = RunInUnitOfWork(store, clock, "system:import", [&](UnitOfWork& uow) -> Status {
    out.results.clear();
    if (batch >= requests.size()) {
      KIRA_ASSIGN_OR_RETURN(auto results, recorder.RecordBatchIn(uow, requests));
      for (const auto& r : results) out.results.push_back(Describe(r));
    } else if (batch > 0) {
      SessionRecorder::BatchCache cache;
      for (std::size_t from = 0; from < requests.size(); from += batch) {
        const std::vector<RecordSessionRequest> chunk(
            requests.begin() + static_cast<std::ptrdiff_t>(from),
            requests.begin() + static_cast<std::ptrdiff_t>(std::min(requests.size(), from + batch)));
        KIRA_ASSIGN_OR_RETURN(auto results, recorder.RecordBatchIn(uow, chunk, cache));
        for (const auto& r : results) out.results.push_back(Describe(r));
      }
    } else {
      for (const auto& req : requests) out.results.push_back(Describe(recorder.RecordIn(uow, req)));
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto tx = store.Begin();
  EXPECT_TRUE(tx.ok());
  auto sessions = (*tx)->ListSessions("c1", {"", 100000});
  EXPECT_TRUE(sessions.ok());
  for (const auto& x : *sessions) {
    out.sessions.push_back(x.id + " " + x.patient_id + " " + x.decision_outcome + " v" +
                           std::to_string(x.facts_version) + " " + x.screening_outcome);
    auto ovs = (*tx)->ListOverrides("c1", x.id);
    EXPECT_TRUE(ovs.ok());
    for (const auto& o : *ovs) {
      std::string ids;
      for (const auto& r : o.rule_ids) ids += r + ",";
      out.overrides.push_back(o.id + " " + o.who + " " + domain::FormatInstant(o.at) + " " + ids + " " + o.reason);
    }
  }
  auto audit = (*tx)->ListAudit("c1", 0, 1000000);
  EXPECT_TRUE(audit.ok());
  // The audit content record by record: a batch row (RecordBatchIn's
  // stored sessions) stands for the rows RecordIn writes one by one.
  for (const auto& e : *audit) {
    if (e.entity != kAuditBatchEntity) {
      out.audit.push_back(e.action + " " + e.entity + " " + e.entity_id + "\n" + e.before + "\n" + e.after);
      continue;
    }
    ++out.batch_rows;
    std::size_t at = 0;
    while (at < e.after.size()) {
      const std::size_t line_end = e.after.find('\n', at);
      const std::string head = e.after.substr(at, line_end - at);
      EXPECT_EQ(head.rfind("record=", 0), 0u) << e.after;
      std::size_t next = e.after.find("\nrecord=", line_end);
      next = next == std::string::npos ? e.after.size() : next + 1;
      const std::string text = e.after.substr(line_end + 1, next - line_end - 1);
      const std::size_t id = text.find("\nid=");
      const std::string record_id = text.substr(id + 4, text.find('\n', id + 1) - id - 4);
      out.audit.push_back(e.action + " " + head.substr(7) + " " + record_id + "\n\n" + text);
      at = next;
    }
  }
  tx->reset();  // (ends the read transaction: VerifyAudit opens its own)
  auto verified = VerifyAudit(store, "c1");
  EXPECT_TRUE(verified.ok() && verified->ok) << (verified.ok() ? verified->problem : verified.status().ToString());
  return out;
}

void ExpectSame(const Outcome& one, const Outcome& batch) {
  ASSERT_EQ(one.results.size(), batch.results.size());
  for (std::size_t i = 0; i < one.results.size(); ++i) EXPECT_EQ(one.results[i], batch.results[i]) << "request " << i;
  EXPECT_EQ(one.sessions, batch.sessions);
  EXPECT_EQ(one.overrides, batch.overrides);
  ASSERT_EQ(one.audit.size(), batch.audit.size());
  for (std::size_t i = 0; i < one.audit.size(); ++i) EXPECT_EQ(one.audit[i], batch.audit[i]) << "audit row " << i;
}

class BatchTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override { SetAuditKeys(AuditKeys{std::string(32, 'k'), std::string(32, 's')}); }
  void TearDown() override { SetAuditKeys(std::nullopt); }
};

TEST_P(BatchTest, BatchAndOneByOneGiveTheSameDecisionsAndStoreTheSameRecordsOnSqlite) {
  const auto requests = RandomRequests(GetParam());
  const auto dir = std::filesystem::temp_directory_path() /
                   ("kira_batch_" + std::to_string(::getpid()) + "_" + std::to_string(GetParam()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto open = [&](const char* name) {
    storage::SqliteOptions o;
    o.path = (dir / name).string();
    auto s = storage::SqliteStore::Open(o);
    if (!s.ok()) std::abort();
    return std::move(s).value();
  };
  auto a = open("one.db");
  auto b = open("batch.db");
  auto c = open("chunks.db");
  const Outcome one = RecordAll(*a, requests, 0);
  const Outcome batch = RecordAll(*b, requests, requests.size());
  ExpectSame(one, batch);
  EXPECT_EQ(one.batch_rows, 0);
  EXPECT_GT(batch.batch_rows, 0);
  // In chunks with the patients' reads kept between them, as an import does.
  ExpectSame(one, RecordAll(*c, requests, 97));
  // The property is not vacuous: the random requests reach every branch.
  auto count = [&](const char* what) {
    return std::count_if(one.results.begin(), one.results.end(),
                         [&](const std::string& r) { return r.find(what) != std::string::npos; });
  };
  EXPECT_GT(count("stored ok"), 20);
  EXPECT_GT(count("not stored hard_stop"), 5);
  EXPECT_GT(count("record.inconsistent"), 3);
  EXPECT_GT(count("ok_with_override"), 3);
  EXPECT_GT(count("plan.cap.annual"), 1);
  EXPECT_GT(count("error"), 3);
  std::filesystem::remove_all(dir);
}

TEST_P(BatchTest, BatchAndOneByOneAgreeOnTheMemoryStore) {
  const auto requests = RandomRequests(GetParam() + 1000);
  storage::MemoryStore a, b, c;
  const Outcome one = RecordAll(a, requests, 0);
  ExpectSame(one, RecordAll(b, requests, requests.size()));
  ExpectSame(one, RecordAll(c, requests, 61));
}

INSTANTIATE_TEST_SUITE_P(Seeds, BatchTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace kira::registry
