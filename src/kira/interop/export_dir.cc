#include "kira/interop/export_dir.h"

#include <unistd.h>

#include <atomic>
#include <chrono>

namespace kira::interop {

namespace fs = std::filesystem;

namespace {

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(counter++);
}

}  // namespace

StatusOr<StagedExport> StagedExport::Begin(const std::string& dir, std::string option) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InvalidArgumentError(option + ": cannot create directory '" + dir + "': " + ec.message());
  fs::path staging = fs::path(dir) / (".kira-export-" + UniqueSuffix());
  fs::create_directory(staging, ec);
  if (ec) return InvalidArgumentError(option + ": cannot write in '" + dir + "': " + ec.message());
  return StagedExport(fs::path(dir), std::move(staging), std::move(option));
}

StagedExport::StagedExport(StagedExport&& o) noexcept
    : target_(std::move(o.target_)),
      staging_(std::move(o.staging_)),
      option_(std::move(o.option_)),
      files_(std::move(o.files_)),
      done_(o.done_) {
  o.done_ = true;  // the moved-from object owns nothing
}

StagedExport::~StagedExport() {
  if (done_) return;
  files_.clear();
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

StatusOr<std::ofstream*> StagedExport::Open(const std::string& name) {
  auto out = std::make_unique<std::ofstream>(staging_ / name, std::ios::binary | std::ios::trunc);
  if (!*out) return InvalidArgumentError(option_ + ": cannot write '" + (staging_ / name).string() + "'");
  files_.emplace_back(name, std::move(out));
  return files_.back().second.get();
}

Status StagedExport::Commit() {
  for (auto& [name, out] : files_) {
    out->close();
    if (!*out) return InternalError(option_ + ": writing '" + name + "' failed (disk full?); nothing was exported");
  }
  std::error_code ec;
  for (auto& [name, out] : files_) {
    fs::rename(staging_ / name, target_ / name, ec);
    if (ec) return InternalError(option_ + ": cannot move '" + name + "' into place: " + ec.message());
  }
  fs::remove_all(staging_, ec);
  done_ = true;
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const std::string& option,
                           const std::function<Status(std::ostream&)>& write) {
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".tmp-" + UniqueSuffix());
  Status s;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InvalidArgumentError(option + ": cannot write '" + path + "'");
    s = write(out);
    out.close();
    if (s.ok() && !out) s = InternalError(option + ": writing '" + path + "' failed (disk full?)");
  }
  std::error_code ec;
  if (s.ok()) {
    fs::rename(tmp, target, ec);
    if (ec) s = InternalError(option + ": cannot move the export into place: " + ec.message());
  }
  if (!s.ok()) fs::remove(tmp, ec);
  return s;
}

}  // namespace kira::interop
