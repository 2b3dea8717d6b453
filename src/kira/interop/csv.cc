#include "kira/interop/csv.h"

namespace kira::interop {

StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  std::vector<CsvRecord> out;
  CsvRecord rec;
  std::string field;
  bool in_quotes = false, field_started = false, any = false;
  int line = 1;
  rec.line = 1;
  int quote_line = 0;
  auto end_field = [&] {
    rec.fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !any;
    if (!blank) out.push_back(std::move(rec));
    rec = CsvRecord{};
    rec.line = line;
    any = false;
  };
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM (Excel, REDCap)
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
      any = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
      field_started = true;
      any = true;
    }
  }
  if (in_quotes) return InvalidArgumentError("line " + std::to_string(quote_line) + ": unterminated quoted field");
  if (any || !field.empty()) end_record();
  return out;
}

std::string CsvField(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += CsvField(fields[i]);
  }
  return out + "\n";
}

StatusOr<std::map<std::string, std::size_t>> CsvHeader(const CsvRecord& header,
                                                       const std::vector<std::string>& required) {
  std::map<std::string, std::size_t> cols;
  for (std::size_t i = 0; i < header.fields.size(); ++i) cols.emplace(header.fields[i], i);
  std::string missing;
  for (const auto& r : required) {
    if (!cols.count(r)) missing += (missing.empty() ? "" : ", ") + r;
  }
  if (!missing.empty()) return InvalidArgumentError("header (line " + std::to_string(header.line) + "): missing column(s) " + missing);
  return cols;
}

}  // namespace kira::interop
