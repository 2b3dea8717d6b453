// RFC 4180 CSV: reading with line numbers (for error reports that name the
// line) and writing with minimal quoting.
#ifndef KIRA_INTEROP_CSV_H_
#define KIRA_INTEROP_CSV_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::interop {

struct CsvRecord {
  int line = 0;  // 1-based line of the file where the record starts
  std::vector<std::string> fields;
};

// Parses the whole text. Quoted fields may contain commas, quotes ("") and
// newlines; CRLF and LF both end a record; blank lines are skipped.
// InvalidArgument naming the line for an unterminated quote.
StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text);

// One field, quoted only when it must be.
std::string CsvField(std::string_view value);
// A whole record with a trailing "\n".
std::string CsvLine(const std::vector<std::string>& fields);

// Maps header names to column indexes. InvalidArgument naming the missing
// columns when `required` are not all present.
StatusOr<std::map<std::string, std::size_t>> CsvHeader(const CsvRecord& header,
                                                       const std::vector<std::string>& required);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_CSV_H_
