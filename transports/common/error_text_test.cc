// Tests of the error text helpers: errno messages and the endpoint's last
// error.
#include "transports/common/error_text.h"

#include <errno.h>

#include <string>

#include "gtest/gtest.h"

namespace copyscope::transports {
namespace {

TEST(ErrnoText, HoldsTheMessageOfAnErrno) {
  EXPECT_STREQ(ErrnoText(EPIPE).c_str(), "Broken pipe");
  EXPECT_STREQ(ErrnoText(ETIMEDOUT).c_str(), "Connection timed out");
  EXPECT_NE(std::string(ErrnoText(99999).c_str()).find("99999"),
            std::string::npos);
}

TEST(ErrorText, SetErrnoWritesWhatAndTheMessageAndReturnsMinusErrno) {
  ErrorText err;
  EXPECT_STREQ(err.c_str(), "");
  EXPECT_EQ(err.SetErrno(ECONNRESET, "recv"), -ECONNRESET);
  EXPECT_STREQ(err.c_str(), "recv: Connection reset by peer");
  EXPECT_EQ(err.Set(-EIO, "send: wrote %d bytes", 0), -EIO);
  EXPECT_STREQ(err.c_str(), "send: wrote 0 bytes");
}

TEST(FormatInto, TruncatesAndToleratesNoBuffer) {
  char out[8] = "x";
  FormatInto(out, sizeof(out), "pipe2: %s", ErrnoText(EMFILE).c_str());
  EXPECT_STREQ(out, "pipe2: ");
  FormatInto(nullptr, 0, "%s", "nothing");
  FormatInto(out, 0, "%s", "unchanged");
  EXPECT_STREQ(out, "pipe2: ");
}

}  // namespace
}  // namespace copyscope::transports
