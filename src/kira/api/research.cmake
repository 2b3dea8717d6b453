# The research dashboard's wire types (server research routes): query
# parameters in, the report with small cells suppressed out.
kira_library(kira_api_research
  SRCS ${CMAKE_CURRENT_LIST_DIR}/research_json.cc
  PUBLIC_DEPS kira_research kira_api_analytics kira_base
  DEPS nlohmann_json::nlohmann_json)
