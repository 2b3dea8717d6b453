// `kira pk`: the plasma concentration a protocol dose is predicted to reach,
// the check against the protocol's intended band, and the curve (issue 7).
#ifndef KIRA_CLI_PK_COMMAND_H_
#define KIRA_CLI_PK_COMMAND_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

void AddPkCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_PK_COMMAND_H_
