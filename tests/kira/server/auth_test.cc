// Authentication and the protections around it: log-in, cookies and CSRF,
// rate limiting, security headers, body size limit.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include <cstdlib>
#include <filesystem>

#include "kira/registry/audit.h"
#include "kira/server/auth.h"
#include "kira/storage/store.h"
#include "server_test_util.h"

namespace kira::testing {
namespace {

TEST(Password, HashIsArgon2idAndVerifies) {
  auto h = server::HashPassword("a long enough password", {1, 1024, 1});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
  EXPECT_TRUE(server::VerifyPassword(*h, "a long enough password"));
  EXPECT_FALSE(server::VerifyPassword(*h, "a long enough passwore"));
}

TEST(Password, ShortPasswordIsRefusedNamingTheField) {
  auto h = server::HashPassword("short");
  EXPECT_EQ(h.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::string(h.status().message()).starts_with("password:"));
}

TEST(Login, WrongPasswordAndUnknownLoginAreTheSame401) {
  TestServer srv;
  auto cli = srv.Client();
  auto wrong = cli.Post("/api/v1/login", R"({"login":"a-nurse","password":"not the password"})", "application/json");
  auto unknown = cli.Post("/api/v1/login", R"({"login":"nobody","password":"not the password"})", "application/json");
  ASSERT_TRUE(wrong && unknown);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(Json::parse(wrong->body)["error"]["message"], Json::parse(unknown->body)["error"]["message"]);
}

TEST(Login, SetsAnHttpOnlySameSiteStrictCookie) {
  TestServer srv;
  auto cli = srv.Client();
  auto res = cli.Post("/api/v1/login", Json{{"login", "a-nurse"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("kira_session="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP on loopback
  EXPECT_EQ(Json::parse(res->body)["user"]["role"], "nurse");
  EXPECT_EQ(res->body.find("argon2"), std::string::npos);
}

TEST(Login, FailuresBackOffExponentiallyButNeverLockOut) {
  TestServer srv;
  auto cli = srv.Client();
  // Three free failures for (login, address), a fourth is still answered,
  // then the next attempt must wait.
  for (int i = 0; i < 4; ++i) {
    auto r = cli.Post("/api/v1/login", R"({"login":"a-admin","password":"guess guess guess"})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << i;
  }
  // Even the right password is refused while the back-off lasts.
  auto early = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 429);
  const std::string retry = early->get_header_value("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_LE(std::stoi(retry), 2);
  // No lock-out: once the wait is over the right password works.
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retry)));
  auto ok = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST(Login, FailuresAndSuccessesAreAudited) {
  TestServer srv;
  auto cli = srv.Client();
  (void)cli.Post("/api/v1/login", R"({"login":"a-nurse","password":"guess guess guess"})", "application/json");
  const std::string token = srv.Token("a-nurse");
  auto out = cli.Post("/api/v1/logout", srv.Headers(token), "", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  ASSERT_TRUE(srv.server().FlushAccessAudit().ok());
  auto tx = srv.store().Begin();
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ListAudit("clinic-a", 0, 10000);
  ASSERT_TRUE(rows.ok());
  std::set<std::string> actions;
  for (const auto& e : *rows) {
    if (e.entity_id == "a-nurse") actions.insert(e.action);
  }
  EXPECT_TRUE(actions.count("login_failed"));
  EXPECT_TRUE(actions.count("login"));
  EXPECT_TRUE(actions.count("logout"));
}

TEST(Csrf, CookieSessionNeedsTheTokenHeaderOnPost) {
  TestServer srv;
  auto cli = srv.Client();
  auto login = cli.Post("/api/v1/login", Json{{"login", "a-clinician"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(login);
  const Json j = Json::parse(login->body);
  const std::string cookie = "kira_session=" + j["token"].get<std::string>();
  const std::string body = R"({"sex":"female","birth_year":1990,"indication":"trd"})";

  auto no_token = cli.Post("/api/v1/patients", {{"Cookie", cookie}}, body, "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  EXPECT_NE(no_token->body.find("csrf"), std::string::npos);

  auto cross = cli.Post("/api/v1/patients",
                        {{"Cookie", cookie}, {"X-CSRF-Token", j["csrf_token"]}, {"Origin", "https://evil.example"}},
                        body, "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);

  auto good = cli.Post("/api/v1/patients", {{"Cookie", cookie}, {"X-CSRF-Token", j["csrf_token"]}}, body,
                       "application/json");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 201) << good->body;

  // A GET needs no CSRF token.
  auto get = cli.Get("/api/v1/me", {{"Cookie", cookie}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
}

TEST(Logout, EndsTheSession) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string token = srv.Token("a-nurse");
  auto out = cli.Post("/api/v1/logout", srv.Headers(token), "", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto me = cli.Get("/api/v1/me", srv.Headers(token));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 401);
}

// GET /api/v1/me and GET /api/v1/patients/{id} are answered on the I/O
// thread once the session is cached in memory (server.h, "Threads"): the
// first request fills the cache on a worker, the next ones take the quick
// path. Log-out must end the session there at once, and the quick path must
// check the role and audit the read like the worker does.
TEST(Logout, EndsACachedSessionOnTheQuickRoutesAtOnce) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string clinician = srv.Token("a-clinician");
  auto made = cli.Post("/api/v1/patients", srv.Headers(clinician),
                       R"({"id":"quick-1","sex":"female","birth_year":1984,"indication":"trd"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string token = srv.Token("a-nurse");
  for (int i = 0; i < 3; ++i) {
    auto me = cli.Get("/api/v1/me", srv.Headers(token));
    ASSERT_TRUE(me);
    EXPECT_EQ(me->status, 200);
    auto p = cli.Get("/api/v1/patients/quick-1", srv.Headers(token));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 200) << p->body;
  }
  ASSERT_TRUE(srv.server().FlushAccessAudit().ok());
  auto tx = srv.store().BeginRead();
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ListAudit("clinic-a", 0, 100000);
  ASSERT_TRUE(rows.ok());
  int reads = 0;
  for (const auto& r : *rows) reads += r.action == "read" && r.entity_id == "quick-1" && r.actor == "a-nurse";
  EXPECT_EQ(reads, 3);
  tx->reset();
  // A researcher may not read patients, cached session or not.
  const std::string researcher = srv.Token("a-researcher");
  for (int i = 0; i < 2; ++i) {
    auto p = cli.Get("/api/v1/patients/quick-1", srv.Headers(researcher));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 403);
  }
  auto out = cli.Post("/api/v1/logout", srv.Headers(token), "", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto me = cli.Get("/api/v1/me", srv.Headers(token));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 401);
  auto p = cli.Get("/api/v1/patients/quick-1", srv.Headers(token));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 401);
}

TEST(Headers, SecurityHeadersOnEveryResponse) {
  TestServer srv;
  auto cli = srv.Client();
  for (const char* path : {"/", "/healthz", "/api/v1/me", "/no/such/route"}) {
    auto res = cli.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos) << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(res->get_header_value("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer") << path;
  }
}

TEST(Limits, OversizedBodyIs413WithAJsonError) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string big(200 * 1024, ' ');
  auto res = cli.Post("/api/v1/login", big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "payload_too_large");
}

TEST(Limits, UnknownRouteIsAJson404) {
  TestServer srv;
  auto cli = srv.Client();
  auto res = cli.Get("/api/v1/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "not_found");
}

TEST(Tls, HttpsCookieIsSecureAndHstsIsSent) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "kira-tls-test";
  std::filesystem::create_directories(dir);
  const std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                          " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command not available to make a test certificate";
  TestServer srv(cert, key);
  httplib::SSLClient cli("127.0.0.1", srv.port());
  cli.enable_server_certificate_verification(false);
  auto res = cli.Post("/api/v1/login", Json{{"login", "a-nurse"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  EXPECT_EQ(res->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kira::testing

namespace kira::testing {
namespace {

// Failed log-ins of unknown logins and 401s without a session go to the
// registry's own chain (docs/server.md "What is audited"), never to a
// clinic's, with a keyed digest instead of the typed login, coalesced.
std::vector<domain::AuditEntry> Chain(TestServer& srv, std::string_view chain) {
  auto tx = srv.store().Begin();
  EXPECT_TRUE(tx.ok());
  auto rows = (*tx)->ListAudit(chain, 0, 1000000);
  EXPECT_TRUE(rows.ok());
  return rows.ok() ? *rows : std::vector<domain::AuditEntry>{};
}

bool Mentions(const domain::AuditEntry& e, std::string_view text) {
  for (const std::string* f : {&e.actor, &e.action, &e.entity, &e.entity_id, &e.before, &e.after}) {
    if (f->find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(RegistryAudit, UnknownLoginAnd401AreInTheRegistryChainOnly) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string typed = "MyPassw0rdTypedAsLogin";
  auto bad = cli.Post("/api/v1/login", Json{{"login", typed}, {"password", "whatever it is"}}.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  auto anon = cli.Get("/api/v1/patients/p-123");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  ASSERT_TRUE(srv.server().FlushAccessAudit().ok());

  const auto reg = Chain(srv, storage::kRegistryAuditChain);
  bool failed = false, refused = false;
  for (const auto& e : reg) {
    EXPECT_FALSE(Mentions(e, typed)) << "the typed login is stored in clear";
    EXPECT_FALSE(Mentions(e, "p-123")) << "the raw path is stored, not the route pattern";
    if (e.action == "login_failed" && e.entity_id == registry::LoginDigest(typed)) failed = true;
    if (e.action == "refused" && e.entity_id == "GET /api/v1/patients/{id}") refused = true;
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(refused);
  for (const char* clinic : {"clinic-a", "clinic-b"}) {
    for (const auto& e : Chain(srv, clinic)) {
      EXPECT_FALSE(Mentions(e, typed));
      EXPECT_NE(e.actor, "anonymous");
    }
  }
  // Through the API: a clinic's admin and auditor see their clinic's chain only.
  for (const char* who : {"a-admin", "b-auditor"}) {
    auto page = cli.Get("/api/v1/audit?limit=1000", srv.Headers(srv.Token(who)));
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200);
    EXPECT_EQ(page->body.find("anonymous"), std::string::npos) << who;
    EXPECT_EQ(page->body.find(registry::LoginDigest(typed)), std::string::npos) << who;
    EXPECT_EQ(page->body.find("*registry"), std::string::npos) << who;
  }
  auto v = registry::VerifyAudit(srv.store(), storage::kRegistryAuditChain);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_GE(v->rows_checked, 2);
}

TEST(RegistryAudit, AFloodOfUnknownLoginsStaysBoundedInRows) {
  TestServer srv;
  auto cli = srv.Client();
  constexpr int kAttempts = 10000;
  for (int i = 0; i < kAttempts; ++i) {
    auto r = cli.Post("/api/v1/login", Json{{"login", "ghost-" + std::to_string(i)}, {"password", "x"}}.dump(),
                      "application/json");
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->status == 401 || r->status == 429) << r->status;
  }
  srv.Restart();  // shutdown writes the open window's counts
  const auto reg = Chain(srv, storage::kRegistryAuditChain);
  // One source address, two kinds (failed, throttled): a first row and a
  // summary row per kind per minute; the loop may straddle a minute.
  EXPECT_GE(reg.size(), 2u);
  EXPECT_LE(reg.size(), 12u) << "a flood grows the registry chain row by row";
  std::int64_t counted = 0;
  for (const auto& e : reg) {
    if (e.entity == "source") {
      const auto at = e.after.find("repeated ");
      ASSERT_NE(at, std::string::npos) << e.after;
      counted += std::stoll(e.after.substr(at + 9));
    } else {
      ++counted;
    }
  }
  EXPECT_EQ(counted, kAttempts) << "every attempt is counted";
}

}  // namespace
}  // namespace kira::testing
