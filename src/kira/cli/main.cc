// kira: composition root. Parses the command line, wires the subcommands and
// maps outcomes to exit codes (0 done, 1 decision, 2 bad input).
#include <CLI/CLI.hpp>

#include <iostream>

#include "kira/cli/advisor_basic_commands.h"
#include "kira/cli/advisor_commands.h"
#include "kira/cli/common.h"
#include "kira/cli/pk_command.h"
#include "kira/cli/evidence_command.h"
#include "kira/cli/meta_data_command.h"
#include "kira/cli/ledger_entry_command.h"
#include "kira/cli/registry_commands.h"
#include "kira/cli/report_command.h"
#include "kira/cli/server_commands.h"

int main(int argc, char** argv) {
  kira::cli::Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;

  CLI::App app{"kira: Ketamine Infusion Registry & Advisor (decision support; every decision cites its rule)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kira ") + kira::cli::kKiraVersion);
  app.add_option("--guideline", ctx.guideline_path, "Guideline library JSON (default: the one built in)");
  app.add_option("--overlay", ctx.overlay_path, "Clinic overlay JSON (may tighten limits, never loosen)");

  kira::cli::AddScreenCommand(app, ctx);
  kira::cli::AddDoseCommand(app, ctx);
  kira::cli::AddGuidelineCommand(app, ctx);
  kira::cli::AddPkCommand(app, ctx);
  kira::cli::AddScoreCommand(app, ctx);
  kira::cli::AddPlanCommand(app, ctx);
  kira::cli::AddMonitorCommand(app, ctx);
  kira::cli::AddDischargeCommand(app, ctx);
  kira::cli::AddEvidenceCommands(app, ctx);
  kira::cli::AddDemoCommand(app, ctx);
  kira::cli::AddImportCommand(app, ctx);
  kira::cli::AddExportCommand(app, ctx);
  kira::cli::AddAuditCommand(app, ctx);
  kira::cli::AddLedgerCommand(app, ctx);
  kira::cli::AddLedgerEntryCommand(app, ctx);
  kira::cli::AddFactsCommand(app, ctx);
  kira::cli::AddAssessmentCommand(app, ctx);
  kira::cli::AddAlertCommand(app, ctx);
  kira::cli::AddReportCommand(app, ctx);
  kira::cli::AddServeCommand(app, ctx);
  kira::cli::AddUserCommand(app, ctx);

  // Name an unknown command instead of CLI11's "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      known = known || sub->get_name() == argv[1];
    if (!known) {
      std::cerr << "kira: unknown command '" << argv[1] << "' (see kira --help)\n";
      return kira::cli::kExitBadInput;
    }
  }
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
