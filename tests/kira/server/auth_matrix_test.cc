// The authorization matrix: every role x every route x (own clinic, other
// clinic) -> the expected allow or deny, on loopback against a temporary
// SQLite registry. The expectations are written out here independently of
// the route table (a change to who may do what must change this file too).
// The full matrix is printed and written to auth_matrix.txt.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <set>

#include "kira/server/server.h"
#include "schema_check.h"
#include "server_test_util.h"

namespace kira::testing {
namespace {

struct Expect {
  std::string method;
  std::string path;  // template
  std::set<std::string> allowed;  // roles; empty: public
  int allowed_status = 0;         // 0: any 2xx; else this exact status (the body is refused on its merits)
};

const std::set<std::string> kAll = {"admin", "clinician", "nurse", "researcher", "pharmacist", "auditor"};

// Who may do what (issue 5): admin manages users and enrolment and reads
// records; clinician plans, doses, records sessions and may override;
// nurse records vitals, events and scores, may check doses but not override
// and may not record a session; researcher sees de-identified aggregates only;
// auditor reads the audit log; every role manages its own log-in.
const std::vector<Expect>& Expectations() {
  static const std::vector<Expect> kExpect = {
      {"GET", "/healthz", {}},
      {"GET", "/metrics", {"admin"}},
      {"GET", "/api/openapi.json", {}},
      {"POST", "/api/v1/login", {}},
      {"POST", "/api/v1/logout", kAll},
      {"GET", "/api/v1/me", kAll},
      {"POST", "/api/v1/me/password", kAll, 400},       // the body's current password is wrong
      {"POST", "/api/v1/me/totp", kAll},
      {"POST", "/api/v1/me/totp/confirm", kAll, 400},   // the body's code does not match
      {"POST", "/api/v1/me/sessions/end", kAll},
      {"GET", "/api/v1/guideline", kAll},
      {"GET", "/api/v1/users", {"admin"}},
      {"POST", "/api/v1/users", {"admin"}},
      {"POST", "/api/v1/users/{id}/disable", {"admin"}},
      {"POST", "/api/v1/users/{id}/enable", {"admin"}},
      {"POST", "/api/v1/users/{id}/reset-password", {"admin"}},
      {"POST", "/api/v1/users/{id}/end-sessions", {"admin"}},
      {"POST", "/api/v1/users/{id}/role", {"admin"}},
      {"GET", "/api/v1/audit", {"admin", "auditor"}},
      {"GET", "/api/v1/audit/verify", {"admin", "auditor"}},
      {"GET", "/api/v1/ledger", {"admin", "pharmacist"}},
      {"GET", "/api/v1/patients", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients", {"admin", "clinician"}},
      {"GET", "/api/v1/patients/{id}", {"admin", "clinician", "nurse"}},
      {"GET", "/api/v1/patients/{id}/facts", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/facts", {"clinician", "nurse"}},
      {"GET", "/api/v1/patients/{id}/alerts", {"admin", "clinician", "nurse"}},
      {"GET", "/api/v1/alerts", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/alerts/{id}/escalate", {"clinician", "nurse"}},
      {"POST", "/api/v1/alerts/{id}/ack", {"clinician"}},
      {"POST", "/api/v1/patients/{id}/screen", {"clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/dose-check", {"clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/plan", {"clinician", "nurse"}},
      {"GET", "/api/v1/patients/{id}/sessions", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/sessions", {"clinician"}},
      {"GET", "/api/v1/patients/{id}/assessments", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/assessments", {"clinician", "nurse"}},
      {"GET", "/api/v1/sessions/{id}", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/finish", {"clinician"}},
      {"POST", "/api/v1/sessions/{id}/vitals", {"clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/adverse-events", {"clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/monitor", {"clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/discharge", {"clinician", "nurse"}},
      {"GET", "/api/v1/registry/summary", kAll},
      // The clinic day (workflow_routes.cc).
      {"GET", "/api/v1/today", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/appointments", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/appointments/{id}/reschedule", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/appointments/{id}/state", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/discharge-record", {"clinician", "nurse"}},  // 200, not ready: not recorded
      {"GET", "/api/v1/sessions/{id}/observation", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/vital-set", {"clinician", "nurse"}},
      {"GET", "/api/v1/sessions/{id}/vital-amendments", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/vitals/{vital}/void", {"clinician", "nurse"}},
      {"POST", "/api/v1/sessions/{id}/vitals/{vital}/correct", {"clinician", "nurse"}},
      {"GET", "/api/v1/search/patients", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/edit", {"admin", "clinician"}},
      {"GET", "/api/v1/patients/{id}/history", {"admin", "clinician", "nurse"}},
      {"GET", "/api/v1/patients/{id}/consents", {"admin", "clinician", "nurse"}},
      {"POST", "/api/v1/patients/{id}/consents", {"clinician", "nurse"}},
      {"GET", "/api/v1/sessions/{id}/rems", {"admin", "clinician", "nurse"}, 422},    // an IV session has no REMS form
      {"POST", "/api/v1/sessions/{id}/rems", {"clinician", "nurse"}, 422},
      {"GET", "/api/v1/rems/due", {"admin", "clinician", "nurse"}},
      {"GET", "/api/v1/rems/export.csv", {"admin", "clinician", "nurse"}},
      {"GET", "/api/v1/ledger/entries", {"admin", "clinician", "nurse", "pharmacist"}},
      {"POST", "/api/v1/ledger", {"clinician", "nurse", "pharmacist"}},
      {"GET", "/api/v1/directory", {}},
      {"GET", "/api/v1/directory/mine", {"admin"}},
      {"POST", "/api/v1/directory/mine", {"admin"}},
      // The research dashboard (research_routes.cc): de-identified, researcher and admin.
      {"GET", "/api/v1/research/report", {"admin", "researcher"}},
      {"GET", "/api/v1/research/figures/{figure}", {"admin", "researcher"}},
      {"GET", "/api/v1/research/export", {"admin", "researcher"}},
  };
  return kExpect;
}

class AuthMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    // One patient with one session in each clinic, made through the API.
    for (const char* c : {"a", "b"}) {
      auto cli = srv_.Client();
      const auto h = srv_.Headers(srv_.Token(std::string(c) + "-clinician"));
      auto p = cli.Post("/api/v1/patients", h, R"({"sex":"female","birth_year":1984,"indication":"trd"})",
                        "application/json");
      ASSERT_TRUE(p);
      ASSERT_EQ(p->status, 201) << p->body;
      patient_[c] = Json::parse(p->body)["id"];
      auto f = cli.Post("/api/v1/patients/" + patient_[c] + "/facts", h, FactsBody(), "application/json");
      ASSERT_TRUE(f);
      ASSERT_EQ(f->status, 201) << f->body;
      // A second patient with a suicidality alert (PHQ-9 item 9 = 1) to acknowledge.
      auto p2 = cli.Post("/api/v1/patients", h, R"({"sex":"male","birth_year":1970,"indication":"trd"})",
                         "application/json");
      ASSERT_TRUE(p2);
      const std::string p2id = Json::parse(p2->body)["id"];
      auto as = cli.Post("/api/v1/patients/" + p2id + "/assessments", h,
                         R"({"at":"2026-11-21T09:00:00Z","instrument":"phq9","item_scores":[2,2,2,2,2,2,2,2,1]})",
                         "application/json");
      ASSERT_TRUE(as);
      ASSERT_EQ(as->status, 201) << as->body;
      alert_[c] = Json::parse(as->body)["alerts"].at(0)["id"];
      auto s = cli.Post("/api/v1/patients/" + patient_[c] + "/sessions", h, SessionBody(), "application/json");
      ASSERT_TRUE(s);
      ASSERT_EQ(s->status, 201) << s->body;
      session_[c] = Json::parse(s->body)["session"]["id"];
      auto ap = cli.Post("/api/v1/appointments", h,
                         Json{{"patient_id", patient_[c]}, {"protocol_id", "iv-0.5-40min"}, {"chair", "1"},
                              {"scheduled_at", "2026-11-20T09:00:00Z"}}.dump(),
                         "application/json");
      ASSERT_TRUE(ap);
      ASSERT_EQ(ap->status, 201) << ap->body;
      appointment_[c] = Json::parse(ap->body)["id"];
    }
  }
  // A fresh reading in clinic `target`'s session (each void/correct needs its own).
  std::string NewVital(const std::string& target) {
    auto cli = srv_.Client();
    auto r = cli.Post("/api/v1/sessions/" + session_[target] + "/vital-set", srv_.Headers(srv_.Token(target + "-clinician")),
                      R"({"at":"2026-11-20T09:05:00Z","hr":80})", "application/json");
    if (!r || r->status != 201) return "missing";
    return Json::parse(r->body)["vitals"].at(0)["id"];
  }

  // A running session (so that finishing it is allowed once).
  static std::string SessionBody() {
    return R"({"protocol_id":"iv-0.5-40min","dosing_weight_kg":70,"planned_dose_mg":35,"given_dose_mg":35,)"
           R"("concentration_mg_per_ml":1,"rate_ml_per_h":52.5,"started_at":"2026-11-20T09:00:00Z",)"
           R"("state":"running"})";
  }

  static std::string FactsBody() {
    return R"({"weight":{"value":70,"unit":"kg","method":"measured"},"height":{"value":168,"unit":"cm"},
               "pregnancy":{"status":"not_pregnant"},
               "baseline_vitals":{"sbp_mmhg":124,"dbp_mmhg":78,"hr_bpm":72,"spo2_pct":98,"rr_per_min":14}})";
  }
  std::string Body(const std::string& path) {
    static int n = 0;
    ++n;
    if (path == "/api/v1/users") {
      return Json{{"id", "new-user-" + std::to_string(n)}, {"display_name", "New"}, {"role", "nurse"},
                  {"login", "new-user-" + std::to_string(n)}, {"password", "another long password"}}
          .dump();
    }
    if (path == "/api/v1/patients") return R"({"sex":"male","birth_year":1970,"indication":"trd"})";
    if (path.ends_with("/screen")) return TestServer::PatientDoc();
    if (path.ends_with("/dose-check")) {
      return Json{{"patient", Json::parse(TestServer::PatientDoc())}, {"protocol_id", "iv-0.5-40min"}}.dump();
    }
    if (path.ends_with("/sessions")) return SessionBody();
    if (path.ends_with("/facts")) return FactsBody();
    if (path.ends_with("/ack")) return R"({"reason":"seen at the visit; safety plan made"})";
    if (path.ends_with("/escalate")) return R"({"told":"Dr Clinician, on the ward phone"})";
    if (path.ends_with("/assessments")) return R"({"at":"2026-11-21T09:00:00Z","instrument":"phq9","item_scores":[2,2,2,2,2,2,2,2,1]})";
    if (path.ends_with("/vitals")) return R"({"at":"2026-11-20T09:10:00Z","kind":"sbp","value":132})";
    if (path.ends_with("/adverse-events")) return R"({"at":"2026-11-20T09:20:00Z","type":"nausea","severity":"mild","rescue_given":"ondansetron 4 mg IV"})";
    if (path.ends_with("/finish")) {
      return R"({"state":"completed","given_dose_mg":35,"stopped_at":"2026-11-20T09:40:00Z"})";
    }
    if (path.ends_with("/plan")) return R"({"start":"2026-12-01"})";
    if (path.ends_with("/monitor") || path.ends_with("/discharge")) {
      Json j = Json::parse(R"({"precheck":{"resuscitation_staff_present":true,"resuscitation_equipment_present":true,
        "pulse_oximeter_present":true,"rescue_plan":"clonidine"}})");
      if (path.ends_with("/discharge")) {
        j["discharge"] = Json::parse(R"({"t_min":150,"by":"rn","attestations":{"vitals_near_baseline":true,
          "dissociation_resolved":true,"oriented":true,"responsible_adult":true,"no_driving_advised":true,
          "next_visit_booked":true,"readiness_assessed":true}})");
      }
      return j.dump();
    }
    if (path == "/api/v1/login") return Json{{"login", "a-nurse"}, {"password", kPassword}}.dump();
    if (path == "/api/v1/me/password") {
      return Json{{"current_password", "not the password"}, {"new_password", "a brand new passphrase"}}.dump();
    }
    if (path == "/api/v1/me/totp/confirm") return R"({"secret":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP","code":"000000"})";
    if (path.ends_with("/reset-password")) return R"({"new_password":"temporary passphrase 42"})";
    if (path.ends_with("/role")) return R"({"role":"nurse"})";
    if (path == "/api/v1/appointments") {
      return Json{{"patient_id", patient_["a"]}, {"protocol_id", "iv-0.5-40min"}, {"chair", "2"},
                  {"scheduled_at", "2026-11-21T09:00:00Z"}}.dump();
    }
    if (path.ends_with("/reschedule")) return R"({"scheduled_at":"2026-11-22T09:00:00Z","reason":"patient asked"})";
    if (path.ends_with("/state")) return R"({"state":"checked_in"})";
    if (path.ends_with("/discharge-record")) return Body("/discharge");
    if (path.ends_with("/vital-set")) return R"({"at":"2026-11-20T09:15:00Z","sbp":128,"dbp":80})";
    if (path.ends_with("/void")) return R"({"reason":"wrong patient"})";
    if (path.ends_with("/correct")) return R"({"value":82,"reason":"typo"})";
    if (path.ends_with("/edit")) return R"({"sex":"female","birth_year":1984,"indication":"trd","reason":"checked"})";
    if (path.ends_with("/consents")) {
      return R"({"protocol_id":"iv-0.5-40min","form_version":"2026-1","signed_on":"2026-11-20","witness":"N. Nurse"})";
    }
    if (path.ends_with("/rems")) return R"({"lot":"L1"})";
    if (path == "/api/v1/ledger") return R"({"kind":"received","lot":"L1","amount_mg":500,"concentration_mg_per_ml":10,"expiry":"2027-06-30"})";
    if (path == "/api/v1/directory/mine") {
      return R"({"name":"A clinic","region":"Bavaria","contact":"+49 89 555","routes":["iv"],"published":true})";
    }
    return "";
  }

  // The concrete path for `templ` aimed at clinic `target`'s records.
  std::string Concrete(const std::string& templ, const std::string& target) {
    std::string p = templ;
    const auto pos = p.find("{id}");
    if (pos != std::string::npos) {
      const std::string id = templ.starts_with("/api/v1/sessions")       ? session_[target]
                             : templ.starts_with("/api/v1/users")        ? target + "-spare"
                             : templ.starts_with("/api/v1/alerts")       ? alert_[target]
                             : templ.starts_with("/api/v1/appointments") ? appointment_[target]
                                                                         : patient_[target];
      p.replace(pos, 4, id);
    }
    if (const auto v = p.find("{vital}"); v != std::string::npos) p.replace(v, 7, NewVital(target));
    if (const auto f = p.find("{figure}"); f != std::string::npos) p.replace(f, 8, "trials-response-24h");
    if (p.ends_with("/discharge-record")) p += "?appointment=" + appointment_[target];
    return p;
  }

  TestServer srv_;
  std::map<std::string, std::string> patient_;
  std::map<std::string, std::string> session_;
  std::map<std::string, std::string> alert_;
  std::map<std::string, std::string> appointment_;
};

TEST_F(AuthMatrix, EveryRoleEveryRouteOwnAndOtherClinic) {
  // Every route of the real table has an expectation, and vice versa.
  std::set<std::string> table, expected;
  for (const auto& r : server::Server::Routes()) table.insert(r.method + " " + r.path);
  for (const auto& e : Expectations()) expected.insert(e.method + " " + e.path);
  ASSERT_EQ(table, expected);

  // Every 2xx JSON reply is also held to the schema the OpenAPI document gives it.
  Json doc;
  {
    auto c = srv_.Client();
    auto d = c.Get("/api/openapi.json");
    ASSERT_TRUE(d);
    doc = Json::parse(d->body);
  }
  std::set<std::string> schema_checked;
  std::ostringstream report;
  report << "role        target  method path                                   expected  got\n";
  int checked = 0;
  for (const char* role : kRoles) {
    for (const auto& e : Expectations()) {
      for (const std::string target : {"a", "b"}) {
        const bool has_id = e.path.find("{id}") != std::string::npos;
        if (!has_id && target == "b") continue;  // nothing to aim at another clinic
        const std::string login = std::string("a-") + role;
        // Logging out ends the session, so it gets a session of its own.
        const bool ends_sessions = e.path == "/api/v1/logout" || e.path == "/api/v1/me/sessions/end";
        const std::string token = ends_sessions ? [&] {
          auto c = srv_.Client();
          auto r = c.Post("/api/v1/login", Json{{"login", login}, {"password", kPassword}}.dump(), "application/json");
          return r ? Json::parse(r->body).value("token", "") : std::string();
        }() : srv_.Token(login);
        auto cli = srv_.Client();
        const std::string path = Concrete(e.path, target);
        httplib::Result res = e.method == "GET" ? cli.Get(path.c_str(), srv_.Headers(token))
                                                : cli.Post(path.c_str(), srv_.Headers(token), Body(e.path), "application/json");
        ASSERT_TRUE(res) << path;
        if (e.path == "/api/v1/me/sessions/end") srv_.Forget(login);
        const int got = res->status;
        std::string want;
        bool ok = false;
        if (e.allowed.empty()) {
          want = "2xx(public)";
          ok = got >= 200 && got < 300;
        } else if (!e.allowed.count(role)) {
          want = "403";
          ok = got == 403;
        } else if (target == "b") {
          want = "404";
          ok = got == 404;
        } else if (e.allowed_status != 0) {
          want = std::to_string(e.allowed_status);
          ok = got == e.allowed_status;
        } else {
          want = "2xx";
          ok = got >= 200 && got < 300;
        }
        if (ok && got >= 200 && got < 300 && res->get_header_value("Content-Type").rfind("application/json", 0) == 0 &&
            e.path != "/api/openapi.json") {
          const Json schema = ReplySchema(doc, e.method, e.path, got);
          const Json body = Json::parse(res->body, nullptr, false);
          EXPECT_FALSE(schema.is_null()) << e.method << " " << e.path << ": reply " << got << " is not documented";
          if (!schema.is_null()) {
            const std::string mismatch = SchemaMismatch(doc, schema, body);
            EXPECT_EQ(mismatch, "") << role << " " << e.method << " " << e.path << " (" << got << "): " << res->body;
            if (!mismatch.empty()) {
              // For fixing the document: every mismatching reply, one JSON object a line.
              std::ofstream("schema_mismatches.jsonl", std::ios::app)
                  << Json{{"method", e.method}, {"path", e.path}, {"status", got}, {"mismatch", mismatch}, {"body", body}}.dump()
                  << "\n";
            }
            schema_checked.insert(e.method + " " + e.path);
          }
        }
        ++checked;
        char line[256];
        std::snprintf(line, sizeof line, "%-11s %-7s %-6s %-40s %-9s %d%s\n", role,
                      target == "a" ? "own" : "other", e.method.c_str(), e.path.c_str(), want.c_str(), got,
                      ok ? "" : "   <-- MISMATCH");
        report << line;
        EXPECT_TRUE(ok) << role << " " << e.method << " " << path << ": want " << want << ", got " << got << " "
                        << res->body;
      }
    }
  }
  report << checked << " cells\n";
  // Every route whose allowed call succeeds had its JSON reply checked (all but the
  // document itself, /metrics, the CSV exports and the SVG figures).
  std::set<std::string> should_check;
  for (const auto& e : Expectations()) {
    if (e.allowed_status == 0 && e.path != "/api/openapi.json" && e.path != "/metrics" &&
        e.path != "/api/v1/rems/export.csv" && e.path != "/api/v1/research/export" &&
        e.path != "/api/v1/research/figures/{figure}") {
      should_check.insert(e.method + " " + e.path);
    }
  }
  EXPECT_EQ(schema_checked, should_check);
  std::cout << report.str();
  std::ofstream("auth_matrix.txt") << report.str();
}

TEST_F(AuthMatrix, ListsShowOnlyTheCallersClinic) {
  auto cli = srv_.Client();
  auto res = cli.Get("/api/v1/patients", srv_.Headers(srv_.Token("a-nurse")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json j = Json::parse(res->body);
  for (const auto& p : j["patients"]) EXPECT_NE(p["id"], patient_["b"]);
  EXPECT_EQ(j["patients"].size(), 2u);  // the clinic's own two (one with an alert)
}

TEST_F(AuthMatrix, ResearcherSeesAggregatesWithoutIdentifiers) {
  auto cli = srv_.Client();
  auto res = cli.Get("/api/v1/registry/summary", srv_.Headers(srv_.Token("a-researcher")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->body.find(patient_["a"]), std::string::npos);
  // One patient is below the smallest count a researcher may see (5).
  const Json j = Json::parse(res->body);
  EXPECT_TRUE(j["patients"].is_null()) << res->body;
  EXPECT_EQ(j["suppressed_below"], 5);
}

TEST_F(AuthMatrix, ResearcherSeesAdverseEventsOnlyByCodedType) {
  auto cli = srv_.Client();
  const auto h = srv_.Headers(srv_.Token("a-nurse"));
  // Free text typed as the event type (a name and an MRN), six times so the
  // count is not suppressed.
  for (int i = 0; i < 6; ++i) {
    auto r = cli.Post("/api/v1/sessions/" + session_["a"] + "/adverse-events", h,
                      R"({"at":"2026-11-20T09:20:00Z","type":"Jane Roe MRN 4471","severity":"mild"})",
                      "application/json");
    ASSERT_TRUE(r);
  }
  auto res = cli.Get("/api/v1/registry/summary", srv_.Headers(srv_.Token("a-researcher")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->body.find("Jane Roe"), std::string::npos) << res->body;
  EXPECT_EQ(res->body.find("4471"), std::string::npos) << res->body;
  // A clinician of the clinic still sees the clinic's own words.
  auto own = cli.Get("/api/v1/registry/summary", srv_.Headers(srv_.Token("a-clinician")));
  ASSERT_TRUE(own);
  EXPECT_NE(own->body.find("Jane Roe"), std::string::npos);
}

}  // namespace
}  // namespace kira::testing
