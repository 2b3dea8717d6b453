// `kira evidence list` and `kira meta` (Evidence, issue 6): the bundled
// evidence base and pooling of its trials with kira::stats.
#ifndef KIRA_CLI_EVIDENCE_COMMAND_H_
#define KIRA_CLI_EVIDENCE_COMMAND_H_

namespace CLI {
class App;
}

namespace kira::cli {

struct Context;

// Registers `evidence list [--json] [--evidence FILE]` and
// `meta --outcome ID [--route R] [--comparator C] [--method M] [--test T]
//  [--measure OR|RR|RD] [--include-crossover] [--verified-only] [--svg FILE]
//  [--funnel FILE] [--clinic R/N] [--json] [--evidence FILE]`. Bad input (unknown outcome, method, test,
// measure; unreadable or invalid evidence file; unwritable --svg path) exits 2
// with a message naming the option or JSON field.
void AddEvidenceCommands(CLI::App& app, Context& ctx);

}  // namespace kira::cli

#endif  // KIRA_CLI_EVIDENCE_COMMAND_H_
