#include "kira/cli/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ostream>

namespace kira::cli {

std::string Banner(const std::string& outcome) {
  std::string s = outcome;
  std::replace(s.begin(), s.end(), '_', ' ');
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

namespace {
// Wraps `text` at `width` columns, indenting continuation lines.
std::string Wrap(const std::string& text, size_t width, size_t indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t next = text.find(' ', pos);
    if (next == std::string::npos) next = text.size();
    std::string word = text.substr(pos, next - pos);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    pos = next + 1;
  }
  return out + line;
}
}  // namespace

void PrintDecision(std::ostream& os, const domain::Decision& d) {
  os << fmt::format("Decision: {}   (guideline {} {})\n", Banner(d.outcome), d.guideline.id, d.guideline.version);
  if (d.findings.empty()) {
    os << "  No findings.\n";
  } else {
    os << fmt::format("  {:<10} {:<44} {:<12} {:<3} {}\n", "SEVERITY", "RULE", "GRADE", "EV", "FINDING");
    for (const domain::Finding& f : d.findings) {
      std::string grade = f.grade.empty() ? "-" : f.grade;
      if (!f.certainty.empty()) grade += "/" + f.certainty;
      std::string ev(domain::EvidenceName(f.evidence));
      if (ev == "derived") ev = "D";
      os << fmt::format("  {:<10} {:<44} {:<12} {:<3} {}\n", domain::SeverityName(f.severity), f.rule_id, grade, ev,
                        Wrap(f.message.str(), 70, 75));
      os << fmt::format("  {:<10} {:<44} {:<12} {:<3} source: {}\n", "", "", "", "", Wrap(f.citation.str(), 62, 83));
    }
  }
  if (d.override_) {
    std::string ids;
    for (const auto& id : d.override_->rule_ids) ids += (ids.empty() ? "" : ", ") + id;
    os << fmt::format("Override by {} at {}: \"{}\"\n  covers: {}\n", d.override_->who, d.override_->when,
                      d.override_->reason, ids);
  }
  os << "Inputs used:";
  for (const auto& in : d.inputs_used) os << fmt::format("  {}={}", in.name.str(), in.value.str());
  os << "\n";
}

}  // namespace kira::cli
