// Path-aware typed reads from nlohmann::json for the instruments and advisor
// adapters, on the path helpers of json_reader.h (one way to name a path).
// Their messages ("<path>: missing", "expected a string") are pinned by the
// loaders' tests and documented for clinic editors, so the reading style is
// kept apart from ObjectReader's. Every error names the JSON path of the bad field
// ("instruments[2].items[3].max: expected an integer"), so a clinician editing
// a guideline file can find it. Never throws: types are checked before get<>.
#ifndef KIRA_API_INTERNAL_ADVISOR_JSON_READER_H_
#define KIRA_API_INTERNAL_ADVISOR_JSON_READER_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/api/internal/json_reader.h"

namespace kira::api::internal {

// Parses `text`; kInvalidArgument "<what>: JSON syntax error at byte N" on failure.
StatusOr<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what);

// Paths are named by the one set of path helpers (json_reader.h): Child is
// its Join, Index the same.
inline std::string Child(const std::string& path, std::string_view key) { return Join(path, key); }

// Each Read* looks up `key` in object `obj` (whose path is `path`).
// Required fields: kInvalidArgument "<path>.<key>: missing" when absent.
// Optional fields: left unchanged when absent or null.
Status RequireObject(const nlohmann::json& v, const std::string& path);
Status RequireArray(const nlohmann::json& obj, std::string_view key, const std::string& path,
                    const nlohmann::json** out);
Status ReadString(const nlohmann::json& obj, std::string_view key, const std::string& path,
                  std::string* out);
Status ReadOptString(const nlohmann::json& obj, std::string_view key, const std::string& path,
                     std::string* out);
Status ReadInt(const nlohmann::json& obj, std::string_view key, const std::string& path, int lo,
               int hi, int* out);
Status ReadOptInt(const nlohmann::json& obj, std::string_view key, const std::string& path,
                  int lo, int hi, std::optional<int>* out);
Status ReadDouble(const nlohmann::json& obj, std::string_view key, const std::string& path,
                  double lo, double hi, double* out);
Status ReadOptDouble(const nlohmann::json& obj, std::string_view key, const std::string& path,
                     double lo, double hi, std::optional<double>* out);
Status ReadBool(const nlohmann::json& obj, std::string_view key, const std::string& path,
                bool* out);
Status ReadOptBool(const nlohmann::json& obj, std::string_view key, const std::string& path,
                   std::optional<bool>* out);
Status ReadEvidence(const nlohmann::json& obj, std::string_view key, const std::string& path,
                    domain::Evidence* out);
Status ReadSeverity(const nlohmann::json& obj, std::string_view key, const std::string& path,
                    domain::Severity* out);

}  // namespace kira::api::internal

#endif  // KIRA_API_INTERNAL_ADVISOR_JSON_READER_H_
