# `kira serve` request bodies that feed the Advisor part 2 (session monitor,
# discharge, plan): they assemble the advisor's inputs from stored records.
kira_library(kira_api_server
  SRCS ${CMAKE_CURRENT_LIST_DIR}/server_advisor_json.cc
  PUBLIC_DEPS kira_api_advisor kira_api kira_advisor kira_domain kira_base
  DEPS nlohmann_json::nlohmann_json)
