# `kira serve` log-in, account-management and audit-viewer wire types
# (server/ auth and account routes).
kira_library(kira_api_auth
  SRCS ${CMAKE_CURRENT_LIST_DIR}/auth_json.cc
  PUBLIC_DEPS kira_api kira_domain kira_base
  DEPS nlohmann_json::nlohmann_json)
