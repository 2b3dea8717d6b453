# JSON for registry analytics (kira report --json; the API later).
kira_library(kira_api_analytics
  SRCS ${CMAKE_CURRENT_LIST_DIR}/analytics_json.cc
  PUBLIC_DEPS kira_analytics kira_base
  DEPS nlohmann_json::nlohmann_json)
