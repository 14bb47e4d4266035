// Test support: an isolation of its own for a test, or the test skipped
// with the reason where network namespaces are not permitted.
//
//   NETNS_OR_SKIP(iso, Options());   // Isolation& iso, or GTEST_SKIP()
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_TESTING_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_TESTING_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/isolation.h"

#define NETNS_OR_SKIP(var, options)                                       \
  absl::StatusOr<std::unique_ptr<::copyscope::isolation::Isolation>>      \
      var##_or = ::copyscope::isolation::Isolation::CreateNetns(options); \
  if (var##_or.status().code() == absl::StatusCode::kPermissionDenied) {  \
    GTEST_SKIP() << "network namespaces not permitted here: "             \
                 << var##_or.status().message();                          \
  }                                                                       \
  ASSERT_TRUE(var##_or.ok()) << var##_or.status();                        \
  ::copyscope::isolation::Isolation& var = **var##_or

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_TESTING_H_
