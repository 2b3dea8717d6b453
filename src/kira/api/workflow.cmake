# Wire types of the clinic-day routes (server/workflow_routes.cc).
kira_library(kira_api_workflow
  SRCS ${CMAKE_CURRENT_LIST_DIR}/workflow_json.cc
  PUBLIC_DEPS kira_api kira_registry kira_domain kira_base
  DEPS nlohmann_json::nlohmann_json)
