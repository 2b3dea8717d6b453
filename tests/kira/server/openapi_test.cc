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
          if (type == "application/json") {
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
