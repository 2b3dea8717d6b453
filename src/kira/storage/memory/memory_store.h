// MemoryStore: the in-memory fake behind the Store interface (leveldb
// helpers/memenv in spirit). It passes the same contract suite as the real
// backends and is what registry/ unit tests use. Nothing survives the object.
//
// Transactions run one at a time: Begin() blocks until the previous
// transaction ends. A transaction copies the committed state on its first
// write and swaps it in on Commit(), so an abandoned transaction leaves no trace.
#ifndef KIRA_STORAGE_MEMORY_MEMORY_STORE_H_
#define KIRA_STORAGE_MEMORY_MEMORY_STORE_H_

#include <functional>
#include <memory>
#include <mutex>

#include "kira/storage/store.h"

namespace kira::storage {

class MemoryStore : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;

  StatusOr<std::unique_ptr<Transaction>> Begin() override;
  std::string_view backend() const override { return "memory"; }

  // Test hook: lets a test tamper with committed audit rows the way an
  // attacker with write access to the database file would. `edit` receives
  // the clinic's rows in seq order and may change, erase or reorder them.
  void TamperWithAuditForTesting(std::string_view clinic_id,
                                 const std::function<void(std::vector<domain::AuditEntry>&)>& edit);

  struct State;

 private:
  class Tx;
  std::mutex tx_mu_;  // held by the live transaction for its whole life
  std::unique_ptr<State> state_;
};

}  // namespace kira::storage

#endif  // KIRA_STORAGE_MEMORY_MEMORY_STORE_H_
