// `kira demo`, `kira import`, `kira export`, `kira audit verify` and
// `kira ledger` (Registry, part 3). Each takes --db URL (default
// ./var/kira.db; postgres://... selects PostgreSQL).
#ifndef KIRA_CLI_REGISTRY_COMMANDS_H_
#define KIRA_CLI_REGISTRY_COMMANDS_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

void AddDemoCommand(CLI::App& app, Context& ctx);
void AddImportCommand(CLI::App& app, Context& ctx);
void AddExportCommand(CLI::App& app, Context& ctx);
void AddAuditCommand(CLI::App& app, Context& ctx);
void AddLedgerCommand(CLI::App& app, Context& ctx);
// `kira facts set|show`, `kira assessment add`, `kira alert list|ack`: the
// stored clinical record through the same registry use cases as the API.
void AddFactsCommand(CLI::App& app, Context& ctx);
void AddAssessmentCommand(CLI::App& app, Context& ctx);
void AddAlertCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_REGISTRY_COMMANDS_H_
