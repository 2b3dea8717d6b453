// Child process for crash_test.cc: records sessions into a SQLite registry as
// fast as it can and, after each commit returns, writes the session id and a
// newline to stdout (a pipe to the test). The test SIGKILLs it at random.
//
//   kira_crash_child DB_PATH ID_PREFIX
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "kira/registry/clinical.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/sqlite/sqlite_store.h"

namespace {

int Fail(const kira::Status& s) {
  std::fprintf(stderr, "crash_child: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kira;  // NOLINT: a small test program
  if (argc != 3) {
    std::fprintf(stderr, "usage: kira_crash_child DB_PATH ID_PREFIX\n");
    return 2;
  }
  auto store = storage::SqliteStore::Open({.path = argv[1]});
  if (!store.ok()) return Fail(store.status());
  registry::SystemClock clock;
  Status seeded = registry::RunInUnitOfWork(**store, clock, "system:crash", [](registry::UnitOfWork& uow) {
    if (uow.tx().GetClinic("c1").ok()) return Status::Ok();
    KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, {"c1", "Crash Clinic", "UTC"}));
    return registry::AddPatient(uow, {"c1", "p1", "male", 1975, "trd"}, std::nullopt);
  });
  if (!seeded.ok()) return Fail(seeded);

  registry::SessionRecorder recorder(store->get(), &clock, [](const registry::DoseCheckInput&) {
    return StatusOr<domain::Decision>(domain::Decision{"ok", {}, {}, {}, std::nullopt});
  });
  for (long i = 0;; ++i) {
    const std::string id = std::string(argv[2]) + "-" + std::to_string(i);
    Status s = registry::RunInUnitOfWork(**store, clock, "u1", [&](registry::UnitOfWork& uow) -> Status {
      domain::SessionRecord rec;
      rec.clinic_id = "c1";
      rec.id = id;
      rec.patient_id = "p1";
      rec.protocol_id = "iv-0.5-40min";
      rec.state = domain::SessionState::kDischarged;
      rec.dosing_weight = units::Kg(80);
      rec.planned_dose = units::Mg(40);
      rec.given_dose = units::Mg(40);
      rec.concentration = units::MgPerMl(1);
      rec.rate = units::MlPerH(60);
      rec.started_at = clock.Now();
      rec.recorded_by = "u1";
      KIRA_ASSIGN_OR_RETURN(auto r, recorder.RecordIn(uow, {rec, "u1", std::nullopt}));
      if (!r.stored) return InternalError("not stored: " + r.refusal);
      for (int v = 0; v < 3; ++v) {
        KIRA_RETURN_IF_ERROR(registry::AddVital(
            uow, {"c1", id + "/v" + std::to_string(v), id, clock.Now(), domain::VitalKind::kHeartRate, 70.0 + v}));
      }
      return Status::Ok();
    });
    if (!s.ok()) return Fail(s);
    // The acknowledgement goes out only after Commit() returned OK: from here
    // on the test may rely on this session being durable.
    std::string line = id + "\n";
    if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  }
}
