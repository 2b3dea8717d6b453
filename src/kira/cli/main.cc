// kira: composition root. Parses the command line, wires the subcommands and
// maps outcomes to exit codes (0 done, 1 decision, 2 bad input).
#include <CLI/CLI.hpp>

#include <iostream>

#include "kira/cli/advisor_basic_commands.h"
#include "kira/cli/common.h"
#include "kira/cli/registry_commands.h"
#include "kira/cli/server_commands.h"

int main(int argc, char** argv) {
  kira::cli::Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;

  CLI::App app{"kira: Ketamine Infusion Registry & Advisor (decision support; every decision cites its rule)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kira 0.1.0");
  app.add_option("--guideline", ctx.guideline_path, "Guideline library JSON (default: the one built in)");
  app.add_option("--overlay", ctx.overlay_path, "Clinic overlay JSON (may tighten limits, never loosen)");

  kira::cli::AddScreenCommand(app, ctx);
  kira::cli::AddDoseCommand(app, ctx);
  kira::cli::AddGuidelineCommand(app, ctx);
  kira::cli::AddDemoCommand(app, ctx);
  kira::cli::AddImportCommand(app, ctx);
  kira::cli::AddExportCommand(app, ctx);
  kira::cli::AddAuditCommand(app, ctx);
  kira::cli::AddLedgerCommand(app, ctx);
  kira::cli::AddServeCommand(app, ctx);
  kira::cli::AddUserCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kira: " << e.what() << "\n";
    return kira::cli::kExitBadInput;
  }
  return ctx.exit_code;
}
