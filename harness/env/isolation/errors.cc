#include "harness/env/isolation/errors.h"

#include <string.h>

#include "absl/strings/str_cat.h"

namespace copyscope::isolation {

absl::Status ErrnoError(absl::string_view what, int err) {
  const char* name = strerrorname_np(err);
  return absl::Status(
      absl::ErrnoToStatusCode(err),
      absl::StrCat(what, ": ",
                   name != nullptr ? name : absl::StrCat("errno ", err), " (",
                   strerror(err), ")"));
}

}  // namespace copyscope::isolation
