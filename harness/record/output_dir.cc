#include "harness/record/output_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace copyscope::record {
namespace {

constexpr char kRoomFile[] = ".copyscope-room";

absl::Status ErrnoError(int err, const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", std::strerror(err)));
}

absl::Status Refuse(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("--out=", path, ": ", why));
}

std::string BaseDirectory() {
  if (const char* d = std::getenv("BUILD_WORKING_DIRECTORY"); d && *d) {
    return d;
  }
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) != nullptr) return buf;
  return ".";
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// 1 if dir holds entries, 0 if empty, -errno if it cannot be read.
int HasEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -errno;
  int found = 0;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      found = 1;
      break;
    }
  }
  closedir(d);
  return found;
}

// The pid a lock file names, or 0.
long LockHolder(const std::string& lock) {
  int fd = open(lock.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  long pid = 0;
  if (n <= 0 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(buf), &pid)) {
    return 0;
  }
  return pid;
}

// Whether some process holds the flock of a lock file.
bool LockHeld(const std::string& lock) {
  int fd = open(lock.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  const bool held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);  // releases our lock, if we got it
  return held;
}

// Why an existing, non-empty directory cannot take the run.
absl::Status Occupied(const std::string& path) {
  const std::string lock = absl::StrCat(path, "/", kRunLockFile);
  struct stat st;
  if (lstat(lock.c_str(), &st) == 0) {
    if (LockHeld(lock)) {
      return absl::FailedPreconditionError(
          absl::StrCat("--out=", path, ": a run (pid ", LockHolder(lock),
                       ") is writing into it; give another directory"));
    }
    return Refuse(path,
                  "holds the results of another run; results are never "
                  "overwritten, give a new directory");
  }
  return Refuse(path,
                "exists and is not empty; results are never overwritten, "
                "give a new directory");
}

// Creates the parents of path (mode 0755).
absl::Status CreateParents(const std::string& path) {
  for (size_t pos = 1; pos < path.size(); ++pos) {
    if (path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return Refuse(path, absl::StrCat("cannot create ", prefix, ": ",
                                       std::strerror(errno),
                                       "; give a directory you can create"));
    }
  }
  return absl::OkStatus();
}

// Makes path an empty directory of ours: created if absent, taken if empty.
// `created`: whether this call made it.
absl::Status Prepare(const std::string& path, bool* created) {
  *created = false;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Refuse(path, absl::StrCat(std::strerror(errno),
                                       "; give a directory you can create"));
    }
    absl::Status s = CreateParents(path);
    if (!s.ok()) return s;
    if (mkdir(path.c_str(), 0755) == 0) {
      *created = true;
      return absl::OkStatus();
    }
    if (errno != EEXIST) {
      return Refuse(path,
                    absl::StrCat("cannot create it: ", std::strerror(errno),
                                 "; give a directory you can create"));
    }
    if (lstat(path.c_str(), &st) != 0) {
      return Refuse(path, "appeared and vanished; give it again");
    }
  }
  if (S_ISLNK(st.st_mode)) {
    return Refuse(path, "is a symbolic link; give a new directory");
  }
  if (!S_ISDIR(st.st_mode)) {
    return Refuse(path, "exists and is not a directory; give a new directory");
  }
  int has = HasEntries(path);
  if (has < 0) {
    return Refuse(path, absl::StrCat(std::strerror(-has),
                                     "; give a directory you can write"));
  }
  if (has > 0) return Occupied(path);
  return absl::OkStatus();
}

// Creates and locks the lock file (O_EXCL: of two runs, one gets it).
absl::StatusOr<int> Lock(const std::string& path) {
  const std::string lock = absl::StrCat(path, "/", kRunLockFile);
  int fd = open(lock.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Occupied(path);
    return Refuse(path,
                  absl::StrCat("cannot write into it: ", std::strerror(errno),
                               "; give a directory you can write"));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError(err, absl::StrCat("cannot lock ", lock));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    return Refuse(path,
                  absl::StrCat("cannot write into it: ", std::strerror(err),
                               "; give a directory with free space"));
  }
  return fd;
}

}  // namespace

std::string DefaultRunName(absl::Time now) {
  std::random_device rd;
  uint32_t id = std::uniform_int_distribution<uint32_t>(0, 0xffffff)(rd);
  return absl::StrFormat(
      "results/%s-%06x",
      absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), id);
}

absl::StatusOr<std::unique_ptr<OutputDir>> OutputDir::Claim(
    const std::string& out) {
  const bool chosen = !out.empty();
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string path = chosen ? out : DefaultRunName(absl::Now());
    if (!absl::StartsWith(path, "/")) {
      path = absl::StrCat(BaseDirectory(), "/", path);
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    bool created = false;
    absl::Status s = Prepare(path, &created);
    if (!s.ok() && !chosen) continue;  // a default name taken: draw another
    if (!s.ok()) return s;
    if (!chosen && !created) continue;  // someone else's empty directory
    absl::StatusOr<int> lock = Lock(path);
    if (!lock.ok()) return lock.status();
    RemoveStaleTemporaries(Parent(path));
    return std::unique_ptr<OutputDir>(new OutputDir(path, *lock));
  }
  return absl::InternalError("could not find a free results directory name");
}

OutputDir::~OutputDir() {
  ReleaseRoom();
  if (lock_fd_ >= 0) close(lock_fd_);
}

std::string OutputDir::name() const {
  return path_.substr(path_.find_last_of('/') + 1);
}

absl::Status OutputDir::Write(const std::string& name,
                              const std::string& contents) {
  const std::string path = absl::StrCat(path_, "/", name);
  std::string tmp =
      absl::StrCat(path_, "/.", name, ".tmp.", getpid(), ".XXXXXX");
  int fd = mkstemp(tmp.data());
  if (fd < 0) return ErrnoError(errno, absl::StrCat("cannot create ", tmp));
  auto fail = [&](int err) {
    close(fd);
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot write ", path));
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) return fail(errno);
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot write ", path));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

bool OutputDir::KeepRoomFor(uint64_t bytes) {
  if (bytes <= room_) return true;
  const std::string room = absl::StrCat(path_, "/", kRoomFile);
  int fd = open(room.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool kept = posix_fallocate(fd, 0, static_cast<off_t>(bytes)) == 0;
  close(fd);
  if (kept) room_ = bytes;
  return kept;
}

void OutputDir::ReleaseRoom() {
  const std::string room = absl::StrCat(path_, "/", kRoomFile);
  struct stat st;
  if (lstat(room.c_str(), &st) == 0) unlink(room.c_str());
  room_ = 0;
}

int RemoveStaleTemporaries(const std::string& parent) {
  int removed = 0;
  DIR* d = opendir(parent.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string run = absl::StrCat(parent, "/", e->d_name);
    const std::string lock = absl::StrCat(run, "/", kRunLockFile);
    struct stat st;
    if (lstat(run.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        lstat(lock.c_str(), &st) != 0 || LockHeld(lock)) {
      continue;
    }
    DIR* r = opendir(run.c_str());
    if (r == nullptr) continue;
    while (dirent* f = readdir(r)) {
      absl::string_view name = f->d_name;
      const bool ours =
          (absl::StartsWith(name, ".") && absl::StrContains(name, ".tmp.")) ||
          name == kRoomFile;
      const std::string file = absl::StrCat(run, "/", name);
      if (ours && lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          unlink(file.c_str()) == 0) {
        ++removed;
      }
    }
    closedir(r);
  }
  closedir(d);
  return removed;
}

}  // namespace copyscope::record
