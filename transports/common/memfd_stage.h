// A message staged in a memfd and sent with sendfile(): the sendfile
// transport's path, and ktls's with sendfile=1 (the zero-copy HTTPS one).
//
//   MemfdStage stage;
//   int rc = stage.Open("copyscope_sendfile", config.max_message_size, err,
//                       err_size);
//   ...
//   rc = stage.Stage(message, &scratch, &error);         // pwritev()
//   if (rc == 0) rc = stage.SendTo(fd, len, io_timeout_ms, &counters, &error);
//
// Why each message gets fresh pages. sendfile() into TCP does not copy: the
// socket takes references to the memfd's page-cache pages and transmits
// from them until they are acknowledged (over loopback, until the receiver
// has read them). Writing the next message into the same pages would change
// bytes still in flight. So before writing a message Stage() punches a hole
// over the previous one (fallocate(PUNCH_HOLE)): the old pages leave the
// file, the socket keeps its references to their unchanged contents, and
// the write allocates new pages. The hole covers the whole file, sized in
// 2 MiB units, so that only whole pages leave it even where shmem uses huge
// pages (a partial punch would zero a shared page in place).
#ifndef COPYSCOPE_TRANSPORTS_COMMON_MEMFD_STAGE_H_
#define COPYSCOPE_TRANSPORTS_COMMON_MEMFD_STAGE_H_

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/error_text.h"
#include "transports/common/send_loop.h"
#include "transports/common/sigpipe.h"

namespace copyscope::transports {

class MemfdStage {
 public:
  MemfdStage() = default;
  MemfdStage(const MemfdStage&) = delete;
  MemfdStage& operator=(const MemfdStage&) = delete;
  // Pages still referenced by the socket outlive the file.
  ~MemfdStage() {
    if (fd_ >= 0) close(fd_);
  }

  bool open() const { return fd_ >= 0; }
  uint64_t hole_punches() const { return hole_punches_; }

  // Creates the memfd for messages of up to max_len bytes, in 2 MiB units.
  int Open(const char* name, size_t max_len, char* err, size_t err_size) {
    const size_t kHuge = 2 << 20;
    size_ = (max_len + kHuge - 1) / kHuge * kHuge;
    fd_ = memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0 || ftruncate(fd_, (off_t)size_) != 0) {
      int e = errno;
      FormatInto(err, err_size, "open: a %zu-byte memfd: %s", size_,
                 ErrnoText(e).c_str());
      return -e;
    }
    return 0;
  }

  // Writes the message's fields at offset 0 of the memfd, on fresh pages.
  int Stage(const cs_message& msg, IovScratch* scratch, ErrorText* error) {
    if (dirty_) {
      if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                    (off_t)size_) != 0) {
        return error->SetErrno(errno, "send: fallocate(PUNCH_HOLE)");
      }
      ++hole_punches_;
      dirty_ = false;
    }
    off_t off = 0;
    uint32_t next = 0;
    while (next < msg.field_count) {
      size_t bytes = 0;
      uint32_t n = scratch->Load(msg.fields, msg.field_count, &next, &bytes);
      struct iovec* iov = scratch->data();
      uint32_t first = 0;
      while (first < n) {
        ssize_t w = pwritev(fd_, iov + first, (int)(n - first), off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          return error->SetErrno(w < 0 ? errno : EIO, "send: pwritev(memfd)");
        }
        off += w;
        dirty_ = true;
        first = AdvanceIov(iov, first, n, (size_t)w);
      }
    }
    return 0;
  }

  // sendfile()s bytes [0, len) of the memfd to the socket.
  int SendTo(int sock, size_t len, int io_timeout_ms, SendCounters* counters,
             ErrorText* error) {
    SigpipeGuard guard;  // sendfile() has no MSG_NOSIGNAL
    SendProgress progress(sock, "sendfile", 0, len, io_timeout_ms, counters,
                          error);
    while (progress.done() < len) {
      off_t off = (off_t)progress.done();
      size_t offered = len - progress.done();
      ssize_t n = sendfile(sock, fd_, &off, offered);
      if (n < 0 && errno == EPIPE) guard.ConsumeRaised();
      n = progress.After(n, offered);
      if (n < 0) return (int)n;
    }
    return 0;
  }

 private:
  int fd_ = -1;
  size_t size_ = 0;     // max_len rounded up to 2 MiB
  bool dirty_ = false;  // the file holds the last message's pages
  uint64_t hole_punches_ = 0;
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_MEMFD_STAGE_H_
