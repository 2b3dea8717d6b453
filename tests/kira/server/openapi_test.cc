// /api/openapi.json describes exactly the routes the server serves: every
// (method, path) of the route table is in the document and the document has
// nothing the table lacks. Checked against the running server's document.
#include <gtest/gtest.h>

#include <set>

#include "kira/server/server.h"
#include "server_test_util.h"

namespace kira::testing {
namespace {

TEST(OpenApi, DocumentMatchesTheRouteTable) {
  TestServer srv;
  auto cli = srv.Client();
  auto res = cli.Get("/api/openapi.json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json doc = Json::parse(res->body);
  EXPECT_TRUE(doc["openapi"].get<std::string>().starts_with("3."));

  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      std::string m = method;
      for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(m + " " + path);
      EXPECT_TRUE(op.contains("responses")) << m << " " << path;
    }
  }
  std::set<std::string> served;
  for (const auto& r : server::Server::Routes()) served.insert(r.method + " " + r.path);
  EXPECT_EQ(documented, served);
}

TEST(OpenApi, EveryRequestBodySchemaRefResolves) {
  TestServer srv;
  auto cli = srv.Client();
  auto res = cli.Get("/api/openapi.json");
  ASSERT_TRUE(res);
  const Json doc = Json::parse(res->body);
  const std::string dumped = doc.dump();
  std::size_t pos = 0;
  int refs = 0;
  while ((pos = dumped.find("#/components/", pos)) != std::string::npos) {
    const std::size_t end = dumped.find('"', pos);
    const std::string ref = dumped.substr(pos + 2, end - pos - 2);  // components/schemas/X
    const Json::json_pointer ptr("/" + ref);
    EXPECT_TRUE(doc.contains(ptr)) << ref;
    ++refs;
    pos = end;
  }
  EXPECT_GT(refs, 10);
}

// KNOWN GAP (listed in the README's gaps): the clinic-day routes still describe
// their success reply as a bare object. Each is named here so that no other
// route can lose its typed schema unnoticed; remove a line when its schema lands.
const std::set<std::string> kUntypedClinicDayRoutes = {
    "post /api/v1/appointments", "post /api/v1/appointments/{id}/reschedule",
    "post /api/v1/appointments/{id}/state", "get /api/v1/directory", "get /api/v1/directory/mine",
    "post /api/v1/directory/mine", "post /api/v1/ledger", "get /api/v1/ledger/entries",
    "get /api/v1/patients/{id}/consents", "post /api/v1/patients/{id}/consents",
    "post /api/v1/patients/{id}/edit", "get /api/v1/patients/{id}/history", "get /api/v1/rems/due",
    "get /api/v1/search/patients", "post /api/v1/sessions/{id}/discharge-record",
    "get /api/v1/sessions/{id}/observation", "get /api/v1/sessions/{id}/rems",
    "post /api/v1/sessions/{id}/rems", "get /api/v1/sessions/{id}/vital-amendments",
    "post /api/v1/sessions/{id}/vital-set", "post /api/v1/sessions/{id}/vitals/{vital}/correct",
    "post /api/v1/sessions/{id}/vitals/{vital}/void", "get /api/v1/today"};

TEST(OpenApi, EverySuccessResponseHasATypedSchemaAndLimitsAreDocumented) {
  TestServer srv;
  auto cli = srv.Client();
  auto res = cli.Get("/api/openapi.json");
  ASSERT_TRUE(res);
  const Json doc = Json::parse(res->body);
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      bool has_success = false;
      for (const auto& [code, r] : op["responses"].items()) {
        if (code[0] != '2') continue;
        has_success = true;
        ASSERT_TRUE(r.contains("content")) << method << " " << path;
        for (const auto& [type, media] : r["content"].items()) {
          Json schema = media["schema"];
          if (schema.contains("$ref")) {
            const std::string ref = schema["$ref"];
            schema = doc.at(Json::json_pointer(ref.substr(1)));
          }
          if (type == "application/json" && !kUntypedClinicDayRoutes.count(method + " " + path)) {
            EXPECT_TRUE(schema.contains("properties") && !schema["properties"].empty())
                << method << " " << path << ": the success response has no typed properties";
          }
        }
      }
      EXPECT_TRUE(has_success) << method << " " << path;
    }
  }
  for (const char* limit : {"max_body_bytes", "max_header_bytes", "max_header_fields", "max_json_depth",
                            "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms", "max_connections_per_address",
                            "login_throttle", "sessions", "password_policy", "min_cell_count"}) {
    EXPECT_TRUE(doc["info"]["x-limits"].contains(limit)) << limit;
  }
}

}  // namespace
}  // namespace kira::testing
