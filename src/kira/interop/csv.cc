#include "kira/interop/csv.h"

#include <algorithm>
#include <cstdio>

#include "kira/base/utf8.h"

namespace kira::interop {

std::string FormatRowError(const RowError& e) {
  std::string out;
  if (e.line > 0) out = "line " + std::to_string(e.line);
  if (e.column > 0) out += (out.empty() ? "" : ", ") + std::string("column ") + std::to_string(e.column);
  if (!e.field.empty()) out += (out.empty() ? "" : " ") + std::string("(") + e.field + ")";
  return out.empty() ? e.reason : out + ": " + e.reason;
}

bool FindUtf8Problem(std::string_view s, Utf8Problem* problem) {
  auto fail = [&](std::size_t at, std::string reason) {
    problem->offset = at + 1;
    problem->reason = std::move(reason);
    return true;
  };
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\0') return fail(i, "NUL byte (is the file UTF-16? save it as UTF-8)");
    const Utf8Char c = DecodeUtf8At(s, i);
    switch (c.error) {
      case Utf8Error::kNone: break;
      case Utf8Error::kBadLeadByte: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(s[i]));
        return fail(i, std::string("byte ") + hex + " is not valid UTF-8 (save the file as UTF-8)");
      }
      case Utf8Error::kTruncated: return fail(i, "UTF-8 sequence cut off at the end of the file");
      case Utf8Error::kBadContinuation: return fail(i, "invalid UTF-8 sequence (save the file as UTF-8)");
      case Utf8Error::kInvalidChar: return fail(i, "invalid UTF-8 sequence (overlong or surrogate)");
    }
    i += c.length;
  }
  return false;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  Utf8Problem p;
  while (FindUtf8Problem(text, &p)) {
    const std::size_t at = p.offset - 1;
    out.append(text.substr(0, at));
    out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    text.remove_prefix(at + 1);
  }
  out.append(text);
  return out;
}

Status ForEachCsvRecord(std::string_view text, const std::function<bool(const CsvRowView&)>& on_record,
                        RowError* error) {
  auto refuse = [&](int line, int column, std::string reason) -> Status {
    RowError e{line, column, "", std::move(reason)};
    if (error) *error = e;
    return InvalidArgumentError(FormatRowError(e));
  };
  if (text.size() >= 4 && (text.substr(0, 4) == std::string_view("\xFF\xFE\x00\x00", 4) ||
                           text.substr(0, 4) == std::string_view("\x00\x00\xFE\xFF", 4))) {
    return refuse(1, 1, "the file is UTF-32; save it as UTF-8");
  }
  if (text.size() >= 2 && (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF")) {
    return refuse(1, 1, "the file is UTF-16 (byte-order mark); save it as UTF-8");
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM (Excel, REDCap)
  Utf8Problem bad;
  const std::size_t bad_at = FindUtf8Problem(text, &bad) ? bad.offset - 1 : std::string_view::npos;

  // The current record: its fields as views (the vector keeps its capacity
  // from record to record), and the unescaped text of quoted fields that
  // had doubled quotes (the only fields that cannot be views of the text).
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  int line = 1, record_line = 1;
  // The current field: [start, end) of the text while unquoted; for a
  // quoted field the inside of the quotes, unescaped into `escaped` once a
  // doubled quote is met.
  std::size_t start = 0;
  bool in_quotes = false, after_quote = false, field_started = false, any = false, quoted = false;
  bool has_escape = false;
  std::string escaped;
  std::size_t quoted_start = 0, quoted_end = 0;
  int quote_line = 0, quote_column = 0;
  auto column = [&] { return static_cast<int>(fields.size()) + 1; };
  auto end_field = [&](std::size_t end) {
    if (quoted) {
      if (has_escape) {
        scratch.push_back(std::move(escaped));
        escaped.clear();
        fields.push_back(scratch.back());
      } else {
        fields.push_back(text.substr(quoted_start, quoted_end - quoted_start));
      }
    } else {
      fields.push_back(text.substr(start, end - start));
    }
    field_started = after_quote = quoted = has_escape = false;
  };
  bool stop = false;
  auto end_record = [&](std::size_t end) {
    end_field(end);
    const bool blank = fields.size() == 1 && fields[0].empty() && !any;
    if (!blank) stop = !on_record(CsvRowView{record_line, fields});
    fields.clear();
    scratch.clear();
    record_line = line;
    any = false;
  };
  for (std::size_t i = 0; i < text.size() && !stop; ++i) {
    if (i == bad_at) return refuse(line, column(), bad.reason);
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          if (!has_escape) {
            has_escape = true;
            escaped.assign(text.substr(quoted_start, i - quoted_start));
          }
          escaped += '"';
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
          quoted_end = i;
        }
      } else {
        if (c == '\n') ++line;
        if (has_escape) escaped += c;
      }
      continue;
    }
    if (c == ',') {
      end_field(i);
      start = i + 1;
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // CRLF: the \r is not part of the field (the field ends at the \n)
    } else if (c == '\n') {
      ++line;
      // A \r right before (CRLF) was skipped: not part of the field.
      const std::size_t end = (i > start && text[i - 1] == '\r') ? i - 1 : i;
      end_record(end);
      start = i + 1;
    } else if (after_quote) {
      return refuse(line, column(), "text after the closing quote of a quoted field (a quote inside a field must be doubled)");
    } else if (c == '"') {
      if (field_started) {
        return refuse(line, column(), "quote inside an unquoted field (quote the whole field and double the quote)");
      }
      in_quotes = true;
      quoted = true;
      field_started = true;
      any = true;
      quoted_start = i + 1;
      quote_line = line;
      quote_column = column();
    } else {
      field_started = true;
      any = true;
    }
  }
  if (stop) return Status::Ok();
  if (in_quotes) {
    return refuse(quote_line, quote_column, "quoted field is never closed (is the file truncated?)");
  }
  if (any) end_record(text.size());
  return Status::Ok();
}

StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text, RowError* error) {
  std::vector<CsvRecord> out;
  KIRA_RETURN_IF_ERROR(ForEachCsvRecord(
      text,
      [&](const CsvRowView& row) {
        CsvRecord rec;
        rec.line = row.line;
        rec.fields.assign(row.fields.begin(), row.fields.end());
        out.push_back(std::move(rec));
        return true;
      },
      error));
  return out;
}

std::string CsvField(std::string_view raw) {
  // Bytes that are not UTF-8 (stored by an older path) are replaced, so an
  // export is always a valid UTF-8 file that kira itself can read back.
  Utf8Problem bad;
  const std::string clean = FindUtf8Problem(raw, &bad) ? SanitizeUtf8(raw) : std::string();
  const std::string_view v = clean.empty() ? raw : std::string_view(clean);
  // A field that starts with U+FEFF is quoted: at the start of a file the
  // reader would otherwise take those bytes for a byte-order mark and drop them.
  const bool starts_with_bom = v.substr(0, 3) == "\xEF\xBB\xBF";
  if (!starts_with_bom && v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
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

namespace {

// Levenshtein distance, for "did you mean" on a misspelt column.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::map<std::string, std::size_t> CheckHeader(const CsvRecord& header, const std::vector<std::string>& known,
                                               const std::vector<std::string>& required,
                                               std::vector<RowError>* errors) {
  std::map<std::string, std::size_t> cols;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    const int col = static_cast<int>(i) + 1;
    if (name.empty()) {
      errors->push_back({header.line, col, "", "empty column name in the header"});
      continue;
    }
    if (auto [it, inserted] = cols.emplace(name, i); !inserted) {
      errors->push_back({header.line, col, name,
                         "duplicate column (also column " + std::to_string(it->second + 1) + ")"});
      continue;
    }
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string best;
    std::size_t best_d = 4;  // suggest only close names
    for (const auto& k : known) {
      const std::size_t d = EditDistance(name, k);
      if (d < best_d) best_d = d, best = k;
    }
    errors->push_back({header.line, col, name,
                       best.empty() ? "unknown column" : "unknown column (did you mean '" + best + "'?)"});
  }
  for (const auto& r : required) {
    if (!cols.count(r)) errors->push_back({header.line, 0, r, "required column is missing from the header"});
  }
  return cols;
}

bool CheckWidth(const CsvRecord& rec, const CsvRecord& header, std::vector<RowError>* errors) {
  return CheckWidth(rec.line, rec.fields.size(), header, errors);
}

bool CheckWidth(int line, std::size_t width, const CsvRecord& header, std::vector<RowError>* errors) {
  const std::size_t want = header.fields.size(), got = width;
  if (got == want) return true;
  if (got < want) {
    errors->push_back({line, static_cast<int>(got) + 1, header.fields[got],
                       "row has " + std::to_string(got) + " fields, the header " + std::to_string(want) +
                           " (short or truncated row)"});
  } else {
    errors->push_back({line, static_cast<int>(want) + 1, "",
                       "row has " + std::to_string(got) + " fields, the header " + std::to_string(want) +
                           " (an unquoted comma?)"});
  }
  return false;
}

}  // namespace kira::interop
