// Path-tracking helpers for reading nlohmann::json into domain types with
// errors that name the JSON path of the bad field ("protocols[2].dose: ...").
// Internal to kira/api: no other subsystem includes the JSON library.
#ifndef KIRA_API_INTERNAL_JSON_READER_H_
#define KIRA_API_INTERNAL_JSON_READER_H_

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::api::internal {

using Json = nlohmann::json;

inline std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}
inline std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

inline Status FieldError(std::string_view path, std::string_view what) {
  std::string m(path.empty() ? "(document)" : path);
  m += ": ";
  m += what;
  return InvalidArgumentError(m);
}

inline std::string_view TypeName(const Json& j) { return j.type_name(); }

// Parses text; a syntax error names the byte offset.
inline StatusOr<Json> ParseJson(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Re-parse with exceptions only to get the position for the message.
    try {
      Json unused = Json::parse(text.begin(), text.end());
      (void)unused;
    } catch (const Json::parse_error& e) {
      return InvalidArgumentError(std::string(what) + ": malformed JSON at byte " +
                                  std::to_string(e.byte) + ": " + e.what());
    } catch (...) {
    }
    return InvalidArgumentError(std::string(what) + ": malformed JSON");
  }
  return j;
}

// A view of one JSON object that remembers its path and which keys were read,
// so unknown keys can be reported.
class ObjectReader {
 public:
  static StatusOr<ObjectReader> Make(const Json& j, std::string path) {
    if (!j.is_object()) return FieldError(path, std::string("must be an object, got ") + j.type_name());
    return ObjectReader(j, std::move(path));
  }

  const std::string& path() const { return path_; }
  const Json& json() const { return *j_; }
  bool Has(const char* key) const { return j_->contains(key) && !(*j_)[key].is_null(); }
  const Json* Get(const char* key) {
    seen_.emplace_back(key);
    auto it = j_->find(key);
    if (it == j_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string PathOf(const char* key) const { return Join(path_, key); }

  StatusOr<std::string> String(const char* key, bool required = true, std::string fallback = "") {
    const Json* v = Get(key);
    if (!v) {
      if (required) return FieldError(PathOf(key), "is required (a string)");
      return fallback;
    }
    if (!v->is_string()) return FieldError(PathOf(key), std::string("must be a string, got ") + v->type_name());
    return v->get<std::string>();
  }

  // A finite number, optionally within [lo, hi].
  StatusOr<std::optional<double>> OptNumber(const char* key, std::optional<double> lo = std::nullopt,
                                            std::optional<double> hi = std::nullopt) {
    const Json* v = Get(key);
    if (!v) return std::optional<double>();
    if (!v->is_number()) return FieldError(PathOf(key), std::string("must be a number, got ") + v->type_name());
    double d = v->get<double>();
    if (!std::isfinite(d)) return FieldError(PathOf(key), "must be a finite number");
    if (lo && d < *lo) return FieldError(PathOf(key), "must be >= " + Fmt(*lo) + ", got " + Fmt(d));
    if (hi && d > *hi) return FieldError(PathOf(key), "must be <= " + Fmt(*hi) + ", got " + Fmt(d));
    return std::optional<double>(d);
  }
  StatusOr<double> Number(const char* key, std::optional<double> lo = std::nullopt,
                          std::optional<double> hi = std::nullopt) {
    KIRA_ASSIGN_OR_RETURN(std::optional<double> d, OptNumber(key, lo, hi));
    if (!d) return FieldError(PathOf(key), "is required (a number)");
    return *d;
  }
  // An integer within [lo, hi]; a fractional number is refused (a JSON value
  // of 3.0 is accepted as 3). Also used for array elements, hence static.
  static StatusOr<int> IntValue(const Json& v, const std::string& path, int lo, int hi) {
    long long n = 0;
    if (v.is_number_unsigned()) {
      const auto u = v.get<unsigned long long>();
      n = u > 1000000000ULL ? 1000000001LL : static_cast<long long>(u);
    } else if (v.is_number_integer()) {
      n = v.get<long long>();
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d) || d != std::floor(d)) return FieldError(path, "must be a whole number, got " + v.dump());
      n = std::abs(d) > 1e9 ? (d < 0 ? -1000000001LL : 1000000001LL) : static_cast<long long>(d);
    } else {
      return FieldError(path, std::string("must be an integer, got ") + v.type_name());
    }
    if (n < lo) return FieldError(path, "must be >= " + std::to_string(lo) + ", got " + v.dump());
    if (n > hi) return FieldError(path, "must be <= " + std::to_string(hi) + ", got " + v.dump());
    return static_cast<int>(n);
  }
  StatusOr<std::optional<int>> OptInt(const char* key, int lo, int hi) {
    const Json* v = Get(key);
    if (!v) return std::optional<int>();
    KIRA_ASSIGN_OR_RETURN(int n, IntValue(*v, PathOf(key), lo, hi));
    return std::optional<int>(n);
  }
  StatusOr<int> Int(const char* key, int lo, int hi) {
    KIRA_ASSIGN_OR_RETURN(std::optional<int> n, OptInt(key, lo, hi));
    if (!n) return FieldError(PathOf(key), "is required (an integer)");
    return *n;
  }
  StatusOr<std::optional<bool>> OptBool(const char* key) {
    const Json* v = Get(key);
    if (!v) return std::optional<bool>();
    if (!v->is_boolean()) return FieldError(PathOf(key), std::string("must be true or false, got ") + v->type_name());
    return std::optional<bool>(v->get<bool>());
  }
  // A required list (its elements are read by the caller, with Index paths).
  StatusOr<const Json*> List(const char* key) {
    const Json* v = Get(key);
    if (!v) return FieldError(PathOf(key), "is required (a list)");
    if (!v->is_array()) return FieldError(PathOf(key), std::string("must be a list, got ") + v->type_name());
    return v;
  }
  // A nested object, required or (OptObject) absent/null -> nullopt.
  StatusOr<std::optional<ObjectReader>> OptObject(const char* key) {
    const Json* v = Get(key);
    if (!v) return std::optional<ObjectReader>();
    KIRA_ASSIGN_OR_RETURN(ObjectReader r, Make(*v, PathOf(key)));
    return std::optional<ObjectReader>(std::move(r));
  }
  StatusOr<ObjectReader> Object(const char* key) {
    KIRA_ASSIGN_OR_RETURN(std::optional<ObjectReader> r, OptObject(key));
    if (!r) return FieldError(PathOf(key), "is required (an object)");
    return std::move(*r);
  }
  // True when the key is present, even as null (null meaning "not configured").
  bool Present(const char* key) const { return j_->contains(key); }

  StatusOr<domain::Evidence> Evidence(const char* key) {
    KIRA_ASSIGN_OR_RETURN(std::string s, String(key));
    domain::Evidence e{};
    if (!domain::ParseEvidence(s, &e)) return FieldError(PathOf(key), "'" + s + "' is not one of V, S, U, derived");
    return e;
  }
  StatusOr<domain::Severity> Severity(const char* key) {
    KIRA_ASSIGN_OR_RETURN(std::string s, String(key));
    domain::Severity v{};
    if (!domain::ParseSeverity(s, &v)) {
      return FieldError(PathOf(key), "'" + s + "' is not one of info, caution, soft_stop, hard_stop");
    }
    return v;
  }

  StatusOr<bool> Bool(const char* key, bool required, bool fallback = false) {
    const Json* v = Get(key);
    if (!v) {
      if (required) return FieldError(PathOf(key), "is required (true or false)");
      return fallback;
    }
    if (!v->is_boolean()) return FieldError(PathOf(key), std::string("must be true or false, got ") + v->type_name());
    return v->get<bool>();
  }
  StatusOr<std::vector<std::string>> StringList(const char* key, bool required) {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (!v) {
      if (required) return FieldError(PathOf(key), "is required (a list of strings)");
      return out;
    }
    if (!v->is_array()) return FieldError(PathOf(key), std::string("must be a list, got ") + v->type_name());
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) return FieldError(Index(PathOf(key), i), "must be a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  StatusOr<std::vector<double>> NumberList(const char* key) {
    std::vector<double> out;
    const Json* v = Get(key);
    if (!v) return out;
    if (!v->is_array()) return FieldError(PathOf(key), std::string("must be a list, got ") + v->type_name());
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_number() || !std::isfinite((*v)[i].get<double>()))
        return FieldError(Index(PathOf(key), i), "must be a finite number");
      out.push_back((*v)[i].get<double>());
    }
    return out;
  }

  // Every key present must have been read (or be listed in `also_allowed`).
  Status NoUnknownKeys(std::initializer_list<const char*> also_allowed = {}) const {
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      bool known = false;
      for (const std::string& k : seen_) known = known || k == it.key();
      for (const char* k : also_allowed) known = known || it.key() == k;
      if (!known) return FieldError(Join(path_, it.key()), "unknown field");
    }
    return Status();
  }

  static std::string Fmt(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }

 private:
  ObjectReader(const Json& j, std::string path) : j_(&j), path_(std::move(path)) {}
  const Json* j_;
  std::string path_;
  std::vector<std::string> seen_;
};

}  // namespace kira::api::internal

#endif  // KIRA_API_INTERNAL_JSON_READER_H_
