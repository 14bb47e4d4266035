#include "harness/record/output_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace copyscope::record {
namespace {

absl::Status ErrnoError(int err, const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", std::strerror(err)));
}

std::string BaseDirectory() {
  if (const char* d = std::getenv("BUILD_WORKING_DIRECTORY"); d && *d) {
    return d;
  }
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) != nullptr) return buf;
  return ".";
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

}  // namespace

std::string DefaultRunName(absl::Time now) {
  std::random_device rd;
  uint32_t id = std::uniform_int_distribution<uint32_t>(0, 0xffffff)(rd);
  return absl::StrFormat(
      "results/%s-%06x",
      absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), id);
}

absl::StatusOr<std::string> ResolveOutputDir(const std::string& out) {
  const bool chosen = !out.empty();
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string path = chosen ? out : DefaultRunName(absl::Now());
    if (!absl::StartsWith(path, "/")) {
      path = absl::StrCat(BaseDirectory(), "/", path);
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return path;
      return absl::InvalidArgumentError(
          absl::StrCat("--out=", path, ": ", std::strerror(errno),
                       "; give a directory you can create"));
    }
    if (!chosen) continue;  // a default name taken: draw another
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--out=", path,
                       ": exists and is not a directory; give a new "
                       "directory"));
    }
    int has = HasEntries(path);
    if (has < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--out=", path, ": ", std::strerror(-has),
                       "; give a directory you can write"));
    }
    if (has > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--out=", path,
                       ": exists and is not empty; results are never "
                       "overwritten, give a new directory"));
    }
    return path;
  }
  return absl::InternalError("could not find a free results directory name");
}

absl::Status CreateOutputDir(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("cannot create ", prefix));
    }
  }
  int has = HasEntries(dir);
  if (has < 0) return ErrnoError(-has, absl::StrCat("cannot read ", dir));
  if (has > 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        dir, " is no longer empty; results are never overwritten"));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents) {
  std::string tmp = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = mkstemp(tmp.data());
  if (fd < 0) return ErrnoError(errno, absl::StrCat("cannot create ", tmp));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      unlink(tmp.c_str());
      return ErrnoError(err, absl::StrCat("cannot write ", tmp));
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot write ", tmp));
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot write ", tmp));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace copyscope::record
