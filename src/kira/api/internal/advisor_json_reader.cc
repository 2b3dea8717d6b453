#include "kira/api/internal/advisor_json_reader.h"

#include <cmath>
#include <string>

namespace kira::api::internal {

using nlohmann::json;

StatusOr<json> ParseJsonText(std::string_view text, std::string_view what) {
  // The parser throws on syntax errors; convert here so no exception leaves api/.
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return InvalidArgumentError(std::string(what) + ": JSON syntax error at byte " +
                                std::to_string(e.byte));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(what) + ": JSON error: " + e.what());
  }
}


namespace {

const json* Find(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status Missing(const std::string& path, std::string_view key) {
  return InvalidArgumentError(Child(path, key) + ": missing");
}

Status WrongType(const std::string& path, std::string_view key, std::string_view expected) {
  return InvalidArgumentError(Child(path, key) + ": expected " + std::string(expected));
}

}  // namespace

Status RequireObject(const json& v, const std::string& path) {
  if (!v.is_object()) return InvalidArgumentError((path.empty() ? "(root)" : path) + ": expected an object");
  return Status::Ok();
}

Status RequireArray(const json& obj, std::string_view key, const std::string& path, const json** out) {
  const json* v = Find(obj, key);
  if (!v) return Missing(path, key);
  if (!v->is_array()) return WrongType(path, key, "an array");
  *out = v;
  return Status::Ok();
}

Status ReadOptString(const json& obj, std::string_view key, const std::string& path, std::string* out) {
  const json* v = Find(obj, key);
  if (!v) return Status::Ok();
  if (!v->is_string()) return WrongType(path, key, "a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

Status ReadString(const json& obj, std::string_view key, const std::string& path, std::string* out) {
  if (!Find(obj, key)) return Missing(path, key);
  return ReadOptString(obj, key, path, out);
}

Status ReadOptInt(const json& obj, std::string_view key, const std::string& path, int lo, int hi,
                  std::optional<int>* out) {
  const json* v = Find(obj, key);
  if (!v) return Status::Ok();
  long long n = 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<unsigned long long>();
    n = u > 1000000000ULL ? 1000000001LL : static_cast<long long>(u);
  } else if (v->is_number_integer()) {
    n = v->get<long long>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 1e9) {
      return WrongType(path, key, "an integer");
    }
    n = static_cast<long long>(d);
  } else {
    return WrongType(path, key, "an integer");
  }
  if (n < lo || n > hi) {
    return InvalidArgumentError(Child(path, key) + ": " + std::to_string(n) + " is outside " +
                                std::to_string(lo) + ".." + std::to_string(hi));
  }
  *out = static_cast<int>(n);
  return Status::Ok();
}

Status ReadInt(const json& obj, std::string_view key, const std::string& path, int lo, int hi, int* out) {
  if (!Find(obj, key)) return Missing(path, key);
  std::optional<int> v;
  KIRA_RETURN_IF_ERROR(ReadOptInt(obj, key, path, lo, hi, &v));
  *out = *v;
  return Status::Ok();
}

Status ReadOptDouble(const json& obj, std::string_view key, const std::string& path, double lo, double hi,
                     std::optional<double>* out) {
  const json* v = Find(obj, key);
  if (!v) return Status::Ok();
  if (!v->is_number()) return WrongType(path, key, "a number");
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    return InvalidArgumentError(Child(path, key) + ": " + v->dump() + " is outside " + json(lo).dump() +
                                ".." + json(hi).dump());
  }
  *out = d;
  return Status::Ok();
}

Status ReadDouble(const json& obj, std::string_view key, const std::string& path, double lo, double hi,
                  double* out) {
  if (!Find(obj, key)) return Missing(path, key);
  std::optional<double> v;
  KIRA_RETURN_IF_ERROR(ReadOptDouble(obj, key, path, lo, hi, &v));
  *out = *v;
  return Status::Ok();
}

Status ReadOptBool(const json& obj, std::string_view key, const std::string& path, std::optional<bool>* out) {
  const json* v = Find(obj, key);
  if (!v) return Status::Ok();
  if (!v->is_boolean()) return WrongType(path, key, "true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

Status ReadBool(const json& obj, std::string_view key, const std::string& path, bool* out) {
  if (!Find(obj, key)) return Missing(path, key);
  std::optional<bool> v;
  KIRA_RETURN_IF_ERROR(ReadOptBool(obj, key, path, &v));
  *out = *v;
  return Status::Ok();
}

Status ReadEvidence(const json& obj, std::string_view key, const std::string& path, domain::Evidence* out) {
  std::string s;
  KIRA_RETURN_IF_ERROR(ReadString(obj, key, path, &s));
  if (!domain::ParseEvidence(s, out)) {
    return InvalidArgumentError(Child(path, key) + ": '" + s + "' is not one of V, S, U, derived");
  }
  return Status::Ok();
}

Status ReadSeverity(const json& obj, std::string_view key, const std::string& path, domain::Severity* out) {
  std::string s;
  KIRA_RETURN_IF_ERROR(ReadString(obj, key, path, &s));
  if (!domain::ParseSeverity(s, out)) {
    return InvalidArgumentError(Child(path, key) + ": '" + s +
                                "' is not one of info, caution, soft_stop, hard_stop");
  }
  return Status::Ok();
}

}  // namespace kira::api::internal
