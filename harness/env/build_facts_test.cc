#include "harness/env/build_facts.h"

#include <openssl/crypto.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::env {
namespace {

const LibraryVersion* Find(const BuildFacts& b, const std::string& name) {
  for (const LibraryVersion& l : b.libraries) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

TEST(BuildFactsTest, ListsEveryLinkedLibraryWithItsSource) {
  const BuildFacts& b = GetBuildFacts();
  std::vector<std::string> names;
  for (const LibraryVersion& l : b.libraries) {
    names.push_back(l.name);
    EXPECT_FALSE(l.version.empty()) << l.name;
    EXPECT_FALSE(l.source.empty()) << l.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Abseil", "protobuf", "liburing",
                                             "hwloc", "libpfm4", "libnl",
                                             "OpenSSL", "SQLite"}));
}

TEST(BuildFactsTest, RuntimeVersionsAreWhatTheLibrariesSay) {
  const BuildFacts& b = GetBuildFacts();
  EXPECT_EQ(Find(b, "SQLite")->version, sqlite3_libversion());
  EXPECT_EQ(Find(b, "OpenSSL")->version,
            OpenSSL_version(OPENSSL_VERSION_STRING));
  for (const char* name : {"Abseil", "protobuf", "hwloc", "libnl"}) {
    EXPECT_NE(Find(b, name)->version, "unknown") << name;
  }
  // Those whose call gives an interface version say so apart.
  EXPECT_FALSE(Find(b, "hwloc")->api.empty());
  EXPECT_FALSE(Find(b, "libpfm4")->api.empty());
  EXPECT_TRUE(Find(b, "SQLite")->api.empty());
}

TEST(BuildFactsTest, FlagsAreThoseOfThisBuild) {
  const BuildFacts& b = GetBuildFacts();
  // .bazelrc's --cxxopt and --copt reach every C++ action.
  EXPECT_TRUE(absl::StrContains(b.compile_flags, "-std=c++17"))
      << b.compile_flags;
  EXPECT_TRUE(absl::StrContains(b.compile_flags, "-Werror"));
  EXPECT_FALSE(b.link_flags.empty());
  EXPECT_FALSE(b.compiler_path.empty());
}

TEST(BuildFactsTest, BazelVersionIsKnownOnlyWhenStamped) {
  const std::string& v = GetBuildFacts().bazel_version;
  EXPECT_FALSE(v.empty());
  // Tests are not stamped unless asked: then the version is not invented.
  if (absl::StartsWith(v, "unknown")) {
    EXPECT_TRUE(v == "unknown" || v == "unknown (unstamped build)") << v;
  }
}

}  // namespace
}  // namespace copyscope::env
