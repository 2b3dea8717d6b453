// API tests, route by route: the happy path and its decision content, and
// bad input (malformed JSON, wrong types, unknown fields, missing fields)
// answered with a 4xx naming the field, never a 500.
#include <gtest/gtest.h>

#include "kira/registry/audit.h"
#include "server_test_util.h"

namespace kira::testing {
namespace {

class Api : public ::testing::Test {
 protected:
  httplib::Result Get(const std::string& path, const std::string& login = "a-clinician") {
    auto c = srv_.Client();
    return c.Get(path.c_str(), srv_.Headers(srv_.Token(login)));
  }
  httplib::Result Post(const std::string& path, const std::string& body, const std::string& login = "a-clinician") {
    auto c = srv_.Client();
    return c.Post(path.c_str(), srv_.Headers(srv_.Token(login)), body, "application/json");
  }
  std::string NewPatient() {
    auto r = Post("/api/v1/patients",
                  R"({"sex":"female","birth_year":1984,"indication":"trd","identity":{"given_name":"Ada","family_name":"Example","mrn":"M-1"}})");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    const std::string id = Json::parse(r->body)["id"];
    // The stored clinical record every decision reads (baseline vitals are
    // left out, so the monitor calls below bring their own).
    auto f = Post("/api/v1/patients/" + id + "/facts",
                  R"({"weight":{"value":70,"unit":"kg","method":"measured"},"height":{"value":168,"unit":"cm"},
                      "pregnancy":{"status":"not_pregnant"}})");
    EXPECT_TRUE(f);
    EXPECT_EQ(f->status, 201) << f->body;
    return id;
  }
  // One session a day (day 10-28 of November), so the cumulative daily limit
  // does not mix the cases.
  static std::string Session(double dose_mg, const std::string& override_reason = "", int day = 20) {
    // The pump rate that delivers the dose in 40 min at 1 mg/mL (a recorded
    // session is checked for dose, rate and duration agreeing).
    Json j = Json::parse(R"({"protocol_id":"iv-0.5-40min","dosing_weight_kg":70,"concentration_mg_per_ml":1})");
    j["rate_ml_per_h"] = dose_mg * 1.5;
    j["started_at"] = "2026-11-" + std::to_string(day) + "T09:00:00Z";
    j["stopped_at"] = "2026-11-" + std::to_string(day) + "T09:40:00Z";
    j["planned_dose_mg"] = dose_mg;
    j["given_dose_mg"] = dose_mg;
    if (!override_reason.empty()) j["override_reason"] = override_reason;
    return j.dump();
  }
  static void ExpectFieldError(const httplib::Result& r, int status, const std::string& field) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    const Json j = Json::parse(r->body);
    EXPECT_EQ(j["error"].value("field", ""), field) << r->body;
    EXPECT_FALSE(j["error"]["request_id"].get<std::string>().empty());
  }
  TestServer srv_;
};

TEST_F(Api, HealthzReportsTheBackend) {
  auto c = srv_.Client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Json::parse(r->body)["backend"], "sqlite");
}

TEST_F(Api, MetricsCountRequestsByRouteTemplate) {
  (void)Get("/api/v1/me");
  auto c = srv_.Client();
  auto anonymous = c.Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);  // /metrics needs an admin on the main listener
  auto r = c.Get("/metrics", srv_.Headers(srv_.Token("a-admin")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(R"(kira_http_requests_total{route="/api/v1/me",method="GET",code="200"} 1)"), std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("kira_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(Api, MeAndGuideline) {
  auto me = Get("/api/v1/me", "a-nurse");
  ASSERT_TRUE(me);
  EXPECT_EQ(Json::parse(me->body)["user"]["clinic_id"], "clinic-a");
  auto g = Get("/api/v1/guideline");
  ASSERT_TRUE(g);
  const Json j = Json::parse(g->body);
  EXPECT_FALSE(j["protocols"].empty());
  EXPECT_FALSE(j["conditions"].empty());
}

TEST_F(Api, AdminAddsAUserWhoCanLogIn) {
  auto r = Post("/api/v1/users",
                R"({"id":"rn-2","display_name":"RN Two","role":"nurse","login":"rn2","password":"a fine long password"})",
                "a-admin");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  auto c = srv_.Client();
  auto login = c.Post("/api/v1/login", R"({"login":"rn2","password":"a fine long password"})", "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200);
  auto dup = Post("/api/v1/users",
                  R"({"id":"rn-2","display_name":"RN Two","role":"nurse","login":"rn2b","password":"a fine long password"})",
                  "a-admin");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
}

TEST_F(Api, PatientCreateGetListSearch) {
  const std::string id = NewPatient();
  auto g = Get("/api/v1/patients/" + id);
  ASSERT_TRUE(g);
  ASSERT_EQ(g->status, 200);
  EXPECT_EQ(Json::parse(g->body)["identity"]["mrn"], "M-1");
  auto l = Get("/api/v1/patients?q=" + id.substr(0, 8));
  ASSERT_TRUE(l);
  EXPECT_EQ(Json::parse(l->body)["patients"].size(), 1u);
  auto none = Get("/api/v1/patients?q=zzzz-nothing");
  ASSERT_TRUE(none);
  EXPECT_TRUE(Json::parse(none->body)["patients"].empty());
  auto dup = Post("/api/v1/patients", R"({"id":")" + id + R"(","sex":"female","birth_year":1984,"indication":"trd"})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  auto bad_limit = Get("/api/v1/patients?limit=0");
  ExpectFieldError(bad_limit, 400, "limit");
}

TEST_F(Api, ScreenReturnsTheDecisionRecordWithCitations) {
  const std::string id = NewPatient();
  auto r = Post("/api/v1/patients/" + id + "/screen", TestServer::PatientDoc());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json j = Json::parse(r->body);
  EXPECT_EQ(j["outcome"], "eligible");
  EXPECT_TRUE(j.contains("rescue_plan"));
  EXPECT_EQ(j["guideline"]["id"], srv_.library().id);
}

TEST_F(Api, DoseCheckGivesPumpSettingsAndLimitStatus) {
  const std::string id = NewPatient();
  Json body{{"patient", Json::parse(TestServer::PatientDoc())}, {"protocol_id", "iv-0.5-40min"}};
  auto r = Post("/api/v1/patients/" + id + "/dose-check", body.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json j = Json::parse(r->body);
  EXPECT_EQ(j["outcome"], "ok");
  EXPECT_NEAR(j["dose"]["dose_mg"].get<double>(), 35.0, 1e-9);
  EXPECT_NEAR(j["dose"]["pump"]["rate_ml_per_h"].get<double>(), 52.5, 1e-9);

  body["dose_mg"] = 56;  // 0.8 mg/kg: above the soft limit
  auto soft = Post("/api/v1/patients/" + id + "/dose-check", body.dump());
  EXPECT_EQ(Json::parse(soft->body)["outcome"], "soft_limit");
  body["override_reason"] = "partial responder at 0.5 mg/kg";
  auto over = Post("/api/v1/patients/" + id + "/dose-check", body.dump());
  EXPECT_EQ(Json::parse(over->body)["outcome"], "ok_with_override");
  // A nurse may check doses but not override.
  auto nurse = Post("/api/v1/patients/" + id + "/dose-check", body.dump(), "a-nurse");
  ExpectFieldError(nurse, 403, "override_reason");
}

TEST_F(Api, RecordSessionGatedByTheAdvisor) {
  const std::string id = NewPatient();
  auto ok = Post("/api/v1/patients/" + id + "/sessions", Session(35));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_TRUE(Json::parse(ok->body)["stored"].get<bool>());

  auto soft = Post("/api/v1/patients/" + id + "/sessions", Session(56, "", 21));
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->status, 200);
  EXPECT_FALSE(Json::parse(soft->body)["stored"].get<bool>());

  auto over = Post("/api/v1/patients/" + id + "/sessions", Session(56, "partial responder", 22));
  ASSERT_TRUE(over);
  ASSERT_EQ(over->status, 201) << over->body;
  const Json oj = Json::parse(over->body);
  EXPECT_EQ(oj["decision"]["override"]["reason"], "partial responder");
  auto detail = Get("/api/v1/sessions/" + oj["session"]["id"].get<std::string>());
  ASSERT_TRUE(detail);
  EXPECT_EQ(Json::parse(detail->body)["overrides"].size(), 1u);

  auto hard = Post("/api/v1/patients/" + id + "/sessions", Session(500, "no", 23));
  ASSERT_TRUE(hard);
  EXPECT_FALSE(Json::parse(hard->body)["stored"].get<bool>());
  EXPECT_EQ(Json::parse(hard->body)["decision"]["outcome"], "hard_stop");

  auto list = Get("/api/v1/patients/" + id + "/sessions");
  ASSERT_TRUE(list);
  EXPECT_EQ(Json::parse(list->body)["sessions"].size(), 2u);
}

// Recording is route-aware, and the Advisor decides what each route needs:
// an esketamine nasal-spray session is whole devices of 28 mg with no pump
// (SPRAVATO label); an infusion needs the concentration its pump rate ran at.
TEST_F(Api, NasalSpraySessionIsRecordedAsDevicesWithoutAPump) {
  const std::string id = NewPatient();
  const std::string path = "/api/v1/patients/" + id + "/sessions";
  auto nasal = [](int day, double mg, const std::string& extra) {
    return R"({"protocol_id":"in-esketamine-trd","state":"running","started_at":"2026-11-)" + std::to_string(day) +
           R"(T09:00:00Z","planned_dose_mg":)" + std::to_string(mg) + R"(,"given_dose_mg":)" + std::to_string(mg) +
           extra + "}";
  };
  auto ok = Post(path, nasal(10, 56, R"(,"devices":2)"));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 201) << ok->body;
  const Json oj = Json::parse(ok->body);
  EXPECT_TRUE(oj["stored"].get<bool>());
  EXPECT_TRUE(oj["session"]["concentration_mg_per_ml"].is_null()) << ok->body;
  EXPECT_TRUE(oj["session"]["rate_ml_per_h"].is_null()) << ok->body;
  const std::string sid = oj["session"]["id"];
  auto rems = Get("/api/v1/sessions/" + sid + "/rems");
  ASSERT_TRUE(rems);
  EXPECT_EQ(rems->status, 200) << rems->body;

  auto disagree = Post(path, nasal(13, 84, R"(,"devices":2)"));
  ASSERT_TRUE(disagree);
  EXPECT_EQ(disagree->status, 200) << disagree->body;
  EXPECT_FALSE(Json::parse(disagree->body)["stored"].get<bool>());
  EXPECT_NE(disagree->body.find("record.inconsistent"), std::string::npos) << disagree->body;

  auto pumped = Post(path, nasal(16, 56, R"(,"concentration_mg_per_ml":1,"rate_ml_per_h":84)"));
  ASSERT_TRUE(pumped);
  EXPECT_FALSE(Json::parse(pumped->body)["stored"].get<bool>());
  EXPECT_NE(pumped->body.find("record.not_infused"), std::string::npos) << pumped->body;

  ExpectFieldError(Post(path, nasal(19, 56, R"(,"devices":1.5)")), 400, "devices");

  Json iv = Json::parse(Session(35, "", 25));
  iv.erase("concentration_mg_per_ml");
  auto no_conc = Post(path, iv.dump());
  ASSERT_TRUE(no_conc);
  EXPECT_FALSE(Json::parse(no_conc->body)["stored"].get<bool>());
  EXPECT_NE(no_conc->body.find("record.concentration_missing"), std::string::npos) << no_conc->body;

  auto list = Get(path);
  ASSERT_TRUE(list);
  EXPECT_EQ(Json::parse(list->body)["sessions"].size(), 1u);
}

TEST_F(Api, VitalsEventsAndAssessments) {
  const std::string id = NewPatient();
  auto s = Post("/api/v1/patients/" + id + "/sessions", Session(35));
  const std::string sid = Json::parse(s->body)["session"]["id"];
  auto v = Post("/api/v1/sessions/" + sid + "/vitals", R"({"at":"2026-11-20T09:10:00Z","kind":"sbp","value":141})", "a-nurse");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 201) << v->body;
  auto e = Post("/api/v1/sessions/" + sid + "/adverse-events",
                R"({"at":"2026-11-20T09:20:00Z","type":"agitation","severity":"moderate","rescue_given":"midazolam 1 mg IV"})",
                "a-nurse");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 201) << e->body;
  auto d = Get("/api/v1/sessions/" + sid);
  const Json dj = Json::parse(d->body);
  EXPECT_EQ(dj["vitals"].size(), 1u);
  EXPECT_EQ(dj["adverse_events"][0]["rescue_given"], "midazolam 1 mg IV");

  for (const char* items : {"[3,3,3,3,2,2,2,1,0]", "[1,1,1,1,1,1,1,1,0]"}) {
    auto a = Post("/api/v1/patients/" + id + "/assessments",
                  std::string(R"({"at":"2026-11-2)") + (items[1] == '3' ? "0" : "8") +
                      R"(T09:00:00Z","instrument":"phq9","item_scores":)" + items + "}");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 201) << a->body;
  }
  auto l = Get("/api/v1/patients/" + id + "/assessments");
  const Json lj = Json::parse(l->body);
  EXPECT_EQ(lj["assessments"].size(), 2u);
  EXPECT_EQ(lj["reference"]["baseline"], 19);
  EXPECT_NEAR(lj["reference"]["response_at_or_below"].get<double>(), 9.5, 1e-9);
  EXPECT_EQ(lj["reference"]["remission_below"], 5);

  auto bad = Post("/api/v1/patients/" + id + "/assessments",
                  R"({"at":"2026-11-20T09:00:00Z","instrument":"phq9","item_scores":[4,0,0,0,0,0,0,0,0]})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
}

TEST_F(Api, BadInputIsA4xxNamingTheField) {
  const std::string id = NewPatient();
  ExpectFieldError(Post("/api/v1/patients", "{\"sex\": "), 400, "body");
  ExpectFieldError(Post("/api/v1/patients", R"({"sex":"female","birth_year":"1984","indication":"trd"})"), 400,
                   "birth_year");
  ExpectFieldError(Post("/api/v1/patients", R"({"sex":"female","birth_year":1984,"indication":"trd","nmae":"x"})"),
                   400, "nmae");
  ExpectFieldError(Post("/api/v1/patients", R"({"birth_year":1984,"indication":"trd"})"), 400, "sex");
  ExpectFieldError(Post("/api/v1/patients", R"([1,2,3])"), 400, "");  // the whole body: no field
  ExpectFieldError(Post("/api/v1/patients/" + id + "/sessions", R"({"protocol_id":"iv-0.5-40min"})"), 400,
                   "planned_dose_mg");
  Json doc = Json::parse(TestServer::PatientDoc());
  doc["weight"]["value"] = -70;
  ExpectFieldError(Post("/api/v1/patients/" + id + "/screen", doc.dump()), 400, "weight.value");
  ExpectFieldError(Post("/api/v1/patients/" + id + "/dose-check", Json{{"patient", doc}, {"protocol_id", "x"}}.dump()),
                   400, "patient.weight.value");
  ExpectFieldError(Post("/api/v1/sessions/nope/vitals", R"({"at":"yesterday","kind":"sbp","value":120})"), 400, "at");
  auto wrong_type = srv_.Client().Post("/api/v1/patients", srv_.Headers(srv_.Token("a-clinician")), "sex=female",
                                       "application/x-www-form-urlencoded");
  ExpectFieldError(wrong_type, 400, "Content-Type");
}

TEST_F(Api, PlanDerivesHistoryFromTheRegistry) {
  const std::string id = NewPatient();
  ASSERT_EQ(Post("/api/v1/patients/" + id + "/sessions", Session(35))->status, 201);
  auto r = Post("/api/v1/patients/" + id + "/plan", R"({"start":"2026-11-23"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json j = Json::parse(r->body);
  EXPECT_FALSE(j["next_step"].get<std::string>().empty());
  EXPECT_FALSE(j["schedule"].empty());
  EXPECT_TRUE(j["decision"].contains("findings"));
  ExpectFieldError(Post("/api/v1/patients/" + id + "/plan", R"({"start":"23/11/2026"})"), 400, "start");
  ExpectFieldError(Post("/api/v1/patients/" + id + "/plan", R"({"start":"2026-11-23","override_reason":"x"})", "a-nurse"),
                   403, "override_reason");
}

TEST_F(Api, MonitorAndDischargeReadTheStoredSession) {
  const std::string id = NewPatient();
  auto s = Post("/api/v1/patients/" + id + "/sessions", Session(35));
  const std::string sid = Json::parse(s->body)["session"]["id"];
  for (const char* v : {R"({"at":"2026-11-20T09:10:00Z","kind":"sbp","value":190})",
                        R"({"at":"2026-11-20T09:10:00Z","kind":"dbp","value":100})",
                        R"({"at":"2026-11-20T09:10:00Z","kind":"hr","value":80})"}) {
    ASSERT_EQ(Post("/api/v1/sessions/" + sid + "/vitals", v, "a-nurse")->status, 201);
  }
  ASSERT_EQ(Post("/api/v1/sessions/" + sid + "/adverse-events",
                 R"({"at":"2026-11-20T09:20:00Z","type":"agitation","severity":"moderate","rescue_given":"midazolam 1 mg IV"})",
                 "a-nurse")->status, 201);
  const std::string check = R"({"precheck":{"resuscitation_staff_present":true,"resuscitation_equipment_present":true,
      "pulse_oximeter_present":true,"rescue_plan":"midazolam"},
      "baseline":{"sbp_mmhg":124,"dbp_mmhg":78,"hr_bpm":72,"spo2_pct":98,"rr_per_min":14}})";
  auto m = Post("/api/v1/sessions/" + sid + "/monitor", check, "a-nurse");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200) << m->body;
  const Json mj = Json::parse(m->body);
  EXPECT_TRUE(mj.contains("gate"));
  EXPECT_FALSE(mj["observations"].empty());
  EXPECT_NE(mj["decision"]["outcome"], "continue");  // SBP 190 is above any start/continue threshold
  EXPECT_FALSE(mj["rescues"].empty());

  Json d = Json::parse(check);
  d["discharge"] = Json::parse(R"({"t_min":150,"by":"rn","attestations":{"oriented":true}})");
  auto dis = Post("/api/v1/sessions/" + sid + "/discharge", d.dump(), "a-nurse");
  ASSERT_TRUE(dis);
  ASSERT_EQ(dis->status, 200) << dis->body;
  EXPECT_FALSE(Json::parse(dis->body)["findings"].empty());

  ExpectFieldError(Post("/api/v1/sessions/" + sid + "/monitor", R"({"baseline":{}})"), 400, "precheck");
  auto other = Post("/api/v1/sessions/no-such/monitor", check);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(Api, MissingRecordsAre404) {
  auto p = Get("/api/v1/patients/no-such-patient");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 404);
  auto v = Post("/api/v1/sessions/no-such-session/vitals", R"({"at":"2026-11-20T09:10:00Z","kind":"hr","value":80})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 404);
}

TEST_F(Api, PatientReadsAreAuditedInTheHashChain) {
  const std::string id = NewPatient();
  auto g = Get("/api/v1/patients/" + id, "a-nurse");
  ASSERT_TRUE(g);
  ASSERT_EQ(g->status, 200);
  ASSERT_TRUE(srv_.server().FlushAccessAudit().ok());
  bool found = false;
  {
    // SQLite transactions are exclusive: end this one before VerifyAudit.
    auto tx = srv_.store().Begin();
    ASSERT_TRUE(tx.ok());
    auto rows = (*tx)->ListAudit("clinic-a", 0, 10000);
    ASSERT_TRUE(rows.ok());
    for (const auto& row : *rows) {
      found = found || (row.action == "read" && row.entity_id == id && row.actor == "a-nurse");
    }
  }
  EXPECT_TRUE(found);
  auto verified = registry::VerifyAudit(srv_.store(), "clinic-a");
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_F(Api, WebUiIsServedWithItsAssets) {
  auto c = srv_.Client();
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("/assets/app.js"), std::string::npos);
  for (const char* a : {"/assets/app.js", "/assets/app.css", "/assets/uPlot.esm.js", "/assets/uPlot.min.css"}) {
    auto r = c.Get(a);
    ASSERT_TRUE(r) << a;
    EXPECT_EQ(r->status, 200) << a;
  }
  auto js = c.Get("/assets/app.js");
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

}  // namespace
}  // namespace kira::testing
