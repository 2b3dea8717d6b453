#include "kira/api/instruments_json.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "kira/api/internal/advisor_json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {
namespace {

using instruments::Instrument;
using instruments::InstrumentLibrary;
using instruments::Source;
using internal::Child;
using internal::Index;
using nlohmann::json;

constexpr int kMaxItemScore = 1000;  // sanity bound on item ranges, not a clinical value

Status ReadSource(const json& obj, std::string_view key, const std::string& path, Source* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return InvalidArgumentError(Child(path, key) + ": missing");
  const std::string p = Child(path, key);
  KIRA_RETURN_IF_ERROR(internal::RequireObject(*it, p));
  KIRA_RETURN_IF_ERROR(internal::ReadEvidence(*it, "evidence", p, &out->evidence));
  KIRA_RETURN_IF_ERROR(internal::ReadString(*it, "citation", p, &out->citation));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*it, "note", p, &out->rationale));
  return Status::Ok();
}

Status ParseInstrument(const json& j, const std::string& path, Instrument* ins) {
  KIRA_RETURN_IF_ERROR(internal::RequireObject(j, path));
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "id", path, &ins->id));
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "name", path, &ins->name));
  std::string scoring;
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "scoring", path, &scoring));
  if (!instruments::ParseScoring(scoring, &ins->scoring)) {
    return InvalidArgumentError(Child(path, "scoring") + ": '" + scoring +
                                "' is not one of sum, domain_max_sum, mean");
  }
  const json* items = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "items", path, &items));
  if (items->empty()) return InvalidArgumentError(Child(path, "items") + ": must not be empty");
  std::set<std::string> ids;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string p = Index(Child(path, "items"), i);
    const json& ji = (*items)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(ji, p));
    instruments::Item it;
    KIRA_RETURN_IF_ERROR(internal::ReadString(ji, "id", p, &it.id));
    KIRA_RETURN_IF_ERROR(internal::ReadInt(ji, "min", p, 0, kMaxItemScore, &it.min));
    KIRA_RETURN_IF_ERROR(internal::ReadInt(ji, "max", p, 0, kMaxItemScore, &it.max));
    if (it.max <= it.min) return InvalidArgumentError(Child(p, "max") + ": must be greater than min");
    KIRA_RETURN_IF_ERROR(internal::ReadOptString(ji, "loinc", p, &it.loinc));
    KIRA_RETURN_IF_ERROR(internal::ReadOptString(ji, "domain", p, &it.domain));
    if (ins->scoring == instruments::Scoring::kDomainMaxSum && it.domain.empty()) {
      return InvalidArgumentError(Child(p, "domain") + ": missing (required for domain_max_sum)");
    }
    if (!ids.insert(it.id).second) return InvalidArgumentError(Child(p, "id") + ": duplicate '" + it.id + "'");
    ins->items.push_back(std::move(it));
  }
  KIRA_RETURN_IF_ERROR(ReadSource(j, "item_source", path, &ins->item_source));
  KIRA_RETURN_IF_ERROR(internal::ReadInt(j, "max_missing_items", path, 0,
                                         static_cast<int>(ins->items.size()) - 1, &ins->max_missing_items));
  KIRA_RETURN_IF_ERROR(internal::ReadDouble(j, "total_min", path, 0, 1e6, &ins->total_min));
  KIRA_RETURN_IF_ERROR(internal::ReadDouble(j, "total_max", path, 0, 1e6, &ins->total_max));
  if (ins->total_max <= ins->total_min) {
    return InvalidArgumentError(Child(path, "total_max") + ": must be greater than total_min");
  }
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(j, "loinc_total", path, &ins->loinc_total));

  const json* bands = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "bands", path, &bands));
  for (size_t i = 0; i < bands->size(); ++i) {
    const std::string p = Index(Child(path, "bands"), i);
    const json& jb = (*bands)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(jb, p));
    instruments::Band b;
    KIRA_RETURN_IF_ERROR(internal::ReadDouble(jb, "min", p, ins->total_min, ins->total_max, &b.min));
    KIRA_RETURN_IF_ERROR(internal::ReadDouble(jb, "max", p, ins->total_min, ins->total_max, &b.max));
    KIRA_RETURN_IF_ERROR(internal::ReadString(jb, "label", p, &b.label));
    if (b.max < b.min) return InvalidArgumentError(Child(p, "max") + ": below min");
    if (!ins->bands.empty() && b.min <= ins->bands.back().max) {
      return InvalidArgumentError(p + ": overlaps or is out of order with bands[" + std::to_string(i - 1) + "]");
    }
    ins->bands.push_back(std::move(b));
  }
  KIRA_RETURN_IF_ERROR(ReadSource(j, "bands_source", path, &ins->bands_source));

  if (auto r = j.find("response"); r != j.end() && !r->is_null()) {
    const std::string p = Child(path, "response");
    KIRA_RETURN_IF_ERROR(internal::RequireObject(*r, p));
    instruments::ResponseRule rule;
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(*r, "min_percent_fall", p, 0, 100, &rule.min_percent_fall));
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(*r, "min_point_fall", p, 0, ins->total_max, &rule.min_point_fall));
    if (!rule.min_percent_fall && !rule.min_point_fall) {
      return InvalidArgumentError(p + ": needs min_percent_fall or min_point_fall");
    }
    KIRA_RETURN_IF_ERROR(ReadSource(*r, "source", p, &rule.source));
    ins->response = std::move(rule);
  }
  if (auto r = j.find("remission"); r != j.end() && !r->is_null()) {
    const std::string p = Child(path, "remission");
    KIRA_RETURN_IF_ERROR(internal::RequireObject(*r, p));
    instruments::RemissionRule rule;
    std::string op;
    KIRA_RETURN_IF_ERROR(internal::ReadString(*r, "op", p, &op));
    if (op == "below") {
      rule.op = instruments::RemissionOp::kBelow;
    } else if (op == "at_most") {
      rule.op = instruments::RemissionOp::kAtMost;
    } else {
      return InvalidArgumentError(Child(p, "op") + ": '" + op + "' is not one of below, at_most");
    }
    KIRA_RETURN_IF_ERROR(internal::ReadDouble(*r, "value", p, ins->total_min, ins->total_max, &rule.value));
    KIRA_RETURN_IF_ERROR(ReadSource(*r, "source", p, &rule.source));
    ins->remission = std::move(rule);
  }
  const json* alerts = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "alerts", path, &alerts));
  for (size_t i = 0; i < alerts->size(); ++i) {
    const std::string p = Index(Child(path, "alerts"), i);
    const json& ja = (*alerts)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(ja, p));
    instruments::AlertRule a;
    KIRA_RETURN_IF_ERROR(internal::ReadString(ja, "rule_id", p, &a.rule_id));
    KIRA_RETURN_IF_ERROR(internal::ReadInt(ja, "at_least", p, 0, kMaxItemScore, &a.at_least));
    KIRA_RETURN_IF_ERROR(internal::ReadSeverity(ja, "severity", p, &a.severity));
    KIRA_RETURN_IF_ERROR(internal::ReadString(ja, "message", p, &a.message));
    KIRA_RETURN_IF_ERROR(ReadSource(ja, "source", p, &a.source));
    const json* ai = nullptr;
    KIRA_RETURN_IF_ERROR(internal::RequireArray(ja, "items", p, &ai));
    for (size_t k = 0; k < ai->size(); ++k) {
      const std::string pk = Index(Child(p, "items"), k);
      if (!(*ai)[k].is_string()) return InvalidArgumentError(pk + ": expected an item id string");
      const std::string id = (*ai)[k].get<std::string>();
      int found = -1;
      for (size_t m = 0; m < ins->items.size(); ++m) {
        if (ins->items[m].id == id) found = static_cast<int>(m);
      }
      if (found < 0) return InvalidArgumentError(pk + ": unknown item '" + id + "'");
      a.item_indices.push_back(found);
    }
    ins->alerts.push_back(std::move(a));
  }
  KIRA_RETURN_IF_ERROR(ReadSource(j, "source", path, &ins->source));
  return Status::Ok();
}

}  // namespace

StatusOr<InstrumentLibrary> ParseInstrumentLibrary(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJsonText(text, "instruments"));
  KIRA_RETURN_IF_ERROR(internal::RequireObject(root, ""));
  InstrumentLibrary lib;
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "id", "", &lib.id));
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "version", "", &lib.version));
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "effective_date", "", &lib.effective_date));
  const json* list = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(root, "instruments", "", &list));
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    Instrument ins;
    const std::string p = Index("instruments", i);
    KIRA_RETURN_IF_ERROR(ParseInstrument((*list)[i], p, &ins));
    if (!ids.insert(ins.id).second) return InvalidArgumentError(Child(p, "id") + ": duplicate '" + ins.id + "'");
    lib.instruments.push_back(std::move(ins));
  }
  return lib;
}

std::string ScoreResultToJson(const instruments::ScoreResult& r, const Instrument& ins) {
  json j;
  j["instrument"] = ins.id;
  j["name"] = ins.name;
  json items = json::array();
  for (size_t i = 0; i < r.items.size(); ++i) {
    json it = {{"id", ins.items[i].id}};
    it["score"] = r.items[i] ? json(*r.items[i]) : json(nullptr);
    if (!ins.items[i].loinc.empty()) it["loinc"] = ins.items[i].loinc;
    items.push_back(std::move(it));
  }
  j["items"] = std::move(items);
  j["total"] = r.total;
  j["total_range"] = {ins.total_min, ins.total_max};
  j["band"] = r.band;
  if (!ins.loinc_total.empty()) j["loinc_total"] = ins.loinc_total;
  j["decision"] = internal::DecisionJson(r.decision);
  return j.dump(2);
}

}  // namespace kira::api
