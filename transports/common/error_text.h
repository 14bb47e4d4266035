// Error text for the transports: printf into a caller's err/why buffer, an
// errno's message, and ErrorText, the endpoint's last error as last_error()
// returns it. Header-only, no dependencies.
//
//   copyscope::transports::ErrorText err;
//   if (fd < 0) return err.SetErrno(errno, "open: socket");  // -errno
//   return err.Set(-EPIPE, "recv: peer closed after %zu bytes", got);
//
//   FormatInto(why, why_size, "memfd_create: %s", ...);  // probe()/open()
#ifndef COPYSCOPE_TRANSPORTS_COMMON_ERROR_TEXT_H_
#define COPYSCOPE_TRANSPORTS_COMMON_ERROR_TEXT_H_

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

namespace copyscope::transports {

// Writes a printf-style message into out (NUL-terminated, truncated to
// size). Safe with out == nullptr or size == 0.
inline void FormatInto(char* out, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
inline void FormatInto(char* out, size_t size, const char* fmt, ...) {
  if (out == nullptr || size == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, size, fmt, ap);
  va_end(ap);
}

// strerror() without its thread-safety caveats.
inline const char* ErrnoName(int err, char* buf, size_t size) {
  // GNU strerror_r returns the message, which may or may not be buf.
  return strerror_r(err, buf, size);
}

// An endpoint's last error message, as last_error() returns it.
class ErrorText {
 public:
  const char* c_str() const { return text_; }

  // Stores the message and returns rc (a negative errno), so that a caller
  // can write `return err->Set(-EPIPE, "...")`.
  int Set(int rc, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text_, sizeof(text_), fmt, ap);
    va_end(ap);
    return rc;
  }

  // Stores "<what>: <strerror(err)>" and returns -err.
  int SetErrno(int err, const char* what) {
    char buf[96];
    return Set(-err, "%s: %s", what, ErrnoName(err, buf, sizeof(buf)));
  }

 private:
  char text_[256] = "";
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_ERROR_TEXT_H_
