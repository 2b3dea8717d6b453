#include "schema_check.h"

#include <cctype>
#include <cmath>

namespace kira::testing {

using Json = nlohmann::json;

std::string SchemaMismatch(const Json& doc, const Json& schema_in, const Json& value, const std::string& where) {
  const Json* schema = &schema_in;
  while (schema->is_object() && schema->contains("$ref")) {
    const std::string ref = (*schema)["$ref"];
    if (ref.rfind("#/", 0) != 0 || !doc.contains(Json::json_pointer(ref.substr(1)))) {
      return where + ": unresolved $ref " + ref;
    }
    schema = &doc.at(Json::json_pointer(ref.substr(1)));
  }
  if (!schema->is_object()) return where + ": schema is not an object";
  const Json& s = *schema;
  if (value.is_null()) {
    if (s.value("nullable", false) || s.empty()) return "";
    return where + ": null where the schema does not allow it";
  }
  if (s.contains("allOf")) {
    for (const Json& sub : s["allOf"]) {
      if (std::string m = SchemaMismatch(doc, sub, value, where); !m.empty()) return m;
    }
  }
  if (s.contains("enum")) {
    bool found = false;
    for (const Json& e : s["enum"]) found |= e == value;
    if (!found) return where + ": " + value.dump() + " is not one of " + s["enum"].dump();
  }
  if (!s.contains("type")) return "";
  const std::string type = s["type"];
  if (type == "object") {
    if (!value.is_object()) return where + ": expected an object, got " + value.type_name();
    for (const Json& r : s.value("required", Json::array())) {
      if (!value.contains(r.get<std::string>())) return where + ": missing required member '" + r.get<std::string>() + "'";
    }
    const Json props = s.value("properties", Json::object());
    for (const auto& [k, v] : value.items()) {
      if (props.contains(k)) {
        if (std::string m = SchemaMismatch(doc, props[k], v, where + "." + k); !m.empty()) return m;
      } else if (s.contains("additionalProperties")) {
        const Json& ap = s["additionalProperties"];
        if (ap.is_boolean() && !ap.get<bool>()) return where + ": undeclared member '" + k + "'";
        if (ap.is_object()) {
          if (std::string m = SchemaMismatch(doc, ap, v, where + "." + k); !m.empty()) return m;
        }
      } else if (!props.empty()) {
        return where + ": undeclared member '" + k + "'";
      }
    }
    return "";
  }
  if (type == "array") {
    if (!value.is_array()) return where + ": expected an array, got " + value.type_name();
    if (!s.contains("items")) return "";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (std::string m = SchemaMismatch(doc, s["items"], value[i], where + "[" + std::to_string(i) + "]"); !m.empty()) {
        return m;
      }
    }
    return "";
  }
  if (type == "string") return value.is_string() ? "" : where + ": expected a string, got " + value.dump();
  if (type == "boolean") return value.is_boolean() ? "" : where + ": expected a boolean, got " + value.dump();
  if (type == "number") return value.is_number() ? "" : where + ": expected a number, got " + value.dump();
  if (type == "integer") {
    const bool whole = value.is_number_integer() || (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>());
    return whole ? "" : where + ": expected an integer, got " + value.dump();
  }
  return where + ": unknown schema type '" + type + "'";
}

Json ReplySchema(const Json& doc, const std::string& method, const std::string& path, int status) {
  std::string m = method;
  for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const Json& paths = doc["paths"];
  if (!paths.contains(path) || !paths[path].contains(m)) return nullptr;
  const Json& responses = paths[path][m]["responses"];
  const std::string code = std::to_string(status);
  if (!responses.contains(code)) return nullptr;
  const Json& r = responses[code];
  if (!r.contains("content") || !r["content"].contains("application/json")) return nullptr;
  return r["content"]["application/json"]["schema"];
}

}  // namespace kira::testing
