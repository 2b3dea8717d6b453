#ifndef KIRA_CLI_LEDGER_ENTRY_COMMAND_H_
#define KIRA_CLI_LEDGER_ENTRY_COMMAND_H_

#include "kira/cli/common.h"

namespace kira::cli {
// kira ledger-entry: one controlled-substance movement (registry/ledger.h).
void AddLedgerEntryCommand(CLI::App& app, Context& ctx);
}  // namespace kira::cli

#endif  // KIRA_CLI_LEDGER_ENTRY_COMMAND_H_
