// Runs a shell command for the end-to-end CLI tests and returns its exit code
// and standard output (add "2>&1" to the command to capture stderr too).
#ifndef KIRA_TESTING_RUN_COMMAND_H_
#define KIRA_TESTING_RUN_COMMAND_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace kira::testing {

struct CommandRun {
  int code;  // the exit status, or -1 when the command did not exit normally
  std::string out;
};

inline CommandRun RunCommand(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed: " + command};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace kira::testing

#endif  // KIRA_TESTING_RUN_COMMAND_H_
