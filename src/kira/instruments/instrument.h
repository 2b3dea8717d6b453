// Outcome instruments as data: items, item ranges, total range, severity
// bands, LOINC codes, response/remission rules and alert rules, each tagged
// with the clinical reference's V/S/U evidence and a citation
// (clinical-reference.md section 4). Definitions are loaded from
// guidelines/instruments.json by kira/api/instruments_json.h; this header has
// no I/O. Item wording is never stored (several instruments are copyrighted).
#ifndef KIRA_INSTRUMENTS_INSTRUMENT_H_
#define KIRA_INSTRUMENTS_INSTRUMENT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/decision.h"

namespace kira::instruments {

// Where a value in the definition came from. `evidence` is the reference's
// tag; U values are clinic settings whose shipped default is documented in
// `note`.
// The one provenance type (domain/decision.h); JSON "note" is read into `rationale`.
using Source = domain::Provenance;

// How item scores combine into a total. Frozen: "sum", "domain_max_sum", "mean".
enum class Scoring {
  kSum = 0,
  kDomainMaxSum = 1,  // QIDS-SR16: highest item within each domain, then sum
  kMean = 2,          // mean of answered items
};
std::string_view ScoringName(Scoring s);
bool ParseScoring(std::string_view s, Scoring* out);

struct Item {
  std::string id;      // e.g. "item9"; never the copyrighted wording
  int min = 0;
  int max = 0;
  std::string loinc;   // "" when the reference gives none
  std::string domain;  // kDomainMaxSum only: domain id
};

// A closed range [min, max] of totals with its label.
struct Band {
  double min = 0;
  double max = 0;
  std::string label;
};

// Response: a percent fall from baseline >= `min_percent_fall` (when set), or
// a fall of >= `min_point_fall` points (when set). At least one is set.
struct ResponseRule {
  std::optional<double> min_percent_fall;
  std::optional<double> min_point_fall;
  Source source;
};

// Remission: total < value (kBelow) or total <= value (kAtMost).
enum class RemissionOp { kBelow = 0, kAtMost = 1 };
struct RemissionRule {
  RemissionOp op = RemissionOp::kBelow;
  double value = 0;
  Source source;
};

// Raises a finding that a clinician must acknowledge when any listed item
// scores >= `at_least` (e.g. PHQ-9 item 9 > 0).
struct AlertRule {
  std::string rule_id;          // e.g. "instrument.phq9.item9_positive"
  std::vector<int> item_indices;  // 0-based
  int at_least = 1;
  domain::Severity severity = domain::Severity::kSoftStop;
  std::string message;
  Source source;
};

struct Instrument {
  std::string id;    // e.g. "phq9"
  std::string name;  // e.g. "PHQ-9"
  std::vector<Item> items;
  Source item_source;  // provenance of item count and ranges
  Scoring scoring = Scoring::kSum;
  // Missing-item rule: how many items may be missing and still score.
  // No instrument's missing-item rule is in the reference (U): default 0.
  int max_missing_items = 0;
  double total_min = 0;
  double total_max = 0;
  std::vector<Band> bands;  // empty when the reference gives none
  Source bands_source;
  std::string loinc_total;  // "" when none found
  std::optional<ResponseRule> response;
  std::optional<RemissionRule> remission;
  std::vector<AlertRule> alerts;
  Source source;  // the instrument itself

  // The band containing `total`, or nullptr.
  const Band* BandFor(double total) const;
};

struct InstrumentLibrary {
  std::string id;
  std::string version;
  std::string effective_date;  // ISO date
  std::vector<Instrument> instruments;

  // nullptr when there is no instrument `id`.
  const Instrument* Find(std::string_view id) const;
};

}  // namespace kira::instruments

#endif  // KIRA_INSTRUMENTS_INSTRUMENT_H_
