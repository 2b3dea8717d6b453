#include "kira/registry/ledger.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "kira/registry/canonical.h"

namespace kira::registry {

namespace {

std::string Mg(units::Milligrams m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f mg", units::ToMg(m));
  return buf;
}

bool Differ(units::Milligrams a, units::Milligrams b) {
  return std::fabs(units::ToMg(a) - units::ToMg(b)) > kLedgerToleranceMg;
}

}  // namespace

std::string_view DiscrepancyKindName(DiscrepancyKind k) {
  switch (k) {
    case DiscrepancyKind::kNegativeBalance: return "negative_balance";
    case DiscrepancyKind::kDoseMismatch: return "dose_mismatch";
    case DiscrepancyKind::kUnaccountedDraw: return "unaccounted_draw";
    case DiscrepancyKind::kNoLedgerForDose: return "no_ledger_for_dose";
  }
  return "negative_balance";
}

Status AddLedgerEntry(UnitOfWork& uow, const domain::LedgerEntry& entry) {
  if (entry.kind != domain::LedgerKind::kReceived) {
    KIRA_ASSIGN_OR_RETURN(auto lot, uow.tx().ListLedger(entry.clinic_id, entry.lot));
    bool received = false;
    for (const auto& e : lot) received = received || e.kind == domain::LedgerKind::kReceived;
    if (!received) {
      return FailedPreconditionError("lot '" + entry.lot + "': no 'received' entry for this lot");
    }
  }
  KIRA_RETURN_IF_ERROR(uow.tx().InsertLedgerEntry(entry));
  return uow.Audit(entry.clinic_id, "insert", "ledger", entry.id, "", Canonical(entry));
}

StatusOr<LedgerReconciliation> ReconcileLedger(storage::Store& store, std::string_view clinic_id) {
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  KIRA_ASSIGN_OR_RETURN(auto entries, tx->ListLedger(clinic_id, ""));
  LedgerReconciliation out;
  std::map<std::string, LotBalance> lots;
  struct PerSession {
    units::Milligrams drawn, administered, wasted;
  };
  std::map<std::string, PerSession> sessions;
  for (const auto& e : entries) {
    LotBalance& b = lots[e.lot];
    b.lot = e.lot;
    switch (e.kind) {
      case domain::LedgerKind::kReceived: b.received += e.amount; break;
      case domain::LedgerKind::kDrawn: b.drawn += e.amount; break;
      case domain::LedgerKind::kAdministered: b.administered += e.amount; break;
      case domain::LedgerKind::kWasted: b.wasted += e.amount; break;
      case domain::LedgerKind::kReturned: b.returned += e.amount; break;
    }
    if (!e.session_id.empty()) {
      PerSession& s = sessions[e.session_id];
      if (e.kind == domain::LedgerKind::kDrawn) s.drawn += e.amount;
      if (e.kind == domain::LedgerKind::kAdministered) s.administered += e.amount;
      if (e.kind == domain::LedgerKind::kWasted) s.wasted += e.amount;
    }
  }
  for (auto& [lot, b] : lots) {
    b.balance = b.received - b.administered - b.wasted - b.returned;
    if (units::ToMg(b.balance) < -kLedgerToleranceMg) {
      out.discrepancies.push_back({DiscrepancyKind::kNegativeBalance, lot, "",
                                   "lot '" + lot + "' balance is " + Mg(b.balance)});
    }
    out.lots.push_back(b);
  }
  for (const auto& [sid, s] : sessions) {
    if (units::ToMg(s.drawn) > 0 && Differ(s.drawn, s.administered + s.wasted)) {
      out.discrepancies.push_back(
          {DiscrepancyKind::kUnaccountedDraw, "", sid,
           "session '" + sid + "': drawn " + Mg(s.drawn) + " but administered " +
               Mg(s.administered) + " + wasted " + Mg(s.wasted)});
    }
  }
  storage::Page page;
  while (true) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx->ListSessions(clinic_id, page));
    if (batch.empty()) break;
    for (const auto& s : batch) {
      if (!s.given_dose || units::ToMg(*s.given_dose) <= 0) continue;
      auto it = sessions.find(s.id);
      if (it == sessions.end()) {
        out.discrepancies.push_back({DiscrepancyKind::kNoLedgerForDose, "", s.id,
                                     "session '" + s.id + "': given " + Mg(*s.given_dose) +
                                         " but the ledger has no movement for it"});
      } else if (Differ(it->second.administered, *s.given_dose)) {
        out.discrepancies.push_back({DiscrepancyKind::kDoseMismatch, "", s.id,
                                     "session '" + s.id + "': given " + Mg(*s.given_dose) +
                                         " but ledger administered " + Mg(it->second.administered)});
      }
    }
    page.after_id = batch.back().id;
  }
  return out;
}

}  // namespace kira::registry
