#include "server_test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "kira/api/advisor_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/data/embedded.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical.h"
#include "kira/registry/unit_of_work.h"
#include "kira/server/auth.h"
#include "kira/storage/open_store.h"

namespace kira::testing {

namespace {
// A cheap argon2id cost: these tests check the protocol, not the cost.
constexpr server::PasswordCost kTestCost{1, 1024, 1};
}  // namespace

TestServer::TestServer(const std::string& tls_cert, const std::string& tls_key,
                       std::function<void(server::ServerOptions&)> tweak) {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() / ("kira-server-test-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  auto text = data::EmbeddedFile("kira.json");
  auto lib = api::ParseGuideline(*text);
  EXPECT_TRUE(lib.ok()) << lib.status().ToString();
  library_ = std::make_unique<guideline::Library>(std::move(lib).value());
  auto adv = api::ParseAdvisorLibrary(*data::EmbeddedFile("advisor.json"));
  EXPECT_TRUE(adv.ok()) << adv.status().ToString();
  advisor_ = std::make_unique<advisor::AdvisorLibrary>(std::move(adv).value());
  auto ins = api::ParseInstrumentLibrary(*data::EmbeddedFile("instruments.json"));
  EXPECT_TRUE(ins.ok()) << ins.status().ToString();
  instruments_ = std::make_unique<instruments::InstrumentLibrary>(std::move(ins).value());
  auto store = storage::OpenStore((dir_ / "kira.db").string());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
  // The keyed audit chain, as `kira serve` runs it.
  Status key = registry::UseAuditKeyFor((dir_ / "kira.db").string());
  EXPECT_TRUE(key.ok()) << key.ToString();
  const auto hash = server::HashPassword(kPassword, kTestCost);
  EXPECT_TRUE(hash.ok());
  Status s = registry::RunInUnitOfWork(*store_, clock_, "system:test", [&](registry::UnitOfWork& uow) -> Status {
    for (const char* c : {"a", "b"}) {
      const std::string clinic = std::string("clinic-") + c;
      KIRA_RETURN_IF_ERROR(registry::AddClinic(uow, {clinic, clinic, "UTC"}));
      for (const char* role : kRoles) {
        domain::User u;
        u.clinic_id = clinic;
        u.id = std::string(c) + "-" + role;
        u.display_name = std::string(role) + " of " + clinic;
        domain::ParseRole(role, &u.role);
        KIRA_RETURN_IF_ERROR(registry::AddUser(uow, u));
        KIRA_RETURN_IF_ERROR(uow.tx().InsertCredential({u.id, clinic, u.id, *hash}));
      }
      domain::User spare{clinic, std::string(c) + "-spare", "spare nurse of " + clinic, domain::Role::kNurse};
      KIRA_RETURN_IF_ERROR(registry::AddUser(uow, spare));
      KIRA_RETURN_IF_ERROR(uow.tx().InsertCredential({spare.id, clinic, spare.id, *hash}));
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  server::ServerOptions o;
  o.port = 0;
  o.threads = 4;
  o.require_admin_mfa = false;  // the MFA tests ask for it
  o.tls_cert_file = tls_cert;
  o.tls_key_file = tls_key;
  if (tweak) tweak(o);
  options_ = o;
  Start();
}

void TestServer::Start() {
  server_ = std::make_unique<server::Server>(store_.get(), library_.get(), &clock_, options_, advisor_.get(),
                                             instruments_.get());
  Status b = server_->Bind();
  EXPECT_TRUE(b.ok()) << b.ToString();
  thread_ = std::thread([this] { (void)server_->Run(); });
}

void TestServer::Restart() {
  server_->Stop();
  thread_.join();
  server_.reset();
  store_.reset();
  auto store = storage::OpenStore((dir_ / "kira.db").string());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
  Start();
}

TestServer::~TestServer() {
  server_->Stop();
  thread_.join();
  server_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

httplib::Client TestServer::Client() const {
  httplib::Client c("127.0.0.1", server_->port());
  c.set_read_timeout(10, 0);
  return c;
}

std::string TestServer::Token(const std::string& login) {
  auto it = tokens_.find(login);
  if (it != tokens_.end()) return it->second;
  auto c = Client();
  Json body{{"login", login}, {"password", kPassword}};
  auto res = c.Post("/api/v1/login", body.dump(), "application/json");
  EXPECT_TRUE(res);
  if (!res) return "";
  EXPECT_EQ(res->status, 200) << res->body;
  const std::string token = Json::parse(res->body).value("token", "");
  tokens_[login] = token;
  return token;
}

httplib::Headers TestServer::Headers(const std::string& token) const {
  return {{"Authorization", "Bearer " + token}};
}

std::string TestServer::PatientDoc() {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/examples/patients/trd-typical.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kira::testing
