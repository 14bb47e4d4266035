// The results directory of a run: claimed before any work, locked while the
// run writes into it, its files replaced atomically, and room kept aside so
// that the record can still be finished on a full disk.
//
//   absl::StatusOr<std::unique_ptr<OutputDir>> dir = OutputDir::Claim(out);
//   if (!dir.ok()) return UsageError(dir.status());     // before any work
//   absl::Status s = (*dir)->Write("summary.csv", csv);  // temp + rename
//   if (!(*dir)->KeepRoomFor(bytes)) ...;  // stop: the disk is nearly full
//   // on ENOSPC: (*dir)->ReleaseRoom(), then write the final record
//
// --out must not exist (it is created, with its parents) or be an empty
// directory; anything else is refused and left as it is. Claiming creates
// the lock file .copyscope-run (O_EXCL: two runs racing for one directory
// cannot both have it), holding the writer's pid, and keeps an flock on it
// while the object lives; a second run into the directory is refused with
// that pid. The lock file stays: it marks the directory as a copyscope run.
// Temporary files are named .NAME.tmp.<pid>.XXXXXX; a run that was killed
// while writing leaves them behind, and the next claim in the same parent
// removes them from every run directory whose lock is no longer held.
// Nothing else is ever removed.
//
// Relative paths are taken from $BUILD_WORKING_DIRECTORY when set (the
// user's directory under `bazel run`), else from the current directory.
// The default is results/<UTC time>-<random id>/, e.g.
// results/20250101T120000Z-3f9a2c/.
#ifndef COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_
#define COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace copyscope::record {

// The lock file that marks a run directory.
inline constexpr char kRunLockFile[] = ".copyscope-run";

// "results/<YYYYmmddTHHMMSSZ>-<6 hex digits>" for the given time.
std::string DefaultRunName(absl::Time now);

class OutputDir {
 public:
  // See the file comment. Errors are InvalidArgument (a path that cannot
  // be used: one line naming it, why, and the fix) or FailedPrecondition
  // (the directory is locked by a running copyscope, named by pid).
  static absl::StatusOr<std::unique_ptr<OutputDir>> Claim(
      const std::string& out);

  ~OutputDir();  // releases the lock and the room kept aside
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  const std::string& path() const { return path_; }
  // The directory's name, e.g. "20250101T120000Z-3f9a2c".
  std::string name() const;

  // Writes path()/name via a temporary file and rename(), so a reader sees
  // the old file or the whole new one, never a part.
  absl::Status Write(const std::string& name, const std::string& contents);

  // Keeps at least `bytes` of disk space allocated aside (a file of ours,
  // .copyscope-room), so that a record of that size can still be written
  // after the disk filled up. False when the space cannot be had: the
  // caller should stop while what it has still fits.
  bool KeepRoomFor(uint64_t bytes);
  // Gives the room back to the filesystem (before the last write on a full
  // disk).
  void ReleaseRoom();

 private:
  OutputDir(std::string path, int lock_fd)
      : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_ = -1;
  uint64_t room_ = 0;
};

// Removes the temporary files (.NAME.tmp.<pid>.*) left by killed writers in
// the run directories under parent whose lock is not held. Returns how many
// it removed.
int RemoveStaleTemporaries(const std::string& parent);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_OUTPUT_DIR_H_
