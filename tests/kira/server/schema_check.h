// A small checker of JSON values against the OpenAPI 3.0 schema subset that
// src/kira/server/openapi.json uses: $ref, type, nullable, required,
// properties (no undeclared members unless additionalProperties allows
// them), additionalProperties, items, enum and allOf. Used to hold every
// route's real reply to its documented schema.
#ifndef KIRA_TESTS_SERVER_SCHEMA_CHECK_H_
#define KIRA_TESTS_SERVER_SCHEMA_CHECK_H_

#include <nlohmann/json.hpp>

#include <string>

namespace kira::testing {

// "" when `value` conforms to `schema` (resolving $ref in `doc`); else the
// first mismatch, named by its JSON path under `where`.
std::string SchemaMismatch(const nlohmann::json& doc, const nlohmann::json& schema, const nlohmann::json& value,
                           const std::string& where = "$");

// The schema of the `status` reply of `method path` (path as a template),
// or null when the document has none.
nlohmann::json ReplySchema(const nlohmann::json& doc, const std::string& method, const std::string& path, int status);

}  // namespace kira::testing

#endif  // KIRA_TESTS_SERVER_SCHEMA_CHECK_H_
