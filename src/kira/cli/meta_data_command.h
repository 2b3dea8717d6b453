// `kira meta --data FILE`: meta-analysis of the researcher's own studies
// (CSV or JSON; column sets in kira/evidence/study_data.h and
// docs/meta-analysis.md). Univariate models (metafor rma), meta-regression,
// multilevel (--cluster / --random a/b) and multivariate (--random
// outcome|study --struct CS|UN) models (metafor rma.mv). Output: a table, or
// with --json a document that records the input rows, the options and the
// kira version, so the analysis can be re-run from it; --svg / --funnel write
// forest and funnel plots.
#ifndef KIRA_CLI_META_DATA_COMMAND_H_
#define KIRA_CLI_META_DATA_COMMAND_H_

#include <string>
#include <vector>

#include "kira/base/status.h"

namespace kira::cli {

struct Context;

inline constexpr char kKiraVersion[] = "0.1.0";

struct MetaDataArgs {
  std::string data_path;
  std::string measure;  // empty: the input type's default
  std::string method = "REML";
  std::string test = "z";
  double level = 95;  // percent, as metafor's `level`
  std::vector<std::string> mods;
  std::string cluster;
  std::string random;
  std::string structure = "CS";
  double add = 0.5;
  std::string to = "only0";
  std::string svg;
  std::string funnel;
  bool json = false;
  bool profile = true;  // profile-likelihood CIs for variance components
  // Network meta-analysis of arm-level counts (columns study, treatment, xi, ni).
  bool network = false;
  std::string reference;       // empty: alphabetically first treatment
  bool smaller_better = false;  // for P-scores: smaller odds are better
};

// Runs the analysis; bad input is kInvalidArgument naming the option, or the
// row and column of the data file.
Status RunMetaOnData(Context& ctx, const MetaDataArgs& args);

}  // namespace kira::cli

#endif  // KIRA_CLI_META_DATA_COMMAND_H_
