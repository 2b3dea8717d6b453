#include "kira/api/guideline_json.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "kira/api/internal/json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {

using domain::Evidence;
using domain::Severity;
using guideline::Condition;
using guideline::Library;
using guideline::LimitSet;
using guideline::Protocol;
using guideline::Range;
using guideline::RuleMeta;
using internal::FieldError;
using internal::Index;
using internal::Json;
using internal::Join;
using internal::ObjectReader;

namespace {

Status ReadMeta(ObjectReader& r, RuleMeta* meta, bool citation_required = true) {
  KIRA_ASSIGN_OR_RETURN(meta->grade, r.String("grade", false));
  KIRA_ASSIGN_OR_RETURN(meta->certainty, r.String("certainty", false));
  KIRA_ASSIGN_OR_RETURN(std::string ev, r.String("evidence", true));
  if (!domain::ParseEvidence(ev, &meta->evidence))
    return FieldError(r.PathOf("evidence"), "must be one of V, S, U, derived; got '" + ev + "'");
  KIRA_ASSIGN_OR_RETURN(meta->citation, r.String("citation", citation_required));
  if (citation_required && meta->citation.empty()) return FieldError(r.PathOf("citation"), "must not be empty");
  KIRA_ASSIGN_OR_RETURN(meta->rationale, r.String("rationale", false));
  if (!meta->grade.empty() && meta->grade != "A" && meta->grade != "B" && meta->grade != "C" &&
      meta->grade != "D" && meta->grade != "I")
    return FieldError(r.PathOf("grade"), "must be A, B, C, D, I or empty; got '" + meta->grade + "'");
  return Status();
}

// Conversion of a plain number from the data file into the range's quantity.
template <class Q>
Q FromData(double v);
template <> units::MilligramsPerKilogram FromData(double v) { return units::MgPerKg(v); }
template <> units::Milligrams FromData(double v) { return units::Mg(v); }
template <> units::MilligramsPerKilogramPerHour FromData(double v) { return units::MgPerKgPerH(v); }
template <> units::MilligramsPerHour FromData(double v) { return units::MgPerH(v); }
template <> units::Duration FromData(double v) { return units::Minutes(v); }

template <class Q>
Status ReadRange(ObjectReader& parent, const char* key, Range<Q>* out) {
  const Json* j = parent.Get(key);
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, parent.PathOf(key)));
  std::optional<Q>* slots[] = {&out->soft_min, &out->soft_max, &out->hard_min, &out->hard_max};
  const char* names[] = {"soft_min", "soft_max", "hard_min", "hard_max"};
  for (int i = 0; i < 4; ++i) {
    KIRA_ASSIGN_OR_RETURN(std::optional<double> v, r.OptNumber(names[i], 0.0));
    if (v) *slots[i] = FromData<Q>(*v);
  }
  KIRA_RETURN_IF_ERROR(ReadMeta(r, &out->meta));
  if (out->empty()) return FieldError(r.path(), "must set at least one of soft_min, soft_max, hard_min, hard_max");
  return r.NoUnknownKeys();
}

Status ReadLimitSet(ObjectReader& parent, const char* key, LimitSet* out) {
  const Json* j = parent.Get(key);
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, parent.PathOf(key)));
  KIRA_RETURN_IF_ERROR(ReadRange(r, "mg_per_kg", &out->mg_per_kg));
  KIRA_RETURN_IF_ERROR(ReadRange(r, "total_mg", &out->total_mg));
  KIRA_RETURN_IF_ERROR(ReadRange(r, "mg_per_kg_per_h", &out->mg_per_kg_per_h));
  KIRA_RETURN_IF_ERROR(ReadRange(r, "mg_per_h", &out->mg_per_h));
  KIRA_RETURN_IF_ERROR(ReadRange(r, "duration", &out->duration));
  return r.NoUnknownKeys();
}

StatusOr<Condition> ReadCondition(const Json& j, const std::string& path, int depth) {
  if (depth > 16) return FieldError(path, "conditions nest deeper than 16 levels");
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, path));
  Condition c;
  auto read_children = [&](const char* key) -> Status {
    const Json* v = r.Get(key);
    std::string p = r.PathOf(key);
    if (v->is_object()) {
      KIRA_ASSIGN_OR_RETURN(Condition child, ReadCondition(*v, p, depth + 1));
      c.children.push_back(std::move(child));
      return Status();
    }
    if (!v->is_array()) return FieldError(p, "must be a list of conditions");
    for (size_t i = 0; i < v->size(); ++i) {
      KIRA_ASSIGN_OR_RETURN(Condition child, ReadCondition((*v)[i], Index(p, i), depth + 1));
      c.children.push_back(std::move(child));
    }
    return Status();
  };
  if (r.Has("all")) {
    c.kind = Condition::Kind::kAll;
    KIRA_RETURN_IF_ERROR(read_children("all"));
  } else if (r.Has("any")) {
    c.kind = Condition::Kind::kAny;
    KIRA_RETURN_IF_ERROR(read_children("any"));
    if (c.children.empty()) return FieldError(r.PathOf("any"), "must not be empty");
  } else if (r.Has("not")) {
    c.kind = Condition::Kind::kNot;
    KIRA_RETURN_IF_ERROR(read_children("not"));
    if (c.children.size() != 1) return FieldError(r.PathOf("not"), "must hold exactly one condition");
  } else if (r.Has("fact")) {
    KIRA_ASSIGN_OR_RETURN(c.fact, r.String("fact"));
    if (r.Has("op")) {
      c.kind = Condition::Kind::kCompare;
      KIRA_ASSIGN_OR_RETURN(std::string op, r.String("op"));
      static const std::pair<const char*, Condition::Op> kOps[] = {
          {"<", Condition::Op::kLt}, {"<=", Condition::Op::kLe}, {">", Condition::Op::kGt},
          {">=", Condition::Op::kGe}, {"==", Condition::Op::kEq}};
      bool found = false;
      for (const auto& [name, value] : kOps) {
        if (op == name) { c.op = value; found = true; }
      }
      if (!found) return FieldError(r.PathOf("op"), "must be one of <, <=, >, >=, ==; got '" + op + "'");
      KIRA_ASSIGN_OR_RETURN(c.value, r.OptNumber("value"));
      KIRA_ASSIGN_OR_RETURN(c.setting, r.String("setting", false));
      if (c.value.has_value() == !c.setting.empty())
        return FieldError(r.path(), "a comparison needs exactly one of 'value' or 'setting'");
    } else {
      c.kind = Condition::Kind::kFact;
    }
  } else {
    return FieldError(path, "a condition needs one of 'all', 'any', 'not' or 'fact'");
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return c;
}

Status ReadSeverity(ObjectReader& r, const char* key, Severity* out) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key));
  if (!domain::ParseSeverity(s, out))
    return FieldError(r.PathOf(key), "must be one of info, caution, soft_stop, hard_stop; got '" + s + "'");
  return Status();
}

template <class T>
Status ReadArray(ObjectReader& root, const char* key, bool required,
                 const std::function<Status(ObjectReader&, T*)>& read, std::vector<T>* out) {
  const Json* arr = root.Get(key);
  if (!arr) {
    if (required) return FieldError(root.PathOf(key), "is required (a list)");
    return Status();
  }
  if (!arr->is_array()) return FieldError(root.PathOf(key), "must be a list");
  for (size_t i = 0; i < arr->size(); ++i) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make((*arr)[i], Index(root.PathOf(key), i)));
    T item;
    KIRA_RETURN_IF_ERROR(read(r, &item));
    KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
    out->push_back(std::move(item));
  }
  return Status();
}

Status ReadProtocol(ObjectReader& r, Protocol* p) {
  KIRA_ASSIGN_OR_RETURN(p->id, r.String("id"));
  KIRA_ASSIGN_OR_RETURN(p->name, r.String("name"));
  KIRA_ASSIGN_OR_RETURN(p->indications, r.StringList("indications", true));
  KIRA_ASSIGN_OR_RETURN(p->route, r.String("route"));
  KIRA_ASSIGN_OR_RETURN(p->care_area, r.String("care_area"));
  KIRA_ASSIGN_OR_RETURN(p->drug, r.String("drug"));
  if (p->drug != "ketamine" && p->drug != "esketamine")
    return FieldError(r.PathOf("drug"), "must be ketamine or esketamine; got '" + p->drug + "'");
  KIRA_ASSIGN_OR_RETURN(p->population, r.String("population", false, "adults"));
  if (p->care_area != "outpatient" && p->care_area != "inpatient")
    return FieldError(r.PathOf("care_area"), "must be outpatient or inpatient");
  KIRA_ASSIGN_OR_RETURN(std::string mode, r.String("mode"));
  if (mode == "mg_per_kg") p->mode = guideline::DoseMode::kMgPerKg;
  else if (mode == "mg_per_kg_per_h") p->mode = guideline::DoseMode::kMgPerKgPerH;
  else if (mode == "mg_per_h") p->mode = guideline::DoseMode::kMgPerH;
  else if (mode == "fixed_mg") p->mode = guideline::DoseMode::kFixedMg;
  else return FieldError(r.PathOf("mode"), "must be mg_per_kg, mg_per_kg_per_h, mg_per_h or fixed_mg; got '" + mode + "'");
  KIRA_ASSIGN_OR_RETURN(p->dose_value, r.Number("dose", 0.0));
  if (p->dose_value <= 0) return FieldError(r.PathOf("dose"), "must be > 0");
  KIRA_ASSIGN_OR_RETURN(std::optional<double> dur, r.OptNumber("duration_min", 0.0));
  if (p->mode != guideline::DoseMode::kFixedMg) {
    if (!dur || *dur <= 0) return FieldError(r.PathOf("duration_min"), "is required (> 0) for an infusion");
    p->duration = units::Minutes(*dur);
  } else if (dur) {
    return FieldError(r.PathOf("duration_min"), "must be absent for a fixed_mg (non-infused) protocol");
  }
  KIRA_ASSIGN_OR_RETURN(double n, r.Number("sessions_in_series", 1, 1000));
  p->sessions_in_series = static_cast<int>(n);
  KIRA_ASSIGN_OR_RETURN(p->schedule, r.String("schedule", false));
  KIRA_ASSIGN_OR_RETURN(p->allowed_fixed_mg, r.NumberList("allowed_fixed_mg"));
  KIRA_ASSIGN_OR_RETURN(p->mg_per_device, r.OptNumber("mg_per_device", 0.0));
  if (p->mg_per_device && *p->mg_per_device <= 0) return FieldError(r.PathOf("mg_per_device"), "must be > 0");
  KIRA_ASSIGN_OR_RETURN(p->standard_concentrations_mg_per_ml, r.NumberList("standard_concentrations_mg_per_ml"));
  for (size_t i = 0; i < p->standard_concentrations_mg_per_ml.size(); ++i)
    if (p->standard_concentrations_mg_per_ml[i] <= 0)
      return FieldError(Index(r.PathOf("standard_concentrations_mg_per_ml"), i), "must be > 0");
  KIRA_ASSIGN_OR_RETURN(p->hard_max_concentration_mg_per_ml, r.OptNumber("hard_max_concentration_mg_per_ml", 0.0));
  if (const Json* m = r.Get("hard_max_concentration")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader mr, ObjectReader::Make(*m, r.PathOf("hard_max_concentration")));
    KIRA_RETURN_IF_ERROR(ReadMeta(mr, &p->hard_max_concentration_meta));
    KIRA_RETURN_IF_ERROR(mr.NoUnknownKeys());
  } else if (p->hard_max_concentration_mg_per_ml) {
    return FieldError(r.PathOf("hard_max_concentration"), "is required (citation) when hard_max_concentration_mg_per_ml is set");
  }
  KIRA_ASSIGN_OR_RETURN(std::vector<double> band, r.NumberList("intended_band_ng_per_ml"));
  if (!band.empty()) {
    if (band.size() != 2 || band[0] <= 0 || band[1] <= band[0])
      return FieldError(r.PathOf("intended_band_ng_per_ml"), "must be [low, high] with 0 < low < high");
    p->intended_band_low_ng_per_ml = band[0];
    p->intended_band_high_ng_per_ml = band[1];
  }
  if (const Json* o = r.Get("older_adult")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader orr, ObjectReader::Make(*o, r.PathOf("older_adult")));
    guideline::OlderAdultDose od;
    KIRA_ASSIGN_OR_RETURN(od.age_setting, orr.String("age_setting"));
    KIRA_ASSIGN_OR_RETURN(od.first_dose_mg, orr.Number("first_dose_mg", 0.0));
    KIRA_ASSIGN_OR_RETURN(od.min_dose_mg, orr.Number("min_dose_mg", 0.0));
    if (!(od.first_dose_mg > 0)) return FieldError(orr.PathOf("first_dose_mg"), "must be > 0");
    if (!(od.min_dose_mg > 0)) return FieldError(orr.PathOf("min_dose_mg"), "must be > 0");
    KIRA_RETURN_IF_ERROR(ReadMeta(orr, &od.meta));
    KIRA_RETURN_IF_ERROR(orr.NoUnknownKeys());
    p->older_adult = std::move(od);
  }
  KIRA_RETURN_IF_ERROR(ReadMeta(r, &p->meta));
  KIRA_RETURN_IF_ERROR(ReadLimitSet(r, "session", &p->session));
  KIRA_RETURN_IF_ERROR(ReadLimitSet(r, "day", &p->day));
  // Every limit of a protocol says which drug, route, indications and
  // population it comes from; it governs only doses of this protocol.
  std::string scope = p->drug + ", " + p->route + ", ";
  for (size_t i = 0; i < p->indications.size(); ++i) scope += (i ? "/" : "") + p->indications[i];
  scope += ", " + p->population + " (" + p->care_area + ")";
  for (guideline::LimitSet* l : {&p->session, &p->day}) {
    l->mg_per_kg.meta.scope = scope;
    l->total_mg.meta.scope = scope;
    l->mg_per_kg_per_h.meta.scope = scope;
    l->mg_per_h.meta.scope = scope;
    l->duration.meta.scope = scope;
  }
  p->meta.scope = scope;
  p->hard_max_concentration_meta.scope = scope;
  if (p->older_adult) p->older_adult->meta.scope = scope;
  return Status();
}

Status ReadSettings(ObjectReader& root, Library* lib) {
  const Json* s = root.Get("settings");
  if (!s) return FieldError(root.PathOf("settings"), "is required");
  if (!s->is_object()) return FieldError(root.PathOf("settings"), "must be an object");
  for (auto it = s->begin(); it != s->end(); ++it) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(it.value(), Join(root.PathOf("settings"), it.key())));
    guideline::Setting st;
    st.id = it.key();
    KIRA_ASSIGN_OR_RETURN(st.number, r.OptNumber("number"));
    KIRA_ASSIGN_OR_RETURN(st.text, r.String("text", false));
    KIRA_ASSIGN_OR_RETURN(st.choices, r.StringList("choices", false));
    KIRA_ASSIGN_OR_RETURN(st.min, r.OptNumber("min"));
    KIRA_ASSIGN_OR_RETURN(st.max, r.OptNumber("max"));
    KIRA_ASSIGN_OR_RETURN(st.unit, r.String("unit", false));
    KIRA_ASSIGN_OR_RETURN(st.description, r.String("description"));
    KIRA_RETURN_IF_ERROR(ReadMeta(r, &st.meta));
    KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
    if (st.number.has_value() == !st.text.empty())
      return FieldError(r.path(), "a setting needs exactly one of 'number' or 'text'");
    if (st.number && ((st.min && *st.number < *st.min) || (st.max && *st.number > *st.max)))
      return FieldError(r.PathOf("number"), "is outside the setting's allowed range");
    if (!st.text.empty() && std::find(st.choices.begin(), st.choices.end(), st.text) == st.choices.end())
      return FieldError(r.PathOf("text"), "must be one of the listed choices");
    lib->settings[st.id] = std::move(st);
  }
  return Status();
}

// Resolves every fact of a rule's condition tree and checks it exists.
Status ResolveFacts(Condition& c, const Library& lib, const std::set<std::string>& classes, const std::string& path) {
  switch (c.kind) {
    case Condition::Kind::kAll:
    case Condition::Kind::kAny:
    case Condition::Kind::kNot:
      for (Condition& child : c.children) KIRA_RETURN_IF_ERROR(ResolveFacts(child, lib, classes, path));
      return Status();
    case Condition::Kind::kFact:
    case Condition::Kind::kCompare:
      break;
  }
  bool numeric_wanted = c.kind == Condition::Kind::kCompare;
  if (!guideline::ResolveFact(&c) || guideline::IsNumericFact(c.code) != numeric_wanted)
    return FieldError(path, std::string("unknown ") + (numeric_wanted ? "numeric" : "boolean") + " fact '" + c.fact + "'");
  if (c.code == guideline::FactCode::kHistory && !lib.HasConditionTerm(c.key))
    return FieldError(path, "unknown boolean fact '" + c.fact + "' (no such history condition)");
  if (c.code == guideline::FactCode::kMedClass && !classes.count(c.key))
    return FieldError(path, "unknown boolean fact '" + c.fact + "' (no medication has this class)");
  if (c.code == guideline::FactCode::kDiagnosis && !lib.FindIndication(c.key))
    return FieldError(path, "unknown boolean fact '" + c.fact + "' (no such indication)");
  if (!c.setting.empty()) {
    const guideline::Setting* st = lib.FindSetting(c.setting);
    if (!st || !st->number) return FieldError(path, "refers to missing numeric setting '" + c.setting + "'");
    c.setting_value = *st->number;
  }
  return Status();
}

template <class Q>
Status CheckRange(const Range<Q>& r, const std::string& path) {
  auto bad = [&](const char* what) { return FieldError(path, what); };
  if (r.soft_max && r.hard_max && *r.soft_max > *r.hard_max) return bad("soft_max must not exceed hard_max");
  if (r.soft_min && r.hard_min && *r.soft_min < *r.hard_min) return bad("soft_min must not be below hard_min");
  if (r.soft_min && r.soft_max && *r.soft_min > *r.soft_max) return bad("soft_min must not exceed soft_max");
  if (r.hard_min && r.hard_max && *r.hard_min > *r.hard_max) return bad("hard_min must not exceed hard_max");
  return Status();
}

Status CheckLimitSet(const LimitSet& l, const std::string& path) {
  KIRA_RETURN_IF_ERROR(CheckRange(l.mg_per_kg, path + ".mg_per_kg"));
  KIRA_RETURN_IF_ERROR(CheckRange(l.total_mg, path + ".total_mg"));
  KIRA_RETURN_IF_ERROR(CheckRange(l.mg_per_kg_per_h, path + ".mg_per_kg_per_h"));
  KIRA_RETURN_IF_ERROR(CheckRange(l.mg_per_h, path + ".mg_per_h"));
  KIRA_RETURN_IF_ERROR(CheckRange(l.duration, path + ".duration"));
  return Status();
}

template <class Q>
bool Inside(const Range<Q>& r, Q v) {
  return !((r.soft_min && v < *r.soft_min) || (r.soft_max && v > *r.soft_max) ||
           (r.hard_min && v < *r.hard_min) || (r.hard_max && v > *r.hard_max));
}

}  // namespace

Status ResolveAndValidate(Library& lib) {
  std::set<std::string> ids;
  auto unique = [&](const std::string& id, const std::string& path) -> Status {
    if (!ids.insert(id).second) return FieldError(path, "duplicate id '" + id + "'");
    return Status();
  };
  for (size_t i = 0; i < lib.indications.size(); ++i)
    KIRA_RETURN_IF_ERROR(unique(lib.indications[i].id, Index("indications", i) + ".id"));
  for (size_t i = 0; i < lib.routes.size(); ++i)
    KIRA_RETURN_IF_ERROR(unique("route:" + lib.routes[i].id, Index("routes", i) + ".id"));
  for (size_t i = 0; i < lib.routes.size(); ++i)
    if (!lib.routes[i].supervised_only)
      return FieldError(Index("routes", i) + ".supervised_only",
                        "must be true: doses are given under medical supervision, never self-administered at home");
  std::set<std::string> classes;
  std::set<std::string> meds;
  for (size_t i = 0; i < lib.medications.size(); ++i) {
    if (!meds.insert(lib.medications[i].name).second)
      return FieldError(Index("medications", i) + ".name", "duplicate medication '" + lib.medications[i].name + "'");
    for (const auto& c : lib.medications[i].classes) classes.insert(c);
  }
  for (size_t i = 0; i < lib.protocols.size(); ++i) {
    const Protocol& p = lib.protocols[i];
    std::string path = Index("protocols", i);
    KIRA_RETURN_IF_ERROR(unique(p.id, path + ".id"));
    if (!lib.FindRoute(p.route)) return FieldError(path + ".route", "unknown route '" + p.route + "'");
    if (p.indications.empty()) return FieldError(path + ".indications", "must list at least one indication");
    for (size_t k = 0; k < p.indications.size(); ++k)
      if (!lib.FindIndication(p.indications[k]))
        return FieldError(Index(path + ".indications", k), "unknown indication '" + p.indications[k] + "'");
    if (p.mode == guideline::DoseMode::kFixedMg && p.allowed_fixed_mg.empty())
      return FieldError(path + ".allowed_fixed_mg", "is required for a fixed_mg protocol");
    if (p.mg_per_device && p.mode != guideline::DoseMode::kFixedMg)
      return FieldError(path + ".mg_per_device", "is for a fixed_mg (device) protocol only");
    if (p.mg_per_device) {
      for (size_t k = 0; k < p.allowed_fixed_mg.size(); ++k) {
        const double n = p.allowed_fixed_mg[k] / *p.mg_per_device;
        if (std::fabs(n - std::round(n)) > 1e-9 || n < 1)
          return FieldError(Index(path + ".allowed_fixed_mg", k), "is not a whole number of devices of mg_per_device");
      }
    }
    KIRA_RETURN_IF_ERROR(CheckLimitSet(p.session, path + ".session"));
    KIRA_RETURN_IF_ERROR(CheckLimitSet(p.day, path + ".day"));
    // The template's own dose must sit inside its own soft band.
    if (p.mode == guideline::DoseMode::kMgPerKg && !Inside(p.session.mg_per_kg, units::MgPerKg(p.dose_value)))
      return FieldError(path + ".dose", "the protocol's dose lies outside its own session.mg_per_kg limits");
    if (p.mode == guideline::DoseMode::kFixedMg && !Inside(p.session.total_mg, units::Mg(p.dose_value)))
      return FieldError(path + ".dose", "the protocol's dose lies outside its own session.total_mg limits");
    if (p.duration && !Inside(p.session.duration, *p.duration))
      return FieldError(path + ".duration_min", "the protocol's duration lies outside its own session.duration limits");
  }
  std::set<std::string> rule_ids;
  for (size_t i = 0; i < lib.rules.size(); ++i) {
    const guideline::ScreeningRule& r = lib.rules[i];
    std::string path = Index("rules", i);
    if (!rule_ids.insert(r.id).second) return FieldError(path + ".id", "duplicate rule id '" + r.id + "'");
    KIRA_RETURN_IF_ERROR(ResolveFacts(lib.rules[i].when, lib, classes, path + ".when"));
    {  // The rule's scope, as every finding it makes will say.
      guideline::ScreeningRule& rule = lib.rules[i];
      std::string scope;
      for (size_t k = 0; k < rule.routes.size(); ++k) scope += (k ? "/" : "") + rule.routes[k];
      if (!rule.indications.empty()) scope += scope.empty() ? "" : ", ";
      for (size_t k = 0; k < rule.indications.size(); ++k) scope += (k ? "/" : "") + rule.indications[k];
      rule.meta.scope = scope;
    }
    for (size_t k = 0; k < r.routes.size(); ++k)
      if (!lib.FindRoute(r.routes[k])) return FieldError(Index(path + ".routes", k), "unknown route '" + r.routes[k] + "'");
    for (size_t k = 0; k < r.indications.size(); ++k)
      if (!lib.FindIndication(r.indications[k]))
        return FieldError(Index(path + ".indications", k), "unknown indication '" + r.indications[k] + "'");
  }
  for (size_t i = 0; i < lib.protocols.size(); ++i) {
    if (!lib.protocols[i].older_adult) continue;
    guideline::OlderAdultDose& od = *lib.protocols[i].older_adult;
    const guideline::Setting* st = lib.FindSetting(od.age_setting);
    if (!st || !st->number)
      return FieldError(Index("protocols", i) + ".older_adult.age_setting",
                        "refers to missing numeric setting '" + od.age_setting + "'");
    od.from_age_years = *st->number;
  }
  // Settings the engine itself reads must exist with the right kind; they
  // are copied into the typed view the rules read.
  using guideline::EngineSettings;
  using guideline::NumberSetting;
  static const struct { const char* id; NumberSetting EngineSettings::*field; } kNumeric[] = {
      {"dosing.obesity_bmi", &EngineSettings::obesity_bmi},
      {"dosing.ibw_male_base_kg", &EngineSettings::ibw_male_base_kg},
      {"dosing.ibw_female_base_kg", &EngineSettings::ibw_female_base_kg},
      {"dosing.ibw_kg_per_inch", &EngineSettings::ibw_kg_per_inch},
      {"dosing.adjusted_weight_factor", &EngineSettings::adjusted_weight_factor},
      {"dosing.estimate_uncertainty_pct", &EngineSettings::estimate_uncertainty_pct},
      {"dosing.tenfold_ratio", &EngineSettings::tenfold_ratio},
      {"weight.bmi_implausible_high", &EngineSettings::bmi_implausible_high},
      {"weight.bmi_implausible_low", &EngineSettings::bmi_implausible_low},
      {"weight.pounds_suspect_bmi", &EngineSettings::pounds_suspect_bmi},
      {"weight.pounds_stop_bmi", &EngineSettings::pounds_stop_bmi},
      {"weight.normal_bmi_low", &EngineSettings::normal_bmi_low},
      {"weight.normal_bmi_high", &EngineSettings::normal_bmi_high},
      {"pump.default_concentration_mg_per_ml", &EngineSettings::default_concentration_mg_per_ml},
      {"pump.rate_decimals", &EngineSettings::rate_decimals},
      {"plausibility.adult_from_age_years", &EngineSettings::adult_from_age_years},
      {"plausibility.adult_weight_min_kg", &EngineSettings::adult_weight_min_kg},
      {"plausibility.adult_weight_max_kg", &EngineSettings::adult_weight_max_kg},
      {"plausibility.adult_height_min_cm", &EngineSettings::adult_height_min_cm},
      {"plausibility.adult_height_max_cm", &EngineSettings::adult_height_max_cm},
      {"plausibility.weight_change_pct", &EngineSettings::weight_change_pct},
      {"plausibility.sbp_min_mmhg", &EngineSettings::sbp_min_mmhg},
      {"plausibility.sbp_max_mmhg", &EngineSettings::sbp_max_mmhg},
      {"plausibility.dbp_min_mmhg", &EngineSettings::dbp_min_mmhg},
      {"plausibility.dbp_max_mmhg", &EngineSettings::dbp_max_mmhg},
      {"plausibility.hr_min_bpm", &EngineSettings::hr_min_bpm},
      {"plausibility.hr_max_bpm", &EngineSettings::hr_max_bpm},
      {"plausibility.spo2_min_pct", &EngineSettings::spo2_min_pct},
      {"plausibility.rr_min_per_min", &EngineSettings::rr_min_per_min},
      {"plausibility.rr_max_per_min", &EngineSettings::rr_max_per_min},
      {"screen.esketamine_older_age_years", &EngineSettings::esketamine_older_age_years},
      {"record.consistency_tolerance_pct", &EngineSettings::record_consistency_tolerance_pct},
  };
  for (const auto& [id, field] : kNumeric) {
    const guideline::Setting* s = lib.FindSetting(id);
    if (!s || !s->number) return FieldError(std::string("settings.") + id, "is required (a numeric setting)");
    NumberSetting& out = lib.config.*field;
    out.id = id;
    out.value = *s->number;
    out.unit = s->unit;
    out.meta = s->meta;
    if (out.meta.rationale.empty()) out.meta.rationale = s->description;
  }
  const guideline::Setting* basis = lib.FindSetting("dosing.obesity_weight_basis");
  if (!basis || basis->text.empty())
    return FieldError("settings.dosing.obesity_weight_basis", "is required (actual, ideal or adjusted)");
  lib.config.obesity_weight_basis = basis->text;
  lib.config.obesity_weight_basis_meta = basis->meta;
  if (lib.config.obesity_weight_basis_meta.rationale.empty())
    lib.config.obesity_weight_basis_meta.rationale = basis->description;
  return Status();
}

Status ValidateLibrary(const Library& lib) {
  Library copy = lib;
  return ResolveAndValidate(copy);
}

StatusOr<Library> ParseGuideline(std::string_view json_text) {
  KIRA_ASSIGN_OR_RETURN(Json doc, internal::ParseJson(json_text, "guideline"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader root, ObjectReader::Make(doc, ""));
  Library lib;
  KIRA_ASSIGN_OR_RETURN(lib.id, root.String("id"));
  KIRA_ASSIGN_OR_RETURN(lib.version, root.String("version"));
  static const std::regex kSemver(R"(\d+\.\d+\.\d+)");
  if (!std::regex_match(lib.version, kSemver)) return FieldError("version", "must look like 1.2.3");
  KIRA_ASSIGN_OR_RETURN(lib.effective_date, root.String("effective_date"));
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  if (!std::regex_match(lib.effective_date, kDate)) return FieldError("effective_date", "must be an ISO date YYYY-MM-DD");
  KIRA_ASSIGN_OR_RETURN(std::string description, root.String("description", false));
  (void)description;

  KIRA_RETURN_IF_ERROR(ReadArray<guideline::Source>(root, "sources", true, [](ObjectReader& r, guideline::Source* s) -> Status {
    KIRA_ASSIGN_OR_RETURN(s->id, r.String("id"));
    KIRA_ASSIGN_OR_RETURN(s->citation, r.String("citation"));
    KIRA_ASSIGN_OR_RETURN(s->doi, r.String("doi", false));
    KIRA_ASSIGN_OR_RETURN(s->pmid, r.String("pmid", false));
    return Status();
  }, &lib.sources));
  KIRA_RETURN_IF_ERROR(ReadArray<guideline::Indication>(root, "indications", true, [](ObjectReader& r, guideline::Indication* x) -> Status {
    KIRA_ASSIGN_OR_RETURN(x->id, r.String("id"));
    KIRA_ASSIGN_OR_RETURN(x->name, r.String("name"));
    KIRA_ASSIGN_OR_RETURN(x->kind, r.String("kind"));
    if (x->kind != "depression" && x->kind != "suicidality" && x->kind != "pain")
      return FieldError(r.PathOf("kind"), "must be depression, suicidality or pain");
    KIRA_ASSIGN_OR_RETURN(x->evidence_strength, r.String("evidence_strength"));
    KIRA_RETURN_IF_ERROR(ReadSeverity(r, "evidence_severity", &x->evidence_severity));
    KIRA_ASSIGN_OR_RETURN(x->evidence_summary, r.String("evidence_summary"));
    return ReadMeta(r, &x->meta);
  }, &lib.indications));
  KIRA_RETURN_IF_ERROR(ReadArray<guideline::Route>(root, "routes", true, [](ObjectReader& r, guideline::Route* x) -> Status {
    KIRA_ASSIGN_OR_RETURN(x->id, r.String("id"));
    KIRA_ASSIGN_OR_RETURN(x->name, r.String("name"));
    KIRA_ASSIGN_OR_RETURN(x->supervised_only, r.Bool("supervised_only", true));
    return ReadMeta(r, &x->meta);
  }, &lib.routes));
  KIRA_RETURN_IF_ERROR(ReadArray<Protocol>(root, "protocols", true, ReadProtocol, &lib.protocols));
  KIRA_RETURN_IF_ERROR(ReadArray<guideline::ConditionTerm>(root, "conditions", true, [](ObjectReader& r, guideline::ConditionTerm* x) -> Status {
    KIRA_ASSIGN_OR_RETURN(x->id, r.String("id"));
    KIRA_ASSIGN_OR_RETURN(x->label, r.String("label"));
    return Status();
  }, &lib.conditions));
  KIRA_RETURN_IF_ERROR(ReadSettings(root, &lib));
  KIRA_RETURN_IF_ERROR(ReadArray<guideline::ScreeningRule>(root, "rules", true, [](ObjectReader& r, guideline::ScreeningRule* x) -> Status {
    KIRA_ASSIGN_OR_RETURN(x->id, r.String("id"));
    KIRA_ASSIGN_OR_RETURN(x->kind, r.String("kind"));
    static const std::set<std::string> kKinds = {"absolute", "relative", "caution", "info", "rescue"};
    if (!kKinds.count(x->kind)) return FieldError(r.PathOf("kind"), "must be absolute, relative, caution, info or rescue");
    KIRA_RETURN_IF_ERROR(ReadSeverity(r, "severity", &x->severity));
    if (x->kind == "absolute" && x->severity != Severity::kHardStop)
      return FieldError(r.PathOf("severity"), "an absolute contraindication must be a hard_stop");
    if (x->kind == "relative" && x->severity != Severity::kSoftStop)
      return FieldError(r.PathOf("severity"), "a relative contraindication must be a soft_stop");
    const Json* when = r.Get("when");
    if (!when) return FieldError(r.PathOf("when"), "is required (a condition)");
    KIRA_ASSIGN_OR_RETURN(x->when, ReadCondition(*when, r.PathOf("when"), 0));
    KIRA_ASSIGN_OR_RETURN(x->routes, r.StringList("routes", false));
    KIRA_ASSIGN_OR_RETURN(x->indications, r.StringList("indications", false));
    KIRA_ASSIGN_OR_RETURN(x->message, r.String("message"));
    return ReadMeta(r, &x->meta);
  }, &lib.rules));
  KIRA_RETURN_IF_ERROR(ReadArray<guideline::MedicationEntry>(root, "medications", true, [](ObjectReader& r, guideline::MedicationEntry* x) -> Status {
    KIRA_ASSIGN_OR_RETURN(x->name, r.String("name"));
    KIRA_ASSIGN_OR_RETURN(x->classes, r.StringList("classes", true));
    return Status();
  }, &lib.medications));
  KIRA_RETURN_IF_ERROR(root.NoUnknownKeys({"description"}));
  KIRA_RETURN_IF_ERROR(ResolveAndValidate(lib));
  return lib;
}

namespace {

// Applies overlay bounds to one range, refusing any loosening.
template <class Q>
Status TightenRange(ObjectReader& parent, const char* key, Range<Q>* range, const std::string& what) {
  const Json* j = parent.Get(key);
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, parent.PathOf(key)));
  struct Slot { const char* name; std::optional<Q>* value; bool is_max; };
  Slot slots[] = {{"soft_min", &range->soft_min, false}, {"soft_max", &range->soft_max, true},
                  {"hard_min", &range->hard_min, false}, {"hard_max", &range->hard_max, true}};
  for (Slot& s : slots) {
    KIRA_ASSIGN_OR_RETURN(std::optional<double> v, r.OptNumber(s.name, 0.0));
    if (!v) continue;
    Q nv = FromData<Q>(*v);
    if (s.value->has_value()) {
      bool loosens = s.is_max ? nv > **s.value : nv < **s.value;
      if (loosens) {
        return FieldError(r.PathOf(s.name),
                          std::string("would loosen the ") + (std::string(s.name).rfind("hard", 0) == 0 ? "hard" : "soft") +
                              " limit of " + what + " from " + ObjectReader::Fmt((*s.value)->canonical()) + " to " +
                              ObjectReader::Fmt(*v) + " (" + range->meta.citation +
                              "); a clinic overlay may only tighten limits");
      }
    }
    *s.value = nv;
  }
  return r.NoUnknownKeys();
}

Status TightenLimitSet(ObjectReader& parent, const char* key, LimitSet* l, const std::string& what) {
  const Json* j = parent.Get(key);
  if (!j) return Status();
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(*j, parent.PathOf(key)));
  std::string w = what + "." + key;
  KIRA_RETURN_IF_ERROR(TightenRange(r, "mg_per_kg", &l->mg_per_kg, w + ".mg_per_kg"));
  KIRA_RETURN_IF_ERROR(TightenRange(r, "total_mg", &l->total_mg, w + ".total_mg"));
  KIRA_RETURN_IF_ERROR(TightenRange(r, "mg_per_kg_per_h", &l->mg_per_kg_per_h, w + ".mg_per_kg_per_h"));
  KIRA_RETURN_IF_ERROR(TightenRange(r, "mg_per_h", &l->mg_per_h, w + ".mg_per_h"));
  KIRA_RETURN_IF_ERROR(TightenRange(r, "duration", &l->duration, w + ".duration"));
  return r.NoUnknownKeys();
}

}  // namespace

StatusOr<Library> ApplyOverlay(const Library& base, std::string_view overlay_json) {
  KIRA_ASSIGN_OR_RETURN(Json doc, internal::ParseJson(overlay_json, "overlay"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader root, ObjectReader::Make(doc, "overlay"));
  Library lib = base;
  KIRA_ASSIGN_OR_RETURN(lib.overlay, root.String("clinic"));
  KIRA_ASSIGN_OR_RETURN(std::string for_id, root.String("base"));
  if (for_id != base.id) return FieldError("overlay.base", "is '" + for_id + "' but the library is '" + base.id + "'");
  KIRA_ASSIGN_OR_RETURN(std::string for_version, root.String("base_version"));
  if (for_version != base.version)
    return FieldError("overlay.base_version", "is '" + for_version + "' but the library is version " + base.version +
                                                  "; review the overlay against the new library");
  if (const Json* s = root.Get("settings")) {
    if (!s->is_object()) return FieldError("overlay.settings", "must be an object");
    for (auto it = s->begin(); it != s->end(); ++it) {
      std::string path = "overlay.settings." + it.key();
      auto found = lib.settings.find(it.key());
      if (found == lib.settings.end()) return FieldError(path, "unknown setting");
      guideline::Setting& st = found->second;
      if (st.number) {
        if (!it.value().is_number() || !std::isfinite(it.value().get<double>())) return FieldError(path, "must be a number");
        double v = it.value().get<double>();
        if ((st.min && v < *st.min) || (st.max && v > *st.max))
          return FieldError(path, "must be within [" + ObjectReader::Fmt(st.min.value_or(-HUGE_VAL)) + ", " +
                                      ObjectReader::Fmt(st.max.value_or(HUGE_VAL)) + "]");
        st.number = v;
      } else {
        if (!it.value().is_string()) return FieldError(path, "must be a string");
        std::string v = it.value().get<std::string>();
        if (std::find(st.choices.begin(), st.choices.end(), v) == st.choices.end())
          return FieldError(path, "must be one of the setting's choices");
        st.text = v;
      }
    }
  }
  if (const Json* ps = root.Get("protocols")) {
    if (!ps->is_object()) return FieldError("overlay.protocols", "must be an object keyed by protocol id");
    for (auto it = ps->begin(); it != ps->end(); ++it) {
      std::string path = "overlay.protocols." + it.key();
      auto p = std::find_if(lib.protocols.begin(), lib.protocols.end(), [&](const Protocol& x) { return x.id == it.key(); });
      if (p == lib.protocols.end()) return FieldError(path, "unknown protocol");
      KIRA_ASSIGN_OR_RETURN(ObjectReader pr, ObjectReader::Make(it.value(), path));
      KIRA_RETURN_IF_ERROR(TightenLimitSet(pr, "session", &p->session, p->id));
      KIRA_RETURN_IF_ERROR(TightenLimitSet(pr, "day", &p->day, p->id));
      KIRA_RETURN_IF_ERROR(pr.NoUnknownKeys());
    }
  }
  KIRA_RETURN_IF_ERROR(root.NoUnknownKeys());
  Status s = ResolveAndValidate(lib);
  if (!s.ok()) return s.WithContext("after applying overlay '" + lib.overlay + "'");
  return lib;
}

}  // namespace kira::api
