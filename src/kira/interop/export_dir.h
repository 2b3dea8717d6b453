// Exports that either complete or leave nothing that looks like an export.
// Files are written into a hidden staging directory next to their final
// place (same file system) and renamed into place only when every file has
// been written and closed; on any failure the staging directory is removed
// and an earlier export in the target directory is left as it was.
#ifndef KIRA_INTEROP_EXPORT_DIR_H_
#define KIRA_INTEROP_EXPORT_DIR_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <fstream>
#include <string>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::interop {

class StagedExport {
 public:
  // `dir` is the target directory (created when missing); `option` names the
  // command-line option for messages ("--fhir").
  static StatusOr<StagedExport> Begin(const std::string& dir, std::string option);
  StagedExport(StagedExport&&) noexcept;
  StagedExport& operator=(StagedExport&&) = delete;
  StagedExport(const StagedExport&) = delete;
  ~StagedExport();  // removes the staging directory unless Commit() succeeded

  // Opens `name` in the staging directory. The stream stays valid until
  // Commit() or destruction.
  StatusOr<std::ofstream*> Open(const std::string& name);
  // Closes every file, checks it was fully written, then renames each into
  // the target directory.
  Status Commit();

 private:
  StagedExport(std::filesystem::path target, std::filesystem::path staging, std::string option)
      : target_(std::move(target)), staging_(std::move(staging)), option_(std::move(option)) {}
  std::filesystem::path target_, staging_;
  std::string option_;
  std::vector<std::pair<std::string, std::unique_ptr<std::ofstream>>> files_;
  bool done_ = false;
};

// Writes `text` to `path` through a temporary file in the same directory and
// a rename, so `path` is either the whole new file or unchanged.
Status WriteFileAtomically(const std::string& path, const std::string& option,
                           const std::function<Status(std::ostream&)>& write);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_EXPORT_DIR_H_
