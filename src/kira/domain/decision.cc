#include "kira/domain/decision.h"

#include <algorithm>

namespace kira::domain {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kCaution: return "caution";
    case Severity::kSoftStop: return "soft_stop";
    case Severity::kHardStop: return "hard_stop";
  }
  return "info";
}

bool ParseSeverity(std::string_view s, Severity* out) {
  for (Severity v : {Severity::kInfo, Severity::kCaution, Severity::kSoftStop, Severity::kHardStop}) {
    if (SeverityName(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

std::string_view EvidenceName(Evidence e) {
  switch (e) {
    case Evidence::kVerified: return "V";
    case Evidence::kSecondary: return "S";
    case Evidence::kUnverified: return "U";
    case Evidence::kDerived: return "derived";
  }
  return "U";
}

bool ParseEvidence(std::string_view s, Evidence* out) {
  for (Evidence v : {Evidence::kVerified, Evidence::kSecondary, Evidence::kUnverified, Evidence::kDerived}) {
    if (EvidenceName(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

Severity Decision::MaxSeverity() const {
  Severity m = Severity::kInfo;
  for (const Finding& f : findings) m = std::max(m, f.severity);
  return m;
}

bool Decision::Has(std::string_view rule_id) const {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.rule_id == rule_id; });
}

Finding MakeFinding(std::string rule_id, Severity severity, Text message, const Provenance& source) {
  Finding f;
  f.rule_id = std::move(rule_id);
  f.severity = severity;
  f.message = std::move(message);
  f.grade = source.grade;
  f.certainty = source.certainty;
  f.evidence = source.evidence;
  f.citation = source.citation;
  f.rationale = source.rationale;
  f.scope = source.scope;
  return f;
}

Finding LibraryFinding(std::string rule_id, Severity severity, Text message, const Provenance& source) {
  // Built in place: no default-constructed text to overwrite.
  return Finding{std::move(rule_id),
                 severity,
                 std::move(message),
                 source.grade,
                 source.certainty,
                 source.evidence,
                 Text::Borrow(source.citation),
                 Text::Borrow(source.rationale),
                 Text::Borrow(source.scope)};
}

}  // namespace kira::domain
