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
