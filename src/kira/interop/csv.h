// RFC 4180 CSV: strict reading with line and column numbers (for error
// reports that name the place), header checking, and writing with minimal
// quoting.
//
// Reading is strict because a CSV file is clinical input: the text must be
// UTF-8 (a UTF-8 byte-order mark is allowed and skipped; UTF-16/UTF-32 and
// any invalid byte sequence are refused), a quote may only open a field or
// be doubled inside a quoted field, a quoted field must be closed, and every
// record must have as many fields as the header.
#ifndef KIRA_INTEROP_CSV_H_
#define KIRA_INTEROP_CSV_H_

#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::interop {

// One problem in an input file. `column` is the 1-based field number (the
// spreadsheet column) and `field` the column name as written in the header;
// 0 / "" when the problem is about the whole row or file.
struct RowError {
  int line = 0;
  int column = 0;
  std::string field;
  std::string reason;
};

// "line 4, column 12 (given_dose_mg): reason" -- the one rendering used in
// Status messages; the CLI prefixes the file name.
std::string FormatRowError(const RowError& e);

struct CsvRecord {
  int line = 0;  // 1-based line of the file where the record starts
  std::vector<std::string> fields;
};

// One record as views, for ForEachCsvRecord: a field is a view into the
// text (an unquoted field, or the inside of a quoted one without doubled
// quotes) or into the reader's scratch space (a quoted field with doubled
// quotes); valid only during the callback.
struct CsvRowView {
  int line = 0;
  std::span<const std::string_view> fields;
};

// The reader behind ParseCsv, record by record and without a per-field
// allocation (what a large import reads with). `on_record` returns false
// to stop early. Same rules, same errors as ParseCsv.
Status ForEachCsvRecord(std::string_view text, const std::function<bool(const CsvRowView&)>& on_record,
                        RowError* error = nullptr);

// Parses the whole text. Quoted fields may contain commas, quotes ("") and
// newlines; CRLF and LF both end a record; blank lines are skipped. On a
// structural problem (encoding, quotes) returns InvalidArgument with the
// line and column, and fills `*error` when given.
StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text, RowError* error = nullptr);

// Nullopt when `text` is valid UTF-8, else the 1-based byte offset of the
// first bad sequence and what is wrong.
struct Utf8Problem {
  std::size_t offset = 0;
  std::string reason;
};
bool FindUtf8Problem(std::string_view text, Utf8Problem* problem);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so that
// nothing stored by an older path can break a writer that requires UTF-8.
std::string SanitizeUtf8(std::string_view text);

// One field, quoted only when it must be; invalid UTF-8 is replaced by
// U+FFFD (SanitizeUtf8).
std::string CsvField(std::string_view value);
// A whole record with a trailing "\n".
std::string CsvLine(const std::vector<std::string>& fields);

// A header checked against the columns a format knows: every column must be
// known (an unknown one is named, with the closest known name when it looks
// like a misspelling), none may appear twice, and `required` must all be
// present. Every problem is appended to `errors`; the result maps the names
// to 0-based indexes.
std::map<std::string, std::size_t> CheckHeader(const CsvRecord& header, const std::vector<std::string>& known,
                                               const std::vector<std::string>& required,
                                               std::vector<RowError>* errors);

// Checks that `rec` has exactly `width` fields; appends the problem (naming
// the first missing or the first extra column) to `errors` and returns
// false otherwise.
bool CheckWidth(const CsvRecord& rec, const CsvRecord& header, std::vector<RowError>* errors);
// The same for a record of `width` fields on `line`.
bool CheckWidth(int line, std::size_t width, const CsvRecord& header, std::vector<RowError>* errors);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_CSV_H_
