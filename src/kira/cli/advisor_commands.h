// `kira score`, `kira plan`, `kira monitor` and `kira discharge` (Advisor
// part 2). Each reads its guideline data from --advisor-library /
// --instruments-library FILE, or the copies embedded at build time.
#ifndef KIRA_CLI_ADVISOR_COMMANDS_H_
#define KIRA_CLI_ADVISOR_COMMANDS_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

void AddScoreCommand(CLI::App& app, Context& ctx);
void AddPlanCommand(CLI::App& app, Context& ctx);
void AddMonitorCommand(CLI::App& app, Context& ctx);
void AddDischargeCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_ADVISOR_COMMANDS_H_
