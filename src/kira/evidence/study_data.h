// A researcher's own meta-analysis data: a CSV or JSON file with one row per
// study (or per estimate), read into effect sizes for kira_stats. One
// documented column set per input type (metafor's escalc argument names):
//
//   2x2 counts            ai, bi, ci, di        (events / non-events, treated / control)
//                         ai, n1i, ci, n2i      (events and arm sizes)
//   means                 m1i, sd1i, n1i, m2i, sd2i, n2i
//   proportions           xi, ni
//   effect sizes          yi with vi (sampling variance) or sei (standard error)
//
// Optional columns: `study` (a label; rows are "Study N" otherwise), any
// numeric moderator, and grouping columns for multilevel / multivariate
// models (text or numbers). CSV: RFC 4180, first record is the header,
// quoted fields may hold commas, quotes ("") and newlines. JSON: an array of
// objects, or {"studies": [...]}; values are numbers, strings or null.
//
// Every error names the row (data row, 1-based) and the column, plus the
// line for CSV: `row 3 (line 4), column vi: negative sampling variance -0.2`.
#ifndef KIRA_EVIDENCE_STUDY_DATA_H_
#define KIRA_EVIDENCE_STUDY_DATA_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/meta_analysis.h"

namespace kira::evidence {

struct StudyTable {
  std::string format;  // "csv" or "json"
  std::vector<std::string> columns;
  struct Row {
    int line = 0;  // CSV line where the record starts; JSON: 0
    std::vector<std::string> cells;  // one per column; "" is missing
  };
  std::vector<Row> rows;
};

// Parses CSV or JSON (detected from the first non-blank character: '[' or
// '{' is JSON). Errors: kInvalidArgument naming the line/column or JSON path.
StatusOr<StudyTable> ParseStudyTable(std::string_view text);

// Frozen names, written to JSON.
enum class StudyDataKind {
  kTwoByTwo = 0,        // "2x2"
  kTwoByTwoTotals = 1,  // "2x2-totals"
  kMeans = 2,           // "means"
  kProportions = 3,     // "proportions"
  kEffects = 4,         // "effects"
};
std::string_view StudyDataKindName(StudyDataKind kind);

struct StudyDataOptions {
  // "OR", "RR", "RD", "PETO" (counts; default OR), "MD", "SMD" (means;
  // default MD), "PLO", "PR" (proportions; default PLO); for yi/vi input any
  // of these names the scale of yi (default "GEN", generic).
  std::string measure;
  stats::ContinuityCorrection correction;
  std::vector<std::string> moderators;  // numeric columns
  std::vector<std::string> groupings;   // label columns (clusters, outcomes)
  std::string label_column = "study";
};

struct StudyData {
  StudyDataKind kind = StudyDataKind::kEffects;
  std::string measure;  // as StudyDataOptions.measure, defaults resolved
  std::vector<std::string> labels;
  std::vector<double> yi;
  std::vector<double> vi;
  std::vector<stats::Moderator> moderators;
  std::map<std::string, std::vector<std::string>> groupings;
  std::vector<stats::TwoByTwoTable> tables;  // 2x2 input only (MH, Peto)
};

// True for measures whose yi are on a log scale (shown exponentiated).
bool MeasureIsLogScale(std::string_view measure);

// Errors: kInvalidArgument naming row, line and column (missing column,
// missing or non-numeric value, negative count or variance, events > n, a
// zero cell with no continuity correction, ...).
StatusOr<StudyData> PrepareStudyData(const StudyTable& table, const StudyDataOptions& options);

// "row R (line L)" for CSV, "row R" for JSON; R is 1-based.
std::string RowName(const StudyTable& table, std::size_t row);

// The numeric value of `column` in every row (for extra columns such as
// covariances). Errors name the row and column.
StatusOr<std::vector<double>> NumericColumn(const StudyTable& table, std::string_view column);

}  // namespace kira::evidence

#endif  // KIRA_EVIDENCE_STUDY_DATA_H_
