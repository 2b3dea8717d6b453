#include "kira/evidence/study_data.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace kira::evidence {
namespace {

using Json = nlohmann::json;

std::string Trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return std::string(s.substr(a, b - a));
}

// RFC 4180 records with the line each starts on.
StatusOr<StudyTable> ParseCsvTable(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  std::vector<std::pair<int, std::vector<std::string>>> records;
  std::vector<std::string> fields;
  std::string field;
  int line = 1, record_line = 1;
  bool in_quotes = false, quoted_field = false, any = false;
  auto end_field = [&] {
    fields.push_back(quoted_field ? field : Trim(field));
    field.clear();
    quoted_field = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) records.emplace_back(record_line, std::move(fields));
    fields.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') return InvalidArgumentError("line " + std::to_string(line) + ": NUL byte in CSV");
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
    if (!any) record_line = line;
    any = true;
    if (c == '"') {
      if (!Trim(field).empty()) {
        return InvalidArgumentError("line " + std::to_string(line) + ", field " + std::to_string(fields.size() + 1) +
                                    ": quote inside an unquoted field");
      }
      field.clear();
      in_quotes = true;
      quoted_field = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      end_record();
      ++line;
    } else if (quoted_field && c != '\r' && c != ' ' && c != '\t') {
      return InvalidArgumentError("line " + std::to_string(line) + ", field " + std::to_string(fields.size() + 1) +
                                  ": text after a closing quote");
    } else if (!quoted_field) {
      field += c;
    }
  }
  if (in_quotes) return InvalidArgumentError("line " + std::to_string(record_line) + ": unterminated quoted field");
  if (any) end_record();
  if (records.empty()) return InvalidArgumentError("line 1: empty file (expected a header row)");
  StudyTable t;
  t.format = "csv";
  std::set<std::string> seen;
  for (std::size_t j = 0; j < records[0].second.size(); ++j) {
    const std::string name = records[0].second[j];
    if (name.empty()) {
      return InvalidArgumentError("line " + std::to_string(records[0].first) + ", field " + std::to_string(j + 1) +
                                  ": empty column name in the header");
    }
    if (!seen.insert(name).second) {
      return InvalidArgumentError("line " + std::to_string(records[0].first) + ": column '" + name +
                                  "' appears twice in the header");
    }
    t.columns.push_back(name);
  }
  for (std::size_t r = 1; r < records.size(); ++r) {
    auto& [rline, cells] = records[r];
    if (cells.size() != t.columns.size()) {
      return InvalidArgumentError("line " + std::to_string(rline) + ": expected " + std::to_string(t.columns.size()) +
                                  " fields (as in the header), got " + std::to_string(cells.size()));
    }
    t.rows.push_back({rline, std::move(cells)});
  }
  return t;
}

std::string NumberText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

StatusOr<StudyTable> ParseJsonTable(std::string_view text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgumentError("JSON: not valid JSON");
  const Json* studies = &doc;
  std::string path = "";
  if (doc.is_object()) {
    if (!doc.contains("studies")) return InvalidArgumentError("JSON: expected an array of studies or {\"studies\": [...]}");
    studies = &doc["studies"];
    path = "studies";
  }
  if (!studies->is_array()) return InvalidArgumentError("JSON " + (path.empty() ? "document" : path) + ": must be an array");
  StudyTable t;
  t.format = "json";
  std::map<std::string, std::size_t> index;
  for (std::size_t r = 0; r < studies->size(); ++r) {
    const Json& obj = (*studies)[r];
    const std::string where = (path.empty() ? "" : path) + "[" + std::to_string(r) + "]";
    if (!obj.is_object()) return InvalidArgumentError("JSON " + where + ": each study must be an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (index.emplace(it.key(), t.columns.size()).second) t.columns.push_back(it.key());
    }
  }
  for (std::size_t r = 0; r < studies->size(); ++r) {
    const Json& obj = (*studies)[r];
    StudyTable::Row row;
    row.cells.assign(t.columns.size(), "");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string where = "row " + std::to_string(r + 1) + ", column " + it.key();
      std::string& cell = row.cells[index[it.key()]];
      if (it->is_number()) {
        cell = NumberText(it->get<double>());
      } else if (it->is_string()) {
        cell = Trim(it->get<std::string>());
      } else if (!it->is_null()) {
        return InvalidArgumentError(where + ": must be a number, a string or null");
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// The column index or -1.
int Find(const StudyTable& t, std::string_view name) {
  for (std::size_t j = 0; j < t.columns.size(); ++j) {
    if (t.columns[j] == name) return static_cast<int>(j);
  }
  return -1;
}

Status CellError(const StudyTable& t, std::size_t row, std::string_view column, const std::string& message) {
  return InvalidArgumentError(RowName(t, row) + ", column " + std::string(column) + ": " + message);
}

StatusOr<double> Number(const StudyTable& t, std::size_t row, int col) {
  const std::string& text = t.rows[row].cells[static_cast<std::size_t>(col)];
  const std::string& name = t.columns[static_cast<std::size_t>(col)];
  if (text.empty()) return CellError(t, row, name, "missing value");
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) {
    std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    return CellError(t, row, name, "not a finite number: '" + shown + "'");
  }
  return v;
}

struct Columns {
  std::vector<int> idx;
};

StatusOr<Columns> Require(const StudyTable& t, std::initializer_list<std::string_view> names, std::string_view what) {
  Columns c;
  for (std::string_view n : names) {
    const int j = Find(t, n);
    if (j < 0) {
      std::string all;
      for (std::string_view m : names) all += (all.empty() ? "" : ", ") + std::string(m);
      return InvalidArgumentError("column " + std::string(n) + ": missing (" + std::string(what) + " need " + all + ")");
    }
    c.idx.push_back(j);
  }
  return c;
}

// Reads the named columns of every row as numbers.
StatusOr<std::vector<std::vector<double>>> Numbers(const StudyTable& t, const Columns& c) {
  std::vector<std::vector<double>> out(c.idx.size(), std::vector<double>(t.rows.size()));
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    for (std::size_t j = 0; j < c.idx.size(); ++j) {
      KIRA_ASSIGN_OR_RETURN(out[j][r], Number(t, r, c.idx[j]));
    }
  }
  return out;
}

Status NonNegative(const StudyTable& t, const std::vector<double>& v, std::string_view column, std::string_view what) {
  for (std::size_t r = 0; r < v.size(); ++r) {
    if (v[r] < 0) return CellError(t, r, column, "negative " + std::string(what) + " " + NumberText(v[r]));
  }
  return Status::Ok();
}

Status Positive(const StudyTable& t, const std::vector<double>& v, std::string_view column, std::string_view what) {
  for (std::size_t r = 0; r < v.size(); ++r) {
    if (v[r] < 0) return CellError(t, r, column, "negative " + std::string(what) + " " + NumberText(v[r]));
    if (!(v[r] > 0)) return CellError(t, r, column, std::string(what) + " must be > 0, got " + NumberText(v[r]));
  }
  return Status::Ok();
}

bool Corrects(const stats::ContinuityCorrection& c) {
  return c.add > 0 && c.scope != stats::CorrectionScope::kNone;
}

// Maps "...tables[3]..." / "...groups[3]..." in a kira_stats message to the row.
Status RowFromStats(const StudyTable& t, const Status& s, std::string_view fallback_column) {
  const std::string msg(s.message());
  const std::size_t open = msg.find('[');
  const std::size_t close = open == std::string::npos ? std::string::npos : msg.find(']', open);
  if (open != std::string::npos && close != std::string::npos) {
    const std::string digits = msg.substr(open + 1, close - open - 1);
    char* end = nullptr;
    const unsigned long row = std::strtoul(digits.c_str(), &end, 10);
    if (!digits.empty() && end == digits.c_str() + digits.size() && row < t.rows.size()) {
      const std::size_t colon = msg.find(": ", close);
      return CellError(t, row, fallback_column, colon == std::string::npos ? msg : msg.substr(colon + 2));
    }
  }
  return InvalidArgumentError(msg);
}

}  // namespace

StatusOr<StudyTable> ParseStudyTable(std::string_view text) {
  std::size_t i = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  if (i < text.size() && (text[i] == '[' || text[i] == '{')) return ParseJsonTable(text);
  return ParseCsvTable(text);
}

std::string_view StudyDataKindName(StudyDataKind kind) {
  switch (kind) {
    case StudyDataKind::kTwoByTwo: return "2x2";
    case StudyDataKind::kTwoByTwoTotals: return "2x2-totals";
    case StudyDataKind::kMeans: return "means";
    case StudyDataKind::kProportions: return "proportions";
    case StudyDataKind::kEffects: return "effects";
  }
  return "?";
}

bool MeasureIsLogScale(std::string_view measure) {
  return measure == "OR" || measure == "RR" || measure == "PETO";
}

std::string RowName(const StudyTable& table, std::size_t row) {
  std::string s = "row " + std::to_string(row + 1);
  if (table.format == "csv" && row < table.rows.size()) s += " (line " + std::to_string(table.rows[row].line) + ")";
  return s;
}

StatusOr<std::vector<double>> NumericColumn(const StudyTable& table, std::string_view column) {
  const int j = Find(table, column);
  if (j < 0) return InvalidArgumentError("column " + std::string(column) + ": missing");
  std::vector<double> out(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    KIRA_ASSIGN_OR_RETURN(out[r], Number(table, r, j));
  }
  return out;
}

StatusOr<StudyData> PrepareStudyData(const StudyTable& t, const StudyDataOptions& options) {
  if (t.rows.empty()) return InvalidArgumentError("no data rows (only a header)");
  StudyData d;
  const std::size_t k = t.rows.size();
  auto present = [&](std::string_view n) { return Find(t, n) >= 0; };
  std::string measure = options.measure;
  auto check_measure = [&](std::initializer_list<std::string_view> allowed, std::string_view what) -> Status {
    for (std::string_view a : allowed) {
      if (measure == a) return Status::Ok();
    }
    std::string all;
    for (std::string_view a : allowed) all += (all.empty() ? "" : ", ") + std::string(a);
    return InvalidArgumentError("--measure: " + std::string(what) + " take " + all + ", got '" + measure + "'");
  };
  if (present("yi")) {
    d.kind = StudyDataKind::kEffects;
    if (measure.empty()) measure = "GEN";
    KIRA_RETURN_IF_ERROR(check_measure({"GEN", "OR", "RR", "RD", "PETO", "MD", "SMD", "PR", "PLO"}, "effect sizes (yi)"));
    const bool use_vi = present("vi");
    if (!use_vi && !present("sei")) return InvalidArgumentError("column vi: missing (effect sizes yi need vi or sei)");
    KIRA_ASSIGN_OR_RETURN(Columns c, Require(t, {"yi", use_vi ? "vi" : "sei"}, "effect sizes"));
    KIRA_ASSIGN_OR_RETURN(auto v, Numbers(t, c));
    d.yi = v[0];
    if (use_vi) {
      KIRA_RETURN_IF_ERROR(Positive(t, v[1], "vi", "sampling variance"));
      d.vi = v[1];
    } else {
      KIRA_RETURN_IF_ERROR(Positive(t, v[1], "sei", "standard error"));
      d.vi.resize(k);
      for (std::size_t r = 0; r < k; ++r) d.vi[r] = v[1][r] * v[1][r];
    }
  } else if (present("m1i") || present("sd1i") || present("m2i")) {
    d.kind = StudyDataKind::kMeans;
    if (measure.empty()) measure = "MD";
    KIRA_RETURN_IF_ERROR(check_measure({"MD", "SMD"}, "means"));
    KIRA_ASSIGN_OR_RETURN(Columns c, Require(t, {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"}, "means"));
    KIRA_ASSIGN_OR_RETURN(auto v, Numbers(t, c));
    KIRA_RETURN_IF_ERROR(NonNegative(t, v[1], "sd1i", "standard deviation"));
    KIRA_RETURN_IF_ERROR(NonNegative(t, v[4], "sd2i", "standard deviation"));
    KIRA_RETURN_IF_ERROR(Positive(t, v[2], "n1i", "group size"));
    KIRA_RETURN_IF_ERROR(Positive(t, v[5], "n2i", "group size"));
    std::vector<stats::MeansComparison> studies;
    for (std::size_t r = 0; r < k; ++r) studies.push_back({{v[0][r], v[1][r], v[2][r]}, {v[3][r], v[4][r], v[5][r]}});
    auto es = stats::EffectSizesFromMeans(studies, *stats::ParseEffectMeasure(measure));
    if (!es.ok()) return RowFromStats(t, es.status(), "sd1i, sd2i");
    d.yi = es->yi;
    d.vi = es->vi;
  } else if (present("xi")) {
    d.kind = StudyDataKind::kProportions;
    if (measure.empty()) measure = "PLO";
    KIRA_RETURN_IF_ERROR(check_measure({"PLO", "PR"}, "proportions"));
    KIRA_ASSIGN_OR_RETURN(Columns c, Require(t, {"xi", "ni"}, "proportions"));
    KIRA_ASSIGN_OR_RETURN(auto v, Numbers(t, c));
    KIRA_RETURN_IF_ERROR(NonNegative(t, v[0], "xi", "count"));
    KIRA_RETURN_IF_ERROR(Positive(t, v[1], "ni", "group size"));
    std::vector<stats::Proportion> groups;
    for (std::size_t r = 0; r < k; ++r) {
      if (v[0][r] > v[1][r]) {
        return CellError(t, r, "xi", "events " + NumberText(v[0][r]) + " exceed ni " + NumberText(v[1][r]));
      }
      if (!Corrects(options.correction) && (v[0][r] == 0 || v[0][r] == v[1][r])) {
        return CellError(t, r, "xi", NumberText(v[0][r]) + " of " + NumberText(v[1][r]) +
                                         " with no continuity correction (the variance or logit is degenerate); "
                                         "use --add 0.5");
      }
      groups.push_back({v[0][r], v[1][r]});
    }
    auto es = stats::EffectSizesFromProportions(groups, *stats::ParseEffectMeasure(measure), options.correction);
    if (!es.ok()) return RowFromStats(t, es.status(), "xi");
    d.yi = es->yi;
    d.vi = es->vi;
  } else if (present("ai") || present("ci")) {
    const bool totals = present("n1i") || present("n2i");
    d.kind = totals ? StudyDataKind::kTwoByTwoTotals : StudyDataKind::kTwoByTwo;
    if (measure.empty()) measure = "OR";
    KIRA_RETURN_IF_ERROR(check_measure({"OR", "RR", "RD", "PETO"}, "2x2 counts"));
    StatusOr<Columns> c = totals ? Require(t, {"ai", "n1i", "ci", "n2i"}, "2x2 counts with arm sizes")
                                 : Require(t, {"ai", "bi", "ci", "di"}, "2x2 counts");
    if (!c.ok()) return c.status();
    KIRA_ASSIGN_OR_RETURN(auto v, Numbers(t, *c));
    const char* names[4] = {"ai", totals ? "n1i" : "bi", "ci", totals ? "n2i" : "di"};
    for (int j = 0; j < 4; ++j) KIRA_RETURN_IF_ERROR(NonNegative(t, v[j], names[j], "count"));
    for (std::size_t r = 0; r < k; ++r) {
      stats::TwoByTwoTable tb;
      tb.events_treated = v[0][r];
      tb.events_control = v[2][r];
      if (totals) {
        if (v[0][r] > v[1][r]) return CellError(t, r, "ai", "events " + NumberText(v[0][r]) + " exceed n1i " + NumberText(v[1][r]));
        if (v[2][r] > v[3][r]) return CellError(t, r, "ci", "events " + NumberText(v[2][r]) + " exceed n2i " + NumberText(v[3][r]));
        tb.non_events_treated = v[1][r] - v[0][r];
        tb.non_events_control = v[3][r] - v[2][r];
      } else {
        tb.non_events_treated = v[1][r];
        tb.non_events_control = v[3][r];
      }
      if (tb.events_treated + tb.non_events_treated <= 0) return CellError(t, r, names[1], "treated arm has no participants");
      if (tb.events_control + tb.non_events_control <= 0) return CellError(t, r, names[3], "control arm has no participants");
      if (!Corrects(options.correction)) {
        const double cells[4] = {tb.events_treated, tb.non_events_treated, tb.events_control, tb.non_events_control};
        const char* cell_names[4] = {"ai", totals ? "n1i" : "bi", "ci", totals ? "n2i" : "di"};
        for (int j = 0; j < 4; ++j) {
          // Peto's log odds ratio stays finite with zero cells; RD too.
          const bool matters = measure == "OR" || (measure == "RR" && (j == 0 || j == 2));
          if (matters && cells[j] == 0) {
            return CellError(t, r, cell_names[j],
                             "zero cell with no continuity correction (the log " +
                                 std::string(measure == "RR" ? "risk ratio" : "odds ratio") +
                                 " is infinite); use --add 0.5");
          }
        }
      }
      d.tables.push_back(tb);
    }
    auto es = stats::EffectSizesFromTables(d.tables, *stats::ParseEffectMeasure(measure), options.correction);
    if (!es.ok()) return RowFromStats(t, es.status(), "ai, bi, ci, di");
    d.yi = es->yi;
    d.vi = es->vi;
  } else {
    return InvalidArgumentError(
        "no recognised column set: expected ai,bi,ci,di | ai,n1i,ci,n2i | m1i,sd1i,n1i,m2i,sd2i,n2i | xi,ni | "
        "yi,vi | yi,sei (columns found: " +
        [&] {
          std::string s;
          for (const std::string& c : t.columns) s += (s.empty() ? "" : ",") + c;
          return s;
        }() + ")");
  }
  d.measure = measure;
  for (std::size_t r = 0; r < k; ++r) {
    if (!std::isfinite(d.yi[r]) || !std::isfinite(d.vi[r]) || !(d.vi[r] > 0)) {
      return CellError(t, r, "yi", "effect size or its variance is not finite and positive");
    }
  }
  const int label = Find(t, options.label_column);
  for (std::size_t r = 0; r < k; ++r) {
    std::string l = label >= 0 ? t.rows[r].cells[static_cast<std::size_t>(label)] : "";
    d.labels.push_back(l.empty() ? "Study " + std::to_string(r + 1) : l);
  }
  for (const std::string& m : options.moderators) {
    if (Find(t, m) < 0) return InvalidArgumentError("--mods: column " + m + ": missing");
    KIRA_ASSIGN_OR_RETURN(std::vector<double> values, NumericColumn(t, m));
    d.moderators.push_back({m, std::move(values)});
  }
  for (const std::string& g : options.groupings) {
    const int j = Find(t, g);
    if (j < 0) return InvalidArgumentError("column " + g + ": missing (named by --cluster/--random)");
    std::vector<std::string> labels;
    for (std::size_t r = 0; r < k; ++r) {
      const std::string& cell = t.rows[r].cells[static_cast<std::size_t>(j)];
      if (cell.empty()) return CellError(t, r, g, "missing group label");
      labels.push_back(cell);
    }
    d.groupings[g] = std::move(labels);
  }
  return d;
}

}  // namespace kira::evidence
