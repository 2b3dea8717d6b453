// Crash safety (issue 4, item 7): a child process records sessions into a
// SQLite registry and acknowledges each one after its commit returns; the
// test SIGKILLs the child at random moments and, after each kill, reopens the
// database and checks that every acknowledged session (with its vitals) is
// there and that the audit chain verifies.
//
// Cycles: 50 by default; KIRA_CRASH_CYCLES overrides (scripts/crash-test runs
// 500). Randomness: a fixed seed (KIRA_CRASH_SEED overrides), so a failure
// can be replayed. "Random moment" = after a random number (0-40) of
// acknowledgements plus a random number (0-2000) of busy-loop spins, so the
// kill lands anywhere in the child's write cycle: mid-transaction, mid-commit
// or between commits. No sleeps.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include "kira/registry/audit.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout
};

Child Spawn(const std::string& db, const std::string& prefix) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(KIRA_CRASH_CHILD, KIRA_CRASH_CHILD, db.c_str(), prefix.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Reads one '\n'-terminated line; false at EOF.
bool ReadLine(int fd, std::string* line) {
  line->clear();
  char c;
  while (true) {
    ssize_t n = read(fd, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') return true;
    *line += c;
  }
}

TEST(CrashTest, AcknowledgedSessionsSurviveSigkill) {
  const int cycles = EnvInt("KIRA_CRASH_CYCLES", 50);
  const unsigned seed = static_cast<unsigned>(EnvInt("KIRA_CRASH_SEED", 20261126));
  std::mt19937 rng(seed);
  auto dir = std::filesystem::temp_directory_path() / ("kira_crash_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "kira.db").string();
  std::set<std::string> acknowledged;
  long kills = 0;

  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int acks_before_kill = std::uniform_int_distribution<int>(0, 40)(rng);
    const int spins = std::uniform_int_distribution<int>(0, 2000)(rng);
    Child child = Spawn(db, "k" + std::to_string(cycle));
    ASSERT_GT(child.pid, 0);
    std::string line;
    for (int i = 0; i < acks_before_kill && ReadLine(child.out, &line); ++i) acknowledged.insert(line);
    volatile int sink = 0;
    for (int i = 0; i < spins; ++i) sink = sink + i;
    kill(child.pid, SIGKILL);
    // Anything acknowledged before the kill landed is still in the pipe.
    while (ReadLine(child.out, &line)) acknowledged.insert(line);
    close(child.out);
    int wstatus = 0;
    waitpid(child.pid, &wstatus, 0);
    // The child never stops by itself; any other end means it failed.
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "cycle " << cycle << ": the child exited on its own (status " << wstatus << ")";
    ++kills;

    auto store = storage::SqliteStore::Open({.path = db});
    ASSERT_THAT(store, IsOk()) << "cycle " << cycle;
    {
      auto tx = (*store)->Begin();
      ASSERT_THAT(tx, IsOk());
      for (const std::string& id : acknowledged) {
        ASSERT_THAT((*tx)->GetSession("c1", id), IsOk()) << "cycle " << cycle << ": lost " << id;
        auto vitals = (*tx)->ListVitals("c1", id);
        ASSERT_THAT(vitals, IsOk());
        ASSERT_EQ(vitals->size(), 3u) << "cycle " << cycle << ": session " << id << " half-written";
      }
    }
    auto verified = VerifyAudit(**store, "c1");
    ASSERT_THAT(verified, IsOk());
    ASSERT_TRUE(verified->ok) << "cycle " << cycle << ": " << verified->problem;
  }

  RecordProperty("cycles", cycles);
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  std::printf("crash test: %d cycles, %ld SIGKILLs, %zu acknowledged sessions all present, audit chain verified\n",
              cycles, kills, acknowledged.size());
  EXPECT_GT(acknowledged.size(), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kira::registry
