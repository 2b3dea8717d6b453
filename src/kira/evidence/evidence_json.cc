#include "kira/evidence/evidence_json.h"

#include <cmath>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace kira::evidence {

std::string_view SourceTagName(SourceTag tag) {
  switch (tag) {
    case SourceTag::kVerified: return "V";
    case SourceTag::kSecondary: return "S";
    case SourceTag::kUnverified: return "U";
    case SourceTag::kDerived: return "derived";
  }
  return "?";
}

std::string_view OutcomeClassName(OutcomeClass c) {
  switch (c) {
    case OutcomeClass::kDepressionResponse: return "depression-response";
    case OutcomeClass::kDepressionRemission: return "depression-remission";
    case OutcomeClass::kDepressionSeverityChange: return "depression-severity-change";
    case OutcomeClass::kSuicidalIdeation: return "suicidal-ideation";
  }
  return "?";
}

std::string_view TrialDesignName(TrialDesign d) {
  return d == TrialDesign::kParallel ? "parallel" : "crossover";
}

const OutcomeDefinition* EvidenceBase::FindOutcome(std::string_view outcome_id) const {
  for (const OutcomeDefinition& o : outcomes) {
    if (o.id == outcome_id) return &o;
  }
  return nullptr;
}

namespace {

using Json = nlohmann::json;

// Largest gap between a reported percentage and 100 * responders / n that
// rounding of the percentage can explain (percentages are given to 0.1 or 1).
constexpr double kPercentRoundingPoints = 0.55;

Status FieldError(const std::string& path, const std::string& what) {
  return InvalidArgumentError((path.empty() ? std::string("(document)") : path) + ": " + what);
}

std::string Key(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

std::string Idx(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// One JSON object with its path; rejects keys outside `allowed`.
class Obj {
 public:
  static StatusOr<Obj> Make(const Json& j, std::string path,
                            std::initializer_list<const char*> allowed) {
    if (!j.is_object()) return FieldError(path, std::string("must be an object, got ") + j.type_name());
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* a : allowed) known = known || it.key() == a;
      if (!known) return FieldError(Key(path, it.key().c_str()), "unknown field");
    }
    return Obj(j, std::move(path));
  }

  const std::string& path() const { return path_; }
  const Json* Get(const char* key) const {
    auto it = j_->find(key);
    if (it == j_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  StatusOr<std::string> Str(const char* key, bool required) const {
    const Json* v = Get(key);
    if (v == nullptr) {
      if (required) return FieldError(Key(path_, key), "is required");
      return std::string();
    }
    if (!v->is_string()) return FieldError(Key(path_, key), std::string("must be a string, got ") + v->type_name());
    std::string s = v->get<std::string>();
    if (required && s.empty()) return FieldError(Key(path_, key), "must not be empty");
    return s;
  }

  StatusOr<std::optional<std::string>> OptStr(const char* key) const {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return FieldError(Key(path_, key), std::string("must be a string or null, got ") + v->type_name());
    return std::optional<std::string>(v->get<std::string>());
  }

  StatusOr<std::optional<double>> OptNum(const char* key) const {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return FieldError(Key(path_, key), std::string("must be a number or null, got ") + v->type_name());
    const double d = v->get<double>();
    if (!std::isfinite(d)) return FieldError(Key(path_, key), "must be finite");
    return std::optional<double>(d);
  }

  StatusOr<std::optional<int>> OptInt(const char* key, int minimum) const {
    KIRA_ASSIGN_OR_RETURN(std::optional<double> d, OptNum(key));
    if (!d) return std::optional<int>();
    if (std::floor(*d) != *d || *d > 1e9) {
      return FieldError(Key(path_, key), "must be a whole number, got " + Json(*d).dump());
    }
    if (*d < minimum) {
      return FieldError(Key(path_, key), "must be >= " + std::to_string(minimum) + ", got " + Json(*d).dump());
    }
    return std::optional<int>(static_cast<int>(*d));
  }

  StatusOr<bool> Bool(const char* key) const {
    const Json* v = Get(key);
    if (v == nullptr) return FieldError(Key(path_, key), "is required");
    if (!v->is_boolean()) return FieldError(Key(path_, key), std::string("must be true or false, got ") + v->type_name());
    return v->get<bool>();
  }

  // An array (possibly empty); absent counts as empty when !required.
  StatusOr<const Json*> Array(const char* key, bool required) const {
    static const Json kEmpty = Json::array();
    const Json* v = Get(key);
    if (v == nullptr) {
      if (required) return FieldError(Key(path_, key), "is required");
      return &kEmpty;
    }
    if (!v->is_array()) return FieldError(Key(path_, key), std::string("must be an array, got ") + v->type_name());
    return v;
  }

 private:
  Obj(const Json& j, std::string path) : j_(&j), path_(std::move(path)) {}
  const Json* j_;
  std::string path_;
};

StatusOr<SourceTag> ParseTag(const Obj& o, const char* key) {
  KIRA_ASSIGN_OR_RETURN(std::string s, o.Str(key, true));
  for (SourceTag t : {SourceTag::kVerified, SourceTag::kSecondary, SourceTag::kUnverified, SourceTag::kDerived}) {
    if (SourceTagName(t) == s) return t;
  }
  return FieldError(Key(o.path(), key), "must be one of V, S, U, derived; got '" + s + "'");
}

StatusOr<std::optional<ArmCounts>> ParseArm(const Obj& parent, const char* key) {
  const Json* j = parent.Get(key);
  if (j == nullptr) return std::optional<ArmCounts>();
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(*j, Key(parent.path(), key), {"responders", "n", "percent", "tag"}));
  ArmCounts a;
  KIRA_ASSIGN_OR_RETURN(a.responders, o.OptInt("responders", 0));
  KIRA_ASSIGN_OR_RETURN(a.n, o.OptInt("n", 1));
  KIRA_ASSIGN_OR_RETURN(a.percent, o.OptNum("percent"));
  KIRA_ASSIGN_OR_RETURN(a.tag, ParseTag(o, "tag"));
  if (a.responders && !a.n) return FieldError(Key(o.path(), "n"), "is required when responders is given");
  if (a.responders && *a.responders > *a.n) {
    return FieldError(Key(o.path(), "responders"),
                      "must be <= n (" + std::to_string(*a.n) + "), got " + std::to_string(*a.responders));
  }
  if (a.percent && (*a.percent < 0 || *a.percent > 100)) {
    return FieldError(Key(o.path(), "percent"), "must be within 0-100");
  }
  if (a.percent && a.HasCounts()) {
    const double implied = 100.0 * *a.responders / *a.n;
    if (std::fabs(implied - *a.percent) > kPercentRoundingPoints) {
      return FieldError(Key(o.path(), "percent"),
                        Json(*a.percent).dump() + " disagrees with responders/n = " + std::to_string(*a.responders) +
                            "/" + std::to_string(*a.n) + " (" + Json(std::round(implied * 100) / 100).dump() + " %)");
    }
  }
  return std::optional<ArmCounts>(a);
}

StatusOr<TrialOutcome> ParseTrialOutcome(const Json& j, const std::string& path, const EvidenceBase& base) {
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(j, path, {"outcome", "definition", "timepoint", "ketamine", "control", "poolable",
                                                   "exclusion_reason", "reported_effect", "note"}));
  TrialOutcome t;
  KIRA_ASSIGN_OR_RETURN(t.outcome_id, o.Str("outcome", true));
  if (base.FindOutcome(t.outcome_id) == nullptr) {
    return FieldError(Key(path, "outcome"), "unknown outcome id '" + t.outcome_id + "' (not in outcomes[])");
  }
  KIRA_ASSIGN_OR_RETURN(t.definition, o.Str("definition", true));
  KIRA_ASSIGN_OR_RETURN(t.timepoint, o.Str("timepoint", true));
  KIRA_ASSIGN_OR_RETURN(t.ketamine, ParseArm(o, "ketamine"));
  KIRA_ASSIGN_OR_RETURN(t.control, ParseArm(o, "control"));
  KIRA_ASSIGN_OR_RETURN(t.poolable, o.Bool("poolable"));
  KIRA_ASSIGN_OR_RETURN(t.exclusion_reason, o.Str("exclusion_reason", false));
  KIRA_ASSIGN_OR_RETURN(t.note, o.Str("note", false));
  if (const Json* re = o.Get("reported_effect")) {
    KIRA_ASSIGN_OR_RETURN(Obj r, Obj::Make(*re, Key(path, "reported_effect"), {"measure", "estimate", "ci_low", "ci_high", "tag"}));
    ReportedEffect e;
    KIRA_ASSIGN_OR_RETURN(e.measure, r.Str("measure", true));
    KIRA_ASSIGN_OR_RETURN(std::optional<double> est, r.OptNum("estimate"));
    KIRA_ASSIGN_OR_RETURN(std::optional<double> lo, r.OptNum("ci_low"));
    KIRA_ASSIGN_OR_RETURN(std::optional<double> hi, r.OptNum("ci_high"));
    if (!est || !lo || !hi) return FieldError(r.path(), "needs estimate, ci_low and ci_high");
    if (!(*lo <= *est && *est <= *hi)) return FieldError(r.path(), "ci_low <= estimate <= ci_high does not hold");
    e.estimate = *est;
    e.ci_low = *lo;
    e.ci_high = *hi;
    KIRA_ASSIGN_OR_RETURN(e.tag, ParseTag(r, "tag"));
    t.reported_effect = e;
  }
  if (t.poolable) {
    for (const auto& [arm, name] : {std::pair{&t.ketamine, "ketamine"}, std::pair{&t.control, "control"}}) {
      if (!arm->has_value() || !(*arm)->HasCounts()) {
        return FieldError(Key(path, name), "a poolable outcome needs responders and n in both arms");
      }
      if ((*arm)->tag == SourceTag::kUnverified) {
        return FieldError(Key(Key(path, name), "tag"), "U counts cannot be pooled; set poolable to false with a reason");
      }
    }
  } else if (t.exclusion_reason.empty()) {
    return FieldError(Key(path, "exclusion_reason"), "is required when poolable is false");
  }
  return t;
}

StatusOr<Trial> ParseTrial(const Json& j, const std::string& path, const EvidenceBase& base) {
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(j, path, {"id", "reference", "citation", "doi", "pmid", "pmid_tag", "pmcid", "design",
                                                   "population", "route", "route_basis", "dose", "comparator",
                                                   "outcomes", "note"}));
  Trial t;
  KIRA_ASSIGN_OR_RETURN(t.id, o.Str("id", true));
  KIRA_ASSIGN_OR_RETURN(t.reference, o.Str("reference", true));
  KIRA_ASSIGN_OR_RETURN(t.citation, o.Str("citation", true));
  KIRA_ASSIGN_OR_RETURN(t.doi, o.Str("doi", false));
  KIRA_ASSIGN_OR_RETURN(t.pmid, o.Str("pmid", false));
  KIRA_ASSIGN_OR_RETURN(t.pmcid, o.Str("pmcid", false));
  KIRA_ASSIGN_OR_RETURN(std::string pmid_tag, o.Str("pmid_tag", false));
  (void)pmid_tag;  // recorded for reviewers; not used in pooling
  if (t.doi.empty() && t.pmid.empty() && t.pmcid.empty()) {
    return FieldError(path, "needs at least one of doi, pmid, pmcid");
  }
  KIRA_ASSIGN_OR_RETURN(std::string design, o.Str("design", true));
  if (design == "parallel") {
    t.design = TrialDesign::kParallel;
  } else if (design == "crossover") {
    t.design = TrialDesign::kCrossover;
  } else {
    return FieldError(Key(path, "design"), "must be parallel or crossover, got '" + design + "'");
  }
  KIRA_ASSIGN_OR_RETURN(t.population, o.Str("population", true));
  KIRA_ASSIGN_OR_RETURN(t.route, o.Str("route", true));
  static const std::set<std::string> kRoutes = {"iv", "im", "intranasal", "oral", "sublingual"};
  if (!kRoutes.count(t.route)) {
    return FieldError(Key(path, "route"), "must be one of iv, im, intranasal, oral, sublingual; got '" + t.route + "'");
  }
  KIRA_ASSIGN_OR_RETURN(t.route_basis, o.Str("route_basis", true));
  KIRA_ASSIGN_OR_RETURN(t.dose, o.OptStr("dose"));
  KIRA_ASSIGN_OR_RETURN(t.comparator, o.Str("comparator", true));
  KIRA_ASSIGN_OR_RETURN(t.note, o.Str("note", false));
  KIRA_ASSIGN_OR_RETURN(const Json* outs, o.Array("outcomes", true));
  for (std::size_t i = 0; i < outs->size(); ++i) {
    KIRA_ASSIGN_OR_RETURN(TrialOutcome to, ParseTrialOutcome((*outs)[i], Idx(Key(path, "outcomes"), i), base));
    t.outcomes.push_back(std::move(to));
  }
  return t;
}

StatusOr<PooledReference> ParseReference(const Json& j, const std::string& path, const EvidenceBase& base) {
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(j, path, {"id", "reference", "outcome", "comparator", "citation", "doi", "pmid",
                                                   "pmcid", "studies", "participants", "measure", "estimate",
                                                   "ci_low", "ci_high", "summary", "tag"}));
  PooledReference r;
  KIRA_ASSIGN_OR_RETURN(r.id, o.Str("id", true));
  KIRA_ASSIGN_OR_RETURN(r.reference, o.Str("reference", true));
  KIRA_ASSIGN_OR_RETURN(r.outcome_id, o.Str("outcome", true));
  if (base.FindOutcome(r.outcome_id) == nullptr) {
    return FieldError(Key(path, "outcome"), "unknown outcome id '" + r.outcome_id + "'");
  }
  KIRA_ASSIGN_OR_RETURN(r.comparator, o.Str("comparator", true));
  KIRA_ASSIGN_OR_RETURN(r.citation, o.Str("citation", true));
  KIRA_ASSIGN_OR_RETURN(r.doi, o.Str("doi", false));
  KIRA_ASSIGN_OR_RETURN(r.pmid, o.Str("pmid", false));
  KIRA_ASSIGN_OR_RETURN(r.pmcid, o.Str("pmcid", false));
  KIRA_ASSIGN_OR_RETURN(r.studies, o.OptInt("studies", 1));
  KIRA_ASSIGN_OR_RETURN(r.participants, o.OptInt("participants", 1));
  KIRA_ASSIGN_OR_RETURN(r.measure, o.OptStr("measure"));
  KIRA_ASSIGN_OR_RETURN(r.estimate, o.OptNum("estimate"));
  KIRA_ASSIGN_OR_RETURN(r.ci_low, o.OptNum("ci_low"));
  KIRA_ASSIGN_OR_RETURN(r.ci_high, o.OptNum("ci_high"));
  if (r.estimate && r.ci_low && r.ci_high && !(*r.ci_low <= *r.estimate && *r.estimate <= *r.ci_high)) {
    return FieldError(Key(path, "estimate"), "must lie within ci_low..ci_high");
  }
  if (r.estimate && !r.measure) return FieldError(Key(path, "measure"), "is required with an estimate");
  KIRA_ASSIGN_OR_RETURN(r.summary, o.Str("summary", true));
  KIRA_ASSIGN_OR_RETURN(r.tag, ParseTag(o, "tag"));
  return r;
}

StatusOr<Benchmark> ParseBenchmark(const Json& j, const std::string& path) {
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(j, path, {"id", "reference", "metric", "value", "n", "note", "tag"}));
  Benchmark b;
  KIRA_ASSIGN_OR_RETURN(b.id, o.Str("id", true));
  KIRA_ASSIGN_OR_RETURN(b.reference, o.Str("reference", true));
  KIRA_ASSIGN_OR_RETURN(b.metric, o.Str("metric", true));
  KIRA_ASSIGN_OR_RETURN(b.value, o.Str("value", true));
  KIRA_ASSIGN_OR_RETURN(b.n, o.OptInt("n", 1));
  KIRA_ASSIGN_OR_RETURN(b.note, o.Str("note", false));
  KIRA_ASSIGN_OR_RETURN(b.tag, ParseTag(o, "tag"));
  return b;
}

StatusOr<EvidenceBase> ParseDocument(const Json& root) {
  KIRA_ASSIGN_OR_RETURN(Obj o, Obj::Make(root, "", {"id", "version", "effective_date", "description", "source", "outcomes",
                                                    "trials", "pooled_references", "benchmarks"}));
  EvidenceBase base;
  KIRA_ASSIGN_OR_RETURN(base.id, o.Str("id", true));
  KIRA_ASSIGN_OR_RETURN(base.version, o.Str("version", true));
  KIRA_ASSIGN_OR_RETURN(base.effective_date, o.Str("effective_date", false));
  KIRA_ASSIGN_OR_RETURN(base.description, o.Str("description", false));
  KIRA_ASSIGN_OR_RETURN(std::string source, o.Str("source", false));
  (void)source;

  KIRA_ASSIGN_OR_RETURN(const Json* outs, o.Array("outcomes", true));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < outs->size(); ++i) {
    const std::string path = Idx("outcomes", i);
    KIRA_ASSIGN_OR_RETURN(Obj oo, Obj::Make((*outs)[i], path, {"id", "class", "label"}));
    OutcomeDefinition d;
    KIRA_ASSIGN_OR_RETURN(d.id, oo.Str("id", true));
    if (!ids.insert(d.id).second) return FieldError(Key(path, "id"), "duplicate outcome id '" + d.id + "'");
    KIRA_ASSIGN_OR_RETURN(std::string cls, oo.Str("class", true));
    bool found = false;
    for (OutcomeClass c : {OutcomeClass::kDepressionResponse, OutcomeClass::kDepressionRemission,
                           OutcomeClass::kDepressionSeverityChange, OutcomeClass::kSuicidalIdeation}) {
      if (OutcomeClassName(c) == cls) {
        d.outcome_class = c;
        found = true;
      }
    }
    if (!found) {
      return FieldError(Key(path, "class"),
                        "must be depression-response, depression-remission, depression-severity-change or "
                        "suicidal-ideation; got '" + cls + "'");
    }
    KIRA_ASSIGN_OR_RETURN(d.label, oo.Str("label", true));
    base.outcomes.push_back(std::move(d));
  }

  KIRA_ASSIGN_OR_RETURN(const Json* trials, o.Array("trials", true));
  std::set<std::string> trial_ids;
  for (std::size_t i = 0; i < trials->size(); ++i) {
    KIRA_ASSIGN_OR_RETURN(Trial t, ParseTrial((*trials)[i], Idx("trials", i), base));
    if (!trial_ids.insert(t.id).second) return FieldError(Key(Idx("trials", i), "id"), "duplicate trial id '" + t.id + "'");
    base.trials.push_back(std::move(t));
  }
  KIRA_ASSIGN_OR_RETURN(const Json* refs, o.Array("pooled_references", false));
  for (std::size_t i = 0; i < refs->size(); ++i) {
    KIRA_ASSIGN_OR_RETURN(PooledReference r, ParseReference((*refs)[i], Idx("pooled_references", i), base));
    base.pooled_references.push_back(std::move(r));
  }
  KIRA_ASSIGN_OR_RETURN(const Json* bench, o.Array("benchmarks", false));
  for (std::size_t i = 0; i < bench->size(); ++i) {
    KIRA_ASSIGN_OR_RETURN(Benchmark b, ParseBenchmark((*bench)[i], Idx("benchmarks", i)));
    base.benchmarks.push_back(std::move(b));
  }
  return base;
}

}  // namespace

StatusOr<EvidenceBase> ParseEvidenceBase(std::string_view json_text) {
  Json root = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Parse again with exceptions only to learn where; nothing escapes here.
    try {
      Json unused = Json::parse(json_text.begin(), json_text.end());
      (void)unused;
    } catch (const Json::parse_error& e) {
      return InvalidArgumentError("evidence: malformed JSON at byte " + std::to_string(e.byte));
    } catch (...) {
    }
    return InvalidArgumentError("evidence: malformed JSON");
  }
  auto base = ParseDocument(root);
  if (!base.ok()) return base.status().WithContext("evidence");
  return base;
}

}  // namespace kira::evidence

namespace kira::evidence {
namespace {

Json Opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
Json Opt(const std::optional<int>& v) { return v ? Json(*v) : Json(nullptr); }
Json Opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

Json ArmJson(const std::optional<ArmCounts>& a) {
  if (!a) return nullptr;
  return Json{{"responders", Opt(a->responders)}, {"n", Opt(a->n)}, {"percent", Opt(a->percent)},
              {"tag", SourceTagName(a->tag)}};
}

Json ReferenceJson(const PooledReference& r) {
  return Json{{"id", r.id},           {"reference", r.reference},   {"outcome", r.outcome_id},
              {"comparator", r.comparator}, {"citation", r.citation}, {"doi", r.doi},
              {"pmid", r.pmid},       {"pmcid", r.pmcid},           {"studies", Opt(r.studies)},
              {"participants", Opt(r.participants)}, {"measure", Opt(r.measure)},
              {"estimate", Opt(r.estimate)}, {"ci_low", Opt(r.ci_low)}, {"ci_high", Opt(r.ci_high)},
              {"summary", r.summary}, {"tag", SourceTagName(r.tag)}};
}

Json CoefficientJson(const stats::Coefficient& c, bool exponentiate) {
  Json j{{"estimate", c.estimate}, {"se", c.se},         {"statistic", c.statistic},
         {"p_value", c.p_value},   {"ci_low", c.ci_low}, {"ci_high", c.ci_high}};
  if (exponentiate) {
    j["exp_estimate"] = std::exp(c.estimate);
    j["exp_ci_low"] = std::exp(c.ci_low);
    j["exp_ci_high"] = std::exp(c.ci_high);
  }
  return j;
}

}  // namespace

std::string EvidenceListToJson(const EvidenceBase& base) {
  Json outcomes = Json::array();
  for (const OutcomeDefinition& o : base.outcomes) {
    outcomes.push_back({{"id", o.id}, {"class", OutcomeClassName(o.outcome_class)}, {"label", o.label}});
  }
  Json trials = Json::array();
  for (const Trial& t : base.trials) {
    Json outs = Json::array();
    for (const TrialOutcome& o : t.outcomes) {
      Json oj{{"outcome", o.outcome_id}, {"definition", o.definition}, {"timepoint", o.timepoint},
              {"ketamine", ArmJson(o.ketamine)}, {"control", ArmJson(o.control)}, {"poolable", o.poolable}};
      if (!o.poolable) oj["exclusion_reason"] = o.exclusion_reason;
      if (!o.note.empty()) oj["note"] = o.note;
      outs.push_back(std::move(oj));
    }
    trials.push_back({{"id", t.id},
                      {"reference", t.reference},
                      {"citation", t.citation},
                      {"doi", t.doi},
                      {"pmid", t.pmid},
                      {"pmcid", t.pmcid},
                      {"design", TrialDesignName(t.design)},
                      {"population", t.population},
                      {"route", t.route},
                      {"route_basis", t.route_basis},
                      {"dose", Opt(t.dose)},
                      {"comparator", t.comparator},
                      {"outcomes", std::move(outs)}});
  }
  Json refs = Json::array();
  for (const PooledReference& r : base.pooled_references) refs.push_back(ReferenceJson(r));
  Json j{{"id", base.id},           {"version", base.version},   {"effective_date", base.effective_date},
         {"outcomes", outcomes},    {"trials", trials},          {"pooled_references", refs}};
  return j.dump(2);
}

std::string EvidencePoolToJson(const EvidenceBase& base, const EvidenceQuery& query, const EvidencePool& pool) {
  const bool exponentiate = stats::IsLogScale(query.measure);
  Json q{{"outcome", query.outcome},
         {"route", Opt(query.route)},
         {"comparator", Opt(query.comparator)},
         {"include_crossover", query.include_crossover},
         {"verified_only", query.verified_only},
         {"measure", stats::EffectMeasureName(query.measure)},
         {"method", stats::Tau2EstimatorName(query.options.method)},
         {"test", stats::InferenceTestName(query.options.test)},
         {"level", query.options.level}};
  Json included = Json::array();
  for (std::size_t i = 0; i < pool.included.size(); ++i) {
    const IncludedTrial& t = pool.included[i];
    Json ij{{"trial", t.trial_id},
            {"label", t.label},
            {"comparator", t.comparator},
            {"ketamine", {{"responders", std::lround(t.table.events_treated)},
                          {"n", std::lround(t.table.events_treated + t.table.non_events_treated)},
                          {"tag", SourceTagName(t.ketamine_tag)}}},
            {"control", {{"responders", std::lround(t.table.events_control)},
                         {"n", std::lround(t.table.events_control + t.table.non_events_control)},
                         {"tag", SourceTagName(t.control_tag)}}},
            {"yi", pool.effects.yi[i]},
            {"vi", pool.effects.vi[i]}};
    if (pool.result) ij["weight_percent"] = pool.result->weights_percent[i];
    included.push_back(std::move(ij));
  }
  Json excluded = Json::array();
  for (const ExcludedTrial& e : pool.excluded) excluded.push_back({{"trial", e.trial_id}, {"reason", e.reason}});
  Json result = nullptr;
  if (pool.result) {
    const stats::MetaAnalysisResult& r = *pool.result;
    const auto& h = r.heterogeneity;
    result = Json{{"k", r.k},
                  {"method", stats::Tau2EstimatorName(r.method)},
                  {"test", stats::InferenceTestName(r.test)},
                  {"pooled", CoefficientJson(r.pooled(), exponentiate)},
                  {"tau2", r.tau2},
                  {"se_tau2", Opt(r.se_tau2)},
                  {"t_df", Opt(r.t_df)},
                  {"heterogeneity", {{"q", h.q}, {"df", h.df}, {"p_value", h.p_value}, {"i2_percent", h.i2_percent}, {"h2", h.h2}}}};
    if (r.prediction) {
      result["prediction"] = {{"low", r.prediction->low}, {"high", r.prediction->high}};
      if (exponentiate) {
        result["prediction"]["exp_low"] = std::exp(r.prediction->low);
        result["prediction"]["exp_high"] = std::exp(r.prediction->high);
      }
    }
  }
  Json arm_rate = nullptr;
  if (pool.ketamine_arm_logit) {
    const stats::MetaAnalysisResult& a = *pool.ketamine_arm_logit;
    arm_rate = Json{{"k", a.k},
                    {"rate", InverseLogit(a.pooled().estimate)},
                    {"ci_low", InverseLogit(a.pooled().ci_low)},
                    {"ci_high", InverseLogit(a.pooled().ci_high)},
                    {"tau2_logit", a.tau2}};
    if (a.prediction) {
      arm_rate["pi_low"] = InverseLogit(a.prediction->low);
      arm_rate["pi_high"] = InverseLogit(a.prediction->high);
    }
  }
  Json refs = Json::array();
  for (const PooledReference& r : pool.references) refs.push_back(ReferenceJson(r));
  Json j{{"evidence", {{"id", base.id}, {"version", base.version}}},
         {"ketamine_arm_rate", arm_rate},
         {"query", q},
         {"outcome", {{"id", pool.outcome.id}, {"class", OutcomeClassName(pool.outcome.outcome_class)}, {"label", pool.outcome.label}}},
         {"included", included},
         {"excluded", excluded},
         {"result", result},
         {"notes", pool.notes},
         {"published_references", refs}};
  return j.dump(2);
}

}  // namespace kira::evidence
