// Error text for the transports: printf into a caller's err/why buffer
// (FormatInto), an errno's message (ErrnoText), and ErrorText, the
// endpoint's last error as last_error() returns it. Header-only, no
// dependencies.
//
//   copyscope::transports::ErrorText err;
//   if (fd < 0) return err.SetErrno(errno, "open: socket");  // -errno
//   return err.Set(-EPIPE, "recv: peer closed after %zu bytes", got);
//
//   int e = errno;  // in probe() or open(), which write into a char buffer
//   FormatInto(why, why_size, "memfd_create: %s", ErrnoText(e).c_str());
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

// The message of an errno value (strerror() without its thread-safety
// caveats), held by the object itself: no buffer to declare, no
// allocation. Use it inside the call that formats the message, where the
// temporary lives until the call returns:
//
//   FormatInto(why, why_size, "pipe2: %s", ErrnoText(errno).c_str());
class ErrnoText {
 public:
  // GNU strerror_r returns the message, which may or may not be buf_.
  explicit ErrnoText(int err) : text_(strerror_r(err, buf_, sizeof(buf_))) {}
  ErrnoText(const ErrnoText&) = delete;  // text_ may point into buf_
  ErrnoText& operator=(const ErrnoText&) = delete;

  const char* c_str() const { return text_; }

 private:
  char buf_[96];
  const char* text_;
};

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
    return Set(-err, "%s: %s", what, ErrnoText(err).c_str());
  }

 private:
  char text_[256] = "";
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_ERROR_TEXT_H_
