#include "harness/control/auth.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::control {
namespace {

std::string TokenFile(const std::string& name, const std::string& text,
                      mode_t mode) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

TEST(AuthTest, ATokenOnlyItsOwnerCanReadIsRead) {
  absl::StatusOr<std::string> t =
      ReadToken(TokenFile("good", "s3cret\n", 0600));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, "s3cret");
}

TEST(AuthTest, ATokenOthersCanReadIsRefusedWithTheFix) {
  absl::StatusOr<std::string> t = ReadToken(TokenFile("open", "x", 0644));
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(absl::StrContains(t.status().message(), "chmod 600"))
      << t.status();
  EXPECT_FALSE(ReadToken(TokenFile("empty", "\n", 0600)).ok());
  EXPECT_FALSE(ReadToken("/nonexistent/token").ok());
}

TEST(AuthTest, MacsProveTheTokenAndTheirOrder) {
  const std::string a = Nonce(), c = Nonce();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, c);
  const std::string mac = Mac("token", "controller", a, c);
  EXPECT_EQ(mac.size(), 32u);
  EXPECT_TRUE(SameMac(mac, Mac("token", "controller", a, c)));
  EXPECT_FALSE(SameMac(mac, Mac("other", "controller", a, c)));
  EXPECT_FALSE(SameMac(mac, Mac("token", "agent", a, c)));
  EXPECT_FALSE(SameMac(mac, Mac("token", "controller", c, a)));
  EXPECT_FALSE(SameMac("", ""));
}

// A known answer, from Python's hmac module:
//   hmac.new(b"Jefe", b"controller|abc|def", hashlib.sha256).hexdigest()
TEST(AuthTest, TheMacIsHmacSha256OfLabelAndNonces) {
  EXPECT_EQ(absl::BytesToHexString(Mac("Jefe", "controller", "abc", "def")),
            "6e9dd39db829d435203f35bb61a6ae5e6c55469e2aa0faef3d61b93ceb37dbe2");
}

}  // namespace
}  // namespace copyscope::control
