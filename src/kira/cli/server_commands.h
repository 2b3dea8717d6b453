// `kira serve` (the HTTP API and web UI) and `kira user add` (log-ins for it).
#ifndef KIRA_CLI_SERVER_COMMANDS_H_
#define KIRA_CLI_SERVER_COMMANDS_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

void AddServeCommand(CLI::App& app, Context& ctx);
void AddUserCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_SERVER_COMMANDS_H_
