// `kira report` (issue 6, registry analytics): the cohort report of a
// registry by indication, protocol, route or clinic, as tables, JSON and SVG.
#ifndef KIRA_CLI_REPORT_COMMAND_H_
#define KIRA_CLI_REPORT_COMMAND_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

// Registers `report [--db URL] [--by indication|protocol|route|clinic]
// [--clinic ID] [--instrument ID] [--json] [--svg-dir DIR] [--trials-outcome ID]`.
// Exit 0 with the report; exit 2 (message naming the option) for an unknown
// --by or --instrument, an unopenable --db, an unknown --clinic or an
// unwritable --svg-dir.
void AddReportCommand(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_REPORT_COMMAND_H_
