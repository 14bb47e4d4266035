#include "harness/config/units.h"

#include "gtest/gtest.h"

namespace copyscope::config {
namespace {

TEST(ParseSizeTest, PlainBytes) {
  EXPECT_EQ(*ParseSize("1"), 1u);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
}

TEST(ParseSizeTest, BinarySuffixes) {
  EXPECT_EQ(*ParseSize("64K"), 65536u);
  EXPECT_EQ(*ParseSize("64k"), 65536u);
  EXPECT_EQ(*ParseSize("4KiB"), 4096u);
  EXPECT_EQ(*ParseSize("4kib"), 4096u);
  EXPECT_EQ(*ParseSize("1M"), 1048576u);
  EXPECT_EQ(*ParseSize("2MiB"), 2097152u);
  EXPECT_EQ(*ParseSize("1G"), 1073741824u);
  EXPECT_EQ(*ParseSize("1GiB"), 1073741824u);
}

TEST(ParseSizeTest, Rejects) {
  for (const char* bad : {"", "K", "-1", "+4", "1.5K", "4KB", "4 K", "0x10",
                          "4Kx", "99999999999999999999"}) {
    absl::StatusOr<uint64_t> s = ParseSize(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
}

TEST(ParseSizeTest, OverflowWithSuffix) {
  EXPECT_FALSE(ParseSize("17179869184G").ok());  // 2^34 G = 2^64 bytes
  EXPECT_EQ(*ParseSize("17179869183G"), uint64_t{17179869183} << 30);
}

TEST(ParseSizeTest, ErrorSaysHowToFix) {
  absl::StatusOr<uint64_t> s = ParseSize("4KB");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("KiB"), absl::string_view::npos);
}

TEST(FormatSizeTest, ShortestExactForm) {
  EXPECT_EQ(FormatSize(1), "1");
  EXPECT_EQ(FormatSize(256), "256");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(1536), "1536");
  EXPECT_EQ(FormatSize(4096), "4K");
  EXPECT_EQ(FormatSize(65536), "64K");
  EXPECT_EQ(FormatSize(1048576), "1M");
  EXPECT_EQ(FormatSize(3u << 30), "3G");
}

TEST(FormatSizeTest, RoundTrips) {
  for (uint64_t v : {1ull, 64ull, 1023ull, 1024ull, 4096ull, 65536ull,
                     1ull << 20, (1ull << 20) + 1}) {
    EXPECT_EQ(*ParseSize(FormatSize(v)), v);
  }
}

TEST(ParseCountTest, Works) {
  EXPECT_EQ(*ParseCount("0"), 0);
  EXPECT_EQ(*ParseCount("8"), 8);
  EXPECT_FALSE(ParseCount("").ok());
  EXPECT_FALSE(ParseCount("-1").ok());
  EXPECT_FALSE(ParseCount("2x").ok());
  EXPECT_FALSE(ParseCount("1.0").ok());
  EXPECT_FALSE(ParseCount("9223372036854775808").ok());
}

}  // namespace
}  // namespace copyscope::config
