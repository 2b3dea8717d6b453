#include "kira/api/instruments_json.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "kira/api/internal/json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {
namespace {

using instruments::Instrument;
using instruments::InstrumentLibrary;
using instruments::Source;
using internal::Index;
using internal::Join;
using internal::ObjectReader;
using nlohmann::json;

constexpr int kMaxItemScore = 1000;  // sanity bound on item ranges, not a clinical value

Status ReadSource(ObjectReader& obj, const char* key, Source* out) {
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, obj.Object(key));
  KIRA_ASSIGN_OR_RETURN(out->evidence, r.Evidence("evidence"));
  KIRA_ASSIGN_OR_RETURN(out->citation, r.String("citation"));
  KIRA_ASSIGN_OR_RETURN(out->rationale, r.String("note", false, out->rationale));
  return Status::Ok();
}

Status ParseInstrument(const json& j, const std::string& path, Instrument* ins) {
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  KIRA_ASSIGN_OR_RETURN(ins->id, r.String("id"));
  KIRA_ASSIGN_OR_RETURN(ins->name, r.String("name"));
  KIRA_ASSIGN_OR_RETURN(std::string scoring, r.String("scoring"));
  if (!instruments::ParseScoring(scoring, &ins->scoring)) {
    return InvalidArgumentError(Join(path, "scoring") + ": '" + scoring +
                                "' is not one of sum, domain_max_sum, mean");
  }
  KIRA_ASSIGN_OR_RETURN(const json* items, r.List("items"));
  if (items->empty()) return InvalidArgumentError(Join(path, "items") + ": must not be empty");
  std::set<std::string> ids;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string p = Index(Join(path, "items"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader ri, ObjectReader::Make((*items)[i], p));
    instruments::Item it;
    KIRA_ASSIGN_OR_RETURN(it.id, ri.String("id"));
    KIRA_ASSIGN_OR_RETURN(it.min, ri.Int("min", 0, kMaxItemScore));
    KIRA_ASSIGN_OR_RETURN(it.max, ri.Int("max", 0, kMaxItemScore));
    if (it.max <= it.min) return InvalidArgumentError(Join(p, "max") + ": must be greater than min");
    KIRA_ASSIGN_OR_RETURN(it.loinc, ri.String("loinc", false, it.loinc));
    KIRA_ASSIGN_OR_RETURN(it.domain, ri.String("domain", false, it.domain));
    if (ins->scoring == instruments::Scoring::kDomainMaxSum && it.domain.empty()) {
      return InvalidArgumentError(Join(p, "domain") + ": is required (a string) for domain_max_sum");
    }
    if (!ids.insert(it.id).second) return InvalidArgumentError(Join(p, "id") + ": duplicate '" + it.id + "'");
    ins->items.push_back(std::move(it));
  }
  KIRA_RETURN_IF_ERROR(ReadSource(r, "item_source", &ins->item_source));
  KIRA_ASSIGN_OR_RETURN(ins->max_missing_items,
                        r.Int("max_missing_items", 0, static_cast<int>(ins->items.size()) - 1));
  KIRA_ASSIGN_OR_RETURN(ins->total_min, r.Number("total_min", 0, 1e6));
  KIRA_ASSIGN_OR_RETURN(ins->total_max, r.Number("total_max", 0, 1e6));
  if (ins->total_max <= ins->total_min) {
    return InvalidArgumentError(Join(path, "total_max") + ": must be greater than total_min");
  }
  KIRA_ASSIGN_OR_RETURN(ins->loinc_total, r.String("loinc_total", false, ins->loinc_total));

  KIRA_ASSIGN_OR_RETURN(const json* bands, r.List("bands"));
  for (size_t i = 0; i < bands->size(); ++i) {
    const std::string p = Index(Join(path, "bands"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader rb, ObjectReader::Make((*bands)[i], p));
    instruments::Band b;
    KIRA_ASSIGN_OR_RETURN(b.min, rb.Number("min", ins->total_min, ins->total_max));
    KIRA_ASSIGN_OR_RETURN(b.max, rb.Number("max", ins->total_min, ins->total_max));
    KIRA_ASSIGN_OR_RETURN(b.label, rb.String("label"));
    if (b.max < b.min) return InvalidArgumentError(Join(p, "max") + ": below min");
    if (!ins->bands.empty() && b.min <= ins->bands.back().max) {
      return InvalidArgumentError(p + ": overlaps or is out of order with bands[" + std::to_string(i - 1) + "]");
    }
    ins->bands.push_back(std::move(b));
  }
  KIRA_RETURN_IF_ERROR(ReadSource(r, "bands_source", &ins->bands_source));

  KIRA_ASSIGN_OR_RETURN(std::optional<ObjectReader> response, r.OptObject("response"));
  if (response) {
    instruments::ResponseRule rule;
    KIRA_ASSIGN_OR_RETURN(rule.min_percent_fall, response->OptNumber("min_percent_fall", 0, 100));
    KIRA_ASSIGN_OR_RETURN(rule.min_point_fall, response->OptNumber("min_point_fall", 0, ins->total_max));
    if (!rule.min_percent_fall && !rule.min_point_fall) {
      return InvalidArgumentError(response->path() + ": needs min_percent_fall or min_point_fall");
    }
    KIRA_RETURN_IF_ERROR(ReadSource(*response, "source", &rule.source));
    ins->response = std::move(rule);
  }
  KIRA_ASSIGN_OR_RETURN(std::optional<ObjectReader> remission, r.OptObject("remission"));
  if (remission) {
    instruments::RemissionRule rule;
    KIRA_ASSIGN_OR_RETURN(std::string op, remission->String("op"));
    if (op == "below") {
      rule.op = instruments::RemissionOp::kBelow;
    } else if (op == "at_most") {
      rule.op = instruments::RemissionOp::kAtMost;
    } else {
      return InvalidArgumentError(remission->PathOf("op") + ": '" + op + "' is not one of below, at_most");
    }
    KIRA_ASSIGN_OR_RETURN(rule.value, remission->Number("value", ins->total_min, ins->total_max));
    KIRA_RETURN_IF_ERROR(ReadSource(*remission, "source", &rule.source));
    ins->remission = std::move(rule);
  }
  KIRA_ASSIGN_OR_RETURN(const json* alerts, r.List("alerts"));
  for (size_t i = 0; i < alerts->size(); ++i) {
    const std::string p = Index(Join(path, "alerts"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader ra, ObjectReader::Make((*alerts)[i], p));
    instruments::AlertRule a;
    KIRA_ASSIGN_OR_RETURN(a.rule_id, ra.String("rule_id"));
    KIRA_ASSIGN_OR_RETURN(a.at_least, ra.Int("at_least", 0, kMaxItemScore));
    KIRA_ASSIGN_OR_RETURN(a.severity, ra.Severity("severity"));
    KIRA_ASSIGN_OR_RETURN(a.message, ra.String("message"));
    KIRA_RETURN_IF_ERROR(ReadSource(ra, "source", &a.source));
    KIRA_ASSIGN_OR_RETURN(const json* ai, ra.List("items"));
    for (size_t k = 0; k < ai->size(); ++k) {
      const std::string pk = Index(Join(p, "items"), k);
      if (!(*ai)[k].is_string()) return InvalidArgumentError(pk + ": must be an item id (a string)");
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
  KIRA_RETURN_IF_ERROR(ReadSource(r, "source", &ins->source));
  return Status::Ok();
}

}  // namespace

StatusOr<InstrumentLibrary> ParseInstrumentLibrary(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJson(text, "instruments"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  InstrumentLibrary lib;
  KIRA_ASSIGN_OR_RETURN(lib.id, r.String("id"));
  KIRA_ASSIGN_OR_RETURN(lib.version, r.String("version"));
  KIRA_ASSIGN_OR_RETURN(lib.effective_date, r.String("effective_date"));
  KIRA_ASSIGN_OR_RETURN(const json* list, r.List("instruments"));
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    Instrument ins;
    const std::string p = Index("instruments", i);
    KIRA_RETURN_IF_ERROR(ParseInstrument((*list)[i], p, &ins));
    if (!ids.insert(ins.id).second) return InvalidArgumentError(Join(p, "id") + ": duplicate '" + ins.id + "'");
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
