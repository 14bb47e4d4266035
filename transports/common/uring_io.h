// io_uring helpers shared by the io_uring transports: why a ring cannot be
// set up on this machine (kernel too old, sysctl kernel.io_uring_disabled,
// seccomp), whether the kernel knows the opcodes a transport needs, and the
// kernel release for messages. Header-only; needs liburing.
//
//   const copyscope::transports::UringOpName kOps[] = {
//       {IORING_OP_SEND_ZC, "IORING_OP_SEND_ZC"}};
//   char why[256];
//   if (copyscope::transports::ProbeUring(kOps, 1, why, sizeof(why)) < 0)
//     fprintf(stderr, "%s\n", why);  // "IORING_OP_SEND_ZC not supported by
//                                    //  kernel 5.15.0-91-generic"
#ifndef COPYSCOPE_TRANSPORTS_COMMON_URING_IO_H_
#define COPYSCOPE_TRANSPORTS_COMMON_URING_IO_H_

#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <map>

#include "transports/common/error_text.h"
#include "transports/common/probe.h"
#include "transports/common/wait.h"

// Linux 6.2 (uapi io_uring.h); liburing 2.3 predates them.
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace copyscope::transports {

// Reads a small integer from a /proc file; -1 when absent or unreadable.
inline int ReadProcInt(const char* path) {
  FILE* f = fopen(path, "re");
  if (f == nullptr) return -1;
  int value = -1;
  if (fscanf(f, "%d", &value) != 1) value = -1;
  fclose(f);
  return value;
}

// The calling thread's seccomp mode from /proc/thread-self/status
// (0 none, 1 strict, 2 filter), or -1 when unknown.
inline int SeccompMode() {
  FILE* f = fopen("/proc/thread-self/status", "re");
  if (f == nullptr) return -1;
  char line[256];
  int mode = -1;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (sscanf(line, "Seccomp: %d", &mode) == 1) break;
  }
  fclose(f);
  return mode;
}

// What the machine says about io_uring, gathered so that the explanation
// below is a pure function (and testable for every case).
struct UringEnvironment {
  KernelRelease kernel;
  int io_uring_disabled = -1;  // kernel.io_uring_disabled, -1: no such sysctl
  int seccomp = -1;            // SeccompMode()
  bool root = false;           // effective uid 0

  static UringEnvironment Current() {
    UringEnvironment env;
    env.io_uring_disabled = ReadProcInt("/proc/sys/kernel/io_uring_disabled");
    env.seccomp = SeccompMode();
    env.root = geteuid() == 0;
    return env;
  }
};

// Explains why io_uring_queue_init() failed with rc (a negative errno).
inline void ExplainUringSetupFailure(int rc, const UringEnvironment& env,
                                     char* why, size_t why_size) {
  const char* k = env.kernel.text;
  int e = -rc;
  if (env.io_uring_disabled == 2) {
    FormatInto(why, why_size,
               "io_uring disabled by sysctl kernel.io_uring_disabled=2 "
               "(kernel %s)",
               k);
  } else if (env.io_uring_disabled == 1 && e == EPERM && !env.root) {
    FormatInto(why, why_size,
               "io_uring restricted by sysctl kernel.io_uring_disabled=1 to "
               "root and the group kernel.io_uring_group (kernel %s)",
               k);
  } else if (e == EPERM || (e == ENOSYS && env.seccomp == 2)) {
    FormatInto(why, why_size, "io_uring_setup denied (%s) on kernel %s %s",
               e == EPERM ? "EPERM" : "ENOSYS", k,
               env.seccomp == 2
                   ? "by a seccomp filter (Seccomp: 2 in /proc/self/status), "
                     "e.g. a container runtime's default profile"
                   : "by a security module policy");
  } else if (e == ENOSYS) {
    FormatInto(why, why_size,
               "io_uring not supported by kernel %s (io_uring_setup: ENOSYS; "
               "needs Linux 5.1+ built with CONFIG_IO_URING)",
               k);
  } else if (e == ENOMEM) {
    FormatInto(why, why_size,
               "io_uring_setup on kernel %s: out of memory, or RLIMIT_MEMLOCK "
               "too low for the ring",
               k);
  } else {
    FormatInto(why, why_size, "io_uring_setup on kernel %s: %s", k,
               ErrnoText(e).c_str());
  }
}

// An opcode a transport needs, with its name for messages.
struct UringOpName {
  int op;
  const char* name;
};

// Checks that ops[0..n) are supported by the ring's kernel. Returns 0, or
// -EOPNOTSUPP with "IORING_OP_X not supported by kernel R".
inline int CheckUringOps(struct io_uring* ring, const UringOpName* ops,
                         size_t n, const KernelRelease& kernel, char* why,
                         size_t why_size) {
  if (n == 0) return 0;
  struct io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) {
    FormatInto(why, why_size,
               "%s not supported by kernel %s (it cannot list its io_uring "
               "opcodes; IORING_REGISTER_PROBE needs Linux 5.6+)",
               ops[0].name, kernel.text);
    return -EOPNOTSUPP;
  }
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; ++i) {
    if (!io_uring_opcode_supported(probe, ops[i].op)) {
      FormatInto(why, why_size, "%s not supported by kernel %s", ops[i].name,
                 kernel.text);
      rc = -EOPNOTSUPP;
    }
  }
  io_uring_free_probe(probe);
  return rc;
}

// Sets up a ring of `entries` (and cq_entries completions, when not 0) and
// checks ops[0..n). On failure returns a negative errno with why set, and
// the ring is not initialised.
inline int InitUring(unsigned entries, struct io_uring* ring,
                     const UringOpName* ops, size_t n, char* why,
                     size_t why_size, unsigned cq_entries = 0) {
  struct io_uring_params params;
  memset(&params, 0, sizeof(params));
  if (cq_entries > 0) {
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries;
  }
  int rc = io_uring_queue_init_params(entries, ring, &params);
  if (rc < 0) {
    ExplainUringSetupFailure(rc, UringEnvironment::Current(), why, why_size);
    return rc;
  }
  rc = CheckUringOps(ring, ops, n, KernelRelease(), why, why_size);
  if (rc < 0) io_uring_queue_exit(ring);
  return rc;
}

// io_uring_wait_cqe() bounded by deadline (with no bound, as long as it
// takes). Returns what liburing does: 0, -ETIME once the deadline passed,
// or another negative errno.
inline int WaitCqe(struct io_uring* ring, struct io_uring_cqe** cqe,
                   const Deadline& deadline) {
  int left = deadline.LeftMs();
  if (left < 0) return io_uring_wait_cqe(ring, cqe);
  struct __kernel_timespec ts = {left / 1000, (left % 1000) * 1000000};
  return io_uring_wait_cqe_timeout(ring, cqe, &ts);
}

// A transport's probe: can a ring be set up here, with these opcodes?
inline int ProbeUring(const UringOpName* ops, size_t n, char* why,
                      size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  struct io_uring ring;
  int rc = InitUring(2, &ring, ops, n, why, why_size);
  if (rc < 0) return rc;
  io_uring_queue_exit(&ring);
  return 0;
}

// Whether the ring's kernel knows IORING_SEND_ZC_REPORT_USAGE (Linux 6.2+):
// submits a SEND_ZC with that flag on fd -1, which such a kernel fails with
// EBADF and an older one with EINVAL. Needs an empty ring.
inline bool UringReportsZeroCopyUsage(struct io_uring* ring) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (sqe == nullptr) return false;
  io_uring_prep_send_zc(sqe, -1, nullptr, 0, 0, IORING_SEND_ZC_REPORT_USAGE);
  sqe->user_data = UINT64_MAX - 1;
  if (io_uring_submit(ring) != 1) return false;
  int res = -EINVAL;
  bool more = true;  // a notification follows a completion flagged F_MORE
  for (int seen = 0; more && seen < 2; ++seen) {
    struct io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(ring, &cqe) != 0) return false;
    more = false;
    if (!(cqe->flags & IORING_CQE_F_NOTIF)) {
      res = cqe->res;
      more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    }
    io_uring_cqe_seen(ring, cqe);
  }
  return res == -EBADF;
}

// Buffers registered with a ring on first use (IORING_RECVSEND_FIXED_BUF),
// in a sparse table: Init() once, then Find() the slot holding a range.
class UringFixedBuffers {
 public:
  int Init(struct io_uring* ring, uint32_t slots, char* err, size_t err_size) {
    ring_ = ring;
    slots_ = slots;
    int rc = io_uring_register_buffers_sparse(ring, slots);
    if (rc < 0) {
      FormatInto(err, err_size,
                 "open: fixed_buffers=1: cannot register a sparse table of "
                 "%u buffers: %s (needs Linux 5.19+ and RLIMIT_MEMLOCK)",
                 slots, ErrnoText(-rc).c_str());
    }
    return rc < 0 ? rc : 0;
  }

  // The slot of a registered buffer holding [p, p + n), registering [p,
  // p + n) if none does. Returns 0 or a negative errno with err set.
  int Find(const void* p, size_t n, uint16_t* slot, ErrorText* err) {
    uintptr_t a = (uintptr_t)p;
    auto it = table_.upper_bound(a);
    if (it != table_.begin()) {
      --it;
      if (a + n <= it->first + it->second.len) {
        *slot = it->second.slot;
        return 0;
      }
    }
    if (table_.size() >= slots_) {
      return err->Set(-ENOSPC,
                      "send: fixed_buffers=1 saw more than %u distinct "
                      "buffers; send from a fixed set of buffers (a message "
                      "pool), raise fixed_slots, or use fixed_buffers=0",
                      slots_);
    }
    uint16_t s = (uint16_t)table_.size();
    struct iovec v = {const_cast<void*>(p), n};
    __u64 tag = 0;
    int rc = io_uring_register_buffers_update_tag(ring_, s, &v, &tag, 1);
    if (rc < 0) {
      return err->Set(rc, "send: registering a %zu-byte fixed buffer: %s", n,
                      ErrnoText(-rc).c_str());
    }
    table_[a] = Entry{n, s};
    *slot = s;
    return 0;
  }

  size_t size() const { return table_.size(); }

 private:
  struct Entry {
    size_t len;
    uint16_t slot;
  };
  struct io_uring* ring_ = nullptr;
  uint32_t slots_ = 0;
  std::map<uintptr_t, Entry> table_;  // by start address
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_URING_IO_H_
