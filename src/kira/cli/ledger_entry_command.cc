// kira ledger-entry: record one controlled-substance movement (vials
// received with lot and expiry, drawn or given for a session, wasted with a
// witness, returned) through the same registry use case as the web UI and
// POST /api/v1/ledger. `kira ledger` shows the balances and discrepancies.
#include "kira/cli/ledger_entry_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "kira/registry/clock.h"
#include "kira/registry/ledger.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/open_store.h"
#include "kira/units/units.h"

namespace kira::cli {

namespace {
struct LedgerEntryArgs {
  std::string db = storage::kDefaultDatabase;
  std::string clinic;
  std::string actor;
  std::string kind;
  std::string lot;
  double amount_mg = 0;
  double concentration = 0;
  std::string expiry;
  std::string session;
  std::string witness;
  std::string at;
};
}  // namespace

void AddLedgerEntryCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ledger-entry",
                                 "Record a controlled-substance movement: received, drawn, administered, wasted "
                                 "(with --witness) or returned");
  auto a = std::make_shared<LedgerEntryArgs>();
  cmd->add_option("--db", a->db, "Registry database: a SQLite file path, or postgres://...")->capture_default_str();
  cmd->add_option("--clinic", a->clinic, "Clinic id")->required();
  cmd->add_option("--actor", a->actor, "User id of the person recording")->required();
  cmd->add_option("--kind", a->kind, "received, drawn, administered, wasted or returned")->required();
  cmd->add_option("--lot", a->lot, "Lot number")->required();
  cmd->add_option("--amount-mg", a->amount_mg, "Amount in mg (> 0)")->required();
  cmd->add_option("--concentration", a->concentration, "Concentration in mg/mL");
  cmd->add_option("--expiry", a->expiry, "Expiry date YYYY-MM-DD (required when received)");
  cmd->add_option("--session", a->session, "Session id (drawn, administered, wasted)");
  cmd->add_option("--witness", a->witness, "User id of the witness (required for waste; not the actor)");
  cmd->add_option("--at", a->at, "When, ISO 8601 UTC (default: now)");
  cmd->callback([&ctx, a] {
    domain::LedgerEntry e;
    e.clinic_id = a->clinic;
    e.actor = a->actor;
    if (!domain::ParseLedgerKind(a->kind, &e.kind)) {
      return ctx.BadInput(InvalidArgumentError("--kind: must be received, drawn, administered, wasted or returned"));
    }
    if (!(a->amount_mg > 0)) return ctx.BadInput(InvalidArgumentError("--amount-mg: must be > 0"));
    if (e.kind == domain::LedgerKind::kReceived && a->expiry.empty()) {
      return ctx.BadInput(InvalidArgumentError("--expiry: required when vials are received"));
    }
    if (e.kind == domain::LedgerKind::kWasted && a->witness.empty()) {
      return ctx.BadInput(InvalidArgumentError("--witness: waste needs a witness"));
    }
    e.lot = a->lot;
    e.amount = units::Mg(a->amount_mg);
    e.concentration = units::MgPerMl(a->concentration);
    e.expiry = a->expiry;
    e.session_id = a->session;
    e.witness = a->witness;
    const std::string at = a->at.empty() ? NowUtcIso8601() : a->at;
    if (!domain::ParseInstant(at, &e.at)) return ctx.BadInput(InvalidArgumentError("--at: not an ISO 8601 instant"));
    auto store = storage::OpenStore(a->db);
    if (!store.ok()) return ctx.BadInput(store.status().WithContext("--db " + a->db));
    e.id = fmt::format("lg-{}-{}", a->lot, domain::ToUnixMicros(e.at));
    registry::SystemClock clock;
    Status s = registry::RunInUnitOfWork(**store, clock, a->actor, [&](registry::UnitOfWork& uow) -> Status {
      if (!e.session_id.empty()) KIRA_RETURN_IF_ERROR(uow.tx().GetSession(e.clinic_id, e.session_id).status());
      if (!e.witness.empty()) KIRA_RETURN_IF_ERROR(uow.tx().GetUser(e.clinic_id, e.witness).status());
      return registry::AddLedgerEntry(uow, e);
    });
    if (!s.ok()) return ctx.BadInput(s);
    *ctx.out << fmt::format("recorded {} {} mg, lot {} ({})\n", a->kind, a->amount_mg, a->lot, e.id);
  });
}

}  // namespace kira::cli
