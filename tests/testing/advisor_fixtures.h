// Loads the shipped guideline data files for advisor and instrument tests.
#ifndef KIRA_TESTING_ADVISOR_FIXTURES_H_
#define KIRA_TESTING_ADVISOR_FIXTURES_H_

#include <fstream>
#include <sstream>
#include <string>

namespace kira::testing {

// Reads a file below the source tree (KIRA_SOURCE_DIR is set by kira_test).
inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kira::testing

#endif  // KIRA_TESTING_ADVISOR_FIXTURES_H_
