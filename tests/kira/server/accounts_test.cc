// Durable, revocable log-ins and account management: sessions survive a
// restart and are shared by two servers on one registry; log-out, "end all
// sessions", disabling and role changes revoke; a reset password must be
// changed first; admins must enrol TOTP (RFC 6238) before anything else;
// the password policy refuses short, common and login-derived passwords.
#include <gtest/gtest.h>

#include <chrono>

#include "kira/server/auth.h"
#include "server_test_util.h"

namespace kira::testing {
namespace {

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 6238 appendix B: the SHA-1 test vectors (8 digits, 30 s steps, the
// ASCII key "12345678901234567890").
TEST(Totp, MatchesRfc6238AppendixBVectors) {
  const std::string key = "12345678901234567890";
  EXPECT_EQ(server::TotpCodeForKey(key, 59, 8), "94287082");
  EXPECT_EQ(server::TotpCodeForKey(key, 1111111109, 8), "07081804");
  EXPECT_EQ(server::TotpCodeForKey(key, 1111111111, 8), "14050471");
  EXPECT_EQ(server::TotpCodeForKey(key, 1234567890, 8), "89005924");
  EXPECT_EQ(server::TotpCodeForKey(key, 2000000000, 8), "69279037");
  EXPECT_EQ(server::TotpCodeForKey(key, 20000000000, 8), "65353130");
  // The same key in base32 through the public entry point.
  EXPECT_EQ(server::TotpCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59, 8), "94287082");
  EXPECT_FALSE(server::TotpCode("not base32 !", 59).has_value());
}

TEST(Totp, VerifyAcceptsOneStepOfClockDriftOnly) {
  const std::string secret = server::NewTotpSecret();
  const std::int64_t t = 1'800'000'000;
  EXPECT_TRUE(server::VerifyTotp(secret, *server::TotpCode(secret, t), t));
  EXPECT_TRUE(server::VerifyTotp(secret, *server::TotpCode(secret, t - 30), t));
  EXPECT_FALSE(server::VerifyTotp(secret, *server::TotpCode(secret, t - 90), t));
  EXPECT_FALSE(server::VerifyTotp(secret, "12345", t));
}

TEST(PasswordPolicy, RefusesShortCommonAndLoginDerived) {
  EXPECT_TRUE(server::CheckPasswordPolicy("correct horse battery", "a-nurse", 12).ok());
  const Status short_pw = server::CheckPasswordPolicy("short pw", "a-nurse", 12);
  EXPECT_TRUE(short_pw.IsInvalidArgument());
  EXPECT_NE(short_pw.message().find("at least 12"), std::string_view::npos);
  EXPECT_TRUE(server::IsCommonPassword("Password1234"));
  EXPECT_TRUE(server::CheckPasswordPolicy("password1234", "x", 12).IsInvalidArgument());
  EXPECT_TRUE(server::CheckPasswordPolicy("my name is a-nurse ok", "a-nurse", 12).IsInvalidArgument());
}

TEST(Sessions, SurviveARestart) {
  TestServer srv;
  const std::string token = srv.Token("a-nurse");
  srv.Restart();
  auto cli = srv.Client();
  auto me = cli.Get("/api/v1/me", srv.Headers(token));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
}

TEST(Sessions, LogOutAndEndAllRevoke) {
  TestServer srv;
  auto cli = srv.Client();
  auto login = [&] {
    auto r = cli.Post("/api/v1/login", Json{{"login", "a-clinician"}, {"password", kPassword}}.dump(),
                      "application/json");
    return Json::parse(r->body)["token"].get<std::string>();
  };
  const std::string one = login(), two = login(), three = login();
  ASSERT_EQ(cli.Post("/api/v1/logout", srv.Headers(one), "", "application/json")->status, 200);
  EXPECT_EQ(cli.Get("/api/v1/me", srv.Headers(one))->status, 401);
  EXPECT_EQ(cli.Get("/api/v1/me", srv.Headers(two))->status, 200);
  auto ended = cli.Post("/api/v1/me/sessions/end", srv.Headers(two), "", "application/json");
  ASSERT_EQ(ended->status, 200);
  EXPECT_EQ(Json::parse(ended->body)["sessions_ended"], 2);
  EXPECT_EQ(cli.Get("/api/v1/me", srv.Headers(three))->status, 401);
}

TEST(Accounts, DisableRevokesAndRefusesLogInEnableRestores) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string victim = srv.Token("a-spare");
  const auto admin = srv.Headers(srv.Token("a-admin"));
  auto d = cli.Post("/api/v1/users/a-spare/disable", admin, "", "application/json");
  ASSERT_EQ(d->status, 200) << d->body;
  EXPECT_EQ(Json::parse(d->body)["disabled"], true);
  EXPECT_EQ(cli.Get("/api/v1/me", srv.Headers(victim))->status, 401);
  auto again = cli.Post("/api/v1/login", Json{{"login", "a-spare"}, {"password", kPassword}}.dump(), "application/json");
  EXPECT_EQ(again->status, 401);
  ASSERT_EQ(cli.Post("/api/v1/users/a-spare/enable", admin, "", "application/json")->status, 200);
  auto back = cli.Post("/api/v1/login", Json{{"login", "a-spare"}, {"password", kPassword}}.dump(), "application/json");
  EXPECT_EQ(back->status, 200);
  // Another clinic's admin cannot see or touch the user.
  auto other = cli.Post("/api/v1/users/a-spare/disable", srv.Headers(srv.Token("b-admin")), "", "application/json");
  EXPECT_EQ(other->status, 404);
}

TEST(Accounts, ResetPasswordMustBeChangedAtNextLogIn) {
  TestServer srv;
  auto cli = srv.Client();
  const auto admin = srv.Headers(srv.Token("a-admin"));
  auto weak = cli.Post("/api/v1/users/a-spare/reset-password", admin, R"({"new_password":"password1234"})",
                       "application/json");
  EXPECT_EQ(weak->status, 400);
  auto r = cli.Post("/api/v1/users/a-spare/reset-password", admin, R"({"new_password":"temporary passphrase 42"})",
                    "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  auto login = cli.Post("/api/v1/login", R"({"login":"a-spare","password":"temporary passphrase 42"})",
                        "application/json");
  ASSERT_EQ(login->status, 200);
  const Json j = Json::parse(login->body);
  EXPECT_EQ(j["must_change_password"], true);
  const auto h = srv.Headers(j["token"].get<std::string>());
  EXPECT_EQ(cli.Get("/api/v1/patients", h)->status, 403);
  auto change = cli.Post("/api/v1/me/password", h,
                         R"({"current_password":"temporary passphrase 42","new_password":"my own new passphrase"})",
                         "application/json");
  ASSERT_EQ(change->status, 200) << change->body;
  EXPECT_EQ(cli.Get("/api/v1/patients", h)->status, 200);
}

TEST(Accounts, RoleChangeNeedsAnAdminAndEndsSessions) {
  TestServer srv;
  auto cli = srv.Client();
  const std::string spare = srv.Token("a-spare");
  auto by_clinician = cli.Post("/api/v1/users/a-spare/role", srv.Headers(srv.Token("a-clinician")),
                               R"({"role":"admin"})", "application/json");
  EXPECT_EQ(by_clinician->status, 403);
  auto r = cli.Post("/api/v1/users/a-spare/role", srv.Headers(srv.Token("a-admin")), R"({"role":"auditor"})",
                    "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["role"], "auditor");
  EXPECT_EQ(cli.Get("/api/v1/me", srv.Headers(spare))->status, 401);
  // The auditor reads the audit log and nothing clinical.
  srv.Forget("a-spare");
  const auto auditor = srv.Headers(srv.Token("a-spare"));
  EXPECT_EQ(cli.Get("/api/v1/audit?limit=5", auditor)->status, 200);
  EXPECT_EQ(cli.Get("/api/v1/patients", auditor)->status, 403);
}

TEST(Accounts, TakenLoginLooksTheSameWhicheverClinicHoldsIt) {
  TestServer srv;
  auto cli = srv.Client();
  const auto admin = srv.Headers(srv.Token("a-admin"));
  auto body = [](const std::string& login) {
    return Json{{"id", "x-" + login}, {"display_name", "X"}, {"role", "nurse"}, {"login", login},
                {"password", "another long password"}}
        .dump();
  };
  auto own = cli.Post("/api/v1/users", admin, body("a-nurse"), "application/json");
  auto other = cli.Post("/api/v1/users", admin, body("b-nurse"), "application/json");
  ASSERT_TRUE(own && other);
  EXPECT_EQ(own->status, 409);
  EXPECT_EQ(other->status, 409);
  auto msg = [](const std::string& b) { return Json::parse(b)["error"]["message"].get<std::string>(); };
  EXPECT_EQ(msg(own->body), msg(other->body));
  for (const auto* r : {&own, &other}) {
    EXPECT_EQ((*r)->body.find("sqlite"), std::string::npos);
    EXPECT_EQ((*r)->body.find("UNIQUE"), std::string::npos);
    EXPECT_EQ((*r)->body.find("clinic-b"), std::string::npos);
  }
}

TEST(Mfa, AdminMustEnrolThenLogsInWithACode) {
  TestServer srv("", "", [](server::ServerOptions& o) { o.require_admin_mfa = true; });
  auto cli = srv.Client();
  const std::string token = srv.Token("a-admin");
  const auto h = srv.Headers(token);
  auto me = cli.Get("/api/v1/me", h);
  ASSERT_EQ(me->status, 200);
  EXPECT_EQ(Json::parse(me->body)["must_enrol_mfa"], true);
  EXPECT_EQ(cli.Get("/api/v1/users", h)->status, 403);
  auto begin = cli.Post("/api/v1/me/totp", h, "", "application/json");
  ASSERT_EQ(begin->status, 200);
  const std::string secret = Json::parse(begin->body)["secret"];
  EXPECT_NE(Json::parse(begin->body)["otpauth_uri"].get<std::string>().find("otpauth://totp/"), std::string::npos);
  const std::string enrolment_code = *server::TotpCode(secret, UnixNow());
  auto confirm = cli.Post("/api/v1/me/totp/confirm", h, Json{{"secret", secret}, {"code", enrolment_code}}.dump(),
                          "application/json");
  ASSERT_EQ(confirm->status, 200) << confirm->body;
  EXPECT_EQ(cli.Get("/api/v1/users", h)->status, 200);
  // From now on the password alone is not enough.
  auto no_code = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}}.dump(),
                          "application/json");
  EXPECT_EQ(no_code->status, 401);
  EXPECT_NE(no_code->body.find("totp"), std::string::npos);
  auto wrong = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}, {"totp", "000000"}}.dump(),
                        "application/json");
  EXPECT_EQ(wrong->status, 401);
  // The enrolment code was used: it cannot log in (a replay within its window).
  auto replay = cli.Post("/api/v1/login",
                         Json{{"login", "a-admin"}, {"password", kPassword}, {"totp", enrolment_code}}.dump(),
                         "application/json");
  EXPECT_EQ(replay->status, 401) << replay->body;
  // The next step's code (one step of drift is allowed) logs in once.
  const std::string next = *server::TotpCode(secret, UnixNow() + 30);
  auto right = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}, {"totp", next}}.dump(),
                        "application/json");
  EXPECT_EQ(right->status, 200) << right->body;
  auto again = cli.Post("/api/v1/login", Json{{"login", "a-admin"}, {"password", kPassword}, {"totp", next}}.dump(),
                        "application/json");
  EXPECT_EQ(again->status, 401) << again->body;
  EXPECT_NE(again->body.find("used already"), std::string::npos) << again->body;
}

}  // namespace
}  // namespace kira::testing
