// Loading the guideline library (guidelines/kira.json) and clinic overlays.
//
// ParseGuideline validates the whole document: every field's type and range,
// cross references (protocol routes and indications, rule facts, referenced
// settings), and each protocol's limits (soft inside hard, the protocol's own
// dose inside its soft band). Errors are kInvalidArgument and name the JSON
// path of the first bad field, e.g. "protocols[1].session.mg_per_kg.hard_max".
//
// ApplyOverlay applies a clinic overlay: it may change settings within their
// allowed range and may tighten (never loosen) any soft or hard limit. A
// loosening is refused with the limit, its old value and its citation.
#ifndef KIRA_API_GUIDELINE_JSON_H_
#define KIRA_API_GUIDELINE_JSON_H_

#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/guideline/library.h"

namespace kira::api {

StatusOr<guideline::Library> ParseGuideline(std::string_view json_text);

StatusOr<guideline::Library> ApplyOverlay(const guideline::Library& base, std::string_view overlay_json);

// Re-checks cross references and limit consistency (also run by the two above).
Status ValidateLibrary(const guideline::Library& lib);

// JSON renderings for `kira guideline list|show`.
std::string GuidelineSummaryJson(const guideline::Library& lib);
// The protocol, rule, indication or setting named `id` as JSON; kNotFound otherwise.
StatusOr<std::string> GuidelineItemJson(const guideline::Library& lib, const std::string& id);

}  // namespace kira::api

#endif  // KIRA_API_GUIDELINE_JSON_H_
