#include "harness/record/sha256.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

// FIPS 180-2 appendix B and the NIST example vectors.
TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrs"
                      "tu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, MillionAInUnevenPieces) {
  const std::string a(1000000, 'a');
  Sha256 h;
  size_t done = 0, step = 1;
  while (done < a.size()) {
    size_t n = std::min(step, a.size() - done);
    h.Update(a.data() + done, n);
    done += n;
    step = step * 3 % 997 + 1;  // crosses block boundaries unevenly
  }
  EXPECT_EQ(h.HexDigest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, File) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/f";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("abc", f);
  fclose(f);
  absl::StatusOr<std::string> h = Sha256File(path);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, Sha256Hex("abc"));
  EXPECT_FALSE(Sha256File(path + ".missing").ok());
  // Not a regular file: refused, never read (a FIFO would block).
  absl::StatusOr<std::string> dir = Sha256File(getenv("TEST_TMPDIR"));
  EXPECT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("not a regular file"),
            std::string::npos);
  std::string fifo = std::string(getenv("TEST_TMPDIR")) + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(Sha256File(fifo).ok());
}

}  // namespace
}  // namespace copyscope::record
