// Human-readable renderings of decisions for the terminal.
#ifndef KIRA_CLI_TEXT_H_
#define KIRA_CLI_TEXT_H_

#include <iosfwd>
#include <string>

#include "kira/domain/decision.h"

namespace kira::cli {

// Upper-case outcome banner, e.g. "NOT ELIGIBLE".
std::string Banner(const std::string& outcome);

// Findings as a table: severity, rule id, grade/certainty, evidence, message,
// then the citation on its own line. Inputs used and the override follow.
void PrintDecision(std::ostream& os, const domain::Decision& d);

}  // namespace kira::cli

#endif  // KIRA_CLI_TEXT_H_
