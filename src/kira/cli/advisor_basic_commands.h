// `kira screen`, `kira dose` and `kira guideline` (Advisor part 1).
#ifndef KIRA_CLI_ADVISOR_BASIC_COMMANDS_H_
#define KIRA_CLI_ADVISOR_BASIC_COMMANDS_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

void AddScreenCommand(CLI::App& app, Context& ctx);
void AddDoseCommand(CLI::App& app, Context& ctx);
void AddGuidelineCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_ADVISOR_BASIC_COMMANDS_H_
