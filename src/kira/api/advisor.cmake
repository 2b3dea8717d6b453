# Instruments and advisor JSON adapters: guideline files, session timelines,
# plan histories, and rendering of their results.
kira_library(kira_api_advisor
  SRCS ${CMAKE_CURRENT_LIST_DIR}/instruments_json.cc ${CMAKE_CURRENT_LIST_DIR}/advisor_json.cc
  PUBLIC_DEPS kira_api kira_advisor kira_instruments kira_domain kira_base
  DEPS nlohmann_json::nlohmann_json)
