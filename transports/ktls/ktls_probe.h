// Whether this kernel has kernel TLS, and if not, exactly why: the verdict
// of ktls's probe() and of a failing open(). Header-only, over error_text.h.
//
// The truth is setsockopt(TCP_ULP, "tls") on an established TCP socket (it
// may load the tls module on the way); the files named here explain its
// failure: /proc/sys/net/ipv4/tcp_available_ulp lists the upper-layer
// protocols the kernel has now, /sys/module/tls exists when the tls module
// is loaded or built in. KtlsVerdict() takes the paths so that tests can
// point it at fake files.
#ifndef COPYSCOPE_TRANSPORTS_KTLS_KTLS_PROBE_H_
#define COPYSCOPE_TRANSPORTS_KTLS_KTLS_PROBE_H_

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <string>

#include "transports/common/error_text.h"

namespace copyscope::transports {

struct KtlsPaths {
  const char* available_ulp = "/proc/sys/net/ipv4/tcp_available_ulp";
  const char* module = "/sys/module/tls";
};

// The first line of path without its newline, or "" with *readable false.
inline std::string ReadFirstLine(const char* path, bool* readable) {
  *readable = false;
  FILE* f = fopen(path, "re");
  if (f == nullptr) return "";
  char line[512] = "";
  *readable = true;
  if (fgets(line, sizeof(line), f) == nullptr) line[0] = '\0';
  fclose(f);
  line[strcspn(line, "\n")] = '\0';
  return line;
}

// True when the space-separated list holds the word.
inline bool ListsWord(const std::string& list, const char* word) {
  size_t n = strlen(word);
  for (size_t at = list.find(word); at != std::string::npos;
       at = list.find(word, at + 1)) {
    bool starts = at == 0 || list[at - 1] == ' ';
    bool ends = at + n == list.size() || list[at + n] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

// What the two files say, for a message: "/proc/.../tcp_available_ulp
// lists 'mptcp' (no tls); /sys/module/tls is absent".
inline std::string KtlsEvidence(const KtlsPaths& paths) {
  bool readable = false;
  std::string ulps = ReadFirstLine(paths.available_ulp, &readable);
  std::string out = paths.available_ulp;
  if (!readable) {
    out += " is unreadable";
  } else {
    out += " lists '" + ulps + "'";
    out += ListsWord(ulps, "tls") ? " (tls among them)" : " (no tls)";
  }
  struct stat st;
  out += "; ";
  out += paths.module;
  out += stat(paths.module, &st) == 0 ? " exists" : " is absent";
  return out;
}

// The verdict on setsockopt(TCP_ULP, "tls") having failed with ulp_errno
// (0: it worked). Returns 0, or -ulp_errno with why saying why kernel TLS
// is unavailable and what was checked.
inline int KtlsVerdict(int ulp_errno, const KtlsPaths& paths, char* why,
                       size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  if (ulp_errno == 0) return 0;
  std::string evidence = KtlsEvidence(paths);
  if (ulp_errno == ENOENT) {
    FormatInto(why, why_size,
               "the kernel has no TLS upper-layer protocol (CONFIG_TLS off, "
               "or the tls module not loaded): setsockopt(TCP_ULP, \"tls\") "
               "failed with ENOENT; %s",
               evidence.c_str());
  } else if (ulp_errno == EPERM) {
    FormatInto(why, why_size,
               "setsockopt(TCP_ULP, \"tls\") is not permitted (EPERM: the tls "
               "module is not loaded and loading it needs CAP_SYS_MODULE); %s",
               evidence.c_str());
  } else {
    FormatInto(why, why_size, "setsockopt(TCP_ULP, \"tls\"): %s; %s",
               ErrnoText(ulp_errno).c_str(), evidence.c_str());
  }
  return -ulp_errno;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_KTLS_KTLS_PROBE_H_
