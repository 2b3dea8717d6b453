// The controlled-substance ledger (ketamine is DEA Schedule III): every vial
// received, every amount drawn, administered, wasted (with a witness) or
// returned is an append-only, audited LedgerEntry; ReconcileLedger computes
// each lot's running balance and reports every discrepancy with the doses
// recorded on sessions.
#ifndef KIRA_REGISTRY_LEDGER_H_
#define KIRA_REGISTRY_LEDGER_H_

#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/store.h"
#include "kira/units/units.h"

namespace kira::registry {

// Appends `entry` and its audit row. InvalidArgument for a waste without a
// witness (or witnessed by the actor); FailedPrecondition when a movement out
// of a lot names a lot that was never received.
Status AddLedgerEntry(UnitOfWork& uow, const domain::LedgerEntry& entry);

struct LotBalance {
  std::string lot;
  units::Milligrams received;
  units::Milligrams drawn;
  units::Milligrams administered;
  units::Milligrams wasted;
  units::Milligrams returned;
  // received - administered - wasted - returned
  units::Milligrams balance;
};

// Frozen: rendered as these strings in reports.
enum class DiscrepancyKind {
  kNegativeBalance = 0,     // "negative_balance": more left a lot than entered it
  kDoseMismatch = 1,        // "dose_mismatch": ledger administered != session given dose
  kUnaccountedDraw = 2,     // "unaccounted_draw": drawn != administered + wasted for a session
  kNoLedgerForDose = 3,     // "no_ledger_for_dose": a given dose with no ledger movement
};
std::string_view DiscrepancyKindName(DiscrepancyKind k);

struct LedgerDiscrepancy {
  DiscrepancyKind kind;
  std::string lot;         // may be empty
  std::string session_id;  // may be empty
  std::string message;     // with the numbers
};

struct LedgerReconciliation {
  std::vector<LotBalance> lots;  // in lot order
  std::vector<LedgerDiscrepancy> discrepancies;
};

// Amounts are compared with a tolerance of kLedgerToleranceMg, the
// resolution to which doses are recorded.
inline constexpr double kLedgerToleranceMg = 0.01;
StatusOr<LedgerReconciliation> ReconcileLedger(storage::Store& store, std::string_view clinic_id);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_LEDGER_H_
