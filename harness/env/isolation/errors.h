// absl::Status from a failed system call, with the errno spelled out.
//
//   if (unshare(CLONE_NEWNET) != 0) return ErrnoError("unshare(CLONE_NEWNET)");
//   // -> PERMISSION_DENIED: "unshare(CLONE_NEWNET): EPERM (Operation not
//   permitted)"
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_ERRORS_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_ERRORS_H_

#include <errno.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace copyscope::isolation {

// "what: ENAME (description)", with the status code absl maps errno to.
absl::Status ErrnoError(absl::string_view what, int err = errno);

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_ERRORS_H_
