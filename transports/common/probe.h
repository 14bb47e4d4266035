// What a transport's probe() (and open()) find out about the machine: the
// kernel release for messages, the page size, a throwaway TCP socket to try
// socket options on, and ProbeNothing for a transport that needs nothing
// beyond a stream socket. Header-only, no dependencies beyond error_text.h.
//
//   int Probe(char* why, size_t why_size) {
//     int fd = OpenProbeSocket(why, why_size);  // why: "cannot create a
//     if (fd < 0) return fd;                    //  TCP socket: ..."
//     ...
//     FormatInto(why, why_size, "SO_ZEROCOPY not supported by kernel %s",
//                KernelRelease().text);
//   }
#ifndef COPYSCOPE_TRANSPORTS_COMMON_PROBE_H_
#define COPYSCOPE_TRANSPORTS_COMMON_PROBE_H_

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "transports/common/error_text.h"

namespace copyscope::transports {

// The running kernel's release ("6.18.44"), or "unknown".
struct KernelRelease {
  char text[65] = "unknown";
  int major = 0;
  int minor = 0;

  KernelRelease() {
    struct utsname u;
    if (uname(&u) != 0) return;
    snprintf(text, sizeof(text), "%s", u.release);
    if (sscanf(u.release, "%d.%d", &major, &minor) != 2) major = minor = 0;
  }
  // True when the release is at least major.minor (false when unknown).
  bool AtLeast(int want_major, int want_minor) const {
    return major > want_major || (major == want_major && minor >= want_minor);
  }
};

// The page size (4096 if the system will not say).
inline size_t PageSize() {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}

// A new TCP socket (IPv4, else IPv6) for a probe to try things on; the
// caller closes it. On failure returns a negative errno with why set.
inline int OpenProbeSocket(char* why, size_t why_size) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) return fd;
  int e = errno;
  FormatInto(why, why_size, "cannot create a TCP socket: %s",
             ErrnoText(e).c_str());
  return -e;
}

// probe() of a transport that needs nothing beyond a stream socket.
inline int ProbeNothing(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_PROBE_H_
